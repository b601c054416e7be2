package db

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"sixfold/db/internal/dbq"
)

// aheadOf returns queries whose statements without results (:exec) wait,
// and go to PostgreSQL in one round trip (a pgx batch) with the first
// statement that returns rows; from then on every statement goes straight
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

func (a *aheadDBTX) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if a.flushed {
		return a.db.QueryRow(ctx, sql, args...)
	}
	br, err := a.send(ctx, sql, args)
	if err != nil {
		return errRow{err}
	}
	return batchRow{br.QueryRow(), br}
}

// SendBatch sends the statements held back on their own first: a batch's
// results are read by position, so none may run ahead of it unseen.
func (a *aheadDBTX) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if !a.flushed {
		held := a.ahead
		a.ahead, a.flushed = pgx.Batch{}, true
		if len(held.QueuedQueries) > 0 {
			if err := a.db.SendBatch(ctx, &held).Close(); err != nil {
				return pgx.FailedBatchResults(b, err)
			}
		}
	}
	return a.db.SendBatch(ctx, b)
}

// send sends the statements held back and then sql, and reads the held
// statements' results, leaving sql's to the caller.
func (a *aheadDBTX) send(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	held := len(a.ahead.QueuedQueries)
	a.ahead.Queue(sql, args...)
	b := a.ahead
	a.ahead, a.flushed = pgx.Batch{}, true
	br := a.db.SendBatch(ctx, &b)
	for range held {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, err
		}
	}
	return br, nil
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

type batchRow struct {
	row pgx.Row
	br  pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
