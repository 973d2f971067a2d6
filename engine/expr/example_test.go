package expr_test

import (
	"fmt"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
)

func Example() {
	item := attr.M{"id": attr.S("a1"), "status": attr.S("open"), "hits": attr.NumberFromInt64(41)}
	p := &expr.Params{
		Names:  map[string]string{"#s": "status"},
		Values: map[string]attr.Value{":open": attr.S("open"), ":one": attr.NumberFromInt64(1)},
	}
	cond, err := p.Condition("#s = :open AND attribute_exists(hits)")
	if err != nil {
		panic(err)
	}
	upd, err := p.Update("SET hits = hits + :one")
	if err != nil {
		panic(err)
	}
	if err := p.CheckUnused(); err != nil {
		panic(err)
	}
	if err := upd.Validate("id"); err != nil {
		panic(err)
	}
	fmt.Println(expr.Eval(cond, item))
	next, err := upd.Apply(item)
	if err != nil {
		panic(err)
	}
	fmt.Println(next["hits"], item["hits"])

	_, err = p.Condition("status = :open")
	fmt.Println(err)
	// Output:
	// true
	// 42 41
	// expr: Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status; use an expression attribute name (#name) in its place at position 0 near "status"
}
