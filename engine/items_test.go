package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
	"github.com/stretchr/testify/require"
)

// Single-item operations, checked against DynamoDB's documented behaviour of
// PutItem, GetItem, UpdateItem and DeleteItem.

// itemsDB opens a database with a composite-key table "Tab" (pk S, sk N), a
// simple-key table "Hash" (id S) and a binary-key table "Bin" (pk B, sk B).
func itemsDB(t *testing.T) *DB {
	db := openTestDB(t)
	createTable(t, db, TableSpec{Name: "Tab", KeySchema: compositeKey("pk", attr.TypeS, "sk", attr.TypeN)})
	createTable(t, db, TableSpec{Name: "Hash", KeySchema: hashKey("id", attr.TypeS)})
	createTable(t, db, TableSpec{Name: "Bin", KeySchema: compositeKey("pk", attr.TypeB, "sk", attr.TypeB)})
	createTable(t, db, TableSpec{Name: "StrSort", KeySchema: compositeKey("pk", attr.TypeS, "sk", attr.TypeS)})
	return db
}

func tkey(pk string, sk int) attr.Item { return attr.Item{"pk": attr.S(pk), "sk": num(sk)} }

func with(base attr.Item, kv ...any) attr.Item {
	out := attr.Item{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1].(attr.Value)
	}
	return out
}

func TestPutGetDelete(t *testing.T) {
	db := itemsDB(t)
	ctx := context.Background()
	item := with(tkey("a", 1),
		"s", attr.S("hello"), "n", num("-12.5e3"), "b", attr.B{0, 1, 2}, "t", attr.Bool(true), "z", attr.Null{},
		"l", attr.L{attr.S("x"), num(2), attr.L{}}, "m", attr.M{"in": attr.M{"deep": attr.S("y")}},
		"ss", attr.SS{"b", "a"}, "ns", attr.NS{num(3), num(1)}, "bs", attr.BS{{1}, {2}})

	t.Run("absent item reads nil", func(t *testing.T) {
		require.Nil(t, getItem(t, db, "Tab", tkey("a", 1)))
	})
	t.Run("round trip of every type", func(t *testing.T) {
		putItems(t, db, "Tab", item)
		requireItem(t, item, getItem(t, db, "Tab", tkey("a", 1)))
	})
	t.Run("numbers keep their value across forms", func(t *testing.T) {
		// 1, 1.0 and 10e-1 are the same key.
		requireItem(t, item, getItem(t, db, "Tab", attr.Item{"pk": attr.S("a"), "sk": num("1.00")}))
		requireItem(t, item, getItem(t, db, "Tab", attr.Item{"pk": attr.S("a"), "sk": num("10e-1")}))
	})
	t.Run("put replaces the whole item", func(t *testing.T) {
		repl := with(tkey("a", 1), "only", attr.S("this"))
		putItems(t, db, "Tab", repl)
		requireItem(t, repl, getItem(t, db, "Tab", tkey("a", 1)))
	})
	t.Run("keys are distinct", func(t *testing.T) {
		putItems(t, db, "Tab", with(tkey("a", 2), "v", num(2)), with(tkey("b", 1), "v", num(3)))
		requireItem(t, with(tkey("a", 2), "v", num(2)), getItem(t, db, "Tab", tkey("a", 2)))
		requireItem(t, with(tkey("b", 1), "v", num(3)), getItem(t, db, "Tab", tkey("b", 1)))
	})
	t.Run("empty strings and binaries in non-key attributes", func(t *testing.T) {
		it := with(tkey("empty", 1), "s", attr.S(""), "b", attr.B{}, "m", attr.M{"e": attr.S("")}, "l", attr.L{attr.S(""), attr.B{}})
		putItems(t, db, "Tab", it)
		requireItem(t, it, getItem(t, db, "Tab", tkey("empty", 1)))
	})
	t.Run("delete", func(t *testing.T) {
		out, err := db.DeleteItem(ctx, DeleteItemInput{Table: "Tab", Key: tkey("a", 2)})
		require.NoError(t, err)
		require.Nil(t, out.Attributes)
		require.Nil(t, getItem(t, db, "Tab", tkey("a", 2)))
		// Others stay.
		require.NotNil(t, getItem(t, db, "Tab", tkey("a", 1)))
	})
	t.Run("delete of an absent item succeeds", func(t *testing.T) {
		out, err := db.DeleteItem(ctx, DeleteItemInput{Table: "Tab", Key: tkey("ghost", 1), ReturnValues: ReturnAllOld})
		require.NoError(t, err)
		require.Nil(t, out.Attributes)
	})
	t.Run("binary keys", func(t *testing.T) {
		k := attr.Item{"pk": attr.B{0, 0, 0xFF}, "sk": attr.B{0}}
		it := with(k, "v", attr.S("bin"))
		putItems(t, db, "Bin", it)
		requireItem(t, it, getItem(t, db, "Bin", k))
		require.Nil(t, getItem(t, db, "Bin", attr.Item{"pk": attr.B{0, 0}, "sk": attr.B{0xFF, 0}}))
	})
}

