package objects_test

import (
	"context"
	"testing"

	"golang.org/x/time/rate"

	"sixfold/gateway/erasure"
	"sixfold/gateway/objects"
	"sixfold/proto/storagepb"
)

// unlimited lets the healer write as fast as it can.
func unlimited() *rate.Limiter { return rate.NewLimiter(rate.Limit(1<<30), 1<<20) }

// healOnce runs one healer pass and checks it claimed want shards.
func healOnce(t *testing.T, s *objects.Service, want int) {
	t.Helper()
	n, err := s.HealOnce(context.Background(), unlimited())
	if err != nil || n != want {
		t.Fatalf("HealOnce = %d, %v; want %d, nil", n, err, want)
	}
}

// TestHealing runs the healer tests on one cluster and database. Each
// pass of the healer claims every shard that needs it, so each case
// expects the shards left by the cases before it to be healed already.
func TestHealing(t *testing.T) {
	e := newEnv(t, 8)
	t.Run("rebuild", func(t *testing.T) { testRebuild(t, e) })
	t.Run("drain", func(t *testing.T) { testDrain(t, e) })
}

// A shard lost to a dead node or to rot is rebuilt from the others onto
// another node, verified there, and then carries reads that lose two more
// shards.
func testRebuild(t *testing.T, e *env) {
	tests := []struct {
		name string
		lose func(t *testing.T, s *objects.Service, data []byte) objects.Blob // returns the damaged blob
	}{
		{"missing: its node was dead during the put", func(t *testing.T, s *objects.Service, data []byte) objects.Blob {
			e.cluster.nodes[2].faults.kill()
			return e.put(t, s, data)
		}},
		{"corrupt: a read found a rotten block", func(t *testing.T, s *objects.Service, data []byte) objects.Blob {
			b := e.stat(t, s, e.put(t, s, data).ID)
			c := shard(t, b, 2)
			e.nodeOf(t, c).flipByte(t, c.ID, b.Layout().FrameOffset(1)+erasure.FrameHeader)
			checkRange(t, s, b, data, 0, b.Size)
			return b
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer e.cluster.reset()
			s := e.service(2)
			data := payload(degradedSize, uint64(60+i))
			before := e.stat(t, s, tt.lose(t, s, data).ID)
			lost := lostShard(t, before)

			healOnce(t, s, 1)
			after := e.stat(t, s, before.ID)
			e.checkStored(t, after)
			rebuilt := shard(t, after, lost.Number)
			if rebuilt.ID == lost.ID || rebuilt.ServerID == lost.ServerID {
				t.Errorf("shard %d is chunk %s on %s; want a new chunk on another server than %s", lost.Number, rebuilt.ID, rebuilt.ServerAddress, lost.ServerAddress)
			}
			if got := s.HealTotals().Shards; got != 1 {
				t.Errorf("HealTotals().Shards = %d; want 1", got)
			}
			e.checkGoneOrQueued(t, lost)
			healOnce(t, s, 0)

			// Two more shards lost, on nodes other than the rebuilt one's,
			// leave exactly six: the rebuilt shard is one of them.
			killed := 0
			for _, c := range after.Chunks {
				if n := e.nodeOf(t, c); killed < 2 && c.Number != lost.Number && n.id != rebuilt.ServerID {
					n.faults.kill()
					killed++
				}
			}
			checkRange(t, s, after, data, 0, after.Size)
		})
	}
}

// lostShard returns the one shard of b that is not stored.
func lostShard(t *testing.T, b objects.Blob) objects.Chunk {
	t.Helper()
	var lost []objects.Chunk
	for _, c := range b.Chunks {
		if c.Status != objects.ChunkStored {
			lost = append(lost, c)
		}
	}
	if len(lost) != 1 {
		t.Fatalf("blob has %d shards not stored; want 1", len(lost))
	}
	return lost[0]
}

