package metrics

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Transfers counts object uploads and downloads where the object service
// starts and ends them; it implements objects.Observer. It is safe for
// concurrent use.
type Transfers struct {
	activeUploads   prometheus.Gauge
	activeDownloads prometheus.Gauge
	uploads         *prometheus.CounterVec // door, result
	downloads       *prometheus.CounterVec // result
	batchedShards   *prometheus.CounterVec // method
}

// Results, as the result label names them.
const (
	ResultOK       = "ok"
	ResultCanceled = "canceled" // the caller went away or stopped reading
	ResultError    = "error"
)

// NewTransfers registers the transfer metrics on reg.
func NewTransfers(reg prometheus.Registerer) *Transfers {
	t := &Transfers{
		activeUploads: prometheus.NewGauge(prometheus.GaugeOpts(opts("active_uploads",
			"Object uploads (blob puts, either door) in progress."))),
		activeDownloads: prometheus.NewGauge(prometheus.GaugeOpts(opts("active_downloads",
			"Object downloads (open blob readers, either door) in progress."))),
		uploads: prometheus.NewCounterVec(prometheus.CounterOpts(opts("uploads_total",
			"Finished object uploads by door (files|s3) and result (ok|canceled|error).")), []string{"door", "result"}),
		downloads: prometheus.NewCounterVec(prometheus.CounterOpts(opts("downloads_total",
			"Finished object downloads by result (ok|canceled|error).")), []string{"result"}),
		batchedShards: prometheus.NewCounterVec(prometheus.CounterOpts(opts("node_batched_shards_total",
			"Small shards read or written in ReadChunks and WriteChunks calls, by method; over node_request_duration_seconds_count of that method, the shards per call.")), []string{"method"}),
	}
	reg.MustRegister(t.activeUploads, t.activeDownloads, t.uploads, t.downloads, t.batchedShards)
	return t
}

// UploadStarted counts an upload in progress.
func (t *Transfers) UploadStarted(string) { t.activeUploads.Inc() }

// UploadFinished ends an upload begun by UploadStarted.
func (t *Transfers) UploadFinished(door string, err error) {
	t.activeUploads.Dec()
	t.uploads.WithLabelValues(door, result(err)).Inc()
}

// DownloadStarted counts a download in progress.
func (t *Transfers) DownloadStarted() { t.activeDownloads.Inc() }

// DownloadFinished ends a download begun by DownloadStarted.
func (t *Transfers) DownloadFinished(err error) {
	t.activeDownloads.Dec()
	t.downloads.WithLabelValues(result(err)).Inc()
}

func result(err error) string {
	switch {
	case err == nil:
		return ResultOK
	case errors.Is(err, context.Canceled):
		return ResultCanceled
	}
	return ResultError
}

// Batched counts the shards of one ReadChunks or WriteChunks call.
func (t *Transfers) Batched(method string, n int) {
	t.batchedShards.WithLabelValues(method).Add(float64(n))
}
