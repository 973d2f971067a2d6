package resolvers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/auth"
	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/resolvers"
)

// testServer is the GraphQL handler on a real loopback listener, over an
// engine on a temporary Badger directory.
type testServer struct {
	t    testing.TB
	url  string
	db   *engine.DB
	auth *auth.Service
	// key is the credential sent with every request: the root key made at
	// start; as() returns a server view with another.
	key string
}

// newTestServer serves the handler behind the auth middleware, as the
// server does, and sends every request with a root API key made at start.
func newTestServer(t testing.TB, opts resolvers.HandlerOptions) *testServer {
	t.Helper()
	db, err := engine.Open(engine.Options{Dir: t.TempDir(), NoSync: true})
	require.NoError(t, err)
	svc, err := auth.Open(db, auth.Options{})
	require.NoError(t, err)
	root, _, err := svc.Bootstrap(context.Background())
	require.NoError(t, err)
	opts.Auth = svc
	srv := httptest.NewServer(svc.Middleware(resolvers.NewHandler(db, opts)))
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, svc.Close())
		require.NoError(t, db.Close())
	})
	return &testServer{t: t, url: srv.URL, db: db, auth: svc, key: root}
}

// as returns a view of s that sends key as its credential ("" for none).
func (s *testServer) as(key string) *testServer {
	c := *s
	c.key = key
	return &c
}

func startServer(t testing.TB) *testServer {
	return newTestServer(t, resolvers.HandlerOptions{Introspection: true})
}

// gqlError is one error of a response.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// response is a decoded GraphQL response; Data keeps its raw text so tests
// can check numbers digit for digit.
type response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// decode returns Data decoded with UseNumber.
func (r response) decode(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.Data))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&m), "data: %s", r.Data)
	return m
}

// code returns the extensions.code of the only error.
func (r response) code(t testing.TB) string {
	t.Helper()
	require.Len(t, r.Errors, 1, "errors: %+v, data: %s", r.Errors, r.Data)
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// post sends a GraphQL request body and decodes the response.
func (s *testServer) post(body map[string]any) response {
	s.t.Helper()
	b, err := json.Marshal(body)
	require.NoError(s.t, err)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.url, bytes.NewReader(b))
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", "application/json")
	return s.send(req)
}

func (s *testServer) get(query string, vars map[string]any) response {
	s.t.Helper()
	q := url.Values{"query": {query}}
	if vars != nil {
		b, err := json.Marshal(vars)
		require.NoError(s.t, err)
		q.Set("variables", string(b))
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, s.url+"?"+q.Encode(), nil)
	require.NoError(s.t, err)
	return s.send(req)
}

func (s *testServer) send(req *http.Request) response {
	s.t.Helper()
	if s.key != "" {
		req.Header.Set("Authorization", "Bearer "+s.key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	var r response
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	require.NoError(s.t, dec.Decode(&r), "body: %s", raw)
	r.Status = resp.StatusCode
	return r
}

// do runs an operation with variables (which may be nil).
func (s *testServer) do(query string, vars map[string]any) response {
	s.t.Helper()
	body := map[string]any{"query": query}
	if vars != nil {
		body["variables"] = vars
	}
	return s.post(body)
}

// ok runs an operation that must succeed and returns its data.
func (s *testServer) ok(query string, vars map[string]any) map[string]any {
	s.t.Helper()
	r := s.do(query, vars)
	require.Empty(s.t, r.Errors, "query: %s", query)
	return r.decode(s.t)
}

// raw runs an operation that must succeed and returns the data's text.
func (s *testServer) raw(query string, vars map[string]any) string {
	s.t.Helper()
	r := s.do(query, vars)
	require.Empty(s.t, r.Errors, "query: %s", query)
	return string(r.Data)
}

// fails runs an operation that must fail with one error and returns it.
func (s *testServer) fails(code string, query string, vars map[string]any) gqlError {
	s.t.Helper()
	r := s.do(query, vars)
	require.Equal(s.t, code, r.code(s.t), "errors: %+v", r.Errors)
	return r.Errors[0]
}

// obj parses a JSON object literal, with UseNumber.
func obj(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&m))
	return m
}

// createTable creates a table from a CreateTableInput literal.
func (s *testServer) createTable(input string) {
	s.t.Helper()
	s.ok(`mutation($in: CreateTableInput!) { createTable(input: $in) { name } }`, map[string]any{"in": obj(s.t, input)})
}

// put writes items given as Shoal JSON object literals.
func (s *testServer) put(table string, items ...string) {
	s.t.Helper()
	for _, it := range items {
		s.ok(`mutation($t: String!, $i: JSON!) { putItem(input: {table: $t, item: $i}) { attributes } }`,
			map[string]any{"t": table, "i": obj(s.t, it)})
	}
}

// at walks decoded data by keys and indexes.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

// canon re-encodes a JSON value (decoded with UseNumber) as compact text
// with sorted keys, for comparisons that keep every digit.
func canon(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
