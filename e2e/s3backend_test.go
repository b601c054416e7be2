package e2e_test

import (
	"context"
	"crypto/md5"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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

// statementCounter counts the statements a pool sends, BEGIN and COMMIT
// included: each is one round trip to PostgreSQL.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestS3StatementBudget holds the S3 door's metadata cost per request to
// its budget, counted at the driver: a PUT of a new key, an overwrite
// (which also removes and retires the version it replaces), a GET of the
// latest version and of a named one, and a DeleteObject in an unversioned
// bucket. Each statement is a round trip, and round trips are most of
// what a small PUT or GET costs PostgreSQL.
func TestS3StatementBudget(t *testing.T) {
	cl := startCluster(t, harness.Options{})
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(cl.DatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	var count statementCounter
	cfg.ConnConfig.Tracer = &count
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
		info, err := backend.HeadObjectForRead(ctx, "budget", "k", versionID)
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
		// HEAD of the bucket; BEGIN, the blob's rows (a small blob is
		// recorded once, after its shards are written), the key's lock,
		// the key's state, the object with its parts, COMMIT.
		{"put of a new key", 7, func() { put("first") }},
		// + the replaced version's removal, the lock on its blob and
		// the blob's retirement.
		{"overwrite", 10, func() { put("second") }},
		// The version found with its shards, in one statement; the bytes
		// come from the nodes.
		{"get", 1, func() { get("", "second") }},
		{"get by version id", 1, func() { get(s3api.NullVersion, "second") }},
		// BEGIN, the key's lock, its state, the removal, the blob's lock
		// and retirement, COMMIT.
		{"delete", 7, func() {
			if _, err := backend.DeleteObject(ctx, "budget", "k", ""); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		before := count.n.Load()
		step.run()
		if got := count.n.Load() - before; got > step.budget {
			t.Errorf("%s: %d statements, budget %d", step.name, got, step.budget)
		} else {
			t.Logf("%s: %d statements (budget %d)", step.name, got, step.budget)
		}
	}
	if _, _, err := store.GetObject(ctx, "budget", "k", ""); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("after the delete: %v, want not found", err)
	}
}
