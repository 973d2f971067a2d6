package main

import (
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// badgerCollector reports the size of Badger's files, measured from the
// data directory at each scrape (the engine exposes no Badger handle):
// the LSM tree (.sst files) and the value log (.vlog files).
type badgerCollector struct {
	dir      string
	inMemory bool
	lsm      *prometheus.Desc
	vlog     *prometheus.Desc
}

func newBadgerCollector(dir string, inMemory bool) *badgerCollector {
	return &badgerCollector{
		dir:      dir,
		inMemory: inMemory,
		lsm:      prometheus.NewDesc("shoal_badger_lsm_size_bytes", "Size of Badger's LSM tree files (.sst).", nil, nil),
		vlog:     prometheus.NewDesc("shoal_badger_vlog_size_bytes", "Size of Badger's value log files (.vlog).", nil, nil),
	}
}

// Describe sends the metrics' descriptions.
func (c *badgerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lsm
	ch <- c.vlog
}

// Collect measures the directory.
func (c *badgerCollector) Collect(ch chan<- prometheus.Metric) {
	var lsm, vlog int64
	if !c.inMemory {
		_ = filepath.WalkDir(c.dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			switch {
			case strings.HasSuffix(path, ".sst"):
				lsm += info.Size()
			case strings.HasSuffix(path, ".vlog"):
				vlog += info.Size()
			}
			return nil
		})
	}
	ch <- prometheus.MustNewConstMetric(c.lsm, prometheus.GaugeValue, float64(lsm))
	ch <- prometheus.MustNewConstMetric(c.vlog, prometheus.GaugeValue, float64(vlog))
}
