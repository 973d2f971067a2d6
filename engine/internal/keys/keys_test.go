package keys

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/engine/attr"
)

func num(t testing.TB, s string) attr.Number {
	t.Helper()
	n, err := attr.ParseNumber(s)
	require.NoError(t, err)
	return n
}

func enc(t testing.TB, v attr.Value) []byte {
	t.Helper()
	b, err := Append(nil, v)
	require.NoError(t, err)
	return b
}

func sign(c int) int { return max(-1, min(1, c)) }

// checkPair checks order, round trip and Skip for a pair of values of one type.
func checkPair(t *testing.T, a, b attr.Value) {
	t.Helper()
	want, ok := attr.Compare(a, b)
	require.True(t, ok)
	ea, eb := enc(t, a), enc(t, b)
	for _, sx := range [][]byte{nil, {0x00}, {0xFF}, {0x00, 0x01}, ea, eb} {
		for _, sy := range [][]byte{nil, {0x00}, {0xFF}, {0x00, 0x01}, ea, eb} {
			got := sign(bytes.Compare(append(slices.Clip(ea), sx...), append(slices.Clip(eb), sy...)))
			if want != 0 {
				require.Equal(t, want, got, "%#v vs %#v: %x vs %x", a, b, ea, eb)
			}
		}
	}
	require.Equal(t, want == 0, bytes.Equal(ea, eb))
	for _, v := range []attr.Value{a, b} {
		e := enc(t, v)
		tail := []byte{0x00, 0x01, 0xFF}
		got, rest, err := Decode(append(slices.Clip(e), tail...), v.Type())
		require.NoError(t, err, "%x", e)
		require.True(t, attr.Equal(v, got), "%#v != %#v", v, got)
		require.Equal(t, tail, rest)
		rest, err = Skip(append(slices.Clip(e), tail...), v.Type())
		require.NoError(t, err)
		require.Equal(t, tail, rest)
	}
}

func TestOrderS(t *testing.T) {
	ordered := []string{"", "\x00", "\x00\x00", "\x00\x01", "\x00\xff", "\x01", "A", "Z", "a", "a\x00", "a\x00b", "a\x01", "ab", "b", "é", "\uffff", "\xff", "\xff\x00"}
	for i := range ordered {
		for j := range ordered {
			checkPair(t, attr.S(ordered[i]), attr.S(ordered[j]))
			checkPair(t, attr.B(ordered[i]), attr.B(ordered[j]))
			c, _ := attr.Compare(attr.S(ordered[i]), attr.S(ordered[j]))
			require.Equal(t, sign(i-j), c)
		}
	}
	require.Equal(t, []byte{'a', 0, 0xFF, 'b', 0, 1}, AppendS(nil, "a\x00b"))
}

func TestOrderN(t *testing.T) {
	ordered := []string{
		"-9.9999999999999999999999999999999999999E+125", "-1E+125", "-1e100", "-100", "-12", "-11.5", "-10.5", "-10",
		"-9.99", "-1.5", "-1.01", "-1", "-0.5", "-0.12", "-0.1", "-0.0999", "-2E-130", "-1E-130", "0",
		"1E-130", "2E-130", "0.0999", "0.1", "0.10000000000000000000000000000000000001", "0.12", "0.5", "1",
		"1.01", "1.5", "9.99", "10", "10.5", "11.5", "12", "100", "1e100", "1E+125",
		"9.9999999999999999999999999999999999999E+125",
	}
	for i := range ordered {
		a := num(t, ordered[i])
		for j := range ordered {
			b := num(t, ordered[j])
			require.Equal(t, sign(i-j), a.Cmp(b), "%s vs %s", ordered[i], ordered[j])
			checkPair(t, a, b)
		}
	}
	require.Equal(t, []byte{numZero}, AppendN(nil, attr.Number{}))
}

func TestPrefix(t *testing.T) {
	for _, p := range []string{"", "a", "a\x00", "\x00", "ab\x00\x00c"} {
		for _, suffix := range []string{"", "x", "\x00", "\x00\x01", "\xff"} {
			require.True(t, bytes.HasPrefix(AppendS(nil, p+suffix), PrefixS(nil, p)))
			require.True(t, bytes.HasPrefix(AppendB(nil, []byte(p+suffix)), PrefixB(nil, []byte(p))))
		}
	}
	// A string that does not start with the prefix falls outside the range.
	require.False(t, bytes.HasPrefix(AppendS(nil, "a"), PrefixS(nil, "a\x00")))
}

func TestErrors(t *testing.T) {
	for _, v := range []attr.Value{attr.Bool(true), attr.Null{}, attr.L{}, attr.M{}, attr.SS{"a"}, attr.NS{}, attr.BS{}, nil} {
		_, err := Append(nil, v)
		require.ErrorIs(t, err, ErrType)
	}
	_, _, err := Decode([]byte{numZero}, attr.TypeBOOL)
	require.ErrorIs(t, err, ErrType)
	_, err = Skip([]byte{numZero}, attr.TypeL)
	require.ErrorIs(t, err, ErrType)
	bad := []struct {
		t attr.Type
		b []byte
	}{
		{attr.TypeS, nil},
		{attr.TypeS, []byte("abc")},
		{attr.TypeS, []byte{'a', 0}},
		{attr.TypeS, []byte{'a', 0, 2}},
		{attr.TypeB, []byte{0, 0xFE}},
		{attr.TypeN, nil},
		{attr.TypeN, []byte{0}},
		{attr.TypeN, []byte{numPos}},
		{attr.TypeN, []byte{numPos, 129, 0}},           // no digits
		{attr.TypeN, []byte{numPos, 129, 2}},           // no terminator
		{attr.TypeN, []byte{numPos, 129, 1, 0}},        // leading zero pair
		{attr.TypeN, []byte{numPos, 129, 11, 1, 0}},    // trailing zero pair
		{attr.TypeN, []byte{numPos, 129, 101, 0}},      // not a digit pair
		{attr.TypeN, []byte{numNeg, 0xFF ^ 129, 0xFF}}, // negative without digits
		{attr.TypeN, append([]byte{numPos, 129}, bytes.Repeat([]byte{12}, 20)...)},
	}
	for _, tt := range bad {
		_, _, err := Decode(tt.b, tt.t)
		require.ErrorIs(t, err, ErrCorrupt, "%v %x", tt.t, tt.b)
	}
}

