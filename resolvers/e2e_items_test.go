package resolvers_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/engine/attr"
)

const tableFields = `name keySchema { partitionKey { name type } sortKey { name type } }
	globalIndexes { name status local keySchema { partitionKey { name type } sortKey { name type } } projection { type nonKeyAttributes } }
	localIndexes { name status local keySchema { partitionKey { name type } sortKey { name type } } projection { type nonKeyAttributes } }
	itemCount sizeBytes ttlAttribute streamViewType createdAt version`

func TestTables(t *testing.T) {
	s := startServer(t)

	d := s.ok(`mutation($in: CreateTableInput!) { createTable(input: $in) { `+tableFields+` } }`, map[string]any{"in": obj(t, `{
		"name": "Scores", "partitionKey": {"name": "user", "type": "S"}, "sortKey": {"name": "game", "type": "S"},
		"globalIndexes": [{"name": "byGame", "partitionKey": {"name": "game", "type": "S"}, "sortKey": {"name": "score", "type": "N"},
			"projection": {"type": "INCLUDE", "nonKeyAttributes": ["level"]}}],
		"localIndexes": [{"name": "byDate", "sortKey": {"name": "date", "type": "S"}, "projection": {"type": "KEYS_ONLY"}}],
		"streamViewType": "NEW_AND_OLD_IMAGES", "ttlAttribute": "expires"}`)})
	tbl := at(d, "createTable")
	assert.Equal(t, "Scores", at(tbl, "name"))
	assert.Equal(t, `{"partitionKey":{"name":"user","type":"S"},"sortKey":{"name":"game","type":"S"}}`, canon(t, at(tbl, "keySchema")))
	assert.Equal(t, "byGame", at(tbl, "globalIndexes", 0, "name"))
	assert.Equal(t, false, at(tbl, "globalIndexes", 0, "local"))
	assert.Equal(t, `{"partitionKey":{"name":"game","type":"S"},"sortKey":{"name":"score","type":"N"}}`, canon(t, at(tbl, "globalIndexes", 0, "keySchema")))
	assert.Equal(t, `{"nonKeyAttributes":["level"],"type":"INCLUDE"}`, canon(t, at(tbl, "globalIndexes", 0, "projection")))
	assert.Contains(t, []any{"ACTIVE", "CREATING"}, at(tbl, "globalIndexes", 0, "status"))
	assert.Equal(t, "byDate", at(tbl, "localIndexes", 0, "name"))
	assert.Equal(t, true, at(tbl, "localIndexes", 0, "local"))
	assert.Equal(t, "user", at(tbl, "localIndexes", 0, "keySchema", "partitionKey", "name"))
	assert.Equal(t, "KEYS_ONLY", at(tbl, "localIndexes", 0, "projection", "type"))
	assert.Equal(t, "expires", at(tbl, "ttlAttribute"))
	assert.Equal(t, "NEW_AND_OLD_IMAGES", at(tbl, "streamViewType"))
	assert.NotEmpty(t, at(tbl, "createdAt"))
	assert.Equal(t, json.Number("1"), at(tbl, "version"))

	// The same name again.
	e := s.fails("RESOURCE_IN_USE", `mutation { createTable(input: {name: "Scores", partitionKey: {name: "id", type: S}}) { name } }`, nil)
	assert.Equal(t, []any{"createTable"}, e.Path)

	// table(name): sizes are measured.
	s.put("Scores", `{"user": "ann", "game": "chess", "score": 10, "date": "2024-01-01"}`, `{"user": "bob", "game": "chess", "score": 12, "date": "2024-01-02"}`)
	d = s.ok(`{ table(name: "Scores") { itemCount sizeBytes } missing: table(name: "Nope") { name } }`, nil)
	assert.Equal(t, json.Number("2"), at(d, "table", "itemCount"))
	assert.NotEqual(t, json.Number("0"), at(d, "table", "sizeBytes"))
	assert.Nil(t, at(d, "missing"))

	// updateTable: stream off, TTL off, a second index, then drop it.
	d = s.ok(`mutation { updateTable(input: {name: "Scores", streamViewType: OFF, ttlAttribute: "",
		createGlobalIndexes: [{name: "byScore", partitionKey: {name: "score", type: N}}]}) { streamViewType ttlAttribute globalIndexes { name } version } }`, nil)
	assert.Equal(t, "OFF", at(d, "updateTable", "streamViewType"))
	assert.Nil(t, at(d, "updateTable", "ttlAttribute"))
	assert.Len(t, at(d, "updateTable", "globalIndexes"), 2)
	d = s.ok(`mutation { updateTable(input: {name: "Scores", deleteGlobalIndexes: ["byScore"], streamViewType: KEYS_ONLY, ttlAttribute: "exp"}) { streamViewType ttlAttribute globalIndexes { name } } }`, nil)
	assert.Equal(t, "KEYS_ONLY", at(d, "updateTable", "streamViewType"))
	assert.Equal(t, "exp", at(d, "updateTable", "ttlAttribute"))
	assert.Len(t, at(d, "updateTable", "globalIndexes"), 1)

	s.fails("NOT_FOUND", `mutation { updateTable(input: {name: "Nope", ttlAttribute: "x"}) { name } }`, nil)

	// deleteTable returns the last description; then the table is gone.
	d = s.ok(`mutation { deleteTable(input: {name: "Scores"}) { name } }`, nil)
	assert.Equal(t, "Scores", at(d, "deleteTable", "name"))
	s.fails("NOT_FOUND", `mutation { deleteTable(input: {name: "Scores"}) { name } }`, nil)
	s.fails("NOT_FOUND", `{ item(table: "Scores", key: {user: "ann", game: "chess"}) }`, nil)
}

