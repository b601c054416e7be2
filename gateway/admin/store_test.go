package admin

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/db"
	"sixfold/db/dbtest"
)

// fixture is a small cluster written straight into a fresh database.
type fixture struct {
	pool                  *pgxpool.Pool
	active, maint, silent uuid.UUID // fresh active; maintenance; active but stale
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	pool, _ := dbtest.NewPool(t)
	f := fixture{pool: pool, active: uuid.New(), maint: uuid.New(), silent: uuid.New()}
	f.exec(t, `INSERT INTO storage_servers (id, name, address, status, capacity_bytes, available_bytes, chunk_count, last_heartbeat) VALUES
		($1, 'storage-1', 'h:1', 'active', 1000, 600, 2, now()),
		($2, 'storage-2', 'h:2', 'maintenance', 1000, 700, 1, now()),
		($3, 'storage-3', 'h:3', 'active', 1000, 800, 0, now() - interval '1 hour')`, f.active, f.maint, f.silent)
	// Ten ring points each; only storage-1's are on the placement ring.
	f.exec(t, `INSERT INTO hash_ring_nodes (server_id, virtual_index, hash_value)
		SELECT s, i, i::bigint * 400000000 + o FROM generate_series(0, 9) i,
		(VALUES ($1::uuid, 1), ($2::uuid, 2), ($3::uuid, 3)) v(s, o)`, f.active, f.maint, f.silent)
	f.addBlob(t, "files", 60, f.active)
	blob := f.addBlob(t, "s3", 12, f.maint)
	f.exec(t, `INSERT INTO buckets (name) VALUES ('photos')`)
	obj := uuid.New()
	f.exec(t, `INSERT INTO objects (id, bucket, key, size, etag) VALUES ($1, 'photos', 'a.jpg', 12, 'e')`, obj)
	f.exec(t, `INSERT INTO object_parts (object_id, part_number, file_id, byte_offset, size, etag) VALUES ($1, 1, $2, 0, 12, 'e')`, obj, blob)
	return f
}

func (f fixture) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := f.pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// addBlob stores a completed blob of size bytes as six chunks on server.
func (f fixture) addBlob(t *testing.T, owner string, size int64, server uuid.UUID) uuid.UUID {
	t.Helper()
	id, sum := uuid.New(), strings.Repeat("a", 64)
	f.exec(t, `INSERT INTO files (id, filename, size, checksum, status, owner) VALUES ($1, 'f', $2, $3, 'completed', $4)`, id, size, sum, owner)
	f.exec(t, `INSERT INTO chunks (id, file_id, chunk_number, byte_offset, size, hash, storage_server_id, status)
		SELECT gen_random_uuid(), $1, n, n * $2 / 6, $2 / 6, $3, $4, 'stored' FROM generate_series(0, 5) n`, id, size, sum, server)
	return id
}

// testOptions are the gateway settings the fixture is built around.
var testOptions = PGOptions{HeartbeatTimeout: 30 * time.Second, HealAfter: 5 * time.Minute}

// addParityBlob stores a completed blob of six data and two parity shards
// (CRC32C hashes), shard i on servers[i], and returns its shard ids.
func (f fixture) addParityBlob(t *testing.T, servers [8]uuid.UUID) []uuid.UUID {
	t.Helper()
	id := uuid.New()
	f.exec(t, `INSERT INTO files (id, filename, size, checksum, status, owner, data_shards, parity_shards, block_size)
		VALUES ($1, 'p', 6000, $2, 'completed', 'files', 6, 2, 1048576)`, id, strings.Repeat("b", 64))
	shards := make([]uuid.UUID, len(servers))
	for i, server := range servers {
		shards[i] = uuid.New()
		f.exec(t, `INSERT INTO chunks (id, file_id, chunk_number, byte_offset, size, hash, storage_server_id, status)
			VALUES ($1, $2, $3, 0, 1004, '0123abcd', $4, 'stored')`, shards[i], id, i, server)
	}
	return shards
}

