package main

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"

	"sixfold/db"
	"sixfold/gateway/admin"
	"sixfold/gateway/admission"
	"sixfold/gateway/cluster"
	"sixfold/gateway/console"
	"sixfold/gateway/metrics"
	"sixfold/gateway/objects"
)

// gatewayMetrics are the gateway's instruments, each handed to the package
// it observes, and the private registry GET /metrics serves.
type gatewayMetrics struct {
	reg       *prometheus.Registry
	http      *metrics.HTTP
	transfers *metrics.Transfers
	nodeCalls *metrics.NodeCalls
}

func newMetrics(store *db.Store) *gatewayMetrics {
	reg := metrics.NewRegistry()
	reg.MustRegister(metrics.NewPoolCollector(store.PoolStats))
	return &gatewayMetrics{
		reg:       reg,
		http:      metrics.NewHTTP(reg),
		transfers: metrics.NewTransfers(reg),
		nodeCalls: metrics.NewNodeCalls(reg),
	}
}

// watchAuthFailures counts failed authentications and the requests
// refused while their address or key is throttled, on both doors.
func (m *gatewayMetrics) watchAuthFailures(f *admission.AuthFailures) {
	if f == nil {
		return
	}
	counts := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sixfold_auth_failures_total",
		Help: "Failed authentications (event=failed: a wrong or unknown key) and requests refused with SlowDown while their client address or access key was throttled for them (event=throttled).",
	}, []string{"event"})
	m.reg.MustRegister(counts)
	for _, e := range []string{"failed", "throttled"} {
		counts.WithLabelValues(e)
	}
	f.Observe = func(event string) { counts.WithLabelValues(event).Inc() }
}

// unary and stream are the node-call interceptors for cluster.Options.
func (m *gatewayMetrics) unary() []grpc.UnaryClientInterceptor {
	return []grpc.UnaryClientInterceptor{m.nodeCalls.UnaryInterceptor()}
}

func (m *gatewayMetrics) stream() []grpc.StreamClientInterceptor {
	return []grpc.StreamClientInterceptor{m.nodeCalls.StreamInterceptor()}
}

// watchRing reports the size of nodes' cached ring at each scrape.
func (m *gatewayMetrics) watchRing(nodes *cluster.Cluster) {
	m.reg.MustRegister(metrics.NewRingCollector(func() (int, int) {
		ring, members := nodes.Snapshot()
		return len(members), ring.Len()
	}))
}

// healPendingRefresh is how often the shards pending healing are counted
// for sixfold_heal_shards_pending: a typical scrape interval, so the gauge
// is about as fresh as a scrape-time count without costing one per scrape.
const healPendingRefresh = 15 * time.Second

// watchHeal reports svc's healer as sixfold_heal_*, and starts counting
// the shards pending (through progress, the admin view's own query) until
// ctx ends.
func (m *gatewayMetrics) watchHeal(ctx context.Context, svc *objects.Service, progress *admin.PG, log zerolog.Logger) {
	pending := metrics.NewHealPending(func(ctx context.Context) (int64, error) {
		h, err := progress.Heal(ctx)
		return h.ShardsPending, err
	}, healPendingRefresh)
	m.reg.MustRegister(metrics.NewHealCollector(func() metrics.HealTotals {
		t := svc.HealTotals()
		return metrics.HealTotals{Shards: t.Shards, Bytes: t.Bytes, Failures: t.Failures}
	}, pending))
	go pending.Run(ctx, healPendingRefresh, func(err error) {
		log.Warn().Err(err).Msg("counting the shards pending healing failed")
	})
}

// mount serves GET /metrics on the gateway's own port. Like /health it
// asks for no credentials, so a stock Prometheus can scrape it; it
// reveals counts and timings only, never keys or object names, and
// operators keep the port on a network only they and their clients reach.
func (m *gatewayMetrics) mount(e *echo.Echo) {
	e.GET("/metrics", echo.WrapHandler(metrics.Handler(m.reg)))
}

// traffic reads the gateway's own transfer counters for the web console's
// cluster page.
func (m *gatewayMetrics) traffic() (console.Traffic, error) {
	t, err := metrics.ReadTraffic(m.reg)
	return console.Traffic{BytesIn: t.BytesIn, BytesOut: t.BytesOut, Requests: t.Requests,
		ActiveUploads: t.ActiveUploads, ActiveDownloads: t.ActiveDownloads}, err
}
