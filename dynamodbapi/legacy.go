package dynamodbapi

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
)

// exprAttributes are the expression attribute names and values a request
// may carry.
type exprAttributes struct {
	ExpressionAttributeNames  map[string]string `json:"ExpressionAttributeNames,omitempty"`
	ExpressionAttributeValues jsonItem          `json:"ExpressionAttributeValues,omitempty"`
}

// params returns the request's expression parameters.
func (e *exprAttributes) params() *expr.Params {
	return &expr.Params{Names: e.ExpressionAttributeNames, Values: map[string]attr.Value(e.ExpressionAttributeValues)}
}

// checkParams checks what DynamoDB checks of the parameters once every
// expression of the request was parsed through p: no empty maps, none given
// without an expression, none unused.
func checkParams(e *exprAttributes, p *expr.Params, anyExpression bool) error {
	if e.ExpressionAttributeNames != nil && len(e.ExpressionAttributeNames) == 0 {
		return validation("ExpressionAttributeNames must not be empty")
	}
	if e.ExpressionAttributeValues != nil && len(e.ExpressionAttributeValues) == 0 {
		return validation("ExpressionAttributeValues must not be empty")
	}
	if !anyExpression {
		if e.ExpressionAttributeNames != nil {
			return validation("ExpressionAttributeNames can only be specified when using expressions")
		}
		if e.ExpressionAttributeValues != nil {
			return validation("ExpressionAttributeValues can only be specified when using expressions")
		}
		return nil
	}
	return p.CheckUnused()
}

// mixed is DynamoDB's error for a request that uses both a legacy
// parameter and an expression.
func mixed(legacy, expression []string) error {
	return validation(fmt.Sprintf("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {%s} Expression parameters: {%s}",
		strings.Join(legacy, ", "), strings.Join(expression, ", ")))
}

// checkMixed fails when any legacy parameter and any expression parameter
// are both present. Each map is parameter name → present.
func checkMixed(legacy, expression map[string]bool) error {
	var l, e []string
	for k, v := range legacy {
		if v {
			l = append(l, k)
		}
	}
	for k, v := range expression {
		if v {
			e = append(e, k)
		}
	}
	if len(l) > 0 && len(e) > 0 {
		slices.Sort(l)
		slices.Sort(e)
		return mixed(l, e)
	}
	return nil
}

// legacyCondition is one entry of the legacy Expected, QueryFilter,
// ScanFilter or KeyConditions maps.
type legacyCondition struct {
	ComparisonOperator string      `json:"ComparisonOperator"`
	AttributeValueList []jsonValue `json:"AttributeValueList"`
	// Value and Exists: Expected only.
	Value  *jsonValue `json:"Value"`
	Exists *bool      `json:"Exists"`
}

func topPath(name string) expr.Path { return expr.Path{{Name: name}} }

// legacyFilter translates Expected (expected set) or QueryFilter/ScanFilter
// to a condition: one comparison per attribute, joined by the
// ConditionalOperator (AND by default). Attributes are taken in name order,
// which does not change the result.
func legacyFilter(conds map[string]legacyCondition, conditionalOp string, expected bool) (expr.Condition, error) {
	if len(conds) == 0 {
		if conditionalOp != "" {
			return nil, validation("ConditionalOperator can only be used when Filter or Expected is present")
		}
		return nil, nil
	}
	join := func(a, b expr.Condition) expr.Condition { return &expr.And{A: a, B: b} }
	switch conditionalOp {
	case "", "AND":
	case "OR":
		join = func(a, b expr.Condition) expr.Condition { return &expr.Or{A: a, B: b} }
	default:
		return nil, validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [AND, OR]", conditionalOp))
	}
	names := make([]string, 0, len(conds))
	for n := range conds {
		names = append(names, n)
	}
	sort.Strings(names)
	var out expr.Condition
	for _, n := range names {
		var c expr.Condition
		var err error
		if expected {
			c, err = expectedCondition(n, conds[n])
		} else {
			c, err = comparison(n, conds[n])
		}
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = c
		} else {
			out = join(out, c)
		}
	}
	return out, nil
}

// expectedCondition translates one entry of Expected, whose simple form is
// Value and Exists.
func expectedCondition(name string, c legacyCondition) (expr.Condition, error) {
	if c.ComparisonOperator != "" {
		if c.Value != nil || c.Exists != nil {
			return nil, invalidParam("Value or Exists cannot be used with ComparisonOperator for Attribute: " + name)
		}
		return comparison(name, c)
	}
	if c.AttributeValueList != nil {
		return nil, invalidParam("AttributeValueList can only be used with a ComparisonOperator for Attribute: " + name)
	}
	exists := c.Exists == nil || *c.Exists
	switch {
	case exists && c.Value == nil:
		return nil, invalidParam("Value must be provided when Exists is true for Attribute: " + name)
	case !exists && c.Value != nil:
		return nil, invalidParam("Value cannot be used when Exists is false for Attribute: " + name)
	case !exists:
		return &expr.Func{Name: expr.FuncAttributeNotExists, Path: topPath(name)}, nil
	}
	return &expr.Compare{Op: expr.OpEQ, A: &expr.PathOperand{Path: topPath(name)}, B: &expr.ValueOperand{Value: c.Value.Value}}, nil
}