// randNumber builds a random valid number from digits and an exponent, biased
// towards the edges (shared prefixes, extreme exponents).
func randNumber(r *rand.Rand) attr.Number {
	if r.IntN(10) == 0 {
		return attr.Number{}
	}
	nd := 1 + r.IntN(attr.MaxDigits)
	var sb strings.Builder
	for i := 0; i < nd; i++ {
		d := r.IntN(10)
		if i == 0 && d == 0 {
			d = 1 + r.IntN(9)
		}
		if r.IntN(3) == 0 {
			d = 9
		}
		sb.WriteByte(byte('0' + d))
	}
	exp := attr.MinExponent + r.IntN(attr.MaxExponent-attr.MinExponent+1)
	if r.IntN(2) == 0 {
		exp = r.IntN(5) - 2
	}
	n, err := attr.NumberFromParts(r.IntN(2) == 0, sb.String(), exp)
	if err != nil {
		panic(err)
	}
	return n
}

func TestRandomNumbers(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	nums := make([]attr.Number, 2000)
	for i := range nums {
		nums[i] = randNumber(r)
	}
	encs := make([][]byte, len(nums))
	for i, n := range nums {
		encs[i] = AppendN(nil, n)
	}
	slices.SortFunc(nums, attr.Number.Cmp)
	slices.SortFunc(encs, bytes.Compare)
	for i := range nums {
		got, rest, err := Decode(encs[i], attr.TypeN)
		require.NoError(t, err)
		require.Empty(t, rest)
		require.Equal(t, nums[i], got, "position %d", i)
	}
}

func FuzzKeyOrder(f *testing.F) {
	f.Add("a", "b", "1", "2", uint64(1))
	f.Add("a\x00", "a", "-1e-130", "1e-130", uint64(2))
	f.Add("", "\x00", "9.9999999999999999999999999999999999999E+125", "-0.5", uint64(3))
	f.Add("ab", "a\xff", "0", "-0.0", uint64(4))
	f.Fuzz(func(t *testing.T, s1, s2, n1, n2 string, seed uint64) {
		checkPair(t, attr.S(s1), attr.S(s2))
		checkPair(t, attr.B(s1), attr.B(s2))
		for _, p := range []string{s1[:len(s1)/2], s2} {
			if strings.HasPrefix(s1, p) {
				require.True(t, bytes.HasPrefix(AppendS(nil, s1), PrefixS(nil, p)))
			}
		}
		a, errA := attr.ParseNumber(n1)
		b, errB := attr.ParseNumber(n2)
		r := rand.New(rand.NewPCG(seed, seed>>7))
		if errA != nil {
			a = randNumber(r)
		}
		if errB != nil {
			b = randNumber(r)
		}
		checkPair(t, a, b)
		want := a.Decimal().Cmp(b.Decimal())
		require.Equal(t, want, sign(bytes.Compare(AppendN(nil, a), AppendN(nil, b))), "apd order")
		// Skip and Decode agree on what follows.
		buf := AppendN(AppendS(AppendN(nil, a), s1), b)
		rest, err := Skip(buf, attr.TypeN)
		require.NoError(t, err)
		v, rest2, err := Decode(rest, attr.TypeS)
		require.NoError(t, err)
		require.Equal(t, attr.S(s1), v)
		rest3, err := Skip(rest, attr.TypeS)
		require.NoError(t, err)
		require.Equal(t, rest2, rest3)
		v, rest4, err := Decode(rest3, attr.TypeN)
		require.NoError(t, err)
		require.Equal(t, b, v)
		require.Empty(t, rest4)
	})
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{numPos, 129, 11, 0}, uint8(attr.TypeN))
	f.Add([]byte{'a', 0, 0xFF, 0, 1}, uint8(attr.TypeS))
	f.Fuzz(func(t *testing.T, data []byte, typ uint8) {
		ty := attr.Type(typ%3 + 1)
		v, rest, err := Decode(data, ty)
		rest2, err2 := Skip(data, ty)
		if err != nil {
			return // Skip may accept non-canonical numbers; it need not validate
		}
		require.NoError(t, err2)
		require.Equal(t, rest, rest2)
		e, err := Append(nil, v)
		require.NoError(t, err)
		require.Equal(t, data[:len(data)-len(rest)], e, "only canonical encodings decode")
	})
}

func ExampleAppendS() {
	prefix := []byte("t1")
	k := AppendS(slices.Clip(prefix), "user#42")
	k = AppendN(k, attr.NumberFromInt64(7))
	pk, rest, _ := Decode(k[len(prefix):], attr.TypeS)
	sk, rest, _ := Decode(rest, attr.TypeN)
	fmt.Println(pk, sk, len(rest))
	fmt.Println(bytes.HasPrefix(k, PrefixS(slices.Clip(prefix), "user#")))
	// Output:
	// user#42 7 0
	// true
}
