package engine

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
	"github.com/stretchr/testify/require"
)

// Query and Scan, checked against a reference model: the items of a
// partition sorted with attr.Compare and filtered in Go.

// Sort-key values of each type, including the awkward ones: numbers of every
// sign and magnitude, strings and binaries with 0x00 and 0xFF bytes and
// prefixes of one another.
var (
	sortNumbers = []string{
		"-9.9999999999999999999999999999999999999E+125", "-1e100", "-123456789012345678901234567890", "-1e10",
		"-100", "-11", "-10", "-1.5", "-1", "-0.5", "-0.001", "-1E-130",
		"0",
		"1E-130", "1e-100", "0.001", "0.01", "0.5", "1", "1.0000000000000000000000000000000000001",
		"1.5", "2", "10", "11", "100", "101", "1e10", "123456789012345678901234567890", "1e100",
		"9.9999999999999999999999999999999999999E+125",
	}
	sortStrings = []string{
		"a", "a\x00", "a\x00b", "a\x01", "aa", "ab", "abc", "abd", "b", "ba", "A", "Z", "0", "9", " ", "~",
		"é", "éa", "日本", "\x01", "\x7f", "a b", "a\U0010FFFF", "\U0010FFFF",
	}
	sortBinaries = [][]byte{
		{0}, {0, 0}, {0, 0, 0}, {0, 1}, {0, 0xFF}, {1}, {1, 2}, {1, 2, 3}, {1, 3}, {0x7F}, {0x80}, {0xFE}, {0xFF}, {0xFF, 0}, {0xFF, 0xFF},
	}
)

// queryFixture is a table with one partition "p" holding every sort value of
// one type (plus neighbouring partitions that must never leak in).
type queryFixture struct {
	db    *DB
	table string
	typ   attr.Type
	// items of partition "p", in ascending sort-key order.
	items []attr.Item
}

func newQueryFixture(t *testing.T, db *DB, typ attr.Type) *queryFixture {
	t.Helper()
	f := &queryFixture{db: db, table: "Query" + typ.String(), typ: typ}
	createTable(t, db, TableSpec{Name: f.table, KeySchema: compositeKey("pk", attr.TypeS, "sk", typ)})
	var values []attr.Value
	switch typ {
	case attr.TypeN:
		for _, s := range sortNumbers {
			values = append(values, num(s))
		}
	case attr.TypeS:
		for _, s := range sortStrings {
			values = append(values, attr.S(s))
		}
	case attr.TypeB:
		for _, b := range sortBinaries {
			values = append(values, attr.B(b))
		}
	}
	for i, v := range values {
		it := attr.Item{"pk": attr.S("p"), "sk": v, "i": num(i), "even": attr.Bool(i%2 == 0), "pad": attr.S(strings.Repeat("x", i))}
		f.items = append(f.items, it)
		// Neighbouring partitions share prefixes with "p".
		for _, other := range []string{"o", "p0", "p\x00", "pp", "q"} {
			putItems(t, db, f.table, attr.Item{"pk": attr.S(other), "sk": v, "i": num(-1)})
		}
	}
	// Write p's items in a scrambled order: odd positions, then even ones
	// backwards.
	for i := 1; i < len(f.items); i += 2 {
		putItems(t, db, f.table, f.items[i])
	}
	for i := (len(f.items) - 1) &^ 1; i >= 0; i -= 2 {
		putItems(t, db, f.table, f.items[i])
	}
	slices.SortFunc(f.items, func(a, b attr.Item) int {
		c, ok := attr.Compare(a["sk"], b["sk"])
		if !ok {
			panic("incomparable")
		}
		return c
	})
	return f
}

// sortCase is one sort-key condition with its reference predicate.
type sortCase struct {
	name string
	cond string // key condition text, over :pk, :a, :b
	a, b attr.Value
	keep func(sk attr.Value) bool
}

func cmp(a, b attr.Value) int {
	c, ok := attr.Compare(a, b)
	if !ok {
		panic(fmt.Sprintf("incomparable %v %v", a, b))
	}
	return c
}

func hasPrefix(v, p attr.Value) bool {
	switch v := v.(type) {
	case attr.S:
		return strings.HasPrefix(string(v), string(p.(attr.S)))
	case attr.B:
		return bytes.HasPrefix(v, p.(attr.B))
	}
	return false
}

