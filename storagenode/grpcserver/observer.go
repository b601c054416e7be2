package grpcserver

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Observer hears what the service moves to and from the disk; the metrics
// package is one. It must be safe for concurrent use.
type Observer interface {
	// ChunkWritten reports a chunk of n bytes made durable by PutChunk.
	ChunkWritten(n int64)
	// ChunkRead reports n bytes of chunk data sent by GetChunk.
	ChunkRead(n int64)
	// IOError reports a failure of the node's own disk during op (put, get,
	// delete or stats): one the caller sees as codes.Internal.
	IOError(op string)
}

// Option changes a Service made by New.
type Option func(*Service)

// WithObserver makes the Service report to o.
func WithObserver(o Observer) Option {
	return func(s *Service) { s.obs = o }
}

// nopObserver is the Observer of a Service given none.
type nopObserver struct{}

func (nopObserver) ChunkWritten(int64) {}
func (nopObserver) ChunkRead(int64)    {}
func (nopObserver) IOError(string)     {}

// fail maps err to its gRPC status and reports it to the observer when it is
// the node's own fault (Internal).
func (s *Service) fail(op string, err error) error {
	st := toStatus(err)
	if status.Code(st) == codes.Internal {
		s.obs.IOError(op)
	}
	return st
}
