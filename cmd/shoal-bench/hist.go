package main

import (
	"math"
	"math/bits"
	"time"
)

// histogram records durations in log-linear buckets, as HdrHistogram does:
// values below 256 ns are exact, and every larger power of two is split
// into 128 equal buckets, so a recorded value is known to within 1/128
// (0.8 %) of itself. It covers the whole int64 range in 7296 counters
// (57 KiB). A histogram is not safe for concurrent use; give each
// goroutine its own and merge them.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sum    float64
	min    int64
	max    int64
}

const (
	histSubBits = 7 // 128 buckets per power of two
	histSub     = 1 << histSubBits
	histBuckets = (64-histSubBits-1)*histSub + 2*histSub
)

func newHistogram() *histogram { return &histogram{min: math.MaxInt64} }

// bucketOf returns the bucket of a non-negative value.
func bucketOf(v int64) int {
	if v < 2*histSub {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - (histSubBits + 1)
	return e*histSub + int(v>>e)
}

// bucketRange returns the smallest value of bucket i and its width.
func bucketRange(i int) (lo, width int64) {
	if i < 2*histSub {
		return int64(i), 1
	}
	e := i/histSub - 1
	return int64(i-e*histSub) << e, 1 << e
}

// record adds one value; negative values count as 0.
func (h *histogram) record(v int64) {
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += float64(v)
	h.min = min(h.min, v)
	h.max = max(h.max, v)
}

// recordDuration adds one duration.
func (h *histogram) recordDuration(d time.Duration) { h.record(int64(d)) }

// merge adds o's values to h.
func (h *histogram) merge(o *histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// count returns the number of values recorded.
func (h *histogram) count() uint64 { return h.n }

// quantile returns the value at quantile q in [0, 1]: the middle of the
// bucket holding the value of rank ceil(q·n), clamped to the exact minimum
// and maximum. It returns 0 for an empty histogram.
func (h *histogram) quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	if rank >= h.n {
		return h.max
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, w := bucketRange(i)
			v := lo + (w-1)/2
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}

// mean returns the arithmetic mean, 0 when empty.
func (h *histogram) mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}
