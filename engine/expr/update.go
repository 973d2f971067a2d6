package expr

import (
	"bytes"
	"slices"
	"strings"

	"github.com/shoaldb/shoal/engine/attr"
)

// Update is a parsed update expression: its actions by clause, each clause's
// actions in text order.
type Update struct {
	Set    []SetAction
	Remove []Path
	Add    []AddAction
	Delete []DeleteAction
}

// SetAction is SET Path = Value. Value is a *PathOperand, *ValueOperand,
// *IfNotExists, *ListAppend or *Arith.
type SetAction struct {
	Path  Path
	Value Operand
}

// AddAction is ADD Path Value: Value is a number or a set.
type AddAction struct {
	Path  Path
	Value attr.Value

	ref string
}

// DeleteAction is DELETE Path Value: Value is a set.
type DeleteAction struct {
	Path  Path
	Value attr.Value

	ref string
}

// paths returns every path the update writes, in clause order.
func (u *Update) paths() []Path {
	ps := make([]Path, 0, len(u.Set)+len(u.Remove)+len(u.Add)+len(u.Delete))
	for _, a := range u.Set {
		ps = append(ps, a.Path)
	}
	ps = append(ps, u.Remove...)
	for _, a := range u.Add {
		ps = append(ps, a.Path)
	}
	for _, a := range u.Delete {
		ps = append(ps, a.Path)
	}
	return ps
}

// UpdatedPaths returns the paths the update writes, as a projection: what
// ReturnValues UPDATED_OLD and UPDATED_NEW return.
func (u *Update) UpdatedPaths() Projection {
	if u == nil {
		return nil
	}
	return Projection(u.paths())
}

// Validate checks an update built by hand or bound from text: at least one
// action; every path valid; operands of the right kinds and literal values
// of the right types; the operator limit; no two paths overlapping (one a
// prefix of the other) or conflicting (the same step used as a map key and a
// list index); and no path touching one of keyAttrs, the table's key
// attributes.
func (u *Update) Validate(keyAttrs ...string) error {
	if u == nil || len(u.Set)+len(u.Remove)+len(u.Add)+len(u.Delete) == 0 {
		return errorf("Invalid UpdateExpression: The expression can not be empty")
	}
	v := validator{kind: kindUpdate}
	for _, a := range u.Set {
		if err := v.path(a.Path); err != nil {
			return err
		}
		if err := v.setValue(a.Value); err != nil {
			return err
		}
	}
	for _, p := range u.Remove {
		if err := v.path(p); err != nil {
			return err
		}
	}
	for _, a := range u.Add {
		if err := v.path(a.Path); err != nil {
			return err
		}
		switch a.Value.(type) {
		case attr.Number, attr.SS, attr.NS, attr.BS:
		default:
			return errorf("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: %s%s", typeName(a.Value), refNote(a.ref))
		}
	}
	for _, a := range u.Delete {
		if err := v.path(a.Path); err != nil {
			return err
		}
		switch a.Value.(type) {
		case attr.SS, attr.NS, attr.BS:
		default:
			return errorf("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: %s%s", typeName(a.Value), refNote(a.ref))
		}
	}
	if err := checkOverlap(u.paths(), kindUpdate); err != nil {
		return err
	}
	for _, p := range u.paths() {
		for _, k := range keyAttrs {
			if p[0].Name == k {
				return errorf("Cannot update attribute %s. This attribute is part of the key", k)
			}
		}
	}
	return nil
}

func typeName(v attr.Value) string {
	if v == nil {
		return "none"
	}
	return v.Type().String()
}

func refNote(ref string) string {
	if ref == "" {
		return ""
	}
	return ", value: " + ref
}

