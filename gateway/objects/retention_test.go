package objects_test

import (
	"context"
	"testing"
	"time"

	"sixfold/gateway/objects"
)

// With a retention, a deleted blob's shards stay on their nodes, and
// queued, until the retention has passed since they were queued, whichever
// way they were queued; so metadata restored to before the delete finds
// every byte. Then the deletion job removes them as usual.
func TestDeletionRetention(t *testing.T) {
	e := newEnv(t, 8)
	ctx := context.Background()
	s := e.service(2, func(o *objects.Options) { o.Retention = time.Hour })
	deleted := e.stat(t, s, e.put(t, s, payload(3*testStripe+5, 91)).ID)
	if err := s.Delete(ctx, deleted.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	// Queued by another path (a healer's swap, an expired session) with no
	// delay of its own, and its rows gone, as such paths leave them.
	swapped := e.stat(t, s, e.put(t, s, payload(testStripe, 92)).ID)
	e.exec(t, `INSERT INTO chunk_deletions (chunk_id, storage_server_id) SELECT id, storage_server_id FROM chunks WHERE file_id = $1`, swapped.ID)
	e.exec(t, `DELETE FROM files WHERE id = $1`, swapped.ID)
	queued := len(deleted.Chunks) + len(swapped.Chunks)

	if n, err := s.ProcessDeletions(ctx); err != nil || n != 0 {
		t.Fatalf("ProcessDeletions within the retention = %d, %v; want 0 deleted", n, err)
	}
	for _, b := range []objects.Blob{deleted, swapped} {
		for _, c := range b.Chunks {
			if !e.nodeOf(t, c).has(t, c.ID) {
				t.Errorf("shard %d of %s is gone from its node within the retention", c.Number, b.ID)
			}
		}
	}
	held := `SELECT count(*) FROM chunk_deletions WHERE next_attempt_at >= enqueued_at + interval '59 minutes'`
	if n := e.count(t, held); n != queued {
		t.Fatalf("%d of %d queued shards are due an hour after they were queued; want all", n, queued)
	}

	e.exec(t, `UPDATE chunk_deletions SET enqueued_at = enqueued_at - interval '61 minutes', next_attempt_at = now()`)
	if n, err := s.ProcessDeletions(ctx); err != nil || n != queued {
		t.Fatalf("ProcessDeletions after the retention = %d, %v; want %d", n, err, queued)
	}
	for _, b := range []objects.Blob{deleted, swapped} {
		for _, c := range b.Chunks {
			if e.nodeOf(t, c).has(t, c.ID) {
				t.Errorf("shard %d of %s is still on its node after the retention", c.Number, b.ID)
			}
		}
	}
	if n := e.count(t, `SELECT count(*) FROM chunk_deletions`); n != 0 {
		t.Errorf("%d deletions still queued; want 0", n)
	}
}

// Without a retention a delete removes the shards at once, and holds the
// queue rows meanwhile so no other gateway's job deletes them a second time.
func TestDeleteWithoutRetentionIsImmediate(t *testing.T) {
	e := newEnv(t, 8)
	ctx := context.Background()
	s := e.service(2)
	b := e.stat(t, s, e.put(t, s, payload(testStripe, 93)).ID)
	if err := s.Delete(ctx, b.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for _, c := range b.Chunks {
		if e.nodeOf(t, c).has(t, c.ID) {
			t.Errorf("shard %d still on its node after Delete", c.Number)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM chunk_deletions`); n != 0 {
		t.Errorf("%d deletions still queued; want 0", n)
	}
}
