package main

import (
	"math"
	"math/rand/v2"
)

// zipfian draws integers in [0, n) with a Zipfian distribution: rank k is
// drawn with probability proportional to 1/(k+1)^theta. It is the generator
// of YCSB (Gray et al., "Quickly generating billion-record synthetic
// databases", SIGMOD 1994), which allows theta < 1 (YCSB uses 0.99), unlike
// math/rand's Zipf. Construction is O(n); next is O(1). A zipfian is
// read-only after construction and safe for concurrent use with one
// *rand.Rand per goroutine.
type zipfian struct {
	n     uint64
	theta float64
	alpha float64
	zetaN float64
	eta   float64
	half  float64 // 1 + 0.5^theta
	// scramble spreads the popular ranks over the key space (YCSB's
	// ScrambledZipfianGenerator), so hot keys are not neighbours.
	scramble bool
}

// newZipfian returns a generator over [0, n) with exponent theta in (0, 1).
func newZipfian(n int, theta float64, scramble bool) *zipfian {
	z := &zipfian{n: uint64(n), theta: theta, scramble: scramble}
	zeta2 := zeta(2, theta)
	z.zetaN = zeta(uint64(n), theta)
	z.alpha = 1 / (1 - theta)
	z.eta = (1 - math.Pow(2/float64(n), 1-theta)) / (1 - zeta2/z.zetaN)
	z.half = 1 + math.Pow(0.5, theta)
	return z
}

func zeta(n uint64, theta float64) float64 {
	var s float64
	for i := uint64(1); i <= n; i++ {
		s += 1 / math.Pow(float64(i), theta)
	}
	return s
}

// rank draws a rank: 0 is the most popular.
func (z *zipfian) rank(r *rand.Rand) uint64 {
	u := r.Float64()
	uz := u * z.zetaN
	switch {
	case uz < 1:
		return 0
	case uz < z.half:
		return 1
	}
	k := uint64(float64(z.n) * math.Pow(z.eta*u-z.eta+1, z.alpha))
	return min(k, z.n-1)
}

// next draws a key index in [0, n).
func (z *zipfian) next(r *rand.Rand) int {
	k := z.rank(r)
	if z.scramble {
		k = fnv64(k) % z.n
	}
	return int(k)
}

// fnv64 is FNV-1a over the 8 bytes of v, as YCSB's scrambling uses.
func fnv64(v uint64) uint64 {
	h := uint64(0xcbf29ce484222325)
	for range 8 {
		h ^= v & 0xff
		h *= 0x100000001b3
		v >>= 8
	}
	return h
}
