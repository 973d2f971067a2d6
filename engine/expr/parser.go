package expr

import (
	"slices"
	"strconv"
	"strings"
)

// The parser turns expression text into an unresolved AST: path elements
// that came from "#name" placeholders keep the placeholder as their Name
// (a bare name can never start with '#'), and values are *ValueOperand with
// only ref set. Params binds such a tree to its names and values, which is
// what lets parsed trees be cached by text and shared across requests.

// kind is the kind of an expression, for messages and the parse cache.
type kind uint8

const (
	kindCondition kind = iota + 1
	kindUpdate
	kindProjection
	kindKeyCondition
)

func (k kind) String() string {
	switch k {
	case kindCondition:
		return "ConditionExpression"
	case kindUpdate:
		return "UpdateExpression"
	case kindProjection:
		return "ProjectionExpression"
	case kindKeyCondition:
		return "KeyConditionExpression"
	}
	return "expression"
}

// placeholder is the first occurrence of a "#name" or ":value" in the text.
type placeholder struct {
	text string
	pos  int
}

// parsed is the cached result of parsing one text: the unresolved tree and
// the placeholders it uses.
type parsed struct {
	cond   Condition
	update *Update
	proj   Projection
	key    []keyPart
	names  []placeholder
	values []placeholder
}

type parser struct {
	lex    lexer
	tok    token
	kind   kind
	ops    int
	names  []placeholder
	values []placeholder
}

func newParser(text string, k kind) *parser {
	p := &parser{lex: lexer{src: text}, kind: k}
	p.tok = p.lex.next()
	return p
}

func (p *parser) advance() { p.tok = p.lex.next() }

// peek returns the token after the current one without consuming it.
func (p *parser) peek() token {
	l := p.lex
	return l.next()
}

func (p *parser) isKeyword(kw string) bool {
	return p.tok.kind == tokName && strings.EqualFold(p.tok.text, kw)
}

// unexpected reports the current token as a syntax error.
func (p *parser) unexpected() *Error {
	switch p.tok.kind {
	case tokEOF:
		return errAt(p.tok.pos, "", "Invalid %s: Syntax error; unexpected end of expression", p.kind)
	case tokIllegal:
		return errAt(p.tok.pos, p.tok.text, "Invalid %s: Invalid character in expression; token: %q", p.kind, p.tok.text)
	}
	return errAt(p.tok.pos, p.tok.text, "Invalid %s: Syntax error; token: %q", p.kind, p.tok.text)
}

func (p *parser) expect(k tokenKind) error {
	if p.tok.kind != k {
		return p.unexpected()
	}
	p.advance()
	return nil
}

// countOp counts one operator or function at t.
func (p *parser) countOp(t token) error {
	p.ops++
	if p.ops > MaxOperators {
		return errAt(t.pos, t.text, "Invalid %s: The expression contains too many operators or functions; limit: %d", p.kind, MaxOperators)
	}
	return nil
}

func (p *parser) noteName(t token) {
	for _, x := range p.names {
		if x.text == t.text {
			return
		}
	}
	p.names = append(p.names, placeholder{t.text, t.pos})
}

func (p *parser) noteValue(t token) {
	for _, x := range p.values {
		if x.text == t.text {
			return
		}
	}
	p.values = append(p.values, placeholder{t.text, t.pos})
}

// parse parses text as an expression of kind k.
func parse(text string, k kind) (*parsed, error) {
	if len(text) > MaxExpressionLength {
		return nil, errorf("Invalid %s: Expression size has exceeded the maximum allowed size; size: %d, limit: %d", k, len(text), MaxExpressionLength)
	}
	p := newParser(text, k)
	if p.tok.kind == tokEOF {
		return nil, errAt(0, "", "Invalid %s: The expression can not be empty", k)
	}
	out := &parsed{}
	var err error
	switch k {
	case kindCondition:
		out.cond, err = p.condition()
	case kindKeyCondition:
		var c Condition
		c, err = p.condition()
		if err == nil {
			out.key, err = keyParts(c)
		}
	case kindUpdate:
		out.update, err = p.updateExpr()
	case kindProjection:
		out.proj, err = p.projection()
	}
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.unexpected()
	}
	out.names, out.values = p.names, p.values
	return out, nil
}

