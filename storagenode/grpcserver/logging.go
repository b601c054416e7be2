package grpcserver

import (
	"context"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func logUnary(log zerolog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		logRPC(log, info.FullMethod, start, err)
		return resp, err
	}
}

func logStream(log zerolog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		start := time.Now()
		err := handler(srv, ss)
		logRPC(log, info.FullMethod, start, err)
		return err
	}
}

// logRPC logs one finished call: failures of the node itself at error
// level, other failures (the caller's or the network's) at info, and
// successes at debug.
func logRPC(log zerolog.Logger, method string, start time.Time, err error) {
	code := status.Code(err)
	ev := log.Debug()
	switch code {
	case codes.OK:
	case codes.Internal, codes.Unknown, codes.DataLoss:
		ev = log.Error().Err(err)
	default:
		ev = log.Info().Err(err)
	}
	ev.Str("method", method).Str("code", code.String()).Dur("took", time.Since(start)).Msg("rpc")
}
