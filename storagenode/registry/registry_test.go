package registry

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"sixfold/db"
	"sixfold/db/dbtest"
	"sixfold/db/ringpoint"
	"sixfold/storagenode/chunkstore"
)

// testDB returns a pool to a fresh, migrated database (see pgtest).
func testDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := db.Open(context.Background(), db.Config{URL: dbtest.NewMigratedDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func newRegistry(t *testing.T, pool *pgxpool.Pool, opts Options) (*Registry, *chunkstore.Store) {
	t.Helper()
	store, err := chunkstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return New(db.NewStore(pool), withDefaults(opts), store, testLog(t)), store
}

func testLog(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t))
}

// withDefaults fills what opts leaves unset with a test node's settings.
func withDefaults(opts Options) Options {
	if opts.Address == "" {
		opts.Address = "127.0.0.1:9001"
	}
	if opts.Name == "" {
		opts.Name = "storage-9001"
	}
	if opts.VirtualNodes == 0 {
		opts.VirtualNodes = 150
	}
	if opts.HeartbeatInterval == 0 {
		opts.HeartbeatInterval = time.Second
	}
	return opts
}

type serverRow struct {
	status                        string
	capacity, avail, chunks, used int64
	heartbeat                     time.Time
	host                          string // "" for NULL
	port                          int32  // 0 for NULL
}

func readServer(t *testing.T, pool *pgxpool.Pool, id uuid.UUID) serverRow {
	t.Helper()
	var r serverRow
	err := pool.QueryRow(context.Background(),
		`SELECT status, capacity_bytes, available_bytes, chunk_count, used_space, last_heartbeat, coalesce(host, ''), coalesce(port, 0)
		 FROM storage_servers WHERE id = $1`, id).
		Scan(&r.status, &r.capacity, &r.avail, &r.chunks, &r.used, &r.heartbeat, &r.host, &r.port)
	if err != nil {
		t.Fatalf("read server %s: %v", id, err)
	}
	return r
}

// readRing returns the server's ring points by virtual index.
func readRing(t *testing.T, pool *pgxpool.Pool, id uuid.UUID) []uint32 {
	t.Helper()
	rows, err := pool.Query(context.Background(),
		`SELECT hash_value FROM hash_ring_nodes WHERE server_id = $1 ORDER BY virtual_index`, id)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]uint32, len(vals))
	for i, v := range vals {
		out[i] = uint32(v)
	}
	return out
}

