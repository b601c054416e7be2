package db

import (
	"errors"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5" // registers pgx5://
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"sixfold/migrations"
)

// Migrate brings the schema up to the newest embedded migration. The pgx
// driver of golang-migrate holds a PostgreSQL advisory lock while it works,
// so several gateways starting at once apply each migration exactly once.
func Migrate(dsn string) error {
	return withMigrator(dsn, (*migrate.Migrate).Up)
}

// MigrateDown reverts every migration; tests use it to check the down files.
func MigrateDown(dsn string) error {
	return withMigrator(dsn, (*migrate.Migrate).Down)
}

func withMigrator(dsn string, step func(*migrate.Migrate) error) error {
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
