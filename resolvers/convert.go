package resolvers

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
	"github.com/shoaldb/shoal/graph/model"
)

// This file maps the structured GraphQL inputs (conditions, updates,
// projections, key conditions) onto the engine's expression AST, and the
// expression-string inputs through expr.Params; both forms end in the same
// tree. Errors are *model.InputError or *expr.Error / *attr.Error, all
// reported as VALIDATION.

// inputErrorf returns an *model.InputError with a formatted message.
func inputErrorf(format string, args ...any) error {
	return &model.InputError{Msg: fmt.Sprintf(format, args...)}
}

// parsePath parses a structured document path, `a.b[2].c`: names are taken
// literally (no placeholders, no reserved words), indexes are decimal.
func parsePath(s string) (expr.Path, error) {
	if s == "" {
		return nil, inputErrorf("a document path can not be empty")
	}
	var p expr.Path
	i := 0
	for i < len(s) {
		switch {
		case s[i] == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, inputErrorf("invalid document path %q: unclosed [", s)
			}
			n, err := strconv.Atoi(s[i+1 : i+j])
			if err != nil || n < 0 || s[i+1] == '+' {
				return nil, inputErrorf("invalid document path %q: a list index must be a non-negative integer", s)
			}
			if len(p) == 0 {
				return nil, inputErrorf("invalid document path %q: a path must start with an attribute name", s)
			}
			p = append(p, expr.PathElem{Index: n, IsIndex: true})
			i += j + 1
			if i < len(s) && s[i] != '.' && s[i] != '[' {
				return nil, inputErrorf("invalid document path %q: expected . or [ after ]", s)
			}
			if i < len(s) && s[i] == '.' {
				i++
				if i == len(s) {
					return nil, inputErrorf("invalid document path %q: empty name", s)
				}
			}
		default:
			j := strings.IndexAny(s[i:], ".[]")
			if j < 0 {
				j = len(s) - i
			}
			if j == 0 {
				return nil, inputErrorf("invalid document path %q: empty name", s)
			}
			p = append(p, expr.PathElem{Name: s[i : i+j]})
			i += j
			if i < len(s) {
				switch s[i] {
				case '.':
					i++
					if i == len(s) {
						return nil, inputErrorf("invalid document path %q: empty name", s)
					}
				case ']':
					return nil, inputErrorf("invalid document path %q: unexpected ]", s)
				}
			}
		}
	}
	if len(p) > expr.MaxPathDepth {
		return nil, inputErrorf("invalid document path %q: more than %d elements", s, expr.MaxPathDepth)
	}
	return p, nil
}

// projection maps a list of document paths to a projection; nil for none.
func toProjection(paths []string) (expr.Projection, error) {
	if paths == nil {
		return nil, nil
	}
	if len(paths) == 0 {
		return nil, inputErrorf("projection: give at least one path, or omit it")
	}
	out := make(expr.Projection, len(paths))
	for i, s := range paths {
		p, err := parsePath(s)
		if err != nil {
			return nil, fmt.Errorf("projection: %w", err)
		}
		out[i] = p
	}
	return out, nil
}

// params builds the expression parameters of an expression input. Keys
// may omit their "#" or ":" prefix, so that inline GraphQL object literals
// (whose keys are names) can write them: {values: {v: 1}} binds ":v".
func params(in *model.ExpressionInput, typed bool) (*expr.Params, error) {
	p := &expr.Params{}
	if in.Names != nil {
		o, err := in.Names.ToObject()
		if err != nil {
			return nil, fmt.Errorf("names: %w", err)
		}
		p.Names = make(map[string]string, len(o))
		for k, v := range o {
			if !strings.HasPrefix(k, "#") {
				k = "#" + k // GraphQL literals cannot write "#n" as a key
			}
			s, ok := v.(string)
			if !ok {
				return nil, inputErrorf("names: the value of %s must be a string", k)
			}
			p.Names[k] = s
		}
	}
	if in.Values != nil {
		o, err := in.Values.ToObject()
		if err != nil {
			return nil, fmt.Errorf("values: %w", err)
		}
		p.Values = make(map[string]attr.Value, len(o))
		for k, v := range o {
			if !strings.HasPrefix(k, ":") {
				k = ":" + k // GraphQL literals cannot write ":v" as a key
			}
			x, err := model.NewRaw(v).ToValue(typed)
			if err != nil {
				return nil, fmt.Errorf("values: %s: %w", k, err)
			}
			p.Values[k] = x
		}
	}
	return p, nil
}