func TestGetProjection(t *testing.T) {
	db := itemsDB(t)
	item := with(tkey("p", 1), "a", num(1), "b", attr.S("two"), "m", attr.M{"x": num(1), "y": num(2)},
		"l", attr.L{attr.S("l0"), attr.S("l1"), attr.S("l2")}, "name", attr.S("reserved"))
	putItems(t, db, "Tab", item)
	tests := []struct {
		name  string
		proj  string
		names map[string]string
		want  attr.Item
	}{
		{"top-level", "a, b", nil, attr.Item{"a": num(1), "b": attr.S("two")}},
		{"keys only when asked", "pk", nil, attr.Item{"pk": attr.S("p")}},
		{"nested map", "m.y", nil, attr.Item{"m": attr.M{"y": num(2)}}},
		{"list elements", "l[2], l[0]", nil, attr.Item{"l": attr.L{attr.S("l0"), attr.S("l2")}}},
		{"name placeholder for a reserved word", "#n", map[string]string{"#n": "name"}, attr.Item{"name": attr.S("reserved")}},
		{"missing attributes select nothing", "a, nope, m.nope", nil, attr.Item{"a": num(1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.GetItem(context.Background(), GetItemInput{Table: "Tab", Key: tkey("p", 1), Projection: mustProj(t, tc.proj, tc.names)})
			require.NoError(t, err)
			requireItem(t, tc.want, got)
		})
	}
	t.Run("projection of an absent item", func(t *testing.T) {
		got, err := db.GetItem(context.Background(), GetItemInput{Table: "Tab", Key: tkey("p", 2), Projection: mustProj(t, "a")})
		require.NoError(t, err)
		require.Nil(t, got)
	})
}

func TestKeyValidation(t *testing.T) {
	db := itemsDB(t)
	ctx := context.Background()
	long := func(n int) string { return strings.Repeat("k", n) }
	type tc struct {
		name  string
		table string
		key   attr.Item
		msg   string // "" means valid
	}
	tests := []tc{
		{"valid", "Tab", tkey("a", 1), ""},
		{"missing partition key", "Tab", attr.Item{"sk": num(1)}, `"pk"`},
		{"missing sort key", "Tab", attr.Item{"pk": attr.S("a")}, `"sk"`},
		{"empty key", "Tab", attr.Item{}, "key"},
		{"nil key", "Tab", nil, "key"},
		{"extra attribute", "Tab", with(tkey("a", 1), "x", num(1)), "exactly"},
		{"sort key on a simple table", "Hash", attr.Item{"id": attr.S("a"), "sk": num(1)}, "exactly"},
		{"wrong name", "Hash", attr.Item{"ID": attr.S("a")}, `"id"`},
		{"partition key of the wrong type", "Tab", attr.Item{"pk": num(1), "sk": num(1)}, "type mismatch"},
		{"sort key of the wrong type", "Tab", attr.Item{"pk": attr.S("a"), "sk": attr.S("1")}, "type mismatch"},
		{"set as key", "Hash", attr.Item{"id": attr.SS{"a"}}, "type mismatch"},
		{"empty string partition key", "Tab", attr.Item{"pk": attr.S(""), "sk": num(1)}, "empty"},
		{"empty string sort key", "StrSort", attr.Item{"pk": attr.S("a"), "sk": attr.S("")}, "empty"},
		{"empty binary partition key", "Bin", attr.Item{"pk": attr.B{}, "sk": attr.B{1}}, "empty"},
		{"empty binary sort key", "Bin", attr.Item{"pk": attr.B{1}, "sk": attr.B{}}, "empty"},
		{"partition key at 2048 bytes", "Hash", attr.Item{"id": attr.S(long(2048))}, ""},
		{"partition key over 2048 bytes", "Hash", attr.Item{"id": attr.S(long(2049))}, "2048"},
		{"binary partition key over 2048 bytes", "Bin", attr.Item{"pk": attr.B(long(2049)), "sk": attr.B{1}}, "2048"},
		{"sort key at 1024 bytes", "StrSort", attr.Item{"pk": attr.S("a"), "sk": attr.S(long(1024))}, ""},
		{"sort key over 1024 bytes", "StrSort", attr.Item{"pk": attr.S("a"), "sk": attr.S(long(1025))}, "1024"},
		{"binary sort key over 1024 bytes", "Bin", attr.Item{"pk": attr.B{1}, "sk": attr.B(long(1025))}, "1024"},
	}
	upd := mustUpdate(t, "SET v = :v", vals(":v", num(1)))
	ops := []struct {
		name string
		do   func(table string, key attr.Item) error
		// exact: the key argument must hold nothing else (Put takes an item).
		exact bool
	}{
		{"get", func(table string, key attr.Item) error {
			_, err := db.GetItem(ctx, GetItemInput{Table: table, Key: key})
			return err
		}, true},
		{"put", func(table string, key attr.Item) error {
			_, err := db.PutItem(ctx, PutItemInput{Table: table, Item: key})
			return err
		}, false},
		{"update", func(table string, key attr.Item) error {
			_, err := db.UpdateItem(ctx, UpdateItemInput{Table: table, Key: key, Update: upd})
			return err
		}, true},
		{"delete", func(table string, key attr.Item) error {
			_, err := db.DeleteItem(ctx, DeleteItemInput{Table: table, Key: key})
			return err
		}, true},
	}
	for _, op := range ops {
		for _, c := range tests {
			t.Run(op.name+"/"+c.name, func(t *testing.T) {
				err := op.do(c.table, c.key)
				valid := c.msg == "" || !op.exact && c.msg == "exactly"
				if valid {
					require.NoError(t, err)
					return
				}
				requireCode(t, CodeValidation, err)
				require.Contains(t, err.Error(), c.msg)
			})
		}
	}
	t.Run("failed writes write nothing", func(t *testing.T) {
		page, err := db.Scan(ctx, ScanInput{Table: "Tab"})
		require.NoError(t, err)
		for _, it := range page.Items {
			require.Equal(t, attr.S("a"), it["pk"], "only valid keys were written: %v", it)
		}
	})
}

func TestItemSizeLimit(t *testing.T) {
	db := itemsDB(t)
	ctx := context.Background()
	// pad returns an item of exactly size bytes by DynamoDB's accounting.
	pad := func(id string, size int) attr.Item {
		it := attr.Item{"id": attr.S(id), "p": attr.S("")}
		it["p"] = attr.S(strings.Repeat("x", size-attr.ItemSize(it)))
		require.Equal(t, size, attr.ItemSize(it))
		return it
	}
	t.Run("exactly 400 KB is accepted", func(t *testing.T) {
		_, err := db.PutItem(ctx, PutItemInput{Table: "Hash", Item: pad("max", attr.MaxItemSize)})
		require.NoError(t, err)
		require.NotNil(t, getItem(t, db, "Hash", attr.Item{"id": attr.S("max")}))
	})
	t.Run("one byte over is rejected", func(t *testing.T) {
		_, err := db.PutItem(ctx, PutItemInput{Table: "Hash", Item: pad("over", attr.MaxItemSize+1)})
		requireCode(t, CodeValidation, err)
		require.Contains(t, strings.ToLower(err.Error()), "size")
		require.Nil(t, getItem(t, db, "Hash", attr.Item{"id": attr.S("over")}))
	})
	t.Run("an update that grows the item past 400 KB is rejected", func(t *testing.T) {
		it := pad("grow", attr.MaxItemSize-10)
		putItems(t, db, "Hash", it)
		_, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Hash", Key: attr.Item{"id": attr.S("grow")},
			Update: mustUpdate(t, "SET q = :q", vals(":q", attr.S(strings.Repeat("y", 20))))})
		requireCode(t, CodeValidation, err)
		requireItem(t, it, getItem(t, db, "Hash", attr.Item{"id": attr.S("grow")}))
	})
}

