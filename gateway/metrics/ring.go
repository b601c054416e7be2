package metrics

import "github.com/prometheus/client_golang/prometheus"

// ringCollector reads the ring's size at scrape time. The cached ring only
// changes when it is refreshed, so this reports the last refresh without a
// hook in the refresh path, and both numbers come from one snapshot.
type ringCollector struct {
	size   func() (nodes, points int)
	nodes  *prometheus.Desc
	points *prometheus.Desc
}

// NewRingCollector reports the placement ring's size as
// sixfold_gateway_ring_nodes and sixfold_gateway_ring_points. size must be
// cheap and safe for concurrent use (cluster.Snapshot is).
func NewRingCollector(size func() (nodes, points int)) prometheus.Collector {
	return &ringCollector{
		size: size,
		nodes: prometheus.NewDesc(prometheus.BuildFQName(namespace, subsystem, "ring_nodes"),
			"Storage nodes on the gateway's cached placement ring.", nil, nil),
		points: prometheus.NewDesc(prometheus.BuildFQName(namespace, subsystem, "ring_points"),
			"Virtual-node points on the gateway's cached placement ring.", nil, nil),
	}
}

func (c *ringCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.nodes
	ch <- c.points
}

func (c *ringCollector) Collect(ch chan<- prometheus.Metric) {
	nodes, points := c.size()
	ch <- prometheus.MustNewConstMetric(c.nodes, prometheus.GaugeValue, float64(nodes))
	ch <- prometheus.MustNewConstMetric(c.points, prometheus.GaugeValue, float64(points))
}
