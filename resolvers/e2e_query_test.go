package resolvers_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scanIDs scans a table with a filter (a ConditionInput) and returns the
// sorted ids of the items returned.
func (s *testServer) scanIDs(table string, filter map[string]any) []string {
	s.t.Helper()
	d := s.ok(`query($t: String!, $f: ConditionInput) { scan(table: $t, filter: $f) { items cursor } }`,
		map[string]any{"t": table, "f": filter})
	require.Nil(s.t, at(d, "scan", "cursor"))
	var ids []string
	for _, it := range at(d, "scan", "items").([]any) {
		ids = append(ids, at(it, "id").(string))
	}
	sort.Strings(ids)
	return ids
}

// TestConditionForms: each structured comparison and its expression
// string select the same items.
func TestConditionForms(t *testing.T) {
	s := startServer(t)
	s.createTable(`{"name": "Things", "partitionKey": {"name": "id", "type": "S"}}`)
	s.put("Things",
		`{"id": "a", "n": 1, "s": "apple", "tags": {"$ss": ["red", "green"]}, "l": [1, 2, 3], "m": {"x": 1}}`,
		`{"id": "b", "n": 5, "s": "banana", "tags": {"$ss": ["yellow"]}, "l": [], "flag": true}`,
		`{"id": "c", "n": 10, "s": "cherry", "l": [9], "m": {"x": 2}, "b": {"$b": "AAE="}}`,
		`{"id": "d", "n": "ten", "s": "date"}`,
	)
	cases := []struct {
		name       string
		structured string
		expression string
		want       []string
	}{
		{"eq", `{"path": "n", "eq": 5}`, `{"expression": "n = :v", "values": {":v": 5}}`, []string{"b"}},
		{"ne", `{"path": "n", "ne": 5}`, `{"expression": "n <> :v", "values": {":v": 5}}`, []string{"a", "c", "d"}},
		{"lt", `{"path": "n", "lt": 5}`, `{"expression": "n < :v", "values": {":v": 5}}`, []string{"a"}},
		{"le", `{"path": "n", "le": 5}`, `{"expression": "n <= :v", "values": {":v": 5}}`, []string{"a", "b"}},
		{"gt", `{"path": "n", "gt": 5}`, `{"expression": "n > :v", "values": {":v": 5}}`, []string{"c"}},
		{"ge", `{"path": "n", "ge": 5}`, `{"expression": "#n >= :v", "names": {"#n": "n"}, "values": {":v": 5}}`, []string{"b", "c"}},
		{"between", `{"path": "n", "between": [2, 10]}`, `{"expression": "n BETWEEN :lo AND :hi", "values": {":lo": 2, ":hi": 10}}`, []string{"b", "c"}},
		{"in", `{"path": "s", "in": ["apple", "date", "fig"]}`, `{"expression": "s IN (:a, :b, :c)", "values": {":a": "apple", ":b": "date", ":c": "fig"}}`, []string{"a", "d"}},
		{"beginsWith", `{"path": "s", "beginsWith": "b"}`, `{"expression": "begins_with(s, :p)", "values": {":p": "b"}}`, []string{"b"}},
		{"contains set", `{"path": "tags", "contains": "red"}`, `{"expression": "contains(tags, :v)", "values": {":v": "red"}}`, []string{"a"}},
		{"contains string", `{"path": "s", "contains": "an"}`, `{"expression": "contains(s, :v)", "values": {":v": "an"}}`, []string{"b"}},
		{"exists", `{"path": "m", "exists": true}`, `{"expression": "attribute_exists(m)"}`, []string{"a", "c"}},
		{"not exists", `{"path": "m", "exists": false}`, `{"expression": "attribute_not_exists(m)"}`, []string{"b", "d"}},
		{"type", `{"path": "n", "type": "S"}`, `{"expression": "attribute_type(n, :t)", "values": {":t": "S"}}`, []string{"d"}},
		{"type binary", `{"path": "b", "type": "B"}`, `{"expression": "attribute_type(b, :t)", "values": {":t": "B"}}`, []string{"c"}},
		{"size", `{"path": "l", "size": {"ge": 1}}`, `{"expression": "size(l) >= :v", "values": {":v": 1}}`, []string{"a", "c"}},
		{"size between", `{"path": "s", "size": {"between": [5, 5]}}`, `{"expression": "size(s) BETWEEN :a AND :b", "values": {":a": 5, ":b": 5}}`, []string{"a"}},
		{"nested path", `{"path": "m.x", "eq": 2}`, `{"expression": "m.x = :v", "values": {":v": 2}}`, []string{"c"}},
		{"list index", `{"path": "l[0]", "eq": 9}`, `{"expression": "l[0] = :v", "values": {":v": 9}}`, []string{"c"}},
		{"binary eq", `{"path": "b", "eq": {"$b": "AAE="}}`, `{"expression": "b = :v", "values": {":v": {"$b": "AAE="}}}`, []string{"c"}},
		{"two comparisons on a path are ANDed", `{"path": "n", "gt": 1, "lt": 10}`, `{"expression": "n > :a AND n < :b", "values": {":a": 1, ":b": 10}}`, []string{"b"}},
		{"and", `{"and": [{"path": "n", "ge": 1}, {"path": "s", "beginsWith": "c"}]}`, `{"expression": "n >= :a AND begins_with(s, :c)", "values": {":a": 1, ":c": "c"}}`, []string{"c"}},
		{"or", `{"or": [{"path": "n", "eq": 1}, {"path": "flag", "eq": true}]}`, `{"expression": "n = :a OR flag = :t", "values": {":a": 1, ":t": true}}`, []string{"a", "b"}},
		{"not", `{"not": {"path": "n", "type": "N"}}`, `{"expression": "NOT attribute_type(n, :t)", "values": {":t": "N"}}`, []string{"d"}},
		{"structured and expression together", `{"path": "n", "type": "N", "expression": {"expression": "n > :v", "values": {":v": 1}}}`, `{"expression": "attribute_type(n, :t) AND n > :v", "values": {":t": "N", ":v": 1}}`, []string{"b", "c"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := s.scanIDs("Things", obj(t, c.structured))
			assert.Equal(t, c.want, got, "structured")
			got = s.scanIDs("Things", map[string]any{"expression": obj(t, c.expression)})
			assert.Equal(t, c.want, got, "expression")
		})
	}

	// Invalid conditions never reach the engine: VALIDATION.
	bad := []string{
		`{}`,
		`{"eq": 1}`,
		`{"path": "n"}`,
		`{"path": "", "eq": 1}`,
		`{"path": "a..b", "eq": 1}`,
		`{"path": "[0]", "eq": 1}`,
		`{"path": "n", "between": [1]}`,
		`{"path": "n", "lt": true}`,
		`{"path": "n", "eq": {"$zz": 1}}`,
		`{"and": []}`,
		`{"expression": {"expression": "n = :v"}}`,
		`{"expression": {"expression": "n = :v", "values": {":v": 1, ":unused": 2}}}`,
		`{"expression": {"expression": "n = = :v", "values": {":v": 1}}}`,
		`{"expression": {"expression": "#x = :v", "values": {":v": 1}}}`,
	}
	for _, b := range bad {
		r := s.do(`query($f: ConditionInput) { scan(table: "Things", filter: $f) { count } }`, map[string]any{"f": obj(t, b)})
		assert.Equal(t, "VALIDATION", r.code(t), "filter %s", b)
		assert.Equal(t, []any{"scan"}, r.Errors[0].Path)
	}
}

