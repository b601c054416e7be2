package e2e_test

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"sixfold/e2e/harness"
)

// fromAddr is an S3 env whose connections come from loopback address ip,
// so the gateway sees distinct clients.
func fromAddr(t *testing.T, c *harness.Cluster, ip, key, secret string) *s3Env {
	t.Helper()
	e := &s3Env{cluster: c, url: c.GatewayURL(), key: key, secret: secret}
	tr := e.transport()
	tr.DialContext = dialFrom(ip)
	e.http = &http.Client{Transport: tr}
	e.s3 = newGoV2Client(t, e)
	e.s3 = s3.New(e.s3.Options(), func(o *s3.Options) {
		o.HTTPClient = e.http
		o.RetryMaxAttempts = 1
	})
	return e
}

// dialFrom dials from loopback address ip.
func dialFrom(ip string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	return d.DialContext
}

// TestBruteForceThrottled: with the guessing throttle at 5 failures, then
// one per 5 s, a sixth request for a key that was guessed at gets 503
// SlowDown with Retry-After on S3 — even with the right secret, and from
// another address — while other keys from other addresses are served; the
// guessing address is refused for every key; /files answers 429 SlowDown
// likewise; both are counted in sixfold_auth_failures_total. Once the
// bucket refills, the key works again.
func TestBruteForceThrottled(t *testing.T) {
	c := startCluster(t, harness.Options{GatewayEnv: []string{
		"AUTH_FAILURE_RPS=0.2", "AUTH_FAILURE_BURST=5", "SIXFOLD_KEYS=victim:victim-secret-1:readwrite"}})
	ctx := context.Background()
	rootKey, rootSecret := c.Credentials()
	list := func(e *s3Env) error {
		_, err := e.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
		return err
	}

	guesser := fromAddr(t, c, "127.0.0.2", "victim", "wrong-secret")
	for i := range 5 {
		if err := list(guesser); s3Code(err) != "SignatureDoesNotMatch" {
			t.Fatalf("guess %d: %v; want SignatureDoesNotMatch", i+1, err)
		}
	}
	if err := list(guesser); s3Code(err) != "SlowDown" || s3Status(err) != http.StatusServiceUnavailable {
		t.Errorf("sixth guess: %v; want 503 SlowDown", err)
	}
	owner := fromAddr(t, c, "127.0.0.3", "victim", "victim-secret-1")
	req := owner.signed(t, rawReq{method: http.MethodGet, path: ""})
	resp := owner.exchange(t, req)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("the guessed key with its right secret from another address: %d %s; want 503", resp.StatusCode, resp.Body)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 5 {
		t.Errorf("Retry-After %q; want 1 to 5 seconds", resp.Header.Get("Retry-After"))
	}
	if err := list(fromAddr(t, c, "127.0.0.3", rootKey, rootSecret)); err != nil {
		t.Errorf("another key from another address: %v; want served", err)
	}
	if err := list(fromAddr(t, c, "127.0.0.2", rootKey, rootSecret)); s3Code(err) != "SlowDown" {
		t.Errorf("the guessing address with the root key: %v; want SlowDown", err)
	}

	// /files: an unknown key guessed from a fresh address.
	files := newClient(t, c)
	files.http = &http.Client{Transport: &http.Transport{DialContext: dialFrom("127.0.0.4")}}
	files.key, files.secret = "ghost", "not-a-secret"
	for i := range 5 {
		if r := files.get("/files"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("/files guess %d: %d; want 401", i+1, r.StatusCode)
		}
	}
	r := files.get("/files")
	if body := readAll(r); r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("/files sixth guess: %d %s (Retry-After %q); want 429 SlowDown with Retry-After", r.StatusCode, body, r.Header.Get("Retry-After"))
	}

	m := scrapeMetrics(t, c.GatewayURL())
	if failed, throttled := m.sum("sixfold_auth_failures_total", "event=failed"), m.sum("sixfold_auth_failures_total", "event=throttled"); failed != 10 || throttled < 4 {
		t.Errorf("sixfold_auth_failures_total failed=%v throttled=%v; want 10 and at least 4", failed, throttled)
	}

	eventually(t, 30*time.Second, "the guessed key works again once its bucket refills", func() bool {
		return list(owner) == nil
	})
}
