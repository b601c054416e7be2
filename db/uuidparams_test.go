package db_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

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

// TestUUIDColumnsScanBack: uuid columns scan into uuid.UUID from their
// binary form (db.Open's codec), alone, in arrays, and NULL as the zero
// UUID as before.
func TestUUIDColumnsScanBack(t *testing.T) {
	pool, _ := dbtest.NewPool(t)
	ctx := context.Background()
	a, b := uuid.New(), uuid.New()
	var one, null uuid.UUID
	null = a
	var many []uuid.UUID
	err := pool.QueryRow(ctx, `SELECT $1::text::uuid, NULL::uuid, ARRAY[$2::text::uuid, $1::text::uuid]`, a.String(), b.String()).
		Scan(&one, &null, &many)
	if err != nil {
		t.Fatal(err)
	}
	if one != a || null != uuid.Nil || len(many) != 2 || many[0] != b || many[1] != a {
		t.Fatalf("got %s, %s, %v; want %s, the zero UUID, [%s %s]", one, null, many, a, b, a)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	plan := conn.Conn().TypeMap().PlanScan(pgtype.UUIDOID, pgtype.BinaryFormatCode, &one)
	if name := fmt.Sprintf("%T", plan); !strings.Contains(name, "scanUUIDBinary") {
		t.Errorf("pgx scans a uuid into uuid.UUID with %s; want db's binary plan, not the text round trip of uuid.Scan", name)
	}
}
