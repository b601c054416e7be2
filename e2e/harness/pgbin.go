package harness

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// pgBinaries are the PostgreSQL server programs the harness runs.
type pgBinaries struct {
	initdb, postgres string
}

// tool is a program that ships beside postgres (pg_basebackup, pg_ctl):
// the one of the same installation, so its version matches the server's.
func (b pgBinaries) tool(name string) (string, error) {
	path := filepath.Join(filepath.Dir(b.postgres), name)
	if !isExecutable(path) {
		return "", fmt.Errorf("harness: %s not found beside %s (Debian ships it in the postgresql package)", name, b.postgres)
	}
	return path, nil
}

// findPGBinaries looks where pg_config says, then in Debian's versioned
// directories (newest first), then on PATH.
func findPGBinaries() (pgBinaries, error) {
	for _, dir := range pgBinDirs() {
		if b, ok := pgBinariesIn(dir); ok {
			return b, nil
		}
	}
	initdb, err1 := exec.LookPath("initdb")
	postgres, err2 := exec.LookPath("postgres")
	if err1 == nil && err2 == nil {
		return pgBinaries{initdb: initdb, postgres: postgres}, nil
	}
	return pgBinaries{}, errors.New("harness: PostgreSQL server binaries (initdb, postgres) not found " +
		"via pg_config --bindir, /usr/lib/postgresql/*/bin or PATH; install PostgreSQL 15+ " +
		"(Debian: apt-get install postgresql) or set " + EnvTestDatabaseURL + " to an existing server")
}

func pgBinDirs() []string {
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	debian, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(debian, func(a, b string) int { return pgDirVersion(b) - pgDirVersion(a) })
	return append(dirs, debian...)
}

// pgDirVersion reads the major version out of /usr/lib/postgresql/<v>/bin.
func pgDirVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func pgBinariesIn(dir string) (pgBinaries, bool) {
	b := pgBinaries{initdb: filepath.Join(dir, "initdb"), postgres: filepath.Join(dir, "postgres")}
	return b, isExecutable(b.initdb) && isExecutable(b.postgres)
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// serverUser is whom PostgreSQL runs as. initdb and postgres refuse to run as
// root, so as root the harness drops to the postgres system user that Debian's
// package creates; otherwise they run as the current user.
type serverUser struct {
	cred *syscall.Credential // nil: the current user
}

func currentServerUser() (serverUser, error) {
	if os.Geteuid() != 0 {
		return serverUser{}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return serverUser{}, fmt.Errorf("harness: running as root, which PostgreSQL refuses, and there is "+
			"no postgres system user to run it as (install Debian's postgresql package or run as a normal user): %w", err)
	}
	return credentialOf(u)
}

func credentialOf(u *user.User) (serverUser, error) {
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return serverUser{}, fmt.Errorf("harness: user %s: %w", u.Username, err)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	ids, _ := u.GroupIds()
	for _, id := range ids {
		if g, err := strconv.ParseUint(id, 10, 32); err == nil {
			cred.Groups = append(cred.Groups, uint32(g))
		}
	}
	return serverUser{cred: cred}, nil
}

// own hands path and everything under it to the server user. It walks the
// tree only when the top is not already theirs, so reusing data is cheap.
func (u serverUser) own(path string) error {
	if u.cred == nil {
		return nil
	}
	if st, err := statT(path); err == nil && st.Uid == u.cred.Uid {
		return nil
	}
	return filepath.WalkDir(path, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(u.cred.Uid), int(u.cred.Gid))
	})
}

// checkReachable fails when some directory above dir cannot be searched by
// the server user: postgres could not even reach its data dir, and the error
// it would print is far less clear than this one.
func (u serverUser) checkReachable(dir string) error {
	if u.cred == nil {
		return nil
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		st, err := statT(p)
		if err != nil {
			return err
		}
		if !u.canSearch(st) {
			return fmt.Errorf("harness: running as root, PostgreSQL runs as user postgres (uid %d), "+
				"which cannot reach %s: %s (mode %o, owner uid %d) is not searchable by it; "+
				"use a data dir outside it, or chmod o+x %s", u.cred.Uid, dir, p, st.Mode&0o777, st.Uid, p)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// canSearch applies the classic owner/group/other permission check for the
// execute (search) bit.
func (u serverUser) canSearch(st *syscall.Stat_t) bool {
	mode := st.Mode & 0o777
	switch {
	case st.Uid == u.cred.Uid:
		return mode&0o100 != 0
	case st.Gid == u.cred.Gid || slices.Contains(u.cred.Groups, st.Gid):
		return mode&0o010 != 0
	default:
		return mode&0o001 != 0
	}
}

func statT(path string) (*syscall.Stat_t, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return &st, nil
}

// ServerCanReach reports whether the PostgreSQL server user (postgres, when
// running as root; else ourselves) can reach dir through its parents.
func ServerCanReach(dir string) bool {
	u, err := currentServerUser()
	return err == nil && u.checkReachable(dir) == nil
}
