package objects

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"sixfold/db"
)

// metadataError turns PostgreSQL trouble into ErrUnavailable so callers can
// answer 503, keeping the cause in the chain.
func metadataError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrUnavailable):
		return err
	case errors.Is(err, db.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, db.ErrUnavailable):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// nodeError maps a failed node call to ErrNodeUnavailable (a retryable
// condition for the client) unless the caller's own context ended, and
// asks for a ring refresh so a dead node drops out quickly.
func (s *Service) nodeError(ctx context.Context, address string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	switch status.Code(err) {
	case codes.NotFound:
		return fmt.Errorf("%w: node %s: %v", ErrCorruptChunk, address, err)
	case codes.DataLoss:
		return fmt.Errorf("%w: node %s: %v", ErrCorruptChunk, address, err)
	}
	s.cluster.RequestRefresh()
	return fmt.Errorf("%w: node %s: %v", ErrNodeUnavailable, address, err)
}

// BodyError classifies a failure reading the client's body, for the
// service and for the intake that stages bodies before it.
// A body cut short is reported as such even when the client has gone too
// (its context is then cancelled as well): that is what happened.
func BodyError(ctx context.Context, err error) error {
	if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrIncompleteBody) || errors.Is(err, ErrBodyTimeout) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", ErrIncompleteBody, err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return fmt.Errorf("%w: %w", ErrBodyTimeout, err)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	// Keep err in the chain: a verifying reader's own error (a bad
	// signature or checksum) says more than "incomplete".
	return fmt.Errorf("%w: %w", ErrIncompleteBody, err)
}