func TestPGCluster(t *testing.T) {
	f := newFixture(t)
	view, err := freshView(t, NewPG(db.NewStore(f.pool), testOptions))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		status         Status
		points         int
		share          float64
		recorded       int64
		staleAtLeast30 bool
	}{
		"storage-1": {StatusActive, 10, 1, 6, false},
		"storage-2": {StatusMaintenance, 0, 0, 6, false},
		"storage-3": {StatusActive, 0, 0, 0, true},
	}
	if len(view.Nodes) != len(want) {
		t.Fatalf("got %d nodes; want %d", len(view.Nodes), len(want))
	}
	for _, n := range view.Nodes {
		w := want[n.Name]
		if n.Status != w.status || n.RingPoints != w.points || math.Abs(n.RingShare-w.share) > 1e-12 ||
			n.ChunksRecorded != w.recorded || (n.HeartbeatAgeSeconds >= 30) != w.staleAtLeast30 {
			t.Errorf("%s = %+v; want %+v", n.Name, n, w)
		}
	}
	wantTotals := Totals{Nodes: 3, ActiveNodes: 2, MaintenanceNodes: 1, RingNodes: 1,
		CapacityBytes: 3000, AvailableBytes: 2100, Files: 1, FilesBytes: 60,
		S3Objects: 1, S3Buckets: 1, S3Bytes: 12, BytesStored: 72}
	if view.Totals != wantTotals {
		t.Fatalf("totals %+v; want %+v", view.Totals, wantTotals)
	}
	// Pre-parity chunks on active or maintenance nodes need no healing.
	if (view.Heal != Heal{}) {
		t.Fatalf("heal %+v; want nothing done and nothing pending", view.Heal)
	}
}

// TestPGClusterHealProgress checks what the view counts as pending
// (missing or corrupt shards, shards on a node silent past heal.after)
// and that it reports heal_stats as the healer records it.
func TestPGClusterHealProgress(t *testing.T) {
	f := newFixture(t)
	a, m, s := f.active, f.maint, f.silent
	shards := f.addParityBlob(t, [8]uuid.UUID{a, a, a, m, m, m, s, s}) // s: silent for an hour
	f.exec(t, `UPDATE chunks SET status = 'missing' WHERE id = $1`, shards[0])
	f.exec(t, `UPDATE chunks SET status = 'corrupt' WHERE id = $1`, shards[3])
	f.exec(t, `UPDATE heal_stats SET shards_healed = 5, bytes_healed = 5020, failures = 2,
		last_healed_at = '2026-12-04 15:00:00+00'`)
	view, err := freshView(t, NewPG(db.NewStore(f.pool), testOptions))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	want := Heal{ShardsHealed: 5, BytesHealed: 5020, Failures: 2, LastHealedAt: &at, ShardsPending: 4}
	if got := view.Heal; got.LastHealedAt == nil || !got.LastHealedAt.Equal(at) || got.LastHealedAt.Location() != time.UTC {
		t.Fatalf("last healed at %v; want %v in UTC", got.LastHealedAt, at)
	}
	view.Heal.LastHealedAt = &at
	if view.Heal != want {
		t.Fatalf("heal %+v; want %+v", view.Heal, want)
	}
	// With a heal.after longer than the silence, the silent node's
	// shards are not due yet.
	view, err = freshView(t, NewPG(db.NewStore(f.pool), PGOptions{HeartbeatTimeout: 30 * time.Second, HealAfter: 2 * time.Hour}))
	if err != nil || view.Heal.ShardsPending != 2 {
		t.Fatalf("pending %d (%v) with heal.after 2h; want the missing and the corrupt shard", view.Heal.ShardsPending, err)
	}
}