// sortCases builds every operator over a selection of bounds: stored values
// (first, middle, last) and values that fall between or outside them.
func sortCases(bounds []attr.Value, prefixes []attr.Value) []sortCase {
	var cs []sortCase
	for _, a := range bounds {
		cs = append(cs,
			sortCase{"= " + show(a), "pk = :pk AND sk = :a", a, nil, func(v attr.Value) bool { return cmp(v, a) == 0 }},
			sortCase{"< " + show(a), "pk = :pk AND sk < :a", a, nil, func(v attr.Value) bool { return cmp(v, a) < 0 }},
			sortCase{"<= " + show(a), "pk = :pk AND sk <= :a", a, nil, func(v attr.Value) bool { return cmp(v, a) <= 0 }},
			sortCase{"> " + show(a), "pk = :pk AND sk > :a", a, nil, func(v attr.Value) bool { return cmp(v, a) > 0 }},
			sortCase{">= " + show(a), "pk = :pk AND sk >= :a", a, nil, func(v attr.Value) bool { return cmp(v, a) >= 0 }},
		)
		for _, b := range bounds {
			if cmp(a, b) > 0 {
				continue
			}
			cs = append(cs, sortCase{"BETWEEN " + show(a) + " AND " + show(b), "pk = :pk AND sk BETWEEN :a AND :b", a, b,
				func(v attr.Value) bool { return cmp(v, a) >= 0 && cmp(v, b) <= 0 }})
		}
	}
	for _, p := range prefixes {
		cs = append(cs, sortCase{"begins_with " + show(p), "pk = :pk AND begins_with(sk, :a)", p, nil, func(v attr.Value) bool { return hasPrefix(v, p) }})
	}
	cs = append(cs, sortCase{"partition only", "pk = :pk", nil, nil, func(attr.Value) bool { return true }})
	return cs
}

func show(v attr.Value) string {
	switch v := v.(type) {
	case attr.S:
		return fmt.Sprintf("S%q", string(v))
	case attr.B:
		return fmt.Sprintf("B%x", []byte(v))
	case attr.Number:
		return "N" + v.String()
	}
	return fmt.Sprint(v)
}

func boundsFor(typ attr.Type) (bounds, prefixes []attr.Value) {
	switch typ {
	case attr.TypeN:
		for _, s := range []string{"-9.9999999999999999999999999999999999999E+125", "-1e200", "-10.5", "-1", "-1E-130", "-1e-131", "0", "1e-131",
			"1E-130", "0.5", "1", "1.0000001", "10", "100.5", "1e100", "9.9999999999999999999999999999999999999E+125", "1e126"} {
			n, err := attr.ParseNumber(s)
			if err != nil {
				continue // out of DynamoDB's range: not a valid bound
			}
			bounds = append(bounds, n)
		}
	case attr.TypeS:
		for _, s := range []string{"\x00", "\x01", "A", "a", "a\x00", "a\x00a", "aa", "ab", "abc", "abcd", "b", "é", "\U0010FFFF", "\U0010FFFFa"} {
			bounds = append(bounds, attr.S(s))
		}
		for _, s := range []string{"a", "a\x00", "ab", "abc", "é", "z", "\x01", "a\U0010FFFF", "\U0010FFFF"} {
			prefixes = append(prefixes, attr.S(s))
		}
	case attr.TypeB:
		for _, b := range [][]byte{{0}, {0, 0}, {0, 0xFF}, {0, 0xFF, 0}, {1}, {1, 2}, {1, 2, 3, 4}, {0x80}, {0xFF}, {0xFF, 0xFF}, {0xFF, 0xFF, 0xFF}} {
			bounds = append(bounds, attr.B(b))
		}
		for _, b := range [][]byte{{0}, {0, 0}, {1}, {1, 2}, {0xFF}, {0xFF, 0xFF}, {0x42}} {
			prefixes = append(prefixes, attr.B(b))
		}
	}
	return bounds, prefixes
}

// queryAll reads every page of in, resuming by cursor or by
// ExclusiveStartKey, and checks the paging invariants on the way.
func queryAll(t *testing.T, db *DB, in QueryInput, byKey bool) (items []attr.Item, pages int) {
	t.Helper()
	ctx := context.Background()
	for {
		pages++
		require.Less(t, pages, 10000, "paging does not end")
		page, err := db.Query(ctx, in)
		require.NoError(t, err)
		require.Equal(t, page.Cursor == nil, page.LastEvaluatedKey == nil)
		if in.Limit > 0 {
			n := page.ScannedCount
			if in.LimitMatches {
				n = page.Count
			}
			require.LessOrEqual(t, n, in.Limit)
			if page.Cursor != nil {
				require.Equal(t, in.Limit, n, "a page with a cursor is full")
			}
		}
		require.Len(t, page.Items, page.Count)
		items = append(items, page.Items...)
		if page.Cursor == nil {
			return items, pages
		}
		if byKey {
			in.After, in.ExclusiveStartKey = nil, page.LastEvaluatedKey
		} else {
			in.After, in.ExclusiveStartKey = page.Cursor, nil
		}
	}
}

func sortKeys(items []attr.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = show(it["pk"]) + "/" + show(it["sk"])
	}
	return out
}

