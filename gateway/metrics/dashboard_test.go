package metrics

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// dashboardPath is the Grafana dashboard in deploy/, from this package.
const dashboardPath = "../../deploy/grafana/sixfold-dashboard.json"

// TestDashboardNamesGatewayMetrics keeps the dashboard honest: every
// sixfold_gateway_* and sixfold_heal_* series it queries must be one this
// package exports, so a rename here fails a test instead of blanking a
// panel.
func TestDashboardNamesGatewayMetrics(t *testing.T) {
	raw, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			ID      int `json:"id"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	exported := exportedFamilies(t)
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d is used twice", p.ID)
		}
		ids[p.ID] = true
		for _, target := range p.Targets {
			for _, name := range gatewaySeries.FindAllString(target.Expr, -1) {
				if !exported[familyOf(name)] {
					t.Errorf("panel %d queries %s, which the gateway does not export", p.ID, name)
				}
			}
		}
	}
}

var gatewaySeries = regexp.MustCompile(`sixfold_(gateway|heal)_[a-z_]+`)

// familyOf maps a histogram's series names to the family's.
func familyOf(series string) string {
	for _, suffix := range []string{"_bucket", "_count", "_sum"} {
		if base, ok := strings.CutSuffix(series, suffix); ok && strings.HasSuffix(base, "_seconds") {
			return base
		}
	}
	return series
}

// exportedFamilies registers everything the gateway does and lists the
// family names; each vector gets one series so that it is gathered.
func exportedFamilies(t *testing.T) map[string]bool {
	t.Helper()
	reg := prometheus.NewRegistry()
	h, tr, nc := NewHTTP(reg), NewTransfers(reg), NewNodeCalls(reg)
	pending := NewHealPending(func(context.Context) (int64, error) { return 0, nil }, time.Second)
	if err := pending.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(NewPoolCollector(func() PoolStats { return PoolStats{} }), NewRingCollector(func() (int, int) { return 0, 0 }),
		NewHealCollector(func() HealTotals { return HealTotals{} }, pending))
	h.requests.WithLabelValues("r", "GET", "200")
	h.duration.WithLabelValues("r", "200").Observe(0)
	h.bytesIn.WithLabelValues(DoorFiles)
	h.bytesOut.WithLabelValues(DoorFiles)
	h.errors.WithLabelValues(DoorFiles, "c")
	tr.uploads.WithLabelValues(DoorFiles, ResultOK)
	tr.downloads.WithLabelValues(ResultOK)
	tr.Batched("ReadChunks", 1)
	nc.duration.WithLabelValues("n", "m").Observe(0)
	nc.errors.WithLabelValues("n", "m", "c")
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	return names
}
