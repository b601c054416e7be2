package console

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// keys is a key store whose secrets a test may change.
type keys struct {
	mu      sync.Mutex // protects secrets
	secrets map[string]string
}

func (k *keys) Check(ak, sk string) bool {
	got, ok := k.Secret(ak)
	return ok && got == sk
}

func (k *keys) Secret(ak string) (string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	sk, ok := k.secrets[ak]
	return sk, ok
}

func (k *keys) set(ak, sk string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.secrets[ak] = sk
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex // protects now
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

const (
	testKey    = "alice"
	testSecret = "alice-secret"
)

// fixture is a console on an Echo whose /files and /admin routes record
// what reaches them.
type fixture struct {
	t       *testing.T
	e       *echo.Echo
	keys    *keys
	clock   *clock
	console *Console
	// forwarded is the last request the gateway's own routes received.
	forwarded *http.Request
}

func newFixture(t *testing.T, o Options) *fixture {
	t.Helper()
	f := &fixture{t: t, e: echo.New(), clock: &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		keys: &keys{secrets: map[string]string{testKey: testSecret}}}
	o.Keys, o.Now = f.keys, f.clock.Now
	f.console = New(o)
	record := func(c echo.Context) error {
		f.forwarded = c.Request()
		return c.JSON(http.StatusOK, map[string]any{"files": []any{}})
	}
	f.e.Any("/files", record)
	f.e.Any("/admin/*", record)
	f.console.Register(f.e)
	return f
}

// response is one answer of the console.
type response struct {
	*httptest.ResponseRecorder
	body map[string]any
}

func (r response) code() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// request carries what a browser would send.
type request struct {
	method, path, body string
	cookie, csrf       string
	addr               string
	tls                bool
}

func (f *fixture) do(r request) response {
	f.t.Helper()
	req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.cookie != "" {
		req.AddCookie(&http.Cookie{Name: cookieName, Value: r.cookie})
	}
	if r.csrf != "" {
		req.Header.Set(csrfHeader, r.csrf)
	}
	if r.addr != "" {
		req.RemoteAddr = r.addr
	}
	if r.tls {
		req.TLS = &tls.ConnectionState{}
	}
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	out := response{ResponseRecorder: rec}
	_ = json.Unmarshal(rec.Body.Bytes(), &out.body)
	return out
}

func loginBody(ak, sk string) string {
	raw, _ := json.Marshal(loginRequest{AccessKey: ak, Secret: sk})
	return string(raw)
}

// signIn signs in and returns the cookie value and CSRF token.
func (f *fixture) signIn(r request) (cookie, csrf string) {
	f.t.Helper()
	r.method, r.path, r.body = http.MethodPost, "/console/api/login", loginBody(testKey, testSecret)
	res := f.do(r)
	if res.Code != http.StatusOK {
		f.t.Fatalf("sign-in: %d %s", res.Code, res.Body)
	}
	c := sessionCookie(f.t, res)
	csrf, _ = res.body["csrf_token"].(string)
	if csrf == "" {
		f.t.Fatalf("sign-in answer has no csrf_token: %s", res.Body)
	}
	return c.Value, csrf
}

func sessionCookie(t *testing.T, res response) *http.Cookie {
	t.Helper()
	for _, c := range res.Result().Cookies() {
		if c.Name == cookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", cookieName, res.Header()["Set-Cookie"])
	return nil
}

func TestSessionCookieFlags(t *testing.T) {
	for _, tc := range []struct {
		name       string
		tls        bool
		wantSecure bool
	}{{"plain HTTP", false, false}, {"TLS", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{SessionTTL: time.Hour})
			res := f.do(request{method: http.MethodPost, path: "/console/api/login", body: loginBody(testKey, testSecret), tls: tc.tls})
			if res.Code != http.StatusOK {
				t.Fatalf("sign-in: %d %s", res.Code, res.Body)
			}
			c := sessionCookie(t, res)
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/console/" || c.Secure != tc.wantSecure {
				t.Fatalf("cookie HttpOnly=%v SameSite=%v Path=%q Secure=%v; want HttpOnly, Strict, /console/, Secure=%v",
					c.HttpOnly, c.SameSite, c.Path, c.Secure, tc.wantSecure)
			}
			if want := f.clock.Now().Add(time.Hour); !c.Expires.Equal(want.Truncate(time.Second)) {
				t.Fatalf("cookie expires %v; want %v", c.Expires, want)
			}
			if len(c.Value) < 40 {
				t.Fatalf("cookie value %q is too short to be unguessable", c.Value)
			}
			out := f.do(request{method: http.MethodPost, path: "/console/api/logout", cookie: c.Value, csrf: res.body["csrf_token"].(string), tls: tc.tls})
			gone := sessionCookie(t, response{ResponseRecorder: out.ResponseRecorder})
			if out.Code != http.StatusNoContent || gone.MaxAge >= 0 || !gone.HttpOnly || gone.Secure != tc.wantSecure {
				t.Fatalf("sign-out: %d, cookie MaxAge=%d HttpOnly=%v Secure=%v; want 204 and a deleted cookie", out.Code, gone.MaxAge, gone.HttpOnly, gone.Secure)
			}
		})
	}
}

