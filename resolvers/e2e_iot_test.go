package resolvers_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's IoT example: a Devices table keyed by device id and
// timestamp, with temperature readings and an error status.
const devicesTable = `{"name": "Devices",
	"partitionKey": {"name": "deviceId", "type": "S"}, "sortKey": {"name": "ts", "type": "N"},
	"globalIndexes": [
		{"name": "byTemperature", "partitionKey": {"name": "deviceId", "type": "S"}, "sortKey": {"name": "temperature", "type": "N"}},
		{"name": "byError", "partitionKey": {"name": "error", "type": "S"}, "sortKey": {"name": "ts", "type": "N"}}]}`

var devicesReadings = []string{
	`{"deviceId": "sensor-1", "ts": 1700000000, "temperature": 41.9}`,
	`{"deviceId": "sensor-1", "ts": 1700000060, "temperature": 42}`,
	`{"deviceId": "sensor-1", "ts": 1700000120, "temperature": 39, "error": "Low"}`,
	`{"deviceId": "sensor-2", "ts": 1700000000, "temperature": 47, "error": "High"}`,
	`{"deviceId": "sensor-2", "ts": 1700000060, "temperature": 49, "error": "High"}`,
	`{"deviceId": "sensor-2", "ts": 1700000120, "temperature": 46.9}`,
}

// temps returns the temperatures of a page's items, as written.
func temps(t *testing.T, page any) []string {
	var out []string
	for _, it := range at(page, "items").([]any) {
		out = append(out, string(at(it, "temperature").(json.Number)))
	}
	return out
}

// waitActive waits until the table's indexes are queryable.
func (s *testServer) waitActive(table string) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := s.ok(`query($t: String!) { table(name: $t) { globalIndexes { status } } }`, map[string]any{"t": table})
		active := true
		for _, ix := range at(d, "table", "globalIndexes").([]any) {
			active = active && at(ix, "status") == "ACTIVE"
		}
		if active {
			return
		}
		require.True(s.t, time.Now().Before(deadline), "indexes of %s not ACTIVE", table)
		time.Sleep(20 * time.Millisecond)
	}
}

