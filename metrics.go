package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoaldb/shoal/engine"
)

// badgerCollector reports the size of Badger's LSM tree and value log, as
// Badger itself accounts them, at each scrape.
type badgerCollector struct {
	db   *engine.DB
	lsm  *prometheus.Desc
	vlog *prometheus.Desc
}

func newBadgerCollector(db *engine.DB) *badgerCollector {
	return &badgerCollector{
		db:   db,
		lsm:  prometheus.NewDesc("shoal_badger_lsm_size_bytes", "Size of Badger's LSM tree.", nil, nil),
		vlog: prometheus.NewDesc("shoal_badger_vlog_size_bytes", "Size of Badger's value log.", nil, nil),
	}
}

// Describe sends the metrics' descriptions.
func (c *badgerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lsm
	ch <- c.vlog
}

// Collect reads the sizes from the engine.
func (c *badgerCollector) Collect(ch chan<- prometheus.Metric) {
	lsm, vlog := c.db.StorageSize()
	ch <- prometheus.MustNewConstMetric(c.lsm, prometheus.GaugeValue, float64(lsm))
	ch <- prometheus.MustNewConstMetric(c.vlog, prometheus.GaugeValue, float64(vlog))
}
