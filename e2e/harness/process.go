package harness

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// procSpec describes one child process.
type procSpec struct {
	name     string              // for messages: "gateway", "storage-3", "postgres"
	path     string              // executable
	args     []string            // arguments after the program name
	env      []string            // appended to the harness's environment; later entries win
	dir      string              // working directory
	logPath  string              // stdout and stderr are appended here
	cred     *syscall.Credential // nil: run as the current user
	deathSig syscall.Signal      // sent to the child if the harness dies
}

// process is a running (or exited) child. Its output goes straight to a log
// file, so nothing in the harness has to pump pipes.
type process struct {
	spec     procSpec
	cmd      *exec.Cmd
	done     chan struct{} // closed once the child has exited and been reaped
	err      error         // Wait's result; read only after done is closed
	expected atomic.Bool   // the harness asked it to exit (stop or kill)
	frozen   atomic.Bool   // sent SIGSTOP by freeze and not yet thawed
}

func startProcess(spec procSpec) (*process, error) {
	logf, err := os.OpenFile(spec.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("harness: %s log: %w", spec.name, err)
	}
	// The child gets its own copy of the descriptor; ours is closed either way.
	defer logf.Close()
	fmt.Fprintf(logf, "--- harness: starting %s at %s\n", spec.name, time.Now().Format(time.RFC3339))
	cmd := exec.Command(spec.path, spec.args...)
	cmd.Env = append(os.Environ(), spec.env...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = spec.dir, logf, logf
	cmd.SysProcAttr = sysProcAttr(spec.cred, spec.deathSig)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("harness: start %s (%s): %w", spec.name, spec.path, err)
	}
	p := &process{spec: spec, cmd: cmd, done: make(chan struct{})}
	go p.reap()
	return p, nil
}

func (p *process) reap() {
	p.err = p.cmd.Wait()
	close(p.done)
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends sig and waits up to grace for the child to exit; a child that
// does not is killed, and stop says so.
func (p *process) stop(sig syscall.Signal, grace time.Duration) error {
	p.expected.Store(true)
	_ = p.cmd.Process.Signal(sig) // fails only if the child already exited
	// A frozen child (freeze, or kill -STOP by hand) holds sig pending until
	// continued; without this it would sit out the whole grace period.
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return fmt.Errorf("harness: %s did not exit within %s of %s; killed it", p.spec.name, grace, sig)
}

// kill sends SIGKILL and waits for the child to be reaped.
func (p *process) kill() {
	p.expected.Store(true)
	_ = p.cmd.Process.Kill()
	<-p.done
}

// killTree stops the child (so it cannot react), SIGKILLs every process it
// forked and then the child itself, and waits for it: all die at once, as
// on a machine that lost power. PostgreSQL's backends each lead their own
// process group, so a signal to the postmaster's group would miss them and
// they would live on long enough to answer their clients.
func (p *process) killTree() {
	p.expected.Store(true)
	_ = p.cmd.Process.Signal(syscall.SIGSTOP)
	for _, kid := range childrenOf(p.pid()) {
		_ = syscall.Kill(kid, syscall.SIGKILL)
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// freezeTimeout bounds the wait for every thread of a child to stop; a
// thread inside a long uninterruptible syscall stops only when it returns.
const freezeTimeout = 5 * time.Second

// freeze sends SIGSTOP and, where the OS lets the harness see it, returns
// only once every thread has stopped: a caller that tests a frozen child
// right away must not be answered by a thread still finishing its work.
func (p *process) freeze() error {
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		return fmt.Errorf("harness: freeze %s: %w", p.spec.name, err)
	}
	p.frozen.Store(true)
	deadline := time.Now().Add(freezeTimeout)
	for {
		stopped, known := processStopped(p.pid())
		if stopped || !known {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("harness: %s (pid %d) not stopped %s after SIGSTOP", p.spec.name, p.pid(), freezeTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// thaw sends SIGCONT; the kernel resumes the child before kill returns.
func (p *process) thaw() error {
	if err := p.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		return fmt.Errorf("harness: thaw %s: %w", p.spec.name, err)
	}
	p.frozen.Store(false)
	return nil
}

// isFrozen trusts the OS where it can be asked, so that a child stopped by
// hand (kill -STOP) shows as frozen too.
func (p *process) isFrozen() bool {
	if stopped, known := processStopped(p.pid()); known {
		return stopped
	}
	return p.frozen.Load()
}

// exitStatus says how an exited child ended, in the words of the os/exec
// package: "exit status 1", "signal: killed".
func (p *process) exitStatus() string {
	var exitErr *exec.ExitError
	switch {
	case p.err == nil:
		return "exit status 0"
	case errors.As(p.err, &exitErr):
		return exitErr.ProcessState.String()
	default:
		return p.err.Error()
	}
}

// signaled reports whether an exited child was ended by a signal rather
// than by exiting itself.
func (p *process) signaled() bool {
	if p.cmd.ProcessState == nil { // Wait failed before the child was reaped
		return false
	}
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled()
}

// failure builds an error that carries the end of the child's log, which is
// almost always where the reason is.
func (p *process) failure(what string) error {
	status := ""
	if p.exited() {
		status = fmt.Sprintf(" (%v)", p.err)
	}
	return fmt.Errorf("harness: %s %s%s; last lines of %s:\n%s",
		p.spec.name, what, status, p.spec.logPath, logTail(p.spec.logPath, 30))
}

// logTail returns at most the last n lines of the file at path.
func logTail(path string, n int) string {
	const maxBytes = 16 << 10
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxBytes {
		_, _ = f.Seek(-maxBytes, io.SeekEnd)
	}
	data, _ := io.ReadAll(f)
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.ReplaceAll(string(bytes.Join(lines, []byte("\n"))), "\n", "\n    ")
}
