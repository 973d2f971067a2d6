package expr

import (
	"github.com/shoaldb/shoal/engine/attr"
)

// validator checks resolved trees: those bound from text (for the checks
// that need the values) and those built by hand.
type validator struct {
	kind kind
	ops  int
}

// ValidateCondition checks a condition built by hand (conditions from
// Params.Condition are already valid): every node complete, functions with
// the right number and kinds of operands, attribute_type naming a type,
// literal operands of ordering comparisons and begins_with of types that
// order, BETWEEN bounds in order, IN with 1 to MaxInOperands operands, paths
// valid, at most MaxOperators operators and functions.
func ValidateCondition(c Condition) error {
	if c == nil {
		return nil
	}
	v := validator{kind: kindCondition}
	return v.condition(c)
}

func (v *validator) count() error {
	v.ops++
	if v.ops > MaxOperators {
		return errorf("Invalid %s: The expression contains too many operators or functions; limit: %d", v.kind, MaxOperators)
	}
	return nil
}

func (v *validator) path(p Path) error {
	if len(p) == 0 {
		return errorf("Invalid %s: A document path can not be empty", v.kind)
	}
	if p[0].IsIndex {
		return errorf("Invalid %s: A document path must start with an attribute name; path: %s", v.kind, p)
	}
	if len(p) > MaxPathDepth {
		return errorf("Invalid %s: The document path has too many nesting levels; limit: %d; path: %s", v.kind, MaxPathDepth, p)
	}
	for _, e := range p {
		if e.IsIndex && e.Index < 0 {
			return errorf("Invalid %s: List index is out of range; path: %s", v.kind, p)
		}
		if !e.IsIndex && e.Name == "" {
			return errorf("Invalid %s: An attribute name in a document path can not be empty; path: %s", v.kind, p)
		}
	}
	return nil
}

func (v *validator) condition(c Condition) error {
	if err := v.count(); err != nil {
		return err
	}
	switch c := c.(type) {
	case *And:
		return v.both(c.A, c.B)
	case *Or:
		return v.both(c.A, c.B)
	case *Not:
		if c.C == nil {
			return errorf("Invalid %s: NOT needs an operand", v.kind)
		}
		return v.condition(c.C)
	case *Compare:
		if c.Op < OpEQ || c.Op > OpGE {
			return errorf("Invalid %s: unknown comparator %d", v.kind, c.Op)
		}
		for _, o := range [2]Operand{c.A, c.B} {
			if err := v.operand(o); err != nil {
				return err
			}
			if c.Op != OpEQ && c.Op != OpNE {
				if err := v.orderable(o, c.Op.String()); err != nil {
					return err
				}
			}
		}
		return nil
	case *Between:
		for _, o := range [3]Operand{c.X, c.Lo, c.Hi} {
			if err := v.operand(o); err != nil {
				return err
			}
			if err := v.orderable(o, "BETWEEN"); err != nil {
				return err
			}
		}
		lo, ok1 := c.Lo.(*ValueOperand)
		hi, ok2 := c.Hi.(*ValueOperand)
		if ok1 && ok2 {
			if r, ok := attr.Compare(lo.Value, hi.Value); ok && r > 0 {
				return errorf("Invalid %s: The BETWEEN operator requires upper bound to be greater than or equal to lower bound", v.kind)
			}
		}
		return nil
	case *In:
		if len(c.List) == 0 || len(c.List) > MaxInOperands {
			return errorf("Invalid %s: The IN operator needs 1 to %d operands; got %d", v.kind, MaxInOperands, len(c.List))
		}
		if err := v.operand(c.X); err != nil {
			return err
		}
		for _, o := range c.List {
			if err := v.operand(o); err != nil {
				return err
			}
		}
		return nil
	case *Func:
		return v.function(c)
	case nil:
		return errorf("Invalid %s: missing condition", v.kind)
	}
	return errorf("Invalid %s: unsupported condition %T", v.kind, c)
}

func (v *validator) both(a, b Condition) error {
	if a == nil || b == nil {
		return errorf("Invalid %s: AND and OR need two operands", v.kind)
	}
	if err := v.condition(a); err != nil {
		return err
	}
	return v.condition(b)
}

// operand checks a condition operand.
func (v *validator) operand(o Operand) error {
	switch o := o.(type) {
	case *PathOperand:
		return v.path(o.Path)
	case *ValueOperand:
		if o.Value == nil {
			return errorf("Invalid %s: A value operand has no value%s", v.kind, refNote(o.ref))
		}
		return nil
	case *SizeOperand:
		if err := v.count(); err != nil {
			return err
		}
		return v.path(o.Path)
	case nil:
		return errorf("Invalid %s: missing operand", v.kind)
	}
	return errorf("Invalid %s: The function is not allowed in a %s; operand: %T", v.kind, v.kind, o)
}