func TestQuerySortKeyConditions(t *testing.T) {
	db := openTestDB(t)
	for _, typ := range []attr.Type{attr.TypeN, attr.TypeS, attr.TypeB} {
		f := newQueryFixture(t, db, typ)
		bounds, prefixes := boundsFor(typ)
		// Stored values are bounds too.
		for _, i := range []int{0, 1, len(f.items) / 2, len(f.items) - 2, len(f.items) - 1} {
			bounds = append(bounds, f.items[i]["sk"])
		}
		for _, sc := range sortCases(bounds, prefixes) {
			var want []attr.Item
			for _, it := range f.items {
				if sc.keep(it["sk"]) {
					want = append(want, it)
				}
			}
			values := vals(":pk", attr.S("p"))
			if sc.a != nil {
				values[":a"] = sc.a
			}
			if sc.b != nil {
				values[":b"] = sc.b
			}
			kc := mustKeyCond(t, sc.cond, values)
			t.Run(typ.String()+"/"+sc.name, func(t *testing.T) {
				for _, backward := range []bool{false, true} {
					exp := want
					if backward {
						exp = slices.Clone(want)
						slices.Reverse(exp)
					}
					// One page.
					got, pages := queryAll(t, db, QueryInput{Table: f.table, KeyCondition: kc, Paging: Paging{Backward: backward}}, false)
					require.Equal(t, 1, pages)
					require.Equal(t, sortKeys(exp), sortKeys(got), "backward=%v", backward)
					for i := range got {
						requireItem(t, exp[i], got[i])
					}
					// Small pages, by cursor and by key.
					for _, limit := range []int{1, 3} {
						for _, byKey := range []bool{false, true} {
							got, pages := queryAll(t, db, QueryInput{Table: f.table, KeyCondition: kc, Paging: Paging{Backward: backward, Limit: limit}}, byKey)
							require.Equal(t, sortKeys(exp), sortKeys(got), "backward=%v limit=%d byKey=%v", backward, limit, byKey)
							// The last page is the one that ends with nothing left:
							// no empty trailing page, even when the last page is full.
							wantPages := max(1, (len(exp)+limit-1)/limit)
							require.Equal(t, wantPages, pages, "backward=%v limit=%d byKey=%v", backward, limit, byKey)
						}
					}
				}
			})
		}
	}
}

