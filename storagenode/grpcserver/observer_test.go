package grpcserver

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"sixfold/proto/storagepb"
	"sixfold/storagenode/chunkstore"
	"sixfold/storagenode/internal/nodetest"
)

func TestRequestIDInLogLine(t *testing.T) {
	var logs nodetest.LogBuffer
	h := startWith(t, zerolog.New(&logs), nil)
	long := strings.Repeat("r", 300)
	tests := []struct {
		name, sent, want string
		call             func(ctx context.Context) error
	}{
		{"unary", "req-unary-1", "req-unary-1", func(ctx context.Context) error {
			_, err := h.client.HealthCheck(ctx, &storagepb.HealthCheckRequest{})
			return err
		}},
		{"stream", "req-stream-2", "req-stream-2", func(ctx context.Context) error {
			_, err := h.put(ctx, uuid.NewString(), 3, []byte("abc"))
			return err
		}},
		{"cut to 128 bytes", long, long[:maxRequestIDLen], func(ctx context.Context) error {
			_, err := h.client.GetStats(ctx, &storagepb.GetStatsRequest{})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := metadata.AppendToOutgoingContext(context.Background(), RequestIDKey, tt.sent)
			if err := tt.call(ctx); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { return strings.Contains(logs.String(), `"request_id":"`+tt.want+`"`) })
		})
	}
	if strings.Contains(logs.String(), long[:maxRequestIDLen+1]) {
		t.Fatal("a request id longer than the limit reached the log")
	}
}

func TestNoRequestIDNoField(t *testing.T) {
	var logs nodetest.LogBuffer
	h := startWith(t, zerolog.New(&logs), nil)
	if _, err := h.client.HealthCheck(context.Background(), &storagepb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Contains(logs.String(), `"message":"rpc"`) })
	if strings.Contains(logs.String(), "request_id") {
		t.Fatalf("log has a request_id though none was sent: %s", logs.String())
	}
}

// recorder is an Observer that remembers what it heard.
type recorder struct {
	mu            sync.Mutex
	written, read int64
	ioErrors      []string
}

func (r *recorder) ChunkWritten(n int64) { r.mu.Lock(); r.written += n; r.mu.Unlock() }
func (r *recorder) ChunkRead(n int64)    { r.mu.Lock(); r.read += n; r.mu.Unlock() }
func (r *recorder) IOError(op string) {
	r.mu.Lock()
	r.ioErrors = append(r.ioErrors, op)
	r.mu.Unlock()
}

// brokenDisk fails Stats and Delete as a dying disk would.
type brokenDisk struct{ *chunkstore.Store }

var errDisk = errors.New("input/output error")

func (brokenDisk) Stats() (chunkstore.Stats, error) { return chunkstore.Stats{}, errDisk }
func (brokenDisk) Delete(string) (bool, error)      { return false, errDisk }

func TestObserverHearsBytesAndDiskErrors(t *testing.T) {
	rec := &recorder{}
	wrap := func(s *chunkstore.Store) ChunkStore { return brokenDisk{s} }
	h := startWith(t, zerolog.New(zerolog.NewTestWriter(t)), wrap, WithObserver(rec))
	ctx := context.Background()
	id, data := uuid.NewString(), randomBytes(t, 3<<20+5)
	if _, err := h.put(ctx, id, int64(len(data)), data); err != nil {
		t.Fatal(err)
	}
	if _, err := h.get(t, id, 10, 100); err != nil {
		t.Fatal(err)
	}
	_, err := h.get(t, uuid.NewString(), 0, 0)
	wantCode(t, err, codes.NotFound) // the caller's mistake, not the disk's
	_, err = h.client.GetStats(ctx, &storagepb.GetStatsRequest{})
	wantCode(t, err, codes.Internal)
	_, err = h.client.DeleteChunk(ctx, &storagepb.DeleteChunkRequest{ChunkId: id})
	wantCode(t, err, codes.Internal)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.written != int64(len(data)) || rec.read != 100 {
		t.Fatalf("observer heard %d written, %d read; want %d, 100", rec.written, rec.read, len(data))
	}
	if strings.Join(rec.ioErrors, ",") != "stats,delete" {
		t.Fatalf("I/O errors heard: %v; want [stats delete]", rec.ioErrors)
	}
}
