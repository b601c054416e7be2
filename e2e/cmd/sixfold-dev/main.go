// Command sixfold-dev runs sixfold on one machine for development, with the
// same harness the end-to-end tests use.
//
//	sixfold-dev run [-dir .data]
//	    Build the binaries and run a private PostgreSQL, six storage nodes and
//	    a gateway (on $SIXFOLD_ADDR or 127.0.0.1:8080) in the foreground until
//	    Ctrl-C. Everything lives in -dir; the next run reuses it, objects and all.
//	    The banner lists every member with its pid, address and log, so any
//	    one can be killed by hand. A member that dies is reported (name, pid,
//	    exit status, log) and the rest keep serving: a dead node costs its
//	    chunks, a dead gateway the HTTP port, a dead PostgreSQL the metadata,
//	    until it is restarted. While it runs it answers the commands below on
//	    the unix socket -dir/sixfold-dev.sock (mode 0600: its own user only).
//
//	sixfold-dev status [-dir .data]
//	    List the members of the sixfold-dev running in -dir: pid, state
//	    (running, frozen, stopped, died), address and log.
//
//	sixfold-dev restart [-dir .data] MEMBER
//	    Start MEMBER (gateway, storage-N or postgres) again, stopping it first
//	    if it still runs, and wait until it serves.
//
//	sixfold-dev stop [-dir .data] MEMBER
//	    Stop MEMBER gracefully (SIGTERM); restart brings it back.
//
//	sixfold-dev with-postgres [-dir .data] [-standby] -- CMD [ARG...]
//	    Run CMD with SIXFOLD_TEST_DATABASE_URL pointing at a private PostgreSQL
//	    (started in a temp dir under -dir and removed afterwards; an already
//	    set SIXFOLD_TEST_DATABASE_URL is used as is), and exit with CMD's status.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	code, err := dispatch(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "sixfold-dev:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

const usage = `usage:
  sixfold-dev run [-dir .data]
  sixfold-dev status [-dir .data]
  sixfold-dev restart [-dir .data] MEMBER     (gateway, gateway-N, storage-N, postgres)
  sixfold-dev stop [-dir .data] MEMBER
  sixfold-dev with-postgres [-dir .data] [-standby] -- CMD [ARG...]`

// errUsage is returned for a bad command line; main exits 2 on it.
var errUsage = errors.New(usage)

func dispatch(args []string) (int, error) {
	if len(args) == 0 {
		return 2, errUsage
	}
	switch args[0] {
	case "run":
		return 0, run(args[1:])
	case opStatus, opRestart, opStop:
		return controlCommand(os.Stdout, args[0], args[1:])
	case "with-postgres":
		return withPostgres(args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Println(usage)
		return 0, nil
	default:
		return 2, errUsage
	}
}