func equalPoints(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRegisterIsIdempotentByAddress(t *testing.T) {
	pool := testDB(t)
	ctx := context.Background()
	dataDir := t.TempDir()
	r, _ := newRegistry(t, pool, Options{DataDir: dataDir})
	id, err := r.Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := readRing(t, pool, id); !equalPoints(got, ringpoint.All(id.String(), 150)) {
		t.Fatalf("ring has %d points, not the 150 expected ones", len(got))
	}
	row := readServer(t, pool, id)
	if row.status != "active" || row.capacity <= 0 || row.avail <= 0 {
		t.Fatalf("server row = %+v", row)
	}
	if b, err := os.ReadFile(filepath.Join(dataDir, "node-id")); err != nil || strings.TrimSpace(string(b)) != id.String() {
		t.Fatalf("node-id file = %q, %v; want %s", b, err, id)
	}
	// A restart (a new Registry at the same address) keeps the id; fewer
	// virtual nodes drop the points above.
	r2, _ := newRegistry(t, pool, Options{VirtualNodes: 100})
	id2, err := r2.Register(ctx)
	if err != nil || id2 != id {
		t.Fatalf("second Register = %s, %v; want %s", id2, err, id)
	}
	if got := readRing(t, pool, id); !equalPoints(got, ringpoint.All(id.String(), 100)) {
		t.Fatalf("ring after shrinking has %d points; want the first 100", len(got))
	}
}

func TestHeartbeatAndDeactivate(t *testing.T) {
	pool := testDB(t)
	ctx := context.Background()
	r, store := newRegistry(t, pool, Options{})
	id, err := r.Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := readServer(t, pool, id)
	if _, err := store.Put(ctx, uuid.NewString(), strings.NewReader("chunk"), 5, chunkstore.DigestSHA256); err != nil {
		t.Fatal(err)
	}
	if err := r.Deactivate(ctx); err != nil {
		t.Fatal(err)
	}
	if got := readServer(t, pool, id).status; got != "inactive" {
		t.Fatalf("status after Deactivate = %q; want inactive", got)
	}
	if err := r.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	after := readServer(t, pool, id)
	if after.status != "active" || after.chunks != 1 || after.used != 5 || !after.heartbeat.After(before.heartbeat) {
		t.Fatalf("after Heartbeat: %+v (before %+v); want active, 1 chunk of 5 bytes, newer heartbeat", after, before)
	}
}

// The seed's host and port columns follow the address a node registers
// under, IPv6 included; an address that is not host:port leaves them NULL.
func TestHostAndPortFollowTheAddress(t *testing.T) {
	pool := testDB(t)
	for _, tt := range []struct {
		addr string
		host string
		port int32
	}{
		{"127.0.0.1:9001", "127.0.0.1", 9001},
		{"[::1]:9002", "::1", 9002},
		{"storage-3.internal:19003", "storage-3.internal", 19003},
		{"unix-socket", "", 0},
	} {
		r, _ := newRegistry(t, pool, Options{Address: tt.addr, Name: "n-" + tt.addr})
		id, err := r.Register(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if row := readServer(t, pool, id); row.host != tt.host || row.port != tt.port {
			t.Errorf("address %q: host %q port %d; want %q %d", tt.addr, row.host, row.port, tt.host, tt.port)
		}
	}
}

func TestHeartbeatReregistersDeletedRow(t *testing.T) {
	pool := testDB(t)
	ctx := context.Background()
	r, _ := newRegistry(t, pool, Options{})
	id, err := r.Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM storage_servers WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if err := r.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	if got := readServer(t, pool, id).status; got != "active" || r.ID() != id {
		t.Fatalf("after re-registration: status %q, id %s; want active, %s", got, r.ID(), id)
	}
	if got := readRing(t, pool, id); len(got) != 150 {
		t.Fatalf("ring after re-registration has %d points; want 150", len(got))
	}
}

// TestRunSurvivesLostConnections kills every backend of the test database
// mid-run, as a PostgreSQL restart would, and expects heartbeats to resume.
func TestRunSurvivesLostConnections(t *testing.T) {
	pool := testDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, _ := newRegistry(t, pool, Options{HeartbeatInterval: 50 * time.Millisecond})
	id, err := r.Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	waitForHeartbeatAfter(t, pool, id, readServer(t, pool, id).heartbeat)
	_, err = pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		t.Fatal(err)
	}
	waitForHeartbeatAfter(t, pool, id, time.Now())
	cancel()
	<-done
}

func waitForHeartbeatAfter(t *testing.T, pool *pgxpool.Pool, id uuid.UUID, since time.Time) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var hb time.Time
		err := pool.QueryRow(context.Background(), `SELECT last_heartbeat FROM storage_servers WHERE id = $1`, id).Scan(&hb)
		if err == nil && hb.After(since) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no heartbeat after %v within 10s", since)
}

func TestRegisterWithRetryStopsWithContext(t *testing.T) {
	// Nothing listens on port 1: every attempt fails at once.
	pool, err := pgxpool.New(context.Background(), "postgres://sixfold@127.0.0.1:1/sixfold?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	r, _ := newRegistry(t, pool, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := r.RegisterWithRetry(ctx); err != context.DeadlineExceeded {
		t.Fatalf("RegisterWithRetry = %v; want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took < time.Second || took > 3*time.Second {
		t.Fatalf("RegisterWithRetry returned after %v; want it to retry until the deadline", took)
	}
	if r.ID() != uuid.Nil {
		t.Fatalf("ID = %s after failed registration; want nil", r.ID())
	}
}

// beats is a HeartbeatObserver that keeps what it hears.
type beats struct {
	mu   sync.Mutex
	errs []error
}

func (b *beats) HeartbeatDone(_ time.Time, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errs = append(b.errs, err)
}

func (b *beats) heard() (ok, failed int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, err := range b.errs {
		if err == nil {
			ok++
		} else {
			failed++
		}
	}
	return ok, failed
}

func TestObserverHearsRegistrationAndHeartbeats(t *testing.T) {
	pool := testDB(t)
	obs := &beats{}
	// Beats come fast so the test is short, but each write may take as
	// long as a loaded CI machine needs: a timeout is not what is tested.
	r, _ := newRegistry(t, pool, Options{HeartbeatInterval: 20 * time.Millisecond, HeartbeatTimeout: 10 * time.Second, Observer: obs})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.RegisterWithRetry(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	deadline := time.Now().Add(30 * time.Second)
	for ok, _ := obs.heard(); ok < 3; ok, _ = obs.heard() {
		if time.Now().After(deadline) {
			t.Fatalf("observer heard %d successes; want 3 (registration and two heartbeats)", ok)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if _, failed := obs.heard(); failed != 0 {
		t.Fatalf("observer heard %d failures; want none", failed)
	}
}

func TestObserverHearsFailures(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "postgres://sixfold@127.0.0.1:1/sixfold?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	obs := &beats{}
	r, _ := newRegistry(t, pool, Options{Observer: obs})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	r.RegisterWithRetry(ctx)
	if ok, failed := obs.heard(); ok != 0 || failed < 1 {
		t.Fatalf("observer heard %d successes, %d failures; want 0 and at least 1", ok, failed)
	}
}