// checkOverlap reports two paths of which one is a prefix of the other
// (overlap), or which use the same step once as a map key and once as a list
// index (conflict). Source: Developer Guide, "Using update expressions in
// DynamoDB" and "Using projection expressions in DynamoDB"; the messages are
// DynamoDB's.
func checkOverlap(paths []Path, k kind) error {
	for i := 0; i < len(paths); i++ {
		for j := i + 1; j < len(paths); j++ {
			a, b := paths[i], paths[j]
			n := min(len(a), len(b))
			same := true
			for x := 0; x < n; x++ {
				if a[x] == b[x] {
					continue
				}
				if a[x].IsIndex != b[x].IsIndex {
					return errorf("Invalid %s: %s; path one: %s, path two: %s", k, msgConflict, a, b)
				}
				same = false
				break
			}
			if same {
				return errorf("Invalid %s: %s; path one: %s, path two: %s", k, msgOverlap, a, b)
			}
		}
	}
	return nil
}

// Apply returns the item that results from applying u to item (nil when
// there is no item yet: an upsert). It never modifies item or anything
// reachable from it: containers along modified paths are copied, everything
// else is shared with item.
//
// As in DynamoDB, every operand is evaluated against the item as it was
// before the update (Developer Guide, "Using update expressions in
// DynamoDB"). SET actions run first, in path order, so that several list
// elements set past the end of one list are appended in index order; then
// REMOVE, with several indexes of one list all taken from the positions
// before the removal; then ADD and DELETE. Errors are *Error with Pos -1.
func (u *Update) Apply(item attr.M) (attr.M, error) {
	// Evaluate SET values against the old item first.
	type setOp struct {
		path Path
		v    attr.Value
	}
	sets := make([]setOp, len(u.Set))
	for i, a := range u.Set {
		v, err := updateValue(a.Value, item)
		if err != nil {
			return nil, err
		}
		sets[i] = setOp{a.Path, v}
	}
	slices.SortStableFunc(sets, func(a, b setOp) int { return comparePaths(a.path, b.path) })

	out := make(attr.M, len(item)+len(u.Set)+len(u.Add))
	for k, v := range item {
		out[k] = v
	}
	var root attr.Value = out
	var err error
	for _, s := range sets {
		v := s.v
		root, err = modify(root, s.path, true, func(attr.Value, bool) (attr.Value, bool, error) { return v, true, nil })
		if err != nil {
			return nil, err
		}
	}
	if root, err = applyRemoves(root, u.Remove); err != nil {
		return nil, err
	}
	for _, a := range u.Add {
		av := a.Value
		root, err = modify(root, a.Path, true, func(old attr.Value, ok bool) (attr.Value, bool, error) {
			if !ok {
				return av, true, nil
			}
			nv, err := addValues(old, av)
			return nv, true, err
		})
		if err != nil {
			return nil, err
		}
	}
	for _, a := range u.Delete {
		dv := a.Value
		root, err = modify(root, a.Path, false, func(old attr.Value, ok bool) (attr.Value, bool, error) {
			if !ok {
				return nil, false, nil
			}
			return deleteValues(old, dv)
		})
		if err != nil {
			return nil, err
		}
	}
	return root.(attr.M), nil
}

// comparePaths orders paths element by element: names by string, indexes
// numerically, names before indexes.
func comparePaths(a, b Path) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		switch {
		case x.IsIndex && y.IsIndex:
			if c := x.Index - y.Index; c != 0 {
				return c
			}
		case x.IsIndex != y.IsIndex:
			if x.IsIndex {
				return 1
			}
			return -1
		default:
			if c := strings.Compare(x.Name, y.Name); c != 0 {
				return c
			}
		}
	}
	return len(a) - len(b)
}

