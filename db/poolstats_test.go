package db

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// A pgx pool connects lazily, so its statistics can be read without a
// server: nothing acquired yet, and the configured limit.
func TestPoolStatsReadsThePool(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/none?pool_max_conns=7")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	got := NewStore(pool).PoolStats()
	if want := (PoolStats{Max: 7}); got != want {
		t.Errorf("stats = %+v; want %+v", got, want)
	}
}
