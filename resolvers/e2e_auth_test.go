package resolvers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAccessMatrix runs every operation as every role and checks the
// expected allow or deny; a denied call must change nothing, return no data
// and say nothing about whether the item exists; an allowed call of a
// restricted role must return only what the restriction lets through.
func TestAccessMatrix(t *testing.T) {
	root := startServer(t)
	root.createTable(`{"name": "Orders", "partitionKey": {"name": "userId", "type": "S"}, "sortKey": {"name": "orderId", "type": "S"},
	  "streamViewType": "NEW_AND_OLD_IMAGES",
	  "globalIndexes": [{"name": "byStatus", "partitionKey": {"name": "status", "type": "S"}, "sortKey": {"name": "orderId", "type": "S"}}]}`)
	root.createTable(`{"name": "Other", "partitionKey": {"name": "id", "type": "S"}}`)

	both := `["table/Orders", "table/Orders/index/*"]`
	for _, role := range []string{
		`{name: "reader", statements: [{effect: allow, actions: ["item:get", "table:query", "table:scan", "stream:subscribe"], resources: ` + both + `}]}`,
		`{name: "peruser", statements: [{effect: allow, actions: ["item:*", "table:query", "table:scan", "stream:subscribe"], resources: ` + both + `,
		   conditions: {leadingKeys: ["${sub}"]}}]}`,
		`{name: "attrs", statements: [{effect: allow, actions: ["item:*", "table:query", "table:scan"], resources: ` + both + `,
		   conditions: {attributes: ["userId", "orderId", "total", "status"]}}]}`,
	} {
		root.ok(`mutation($in: PutRoleInput!) { putRole(input: $in) { name } }`, map[string]any{"in": obj(t, gqlToJSON(role))})
	}
	type principal struct{ name, key, sub string }
	var roles []principal
	for _, r := range []string{"admin", "reader", "peruser", "attrs", "denied"} {
		rs := []string{}
		if r != "denied" {
			rs = []string{r}
		}
		d := root.ok(`mutation($n: String!, $r: [String!]!) { createApiKey(input: {name: $n, roles: $r}) { key { id } secret } }`,
			map[string]any{"n": r, "r": rs})
		roles = append(roles, principal{r, at(d, "createApiKey", "secret").(string), at(d, "createApiKey", "key", "id").(string)})
	}
	// Each principal owns one order (partition = its key id); u2 is someone else.
	for _, p := range roles {
		root.put("Orders", fmt.Sprintf(`{"userId": %q, "orderId": "o1", "total": 1, "secret": "S-%s", "status": "open"}`, p.sub, p.name))
	}
	root.put("Orders", `{"userId": "u2", "orderId": "o1", "total": 20, "secret": "S-u2", "status": "open"}`)
	root.put("Other", `{"id": "x"}`)

	snapshot := func() string {
		return root.raw(`{ a: scan(table: "Orders") { items } b: scan(table: "Other") { items } }`, nil)
	}

	type op struct {
		name  string
		query string
		vars  func(sub string) map[string]any
		// check, when set, inspects the data of an allowed call.
		check func(t *testing.T, role, sub, data string)
	}
	own := func(sub string) map[string]any {
		return map[string]any{"k": map[string]any{"userId": sub, "orderId": "o1"}}
	}
	other := func(string) map[string]any {
		return map[string]any{"k": map[string]any{"userId": "u2", "orderId": "o1"}}
	}
	missing := func(string) map[string]any {
		return map[string]any{"k": map[string]any{"userId": "u9", "orderId": "nope"}}
	}
	noSecretFor := func(roles ...string) func(t *testing.T, role, sub, data string) {
		return func(t *testing.T, role, sub, data string) {
			for _, r := range roles {
				if r == role {
					assert.NotContains(t, data, `"secret"`, "%s sees a hidden attribute", role)
				}
			}
		}
	}
	onlyOwn := func(t *testing.T, role, sub, data string) {
		if role == "peruser" {
			assert.NotContains(t, data, "u2", "peruser sees another partition")
			assert.Contains(t, data, sub)
		}
		noSecretFor("attrs")(t, role, sub, data)
	}
	ops := []op{
		{name: "get own", query: `query($k: JSON!) { item(table: "Orders", key: $k) }`, vars: own, check: noSecretFor("attrs")},
		{name: "get other", query: `query($k: JSON!) { item(table: "Orders", key: $k) }`, vars: other},
		{name: "get missing", query: `query($k: JSON!) { item(table: "Orders", key: $k) }`, vars: missing},
		{name: "get projection hidden", query: `query($k: JSON!) { item(table: "Orders", key: $k, projection: ["secret"]) }`, vars: own},
		{name: "put own", query: `mutation($i: JSON!) { putItem(input: {table: "Orders", item: $i}) { attributes } }`,
			vars: func(sub string) map[string]any {
				return map[string]any{"i": map[string]any{"userId": sub, "orderId": "new"}}
			}},
		{name: "put other", query: `mutation($i: JSON!) { putItem(input: {table: "Orders", item: $i}) { attributes } }`,
			vars: func(string) map[string]any {
				return map[string]any{"i": map[string]any{"userId": "u2", "orderId": "evil"}}
			}},
		{name: "update own", query: `mutation($k: JSON!) { updateItem(input: {table: "Orders", key: $k, update: {set: {total: 5}}, returnValues: ALL_NEW}) { attributes } }`,
			vars: own, check: noSecretFor("attrs")},
		{name: "update hidden", query: `mutation($k: JSON!) { updateItem(input: {table: "Orders", key: $k, update: {set: {secret: "x"}}}) { attributes } }`, vars: own},
		{name: "delete other", query: `mutation($k: JSON!) { deleteItem(input: {table: "Orders", key: $k}) { attributes } }`, vars: other},
		{name: "query own", query: `query($p: JSON!) { query(table: "Orders", partitionKey: $p) { items } }`,
			vars: func(sub string) map[string]any { return map[string]any{"p": map[string]any{"userId": sub}} }, check: onlyOwn},
		{name: "query other", query: `query { query(table: "Orders", partitionKey: {userId: "u2"}) { items } }`, vars: func(string) map[string]any { return nil }},
		{name: "index query", query: `query { query(table: "Orders", index: "byStatus", partitionKey: {status: "open"}) { items count } }`,
			vars: func(string) map[string]any { return nil }, check: onlyOwn},
		{name: "scan", query: `query { scan(table: "Orders") { items count cursor } }`, vars: func(string) map[string]any { return nil }, check: onlyOwn},
		{name: "scan filter hidden", query: `query { scan(table: "Orders", filter: {path: "secret", eq: "S-u2"}) { count } }`, vars: func(string) map[string]any { return nil }},
		{name: "scan other table", query: `query { scan(table: "Other") { items } }`, vars: func(string) map[string]any { return nil }},
		{name: "batch get", query: `query($a: JSON!, $b: JSON!) { batchGetItems(requests: [{table: "Orders", keys: [$a, $b]}]) { responses { items } } }`,
			vars: func(sub string) map[string]any { return map[string]any{"a": own(sub)["k"], "b": other(sub)["k"]} }, check: noSecretFor("attrs")},
		{name: "batch write other", query: `mutation($i: JSON!) { batchWriteItems(input: {requests: [{table: "Orders", put: $i}]}) { unprocessed { table } } }`,
			vars: func(string) map[string]any {
				return map[string]any{"i": map[string]any{"userId": "u2", "orderId": "b"}}
			}},
		{name: "transact update other", query: `mutation($k: JSON!) { transactWriteItems(input: {actions: [{update: {table: "Orders", key: $k, update: {set: {total: 7}}}}]}) { actionCount } }`,
			vars: other},
		{name: "transact get own", query: `query($k: JSON!) { transactGetItems(requests: [{table: "Orders", key: $k}]) }`, vars: own, check: noSecretFor("attrs")},
		{name: "create table", query: `mutation { createTable(input: {name: "Made", partitionKey: {name: "id", type: S}}) { name } }`, vars: func(string) map[string]any { return nil }},
		{name: "audit", query: `{ auditEvents(limit: 5) { seq } }`, vars: func(string) map[string]any { return nil }},
	}
	Y, N := true, false
	// admin, reader, peruser, attrs, denied
	expect := map[string][5]bool{
		"get own":               {Y, Y, Y, Y, N},
		"get other":             {Y, Y, N, Y, N},
		"get missing":           {Y, Y, N, Y, N},
		"get projection hidden": {Y, Y, Y, N, N},
		"put own":               {Y, N, Y, N, N},
		"put other":             {Y, N, N, N, N},
		"update own":            {Y, N, Y, Y, N},
		"update hidden":         {Y, N, Y, N, N},
		"delete other":          {Y, N, N, N, N},
		"query own":             {Y, Y, Y, Y, N},
		"query other":           {Y, Y, N, Y, N},
		"index query":           {Y, Y, Y, Y, N},
		"scan":                  {Y, Y, Y, Y, N},
		"scan filter hidden":    {Y, Y, Y, N, N},
		"scan other table":      {Y, N, N, N, N},
		"batch get":             {Y, Y, N, Y, N},
		"batch write other":     {Y, N, N, N, N},
		"transact update other": {Y, N, N, Y, N},
		"transact get own":      {Y, Y, Y, Y, N},
		"create table":          {Y, N, N, N, N},
		"audit":                 {Y, N, N, N, N},
	}
	// Run the non-admin roles first so that the admin's writes come last.
	order := []int{1, 2, 3, 4, 0}
	for _, o := range ops {
		for _, i := range order {
			p := roles[i]
			want := expect[o.name][i]
			t.Run(o.name+"/"+p.name, func(t *testing.T) {
				before := snapshot()
				r := root.as(p.key).do(o.query, o.vars(p.sub))
				if !want {
					require.Equal(t, "ACCESS_DENIED", r.code(t), "errors: %+v", r.Errors)
					assert.NotContains(t, string(r.Data), "S-", "a denied call leaks data")
					assert.Nil(t, r.Errors[0].Extensions["item"])
					assert.NotContains(t, r.Errors[0].Message, "S-")
					assert.Equal(t, before, snapshot(), "a denied call changed the data")
					return
				}
				require.Empty(t, r.Errors, "%s as %s", o.name, p.name)
				if o.check != nil {
					o.check(t, p.name, p.sub, string(r.Data))
				}
			})
		}
	}

	// A denied read of an existing and of an absent item look the same.
	per := roles[2]
	a := root.as(per.key).do(`query($k: JSON!) { item(table: "Orders", key: $k) }`, other(""))
	b := root.as(per.key).do(`query($k: JSON!) { item(table: "Orders", key: $k) }`, missing(""))
	require.Len(t, a.Errors, 1)
	require.Len(t, b.Errors, 1)
	assert.Equal(t, a.Errors[0].Message, b.Errors[0].Message)

	// Denials are audited, and the chain holds.
	d := root.ok(`query($p: String) { auditEvents(principal: $p, limit: 1000) { outcome action resource } verifyAudit { ok entries } }`,
		map[string]any{"p": "key:" + roles[4].sub})
	evs := at(d, "auditEvents").([]any)
	require.NotEmpty(t, evs)
	assert.Equal(t, "denied", at(evs[0], "outcome"))
	assert.Equal(t, true, at(d, "verifyAudit", "ok"))
}

// gqlToJSON turns a GraphQL input literal with bare keys and enum values
// into JSON, for obj(): good enough for the role literals above.
func gqlToJSON(s string) string {
	r := strings.NewReplacer("name:", `"name":`, "statements:", `"statements":`, "effect: allow", `"effect": "allow"`,
		"effect: deny", `"effect": "deny"`, "actions:", `"actions":`, "resources:", `"resources":`,
		"conditions:", `"conditions":`, "leadingKeys:", `"leadingKeys":`, "attributes:", `"attributes":`)
	return r.Replace(s)
}
