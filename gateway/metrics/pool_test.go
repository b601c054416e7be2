package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestPoolCollector(t *testing.T) {
	stats := PoolStats{Acquired: 3, Idle: 2, Total: 5, Max: 10, Acquires: 42, EmptyAcquires: 4, CanceledAcquires: 1,
		AcquireDuration: 1500 * time.Millisecond}
	c := NewPoolCollector(func() PoolStats { return stats })
	want := `
# HELP sixfold_gateway_db_pool_acquire_duration_seconds_total Total time spent in successful acquires.
# TYPE sixfold_gateway_db_pool_acquire_duration_seconds_total counter
sixfold_gateway_db_pool_acquire_duration_seconds_total 1.5
# HELP sixfold_gateway_db_pool_acquired_connections Connections currently in use.
# TYPE sixfold_gateway_db_pool_acquired_connections gauge
sixfold_gateway_db_pool_acquired_connections 3
# HELP sixfold_gateway_db_pool_acquires_total Successful connection acquires.
# TYPE sixfold_gateway_db_pool_acquires_total counter
sixfold_gateway_db_pool_acquires_total 42
# HELP sixfold_gateway_db_pool_canceled_acquires_total Acquires abandoned because their context ended.
# TYPE sixfold_gateway_db_pool_canceled_acquires_total counter
sixfold_gateway_db_pool_canceled_acquires_total 1
# HELP sixfold_gateway_db_pool_empty_acquires_total Acquires that waited because no idle connection was free.
# TYPE sixfold_gateway_db_pool_empty_acquires_total counter
sixfold_gateway_db_pool_empty_acquires_total 4
# HELP sixfold_gateway_db_pool_idle_connections Connections open and idle.
# TYPE sixfold_gateway_db_pool_idle_connections gauge
sixfold_gateway_db_pool_idle_connections 2
# HELP sixfold_gateway_db_pool_max_connections The pool's connection limit.
# TYPE sixfold_gateway_db_pool_max_connections gauge
sixfold_gateway_db_pool_max_connections 10
# HELP sixfold_gateway_db_pool_total_connections Connections open (acquired, idle or being constructed).
# TYPE sixfold_gateway_db_pool_total_connections gauge
sixfold_gateway_db_pool_total_connections 5
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}