// condition parses a whole condition: OR binds loosest, then AND, then NOT.
// DynamoDB's precedence (Developer Guide, "Condition and filter expressions,
// operators, and functions": Precedence in conditions) is = <> < <= > >=,
// IN, BETWEEN, functions, parentheses first; then NOT, AND, OR.
func (p *parser) condition() (Condition, error) {
	c, err := p.andCond()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("OR") {
		t := p.tok
		if err := p.countOp(t); err != nil {
			return nil, err
		}
		p.advance()
		r, err := p.andCond()
		if err != nil {
			return nil, err
		}
		c = &Or{A: c, B: r}
	}
	return c, nil
}

func (p *parser) andCond() (Condition, error) {
	c, err := p.notCond()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("AND") {
		t := p.tok
		if err := p.countOp(t); err != nil {
			return nil, err
		}
		p.advance()
		r, err := p.notCond()
		if err != nil {
			return nil, err
		}
		c = &And{A: c, B: r}
	}
	return c, nil
}

func (p *parser) notCond() (Condition, error) {
	if p.isKeyword("NOT") {
		t := p.tok
		if err := p.countOp(t); err != nil {
			return nil, err
		}
		p.advance()
		c, err := p.notCond()
		if err != nil {
			return nil, err
		}
		return &Not{C: c}, nil
	}
	return p.primaryCond()
}

func (p *parser) primaryCond() (Condition, error) {
	if p.tok.kind == tokLParen {
		p.advance()
		c, err := p.condition()
		if err != nil {
			return nil, err
		}
		if err := p.expect(tokRParen); err != nil {
			return nil, err
		}
		return c, nil
	}
	if p.tok.kind == tokName && p.peek().kind == tokLParen && isConditionFunc(p.tok.text) {
		t := p.tok
		args, err := p.call()
		if err != nil {
			return nil, err
		}
		f, err := p.condFunc(t, args)
		if err != nil {
			return nil, err
		}
		if isComparator(p.tok.kind) || p.isKeyword("BETWEEN") || p.isKeyword("IN") {
			return nil, errAt(t.pos, t.text, "Invalid %s: The function is not allowed to be used this way in an expression; function: %s", p.kind, t.text)
		}
		return f, nil
	}
	x, err := p.operand()
	if err != nil {
		return nil, err
	}
	t := p.tok
	switch {
	case isComparator(t.kind):
		if err := p.countOp(t); err != nil {
			return nil, err
		}
		p.advance()
		y, err := p.operand()
		if err != nil {
			return nil, err
		}
		return &Compare{Op: comparatorOp(t.kind), A: x, B: y}, nil
	case p.isKeyword("BETWEEN"):
		if err := p.countOp(t); err != nil {
			return nil, err
		}
		p.advance()
		lo, err := p.operand()
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("AND") {
			return nil, p.unexpected()
		}
		p.advance()
		hi, err := p.operand()
		if err != nil {
			return nil, err
		}
		return &Between{X: x, Lo: lo, Hi: hi}, nil
	case p.isKeyword("IN"):
		if err := p.countOp(t); err != nil {
			return nil, err
		}
		p.advance()
		if err := p.expect(tokLParen); err != nil {
			return nil, err
		}
		var list []Operand
		for {
			if len(list) == MaxInOperands {
				return nil, errAt(p.tok.pos, p.tok.text, "Invalid %s: The IN operator has too many operands; limit: %d", p.kind, MaxInOperands)
			}
			y, err := p.operand()
			if err != nil {
				return nil, err
			}
			list = append(list, y)
			if p.tok.kind != tokComma {
				break
			}
			p.advance()
		}
		if err := p.expect(tokRParen); err != nil {
			return nil, err
		}
		return &In{X: x, List: list}, nil
	}
	return nil, p.unexpected()
}

func isComparator(k tokenKind) bool { return k >= tokEQ && k <= tokGE }

func comparatorOp(k tokenKind) CompareOp {
	return CompareOp(k-tokEQ) + OpEQ
}

func isConditionFunc(name string) bool {
	switch FuncName(name) {
	case FuncAttributeExists, FuncAttributeNotExists, FuncAttributeType, FuncBeginsWith, FuncContains:
		return true
	}
	return false
}