func TestPutConditionsAndReturnValues(t *testing.T) {
	db := itemsDB(t)
	ctx := context.Background()
	old := with(tkey("c", 1), "v", num(1), "s", attr.S("old"))
	newItem := with(tkey("c", 1), "v", num(2))
	tests := []struct {
		name       string
		seed       attr.Item // stored before the put; nil: absent
		cond       string
		values     map[string]attr.Value
		rv         ReturnValues
		returnOld  bool
		wantCode   Code
		wantAttrs  attr.Item // WriteOutput.Attributes, or Error.Item on failure
		wantStored attr.Item
	}{
		{"unconditional on absent, NONE", nil, "", nil, ReturnNone, false, "", nil, newItem},
		{"unconditional on absent, ALL_OLD returns nothing", nil, "", nil, ReturnAllOld, false, "", nil, newItem},
		{"unconditional replace, default returns nothing", old, "", nil, "", false, "", nil, newItem},
		{"unconditional replace, ALL_OLD", old, "", nil, ReturnAllOld, false, "", old, newItem},
		{"attribute_not_exists on absent", nil, "attribute_not_exists(pk)", nil, ReturnAllOld, false, "", nil, newItem},
		{"attribute_not_exists on present fails", old, "attribute_not_exists(pk)", nil, ReturnAllOld, false, CodeConditionalCheckFailed, nil, old},
		{"failure returns old item when asked", old, "attribute_not_exists(pk)", nil, ReturnNone, true, CodeConditionalCheckFailed, old, old},
		{"failure on absent item returns nothing", nil, "v = :v", vals(":v", num(1)), ReturnNone, true, CodeConditionalCheckFailed, nil, nil},
		{"value condition holds", old, "v = :v AND s = :s", vals(":v", num(1), ":s", attr.S("old")), ReturnAllOld, false, "", old, newItem},
		{"value condition fails", old, "v > :v", vals(":v", num(1)), ReturnNone, false, CodeConditionalCheckFailed, nil, old},
		{"attribute_exists on absent fails", nil, "attribute_exists(pk)", nil, ReturnNone, true, CodeConditionalCheckFailed, nil, nil},
		{"comparison with missing attribute is false", old, "nope = :v", vals(":v", num(1)), ReturnNone, false, CodeConditionalCheckFailed, nil, old},
		{"NOT of missing comparison is true", old, "NOT nope = :v", vals(":v", num(1)), ReturnNone, false, "", nil, newItem},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pk := "put" + string(rune('a'+i))
			rekey := func(it attr.Item) attr.Item {
				if it == nil {
					return nil
				}
				return with(it, "pk", attr.S(pk))
			}
			if tc.seed != nil {
				putItems(t, db, "Tab", rekey(tc.seed))
			}
			out, err := db.PutItem(ctx, PutItemInput{Table: "Tab", Item: rekey(newItem), Condition: mustCond(t, tc.cond, tc.values),
				ReturnValues: tc.rv, ReturnOldOnConditionFailure: tc.returnOld})
			if tc.wantCode == "" {
				require.NoError(t, err)
				requireItem(t, rekey(tc.wantAttrs), out.Attributes)
			} else {
				requireCode(t, tc.wantCode, err)
				var e *Error
				require.True(t, errors.As(err, &e))
				requireItem(t, rekey(tc.wantAttrs), e.Item)
				require.Nil(t, out.Attributes)
			}
			requireItem(t, rekey(tc.wantStored), getItem(t, db, "Tab", tkey(pk, 1)))
		})
	}
	t.Run("invalid ReturnValues", func(t *testing.T) {
		for _, rv := range []ReturnValues{ReturnAllNew, ReturnUpdatedOld, ReturnUpdatedNew, "BOGUS"} {
			_, err := db.PutItem(ctx, PutItemInput{Table: "Tab", Item: with(tkey("rv", 1)), ReturnValues: rv})
			requireCode(t, CodeValidation, err, "ReturnValues %s", rv)
		}
		require.Nil(t, getItem(t, db, "Tab", tkey("rv", 1)))
	})
}

