package db_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"sixfold/db/dbtest"
)

// TestUUIDParametersKeepTheirValue: a uuid.UUID parameter, alone or in an
// array, reaches PostgreSQL as the same UUID (db.Open sends them in binary).
func TestUUIDParametersKeepTheirValue(t *testing.T) {
	pool, _ := dbtest.NewPool(t)
	ctx := context.Background()
	a, b := uuid.New(), uuid.New()
	var one string
	var many []string
	if err := pool.QueryRow(ctx, `SELECT $1::uuid::text, $2::uuid[]::text[]`, a, []uuid.UUID{b, a}).Scan(&one, &many); err != nil {
		t.Fatal(err)
	}
	if one != a.String() || len(many) != 2 || many[0] != b.String() || many[1] != a.String() {
		t.Fatalf("got %s, %v; want %s, [%s %s]", one, many, a, b, a)
	}
	var back uuid.UUID
	if err := pool.QueryRow(ctx, `SELECT $1::uuid`, a).Scan(&back); err != nil || back != a {
		t.Fatalf("scanned %s, %v; want %s", back, err, a)
	}
}