func TestQueryLimitAndFilter(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	createTable(t, db, TableSpec{Name: "Filt", KeySchema: compositeKey("pk", attr.TypeS, "sk", attr.TypeN)})
	// 20 items; "m" is true for sk in {0, 3, 6, ..., 18}: 7 matches, and
	// the last 1 item (19) does not match.
	var all, matches []attr.Item
	for i := range 20 {
		it := attr.Item{"pk": attr.S("p"), "sk": num(i), "m": attr.Bool(i%3 == 0), "attrx": attr.S("o")}
		all = append(all, it)
		if i%3 == 0 {
			matches = append(matches, it)
		}
		putItems(t, db, "Filt", it)
	}
	kc := mustKeyCond(t, "pk = :p", vals(":p", attr.S("p")))
	filter := mustCond(t, "m = :t", vals(":t", attr.Bool(true)))

	t.Run("filter: Count vs ScannedCount", func(t *testing.T) {
		page, err := db.Query(ctx, QueryInput{Table: "Filt", KeyCondition: kc, Paging: Paging{Filter: filter}})
		require.NoError(t, err)
		require.Equal(t, 7, page.Count)
		require.Equal(t, 20, page.ScannedCount)
		require.Equal(t, sortKeys(matches), sortKeys(page.Items))
		require.Nil(t, page.Cursor)
	})
	t.Run("Limit counts evaluated items (DynamoDB)", func(t *testing.T) {
		page, err := db.Query(ctx, QueryInput{Table: "Filt", KeyCondition: kc, Paging: Paging{Filter: filter, Limit: 5}})
		require.NoError(t, err)
		require.Equal(t, 5, page.ScannedCount)
		require.Equal(t, 2, page.Count) // sk 0 and 3
		require.Equal(t, sortKeys(matches[:2]), sortKeys(page.Items))
		require.NotNil(t, page.Cursor)
		requireItem(t, attr.Item{"pk": attr.S("p"), "sk": num(4)}, page.LastEvaluatedKey)
	})
	t.Run("Limit with no matches still returns a cursor", func(t *testing.T) {
		page, err := db.Query(ctx, QueryInput{Table: "Filt", KeyCondition: kc, Paging: Paging{Filter: filter, Limit: 2,
			ExclusiveStartKey: attr.Item{"pk": attr.S("p"), "sk": num(0)}}})
		require.NoError(t, err)
		require.Equal(t, 2, page.ScannedCount)
		require.Zero(t, page.Count)
		require.Empty(t, page.Items)
		requireItem(t, attr.Item{"pk": attr.S("p"), "sk": num(2)}, page.LastEvaluatedKey)
	})
	t.Run("LimitMatches counts matches", func(t *testing.T) {
		page, err := db.Query(ctx, QueryInput{Table: "Filt", KeyCondition: kc, Paging: Paging{Filter: filter, Limit: 3, LimitMatches: true}})
		require.NoError(t, err)
		require.Equal(t, 3, page.Count)
		require.Equal(t, 7, page.ScannedCount) // sk 0..6
		require.Equal(t, sortKeys(matches[:3]), sortKeys(page.Items))
		require.NotNil(t, page.Cursor)
	})
	for _, limit := range []int{1, 2, 3, 4, 5, 6, 7, 8, 19, 20, 21} {
		for _, lm := range []bool{false, true} {
			for _, backward := range []bool{false, true} {
				for _, byKey := range []bool{false, true} {
					name := fmt.Sprintf("paging limit=%d matches=%v backward=%v byKey=%v", limit, lm, backward, byKey)
					t.Run(name, func(t *testing.T) {
						exp := slices.Clone(matches)
						if backward {
							slices.Reverse(exp)
						}
						got, pages := queryAll(t, db, QueryInput{Table: "Filt", KeyCondition: kc, Paging: Paging{Filter: filter, Limit: limit, LimitMatches: lm, Backward: backward}}, byKey)
						require.Equal(t, sortKeys(exp), sortKeys(got))
						// Cursor nil exactly when nothing is left: no
						// trailing empty page.
						n := len(all)
						if lm {
							n = len(matches)
						}
						require.Equal(t, max(1, (n+limit-1)/limit), pages)
					})
				}
			}
		}
	}
	t.Run("last page exactly full has no cursor", func(t *testing.T) {
		page, err := db.Query(ctx, QueryInput{Table: "Filt", KeyCondition: kc, Paging: Paging{Limit: 20}})
		require.NoError(t, err)
		require.Equal(t, 20, page.Count)
		require.Nil(t, page.Cursor)
		require.Nil(t, page.LastEvaluatedKey)
		// LimitMatches: the 7th match (sk 18) fills the page and only a
		// non-match (sk 19) follows.
		page, err = db.Query(ctx, QueryInput{Table: "Filt", KeyCondition: kc, Paging: Paging{Filter: filter, Limit: 7, LimitMatches: true}})
		require.NoError(t, err)
		require.Equal(t, 7, page.Count)
		require.Nil(t, page.Cursor)
	})
	t.Run("projection", func(t *testing.T) {
		page, err := db.Query(ctx, QueryInput{Table: "Filt", KeyCondition: kc, Paging: Paging{Filter: filter, Projection: mustProj(t, "sk, nope"), Limit: 4}})
		require.NoError(t, err)
		require.Equal(t, []attr.Item{{"sk": num(0)}, {"sk": num(3)}}, page.Items)
		// The cursor still works although the keys were projected away.
		requireItem(t, attr.Item{"pk": attr.S("p"), "sk": num(3)}, page.LastEvaluatedKey)
	})
	t.Run("filter on a projected-away attribute", func(t *testing.T) {
		page, err := db.Query(ctx, QueryInput{Table: "Filt", KeyCondition: kc, Paging: Paging{Filter: filter, Projection: mustProj(t, "attrx")}})
		require.NoError(t, err)
		require.Equal(t, 7, page.Count)
		for _, it := range page.Items {
			require.Equal(t, attr.Item{"attrx": attr.S("o")}, it)
		}
	})
	t.Run("CountOnly", func(t *testing.T) {
		page, err := db.Query(ctx, QueryInput{Table: "Filt", KeyCondition: kc, Paging: Paging{Filter: filter, CountOnly: true}})
		require.NoError(t, err)
		require.Equal(t, 7, page.Count)
		require.Equal(t, 20, page.ScannedCount)
		require.Nil(t, page.Items)
		page, err = db.Query(ctx, QueryInput{Table: "Filt", KeyCondition: kc, Paging: Paging{CountOnly: true, Limit: 6}})
		require.NoError(t, err)
		require.Equal(t, 6, page.Count)
		require.Nil(t, page.Items)
		require.NotNil(t, page.Cursor)
	})
	t.Run("empty partition", func(t *testing.T) {
		page, err := db.Query(ctx, QueryInput{Table: "Filt", KeyCondition: mustKeyCond(t, "pk = :p", vals(":p", attr.S("nobody"))), Paging: Paging{Limit: 1}})
		require.NoError(t, err)
		require.Zero(t, page.Count)
		require.Zero(t, page.ScannedCount)
		require.Nil(t, page.Cursor)
	})
}

