package attr

import (
	"encoding/binary"
	"slices"
)

// The binary form, written by AppendBinary and EncodeItem, is how values are
// stored. It is deterministic: map keys are written in ascending byte order,
// so equal items (with sets in the same order) encode to identical bytes.
//
//	value  = type(1 byte, the Type constant) body
//	S, B   = uvarint(len) bytes
//	N      = number
//	number = header(1 byte: ndigits<<1 | negative) [exp+129 (1 byte) BCD]
//	         zero is the single header byte 0; BCD packs two digits a byte,
//	         high nibble first, an odd count padded with a 0 nibble
//	BOOL   = 0 or 1
//	NULL   = (nothing)
//	L      = uvarint(count) value*
//	M      = uvarint(count) (uvarint(len) key value)*, keys strictly ascending
//	SS, BS = uvarint(count) (uvarint(len) bytes)*
//	NS     = uvarint(count) number*
//	item   = format(1 byte, 1) uvarint(count) (uvarint(len) key value)*
//
// The exponent fits one byte because Number's exponent range, -129 … 126,
// has exactly 256 values.

// itemFormat is the leading byte of EncodeItem's output. A future layout
// gets a new number; DecodeItem rejects formats it does not know.
const itemFormat = 1

// maxDecodeDepth bounds recursion when decoding untrusted bytes. Stored
// values are validated to MaxDepth; the margin is only for safety.
const maxDecodeDepth = 2 * MaxDepth

var errCorrupt = &Error{Msg: msgCorrupt}

// AppendBinary appends the binary form of v to dst and returns the extended
// buffer. v should be valid (Validate); a nil Value is written as NULL.
func AppendBinary(dst []byte, v Value) []byte {
	switch v := v.(type) {
	case S:
		dst = append(dst, byte(TypeS))
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		return append(dst, v...)
	case Number:
		return appendNumber(append(dst, byte(TypeN)), v)
	case B:
		dst = append(dst, byte(TypeB))
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		return append(dst, v...)
	case Bool:
		if v {
			return append(dst, byte(TypeBOOL), 1)
		}
		return append(dst, byte(TypeBOOL), 0)
	case L:
		dst = append(dst, byte(TypeL))
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		for _, e := range v {
			dst = AppendBinary(dst, e)
		}
		return dst
	case M:
		return appendMapBody(append(dst, byte(TypeM)), v)
	case SS:
		dst = append(dst, byte(TypeSS))
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		for _, e := range v {
			dst = binary.AppendUvarint(dst, uint64(len(e)))
			dst = append(dst, e...)
		}
		return dst
	case NS:
		dst = append(dst, byte(TypeNS))
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		for _, e := range v {
			dst = appendNumber(dst, e)
		}
		return dst
	case BS:
		dst = append(dst, byte(TypeBS))
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		for _, e := range v {
			dst = binary.AppendUvarint(dst, uint64(len(e)))
			dst = append(dst, e...)
		}
		return dst
	}
	return append(dst, byte(TypeNULL))
}

func appendNumber(dst []byte, n Number) []byte {
	d := n.digits
	h := byte(len(d)) << 1
	if n.neg {
		h |= 1
	}
	dst = append(dst, h)
	if d == "" {
		return dst
	}
	dst = append(dst, byte(n.exp-MinExponent))
	i := 0
	for ; i+1 < len(d); i += 2 {
		dst = append(dst, (d[i]-'0')<<4|(d[i+1]-'0'))
	}
	if i < len(d) {
		dst = append(dst, (d[i]-'0')<<4)
	}
	return dst
}

// sortedKeys returns m's keys in ascending order, in buf if it is large
// enough.
func sortedKeys(m M, buf []string) []string {
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func appendMapBody(dst []byte, m M) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(m)))
	var buf [16]string
	for _, k := range sortedKeys(m, buf[:]) {
		dst = binary.AppendUvarint(dst, uint64(len(k)))
		dst = append(dst, k...)
		dst = AppendBinary(dst, m[k])
	}
	return dst
}

// EncodeItem appends the binary form of the item m, led by the format byte,
// to dst and returns the extended buffer.
func EncodeItem(dst []byte, m M) []byte {
	return appendMapBody(append(dst, itemFormat), m)
}

// DecodeBinary decodes one value from the front of data and returns it with
// the number of bytes it used. Corrupt input is an error, never a panic, and
// allocation is bounded by len(data). The value does not alias data, which
// the caller may reuse.
func DecodeBinary(data []byte) (v Value, n int, err error) {
	d := newDecoder(data, 0)
	v, err = d.value(0)
	if err != nil {
		return nil, 0, err
	}
	return v, d.off, nil
}

// DecodeItem decodes an item written by EncodeItem. data must hold exactly
// one item. The item does not alias data.
func DecodeItem(data []byte) (M, error) {
	if len(data) == 0 || data[0] != itemFormat {
		return nil, errCorrupt
	}
	d := newDecoder(data, 1)
	m, err := d.mapBody(0)
	if err != nil {
		return nil, err
	}
	if d.off != len(data) {
		return nil, errCorrupt
	}
	return m, nil
}

