package resolvers_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/resolvers"
)

// TestErrorCodes: every engine error code the GraphQL API can reach today,
// in extensions.code, with the field path. (TRANSACTION_CONFLICT, THROTTLED
// and INTERNAL need contention, load shedding or a storage failure;
// ACCESS_DENIED needs auth: see the server tests for THROTTLED by timeout.)
func TestErrorCodes(t *testing.T) {
	s := startServer(t)
	s.createTable(`{"name": "Errs", "partitionKey": {"name": "id", "type": "S"}}`)
	s.put("Errs", `{"id": "a"}`)

	var gsis []string
	for i := range engine.MaxGlobalIndexes + 1 {
		gsis = append(gsis, fmt.Sprintf(`{name: "ix%d", partitionKey: {name: "k%d", type: S}}`, i, i))
	}
	cases := []struct {
		code, query, path string
		vars              map[string]any
	}{
		{"VALIDATION", `{ item(table: "Errs", key: {nope: "a"}) }`, "item", nil},
		{"VALIDATION", `{ item(table: "Errs", key: "a") }`, "item", nil},
		{"VALIDATION", `query($k: JSON!) { item(table: "Errs", key: $k) }`, "item", map[string]any{"k": map[string]any{"id": map[string]any{"$b": "%%%"}}}},
		{"VALIDATION", `query($k: JSON!) { item(table: "Errs", key: $k) }`, "item", map[string]any{"k": map[string]any{"id": map[string]any{"$what": 1}}}},
		{"VALIDATION", `{ scan(table: "Errs", after: "%%%") { count } }`, "scan", nil},
		{"VALIDATION", `{ item(table: "Errs", key: {id: "a"}, projection: ["a."]) }`, "item", nil},
		{"VALIDATION", `mutation { createTable(input: {name: "x", partitionKey: {name: "id", type: S}}) { name } }`, "createTable", nil},
		{"NOT_FOUND", `{ item(table: "Nope", key: {id: "a"}) }`, "item", nil},
		{"NOT_FOUND", `mutation { deleteTable(input: {name: "Nope"}) { name } }`, "deleteTable", nil},
		{"RESOURCE_IN_USE", `mutation { createTable(input: {name: "Errs", partitionKey: {name: "id", type: S}}) { name } }`, "createTable", nil},
		{"CONDITIONAL_CHECK_FAILED", `mutation { putItem(input: {table: "Errs", item: {id: "a"}, condition: {path: "id", exists: false}}) { attributes } }`, "putItem", nil},
		{"TRANSACTION_CANCELED", `mutation { transactWriteItems(input: {actions: [{conditionCheck: {table: "Errs", key: {id: "a"}, condition: {path: "id", exists: false}}}]}) { actionCount } }`, "transactWriteItems", nil},
		{"LIMIT_EXCEEDED", `mutation { createTable(input: {name: "Many", partitionKey: {name: "id", type: S}, globalIndexes: [` + strings.Join(gsis, ",") + `]}) { name } }`, "createTable", nil},
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			e := s.fails(c.code, c.query, c.vars)
			if c.path != "" {
				assert.Equal(t, c.path, e.Path[0])
			}
			assert.NotEmpty(t, e.Message)
			assert.NotContains(t, e.Message, "engine: ")
		})
	}

	// Aliases give the path; one failing field leaves the others.
	r := s.do(`{ good: item(table: "Errs", key: {id: "a"}) bad: item(table: "Nope", key: {id: "a"}) }`, nil)
	require.Len(t, r.Errors, 1)
	assert.Equal(t, []any{"bad"}, r.Errors[0].Path)
	assert.Equal(t, `{"bad":null,"good":{"id":"a"}}`, canon(t, r.decode(t)))
}

// TestInvalidOperations: an operation that does not validate never reaches
// the engine.
func TestInvalidOperations(t *testing.T) {
	s := startServer(t)
	r := s.do(`mutation { createTable(input: {name: "Bad", partitionKey: {name: "id", type: X}}) { name } }`, nil)
	assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", r.code(t))
	r = s.do(`mutation { createTable(input: {name: "Bad", partitionKey: {name: "id", type: S}}) { name nope } }`, nil)
	assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", r.code(t))
	r = s.do(`mutation($in: CreateTableInput!) { createTable(input: $in) { name } }`, map[string]any{"in": map[string]any{"name": "Bad"}})
	assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", r.code(t))
	r = s.do(`mutation($in: CreateTableInput!) { createTable(input: $in) { name } }`, map[string]any{"in": map[string]any{"name": "Bad", "partitionKey": map[string]any{"name": "id", "type": "Q"}}})
	assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", r.code(t))
	r = s.do(`mutation { createTable(input: {name: "Bad"`, nil)
	assert.Equal(t, "GRAPHQL_PARSE_FAILED", r.code(t))
	d := s.ok(`{ table(name: "Bad") { name } }`, nil)
	assert.Nil(t, d["table"], "no invalid operation reached the engine")
}

