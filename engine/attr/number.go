package attr

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
