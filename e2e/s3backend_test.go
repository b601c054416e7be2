package e2e_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"io"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"sixfold/db"
	"sixfold/e2e/harness"
	"sixfold/gateway/cluster"
	"sixfold/gateway/objects"
	"sixfold/gateway/s3backend"
	"sixfold/gateway/spool"
	"sixfold/s3api"
	"sixfold/s3api/s3test"
)

// TestS3BackendConformance runs the S3 backend contract suite (the same
// one the in-memory backend passes) against the gateway's real backend:
// PostgreSQL metadata and six-chunk blobs on real storage node processes.
func TestS3BackendConformance(t *testing.T) {
	cl := startCluster(t, harness.Options{})
	ctx := context.Background()
	pool, err := db.Open(ctx, db.Config{URL: cl.DatabaseURL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	backend := newS3Backend(t, pool, s3backend.Options{MaxSize: 10 << 30, Spool: spool.New(t.TempDir(), 0)})

	s3test.Run(t, func(t *testing.T) s3api.Backend {
		// Each case wants an empty store: forget every S3 name and blob.
		// The chunk files left on this private cluster's nodes do not
		// matter to the suite.
		_, err := pool.Exec(ctx, `TRUNCATE multipart_parts, multipart_uploads, object_parts, objects, buckets;
			DELETE FROM files WHERE owner = 's3'`)
		if err != nil {
			t.Fatal(err)
		}
		return backend
	})
}

// newS3Backend is the gateway's S3 backend on pool and the nodes
// registered there, as cmd/gateway wires it.
func newS3Backend(t *testing.T, pool *pgxpool.Pool, opts s3backend.Options) *s3backend.Backend {
	t.Helper()
	log := zerolog.New(io.Discard)
	nodes := cluster.New(db.NewStore(pool), cluster.Options{HeartbeatTimeout: 30 * time.Second, RefreshInterval: time.Hour, ConnectTimeout: 2 * time.Second}, log)
	t.Cleanup(nodes.Close)
	if err := nodes.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc := objects.New(db.NewBlobs(pool), nodes, objects.Options{MaxSize: opts.MaxSize, SessionTimeout: time.Hour}, log)
	return s3backend.New(db.NewStore(pool), svc, opts)
}

// statementCounter counts the round trips a pool makes to PostgreSQL: a
// statement sent on its own (BEGIN and COMMIT included), or a batch of
// them sent together. It keeps each statement's row count too.
type statementCounter struct {
	n    atomic.Int64
	mu   sync.Mutex
	rows []int64
}

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *statementCounter) TraceQueryEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	c.ended(d.CommandTag)
}

func (c *statementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *statementCounter) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	c.ended(d.CommandTag)
}

func (c *statementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func (c *statementCounter) ended(tag pgconn.CommandTag) {
	c.mu.Lock()
	c.rows = append(c.rows, tag.RowsAffected())
	c.mu.Unlock()
}

// statements is how many statements have ended, for rowsSince.
func (c *statementCounter) statements() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.rows)
}

// rowsSince lists the row counts of the statements that ended after the
// first ended of them.
func (c *statementCounter) rowsSince(ended int) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int64(nil), c.rows[ended:]...)
}

