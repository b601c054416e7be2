package harness

import (
	"bytes"
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
