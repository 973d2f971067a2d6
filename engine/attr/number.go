package attr

import (
	"cmp"
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// Number is an exact decimal number (DynamoDB's N): up to 38 significant
// digits, magnitude between 1e-130 and 9.9999999999999999999999999999999999999e125,
// or zero. It is kept normalized, so two Numbers are numerically equal exactly
// when they are == as Go values, and 1, 1.0 and 10e-1 are the same Number.
//
// The value is (-1)^neg × 0.digits × 10^exp: digits holds the significant
// decimal digits with no leading or trailing zeros (empty for zero), and exp
// is the decimal exponent of the first digit's position. For example 123.45 is
// {digits: "12345", exp: 3}, 0.001 is {digits: "1", exp: -2} and zero is the
// zero Number{}. The zero value of Number is the number 0.
type Number struct {
	neg    bool
	exp    int32
	digits string
}

// Negative reports whether n is below zero.
func (n Number) Negative() bool { return n.neg }

// IsZero reports whether n is zero.
func (n Number) IsZero() bool { return n.digits == "" }

// Digits returns the significant digits of n, without leading or trailing
// zeros; empty for zero.
func (n Number) Digits() string { return n.digits }

// Exponent returns e such that |n| = 0.Digits() × 10^e; 0 for zero.
func (n Number) Exponent() int32 { return n.exp }

// Limits of DynamoDB's number type, in Number's representation
// (|n| = 0.digits × 10^exp).
const (
	// MaxDigits is the largest number of significant decimal digits a
	// Number holds.
	MaxDigits = 38
	// MinExponent and MaxExponent bound Number.Exponent for non-zero
	// numbers: 1E-130 is 0.1 × 10^-129 and 9.99…E+125 is 0.999… × 10^126.
	MinExponent = -129
	MaxExponent = 126
)

// ParseNumber parses DynamoDB's number text:
//
//	[+|-] digits [. [digits]] [(e|E) [+|-] digits]
//	[+|-] . digits [(e|E) [+|-] digits]
//
// that is, an optional sign, a mantissa with at least one digit and an
// optional fraction, and an optional decimal exponent. Leading zeros, a
// leading "+", a leading dot (".5") and a trailing dot ("5.") are accepted
// as DynamoDB (whose parser follows Java's BigDecimal) accepts them; spaces,
// NaN, Infinity, hexadecimal and an empty string are rejected. Leading and
// trailing zeros are not significant, "-0" is zero and zero may carry any
// exponent ("0e1000"). A number with more than 38 significant digits is an
// error (it is never rounded), as is a magnitude above
// 9.9999999999999999999999999999999999999E+125 or below 1E-130.
func ParseNumber(s string) (Number, error) {
	n, msg := parseNumber(s)
	if msg != "" {
		if msg == msgNotNumeric {
			if len(s) > 64 {
				s = s[:64] + "..."
			}
			msg += ": " + s
		}
		return Number{}, errorf(msg)
	}
	return n, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// parseNumber is ParseNumber without building the error, so callers that
// have their own message avoid the allocation. msg is "" on success.
func parseNumber(s string) (Number, string) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intEnd := i
	fracStart, fracEnd := i, i
	if i < len(s) && s[i] == '.' {
		i++
		fracStart = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		fracEnd = i
	}
	if intStart == intEnd && fracStart == fracEnd {
		return Number{}, msgNotNumeric
	}
	var e10 int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return Number{}, msgNotNumeric
		}
		for ; i < len(s); i++ {
			if !isDigit(s[i]) {
				return Number{}, msgNotNumeric
			}
			if e10 < 1e12 { // saturate: far beyond any valid exponent
				e10 = e10*10 + int64(s[i]-'0')
			}
		}
		if eneg {
			e10 = -e10
		}
	}
	if i != len(s) {
		return Number{}, msgNotNumeric
	}

	ip := trimLeftZeros(s[intStart:intEnd])
	frac := s[fracStart:fracEnd]
	var digits string
	var exp int64
	if ip != "" {
		exp = int64(len(ip))
		ft := trimRightZeros(frac)
		if ft == "" {
			digits = trimRightZeros(ip)
		} else {
			if len(ip)+len(ft) > MaxDigits {
				return Number{}, msgPrecision
			}
			digits = ip + ft
		}
	} else {
		fp := trimLeftZeros(frac)
		exp = -int64(len(frac) - len(fp))
		digits = trimRightZeros(fp)
	}
	if digits == "" {
		return Number{}, ""
	}
	if len(digits) > MaxDigits {
		return Number{}, msgPrecision
	}
	exp += e10
	if exp > MaxExponent {
		return Number{}, msgOverflow
	}
	if exp < MinExponent {
		return Number{}, msgUnderflow
	}
	return Number{neg: neg, exp: int32(exp), digits: digits}, ""
}

