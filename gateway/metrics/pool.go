package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"sixfold/db"
)

// PoolStats is one reading of a connection pool. It is a plain struct so
// that the collector can be tested without a database; (*db.Store).PoolStats
// reads one.
type PoolStats = db.PoolStats

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