func TestWrongSecretRefused(t *testing.T) {
	f := newFixture(t, Options{})
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"wrong secret", loginBody(testKey, "nope-nope"), http.StatusUnauthorized, "InvalidCredentials"},
		{"unknown key", loginBody("mallory", testSecret), http.StatusUnauthorized, "InvalidCredentials"},
		{"empty secret", loginBody(testKey, ""), http.StatusBadRequest, "MissingCredentials"},
		{"not JSON", "access_key=alice", http.StatusBadRequest, "InvalidJSON"},
		{"unknown field", `{"access_key":"alice","secret":"alice-secret","admin":true}`, http.StatusBadRequest, "InvalidJSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := f.do(request{method: http.MethodPost, path: "/console/api/login", body: tc.body, addr: "192.0.2.1:1000"})
			if res.Code != tc.status || res.code() != tc.code {
				t.Fatalf("got %d %s; want %d %s", res.Code, res.Body, tc.status, tc.code)
			}
			if len(res.Result().Cookies()) != 0 {
				t.Fatalf("a refused sign-in set cookies: %v", res.Header()["Set-Cookie"])
			}
		})
	}
	req := httptest.NewRequest(http.MethodPost, "/console/api/login", strings.NewReader(loginBody(testKey, testSecret)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded") // what a cross-site form can send
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnsupportedMediaType {
		t.Fatalf("a form-encoded sign-in: %d; want 415", rec.Code)
	}
}

// TestCSRFRequired sends every state-changing call without the token,
// with another session's token and with its own; only the last passes.
func TestCSRFRequired(t *testing.T) {
	f := newFixture(t, Options{})
	cookie, csrf := f.signIn(request{})
	_, otherCSRF := f.signIn(request{})
	calls := []request{
		{method: http.MethodPost, path: "/console/api/presign", body: `{"method":"GET","bucket":""}`},
		{method: http.MethodPut, path: "/console/api/admin/nodes/x/status", body: `{"status":"maintenance"}`},
		{method: http.MethodDelete, path: "/console/api/files"},
		{method: http.MethodPost, path: "/console/api/logout", body: `{}`},
	}
	for _, call := range calls {
		for _, tc := range []struct{ name, token string }{{"no token", ""}, {"another session's", otherCSRF}, {"truncated", csrf[:len(csrf)-1]}} {
			r := call
			r.cookie, r.csrf = cookie, tc.token
			f.forwarded = nil
			if res := f.do(r); res.Code != http.StatusForbidden || res.code() != "InvalidCSRFToken" {
				t.Errorf("%s %s with %s: %d %s; want 403 InvalidCSRFToken", r.method, r.path, tc.name, res.Code, res.Body)
			}
			if f.forwarded != nil {
				t.Errorf("%s %s with %s reached the gateway's route", r.method, r.path, tc.name)
			}
		}
	}
	for _, call := range calls {
		r := call
		r.cookie, r.csrf = cookie, csrf
		if res := f.do(r); res.Code >= 300 {
			t.Errorf("%s %s with the token: %d %s", r.method, r.path, res.Code, res.Body)
		}
	}
	// Reads need no token.
	cookie, _ = f.signIn(request{})
	if res := f.do(request{method: http.MethodGet, path: "/console/api/session", cookie: cookie}); res.Code != http.StatusOK {
		t.Fatalf("GET session without a token: %d", res.Code)
	}
}

func TestSessionExpires(t *testing.T) {
	store := NewMemoryStore()
	f := newFixture(t, Options{SessionTTL: 30 * time.Minute, Sessions: store})
	cookie, _ := f.signIn(request{})
	f.clock.advance(30*time.Minute - time.Second)
	if res := f.do(request{method: http.MethodGet, path: "/console/api/session", cookie: cookie}); res.Code != http.StatusOK {
		t.Fatalf("a second before expiry: %d %s", res.Code, res.Body)
	}
	f.clock.advance(time.Second)
	for _, path := range []string{"/console/api/session", "/console/api/files"} {
		res := f.do(request{method: http.MethodGet, path: path, cookie: cookie})
		if res.Code != http.StatusUnauthorized || res.code() != "NotSignedIn" {
			t.Fatalf("GET %s at expiry: %d %s; want 401 NotSignedIn", path, res.Code, res.Body)
		}
	}
	// The next sign-in sweeps the expired session out of the store.
	f.signIn(request{})
	store.mu.Lock()
	n := len(store.byID)
	store.mu.Unlock()
	if n != 1 {
		t.Fatalf("store holds %d sessions after a sign-in past the first's expiry; want 1", n)
	}
}

func TestNoOrForgedCookieRefused(t *testing.T) {
	f := newFixture(t, Options{})
	cookie, _ := f.signIn(request{})
	for _, c := range []string{"", "forged", cookie + "x"} {
		if res := f.do(request{method: http.MethodGet, path: "/console/api/session", cookie: c}); res.Code != http.StatusUnauthorized {
			t.Errorf("cookie %q: %d; want 401", c, res.Code)
		}
	}
}

// TestSecretChangeEndsSession: a key whose secret changes after sign-in
// no longer acts through the console, and signing in anew works.
func TestSecretChangeEndsSession(t *testing.T) {
	f := newFixture(t, Options{})
	cookie, _ := f.signIn(request{})
	f.keys.set(testKey, "rotated-secret")
	if res := f.do(request{method: http.MethodGet, path: "/console/api/files", cookie: cookie}); res.Code != http.StatusUnauthorized || f.forwarded != nil {
		t.Fatalf("after the secret changed: %d, forwarded=%v; want 401 and nothing forwarded", res.Code, f.forwarded != nil)
	}
	f.keys.set(testKey, testSecret)
	if res := f.do(request{method: http.MethodGet, path: "/console/api/session", cookie: cookie}); res.Code != http.StatusUnauthorized {
		t.Fatalf("the ended session came back when the secret did: %d", res.Code)
	}
}

// TestThrottleSlowsGuessing: three free failures, then a wait that
// doubles, answered 429 with Retry-After even for the right secret; other
// addresses are not held up, and a success after the wait clears it.
func TestThrottleSlowsGuessing(t *testing.T) {
	f := newFixture(t, Options{})
	const addr = "198.51.100.7:5555"
	guess := request{method: http.MethodPost, path: "/console/api/login", body: loginBody(testKey, "guess-guess"), addr: addr}
	right := request{method: http.MethodPost, path: "/console/api/login", body: loginBody(testKey, testSecret), addr: addr}
	for i := 0; i < freeFailures; i++ {
		if res := f.do(guess); res.Code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d; want 401", i+1, res.Code)
		}
	}
	for _, wantWait := range []int{1, 2, 4} {
		res := f.do(right)
		if res.Code != http.StatusTooManyRequests || res.code() != "TooManyAttempts" || res.Header().Get("Retry-After") != strconv.Itoa(wantWait) {
			t.Fatalf("while held back: %d %s Retry-After=%q; want 429 TooManyAttempts, Retry-After %d",
				res.Code, res.code(), res.Header().Get("Retry-After"), wantWait)
		}
		f.clock.advance(time.Duration(wantWait) * time.Second)
		if res := f.do(guess); res.Code != http.StatusUnauthorized {
			t.Fatalf("guess after waiting %d s: %d; want 401", wantWait, res.Code)
		}
	}
	other := right
	other.addr = "198.51.100.8:5555"
	if res := f.do(other); res.Code != http.StatusOK {
		t.Fatalf("another address: %d; want 200", res.Code)
	}
	f.clock.advance(8 * time.Second)
	if res := f.do(right); res.Code != http.StatusOK {
		t.Fatalf("the right secret after the wait: %d", res.Code)
	}
	if res := f.do(guess); res.Code != http.StatusUnauthorized {
		t.Fatalf("a guess after a success is held back: %d; want 401 (the success cleared the count)", res.Code)
	}
}

