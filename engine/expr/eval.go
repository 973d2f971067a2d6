package expr

import (
	"bytes"
	"slices"
	"strings"

	"github.com/shoaldb/shoal/engine/attr"
)

// lookup returns the value at path p in item; ok is false if any step is
// missing or of the wrong kind.
func lookup(item attr.M, p Path) (attr.Value, bool) {
	if len(p) == 0 || p[0].IsIndex {
		return nil, false
	}
	v, ok := item[p[0].Name]
	if !ok {
		return nil, false
	}
	for _, e := range p[1:] {
		if e.IsIndex {
			l, ok := v.(attr.L)
			if !ok || e.Index < 0 || e.Index >= len(l) {
				return nil, false
			}
			v = l[e.Index]
		} else {
			m, ok := v.(attr.M)
			if !ok {
				return nil, false
			}
			if v, ok = m[e.Name]; !ok {
				return nil, false
			}
		}
	}
	return v, true
}

// Eval evaluates condition c against item. A nil condition is true; a nil
// item is "no item", in which every path is missing. Comparisons between
// values of different types are false, never errors; <, <=, >, >= and
// BETWEEN order only S, N and B; a comparison with a missing operand is
// false, except <>, which is true (the operands are not equal).
//
// Eval is safe for concurrent use and does not allocate for conditions
// without size().
func Eval(c Condition, item attr.M) bool {
	if c == nil {
		return true
	}
	return eval(c, item)
}

func eval(c Condition, item attr.M) bool {
	switch c := c.(type) {
	case *And:
		return eval(c.A, item) && eval(c.B, item)
	case *Or:
		return eval(c.A, item) || eval(c.B, item)
	case *Not:
		return !eval(c.C, item)
	case *Compare:
		if sa, ok := c.A.(*SizeOperand); ok {
			if n, ok := literalInt(c.B); ok {
				return compareSize(sa, c.Op, n, item, false)
			}
		}
		if sb, ok := c.B.(*SizeOperand); ok {
			if n, ok := literalInt(c.A); ok {
				return compareSize(sb, c.Op, n, item, true)
			}
		}
		a, okA := value(c.A, item)
		b, okB := value(c.B, item)
		if !okA || !okB {
			return c.Op == OpNE
		}
		switch c.Op {
		case OpEQ:
			return attr.Equal(a, b)
		case OpNE:
			return !attr.Equal(a, b)
		}
		r, ok := attr.Compare(a, b)
		return ok && opHolds(c.Op, r)
	case *Between:
		x, ok1 := value(c.X, item)
		lo, ok2 := value(c.Lo, item)
		hi, ok3 := value(c.Hi, item)
		if !ok1 || !ok2 || !ok3 {
			return false
		}
		r1, ok1 := attr.Compare(x, lo)
		r2, ok2 := attr.Compare(x, hi)
		return ok1 && ok2 && r1 >= 0 && r2 <= 0
	case *In:
		x, ok := value(c.X, item)
		if !ok {
			return false
		}
		for _, o := range c.List {
			if y, ok := value(o, item); ok && attr.Equal(x, y) {
				return true
			}
		}
		return false
	case *Func:
		return evalFunc(c, item)
	}
	return false
}

func opHolds(op CompareOp, r int) bool {
	switch op {
	case OpEQ:
		return r == 0
	case OpNE:
		return r != 0
	case OpLT:
		return r < 0
	case OpLE:
		return r <= 0
	case OpGT:
		return r > 0
	case OpGE:
		return r >= 0
	}
	return false
}

// literalInt returns a literal integer operand, for size() comparisons that
// need no Number built.
func literalInt(o Operand) (int64, bool) {
	v, ok := o.(*ValueOperand)
	if !ok {
		return 0, false
	}
	n, ok := v.Value.(attr.Number)
	if !ok {
		return 0, false
	}
	return n.Int64()
}

func compareSize(s *SizeOperand, op CompareOp, n int64, item attr.M, flipped bool) bool {
	v, ok := lookup(item, s.Path)
	if !ok {
		return op == OpNE
	}
	sz, ok := sizeOf(v)
	if !ok {
		return op == OpNE
	}
	a, b := int64(sz), n
	if flipped {
		a, b = b, a
	}
	r := 0
	if a < b {
		r = -1
	} else if a > b {
		r = 1
	}
	return opHolds(op, r)
}

// sizeOf is size(): the length in bytes of S (UTF-8) and B, the number of
// elements of a set or list, of entries of a map. Other types have no size.
func sizeOf(v attr.Value) (int, bool) {
	switch v := v.(type) {
	case attr.S:
		return len(v), true
	case attr.B:
		return len(v), true
	case attr.SS:
		return len(v), true
	case attr.NS:
		return len(v), true
	case attr.BS:
		return len(v), true
	case attr.L:
		return len(v), true
	case attr.M:
		return len(v), true
	}
	return 0, false
}

// value evaluates a condition operand; ok is false when it is missing.
func value(o Operand, item attr.M) (attr.Value, bool) {
	switch o := o.(type) {
	case *PathOperand:
		return lookup(item, o.Path)
	case *ValueOperand:
		return o.Value, o.Value != nil
	case *SizeOperand:
		v, ok := lookup(item, o.Path)
		if !ok {
			return nil, false
		}
		n, ok := sizeOf(v)
		if !ok {
			return nil, false
		}
		return attr.NumberFromInt64(int64(n)), true
	}
	return nil, false
}

func evalFunc(f *Func, item attr.M) bool {
	v, ok := lookup(item, f.Path)
	switch f.Name {
	case FuncAttributeExists:
		return ok
	case FuncAttributeNotExists:
		return !ok
	}
	if !ok {
		return false
	}
	arg, ok := value(f.Arg, item)
	if !ok {
		return false
	}
	switch f.Name {
	case FuncAttributeType:
		s, ok := arg.(attr.S)
		if !ok {
			return false
		}
		t, ok := attr.ParseType(string(s))
		return ok && v.Type() == t
	case FuncBeginsWith:
		switch v := v.(type) {
		case attr.S:
			p, ok := arg.(attr.S)
			return ok && strings.HasPrefix(string(v), string(p))
		case attr.B:
			p, ok := arg.(attr.B)
			return ok && bytes.HasPrefix(v, p)
		}
	case FuncContains:
		// Developer Guide, "Condition and filter expressions, operators, and
		// functions": contains is true for a string containing a substring,
		// a set containing an element, a list containing an element. Binary
		// attributes contain byte subsequences, as in the legacy CONTAINS
		// comparison operator.
		switch v := v.(type) {
		case attr.S:
			p, ok := arg.(attr.S)
			return ok && strings.Contains(string(v), string(p))
		case attr.B:
			p, ok := arg.(attr.B)
			return ok && bytes.Contains(v, p)
		case attr.SS:
			p, ok := arg.(attr.S)
			return ok && slices.Contains(v, string(p))
		case attr.NS:
			p, ok := arg.(attr.Number)
			return ok && slices.Contains(v, p)
		case attr.BS:
			p, ok := arg.(attr.B)
			return ok && slices.ContainsFunc(v, func(b []byte) bool { return bytes.Equal(b, p) })
		case attr.L:
			for _, e := range v {
				if attr.Equal(e, arg) {
					return true
				}
			}
		}
	}
	return false
}
