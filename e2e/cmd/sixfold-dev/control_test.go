package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"sixfold/e2e/harness"
)

// fakeController records the commands it gets.
type fakeController struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeController) members() []harness.Member {
	return []harness.Member{
		{Name: "gateway", Addr: "127.0.0.1:1", PID: 11, State: harness.StateRunning, LogPath: "/x/gateway.log"},
		{Name: "storage-1", Addr: "127.0.0.1:2", State: harness.StateDied, Status: "signal: killed", LogPath: "/x/node-1.log"},
	}
}

func (f *fakeController) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeController) restart(_ context.Context, name string) (string, error) {
	f.record("restart " + name)
	if name == "storage-9" {
		return "", errors.New("no member storage-9")
	}
	return name + " is running again", nil
}

func (f *fakeController) stop(name string) (string, error) {
	f.record("stop " + name)
	return name + " stopped", nil
}

// lockedBuffer collects what goroutines write, for a test to read.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startControl(t *testing.T, dir string, ctl controller) *lockedBuffer {
	t.Helper()
	l, err := listenControl(dir)
	if err != nil {
		t.Fatalf("listenControl: %v", err)
	}
	log := &lockedBuffer{}
	srv := serveControl(t.Context(), l, ctl, log)
	t.Cleanup(srv.close)
	return log
}

func TestControlCommands(t *testing.T) {
	dir := t.TempDir()
	ctl := &fakeController{}
	log := startControl(t, dir, ctl)

	tests := []struct {
		name     string
		op       string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{name: "status", op: opStatus, args: []string{"-dir", dir}, wantOut: []string{
			"gateway 11 running 127.0.0.1:1 /x/gateway.log",
			"storage-1 - died (signal: killed) 127.0.0.1:2 /x/node-1.log"}},
		{name: "restart, dir first", op: opRestart, args: []string{"-dir", dir, "storage-3"},
			wantOut: []string{"storage-3 is running again"}},
		{name: "restart, dir last", op: opRestart, args: []string{"gateway", "-dir", dir},
			wantOut: []string{"gateway is running again"}},
		{name: "stop", op: opStop, args: []string{"-dir", dir, "postgres"}, wantOut: []string{"postgres stopped"}},
		{name: "failed restart", op: opRestart, args: []string{"-dir", dir, "storage-9"}, wantCode: 1,
			wantErr: "no member storage-9"},
		{name: "restart without member", op: opRestart, args: []string{"-dir", dir}, wantCode: 2, wantErr: "usage"},
		{name: "status with member", op: opStatus, args: []string{"-dir", dir, "x"}, wantCode: 2, wantErr: "usage"},
		{name: "nobody running", op: opStatus, args: []string{"-dir", t.TempDir()}, wantCode: 1,
			wantErr: "no sixfold-dev is running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			code, err := controlCommand(&out, tt.op, tt.args)
			if code != tt.wantCode || (err == nil) != (tt.wantErr == "") ||
				(err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("code %d, err %v; want %d, error containing %q", code, err, tt.wantCode, tt.wantErr)
			}
			// Column widths are tabwriter's business; words and their order are ours.
			words := strings.Join(strings.Fields(out.String()), " ")
			for _, want := range tt.wantOut {
				if !strings.Contains(words, want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
	want := "restart storage-3,restart gateway,stop postgres,restart storage-9"
	if got := strings.Join(ctl.calls, ","); got != want {
		t.Errorf("controller calls = %s; want %s", got, want)
	}
	for _, want := range []string{"restart storage-3: storage-3 is running again", "restart storage-9: no member storage-9"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("server log lacks %q:\n%s", want, log.String())
		}
	}
}

func TestControlSocketOwnership(t *testing.T) {
	dir := t.TempDir()
	startControl(t, dir, &fakeController{})
	if _, err := listenControl(dir); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second listenControl on %s: %v; want 'already running'", dir, err)
	}
	fi, err := os.Stat(socketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("socket mode %o; want 600", perm)
	}

	// A socket left behind by a killed sixfold-dev is taken over.
	stale := t.TempDir()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: socketPath(stale), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	startControl(t, stale, &fakeController{})
}

func TestSocketPath(t *testing.T) {
	short := "/tmp/devtry"
	if got := socketPath(short); got != filepath.Join(short, socketName) {
		t.Errorf("socketPath(%s) = %s; want it inside the dir", short, got)
	}
	deep := "/" + strings.Repeat("d/", 60)
	got := socketPath(deep)
	if len(got) > maxSocketPath || got != socketPath(deep) || got == socketPath(deep+"x") {
		t.Errorf("socketPath of a deep dir = %s; want a short name, the same each time and per dir", got)
	}
}
