// Package metrics exposes a storage node's Prometheus metrics: disk space and
// chunk count read from the chunk store at each scrape, gRPC latency by
// method and code, bytes moved, disk errors, heartbeat health, and what the
// scrub and the sweep found. Everything is registered on a registry the
// caller owns; nothing touches the global one.
//
// A Metrics is the Observer of grpcserver, registry, scrub and sweep.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"sixfold/storagenode/chunkstore"
)

const (
	namespace = "sixfold"
	subsystem = "storagenode"
)

// IOOps are the op label values of sixfold_storagenode_io_errors_total.
var IOOps = []string{"put", "get", "delete", "stats", "scrub"}

// StatsSource reports what the node stores; *chunkstore.Store is one.
type StatsSource interface {
	Stats() (chunkstore.Stats, error)
}

// Metrics holds the node's instruments. Its methods are safe for concurrent
// use.
type Metrics struct {
	rpcDuration   *prometheus.HistogramVec
	bytesWritten  prometheus.Counter
	bytesRead     prometheus.Counter
	ioErrors      *prometheus.CounterVec
	heartbeatUp   prometheus.Gauge
	heartbeatLast prometheus.Gauge
	scrubChecked  prometheus.Counter
	scrubCorrupt  prometheus.Counter
	scrubMissing  prometheus.Counter
	sweepOrphans  prometheus.Counter
	sweepMissing  prometheus.Counter
}

// New registers the node's metrics, the store gauges read from store, and
// the Go and process collectors on reg. It panics if reg already holds any
// of them, which only a programming error can cause.
func New(reg prometheus.Registerer, store StatsSource) *Metrics {
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(newStoreCollector(store))
	f := promauto.With(reg)
	m := &Metrics{
		rpcDuration:   f.NewHistogramVec(rpcDurationOpts, []string{"method", "code"}),
		bytesWritten:  f.NewCounter(counterOpts("chunk_bytes_written_total", "Bytes of chunks made durable by PutChunk.")),
		bytesRead:     f.NewCounter(counterOpts("chunk_bytes_read_total", "Bytes of chunk data sent by GetChunk.")),
		ioErrors:      f.NewCounterVec(counterOpts("io_errors_total", "Failures of the node's own disk, by operation."), []string{"op"}),
		heartbeatUp:   f.NewGauge(gaugeOpts("heartbeat_up", "1 if the last registration or heartbeat succeeded, else 0.")),
		heartbeatLast: f.NewGauge(gaugeOpts("heartbeat_last_success_timestamp_seconds", "Unix time of the last successful registration or heartbeat.")),
		scrubChecked:  f.NewCounter(counterOpts("scrub_chunks_checked_total", "Chunk files the scrub has re-hashed.")),
		scrubCorrupt:  f.NewCounter(counterOpts("scrub_corrupt_chunks_total", "Chunks the scrub found not matching their recorded size and digest (SHA-256 or CRC32C) and flagged corrupt.")),
		scrubMissing:  f.NewCounter(counterOpts("scrub_missing_chunks_total", "Stored chunks whose file the scrub did not find.")),
		sweepOrphans:  f.NewCounter(counterOpts("sweep_orphans_removed_total", "Chunk files without metadata removed by the sweep.")),
		sweepMissing:  f.NewCounter(counterOpts("sweep_missing_flagged_total", "Stored chunks whose file was gone, flagged missing by the sweep.")),
	}
	for _, op := range IOOps {
		m.ioErrors.WithLabelValues(op) // export zeros, so rates work from the start
	}
	return m
}

// Handler serves g's metrics in the Prometheus text format at /metrics. A
// collector that fails is reported in the scrape's errors, not as a 500.
func Handler(g prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	return mux
}

// rpcDurationOpts spans 1 ms (a health check) to about a minute (a 1.7 GiB
// chunk on a slow link).
var rpcDurationOpts = prometheus.HistogramOpts{
	Namespace: namespace, Subsystem: subsystem,
	Name:    "grpc_request_duration_seconds",
	Help:    "Time to serve a gRPC call, by full method name and status code.",
	Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
}

func counterOpts(name, help string) prometheus.CounterOpts {
	return prometheus.CounterOpts{Namespace: namespace, Subsystem: subsystem, Name: name, Help: help}
}

func gaugeOpts(name, help string) prometheus.GaugeOpts {
	return prometheus.GaugeOpts{Namespace: namespace, Subsystem: subsystem, Name: name, Help: help}
}

// ChunkWritten counts the bytes of a durable PutChunk (grpcserver.Observer).
func (m *Metrics) ChunkWritten(n int64) { m.bytesWritten.Add(float64(n)) }

// ChunkRead counts bytes sent by GetChunk (grpcserver.Observer).
func (m *Metrics) ChunkRead(n int64) { m.bytesRead.Add(float64(n)) }

// IOError counts a disk failure during op (grpcserver and scrub Observer).
func (m *Metrics) IOError(op string) { m.ioErrors.WithLabelValues(op).Inc() }

// HeartbeatDone records a registration or heartbeat (registry.HeartbeatObserver).
func (m *Metrics) HeartbeatDone(at time.Time, err error) {
	if err != nil {
		m.heartbeatUp.Set(0)
		return
	}
	m.heartbeatUp.Set(1)
	m.heartbeatLast.Set(float64(at.UnixNano()) / 1e9)
}

// ScrubChecked counts a re-hashed chunk file (scrub.Observer).
func (m *Metrics) ScrubChecked() { m.scrubChecked.Inc() }

// ScrubCorrupt counts a corrupt chunk (scrub.Observer).
func (m *Metrics) ScrubCorrupt() { m.scrubCorrupt.Inc() }

// ScrubMissing counts a stored chunk without a file (scrub.Observer).
func (m *Metrics) ScrubMissing() { m.scrubMissing.Inc() }

// SweepOrphanRemoved counts a removed orphan file (sweep.Observer).
func (m *Metrics) SweepOrphanRemoved() { m.sweepOrphans.Inc() }

// SweepMissingFlagged counts rows flagged missing (sweep.Observer).
func (m *Metrics) SweepMissingFlagged(n int) { m.sweepMissing.Add(float64(n)) }
