package e2e_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"sixfold/e2e/harness"
)

// TestBackupRestoreBeforeBucketDelete follows the README's backup
// procedure: WAL archiving on, a pg_basebackup, more writes, then a bucket
// and all its objects deleted. The database is restored from the base
// backup and the archive to the moment before the delete (point-in-time
// recovery), and every object — the one written after the base backup
// too — reads back byte for byte, because gc.retention kept the deleted
// blobs' chunks on the nodes. `gateway admin verify` then finds nothing
// missing; with one shard file removed by hand it names that shard, and the
// object still reads (parity).
func TestBackupRestoreBeforeBucketDelete(t *testing.T) {
	cl := startCluster(t, harness.Options{PrivatePostgres: true, GatewayEnv: []string{"GC_RETENTION=1h"}, CleanupInterval: time.Second})
	pg := cl.Postgres()
	ctx := t.Context()
	parent := filepath.Dir(pg.DataDir())
	archive, base := filepath.Join(parent, "wal-archive"), filepath.Join(parent, "base-backup")
	if err := pg.ArchiveWAL(ctx, archive); err != nil {
		t.Fatalf("ArchiveWAL: %v", err)
	}
	key, secret := cl.Credentials()
	s3c := newGoV2Client(t, &s3Env{url: cl.GatewayURL(), key: key, secret: secret})
	bucket := bucketName("restore")
	eventually(t, 30*time.Second, "the gateway serves again after PostgreSQL's restart", func() bool {
		_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		return err == nil
	})
	want := map[string][]byte{}
	put := func(k string, seed uint64, size int64) {
		want[k] = randomBytes(seed, size)
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: bytes.NewReader(want[k])}); err != nil {
			t.Fatalf("put %s: %v", k, err)
		}
	}
	put("small", 1, 1000)
	put("photos/b", 2, 3<<20+7)
	put("photos/c", 3, 9<<20)
	if err := pg.BaseBackup(ctx, base); err != nil {
		t.Fatalf("BaseBackup: %v", err)
	}
	put("after-backup", 4, 2<<20+1) // only in the WAL archive

	pool := poolFor(t, cl.DatabaseURL())
	var target time.Time
	if err := pool.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&target); err != nil {
		t.Fatal(err)
	}
	for k := range want {
		if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
			t.Fatalf("delete %s: %v", k, err)
		}
	}
	if _, err := s3c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("delete bucket: %v", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM chunk_deletions`); n == 0 {
		t.Fatal("no chunk deletion queued by the deletes")
	}
	if err := pg.SwitchWAL(ctx, archive); err != nil {
		t.Fatal(err)
	}
	pool.Close()

	if err := cl.StopGateway(); err != nil {
		t.Fatal(err)
	}
	if err := pg.RestoreTo(ctx, base, archive, target); err != nil {
		t.Fatalf("RestoreTo: %v", err)
	}
	if err := cl.RestartGateway(ctx); err != nil {
		t.Fatal(err)
	}
	for k, body := range want {
		got, err := getObject(ctx, s3c, bucket, k)
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("after the restore, %s: %d bytes (sha256 %s), %v; want %d bytes (sha256 %s)", k, len(got), sum(got), err, len(body), sum(body))
		}
	}

	out, code := verifyCLI(t, cl)
	if code != 0 || !strings.Contains(out, " 0 missing, 0 blobs unreadable") {
		t.Fatalf("gateway admin verify after the restore: exit %d\n%s\nwant exit 0 and nothing missing", code, out)
	}
	pool = poolFor(t, cl.DatabaseURL())
	var chunkID string
	if err := pool.QueryRow(ctx, `SELECT c.id::text FROM chunks c JOIN object_parts p ON p.file_id = c.file_id
		JOIN objects o ON o.id = p.object_id WHERE o.bucket = $1 AND o.key = 'photos/b' ORDER BY c.chunk_number LIMIT 1`, bucket).Scan(&chunkID); err != nil {
		t.Fatal(err)
	}
	removeChunkFile(t, cl, chunkID)
	out, code = verifyCLI(t, cl)
	if code != 1 || !strings.Contains(out, chunkID) || !strings.Contains(out, " 1 missing, 0 blobs unreadable") {
		t.Fatalf("gateway admin verify with shard %s gone: exit %d\n%s\nwant exit 1 naming it, 1 missing, nothing unreadable", chunkID, code, out)
	}
	if got, err := getObject(ctx, s3c, bucket, "photos/b"); err != nil || !bytes.Equal(got, want["photos/b"]) {
		t.Errorf("photos/b with a shard gone: %d bytes, %v; want its bytes rebuilt from parity", len(got), err)
	}
}

func getObject(ctx context.Context, c *s3.Client, bucket, key string) ([]byte, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// verifyCLI runs `gateway admin verify` and returns its output and exit
// status.
func verifyCLI(t *testing.T, c *harness.Cluster) (string, int) {
	t.Helper()
	bin := filepath.Join(os.Getenv("SIXFOLD_BIN_DIR"), "gateway")
	if binaries != nil {
		bin = binaries.Gateway
	}
	key, secret := c.Credentials()
	cmd := exec.Command(bin, "admin", "verify", "-url", c.GatewayURL())
	cmd.Env = append(os.Environ(), "SIXFOLD_ROOT_USER="+key, "SIXFOLD_ROOT_PASSWORD="+secret)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("gateway admin verify (%v):\n%s", err, out.String())
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode()
	}
	t.Fatalf("gateway admin verify: %v", err)
	return "", 0
}

// removeChunkFile deletes a shard's file from whichever node holds it.
func removeChunkFile(t *testing.T, c *harness.Cluster, chunkID string) {
	t.Helper()
	for i := range c.NumNodes() {
		var found string
		_ = filepath.WalkDir(filepath.Join(c.NodeDataDir(i), "chunks"), func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && d.Name() == chunkID {
				found = path
			}
			return nil
		})
		if found != "" {
			if err := os.Remove(found); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no node holds a file for shard %s", chunkID)
}
