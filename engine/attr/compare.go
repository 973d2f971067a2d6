package attr

import (
	"bytes"
	"strings"
)

// Equal reports whether a and b are the same value: the same type and deeply
// equal contents. Numbers compare numerically, lists in order, maps by keys,
// and SS, NS and BS as sets (order-insensitive). A nil Value equals only nil.
func Equal(a, b Value) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch a := a.(type) {
	case S:
		b, ok := b.(S)
		return ok && a == b
	case Number:
		b, ok := b.(Number)
		return ok && a == b
	case B:
		b, ok := b.(B)
		return ok && bytes.Equal(a, b)
	case Bool:
		b, ok := b.(Bool)
		return ok && a == b
	case Null:
		_, ok := b.(Null)
		return ok
	case L:
		b, ok := b.(L)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !Equal(a[i], b[i]) {
				return false
			}
		}
		return true
	case M:
		b, ok := b.(M)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, av := range a {
			bv, ok := b[k]
			if !ok || !Equal(av, bv) {
				return false
			}
		}
		return true
	case SS:
		b, ok := b.(SS)
		return ok && setEqual(len(a), len(b), func(i int) string { return a[i] }, func(i int) string { return b[i] })
	case NS:
		b, ok := b.(NS)
		return ok && setEqual(len(a), len(b), func(i int) Number { return a[i] }, func(i int) Number { return b[i] })
	case BS:
		b, ok := b.(BS)
		return ok && setEqual(len(a), len(b), func(i int) string { return string(a[i]) }, func(i int) string { return string(b[i]) })
	}
	return false
}

// setEqual reports whether two sets (given by length and element key) have
// the same elements, counting duplicates, so unvalidated sets compare sanely
// too. Small sets are compared pairwise without allocating; large ones with
// a map.
func setEqual[K comparable](na, nb int, a, b func(i int) K) bool {
	if na != nb {
		return false
	}
	if na <= 16 {
		var used [16]bool
	next:
		for i := 0; i < na; i++ {
			ka := a(i)
			for j := 0; j < nb; j++ {
				if !used[j] && b(j) == ka {
					used[j] = true
					continue next
				}
			}
			return false
		}
		return true
	}
	count := make(map[K]int, na)
	for i := 0; i < na; i++ {
		count[a(i)]++
	}
	for j := 0; j < nb; j++ {
		k := b(j)
		if count[k] == 0 {
			return false
		}
		count[k]--
	}
	return true
}

// Compare orders two values of the same scalar key type as DynamoDB does: S
// bytewise by UTF-8, N numerically, B bytewise. It returns -1, 0 or +1 and
// ok true; ok is false when the types differ or are not S, N or B.
func Compare(a, b Value) (c int, ok bool) {
	switch a := a.(type) {
	case S:
		if b, ok := b.(S); ok {
			return strings.Compare(string(a), string(b)), true
		}
	case Number:
		if b, ok := b.(Number); ok {
			return a.Cmp(b), true
		}
	case B:
		if b, ok := b.(B); ok {
			return bytes.Compare(a, b), true
		}
	}
	return 0, false
}
