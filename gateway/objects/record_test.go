package objects_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"sixfold/db"
	"sixfold/gateway/objects"
)

// TestWholeBlobRecordedOnce: a blob that fits one stripe is recorded
// completed in one go, its session included, and reads back.
func TestWholeBlobRecordedOnce(t *testing.T) {
	e := newEnv(t, 8)
	s := e.service(2)
	sessions := e.count(t, `SELECT count(*) FROM upload_sessions`)
	data := payload(testStripe, 41)
	b := e.put(t, s, data)
	if got := e.count(t, `SELECT count(*) FROM upload_sessions WHERE file_id = $1 AND status = 'completed' AND bytes_received = $2`, b.ID, len(data)); got != 1 {
		t.Errorf("completed sessions of the blob: %d; want 1", got)
	}
	if got := e.count(t, `SELECT count(*) FROM upload_sessions`); got != sessions+1 {
		t.Errorf("upload_sessions rows: %d after the put; want %d", got, sessions+1)
	}
	if got := e.count(t, `SELECT count(*) FROM files WHERE id = $1 AND status = 'completed' AND completed_at IS NOT NULL AND checksum IS NOT NULL`, b.ID); got != 1 {
		t.Errorf("completed files rows for the blob: %d; want 1", got)
	}
	if got := e.count(t, `SELECT count(*) FROM chunks WHERE file_id = $1 AND status = 'stored' AND uploaded_at IS NOT NULL AND hash IS NOT NULL`, b.ID); got != len(b.Chunks) {
		t.Errorf("stored chunk rows: %d; want %d", got, len(b.Chunks))
	}
	stored := e.stat(t, s, b.ID)
	e.checkStored(t, stored)
	checkRange(t, s, stored, data, 0, int64(len(data)))
}

// TestWholeBlobRecordedWhileWritten: a whole blob's rows, its commit
// hook's included, are written while its shards are on their way. One
// node is held until the hook runs, and still stores its shard: had the
// statements waited for the writes, the hook would have run only once that
// node's shard was given up (after the stall timeout) and left missing.
func TestWholeBlobRecordedWhileWritten(t *testing.T) {
	e := newEnv(t, 8)
	s := e.service(2)
	defer e.cluster.reset()
	held := e.cluster.nodes[5]
	held.faults.freeze()
	data := payload(testStripe/3, 43)
	in := putInput(data, true)
	hookRan := false
	in.OnCommit = func(ctx context.Context, tx *db.Tx, b objects.Blob) error {
		hookRan = true
		held.faults.thaw()
		return nil
	}
	b, err := s.Put(context.Background(), in)
	if err != nil || !hookRan {
		t.Fatalf("Put = %v (hook ran: %v)", err, hookRan)
	}
	if got := e.count(t, `SELECT count(*) FROM chunks WHERE file_id = $1 AND status = 'stored' AND hash IS NOT NULL`, b.ID); got != len(b.Chunks) {
		t.Errorf("stored chunk rows: %d; want all %d (the held node's shard given up?)", got, len(b.Chunks))
	}
	stored := e.stat(t, s, b.ID)
	e.checkStored(t, stored)
	checkRange(t, s, stored, data, 0, int64(len(data)))
}

// TestWholeBlobNotRecordedLate: a blob whose shards were sent longer ago
// than the limit (here the commit hook outlasts it) is not recorded but
// abandoned, so a node's sweep can never take a shard of a recorded blob.
func TestWholeBlobNotRecordedLate(t *testing.T) {
	e := newEnv(t, 8)
	s := e.service(2)
	objects.SetUnrecordedLimit(t, 300*time.Millisecond)
	before := e.tally(t)
	in := putInput(payload(testStripe/2, 42), true)
	in.OnCommit = func(ctx context.Context, tx *db.Tx, b objects.Blob) error {
		time.Sleep(500 * time.Millisecond)
		return nil
	}
	_, err := s.Put(context.Background(), in)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Put = %v; want the recording's deadline exceeded", err)
	}
	e.checkNothingLeft(t, before)
}
