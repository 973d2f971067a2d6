package main

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestZipfianDistribution draws a million ranks and compares the frequency
// of the first ranks with 1/((k+1)^θ · ζ(n, θ)).
func TestZipfianDistribution(t *testing.T) {
	const n, draws = 10000, 1_000_000
	for _, theta := range []float64{0.5, 0.8, 0.99} {
		z := newZipfian(n, theta, false)
		r := rand.New(rand.NewPCG(3, 3))
		counts := make([]int, n)
		for range draws {
			k := z.rank(r)
			if k >= n {
				t.Fatalf("rank %d out of range", k)
			}
			counts[k]++
		}
		zn := zeta(n, theta)
		for _, k := range []int{0, 1, 2, 9, 99} {
			want := draws / (math.Pow(float64(k+1), theta) * zn)
			got := float64(counts[k])
			// Ranks 0 and 1 are exact in Gray's method; later ranks are
			// approximated (YCSB's generator is off by up to ~20 % there).
			tol := 0.03*want + 4*math.Sqrt(want)
			if k >= 2 {
				tol = 0.25*want + 4*math.Sqrt(want)
			}
			if math.Abs(got-want) > tol {
				t.Errorf("theta %v: rank %d drawn %v times, want %.0f ± %.0f", theta, k, got, want, tol)
			}
		}
		// The top 1 % of ranks take their share of the mass.
		var top, wantTop float64
		for k := range n / 100 {
			top += float64(counts[k])
			wantTop += draws / (math.Pow(float64(k+1), theta) * zn)
		}
		if math.Abs(top-wantTop) > 0.05*wantTop {
			t.Errorf("theta %v: top 1%% drawn %.0f times, want %.0f", theta, top, wantTop)
		}
	}
}

func TestZipfianScrambled(t *testing.T) {
	const n = 1000
	z := newZipfian(n, 0.99, true)
	r := rand.New(rand.NewPCG(4, 4))
	counts := make([]int, n)
	for range 200000 {
		k := z.next(r)
		if k < 0 || k >= n {
			t.Fatalf("key %d out of range", k)
		}
		counts[k]++
	}
	// The hottest key is rank 0's, moved away from index 0.
	hot := 0
	for k, c := range counts {
		if c > counts[hot] {
			hot = k
		}
	}
	if want := int(fnv64(0) % n); hot != want {
		t.Errorf("hottest key %d, want %d", hot, want)
	}
	if float64(counts[hot]) < 0.08*200000 {
		t.Errorf("hottest key drawn %d times: not skewed", counts[hot])
	}
}
