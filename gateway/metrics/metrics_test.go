package metrics

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestHandlerServesEveryFamily registers what the gateway does, with fakes
// for the pool and the ring, and scrapes it.
func TestHandlerServesEveryFamily(t *testing.T) {
	reg := NewRegistry()
	NewHTTP(reg)
	NewTransfers(reg).UploadStarted("files")
	NewNodeCalls(reg)
	reg.MustRegister(NewPoolCollector(func() PoolStats { return PoolStats{Max: 4} }))
	reg.MustRegister(NewRingCollector(func() (int, int) { return 6, 900 }))
	pending := NewHealPending(func(context.Context) (int64, error) { return 12, nil }, time.Second)
	if err := pending.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(NewHealCollector(func() HealTotals { return HealTotals{Shards: 2} }, pending))

	rec := httptest.NewRecorder()
	Handler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{
		"go_goroutines ", "process_cpu_seconds_total ",
		"sixfold_gateway_active_uploads 1", "sixfold_gateway_ring_points 900", "sixfold_gateway_db_pool_max_connections 4",
		"sixfold_heal_shards_rebuilt_total 2", "sixfold_heal_shards_pending 12",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

// The names follow Prometheus conventions (units, _total on counters), as
// promlint checks them.
func TestMetricNamesPassLint(t *testing.T) {
	reg := NewRegistry()
	m := NewHTTP(reg)
	tr := NewTransfers(reg)
	nc := NewNodeCalls(reg)
	pending := NewHealPending(func(context.Context) (int64, error) { return 0, nil }, time.Second)
	if err := pending.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(NewPoolCollector(func() PoolStats { return PoolStats{} }), NewRingCollector(func() (int, int) { return 0, 0 }),
		NewHealCollector(func() HealTotals { return HealTotals{} }, pending))
	// Touch the vectors so that lint sees a series of each.
	m.requests.WithLabelValues("/files", "GET", "200").Inc()
	m.duration.WithLabelValues("/files", "200").Observe(1)
	m.bytesIn.WithLabelValues("files").Add(1)
	m.bytesOut.WithLabelValues("files").Add(1)
	m.errors.WithLabelValues("files", "NotFound").Inc()
	tr.UploadFinished("files", nil)
	tr.DownloadFinished(nil)
	nc.begin("node:1", "/s/M").end(nil)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "sixfold_") {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
}
