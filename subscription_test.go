package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
)

// wsClient is a minimal graphql-transport-ws client for tests.
type wsClient struct {
	t       testing.TB
	conn    *websocket.Conn
	pending map[string][]map[string]any // messages read for other operations
}

func dialWS(t testing.TB, hs *httptest.Server) *wsClient {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.Dial("ws"+strings.TrimPrefix(hs.URL, "http")+"/graphql", nil)
	require.NoError(t, err)
	c := &wsClient{t: t, conn: conn, pending: map[string][]map[string]any{}}
	t.Cleanup(func() { conn.Close() })
	c.send(map[string]any{"type": "connection_init"})
	require.Equal(t, "connection_ack", c.read()["type"])
	return c
}

func (c *wsClient) send(m map[string]any) {
	c.t.Helper()
	require.NoError(c.t, c.conn.WriteJSON(m))
}

func (c *wsClient) read() map[string]any {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	var m map[string]any
	_, data, err := c.conn.ReadMessage()
	require.NoError(c.t, err)
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	require.NoError(c.t, dec.Decode(&m))
	return m
}

func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
}

// readOp returns the next message of operation id, keeping the messages of
// other operations for later.
func (c *wsClient) readOp(id string) map[string]any {
	c.t.Helper()
	if q := c.pending[id]; len(q) > 0 {
		c.pending[id] = q[1:]
		return q[0]
	}
	for {
		m := c.read()
		if m["type"] == "ping" {
			c.send(map[string]any{"type": "pong"})
			continue
		}
		if m["id"] == id {
			return m
		}
		other, _ := m["id"].(string)
		c.pending[other] = append(c.pending[other], m)
	}
}

// next reads the next message of operation id, which must be "next", and
// returns the itemChanges object.
func (c *wsClient) next(id string) map[string]any {
	c.t.Helper()
	m := c.readOp(id)
	require.Equal(c.t, "next", m["type"], "message %v", m)
	payload := m["payload"].(map[string]any)
	require.Nil(c.t, payload["errors"])
	return payload["data"].(map[string]any)["itemChanges"].(map[string]any)
}

const changesQuery = `subscription($after: Cursor, $pk: JSON, $events: [ChangeEvent!], $filter: ConditionInput, $oldest: Boolean) {
  itemChanges(table: "Games", after: $after, partitionKey: $pk, events: $events, filter: $filter, fromOldest: $oldest) {
    cursor sequenceNumber event keys newImage oldImage origin time
  }
}`

func createGames(t testing.TB, url string) {
	t.Helper()
	mustGQL(t, url, `mutation { createTable(input: {name: "Games", partitionKey: {name: "game", type: S},
		sortKey: {name: "move", type: N}, streamViewType: NEW_AND_OLD_IMAGES}) { name } }`, nil)
}

func mustGQL(t testing.TB, url, query string, vars map[string]any) map[string]any {
	t.Helper()
	body := map[string]any{"query": query, "variables": vars}
	status, out := gqlVars(t, url, body)
	require.Equal(t, 200, status)
	require.Nil(t, out["errors"], "errors: %v", out["errors"])
	return out["data"].(map[string]any)
}

func putMove(t testing.TB, url, game string, move int, extra string) {
	t.Helper()
	mustGQL(t, url, `mutation($item: JSON!) { putItem(input: {table: "Games", item: $item}) { attributes } }`,
		map[string]any{"item": map[string]any{"game": game, "move": move, "by": extra}})
}

func TestSubscriptionEventsOrderAndFilters(t *testing.T) {
	hs := startTestServer(t, testConfig(t))
	createGames(t, hs.URL)
	c := dialWS(t, hs)
	c.subscribe("all", changesQuery, nil)
	c.subscribe("g2-removes", changesQuery, map[string]any{"pk": map[string]any{"game": "g2"}, "events": []string{"REMOVE"}})
	c.subscribe("by-bob", changesQuery, map[string]any{"filter": map[string]any{"path": "by", "eq": "bob"}})
	// Without `after` a subscription starts at the latest change: give the
	// three a moment to be registered before writing.
	time.Sleep(200 * time.Millisecond)

	putMove(t, hs.URL, "g1", 1, "alice")
	putMove(t, hs.URL, "g2", 1, "bob")
	putMove(t, hs.URL, "g2", 1, "carol") // MODIFY
	mustGQL(t, hs.URL, `mutation { deleteItem(input: {table: "Games", key: {game: "g2", move: 1}}) { attributes } }`, nil)

	var seqs []uint64
	for i, want := range []string{"INSERT", "INSERT", "MODIFY", "REMOVE"} {
		ev := c.next("all")
		require.Equal(t, want, ev["event"], "event %d", i)
		seq, err := strconv.ParseUint(ev["sequenceNumber"].(string), 10, 64)
		require.NoError(t, err)
		seqs = append(seqs, seq)
		if want == "MODIFY" {
			require.Equal(t, "bob", ev["oldImage"].(map[string]any)["by"])
			require.Equal(t, "carol", ev["newImage"].(map[string]any)["by"])
		}
		if want == "REMOVE" {
			require.Nil(t, ev["newImage"])
			require.Equal(t, map[string]any{"game": "g2", "move": json.Number("1")}, ev["keys"])
		}
	}
	for i := 1; i < len(seqs); i++ {
		require.Less(t, seqs[i-1], seqs[i])
	}
	rm := c.next("g2-removes")
	require.Equal(t, "REMOVE", rm["event"])
	bob := c.next("by-bob")
	require.Equal(t, "INSERT", bob["event"])
	require.Equal(t, "bob", bob["newImage"].(map[string]any)["by"])

	// fromOldest replays the whole retained log.
	c.subscribe("replay", changesQuery, map[string]any{"oldest": true})
	for _, want := range []string{"INSERT", "INSERT", "MODIFY", "REMOVE"} {
		require.Equal(t, want, c.next("replay")["event"])
	}
}

