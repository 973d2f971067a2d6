package attr

import (
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/stretchr/testify/require"
)

func num(t testing.TB, s string) Number {
	t.Helper()
	n, err := ParseNumber(s)
	require.NoError(t, err, s)
	return n
}

func TestParseNumber(t *testing.T) {
	nines38 := strings.Repeat("9", 38)
	tests := []struct {
		in     string
		neg    bool
		digits string
		exp    int32
		str    string
	}{
		{"0", false, "", 0, "0"},
		{"-0", false, "", 0, "0"},
		{"+0", false, "", 0, "0"},
		{"0.000", false, "", 0, "0"},
		{"0e1000", false, "", 0, "0"},
		{"-0e-999999999999999", false, "", 0, "0"},
		{"1", false, "1", 1, "1"},
		{"1.0", false, "1", 1, "1"},
		{"1.", false, "1", 1, "1"},
		{".5", false, "5", 0, "0.5"},
		{"+3", false, "3", 1, "3"},
		{"-7.1234", true, "71234", 1, "-7.1234"},
		{"-17e5", true, "17", 7, "-1700000"},
		{"-17.4E37", true, "174", 39, "-174000000000000000000000000000000000000"},
		{"0001.23", false, "123", 1, "1.23"},
		{"1e+5", false, "1", 6, "100000"},
		{"100", false, "1", 3, "100"},
		{"123.45", false, "12345", 3, "123.45"},
		{"-0.001", true, "1", -2, "-0.001"},
		{"0.00100", false, "1", -2, "0.001"},
		{"10e-1", false, "1", 1, "1"},
		{"1E-130", false, "1", -129, "1E-130"},
		{"-1E-130", true, "1", -129, "-1E-130"},
		{"0.1E-129", false, "1", -129, "1E-130"},
		{"1E+125", false, "1", 126, "1E+125"},
		{"9." + nines38[1:] + "E+125", false, nines38, 126, "9." + nines38[1:] + "E+125"},
		{"-9." + nines38[1:] + "E+125", true, nines38, 126, "-9." + nines38[1:] + "E+125"},
		{"12345678901234567890123456789012345678", false, "12345678901234567890123456789012345678", 38, "12345678901234567890123456789012345678"},
		{"3.1415926535897932384626433832795028841", false, "31415926535897932384626433832795028841", 1, "3.1415926535897932384626433832795028841"},
		{"31415926535897932384626433832795028841e30", false, "31415926535897932384626433832795028841", 68, "3.1415926535897932384626433832795028841E+67"},
		{"1" + strings.Repeat("0", 60), false, "1", 61, "1E+60"}, // trailing zeros are not significant
		{"0.000000000000000000001", false, "1", -20, "1E-21"},
		{"0.00000000000000000001", false, "1", -19, "0.00000000000000000001"},
		{"1e40", false, "1", 41, "10000000000000000000000000000000000000000"},
		{"1e41", false, "1", 42, "1E+41"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n := num(t, tt.in)
			require.Equal(t, tt.neg, n.Negative())
			require.Equal(t, tt.digits, n.Digits())
			require.Equal(t, tt.exp, n.Exponent())
			require.Equal(t, tt.str, n.String())
			require.Equal(t, n, num(t, n.String()), "String re-parses")
			require.Equal(t, tt.digits == "", n.IsZero())
		})
	}
}

func TestParseNumberErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"", msgNotNumeric},
		{"-", msgNotNumeric},
		{"+", msgNotNumeric},
		{".", msgNotNumeric},
		{"-.", msgNotNumeric},
		{"e5", msgNotNumeric},
		{"1e", msgNotNumeric},
		{"1e+", msgNotNumeric},
		{"1.2.3", msgNotNumeric},
		{"1+2", msgNotNumeric},
		{"+e2", msgNotNumeric},
		{"--1", msgNotNumeric},
		{"NaN", msgNotNumeric},
		{"-NaN", msgNotNumeric},
		{"Infinity", msgNotNumeric},
		{"-Infinity", msgNotNumeric},
		{"Inf", msgNotNumeric},
		{"0x10", msgNotNumeric},
		{"dog", msgNotNumeric},
		{" 1", msgNotNumeric},
		{"1 ", msgNotNumeric},
		{"1_000", msgNotNumeric},
		{"１", msgNotNumeric},
		{"123456789012345678901234567890123456789", msgPrecision},
		{"3.14159265358979323846264338327950288419", msgPrecision},
		{"314159265358979323846264338327950288419e30", msgPrecision},
		{"1E+126", msgOverflow},
		{"11e125", msgOverflow},
		{"-1E+126", msgOverflow},
		{"1e99999999999999999999", msgOverflow},
		{"1E-131", msgUnderflow},
		{"0.9e-130", msgUnderflow},
		{"-1E-131", msgUnderflow},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseNumber(tt.in)
			require.Error(t, err)
			var ae *Error
			require.ErrorAs(t, err, &ae)
			require.True(t, strings.HasPrefix(ae.Msg, tt.msg), ae.Msg)
		})
	}
}