// condition maps a structured condition to the AST; nil for none.
func condition(in *model.ConditionInput, typed bool) (expr.Condition, error) {
	if in == nil {
		return nil, nil
	}
	c, err := conditionNode(in, typed)
	if err != nil {
		return nil, err
	}
	if err := expr.ValidateCondition(c); err != nil {
		return nil, err
	}
	return c, nil
}

func conditionNode(in *model.ConditionInput, typed bool) (expr.Condition, error) {
	var parts []expr.Condition
	add := func(c expr.Condition) { parts = append(parts, c) }

	preds, err := pathPredicates(in, typed)
	if err != nil {
		return nil, err
	}
	parts = append(parts, preds...)
	if in.And != nil {
		if len(in.And) == 0 {
			return nil, inputErrorf("and: give at least one condition")
		}
		for i := range in.And {
			c, err := conditionNode(&in.And[i], typed)
			if err != nil {
				return nil, err
			}
			add(c)
		}
	}
	if in.Or != nil {
		if len(in.Or) == 0 {
			return nil, inputErrorf("or: give at least one condition")
		}
		var or expr.Condition
		for i := range in.Or {
			c, err := conditionNode(&in.Or[i], typed)
			if err != nil {
				return nil, err
			}
			if or == nil {
				or = c
			} else {
				or = &expr.Or{A: or, B: c}
			}
		}
		add(or)
	}
	if in.Not != nil {
		c, err := conditionNode(in.Not, typed)
		if err != nil {
			return nil, err
		}
		add(&expr.Not{C: c})
	}
	if in.Expression != nil {
		p, err := params(in.Expression, typed)
		if err != nil {
			return nil, err
		}
		c, err := p.Condition(in.Expression.Expression)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return nil, inputErrorf("expression: the expression can not be empty")
		}
		if err := p.CheckUnused(); err != nil {
			return nil, err
		}
		add(c)
	}
	if len(parts) == 0 {
		return nil, inputErrorf("a condition must have at least one part")
	}
	return andAll(parts), nil
}

func andAll(parts []expr.Condition) expr.Condition {
	c := parts[0]
	for _, p := range parts[1:] {
		c = &expr.And{A: c, B: p}
	}
	return c
}

// pathPredicates maps the comparisons on in.Path.
func pathPredicates(in *model.ConditionInput, typed bool) ([]expr.Condition, error) {
	has := in.Eq != nil || in.Ne != nil || in.Lt != nil || in.Le != nil || in.Gt != nil || in.Ge != nil ||
		in.Between != nil || in.In != nil || in.BeginsWith != nil || in.Contains != nil ||
		in.Exists != nil || in.Type != nil || in.Size != nil
	if in.Path == nil {
		if has {
			return nil, inputErrorf("a comparison needs a path")
		}
		return nil, nil
	}
	if !has {
		return nil, inputErrorf("path %q: give at least one comparison", *in.Path)
	}
	path, err := parsePath(*in.Path)
	if err != nil {
		return nil, err
	}
	val := func(op string, j *model.JSON) (*expr.ValueOperand, error) {
		v, err := toValue(j, typed)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", *in.Path, op, err)
		}
		return &expr.ValueOperand{Value: v}, nil
	}
	var out []expr.Condition
	for _, c := range []struct {
		op expr.CompareOp
		v  *model.JSON
		n  string
	}{{expr.OpEQ, in.Eq, "eq"}, {expr.OpNE, in.Ne, "ne"}, {expr.OpLT, in.Lt, "lt"}, {expr.OpLE, in.Le, "le"}, {expr.OpGT, in.Gt, "gt"}, {expr.OpGE, in.Ge, "ge"}} {
		if c.v == nil {
			continue
		}
		v, err := val(c.n, c.v)
		if err != nil {
			return nil, err
		}
		out = append(out, &expr.Compare{Op: c.op, A: &expr.PathOperand{Path: path}, B: v})
	}
	if in.Between != nil {
		if len(in.Between) != 2 {
			return nil, inputErrorf("%s between: give exactly two values, [low, high]", *in.Path)
		}
		lo, err := val("between", &in.Between[0])
		if err != nil {
			return nil, err
		}
		hi, err := val("between", &in.Between[1])
		if err != nil {
			return nil, err
		}
		out = append(out, &expr.Between{X: &expr.PathOperand{Path: path}, Lo: lo, Hi: hi})
	}
	if in.In != nil {
		list := make([]expr.Operand, len(in.In))
		for i := range in.In {
			v, err := val("in", &in.In[i])
			if err != nil {
				return nil, err
			}
			list[i] = v
		}
		out = append(out, &expr.In{X: &expr.PathOperand{Path: path}, List: list})
	}
	if in.BeginsWith != nil {
		v, err := val("beginsWith", in.BeginsWith)
		if err != nil {
			return nil, err
		}
		out = append(out, &expr.Func{Name: expr.FuncBeginsWith, Path: path, Arg: v})
	}
	if in.Contains != nil {
		v, err := val("contains", in.Contains)
		if err != nil {
			return nil, err
		}
		out = append(out, &expr.Func{Name: expr.FuncContains, Path: path, Arg: v})
	}
	if in.Exists != nil {
		name := expr.FuncAttributeExists
		if !*in.Exists {
			name = expr.FuncAttributeNotExists
		}
		out = append(out, &expr.Func{Name: name, Path: path})
	}
	if in.Type != nil {
		out = append(out, &expr.Func{Name: expr.FuncAttributeType, Path: path,
			Arg: &expr.ValueOperand{Value: attr.S(in.Type.String())}})
	}
	if in.Size != nil {
		cs, err := sizePredicates(path, in.Size)
		if err != nil {
			return nil, fmt.Errorf("%s size: %w", *in.Path, err)
		}
		out = append(out, cs...)
	}
	return out, nil
}

