package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"sixfold/e2e/harness"
)

// chromiumPath finds Debian's chromium; with CI=true its absence fails
// the test (make test installs it), elsewhere it skips.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (make test installs it with apt-get)")
	}
	t.Skip("chromium is not installed; `make chromium` installs it")
	return ""
}

// artifactDir is where the browser test leaves its screenshots:
// .data/artifacts/<test> under the repository.
func artifactDir(t *testing.T) string {
	t.Helper()
	root, err := harness.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, ".data", "artifacts", t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser drives headless chromium and collects what the page throws or
// logs as an error.
type browser struct {
	t      *testing.T
	ctx    context.Context
	shots  string
	mu     sync.Mutex // protects errors
	errors []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, shots: artifactDir(t)}
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			desc := d.Text
			if d.Exception != nil {
				desc += " " + d.Exception.Description
			}
			b.errors = append(b.errors, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber, desc))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				b.errors = append(b.errors, "console."+string(ev.Type)+": "+strings.Join(args, " "))
			}
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

// step runs actions, each bounded so that a page that never shows what is
// awaited fails the test instead of hanging it.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.failed(what, err)
	}
}

// failed ends the test, leaving what the page showed as failed.png and
// what it reported.
func (b *browser) failed(what string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if png, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil {
		_ = os.WriteFile(filepath.Join(b.shots, "failed.png"), png, 0o644)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.t.Fatalf("%s: %v (page errors: %v; see failed.png in %s)", what, err, b.errors, b.shots)
}

// stepTimeout bounds each step, so a page that never shows what is
// awaited fails the test instead of hanging it.
const stepTimeout = 2 * time.Minute

func value[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.failed(what, err)
	}
	return v
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	b.run("settle", chromedp.Sleep(200*time.Millisecond))
	png := value(b, "screenshot "+name, chromedp.FullScreenshot(100)) // 100: PNG
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// text is what sel's first element shows, read in the page itself (the
// element must exist).
func (b *browser) text(sel string) string {
	b.t.Helper()
	return value(b, "read "+sel, chromedp.Evaluate[string](fmt.Sprintf("document.querySelector(%q).innerText", sel)))
}

func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	r := value(b, "read "+sel+"@"+name, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if !r.Exists {
		b.t.Fatalf("%s has no %s", sel, name)
	}
	return r.Value
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	return value(b, "count "+sel, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
}

// waitJS polls a JavaScript condition until it holds.
func (b *browser) waitJS(what, cond string) {
	b.t.Helper()
	value(b, "wait for "+what, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
}

// goHash moves the page to another of its views (#/…) the way a link
// does; chromedp.Navigate may wait for a load that a hash change never
// brings.
func goHash(hash string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[any](fmt.Sprintf("location.hash = %q", hash))(ctx, t)
		return chromedp.Void{}, err
	}
}

func visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}
func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }
func setValue(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(sel), v)
}

// signIn fills the sign-in form and submits it.
func (b *browser) signIn(key, secret string) {
	b.t.Helper()
	b.run("sign in", visible("#login-form"), setValue("#access-key", key), setValue("#secret", secret), click("#login-submit"))
}

