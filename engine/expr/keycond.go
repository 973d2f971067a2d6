package expr

import (
	"github.com/shoaldb/shoal/engine/attr"
)

// SortOp is the comparison of a key condition on the sort key.
type SortOp uint8

// The sort key conditions.
const (
	SortEQ         SortOp = iota + 1 // sk = :v
	SortLT                           // sk < :v
	SortLE                           // sk <= :v
	SortGT                           // sk > :v
	SortGE                           // sk >= :v
	SortBetween                      // sk BETWEEN :lo AND :hi
	SortBeginsWith                   // begins_with(sk, :prefix)
)

var sortOpText = [...]string{SortEQ: "=", SortLT: "<", SortLE: "<=", SortGT: ">", SortGE: ">=", SortBetween: "BETWEEN", SortBeginsWith: "begins_with"}

// String returns the operator as written in expressions.
func (op SortOp) String() string {
	if op > 0 && int(op) < len(sortOpText) {
		return sortOpText[op]
	}
	return "SortOp(?)"
}

// KeyCondition is a Query's key condition: the partition key's value and
// at most one condition on the sort key.
type KeyCondition struct {
	PartitionName  string
	PartitionValue attr.Value
	Sort           *SortCondition
}

// SortCondition is the condition on the sort key: one value, two for
// BETWEEN (low, high).
type SortCondition struct {
	Name   string
	Op     SortOp
	Values []attr.Value
}

// keyPart is one comparison of a parsed key condition, not yet bound.
type keyPart struct {
	name   string // raw: may be a "#name" placeholder
	op     SortOp
	values []*ValueOperand
}

func keyErr(format string, args ...any) *Error {
	return errorf("Invalid KeyConditionExpression: "+format, args...)
}

// keyParts checks the shape of a parsed key condition: one or two
// comparisons joined by AND, each of a top-level attribute with values.
// Source: Developer Guide, "Key condition expressions for the Query
// operation in DynamoDB".
func keyParts(c Condition) ([]keyPart, error) {
	var leaves []Condition
	var flatten func(c Condition) error
	flatten = func(c Condition) error {
		switch c := c.(type) {
		case *And:
			if err := flatten(c.A); err != nil {
				return err
			}
			return flatten(c.B)
		case *Or:
			return keyErr("Invalid operator used in KeyConditionExpression: OR")
		case *Not:
			return keyErr("Invalid operator used in KeyConditionExpression: NOT")
		}
		leaves = append(leaves, c)
		return nil
	}
	if err := flatten(c); err != nil {
		return nil, err
	}
	if len(leaves) > 2 {
		return nil, keyErr("KeyConditionExpressions must only contain one condition per key; conditions: %d", len(leaves))
	}
	parts := make([]keyPart, 0, 2)
	for _, l := range leaves {
		var kp keyPart
		var pathOp Operand
		switch l := l.(type) {
		case *Compare:
			a, b := l.A, l.B
			op := l.Op
			if _, ok := a.(*ValueOperand); ok {
				// :v < sk is sk > :v.
				a, b = b, a
				op = map[CompareOp]CompareOp{OpEQ: OpEQ, OpNE: OpNE, OpLT: OpGT, OpLE: OpGE, OpGT: OpLT, OpGE: OpLE}[op]
			}
			switch op {
			case OpEQ:
				kp.op = SortEQ
			case OpLT:
				kp.op = SortLT
			case OpLE:
				kp.op = SortLE
			case OpGT:
				kp.op = SortGT
			case OpGE:
				kp.op = SortGE
			default:
				return nil, keyErr("Invalid operator used in KeyConditionExpression: %s", op)
			}
			pathOp = a
			vo, ok := b.(*ValueOperand)
			if !ok {
				return nil, keyErr("A key condition must compare a key attribute with an expression attribute value")
			}
			kp.values = []*ValueOperand{vo}
		case *Between:
			kp.op = SortBetween
			pathOp = l.X
			lo, ok1 := l.Lo.(*ValueOperand)
			hi, ok2 := l.Hi.(*ValueOperand)
			if !ok1 || !ok2 {
				return nil, keyErr("The bounds of BETWEEN must be expression attribute values")
			}
			kp.values = []*ValueOperand{lo, hi}
		case *Func:
			if l.Name != FuncBeginsWith {
				return nil, keyErr("Invalid operator used in KeyConditionExpression: %s", l.Name)
			}
			kp.op = SortBeginsWith
			pathOp = &PathOperand{Path: l.Path}
			vo, ok := l.Arg.(*ValueOperand)
			if !ok {
				return nil, keyErr("The prefix of begins_with must be an expression attribute value")
			}
			kp.values = []*ValueOperand{vo}
		case *In:
			return nil, keyErr("Invalid operator used in KeyConditionExpression: IN")
		}
		switch po := pathOp.(type) {
		case *PathOperand:
			if len(po.Path) != 1 {
				return nil, keyErr("Key conditions may only name top-level key attributes; nested path: %s", po.Path)
			}
			kp.name = po.Path[0].Name
		case *SizeOperand:
			return nil, keyErr("Invalid operator used in KeyConditionExpression: size")
		default:
			return nil, keyErr("A key condition must compare a key attribute with an expression attribute value")
		}
		parts = append(parts, kp)
	}
	return parts, nil
}

