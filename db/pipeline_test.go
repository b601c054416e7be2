package db_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/db"
	"sixfold/db/dbtest"
	"sixfold/db/internal/dbq"
)

// roundTrips counts the calls that reach PostgreSQL through a DBTX.
type roundTrips struct {
	dbq.DBTX
	calls []string
}

func (r *roundTrips) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	r.calls = append(r.calls, "Exec")
	return r.DBTX.Exec(ctx, sql, args...)
}

func (r *roundTrips) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	r.calls = append(r.calls, "Query")
	return r.DBTX.Query(ctx, sql, args...)
}

func (r *roundTrips) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	r.calls = append(r.calls, "QueryRow")
	return r.DBTX.QueryRow(ctx, sql, args...)
}

func (r *roundTrips) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	r.calls = append(r.calls, "SendBatch")
	return r.DBTX.SendBatch(ctx, b)
}

// A key's lock and its read travel in one round trip, the lock is held
// once the read has answered, and statements after that go out one by one.
func TestAheadSendsHeldStatementsWithTheQuery(t *testing.T) {
	ctx := context.Background()
	pool, _ := dbtest.NewPool(t)
	if _, err := db.NewStore(pool).CreateBucket(ctx, "ahead", ""); err != nil {
		t.Fatal(err)
	}
	tx := begin(t, pool)
	trips := &roundTrips{DBTX: tx}
	q := db.AheadOf(trips)

	if err := q.LockObjectName(ctx, dbq.LockObjectNameParams{Bucket: "ahead", Key: "k"}); err != nil {
		t.Fatalf("held LockObjectName = %v", err)
	}
	if len(trips.calls) != 0 {
		t.Fatalf("a held statement went out on its own: %v", trips.calls)
	}
	rows, err := q.LockKeyForWrite(ctx, dbq.LockKeyForWriteParams{Bucket: "ahead", Key: "k", VersionID: "null"})
	if err != nil {
		t.Fatalf("LockKeyForWrite = %v", err)
	}
	if len(rows) != 1 || rows[0].Found {
		t.Fatalf("rows = %+v; want the bucket's row and no object", rows)
	}
	if want := []string{"SendBatch"}; !slices.Equal(trips.calls, want) {
		t.Fatalf("round trips = %v; want %v", trips.calls, want)
	}

	if !lockedElsewhere(t, pool, "ahead/k") {
		t.Fatal("another session took the key's lock: the held LockObjectName did not run")
	}

	if err := q.LockObjectName(ctx, dbq.LockObjectNameParams{Bucket: "ahead", Key: "other"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"SendBatch", "Exec"}; !slices.Equal(trips.calls, want) {
		t.Fatalf("round trips = %v; want %v (statements after the first query go straight out)", trips.calls, want)
	}
}

// A held statement that fails makes the query it travels with fail with
// its error, as it would have failed on its own.
func TestAheadReportsHeldStatementsError(t *testing.T) {
	ctx := context.Background()
	pool, _ := dbtest.NewPool(t)
	holder := begin(t, pool)
	if err := dbq.New(holder).LockObjectName(ctx, dbq.LockObjectNameParams{Bucket: "b", Key: "k"}); err != nil {
		t.Fatal(err)
	}

	tx := begin(t, pool)
	if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '50ms'"); err != nil {
		t.Fatal(err)
	}
	q := db.AheadOf(tx)
	q.LockObjectName(ctx, dbq.LockObjectNameParams{Bucket: "b", Key: "k"}) //nolint:errcheck // comes back below
	_, err := q.LockKeyForWrite(ctx, dbq.LockKeyForWriteParams{Bucket: "b", Key: "k", VersionID: "null"})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "55P03" {
		t.Fatalf("LockKeyForWrite = %v; want the held lock's timeout (55P03)", err)
	}
}

// A batch after held statements sends them first, on their own: a batch's
// results are read by position.
func TestAheadSendsHeldStatementsBeforeABatch(t *testing.T) {
	ctx := context.Background()
	pool, _ := dbtest.NewPool(t)
	tx := begin(t, pool)
	trips := &roundTrips{DBTX: tx}
	q := db.AheadOf(trips)
	q.LockObjectName(ctx, dbq.LockObjectNameParams{Bucket: "b", Key: "k"}) //nolint:errcheck // sent before the batch
	var errs []error
	q.LockFile(ctx, []uuid.UUID{uuid.New(), uuid.New()}).Exec(func(_ int, err error) { errs = append(errs, err) })
	if len(errs) != 2 || errs[0] != nil || errs[1] != nil {
		t.Fatalf("LockFile results = %v; want two without error", errs)
	}
	if want := []string{"SendBatch", "SendBatch"}; !slices.Equal(trips.calls, want) {
		t.Fatalf("round trips = %v; want %v", trips.calls, want)
	}
	if !lockedElsewhere(t, pool, "b/k") {
		t.Fatal("another session took the key's lock: the held LockObjectName did not run")
	}
}

// lockedElsewhere reports whether a session of pool other than the
// caller's transaction finds the advisory lock LockObjectName takes for
// bucketKey ("bucket/key") held.
func lockedElsewhere(t *testing.T, pool *pgxpool.Pool, bucketKey string) bool {
	t.Helper()
	var taken bool
	if err := pool.QueryRow(context.Background(), "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", bucketKey).Scan(&taken); err != nil {
		t.Fatal(err)
	}
	return !taken
}

// begin begins a transaction that the test's end rolls back.
func begin(t *testing.T, pool *pgxpool.Pool) pgx.Tx {
	t.Helper()
	tx, err := pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	return tx
}