func trimLeftZeros(s string) string {
	for len(s) > 0 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

func trimRightZeros(s string) string {
	for len(s) > 0 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return s
}

// newNumber builds a Number from significant digits (no leading zero; trailing
// zeros are trimmed here) and the exponent, checking DynamoDB's limits.
func newNumber(neg bool, digits string, exp int64) (Number, error) {
	digits = trimRightZeros(digits)
	if digits == "" {
		return Number{}, nil
	}
	if len(digits) > MaxDigits {
		return Number{}, errorf(msgPrecision)
	}
	if exp > MaxExponent {
		return Number{}, errorf(msgOverflow)
	}
	if exp < MinExponent {
		return Number{}, errorf(msgUnderflow)
	}
	return Number{neg: neg, exp: int32(exp), digits: digits}, nil
}

// NumberFromInt64 returns the Number equal to i. Every int64 is in range.
func NumberFromInt64(i int64) Number {
	if i == 0 {
		return Number{}
	}
	u := uint64(i)
	if i < 0 {
		u = -u
	}
	var buf [20]byte
	b := strconv.AppendUint(buf[:0], u, 10)
	exp := len(b)
	for b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	return Number{neg: i < 0, exp: int32(exp), digits: string(b)}
}

// NumberFromDecimal converts d to a Number, checking DynamoDB's precision
// and range; NaN and infinities are errors. d is not modified or retained.
func NumberFromDecimal(d *apd.Decimal) (Number, error) {
	if d.Form != apd.Finite {
		return Number{}, errorf(msgNotNumeric + ": " + d.String())
	}
	if d.Coeff.Sign() == 0 {
		return Number{}, nil
	}
	var buf [48]byte
	b := d.Coeff.Append(buf[:0], 10)
	if b[0] == '-' {
		b = b[1:]
	}
	exp := int64(d.Exponent) + int64(len(b))
	for b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if len(b) > MaxDigits {
		return Number{}, errorf(msgPrecision)
	}
	return newNumber(d.Negative, string(b), exp)
}

// Decimal returns n as a new apd.Decimal, which the caller owns.
func (n Number) Decimal() *apd.Decimal {
	d := new(apd.Decimal)
	if n.digits == "" {
		return d
	}
	e := n.exp - int32(len(n.digits))
	if len(n.digits) <= 18 {
		var c int64
		for i := 0; i < len(n.digits); i++ {
			c = c*10 + int64(n.digits[i]-'0')
		}
		d.SetFinite(c, e)
	} else {
		d.Coeff.SetString(n.digits, 10)
		d.Exponent = e
	}
	d.Negative = n.neg
	return d
}

// String returns the canonical text of n, which ParseNumber parses back to n.
//
// The rule: with adj = Exponent()-1 (the exponent of n written as d.ddd×10^adj),
// n is written as a plain decimal when -20 ≤ adj ≤ 40 ("0", "100", "-0.001",
// "123.45", every integer of up to 41 digits) and in scientific notation
// otherwise: the first digit, "." and the other digits if any, "E", the sign
// of adj and adj ("1E-21", "-1.5E+130"). There is never a trailing zero after
// a decimal point, a leading "+" or a "-0".
func (n Number) String() string {
	var buf [64]byte
	return string(n.Append(buf[:0]))
}

// Append appends String() to dst and returns the extended buffer.
func (n Number) Append(dst []byte) []byte {
	d := n.digits
	if d == "" {
		return append(dst, '0')
	}
	if n.neg {
		dst = append(dst, '-')
	}
	exp := int(n.exp)
	adj := exp - 1
	switch {
	case adj < -20 || adj > 40:
		dst = append(dst, d[0])
		if len(d) > 1 {
			dst = append(dst, '.')
			dst = append(dst, d[1:]...)
		}
		dst = append(dst, 'E')
		if adj >= 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, int64(adj), 10)
	case exp <= 0:
		dst = append(dst, '0', '.')
		for i := 0; i < -exp; i++ {
			dst = append(dst, '0')
		}
		dst = append(dst, d...)
	case exp >= len(d):
		dst = append(dst, d...)
		for i := len(d); i < exp; i++ {
			dst = append(dst, '0')
		}
	default:
		dst = append(dst, d[:exp]...)
		dst = append(dst, '.')
		dst = append(dst, d[exp:]...)
	}
	return dst
}

