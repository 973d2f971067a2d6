package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestHistogramBuckets checks that every value falls in a bucket that
// holds it, and that buckets are contiguous and within 1/128 of their
// values.
func TestHistogramBuckets(t *testing.T) {
	prevHi := int64(0)
	for i := range histBuckets {
		lo, w := bucketRange(i)
		if lo != prevHi {
			t.Fatalf("bucket %d starts at %d, want %d", i, lo, prevHi)
		}
		if lo >= 2*histSub && float64(w)/float64(lo) > 1.0/histSub {
			t.Fatalf("bucket %d: width %d too wide for %d", i, w, lo)
		}
		prevHi = lo + w
		if prevHi < 0 { // the last bucket ends past MaxInt64
			break
		}
	}
	r := rand.New(rand.NewPCG(1, 1))
	for range 100000 {
		v := int64(r.Uint64() >> r.IntN(64))
		i := bucketOf(v)
		lo, w := bucketRange(i)
		if v < lo || v-lo >= w {
			t.Fatalf("value %d in bucket %d [%d, %d+%d)", v, i, lo, lo, w)
		}
	}
	if got := bucketOf(math.MaxInt64); got >= histBuckets {
		t.Fatalf("bucketOf(MaxInt64) = %d, past %d buckets", got, histBuckets)
	}
}

// TestHistogramQuantiles compares the histogram's percentiles with exact
// ones from the sorted values, for several distributions of latencies.
func TestHistogramQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	dists := map[string]func() int64{
		"uniform 0-10ms": func() int64 { return r.Int64N(int64(10 * time.Millisecond)) },
		"exponential":    func() int64 { return int64(r.ExpFloat64() * float64(time.Millisecond)) },
		"lognormal": func() int64 {
			return int64(math.Exp(r.NormFloat64()*1.5) * float64(200*time.Microsecond))
		},
		"bimodal": func() int64 {
			if r.IntN(100) < 3 {
				return int64(50*time.Millisecond) + r.Int64N(int64(time.Millisecond))
			}
			return int64(300*time.Microsecond) + r.Int64N(int64(100*time.Microsecond))
		},
		"small integers": func() int64 { return r.Int64N(300) },
	}
	for name, gen := range dists {
		t.Run(name, func(t *testing.T) {
			h := newHistogram()
			vals := make([]int64, 200000)
			for i := range vals {
				vals[i] = gen()
				h.record(vals[i])
			}
			slices.Sort(vals)
			for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
				rank := max(int(math.Ceil(q*float64(len(vals)))), 1)
				exact := vals[rank-1]
				got := h.quantile(q)
				if diff := math.Abs(float64(got - exact)); diff > float64(exact)/histSub+1 {
					t.Errorf("q%.3f = %d, exact %d (off by %.2f%%)", q, got, exact, 100*diff/float64(exact))
				}
			}
			if h.max != vals[len(vals)-1] || h.min != vals[0] || h.count() != uint64(len(vals)) {
				t.Errorf("min/max/count = %d/%d/%d, want %d/%d/%d", h.min, h.max, h.count(), vals[0], vals[len(vals)-1], len(vals))
			}
		})
	}
}

func TestHistogramMerge(t *testing.T) {
	a, b, all := newHistogram(), newHistogram(), newHistogram()
	for i := range int64(10000) {
		v := i * 997 % 100003
		all.record(v)
		if i%2 == 0 {
			a.record(v)
		} else {
			b.record(v)
		}
	}
	a.merge(b)
	a.merge(newHistogram()) // empty: no effect on min
	for _, q := range []float64{0.1, 0.5, 0.99, 1} {
		if a.quantile(q) != all.quantile(q) {
			t.Errorf("merged q%v = %d, want %d", q, a.quantile(q), all.quantile(q))
		}
	}
	if a.min != all.min || a.max != all.max || a.mean() != all.mean() {
		t.Errorf("merged min/max/mean differ")
	}
	if newHistogram().quantile(0.5) != 0 {
		t.Error("empty histogram: want 0")
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	h := newHistogram()
	for i := range b.N {
		h.record(int64(i) * 7919)
	}
}