// checkGoneOrQueued checks a replaced shard's row is gone and its file is
// either deleted from its node or queued for deletion there.
func (e *env) checkGoneOrQueued(t *testing.T, c objects.Chunk) {
	t.Helper()
	if n := e.count(t, `SELECT count(*) FROM chunks WHERE id = $1`, c.ID); n != 0 {
		t.Errorf("replaced shard %d still has its row", c.Number)
	}
	queued := e.count(t, `SELECT count(*) FROM chunk_deletions WHERE chunk_id = $1 AND storage_server_id = $2`, c.ID, c.ServerID) == 1
	if e.nodeOf(t, c).has(t, c.ID) && !queued {
		t.Errorf("replaced shard %d is still on %s and not queued for deletion", c.Number, c.ServerAddress)
	}
}

// A shard on a draining server is copied off it, not rebuilt: only the
// draining node is read. Its old file is queued for deletion until the
// node confirms.
func testDrain(t *testing.T, e *env) {
	defer e.cluster.reset()
	s := e.service(2)
	data := payload(degradedSize, 70)
	b := e.stat(t, s, e.put(t, s, data).ID)
	old := shard(t, b, 3)
	draining := e.nodeOf(t, old)
	e.exec(t, `UPDATE storage_servers SET status = 'draining' WHERE id = $1`, draining.id)
	e.cluster.leaveRing(draining)
	draining.faults.refuseMethod(storagepb.StorageService_DeleteChunk_FullMethodName, true)
	reads := map[*testNode]int{}
	for _, n := range e.cluster.nodes {
		reads[n] = n.faults.count(storagepb.StorageService_GetChunk_FullMethodName)
	}
	// Every shard on the server moves, earlier cases' blobs' too.
	held := e.count(t, `SELECT count(*) FROM chunks WHERE storage_server_id = $1`, draining.id)
	// Earlier cases may have left deletions queued for this server.
	queued := `SELECT count(*) FROM chunk_deletions WHERE storage_server_id = $1`
	queuedBefore := e.count(t, queued, draining.id)

	healOnce(t, s, held)
	after := e.stat(t, s, b.ID)
	e.checkStored(t, after)
	if moved := shard(t, after, 3); moved.ServerID == draining.id || moved.ID == old.ID {
		t.Errorf("shard 3 is chunk %s on %s; want a new chunk off the draining server", moved.ID, moved.ServerAddress)
	}
	if n := e.count(t, `SELECT count(*) FROM chunks WHERE storage_server_id = $1`, draining.id); n != 0 {
		t.Errorf("draining server still holds %d shard rows; want 0", n)
	}
	for _, n := range e.cluster.nodes {
		got := n.faults.count(storagepb.StorageService_GetChunk_FullMethodName) - reads[n]
		if n == draining && got != held {
			t.Errorf("the draining node served %d GetChunk calls; want %d, one per shard copied", got, held)
		}
		if n != draining && got != 0 {
			t.Errorf("%s served %d GetChunk calls; want 0: shards are copied, not rebuilt", n.address, got)
		}
	}
	if n := e.count(t, queued, draining.id) - queuedBefore; !draining.has(t, old.ID) || n != held {
		t.Fatalf("old shards: kept %v, %d deletions queued while the node refuses deletes; want kept and %d", draining.has(t, old.ID), n, held)
	}

	draining.faults.refuseMethod(storagepb.StorageService_DeleteChunk_FullMethodName, false)
	if _, err := s.ProcessDeletions(context.Background()); err != nil {
		t.Fatalf("ProcessDeletions: %v", err)
	}
	if n := e.count(t, queued, draining.id); n != 0 || draining.has(t, old.ID) {
		t.Errorf("after processing deletions, the draining node has %d deletions queued and holds the old shard: %v; want 0, false", n, draining.has(t, old.ID))
	}
	draining.faults.kill()
	e.nodeOf(t, shard(t, after, 0)).faults.kill()
	checkRange(t, s, after, data, 0, after.Size)
}
