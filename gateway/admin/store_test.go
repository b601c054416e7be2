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

func TestPGCluster(t *testing.T) {
	f := newFixture(t)
	view, err := NewPG(f.pool, 30*time.Second).Cluster(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		status         string
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
}

func TestPGSetMaintenance(t *testing.T) {
	f := newFixture(t)
	store := NewPG(f.pool, 30*time.Second)
	ctx := context.Background()
	stale := uuid.New()
	f.exec(t, `INSERT INTO storage_servers (id, name, address, status, last_heartbeat)
		VALUES ($1, 'storage-4', 'h:4', 'maintenance', now() - interval '1 hour')`, stale)
	tests := []struct {
		name string
		id   uuid.UUID
		on   bool
		want string
	}{
		{"active into maintenance", f.active, true, StatusMaintenance},
		{"maintenance again", f.active, true, StatusMaintenance},
		{"out of maintenance, fresh heartbeat", f.active, false, StatusActive},
		{"out of maintenance, stale heartbeat", stale, false, StatusInactive},
		{"off leaves an inactive node inactive", stale, false, StatusInactive},
		{"an inactive node into maintenance", stale, true, StatusMaintenance},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := store.SetMaintenance(ctx, tt.id, tt.on)
			if err != nil || st.Status != tt.want || st.ID != tt.id {
				t.Fatalf("SetMaintenance = %+v, %v; want status %s", st, err, tt.want)
			}
		})
	}
	if _, err := store.SetMaintenance(ctx, uuid.New(), true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown node: err = %v; want ErrNotFound", err)
	}
}

// TestPGSetMaintenanceNotifiesGateways checks that the status trigger of
// migration 0004 tells listening gateways, so every ring follows.
func TestPGSetMaintenanceNotifiesGateways(t *testing.T) {
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
	if _, err := NewPG(f.pool, 30*time.Second).SetMaintenance(ctx, f.active, true); err != nil {
		t.Fatal(err)
	}
	n, err := conn.Conn().WaitForNotification(ctx)
	if err != nil || n.Payload != f.active.String() {
		t.Fatalf("notification %+v, %v; want one naming %s", n, err, f.active)
	}
}
