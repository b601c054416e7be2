package harness

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
)

// A row committed on the primary is on the standby when the commit returns
// (synchronous replication), so after the primary is killed outright and
// the standby promoted, the row is there and a client holding the
// multi-host URL writes to the new primary without being told of the
// switch.
func TestStandbyTakesOverAfterPrimaryKilled(t *testing.T) {
	requirePostgres(t)
	ctx := t.Context()
	parent := reachableTempDir(t)
	primary := startTestPostgres(t, filepath.Join(parent, "pg"))
	standby, err := primary.StartStandby(ctx, filepath.Join(parent, "pg-standby"))
	if err != nil {
		t.Fatalf("StartStandby: %v", err)
	}
	t.Cleanup(func() { _ = standby.Stop() })
	if _, err := primary.CreateDatabase(ctx, "ha"); err != nil {
		t.Fatal(err)
	}
	url := MultiHostURL("ha", primary, standby)
	execSQL(t, url, "CREATE TABLE acked (n int)", "INSERT INTO acked VALUES (1)")
	if in, err := standby.InRecovery(ctx); err != nil || !in {
		t.Fatalf("standby InRecovery = %v, %v; want true", in, err)
	}

	primary.Kill()
	if primary.Running() {
		t.Fatal("primary still running after Kill")
	}
	if err := standby.Promote(ctx); err != nil {
		t.Fatalf("Promote: %v", err)
	}
	if in, err := standby.InRecovery(ctx); err != nil || in {
		t.Fatalf("promoted standby InRecovery = %v, %v; want false", in, err)
	}
	execSQL(t, url, "INSERT INTO acked VALUES (2)")
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var sum int
	if err := conn.QueryRow(ctx, "SELECT sum(n) FROM acked").Scan(&sum); err != nil || sum != 3 {
		t.Fatalf("sum over the promoted standby = %d, %v; want 3 (the row acknowledged before the kill and the one after)", sum, err)
	}
	if got := conn.PgConn().Conn().RemoteAddr().String(); got != fmt.Sprintf("127.0.0.1:%d", standby.Port()) {
		t.Fatalf("multi-host URL connected to %s; want the promoted standby %s", got, fmt.Sprintf("127.0.0.1:%d", standby.Port()))
	}
}

func execSQL(t *testing.T, url string, sqls ...string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	defer conn.Close(t.Context())
	for _, sql := range sqls {
		if _, err := conn.Exec(t.Context(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}
