package harness

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWithDatabase(t *testing.T) {
	tests := []struct {
		name, in, db, want string
		wantErr            bool
	}{
		{name: "default database", in: "postgres://sixfold@127.0.0.1:5432/postgres?sslmode=disable", db: "x",
			want: "postgres://sixfold@127.0.0.1:5432/x?sslmode=disable"},
		{name: "no path", in: "postgresql://u:p@h:1", db: "db_1", want: "postgresql://u:p@h:1/db_1"},
		{name: "keyword form", in: "host=h dbname=x", db: "y", wantErr: true},
		{name: "other scheme", in: "mysql://h/x", db: "y", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := WithDatabase(tt.in, tt.db)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v; want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestRedactHidesPassword(t *testing.T) {
	if got := redact("postgres://u:secret@h/db"); strings.Contains(got, "secret") {
		t.Errorf("redact = %q; still shows the password", got)
	}
}

func TestUniqueDatabaseName(t *testing.T) {
	a, b := UniqueDatabaseName("p"), UniqueDatabaseName("p")
	if a == b || !strings.HasPrefix(a, "p_") || len(a) > 63 {
		t.Errorf("UniqueDatabaseName gave %q and %q", a, b)
	}
}

func TestFindRepoRootFrom(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "e2e", "harness")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := findRepoRootFrom(deep); err == nil {
		t.Errorf("found a root without go.work")
	}
	if err := os.WriteFile(filepath.Join(root, "go.work"), []byte("go 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := findRepoRootFrom(deep); err != nil || got != root {
		t.Errorf("findRepoRootFrom = %q, %v; want %q", got, err, root)
	}
}

func TestLogTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	var lines []string
	for i := range 50 {
		lines = append(lines, strings.Repeat("x", i))
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(logTail(path, 3), "\n")
	if len(got) != 3 || strings.TrimSpace(got[2]) != lines[49] {
		t.Errorf("logTail = %q; want the last 3 lines", got)
	}
}

func TestSocketPathTooLong(t *testing.T) {
	if socketPathTooLong("/tmp/short/pg") {
		t.Errorf("short path reported too long")
	}
	if !socketPathTooLong("/" + strings.Repeat("a", 100)) {
		t.Errorf("long path not reported")
	}
}

func TestCanSearch(t *testing.T) {
	u := serverUser{cred: &syscall.Credential{Uid: 101, Gid: 104, Groups: []uint32{103}}}
	tests := []struct {
		name     string
		st       syscall.Stat_t
		wantTrue bool
	}{
		{name: "owner x", st: syscall.Stat_t{Uid: 101, Gid: 0, Mode: 0o700}, wantTrue: true},
		{name: "root 0700", st: syscall.Stat_t{Uid: 0, Gid: 0, Mode: 0o700}},
		{name: "root 0711", st: syscall.Stat_t{Uid: 0, Gid: 0, Mode: 0o711}, wantTrue: true},
		{name: "supplementary group", st: syscall.Stat_t{Uid: 0, Gid: 103, Mode: 0o750}, wantTrue: true},
		{name: "group without x", st: syscall.Stat_t{Uid: 0, Gid: 104, Mode: 0o705}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := u.canSearch(&tt.st); got != tt.wantTrue {
				t.Errorf("canSearch = %v; want %v", got, tt.wantTrue)
			}
		})
	}
}

func startSh(t *testing.T, script string) *process {
	t.Helper()
	p, err := startProcess(procSpec{
		name: "sh", path: "/bin/sh", args: []string{"-c", script},
		logPath: filepath.Join(t.TempDir(), "sh.log"), deathSig: syscall.SIGKILL,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.kill)
	return p
}

func TestProcessFailureCarriesLogTail(t *testing.T) {
	p := startSh(t, "echo the reason; exit 3")
	<-p.done
	err := p.failure("exited")
	if !strings.Contains(err.Error(), "the reason") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("failure = %v; want the log line and the exit status", err)
	}
}

func TestProcessStop(t *testing.T) {
	p := startSh(t, "exec sleep 60")
	if err := p.stop(syscall.SIGTERM, 5*time.Second); err != nil {
		t.Errorf("stop: %v", err)
	}
	stubborn := startSh(t, "trap '' TERM; while :; do sleep 0.1; done")
	time.Sleep(200 * time.Millisecond) // let the shell install its trap
	if err := stubborn.stop(syscall.SIGTERM, 300*time.Millisecond); err == nil {
		t.Errorf("stop of a process ignoring SIGTERM returned nil; want the 'killed it' error")
	}
	if !stubborn.exited() {
		t.Errorf("process still running after stop")
	}
}

// Nodes on one host split its cores between them, each at least one.
func TestNodeProcs(t *testing.T) {
	for _, c := range []struct{ cpus, nodes, want int }{
		{2, 6, 1}, {16, 6, 2}, {4, 1, 4}, {8, 8, 1}, {1, 0, 1},
	} {
		if got := nodeProcs(c.cpus, c.nodes); got != c.want {
			t.Errorf("nodeProcs(%d cores, %d nodes) = %d; want %d", c.cpus, c.nodes, got, c.want)
		}
	}
}