func TestComplexityLimit(t *testing.T) {
	s := newTestServer(t, resolvers.HandlerOptions{ComplexityLimit: 500})
	s.createTable(`{"name": "Cxx", "partitionKey": {"name": "id", "type": "S"}}`)
	s.ok(`{ scan(table: "Cxx", limit: 100) { items count cursor } }`, nil) // 1 + 100 × 3
	r := s.do(`{ scan(table: "Cxx", limit: 200) { items count cursor } }`, nil)
	assert.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", r.code(t))
	r = s.do(`{ a: scan(table: "Cxx", limit: 100) { items count } b: scan(table: "Cxx", limit: 100) { items count } c: scan(table: "Cxx", limit: 100) { items } }`, nil)
	assert.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", r.code(t))
}

func TestDepthLimit(t *testing.T) {
	s := newTestServer(t, resolvers.HandlerOptions{DepthLimit: 3, Introspection: true})
	s.createTable(`{"name": "Deep", "partitionKey": {"name": "id", "type": "S"}}`)
	s.ok(`{ table(name: "Deep") { globalIndexes { name } } }`, nil)
	r := s.do(`{ table(name: "Deep") { keySchema { partitionKey { name } } } }`, nil)
	assert.Equal(t, "DEPTH_LIMIT_EXCEEDED", r.code(t))
	r = s.do(`query { table(name: "Deep") { ...T } } fragment T on Table { keySchema { partitionKey { name } } }`, nil)
	assert.Equal(t, "DEPTH_LIMIT_EXCEEDED", r.code(t))
	// Introspection is exempt.
	s.ok(`{ __schema { types { name fields { name type { name ofType { name ofType { name } } } } } } }`, nil)
}

func TestIntrospectionSwitch(t *testing.T) {
	on := newTestServer(t, resolvers.HandlerOptions{Introspection: true})
	d := on.ok(`{ __type(name: "ItemPage") { fields { name } } }`, nil)
	assert.Len(t, at(d, "__type", "fields"), 5)
	off := newTestServer(t, resolvers.HandlerOptions{Introspection: false})
	r := off.do(`{ __schema { queryType { name } } }`, nil)
	require.NotEmpty(t, r.Errors)
	assert.Equal(t, "INTROSPECTION_DISABLED", r.code(t))
	off.ok(`{ __typename }`, nil)
}

func TestAutomaticPersistedQueries(t *testing.T) {
	s := startServer(t)
	s.createTable(`{"name": "Apq", "partitionKey": {"name": "id", "type": "S"}}`)
	const q = `query($t: String!) { table(name: $t) { name } }`
	sum := sha256.Sum256([]byte(q))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	vars := map[string]any{"t": "Apq"}

	r := s.post(map[string]any{"extensions": ext, "variables": vars})
	assert.Equal(t, "PERSISTED_QUERY_NOT_FOUND", r.code(t))
	r = s.post(map[string]any{"query": q, "extensions": ext, "variables": vars})
	require.Empty(t, r.Errors)
	r = s.post(map[string]any{"extensions": ext, "variables": vars})
	require.Empty(t, r.Errors)
	assert.Equal(t, "Apq", at(r.decode(t), "table", "name"))
}

func TestGET(t *testing.T) {
	s := startServer(t)
	s.createTable(`{"name": "Gets", "partitionKey": {"name": "id", "type": "S"}}`)
	s.put("Gets", `{"id": "a", "n": 123456789012345678901234567890}`)
	r := s.get(`query($k: JSON!) { item(table: "Gets", key: $k) }`, map[string]any{"k": map[string]any{"id": "a"}})
	require.Empty(t, r.Errors)
	assert.Equal(t, `{"item":{"id":"a","n":123456789012345678901234567890}}`, string(r.Data))
	// Mutations are not allowed over GET.
	r = s.get(`mutation { deleteTable(input: {name: "Gets"}) { name } }`, nil)
	require.NotEmpty(t, r.Errors)
	assert.NotEqual(t, http.StatusOK, r.Status)
	d := s.ok(`{ table(name: "Gets") { name } }`, nil)
	assert.Equal(t, "Gets", at(d, "table", "name"))
}
