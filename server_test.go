package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
)

func testConfig(t testing.TB) config {
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Sync = false
	cfg.Addr = "127.0.0.1:0"
	return cfg
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startTestServer serves a new server whose requests carry the root API key
// made at its first start, unless they bring credentials of their own.
func startTestServer(t testing.TB, cfg config) *httptest.Server {
	s, err := newServer(cfg, quietLogger())
	require.NoError(t, err)
	hs := httptest.NewServer(withRootKey(s))
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, s.Close())
	})
	return hs
}

func gql(t testing.TB, url, query string) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query})
	resp, err := http.Post(url+"/graphql", "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func TestConfig(t *testing.T) {
	env := map[string]string{"SHOAL_ADDR": ":9999", "SHOAL_SYNC": "false", "SHOAL_MAX_BODY_BYTES": "1234", "SHOAL_INTROSPECTION": "false"}
	cfg, err := loadConfig([]string{"-addr", ":7777", "-request-timeout", "5s"}, func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, ":7777", cfg.Addr, "flags win over the environment")
	assert.False(t, cfg.Sync)
	assert.Equal(t, int64(1234), cfg.MaxBodyBytes)
	assert.False(t, cfg.Introspection)
	assert.Equal(t, 5*time.Second, cfg.RequestTimeout)
	assert.Equal(t, "./data", cfg.DataDir)

	_, err = loadConfig(nil, func(k string) string { return map[string]string{"SHOAL_SYNC": "maybe"}[k] })
	assert.ErrorContains(t, err, "SHOAL_SYNC")
	_, err = loadConfig([]string{"-log-format", "xml"}, func(string) string { return "" })
	assert.Error(t, err)

	def, err := loadConfig(nil, func(string) string { return "" })
	require.NoError(t, err)
	assert.Equal(t, defaultConfig(), def)
	assert.Equal(t, "127.0.0.1:8080", def.Addr)
	assert.True(t, def.Sync)
}

func TestEndpoints(t *testing.T) {
	hs := startTestServer(t, testConfig(t))

	resp, err := http.Get(hs.URL + "/healthz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok\n", string(body))

	resp, err = http.Get(hs.URL + "/")
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), "graphiql")

	resp, err = http.Get(hs.URL + "/nope")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	_, out := gql(t, hs.URL, `mutation { createTable(input: {name: "Metered", partitionKey: {name: "id", type: S}}) { name } }`)
	assert.Nil(t, out["errors"])
	gql(t, hs.URL, `{ item(table: "Metered", key: {id: "a"}) }`)
	gql(t, hs.URL, `{ item(table: "Nope", key: {id: "a"}) }`)

	resp, err = http.Get(hs.URL + "/metrics")
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	m := string(body)
	for _, want := range []string{
		`shoal_graphql_requests_total{operation="item",type="query"} 2`,
		`shoal_graphql_requests_total{operation="createTable",type="mutation"} 1`,
		`shoal_graphql_request_duration_seconds_bucket{operation="item",type="query",le="+Inf"} 2`,
		`shoal_graphql_errors_total{code="NOT_FOUND"} 1`,
		`shoal_http_requests_total{code="200",handler="graphql"} 3`,
		`shoal_badger_lsm_size_bytes `,
		`shoal_badger_vlog_size_bytes `,
		`go_goroutines `,
	} {
		assert.Contains(t, m, want)
	}
}

func TestBodyLimit(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxBodyBytes = 1000
	hs := startTestServer(t, cfg)
	big := `{"query": "{ __typename }", "variables": {"x": "` + strings.Repeat("x", 2000) + `"}}`

	resp, err := http.Post(hs.URL+"/graphql", "application/json", strings.NewReader(big))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)

	// Without a declared length the read fails inside the transport.
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/graphql", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), "request body too large")

	code, out := gql(t, hs.URL, `{ __typename }`)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "Query", out["data"].(map[string]any)["__typename"])
}

// TestGracefulShutdown: canceling run's context stops the server, lets
// requests finish and closes Badger so that it reopens with the data.
func TestGracefulShutdown(t *testing.T) {
	cfg := testConfig(t)
	cfg.Sync = true
	cfg.InsecureDev = true // on 127.0.0.1: requests without credentials get in
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, quietLogger(), func(a string) { addrc <- a }) }()
	url := "http://" + <-addrc

	_, out := gql(t, url, `mutation { createTable(input: {name: "Kept", partitionKey: {name: "id", type: S}}) { name } }`)
	require.Nil(t, out["errors"])
	_, out = gql(t, url, `mutation { putItem(input: {table: "Kept", item: {id: "a", n: 1.50}}) { attributes } }`)
	require.Nil(t, out["errors"])

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return")
	}
	_, err := http.Get(url + "/healthz")
	assert.Error(t, err, "the listener is closed")

	db, err := engine.Open(engine.Options{Dir: cfg.DataDir})
	require.NoError(t, err, "Badger was closed cleanly")
	defer db.Close()
	item, err := db.GetItem(context.Background(), engine.GetItemInput{Table: "Kept", Key: attr.Item{"id": attr.S("a")}})
	require.NoError(t, err)
	assert.Equal(t, "1.5", string(attr.AppendJSON(nil, item["n"])))
}

// TestSIGTERM runs main in a child process and stops it with SIGTERM.
func TestSIGTERM(t *testing.T) {
	if os.Getenv("SHOAL_TEST_MAIN") == "1" {
		os.Exit(runMain(nil))
	}
	if testing.Short() {
		t.Skip("starts a process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSIGTERM$")
	cmd.Env = append(os.Environ(), "SHOAL_TEST_MAIN=1", "SHOAL_ADDR=127.0.0.1:0", "SHOAL_DATA_DIR="+dir, "SHOAL_LOG_FORMAT=json")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stderr.String(), "shoal listening") {
		require.True(t, time.Now().Before(deadline), "no start: %s", stderr.String())
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "exit status; log: %s", stderr.String())
	assert.Contains(t, stderr.String(), `"msg":"stopped"`)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// withRootKey is s's handler with the root key added to requests that have
// no Authorization header: how the tests run authenticated.
func withRootKey(s *server) http.Handler {
	h := s.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" && s.rootKey != "" {
			r.Header.Set("Authorization", "Bearer "+s.rootKey)
		}
		h.ServeHTTP(w, r)
	})
}

func newHTTPTest(h http.Handler) *httptest.Server { return httptest.NewServer(h) }

func TestPprofOnlyOnLoopback(t *testing.T) {
	cfg := testConfig(t)
	cfg.PprofAddr = "0.0.0.0:6060"
	require.ErrorContains(t, cfg.validate(), "loopback")

	addr, stop, err := servePprof("127.0.0.1:0", quietLogger())
	require.NoError(t, err)
	defer stop()
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body), "goroutine profile")
}
