package e2e_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
)

// wireLog records how each client framed its uploads, so the suite can
// show that HTTPS really exercised the other encodings (S3-CLIENTS.md
// §a.6): one entry "<client> <HTTP version> <x-amz-content-sha256 mode>"
// per distinct kind of PUT seen.
type wireLog struct {
	mu   sync.Mutex
	seen map[string]bool // guarded by mu
}

// note records one PUT and the protocol its answer came back on.
func (w *wireLog) note(client string, req *http.Request, resp *http.Response) {
	if req.Method != http.MethodPut {
		return
	}
	mode := req.Header.Get("X-Amz-Content-Sha256")
	if len(mode) == 64 {
		mode = "hex"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	w.seen[fmt.Sprintf("%s %s %s", client, resp.Proto, mode)] = true
}

func (w *wireLog) entries() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for k := range w.seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// recordingTransport notes every exchange of one client in a wireLog.
type recordingTransport struct {
	client string
	next   http.RoundTripper
	log    *wireLog
}

func (r recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err == nil {
		r.log.note(r.client, req, resp)
	}
	return resp, err
}

// doer is the SDK's HTTP client interface.
type doer interface {
	Do(*http.Request) (*http.Response, error)
}

// recordingDoer notes every exchange of the AWS SDK.
type recordingDoer struct {
	next doer
	log  *wireLog
}

func (r recordingDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := r.next.Do(req)
	if err == nil {
		r.log.note("go-v2", req, resp)
	}
	return resp, err
}

// checkFraming runs last: it checks that the uploads of go-v2 and minio-go
// arrived in the framing each client uses on this transport.
func checkFraming(t *testing.T, e *s3Env) {
	want := []string{
		"go-v2 HTTP/1.1 hex",
		"minio-go HTTP/1.1 STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
		"minio-go HTTP/1.1 STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
	}
	if e.secure {
		want = []string{
			"go-v2 HTTP/2.0 STREAMING-UNSIGNED-PAYLOAD-TRAILER",
			"minio-go HTTP/1.1 STREAMING-UNSIGNED-PAYLOAD-TRAILER",
			"minio-go HTTP/1.1 UNSIGNED-PAYLOAD",
		}
	}
	got := e.wire.entries()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("no upload seen as %q; seen: %q", w, got)
		}
	}
}
