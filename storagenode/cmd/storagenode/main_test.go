package main

import (
	"context"
	"net"
	"strconv"
	"strings"
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
	"sixfold/storagenode/internal/nodetest"
)

func freePort(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	return strconv.Itoa(lis.Addr().(*net.TCPAddr).Port)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func serverStatus(pool *pgxpool.Pool, id string) string {
	var status string
	pool.QueryRow(context.Background(), `SELECT status FROM storage_servers WHERE id = $1`, id).Scan(&status)
	return status
}

// TestRunRegistersThenDrains runs the whole node over TCP and real
// PostgreSQL: it must register and answer SERVING, and on a signal mark
// itself inactive, let an in-flight upload finish, and return nil.
func TestRunRegistersThenDrains(t *testing.T) {
	dbURL := dbtest.NewMigratedDatabase(t)
	pool, err := db.Open(context.Background(), db.Config{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	port := freePort(t)
	ctx, signal := context.WithCancel(context.Background())
	defer signal()
	done := make(chan error, 1)
	args := []string{"-grpc-port", port, "-data-dir", t.TempDir(), "-database-url", dbURL, "-heartbeat-interval", "100ms"}
	go func() { done <- run(ctx, args, zerolog.New(zerolog.NewTestWriter(t))) }()

	conn, err := grpc.NewClient("127.0.0.1:"+port, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := storagepb.NewStorageServiceClient(conn)
	var nodeID string
	eventually(t, "SERVING", func() bool {
		res, err := client.HealthCheck(context.Background(), &storagepb.HealthCheckRequest{})
		nodeID = res.GetServerId()
		return err == nil && res.GetStatus() == storagepb.HealthCheckResponse_STATUS_SERVING
	})
	if got := serverStatus(pool, nodeID); got != "active" {
		t.Fatalf("status of %s = %q; want active", nodeID, got)
	}

	stream, err := client.PutChunk(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 1<<20)
	first := &storagepb.PutChunkRequest{Header: &storagepb.PutChunkHeader{ChunkId: uuid.NewString(), ExpectedSize: 2 << 20}, Data: data}
	if err := stream.Send(first); err != nil {
		t.Fatal(err)
	}
	signal()
	eventually(t, "inactive", func() bool { return serverStatus(pool, nodeID) == "inactive" })
	time.Sleep(100 * time.Millisecond) // let GracefulStop begin
	select {
	case err := <-done:
		t.Fatalf("run returned (%v) while an upload was in flight", err)
	default:
	}
	if err := stream.Send(&storagepb.PutChunkRequest{Data: data}); err != nil {
		t.Fatal(err)
	}
	res, err := stream.CloseAndRecv()
	if err != nil || res.GetSize() != 2<<20 {
		t.Fatalf("in-flight PutChunk = %v, %v; want 2 MiB stored", res, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("run = %v; want nil after a signal", err)
	}
	if got := serverStatus(pool, nodeID); got != "inactive" {
		t.Fatalf("status after exit = %q; want inactive", got)
	}
}

// TestLogLevel runs the node at the default level and at LOG_LEVEL=debug:
// a call it served is logged only at debug, while its own events are
// logged at both.
func TestLogLevel(t *testing.T) {
	dbURL := dbtest.NewMigratedDatabase(t)
	for _, tt := range []struct {
		level     string // "" leaves LOG_LEVEL unset
		callLines bool
	}{{"", false}, {"debug", true}} {
		t.Run("LOG_LEVEL="+tt.level, func(t *testing.T) {
			if tt.level != "" {
				t.Setenv("LOG_LEVEL", tt.level)
			}
			port := freePort(t)
			var logs nodetest.LogBuffer
			args := []string{"-grpc-port", port, "-data-dir", t.TempDir(), "-database-url", dbURL}
			serveThenStop(t, port, args, &logs, func(client storagepb.StorageServiceClient) {
				if _, err := client.GetStats(context.Background(), &storagepb.GetStatsRequest{}); err != nil {
					t.Fatal(err)
				}
			})
			got := logs.String()
			if !strings.Contains(got, `"message":"registered; serving"`) {
				t.Fatalf("no start-up line at level %q:\n%s", tt.level, got)
			}
			if served := strings.Contains(got, `"method":"/sixfold.storage.v1.StorageService/GetStats"`); served != tt.callLines {
				t.Fatalf("a line for the GetStats call served: %v at level %q; want %v:\n%s", served, tt.level, tt.callLines, got)
			}
		})
	}
}