// updateValue evaluates a SET action's value against the old item.
func updateValue(o Operand, item attr.M) (attr.Value, error) {
	switch o := o.(type) {
	case *ValueOperand:
		return o.Value, nil
	case *PathOperand:
		v, ok := lookup(item, o.Path)
		if !ok {
			return nil, errorf("%s; path: %s", msgMissingOperand, o.Path)
		}
		return v, nil
	case *IfNotExists:
		if v, ok := lookup(item, o.Path); ok {
			return v, nil
		}
		return updateValue(o.Value, item)
	case *ListAppend:
		la, lb, err := updateOperands[attr.L](o.A, o.B, item, "operator or function: list_append")
		if err != nil {
			return nil, err
		}
		out := make(attr.L, 0, len(la)+len(lb))
		return append(append(out, la...), lb...), nil
	case *Arith:
		na, nb, err := updateOperands[attr.Number](o.A, o.B, item, "operator: "+string(rune(o.Op)))
		if err != nil {
			return nil, err
		}
		var r attr.Number
		if o.Op == '-' {
			r, err = na.Sub(nb)
		} else {
			r, err = na.Add(nb)
		}
		if err != nil {
			return nil, errorf("%s", err.Error())
		}
		return r, nil
	}
	return nil, errorf("Invalid UpdateExpression: unsupported operand %T", o)
}

// updateOperands evaluates the two operands of list_append or of + and -,
// which must both be a T; operator names the operation in the error that
// says otherwise.
func updateOperands[T attr.Value](x, y Operand, item attr.M, operator string) (a, b T, err error) {
	va, err := updateValue(x, item)
	if err != nil {
		return a, b, err
	}
	vb, err := updateValue(y, item)
	if err != nil {
		return a, b, err
	}
	a, okA := va.(T)
	b, okB := vb.(T)
	if !okA || !okB {
		wrong := va
		if okA {
			wrong = vb
		}
		return a, b, errorf("%s; %s, operand type: %s", msgIncorrectType, operator, typeName(wrong))
	}
	return a, b, nil
}

// leafFunc computes the new value at a path from the old one (ok reports
// whether it existed). It returns keep=false to remove the element.
type leafFunc func(old attr.Value, ok bool) (nv attr.Value, keep bool, err error)

// modify returns a copy of container c with fn applied at path p; the
// containers along p are copied, the rest shared. Every container before the
// last step must exist and be of the kind the step needs, or the path is
// invalid for update. create says whether fn may add an element that does
// not exist (a list index past the end appends).
func modify(c attr.Value, p Path, create bool, fn leafFunc) (attr.Value, error) {
	e := p[0]
	if e.IsIndex {
		l, ok := c.(attr.L)
		if !ok {
			return nil, errorf("%s; path: %s", msgInvalidUpdatePath, p)
		}
		if len(p) > 1 {
			if e.Index >= len(l) {
				return nil, errorf("%s; path: %s", msgInvalidUpdatePath, p)
			}
			child, err := modify(l[e.Index], p[1:], create, fn)
			if err != nil {
				return nil, err
			}
			nl := slices.Clone(l)
			nl[e.Index] = child
			return nl, nil
		}
		if e.Index >= len(l) {
			nv, keep, err := fn(nil, false)
			if err != nil || !keep || !create {
				return c, err
			}
			out := make(attr.L, len(l), len(l)+1)
			copy(out, l)
			return append(out, nv), nil
		}
		nv, keep, err := fn(l[e.Index], true)
		if err != nil {
			return nil, err
		}
		if !keep {
			return slices.Delete(slices.Clone(l), e.Index, e.Index+1), nil
		}
		nl := slices.Clone(l)
		nl[e.Index] = nv
		return nl, nil
	}
	m, ok := c.(attr.M)
	if !ok {
		return nil, errorf("%s; path: %s", msgInvalidUpdatePath, p)
	}
	old, exists := m[e.Name]
	var nv attr.Value
	keep := true
	var err error
	if len(p) > 1 {
		if !exists {
			return nil, errorf("%s; path: %s", msgInvalidUpdatePath, p)
		}
		nv, err = modify(old, p[1:], create, fn)
	} else {
		nv, keep, err = fn(old, exists)
	}
	if err != nil {
		return nil, err
	}
	if !keep && !exists {
		return c, nil
	}
	nm := make(attr.M, len(m)+1)
	for k, v := range m {
		nm[k] = v
	}
	if keep {
		nm[e.Name] = nv
	} else {
		delete(nm, e.Name)
	}
	return nm, nil
}

