package db_test

import (
	"context"
	"errors"
	"testing"

	"sixfold/db"
	"sixfold/db/dbtest"
	"sixfold/db/internal/dbq"
)

// A COMMIT whose reply never comes (the primary died just after
// committing) may have committed, and here did: WithTx must say it is
// unavailable but not ErrNotCommitted, or its caller deletes what the
// committed rows name.
func TestWithTxCommitReplyLost(t *testing.T) {
	pool, proxy := dbtest.NewLostCommitPool(t)
	ctx := context.Background()
	proxy.CutCommitAfter("-- name: RecordHeal ")
	err := db.WithTx(ctx, pool, func(q *dbq.Queries) error {
		return q.RecordHeal(ctx, dbq.RecordHealParams{Shards: 1, Bytes: 10})
	})
	if proxy.Cuts() != 1 {
		t.Fatalf("the proxy cut %d commits; want 1", proxy.Cuts())
	}
	var healed int64
	if err := pool.QueryRow(ctx, `SELECT shards_healed FROM heal_stats`).Scan(&healed); err != nil || healed != 1 {
		t.Fatalf("shards_healed = %d, %v; want 1: the transaction should have committed", healed, err)
	}
	if !errors.Is(err, db.ErrUnavailable) || errors.Is(err, db.ErrNotCommitted) {
		t.Fatalf("WithTx = %v (ErrUnavailable %v, ErrNotCommitted %v); want ErrUnavailable only",
			err, errors.Is(err, db.ErrUnavailable), errors.Is(err, db.ErrNotCommitted))
	}
}