// TestConditionalWrites: conditions on put, update and delete; a failure
// is CONDITIONAL_CHECK_FAILED with the stored item when asked for.
func TestConditionalWrites(t *testing.T) {
	s := startServer(t)
	s.createTable(`{"name": "Accounts", "partitionKey": {"name": "id", "type": "S"}}`)
	const put = `mutation($i: JSON!, $c: ConditionInput, $old: Boolean) { putItem(input: {table: "Accounts", item: $i, condition: $c, returnOldOnConditionFailure: $old}) { attributes } }`
	s.ok(put, map[string]any{"i": obj(t, `{"id": "x", "balance": 10}`), "c": obj(t, `{"path": "id", "exists": false}`)})

	e := s.fails("CONDITIONAL_CHECK_FAILED", put, map[string]any{"i": obj(t, `{"id": "x", "balance": 0}`), "c": obj(t, `{"path": "id", "exists": false}`), "old": true})
	assert.Equal(t, []any{"putItem"}, e.Path)
	assert.Equal(t, `{"balance":10,"id":"x"}`, canon(t, e.Extensions["item"]))
	e = s.fails("CONDITIONAL_CHECK_FAILED", put, map[string]any{"i": obj(t, `{"id": "x", "balance": 0}`), "c": obj(t, `{"path": "id", "exists": false}`)})
	assert.NotContains(t, e.Extensions, "item")

	// Optimistic update: succeed once, then fail.
	const upd = `mutation($c: ConditionInput!) { updateItem(input: {table: "Accounts", key: {id: "x"}, update: {increment: {balance: -10}}, condition: $c, returnValues: ALL_NEW}) { attributes } }`
	d := s.ok(upd, map[string]any{"c": obj(t, `{"path": "balance", "ge": 10}`)})
	assert.Equal(t, json.Number("0"), at(d, "updateItem", "attributes", "balance"))
	s.fails("CONDITIONAL_CHECK_FAILED", upd, map[string]any{"c": obj(t, `{"expression": {"expression": "balance >= :min", "values": {":min": 10}}}`)})

	// Conditional delete; typed error item.
	const del = `mutation($c: ConditionInput!) { deleteItem(input: {table: "Accounts", key: {id: {S: "x"}}, condition: $c, typed: true, returnOldOnConditionFailure: true}) { attributes } }`
	e = s.fails("CONDITIONAL_CHECK_FAILED", del, map[string]any{"c": obj(t, `{"path": "balance", "gt": {"N": "0"}}`)})
	assert.Equal(t, `{"balance":{"N":"0"},"id":{"S":"x"}}`, canon(t, e.Extensions["item"]))
	s.ok(del, map[string]any{"c": obj(t, `{"path": "balance", "eq": {"N": "0"}}`)})
}