func TestTablesPagination(t *testing.T) {
	s := startServer(t)
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("table-%02d", i)
		want = append(want, name)
		s.createTable(`{"name": "` + name + `", "partitionKey": {"name": "id", "type": "S"}}`)
	}
	var got []string
	var after any
	pages := 0
	for {
		d := s.ok(`query($after: Cursor) { tables(limit: 3, after: $after) { tables { name } cursor } }`, map[string]any{"after": after})
		pages++
		for _, tb := range at(d, "tables", "tables").([]any) {
			got = append(got, at(tb, "name").(string))
		}
		after = at(d, "tables", "cursor")
		if after == nil {
			break
		}
		require.Less(t, pages, 10)
	}
	assert.Equal(t, want, got)
	assert.Equal(t, 3, pages)

	d := s.ok(`{ tables { tables { name } cursor } }`, nil)
	assert.Len(t, at(d, "tables", "tables"), 7)
	assert.Nil(t, at(d, "tables", "cursor"))

	s.fails("VALIDATION", `{ tables(after: "!!not base64!!") { cursor } }`, nil)
}

func TestItemCRUD(t *testing.T) {
	s := startServer(t)
	s.createTable(`{"name": "Users", "partitionKey": {"name": "id", "type": "S"}}`)

	// putItem: ALL_OLD is null for a new item, the old item on replace.
	d := s.ok(`mutation { putItem(input: {table: "Users", item: {id: "u1"}, returnValues: ALL_OLD}) { attributes } }`, nil)
	assert.Nil(t, at(d, "putItem", "attributes"))
	s.put("Users", `{"id": "u1", "name": "Ann", "age": 30, "address": {"city": "Oslo", "zip": "0150"}, "langs": ["go", "sql"], "tags": {"$ss": ["admin", "dev"]}, "pic": {"$b": "AAEC"}}`)
	raw := s.raw(`{ item(table: "Users", key: {id: "u1"}) }`, nil)
	assert.JSONEq(t, `{"item": {"id": "u1", "name": "Ann", "age": 30, "address": {"city": "Oslo", "zip": "0150"}, "langs": ["go", "sql"], "tags": {"$ss": ["admin", "dev"]}, "pic": {"$b": "AAEC"}}}`, raw)

	// Projection with nested paths.
	raw = s.raw(`{ item(table: "Users", key: {id: "u1"}, projection: ["name", "address.city", "langs[1]"], consistentRead: true) }`, nil)
	assert.JSONEq(t, `{"item": {"name": "Ann", "address": {"city": "Oslo"}, "langs": ["sql"]}}`, raw)

	// Absent item: null.
	d = s.ok(`{ item(table: "Users", key: {id: "nobody"}) }`, nil)
	assert.Nil(t, d["item"])

	// Replace returns ALL_OLD.
	d = s.ok(`mutation { putItem(input: {table: "Users", item: {id: "u1", name: "Ann B", age: 31}, returnValues: ALL_OLD}) { attributes } }`, nil)
	assert.Equal(t, "Ann", at(d, "putItem", "attributes", "name"))

	// updateItem, structured: every action, ALL_NEW.
	s.put("Users", `{"id": "u2", "name": "Bob", "visits": 1, "langs": ["go"], "tags": {"$ss": ["a", "b"]}, "score": 5, "old": true, "address": {"city": "Oslo", "zip": "0150"}}`)
	raw = s.raw(`mutation($u: UpdateInput!) { updateItem(input: {table: "Users", key: {id: "u2"}, update: $u, returnValues: ALL_NEW}) { attributes } }`,
		map[string]any{"u": obj(t, `{
			"set": {"name": "Bobby", "address.city": "Bergen"},
			"setIfNotExists": {"nick": "bob", "score": 100},
			"increment": {"visits": 2, "logins": 1},
			"appendToList": {"langs": ["rust"], "newList": [1]},
			"add": {"colors": {"$ss": ["red"]}, "score2": 3},
			"delete": {"tags": {"$ss": ["a"]}},
			"remove": ["old"]}`)})
	assert.JSONEq(t, `{"updateItem": {"attributes": {"id": "u2", "name": "Bobby", "address": {"city": "Bergen", "zip": "0150"}, "nick": "bob", "score": 5,
		"visits": 3, "logins": 1, "langs": ["go", "rust"], "newList": [1], "tags": {"$ss": ["b"]}, "colors": {"$ss": ["red"]}, "score2": 3}}}`, raw)

	// updateItem, expression string: the same AST.
	raw = s.raw(`mutation($u: UpdateInput!) { updateItem(input: {table: "Users", key: {id: "u2"}, update: $u, returnValues: UPDATED_NEW}) { attributes } }`,
		map[string]any{"u": obj(t, `{"expression": {"expression": "SET #n = :n, visits = visits + :one REMOVE nick", "names": {"#n": "name"}, "values": {":n": "Rob", ":one": 1}}}`)})
	assert.JSONEq(t, `{"updateItem": {"attributes": {"name": "Rob", "visits": 4}}}`, raw)

	// UPDATED_OLD.
	raw = s.raw(`mutation { updateItem(input: {table: "Users", key: {id: "u2"}, update: {set: {visits: 10}}, returnValues: UPDATED_OLD}) { attributes } }`, nil)
	assert.JSONEq(t, `{"updateItem": {"attributes": {"visits": 4}}}`, raw)

	// updateItem creates an absent item.
	s.ok(`mutation { updateItem(input: {table: "Users", key: {id: "u3"}, update: {increment: {n: 1}}}) { attributes } }`, nil)
	raw = s.raw(`{ item(table: "Users", key: {id: "u3"}) }`, nil)
	assert.JSONEq(t, `{"item": {"id": "u3", "n": 1}}`, raw)

	// The key cannot be updated.
	s.fails("VALIDATION", `mutation { updateItem(input: {table: "Users", key: {id: "u3"}, update: {set: {id: "x"}}}) { attributes } }`, nil)
	// An update needs an action.
	s.fails("VALIDATION", `mutation { updateItem(input: {table: "Users", key: {id: "u3"}, update: {}}) { attributes } }`, nil)

	// deleteItem returns ALL_OLD; then the item is gone.
	d = s.ok(`mutation { deleteItem(input: {table: "Users", key: {id: "u3"}, returnValues: ALL_OLD}) { attributes } }`, nil)
	assert.Equal(t, json.Number("1"), at(d, "deleteItem", "attributes", "n"))
	d = s.ok(`{ item(table: "Users", key: {id: "u3"}) }`, nil)
	assert.Nil(t, d["item"])
	d = s.ok(`mutation { deleteItem(input: {table: "Users", key: {id: "u3"}}) { attributes } }`, nil)
	assert.Nil(t, at(d, "deleteItem", "attributes"))
}

