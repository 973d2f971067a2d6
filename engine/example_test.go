package engine_test

import (
	"context"
	"fmt"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
)

func Example() {
	ctx := context.Background()
	db, err := engine.Open(engine.Options{InMemory: true})
	if err != nil {
		panic(err)
	}
	defer db.Close()

	_, err = db.CreateTable(ctx, engine.TableSpec{Name: "Orders", KeySchema: engine.KeySchema{
		Partition: engine.KeyAttribute{Name: "user", Type: attr.TypeS},
		Sort:      &engine.KeyAttribute{Name: "id", Type: attr.TypeN},
	}})
	if err != nil {
		panic(err)
	}
	for i, amount := range []int64{30, 12, 55} {
		item := attr.Item{"user": attr.S("ann"), "id": attr.NumberFromInt64(int64(i + 1)), "amount": attr.NumberFromInt64(amount)}
		if _, err := db.PutItem(ctx, engine.PutItemInput{Table: "Orders", Item: item}); err != nil {
			panic(err)
		}
	}

	// A write whose condition fails says so with a stable code.
	p := &expr.Params{Values: map[string]attr.Value{":max": attr.NumberFromInt64(20)}}
	cond, err := p.Condition("amount < :max")
	if err != nil {
		panic(err)
	}
	_, err = db.DeleteItem(ctx, engine.DeleteItemInput{Table: "Orders",
		Key: attr.Item{"user": attr.S("ann"), "id": attr.NumberFromInt64(1)}, Condition: cond})
	fmt.Println(engine.CodeOf(err))

	// Ann's orders of more than 20, newest first.
	p = &expr.Params{
		Names:  map[string]string{"#u": "user"},
		Values: map[string]attr.Value{":u": attr.S("ann"), ":min": attr.NumberFromInt64(20)},
	}
	kc, err := p.KeyCondition("#u = :u")
	if err != nil {
		panic(err)
	}
	filter, err := p.Condition("amount > :min")
	if err != nil {
		panic(err)
	}
	page, err := db.Query(ctx, engine.QueryInput{Table: "Orders", KeyCondition: kc,
		Paging: engine.Paging{Filter: filter, Backward: true}})
	if err != nil {
		panic(err)
	}
	for _, it := range page.Items {
		fmt.Println(it["id"], it["amount"])
	}
	fmt.Println(page.Count, "of", page.ScannedCount, "read")
	// Output:
	// CONDITIONAL_CHECK_FAILED
	// 3 55
	// 1 30
	// 2 of 3 read
}