func TestDeleteConditionsAndReturnValues(t *testing.T) {
	db := itemsDB(t)
	ctx := context.Background()
	old := with(tkey("d", 1), "v", num(1))
	tests := []struct {
		name      string
		seed      bool
		cond      string
		values    map[string]attr.Value
		rv        ReturnValues
		returnOld bool
		wantCode  Code
		wantAttrs attr.Item
		wantKept  bool
	}{
		{"present, NONE", true, "", nil, ReturnNone, false, "", nil, false},
		{"present, ALL_OLD", true, "", nil, ReturnAllOld, false, "", old, false},
		{"absent, ALL_OLD", false, "", nil, ReturnAllOld, false, "", nil, false},
		{"condition holds", true, "v = :v", vals(":v", num(1)), ReturnAllOld, false, "", old, false},
		{"condition fails", true, "v = :v", vals(":v", num(2)), ReturnAllOld, false, CodeConditionalCheckFailed, nil, true},
		{"condition fails, old returned", true, "v = :v", vals(":v", num(2)), ReturnNone, true, CodeConditionalCheckFailed, old, true},
		{"attribute_exists on absent fails", false, "attribute_exists(pk)", nil, ReturnNone, true, CodeConditionalCheckFailed, nil, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pk := "del" + string(rune('a'+i))
			rekey := func(it attr.Item) attr.Item {
				if it == nil {
					return nil
				}
				return with(it, "pk", attr.S(pk))
			}
			if tc.seed {
				putItems(t, db, "Tab", rekey(old))
			}
			out, err := db.DeleteItem(ctx, DeleteItemInput{Table: "Tab", Key: tkey(pk, 1), Condition: mustCond(t, tc.cond, tc.values),
				ReturnValues: tc.rv, ReturnOldOnConditionFailure: tc.returnOld})
			if tc.wantCode == "" {
				require.NoError(t, err)
				requireItem(t, rekey(tc.wantAttrs), out.Attributes)
			} else {
				requireCode(t, tc.wantCode, err)
				var e *Error
				require.True(t, errors.As(err, &e))
				requireItem(t, rekey(tc.wantAttrs), e.Item)
			}
			got := getItem(t, db, "Tab", tkey(pk, 1))
			if tc.wantKept {
				requireItem(t, rekey(old), got)
			} else {
				require.Nil(t, got)
			}
		})
	}
	t.Run("invalid ReturnValues", func(t *testing.T) {
		putItems(t, db, "Tab", with(tkey("rv", 1)))
		for _, rv := range []ReturnValues{ReturnAllNew, ReturnUpdatedOld, ReturnUpdatedNew, "BOGUS"} {
			_, err := db.DeleteItem(ctx, DeleteItemInput{Table: "Tab", Key: tkey("rv", 1), ReturnValues: rv})
			requireCode(t, CodeValidation, err, "ReturnValues %s", rv)
		}
		require.NotNil(t, getItem(t, db, "Tab", tkey("rv", 1)))
	})
}

