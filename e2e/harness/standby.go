package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// standbyName is the standby's application_name, which the primary's
// synchronous_standby_names lists.
const standbyName = "sixfold_standby"

// StartStandby makes a streaming standby of pg with its data in dir (a
// fresh pg_basebackup of pg; dir must not hold a cluster yet), starts it on
// its own free port and makes it pg's synchronous standby. From the time it
// returns, a commit on pg is acknowledged only once the standby has flushed
// it too (synchronous_commit is on, the default), so losing pg loses no
// acknowledged transaction. The standby logs to pg-standby.log beside dir
// and dies with the calling process; Promote makes it a primary.
//
// The primary keeps waiting for this standby while the standby is down: a
// primary whose standby is gone for good needs synchronous_standby_names
// cleared (which Patroni does in production).
func (pg *Postgres) StartStandby(ctx context.Context, dir string) (*Postgres, error) {
	sb, err := newPostgres(dir, pg.log)
	if err != nil {
		return nil, err
	}
	sb.name, sb.logPath = "postgres-standby", filepath.Join(filepath.Dir(sb.dataDir), "pg-standby.log")
	if _, err := os.Stat(filepath.Join(sb.dataDir, "PG_VERSION")); err == nil {
		return nil, fmt.Errorf("harness: standby dir %s already holds a cluster", sb.dataDir)
	}
	if err := sb.prepareDataDir(); err != nil {
		return nil, err
	}
	if err := pg.baseBackup(ctx, sb.dataDir); err != nil {
		return nil, err
	}
	// Given on the command line rather than written by pg_basebackup -R, so
	// the application_name the primary waits for is certainly in it.
	sb.args = []string{"-c", fmt.Sprintf("primary_conninfo=host=127.0.0.1 port=%d user=%s application_name=%s",
		pg.port, pgSuperuser, standbyName)}
	if err := sb.startOnFreePort(ctx); err != nil {
		return nil, err
	}
	if err := pg.requireSyncStandby(ctx); err != nil {
		return nil, errors.Join(err, sb.Stop())
	}
	fmt.Fprintf(pg.log, "postgres-standby: streaming from 127.0.0.1:%d, synchronous\n", pg.port)
	return sb, nil
}

// baseBackup copies pg into dir with pg_basebackup, run as the server user
// so the copy is the server's own; standby.signal makes it start in recovery.
func (pg *Postgres) baseBackup(ctx context.Context, dir string) error {
	tool, err := pg.bins.tool("pg_basebackup")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, tool, "-D", dir, "-X", "stream", "-c", "fast", "-R",
		"-d", fmt.Sprintf("host=127.0.0.1 port=%d user=%s", pg.port, pgSuperuser))
	return pg.runAsServer(cmd)
}

// requireSyncStandby names the standby in the primary's
// synchronous_standby_names (ALTER SYSTEM, after the base backup was taken,
// so the standby's own copy of the setting stays empty and it does not wait
// for a standby of its own once promoted) and waits until the primary
// reports it synchronous.
func (pg *Postgres) requireSyncStandby(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		return fmt.Errorf("harness: connect to primary: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, sql := range []string{
		"ALTER SYSTEM SET synchronous_standby_names = '" + standbyName + "'",
		"SELECT pg_reload_conf()",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("harness: %s: %w", sql, err)
		}
	}
	deadline := time.Now().Add(pgReadyTimeout)
	for {
		var n int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_replication
			WHERE application_name = $1 AND sync_state = 'sync' AND state = 'streaming'`, standbyName).Scan(&n)
		switch {
		case err != nil:
			return fmt.Errorf("harness: pg_stat_replication: %w", err)
		case n == 1:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("harness: standby not synchronous within %s; see %s", pgReadyTimeout, pg.logPath)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Promote ends a standby's recovery with `pg_ctl promote` and waits until
// it accepts writes. Promoting a primary is an error.
func (pg *Postgres) Promote(ctx context.Context) error {
	tool, err := pg.bins.tool("pg_ctl")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, tool, "promote", "-D", pg.dataDir, "-w", "-t", strconv.Itoa(int(pgReadyTimeout.Seconds())))
	if err := pg.runAsServer(cmd); err != nil {
		return err
	}
	fmt.Fprintf(pg.log, "%s: promoted (127.0.0.1:%d)\n", pg.name, pg.port)
	return nil
}

// InRecovery reports whether the server is a standby (replaying WAL) rather
// than a primary.
func (pg *Postgres) InRecovery(ctx context.Context) (bool, error) {
	conn, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var in bool
	err = conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&in)
	return in, err
}

func (pg *Postgres) runAsServer(cmd *exec.Cmd) error {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Dir = &out, &out, filepath.Dir(pg.dataDir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.user.cred}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("harness: %s: %w\n%s", filepath.Base(cmd.Path), err, out.Bytes())
	}
	return nil
}

// MultiHostURL is a connection URL naming every server given, in order,
// with target_session_attrs=read-write: a client tries them in turn and
// keeps the one that accepts writes, so it follows a promotion without being
// reconfigured. database is the database to use on whichever answers.
func MultiHostURL(database string, servers ...*Postgres) string {
	hosts := ""
	for i, s := range servers {
		if i > 0 {
			hosts += ","
		}
		hosts += fmt.Sprintf("127.0.0.1:%d", s.port)
	}
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable&target_session_attrs=read-write", pgSuperuser, hosts, database)
}