// KeyCondition parses and binds a Query's key condition expression. The
// partition key is the attribute compared with =; when both conditions are
// equalities, the first is taken as the partition key and
// KeyCondition.ForSchema puts them right.
func (p *Params) KeyCondition(text string) (*KeyCondition, error) {
	pr, err := p.prepare(text, kindKeyCondition)
	if err != nil {
		return nil, err
	}
	type part struct {
		name   string
		op     SortOp
		values []attr.Value
	}
	parts := make([]part, len(pr.key))
	for i, kp := range pr.key {
		name := kp.name
		if len(name) > 0 && name[0] == '#' {
			name = p.Names[name]
		}
		vals := make([]attr.Value, len(kp.values))
		for j, vo := range kp.values {
			v := p.Values[vo.ref]
			switch v.(type) {
			case attr.S, attr.Number, attr.B:
			default:
				return nil, keyErr("Key attribute values must be of type S, N or B; %s is %s", vo.ref, typeName(v))
			}
			vals[j] = v
		}
		switch kp.op {
		case SortBeginsWith:
			if _, ok := vals[0].(attr.Number); ok {
				return nil, keyErr("Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
			}
		case SortBetween:
			r, ok := attr.Compare(vals[0], vals[1])
			if !ok {
				return nil, keyErr("The bounds of BETWEEN must be of the same type")
			}
			if r > 0 {
				return nil, keyErr("The BETWEEN operator requires upper bound to be greater than or equal to lower bound")
			}
		}
		parts[i] = part{name, kp.op, vals}
	}
	if len(parts) == 2 && parts[0].name == parts[1].name {
		return nil, keyErr("KeyConditionExpressions must only contain one condition per key; attribute: %s", parts[0].name)
	}
	if len(parts) == 2 && parts[0].op != SortEQ {
		parts[0], parts[1] = parts[1], parts[0]
	}
	if parts[0].op != SortEQ {
		return nil, keyErr("Query key condition not supported: the partition key must be compared with =")
	}
	kc := &KeyCondition{PartitionName: parts[0].name, PartitionValue: parts[0].values[0]}
	if len(parts) == 2 {
		kc.Sort = &SortCondition{Name: parts[1].name, Op: parts[1].op, Values: parts[1].values}
	}
	return kc, nil
}

// ForSchema checks k against a table's or index's key schema and returns it
// with the partition and sort conditions in their places (swapping them when
// both are equalities written sort key first). sort is "" for a table
// without a sort key.
func (k *KeyCondition) ForSchema(partition, sort string) (*KeyCondition, error) {
	out := *k
	if out.PartitionName != partition {
		if out.Sort == nil || out.Sort.Name != partition || out.Sort.Op != SortEQ {
			return nil, keyErr("Query condition missed key schema element: %s", partition)
		}
		out.Sort = &SortCondition{Name: k.PartitionName, Op: SortEQ, Values: []attr.Value{k.PartitionValue}}
		out.PartitionName, out.PartitionValue = k.Sort.Name, k.Sort.Values[0]
	}
	if out.Sort != nil && out.Sort.Name != sort {
		if sort == "" {
			return nil, keyErr("Query condition references a non-key attribute: %s (the key schema has no sort key)", out.Sort.Name)
		}
		return nil, keyErr("Query condition missed key schema element: %s; non-key attribute: %s", sort, out.Sort.Name)
	}
	return &out, nil
}