// TestPGDrain follows a drain as the operator sees it: the node's shards
// are pending and its recorded count falls as the healer swaps them onto
// other nodes; the healer retires it, and the operator can bring it back.
func TestPGDrain(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	store := NewPG(db.NewStore(f.pool), testOptions)
	a, m, fresh := f.active, f.maint, uuid.New()
	f.exec(t, `INSERT INTO storage_servers (id, name, address, status, last_heartbeat) VALUES ($1, 'storage-5', 'h:5', 'active', now())`, fresh)
	shards := f.addParityBlob(t, [8]uuid.UUID{a, a, a, a, m, m, m, m})
	if st, err := store.SetStatus(ctx, a, StatusDraining); err != nil || st.Status != StatusDraining {
		t.Fatalf("SetStatus(draining) = %+v, %v", st, err)
	}
	// storage-1 holds a pre-parity blob's six chunks and four shards.
	checkDrain(t, store, a, StatusDraining, 10, 10)
	blobs := db.NewBlobs(f.pool)
	for i, moved := range shards[:4] {
		swapped, err := blobs.SwapHealedChunks(ctx, fileOf(t, f, moved), []db.HealSwap{{NewID: uuid.New(), OldID: moved,
			Size: 1004, Hash: "0123abcd", ServerID: fresh}})
		if err != nil || len(swapped) != 1 || !swapped[0] {
			t.Fatalf("swap shard %d: %v, %v", i, swapped, err)
		}
		checkDrain(t, store, a, StatusDraining, int64(9-i), int64(9-i))
	}
	// The healer copies the pre-parity chunks off as it rebuilt the
	// shards; the outcome is the same.
	f.exec(t, `UPDATE chunks SET storage_server_id = $1 WHERE storage_server_id = $2`, fresh, a)
	removed, err := blobs.RemoveDrainedServers(ctx)
	if err != nil || len(removed) != 1 || removed[0].ID != a {
		t.Fatalf("RemoveDrainedServers = %+v, %v; want storage-1", removed, err)
	}
	view := checkDrain(t, store, a, StatusRemoved, 0, 0)
	if view.Totals.RemovedNodes != 1 || view.Totals.DrainingNodes != 0 || view.Totals.ActiveNodes != 2 || view.Totals.CapacityBytes != 2000 {
		t.Fatalf("totals %+v; want storage-1 counted removed and its capacity gone", view.Totals)
	}
	if st, err := store.SetStatus(ctx, a, StatusActive); err != nil || st.Status != StatusActive {
		t.Fatalf("SetStatus(active) on a removed node = %+v, %v; want active (its heartbeat is fresh)", st, err)
	}
}

// checkDrain reads the view and checks node id's status and recorded
// shards, and the shards pending; it returns the view.
func checkDrain(t *testing.T, store *PG, id uuid.UUID, status Status, recorded, pending int64) Cluster {
	t.Helper()
	view, err := freshView(t, store)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range view.Nodes {
		if n.ID == id && (n.Status != status || n.ChunksRecorded != recorded || n.RingPoints != 0) {
			t.Fatalf("node %+v; want %s, off the ring, with %d shards recorded", n, status, recorded)
		}
	}
	if view.Heal.ShardsPending != pending {
		t.Fatalf("%d shards pending; want %d", view.Heal.ShardsPending, pending)
	}
	return view
}

func fileOf(t *testing.T, f fixture, chunk uuid.UUID) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := f.pool.QueryRow(context.Background(), `SELECT file_id FROM chunks WHERE id = $1`, chunk).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPGSetStatus(t *testing.T) {
	f := newFixture(t)
	store := NewPG(db.NewStore(f.pool), testOptions)
	ctx := context.Background()
	stale := uuid.New()
	f.exec(t, `INSERT INTO storage_servers (id, name, address, status, last_heartbeat)
		VALUES ($1, 'storage-4', 'h:4', 'maintenance', now() - interval '1 hour')`, stale)
	tests := []struct {
		name   string
		id     uuid.UUID
		status Status
		want   Status
	}{
		{"active into maintenance", f.active, StatusMaintenance, StatusMaintenance},
		{"maintenance again", f.active, StatusMaintenance, StatusMaintenance},
		{"out of maintenance, fresh heartbeat", f.active, StatusActive, StatusActive},
		{"out of maintenance, stale heartbeat", stale, StatusActive, StatusInactive},
		{"active leaves an inactive node inactive", stale, StatusActive, StatusInactive},
		{"an inactive node into maintenance", stale, StatusMaintenance, StatusMaintenance},
		{"active into draining", f.active, StatusDraining, StatusDraining},
		{"draining again", f.active, StatusDraining, StatusDraining},
		{"draining back to active", f.active, StatusActive, StatusActive},
		{"maintenance into draining", f.maint, StatusDraining, StatusDraining},
		{"draining into maintenance", f.maint, StatusMaintenance, StatusMaintenance},
		{"an inactive node into draining", stale, StatusDraining, StatusDraining},
		{"draining, stale heartbeat, to active", stale, StatusActive, StatusInactive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := store.SetStatus(ctx, tt.id, tt.status)
			if err != nil || st.Status != tt.want || st.ID != tt.id {
				t.Fatalf("SetStatus(%s) = %+v, %v; want status %s", tt.status, st, err, tt.want)
			}
		})
	}
	if _, err := store.SetStatus(ctx, uuid.New(), StatusDraining); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown node: err = %v; want ErrNotFound", err)
	}
	for _, status := range []Status{StatusRemoved, StatusInactive, "retired"} {
		if st, err := store.SetStatus(ctx, f.active, status); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("SetStatus(%q) = %+v, %v; want a refusal", status, st, err)
		}
	}
	var status string
	if err := f.pool.QueryRow(ctx, `SELECT status FROM storage_servers WHERE id = $1`, f.active).Scan(&status); err != nil || status != "active" {
		t.Fatalf("after refused statuses storage-1 is %q (%v); want active", status, err)
	}
}

