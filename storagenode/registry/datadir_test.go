package registry

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"sixfold/db"
	"sixfold/storagenode/chunkstore"
	"sixfold/storagenode/identity"
	"sixfold/storagenode/internal/nodetest"
)

// nodeRegistry is a Registry over the Env's node address (127.0.0.1:9001)
// with store and its data directory dir.
func nodeRegistry(t *testing.T, e *nodetest.Env, store *chunkstore.Store, dir string) *Registry {
	t.Helper()
	opts := Options{Name: "storage-9001", Address: "127.0.0.1:9001", VirtualNodes: 3, HeartbeatInterval: time.Second, DataDir: dir}
	return New(e.DB, opts, store, e.Log)
}

// emptyDataDir opens a chunk store on a fresh directory: an unmounted or
// wiped volume.
func emptyDataDir(t *testing.T) (*chunkstore.Store, string) {
	t.Helper()
	dir := t.TempDir()
	store, err := chunkstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return store, dir
}

func wantMarker(t *testing.T, dir string, want identity.Marker) {
	t.Helper()
	got, err := identity.ReadMarker(dir)
	if err != nil || got == nil || *got != want {
		t.Fatalf("marker in %s = %v, %v; want %v", dir, got, err, want)
	}
}

func TestRegisterWithRetryWritesTheMarker(t *testing.T) {
	pool := testDB(t)
	ctx := context.Background()
	store, dir := emptyDataDir(t)
	opts := Options{Address: "127.0.0.1:9050", DataDir: dir}
	r := New(db.NewStore(pool), withDefaults(opts), store, testLog(t))
	if err := r.RegisterWithRetry(ctx); err != nil {
		t.Fatal(err)
	}
	wantMarker(t, dir, identity.Marker{ServerID: r.ID(), Address: opts.Address})
	// A restart on the same directory keeps the id and the marker.
	r2 := New(db.NewStore(pool), withDefaults(opts), store, testLog(t))
	if err := r2.RegisterWithRetry(ctx); err != nil || r2.ID() != r.ID() {
		t.Fatalf("restart: RegisterWithRetry = %v, id %s; want nil, %s", err, r2.ID(), r.ID())
	}
	wantMarker(t, dir, identity.Marker{ServerID: r.ID(), Address: opts.Address})
}

// TestEmptyDataDirIsRefusedBeforeRegistering: the node must not touch its
// row (no heartbeat, no status change) nor mark the empty directory.
func TestEmptyDataDirIsRefusedBeforeRegistering(t *testing.T) {
	e := nodetest.New(t)
	e.AddRow(t, nodetest.Row{ID: uuid.New(), Size: 10})
	e.Exec(t, `UPDATE storage_servers SET status = 'inactive', last_heartbeat = now() - interval '1 hour' WHERE id = $1`, e.NodeID)
	before := readServer(t, e.Pool, e.NodeID)
	store, dir := emptyDataDir(t)
	r := nodeRegistry(t, e, store, dir)
	err := r.RegisterWithRetry(context.Background())
	var refused *identity.RefusedError
	if !errors.As(err, &refused) || refused.ServerID != e.NodeID || refused.DataDir != dir {
		t.Fatalf("RegisterWithRetry = %v; want a refusal about %s in %s", err, e.NodeID, dir)
	}
	if after := readServer(t, e.Pool, e.NodeID); after != before {
		t.Fatalf("server row changed from %+v to %+v", before, after)
	}
	if r.ID() != uuid.Nil {
		t.Fatalf("ID = %s after a refusal; want nil", r.ID())
	}
	if _, err := os.Stat(filepath.Join(dir, identity.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("marker after a refusal: %v; want none", err)
	}
}

// TestUpgradeWithChunksGetsMarked: a directory from before markers, with
// chunk files, is accepted and marked.
func TestUpgradeWithChunksGetsMarked(t *testing.T) {
	e := nodetest.New(t)
	e.PutChunk(t, 10, 0)
	r := nodeRegistry(t, e, e.Store, e.Dir)
	if err := r.RegisterWithRetry(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.ID() != e.NodeID {
		t.Fatalf("registered as %s; want the existing row %s", r.ID(), e.NodeID)
	}
	wantMarker(t, e.Dir, identity.Marker{ServerID: e.NodeID, Address: "127.0.0.1:9001"})
}

// TestMarkedDirWithLostFilesStarts: the marker proves the volume is the
// node's own, so lost files are the scrub's and sweep's to flag, and the
// healer's to rebuild.
func TestMarkedDirWithLostFilesStarts(t *testing.T) {
	e := nodetest.New(t)
	e.AddRow(t, nodetest.Row{ID: uuid.New(), Size: 10})
	if err := identity.WriteMarker(e.Dir, identity.Marker{ServerID: e.NodeID, Address: "127.0.0.1:9001"}); err != nil {
		t.Fatal(err)
	}
	r := nodeRegistry(t, e, e.Store, e.Dir)
	if err := r.RegisterWithRetry(context.Background()); err != nil || r.ID() != e.NodeID {
		t.Fatalf("RegisterWithRetry = %v, id %s; want nil, %s", err, r.ID(), e.NodeID)
	}
}

// TestMarkerBringsBackItsID: a node whose row was deleted registers again
// under the id its directory names, so its chunks rows still point at it.
func TestMarkerBringsBackItsID(t *testing.T) {
	e := nodetest.New(t)
	gone := uuid.New()
	store, dir := emptyDataDir(t)
	if err := identity.WriteMarker(dir, identity.Marker{ServerID: gone, Address: "127.0.0.1:9050"}); err != nil {
		t.Fatal(err)
	}
	opts := withDefaults(Options{Address: "127.0.0.1:9050", DataDir: dir})
	r := New(e.DB, opts, store, e.Log)
	if err := r.RegisterWithRetry(context.Background()); err != nil || r.ID() != gone {
		t.Fatalf("RegisterWithRetry = %v, id %s; want nil, %s", err, r.ID(), gone)
	}
	if got := readServer(t, e.Pool, gone).status; got != "active" {
		t.Fatalf("status = %q; want active", got)
	}
}

func TestAnotherServersMarkerIsRefused(t *testing.T) {
	e := nodetest.New(t)
	store, dir := emptyDataDir(t)
	if err := identity.WriteMarker(dir, identity.Marker{ServerID: e.Other, Address: "127.0.0.1:9002"}); err != nil {
		t.Fatal(err)
	}
	r := nodeRegistry(t, e, store, dir)
	if err := r.RegisterWithRetry(context.Background()); !errors.Is(err, identity.ErrRefused) {
		t.Fatalf("RegisterWithRetry = %v; want a refusal", err)
	}
}

func TestDamagedMarkerStopsTheStart(t *testing.T) {
	e := nodetest.New(t)
	if err := os.WriteFile(filepath.Join(e.Dir, identity.FileName), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := nodeRegistry(t, e, e.Store, e.Dir)
	if err := r.RegisterWithRetry(ctx); err == nil || ctx.Err() != nil {
		t.Fatalf("RegisterWithRetry = %v (ctx %v); want an error at once", err, ctx.Err())
	}
	if r.ID() != uuid.Nil {
		t.Fatalf("registered as %s despite a damaged marker", r.ID())
	}
}
