package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"sixfold/db/dbtest"
	"sixfold/proto/storagepb"
	"sixfold/storagenode/identity"
)

// asMainEnv makes the test binary run main() with its arguments instead of
// the tests, so that a test can see the exit status a supervisor sees.
const asMainEnv = "SIXFOLD_STORAGENODE_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// seedServer records a server at address holding one stored shard, as
// PostgreSQL would after the node had run, and returns the server's id
// and the shard row's id.
func seedServer(t *testing.T, pool *pgxpool.Pool, address string) (server, shard uuid.UUID) {
	t.Helper()
	server, shard, file := uuid.New(), uuid.New(), uuid.New()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO storage_servers (id, name, address, status, chunk_count) VALUES ($1, 'storage-x', $2, 'inactive', 1)`,
			[]any{server, address}},
		{`INSERT INTO files (id, filename, size) VALUES ($1, 'f', 10)`, []any{file}},
		{`INSERT INTO chunks (id, file_id, chunk_number, byte_offset, size, hash, storage_server_id, status)
			VALUES ($1, $2, 0, 0, 10, $3, $4, 'stored')`, []any{shard, file, "0a1b2c3d", server}},
	} {
		if _, err := pool.Exec(context.Background(), q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	return server, shard
}

// TestWipedDataDirExitsRefused runs the binary on an empty data directory
// of a server PostgreSQL says holds a shard: it must exit with exitRefused,
// say what is wrong and how to fix it, and leave its row alone. Once the
// operator has moved the shard away (what a drain does), the node starts
// on the same directory and marks it.
func TestWipedDataDirExitsRefused(t *testing.T) {
	pool, dbURL := dbtest.NewPool(t)
	port := freePort(t)
	server, shard := seedServer(t, pool, "127.0.0.1:"+port)
	dataDir := t.TempDir()
	args := []string{"-grpc-port", port, "-data-dir", dataDir, "-database-url", dbURL}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), asMainEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitRefused {
		t.Fatalf("storagenode on a wiped data dir: %v; want exit status %d\n%s", err, exitRefused, stderr.String())
	}
	t.Logf("the refusal, as logged:\n%s", stderr.String())
	for _, want := range []string{dataDir, server.String(), "no chunk files and no identity marker",
		"mount the right volume, or drain/replace the node: `gateway admin drain " + server.String() + "`"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log does not say %q:\n%s", want, stderr.String())
		}
	}
	if got := serverStatus(pool, server.String()); got != "inactive" {
		t.Errorf("status after the refusal = %q; want it left inactive", got)
	}

	// The drain rebuilt the shard on another node.
	other := uuid.New()
	if _, err := pool.Exec(ctx, `INSERT INTO storage_servers (id, name, address) VALUES ($1, 'storage-y', '127.0.0.1:1')`, other); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE chunks SET storage_server_id = $2 WHERE id = $1`, shard, other); err != nil {
		t.Fatal(err)
	}
	startAndStop(t, port, args)
	m, err := identity.ReadMarker(dataDir)
	if err != nil || m == nil || m.ServerID != server {
		t.Fatalf("marker after a normal start = %v, %v; want server %s", m, err, server)
	}
}

// startAndStop runs the node in-process until it serves on port, then
// signals it.
func startAndStop(t *testing.T, port string, args []string) {
	t.Helper()
	serveThenStop(t, port, args, zerolog.NewTestWriter(t), nil)
}

// serveThenStop runs the node in-process, logging to logs, until it serves
// on port; runs during (when not nil) with a client of it; then signals it
// and waits for run to return nil.
func serveThenStop(t *testing.T, port string, args []string, logs io.Writer, during func(storagepb.StorageServiceClient)) {
	t.Helper()
	ctx, signal := context.WithCancel(context.Background())
	defer signal()
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, zerolog.New(logs)) }()
	conn, err := grpc.NewClient("127.0.0.1:"+port, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := storagepb.NewStorageServiceClient(conn)
	eventually(t, "SERVING", func() bool {
		res, err := client.HealthCheck(context.Background(), &storagepb.HealthCheckRequest{})
		return err == nil && res.GetStatus() == storagepb.HealthCheckResponse_STATUS_SERVING
	})
	if during != nil {
		during(client)
	}
	signal()
	if err := <-done; err != nil {
		t.Fatalf("run = %v; want nil after a signal", err)
	}
}

func TestReportExitStatus(t *testing.T) {
	log := zerolog.New(zerolog.NewTestWriter(t))
	refusal := &identity.RefusedError{DataDir: "/data", Reason: "empty", Fix: "mount it"}
	for _, tt := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{context.Canceled, 1},
		{refusal, exitRefused},
		{errors.Join(errors.New("registration"), refusal), exitRefused},
	} {
		if got := report(tt.err, log); got != tt.want {
			t.Errorf("report(%v) = %d; want %d", tt.err, got, tt.want)
		}
	}
}