func sizePredicates(path expr.Path, in *model.SizeInput) ([]expr.Condition, error) {
	num := func(n int) *expr.ValueOperand {
		return &expr.ValueOperand{Value: attr.NumberFromInt64(int64(n))}
	}
	var out []expr.Condition
	for _, c := range []struct {
		op expr.CompareOp
		v  *int
	}{{expr.OpEQ, in.Eq}, {expr.OpNE, in.Ne}, {expr.OpLT, in.Lt}, {expr.OpLE, in.Le}, {expr.OpGT, in.Gt}, {expr.OpGE, in.Ge}} {
		if c.v != nil {
			out = append(out, &expr.Compare{Op: c.op, A: &expr.SizeOperand{Path: path}, B: num(*c.v)})
		}
	}
	if in.Between != nil {
		if len(in.Between) != 2 {
			return nil, inputErrorf("between: give exactly two values, [low, high]")
		}
		out = append(out, &expr.Between{X: &expr.SizeOperand{Path: path}, Lo: num(in.Between[0]), Hi: num(in.Between[1])})
	}
	if len(out) == 0 {
		return nil, inputErrorf("give at least one comparison")
	}
	return out, nil
}

// update maps a structured update (and its optional expression) to the
// AST.
func update(in *model.UpdateInput, typed bool) (*expr.Update, error) {
	if in == nil {
		return nil, inputErrorf("update: give at least one action")
	}
	u := &expr.Update{}
	if in.Expression != nil {
		p, err := params(in.Expression, typed)
		if err != nil {
			return nil, fmt.Errorf("update: %w", err)
		}
		eu, err := p.Update(in.Expression.Expression)
		if err != nil {
			return nil, err
		}
		if err := p.CheckUnused(); err != nil {
			return nil, err
		}
		*u = *eu
	}
	type entry struct {
		path expr.Path
		val  attr.Value
	}
	entries := func(clause string, j *model.JSON) ([]entry, error) {
		if j == nil {
			return nil, nil
		}
		o, err := j.ToObject()
		if err != nil {
			return nil, fmt.Errorf("update %s: %w", clause, err)
		}
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := make([]entry, len(keys))
		for i, k := range keys {
			p, err := parsePath(k)
			if err != nil {
				return nil, fmt.Errorf("update %s: %w", clause, err)
			}
			j := model.NewRaw(o[k])
			v, err := toValue(&j, typed)
			if err != nil {
				return nil, fmt.Errorf("update %s %s: %w", clause, k, err)
			}
			out[i] = entry{p, v}
		}
		return out, nil
	}

	es, err := entries("set", in.Set)
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		u.Set = append(u.Set, expr.SetAction{Path: e.path, Value: &expr.ValueOperand{Value: e.val}})
	}
	if es, err = entries("setIfNotExists", in.SetIfNotExists); err != nil {
		return nil, err
	}
	for _, e := range es {
		u.Set = append(u.Set, expr.SetAction{Path: e.path,
			Value: &expr.IfNotExists{Path: e.path, Value: &expr.ValueOperand{Value: e.val}}})
	}
	if es, err = entries("increment", in.Increment); err != nil {
		return nil, err
	}
	for _, e := range es {
		if _, ok := e.val.(attr.Number); !ok {
			return nil, inputErrorf("update increment %s: the amount must be a number", e.path)
		}
		u.Set = append(u.Set, expr.SetAction{Path: e.path, Value: &expr.Arith{Op: '+',
			A: &expr.IfNotExists{Path: e.path, Value: &expr.ValueOperand{Value: attr.NumberFromInt64(0)}},
			B: &expr.ValueOperand{Value: e.val}}})
	}
	if es, err = entries("appendToList", in.AppendToList); err != nil {
		return nil, err
	}
	for _, e := range es {
		if _, ok := e.val.(attr.L); !ok {
			return nil, inputErrorf("update appendToList %s: the value must be a list", e.path)
		}
		u.Set = append(u.Set, expr.SetAction{Path: e.path, Value: &expr.ListAppend{
			A: &expr.IfNotExists{Path: e.path, Value: &expr.ValueOperand{Value: attr.L{}}},
			B: &expr.ValueOperand{Value: e.val}}})
	}
	if es, err = entries("add", in.Add); err != nil {
		return nil, err
	}
	for _, e := range es {
		u.Add = append(u.Add, expr.AddAction{Path: e.path, Value: e.val})
	}
	if es, err = entries("delete", in.Delete); err != nil {
		return nil, err
	}
	for _, e := range es {
		u.Delete = append(u.Delete, expr.DeleteAction{Path: e.path, Value: e.val})
	}
	for _, s := range in.Remove {
		p, err := parsePath(s)
		if err != nil {
			return nil, fmt.Errorf("update remove: %w", err)
		}
		u.Remove = append(u.Remove, p)
	}
	if len(u.Set)+len(u.Remove)+len(u.Add)+len(u.Delete) == 0 {
		return nil, inputErrorf("update: give at least one action")
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	return u, nil
}

