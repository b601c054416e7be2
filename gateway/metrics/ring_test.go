package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestRingCollectorReadsOneSnapshotPerScrape(t *testing.T) {
	calls := 0
	c := NewRingCollector(func() (int, int) { calls++; return 6, 900 })
	want := `
# HELP sixfold_gateway_ring_nodes Storage nodes on the gateway's cached placement ring.
# TYPE sixfold_gateway_ring_nodes gauge
sixfold_gateway_ring_nodes 6
# HELP sixfold_gateway_ring_points Virtual-node points on the gateway's cached placement ring.
# TYPE sixfold_gateway_ring_points gauge
sixfold_gateway_ring_points 900
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("size read %d times in one scrape; want 1", calls)
	}
}
