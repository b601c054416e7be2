package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/db"
	"sixfold/db/dbtest"
	"sixfold/db/internal/dbq"
)

// sum is a checksum as the schema wants one: SHA-256 in lowercase hex.
var sum = strings.Repeat("ab", 32)

// serversMade numbers the servers newServer registers.
var serversMade atomic.Int64

// newUpload plans a 6+2 blob of size bytes on server.
func newUpload(server uuid.UUID, size int64) db.NewUpload {
	u := db.NewUpload{File: db.File{ID: uuid.New(), Filename: "o", ContentType: "application/octet-stream", Size: size,
		Metadata: []byte("{}"), DataShards: 6, ParityShards: 2, BlockSize: 1 << 20},
		Door: "s3", SessionID: uuid.New(), SessionTimeout: time.Minute, ClientIP: "127.0.0.1"}
	for i := range 8 {
		u.Chunks = append(u.Chunks, db.Chunk{ID: uuid.New(), Number: i, Size: (size + 5) / 6, ServerID: server})
	}
	return u
}

// stored is u's chunks as a finished upload reports them.
func stored(u db.NewUpload) []db.Chunk {
	done := make([]db.Chunk, len(u.Chunks))
	for i, c := range u.Chunks {
		c.Hash, c.Status = fmt.Sprintf("%08x", i), "stored"
		done[i] = c
	}
	return done
}

// newServer registers a storage server of its own at each call.
func newServer(t testing.TB, pool *pgxpool.Pool) uuid.UUID {
	n := serversMade.Add(1)
	s, err := dbq.New(pool).UpsertStorageServer(context.Background(),
		dbq.UpsertStorageServerParams{ID: uuid.New(), Name: fmt.Sprintf("n%d", n), Address: fmt.Sprintf("127.0.0.1:%d", n)})
	if err != nil {
		t.Fatal(err)
	}
	return s.ID
}

