package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Traffic is what the gateway has moved since it started, summed over
// doors and routes: the same counters GET /metrics serves, for a reader
// (the web console) that wants a few numbers rather than a scrape.
type Traffic struct {
	BytesIn, BytesOut, Requests    float64
	ActiveUploads, ActiveDownloads float64
}

// ReadTraffic sums the HTTP and transfer metrics in g. Metrics not yet
// registered (or never touched) count as zero.
func ReadTraffic(g prometheus.Gatherer) (Traffic, error) {
	families, err := g.Gather()
	if err != nil {
		return Traffic{}, err
	}
	var t Traffic
	into := map[string]*float64{
		namespace + "_" + subsystem + "_bytes_in_total":      &t.BytesIn,
		namespace + "_" + subsystem + "_bytes_out_total":     &t.BytesOut,
		namespace + "_" + subsystem + "_http_requests_total": &t.Requests,
		namespace + "_" + subsystem + "_active_uploads":      &t.ActiveUploads,
		namespace + "_" + subsystem + "_active_downloads":    &t.ActiveDownloads,
	}
	for _, f := range families {
		if dst := into[f.GetName()]; dst != nil {
			*dst = sum(f)
		}
	}
	return t, nil
}

func sum(f *dto.MetricFamily) float64 {
	var total float64
	for _, m := range f.GetMetric() {
		switch {
		case m.GetCounter() != nil:
			total += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			total += m.GetGauge().GetValue()
		}
	}
	return total
}
