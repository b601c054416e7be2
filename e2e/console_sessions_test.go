package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sixfold/e2e/harness"
)

// consoleTTL is the session lifetime of TestConsoleSessionsAndRoles: long
// enough for a gateway restart inside it on a busy machine, short enough
// to wait out.
const consoleTTL = 45 * time.Second

// consoleSignIn signs in over HTTP at base and returns the session cookie
// and when the session ends.
func consoleSignIn(t *testing.T, base, key, secret string) (*http.Cookie, time.Time) {
	t.Helper()
	raw, _ := json.Marshal(map[string]string{"access_key": key, "secret": secret})
	resp, err := http.Post(base+"/console/api/login", "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct {
		ExpiresAt time.Time `json:"expires_at"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&s) != nil {
		t.Fatalf("sign-in at %s: %d", base, resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "sixfold_console" {
			return c, s.ExpiresAt
		}
	}
	t.Fatalf("sign-in at %s set no session cookie", base)
	return nil, time.Time{}
}

// consoleSessionStatus is GET /console/api/session's status with cookie.
func consoleSessionStatus(t *testing.T, base string, cookie *http.Cookie) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/console/api/session", nil)
	req.AddCookie(cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitPast sleeps until t has passed (by a margin for clock reading).
func waitPast(deadline time.Time) {
	time.Sleep(time.Until(deadline) + time.Second)
}

// TestConsoleSessionsAndRoles runs two gateways over one database with a
// short session lifetime and a read-only key. A session started on one
// gateway works on the other and survives a restart of the first; an admin
// puts a node into maintenance and back from the cluster page; the
// read-only key sees no Cluster link and is refused the page and a new
// bucket; a user's key made at runtime signs in, and its session ends on
// both gateways when the key is rotated; and once the lifetime has passed,
// the browser is sent back to sign in and every gateway refuses the session.
func TestConsoleSessionsAndRoles(t *testing.T) {
	const readerKey, readerSecret = "console-reader", "reader-secret-1"
	c := startCluster(t, harness.Options{Gateways: 2, GatewayEnv: []string{
		"CONSOLE_SESSION_TTL=" + consoleTTL.String(),
		"SIXFOLD_KEYS=" + readerKey + ":" + readerSecret + ":readonly",
		"SIXFOLD_MASTER_KEY=" + randomHex(t, 32),
	}})
	key, secret := c.Credentials()
	gw0, gw1 := c.GatewayURLAt(0), c.GatewayURLAt(1)
	b := newBrowser(t)

	httpCookie, httpExpires := consoleSignIn(t, gw1, key, secret)
	if got := httpExpires.Sub(time.Now()); got > consoleTTL || got < consoleTTL-30*time.Second {
		t.Fatalf("session ends in %s; want about CONSOLE_SESSION_TTL=%s", got, consoleTTL)
	}
	b.run("open gateway 1", chromedp.Navigate(gw0+"/console/"))
	b.signIn(key, secret)
	b.run("signed in", visible("#create-bucket"))
	signedInAt := time.Now()

	// Cookies belong to the host, not the port: the same browser session
	// reaches the second gateway, which must know it from the database.
	b.run("open gateway 2", chromedp.Navigate(gw1+"/console/#/cluster"), visible("#cluster-totals"))
	if b.count("#login:not([hidden])") != 0 || b.text("#who") != key {
		t.Fatal("the second gateway asked to sign in again")
	}
	node := c.NodeAddr(0)
	row := fmt.Sprintf(`tr[data-node=%q]`, node)
	b.run("maintenance", click(row+` button[data-action="maintenance"]`))
	b.waitJS("node in maintenance", fmt.Sprintf(`document.querySelector(%q).innerText.includes("maintenance") && document.querySelector(%q) !== null`,
		row, row+` button[data-action="active"]`))
	if st := nodeStatus(t, newClient(t, c), node); st != "maintenance" {
		t.Fatalf("after Maintenance in the console, /admin/cluster says %s is %q", node, st)
	}
	b.screenshot("01-node-in-maintenance")
	b.run("activate", click(row+` button[data-action="active"]`))
	b.waitJS("node active", fmt.Sprintf(`document.querySelector(%q) !== null`, row+` button[data-action="maintenance"]`))
	if st := nodeStatus(t, newClient(t, c), node); st != "active" {
		t.Fatalf("after Activate in the console, %s is %q", node, st)
	}

	if err := c.RestartGateway(t.Context()); err != nil {
		t.Fatalf("restart gateway 1: %v", err)
	}
	if time.Since(signedInAt) > consoleTTL-5*time.Second {
		t.Fatalf("the restart took %s, too close to the session lifetime %s to tell survival from expiry; raise consoleTTL",
			time.Since(signedInAt).Round(time.Second), consoleTTL)
	}
	b.run("back on the restarted gateway", chromedp.Navigate(gw0+"/console/#/buckets"), visible("#create-bucket"))
	if b.text("#who") != key {
		t.Fatal("the restarted gateway forgot the session")
	}

	// A phone-sized screen: every page fits its width (wide tables scroll
	// inside their own box).
	b.run("phone", chromedp.EmulateViewport(390, 844))
	for _, page := range []string{"#/buckets", "#/cluster", "#/files"} {
		b.run("phone "+page, goHash(page), visible("#view > *:not(.muted)"))
		if w := value(b, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); w > 0 {
			b.screenshot("phone-overflow")
			t.Fatalf("on a 390 px screen %s is %d px too wide", page, w)
		}
	}
	b.screenshot("01b-phone-files")
	b.run("desktop", chromedp.EmulateViewport(1280, 900))

	// Sign out, and in again with the keyboard alone: the form has focus,
	// Tab moves to the secret, Enter submits.
	b.run("sign out", click("#signout"), visible("#login-form"))
	b.run("sign in by keyboard", chromedp.KeyEvent(readerKey+"\t"+readerSecret+"\r"), visible("#signout"))
	b.waitJS("roles known", `document.body.dataset.admin === "no"`)
	readerSince := time.Now()
	if b.count("#nav-cluster:not([hidden])") != 0 {
		t.Fatal("a read-only key sees the Cluster link")
	}
	b.run("cluster page as reader", goHash("#/cluster"), visible("#cluster-refused"))
	status := value(b, "admin API as reader", chromedp.Evaluate[int](`fetch("/console/api/admin/cluster").then(r => r.status)`, chromedp.EvalAwaitPromise))
	if status != http.StatusForbidden {
		t.Fatalf("GET /console/api/admin/cluster as a read-only key = %d; want 403", status)
	}
	b.run("create bucket as reader", goHash("#/buckets"), visible("#create-bucket"),
		setValue("#new-bucket", "reader-may-not"), click("#create-bucket-submit"))
	b.waitJS("refusal shown", `document.querySelector("#toast").textContent.includes("AccessDenied")`)
	b.screenshot("02-reader-refused")

	consoleRotatedKey(t, c)

	// Past the lifetime the page's next call is refused and it asks to
	// sign in again; the older HTTP session is refused by both gateways.
	waitPast(readerSince.Add(consoleTTL))
	b.run("act after expiry", goHash("#/files"), visible("#login-form"))
	b.waitJS("expiry explained", `document.querySelector("#login-error").textContent.includes("session has ended")`)
	b.screenshot("03-session-expired")
	waitPast(httpExpires)
	for _, base := range []string{gw0, gw1} {
		if st := consoleSessionStatus(t, base, httpCookie); st != http.StatusUnauthorized {
			t.Fatalf("an expired session at %s: %d; want 401", base, st)
		}
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	var unexpected []string
	for _, e := range b.errors {
		// The refused calls above are the test's own doing.
		if !strings.Contains(e, "403") && !strings.Contains(e, "401") {
			unexpected = append(unexpected, e)
		}
	}
	if len(unexpected) > 0 {
		t.Fatalf("the page reported errors:\n%s", strings.Join(unexpected, "\n"))
	}
}

func nodeStatus(t *testing.T, c *client, addr string) string {
	t.Helper()
	for _, n := range c.adminCluster().Nodes {
		if n.Address == addr {
			return n.Status
		}
	}
	t.Fatalf("/admin/cluster has no node %s", addr)
	return ""
}

// consoleRotatedKey signs in with a user's key made at runtime (stored in
// PostgreSQL), then rotates the key: the session ends on every gateway,
// and the new secret signs in.
func consoleRotatedKey(t *testing.T, c *harness.Cluster) {
	t.Helper()
	admin := newClient(t, c)
	post := func(path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, admin.base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp := admin.do(req)
		defer resp.Body.Close()
		var out map[string]any
		if resp.StatusCode >= 300 || json.NewDecoder(resp.Body).Decode(&out) != nil {
			t.Fatalf("POST %s: %d", path, resp.StatusCode)
		}
		return out
	}
	post("/admin/users", `{"name":"console-user","policy":"readwrite"}`)
	k := post("/admin/users/console-user/keys", "")
	ak, sk := k["access_key"].(string), k["secret_key"].(string)
	var cookie *http.Cookie
	eventually(t, 30*time.Second, "the new key to sign in to the console", func() bool {
		raw, _ := json.Marshal(map[string]string{"access_key": ak, "secret": sk})
		resp, err := http.Post(c.GatewayURLAt(1)+"/console/api/login", "application/json", bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, ck := range resp.Cookies() {
			if ck.Name == "sixfold_console" && resp.StatusCode == http.StatusOK {
				cookie = ck
			}
		}
		return cookie != nil
	})
	if st := consoleSessionStatus(t, c.GatewayURLAt(0), cookie); st != http.StatusOK {
		t.Fatalf("a runtime user's session on the other gateway: %d", st)
	}
	rotated := post("/admin/keys/"+ak+"/rotate", "")
	for i := range 2 {
		eventually(t, 30*time.Second, fmt.Sprintf("gateway %d to end the session of a rotated key", i+1), func() bool {
			return consoleSessionStatus(t, c.GatewayURLAt(i), cookie) == http.StatusUnauthorized
		})
	}
	if got, _ := consoleSignIn(t, c.GatewayURLAt(0), ak, rotated["secret_key"].(string)); got == nil {
		t.Fatal("the rotated secret does not sign in")
	}
}
