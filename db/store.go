package db

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/db/internal/dbq"
)

// Store is the connection pool as the rest of sixfold sees it: methods that
// take and return domain values and translated errors (ErrNotFound,
// ErrConflict, ErrUnavailable), so that no caller needs pgx or the
// generated row types. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore wraps a pool Open returned. The Store does not own it more than
// the caller does: Close closes the same pool.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

// OpenStore is Open, wrapped.
func OpenStore(ctx context.Context, c Config) (*Store, error) {
	pool, err := Open(ctx, c)
	if err != nil {
		return nil, err
	}
	return NewStore(pool), nil
}

// Close closes the pool, waiting for connections in use to come back.
func (s *Store) Close() { s.pool.Close() }

func (s *Store) q() *dbq.Queries { return dbq.New(s.pool) }

// WithTx runs fn in a transaction, committed when fn returns nil. Errors
// come back translated, fn's own included.
func (s *Store) WithTx(ctx context.Context, fn func(*Tx) error) error {
	return withTx(ctx, s.pool, func(tx pgx.Tx) error { return fn(newTx(tx)) })
}

// convertRows returns a query's error translated, or each of its rows
// turned into a domain value by f.
func convertRows[R, T any](rows []R, err error, f func(R) T) ([]T, error) {
	if err != nil {
		return nil, Translate(err)
	}
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out, nil
}
