package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// newMinio is a minio-go client with its defaults (Region unset, so it asks
// GetBucketLocation first), optionally with trailing checksums.
func newMinio(t *testing.T, e *s3Env, trailing bool) *minio.Client {
	t.Helper()
	tr, err := minio.DefaultTransport(e.secure)
	if err != nil {
		t.Fatal(err)
	}
	if e.roots != nil {
		tr.TLSClientConfig.RootCAs = e.roots
	}
	host := strings.TrimPrefix(strings.TrimPrefix(e.url, "https://"), "http://")
	c, err := minio.New(host, &minio.Options{
		Creds: miniocreds.NewStaticV4(e.key, e.secret, ""), Secure: e.secure,
		Transport:       recordingTransport{client: "minio-go", next: tr, log: &e.wire},
		TrailingHeaders: trailing, MaxRetries: 1,
	})
	if err != nil {
		t.Fatalf("minio.New: %v", err)
	}
	return c
}

// minioPut is one PutObject variant.
type minioPut struct {
	name     string
	size     int64 // bytes sent
	stream   bool  // pass size -1 (always multipart)
	trailing bool  // client with TrailingHeaders
	checksum minio.ChecksumType
}

var minioPuts = []minioPut{
	{name: "known", size: 3<<20 + 7},
	{name: "stream", size: 3<<20 + 7, stream: true},
	{name: "known-trailing", size: 3<<20 + 7, trailing: true},
	{name: "known-multipart-trailing", size: 17<<20 + 1, trailing: true},
	{name: "stream-trailing", size: 3<<20 + 7, stream: true, trailing: true},
	{name: "checksum-crc32c-trailing", size: 3<<20 + 7, trailing: true, checksum: minio.ChecksumCRC32C},
}

func minioSuite(t *testing.T, e *s3Env) {
	plain, trailing := newMinio(t, e, false), newMinio(t, e, true)
	bucket := bucketName("minio")
	if err := plain.MakeBucket(e.ctx(t), bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}
	for i, p := range minioPuts {
		t.Run("PutObject/"+p.name, func(t *testing.T) {
			c := plain
			if p.trailing {
				c = trailing
			}
			minioPutGet(t, e, c, bucket, p, uint64(1000+i))
		})
	}
	t.Run("FPutFGet100MiB", func(t *testing.T) { minioFiles(t, e, plain, bucket) })
	t.Run("StatObject", func(t *testing.T) { minioStat(t, e, plain, bucket) })
	t.Run("RangedGetAndReadAt", func(t *testing.T) { minioRanges(t, e, plain, bucket) })
	t.Run("ListObjects", func(t *testing.T) { minioList(t, e, plain, bucket) })
	t.Run("PresignedGetWithCurl", func(t *testing.T) { minioPresignedCurl(t, e, plain, bucket) })
	t.Run("RemoveObject", func(t *testing.T) { minioRemove(t, e, plain, bucket) })
}

// minioPutGet uploads one variant and reads it back whole.
func minioPutGet(t *testing.T, e *s3Env, c *minio.Client, bucket string, p minioPut, seed uint64) {
	data := randomBytes(seed, p.size)
	var body io.Reader = bytes.NewReader(data)
	size := p.size
	if p.stream {
		body, size = io.MultiReader(bytes.NewReader(data)), -1 // hides Seek and the length
	}
	key := "put/" + p.name
	info, err := c.PutObject(e.ctx(t), bucket, key, body, size, minio.PutObjectOptions{Checksum: p.checksum})
	if err != nil {
		t.Fatalf("PutObject (size %d): %v", size, err)
	}
	if info.Size != p.size {
		t.Errorf("PutObject size = %d; want %d", info.Size, p.size)
	}
	got := minioGet(t, e, c, bucket, key, minio.GetObjectOptions{})
	if !bytes.Equal(got, data) {
		t.Fatalf("GetObject = %d bytes sha256 %s; want %d bytes %s", len(got), sum(got), len(data), sum(data))
	}
}

// minioGet reads an object whole.
func minioGet(t *testing.T, e *s3Env, c *minio.Client, bucket, key string, opts minio.GetObjectOptions) []byte {
	t.Helper()
	obj, err := c.GetObject(e.ctx(t), bucket, key, opts)
	if err != nil {
		t.Fatalf("GetObject %s: %v", key, err)
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("GetObject %s: reading: %v", key, err)
	}
	return data
}

func minioFiles(t *testing.T, e *s3Env, c *minio.Client, bucket string) {
	if _, err := c.FPutObject(e.ctx(t), bucket, "files/big.bin", e.fx.big.path, minio.PutObjectOptions{}); err != nil {
		t.Fatalf("FPutObject: %v", err)
	}
	path := filepath.Join(t.TempDir(), "big.bin")
	if err := c.FGetObject(e.ctx(t), bucket, "files/big.bin", path, minio.GetObjectOptions{}); err != nil {
		t.Fatalf("FGetObject: %v", err)
	}
	if got, n := fileSHA(t, path); got != e.fx.big.sha || n != e.fx.big.size {
		t.Fatalf("FGetObject = %d bytes sha256 %s; want %d bytes %s", n, got, e.fx.big.size, e.fx.big.sha)
	}
}

