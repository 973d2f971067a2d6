package expr

import (
	"strconv"
	"strings"

	"github.com/shoaldb/shoal/engine/attr"
)

// PathElem is one step of a document path: a map key (Name) or a list
// index (Index, with IsIndex set).
type PathElem struct {
	Name    string
	Index   int
	IsIndex bool
}

// Path is a document path such as a.b[2].c. A valid path starts with a name
// and has at most MaxPathDepth elements.
type Path []PathElem

// String prints the path for messages: a.b[2].c. Names are printed as they
// are, without quoting.
func (p Path) String() string {
	var b strings.Builder
	for i, e := range p {
		if e.IsIndex {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(e.Index))
			b.WriteByte(']')
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(e.Name)
	}
	return b.String()
}

// equal reports whether p and q are the same path.
func (p Path) equal(q Path) bool {
	if len(p) != len(q) {
		return false
	}
	for i := range p {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// Operand is a value in an expression: *PathOperand, *ValueOperand,
// *SizeOperand, and in update expressions also *IfNotExists, *ListAppend and
// *Arith.
type Operand interface{ operand() }

// PathOperand is the value of the attribute at Path.
type PathOperand struct{ Path Path }

// ValueOperand is a literal value (an expression attribute value).
type ValueOperand struct {
	Value attr.Value

	ref string // the placeholder (":v") it came from, if parsed
}

// SizeOperand is size(Path): the length of a string or binary, the number
// of elements of a set or list, or of entries of a map.
type SizeOperand struct{ Path Path }

// IfNotExists is if_not_exists(Path, Value): the attribute at Path if it
// exists, else Value. Update expressions only.
type IfNotExists struct {
	Path  Path
	Value Operand
}

// ListAppend is list_append(A, B): the concatenation of two lists. Update
// expressions only.
type ListAppend struct{ A, B Operand }

// Arith is A + B or A - B on numbers. Op is '+' or '-'. Update expressions
// only, and only at the top of a SET action's value.
type Arith struct {
	Op   byte
	A, B Operand
}

func (*PathOperand) operand()  {}
func (*ValueOperand) operand() {}
func (*SizeOperand) operand()  {}
func (*IfNotExists) operand()  {}
func (*ListAppend) operand()   {}
func (*Arith) operand()        {}

// CompareOp is a comparator: = <> < <= > >=.
type CompareOp uint8

// The comparators.
const (
	OpEQ CompareOp = iota + 1 // =
	OpNE                      // <>
	OpLT                      // <
	OpLE                      // <=
	OpGT                      // >
	OpGE                      // >=
)

var compareOpText = [...]string{OpEQ: "=", OpNE: "<>", OpLT: "<", OpLE: "<=", OpGT: ">", OpGE: ">="}

// String returns the comparator's symbol.
func (op CompareOp) String() string {
	if int(op) < len(compareOpText) && op > 0 {
		return compareOpText[op]
	}
	return "CompareOp(" + strconv.Itoa(int(op)) + ")"
}

// FuncName names a condition function.
type FuncName string

// The condition functions. size is an operand (SizeOperand), not a FuncName.
const (
	FuncAttributeExists    FuncName = "attribute_exists"     // attribute_exists(path)
	FuncAttributeNotExists FuncName = "attribute_not_exists" // attribute_not_exists(path)
	FuncAttributeType      FuncName = "attribute_type"       // attribute_type(path, :type)
	FuncBeginsWith         FuncName = "begins_with"          // begins_with(path, operand)
	FuncContains           FuncName = "contains"             // contains(path, operand)
)

// Condition is a boolean expression: *Compare, *Between, *In, *And, *Or,
// *Not or *Func.
type Condition interface{ condition() }

// Compare is A Op B.
type Compare struct {
	Op   CompareOp
	A, B Operand
}

// Between is X BETWEEN Lo AND Hi (inclusive).
type Between struct{ X, Lo, Hi Operand }

// In is X IN (List...), 1 to MaxInOperands operands.
type In struct {
	X    Operand
	List []Operand
}

// And is A AND B.
type And struct{ A, B Condition }

// Or is A OR B.
type Or struct{ A, B Condition }

// Not is NOT C.
type Not struct{ C Condition }

// Func is a boolean function of a path: Arg is nil for attribute_exists and
// attribute_not_exists, a ValueOperand holding an S type name for
// attribute_type, and any non-path-function operand for begins_with and
// contains.
type Func struct {
	Name FuncName
	Path Path
	Arg  Operand
}

func (*Compare) condition() {}
func (*Between) condition() {}
func (*In) condition()      {}
func (*And) condition()     {}
func (*Or) condition()      {}
func (*Not) condition()     {}
func (*Func) condition()    {}

// Limits of the expression language, DynamoDB's (Developer Guide, "Service,
// account, and table quotas": Expression parameters).
const (
	// MaxExpressionLength is the longest expression text, in bytes (4 KB).
	MaxExpressionLength = 4096
	// MaxOperators is the most operators and functions one expression may hold.
	MaxOperators = 300
	// MaxInOperands is the most operands of an IN list.
	MaxInOperands = 100
	// MaxPathDepth is the most elements of a document path.
	MaxPathDepth = attr.MaxDepth
)
