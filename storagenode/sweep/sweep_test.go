package sweep

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"sixfold/storagenode/internal/nodetest"
)

// counter is an Observer that remembers what it heard.
type counter struct{ orphans, missing int }

func (c *counter) SweepOrphanRemoved()       { c.orphans++ }
func (c *counter) SweepMissingFlagged(n int) { c.missing += n }

const minAge = 2 * time.Hour

func newSweeper(e *nodetest.Env, obs Observer) *Sweeper {
	opts := Options{NodeID: e.NodeID, MinAge: minAge, BatchSize: 2, Observer: obs}
	return New(e.DB, e.Store, opts, e.Log)
}

func TestSweep(t *testing.T) {
	e := nodetest.New(t)
	old := 3 * time.Hour
	keep := map[string]uuid.UUID{
		"old referenced":   e.PutChunk(t, 10, old),
		"young referenced": e.PutChunk(t, 10, 0),
	}
	keep["young orphan"], _ = e.PutFile(t, uuid.Nil, 10, time.Hour)
	// An upload in flight: its row is still pending (a slow upload keeps its
	// session alive past MinAge), and still names the first server it tried.
	keep["old, pending row on another server"], _ = e.PutFile(t, uuid.Nil, 10, old)
	e.AddRow(t, nodetest.Row{ID: keep["old, pending row on another server"], Server: e.Other, Status: "pending", Age: old})
	// A deletion queued for this node: the queue removes it after its grace.
	keep["old, deletion queued"], _ = e.PutFile(t, uuid.Nil, 10, old)
	e.Exec(t, `INSERT INTO chunk_deletions (chunk_id, storage_server_id) VALUES ($1, $2)`, keep["old, deletion queued"], e.NodeID)

	orphan, _ := e.PutFile(t, uuid.Nil, 10, old)
	queuedElsewhere, _ := e.PutFile(t, uuid.Nil, 10, old)
	e.Exec(t, `INSERT INTO chunk_deletions (chunk_id, storage_server_id) VALUES ($1, $2)`, queuedElsewhere, e.Other)

	lost := e.PutChunk(t, 10, 2*time.Minute)
	inFlight := uuid.New() // stored a moment ago; its file is not visible yet
	e.AddRow(t, nodetest.Row{ID: inFlight, Size: 10})
	othersLost := uuid.New() // another node's chunk: not this node's to flag
	e.AddRow(t, nodetest.Row{ID: othersLost, Server: e.Other, Size: 10, Age: old})
	removeFile(t, e, lost)

	obs := &counter{}
	res, err := newSweeper(e, obs).RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Result{Files: 7, OrphansRemoved: 2, MissingFlagged: 1}); res != want {
		t.Fatalf("RunOnce = %+v; want %+v", res, want)
	}
	if obs.orphans != 2 || obs.missing != 1 {
		t.Fatalf("observer heard %+v; want 2 orphans, 1 missing", obs)
	}
	for name, id := range keep {
		if !e.Exists(t, id) {
			t.Errorf("%s: removed; want kept", name)
		}
	}
	for name, id := range map[string]uuid.UUID{"old orphan": orphan, "queued for another node": queuedElsewhere} {
		if e.Exists(t, id) {
			t.Errorf("%s: kept; want removed", name)
		}
	}
	wantStatus := map[uuid.UUID]string{lost: "missing", inFlight: "stored", othersLost: "stored",
		keep["old referenced"]: "stored", keep["young referenced"]: "stored"}
	for id, want := range wantStatus {
		if got := e.Status(t, id); got != want {
			t.Errorf("status of %s = %q; want %q", id, got, want)
		}
	}
	st, err := e.Store.Stats()
	if err != nil || st.Chunks != 5 {
		t.Fatalf("store holds %d chunks (%v); want 5 after the sweep", st.Chunks, err)
	}
}

func TestSweepAgainChangesNothing(t *testing.T) {
	e := nodetest.New(t)
	orphan, _ := e.PutFile(t, uuid.Nil, 10, 3*time.Hour)
	lost := e.PutChunk(t, 10, time.Hour)
	removeFile(t, e, lost)
	s := newSweeper(e, nil)
	if res, err := s.RunOnce(context.Background()); err != nil || res.OrphansRemoved != 1 || res.MissingFlagged != 1 {
		t.Fatalf("first RunOnce = %+v, %v", res, err)
	}
	if res, err := s.RunOnce(context.Background()); err != nil || res != (Result{}) {
		t.Fatalf("second RunOnce = %+v, %v; want nothing to do", res, err)
	}
	if e.Exists(t, orphan) {
		t.Fatal("orphan still on disk")
	}
}

func TestSweepNeedsMinAge(t *testing.T) {
	e := nodetest.New(t)
	orphan, _ := e.PutFile(t, uuid.Nil, 10, 3*time.Hour)
	s := New(e.DB, e.Store, Options{NodeID: e.NodeID}, e.Log)
	if _, err := s.RunOnce(context.Background()); err == nil {
		t.Fatal("RunOnce without MinAge succeeded; want an error")
	}
	if !e.Exists(t, orphan) {
		t.Fatal("RunOnce without MinAge removed a file")
	}
}

// removeFile deletes a chunk file but not its row, as a failing disk or a
// careless operator would.
func removeFile(t *testing.T, e *nodetest.Env, id uuid.UUID) {
	t.Helper()
	if _, err := e.Store.Delete(id.String()); err != nil {
		t.Fatal(err)
	}
}
