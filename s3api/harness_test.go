package s3api_test

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"sixfold/s3api"
	"sixfold/s3api/s3mem"
)

// Test credentials.
const (
	accessKey = "AKIDSIXFOLDTEST"
	secretKey = "sixfold-test-secret-key-0123456789"
)

// staticCredentials knows one key pair.
type staticCredentials map[string]string

// Secret implements sigv4.Credentials.
func (c staticCredentials) Secret(key string) (string, bool) {
	s, ok := c[key]
	return s, ok
}

// serverOptions select how a test server runs.
type serverOptions struct {
	tls bool
}

// testServer is the S3 door over s3mem on a local listener. It records
// how each upload was framed, so tests can show which path they took.
type testServer struct {
	*httptest.Server
	store *s3mem.Store
	mu    sync.Mutex // protects seen
	seen  []string   // "HTTP/x.y <x-amz-content-sha256 mode>" of every PUT
}

// newTestServer starts a server and closes it when the test ends.
func newTestServer(t *testing.T, opts serverOptions) *testServer {
	t.Helper()
	store := s3mem.New()
	h := s3api.New(s3api.Options{
		Backend:         store,
		Credentials:     staticCredentials{accessKey: secretKey},
		ReservedBuckets: []string{"files", "health"},
	})
	ts := &testServer{store: store}
	ts.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.record(r)
		h.ServeHTTP(w, r)
	}))
	if opts.tls {
		ts.EnableHTTP2 = true
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	return ts
}

// record notes a PUT's protocol and payload mode.
func (s *testServer) record(r *http.Request) {
	if r.Method != http.MethodPut {
		return
	}
	mode := r.Header.Get("X-Amz-Content-Sha256")
	if len(mode) == 64 {
		mode = "hex"
	}
	if r.URL.Query().Has("X-Amz-Signature") {
		mode = "presigned"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, r.Proto+" "+mode)
}

// sawUpload reports whether some PUT arrived in payload mode (hex,
// UNSIGNED-PAYLOAD, STREAMING-…), over proto when proto is set.
func (s *testServer) sawUpload(proto, mode string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.ContainsFunc(s.seen, func(seen string) bool {
		p, m, _ := strings.Cut(seen, " ")
		return m == mode && (proto == "" || p == proto)
	})
}

// client is the server's own client (trusting its certificate when TLS).
func (s *testServer) client() *http.Client {
	return s.Client()
}

// randomData returns n reproducible pseudo-random bytes.
func randomData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// sameBytes fails the test unless got equals want, byte for byte.
func sameBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Errorf("%s: got %d bytes; want %d (first difference at %d)", what, len(got), len(want), i)
	}
}
