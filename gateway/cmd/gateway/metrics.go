package main

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"sixfold/gateway/cluster"
	"sixfold/gateway/metrics"
)

// gatewayMetrics are the gateway's instruments, each handed to the package
// it observes, and the private registry GET /metrics serves.
type gatewayMetrics struct {
	reg       *prometheus.Registry
	http      *metrics.HTTP
	transfers *metrics.Transfers
	nodeCalls *metrics.NodeCalls
}

func newMetrics(pool *pgxpool.Pool) *gatewayMetrics {
	reg := metrics.NewRegistry()
	reg.MustRegister(metrics.NewPoolCollector(metrics.PgxPoolStats(pool)))
	return &gatewayMetrics{
		reg:       reg,
		http:      metrics.NewHTTP(reg),
		transfers: metrics.NewTransfers(reg),
		nodeCalls: metrics.NewNodeCalls(reg),
	}
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

// mount serves GET /metrics on the gateway's own port. Like /health it
// asks for no credentials, so a stock Prometheus can scrape it; it
// reveals counts and timings only, never keys or object names, and
// operators keep the port on a network only they and their clients reach.
func (m *gatewayMetrics) mount(e *echo.Echo) {
	e.GET("/metrics", echo.WrapHandler(metrics.Handler(m.reg)))
}