func TestQueryPageSizeCap(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	createTable(t, db, TableSpec{Name: "Big", KeySchema: compositeKey("pk", attr.TypeS, "sk", attr.TypeN)})
	const n = 25
	big := strings.Repeat("x", 100*1024)
	for i := range n {
		putItems(t, db, "Big", attr.Item{"pk": attr.S("p"), "sk": num(i), "big": attr.S(big)})
	}
	kc := mustKeyCond(t, "pk = :p", vals(":p", attr.S("p")))
	for _, backward := range []bool{false, true} {
		t.Run(fmt.Sprintf("backward=%v", backward), func(t *testing.T) {
			in := QueryInput{Table: "Big", KeyCondition: kc, Paging: Paging{Backward: backward, Projection: mustProj(t, "sk")}}
			seen := map[string]bool{}
			var order []int64
			for pages := 0; ; pages++ {
				require.Less(t, pages, n)
				page, err := db.Query(ctx, in)
				require.NoError(t, err)
				// ~1 MB of 100 KB items: 10 or 11 per page.
				if page.Cursor != nil {
					require.GreaterOrEqual(t, page.ScannedCount, 10)
					require.LessOrEqual(t, page.ScannedCount, 11)
				}
				for _, it := range page.Items {
					k := show(it["sk"])
					require.False(t, seen[k], "duplicate %s", k)
					seen[k] = true
					i, _ := it["sk"].(attr.Number).Int64()
					order = append(order, i)
				}
				if page.Cursor == nil {
					break
				}
				in.After = page.Cursor
			}
			require.Len(t, seen, n)
			require.True(t, slices.IsSortedFunc(order, func(a, b int64) int {
				if backward {
					a, b = b, a
				}
				return int(a - b)
			}))
		})
	}
	t.Run("Limit below the cap wins", func(t *testing.T) {
		page, err := db.Query(ctx, QueryInput{Table: "Big", KeyCondition: kc, Paging: Paging{Limit: 3}})
		require.NoError(t, err)
		require.Equal(t, 3, page.Count)
	})
	t.Run("the cap also bounds a filtered page", func(t *testing.T) {
		page, err := db.Query(ctx, QueryInput{Table: "Big", KeyCondition: kc, Paging: Paging{Filter: mustCond(t, "sk < :z", vals(":z", num(0))), Limit: 1, LimitMatches: true}})
		require.NoError(t, err)
		require.Zero(t, page.Count)
		require.NotNil(t, page.Cursor, "a page that read 1 MB stops with a cursor")
		require.LessOrEqual(t, page.ScannedCount, 11)
	})
}

