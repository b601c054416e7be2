package objects_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"sixfold/gateway/objects"
	"sixfold/proto/storagepb"
)

// Two gateways (two services on one database) working the same expired
// uploads and the deletions they queue, at once and over and over, handle
// every item exactly once: the sessions they report expiring add up to the
// uploads that expired, and the nodes see one DeleteChunk per shard.
func TestTwoGatewaysClaimEachJobItemOnce(t *testing.T) {
	e := newEnv(t, 8)
	gateways := []*objects.Service{e.service(2), e.service(2)}
	const uploads = 24
	var ids []uuid.UUID
	shards := 0
	for i := range uploads {
		// Over a stripe, so each is streamed and has a session to expire.
		b := e.put(t, gateways[i%2], payload(testStripe+1+i, uint64(300+i)))
		ids = append(ids, b.ID)
		shards += len(b.Chunks)
	}
	// As if every upload had stalled an hour ago.
	e.exec(t, `UPDATE files SET status = 'uploading' WHERE id = ANY($1)`, ids)
	e.exec(t, `UPDATE upload_sessions SET status = 'active', started_at = now() - interval '2 hours',
		expires_at = now() - interval '1 hour' WHERE file_id = ANY($1)`, ids)
	deletes := func() (n int) {
		for _, node := range e.cluster.nodes {
			n += node.faults.count(storagepb.StorageService_DeleteChunk_FullMethodName)
		}
		return n
	}
	before := deletes()

	var expired atomic.Int64
	var wg sync.WaitGroup
	for _, s := range gateways {
		for range 3 {
			wg.Go(func() {
				for range 10 {
					n, err := s.ExpireSessions(context.Background())
					if err != nil {
						t.Errorf("ExpireSessions: %v", err)
						return
					}
					expired.Add(int64(n))
					if _, err := s.ProcessDeletions(context.Background()); err != nil {
						t.Errorf("ProcessDeletions: %v", err)
						return
					}
				}
			})
		}
	}
	wg.Wait()

	if got := expired.Load(); got != uploads {
		t.Errorf("the gateways expired %d sessions between them; want %d, each once", got, uploads)
	}
	if got := deletes() - before; got != shards {
		t.Errorf("nodes got %d DeleteChunk calls; want %d, one per shard", got, shards)
	}
	if n := e.count(t, `SELECT count(*) FROM chunk_deletions`) + e.count(t, `SELECT count(*) FROM files WHERE id = ANY($1)`, ids); n != 0 {
		t.Errorf("%d deletions or files left; want none", n)
	}
}
