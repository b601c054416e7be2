package metrics

import "github.com/prometheus/client_golang/prometheus"

// storeCollector reads the chunk store's stats once per scrape.
type storeCollector struct {
	store                            StatsSource
	available, capacity, used, count *prometheus.Desc
}

func newStoreCollector(store StatsSource) *storeCollector {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, subsystem, name), help, nil, nil)
	}
	return &storeCollector{
		store:     store,
		available: desc("available_bytes", "Free space on the data directory's filesystem available to the node."),
		capacity:  desc("capacity_bytes", "Size of the data directory's filesystem."),
		used:      desc("used_bytes", "Bytes in the node's chunk files."),
		count:     desc("chunks", "Chunk files the node holds."),
	}
}

// Describe sends the four descriptors.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.available, c.capacity, c.used, c.count} {
		ch <- d
	}
}

// Collect reads the stats; a failure becomes an invalid metric, which the
// scrape reports without losing the other metrics.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := c.store.Stats()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.available, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.available, prometheus.GaugeValue, float64(st.AvailableBytes))
	ch <- prometheus.MustNewConstMetric(c.capacity, prometheus.GaugeValue, float64(st.CapacityBytes))
	ch <- prometheus.MustNewConstMetric(c.used, prometheus.GaugeValue, float64(st.UsedBytes))
	ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(st.Chunks))
}