func TestUpdateReturnValues(t *testing.T) {
	// DynamoDB: UPDATED_OLD returns only the updated attributes as they were
	// before the update, UPDATED_NEW as they are after; ALL_OLD/ALL_NEW the
	// whole item; a REMOVEd attribute appears in UPDATED_OLD only.
	db := itemsDB(t)
	ctx := context.Background()
	old := with(tkey("u", 1), "a", num(1), "b", attr.S("keep"), "c", attr.Bool(true), "m", attr.M{"x": num(1), "y": num(2)})
	upd := mustUpdate(t, "SET a = a + :one, d = :d, m.x = :mx REMOVE c", vals(":one", num(1), ":d", attr.S("new"), ":mx", num(10)))
	newItem := with(tkey("u", 1), "a", num(2), "b", attr.S("keep"), "d", attr.S("new"), "m", attr.M{"x": num(10), "y": num(2)})

	created := mustUpdate(t, "SET a = :a, d = :d", vals(":a", num(5), ":d", attr.S("new")))
	createdItem := with(tkey("u", 1), "a", num(5), "d", attr.S("new"))

	tests := []struct {
		rv      ReturnValues
		present attr.Item // on an existing item
		absent  attr.Item // on an absent item (UpdateItem creates it)
	}{
		{"", nil, nil},
		{ReturnNone, nil, nil},
		{ReturnAllOld, old, nil},
		{ReturnUpdatedOld, attr.Item{"a": num(1), "c": attr.Bool(true), "m": attr.M{"x": num(1)}}, nil},
		{ReturnAllNew, newItem, createdItem},
		{ReturnUpdatedNew, attr.Item{"a": num(2), "d": attr.S("new"), "m": attr.M{"x": num(10)}}, attr.Item{"a": num(5), "d": attr.S("new")}},
	}
	for i, tc := range tests {
		name := string(tc.rv)
		if name == "" {
			name = "default"
		}
		pk := func(kind string) string { return kind + string(rune('a'+i)) }
		rekey := func(it attr.Item, p string) attr.Item {
			if it == nil || it["pk"] == nil {
				return it
			}
			return with(it, "pk", attr.S(p))
		}
		t.Run(name+"/present", func(t *testing.T) {
			p := pk("present")
			putItems(t, db, "Tab", rekey(old, p))
			out, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Tab", Key: tkey(p, 1), Update: upd, ReturnValues: tc.rv})
			require.NoError(t, err)
			requireItem(t, rekey(tc.present, p), out.Attributes)
			requireItem(t, rekey(newItem, p), getItem(t, db, "Tab", tkey(p, 1)))
		})
		t.Run(name+"/absent", func(t *testing.T) {
			p := pk("absent")
			out, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Tab", Key: tkey(p, 1), Update: created, ReturnValues: tc.rv})
			require.NoError(t, err)
			requireItem(t, rekey(tc.absent, p), out.Attributes)
			requireItem(t, rekey(createdItem, p), getItem(t, db, "Tab", tkey(p, 1)))
		})
	}
	t.Run("invalid ReturnValues", func(t *testing.T) {
		_, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Tab", Key: tkey("rv", 1), Update: created, ReturnValues: "BOGUS"})
		requireCode(t, CodeValidation, err)
		require.Nil(t, getItem(t, db, "Tab", tkey("rv", 1)))
	})
}