func TestIoTExample(t *testing.T) {
	s := startServer(t)
	s.createTable(devicesTable)
	s.waitActive("Devices")
	s.put("Devices", devicesReadings...)

	const q = `query($pk: JSON!, $sk: SortKeyInput, $f: ConditionInput, $index: String, $fwd: Boolean) {
		query(table: "Devices", index: $index, partitionKey: $pk, sortKey: $sk, filter: $f, scanForward: $fwd) { items count scannedCount cursor } }`

	// By device: every reading, in time order; numbers as written.
	d := s.ok(q, map[string]any{"pk": obj(t, `{"deviceId": "sensor-1"}`)})
	assert.Equal(t, []string{"41.9", "42", "39"}, temps(t, d["query"]))
	assert.Equal(t, json.Number("3"), at(d, "query", "count"))
	assert.Nil(t, at(d, "query", "cursor"))

	// Newest first.
	d = s.ok(q, map[string]any{"pk": obj(t, `{"deviceId": "sensor-2"}`), "fwd": false})
	assert.Equal(t, []string{"46.9", "49", "47"}, temps(t, d["query"]))

	// By time range, both forms of the key condition.
	d = s.ok(q, map[string]any{"pk": obj(t, `{"deviceId": "sensor-2"}`), "sk": obj(t, `{"name": "ts", "between": [1700000000, 1700000060]}`)})
	assert.Equal(t, []string{"47", "49"}, temps(t, d["query"]))
	d = s.ok(`{ query(table: "Devices", keyCondition: {expression: "deviceId = :d AND ts > :t", values: {d: "sensor-1", t: 1700000000}}) { items } }`, nil)
	assert.Equal(t, []string{"42", "39"}, temps(t, d["query"]))
	for _, sk := range []struct {
		cond string
		want []string
	}{
		{`{"name": "ts", "eq": 1700000060}`, []string{"42"}},
		{`{"name": "ts", "lt": 1700000060}`, []string{"41.9"}},
		{`{"name": "ts", "le": 1700000060}`, []string{"41.9", "42"}},
		{`{"name": "ts", "gt": 1700000060}`, []string{"39"}},
		{`{"name": "ts", "ge": 1700000060}`, []string{"42", "39"}},
	} {
		d = s.ok(q, map[string]any{"pk": obj(t, `{"deviceId": "sensor-1"}`), "sk": obj(t, sk.cond)})
		assert.Equal(t, sk.want, temps(t, d["query"]), sk.cond)
	}

	// Errors only, with a filter: scannedCount counts what was read.
	d = s.ok(q, map[string]any{"pk": obj(t, `{"deviceId": "sensor-2"}`), "f": obj(t, `{"path": "error", "exists": true}`)})
	assert.Equal(t, []string{"47", "49"}, temps(t, d["query"]))
	assert.Equal(t, json.Number("3"), at(d, "query", "scannedCount"))

	// By temperature via a GSI: sensor-1's readings from the coolest.
	d = s.ok(q, map[string]any{"index": "byTemperature", "pk": obj(t, `{"deviceId": "sensor-1"}`)})
	assert.Equal(t, []string{"39", "41.9", "42"}, temps(t, d["query"]))
	d = s.ok(q, map[string]any{"index": "byTemperature", "pk": obj(t, `{"deviceId": "sensor-2"}`), "sk": obj(t, `{"name": "temperature", "gt": 46.95}`)})
	assert.Equal(t, []string{"47", "49"}, temps(t, d["query"]))

	// By error status via a GSI: the sparse index holds only errors.
	d = s.ok(q, map[string]any{"index": "byError", "pk": obj(t, `{"error": "High"}`)})
	assert.Equal(t, []string{"47", "49"}, temps(t, d["query"]))
	d = s.ok(q, map[string]any{"index": "byError", "pk": obj(t, `{"error": "Low"}`)})
	assert.Equal(t, []string{"39"}, temps(t, d["query"]))

	// The key condition must name the key.
	s.fails("VALIDATION", `{ query(table: "Devices", partitionKey: {ts: 1}) { count } }`, nil)
	s.fails("VALIDATION", `{ query(table: "Devices", partitionKey: {deviceId: "x"}, sortKey: {name: "ts", lt: 1, gt: 0}) { count } }`, nil)
	s.fails("VALIDATION", `{ query(table: "Devices") { count } }`, nil)
	// A missing index: engine/errors.go documents NOT_FOUND ("the named
	// table or index does not exist"); the engine answers VALIDATION, as
	// DynamoDB does. Either is accepted here until the engine settles it.
	r := s.do(`{ query(table: "Devices", index: "nope", partitionKey: {deviceId: "x"}) { count } }`, nil)
	assert.Contains(t, []string{"NOT_FOUND", "VALIDATION"}, r.code(t))
}

// TestPagination: limit counts matching items; pages end with a null
// cursor exactly when nothing is left; following cursors reads everything
// once.
func TestPagination(t *testing.T) {
	s := startServer(t)
	s.createTable(`{"name": "Log", "partitionKey": {"name": "p", "type": "S"}, "sortKey": {"name": "n", "type": "N"}}`)
	var reqs []string
	for i := range 50 {
		reqs = append(reqs, fmt.Sprintf(`{table: "Log", put: {p: "x", n: %d, even: %t}}`, i, i%2 == 0))
		if len(reqs) == 25 {
			s.ok(`mutation { batchWriteItems(input: {requests: [`+strings.Join(reqs, ",")+`]}) { unprocessed { table } } }`, nil)
			reqs = nil
		}
	}

	// Query, filter keeps the even ones: limit 7 gives 7 items per page
	// (never an empty page with a cursor).
	follow := func(op, args string) (all []string, pages int) {
		var after any
		for {
			d := s.ok(`query($after: Cursor) { `+op+`(`+args+`, after: $after) { items count cursor } }`, map[string]any{"after": after})
			pages++
			page := d[op]
			items := at(page, "items").([]any)
			after = at(page, "cursor")
			if after != nil {
				assert.Len(t, items, 7, "a page with a cursor is full")
			}
			for _, it := range items {
				all = append(all, string(at(it, "n").(json.Number)))
			}
			if after == nil {
				return all, pages
			}
			require.Less(t, pages, 100)
		}
	}
	got, pages := follow("query", `table: "Log", partitionKey: {p: "x"}, filter: {path: "even", eq: true}, limit: 7`)
	require.Len(t, got, 25)
	assert.Equal(t, "0", got[0])
	assert.Equal(t, "48", got[24])
	assert.Equal(t, 4, pages)

	// A limit that divides the total: the last full page's cursor is null
	// (the engine peeks).
	got, pages = follow("query", `table: "Log", partitionKey: {p: "x"}, limit: 7, filter: {path: "n", lt: 14}`)
	assert.Len(t, got, 14)
	assert.Equal(t, 2, pages)

	// Scan pages too.
	got, _ = follow("scan", `table: "Log", limit: 7`)
	assert.Len(t, got, 50)

	// Segments: disjoint, and their union is the table.
	seen := map[string]bool{}
	for seg := range 3 {
		d := s.ok(fmt.Sprintf(`{ scan(table: "Log", segment: %d, totalSegments: 3) { items cursor } }`, seg), nil)
		require.Nil(t, at(d, "scan", "cursor"))
		for _, it := range at(d, "scan", "items").([]any) {
			n := string(at(it, "n").(json.Number))
			assert.False(t, seen[n], "item %s in two segments", n)
			seen[n] = true
		}
	}
	assert.Len(t, seen, 50)

	s.fails("VALIDATION", `{ scan(table: "Log", limit: 0) { count } }`, nil)
	s.fails("VALIDATION", `{ scan(table: "Log", after: "AAAA") { count } }`, nil)
	s.fails("VALIDATION", `{ scan(table: "Log", segment: 3, totalSegments: 3) { count } }`, nil)
}

