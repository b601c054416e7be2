package grpcserver

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"sixfold/proto/storagepb"
	"sixfold/storagenode/chunkstore"
)

// TestHealthCheckSeedFields checks the seed design's fields beside status
// and server_id: healthy follows serving, and the space and count fields
// are the chunk store's.
func TestHealthCheckSeedFields(t *testing.T) {
	h := start(t)
	ctx := context.Background()
	if _, err := h.put(ctx, uuid.NewString(), 5, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	for _, serving := range []bool{false, true} {
		h.svc.SetServing(serving)
		res, err := h.client.HealthCheck(ctx, &storagepb.HealthCheckRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if res.GetHealthy() != serving {
			t.Errorf("serving %v: healthy = %v; want %v", serving, res.GetHealthy(), serving)
		}
		if res.GetChunkCount() != 1 || res.GetUsedSpace() != 5 || res.GetAvailableSpace() <= 0 {
			t.Errorf("serving %v: chunk_count %d, used_space %d, available_space %d; want 1, 5, > 0",
				serving, res.GetChunkCount(), res.GetUsedSpace(), res.GetAvailableSpace())
		}
	}
}

// statsStore answers Stats with a fixed result, the rest from the real store.
type statsStore struct {
	*chunkstore.Store
	st  chunkstore.Stats
	err error
}

func (s statsStore) Stats() (chunkstore.Stats, error) { return s.st, s.err }

func TestHealthCheckUnreadableDiskIsUnhealthy(t *testing.T) {
	h := startWith(t, zerolog.New(zerolog.NewTestWriter(t)), func(s *chunkstore.Store) ChunkStore {
		return statsStore{Store: s, err: errors.New("statfs: input/output error")}
	})
	h.svc.SetServing(true)
	res, err := h.client.HealthCheck(context.Background(), &storagepb.HealthCheckRequest{})
	if err != nil {
		t.Fatalf("HealthCheck = %v; want an answer, not an error", err)
	}
	if res.GetHealthy() || res.GetStatus() != storagepb.HealthCheckResponse_STATUS_SERVING {
		t.Errorf("HealthCheck = %v; want healthy false beside status SERVING", res)
	}
}

func TestHealthCheckChunkCountSaturates(t *testing.T) {
	h := startWith(t, zerolog.Nop(), func(s *chunkstore.Store) ChunkStore {
		return statsStore{Store: s, st: chunkstore.Stats{Chunks: math.MaxInt32 + 5, AvailableBytes: 1}}
	})
	res, err := h.client.HealthCheck(context.Background(), &storagepb.HealthCheckRequest{})
	if err != nil || res.GetChunkCount() != math.MaxInt32 {
		t.Errorf("HealthCheck = %v, %v; want chunk_count %d", res, err, math.MaxInt32)
	}
}