// TestForwardActsAsSessionKey: /console/api/files… reaches the gateway's
// own route as the session's key, without the browser's cookie or token.
func TestForwardActsAsSessionKey(t *testing.T) {
	f := newFixture(t, Options{})
	cookie, csrf := f.signIn(request{})
	res := f.do(request{method: http.MethodDelete, path: "/console/api/files?limit=1", cookie: cookie, csrf: csrf})
	if res.Code != http.StatusOK || f.forwarded == nil {
		t.Fatalf("forward: %d, reached=%v", res.Code, f.forwarded != nil)
	}
	r := f.forwarded
	ak, sk, ok := r.BasicAuth()
	if !ok || ak != testKey || sk != testSecret {
		t.Fatalf("forwarded as %q/%q (basic=%v); want the session's key", ak, sk, ok)
	}
	if r.URL.Path != "/files" || r.URL.RawQuery != "limit=1" || r.Method != http.MethodDelete {
		t.Fatalf("forwarded %s %s?%s; want DELETE /files?limit=1", r.Method, r.URL.Path, r.URL.RawQuery)
	}
	if r.Header.Get("Cookie") != "" || r.Header.Get(csrfHeader) != "" {
		t.Fatalf("forwarded the browser's cookie or token: %v", r.Header)
	}
}

