package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"sixfold/e2e/harness"
)

func withPostgres(args []string) (int, error) {
	fs := flag.NewFlagSet("with-postgres", flag.ContinueOnError)
	dir := fs.String("dir", ".data", "directory under which the temporary PostgreSQL lives")
	standby := fs.Bool("standby", false, "also start a synchronous streaming standby, and name both servers in "+
		harness.EnvTestDatabaseURL+" (target_session_attrs=read-write)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if fs.NArg() == 0 {
		return 2, errUsage
	}
	if os.Getenv(harness.EnvTestDatabaseURL) != "" {
		return runCommand(fs.Args())
	}
	return runWithPrivatePostgres(*dir, *standby, fs.Args())
}

func runWithPrivatePostgres(dir string, standby bool, command []string) (code int, err error) {
	tmp, err := makeTempDir(dir)
	if err != nil {
		return 1, err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(tmp)) }()
	pg, err := harness.StartPostgres(context.Background(), filepath.Join(tmp, "pg"), os.Stderr)
	if err != nil {
		return 1, err
	}
	defer func() { err = errors.Join(err, pg.Stop()) }()
	url := pg.URL()
	if standby {
		sb, err := pg.StartStandby(context.Background(), filepath.Join(tmp, "pg-standby"))
		if err != nil {
			return 1, err
		}
		defer func() { err = errors.Join(err, sb.Stop()) }()
		url = harness.MultiHostURL("postgres", pg, sb)
	}
	if err := os.Setenv(harness.EnvTestDatabaseURL, url); err != nil {
		return 1, err
	}
	return runCommand(command)
}

// makeTempDir makes a fresh dir under dir that the postgres user can reach
// when running as root (MkdirTemp's 0700 would lock it out). When dir's
// parents shut that user out (a checkout under /root), the system temp dir
// is used instead.
func makeTempDir(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if abs, err := filepath.Abs(dir); err == nil && !harness.ServerCanReach(filepath.Join(abs, "pg")) {
		fmt.Fprintf(os.Stderr, "postgres: user postgres cannot reach %s; using the system temp dir\n", abs)
		dir = ""
	}
	tmp, err := os.MkdirTemp(dir, "test-pg-")
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(tmp)
	if err == nil {
		err = os.Chmod(abs, 0o755)
	}
	return abs, err
}

// runCommand runs command with our environment and terminal and returns its
// exit code. Signals are caught (not ignored: an ignored signal would stay
// ignored in the child) and passed on, so that we outlive the command and can
// still stop PostgreSQL after it.
func runCommand(command []string) (int, error) {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return 127, fmt.Errorf("run %s: %w", command[0], err)
	}
	done := make(chan struct{})
	defer close(done)
	go forward(sigs, cmd.Process, done)
	err := cmd.Wait()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitCode(exitErr), nil
	}
	return 0, err
}

func forward(sigs <-chan os.Signal, p *os.Process, done <-chan struct{}) {
	for {
		select {
		case sig := <-sigs:
			_ = p.Signal(sig)
		case <-done:
			return
		}
	}
}

// exitCode follows the shell's convention of 128+N for death by signal N.
func exitCode(err *exec.ExitError) int {
	if ws, ok := err.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return err.ExitCode()
}