func TestUpdateItem(t *testing.T) {
	db := itemsDB(t)
	ctx := context.Background()
	key := tkey("up", 1)

	t.Run("upsert creates the item with its key", func(t *testing.T) {
		_, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Tab", Key: key, Update: mustUpdate(t, "SET n = :z", vals(":z", num(0)))})
		require.NoError(t, err)
		requireItem(t, with(key, "n", num(0)), getItem(t, db, "Tab", key))
	})
	t.Run("ADD on an absent item starts from zero", func(t *testing.T) {
		k := tkey("add", 1)
		_, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Tab", Key: k, Update: mustUpdate(t, "ADD n :five, tags :t", vals(":five", num(5), ":t", attr.SS{"x"}))})
		require.NoError(t, err)
		requireItem(t, with(k, "n", num(5), "tags", attr.SS{"x"}), getItem(t, db, "Tab", k))
	})
	t.Run("REMOVE on an absent item creates the key-only item", func(t *testing.T) {
		// DynamoDB creates the item even when the update only removes.
		k := tkey("rm", 1)
		_, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Tab", Key: k, Update: mustUpdate(t, "REMOVE nope", nil)})
		require.NoError(t, err)
		requireItem(t, k, getItem(t, db, "Tab", k))
	})
	t.Run("arithmetic on a missing attribute fails", func(t *testing.T) {
		_, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Tab", Key: key, Update: mustUpdate(t, "SET gone = gone + :one", vals(":one", num(1)))})
		requireCode(t, CodeValidation, err)
		requireItem(t, with(key, "n", num(0)), getItem(t, db, "Tab", key))
	})
	t.Run("if_not_exists", func(t *testing.T) {
		_, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Tab", Key: key, Update: mustUpdate(t, "SET c = if_not_exists(c, :z) + :one", vals(":z", num(10), ":one", num(1)))})
		require.NoError(t, err)
		require.Equal(t, num(11), getItem(t, db, "Tab", key)["c"])
	})
	for _, tc := range []struct{ name, update string }{
		{"SET partition key", "SET pk = :v"},
		{"SET sort key", "SET sk = :n"},
		{"REMOVE sort key", "REMOVE sk"},
		{"ADD to sort key", "ADD sk :n"},
	} {
		t.Run("key attribute rejected: "+tc.name, func(t *testing.T) {
			p := mustParams(vals(":v", attr.S("other"), ":n", num(2)))
			u, err := p.Update(tc.update)
			require.NoError(t, err)
			_, err = db.UpdateItem(ctx, UpdateItemInput{Table: "Tab", Key: key, Update: u})
			requireCode(t, CodeValidation, err)
			require.Contains(t, err.Error(), "key")
			requireItem(t, with(key, "n", num(0), "c", num(11)), getItem(t, db, "Tab", key))
		})
	}
	t.Run("empty update is VALIDATION", func(t *testing.T) {
		_, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Tab", Key: key, Update: &expr.Update{}})
		requireCode(t, CodeValidation, err)
	})
	t.Run("conditions", func(t *testing.T) {
		k := tkey("cond", 1)
		putItems(t, db, "Tab", with(k, "ver", num(1), "s", attr.S("x")))
		bump := mustUpdate(t, "SET ver = ver + :one", vals(":one", num(1)))
		// Holds: written.
		_, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Tab", Key: k, Update: bump, Condition: mustCond(t, "ver = :v", vals(":v", num(1)))})
		require.NoError(t, err)
		// Fails: untouched, old item only when asked, no ReturnValues.
		for _, returnOld := range []bool{false, true} {
			out, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Tab", Key: k, Update: bump, ReturnValues: ReturnAllNew,
				Condition: mustCond(t, "ver = :v", vals(":v", num(1))), ReturnOldOnConditionFailure: returnOld})
			requireCode(t, CodeConditionalCheckFailed, err)
			require.Nil(t, out.Attributes)
			var e *Error
			require.True(t, errors.As(err, &e))
			if returnOld {
				requireItem(t, with(k, "ver", num(2), "s", attr.S("x")), e.Item)
			} else {
				require.Nil(t, e.Item)
			}
			requireItem(t, with(k, "ver", num(2), "s", attr.S("x")), getItem(t, db, "Tab", k))
		}
		// A condition on an absent item sees no attributes.
		absent := tkey("cond", 2)
		_, err = db.UpdateItem(ctx, UpdateItemInput{Table: "Tab", Key: absent, Update: bump, Condition: mustCond(t, "attribute_exists(pk)", nil), ReturnOldOnConditionFailure: true})
		requireCode(t, CodeConditionalCheckFailed, err)
		var e *Error
		require.True(t, errors.As(err, &e))
		require.Nil(t, e.Item)
		require.Nil(t, getItem(t, db, "Tab", absent))
	})
	t.Run("update results are validated (empty set)", func(t *testing.T) {
		k := tkey("set", 1)
		putItems(t, db, "Tab", with(k, "tags", attr.SS{"a"}))
		_, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Tab", Key: k, Update: mustUpdate(t, "DELETE tags :a", vals(":a", attr.SS{"a"}))})
		// DynamoDB removes an attribute whose set becomes empty.
		require.NoError(t, err)
		requireItem(t, k, getItem(t, db, "Tab", k))
	})
}

// TestUpdateWithoutActions checks DynamoDB's UpdateItem without an update
// expression: an absent item is created with only its key, a present one is
// left as it is, and conditions and ReturnValues still apply.
func TestUpdateWithoutActions(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	createTable(t, db, TableSpec{Name: "Things", KeySchema: hashKey("id", attr.TypeS)})
	key := attr.Item{"id": attr.S("a")}

	out, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Things", Key: key, ReturnValues: ReturnAllNew})
	require.NoError(t, err)
	require.Equal(t, key, out.Attributes)

	putItems(t, db, "Things", attr.Item{"id": attr.S("a"), "v": num(1)})
	out, err = db.UpdateItem(ctx, UpdateItemInput{Table: "Things", Key: key, ReturnValues: ReturnUpdatedNew})
	require.NoError(t, err)
	require.Nil(t, out.Attributes, "nothing was updated")
	requireItem(t, attr.Item{"id": attr.S("a"), "v": num(1)}, getItem(t, db, "Things", key))

	_, err = db.UpdateItem(ctx, UpdateItemInput{Table: "Things", Key: key, Condition: mustCond(t, "attribute_not_exists(id)", nil)})
	requireCode(t, CodeConditionalCheckFailed, err)
}