// TestPageBytesCap: a page ends after 1 MB read even when limit is not
// reached, and says so with a cursor.
func TestPageBytesCap(t *testing.T) {
	s := startServer(t)
	s.createTable(`{"name": "Blobs", "partitionKey": {"name": "p", "type": "S"}, "sortKey": {"name": "n", "type": "N"}}`)
	big := strings.Repeat("x", 100_000)
	for i := range 15 { // 1.5 MB
		s.ok(`mutation($i: JSON!) { putItem(input: {table: "Blobs", item: $i}) { attributes } }`,
			map[string]any{"i": map[string]any{"p": "a", "n": i, "blob": big}})
	}
	d := s.ok(`{ query(table: "Blobs", partitionKey: {p: "a"}, limit: 100, projection: ["n"]) { count scannedCount cursor } }`, nil)
	count, _ := at(d, "query", "count").(json.Number).Int64()
	assert.Less(t, count, int64(15))
	assert.Greater(t, count, int64(0))
	require.NotNil(t, at(d, "query", "cursor"))
	d = s.ok(`query($a: Cursor) { query(table: "Blobs", partitionKey: {p: "a"}, limit: 100, projection: ["n"], after: $a) { count cursor } }`,
		map[string]any{"a": at(d, "query", "cursor")})
	rest, _ := at(d, "query", "count").(json.Number).Int64()
	assert.Equal(t, int64(15), count+rest)
	assert.Nil(t, at(d, "query", "cursor"))
}

// TestLeaderboard is the README's GSI tour: top scores per game.
func TestLeaderboard(t *testing.T) {
	s := startServer(t)
	s.createTable(`{"name": "Scores", "partitionKey": {"name": "player", "type": "S"}, "sortKey": {"name": "game", "type": "S"},
		"globalIndexes": [{"name": "top", "partitionKey": {"name": "game", "type": "S"}, "sortKey": {"name": "score", "type": "N"}}]}`)
	s.waitActive("Scores")
	s.put("Scores",
		`{"player": "ann", "game": "chess", "score": 1200}`,
		`{"player": "bob", "game": "chess", "score": 1450}`,
		`{"player": "cid", "game": "chess", "score": 990}`,
		`{"player": "ann", "game": "go", "score": 3}`,
	)
	d := s.ok(`{ query(table: "Scores", index: "top", partitionKey: {game: "chess"}, scanForward: false, limit: 2) { items cursor } }`, nil)
	items := at(d, "query", "items").([]any)
	require.Len(t, items, 2)
	assert.Equal(t, "bob", at(items[0], "player"))
	assert.Equal(t, "ann", at(items[1], "player"))
	assert.NotNil(t, at(d, "query", "cursor"))

	// A score change moves the player.
	s.ok(`mutation { updateItem(input: {table: "Scores", key: {player: "cid", game: "chess"}, update: {increment: {score: 1000}}}) { attributes } }`, nil)
	d = s.ok(`{ query(table: "Scores", index: "top", partitionKey: {game: "chess"}, scanForward: false, limit: 1) { items } }`, nil)
	assert.Equal(t, "cid", at(d, "query", "items", 0, "player"))
}