// TestExactNumbers: numbers keep every digit both ways, through variables
// (decoded with UseNumber) and through both JSON forms.
func TestExactNumbers(t *testing.T) {
	s := startServer(t)
	s.createTable(`{"name": "Nums", "partitionKey": {"name": "k", "type": "N"}}`)
	const big = "12345678901234567890.123456789012345678"
	const tiny = "-0.000000000000000000000000000000000000012345678901234567890123456789"
	body := `{"query": "mutation($i: JSON!) { putItem(input: {table: \"Nums\", item: $i}) { attributes } }",
		"variables": {"i": {"k": 98765432109876543210987654321098765432, "big": ` + big + `, "tiny": ` + tiny + `, "set": {"$ns": [1.10, 99999999999999999999999]}}}}`
	r := s.postRaw(body)
	require.Empty(t, r.Errors)

	raw := s.raw(`query($k: JSON!) { item(table: "Nums", key: $k) }`, map[string]any{"k": map[string]any{"k": json.Number("98765432109876543210987654321098765432")}})
	assert.Contains(t, raw, `"k":98765432109876543210987654321098765432`)
	assert.Contains(t, raw, `"big":`+big)
	tinyOut := at(obj(t, raw), "item", "tiny").(json.Number)
	assert.True(t, sameNumber(t, tiny, string(tinyOut)), "tiny came back as %s", tinyOut)
	assert.Contains(t, raw, `99999999999999999999999`)

	// DynamoDB JSON out: numbers as strings.
	raw = s.raw(`{ item(table: "Nums", key: {k: {N: "98765432109876543210987654321098765432"}}, typed: true, projection: ["big"]) }`, nil)
	assert.JSONEq(t, `{"item": {"big": {"N": "`+big+`"}}}`, raw)

	// More than 38 significant digits is a VALIDATION error.
	r = s.postRaw(`{"query": "mutation($i: JSON!) { putItem(input: {table: \"Nums\", item: $i}) { attributes } }", "variables": {"i": {"k": 1, "x": 1234567890123456789012345678901234567890}}}`)
	assert.Equal(t, "VALIDATION", r.code(t))
}

