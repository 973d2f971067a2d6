package expr

import (
	"testing"

	"github.com/shoaldb/shoal/engine/attr"
)

func benchItem() attr.M {
	return attr.M{
		"pk": attr.S("user#42"), "sk": attr.S("order#2024-01-01"), "status": attr.S("SHIPPED"),
		"amount": attr.NumberFromInt64(1250), "tags": attr.SS{"gift", "express"},
		"address":    attr.M{"city": attr.S("Lisbon"), "zip": attr.S("1000-001")},
		"orderLines": attr.L{attr.M{"sku": attr.S("A1"), "qty": attr.NumberFromInt64(2)}},
	}
}

const benchFilter = "#st = :st AND amount BETWEEN :lo AND :hi AND contains(tags, :tag) AND address.city IN (:c1, :c2) AND size(orderLines) > :zero"

func benchParams() *Params {
	return &Params{
		Names: map[string]string{"#st": "status"},
		Values: map[string]attr.Value{
			":st": attr.S("SHIPPED"), ":lo": attr.NumberFromInt64(100), ":hi": attr.NumberFromInt64(5000),
			":tag": attr.S("gift"), ":c1": attr.S("Lisbon"), ":c2": attr.S("Porto"), ":zero": attr.NumberFromInt64(0),
		},
	}
}

// BenchmarkFilterEval is the per-item cost of a bound filter.
func BenchmarkFilterEval(b *testing.B) {
	c, err := benchParams().Condition(benchFilter)
	if err != nil {
		b.Fatal(err)
	}
	item := benchItem()
	b.ReportAllocs()
	for b.Loop() {
		if !Eval(c, item) {
			b.Fatal("false")
		}
	}
}

// BenchmarkFilterParseEvalCached is bind (cache hit) + eval: a request's cost.
func BenchmarkFilterParseEvalCached(b *testing.B) {
	item := benchItem()
	b.ReportAllocs()
	for b.Loop() {
		c, err := benchParams().Condition(benchFilter)
		if err != nil || !Eval(c, item) {
			b.Fatal(err)
		}
	}
}

// BenchmarkFilterParseEvalUncached lexes and parses every time (the
// cache entry is dropped before each call), then binds and evaluates.
func BenchmarkFilterParseEvalUncached(b *testing.B) {
	item := benchItem()
	b.ReportAllocs()
	for b.Loop() {
		cache.Delete(cacheKey{kindCondition, benchFilter})
		cacheSize.Add(-1)
		c, err := benchParams().Condition(benchFilter)
		if err != nil || !Eval(c, item) {
			b.Fatal(err)
		}
	}
}

const benchUpdate = "SET amount = amount + :inc, #st = :st, orderLines = list_append(orderLines, :line), updated = if_not_exists(created, :now) REMOVE address.zip ADD tags :tags"

func benchUpdateParams() *Params {
	return &Params{
		Names: map[string]string{"#st": "status"},
		Values: map[string]attr.Value{
			":inc": attr.NumberFromInt64(5), ":st": attr.S("DELIVERED"), ":now": attr.S("2024-01-02"),
			":line": attr.L{attr.M{"sku": attr.S("B2")}}, ":tags": attr.SS{"late"},
		},
	}
}

// BenchmarkUpdateParseApplyCached is bind (cache hit) + validate + apply.
func BenchmarkUpdateParseApplyCached(b *testing.B) {
	item := benchItem()
	b.ReportAllocs()
	for b.Loop() {
		u, err := benchUpdateParams().Update(benchUpdate)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := u.Apply(item); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateParseApplyUncached lexes and parses every time.
func BenchmarkUpdateParseApplyUncached(b *testing.B) {
	item := benchItem()
	b.ReportAllocs()
	for b.Loop() {
		cache.Delete(cacheKey{kindUpdate, benchUpdate})
		cacheSize.Add(-1)
		u, err := benchUpdateParams().Update(benchUpdate)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := u.Apply(item); err != nil {
			b.Fatal(err)
		}
	}
}
