package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// pgSuperuser is the role initdb creates; trust auth means no password.
	pgSuperuser = "sixfold"
	// maxSocketPath is the longest unix socket path Linux accepts (sun_path
	// is 108 bytes with the terminating NUL).
	maxSocketPath = 107
	// pgReadyTimeout bounds startup, which includes crash recovery after a kill.
	pgReadyTimeout = 60 * time.Second
	// pgStopGrace is how long a fast shutdown may take before SIGKILL.
	pgStopGrace = 30 * time.Second
)

// Postgres is a private PostgreSQL server run as a child process of the
// harness. Its data dir outlives it: StartPostgres on the same dir later
// reuses the databases in it. Methods are safe for concurrent use.
type Postgres struct {
	dataDir string
	logPath string // server output, next to the data dir
	port    int    // fixed for the server's life, across Stop and Start
	bins    pgBinaries
	user    serverUser
	log     io.Writer // harness progress lines
	crashes chan error
	name    string   // "postgres", or "postgres-standby" for a standby
	args    []string // extra server arguments (a standby's primary_conninfo)

	mu       sync.Mutex // protects proc and sockTemp
	proc     *process   // nil while stopped
	sockTemp string     // socket dir made under /tmp; removed on Stop
}

// StartPostgres starts a private PostgreSQL server with its data in dir,
// running initdb first unless dir already holds a cluster. The server listens
// on a free port on 127.0.0.1 only, trusts every local connection as the
// superuser "sixfold", and writes its output to pg.log beside dir. Progress
// lines go to log (nil discards them). As root, the server runs as the
// postgres system user; dir's parents must then be searchable by that user.
// The server dies with the calling process; Stop shuts it down cleanly.
func StartPostgres(ctx context.Context, dir string, log io.Writer) (*Postgres, error) {
	pg, err := newPostgres(dir, log)
	if err != nil {
		return nil, err
	}
	if err := pg.prepareDataDir(); err != nil {
		return nil, err
	}
	if err := pg.initdb(ctx); err != nil {
		return nil, err
	}
	if err := pg.startOnFreePort(ctx); err != nil {
		return nil, err
	}
	return pg, nil
}

func newPostgres(dir string, log io.Writer) (*Postgres, error) {
	if log == nil {
		log = io.Discard
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	bins, err := findPGBinaries()
	if err != nil {
		return nil, err
	}
	user, err := currentServerUser()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(filepath.Dir(dir), "pg.log")
	return &Postgres{dataDir: dir, logPath: logPath, bins: bins, user: user, log: log,
		crashes: make(chan error, 4), name: "postgres"}, nil
}

// prepareDataDir creates the data dir with the 0700 mode PostgreSQL insists
// on and, as root, hands it to the server user.
func (pg *Postgres) prepareDataDir() error {
	// Parents get the usual 0755: MkdirAll would give them 0700 too, and as
	// root that would lock the postgres user out of its own data dir.
	if err := os.MkdirAll(filepath.Dir(pg.dataDir), 0o755); err != nil {
		return fmt.Errorf("harness: postgres data dir: %w", err)
	}
	if err := os.Mkdir(pg.dataDir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("harness: postgres data dir: %w", err)
	}
	if err := os.Chmod(pg.dataDir, 0o700); err != nil {
		return fmt.Errorf("harness: postgres data dir: %w", err)
	}
	if err := pg.user.checkReachable(pg.dataDir); err != nil {
		return err
	}
	return pg.user.own(pg.dataDir)
}

// initdb creates the cluster unless dir already has one, so runs reuse data.
func (pg *Postgres) initdb(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(pg.dataDir, "PG_VERSION")); err == nil {
		fmt.Fprintf(pg.log, "postgres: reusing data in %s\n", pg.dataDir)
		return nil
	}
	fmt.Fprintf(pg.log, "postgres: initdb %s\n", pg.dataDir)
	cmd := exec.CommandContext(ctx, pg.bins.initdb, "-D", pg.dataDir, "-U", pgSuperuser,
		"--auth=trust", "-E", "UTF8", "--locale=C")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Dir = &out, &out, pg.dataDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.user.cred}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("harness: initdb %s: %w\n%s", pg.dataDir, err, out.Bytes())
	}
	return nil
}

// errPortTaken marks a start that lost the race for its port.
var errPortTaken = errors.New("port taken")

// startOnFreePort retries with a new port when another process grabbed the
// one FreePort returned before the server could bind it.
func (pg *Postgres) startOnFreePort(ctx context.Context) error {
	var err error
	for range 3 {
		if pg.port, err = FreePort(); err != nil {
			return err
		}
		if err = pg.Start(ctx); !errors.Is(err, errPortTaken) {
			return err
		}
	}
	return err
}

