package metrics

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const healHeader = `
# HELP sixfold_heal_bytes_rebuilt_total Shard bytes this gateway's healer wrote to their new nodes.
# TYPE sixfold_heal_bytes_rebuilt_total counter
sixfold_heal_bytes_rebuilt_total 3.145728e+06
# HELP sixfold_heal_failures_total Rebuilds by this gateway's healer that failed and were put back for a retry.
# TYPE sixfold_heal_failures_total counter
sixfold_heal_failures_total 1
# HELP sixfold_heal_shards_rebuilt_total Shards this gateway's healer rebuilt or moved onto another node.
# TYPE sixfold_heal_shards_rebuilt_total counter
sixfold_heal_shards_rebuilt_total 3
`

const pendingHeader = `# HELP sixfold_heal_shards_pending Shards of the whole cluster waiting to be rebuilt or moved, as last counted (every gateway reports the same count).
# TYPE sixfold_heal_shards_pending gauge
`

func TestHealCollector(t *testing.T) {
	var count atomic.Int64
	fail := errors.New("database down")
	var readErr error
	pending := NewHealPending(func(context.Context) (int64, error) {
		return count.Load(), readErr
	}, time.Second)
	c := NewHealCollector(func() HealTotals { return HealTotals{Shards: 3, Bytes: 3 << 20, Failures: 1} }, pending)
	ctx := context.Background()

	// Until a count has been read, the gauge is left out rather than 0,
	// which would read as "nothing to heal".
	if err := testutil.CollectAndCompare(c, strings.NewReader(healHeader)); err != nil {
		t.Fatal(err)
	}
	count.Store(42)
	if err := pending.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(healHeader+pendingHeader+"sixfold_heal_shards_pending 42\n")); err != nil {
		t.Fatal(err)
	}
	// A failed count keeps the last one.
	count.Store(0)
	readErr = fail
	if err := pending.Refresh(ctx); !errors.Is(err, fail) {
		t.Fatalf("Refresh = %v; want %v", err, fail)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	expect(t, reg, 42, "sixfold_heal_shards_pending")
	readErr = nil
	count.Store(7)
	if err := pending.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	expect(t, reg, 7, "sixfold_heal_shards_pending")
}

// A scrape never queries the database: the count is read by Refresh only.
func TestHealScrapeDoesNotCount(t *testing.T) {
	var reads atomic.Int64
	pending := NewHealPending(func(context.Context) (int64, error) { reads.Add(1); return 5, nil }, time.Second)
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewHealCollector(func() HealTotals { return HealTotals{} }, pending))
	if err := pending.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		expect(t, reg, 5, "sixfold_heal_shards_pending")
	}
	if n := reads.Load(); n != 1 {
		t.Fatalf("%d counts for 10 scrapes; want the 1 Refresh", n)
	}
}

func TestHealPendingRunRefreshesUntilCanceled(t *testing.T) {
	var reads atomic.Int64
	var errs atomic.Int64
	pending := NewHealPending(func(ctx context.Context) (int64, error) {
		if _, ok := ctx.Deadline(); !ok {
			return 0, errors.New("a count without a deadline")
		}
		return reads.Add(1), nil
	}, time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		pending.Run(ctx, time.Millisecond, func(error) { errs.Add(1) })
	}()
	deadline := time.Now().Add(10 * time.Second)
	for reads.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if n := reads.Load(); n < 3 || errs.Load() != 0 {
		t.Fatalf("%d counts, %d errors; want at least 3 (the first at once), none failing", n, errs.Load())
	}
	if n, ok := pending.get(); !ok || n < 3 {
		t.Fatalf("cached count %d (%v); want the last one read", n, ok)
	}
}

// A gateway wired without a pending count still reports its counters.
func TestHealCollectorWithoutPending(t *testing.T) {
	c := NewHealCollector(func() HealTotals { return HealTotals{Shards: 3, Bytes: 3 << 20, Failures: 1} }, nil)
	if err := testutil.CollectAndCompare(c, strings.NewReader(healHeader)); err != nil {
		t.Fatal(err)
	}
}