func TestSubscriptionErrors(t *testing.T) {
	hs := startTestServer(t, testConfig(t))
	mustGQL(t, hs.URL, `mutation { createTable(input: {name: "Quiet", partitionKey: {name: "id", type: S}}) { name } }`, nil)
	createGames(t, hs.URL)
	c := dialWS(t, hs)
	for _, tc := range []struct {
		name, query, code string
		vars              map[string]any
	}{
		{"unknown table", `subscription { itemChanges(table: "Nope") { cursor } }`, "NOT_FOUND", nil},
		{"stream off", `subscription { itemChanges(table: "Quiet") { cursor } }`, "VALIDATION", nil},
		{"bad cursor", `subscription($c: Cursor) { itemChanges(table: "Games", after: $c) { cursor } }`, "VALIDATION", map[string]any{"c": "AAAA"}},
		{"sort key without partition", `subscription { itemChanges(table: "Games", sortKey: {name: "move", eq: 1}) { cursor } }`, "VALIDATION", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// As graphql-ws does when the source stream cannot be made:
			// one "next" carrying the errors, then "complete".
			c.subscribe(tc.name, tc.query, tc.vars)
			m := c.readOp(tc.name)
			require.Equal(t, "next", m["type"], "message %v", m)
			errs := m["payload"].(map[string]any)["errors"].([]any)
			require.Equal(t, tc.code, errs[0].(map[string]any)["extensions"].(map[string]any)["code"], "%v", errs)
			require.Equal(t, map[string]any{"id": tc.name, "type": "complete"}, c.readOp(tc.name))
		})
	}
}

// TestSubscriptionResumeWhileWriting disconnects a subscriber mid-stream and
// reconnects with its last cursor while a writer keeps going: every write is
// received exactly once, in order.
func TestSubscriptionResumeWhileWriting(t *testing.T) {
	hs := startTestServer(t, testConfig(t))
	createGames(t, hs.URL)
	const total = 300
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range total {
			putMove(t, hs.URL, fmt.Sprintf("g%d", i%7), i, "w")
		}
	}()
	var got []int
	var cursor any
	for len(got) < total {
		c := dialWS(t, hs)
		vars := map[string]any{"after": cursor, "oldest": cursor == nil}
		c.subscribe("s", changesQuery, vars)
		// Read a random-ish slice, then drop the connection abruptly.
		for n := 0; n < 45 && len(got) < total; n++ {
			ev := c.next("s")
			move, err := ev["newImage"].(map[string]any)["move"].(json.Number).Int64()
			require.NoError(t, err)
			got = append(got, int(move))
			cursor = ev["cursor"]
		}
		c.conn.Close()
	}
	wg.Wait()
	for i := range total {
		require.Equal(t, i, got[i], "position %d", i)
	}
}

// TestSubscriptionSlowConsumer lets a subscriber read nothing while many
// writes happen: the writers are not held up, and the subscriber then
// receives every change.
func TestSubscriptionSlowConsumer(t *testing.T) {
	hs := startTestServer(t, testConfig(t))
	createGames(t, hs.URL)
	c := dialWS(t, hs)
	c.subscribe("slow", changesQuery, nil)
	time.Sleep(100 * time.Millisecond)
	const total = 500
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range total {
			putMove(t, hs.URL, "g", i, strings.Repeat("x", 2000))
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("writers were held up by a subscriber that reads nothing")
	}
	for i := range total {
		ev := c.next("slow")
		move, _ := ev["newImage"].(map[string]any)["move"].(json.Number).Int64()
		require.Equal(t, int64(i), move)
	}
}

// TestSubscriptionTeardown checks that client disconnects, complete
// messages and server shutdown release every goroutine.
func TestSubscriptionTeardown(t *testing.T) {
	cfg := testConfig(t)
	s, err := newServer(cfg, quietLogger())
	require.NoError(t, err)
	hs := httptest.NewServer(withRootKey(s))
	createGames(t, hs.URL)
	baseline := runtime.NumGoroutine()

	var clients []*wsClient
	for i := range 20 {
		c := dialWS(t, hs)
		c.subscribe("a", changesQuery, nil)
		c.subscribe("b", changesQuery, map[string]any{"pk": map[string]any{"game": "x"}})
		switch i % 3 {
		case 0:
			c.send(map[string]any{"id": "a", "type": "complete"})
			c.send(map[string]any{"id": "b", "type": "complete"})
		case 1:
			c.conn.Close()
		}
		clients = append(clients, c)
	}
	putMove(t, hs.URL, "x", 1, "z")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Shut the server down with the remaining subscriptions open.
	s.endLife()
	hs.Close()
	require.NoError(t, s.db.Close())
	for runtime.NumGoroutine() > baseline+2 && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline+2 {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines left (baseline %d):\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
	_ = clients
}

func gqlVars(t testing.TB, url string, body map[string]any) (int, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	resp, err := http.Post(url+"/graphql", "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	require.NoError(t, dec.Decode(&out))
	return resp.StatusCode, out
}
