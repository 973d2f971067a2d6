package keys

import (
	"bytes"
	"errors"
	"strings"

	"github.com/shoaldb/shoal/engine/attr"
)

// Markers of the encoding.
const (
	escape     = 0x00 // in S and B: 0x00 is written 0x00 0xFF; 0x00 0x01 ends the value
	escaped00  = 0xFF
	terminator = 0x01

	numNeg  = 0x01 // first byte of a negative number
	numZero = 0x02 // zero: the whole encoding
	numPos  = 0x03 // first byte of a positive number
)

// Errors returned by Append, Decode and Skip.
var (
	// ErrType is returned for a value or type other than S, N or B.
	ErrType = errors.New("keys: key values must be of type S, N or B")
	// ErrCorrupt is returned when bytes are not a valid encoding.
	ErrCorrupt = errors.New("keys: corrupt key encoding")
)

// Append appends the encoding of v, which must be an S, N or B, to dst.
func Append(dst []byte, v attr.Value) ([]byte, error) {
	switch v := v.(type) {
	case attr.S:
		return AppendS(dst, string(v)), nil
	case attr.Number:
		return AppendN(dst, v), nil
	case attr.B:
		return AppendB(dst, v), nil
	}
	return dst, ErrType
}

// AppendS appends the encoding of the string s to dst.
func AppendS(dst []byte, s string) []byte {
	return append(appendEscaped(dst, s), escape, terminator)
}

// AppendB appends the encoding of the binary value b to dst.
func AppendB(dst []byte, b []byte) []byte {
	return append(appendEscaped(dst, b), escape, terminator)
}

// PrefixS appends the encoding of prefix without its terminator: every
// AppendS(s) where s starts with prefix starts with PrefixS(prefix), so the
// keys of begins_with(sk, prefix) form the range of keys with that prefix.
func PrefixS(dst []byte, prefix string) []byte { return appendEscaped(dst, prefix) }

// PrefixB is PrefixS for binary values.
func PrefixB(dst []byte, prefix []byte) []byte { return appendEscaped(dst, prefix) }

func appendEscaped[T string | []byte](dst []byte, s T) []byte {
	for {
		i := bytes.IndexByte([]byte(s), escape) // no copy: the compiler keeps []byte(string) in place for IndexByte
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		dst = append(dst, escape, escaped00)
		s = s[i+1:]
	}
}

// AppendN appends the encoding of the number n to dst: a sign byte (negative
// < zero < positive); for non-zero numbers the exponent as one byte
// (Exponent()+129, which covers -129 … 126) and the significant digits two to
// a byte (10×d1+d2+1, an odd last digit paired with 0), then a 0x00
// terminator, so a shorter digit string sorts first. For negative numbers all
// bytes after the sign are complemented, which reverses their order.
func AppendN(dst []byte, n attr.Number) []byte {
	if n.IsZero() {
		return append(dst, numZero)
	}
	var mask byte
	sign := byte(numPos)
	if n.Negative() {
		mask, sign = 0xFF, numNeg
	}
	dst = append(dst, sign, byte(n.Exponent()-attr.MinExponent)^mask)
	d := n.Digits()
	i := 0
	for ; i+1 < len(d); i += 2 {
		dst = append(dst, (10*(d[i]-'0')+(d[i+1]-'0')+1)^mask)
	}
	if i < len(d) {
		dst = append(dst, (10*(d[i]-'0')+1)^mask)
	}
	return append(dst, 0x00^mask)
}

// Decode decodes one value of type t (S, N or B) from the front of data and
// returns it with the bytes that follow it. The value does not alias data.
func Decode(data []byte, t attr.Type) (v attr.Value, rest []byte, err error) {
	switch t {
	case attr.TypeS, attr.TypeB:
		n, size, err := scanEscaped(data)
		if err != nil {
			return nil, nil, err
		}
		if t == attr.TypeS {
			var sb strings.Builder
			sb.Grow(size)
			unescape(data[:n-2], func(b []byte) { sb.Write(b) })
			return attr.S(sb.String()), data[n:], nil
		}
		out := make([]byte, 0, size)
		unescape(data[:n-2], func(b []byte) { out = append(out, b...) })
		return attr.B(out), data[n:], nil
	case attr.TypeN:
		num, n, err := decodeN(data)
		if err != nil {
			return nil, nil, err
		}
		return num, data[n:], nil
	}
	return nil, nil, ErrType
}

