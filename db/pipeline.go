package db

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"sixfold/db/internal/dbq"
)

// aheadOf returns queries whose statements without results (:exec) wait,
// and go to PostgreSQL in one round trip (a pgx batch) with the next
// Query (a :many statement); from then on every statement goes straight
// to db. Each round trip saved is a write, a read and a wake-up on both
// sides. The statements held back report no error of their own: a
// failure comes back from the query they travel with, and aborts the
// transaction all the same.
func aheadOf(db dbq.DBTX) *dbq.Queries {
	return dbq.New(&aheadDBTX{db: db})
}

type aheadDBTX struct {
	db      dbq.DBTX
	ahead   pgx.Batch
	flushed bool
}

func (a *aheadDBTX) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if a.flushed {
		return a.db.Exec(ctx, sql, args...)
	}
	a.ahead.Queue(sql, args...)
	return pgconn.CommandTag{}, nil
}

func (a *aheadDBTX) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if a.flushed {
		return a.db.Query(ctx, sql, args...)
	}
	br, err := a.send(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return batchRows{rows, br}, nil
}

// QueryRow and SendBatch send the statements held back on their own
// first: only Query's rows can carry a batch's last statement, and a
// batch's results are read by position.
func (a *aheadDBTX) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := a.flush(ctx); err != nil {
		return errRow{err}
	}
	return a.db.QueryRow(ctx, sql, args...)
}

func (a *aheadDBTX) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := a.flush(ctx); err != nil {
		return pgx.FailedBatchResults(b, err)
	}
	return a.db.SendBatch(ctx, b)
}

// send sends the statements held back and then sql, and reads the held
// statements' results, leaving sql's to the caller.
func (a *aheadDBTX) send(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	b := a.take()
	held := len(b.QueuedQueries)
	b.Queue(sql, args...)
	br := a.db.SendBatch(ctx, &b)
	for range held {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, err
		}
	}
	return br, nil
}

// flush sends the statements held back, if any, in a batch of their own.
func (a *aheadDBTX) flush(ctx context.Context) error {
	b := a.take()
	if len(b.QueuedQueries) == 0 {
		return nil
	}
	return a.db.SendBatch(ctx, &b).Close()
}

// take returns the statements held back; from then on none are held.
func (a *aheadDBTX) take() pgx.Batch {
	b := a.ahead
	a.ahead, a.flushed = pgx.Batch{}, true
	return b
}

// batchRows is the rows of a batch's last statement; closing them closes
// the batch, which frees the connection.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r batchRows) Close() {
	r.Rows.Close()
	r.br.Close()
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
