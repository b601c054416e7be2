// Package db is sixfold's door to PostgreSQL: connection settings, the pgx
// pool, transactions, migrations, and the translation of driver errors into
// the few sentinels the rest of the code branches on. The queries themselves
// are sqlc-generated in package dbq from db/queries/*.sql.
package db

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/db/internal/dbq"
)

// ErrNotFound is returned (wrapped) when a query that must find a row finds none.
var ErrNotFound = errors.New("db: not found")

// ErrConflict is returned (wrapped) when a write violates a unique constraint.
var ErrConflict = errors.New("db: conflict")

// ErrUnavailable is returned (wrapped) when PostgreSQL cannot be reached, so
// callers can answer 503 rather than 500.
var ErrUnavailable = errors.New("db: unavailable")

// ErrNotCommitted matches an error of WithTx after which the transaction is
// known not to have committed: it failed before its COMMIT was sent, or the
// server refused the COMMIT. Any other failure of a write may have
// committed.
var ErrNotCommitted = errors.New("db: not committed")

// notCommitted marks err (translated) as ErrNotCommitted, keeping its
// message and chain.
type notCommitted struct{ err error }

func (e notCommitted) Error() string        { return e.err.Error() }
func (e notCommitted) Unwrap() error        { return e.err }
func (e notCommitted) Is(target error) bool { return target == ErrNotCommitted }

// ErrMissingParent is returned (wrapped) on a foreign key violation: a
// write that refers to a row that is not there (an object or upload whose
// bucket was deleted meanwhile), or a delete of a row that others still
// refer to (a blob an S3 version names).
var ErrMissingParent = errors.New("db: referenced row missing")

// Config says how to reach PostgreSQL. URL, when set, wins over the parts,
// except that SSLMode is added to a URL that names no sslmode of its own.
type Config struct {
	URL      string `yaml:"url"`
	Host     string `yaml:"host"`     // default 127.0.0.1
	Port     int    `yaml:"port"`     // default 5432
	User     string `yaml:"user"`     // default sixfold
	Password string `yaml:"password"` // never logged
	Name     string `yaml:"name"`     // database name, default sixfold
	SSLMode  string `yaml:"sslmode"`  // disable, require, verify-ca, verify-full; default disable
	// MaxConns caps the pool; 0 means pgxpool's default, or the URL's
	// pool_max_conns.
	MaxConns int32 `yaml:"max_conns"`
	// MaxIdleConnections (the seed's max_idle_connections) is how many
	// connections the pool keeps open while idle: pgxpool's MinConns. pgx
	// has no cap on idle connections as database/sql does; it closes those
	// idle past 30 minutes down to MinConns, which is the same steady state.
	// 0 keeps none.
	MaxIdleConnections int32 `yaml:"max_idle_connections"`

	// Database and MaxConnections are the seed design's names for Name and
	// MaxConns: see FoldSeedNames.
	Database       string `yaml:"database"`
	MaxConnections int32  `yaml:"max_connections"`
}

// ApplyEnv overrides fields from DATABASE_URL, DATABASE_HOST, DATABASE_PORT,
// DATABASE_USER, DATABASE_PASSWORD, DATABASE_NAME and DATABASE_SSLMODE.
func (c *Config) ApplyEnv() error {
	setString := func(dst *string, key string) {
		if v, ok := os.LookupEnv(key); ok {
			*dst = v
		}
	}
	setString(&c.URL, "DATABASE_URL")
	setString(&c.Host, "DATABASE_HOST")
	setString(&c.User, "DATABASE_USER")
	setString(&c.Password, "DATABASE_PASSWORD")
	setString(&c.Name, "DATABASE_NAME")
	setString(&c.SSLMode, "DATABASE_SSLMODE")
	if v, ok := os.LookupEnv("DATABASE_PORT"); ok {
		port, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("DATABASE_PORT: %q is not a port number", v)
		}
		c.Port = port
	}
	return nil
}

// Validate reports the first bad field by its config key.
func (c *Config) Validate() error {
	switch c.SSLMode {
	case "", "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
	default:
		return fmt.Errorf("database.sslmode: %q is not a PostgreSQL sslmode", c.SSLMode)
	}
	if err := c.validatePool(); err != nil {
		return err
	}
	if c.URL != "" {
		if _, err := pgxpool.ParseConfig(c.URL); err != nil {
			return fmt.Errorf("database.url: %v", redact(err))
		}
		return nil
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("database.port: %d is out of range", c.Port)
	}
	return nil
}

func (c *Config) validatePool() error {
	switch {
	case c.MaxConns < 0:
		return fmt.Errorf("database.max_conns (max_connections): must be >= 0 (0: the default), got %d", c.MaxConns)
	case c.MaxIdleConnections < 0:
		return fmt.Errorf("database.max_idle_connections: must be >= 0, got %d", c.MaxIdleConnections)
	case c.MaxConns > 0 && c.MaxIdleConnections > c.MaxConns:
		// pgxpool would keep more connections open than it may have.
		return fmt.Errorf("database.max_idle_connections: %d is above database.max_conns (max_connections) %d", c.MaxIdleConnections, c.MaxConns)
	}
	return nil
}

