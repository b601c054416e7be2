package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"sixfold/db"
	"sixfold/db/dbtest"
	"sixfold/proto/storagepb"
)

// sample returns the value of the first sample line of /metrics that starts
// with series (a name, or a name and labels), or -1 when there is none.
func sample(t *testing.T, url, series string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + `(?:\{[^}]*\})? (\S+)$`).FindSubmatch(body)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatalf("%s: %v", series, err)
	}
	return v
}

// TestRunServesMetricsAndRunsJobs runs the whole node with a metrics port
// and fast scrub and sweep: the metrics must show it heartbeating, count a
// chunk put over gRPC, and show a scrub pass over that chunk and a sweep
// that removed an orphan; after a signal the port must be closed.
func TestRunServesMetricsAndRunsJobs(t *testing.T) {
	dbURL := dbtest.NewMigratedDatabase(t)
	pool, err := db.Open(context.Background(), db.Config{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	dataDir := t.TempDir()
	orphan := plantOrphan(t, dataDir)
	t.Setenv("SCRUB_INTERVAL", "200ms")
	t.Setenv("SWEEP_INTERVAL", "200ms")
	t.Setenv("SWEEP_MIN_AGE", "1h")
	port, metricsPort := freePort(t), freePort(t)
	url := "http://127.0.0.1:" + metricsPort + "/metrics"
	ctx, signal := context.WithCancel(context.Background())
	defer signal()
	done := make(chan error, 1)
	args := []string{"-grpc-port", port, "-metrics-port", metricsPort, "-data-dir", dataDir,
		"-database-url", dbURL, "-heartbeat-interval", "100ms"}
	go func() { done <- run(ctx, args, zerolog.New(zerolog.NewTestWriter(t))) }()

	eventually(t, "heartbeat_up 1", func() bool { return sample(t, url, "sixfold_storagenode_heartbeat_up") == 1 })
	eventually(t, "orphan swept", func() bool { return sample(t, url, "sixfold_storagenode_sweep_orphans_removed_total") == 1 })
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Fatalf("orphan file: %v; want it removed", err)
	}
	id, sum, size := putOverGRPC(t, "127.0.0.1:"+port)
	recordChunk(t, pool, id, sum, size)
	if got := sample(t, url, "sixfold_storagenode_chunks"); got != 1 {
		t.Fatalf("sixfold_storagenode_chunks = %v; want 1", got)
	}
	if got := sample(t, url, "sixfold_storagenode_chunk_bytes_written_total"); got != float64(size) {
		t.Fatalf("chunk_bytes_written_total = %v; want %d", got, size)
	}
	eventually(t, "scrub pass", func() bool { return sample(t, url, "sixfold_storagenode_scrub_chunks_checked_total") >= 1 })
	if got := sample(t, url, "sixfold_storagenode_scrub_corrupt_chunks_total"); got != 0 {
		t.Fatalf("scrub_corrupt_chunks_total = %v; want 0", got)
	}
	if got := sample(t, url, `sixfold_storagenode_grpc_request_duration_seconds_count{code="OK",method="/sixfold.storage.v1.StorageService/PutChunk"}`); got != 1 {
		t.Fatalf("PutChunk OK count = %v; want 1", got)
	}
	signal()
	if err := <-done; err != nil {
		t.Fatalf("run = %v; want nil after a signal", err)
	}
	if _, err := http.Get(url); err == nil {
		t.Fatal("metrics server still answers after the node stopped")
	}
}

// plantOrphan writes a chunk file three hours old that no row knows.
func plantOrphan(t *testing.T, dataDir string) string {
	t.Helper()
	id := uuid.NewString()
	p := filepath.Join(dataDir, "chunks", id[:2], id)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("orphan"), 0o644); err != nil {
		t.Fatal(err)
	}
	then := time.Now().Add(-3 * time.Hour)
	if err := os.Chtimes(p, then, then); err != nil {
		t.Fatal(err)
	}
	return p
}

func putOverGRPC(t *testing.T, addr string) (string, string, int) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := storagepb.NewStorageServiceClient(conn).PutChunk(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	id, data := uuid.NewString(), bytes.Repeat([]byte("sixfold"), 100)
	msg := &storagepb.PutChunkRequest{Header: &storagepb.PutChunkHeader{ChunkId: id, ExpectedSize: int64(len(data))}, Data: data}
	if err := stream.Send(msg); err != nil {
		t.Fatal(err)
	}
	res, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if res.GetSha256() != hex.EncodeToString(sum[:]) {
		t.Fatalf("PutChunk sha256 = %s; want %x", res.GetSha256(), sum)
	}
	return id, res.GetSha256(), len(data)
}

// recordChunk writes the rows a completed upload would have left, with the
// chunk on the one registered node.
func recordChunk(t *testing.T, pool *pgxpool.Pool, id, sum string, size int) {
	t.Helper()
	fileID := uuid.NewString()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO files (id, filename, size) VALUES ($1, 'f', $2)`, []any{fileID, size}},
		{`INSERT INTO chunks (id, file_id, chunk_number, byte_offset, size, hash, storage_server_id, status)
			SELECT $1, $2, 0, 0, $3, $4, id, 'stored' FROM storage_servers`, []any{id, fileID, size, sum}},
	} {
		if _, err := pool.Exec(context.Background(), q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
}
