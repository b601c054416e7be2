// Package dbtest gives integration tests a real, private, migrated
// PostgreSQL database: one fresh database per test on the server named by
// SIXFOLD_TEST_DATABASE_URL, dropped when the test ends. `make test`
// provides that server; without it a test is skipped locally and fails in
// CI (CI=true), so a missing PostgreSQL never passes silently.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/db"
)

// EnvServerURL names the variable holding the test server's URL.
const EnvServerURL = "SIXFOLD_TEST_DATABASE_URL"

// ServerURL returns the test server's URL, skipping (or, in CI, failing)
// the test when none is configured.
func ServerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvServerURL)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the tests against a real PostgreSQL (make test does)", EnvServerURL)
		}
		t.Skipf("%s is not set; run `make test` for a private PostgreSQL", EnvServerURL)
	}
	return u
}

// NewDatabase creates an empty database and returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := ServerURL(t)
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "sixfold_test_" + hex.EncodeToString(suffix)
	exec(t, server, "CREATE DATABASE "+name)
	t.Cleanup(func() { exec(t, server, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s: %v", EnvServerURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

// NewMigratedDatabase creates a database with the schema applied and
// returns its URL.
func NewMigratedDatabase(t testing.TB) string {
	t.Helper()
	dsn := NewDatabase(t)
	if err := db.Migrate(dsn); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return dsn
}

// NewPool creates a migrated database and returns a pool on it.
func NewPool(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	dsn := NewMigratedDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := db.Open(ctx, db.Config{URL: dsn})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool, dsn
}

func exec(t testing.TB, serverURL, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Fatalf("connect to test server: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