// TestBatch: batchWriteItems and batchGetItems over two tables.
func TestBatch(t *testing.T) {
	s := startServer(t)
	s.createTable(`{"name": "Left", "partitionKey": {"name": "id", "type": "S"}}`)
	s.createTable(`{"name": "Right", "partitionKey": {"name": "id", "type": "N"}}`)
	s.put("Left", `{"id": "gone"}`)
	d := s.ok(`mutation { batchWriteItems(input: {requests: [
		{table: "Left", put: {id: "a", v: 1}}, {table: "Left", put: {id: "b", v: 2}},
		{table: "Right", put: {id: 1, v: "x"}}, {table: "Left", deleteKey: {id: "gone"}}]}) { unprocessed { table put deleteKey } } }`, nil)
	assert.Empty(t, at(d, "batchWriteItems", "unprocessed"))

	raw := s.raw(`{ batchGetItems(requests: [
		{table: "Left", keys: [{id: "a"}, {id: "b"}, {id: "gone"}], projection: ["v"]},
		{table: "Right", keys: [{id: 1}], consistentRead: true}]) { responses { table items } unprocessed { table keys } } }`, nil)
	var out struct {
		BatchGetItems struct {
			Responses []struct {
				Table string
				Items []map[string]any
			}
			Unprocessed []any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &out))
	require.Len(t, out.BatchGetItems.Responses, 2)
	assert.Equal(t, "Left", out.BatchGetItems.Responses[0].Table)
	assert.ElementsMatch(t, []map[string]any{{"v": 1.0}, {"v": 2.0}}, out.BatchGetItems.Responses[0].Items)
	assert.Equal(t, []map[string]any{{"id": 1.0, "v": "x"}}, out.BatchGetItems.Responses[1].Items)
	assert.Empty(t, out.BatchGetItems.Unprocessed)

	// Exactly one of put and deleteKey.
	s.fails("VALIDATION", `mutation { batchWriteItems(input: {requests: [{table: "Left"}]}) { unprocessed { table } } }`, nil)
	s.fails("VALIDATION", `mutation { batchWriteItems(input: {requests: [{table: "Left", put: {id: "q"}, deleteKey: {id: "q"}}]}) { unprocessed { table } } }`, nil)
	s.fails("NOT_FOUND", `mutation { batchWriteItems(input: {requests: [{table: "Nope", put: {id: "q"}}]}) { unprocessed { table } } }`, nil)
}

