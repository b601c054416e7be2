package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"sixfold/e2e/harness"
)

// startSupervised runs a real cluster (binaries from SIXFOLD_BIN_DIR or
// built, database from SIXFOLD_TEST_DATABASE_URL or private) under what
// `sixfold-dev run` adds to it: the crash reports and the control socket.
func startSupervised(t *testing.T, opts harness.Options) (*devCluster, *lockedBuffer) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the real binaries")
	}
	opts.Dir = t.TempDir()
	opts.Log = tLog{t}
	c, err := harness.StartCluster(t.Context(), opts)
	if err != nil {
		t.Fatalf("StartCluster: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	dev := &devCluster{dir: c.Dir(), cluster: c, self: "sixfold-dev"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	out := &lockedBuffer{}
	go func() {
		defer close(done)
		dev.supervise(ctx, out)
	}()
	t.Cleanup(func() { cancel(); <-done })
	startControl(t, dev.dir, dev)
	return dev, out
}

type tLog struct{ t *testing.T }

func (w tLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// waitOutput waits for every want to show in out.
func waitOutput(t *testing.T, out *lockedBuffer, want ...string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		missing := ""
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("output lacks %q:\n%s", missing, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func runControl(t *testing.T, dir, op string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	code, err := controlCommand(&out, op, append([]string{"-dir", dir}, args...))
	if code != 0 || err != nil {
		t.Fatalf("sixfold-dev %s %v: exit %d, %v\n%s", op, args, code, err, out.String())
	}
	return out.String()
}

func TestDevNodeKilledReportedAndRestarted(t *testing.T) {
	dev, out := startSupervised(t, harness.Options{Nodes: 3})
	c := dev.cluster
	pid := c.NodePID(1)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, out, "storage-2 (pid", "died: signal: killed", c.NodeLogPath(1),
		"sixfold-dev restart -dir "+dev.dir+" storage-2")

	for _, i := range []int{0, 2} {
		conn, err := net.DialTimeout("tcp", c.NodeAddr(i), time.Second)
		if err != nil {
			t.Errorf("%s after storage-2 died: %v", c.NodeName(i), err)
			continue
		}
		conn.Close()
	}
	resp, err := http.Get(c.GatewayURL() + "/health")
	if err != nil {
		t.Fatalf("gateway after storage-2 died: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /health after storage-2 died = %s; want 200", resp.Status)
	}
	if status := runControl(t, dev.dir, opStatus); !strings.Contains(status, "died (signal: killed)") {
		t.Errorf("status does not show storage-2 died:\n%s", status)
	}

	msg := runControl(t, dev.dir, opRestart, "storage-2")
	if !c.NodeRunning(1) || c.NodePID(1) == pid || !strings.Contains(msg, "storage-2 is running again") {
		t.Errorf("after restart: running %v, pid %d (was %d), message %q", c.NodeRunning(1), c.NodePID(1), pid, msg)
	}
}

func TestDevPostgresKilledReportedAndRestarted(t *testing.T) {
	dev, out := startSupervised(t, harness.Options{Nodes: 1, PrivatePostgres: true})
	pg := dev.cluster.Postgres()
	if err := syscall.Kill(pg.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, out, "postgres (pid", "died: signal: killed", pg.LogPath(), "restart -dir "+dev.dir+" postgres")
	runControl(t, dev.dir, opRestart, "postgres")
	if !pg.Running() {
		t.Fatalf("postgres not running after restart")
	}
	// Restart by command again, now of a running member.
	before := dev.cluster.NodePID(0)
	runControl(t, dev.dir, opRestart, "storage-1")
	if after := dev.cluster.NodePID(0); after == 0 || after == before {
		t.Errorf("restart of a running node: pid %d -> %d; want a new running process", before, after)
	}
}