func TestPresign(t *testing.T) {
	f := newFixture(t, Options{Region: "eu-west-9"})
	cookie, csrf := f.signIn(request{})
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"object GET", `{"method":"GET","bucket":"b","key":"a b/c","expires_seconds":3600}`, http.StatusOK, ""},
		{"list buckets", `{"method":"GET","bucket":""}`, http.StatusOK, ""},
		{"bad method", `{"method":"PATCH","bucket":"b"}`, http.StatusBadRequest, "InvalidMethod"},
		{"PUT without bucket", `{"method":"PUT","bucket":""}`, http.StatusBadRequest, "InvalidTarget"},
		{"expiry too long", `{"method":"GET","bucket":"b","expires_seconds":604801}`, http.StatusBadRequest, "InvalidExpiry"},
		{"signing parameter", `{"method":"GET","bucket":"b","query":{"X-Amz-Credential":"x"}}`, http.StatusBadRequest, "InvalidQuery"},
		{"checksum mode header", `{"method":"HEAD","bucket":"b","key":"k","headers":{"x-amz-checksum-mode":"ENABLED"}}`, http.StatusOK, ""},
		{"other header", `{"method":"PUT","bucket":"b","key":"k","headers":{"x-amz-acl":"public-read"}}`, http.StatusBadRequest, "InvalidHeader"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := f.do(request{method: http.MethodPost, path: "/console/api/presign", body: tc.body, cookie: cookie, csrf: csrf})
			if res.Code != tc.status || res.code() != tc.code {
				t.Fatalf("got %d %s; want %d %s", res.Code, res.Body, tc.status, tc.code)
			}
			if tc.status != http.StatusOK {
				return
			}
			url, _ := res.body["url"].(string)
			if !strings.HasPrefix(url, "/") || !strings.Contains(url, "X-Amz-Credential="+testKey+"%2F20260102%2Feu-west-9%2Fs3%2Faws4_request") ||
				strings.Contains(url, testSecret) {
				t.Fatalf("presigned URL %q: want a same-host URL signed by %s in eu-west-9, without the secret", url, testKey)
			}
		})
	}
}

func TestTraffic(t *testing.T) {
	f := newFixture(t, Options{Traffic: func() (Traffic, error) { return Traffic{BytesIn: 10, BytesOut: 20, Requests: 3}, nil }})
	if res := f.do(request{method: http.MethodGet, path: "/console/api/traffic"}); res.Code != http.StatusUnauthorized {
		t.Fatalf("traffic without a session: %d; want 401", res.Code)
	}
	cookie, _ := f.signIn(request{})
	res := f.do(request{method: http.MethodGet, path: "/console/api/traffic", cookie: cookie})
	if res.Code != http.StatusOK || res.body["bytes_in"] != 10.0 || res.body["bytes_out"] != 20.0 || res.body["requests"] != 3.0 || res.body["at"] == nil {
		t.Fatalf("traffic: %d %s", res.Code, res.Body)
	}
}

func TestPagesServedWithPolicy(t *testing.T) {
	f := newFixture(t, Options{})
	for path, want := range map[string]string{"/console/": "<title>sixfold console</title>", "/console/app.js": "import"} {
		res := f.do(request{method: http.MethodGet, path: path})
		if res.Code != http.StatusOK || !strings.Contains(res.Body.String(), want) {
			t.Fatalf("GET %s: %d, body lacks %q", path, res.Code, want)
		}
		if csp := res.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Fatalf("GET %s: Content-Security-Policy %q", path, csp)
		}
	}
	if res := f.do(request{method: http.MethodGet, path: "/console/api/nothing"}); res.Code != http.StatusNotFound || res.code() != "NotFound" {
		t.Fatalf("unknown API: %d %s", res.Code, res.Body)
	}
}
