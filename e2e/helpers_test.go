package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/e2e/harness"
)

// binaries are built once for the whole suite (or taken from SIXFOLD_BIN_DIR).
var binaries *harness.Binaries

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir := os.Getenv("SIXFOLD_BIN_DIR")
	if dir == "" {
		root, err := harness.FindRepoRoot()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		tmp, err := os.MkdirTemp("", "sixfold-e2e-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(tmp)
		b, err := harness.BuildBinaries(context.Background(), root, tmp)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		binaries = &b
	}
	code := m.Run()
	if shared != nil {
		_ = shared.Close()
		_ = os.RemoveAll(shared.Dir())
	}
	return code
}

var (
	sharedOnce sync.Once
	shared     *harness.Cluster
	sharedErr  error
)

// sharedCluster is one cluster for the tests that neither stop processes
// nor depend on a fresh gateway; it lives until the suite ends.
func sharedCluster(t *testing.T) *harness.Cluster {
	t.Helper()
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sixfold-e2e-shared-")
		if err != nil {
			sharedErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared, sharedErr = harness.StartCluster(ctx, harness.Options{Dir: dir, Binaries: binaries})
	})
	if sharedErr != nil {
		t.Fatalf("start shared cluster: %v", sharedErr)
	}
	return shared
}

// startCluster starts a real cluster for one test and stops it after.
func startCluster(t *testing.T, opts harness.Options) *harness.Cluster {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	opts.Binaries = binaries
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := harness.StartCluster(ctx, opts)
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway log tail:\n%s", tail(c.GatewayLogPath(), 40))
		}
		if err := c.Close(); err != nil {
			t.Logf("cluster close: %v", err)
		}
	})
	return c
}

func tail(path string, lines int) string {
	raw, _ := os.ReadFile(path)
	all := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// client speaks the /files door the way curl does.
type client struct {
	t           *testing.T
	base        string
	key, secret string
	http        *http.Client
}

func newClient(t *testing.T, c *harness.Cluster) *client {
	key, secret := c.Credentials()
	return &client{t: t, base: c.GatewayURL(), key: key, secret: secret, http: &http.Client{Timeout: 10 * time.Minute}}
}

func (c *client) do(req *http.Request) *http.Response {
	c.t.Helper()
	req.SetBasicAuth(c.key, c.secret)
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return resp
}

// uploaded is the 201 body of POST /files.
type uploaded struct {
	FileID      string          `json:"file_id"`
	Filename    string          `json:"filename"`
	Size        int64           `json:"size"`
	Checksum    string          `json:"checksum"`
	ContentType string          `json:"content_type"`
	CreatedAt   time.Time       `json:"created_at"`
	Metadata    json.RawMessage `json:"metadata"`
}

// formUpload posts size bytes of data as the "file" field of a
// multipart/form-data body with an exact Content-Length, as curl -F does.
func (c *client) formUpload(filename string, data io.Reader, size int64) (*http.Response, uploaded) {
	c.t.Helper()
	body, length, contentType := formBody(c.t, "file", filename, data, size)
	req, _ := http.NewRequest(http.MethodPost, c.base+"/files", body)
	req.ContentLength = length
	req.Header.Set("Content-Type", contentType)
	return c.decodeUpload(c.do(req))
}

// rawUpload posts data as the raw body (curl --data-binary / -T).
func (c *client) rawUpload(filename string, data io.Reader, size int64) (*http.Response, uploaded) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/files?filename="+filename, data)
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/x-test")
	return c.decodeUpload(c.do(req))
}

func (c *client) decodeUpload(resp *http.Response) (*http.Response, uploaded) {
	c.t.Helper()
	defer resp.Body.Close()
	var u uploaded
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(raw, &u); err != nil {
			c.t.Fatalf("upload response %q: %v", raw, err)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	return resp, u
}

func formBody(t *testing.T, field, filename string, data io.Reader, size int64) (io.Reader, int64, string) {
	t.Helper()
	var head, foot bytes.Buffer
	w := multipart.NewWriter(&head)
	if _, err := w.CreateFormFile(field, filename); err != nil {
		t.Fatal(err)
	}
	prefix := bytes.Clone(head.Bytes())
	head.Reset()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	foot.Write(head.Bytes())
	length := int64(len(prefix)) + size + int64(foot.Len())
	return io.MultiReader(bytes.NewReader(prefix), data, &foot), length, w.FormDataContentType()
}

func (c *client) get(path string, header ...string) *http.Response {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

// download fetches a whole file and returns its SHA-256 and length.
func (c *client) download(id string) (string, int64) {
	c.t.Helper()
	resp := c.get("/files/" + id)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET /files/%s = %d: %s", id, resp.StatusCode, readAll(resp))
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		c.t.Fatalf("GET /files/%s body: %v", id, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

func (c *client) delete(id string) int {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, c.base+"/files/"+id, nil)
	resp := c.do(req)
	resp.Body.Close()
	return resp.StatusCode
}

type fileInfo struct {
	uploaded
	Status string `json:"status"`
	Chunks []struct {
		Number        int    `json:"number"`
		Offset        int64  `json:"offset"`
		Size          int64  `json:"size"`
		Hash          string `json:"hash"`
		Status        string `json:"status"`
		ServerID      string `json:"server_id"`
		ServerAddress string `json:"server_address"`
	} `json:"chunks"`
}

func (c *client) info(id string) fileInfo {
	c.t.Helper()
	resp := c.get("/files/" + id + "/info")
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET /files/%s/info = %d", id, resp.StatusCode)
	}
	var fi fileInfo
	if err := json.NewDecoder(resp.Body).Decode(&fi); err != nil {
		c.t.Fatal(err)
	}
	return fi
}

func readAll(resp *http.Response) string {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return string(raw)
}

// randomData is a deterministic pseudo-random stream of size bytes; its
// SHA-256 is computed without holding the bytes.
func randomData(seed uint64, size int64) io.Reader {
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	return io.LimitReader(rand.NewChaCha8(key), size)
}

func sha256Of(seed uint64, size int64) string {
	h := sha256.New()
	if _, err := io.Copy(h, randomData(seed, size)); err != nil {
		panic(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func randomBytes(seed uint64, size int64) []byte {
	b, _ := io.ReadAll(randomData(seed, size))
	return b
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// chunkFiles lists every chunk file on every node of the cluster.
func chunkFiles(t *testing.T, c *harness.Cluster) map[string]int64 {
	t.Helper()
	files := map[string]int64{}
	for i := range c.NumNodes() {
		root := filepath.Join(c.NodeDataDir(i), "chunks")
		_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if fi, err := d.Info(); err == nil {
					files[filepath.Base(path)] = fi.Size()
				}
			}
			return nil
		})
	}
	return files
}

func poolFor(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
