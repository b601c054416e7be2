package grpcserver

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"sixfold/storagenode/chunkstore"
)

// toStatus maps an error onto the gRPC status the gateway branches on:
// bad ids, ranges and sizes are InvalidArgument, a missing chunk is NotFound,
// an ended stream keeps its Canceled or DeadlineExceeded, an error that
// already carries a status keeps it, and anything else (the disk) is
// Internal.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if code, ok := codeOf(err); ok {
		return status.Error(code, err.Error())
	}
	if st, ok := status.FromError(err); ok {
		return st.Err()
	}
	return status.Error(codes.Internal, err.Error())
}

func codeOf(err error) (codes.Code, bool) {
	switch {
	case errors.Is(err, chunkstore.ErrInvalidID),
		errors.Is(err, chunkstore.ErrInvalidRange),
		errors.Is(err, chunkstore.ErrSizeMismatch),
		errors.Is(err, chunkstore.ErrTooLarge),
		errors.Is(err, chunkstore.ErrInvalidDigest):
		return codes.InvalidArgument, true
	case errors.Is(err, chunkstore.ErrNotFound):
		return codes.NotFound, true
	case errors.Is(err, context.Canceled):
		return codes.Canceled, true
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded, true
	}
	return codes.OK, false
}