// DSN renders the connection string, filling defaults for empty parts.
// A URL is used as given, plus SSLMode when it names no sslmode itself.
func (c Config) DSN() string {
	if c.URL != "" {
		return withSSLMode(c.URL, c.SSLMode)
	}
	host, port, user, name, ssl := c.Host, c.Port, c.User, c.Name, c.SSLMode
	if host == "" {
		host = "127.0.0.1"
	}
	if port == 0 {
		port = 5432
	}
	if user == "" {
		user = "sixfold"
	}
	if name == "" {
		name = "sixfold"
	}
	if ssl == "" {
		ssl = "disable"
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(user, c.Password),
		Host:     net.JoinHostPort(host, strconv.Itoa(port)),
		Path:     "/" + name,
		RawQuery: "sslmode=" + url.QueryEscape(ssl),
	}
	if c.Password == "" {
		u.User = url.User(user)
	}
	return u.String()
}

// Open creates a pool and checks that PostgreSQL answers. Connection and
// statement timeouts are short so that an outage turns into fast errors,
// not hung requests.
func Open(ctx context.Context, c Config) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(c.DSN())
	if err != nil {
		return nil, fmt.Errorf("database config: %v", redact(err))
	}
	if c.MaxConns > 0 {
		pc.MaxConns = c.MaxConns
	}
	if c.MaxIdleConnections > 0 {
		pc.MinConns = c.MaxIdleConnections
	}
	pc.ConnConfig.ConnectTimeout = 5 * time.Second
	pc.HealthCheckPeriod = 5 * time.Second
	pc.AfterConnect = encodeUUIDsBinary
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: %w: %v", ErrUnavailable, redact(err))
	}
	return pool, nil
}

// WithTx runs fn in one transaction: committed when fn returns nil, rolled
// back otherwise (and when ctx ends). Its error, fn's included, comes back
// through Translate, matching ErrNotCommitted when the transaction is known
// not to have committed.
func WithTx(ctx context.Context, pool *pgxpool.Pool, fn func(q *dbq.Queries) error) error {
	return withTx(ctx, pool, func(tx pgx.Tx) error { return fn(dbq.New(tx)) })
}

// withTx is WithTx for a caller that also needs the transaction itself.
func withTx(ctx context.Context, pool *pgxpool.Pool, fn func(tx pgx.Tx) error) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return notCommitted{Translate(err)}
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after Commit
	if err := fn(tx); err != nil {
		// A query inside fn fails as the connection dies (a failover) as
		// surely as Begin or Commit does: callers must see ErrUnavailable,
		// not a raw driver error that would be answered 500.
		return notCommitted{Translate(err)}
	}
	if err := ctx.Err(); err != nil { // a COMMIT sent now could go either way
		return notCommitted{Translate(err)}
	}
	if err := tx.Commit(ctx); err != nil {
		if commitRefused(err) {
			return notCommitted{Translate(err)}
		}
		return Translate(err)
	}
	return nil
}

// commitRefused reports whether a failed COMMIT is known to have rolled
// back: the server refused it, with any class but 08 and 57 (the server
// going away), which may come just after it committed. Nothing else is
// proof: when the connection dies after the COMMIT left, pgx (v5.12)
// reports "conn closed" and calls that safe to retry, although the server
// may have committed (TestWithTxCommitReplyLost).
func commitRefused(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return !strings.HasPrefix(pgErr.Code, "08") && !strings.HasPrefix(pgErr.Code, "57")
	}
	return false
}

// Translate maps driver errors onto ErrNotFound, ErrConflict and
// ErrUnavailable, keeping the original in the chain for logs.
func Translate(err error) error {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.Is(err, ErrUnavailable) ||
		errors.Is(err, ErrMissingParent) {
		return err // already translated
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505":
			return fmt.Errorf("%w: %w", ErrConflict, err)
		case pgErr.Code == "23503":
			return fmt.Errorf("%w: %w", ErrMissingParent, err)
		case len(pgErr.Code) >= 2 && (pgErr.Code[:2] == "08" || pgErr.Code[:2] == "57"):
			// Connection exceptions and operator intervention (shutdown).
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		case pgErr.Code == "25006":
			// read_only_sql_transaction: the server was primary when the
			// connection was made and is a standby now (a failover); the
			// next connection finds the new primary, so the client retries.
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return err
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) || isNetError(err) || connectionLost(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// connectionLost: the server's end of the connection went away mid-answer
// (its process killed), which pgx reports as a bare EOF, or the connection
// was already closed for that reason.
func connectionLost(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, pgconn.ErrConnClosed)
}

func isNetError(err error) bool {
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	return errors.As(err, &netErr) || errors.As(err, &connectErr)
}

// redact keeps passwords out of errors that quote the connection string.
func redact(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return "cannot parse connection string"
	}
	return err.Error()
}
