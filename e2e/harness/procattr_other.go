//go:build !linux

package harness

import "syscall"

// sysProcAttr: outside Linux there is no parent-death signal, so a crashed
// harness can leave children behind; Close still stops them normally.
func sysProcAttr(cred *syscall.Credential, _ syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true}
}

// processStopped cannot ask the OS outside Linux; callers fall back to what
// the harness itself did.
func processStopped(int) (stopped, known bool) { return false, false }

// childrenOf is not known here; a kill reaches the process alone.
func childrenOf(int) []int { return nil }
