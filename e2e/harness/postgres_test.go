package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// requirePostgres skips a test that needs PostgreSQL server binaries when
// they are missing, except in CI, where missing binaries are a broken setup
// that must fail loudly rather than silently skip the suite.
func requirePostgres(t *testing.T) {
	t.Helper()
	_, err := findPGBinaries()
	if err == nil {
		_, err = currentServerUser()
	}
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but PostgreSQL cannot run: %v", err)
	}
	t.Skipf("PostgreSQL cannot run here: %v", err)
}

// reachableTempDir is a temp dir the postgres user can reach when tests run
// as root (t.TempDir's top dir is 0700).
func reachableTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sixfold-harness-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func startTestPostgres(t *testing.T, dataDir string) *Postgres {
	t.Helper()
	pg, err := StartPostgres(t.Context(), dataDir, tWriter{t})
	if err != nil {
		t.Fatalf("StartPostgres: %v", err)
	}
	t.Cleanup(func() {
		if err := pg.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return pg
}

// tWriter sends harness progress lines to the test log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func selectOne(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return err
	}
	if one != 1 {
		return fmt.Errorf("SELECT 1 returned %d", one)
	}
	return nil
}

func TestStartPostgres(t *testing.T) {
	requirePostgres(t)
	ctx := t.Context()
	dataDir := filepath.Join(reachableTempDir(t), "pg")
	pg := startTestPostgres(t, dataDir)

	url, err := pg.CreateDatabase(ctx, "harness_test")
	if err != nil {
		t.Fatalf("CreateDatabase: %v", err)
	}
	if err := selectOne(ctx, url); err != nil {
		t.Fatalf("SELECT 1 on %s: %v", url, err)
	}
	if _, err := pg.CreateDatabase(ctx, "harness_test"); err != nil {
		t.Errorf("CreateDatabase of an existing database: %v; want nil", err)
	}
	if _, err := os.Stat(pg.LogPath()); err != nil {
		t.Errorf("server log: %v", err)
	}
	if err := pg.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := selectOne(ctx, url); err == nil {
		t.Fatalf("SELECT 1 after Stop succeeded; want an error")
	}
}

func TestStartPostgresReusesData(t *testing.T) {
	requirePostgres(t)
	ctx := t.Context()
	dataDir := filepath.Join(reachableTempDir(t), "pg")
	first := startTestPostgres(t, dataDir)
	if _, err := first.CreateDatabase(ctx, "kept"); err != nil {
		t.Fatal(err)
	}
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}

	second := startTestPostgres(t, dataDir)
	url, err := WithDatabase(second.URL(), "kept")
	if err != nil {
		t.Fatal(err)
	}
	if err := selectOne(ctx, url); err != nil {
		t.Fatalf("database from the first run: %v", err)
	}
	if err := DropDatabaseAt(ctx, second.URL(), "kept"); err != nil {
		t.Fatalf("DropDatabaseAt: %v", err)
	}
	if err := selectOne(ctx, url); err == nil {
		t.Fatalf("SELECT 1 on a dropped database succeeded")
	}
}

func TestPostgresStopForAndRestart(t *testing.T) {
	requirePostgres(t)
	ctx := t.Context()
	pg := startTestPostgres(t, filepath.Join(reachableTempDir(t), "pg"))

	restarted, err := pg.StopFor(ctx, time.Second)
	if err != nil {
		t.Fatalf("StopFor: %v", err)
	}
	if err := selectOne(ctx, pg.URL()); err == nil {
		t.Errorf("SELECT 1 while stopped succeeded")
	}
	if err := <-restarted; err != nil {
		t.Fatalf("restart after StopFor: %v", err)
	}
	if err := selectOne(ctx, pg.URL()); err != nil {
		t.Fatalf("SELECT 1 after StopFor: %v", err)
	}
	port := pg.Port()
	if err := pg.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if pg.Port() != port {
		t.Errorf("port after Restart = %d; want %d", pg.Port(), port)
	}
	if err := selectOne(ctx, pg.URL()); err != nil {
		t.Fatalf("SELECT 1 after Restart: %v", err)
	}
}

// A data dir deep enough that its socket path would exceed the kernel's limit
// still works: the socket goes to a short dir under /tmp.
func TestPostgresLongDataDir(t *testing.T) {
	requirePostgres(t)
	long := filepath.Join(reachableTempDir(t), strings.Repeat("d", 60), strings.Repeat("e", 40), "pg")
	if !socketPathTooLong(long) {
		t.Fatalf("test dir %s is not long enough", long)
	}
	pg := startTestPostgres(t, long)
	if err := selectOne(t.Context(), pg.URL()); err != nil {
		t.Fatal(err)
	}
}

func TestStartPostgresUnreachableDirAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs PostgreSQL as another user")
	}
	requirePostgres(t)
	private := t.TempDir() // under a 0700 dir of root's
	_, err := StartPostgres(t.Context(), filepath.Join(private, "pg"), nil)
	if err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("StartPostgres in a dir postgres cannot reach: err = %v; want a 'cannot reach' error", err)
	}
}

// With SIXFOLD_TEST_DATABASE_URL set (make test), the external-server path the
// e2e clusters use is exercised too.
func TestExternalServerDatabase(t *testing.T) {
	server := os.Getenv(EnvTestDatabaseURL)
	if server == "" {
		t.Skip(EnvTestDatabaseURL + " not set")
	}
	ctx := t.Context()
	name := UniqueDatabaseName("harness_test")
	url, err := CreateDatabaseAt(ctx, server, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = DropDatabaseAt(context.Background(), server, name) })
	if err := selectOne(ctx, url); err != nil {
		t.Fatal(err)
	}
}
