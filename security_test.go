package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func init() { bootstrapOut = io.Discard }

func gqlAs(t testing.TB, url, key, query string) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query})
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url+"/graphql", bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

// TestSecureByDefault: the first start creates the root key (file mode
// 0600), requests without it are refused, and with it they pass.
func TestSecureByDefault(t *testing.T) {
	cfg := testConfig(t)
	s, err := newServer(cfg, quietLogger())
	require.NoError(t, err)
	hs := httptestServer(t, s)
	path := filepath.Join(cfg.DataDir, rootKeyFile)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	key := strings.TrimSpace(string(b))
	assert.Equal(t, s.rootKey, key)

	code, out := gqlAs(t, hs, "", `{ tables { tables { name } } }`)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, "UNAUTHENTICATED", out["errors"].([]any)[0].(map[string]any)["extensions"].(map[string]any)["code"])
	code, _ = gqlAs(t, hs, "shoal_0000000000000000_"+strings.Repeat("0", 64), `{ tables { tables { name } } }`)
	assert.Equal(t, http.StatusUnauthorized, code)
	code, out = gqlAs(t, hs, key, `{ whoami { id kind } }`)
	assert.Equal(t, http.StatusOK, code)
	assert.Nil(t, out["errors"])

	// A second start does not make another root key.
	require.NoError(t, s.Close())
	s2, err := newServer(cfg, quietLogger())
	require.NoError(t, err)
	assert.Empty(t, s2.rootKey)
	require.NoError(t, s2.Close())
}

func httptestServer(t *testing.T, s *server) string {
	hs := newHTTPTest(s.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

func TestInsecureDevOnlyOnLoopback(t *testing.T) {
	_, err := loadConfig([]string{"-insecure-dev", "-addr", "0.0.0.0:8080"}, func(string) string { return "" })
	assert.ErrorContains(t, err, "loopback")
	_, err = loadConfig([]string{"-insecure-dev", "-addr", ":8080"}, func(string) string { return "" })
	assert.Error(t, err)
	_, err = loadConfig([]string{"-insecure-dev", "-addr", "127.0.0.1:8080"}, func(string) string { return "" })
	assert.NoError(t, err)
	_, err = loadConfig([]string{"-insecure-dev", "-addr", "[::1]:8080"}, func(string) string { return "" })
	assert.NoError(t, err)
	_, err = loadConfig([]string{"-tls-cert", "x.pem"}, func(string) string { return "" })
	assert.Error(t, err, "a certificate needs its key")
}

// TestEncryptedServer: a server with -encryption-key-file restarts with the
// key, refuses a wrong one, and rotate-key moves it to a new key.
func TestEncryptedServer(t *testing.T) {
	cfg := testConfig(t)
	dir := t.TempDir()
	keyA, keyB, keyC := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	require.NoError(t, os.WriteFile(keyA, []byte(hex.EncodeToString(bytes.Repeat([]byte{1}, 32))+"\n"), 0o600))
	require.NoError(t, os.WriteFile(keyB, []byte(hex.EncodeToString(bytes.Repeat([]byte{2}, 32))), 0o600))
	require.NoError(t, os.WriteFile(keyC, bytes.Repeat([]byte{3}, 32), 0o600))
	cfg.EncryptionKeyFile = keyA
	s, err := newServer(cfg, quietLogger())
	require.NoError(t, err)
	require.NoError(t, s.Close())

	cfg.EncryptionKeyFile = keyB
	_, err = newServer(cfg, quietLogger())
	assert.ErrorContains(t, err, "encryption key", "a wrong key is a clear startup error")
	cfg.EncryptionKeyFile = ""
	_, err = newServer(cfg, quietLogger())
	assert.ErrorContains(t, err, "encryption key", "so is a missing one")

	var stderr bytes.Buffer
	assert.Equal(t, 1, rotateKeyMain([]string{"-data", cfg.DataDir, "-old-key-file", keyB, "-new-key-file", keyC}, &stderr))
	assert.Equal(t, 0, rotateKeyMain([]string{"-data", cfg.DataDir, "-old-key-file", keyA, "-new-key-file", keyC}, &stderr), stderr.String())
	cfg.EncryptionKeyFile = keyC
	s, err = newServer(cfg, quietLogger())
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

// dialWSAs connects without header credentials and authenticates in
// connection_init; it returns the client, or nil with the close error.
func dialWSAs(t *testing.T, rawURL, key string) (*wsClient, error) {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.Dial("ws"+strings.TrimPrefix(rawURL, "http")+"/graphql", nil)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	c := &wsClient{t: t, conn: conn, pending: map[string][]map[string]any{}}
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + key}})
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, data, err := conn.ReadMessage()
	if err != nil {
		return nil, err
	}
	require.Contains(t, string(data), "connection_ack")
	return c, nil
}

// TestSubscriptionAccess: subscriptions authenticate in connection_init,
// need stream:subscribe, and see only the partitions leadingKeys allow.
func TestSubscriptionAccess(t *testing.T) {
	cfg := testConfig(t)
	s, err := newServer(cfg, quietLogger())
	require.NoError(t, err)
	hs := newHTTPTest(s.Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	url, root := hs.URL, s.rootKey
	call := func(key, q string, vars map[string]any) map[string]any {
		b, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
		req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		require.Nil(t, out["errors"], "%v", out["errors"])
		return out["data"].(map[string]any)
	}
	call(root, `mutation { createTable(input: {name: "Games", partitionKey: {name: "game", type: S},
		sortKey: {name: "move", type: N}, streamViewType: NEW_AND_OLD_IMAGES}) { name } }`, nil)
	call(root, `mutation { putRole(input: {name: "player", statements: [{effect: allow, actions: ["stream:subscribe"],
		resources: ["table/Games"], conditions: {leadingKeys: ["${sub}"]}}]}) { name } }`, nil)
	mk := func(roles []string) (id, secret string) {
		d := call(root, `mutation($r: [String!]!) { createApiKey(input: {name: "k", roles: $r}) { key { id } secret } }`, map[string]any{"r": roles})
		k := d["createApiKey"].(map[string]any)
		return k["key"].(map[string]any)["id"].(string), k["secret"].(string)
	}
	playerID, player := mk([]string{"player"})
	_, nobody := mk([]string{})

	_, err = dialWSAs(t, url, "shoal_bad")
	require.Error(t, err, "bad credentials close the socket")
	assert.Contains(t, err.Error(), "4403")

	c, err := dialWSAs(t, url, nobody)
	require.NoError(t, err)
	c.subscribe("s", changesQuery, nil)
	m := c.readOp("s")
	assert.Contains(t, fmt.Sprint(m), "ACCESS_DENIED", "a role without stream:subscribe")

	c, err = dialWSAs(t, url, player)
	require.NoError(t, err)
	c.subscribe("other", changesQuery, map[string]any{"pk": map[string]any{"game": "someone-else"}})
	assert.Contains(t, fmt.Sprint(c.readOp("other")), "ACCESS_DENIED", "another partition")
	c.subscribe("all", changesQuery, nil)
	time.Sleep(100 * time.Millisecond)
	for _, g := range []string{"someone-else", playerID} {
		call(root, `mutation($i: JSON!) { putItem(input: {table: "Games", item: $i}) { attributes } }`,
			map[string]any{"i": map[string]any{"game": g, "move": 1}})
	}
	got := c.next("all")
	assert.Equal(t, playerID, got["keys"].(map[string]any)["game"], "only the caller's own partition")
}
