package grpcserver

import (
	"context"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// RequestIDKey is the gRPC metadata key under which a caller (the gateway)
// passes the id of the request a call serves; the call's log line carries it.
const RequestIDKey = "x-request-id"

// maxRequestIDLen bounds the caller-supplied id that reaches a log line.
const maxRequestIDLen = 128

func logUnary(log zerolog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		logRPC(ctx, log, info.FullMethod, start, err)
		return resp, err
	}
}

func logStream(log zerolog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		start := time.Now()
		err := handler(srv, ss)
		logRPC(ss.Context(), log, info.FullMethod, start, err)
		return err
	}
}

// logRPC logs one finished call: failures of the node itself at error
// level, other failures (the caller's or the network's) at info, and
// successes at debug. A request id, when the caller sent one, is included.
// A call whose line the level leaves out costs no more than that check:
// at the default level, that is every call that succeeds.
func logRPC(ctx context.Context, log zerolog.Logger, method string, start time.Time, err error) {
	if ev := callEvent(ctx, log, err); ev != nil {
		ev.Str("method", method).Str("code", status.Code(err).String()).Dur("took", time.Since(start)).Msg("rpc")
	}
}

// callEvent starts the line of a call that ended with err, at logRPC's
// level for it and with the caller's request id, or returns nil when the
// level leaves the line out.
func callEvent(ctx context.Context, log zerolog.Logger, err error) *zerolog.Event {
	ev := log.Debug()
	switch status.Code(err) {
	case codes.OK:
	case codes.Internal, codes.Unknown, codes.DataLoss:
		ev = log.Error()
	default:
		ev = log.Info()
	}
	if !ev.Enabled() {
		return nil
	}
	if reqID := requestID(ctx); reqID != "" {
		ev = ev.Str("request_id", reqID)
	}
	return ev.Err(err)
}

// requestID returns the caller's x-request-id (the first, if repeated), cut
// to maxRequestIDLen bytes, or "" when there is none.
func requestID(ctx context.Context) string {
	vals := metadata.ValueFromIncomingContext(ctx, RequestIDKey)
	if len(vals) == 0 {
		return ""
	}
	id := vals[0]
	if len(id) > maxRequestIDLen {
		id = id[:maxRequestIDLen]
	}
	return id
}

// logItem logs a failed read of a ReadChunks call or write of a
// WriteChunks call, which the call's own line (it succeeded) does not
// show, at the level logRPC would have given the single call it stands
// for.
func logItem(ctx context.Context, log zerolog.Logger, msg, chunkID string, err error) {
	if ev := callEvent(ctx, log, err); ev != nil {
		ev.Str("chunk_id", chunkID).Msg(msg)
	}
}