func (n Number) sign() int {
	switch {
	case n.digits == "":
		return 0
	case n.neg:
		return -1
	}
	return 1
}

// Cmp compares n and m numerically and returns -1, 0 or +1. It does not
// allocate.
func (n Number) Cmp(m Number) int {
	ns, ms := n.sign(), m.sign()
	if ns != ms {
		return cmp.Compare(ns, ms)
	}
	if ns == 0 {
		return 0
	}
	c := cmp.Compare(n.exp, m.exp)
	if c == 0 {
		// Digit strings without trailing zeros compare as the fractions
		// 0.digits: a proper prefix is the smaller.
		c = strings.Compare(n.digits, m.digits)
	}
	if n.neg {
		c = -c
	}
	return c
}

// Neg returns -n.
func (n Number) Neg() Number {
	if n.digits != "" {
		n.neg = !n.neg
	}
	return n
}

// Add returns n+m, computed exactly. The result must itself be a valid
// Number: more than 38 significant digits (1e50 + 1) or a magnitude out of
// range is an error, never a rounding.
func (n Number) Add(m Number) (Number, error) {
	if n.digits == "" {
		return m, nil
	}
	if m.digits == "" {
		return n, nil
	}
	var r apd.Decimal
	// Operands span at most 10^-167 … 10^127: 300 digits make the sum exact.
	c, err := arith.Add(&r, n.Decimal(), m.Decimal())
	if err != nil || c.Inexact() {
		return Number{}, errorf(msgPrecision)
	}
	return NumberFromDecimal(&r)
}

// Sub returns n-m, with the rules of Add.
func (n Number) Sub(m Number) (Number, error) { return n.Add(m.Neg()) }

// arith is the context of Add; a Context is only read, so sharing is safe.
var arith = apd.BaseContext.WithPrecision(300)

// Int64 returns n as an int64; ok is false if n is not an integer or is out
// of int64's range.
func (n Number) Int64() (i int64, ok bool) {
	d := n.digits
	if d == "" {
		return 0, true
	}
	if int(n.exp) < len(d) || n.exp > 19 {
		return 0, false
	}
	var u uint64
	for k := 0; k < len(d); k++ {
		u = u*10 + uint64(d[k]-'0')
	}
	for k := len(d); k < int(n.exp); k++ {
		u *= 10 // exp ≤ 19 keeps u < 10^19 < 2^64
	}
	if n.neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// NumberFromParts returns the Number (-1)^neg × 0.digits × 10^exp, the
// inverse of Negative, Digits and Exponent. digits must be decimal digits
// only; leading and trailing zeros are allowed and normalized away. The
// result must satisfy DynamoDB's precision and range.
func NumberFromParts(neg bool, digits string, exp int) (Number, error) {
	for i := 0; i < len(digits); i++ {
		if !isDigit(digits[i]) {
			return Number{}, errorf(msgNotNumeric + ": digits " + strconv.Quote(digits))
		}
	}
	t := trimLeftZeros(digits)
	return newNumber(neg, t, int64(exp)-int64(len(digits)-len(t)))
}
