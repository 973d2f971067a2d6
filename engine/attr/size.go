package attr

// Limits of an item.
const (
	// MaxItemSize is the largest item, in DynamoDB's size accounting
	// (ItemSize): 400 KB.
	MaxItemSize = 400 * 1024
	// MaxDepth is the deepest nesting of lists and maps: a top-level
	// attribute that is a list or map is at depth 1, a map inside it at
	// depth 2, and so on up to 32.
	MaxDepth = 32
)

// Size returns the size of v by DynamoDB's rules ("Item sizes and formats"),
// without any attribute name:
//
//   - S: its UTF-8 bytes; B: its raw bytes;
//   - N: 1 byte per two significant digits, rounded up, plus 1 (zero counts
//     as one digit, so 2 bytes);
//   - BOOL, NULL: 1;
//   - L, M: 3 bytes of overhead, plus 1 byte per element, plus the elements
//     (for M, each element's key bytes and value);
//   - SS, NS, BS: the sum of the elements' sizes.
func Size(v Value) int {
	switch v := v.(type) {
	case S:
		return len(v)
	case Number:
		return numberSize(v)
	case B:
		return len(v)
	case Bool, Null:
		return 1
	case L:
		n := 3 + len(v)
		for _, e := range v {
			n += Size(e)
		}
		return n
	case M:
		n := 3 + len(v)
		for k, e := range v {
			n += len(k) + Size(e)
		}
		return n
	case SS:
		n := 0
		for _, e := range v {
			n += len(e)
		}
		return n
	case NS:
		n := 0
		for _, e := range v {
			n += numberSize(e)
		}
		return n
	case BS:
		n := 0
		for _, e := range v {
			n += len(e)
		}
		return n
	}
	return 0
}

func numberSize(n Number) int {
	d := len(n.digits)
	if d == 0 {
		d = 1
	}
	return (d+1)/2 + 1
}

// ItemSize returns the size of an item by DynamoDB's rules: the sum over its
// attributes of the name's UTF-8 bytes plus Size of the value. The 100 bytes
// DynamoDB adds per item for indexing storage are not counted (they count
// toward storage billing, not toward the 400 KB limit).
func ItemSize(m M) int {
	n := 0
	for k, v := range m {
		n += len(k) + Size(v)
	}
	return n
}
