package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ArchiveWAL turns on WAL archiving into dir, as an operator would
// (ALTER SYSTEM archive_mode and archive_command, then a restart), so that
// a base backup plus the archive can be replayed to any later point. The
// server is restarted on the same port; clients see it go away briefly.
func (pg *Postgres) ArchiveWAL(ctx context.Context, dir string) error {
	if err := pg.serverDir(dir); err != nil {
		return err
	}
	err := pg.exec(ctx,
		"ALTER SYSTEM SET archive_mode = on",
		// The test keeps a segment already archived from being overwritten,
		// as PostgreSQL's documentation asks of every archive_command.
		fmt.Sprintf("ALTER SYSTEM SET archive_command = 'test ! -f %s/%%f && cp %%p %s/%%f'", dir, dir))
	if err != nil {
		return err
	}
	return pg.Restart(ctx)
}

// BaseBackup copies the running server into dir with pg_basebackup (with
// the WAL it needs to be consistent). dir must not exist yet.
func (pg *Postgres) BaseBackup(ctx context.Context, dir string) error {
	if err := pg.serverDir(dir); err != nil {
		return err
	}
	tool, err := pg.bins.tool("pg_basebackup")
	if err != nil {
		return err
	}
	return pg.runAsServer(exec.CommandContext(ctx, tool, "-D", dir, "-X", "stream", "-c", "fast",
		"-d", fmt.Sprintf("host=127.0.0.1 port=%d user=%s", pg.port, pgSuperuser)))
}

// SwitchWAL closes the current WAL segment and waits until the archive in
// dir holds it, so that everything committed so far can be replayed from
// the archive.
func (pg *Postgres) SwitchWAL(ctx context.Context, dir string) error {
	conn, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var segment string
	if err := conn.QueryRow(ctx, "SELECT pg_walfile_name(pg_switch_wal())").Scan(&segment); err != nil {
		return fmt.Errorf("harness: pg_switch_wal: %w", err)
	}
	deadline := time.Now().Add(pgReadyTimeout)
	for {
		if _, err := os.Stat(filepath.Join(dir, segment)); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("harness: WAL segment %s not archived into %s within %s; see %s", segment, dir, pgReadyTimeout, pg.logPath)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// RestoreTo replaces the server's data with the base backup in backupDir
// and replays the WAL archive in archiveDir up to target (point-in-time
// recovery: recovery.signal, restore_command, recovery_target_time,
// recovery_target_action=promote), then waits until the server accepts
// writes again. The replaced data dir is kept beside it. The server keeps
// its port, so clients reconnect without being told.
func (pg *Postgres) RestoreTo(ctx context.Context, backupDir, archiveDir string, target time.Time) error {
	if err := pg.Stop(); err != nil {
		return err
	}
	aside := fmt.Sprintf("%s.replaced-%d", pg.dataDir, time.Now().UnixNano())
	if err := os.Rename(pg.dataDir, aside); err != nil {
		return fmt.Errorf("harness: move the data dir aside: %w", err)
	}
	if err := pg.serverDir(pg.dataDir); err != nil {
		return err
	}
	if err := pg.runAsServer(exec.CommandContext(ctx, "cp", "-a", backupDir+"/.", pg.dataDir)); err != nil {
		return err
	}
	settings := fmt.Sprintf("restore_command = 'cp %s/%%f %%p'\nrecovery_target_time = '%s'\nrecovery_target_action = 'promote'\n",
		archiveDir, target.UTC().Format("2006-01-02 15:04:05.999999+00"))
	if err := appendFile(filepath.Join(pg.dataDir, "postgresql.auto.conf"), settings); err != nil {
		return err
	}
	signal := filepath.Join(pg.dataDir, "recovery.signal")
	if err := os.WriteFile(signal, nil, 0o600); err != nil {
		return err
	}
	if err := pg.user.own(signal); err != nil {
		return err
	}
	if err := pg.Start(ctx); err != nil {
		return err
	}
	return pg.waitPromoted(ctx)
}

func (pg *Postgres) waitPromoted(ctx context.Context) error {
	deadline := time.Now().Add(pgReadyTimeout)
	for {
		in, err := pg.InRecovery(ctx)
		if err == nil && !in {
			fmt.Fprintf(pg.log, "%s: recovered to the target and accepting writes\n", pg.name)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("harness: still in recovery after %s (%v); see %s", pgReadyTimeout, err, pg.logPath)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// serverDir makes an empty dir the server user owns (0700), whose parents
// it can reach.
func (pg *Postgres) serverDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	return errors.Join(pg.user.checkReachable(dir), pg.user.own(dir))
}

func (pg *Postgres) exec(ctx context.Context, sqls ...string) error {
	conn, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, sql := range sqls {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("harness: %s: %w", strings.SplitN(sql, " = ", 2)[0], err)
		}
	}
	return nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	return errors.Join(err, f.Close())
}