// unescape calls write with the unescaped runs of body (an escaped value
// without its terminator, already checked by scanEscaped).
func unescape(body []byte, write func([]byte)) {
	for {
		i := bytes.IndexByte(body, escape)
		if i < 0 {
			write(body)
			return
		}
		write(body[:i+1]) // keeps the 0x00, drops the 0xFF after it
		body = body[i+2:]
	}
}

// scanEscaped finds the end of an escaped value: n is the encoded length
// including the terminator, size the decoded length.
func scanEscaped(data []byte) (n, size int, err error) {
	i := 0
	for {
		j := bytes.IndexByte(data[i:], escape)
		if j < 0 || i+j+1 >= len(data) {
			return 0, 0, ErrCorrupt
		}
		i += j
		size += j
		switch data[i+1] {
		case terminator:
			return i + 2, size, nil
		case escaped00:
			size++
			i += 2
		default:
			return 0, 0, ErrCorrupt
		}
	}
}

// decodeN decodes a number and returns the bytes it used. Only canonical
// encodings are accepted.
func decodeN(data []byte) (attr.Number, int, error) {
	if len(data) == 0 {
		return attr.Number{}, 0, ErrCorrupt
	}
	var mask byte
	switch data[0] {
	case numZero:
		return attr.Number{}, 1, nil
	case numNeg:
		mask = 0xFF
	case numPos:
	default:
		return attr.Number{}, 0, ErrCorrupt
	}
	if len(data) < 3 {
		return attr.Number{}, 0, ErrCorrupt
	}
	exp := int(data[1]^mask) + attr.MinExponent
	var buf [attr.MaxDigits + 1]byte
	digits := buf[:0]
	i := 2
	for ; ; i++ {
		if i >= len(data) {
			return attr.Number{}, 0, ErrCorrupt
		}
		c := data[i] ^ mask
		if c == 0 {
			break
		}
		if c > 100 || len(digits) >= attr.MaxDigits {
			return attr.Number{}, 0, ErrCorrupt
		}
		c--
		digits = append(digits, '0'+c/10, '0'+c%10)
	}
	if i == 2 || digits[0] == '0' {
		return attr.Number{}, 0, ErrCorrupt
	}
	if digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		if digits[len(digits)-1] == '0' {
			return attr.Number{}, 0, ErrCorrupt // a whole zero pair: not canonical
		}
	}
	n, err := attr.NumberFromParts(mask == 0xFF, string(digits), exp)
	if err != nil {
		return attr.Number{}, 0, ErrCorrupt
	}
	return n, i + 1, nil
}

// Skip returns the bytes that follow one encoded value of type t at the front
// of data, without decoding or allocating.
func Skip(data []byte, t attr.Type) (rest []byte, err error) {
	switch t {
	case attr.TypeS, attr.TypeB:
		n, _, err := scanEscaped(data)
		if err != nil {
			return nil, err
		}
		return data[n:], nil
	case attr.TypeN:
		if len(data) == 0 {
			return nil, ErrCorrupt
		}
		var term byte
		switch data[0] {
		case numZero:
			return data[1:], nil
		case numNeg:
			term = 0xFF
		case numPos:
			term = 0x00
		default:
			return nil, ErrCorrupt
		}
		if len(data) < 3 {
			return nil, ErrCorrupt
		}
		j := bytes.IndexByte(data[2:], term)
		if j < 0 {
			return nil, ErrCorrupt
		}
		return data[2+j+1:], nil
	}
	return nil, ErrType
}