// Start starts a stopped (or crashed) server again, on the same port and
// data, and waits until it accepts connections.
func (pg *Postgres) Start(ctx context.Context) error {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if pg.proc != nil && !pg.proc.exited() {
		return errors.New("harness: postgres is already running")
	}
	if pg.proc != nil { // crashed: its socket dir is of no more use
		pg.proc = nil
		pg.removeSocketDir()
	}
	sockDir, err := pg.socketDir()
	if err != nil {
		return err
	}
	// After a crash the killed postmaster's backends may hold its shared
	// memory for a moment ("pre-existing shared memory block is still in
	// use"): a start that exits at once is tried again, a few times.
	var p *process
	for attempt := 0; ; attempt++ {
		if p, err = startProcess(pg.spec(sockDir)); err != nil {
			return err
		}
		err = waitFor(ctx, p, pgReadyTimeout, "accepting connections", pg.probe)
		if err == nil {
			break
		}
		exitedAlone := p.exited()
		p.kill()
		if !exitedAlone || attempt >= 10 || ctx.Err() != nil {
			pg.removeSocketDir()
			return pg.classifyStartError(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	pg.proc = p
	reportCrash(p, pg.crashes)
	fmt.Fprintf(pg.log, "%s: ready on 127.0.0.1:%d (pid %d, log %s)\n", pg.name, pg.port, p.pid(), pg.logPath)
	return nil
}

func (pg *Postgres) spec(sockDir string) procSpec {
	return procSpec{
		name: pg.name,
		path: pg.bins.postgres,
		args: append([]string{"-D", pg.dataDir, "-p", strconv.Itoa(pg.port), "-k", sockDir,
			"-c", "listen_addresses=127.0.0.1", "-c", "fsync=on",
			// Parallel e2e tests share one server and each cluster runs seven pools.
			"-c", "max_connections=300"}, pg.args...),
		dir:     pg.dataDir,
		logPath: pg.logPath,
		cred:    pg.user.cred,
		// SIGQUIT is PostgreSQL's immediate shutdown: it also takes the backends
		// down, which a SIGKILL of the postmaster would leave running.
		deathSig: syscall.SIGQUIT,
	}
}

// socketDir is the data dir itself, unless the socket path would be too long
// for the kernel; then it is a fresh short dir under /tmp.
func (pg *Postgres) socketDir() (string, error) {
	if !socketPathTooLong(pg.dataDir) {
		return pg.dataDir, nil
	}
	dir, err := os.MkdirTemp("/tmp", "sixfold-pg-")
	if err == nil {
		err = pg.user.own(dir)
	}
	if err != nil {
		return "", fmt.Errorf("harness: postgres socket dir: %w", err)
	}
	pg.sockTemp = dir
	return dir, nil
}

func socketPathTooLong(dir string) bool {
	return len(filepath.Join(dir, ".s.PGSQL.65535")) > maxSocketPath
}

func (pg *Postgres) removeSocketDir() {
	if pg.sockTemp != "" {
		_ = os.RemoveAll(pg.sockTemp)
		pg.sockTemp = ""
	}
}

func (pg *Postgres) classifyStartError(err error) error {
	if strings.Contains(logTail(pg.logPath, 10), "Address already in use") {
		return fmt.Errorf("%w: %w", errPortTaken, err)
	}
	return err
}

func (pg *Postgres) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// Stop shuts the server down the way `pg_ctl stop -m fast` does (SIGINT:
// roll back open transactions, checkpoint, exit) and waits for it. Stopping
// a stopped server does nothing.
func (pg *Postgres) Stop() error {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if pg.proc == nil {
		return nil
	}
	p := pg.proc
	pg.proc = nil
	defer pg.removeSocketDir()
	if p.exited() {
		return p.failure("had already exited")
	}
	err := p.stop(syscall.SIGINT, pgStopGrace)
	fmt.Fprintf(pg.log, "%s: stopped (127.0.0.1:%d)\n", pg.name, pg.port)
	return err
}

// Kill ends the server the way a machine losing power would: SIGKILL to the
// postmaster and every backend at once, so no orphaned backend lingers to
// tell its client it is shutting down. Nothing is flushed or
// checkpointed; Start runs crash recovery. Killing a stopped server does
// nothing.
func (pg *Postgres) Kill() {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if pg.proc == nil {
		return
	}
	pg.proc.killTree()
	pg.proc = nil
	pg.removeSocketDir()
	fmt.Fprintf(pg.log, "%s: killed (127.0.0.1:%d)\n", pg.name, pg.port)
}

// Restart stops the server and starts it again on the same port.
func (pg *Postgres) Restart(ctx context.Context) error {
	if err := pg.Stop(); err != nil {
		return err
	}
	return pg.Start(ctx)
}

// StopFor stops the server now and starts it again after d in the
// background, so the caller can watch the system cope with the outage. The
// channel yields the restart's result once; if ctx ends first, the server
// stays down and the channel yields ctx's error.
func (pg *Postgres) StopFor(ctx context.Context, d time.Duration) (<-chan error, error) {
	if err := pg.Stop(); err != nil {
		return nil, err
	}
	restarted := make(chan error, 1)
	go func() {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			restarted <- ctx.Err()
		case <-timer.C:
			restarted <- pg.Start(ctx)
		}
	}()
	return restarted, nil
}

// Crashes yields a *CrashError each time the server exits without Stop
// asking it to. Start brings a crashed server back.
func (pg *Postgres) Crashes() <-chan error { return pg.crashes }

// PID is the server's (the postmaster's) process id, or 0 when it is not
// running.
func (pg *Postgres) PID() int {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if pg.proc == nil || pg.proc.exited() {
		return 0
	}
	return pg.proc.pid()
}

// Running reports whether the server's process is running.
func (pg *Postgres) Running() bool { return pg.PID() != 0 }

// Member describes the server as a member of a cluster, named "postgres"
// (or "postgres-standby" for a standby).
func (pg *Postgres) Member() Member {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	return memberOf(pg.name, fmt.Sprintf("127.0.0.1:%d", pg.port), pg.logPath, pg.proc)
}

// URL is the connection URL of the server's default "postgres" database.
func (pg *Postgres) URL() string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable", pgSuperuser, pg.port)
}

// Port is the TCP port the server listens on.
func (pg *Postgres) Port() int { return pg.port }

// DataDir is the absolute path of the data dir.
func (pg *Postgres) DataDir() string { return pg.dataDir }

// LogPath is where the server's output goes.
func (pg *Postgres) LogPath() string { return pg.logPath }

// CreateDatabase creates database name unless it exists, and returns its URL.
func (pg *Postgres) CreateDatabase(ctx context.Context, name string) (string, error) {
	return CreateDatabaseAt(ctx, pg.URL(), name)
}