func TestQueryValidation(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	createTable(t, db, TableSpec{Name: "Val", KeySchema: compositeKey("pk", attr.TypeS, "sk", attr.TypeN),
		GlobalIndexes: []IndexSpec{{Name: "byG", KeySchema: compositeKey("g", attr.TypeS, "sk", attr.TypeN)}}})
	createTable(t, db, TableSpec{Name: "Val2", KeySchema: compositeKey("pk", attr.TypeS, "sk", attr.TypeN)})
	createTable(t, db, TableSpec{Name: "Simple", KeySchema: hashKey("pk", attr.TypeS)})
	for i := range 5 {
		for _, tbl := range []string{"Val", "Val2"} {
			putItems(t, db, tbl,
				attr.Item{"pk": attr.S("p"), "sk": num(i), "g": attr.S("g"), "x": num(i)},
				attr.Item{"pk": attr.S("q"), "sk": num(i), "g": attr.S("g"), "x": num(i)})
		}
	}
	putItems(t, db, "Simple", attr.Item{"pk": attr.S("p")})
	kc := mustKeyCond(t, "pk = :p", vals(":p", attr.S("p")))
	first, err := db.Query(ctx, QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{Limit: 2}})
	require.NoError(t, err)
	require.NotNil(t, first.Cursor)
	ixPage, err := db.Query(ctx, QueryInput{Table: "Val", Index: "byG", KeyCondition: mustKeyCond(t, "g = :g", vals(":g", attr.S("g"))), Paging: Paging{Limit: 2}})
	require.NoError(t, err)
	require.NotNil(t, ixPage.Cursor)
	otherPartition, err := db.Query(ctx, QueryInput{Table: "Val", KeyCondition: mustKeyCond(t, "pk = :p", vals(":p", attr.S("q"))), Paging: Paging{Limit: 2}})
	require.NoError(t, err)
	tamper := func(f func(c []byte) []byte) []byte { return f(slices.Clone(first.Cursor)) }

	tests := []struct {
		name string
		in   QueryInput
		msg  string
	}{
		{"no key condition", QueryInput{Table: "Val"}, "key condition"},
		{"key condition on a non-key attribute", QueryInput{Table: "Val", KeyCondition: mustKeyCond(t, "x = :p", vals(":p", attr.S("p")))}, "pk"},
		{"sort condition on a non-key attribute", QueryInput{Table: "Val", KeyCondition: mustKeyCond(t, "pk = :p AND x > :n", vals(":p", attr.S("p"), ":n", num(1)))}, "non-key attribute: x"},
		{"key condition on the sort key only", QueryInput{Table: "Val", KeyCondition: mustKeyCond(t, "sk = :n", vals(":n", num(1)))}, "pk"},
		{"sort condition on a table without a sort key", QueryInput{Table: "Simple", KeyCondition: mustKeyCond(t, "pk = :p AND sk > :n", vals(":p", attr.S("p"), ":n", num(1)))}, "sk"},
		{"partition value of the wrong type", QueryInput{Table: "Val", KeyCondition: mustKeyCond(t, "pk = :p", vals(":p", num(1)))}, "type mismatch"},
		{"sort value of the wrong type", QueryInput{Table: "Val", KeyCondition: mustKeyCond(t, "pk = :p AND sk > :n", vals(":p", attr.S("p"), ":n", attr.S("1")))}, "type mismatch"},
		{"empty partition value", QueryInput{Table: "Val", KeyCondition: mustKeyCond(t, "pk = :p", vals(":p", attr.S("")))}, "empty"},
		{"BETWEEN with bounds reversed", QueryInput{Table: "Val", KeyCondition: &expr.KeyCondition{PartitionName: "pk", PartitionValue: attr.S("p"),
			Sort: &expr.SortCondition{Name: "sk", Op: expr.SortBetween, Values: []attr.Value{num(3), num(1)}}}}, "BETWEEN"},
		{"BETWEEN with one value", QueryInput{Table: "Val", KeyCondition: &expr.KeyCondition{PartitionName: "pk", PartitionValue: attr.S("p"),
			Sort: &expr.SortCondition{Name: "sk", Op: expr.SortBetween, Values: []attr.Value{num(3)}}}}, "value"},
		{"begins_with on a number sort key", QueryInput{Table: "Val", KeyCondition: mustKeyCond(t, "pk = :p AND begins_with(sk, :a)", vals(":p", attr.S("p"), ":a", attr.S("1")))}, "begins_with"},
		{"unknown index", QueryInput{Table: "Val", Index: "nope", KeyCondition: kc}, "index"},
		{"negative Limit", QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{Limit: -1}}, "Limit"},
		{"cursor and start key together", QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{After: first.Cursor, ExclusiveStartKey: first.LastEvaluatedKey}}, "not both"},
		{"cursor from another table", QueryInput{Table: "Val2", KeyCondition: kc, Paging: Paging{After: first.Cursor}}, "cursor"},
		{"cursor from an index", QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{After: ixPage.Cursor}}, "cursor"},
		{"table cursor on an index", QueryInput{Table: "Val", Index: "byG", KeyCondition: mustKeyCond(t, "g = :g", vals(":g", attr.S("g"))), Paging: Paging{After: first.Cursor}}, "cursor"},
		{"cursor from another partition", QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{After: otherPartition.Cursor}}, "outside"},
		{"empty cursor", QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{After: []byte{}}}, "cursor"},
		{"truncated cursor", QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{After: first.Cursor[:8]}}, "cursor"},
		{"cursor with a bad version", QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{After: tamper(func(c []byte) []byte { c[0] ^= 0x7F; return c })}}, "cursor"},
		{"cursor with a bad table id", QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{After: tamper(func(c []byte) []byte { c[8] ^= 0x40; return c })}}, "cursor"},
		{"cursor with garbage key", QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{After: tamper(func(c []byte) []byte { return append(c[:15], 0xFF, 0xFF) })}}, ""},
		{"cursor of a scan segment", QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{After: tamper(func(c []byte) []byte { c[13], c[14] = 1, 2; return c })}}, "cursor"},
		{"start key from another partition", QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{ExclusiveStartKey: attr.Item{"pk": attr.S("q"), "sk": num(1)}}}, "outside"},
		{"start key without the sort key", QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{ExclusiveStartKey: attr.Item{"pk": attr.S("p")}}}, "starting key"},
		{"start key with an extra attribute", QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{ExclusiveStartKey: attr.Item{"pk": attr.S("p"), "sk": num(1), "x": num(1)}}}, "starting key"},
		{"start key of the wrong type", QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{ExclusiveStartKey: attr.Item{"pk": attr.S("p"), "sk": attr.S("1")}}}, "starting key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.Query(ctx, tc.in)
			requireCode(t, CodeValidation, err)
			require.Contains(t, err.Error(), tc.msg)
		})
	}
	t.Run("key condition parse errors are VALIDATION", func(t *testing.T) {
		for _, text := range []string{"pk = :p OR sk = :n", "NOT pk = :p", "pk < :p", "pk = :p AND sk <> :n", "pk = :p AND sk = :n AND sk = :n", "pk = :p AND sk BETWEEN :n AND :z"} {
			_, err := mustParams(vals(":p", attr.S("p"), ":n", num(1), ":z", num(0))).KeyCondition(text)
			requireCode(t, CodeValidation, err, text)
		}
	})
	t.Run("equalities may name the sort key first", func(t *testing.T) {
		page, err := db.Query(ctx, QueryInput{Table: "Val", KeyCondition: mustKeyCond(t, "sk = :n AND pk = :p", vals(":p", attr.S("p"), ":n", num(2)))})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		requireItem(t, attr.Item{"pk": attr.S("p"), "sk": num(2), "g": attr.S("g"), "x": num(2)}, page.Items[0])
	})
	t.Run("the start key item need not exist", func(t *testing.T) {
		page, err := db.Query(ctx, QueryInput{Table: "Val", KeyCondition: kc, Paging: Paging{ExclusiveStartKey: attr.Item{"pk": attr.S("p"), "sk": num("2.5")}}})
		require.NoError(t, err)
		require.Equal(t, []string{show(num(3)), show(num(4))}, []string{show(page.Items[0]["sk"]), show(page.Items[1]["sk"])})
	})
}