// applyRemoves removes paths; the list indexes removed from one list are all
// taken from its positions before any removal.
func applyRemoves(root attr.Value, paths []Path) (attr.Value, error) {
	var err error
	done := make([]bool, len(paths))
	for i, p := range paths {
		if done[i] {
			continue
		}
		last := p[len(p)-1]
		if !last.IsIndex {
			root, err = modify(root, p, false, func(attr.Value, bool) (attr.Value, bool, error) { return nil, false, nil })
			if err != nil {
				return nil, err
			}
			continue
		}
		parent := p[:len(p)-1]
		idx := []int{last.Index}
		for j := i + 1; j < len(paths); j++ {
			q := paths[j]
			if !done[j] && q[len(q)-1].IsIndex && parent.equal(q[:len(q)-1]) {
				idx = append(idx, q[len(q)-1].Index)
				done[j] = true
			}
		}
		root, err = modify(root, parent, false, func(old attr.Value, ok bool) (attr.Value, bool, error) {
			if !ok {
				return nil, false, errorf("%s; path: %s", msgInvalidUpdatePath, p)
			}
			l, isList := old.(attr.L)
			if !isList {
				return nil, false, errorf("%s; path: %s", msgInvalidUpdatePath, p)
			}
			nl := make(attr.L, 0, len(l))
			for k, v := range l {
				if !slices.Contains(idx, k) {
					nl = append(nl, v)
				}
			}
			return nl, true, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return root, nil
}

// addValues is ADD on an existing attribute: number addition or set union.
func addValues(old, v attr.Value) (attr.Value, error) {
	switch o := old.(type) {
	case attr.Number:
		if n, ok := v.(attr.Number); ok {
			r, err := o.Add(n)
			if err != nil {
				return nil, errorf("%s", err.Error())
			}
			return r, nil
		}
	case attr.SS:
		if s, ok := v.(attr.SS); ok {
			out := slices.Clone(o)
			for _, x := range s {
				if !slices.Contains(out, x) {
					out = append(out, x)
				}
			}
			return out, nil
		}
	case attr.NS:
		if s, ok := v.(attr.NS); ok {
			out := slices.Clone(o)
			for _, x := range s {
				if !slices.Contains(out, x) { // Numbers are normalized: == is numeric equality
					out = append(out, x)
				}
			}
			return out, nil
		}
	case attr.BS:
		if s, ok := v.(attr.BS); ok {
			out := slices.Clone(o)
			for _, x := range s {
				if !slices.ContainsFunc(out, func(y []byte) bool { return bytes.Equal(x, y) }) {
					out = append(out, x)
				}
			}
			return out, nil
		}
	}
	return nil, errorf("%s; operator: ADD, existing type: %s, operand type: %s", msgIncorrectType, typeName(old), typeName(v))
}

// deleteValues is DELETE on an existing attribute: set difference; an empty
// result removes the attribute.
func deleteValues(old, v attr.Value) (attr.Value, bool, error) {
	switch o := old.(type) {
	case attr.SS:
		if s, ok := v.(attr.SS); ok {
			out := slices.DeleteFunc(slices.Clone(o), func(x string) bool { return slices.Contains(s, x) })
			return out, len(out) > 0, nil
		}
	case attr.NS:
		if s, ok := v.(attr.NS); ok {
			out := slices.DeleteFunc(slices.Clone(o), func(x attr.Number) bool { return slices.Contains(s, x) })
			return out, len(out) > 0, nil
		}
	case attr.BS:
		if s, ok := v.(attr.BS); ok {
			out := slices.DeleteFunc(slices.Clone(o), func(x []byte) bool {
				return slices.ContainsFunc(s, func(y []byte) bool { return bytes.Equal(x, y) })
			})
			return out, len(out) > 0, nil
		}
	}
	return nil, false, errorf("%s; operator: DELETE, existing type: %s, operand type: %s", msgIncorrectType, typeName(old), typeName(v))
}
