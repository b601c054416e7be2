package clustertls

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"sixfold/proto/storagepb"
)

// DefaultGatewayName is the identity `make certs` gives the gateway's
// client certificate (its Common Name).
const DefaultGatewayName = "sixfold-gateway"

// memberMethods are the StorageService RPCs any cluster member may call
// (health, stats), as are other services' (the standard gRPC health
// check). Every other StorageService RPC reads, writes or deletes shards,
// and only a gateway may call it: listing the open ones rather than the
// guarded ones means a new chunk RPC is guarded from its first day.
var memberMethods = map[string]bool{"HealthCheck": true, "GetStats": true}

// guarded reports whether only a gateway may call fullMethod.
func guarded(fullMethod string) bool {
	service, method, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	return service == storagepb.StorageService_ServiceDesc.ServiceName && !memberMethods[method]
}

// RequireGateway returns interceptors that refuse chunk RPCs, with
// PermissionDenied, from any caller whose verified client certificate does
// not name gateway (as its Common Name or a DNS name). The CA vouches that
// a caller belongs to the cluster; this says which members may touch
// data, so a node's certificate (which every node holds, and the
// healthprobe uses) cannot delete another node's shards.
func RequireGateway(gateway string) (grpc.UnaryServerInterceptor, grpc.StreamServerInterceptor) {
	check := func(ctx context.Context, fullMethod string) error {
		if !guarded(fullMethod) || isGateway(ctx, gateway) {
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
