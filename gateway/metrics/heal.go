package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// healSubsystem names the healer's metrics sixfold_heal_*: the healer is a
// cluster job that every gateway runs, not a part of one gateway's
// request path.
const healSubsystem = "heal"

// HealTotals is what one gateway's healer has done since it started.
type HealTotals struct {
	Shards, Bytes, Failures int64
}

// HealPending caches the count of shards waiting for the healer. Counting
// them scans chunks with a join, too much to do on every scrape (and once
// per Prometheus replica), so Run refreshes it in the background and a
// scrape reads the last count. It is safe for concurrent use.
type HealPending struct {
	read    func(ctx context.Context) (int64, error)
	timeout time.Duration

	mu      sync.Mutex // protects pending and known
	pending int64
	known   bool // a count has been read at least once
}

// NewHealPending returns a cache refreshed by read, each call bounded by
// timeout.
func NewHealPending(read func(ctx context.Context) (int64, error), timeout time.Duration) *HealPending {
	return &HealPending{read: read, timeout: timeout}
}

// Refresh reads the count once. On failure the last count stays: the
// metadata store's outage shows in the pool and error metrics, and a
// pending count that drops to zero with it would look like healing done.
func (h *HealPending) Refresh(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	n, err := h.read(ctx)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.pending, h.known = n, true
	h.mu.Unlock()
	return nil
}

// Run refreshes the count now and every interval until ctx ends; failed
// reads go to onError (optional).
func (h *HealPending) Run(ctx context.Context, interval time.Duration, onError func(error)) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if err := h.Refresh(ctx); err != nil && ctx.Err() == nil && onError != nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (h *HealPending) get() (int64, bool) {
	if h == nil {
		return 0, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pending, h.known
}

type healCollector struct {
	totals                  func() HealTotals
	pending                 *HealPending
	shards, bytes, failures *prometheus.Desc
	pendingDesc             *prometheus.Desc
}

// NewHealCollector reports the healer as sixfold_heal_*: this gateway's
// rebuilt shards and bytes and its failed attempts (from totals, read at
// scrape time, so it must be cheap: objects.Service.HealTotals loads
// three atomics), and the cluster's pending shards from pending's cache,
// left out until the first count has been read (or when pending is nil).
func NewHealCollector(totals func() HealTotals, pending *HealPending) prometheus.Collector {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, healSubsystem, name), help, nil, nil)
	}
	return &healCollector{
		totals:   totals,
		pending:  pending,
		shards:   desc("shards_rebuilt_total", "Shards this gateway's healer rebuilt or moved onto another node."),
		bytes:    desc("bytes_rebuilt_total", "Shard bytes this gateway's healer wrote to their new nodes."),
		failures: desc("failures_total", "Rebuilds by this gateway's healer that failed and were put back for a retry."),
		pendingDesc: desc("shards_pending",
			"Shards of the whole cluster waiting to be rebuilt or moved, as last counted (every gateway reports the same count)."),
	}
}

func (c *healCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.shards
	ch <- c.bytes
	ch <- c.failures
	ch <- c.pendingDesc
}

func (c *healCollector) Collect(ch chan<- prometheus.Metric) {
	t := c.totals()
	ch <- prometheus.MustNewConstMetric(c.shards, prometheus.CounterValue, float64(t.Shards))
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.CounterValue, float64(t.Bytes))
	ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(t.Failures))
	if n, ok := c.pending.get(); ok {
		ch <- prometheus.MustNewConstMetric(c.pendingDesc, prometheus.GaugeValue, float64(n))
	}
}
