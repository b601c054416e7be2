package metrics

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// PoolStats is one reading of a connection pool, in the terms of
// pgxpool.Stat. It is a plain struct so that the collector can be tested
// without a database (pgxpool.Stat has no exported constructor).
type PoolStats struct {
	Acquired, Idle, Total, Max int32
	// Acquires counts successful acquires; EmptyAcquires those that had to
	// wait because no idle connection was free; CanceledAcquires those
	// whose context ended first.
	Acquires, EmptyAcquires, CanceledAcquires int64
	// AcquireDuration is the total time spent in successful acquires.
	AcquireDuration time.Duration
}

// PgxPoolStats reads p's statistics; pgxpool.Stat takes the pool's lock
// only briefly, so reading it on every scrape is cheap.
func PgxPoolStats(p *pgxpool.Pool) func() PoolStats {
	return func() PoolStats {
		s := p.Stat()
		return PoolStats{
			Acquired: s.AcquiredConns(), Idle: s.IdleConns(), Total: s.TotalConns(), Max: s.MaxConns(),
			Acquires: s.AcquireCount(), EmptyAcquires: s.EmptyAcquireCount(), CanceledAcquires: s.CanceledAcquireCount(),
			AcquireDuration: s.AcquireDuration(),
		}
	}
}

// poolMetric is one series the pool collector reports.
type poolMetric struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(PoolStats) float64
}

type poolCollector struct {
	stats   func() PoolStats
	metrics []poolMetric
}

// NewPoolCollector reports stats as sixfold_gateway_db_pool_*: the
// connection counts as gauges, the cumulative acquire counts and time as
// counters. stats is called once per scrape.
func NewPoolCollector(stats func() PoolStats) prometheus.Collector {
	return &poolCollector{stats: stats, metrics: []poolMetric{
		poolGauge("acquired_connections", "Connections currently in use.", func(s PoolStats) float64 { return float64(s.Acquired) }),
		poolGauge("idle_connections", "Connections open and idle.", func(s PoolStats) float64 { return float64(s.Idle) }),
		poolGauge("total_connections", "Connections open (acquired, idle or being constructed).", func(s PoolStats) float64 { return float64(s.Total) }),
		poolGauge("max_connections", "The pool's connection limit.", func(s PoolStats) float64 { return float64(s.Max) }),
		poolCounter("acquires_total", "Successful connection acquires.", func(s PoolStats) float64 { return float64(s.Acquires) }),
		poolCounter("empty_acquires_total", "Acquires that waited because no idle connection was free.", func(s PoolStats) float64 { return float64(s.EmptyAcquires) }),
		poolCounter("canceled_acquires_total", "Acquires abandoned because their context ended.", func(s PoolStats) float64 { return float64(s.CanceledAcquires) }),
		poolCounter("acquire_duration_seconds_total", "Total time spent in successful acquires.", func(s PoolStats) float64 { return s.AcquireDuration.Seconds() }),
	}}
}

func poolGauge(name, help string, value func(PoolStats) float64) poolMetric {
	return poolMetric{desc: poolDesc(name, help), kind: prometheus.GaugeValue, value: value}
}

func poolCounter(name, help string, value func(PoolStats) float64) poolMetric {
	return poolMetric{desc: poolDesc(name, help), kind: prometheus.CounterValue, value: value}
}

func poolDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, subsystem, "db_pool_"+name), help, nil, nil)
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.metrics {
		ch <- m.desc
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	for _, m := range c.metrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(s))
	}
}