func TestScan(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	createTable(t, db, TableSpec{Name: "ScanMe", KeySchema: compositeKey("pk", attr.TypeS, "sk", attr.TypeN)})
	createTable(t, db, TableSpec{Name: "ScanOther", KeySchema: hashKey("pk", attr.TypeS)})
	var want []string
	for p := range 40 {
		for s := range 3 {
			it := attr.Item{"pk": attr.S(fmt.Sprintf("p%03d", p)), "sk": num(s), "odd": attr.Bool((p+s)%2 == 1)}
			putItems(t, db, "ScanMe", it)
			want = append(want, sortKeys([]attr.Item{it})[0])
		}
	}
	putItems(t, db, "ScanOther", attr.Item{"pk": attr.S("stranger")})
	slices.Sort(want)

	scanAll := func(t *testing.T, in ScanInput, byKey bool) ([]attr.Item, int) {
		var out []attr.Item
		pages := 0
		for {
			pages++
			require.Less(t, pages, 1000)
			page, err := db.Scan(ctx, in)
			require.NoError(t, err)
			require.Len(t, page.Items, page.Count)
			if in.Limit > 0 {
				require.LessOrEqual(t, page.ScannedCount, in.Limit)
			}
			out = append(out, page.Items...)
			if page.Cursor == nil {
				return out, pages
			}
			if byKey {
				in.ExclusiveStartKey = page.LastEvaluatedKey
			} else {
				in.After = page.Cursor
			}
		}
	}

	t.Run("whole table", func(t *testing.T) {
		items, pages := scanAll(t, ScanInput{Table: "ScanMe"}, false)
		require.Equal(t, 1, pages)
		got := sortKeys(items)
		require.Equal(t, want, got, "a scan returns the table in key order")
	})
	t.Run("whole table in pages", func(t *testing.T) {
		for _, limit := range []int{1, 7, 120} {
			for _, byKey := range []bool{false, true} {
				items, pages := scanAll(t, ScanInput{Table: "ScanMe", Paging: Paging{Limit: limit}}, byKey)
				require.Equal(t, want, sortKeys(items))
				require.Equal(t, (len(want)+limit-1)/limit, pages)
			}
		}
	})
	t.Run("filter", func(t *testing.T) {
		page, err := db.Scan(ctx, ScanInput{Table: "ScanMe", Paging: Paging{Filter: mustCond(t, "odd = :t", vals(":t", attr.Bool(true)))}})
		require.NoError(t, err)
		require.Equal(t, 60, page.Count)
		require.Equal(t, 120, page.ScannedCount)
	})
	for total := 1; total <= 8; total++ {
		t.Run(fmt.Sprintf("parallel TotalSegments=%d", total), func(t *testing.T) {
			var union []string
			for seg := range total {
				for _, limit := range []int{0, 4} {
					items, _ := scanAll(t, ScanInput{Table: "ScanMe", Segment: seg, TotalSegments: total, Paging: Paging{Limit: limit}}, limit != 0)
					keys := sortKeys(items)
					if limit == 0 {
						union = append(union, keys...)
					} else {
						var whole []string
						if n := len(union) - len(keys); n >= 0 {
							whole = union[n:]
						}
						require.Equal(t, whole, keys, "paging within segment %d", seg)
					}
				}
			}
			got := slices.Clone(union)
			slices.Sort(got)
			require.Equal(t, want, got, "segments are disjoint and cover the table")
			if total > 1 {
				// A reasonable split: no segment is empty with 40 partitions.
				for seg := range total {
					page, err := db.Scan(ctx, ScanInput{Table: "ScanMe", Segment: seg, TotalSegments: total, Paging: Paging{CountOnly: true}})
					require.NoError(t, err)
					require.NotZero(t, page.Count, "segment %d of %d", seg, total)
				}
			}
		})
	}
	t.Run("a partition lies in one segment", func(t *testing.T) {
		owner := map[string]int{}
		for seg := range 5 {
			items, _ := scanAll(t, ScanInput{Table: "ScanMe", Segment: seg, TotalSegments: 5}, false)
			for _, it := range items {
				pk := string(it["pk"].(attr.S))
				if s, ok := owner[pk]; ok {
					require.Equal(t, s, seg, pk)
				}
				owner[pk] = seg
			}
		}
		require.Len(t, owner, 40)
	})

	seg0, err := db.Scan(ctx, ScanInput{Table: "ScanMe", Segment: 0, TotalSegments: 4, Paging: Paging{Limit: 2}})
	require.NoError(t, err)
	require.NotNil(t, seg0.Cursor)
	whole, err := db.Scan(ctx, ScanInput{Table: "ScanMe", Paging: Paging{Limit: 2}})
	require.NoError(t, err)
	invalid := []struct {
		name string
		in   ScanInput
	}{
		{"negative TotalSegments", ScanInput{Table: "ScanMe", TotalSegments: -1}},
		{"Segment without TotalSegments", ScanInput{Table: "ScanMe", Segment: 1}},
		{"negative Segment", ScanInput{Table: "ScanMe", Segment: -1, TotalSegments: 4}},
		{"Segment equal to TotalSegments", ScanInput{Table: "ScanMe", Segment: 4, TotalSegments: 4}},
		{"TotalSegments over 1000000", ScanInput{Table: "ScanMe", TotalSegments: 1000001}},
		{"negative Limit", ScanInput{Table: "ScanMe", Paging: Paging{Limit: -5}}},
		{"cursor from another segment", ScanInput{Table: "ScanMe", Segment: 1, TotalSegments: 4, Paging: Paging{After: seg0.Cursor}}},
		{"cursor from another segment count", ScanInput{Table: "ScanMe", Segment: 0, TotalSegments: 3, Paging: Paging{After: seg0.Cursor}}},
		{"segment cursor in a whole scan", ScanInput{Table: "ScanMe", Paging: Paging{After: seg0.Cursor}}},
		{"whole-scan cursor in a segment", ScanInput{Table: "ScanMe", Segment: 0, TotalSegments: 4, Paging: Paging{After: whole.Cursor}}},
		{"cursor from another table", ScanInput{Table: "ScanOther", Paging: Paging{After: whole.Cursor}}},
		{"start key of the wrong shape", ScanInput{Table: "ScanMe", Paging: Paging{ExclusiveStartKey: attr.Item{"pk": attr.S("p")}}}},
	}
	for _, tc := range invalid {
		t.Run("invalid/"+tc.name, func(t *testing.T) {
			_, err := db.Scan(ctx, tc.in)
			requireCode(t, CodeValidation, err)
		})
	}
	t.Run("TotalSegments 1000000 is allowed", func(t *testing.T) {
		_, err := db.Scan(ctx, ScanInput{Table: "ScanMe", Segment: 999999, TotalSegments: 1000000})
		require.NoError(t, err)
	})
	t.Run("backward scan", func(t *testing.T) {
		items, _ := scanAll(t, ScanInput{Table: "ScanMe", Paging: Paging{Backward: true, Limit: 11}}, false)
		rev := slices.Clone(want)
		slices.Reverse(rev)
		require.Equal(t, rev, sortKeys(items))
	})
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := Open(Options{Dir: dir}) // durable writes
	require.NoError(t, err)
	createTable(t, db, TableSpec{Name: "Persist", KeySchema: compositeKey("pk", attr.TypeS, "sk", attr.TypeN)})
	createTable(t, db, TableSpec{Name: "Persist2", KeySchema: hashKey("id", attr.TypeB)})
	createTable(t, db, TableSpec{Name: "Gone", KeySchema: hashKey("id", attr.TypeS)})
	var want []attr.Item
	for i := range 50 {
		it := attr.Item{"pk": attr.S(fmt.Sprint(i % 5)), "sk": num(i), "v": attr.M{"n": num(i), "l": attr.L{attr.S("x")}}}
		want = append(want, it)
		putItems(t, db, "Persist", it)
	}
	putItems(t, db, "Persist2", attr.Item{"id": attr.B{1, 2}, "v": attr.S("b")})
	_, err = db.UpdateItem(ctx, UpdateItemInput{Table: "Persist", Key: tkey("0", 0), Update: mustUpdate(t, "SET v.n = :n", vals(":n", num(100)))})
	require.NoError(t, err)
	want[0] = attr.Item{"pk": attr.S("0"), "sk": num(0), "v": attr.M{"n": num(100), "l": attr.L{attr.S("x")}}}
	_, err = db.DeleteItem(ctx, DeleteItemInput{Table: "Persist", Key: tkey("1", 1)})
	require.NoError(t, err)
	want = slices.Delete(want, 1, 2)
	_, err = db.DeleteTable(ctx, "Gone")
	require.NoError(t, err)
	before, err := db.DescribeTable(ctx, "Persist")
	require.NoError(t, err)
	require.NoError(t, db.Close())

	db = openTestDB(t, func(o *Options) { o.Dir = dir })
	names, _, err := db.ListTables(ctx, "", 0)
	require.NoError(t, err)
	require.Equal(t, []string{"Persist", "Persist2"}, names)
	after, err := db.DescribeTable(ctx, "Persist")
	require.NoError(t, err)
	require.Equal(t, before, after)
	for _, it := range want {
		requireItem(t, it, getItem(t, db, "Persist", attr.Item{"pk": it["pk"], "sk": it["sk"]}))
	}
	require.Nil(t, getItem(t, db, "Persist", tkey("1", 1)))
	requireItem(t, attr.Item{"id": attr.B{1, 2}, "v": attr.S("b")}, getItem(t, db, "Persist2", attr.Item{"id": attr.B{1, 2}}))
	_, err = db.DescribeTable(ctx, "Gone")
	requireCode(t, CodeNotFound, err)
	// Writes after reopen work.
	putItems(t, db, "Persist", attr.Item{"pk": attr.S("new"), "sk": num(1)})
	page, err := db.Scan(ctx, ScanInput{Table: "Persist", Paging: Paging{CountOnly: true}})
	require.NoError(t, err)
	require.Equal(t, len(want)+1, page.Count)
}
