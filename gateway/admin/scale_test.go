package admin

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"sixfold/db"
)

const envAdminChunks = "SIXFOLD_ADMIN_CHUNKS"

// TestClusterViewAtScale times the operator's view and its background
// refresh over generated blobs of eight shards each spread over six
// servers, and checks the counts against a scan (timings are only logged:
// this machine class is shared). It uses 48,000 chunks, or as many as
// SIXFOLD_ADMIN_CHUNKS says, up to 20,000,000:
//
//	go build -o /tmp/sfdev ./e2e/cmd/sixfold-dev
//	SIXFOLD_ADMIN_CHUNKS=10000000 /tmp/sfdev with-postgres -- \
//	    go test -count=1 -run TestClusterViewAtScale -v -timeout 60m ./gateway/admin/
func TestClusterViewAtScale(t *testing.T) {
	chunks := 48_000
	if v := os.Getenv(envAdminChunks); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 8 || n > 20_000_000 {
			t.Fatalf("%s=%q: want a number of chunks from 8 to 20000000", envAdminChunks, v)
		}
		chunks = n
	}
	blobs := chunks / 8
	f := newFixture(t)
	ctx := context.Background()
	start := time.Now()
	f.exec(t, `INSERT INTO storage_servers (id, name, address, status, capacity_bytes, available_bytes, chunk_count, last_heartbeat)
		SELECT gen_random_uuid(), 'gen-' || i, 'gen:' || i, 'active', 1 << 40, 1 << 39, 0, now() FROM generate_series(1, 6) i`)
	f.exec(t, `INSERT INTO files (id, filename, size, checksum, status, owner, data_shards, parity_shards, block_size)
		SELECT gen_random_uuid(), 'gen', 6 << 20, repeat('b', 64), 'completed', 'files', 6, 2, 1048576 FROM generate_series(1, $1) i`, blobs)
	f.exec(t, `INSERT INTO chunks (id, file_id, chunk_number, byte_offset, size, hash, storage_server_id, status)
		SELECT gen_random_uuid(), f.id, n, 0, 1048580, 'abcdef01', s.id[1 + (n + hashtext(f.id::text) & 1023) % 6], 'stored'
		FROM files f, generate_series(0, 7) n,
		     (SELECT array_agg(id ORDER BY name) AS id FROM storage_servers WHERE name LIKE 'gen-%') s
		WHERE f.filename = 'gen'`)
	f.exec(t, `ANALYZE`)
	t.Logf("generated %d blobs, %d chunks in %s", blobs, blobs*8, time.Since(start).Round(time.Millisecond))

	store := NewPG(db.NewStore(f.pool), testOptions)
	start = time.Now()
	if refreshed, err := store.RefreshStats(ctx); err != nil || !refreshed {
		t.Fatalf("RefreshStats = %v, %v", refreshed, err)
	}
	refresh := time.Since(start)
	var best time.Duration
	var view Cluster
	for range 5 {
		start = time.Now()
		v, err := store.Cluster(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); best == 0 || took < best {
			best = took
		}
		view = v
	}
	t.Logf("%d chunks: GET /admin/cluster's reads %s (best of 5); background refresh %s", blobs*8, best.Round(time.Microsecond), refresh.Round(time.Millisecond))
	// The healer's claim runs every heal.interval on every gateway: on a
	// healthy cluster it must find nothing without reading every chunk.
	start = time.Now()
	claimed, err := db.NewBlobs(f.pool).ClaimHealWork(ctx, time.Minute, 5*time.Minute, 64)
	if err != nil || len(claimed) != 0 {
		t.Fatalf("ClaimHealWork on a healthy cluster = %d shards, %v; want none", len(claimed), err)
	}
	t.Logf("%d chunks: the healer's claim with nothing due %s", blobs*8, time.Since(start).Round(time.Microsecond))

	rows, err := f.pool.Query(ctx, `SELECT storage_server_id, count(*) FROM chunks WHERE status = 'stored' GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	scanned := map[string]int64{}
	for rows.Next() {
		var id [16]byte
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		scanned[string(id[:])] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, n := range view.Nodes {
		if n.ChunksRecorded != scanned[string(n.ID[:])] {
			t.Errorf("%s: %d chunks recorded in the view; a scan counts %d", n.Name, n.ChunksRecorded, scanned[string(n.ID[:])])
		}
		total += n.ChunksRecorded
	}
	if want := int64(blobs*8) + 12; total != want {
		t.Errorf("the view records %d chunks in all; want %d", total, want)
	}
	if want := int64(blobs) + 1; view.Totals.Files != want {
		t.Errorf("the view counts %d files; want %d", view.Totals.Files, want)
	}
}
