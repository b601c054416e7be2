package harness

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeOptions runs the test binary itself as nodes and gateway.
func fakeOptions(t *testing.T) Options {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Options{
		Dir:          t.TempDir(),
		Binaries:     &Binaries{StorageNode: self, Gateway: self},
		NodeEnv:      []string{fakeRoleEnv + "=node"},
		GatewayEnv:   []string{fakeRoleEnv + "=gateway", "EXTRA=1"},
		ReadyTimeout: 20 * time.Second,
		Log:          tWriter{t},
	}
}

func startFakeCluster(t *testing.T, opts Options) *Cluster {
	t.Helper()
	if os.Getenv(EnvTestDatabaseURL) == "" && opts.DatabaseURL == "" {
		requirePostgres(t)
	}
	c, err := StartCluster(t.Context(), opts)
	if err != nil {
		t.Fatalf("StartCluster: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestClusterPassesContract(t *testing.T) {
	opts := fakeOptions(t)
	opts.Nodes = 3
	opts.RingRefreshInterval = 5 * time.Second
	c := startFakeCluster(t, opts)

	var env map[string]string
	getJSON(t, c.GatewayURL()+"/env", &env)
	user, secret := c.Credentials()
	want := map[string]string{
		"SIXFOLD_ADDR": c.GatewayAddr(), "DATABASE_URL": c.DatabaseURL(),
		EnvRootUser: user, EnvRootPassword: secret, "RING_REFRESH_INTERVAL": "5s", "EXTRA": "1",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("gateway %s = %q; want %q", k, env[k], v)
		}
	}
	if _, ok := env["HEARTBEAT_TIMEOUT"]; ok {
		t.Errorf("HEARTBEAT_TIMEOUT set although Options left it zero")
	}
	identity, err := os.ReadFile(filepath.Join(c.NodeDataDir(1), "identity"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(identity), "storage-2 "+c.NodeAddr(1)+" 10s"; got != want {
		t.Errorf("node identity = %q; want %q", got, want)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", c.NodePID(0)))
		if err != nil {
			t.Fatal(err)
		}
		want := "GOMAXPROCS=" + strconv.Itoa(nodeProcs(runtime.NumCPU(), opts.Nodes))
		if !slices.Contains(strings.Split(string(environ), "\x00"), want) {
			t.Errorf("node environment lacks %s: its share of the host's cores", want)
		}
	}
}

func TestClusterNodeLifecycle(t *testing.T) {
	opts := fakeOptions(t)
	opts.Nodes = 3
	c := startFakeCluster(t, opts)
	ctx := t.Context()

	addr := c.NodeAddr(1)
	if err := c.StopNode(1); err != nil {
		t.Fatalf("StopNode: %v", err)
	}
	if c.NodeRunning(1) || dialable(addr) {
		t.Fatalf("node 1 still up after StopNode")
	}
	if err := c.StopNode(1); err == nil {
		t.Errorf("StopNode of a stopped node returned nil")
	}
	if err := c.StartNode(ctx, 1); err != nil {
		t.Fatalf("StartNode: %v", err)
	}
	if c.NodeAddr(1) != addr || !dialable(addr) {
		t.Errorf("node 1 not back on %s", addr)
	}
	if err := c.KillNode(2); err != nil {
		t.Fatalf("KillNode: %v", err)
	}
	i, err := c.AddNode(ctx)
	if err != nil {
		t.Fatalf("AddNode: %v", err)
	}
	if i != 3 || c.NodeName(i) != "storage-4" || c.NumNodes() != 4 {
		t.Errorf("AddNode = %d (%s), %d nodes; want 3 (storage-4), 4 nodes", i, c.NodeName(i), c.NumNodes())
	}
}

func dialable(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		conn.Close()
	}
	return err == nil
}

func TestClusterGatewayLifecycle(t *testing.T) {
	opts := fakeOptions(t)
	opts.Nodes = 2
	c := startFakeCluster(t, opts)
	ctx := t.Context()

	pid := c.GatewayPID()
	if err := c.KillGateway(); err != nil {
		t.Fatalf("KillGateway: %v", err)
	}
	if c.GatewayPID() != 0 {
		t.Errorf("GatewayPID after KillGateway = %d; want 0", c.GatewayPID())
	}
	if err := c.KillNode(0); err != nil { // a degraded cluster must still restart
		t.Fatal(err)
	}
	if err := c.RestartGateway(ctx); err != nil {
		t.Fatalf("RestartGateway: %v", err)
	}
	if got := c.GatewayPID(); got == 0 || got == pid {
		t.Errorf("GatewayPID after restart = %d; want a new pid (old %d)", got, pid)
	}
	if err := c.RestartGateway(ctx); err != nil {
		t.Fatalf("RestartGateway of a running gateway: %v", err)
	}
}

// A test that stops the database gets its own server even under make test,
// where SIXFOLD_TEST_DATABASE_URL points every cluster at a shared one.
func TestClusterPrivatePostgres(t *testing.T) {
	requirePostgres(t)
	opts := fakeOptions(t)
	opts.Nodes = 1
	opts.PrivatePostgres = true
	c := startFakeCluster(t, opts)
	pg := c.Postgres()
	if pg == nil {
		t.Fatal("Postgres() = nil with PrivatePostgres set")
	}
	if err := pg.Restart(t.Context()); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if err := selectOne(t.Context(), c.DatabaseURL()); err != nil {
		t.Fatalf("cluster database after Restart: %v", err)
	}
}

func TestClusterReportsCrashes(t *testing.T) {
	opts := fakeOptions(t)
	opts.Nodes = 1
	c := startFakeCluster(t, opts)
	if err := syscall.Kill(c.NodePID(0), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.Crashes():
		if !strings.Contains(err.Error(), "storage-1 exited unexpectedly") {
			t.Errorf("crash report = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no crash reported")
	}
}

func TestClusterStartupFailureShowsLog(t *testing.T) {
	opts := fakeOptions(t)
	opts.Nodes = 1
	opts.DatabaseURL = "postgres://nobody@127.0.0.1:1/none" // the fake fails before using it
	opts.GatewayEnv = append(opts.GatewayEnv, "HARNESS_FAKE_FAIL=listen: address already in use")
	_, err := StartCluster(t.Context(), opts)
	if err == nil || !strings.Contains(err.Error(), "address already in use") ||
		!strings.Contains(err.Error(), "gateway.log") {
		t.Fatalf("StartCluster err = %v; want the gateway's last log lines", err)
	}
	t.Logf("StartCluster error, as a user sees it:\n%v", err)
}

// TestClusterRealBinaries starts the real cluster once the binaries exist.
func TestClusterRealBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binaries")
	}
	root, err := FindRepoRoot()
	if err != nil {
		t.Skip(err)
	}
	for _, cmd := range []string{"storagenode/cmd/storagenode", "gateway/cmd/gateway"} {
		if _, err := os.Stat(filepath.Join(root, cmd)); err != nil {
			t.Skipf("%s does not exist yet", cmd)
		}
	}
	bins, err := BuildBinaries(t.Context(), root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := startFakeCluster(t, Options{Dir: t.TempDir(), Binaries: &bins, Log: tWriter{t}})
	resp, err := http.Get(c.GatewayURL() + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /health = %s; want 200", resp.Status)
	}
}