// toValue converts a JSON input to a valid attribute value.
func toValue(j *model.JSON, typed bool) (attr.Value, error) {
	v, err := j.ToValue(typed)
	if err != nil {
		return nil, err
	}
	if err := attr.Validate(v); err != nil {
		return nil, err
	}
	return v, nil
}

// keyCondition maps a query's partition key and sort key inputs, or its
// key condition expression, to the AST.
func toKeyCondition(pk *model.JSON, sk *model.SortKeyInput, ex *model.ExpressionInput, typed bool) (*expr.KeyCondition, error) {
	if ex != nil {
		if pk != nil || sk != nil {
			return nil, inputErrorf("give either keyCondition or partitionKey and sortKey, not both")
		}
		p, err := params(ex, typed)
		if err != nil {
			return nil, fmt.Errorf("keyCondition: %w", err)
		}
		kc, err := p.KeyCondition(ex.Expression)
		if err != nil {
			return nil, err
		}
		if err := p.CheckUnused(); err != nil {
			return nil, err
		}
		return kc, nil
	}
	if pk == nil {
		return nil, inputErrorf("give partitionKey (or keyCondition)")
	}
	o, err := pk.ToObject()
	if err != nil {
		return nil, fmt.Errorf("partitionKey: %w", err)
	}
	if len(o) != 1 {
		return nil, inputErrorf("partitionKey: give exactly one attribute, as {name: value}")
	}
	kc := &expr.KeyCondition{}
	for name, raw := range o {
		j := model.NewRaw(raw)
		v, err := toValue(&j, typed)
		if err != nil {
			return nil, fmt.Errorf("partitionKey: %w", err)
		}
		kc.PartitionName, kc.PartitionValue = name, v
	}
	if sk == nil {
		return kc, nil
	}
	sc := &expr.SortCondition{Name: sk.Name}
	set := func(op expr.SortOp, js ...*model.JSON) error {
		if sc.Op != 0 {
			return inputErrorf("sortKey: give exactly one comparison")
		}
		sc.Op = op
		for _, j := range js {
			v, err := toValue(j, typed)
			if err != nil {
				return fmt.Errorf("sortKey %s: %w", op, err)
			}
			sc.Values = append(sc.Values, v)
		}
		return nil
	}
	for _, c := range []struct {
		op expr.SortOp
		v  *model.JSON
	}{{expr.SortEQ, sk.Eq}, {expr.SortLT, sk.Lt}, {expr.SortLE, sk.Le}, {expr.SortGT, sk.Gt}, {expr.SortGE, sk.Ge}, {expr.SortBeginsWith, sk.BeginsWith}} {
		if c.v != nil {
			if err := set(c.op, c.v); err != nil {
				return nil, err
			}
		}
	}
	if sk.Between != nil {
		if len(sk.Between) != 2 {
			return nil, inputErrorf("sortKey between: give exactly two values, [low, high]")
		}
		if err := set(expr.SortBetween, &sk.Between[0], &sk.Between[1]); err != nil {
			return nil, err
		}
	}
	if sc.Op == 0 {
		return nil, inputErrorf("sortKey: give exactly one comparison")
	}
	kc.Sort = sc
	return kc, nil
}
