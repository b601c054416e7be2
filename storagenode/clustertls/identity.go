package clustertls

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// DefaultGatewayName is the identity `make certs` gives the gateway's
// client certificate (its Common Name).
const DefaultGatewayName = "sixfold-gateway"

// chunkMethods are the RPCs that read, write or delete shards: only a
// gateway may call them. The rest (health, stats) any cluster member may.
var chunkMethods = map[string]bool{"PutChunk": true, "GetChunk": true, "DeleteChunk": true}

// RequireGateway returns interceptors that refuse chunk RPCs, with
// PermissionDenied, from any caller whose verified client certificate does
// not name gateway (as its Common Name or a DNS name). The CA vouches that
// a caller belongs to the cluster; this says which members may touch
// data, so a node's certificate (which every node holds, and the
// healthprobe uses) cannot delete another node's shards.
func RequireGateway(gateway string) (grpc.UnaryServerInterceptor, grpc.StreamServerInterceptor) {
	check := func(ctx context.Context, fullMethod string) error {
		if !chunkMethods[fullMethod[strings.LastIndexByte(fullMethod, '/')+1:]] || isGateway(ctx, gateway) {
			return nil
		}
		return status.Errorf(codes.PermissionDenied, "%s is for the gateway (certificate %q) only", fullMethod, gateway)
	}
	unary := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := check(ctx, info.FullMethod); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
	stream := func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := check(ss.Context(), info.FullMethod); err != nil {
			return err
		}
		return handler(srv, ss)
	}
	return unary, stream
}

// isGateway reports whether the caller's verified leaf certificate names
// gateway.
func isGateway(ctx context.Context, gateway string) bool {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return false
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.VerifiedChains) == 0 || len(info.State.VerifiedChains[0]) == 0 {
		return false
	}
	leaf := info.State.VerifiedChains[0][0]
	if leaf.Subject.CommonName == gateway {
		return true
	}
	for _, name := range leaf.DNSNames {
		if name == gateway {
			return true
		}
	}
	return false
}
