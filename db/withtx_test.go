package db_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"sixfold/db"
	"sixfold/db/dbtest"
	"sixfold/db/internal/dbq"
)

// A connection killed under a transaction (its primary gone: 57P01) fails
// the query inside fn, not Begin or Commit; WithTx must still say
// ErrUnavailable, or the request is answered 500 instead of 503.
func TestWithTxTranslatesErrorsOfFn(t *testing.T) {
	pool, _ := dbtest.NewPool(t)
	killed := &pgconn.PgError{Code: "57P01", Message: "terminating connection due to unexpected postmaster exit"}
	err := db.WithTx(context.Background(), pool, func(*dbq.Queries) error { return killed })
	if !errors.Is(err, db.ErrUnavailable) || !errors.Is(err, killed) {
		t.Fatalf("WithTx = %v; want ErrUnavailable wrapping the driver error", err)
	}
	if again := db.Translate(err); again != err || strings.Count(again.Error(), db.ErrUnavailable.Error()) != 1 {
		t.Fatalf("Translate of a translated error = %v; want it unchanged", again)
	}
}

// A connection whose server process was killed mid-answer ends in a bare
// EOF from pgx: that too is a 503 to retry, not a 500.
func TestLostConnectionIsUnavailable(t *testing.T) {
	for _, err := range []error{io.ErrUnexpectedEOF, fmt.Errorf("read: %w", io.EOF)} {
		if got := db.Translate(err); !errors.Is(got, db.ErrUnavailable) {
			t.Errorf("Translate(%v) = %v; want ErrUnavailable", err, got)
		}
	}
}