// decoder reads the binary form. s is one copy of b made up front: decoded
// strings (S values, map keys, SS elements) are substrings of it, which costs
// one allocation per decode instead of one per string and never aliases b.
// (A decoded string keeps the whole copy alive; items are at most 400 KB.)
type decoder struct {
	b   []byte
	s   string
	off int
}

func newDecoder(data []byte, off int) decoder {
	return decoder{b: data, s: string(data), off: off}
}

// str reads a length-prefixed string as a substring of d.s.
func (d *decoder) str() (string, bool) {
	n, ok := d.count()
	if !ok {
		return "", false
	}
	s := d.s[d.off : d.off+n]
	d.off += n
	return s, true
}

func (d *decoder) byte() (byte, bool) {
	if d.off >= len(d.b) {
		return 0, false
	}
	c := d.b[d.off]
	d.off++
	return c, true
}

// count reads a uvarint that is a length or count of things taking at least
// one byte each, so it cannot exceed the bytes left.
func (d *decoder) count() (int, bool) {
	u, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 || (n > 1 && d.b[d.off+n-1] == 0) { // overlong forms are not canonical
		return 0, false
	}
	d.off += n
	if u > uint64(len(d.b)-d.off) {
		return 0, false
	}
	return int(u), true
}

func (d *decoder) bytes() ([]byte, bool) {
	n, ok := d.count()
	if !ok {
		return nil, false
	}
	b := d.b[d.off : d.off+n]
	d.off += n
	return b, true
}

func (d *decoder) value(depth int) (Value, error) {
	t, ok := d.byte()
	if !ok {
		return nil, errCorrupt
	}
	switch Type(t) {
	case TypeS:
		s, ok := d.str()
		if !ok {
			return nil, errCorrupt
		}
		return S(s), nil
	case TypeN:
		n, ok := d.number()
		if !ok {
			return nil, errCorrupt
		}
		return n, nil
	case TypeB:
		b, ok := d.bytes()
		if !ok {
			return nil, errCorrupt
		}
		return B(append([]byte{}, b...)), nil
	case TypeBOOL:
		c, ok := d.byte()
		if !ok || c > 1 {
			return nil, errCorrupt
		}
		return Bool(c == 1), nil
	case TypeNULL:
		return Null{}, nil
	case TypeL:
		if depth >= maxDecodeDepth {
			return nil, errCorrupt
		}
		n, ok := d.count()
		if !ok {
			return nil, errCorrupt
		}
		l := make(L, n)
		for i := range l {
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			l[i] = v
		}
		return l, nil
	case TypeM:
		if depth >= maxDecodeDepth {
			return nil, errCorrupt
		}
		m, err := d.mapBody(depth + 1)
		if err != nil {
			return nil, err
		}
		return m, nil
	case TypeSS:
		n, ok := d.count()
		if !ok {
			return nil, errCorrupt
		}
		ss := make(SS, n)
		for i := range ss {
			if ss[i], ok = d.str(); !ok {
				return nil, errCorrupt
			}
		}
		return ss, nil
	case TypeNS:
		n, ok := d.count()
		if !ok {
			return nil, errCorrupt
		}
		ns := make(NS, n)
		for i := range ns {
			if ns[i], ok = d.number(); !ok {
				return nil, errCorrupt
			}
		}
		return ns, nil
	case TypeBS:
		n, ok := d.count()
		if !ok {
			return nil, errCorrupt
		}
		bs := make(BS, n)
		for i := range bs {
			b, ok := d.bytes()
			if !ok {
				return nil, errCorrupt
			}
			bs[i] = append([]byte{}, b...)
		}
		return bs, nil
	}
	return nil, errCorrupt
}

func (d *decoder) mapBody(depth int) (M, error) {
	n, ok := d.count()
	if !ok {
		return nil, errCorrupt
	}
	m := make(M, n)
	var prev string
	for i := 0; i < n; i++ {
		k, ok := d.str()
		if !ok || (i > 0 && k <= prev) {
			return nil, errCorrupt // keys must be strictly ascending
		}
		prev = k
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}

// number decodes a number, accepting only the canonical form (no leading or
// trailing zero digit, exponent in range by construction).
func (d *decoder) number() (Number, bool) {
	h, ok := d.byte()
	if !ok {
		return Number{}, false
	}
	nd := int(h >> 1)
	neg := h&1 == 1
	if nd == 0 {
		return Number{}, !neg
	}
	if nd > MaxDigits {
		return Number{}, false
	}
	e, ok := d.byte()
	if !ok {
		return Number{}, false
	}
	nb := (nd + 1) / 2
	if len(d.b)-d.off < nb {
		return Number{}, false
	}
	var buf [MaxDigits + 1]byte
	for i, c := range d.b[d.off : d.off+nb] {
		hi, lo := c>>4, c&0x0f
		if hi > 9 || lo > 9 {
			return Number{}, false
		}
		buf[2*i], buf[2*i+1] = '0'+hi, '0'+lo
	}
	d.off += nb
	if buf[0] == '0' || buf[nd-1] == '0' || (nd%2 == 1 && buf[nd] != '0') {
		return Number{}, false
	}
	return Number{neg: neg, exp: int32(e) + MinExponent, digits: string(buf[:nd])}, true
}
