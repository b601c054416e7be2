package db_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/db"
	"sixfold/db/dbtest"
	"sixfold/db/internal/dbq"
	"sixfold/migrations"
)

func TestMigrateConcurrentlyThenDown(t *testing.T) {
	dsn := dbtest.NewDatabase(t)
	// Two gateways starting at once must both succeed, applying each
	// migration once (golang-migrate holds an advisory lock).
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = db.Migrate(dsn) }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("migrate #%d: %v", i, err)
		}
	}
	ctx := context.Background()
	pool, err := db.Open(ctx, db.Config{URL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if got, want := countTables(t, pool), createdTables(t)+1; got != want { // + schema_migrations
		t.Errorf("tables after up = %d; want %d, the migrations' CREATE TABLEs and schema_migrations", got, want)
	}
	if err := db.MigrateDown(dsn); err != nil {
		t.Fatalf("down: %v", err)
	}
	if got := countTables(t, pool); got != 1 {
		t.Errorf("tables after down = %d; want 1 (schema_migrations)", got)
	}
}

// createTable matches a CREATE TABLE and captures the table's name.
var createTable = regexp.MustCompile(`(?i)CREATE TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*)`)

// upMigration is one up migration: its number and its SQL.
type upMigration struct {
	name   string
	number int
	sql    string
}

// upMigrations reads every up migration, in order.
func upMigrations(t *testing.T) []upMigration {
	t.Helper()
	names, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	ups := make([]upMigration, len(names))
	for i, name := range names {
		sql, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		ups[i] = upMigration{name: name, sql: string(sql)}
		if _, err := fmt.Sscanf(name, "%d_", &ups[i].number); err != nil {
			t.Fatalf("%s: no number: %v", name, err)
		}
	}
	return ups
}

// createdTables counts the distinct tables the up migrations create, so
// that the test follows the schema as it grows.
func createdTables(t *testing.T) int {
	t.Helper()
	tables := map[string]bool{}
	for _, up := range upMigrations(t) {
		for _, m := range createTable.FindAllStringSubmatch(up.sql, -1) {
			tables[strings.ToLower(m[1])] = true
		}
	}
	if len(tables) < 12 {
		t.Fatalf("found %d CREATE TABLEs in the migrations; the schema has had 12 since 0006", len(tables))
	}
	return len(tables)
}

func countTables(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	err := pool.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSchemaRejectsBadRows(t *testing.T) {
	pool, _ := dbtest.NewPool(t)
	ctx := context.Background()
	q := dbq.New(pool)
	fileID := uuid.New()
	if err := q.InsertFile(ctx, dbq.InsertFileParams{ID: fileID, Filename: "a", ContentType: "x", Size: 11 << 30, Metadata: []byte("{}"), Owner: "files", DataShards: 6}); err == nil {
		t.Error("a file over 10 GiB was accepted")
	}
	if err := q.InsertFile(ctx, dbq.InsertFileParams{ID: fileID, Filename: "a", ContentType: "x", Size: 1, Metadata: []byte("{}"), Owner: "files", DataShards: 6, ParityShards: 2, BlockSize: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	// A completed file must have a checksum.
	if _, err := pool.Exec(ctx, `UPDATE files SET status = 'completed' WHERE id = $1`, fileID); err == nil {
		t.Error("a completed file without checksum was accepted")
	}
	// A blob's layout must be a code Reed-Solomon can build.
	if err := q.InsertFile(ctx, dbq.InsertFileParams{ID: uuid.New(), Filename: "c", ContentType: "x", Size: 1, Metadata: []byte("{}"), Owner: "files"}); err == nil {
		t.Error("a file with 0 data shards was accepted")
	}
	_, err := q.GetFile(ctx, uuid.New())
	if !errors.Is(db.Translate(err), db.ErrNotFound) {
		t.Errorf("GetFile(missing) = %v; want ErrNotFound", err)
	}
	err = q.InsertFile(ctx, dbq.InsertFileParams{ID: fileID, Filename: "b", ContentType: "x", Size: 1, Metadata: []byte("{}"), Owner: "files", DataShards: 6})
	if !errors.Is(db.Translate(err), db.ErrConflict) {
		t.Errorf("duplicate InsertFile = %v; want ErrConflict", err)
	}
}

func TestPlacementRingExcludesStaleAndInactive(t *testing.T) {
	pool, _ := dbtest.NewPool(t)
	ctx := context.Background()
	q := dbq.New(pool)
	addrs := []string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"}
	ids := make([]uuid.UUID, len(addrs))
	for i, a := range addrs {
		s, err := q.UpsertStorageServer(ctx, dbq.UpsertStorageServerParams{ID: uuid.New(), Name: a, Address: a})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = s.ID
		if err := q.UpsertRingNodes(ctx, dbq.UpsertRingNodesParams{ServerID: s.ID, HashValues: []int64{int64(i) * 1000}}); err != nil {
			t.Fatal(err)
		}
	}
	// Re-registering by address keeps the id.
	again, err := q.UpsertStorageServer(ctx, dbq.UpsertStorageServerParams{ID: uuid.New(), Name: "x", Address: addrs[0]})
	if err != nil || again.ID != ids[0] {
		t.Fatalf("re-register = %v, %v; want id %v", again.ID, err, ids[0])
	}
	if _, err := pool.Exec(ctx, `UPDATE storage_servers SET last_heartbeat = now() - interval '1 hour' WHERE id = $1`, ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := q.SetServerStatus(ctx, dbq.SetServerStatusParams{ID: ids[2], Status: "maintenance"}); err != nil {
		t.Fatal(err)
	}
	rows, err := q.ListPlacementRingNodes(ctx, (30 * time.Second).Seconds())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].ServerID != ids[0] {
		t.Fatalf("ring = %+v; want only server %v", rows, ids[0])
	}
	stale, err := q.MarkStaleServersInactive(ctx, 30)
	if err != nil || len(stale) != 1 || stale[0].ID != ids[1] {
		t.Fatalf("MarkStaleServersInactive = %+v, %v; want server %v", stale, err, ids[1])
	}
}

func TestClaimsSkipLockedRows(t *testing.T) {
	pool, _ := dbtest.NewPool(t)
	ctx := context.Background()
	q := dbq.New(pool)
	s, err := q.UpsertStorageServer(ctx, dbq.UpsertStorageServerParams{ID: uuid.New(), Name: "n", Address: "127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := q.EnqueueChunkDeletion(ctx, dbq.EnqueueChunkDeletionParams{ChunkID: uuid.New(), StorageServerID: s.ID}); err != nil {
			t.Fatal(err)
		}
	}
	tx1, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback(ctx)
	first, err := dbq.New(tx1).ClaimDueChunkDeletions(ctx, dbq.ClaimDueChunkDeletionsParams{MaxRows: 2})
	if err != nil || len(first) != 2 {
		t.Fatalf("first claim = %d rows, %v; want 2", len(first), err)
	}
	tx2, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx2.Rollback(ctx)
	second, err := dbq.New(tx2).ClaimDueChunkDeletions(ctx, dbq.ClaimDueChunkDeletionsParams{MaxRows: 10})
	if err != nil || len(second) != 1 {
		t.Fatalf("second claim = %d rows, %v; want the 1 unlocked row", len(second), err)
	}
	for _, r := range first {
		if r.ChunkID == second[0].ChunkID {
			t.Fatalf("row %v claimed twice", r.ChunkID)
		}
	}
}

// firstConcurrentBuild is the first migration from which an index on a
// table that already holds rows is built CONCURRENTLY: a plain build blocks
// every write to the table until it ends (2.75 s per two million shard
// rows here), on every upgrade of every deployment.
const firstConcurrentBuild = 24

// TestLaterIndexesBuildConcurrently holds every up migration from
// firstConcurrentBuild on to that: an index it creates is either built
// CONCURRENTLY (alone in its file: golang-migrate sends a file as one
// query string, a transaction when it holds several statements, and
// TestMigrateConcurrentlyThenDown runs them all) or on a table the same
// file creates, which is still empty.
func TestLaterIndexesBuildConcurrently(t *testing.T) {
	index := regexp.MustCompile(`(?i)CREATE (?:UNIQUE )?INDEX (CONCURRENTLY )?(?:IF NOT EXISTS )?[a-z_][a-z0-9_]* ON (?:ONLY )?([a-z_][a-z0-9_]*)`)
	checked := 0
	for _, up := range upMigrations(t) {
		if up.number < firstConcurrentBuild {
			continue
		}
		sql := stripSQLComments(up.sql)
		created := map[string]bool{}
		for _, m := range createTable.FindAllStringSubmatch(sql, -1) {
			created[strings.ToLower(m[1])] = true
		}
		for _, m := range index.FindAllStringSubmatch(sql, -1) {
			checked++
			if m[1] == "" && !created[strings.ToLower(m[2])] {
				t.Errorf("%s: %q builds an index on %s, which holds rows, without CONCURRENTLY", up.name, m[0], m[2])
			}
		}
	}
	if checked < 2 {
		t.Errorf("checked %d index builds; migrations 0024 and 0025 build two", checked)
	}
}

// stripSQLComments drops -- comments, which may name statements.
func stripSQLComments(sql string) string {
	lines := strings.Split(sql, "\n")
	for i, l := range lines {
		if j := strings.Index(l, "--"); j >= 0 {
			lines[i] = l[:j]
		}
	}
	return strings.Join(lines, "\n")
}
