package harness

import (
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func waitCrash(t *testing.T, crashes <-chan error) *CrashError {
	t.Helper()
	select {
	case err := <-crashes:
		var crash *CrashError
		if !errors.As(err, &crash) {
			t.Fatalf("crash report %T %v; want a *CrashError", err, err)
		}
		return crash
	case <-time.After(10 * time.Second):
		t.Fatal("no crash reported")
		return nil
	}
}

func memberNamed(t *testing.T, members []Member, name string) Member {
	t.Helper()
	for _, m := range members {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no member %s in %+v", name, members)
	return Member{}
}

func gatewayHealthy(t *testing.T, c *Cluster) {
	t.Helper()
	resp, err := http.Get(c.GatewayURL() + "/health")
	if err != nil {
		t.Fatalf("gateway after a node died: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("gateway /health after a node died = %s; want 200", resp.Status)
	}
}

func TestClusterNodeKilledIsReportedOthersServe(t *testing.T) {
	opts := fakeOptions(t)
	opts.Nodes = 3
	c := startFakeCluster(t, opts)

	pid := c.NodePID(1)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	crash := waitCrash(t, c.Crashes())
	want := CrashError{Member: "storage-2", PID: pid, Status: "signal: killed", Signaled: true, LogPath: c.NodeLogPath(1)}
	if got := *crash; got.Member != want.Member || got.PID != want.PID || got.Status != want.Status ||
		got.Signaled != want.Signaled || got.LogPath != want.LogPath {
		t.Errorf("crash = %+v; want %+v", got, want)
	}
	for _, i := range []int{0, 2} {
		if !c.NodeRunning(i) || !dialable(c.NodeAddr(i)) {
			t.Errorf("node %d not serving after node 1 died", i)
		}
	}
	gatewayHealthy(t, c)
	if m := memberNamed(t, c.Members(), "storage-2"); m.State != StateDied || m.Status != "signal: killed" || m.PID != 0 {
		t.Errorf("Members storage-2 = %+v; want died (signal: killed), pid 0", m)
	}
	if c.NodePID(1) != 0 {
		t.Errorf("NodePID of a dead node = %d; want 0", c.NodePID(1))
	}

	if err := c.StartNode(t.Context(), 1); err != nil {
		t.Fatalf("StartNode after a crash: %v", err)
	}
	if m := memberNamed(t, c.Members(), "storage-2"); m.State != StateRunning || m.PID == 0 || m.PID == pid {
		t.Errorf("Members storage-2 after StartNode = %+v; want running with a new pid", m)
	}
}

// readsNothingFor reports whether a fresh connection to addr stays silent for
// d: the fake node closes every connection it accepts at once, so only a
// frozen one leaves the kernel-accepted connection hanging.
func readsNothingFor(t *testing.T, addr string, d time.Duration) bool {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, err = conn.Read(make([]byte, 1))
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

func TestClusterFreezeThawNode(t *testing.T) {
	opts := fakeOptions(t)
	opts.Nodes = 2
	c := startFakeCluster(t, opts)
	addr := c.NodeAddr(0)

	if err := c.FreezeNode(0); err != nil {
		t.Fatalf("FreezeNode: %v", err)
	}
	if !c.NodeFrozen(0) || !c.NodeRunning(0) || c.NodeFrozen(1) {
		t.Errorf("after FreezeNode(0): NodeFrozen(0)=%v NodeRunning(0)=%v NodeFrozen(1)=%v; want true true false",
			c.NodeFrozen(0), c.NodeRunning(0), c.NodeFrozen(1))
	}
	if m := memberNamed(t, c.Members(), "storage-1"); m.State != StateFrozen || m.PID == 0 {
		t.Errorf("Members storage-1 = %+v; want frozen with its pid", m)
	}
	if !readsNothingFor(t, addr, 300*time.Millisecond) {
		t.Errorf("frozen node answered")
	}
	if err := c.ThawNode(0); err != nil {
		t.Fatalf("ThawNode: %v", err)
	}
	if c.NodeFrozen(0) || readsNothingFor(t, addr, 5*time.Second) {
		t.Errorf("thawed node still silent")
	}

	// A frozen node must still stop promptly, not after the grace period.
	if err := c.FreezeNode(1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.StopNode(1); err != nil {
		t.Errorf("StopNode of a frozen node: %v", err)
	}
	if took := time.Since(start); took > stopGrace/2 {
		t.Errorf("StopNode of a frozen node took %s", took)
	}
	if err := c.FreezeNode(1); err == nil {
		t.Errorf("FreezeNode of a stopped node returned nil")
	}
	if err := c.ThawNode(1); err == nil {
		t.Errorf("ThawNode of a stopped node returned nil")
	}
}

func TestClusterWipeNodeData(t *testing.T) {
	opts := fakeOptions(t)
	opts.Nodes = 1
	c := startFakeCluster(t, opts)
	dir := c.NodeDataDir(0)
	identity := filepath.Join(dir, "identity")

	if err := c.WipeNodeData(0); err == nil {
		t.Fatalf("WipeNodeData of a running node returned nil")
	}
	if _, err := os.Stat(identity); err != nil {
		t.Fatalf("refused wipe still removed data: %v", err)
	}
	if err := c.StopNode(0); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "chunks", "ab"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.WipeNodeData(0); err != nil {
		t.Fatalf("WipeNodeData: %v", err)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Fatalf("data dir after wipe: %v entries, err %v; want an empty dir", len(entries), err)
	}
	if err := c.StartNode(t.Context(), 0); err != nil {
		t.Fatalf("StartNode after wipe: %v", err)
	}
	if _, err := os.Stat(identity); err != nil {
		t.Errorf("restarted node wrote nothing: %v", err)
	}
}

func TestClusterMembers(t *testing.T) {
	opts := fakeOptions(t)
	opts.Nodes = 2
	c := startFakeCluster(t, opts)
	if err := c.StopNode(1); err != nil {
		t.Fatal(err)
	}
	got := c.Members()
	want := []Member{
		{Name: "gateway", Addr: c.GatewayAddr(), PID: c.GatewayPID(), State: StateRunning, LogPath: c.GatewayLogPath()},
		{Name: "storage-1", Addr: c.NodeAddr(0), PID: c.NodePID(0), State: StateRunning, LogPath: c.NodeLogPath(0)},
		{Name: "storage-2", Addr: c.NodeAddr(1), State: StateStopped, LogPath: c.NodeLogPath(1)},
	}
	if c.Postgres() != nil {
		want = append(want, c.Postgres().Member())
	}
	if len(got) != len(want) {
		t.Fatalf("Members = %+v; want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Members[%d] = %+v; want %+v", i, got[i], want[i])
		}
	}
}

func TestClusterGatewayCrashRestart(t *testing.T) {
	opts := fakeOptions(t)
	opts.Nodes = 1
	c := startFakeCluster(t, opts)
	if err := syscall.Kill(c.GatewayPID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if crash := waitCrash(t, c.Crashes()); crash.Member != "gateway" {
		t.Errorf("crash of %s; want gateway", crash.Member)
	}
	if c.GatewayRunning() || c.GatewayPID() != 0 {
		t.Errorf("GatewayRunning=%v GatewayPID=%d after the gateway died", c.GatewayRunning(), c.GatewayPID())
	}
	if err := c.RestartGateway(t.Context()); err != nil {
		t.Fatalf("RestartGateway after a crash: %v", err)
	}
	if !c.GatewayRunning() || !c.NodeRunning(0) {
		t.Errorf("after RestartGateway: gateway running %v, node running %v", c.GatewayRunning(), c.NodeRunning(0))
	}
}

func TestPostgresCrashReportedAndStartable(t *testing.T) {
	requirePostgres(t)
	pg := startTestPostgres(t, filepath.Join(reachableTempDir(t), "pg"))
	pid := pg.PID()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	crash := waitCrash(t, pg.Crashes())
	if crash.Member != "postgres" || crash.PID != pid || crash.LogPath != pg.LogPath() {
		t.Errorf("crash = %+v; want postgres, pid %d, log %s", crash, pid, pg.LogPath())
	}
	if pg.Running() || pg.Member().State != StateDied {
		t.Errorf("after the kill: Running=%v, Member=%+v; want not running, died", pg.Running(), pg.Member())
	}
	if err := pg.Start(t.Context()); err != nil {
		t.Fatalf("Start after a crash: %v", err)
	}
	if err := selectOne(t.Context(), pg.URL()); err != nil {
		t.Errorf("SELECT 1 after restart: %v", err)
	}
}
