package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5" // registers pgx5://
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"

	"sixfold/migrations"
)

// Migrate brings the schema up to the newest embedded migration. Several
// gateways starting at once apply each migration exactly once: they take
// turns (takeMigrationTurn), and golang-migrate's pgx driver also holds a
// PostgreSQL advisory lock while it works.
func Migrate(dsn string) error {
	return withMigrator(dsn, (*migrate.Migrate).Up)
}

// MigrateDown reverts every migration; tests use it to check the down files.
func MigrateDown(dsn string) error {
	return withMigrator(dsn, (*migrate.Migrate).Down)
}

func withMigrator(dsn string, step func(*migrate.Migrate) error) error {
	done, err := takeMigrationTurn(context.Background(), dsn)
	if err != nil {
		return fmt.Errorf("migrations: %w", redactDSN(err, dsn))
	}
	defer done()
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	m, err := migrate.NewWithSourceInstance("iofs", src, pgx5URL(dsn))
	if err != nil {
		return fmt.Errorf("migrations: %w", redactDSN(err, dsn))
	}
	defer m.Close()
	if err := step(m); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrations: %w", redactDSN(err, dsn))
	}
	return nil
}

// pgx5URL rewrites postgres:// into the scheme golang-migrate's pgx/v5
// driver registers.
func pgx5URL(dsn string) string {
	for _, prefix := range []string{"postgresql://", "postgres://"} {
		if len(dsn) >= len(prefix) && dsn[:len(prefix)] == prefix {
			return "pgx5://" + dsn[len(prefix):]
		}
	}
	return dsn
}

// migrationTurnLock is the advisory lock key migrators take turns on.
const migrationTurnLock = 0x5f1ad0_0001

// migrationTurnPoll is how often a migrator waiting its turn asks again.
const migrationTurnPoll = 100 * time.Millisecond

// takeMigrationTurn waits until no other migrator of this database is at
// work, asking for a session advisory lock with pg_try_advisory_lock
// rather than waiting for it inside a statement as golang-migrate does. A
// session blocked in that statement holds a snapshot, and CREATE INDEX
// CONCURRENTLY (migrations 0024 and 0025) waits for every snapshot older
// than its build, while holding the lock the blocked session waits for:
// PostgreSQL reports the deadlock and one migrator fails. Between two
// tries the waiting session holds nothing. done releases the turn.
func takeMigrationTurn(ctx context.Context, dsn string) (done func(), err error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	for {
		var got bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", int64(migrationTurnLock)).Scan(&got); err != nil {
			conn.Close(ctx)
			return nil, err
		}
		if got {
			return func() { conn.Close(context.Background()) }, nil // closing the session releases the lock
		}
		select {
		case <-ctx.Done():
			conn.Close(context.Background())
			return nil, ctx.Err()
		case <-time.After(migrationTurnPoll):
		}
	}
}