// TestPGSetStatusNotifiesGateways checks that the status trigger of
// migration 0004 tells listening gateways, so every ring follows.
func TestPGSetStatusNotifiesGateways(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := f.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN sixfold_ring"); err != nil {
		t.Fatal(err)
	}
	if _, err := NewPG(db.NewStore(f.pool), testOptions).SetStatus(ctx, f.active, StatusDraining); err != nil {
		t.Fatal(err)
	}
	n, err := conn.Conn().WaitForNotification(ctx)
	if err != nil || n.Payload != f.active.String() {
		t.Fatalf("notification %+v, %v; want one naming %s", n, err, f.active)
	}
}

// freshView refreshes the statistics, as the background refresher would,
// and reads the view.
func freshView(t *testing.T, store *PG) (Cluster, error) {
	t.Helper()
	if refreshed, err := store.RefreshStats(context.Background()); err != nil || !refreshed {
		t.Fatalf("RefreshStats = %v, %v; want a refresh", refreshed, err)
	}
	return store.Cluster(context.Background())
}

// The counts are the background refresh's: rows written after it show at
// the next one, and stats_as_of says when that was.
func TestViewCountsAsOfTheLastRefresh(t *testing.T) {
	f := newFixture(t)
	store := NewPG(db.NewStore(f.pool), testOptions)
	before, err := freshView(t, store)
	if err != nil {
		t.Fatal(err)
	}
	f.addBlob(t, "files", 600, f.active)
	// Neither an older version nor a delete marker is an object one can read.
	f.exec(t, `INSERT INTO objects (id, bucket, key, size, etag, version_id, is_latest) VALUES ($1, 'photos', 'a.jpg', 3, 'e0', 'v0', false)`, uuid.New())
	f.exec(t, `INSERT INTO objects (id, bucket, key, size, etag, version_id, delete_marker) VALUES ($1, 'photos', 'gone.jpg', 0, '', 'v1', true)`, uuid.New())
	stale, err := store.Cluster(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stale.Totals.Files != before.Totals.Files || !stale.StatsAsOf.Equal(before.StatsAsOf) {
		t.Fatalf("without a refresh: %d files as of %s; want the %d of %s", stale.Totals.Files, stale.StatsAsOf, before.Totals.Files, before.StatsAsOf)
	}
	after, err := freshView(t, store)
	if err != nil {
		t.Fatal(err)
	}
	if after.Totals.Files != before.Totals.Files+1 || after.Totals.FilesBytes != before.Totals.FilesBytes+600 ||
		after.Totals.S3Objects != 1 || !after.StatsAsOf.After(before.StatsAsOf) {
		t.Fatalf("after a refresh: %+v as of %s; want one more file of 600 bytes, still one S3 object, newer", after.Totals, after.StatsAsOf)
	}
	for _, n := range after.Nodes {
		if n.ID == f.active && (n.ChunksRecorded != 12 || n.BytesRecorded != 660) {
			t.Errorf("storage-1: %d shards of %d bytes recorded; want 12 of 660", n.ChunksRecorded, n.BytesRecorded)
		}
	}
}

// One gateway refreshes at a time: while one holds the turn, another skips.
func TestStatsRefreshIsOneGatewayAtATime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tx, err := f.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	var locked bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtext('sixfold.cluster_stats'))`).Scan(&locked); err != nil || !locked {
		t.Fatalf("taking the refresh turn: %v, %v", locked, err)
	}
	if refreshed, err := NewPG(db.NewStore(f.pool), testOptions).RefreshStats(ctx); err != nil || refreshed {
		t.Fatalf("RefreshStats while another gateway refreshes = %v, %v; want a skipped turn", refreshed, err)
	}
}