// orderable rejects literal operands that <, <=, >, >= and BETWEEN cannot
// order: only S, N and B have an order.
func (v *validator) orderable(o Operand, op string) error {
	if vo, ok := o.(*ValueOperand); ok {
		switch vo.Value.(type) {
		case attr.S, attr.Number, attr.B:
		default:
			return errorf("Invalid %s: Incorrect operand type for operator or function; operator: %s, operand type: %s%s", v.kind, op, typeName(vo.Value), refNote(vo.ref))
		}
	}
	return nil
}

// validTypes is attribute_type's list of type names, in DynamoDB's message.
const validTypes = "{ S, SS, N, NS, B, BS, BOOL, NULL, L, M }"

func (v *validator) function(f *Func) error {
	if err := v.path(f.Path); err != nil {
		return err
	}
	switch f.Name {
	case FuncAttributeExists, FuncAttributeNotExists:
		if f.Arg != nil {
			return errorf("Invalid %s: Incorrect number of operands for operator or function; operator or function: %s, number of operands: 2", v.kind, f.Name)
		}
		return nil
	case FuncAttributeType, FuncBeginsWith, FuncContains:
	default:
		return errorf("Invalid %s: Invalid function name; function: %s", v.kind, f.Name)
	}
	if f.Arg == nil {
		return errorf("Invalid %s: Incorrect number of operands for operator or function; operator or function: %s, number of operands: 1", v.kind, f.Name)
	}
	if err := v.operand(f.Arg); err != nil {
		return err
	}
	vo, literal := f.Arg.(*ValueOperand)
	switch f.Name {
	case FuncAttributeType:
		if !literal {
			return errorf("Invalid %s: Incorrect operand type for operator or function; operator or function: attribute_type, the second operand must be an expression attribute value", v.kind)
		}
		s, ok := vo.Value.(attr.S)
		if !ok {
			return errorf("Invalid %s: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: %s%s", v.kind, typeName(vo.Value), refNote(vo.ref))
		}
		if _, ok := attr.ParseType(string(s)); !ok {
			return errorf("Invalid %s: Invalid attribute type name found; type: %s, valid types: %s%s", v.kind, s, validTypes, refNote(vo.ref))
		}
	case FuncBeginsWith:
		if _, ok := f.Arg.(*SizeOperand); ok {
			return errorf("Invalid %s: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N", v.kind)
		}
		if literal {
			switch vo.Value.(type) {
			case attr.S, attr.B:
			default:
				return errorf("Invalid %s: Incorrect operand type for operator or function; operator or function: begins_with, operand type: %s%s", v.kind, typeName(vo.Value), refNote(vo.ref))
			}
		}
	}
	return nil
}

// setValue checks the value of a SET action.
func (v *validator) setValue(o Operand) error {
	if a, ok := o.(*Arith); ok {
		if err := v.count(); err != nil {
			return err
		}
		if a.Op != '+' && a.Op != '-' {
			return errorf("Invalid UpdateExpression: unknown arithmetic operator %q", a.Op)
		}
		for _, x := range [2]Operand{a.A, a.B} {
			if err := v.updateOperand(x); err != nil {
				return err
			}
			if vo, ok := x.(*ValueOperand); ok {
				if _, ok := vo.Value.(attr.Number); !ok {
					return errorf("Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: %c, operand type: %s%s", a.Op, typeName(vo.Value), refNote(vo.ref))
				}
			}
		}
		return nil
	}
	return v.updateOperand(o)
}

func (v *validator) updateOperand(o Operand) error {
	switch o := o.(type) {
	case *PathOperand:
		return v.path(o.Path)
	case *ValueOperand:
		if o.Value == nil {
			return errorf("Invalid UpdateExpression: A value operand has no value%s", refNote(o.ref))
		}
		return nil
	case *IfNotExists:
		if err := v.count(); err != nil {
			return err
		}
		if err := v.path(o.Path); err != nil {
			return err
		}
		return v.updateOperand(o.Value)
	case *ListAppend:
		if err := v.count(); err != nil {
			return err
		}
		for _, x := range [2]Operand{o.A, o.B} {
			if err := v.updateOperand(x); err != nil {
				return err
			}
			if vo, ok := x.(*ValueOperand); ok {
				if _, ok := vo.Value.(attr.L); !ok {
					return errorf("Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: %s%s", typeName(vo.Value), refNote(vo.ref))
				}
			}
		}
		return nil
	case *Arith:
		return errorf("Invalid UpdateExpression: Syntax error; arithmetic may appear only once, at the top of a SET action's value")
	case *SizeOperand:
		return errorf("Invalid UpdateExpression: The function is not allowed in an update expression; function: size")
	case nil:
		return errorf("Invalid UpdateExpression: missing operand")
	}
	return errorf("Invalid UpdateExpression: unsupported operand %T", o)
}