// comparisonArgs is the number of values each ComparisonOperator takes
// (-1: one or more).
var comparisonArgs = map[string]int{
	"EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1,
	"NOT_NULL": 0, "NULL": 0, "CONTAINS": 1, "NOT_CONTAINS": 1, "BEGINS_WITH": 1,
	"IN": -1, "BETWEEN": 2,
}

var compareOps = map[string]expr.CompareOp{"EQ": expr.OpEQ, "NE": expr.OpNE, "LE": expr.OpLE, "LT": expr.OpLT, "GE": expr.OpGE, "GT": expr.OpGT}

func checkArgs(name string, c legacyCondition) ([]attr.Value, error) {
	n, ok := comparisonArgs[c.ComparisonOperator]
	if !ok {
		return nil, validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]", c.ComparisonOperator))
	}
	if n >= 0 && len(c.AttributeValueList) != n || n < 0 && len(c.AttributeValueList) == 0 {
		return nil, invalidParam("Invalid number of argument(s) for the " + c.ComparisonOperator + " ComparisonOperator")
	}
	vals := make([]attr.Value, len(c.AttributeValueList))
	for i, v := range c.AttributeValueList {
		if err := attr.Validate(v.Value); err != nil {
			return nil, invalidParam(trimPrefixes(err.Error()))
		}
		vals[i] = v.Value
	}
	switch c.ComparisonOperator {
	case "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN", "CONTAINS", "NOT_CONTAINS":
		for _, v := range vals {
			switch v.(type) {
			case attr.S, attr.Number, attr.B:
				if c.ComparisonOperator == "BEGINS_WITH" {
					if _, isN := v.(attr.Number); isN {
						return nil, invalidParam("ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type")
					}
				}
			default:
				return nil, invalidParam(fmt.Sprintf("ComparisonOperator %s is not valid for %s AttributeValue type", c.ComparisonOperator, v.Type()))
			}
		}
	}
	if c.ComparisonOperator == "BETWEEN" {
		if r, ok := attr.Compare(vals[0], vals[1]); !ok || r > 0 {
			return nil, invalidParam("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")
		}
	}
	return vals, nil
}

// comparison translates a ComparisonOperator condition on one attribute.
func comparison(name string, c legacyCondition) (expr.Condition, error) {
	if c.Value != nil || c.Exists != nil {
		return nil, invalidParam("Value and Exists are not allowed here for Attribute: " + name)
	}
	vals, err := checkArgs(name, c)
	if err != nil {
		return nil, err
	}
	path := topPath(name)
	po := &expr.PathOperand{Path: path}
	val := func(i int) expr.Operand { return &expr.ValueOperand{Value: vals[i]} }
	switch op := c.ComparisonOperator; op {
	case "NULL":
		return &expr.Func{Name: expr.FuncAttributeNotExists, Path: path}, nil
	case "NOT_NULL":
		return &expr.Func{Name: expr.FuncAttributeExists, Path: path}, nil
	case "CONTAINS":
		return &expr.Func{Name: expr.FuncContains, Path: path, Arg: val(0)}, nil
	case "NOT_CONTAINS":
		// DynamoDB: true when the attribute exists and does not contain
		// the value.
		return &expr.And{
			A: &expr.Func{Name: expr.FuncAttributeExists, Path: path},
			B: &expr.Not{C: &expr.Func{Name: expr.FuncContains, Path: path, Arg: val(0)}},
		}, nil
	case "BEGINS_WITH":
		return &expr.Func{Name: expr.FuncBeginsWith, Path: path, Arg: val(0)}, nil
	case "IN":
		list := make([]expr.Operand, len(vals))
		for i := range vals {
			list[i] = val(i)
		}
		return &expr.In{X: po, List: list}, nil
	case "BETWEEN":
		return &expr.Between{X: po, Lo: val(0), Hi: val(1)}, nil
	default:
		return &expr.Compare{Op: compareOps[op], A: po, B: val(0)}, nil
	}
}