func TestNumberCmp(t *testing.T) {
	ordered := []string{
		"-9.9999999999999999999999999999999999999E+125", "-1e100", "-100", "-12", "-11.5", "-1",
		"-0.5", "-0.12", "-0.1", "-1E-130", "0", "1E-130", "0.1", "0.12", "0.5", "1", "1.05",
		"1.5", "2", "10", "12", "100", "1e100", "9.9999999999999999999999999999999999999E+125",
	}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			require.Equal(t, want, num(t, a).Cmp(num(t, b)), "%s vs %s", a, b)
			c, ok := Compare(num(t, a), num(t, b))
			require.True(t, ok)
			require.Equal(t, want, c)
		}
	}
	require.Equal(t, 0, num(t, "1.0").Cmp(num(t, "1")))
	require.True(t, num(t, "1.0") == num(t, "1"), "normalized Numbers are ==")
}

func TestNumberArithmetic(t *testing.T) {
	tests := []struct{ a, b, sum, diff string }{
		{"1", "2", "3", "-1"},
		{"0.1", "0.2", "0.3", "-0.1"},
		{"1", "10000000000000000000000", "10000000000000000000001", "-9999999999999999999999"},
		{"-5", "5", "0", "-10"},
		{"0", "7", "7", "-7"},
		{"1E-130", "1E-130", "2E-130", "0"},
		{"1.5", "-0.5", "1", "2"},
	}
	for _, tt := range tests {
		s, err := num(t, tt.a).Add(num(t, tt.b))
		require.NoError(t, err)
		require.Equal(t, tt.sum, s.String(), "%s + %s", tt.a, tt.b)
		d, err := num(t, tt.a).Sub(num(t, tt.b))
		require.NoError(t, err)
		require.Equal(t, tt.diff, d.String(), "%s - %s", tt.a, tt.b)
	}
	for _, tt := range []struct{ a, b, msg string }{
		{"1e50", "1", msgPrecision},
		{"9e125", "9e125", msgOverflow},
		{"1E-130", "1E-125", msgPrecision}, // 1.00001E-125 is fine, but 1E-125 + 1E-130 needs 6 digits: ok; see next
	} {
		if tt.a == "1E-130" {
			s, err := num(t, tt.a).Add(num(t, tt.b))
			require.NoError(t, err)
			require.Equal(t, "1.00001E-125", s.String())
			continue
		}
		_, err := num(t, tt.a).Add(num(t, tt.b))
		require.ErrorContains(t, err, tt.msg)
	}
	_, err := num(t, "9e125").Sub(num(t, "-9e125"))
	require.ErrorContains(t, err, msgOverflow)
	_, err = num(t, "1.5E-130").Sub(num(t, "1.4E-130"))
	require.ErrorContains(t, err, msgUnderflow)
}

func TestNumberInt64(t *testing.T) {
	for _, i := range []int64{0, 1, -1, 10, 100, -1000, 1700000000, 9223372036854775807, -9223372036854775808, 1234567890123456789} {
		n := NumberFromInt64(i)
		got, ok := n.Int64()
		require.True(t, ok)
		require.Equal(t, i, got)
		require.Equal(t, n, num(t, n.String()))
	}
	for _, s := range []string{"1.5", "9223372036854775808", "-9223372036854775809", "1e19", "1e100", "0.1"} {
		_, ok := num(t, s).Int64()
		require.False(t, ok, s)
	}
	v, ok := num(t, "1e18").Int64()
	require.True(t, ok)
	require.Equal(t, int64(1e18), v)
}

func TestNumberDecimal(t *testing.T) {
	for _, s := range []string{"0", "1", "-1.5", "123456789012345678901234567890.12345678", "1E-130", "-9.9999999999999999999999999999999999999E+125", "100"} {
		n := num(t, s)
		d := n.Decimal()
		want, _, err := apd.NewFromString(s)
		require.NoError(t, err)
		require.Equal(t, 0, d.Cmp(want), s)
		back, err := NumberFromDecimal(d)
		require.NoError(t, err)
		require.Equal(t, n, back)
	}
	for _, tt := range []struct{ s, msg string }{
		{"NaN", msgNotNumeric}, {"Inf", msgNotNumeric}, {"1e126", msgOverflow}, {"1e-131", msgUnderflow},
		{"1234567890123456789012345678901234567891", msgPrecision},
	} {
		d, _, err := apd.NewFromString(tt.s)
		require.NoError(t, err)
		_, err = NumberFromDecimal(d)
		require.ErrorContains(t, err, tt.msg, tt.s)
	}
	d := apd.New(15000, -4) // 1.5000
	n, err := NumberFromDecimal(d)
	require.NoError(t, err)
	require.Equal(t, "1.5", n.String())
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "1", "1.0", ".5", "5.", "-17.4E37", "1E-130", "9.9999999999999999999999999999999999999E+125",
		"1e126", "123456789012345678901234567890123456789", "0e1000", "1e-21", "dog", "+3", "0001.23"} {
		f.Add(s, "1")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		n, err := ParseNumber(a)
		if err != nil {
			return
		}
		s := n.String()
		n2, err := ParseNumber(s)
		require.NoError(t, err, s)
		require.Equal(t, n, n2, "%q -> %q", a, s)
		if d, _, err := apd.NewFromString(a); err == nil {
			require.Equal(t, 0, n.Decimal().Cmp(d))
		} else {
			require.True(t, n.IsZero(), "apd rejects %q: %v", a, err) // apd limits zero's exponent; DynamoDB does not
		}
		m, err := ParseNumber(b)
		if err != nil {
			return
		}
		require.Equal(t, n.Decimal().Cmp(m.Decimal()), n.Cmp(m))
		require.Equal(t, -m.Cmp(n), n.Cmp(m))
	})
}