func minioStat(t *testing.T, e *s3Env, c *minio.Client, bucket string) {
	st, err := c.StatObject(e.ctx(t), bucket, "files/big.bin", minio.StatObjectOptions{})
	if err != nil {
		t.Fatalf("StatObject: %v", err)
	}
	if st.Size != e.fx.big.size || st.ETag == "" || st.LastModified.IsZero() {
		t.Errorf("StatObject = size %d, ETag %q, LastModified %v; want size %d and both set", st.Size, st.ETag, st.LastModified, e.fx.big.size)
	}
	if !strings.HasSuffix(st.ETag, "-7") {
		t.Errorf("StatObject ETag %q; want a multipart ETag of 7 parts (16 MiB each)", st.ETag)
	}
}

// minioRanges reads a Range with GetObject and another span with ReadAt,
// against the fixture's bytes at the same offsets.
func minioRanges(t *testing.T, e *s3Env, c *minio.Client, bucket string) {
	var opts minio.GetObjectOptions
	if err := opts.SetRange(10<<20, 11<<20-1); err != nil {
		t.Fatal(err)
	}
	got := minioGet(t, e, c, bucket, "files/big.bin", opts)
	if want := fixtureRange(t, e.fx.big.path, 10<<20, 1<<20); !bytes.Equal(got, want) {
		t.Errorf("GetObject bytes=10485760-11534335: %d bytes sha256 %s; want %d bytes %s", len(got), sum(got), len(want), sum(want))
	}
	obj, err := c.GetObject(e.ctx(t), bucket, "files/big.bin", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	const off, n = 50<<20 + 3, 1<<20 + 5
	buf := make([]byte, n)
	if _, err := obj.ReadAt(buf, off); err != nil {
		t.Fatalf("ReadAt(%d, %d): %v", n, off, err)
	}
	if want := fixtureRange(t, e.fx.big.path, off, n); !bytes.Equal(buf, want) {
		t.Errorf("ReadAt(%d, %d) = sha256 %s; want %s", n, off, sum(buf), sum(want))
	}
}

// fixtureRange reads n bytes at off from a fixture file.
func fixtureRange(t *testing.T, path string, off, n int64) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, off); err != nil {
		t.Fatal(err)
	}
	return buf
}

func minioList(t *testing.T, e *s3Env, c *minio.Client, bucket string) {
	var want []string
	for _, p := range minioPuts {
		want = append(want, "put/"+p.name)
	}
	slices.Sort(want)
	var got []string
	for o := range c.ListObjects(e.ctx(t), bucket, minio.ListObjectsOptions{Prefix: "put/", Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("ListObjects: %v", o.Err)
		}
		got = append(got, o.Key)
	}
	if !slices.Equal(got, want) {
		t.Errorf("ListObjects put/ = %q; want %q", got, want)
	}
	var top []string
	for o := range c.ListObjects(e.ctx(t), bucket, minio.ListObjectsOptions{}) {
		if o.Err != nil {
			t.Fatalf("ListObjects: %v", o.Err)
		}
		top = append(top, o.Key)
	}
	if !slices.Equal(top, []string{"files/", "put/"}) {
		t.Errorf("ListObjects (delimiter /) = %q; want [files/ put/]", top)
	}
}

// minioPresignedCurl fetches a minio-go presigned GET with curl.
func minioPresignedCurl(t *testing.T, e *s3Env, c *minio.Client, bucket string) {
	curl := requireTool(t, "curl")
	key := "put/known"
	u, err := c.PresignedGetObject(e.ctx(t), bucket, key, 10*time.Minute, nil)
	if err != nil {
		t.Fatalf("PresignedGetObject: %v", err)
	}
	out := filepath.Join(t.TempDir(), "curl.bin")
	args := []string{"-sS", "--fail-with-body", "-o", out}
	if e.caFile != "" {
		args = append(args, "--cacert", e.caFile)
	}
	ctx, cancel := context.WithTimeout(e.ctx(t), time.Minute)
	defer cancel()
	if msg, err := exec.CommandContext(ctx, curl, append(args, u.String())...).CombinedOutput(); err != nil {
		body, _ := os.ReadFile(out)
		t.Fatalf("curl %s: %v: %s %s", u, err, msg, body)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := randomBytes(1000, 3<<20+7); !bytes.Equal(got, want) {
		t.Fatalf("curl got %d bytes sha256 %s; want %d bytes %s", len(got), sum(got), len(want), sum(want))
	}
}

func minioRemove(t *testing.T, e *s3Env, c *minio.Client, bucket string) {
	keys := []string{"files/big.bin"}
	for _, p := range minioPuts {
		keys = append(keys, "put/"+p.name)
	}
	for _, k := range keys {
		if err := c.RemoveObject(e.ctx(t), bucket, k, minio.RemoveObjectOptions{}); err != nil {
			t.Fatalf("RemoveObject %s: %v", k, err)
		}
		_, err := c.StatObject(e.ctx(t), bucket, k, minio.StatObjectOptions{})
		if code := minio.ToErrorResponse(err).Code; code != "NoSuchKey" {
			t.Errorf("StatObject %s after RemoveObject: %v (code %q); want NoSuchKey", k, err, code)
		}
	}
}

// requireTool finds a program on PATH. Missing, it skips the test, except
// under CI=true where every client must run.
func requireTool(t *testing.T, name string, versionArgs ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil && len(versionArgs) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var out []byte
		if out, err = exec.CommandContext(ctx, path, versionArgs...).CombinedOutput(); err != nil {
			err = fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not available: %v", name, err)
	}
	return path
}
