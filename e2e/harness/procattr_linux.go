package harness

import "syscall"

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