func sameNumber(t testing.TB, a, b string) bool {
	x, err := attr.ParseNumber(a)
	require.NoError(t, err)
	y, err := attr.ParseNumber(b)
	require.NoError(t, err)
	return x.Cmp(y) == 0
}

func (s *testServer) postRaw(body string) response {
	s.t.Helper()
	var m map[string]json.RawMessage
	require.NoError(s.t, json.Unmarshal([]byte(body), &m))
	return s.post(map[string]any{"query": mustString(s.t, m["query"]), "variables": m["variables"]})
}

func mustString(t testing.TB, raw json.RawMessage) string {
	var s string
	require.NoError(t, json.Unmarshal(raw, &s))
	return s
}

// TestTyped: typed: true switches items, keys, values and results to
// DynamoDB JSON.
func TestTyped(t *testing.T) {
	s := startServer(t)
	s.createTable(`{"name": "Typed", "partitionKey": {"name": "pk", "type": "S"}, "sortKey": {"name": "sk", "type": "N"}}`)
	s.ok(`mutation($i: JSON!) { putItem(input: {table: "Typed", item: $i, typed: true}) { attributes } }`, map[string]any{"i": obj(t,
		`{"pk": {"S": "a"}, "sk": {"N": "1"}, "b": {"B": "AAE="}, "ok": {"BOOL": true}, "n": {"NULL": true}, "l": {"L": [{"S": "x"}]}, "m": {"M": {"k": {"N": "2.50"}}}, "ss": {"SS": ["p"]}}`)})
	raw := s.raw(`{ item(table: "Typed", key: {pk: {S: "a"}, sk: {N: "1"}}, typed: true) }`, nil)
	assert.JSONEq(t, `{"item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "b": {"B": "AAE="}, "ok": {"BOOL": true}, "n": {"NULL": true}, "l": {"L": [{"S": "x"}]}, "m": {"M": {"k": {"N": "2.5"}}}, "ss": {"SS": ["p"]}}}`, raw)
	raw = s.raw(`{ item(table: "Typed", key: {pk: "a", sk: 1}) }`, nil)
	assert.JSONEq(t, `{"item": {"pk": "a", "sk": 1, "b": {"$b": "AAE="}, "ok": true, "n": null, "l": ["x"], "m": {"k": 2.5}, "ss": {"$ss": ["p"]}}}`, raw)

	// Typed conditions and updates.
	raw = s.raw(`mutation { updateItem(input: {table: "Typed", key: {pk: {S: "a"}, sk: {N: "1"}}, typed: true,
		update: {set: {x: {N: "7"}}}, condition: {path: "ok", eq: {BOOL: true}}, returnValues: UPDATED_NEW}) { attributes } }`, nil)
	assert.JSONEq(t, `{"updateItem": {"attributes": {"x": {"N": "7"}}}}`, raw)
	raw = s.raw(`{ query(table: "Typed", partitionKey: {pk: {S: "a"}}, sortKey: {name: "sk", ge: {N: "0"}}, typed: true, projection: ["x"]) { items count } }`, nil)
	assert.JSONEq(t, `{"query": {"items": [{"x": {"N": "7"}}], "count": 1}}`, raw)

	// Shoal JSON given where DynamoDB JSON is expected.
	s.fails("VALIDATION", `{ item(table: "Typed", key: {pk: "a", sk: 1}, typed: true) }`, nil)
}
