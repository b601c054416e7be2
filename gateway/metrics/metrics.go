// Package metrics is the gateway's Prometheus instrumentation. Every metric
// is named sixfold_gateway_*, except the healer's sixfold_heal_*, and lives
// on a registry the caller owns (no global registration), served by
// Handler at GET /metrics.
//
// It hooks into the rest of the gateway only through extension points those
// packages define or already have, so none of them imports Prometheus:
//
//   - HTTP is Echo middleware plus an error counter for the server's JSON renderer:
//     requests, latency, body bytes and errors by route and door.
//   - Transfers implements objects.Observer: active and finished uploads and
//     downloads at the object service's boundary.
//   - NodeCalls supplies gRPC client interceptors for cluster's node
//     connections: per-node call latency and errors.
//   - NewPoolCollector and NewRingCollector read the pgx pool and the
//     placement ring at scrape time.
//   - NewHealCollector reads the healer's counters at scrape time and the
//     count of shards pending from a cache HealPending refreshes.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metric names are namespace_subsystem_name.
const (
	namespace = "sixfold"
	subsystem = "gateway"
)

// durationBuckets span a cached small read (1 ms) to a 10 GiB transfer
// (minutes), for HTTP requests and node calls alike.
var durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

// NewRegistry returns a registry holding the Go runtime and process
// collectors; the gateway's own metrics are added by the New* functions.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Handler serves reg in the Prometheus exposition formats. A collector that
// fails is reported in promhttp_metric_handler_errors_total and the rest is
// still served, so one broken source never blanks the whole scrape.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:      reg,
		ErrorHandling: promhttp.ContinueOnError,
	})
}

func opts(name, help string) prometheus.Opts {
	return prometheus.Opts{Namespace: namespace, Subsystem: subsystem, Name: name, Help: help}
}

func histogramOpts(name, help string) prometheus.HistogramOpts {
	return prometheus.HistogramOpts{Namespace: namespace, Subsystem: subsystem, Name: name, Help: help, Buckets: durationBuckets}
}