// TestTransactions: transactWriteItems applies all or nothing; a
// cancellation carries one reason per action; transactGetItems reads in
// order with nulls for absent items.
func TestTransactions(t *testing.T) {
	s := startServer(t)
	s.createTable(`{"name": "Bank", "partitionKey": {"name": "id", "type": "S"}}`)
	s.put("Bank", `{"id": "alice", "balance": 100}`, `{"id": "bob", "balance": 0}`, `{"id": "frozen", "balance": 5, "frozen": true}`)

	const tx = `mutation($a: [TransactActionInput!]!, $tok: String) { transactWriteItems(input: {actions: $a, clientRequestToken: $tok}) { actionCount } }`
	transfer := func(from string, amount int) []any {
		return []any{
			obj(t, fmt.Sprintf(`{"update": {"table": "Bank", "key": {"id": %q}, "update": {"increment": {"balance": %d}}, "condition": {"path": "balance", "ge": %d}, "returnOldOnConditionFailure": true}}`, from, -amount, amount)),
			obj(t, fmt.Sprintf(`{"update": {"table": "Bank", "key": {"id": "bob"}, "update": {"increment": {"balance": %d}}}}`, amount)),
			obj(t, `{"conditionCheck": {"table": "Bank", "key": {"id": "frozen"}, "condition": {"path": "frozen", "eq": true}}}`),
			obj(t, `{"put": {"table": "Bank", "item": {"id": "log-1", "amount": 1}}}`),
		}
	}
	d := s.ok(tx, map[string]any{"a": transfer("alice", 30), "tok": "token-1"})
	assert.Equal(t, json.Number("4"), at(d, "transactWriteItems", "actionCount"))
	// The same token and request: idempotent, nothing written twice.
	s.ok(tx, map[string]any{"a": transfer("alice", 30), "tok": "token-1"})
	// The same token, another request.
	s.fails("IDEMPOTENT_PARAMETER_MISMATCH", tx, map[string]any{"a": transfer("alice", 31), "tok": "token-1"})

	d = s.ok(`{ transactGetItems(requests: [{table: "Bank", key: {id: "alice"}, projection: ["balance"]}, {table: "Bank", key: {id: "nobody"}}, {table: "Bank", key: {id: "bob"}}]) }`, nil)
	got := d["transactGetItems"].([]any)
	require.Len(t, got, 3)
	assert.Equal(t, json.Number("70"), at(got[0], "balance"))
	assert.Nil(t, got[1])
	assert.Equal(t, json.Number("30"), at(got[2], "balance"))

	// Canceled: alice has 70, not 100.
	e := s.fails("TRANSACTION_CANCELED", tx, map[string]any{"a": transfer("alice", 100)})
	assert.Equal(t, []any{"transactWriteItems"}, e.Path)
	reasons := e.Extensions["reasons"].([]any)
	require.Len(t, reasons, 4)
	assert.Equal(t, "ConditionalCheckFailed", at(reasons[0], "code"))
	assert.Equal(t, `{"balance":70,"id":"alice"}`, canon(t, at(reasons[0], "item")))
	assert.Equal(t, "None", at(reasons[1], "code"))
	d = s.ok(`{ item(table: "Bank", key: {id: "bob"}) }`, nil)
	assert.Equal(t, json.Number("30"), at(d, "item", "balance"), "nothing of the canceled transaction applied")

	// Each action has exactly one kind.
	s.fails("VALIDATION", tx, map[string]any{"a": []any{obj(t, `{}`)}})
	s.fails("VALIDATION", tx, map[string]any{"a": []any{obj(t, `{"put": {"table": "Bank", "item": {"id": "z"}}, "delete": {"table": "Bank", "key": {"id": "z"}}}`)}})
}
