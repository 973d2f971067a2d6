package expr

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shoaldb/shoal/engine/attr"
)

// Params holds the expression attribute names ("#n" → name) and values
// (":v" → value) of one request, binds every expression of that request to
// them, and remembers which were used, so that CheckUnused can report the
// ones no expression used. A Params is for one request and one goroutine.
type Params struct {
	Names  map[string]string
	Values map[string]attr.Value

	usedNames  map[string]struct{}
	usedValues map[string]struct{}
}

// Condition parses and binds a condition or filter expression. The empty
// string means "no condition": nil, nil.
func (p *Params) Condition(text string) (Condition, error) {
	if text == "" {
		return nil, nil
	}
	pr, err := p.prepare(text, kindCondition)
	if err != nil {
		return nil, err
	}
	c := p.bindCond(pr.cond)
	v := validator{kind: kindCondition}
	if err := v.condition(c); err != nil {
		return nil, err
	}
	return c, nil
}

// Update parses and binds an update expression and validates it, except for
// the key attributes, which the caller checks with u.Validate(keys...).
func (p *Params) Update(text string) (*Update, error) {
	pr, err := p.prepare(text, kindUpdate)
	if err != nil {
		return nil, err
	}
	raw := pr.update
	u := &Update{
		Set:    make([]SetAction, len(raw.Set)),
		Remove: make([]Path, len(raw.Remove)),
		Add:    make([]AddAction, len(raw.Add)),
		Delete: make([]DeleteAction, len(raw.Delete)),
	}
	for i, a := range raw.Set {
		u.Set[i] = SetAction{Path: p.bindPath(a.Path), Value: p.bindOperand(a.Value)}
	}
	for i, r := range raw.Remove {
		u.Remove[i] = p.bindPath(r)
	}
	for i, a := range raw.Add {
		u.Add[i] = AddAction{Path: p.bindPath(a.Path), Value: p.Values[a.ref], ref: a.ref}
	}
	for i, a := range raw.Delete {
		u.Delete[i] = DeleteAction{Path: p.bindPath(a.Path), Value: p.Values[a.ref], ref: a.ref}
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	return u, nil
}

// Projection parses and binds a projection expression. The empty string
// means "no projection": nil, nil.
func (p *Params) Projection(text string) (Projection, error) {
	if text == "" {
		return nil, nil
	}
	pr, err := p.prepare(text, kindProjection)
	if err != nil {
		return nil, err
	}
	proj := make(Projection, len(pr.proj))
	for i, path := range pr.proj {
		proj[i] = p.bindPath(path)
	}
	if err := checkOverlap(proj, kindProjection); err != nil {
		return nil, err
	}
	return proj, nil
}

// CheckUnused reports names and values that no expression parsed through p
// used. Call it after parsing all of a request's expressions.
func (p *Params) CheckUnused() error {
	var names, values []string
	for k := range p.Names {
		if _, ok := p.usedNames[k]; !ok {
			names = append(names, k)
		}
	}
	for k := range p.Values {
		if _, ok := p.usedValues[k]; !ok {
			values = append(values, k)
		}
	}
	if len(names) > 0 {
		slices.Sort(names)
		return errorf("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", strings.Join(names, ", "))
	}
	if len(values) > 0 {
		slices.Sort(values)
		return errorf("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", strings.Join(values, ", "))
	}
	return nil
}

// prepare returns the parsed tree of text (from the cache when it can)
// after checking that its placeholders are defined, validating the values
// they name and marking them used.
func (p *Params) prepare(text string, k kind) (*parsed, error) {
	pr, err := parseCached(text, k)
	if err != nil {
		return nil, err
	}
	for _, n := range pr.names {
		if _, ok := p.Names[n.text]; !ok {
			return nil, errAt(n.pos, n.text, "Invalid %s: An expression attribute name used in the document path is not defined; attribute name: %s", k, n.text)
		}
	}
	for _, v := range pr.values {
		val, ok := p.Values[v.text]
		if !ok {
			return nil, errAt(v.pos, v.text, "Invalid %s: An expression attribute value used in expression is not defined; attribute value: %s", k, v.text)
		}
		if _, seen := p.usedValues[v.text]; !seen {
			if err := attr.Validate(val); err != nil {
				return nil, errAt(v.pos, v.text, "ExpressionAttributeValues contains invalid value: %s for key %s", err.Error(), v.text)
			}
		}
	}
	if p.usedNames == nil {
		p.usedNames = make(map[string]struct{}, len(p.Names))
	}
	if p.usedValues == nil {
		p.usedValues = make(map[string]struct{}, len(p.Values))
	}
	for _, n := range pr.names {
		p.usedNames[n.text] = struct{}{}
	}
	for _, v := range pr.values {
		p.usedValues[v.text] = struct{}{}
	}
	return pr, nil
}

// bindPath resolves the "#name" elements of a parsed path. A path without
// any is returned as is (parsed paths are shared and never modified).
func (p *Params) bindPath(path Path) Path {
	if !slices.ContainsFunc(path, func(e PathElem) bool { return !e.IsIndex && strings.HasPrefix(e.Name, "#") }) {
		return path
	}
	out := make(Path, len(path))
	for i, e := range path {
		if !e.IsIndex && strings.HasPrefix(e.Name, "#") {
			e.Name = p.Names[e.Name]
		}
		out[i] = e
	}
	return out
}

func (p *Params) bindOperand(o Operand) Operand {
	switch o := o.(type) {
	case *PathOperand:
		return &PathOperand{Path: p.bindPath(o.Path)}
	case *ValueOperand:
		return &ValueOperand{Value: p.Values[o.ref], ref: o.ref}
	case *SizeOperand:
		return &SizeOperand{Path: p.bindPath(o.Path)}
	case *IfNotExists:
		return &IfNotExists{Path: p.bindPath(o.Path), Value: p.bindOperand(o.Value)}
	case *ListAppend:
		return &ListAppend{A: p.bindOperand(o.A), B: p.bindOperand(o.B)}
	case *Arith:
		return &Arith{Op: o.Op, A: p.bindOperand(o.A), B: p.bindOperand(o.B)}
	}
	return o
}

func (p *Params) bindCond(c Condition) Condition {
	switch c := c.(type) {
	case *And:
		return &And{A: p.bindCond(c.A), B: p.bindCond(c.B)}
	case *Or:
		return &Or{A: p.bindCond(c.A), B: p.bindCond(c.B)}
	case *Not:
		return &Not{C: p.bindCond(c.C)}
	case *Compare:
		return &Compare{Op: c.Op, A: p.bindOperand(c.A), B: p.bindOperand(c.B)}
	case *Between:
		return &Between{X: p.bindOperand(c.X), Lo: p.bindOperand(c.Lo), Hi: p.bindOperand(c.Hi)}
	case *In:
		list := make([]Operand, len(c.List))
		for i, o := range c.List {
			list[i] = p.bindOperand(o)
		}
		return &In{X: p.bindOperand(c.X), List: list}
	case *Func:
		f := &Func{Name: c.Name, Path: p.bindPath(c.Path)}
		if c.Arg != nil {
			f.Arg = p.bindOperand(c.Arg)
		}
		return f
	}
	return c
}

// The parse cache maps (kind, text) to the unresolved tree, so a repeated
// expression is never lexed again. It holds at most cacheCap entries; past
// that, an arbitrary entry (sync.Map's iteration order) is evicted per
// insertion. Entries are immutable and shared between goroutines.
const cacheCap = 4096

type cacheKey struct {
	k    kind
	text string
}

var (
	cache     sync.Map // cacheKey → *parsed
	cacheSize atomic.Int64
)

func parseCached(text string, k kind) (*parsed, error) {
	key := cacheKey{k, text}
	if v, ok := cache.Load(key); ok {
		return v.(*parsed), nil
	}
	pr, err := parse(text, k)
	if err != nil {
		return nil, err
	}
	if _, loaded := cache.LoadOrStore(key, pr); !loaded {
		if cacheSize.Add(1) > cacheCap {
			cache.Range(func(k, _ any) bool {
				if k != any(key) {
					if _, ok := cache.LoadAndDelete(k); ok {
						cacheSize.Add(-1)
					}
					return false
				}
				return true
			})
		}
	}
	return pr, nil
}