// call parses name(arg, ...) with the current token at name, counting the
// function as an operator. Function names are case-sensitive.
func (p *parser) call() ([]Operand, error) {
	t := p.tok
	if err := p.countOp(t); err != nil {
		return nil, err
	}
	p.advance() // name
	p.advance() // (
	var args []Operand
	if p.tok.kind == tokRParen {
		p.advance()
		return args, nil
	}
	for {
		a, err := p.operand()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		if p.tok.kind != tokComma {
			break
		}
		p.advance()
	}
	if err := p.expect(tokRParen); err != nil {
		return nil, err
	}
	return args, nil
}

func (p *parser) arity(t token, args []Operand, n int) error {
	if len(args) != n {
		return errAt(t.pos, t.text, "Invalid %s: Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", p.kind, t.text, len(args))
	}
	return nil
}

// condFunc builds a boolean function from its parsed arguments.
func (p *parser) condFunc(t token, args []Operand) (Condition, error) {
	name := FuncName(t.text)
	n := 2
	if name == FuncAttributeExists || name == FuncAttributeNotExists {
		n = 1
	}
	if err := p.arity(t, args, n); err != nil {
		return nil, err
	}
	po, ok := args[0].(*PathOperand)
	if !ok {
		return nil, errAt(t.pos, t.text, "Invalid %s: Incorrect operand type for operator or function; operator or function: %s, the first operand must be a document path", p.kind, name)
	}
	f := &Func{Name: name, Path: po.Path}
	if n == 2 {
		f.Arg = args[1]
		if name == FuncAttributeType {
			if _, ok := args[1].(*ValueOperand); !ok {
				return nil, errAt(t.pos, t.text, "Invalid %s: Incorrect operand type for operator or function; operator or function: %s, the second operand must be an expression attribute value", p.kind, name)
			}
		}
		if _, ok := args[1].(*SizeOperand); ok && name != FuncContains {
			return nil, errAt(t.pos, t.text, "Invalid %s: Incorrect operand type for operator or function; operator or function: %s, operand type: N", p.kind, name)
		}
	}
	return f, nil
}

// operand parses a path, a ":value", size(path) and, in update
// expressions, if_not_exists(...) and list_append(...).
func (p *parser) operand() (Operand, error) {
	t := p.tok
	switch t.kind {
	case tokValueRef:
		p.noteValue(t)
		p.advance()
		return &ValueOperand{ref: t.text}, nil
	case tokName:
		if p.peek().kind == tokLParen {
			return p.funcOperand()
		}
		fallthrough
	case tokNameRef:
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		return &PathOperand{Path: path}, nil
	}
	return nil, p.unexpected()
}

func (p *parser) funcOperand() (Operand, error) {
	t := p.tok
	switch t.text {
	case "size", "if_not_exists", "list_append":
	default:
		if isConditionFunc(t.text) {
			return nil, errAt(t.pos, t.text, "Invalid %s: The function is not allowed to be used this way in an expression; function: %s", p.kind, t.text)
		}
		return nil, errAt(t.pos, t.text, "Invalid %s: Invalid function name; function: %s", p.kind, t.text)
	}
	if (t.text == "size") == (p.kind == kindUpdate) {
		return nil, errAt(t.pos, t.text, "Invalid %s: The function is not allowed in a %s; function: %s", p.kind, p.kind, t.text)
	}
	args, err := p.call()
	if err != nil {
		return nil, err
	}
	switch t.text {
	case "size":
		if err := p.arity(t, args, 1); err != nil {
			return nil, err
		}
		po, ok := args[0].(*PathOperand)
		if !ok {
			return nil, errAt(t.pos, t.text, "Invalid %s: Incorrect operand type for operator or function; operator or function: size, the operand must be a document path", p.kind)
		}
		return &SizeOperand{Path: po.Path}, nil
	case "if_not_exists":
		if err := p.arity(t, args, 2); err != nil {
			return nil, err
		}
		po, ok := args[0].(*PathOperand)
		if !ok {
			return nil, errAt(t.pos, t.text, "Invalid %s: Incorrect operand type for operator or function; operator or function: if_not_exists, the first operand must be a document path", p.kind)
		}
		return &IfNotExists{Path: po.Path, Value: args[1]}, nil
	default: // list_append
		if err := p.arity(t, args, 2); err != nil {
			return nil, err
		}
		return &ListAppend{A: args[0], B: args[1]}, nil
	}
}