// sortOps are the ComparisonOperators KeyConditions allows on a sort key.
var sortOps = map[string]expr.SortOp{
	"EQ": expr.SortEQ, "LE": expr.SortLE, "LT": expr.SortLT, "GE": expr.SortGE, "GT": expr.SortGT,
	"BEGINS_WITH": expr.SortBeginsWith, "BETWEEN": expr.SortBetween,
}

// legacyKeyCondition translates KeyConditions for a table or index whose
// partition key is partition.
func legacyKeyCondition(conds map[string]legacyCondition, partition string) (*expr.KeyCondition, error) {
	if len(conds) == 0 || len(conds) > 2 {
		return nil, validation("Conditions can be of length 1 or 2 only")
	}
	kc := &expr.KeyCondition{}
	for name, c := range conds {
		vals, err := checkArgs(name, c)
		if err != nil {
			return nil, err
		}
		op, ok := sortOps[c.ComparisonOperator]
		if !ok {
			return nil, validation("Attempted conditional constraint is not an indexable operation")
		}
		for _, v := range vals {
			switch v.(type) {
			case attr.S, attr.Number, attr.B:
			default:
				return nil, invalidParam(fmt.Sprintf("ComparisonOperator %s is not valid for %s AttributeValue type", c.ComparisonOperator, v.Type()))
			}
		}
		if name == partition {
			if op != expr.SortEQ {
				return nil, validation("Query key condition not supported")
			}
			kc.PartitionName, kc.PartitionValue = name, vals[0]
			continue
		}
		kc.Sort = &expr.SortCondition{Name: name, Op: op, Values: vals}
	}
	if kc.PartitionName == "" {
		return nil, validation("Query condition missed key schema element: " + partition)
	}
	return kc, nil
}

// attributeUpdate is one entry of the legacy AttributeUpdates.
type attributeUpdate struct {
	Action string     `json:"Action"`
	Value  *jsonValue `json:"Value"`
}

// legacyUpdate translates AttributeUpdates to an update: PUT sets, DELETE
// without a value removes, DELETE with a set removes its elements, ADD adds
// to a number or a set, or appends to a list.
func legacyUpdate(ups map[string]attributeUpdate) (*expr.Update, error) {
	u := &expr.Update{}
	names := make([]string, 0, len(ups))
	for n := range ups {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := ups[n]
		path := topPath(n)
		if a.Value != nil {
			if err := attr.Validate(a.Value.Value); err != nil {
				return nil, invalidParam(trimPrefixes(err.Error()))
			}
		}
		switch a.Action {
		case "", "PUT":
			if a.Value == nil {
				return nil, invalidParam("Only DELETE action is allowed when no attribute value is specified: " + n)
			}
			u.Set = append(u.Set, expr.SetAction{Path: path, Value: &expr.ValueOperand{Value: a.Value.Value}})
		case "DELETE":
			if a.Value == nil {
				u.Remove = append(u.Remove, path)
				continue
			}
			switch a.Value.Value.(type) {
			case attr.SS, attr.NS, attr.BS:
			default:
				return nil, invalidParam("DELETE action with value is not supported for the type " + a.Value.Value.Type().String())
			}
			u.Delete = append(u.Delete, expr.DeleteAction{Path: path, Value: a.Value.Value})
		case "ADD":
			if a.Value == nil {
				return nil, invalidParam("Only DELETE action is allowed when no attribute value is specified: " + n)
			}
			switch v := a.Value.Value.(type) {
			case attr.Number, attr.SS, attr.NS, attr.BS:
				u.Add = append(u.Add, expr.AddAction{Path: path, Value: v})
			case attr.L:
				u.Set = append(u.Set, expr.SetAction{Path: path, Value: &expr.ListAppend{
					A: &expr.IfNotExists{Path: path, Value: &expr.ValueOperand{Value: attr.L{}}},
					B: &expr.ValueOperand{Value: v},
				}})
			default:
				return nil, invalidParam("ADD action is not supported for the type " + v.Type().String())
			}
		default:
			return nil, validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'attributeUpdates.%s.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]", a.Action, n))
		}
	}
	return u, nil
}

// attributesToGet translates AttributesToGet to a projection.
func attributesToGet(names []string) (expr.Projection, error) {
	if names == nil {
		return nil, nil
	}
	if len(names) == 0 {
		return nil, validation("1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	seen := map[string]bool{}
	p := make(expr.Projection, 0, len(names))
	for _, n := range names {
		if seen[n] {
			return nil, invalidParam("Duplicate value in attribute name: " + n)
		}
		seen[n] = true
		p = append(p, topPath(n))
	}
	return p, nil
}

// projectionNames returns the top-level attributes of a projection, nil
// for none (every attribute).
func projectionNames(p expr.Projection) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, path := range p {
		if !slices.Contains(out, path[0].Name) {
			out = append(out, path[0].Name)
		}
	}
	return out
}
