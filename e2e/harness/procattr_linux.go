package harness

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// sysProcAttr ties the child's lifetime to the harness (Pdeathsig, applied by
// Go after the credential switch, so it also holds for PostgreSQL run as the
// postgres user) and gives it its own process group, so a terminal's Ctrl-C
// reaches the harness alone and the harness can shut children down in order.
// (Linux fires Pdeathsig when the forking thread exits, not the process; Go
// only retires threads whose goroutine exits while locked to them, which the
// harness never does.)
func sysProcAttr(cred *syscall.Credential, deathSig syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: deathSig, Setpgid: true}
}

// processStopped reports whether every thread of pid is stopped by a signal
// (state T in /proc). Every thread is asked, not just the main one, because
// a group stop reaches each thread in turn and a thread still running can
// still answer a request. known is false when /proc cannot tell.
func processStopped(pid int) (stopped, known bool) {
	stats, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(stats) == 0 {
		return false, false
	}
	read := 0
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // the thread exited meanwhile
		}
		read++
		if state, ok := statState(data); !ok || state != 'T' {
			return false, ok
		}
	}
	return read > 0, read > 0
}

// statState is the state letter of a /proc stat line: the field after the
// command name, which sits in parentheses and may itself hold spaces or ')'.
func statState(stat []byte) (byte, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return 0, false
	}
	return stat[i+2], true
}

// childrenOf lists the processes whose parent is pid, from /proc.
func childrenOf(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var kids []int
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		// After the state letter: " <state> <ppid> ".
		i := bytes.LastIndexByte(data, ')')
		if i < 0 {
			continue
		}
		var state byte
		var ppid int
		if _, err := fmt.Sscanf(string(data[i+1:]), " %c %d", &state, &ppid); err != nil || ppid != pid {
			continue
		}
		if child, err := strconv.Atoi(filepath.Base(filepath.Dir(path))); err == nil {
			kids = append(kids, child)
		}
	}
	return kids
}
