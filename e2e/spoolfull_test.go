package e2e_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sixfold/e2e/harness"
)

// TestSpoolFull: bodies of unknown length (chunked) are staged on disk
// under SPOOL_MAX_BYTES for the whole gateway. One within it is stored
// byte for byte; one past it gets 503 SpoolFull with Retry-After, is not
// stored, and leaves nothing staged behind.
func TestSpoolFull(t *testing.T) {
	c := startCluster(t, harness.Options{GatewayEnv: []string{"SPOOL_MAX_BYTES=1048576"}})
	cl := newClient(t, c)
	chunked := func(data []byte) *http.Response {
		// A reader of unknown length: net/http sends it chunked.
		req, _ := http.NewRequest(http.MethodPost, cl.base+"/files?filename=chunked.bin", io.MultiReader(bytes.NewReader(data)))
		req.ContentLength = -1
		return cl.do(req)
	}
	small := randomBytes(1901, 700<<10)
	resp, up := cl.decodeUpload(chunked(small))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("700 KiB chunked upload within the 1 MiB spool: %d", resp.StatusCode)
	}
	if got, n := cl.download(up.FileID); got != sum(small) || n != int64(len(small)) {
		t.Errorf("download: %d bytes %s; want %d %s", n, got, len(small), sum(small))
	}
	before := listedIDs(t, cl)
	resp = chunked(randomBytes(1902, 3<<20))
	body := readAll(resp)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"SpoolFull"`) || resp.Header.Get("Retry-After") == "" {
		t.Errorf("3 MiB chunked upload past the spool: %d %s (Retry-After %q); want 503 SpoolFull with Retry-After", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	if after := listedIDs(t, cl); len(after) != len(before) {
		t.Errorf("files %d after the refused upload; want %d", len(after), len(before))
	}
	staged, _ := filepath.Glob(filepath.Join(c.Dir(), "sixfold-spool-*"))
	if len(staged) != 0 {
		t.Errorf("staged files left behind: %v", staged)
	}
	if _, err := os.Stat(c.Dir()); err != nil {
		t.Fatal(err)
	}
}
