package e2e_test

import (
	"context"
	"io"
	"testing"
	"time"

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
	log := zerolog.New(io.Discard)
	nodes := cluster.New(db.NewStore(pool), cluster.Options{HeartbeatTimeout: 30 * time.Second, RefreshInterval: time.Minute, ConnectTimeout: 2 * time.Second}, log)
	t.Cleanup(nodes.Close)
	if err := nodes.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	svc := objects.New(db.NewBlobs(pool), nodes, objects.Options{MaxSize: 10 << 30, SessionTimeout: time.Hour}, log)
	backend := s3backend.New(db.NewStore(pool), svc, s3backend.Options{MaxSize: 10 << 30, Spool: spool.New(t.TempDir(), 0)})

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
