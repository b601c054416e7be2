package objects_test

import (
	"context"
	"testing"
	"time"

	"sixfold/db/dbtest"
	"sixfold/gateway/objects"
)

// TestLostCommitReply runs writes whose transaction commits while its
// client hears only a dropped connection, as when the primary dies right
// after committing. Whatever the service does to clean up after the error,
// the rows that did commit must still name files that exist.
func TestLostCommitReply(t *testing.T) {
	pool, proxy := dbtest.NewLostCommitPool(t)
	e := newEnvOn(t, pool, 8)

	// An upload's completing statement commits unheard: the upload fails,
	// and the blob must be gone entirely (rows, files), not half. A blob
	// of one stripe is recorded in one statement once written; a longer
	// one is begun first and completed at the end.
	for _, tt := range []struct {
		name, statement string
		size            int
	}{
		{"put whole", "RecordBlob", testStripe - 100},
		{"put streamed", "CompleteUpload", degradedSize},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := e.service(2)
			before := e.tally(t)
			proxy.CutCommitAfter("-- name: " + tt.statement + " ")
			cuts := proxy.Cuts()
			if _, err := s.Put(context.Background(), putInput(payload(tt.size, 80), true)); err == nil {
				t.Fatal("Put succeeded although its commit's reply was lost")
			}
			if proxy.Cuts() != cuts+1 {
				t.Fatalf("the proxy cut %d commits; want 1: the test did not lose the commit it meant to", proxy.Cuts()-cuts)
			}
			e.checkNothingLeft(t, before)
		})
	}

	// A rebuilt shard swapped in unheard: its row names it, so the healer
	// must not delete it, now or through the deletion queue.
	t.Run("heal swap", func(t *testing.T) {
		defer e.cluster.reset()
		s := e.service(2)
		data := payload(degradedSize, 81)
		e.cluster.nodes[2].faults.kill()
		before := e.stat(t, s, e.put(t, s, data).ID)
		lost := lostShard(t, before)

		proxy.CutCommitAfter("-- name: ReplaceHealedChunk ")
		cuts := proxy.Cuts()
		healOnce(t, s, 1)
		if proxy.Cuts() != cuts+1 {
			t.Fatalf("the proxy cut %d commits; want 1", proxy.Cuts()-cuts)
		}
		after := e.stat(t, s, before.ID)
		rebuilt := shard(t, after, lost.Number)
		if rebuilt.ID == lost.ID {
			t.Fatalf("shard %d is still the lost chunk: the swap did not commit", lost.Number)
		}
		e.checkStored(t, after)

		// Whatever was queued, worked now rather than after its hold.
		e.exec(t, `UPDATE chunk_deletions SET next_attempt_at = now()`)
		if _, err := s.ProcessDeletions(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.checkStored(t, after)
		if n := e.count(t, `SELECT count(*) FROM chunk_deletions WHERE chunk_id = $1`, rebuilt.ID); n != 0 {
			t.Errorf("the rebuilt shard, which its row names, is still queued for deletion")
		}
		healOnce(t, s, 0)
		checkRange(t, s, after, data, 0, after.Size)
	})
}

// TestAbandonOutlastsOutage: a whole blob's COMMIT breaks off with
// PostgreSQL, which then stays away for longer than the client is kept
// waiting. Whether the COMMIT went through (its rows committed) or never
// reached the server (its shards have no row, and no session will expire
// to name them), the failed upload is cleaned up once PostgreSQL is back,
// not left to the nodes' sweep hours later.
func TestAbandonOutlastsOutage(t *testing.T) {
	pool, proxy := dbtest.NewLostCommitPool(t)
	e := newEnvOn(t, pool, 8)
	objects.SetAbandonWaits(t, 200*time.Millisecond, time.Minute)
	const outage = 1500 * time.Millisecond
	for _, tt := range []struct {
		name string
		arm  func()
	}{
		{"commit withheld", func() { proxy.WithholdCommitAfter("-- name: RecordBlob "); proxy.RefuseAfterCut(outage) }},
		{"commit reply lost", func() { proxy.CutCommitAfter("-- name: RecordBlob "); proxy.RefuseAfterCut(outage) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := e.service(2)
			before := e.tally(t)
			tt.arm()
			cuts := proxy.Cuts()
			if _, err := s.Put(context.Background(), putInput(payload(testStripe-100, 82), true)); err == nil {
				t.Fatal("Put succeeded although its COMMIT broke off")
			}
			if proxy.Cuts() != cuts+1 {
				t.Fatalf("the proxy cut %d commits; want 1", proxy.Cuts()-cuts)
			}
			time.Sleep(outage) // the test's own queries go through the proxy too
			e.waitNothingLeft(t, before, 20*time.Second)
		})
	}
}