// TestUploadRowsInOneStatement: BeginUpload's single statement records the
// file, its session and its chunks; CompleteUpload's completes all three and
// the onCommit writes, and a completion whose chunk rows vanished changes
// nothing.
func TestUploadRowsInOneStatement(t *testing.T) {
	pool, _ := dbtest.NewPool(t)
	ctx := context.Background()
	blobs := db.NewBlobs(pool)
	server := newServer(t, pool)

	u := newUpload(server, 4096)
	if err := blobs.BeginUpload(ctx, u); err != nil {
		t.Fatal(err)
	}
	f, chunks, err := blobs.GetFile(ctx, u.File.ID)
	if err != nil || f.Status != "uploading" || len(chunks) != 8 || chunks[7].Status != "pending" {
		t.Fatalf("after BeginUpload: %+v, %d chunks, %v", f, len(chunks), err)
	}
	var sessions int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM upload_sessions WHERE id = $1 AND file_id = $2 AND status = 'active'`,
		u.SessionID, u.File.ID).Scan(&sessions); err != nil || sessions != 1 {
		t.Fatalf("active sessions = %d, %v; want 1", sessions, err)
	}

	var sawCreated time.Time
	created, err := blobs.CompleteUpload(ctx, u.File.ID, 4000, sum, stored(u), func(tx *db.Tx, createdAt time.Time) error {
		sawCreated = createdAt
		return nil
	})
	if err != nil || created.IsZero() || !created.Equal(sawCreated) {
		t.Fatalf("CompleteUpload = %v, %v (onCommit saw %v)", created, err, sawCreated)
	}
	f, chunks, err = blobs.GetFile(ctx, u.File.ID)
	if err != nil || f.Status != "completed" || f.Size != 4000 || f.Checksum != sum || chunks[3].Status != "stored" || chunks[3].Hash != "00000003" {
		t.Fatalf("after CompleteUpload: %+v, %+v, %v", f, chunks[3], err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM upload_sessions WHERE file_id = $1 AND status = 'completed' AND bytes_received = 4000`,
		u.File.ID).Scan(&sessions); err != nil || sessions != 1 {
		t.Fatalf("completed sessions = %d, %v; want 1", sessions, err)
	}

	// A chunk row gone (as if cleaned up) fails the completion, and the
	// file, its other chunks and its session stay as they were.
	v := newUpload(server, 4096)
	if err := blobs.BeginUpload(ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM chunks WHERE id = $1`, v.Chunks[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := blobs.CompleteUpload(ctx, v.File.ID, 4096, sum, stored(v), nil); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("CompleteUpload with a vanished chunk = %v; want ErrNotFound", err)
	}
	f, chunks, err = blobs.GetFile(ctx, v.File.ID)
	if err != nil || f.Status != "uploading" || len(chunks) != 7 || chunks[0].Status != "pending" {
		t.Fatalf("after a failed completion: %+v, %d chunks, %v", f, len(chunks), err)
	}
	// onCommit's error undoes the completion too.
	boom := errors.New("boom")
	if _, err := blobs.CompleteUpload(ctx, v.File.ID, 4096, sum, stored(v)[1:], func(*db.Tx, time.Time) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("CompleteUpload with a failing onCommit = %v; want boom", err)
	}
	if f, _, err = blobs.GetFile(ctx, v.File.ID); err != nil || f.Status != "uploading" {
		t.Fatalf("after onCommit failed: %+v, %v", f, err)
	}
	// A file no longer uploading (its session expired and was removed) is
	// ErrNotFound.
	if _, err := blobs.CompleteUpload(ctx, uuid.New(), 1, "", nil, nil); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("CompleteUpload of an unknown file = %v; want ErrNotFound", err)
	}
}

// TestRecordBlobSettles: RecordBlob writes the rows as hoped for, then
// Settle decides: the chunks it names are recorded missing, without a
// hash; an error from it records nothing, onCommit's writes included.
func TestRecordBlobSettles(t *testing.T) {
	pool, _ := dbtest.NewPool(t)
	ctx := context.Background()
	blobs := db.NewBlobs(pool)
	server := newServer(t, pool)
	newBlob := func() db.NewBlob {
		u := newUpload(server, 4096)
		return db.NewBlob{File: u.File, Door: u.Door, SessionID: u.SessionID, StartedAt: time.Now(),
			SessionTimeout: u.SessionTimeout, ClientIP: u.ClientIP, Chunks: stored(u)}
	}
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	nb := newBlob()
	settled := false
	nb.Settle = func() ([]uuid.UUID, error) {
		settled = true
		return []uuid.UUID{nb.Chunks[2].ID, nb.Chunks[7].ID}, nil
	}
	if _, err := blobs.RecordBlob(ctx, nb, nil); err != nil || !settled {
		t.Fatalf("RecordBlob = %v (settled: %v)", err, settled)
	}
	if got := count(`SELECT count(*) FROM chunks WHERE file_id = $1 AND status = 'missing' AND hash IS NULL AND uploaded_at IS NULL AND id = ANY($2)`,
		nb.File.ID, []uuid.UUID{nb.Chunks[2].ID, nb.Chunks[7].ID}); got != 2 {
		t.Errorf("chunks recorded missing: %d; want 2", got)
	}
	if got := count(`SELECT count(*) FROM chunks WHERE file_id = $1 AND status = 'stored' AND hash IS NOT NULL`, nb.File.ID); got != 6 {
		t.Errorf("chunks recorded stored: %d; want 6", got)
	}

	failed := newBlob()
	quorumLost := errors.New("write quorum lost")
	failed.Settle = func() ([]uuid.UUID, error) { return nil, quorumLost }
	if _, err := db.NewStore(pool).CreateBucket(ctx, "settle", "s3"); err != nil {
		t.Fatal(err)
	}
	hookRan := false
	_, err := blobs.RecordBlob(ctx, failed, func(tx *db.Tx, _ time.Time) error {
		hookRan = true
		if _, err := tx.LockKeyForWrite(ctx, "settle", "k", "null"); err != nil {
			return err
		}
		obj := db.Object{ID: failed.File.ID, Bucket: "settle", Key: "k", VersionID: "null", Size: 4096,
			ETag: "e", Meta: []byte("{}"), Checksums: []byte("{}")}
		return tx.InsertObject(ctx, obj, []db.ObjectPart{{PartNumber: 1, FileID: failed.File.ID, Size: 4096, ETag: "e", Checksums: []byte("{}")}})
	})
	if !errors.Is(err, quorumLost) || !errors.Is(err, db.ErrNotCommitted) || !hookRan {
		t.Fatalf("RecordBlob with a failing Settle = %v (onCommit ran: %v); want the failure, not committed", err, hookRan)
	}
	if got := count(`SELECT (SELECT count(*) FROM files WHERE id = $1) + (SELECT count(*) FROM chunks WHERE file_id = $1) +
		(SELECT count(*) FROM upload_sessions WHERE file_id = $1) + (SELECT count(*) FROM objects WHERE id = $1)`, failed.File.ID); got != 0 {
		t.Errorf("rows of a blob whose Settle failed: %d; want none", got)
	}
}

// TestRecordBlobSessionEndsWhileSettling: a backend terminated while its
// transaction waits in Settle (as a fast shutdown of PostgreSQL does) makes
// RecordBlob fail as not committed, since no COMMIT was sent: the caller may
// then delete the blob's shards outright. A COMMIT sent regardless would
// fail with an outcome nobody can know (57P01 may follow a commit).
func TestRecordBlobSessionEndsWhileSettling(t *testing.T) {
	pool, _ := dbtest.NewPool(t)
	ctx := context.Background()
	blobs := db.NewBlobs(pool)
	u := newUpload(newServer(t, pool), 4096)
	nb := db.NewBlob{File: u.File, Door: u.Door, SessionID: u.SessionID, StartedAt: time.Now(),
		SessionTimeout: u.SessionTimeout, ClientIP: u.ClientIP, Chunks: stored(u)}
	nb.Settle = func() ([]uuid.UUID, error) {
		var pid int
		err := pool.QueryRow(ctx, `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND state = 'idle in transaction'`).Scan(&pid)
		if err != nil {
			return nil, fmt.Errorf("finding the waiting transaction: %w", err)
		}
		if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend($1, 5000)`, pid); err != nil {
			return nil, err
		}
		return nil, nil
	}
	_, err := blobs.RecordBlob(ctx, nb, nil)
	if !errors.Is(err, db.ErrNotCommitted) || !errors.Is(err, db.ErrUnavailable) {
		t.Fatalf("RecordBlob whose session ended in Settle = %v; want not committed, unavailable", err)
	}
	var rows int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM files WHERE id = $1) + (SELECT count(*) FROM chunks WHERE file_id = $1)`,
		nb.File.ID).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("rows of the blob: %d, %v; want none", rows, err)
	}
}

// BenchmarkUploadMetadata is the metadata a small PUT writes: BeginUpload,
// then CompleteUpload (without an S3 object's onCommit writes).
func BenchmarkUploadMetadata(b *testing.B) {
	pool, _ := dbtest.NewPool(b)
	ctx := context.Background()
	blobs := db.NewBlobs(pool)
	server := newServer(b, pool)
	b.ReportAllocs()
	for b.Loop() {
		u := newUpload(server, 4096)
		if err := blobs.BeginUpload(ctx, u); err != nil {
			b.Fatal(err)
		}
		if _, err := blobs.CompleteUpload(ctx, u.File.ID, 4096, sum, stored(u), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordSmallObject is the metadata of a small S3 PUT of a new
// key: the blob's rows (RecordBlob) and, in the same transaction, the
// key's lock, its state and the object row (what s3backend's onCommit
// writes).
func BenchmarkRecordSmallObject(b *testing.B) {
	record := smallObjectRecorder(b)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		if err := record(fmt.Sprintf("key-%d", n)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordSmallObjectParallel is BenchmarkRecordSmallObject from
// 8 × GOMAXPROCS goroutines at once, as a gateway under a load of small
// PUTs runs it: PostgreSQL's CPU then bounds it, and rows that every
// transaction locks (a bucket's, a server's) show up as contention.
func BenchmarkRecordSmallObjectParallel(b *testing.B) {
	record := smallObjectRecorder(b)
	var n atomic.Int64
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := record(fmt.Sprintf("key-%d", n.Add(1))); err != nil {
				b.Error(err) // FailNow belongs to the benchmark's own goroutine
				return
			}
		}
	})
}

// smallObjectRecorder returns a function that records a small S3 object
// under a key of a fresh bucket.
func smallObjectRecorder(b *testing.B) func(key string) error {
	pool, _ := dbtest.NewPool(b)
	ctx := context.Background()
	blobs, store := db.NewBlobs(pool), db.NewStore(pool)
	server := newServer(b, pool)
	if _, err := store.CreateBucket(ctx, "bench", "s3"); err != nil {
		b.Fatal(err)
	}
	return func(key string) error {
		u := newUpload(server, 4096)
		nb := db.NewBlob{File: u.File, Door: u.Door, SessionID: u.SessionID, StartedAt: time.Now(),
			SessionTimeout: u.SessionTimeout, ClientIP: u.ClientIP, Chunks: stored(u)}
		nb.File.Checksum = sum
		_, err := blobs.RecordBlob(ctx, nb, func(tx *db.Tx, _ time.Time) error {
			if _, err := tx.LockKeyForWrite(ctx, "bench", key, "null"); err != nil {
				return err
			}
			obj := db.Object{ID: nb.File.ID, Bucket: "bench", Key: key, VersionID: "null", Size: 4096,
				ETag: "e", Meta: []byte("{}"), Checksums: []byte("{}")}
			return tx.InsertObject(ctx, obj, []db.ObjectPart{{PartNumber: 1, FileID: nb.File.ID, Size: 4096, ETag: "e", Checksums: []byte("{}")}})
		})
		return err
	}
}