// TestS3StatementBudget holds the S3 door's metadata cost per request to
// its budget, counted at the driver: a PUT of a new key, an overwrite
// (which also removes and retires the version it replaces), a GET of the
// latest version and of a named one, a DeleteObject in an unversioned
// bucket, and ranged GETs of a multipart object, which look up the shards
// of the parts they read only. It counts round trips (statements sent
// together in a batch make one), which are most of what a small PUT or
// GET costs PostgreSQL.
func TestS3StatementBudget(t *testing.T) {
	cl := startCluster(t, harness.Options{})
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(cl.DatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	var statements statementCounter
	cfg.ConnConfig.Tracer = &statements
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := db.NewStore(pool)
	backend := newS3Backend(t, pool, s3backend.Options{MaxSize: 1 << 20})
	if err := backend.CreateBucket(ctx, "budget"); err != nil {
		t.Fatal(err)
	}
	put := func(body string) {
		t.Helper()
		sum := md5.Sum([]byte(body))
		_, err := backend.PutObject(ctx, s3api.PutObjectInput{Bucket: "budget", Key: "k", Size: int64(len(body)),
			Body: strings.NewReader(body), Digests: func() s3api.Digests { return s3api.Digests{MD5: sum[:]} }})
		if err != nil {
			t.Fatal(err)
		}
	}
	// get reads the key as a GET does (s3api uses the backend's
	// ReadLookup when it has one) and checks the bytes.
	get := func(versionID, want string) {
		t.Helper()
		info, err := backend.HeadObjectForRead(ctx, "budget", "k", versionID, s3api.WholeVersion)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := backend.GetObject(ctx, info, 0, info.Size)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != want {
			t.Fatalf("get %q: %q, %v; want %q", versionID, got, err, want)
		}
	}
	for _, step := range []struct {
		name   string
		budget int64
		run    func()
	}{
		// BEGIN, the blob's rows (a small blob is recorded once, after
		// its shards are written), the key's lock with the key's state
		// (one round trip), the object with its parts, COMMIT. A small
		// body's bucket is checked by the key's lock alone.
		{"put of a new key", 5, func() { put("first") }},
		// + the replaced version's removal, the lock on its blob and
		// the blob's retirement.
		{"overwrite", 8, func() { put("second") }},
		// The version found with its shards, in one statement; the bytes
		// come from the nodes.
		{"get", 1, func() { get("", "second") }},
		{"get by version id", 1, func() { get(s3api.NullVersion, "second") }},
		// BEGIN, the key's lock with its state, the removal, the blob's
		// lock and retirement, COMMIT.
		{"delete", 6, func() {
			if _, err := backend.DeleteObject(ctx, "budget", "k", ""); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		before := statements.n.Load()
		step.run()
		if got := statements.n.Load() - before; got > step.budget {
			t.Errorf("%s: %d round trips, budget %d", step.name, got, step.budget)
		} else {
			t.Logf("%s: %d round trips (budget %d)", step.name, got, step.budget)
		}
	}
	if _, _, err := store.GetObject(ctx, "budget", "k", ""); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("after the delete: %v, want not found", err)
	}

	// A small body's bucket is checked by the recording transaction only:
	// a PUT into a missing bucket still answers NoSuchBucket, and the
	// blob written meanwhile goes with it, rows and shard files.
	countFiles := `SELECT count(*) FROM files`
	files, onDisk := count(t, pool, countFiles), len(chunkFiles(t, cl))
	sum := md5.Sum([]byte("small"))
	_, err = backend.PutObject(ctx, s3api.PutObjectInput{Bucket: "missing", Key: "k", Size: 5,
		Body: strings.NewReader("small"), Digests: func() s3api.Digests { return s3api.Digests{MD5: sum[:]} }})
	if !errors.Is(err, s3api.ErrNoSuchBucket) {
		t.Fatalf("PUT into a missing bucket: %v; want NoSuchBucket", err)
	}
	if f, d := count(t, pool, countFiles), len(chunkFiles(t, cl)); f != files || d != onDisk {
		t.Errorf("after a PUT into a missing bucket: %d files rows and %d chunk files; want %d and %d as before", f, d, files, onDisk)
	}

	// A ranged GET of a multipart object looks up the shards of the parts
	// it reads only, still in one statement; only a ?partNumber GET reads
	// the part list too, in a second; a read outside the span looked up
	// looks its parts up again rather than miss them.
	const partSize = 5 << 20 // S3's smallest part but the last
	whole := randomBytes(77, 3*partSize)
	backend = newS3Backend(t, pool, s3backend.Options{MaxSize: 64 << 20})
	uploadID, err := backend.CreateMultipartUpload(ctx, "budget", "mp", s3api.ObjectMeta{})
	if err != nil {
		t.Fatal(err)
	}
	var done []s3api.CompletePart
	for i := range 3 {
		part := whole[i*partSize : (i+1)*partSize]
		sum := md5.Sum(part)
		info, err := backend.UploadPart(ctx, s3api.UploadPartInput{Bucket: "budget", Key: "mp", UploadID: uploadID, PartNumber: i + 1,
			Size: int64(len(part)), Body: bytes.NewReader(part), Digests: func() s3api.Digests { return s3api.Digests{MD5: sum[:]} }})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, s3api.CompletePart{PartNumber: i + 1, ETag: info.ETag})
	}
	if _, err := backend.CompleteMultipartUpload(ctx, "budget", "mp", uploadID, done, s3api.WriteCondition{}); err != nil {
		t.Fatal(err)
	}
	read := func(span s3api.ReadSpan, offset, length int64) (sent, rows int64) {
		t.Helper()
		before, ended := statements.n.Load(), statements.statements()
		info, err := backend.HeadObjectForRead(ctx, "budget", "mp", "", span)
		if err != nil {
			t.Fatal(err)
		}
		rows = statements.rowsSince(ended)[0] // the version and its shards
		rc, err := backend.GetObject(ctx, info, offset, length)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, whole[offset:offset+length]) {
			t.Fatalf("read [%d, %d) with span %+v: %d bytes, %v; want the object's", offset, offset+length, span, len(got), err)
		}
		return statements.n.Load() - before, rows
	}
	n, rows := read(s3api.WholeVersion, 0, 3*partSize)
	if n != 1 || rows == 0 || rows%3 != 0 {
		t.Fatalf("whole read: %d statements, %d shard rows; want 1, and rows for 3 parts", n, rows)
	}
	if n, one := read(s3api.ReadSpan{From: partSize + 5, To: partSize + 50}, partSize+5, 45); n != 1 || one != rows/3 {
		t.Errorf("ranged read inside part 2: %d statements, %d shard rows; want 1 and %d (one part's)", n, one, rows/3)
	}
	if n, one := read(s3api.ReadSpan{From: 0, To: math.MaxInt64, Part: 3}, 2*partSize, partSize); n != 2 || one != rows/3 {
		t.Errorf("read of part 3 (?partNumber=3): %d statements, %d shard rows; want 2 (the part list too) and %d (one part's)", n, one, rows/3)
	}
	if n, two := read(s3api.ReadSpan{From: partSize - 1, To: partSize + 1}, partSize-1, 2); n != 1 || two != 2*rows/3 {
		t.Errorf("ranged read across parts 1 and 2: %d statements, %d shard rows; want 1 and %d", n, two, 2*rows/3)
	}
	if n, _ := read(s3api.ReadSpan{From: 0, To: 10}, 2*partSize, 10); n != 2 {
		t.Errorf("read outside the span looked up: %d statements; want 2 (the parts looked up again)", n)
	}

	// A HEAD of the multipart object (s3api asks for no bytes) costs one
	// statement too, and locates no shard.
	before, ended := statements.n.Load(), statements.statements()
	info, err := backend.HeadObjectForRead(ctx, "budget", "mp", "", s3api.NoBytes)
	if err != nil || info.Size != 3*partSize {
		t.Fatalf("HEAD lookup: %+v, %v; want the 3-part object", info, err)
	}
	if n, rows := statements.n.Load()-before, statements.rowsSince(ended)[0]; n != 1 || rows != 1 {
		t.Errorf("HEAD lookup of a multipart object: %d statements, %d rows; want 1 statement, 1 row (the version, no shard)", n, rows)
	}
}
