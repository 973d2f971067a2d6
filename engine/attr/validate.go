package attr

import (
	"strconv"
	"unicode/utf8"
)

// Validate checks v against DynamoDB's rules for a value: no nil elements
// (nil Value, nil in a list or map), strings valid UTF-8, sets non-empty and
// without duplicates (NS compared numerically, BS bytewise), and lists and
// maps nested at most MaxDepth deep (v itself, if a list or map, is at depth
// 1). Numbers are valid by construction. The error is an *Error.
func Validate(v Value) error { return validate(v, 1) }

func validate(v Value, depth int) error {
	switch v := v.(type) {
	case nil:
		return errorf(msgInvalidParams + "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	case S:
		if !utf8.ValidString(string(v)) {
			return errorf(msgInvalidParams + "string is not valid UTF-8")
		}
	case Number, B, Bool, Null:
	case L:
		if depth > MaxDepth {
			return errorf(msgNesting)
		}
		for _, e := range v {
			if err := validate(e, depth+1); err != nil {
				return err
			}
		}
	case M:
		if depth > MaxDepth {
			return errorf(msgNesting)
		}
		for k, e := range v {
			if !utf8.ValidString(k) {
				return errorf(msgInvalidParams + "map key is not valid UTF-8")
			}
			if err := validate(e, depth+1); err != nil {
				return err
			}
		}
	case SS:
		if len(v) == 0 {
			return errorf(msgInvalidParams + "An string set may not be empty")
		}
		for _, s := range v {
			if !utf8.ValidString(s) {
				return errorf(msgInvalidParams + "string is not valid UTF-8")
			}
		}
		if i := firstDup(len(v), func(i int) string { return v[i] }); i >= 0 {
			return errorf(msgInvalidParams + "Input collection contains duplicates: " + strconv.Quote(v[i]))
		}
	case NS:
		if len(v) == 0 {
			return errorf(msgInvalidParams + "An number set may not be empty")
		}
		if i := firstDup(len(v), func(i int) Number { return v[i] }); i >= 0 {
			return errorf(msgInvalidParams + "Input collection contains duplicates: " + v[i].String())
		}
	case BS:
		if len(v) == 0 {
			return errorf(msgInvalidParams + "An binary set may not be empty")
		}
		if i := firstDup(len(v), func(i int) string { return string(v[i]) }); i >= 0 {
			return errorf(msgInvalidParams + "Input collection contains duplicates")
		}
	default:
		return errorf(msgInvalidParams + "unknown attribute value type")
	}
	return nil
}

// firstDup returns the index of the first element equal to an earlier one,
// or -1. Small sets are checked pairwise, larger ones with a map, so a set of
// 100,000 elements costs linear time.
func firstDup[K comparable](n int, key func(i int) K) int {
	if n <= 16 {
		for i := 1; i < n; i++ {
			ki := key(i)
			for j := 0; j < i; j++ {
				if key(j) == ki {
					return i
				}
			}
		}
		return -1
	}
	seen := make(map[K]struct{}, n)
	for i := 0; i < n; i++ {
		k := key(i)
		if _, dup := seen[k]; dup {
			return i
		}
		seen[k] = struct{}{}
	}
	return -1
}

// MaxNameLen is the longest attribute name DynamoDB accepts, in bytes
// (names must be shorter than 64 KB).
const MaxNameLen = 64*1024 - 1

// ValidateItem checks every attribute of m with Validate, checks the names
// (non-empty, valid UTF-8, under 64 KB) and checks that ItemSize(m) is at most
// MaxItemSize.
func ValidateItem(m M) error {
	for k, v := range m {
		if k == "" {
			return errorf(msgInvalidParams + "Empty attribute name")
		}
		if len(k) > MaxNameLen {
			return errorf(msgInvalidParams + "Attribute name is too long")
		}
		if !utf8.ValidString(k) {
			return errorf(msgInvalidParams + "attribute name is not valid UTF-8")
		}
		if err := validate(v, 1); err != nil {
			return err
		}
	}
	if ItemSize(m) > MaxItemSize {
		return errorf(msgItemTooLarge)
	}
	return nil
}