func getBody(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestConsoleInBrowser drives the console in headless chromium against a
// real cluster, as a person would: a wrong secret then the right one, a
// new bucket, a 20 MiB upload (multipart, with a progress bar), its
// details and shard map, download and share link compared byte for byte,
// delete, the cluster page, sign-out.
func TestConsoleInBrowser(t *testing.T) {
	// A cluster of its own: the test stores and deletes thousands of keys,
	// whose chunk deletions (due after S3's read grace) would still be
	// draining while later tests on the shared cluster count what is left.
	c := startCluster(t, harness.Options{})
	key, secret := c.Credentials()
	b := newBrowser(t)
	base := c.GatewayURL()

	b.run("open console", chromedp.Navigate(base+"/console/"))
	b.signIn(key, secret+"-wrong")
	b.waitJS("wrong-secret message", `document.querySelector("#login-error").textContent.includes("Wrong access key or secret")`)
	b.screenshot("01-sign-in-refused")
	b.signIn(key, secret)
	b.run("signed in", visible("#signout"))
	if who := b.text("#who"); who != key {
		t.Fatalf("signed in as %q; want %q", who, key)
	}

	bucket := fmt.Sprintf("console-%d", time.Now().UnixNano())
	b.run("create bucket", visible("#create-bucket"),
		setValue("#new-bucket", bucket),
		click("#create-bucket-submit"),
		visible("#drop"))

	const size = 20 << 20
	data := randomBytes(77, size)
	file := filepath.Join(t.TempDir(), "twenty.bin")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	b.run("pick file", chromedp.SetUploadFiles(chromedp.CSS("#upload-input"), []string{file}))
	b.waitJS("upload to start", `document.querySelector('#uploads .up[data-file="twenty.bin"]') !== null`)
	var seen []string
	for {
		st := value(b, "progress", chromedp.Evaluate[progressState](`(() => { const r = document.querySelector('#uploads .up[data-file="twenty.bin"]');
			return { state: r.dataset.state, value: r.querySelector("progress").value, max: r.querySelector("progress").max,
			         pct: r.querySelector(".pct").textContent, rate: r.querySelector(".rate").textContent }; })()`))
		seen = append(seen, st.Pct)
		if st.State == "failed" || st.State == "cancelled" {
			t.Fatalf("upload %s: %s", st.State, st.Rate)
		}
		if st.State == "done" {
			if st.Value != st.Max || st.Max != size || st.Pct != "100%" || !strings.HasPrefix(st.Rate, "done in") {
				t.Fatalf("finished upload shows %v/%v %q %q; want the full bar at 100%%", st.Value, st.Max, st.Pct, st.Rate)
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("progress seen while uploading: %v", seen)
	b.waitJS("object listed", `document.querySelector('tr[data-key="twenty.bin"]') !== null`)
	b.screenshot("02-object-browser")
	e := newPlainS3Env(t, c, key, secret)
	consoleCancelUpload(t, b, e, bucket)
	consoleManyAtOnce(t, b, e, bucket)
	consoleObjectMetadata(t, b, e, base, bucket)
	b.run("back to the bucket", chromedp.Navigate(base+"/console/#/b/"+bucket+"/"), visible(`tr[data-key="twenty.bin"] a`))

	b.run("open details", click(`tr[data-key="twenty.bin"] a`),
		visible("#object-details"), visible("#shards"))
	// 20 MiB in 8 MiB parts: three blobs of six data and two parity shards.
	if n := b.count("#shards .shard-row"); n != 3*8 {
		t.Fatalf("shard map lists %d shards; want 24 (3 parts × 8)", n)
	}
	if n := b.count("#shard-nodes .node"); n != 6 {
		t.Fatalf("shard map draws %d nodes; want 6", n)
	}
	// Two parity shards per blob: no one node's loss makes it unreadable.
	if n := b.count(`#shard-nodes .node[data-loss="ok"]`); n != 6 {
		t.Fatalf("shard map says %d of 6 nodes could be lost without loss; want 6", n)
	}
	b.screenshot("03-object-details-and-shards")

	href := b.attr("#download", "href")
	resp, got := getBody(t, resolve(base, href))
	if resp.StatusCode != 200 || !bytes.Equal(got, data) {
		t.Fatalf("download: %d, %d bytes, equal=%v", resp.StatusCode, len(got), bytes.Equal(got, data))
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
		t.Fatalf("download Content-Disposition %q; want an attachment", cd)
	}

	b.run("share link", setValue("#share-expiry", "3600"),
		click("#share-create"), visible("#share-url"))
	shared := value(b, "read share link", chromedp.Value(chromedp.CSS("#share-url")))
	if !strings.Contains(shared, "X-Amz-Expires=3600") {
		t.Fatalf("share link %q does not expire in an hour", shared)
	}
	resp, got = getBody(t, shared)
	if resp.StatusCode != 200 || sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("share link: %d, %d bytes", resp.StatusCode, len(got))
	}

	b.run("delete object", click("#delete-object"),
		visible("#confirm-ok"), click("#confirm-ok"),
		visible("#empty"))
	if resp, _ := getBody(t, shared); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("share link after delete: %d; want 404", resp.StatusCode)
	}

	b.run("cluster page", chromedp.Navigate(base+"/console/#/cluster"),
		visible("#cluster-totals"), visible("#nav-cluster"))
	if n := b.count("tr[data-node]"); n != 6 {
		t.Fatalf("cluster page shows %d nodes; want 6", n)
	}
	// The gateway's counters have seen at least the 20 MiB going in and
	// coming out again (download and share link).
	b.waitJS("throughput rate", `document.querySelector("#traffic-rate") !== null`)
	in := value(b, "bytes in", chromedp.Evaluate[float64](`Number(document.querySelector("#traffic").dataset.bytesIn)`))
	out := value(b, "bytes out", chromedp.Evaluate[float64](`Number(document.querySelector("#traffic").dataset.bytesOut)`))
	if in < size || out < 2*size || !strings.Contains(b.text("#traffic-totals"), "requests") {
		t.Fatalf("throughput panel counts %.0f bytes in, %.0f out; want at least %d and %d", in, out, size, 2*size)
	}
	b.waitJS("toast gone", `!document.querySelector("#toast").classList.contains("show")`)
	b.screenshot("04-cluster")

	consolePages(t, b, e, base)
	consoleFilesView(t, b, newClient(t, c), base)

	b.run("delete bucket", chromedp.Navigate(base+"/console/#/buckets"),
		visible(fmt.Sprintf(`tr[data-bucket=%q] .delete-bucket`, bucket)))
	b.waitJS("bucket counted", fmt.Sprintf(`document.querySelector('tr[data-bucket=%q] [data-count]').textContent === "0"`, bucket))
	b.screenshot("05-buckets")
	b.run("confirm bucket delete", click(fmt.Sprintf(`tr[data-bucket=%q] .delete-bucket`, bucket)),
		visible("#confirm-ok"))
	if msg := b.text("#confirm-text"); !strings.Contains(msg, bucket) || !strings.Contains(msg, "empty") {
		t.Fatalf("bucket delete confirmation %q does not name the bucket and what is lost", msg)
	}
	b.run("bucket deleted", click("#confirm-ok"))
	b.waitJS("bucket gone", fmt.Sprintf(`document.querySelector('tr[data-bucket=%q]') === null && document.querySelector("#create-bucket") !== null`, bucket))

	b.run("sign out", click("#signout"), visible("#login-form"))
	status := value(b, "session after sign-out", chromedp.Evaluate[int](`fetch("/console/api/session").then(r => r.status)`, chromedp.EvalAwaitPromise))
	if status != http.StatusUnauthorized {
		t.Fatalf("GET /console/api/session after sign-out = %d; want 401", status)
	}
	b.run("reload signed out", chromedp.Reload(), visible("#login-form"))

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errors) > 0 {
		t.Fatalf("the page reported errors:\n%s", strings.Join(b.errors, "\n"))
	}
}

// progressState is what an upload's row shows.
type progressState struct {
	State string  `json:"state"`
	Value float64 `json:"value"`
	Max   float64 `json:"max"`
	Pct   string  `json:"pct"`
	Rate  string  `json:"rate"`
}

func resolve(base, href string) string {
	if strings.HasPrefix(href, "http") {
		return href
	}
	return base + href
}

// TestConsoleRefusals checks the console's API on the wire: a wrong
// secret, state-changing calls without or with a wrong CSRF token, the
// cookie's attributes, sign-out, and the slowing of repeated failures.
func TestConsoleRefusals(t *testing.T) {
	c := sharedCluster(t)
	key, secret := c.Credentials()
	base := c.GatewayURL() + "/console/api"
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: time.Minute}
	call := func(method, path, csrf string, body any) (int, map[string]any, *http.Response) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			raw, _ := json.Marshal(body)
			rd = bytes.NewReader(raw)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out, resp
	}
	errCode := func(out map[string]any) string {
		e, _ := out["error"].(map[string]any)
		s, _ := e["code"].(string)
		return s
	}

	if st, out, _ := call("POST", "/login", "", map[string]string{"access_key": key, "secret": "not-" + secret}); st != 401 || errCode(out) != "InvalidCredentials" {
		t.Fatalf("wrong secret: %d %v; want 401 InvalidCredentials", st, out)
	}
	st, out, resp := call("POST", "/login", "", map[string]string{"access_key": key, "secret": secret})
	if st != 200 {
		t.Fatalf("sign-in: %d %v", st, out)
	}
	cookie := resp.Header.Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/console/"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	csrf, _ := out["csrf_token"].(string)
	if csrf == "" {
		t.Fatalf("sign-in answer has no csrf_token: %v", out)
	}

	presign := map[string]any{"method": "GET", "bucket": ""}
	for _, tc := range []struct{ name, token string }{{"missing", ""}, {"wrong", csrf + "x"}} {
		if st, out, _ := call("POST", "/presign", tc.token, presign); st != 403 || errCode(out) != "InvalidCSRFToken" {
			t.Errorf("presign with a %s CSRF token: %d %v; want 403 InvalidCSRFToken", tc.name, st, out)
		}
		if st, _, _ := call("PUT", "/admin/nodes/00000000-0000-0000-0000-000000000000/status", tc.token, map[string]string{"status": "active"}); st != 403 {
			t.Errorf("admin PUT with a %s CSRF token: %d; want 403", tc.name, st)
		}
		if st, _, _ := call("POST", "/logout", tc.token, nil); st != 403 {
			t.Errorf("sign-out with a %s CSRF token: %d; want 403", tc.name, st)
		}
	}
	if st, out, _ := call("POST", "/presign", csrf, presign); st != 200 || out["url"] == nil {
		t.Fatalf("presign with the token: %d %v", st, out)
	}
	if st, out, _ := call("GET", "/files?limit=1", "", nil); st != 200 || out["files"] == nil {
		t.Fatalf("GET /files through the console: %d %v", st, out)
	}
	if st, _, _ := call("POST", "/logout", csrf, nil); st != 204 {
		t.Fatalf("sign-out: %d", st)
	}
	if st, _, _ := call("GET", "/session", "", nil); st != 401 {
		t.Fatalf("session after sign-out: %d; want 401", st)
	}
	if st, _, _ := call("GET", "/files", "", nil); st != 401 {
		t.Fatalf("GET /files after sign-out: %d; want 401", st)
	}

	// Failures beyond the first few make the next attempt wait, with a
	// delay that doubles each time, so one arrives within it.
	throttled := false
	for i := 0; i < 10 && !throttled; i++ {
		st, out, resp := call("POST", "/login", "", map[string]string{"access_key": key, "secret": "guess"})
		switch st {
		case 401:
		case 429:
			throttled = errCode(out) == "TooManyAttempts" && resp.Header.Get("Retry-After") != ""
		default:
			t.Fatalf("guess %d: %d %v", i, st, out)
		}
	}
	if !throttled {
		t.Fatal("ten wrong secrets in a row were never slowed down (no 429 TooManyAttempts with Retry-After)")
	}
}