// path parses a document path: name or #name, then any of .name, .#name,
// [index].
func (p *parser) path() (Path, error) {
	var path Path
	first := p.tok
	for {
		t := p.tok
		switch t.kind {
		case tokName:
			if IsReserved(t.text) {
				return nil, errAt(t.pos, t.text, "Invalid %s: Attribute name is a reserved keyword; reserved keyword: %s; use an expression attribute name (#name) in its place", p.kind, t.text)
			}
			path = append(path, PathElem{Name: t.text})
		case tokNameRef:
			p.noteName(t)
			path = append(path, PathElem{Name: t.text})
		default:
			return nil, p.unexpected()
		}
		p.advance()
		for p.tok.kind == tokLBracket {
			p.advance()
			it := p.tok
			if it.kind != tokInt {
				return nil, p.unexpected()
			}
			n, err := strconv.Atoi(it.text)
			if err != nil || n > 1<<31-1 {
				return nil, errAt(it.pos, it.text, "Invalid %s: List index is out of range; index: %s", p.kind, it.text)
			}
			p.advance()
			if err := p.expect(tokRBracket); err != nil {
				return nil, err
			}
			path = append(path, PathElem{Index: n, IsIndex: true})
		}
		if len(path) > MaxPathDepth {
			return nil, errAt(first.pos, first.text, "Invalid %s: The document path has too many nesting levels; limit: %d", p.kind, MaxPathDepth)
		}
		if p.tok.kind != tokDot {
			return slices.Clip(path), nil
		}
		p.advance()
	}
}

// updateExpr parses SET, REMOVE, ADD and DELETE clauses, in any order, each
// at most once.
func (p *parser) updateExpr() (*Update, error) {
	u := &Update{}
	var seen [4]bool
	for p.tok.kind != tokEOF {
		t := p.tok
		clause := -1
		for i, kw := range [...]string{"SET", "REMOVE", "ADD", "DELETE"} {
			if p.isKeyword(kw) {
				clause = i
			}
		}
		if clause < 0 {
			return nil, p.unexpected()
		}
		if seen[clause] {
			return nil, errAt(t.pos, t.text, "Invalid %s: The %q section can only be used once in an update expression", p.kind, strings.ToUpper(t.text))
		}
		seen[clause] = true
		p.advance()
		for {
			path, err := p.path()
			if err != nil {
				return nil, err
			}
			switch clause {
			case 0:
				if err := p.expect(tokEQ); err != nil {
					return nil, err
				}
				v, err := p.setValue()
				if err != nil {
					return nil, err
				}
				u.Set = append(u.Set, SetAction{Path: path, Value: v})
			case 1:
				u.Remove = append(u.Remove, path)
			default:
				vt := p.tok
				if vt.kind != tokValueRef {
					return nil, p.unexpected()
				}
				p.noteValue(vt)
				p.advance()
				if clause == 2 {
					u.Add = append(u.Add, AddAction{Path: path, ref: vt.text})
				} else {
					u.Delete = append(u.Delete, DeleteAction{Path: path, ref: vt.text})
				}
			}
			if p.tok.kind != tokComma {
				break
			}
			p.advance()
		}
	}
	return u, nil
}

// setValue parses operand, operand + operand or operand - operand.
func (p *parser) setValue() (Operand, error) {
	a, err := p.operand()
	if err != nil {
		return nil, err
	}
	if t := p.tok; t.kind == tokPlus || t.kind == tokMinus {
		if err := p.countOp(t); err != nil {
			return nil, err
		}
		p.advance()
		b, err := p.operand()
		if err != nil {
			return nil, err
		}
		return &Arith{Op: t.text[0], A: a, B: b}, nil
	}
	return a, nil
}

// projection parses path, path, ...
func (p *parser) projection() (Projection, error) {
	var proj Projection
	for {
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		proj = append(proj, path)
		if p.tok.kind != tokComma {
			return proj, nil
		}
		p.advance()
	}
}
