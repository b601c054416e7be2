package server_test

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"sixfold/gateway/admission"
	"sixfold/gateway/auth"

	"sixfold/gateway/filesapi"
	"sixfold/gateway/server"
)

// guarded is the Echo instance with an S3 stand-in that counts its calls.
func guarded(t *testing.T, list *admission.Allowlist, limiter *admission.Limiter) (http.Handler, *int) {
	t.Helper()
	s3Calls := new(int)
	s3 := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { *s3Calls++ })
	e := server.New(server.Deps{Files: filesapi.New(filesapi.Config{}),
		Keys:      auth.NewKeyStore(map[string]string{"ak": "sk", "other": "other-sk"}),
		Log:       zerolog.Nop(),
		S3:        s3,
		Allowlist: list,
		Limiter:   limiter,
		Admin:     fakeAdmin{},
	})
	return e, s3Calls
}

// fakeAdmin serves GET /admin/cluster with 200.
type fakeAdmin struct{}

func (fakeAdmin) Register(g *echo.Group) {
	g.GET("/cluster", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
}

// call serves one request from remote, with Basic credentials when user
// is set.
func call(h http.Handler, method, target, remote, user, pass string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	req.RemoteAddr = remote
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func jsonCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct {
		Error server.Error `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q is not the JSON error: %v", w.Body, err)
	}
	return body.Error.Code
}

func TestAllowlistRefusesOtherNetworks(t *testing.T) {
	list, err := admission.ParseAllowlist([]string{"10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	h, s3Calls := guarded(t, list, nil)
	for _, path := range []string{"/files", "/files/x/info", "/health", "/health/live", "/admin/cluster", "/metrics"} {
		w := call(h, http.MethodGet, path, "192.0.2.1:4000", "ak", "sk")
		if w.Code != http.StatusForbidden || jsonCode(t, w) != "AccessDenied" {
			t.Errorf("GET %s from outside: %d %s; want 403 AccessDenied as JSON", path, w.Code, w.Body)
		}
	}
	w := call(h, http.MethodPut, "/bucket/key", "[2001:db8::1]:4000", "", "")
	var doc struct{ Code, RequestId string }
	if err := xml.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != http.StatusForbidden || doc.Code != "AccessDenied" {
		t.Errorf("S3 PUT from outside: %d %q; want 403 with S3's AccessDenied document", w.Code, w.Body)
	}
	if doc.RequestId == "" || doc.RequestId != w.Header().Get("X-Request-Id") {
		t.Errorf("S3 refusal request id %q; want the response's X-Request-Id %q", doc.RequestId, w.Header().Get("X-Request-Id"))
	}
	if *s3Calls != 0 {
		t.Fatalf("the S3 handler ran %d times for refused clients", *s3Calls)
	}
	if w := call(h, http.MethodGet, "/bucket/key", "10.9.8.7:4000", "", ""); w.Code != http.StatusOK || *s3Calls != 1 {
		t.Errorf("S3 GET from inside: %d, S3 handler calls %d; want 200 from the S3 handler", w.Code, *s3Calls)
	}
	if w := call(h, http.MethodGet, "/health/live", "10.0.0.1:4000", "", ""); w.Code != http.StatusOK {
		t.Errorf("GET /health/live from inside: %d", w.Code)
	}
}

func TestRateLimitOnFiles(t *testing.T) {
	h, _ := guarded(t, nil, admission.NewLimiter(0.001, 2)) // two requests, then none for ~17 min
	for i := range 2 {
		if w := call(h, http.MethodGet, "/files/not-a-uuid", "192.0.2.1:4000", "ak", "sk"); w.Code != http.StatusBadRequest {
			t.Fatalf("request %d under the limit: %d %s", i+1, w.Code, w.Body)
		}
	}
	w := call(h, http.MethodGet, "/files/not-a-uuid", "192.0.2.1:4000", "ak", "sk")
	if w.Code != http.StatusTooManyRequests || jsonCode(t, w) != "SlowDown" || w.Header().Get("Retry-After") != "1000" {
		t.Errorf("over the limit: %d %s Retry-After %q; want 429 SlowDown, Retry-After 1000", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
	if w := call(h, http.MethodGet, "/files/not-a-uuid", "192.0.2.1:4000", "other", "other-sk"); w.Code != http.StatusBadRequest {
		t.Errorf("another key from the same address: %d; want its own bucket (400 for the bad id)", w.Code)
	}
	if w := call(h, http.MethodGet, "/admin/cluster", "192.0.2.2:4000", "ak", "sk"); w.Code != http.StatusTooManyRequests {
		t.Errorf("the same key on /admin from elsewhere: %d; want 429 (the bucket is the key's)", w.Code)
	}
}

func TestRateLimitWithoutCredentials(t *testing.T) {
	h, _ := guarded(t, nil, admission.NewLimiter(0.001, 2))
	for i := range 2 {
		if w := call(h, http.MethodGet, "/files", "192.0.2.1:4000", "ak", "wrong"); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong secret %d: %d; want 401", i+1, w.Code)
		}
	}
	if w := call(h, http.MethodGet, "/files", "192.0.2.1:5000", "", ""); w.Code != http.StatusTooManyRequests {
		t.Errorf("third try without valid credentials from the address: %d; want 429", w.Code)
	}
	if w := call(h, http.MethodGet, "/files", "192.0.2.99:4000", "ak", "wrong"); w.Code != http.StatusUnauthorized {
		t.Errorf("another address: %d; want 401 from its own bucket", w.Code)
	}
	if w := call(h, http.MethodGet, "/files/not-a-uuid", "192.0.2.1:4000", "ak", "sk"); w.Code != http.StatusBadRequest {
		t.Errorf("valid credentials from the limited address: %d; want the key's own bucket", w.Code)
	}
	for range 5 {
		if w := call(h, http.MethodGet, "/health/live", "192.0.2.1:4000", "", ""); w.Code != http.StatusOK {
			t.Fatalf("GET /health/live: %d; health checks are not rate-limited", w.Code)
		}
	}
}
