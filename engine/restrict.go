package engine

import (
	"slices"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
	"github.com/shoaldb/shoal/engine/internal/keys"
)

// Restriction narrows what one request may touch in one table. It is how a
// fine-grained access decision (made outside the engine, by package auth)
// reaches the engine: the engine does not know who asks, only what the
// request may see. A nil *Restriction restricts nothing.
//
// The engine enforces it inside the request's own transaction, against the
// table definition it reads there, and before it reads any item:
//
//   - PartitionKeys: an item operation (get, put, update, delete, condition
//     check; single, batched or transactional) whose key has another
//     partition key value fails with CodeAccessDenied before the item is
//     read, so the answer says nothing about whether the item exists. A
//     query of the table or of a local index for another partition fails
//     the same way; a query of a global index and a scan skip the rows of
//     other partitions as if they were absent (they count nowhere, and no
//     cursor or LastEvaluatedKey points at them). A watch of another
//     partition fails; a watch of the whole table receives only the
//     records of allowed partitions. The partition key is always the
//     table's, also when an index is read, so a user's items stay theirs
//     whichever index finds them.
//   - Attributes: the request may name only these top-level attributes in
//     projections, filters, conditions and update expressions (else
//     CodeAccessDenied before anything is read); every item it receives
//     (results, ReturnValues, the item of a failed condition, change
//     records) is narrowed to them; and, since PutItem and DeleteItem
//     replace or remove every attribute of an item, they are denied: an
//     attribute-restricted caller writes with UpdateItem. List the key
//     attributes too if the caller should see them.
type Restriction struct {
	// PartitionKeys, when not nil, lists the table partition-key values the
	// request may touch; an empty non-nil list allows none.
	PartitionKeys []attr.Value
	// Attributes, when not nil, lists the top-level attribute names the
	// request may read and write; an empty non-nil list allows none.
	Attributes []string
}

func accessDenied(format string, args ...any) *Error {
	return errorf(CodeAccessDenied, format, args...)
}

// errDenied is the one message of a denied item access: it must not depend
// on the stored state.
func errDenied() *Error {
	return accessDenied("access denied: the caller may not access this item")
}

// allowsPartition reports whether pk (a partition key value of t) may be
// touched.
func (r *Restriction) allowsPartition(pk attr.Value) bool {
	if r == nil || r.PartitionKeys == nil {
		return true
	}
	for _, v := range r.PartitionKeys {
		if attr.Equal(v, pk) {
			return true
		}
	}
	return false
}

// checkKey checks an item's primary key before the item is read.
func (r *Restriction) checkKey(k primaryKey) error {
	if !r.allowsPartition(k.pk) {
		return errDenied()
	}
	return nil
}

// encodedPartitions returns the allowed partition keys encoded as the key
// codec does, for comparison with stored keys; nil when unrestricted.
func (r *Restriction) encodedPartitions(t *tableDef) map[string]bool {
	if r == nil || r.PartitionKeys == nil {
		return nil
	}
	set := make(map[string]bool, len(r.PartitionKeys))
	for _, v := range r.PartitionKeys {
		if v.Type() != t.Key.Partition.Type {
			continue
		}
		if enc, err := keys.Append(nil, v); err == nil {
			set[string(enc)] = true
		}
	}
	return set
}

func (r *Restriction) attrsRestricted() bool { return r != nil && r.Attributes != nil }

// checkPaths denies a request naming an attribute outside r.Attributes.
func (r *Restriction) checkPaths(what string, paths []expr.Path) error {
	if !r.attrsRestricted() {
		return nil
	}
	for _, p := range paths {
		if len(p) == 0 {
			continue
		}
		if !slices.Contains(r.Attributes, p[0].Name) {
			return accessDenied("access denied: the caller may not use the attribute %q in %s", p[0].Name, what)
		}
	}
	return nil
}

// checkRead checks what a read names: its projection and filter.
func (r *Restriction) checkRead(proj expr.Projection, filter expr.Condition) error {
	if err := r.checkPaths("a projection", proj); err != nil {
		return err
	}
	return r.checkPaths("a filter", conditionPaths(nil, filter))
}

// checkWholeItemWrite denies puts and deletes to attribute-restricted
// callers.
func (r *Restriction) checkWholeItemWrite(what string) error {
	if r.attrsRestricted() {
		return accessDenied("access denied: %s replaces every attribute of an item and the caller may write only some; use an update", what)
	}
	return nil
}

// narrow returns item reduced to the allowed attributes (item itself when
// unrestricted). It never changes item.
func (r *Restriction) narrow(item attr.Item) attr.Item {
	if !r.attrsRestricted() || item == nil {
		return item
	}
	out := make(attr.Item, len(r.Attributes))
	for _, n := range r.Attributes {
		if v, ok := item[n]; ok {
			out[n] = v
		}
	}
	return out
}

// conditionPaths appends every document path a condition reads.
func conditionPaths(dst []expr.Path, c expr.Condition) []expr.Path {
	switch c := c.(type) {
	case *expr.Compare:
		dst = operandPaths(operandPaths(dst, c.A), c.B)
	case *expr.Between:
		dst = operandPaths(operandPaths(operandPaths(dst, c.X), c.Lo), c.Hi)
	case *expr.In:
		dst = operandPaths(dst, c.X)
		for _, o := range c.List {
			dst = operandPaths(dst, o)
		}
	case *expr.And:
		dst = conditionPaths(conditionPaths(dst, c.A), c.B)
	case *expr.Or:
		dst = conditionPaths(conditionPaths(dst, c.A), c.B)
	case *expr.Not:
		dst = conditionPaths(dst, c.C)
	case *expr.Func:
		dst = append(dst, c.Path)
		dst = operandPaths(dst, c.Arg)
	}
	return dst
}

func operandPaths(dst []expr.Path, o expr.Operand) []expr.Path {
	switch o := o.(type) {
	case *expr.PathOperand:
		dst = append(dst, o.Path)
	case *expr.SizeOperand:
		dst = append(dst, o.Path)
	case *expr.IfNotExists:
		dst = operandPaths(append(dst, o.Path), o.Value)
	case *expr.ListAppend:
		dst = operandPaths(operandPaths(dst, o.A), o.B)
	case *expr.Arith:
		dst = operandPaths(operandPaths(dst, o.A), o.B)
	}
	return dst
}

// updatePaths returns every path an update writes or reads.
func updatePaths(u *expr.Update) []expr.Path {
	if u == nil {
		return nil
	}
	var ps []expr.Path
	for _, a := range u.Set {
		ps = operandPaths(append(ps, a.Path), a.Value)
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
