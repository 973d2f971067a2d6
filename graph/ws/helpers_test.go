package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/testserver"
	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shoaldb/shoal/graph/ws"
)

const (
	transportWS = ws.SubprotocolGraphQLTransportWS
	legacyWS    = ws.SubprotocolGraphQLWS
	waitFor     = 5 * time.Second
)

// msg is a protocol message as the client sees it.
type msg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// env is a running server plus what its hooks observed.
type env struct {
	url    string
	closes chan *ws.CloseError
	errs   chan error
}

// withHooks wires CloseFunc and ErrorFunc of opts into e.
func (e *env) withHooks(opts ws.Options) ws.Options {
	opts.CloseFunc = func(_ context.Context, err *ws.CloseError) {
		select {
		case e.closes <- err:
		default:
		}
	}
	opts.ErrorFunc = func(_ context.Context, err error) {
		select {
		case e.errs <- err:
		default:
		}
	}
	return opts
}

func newEnv() *env {
	return &env{closes: make(chan *ws.CloseError, 64), errs: make(chan error, 64)}
}

// startTestserver serves gqlgen's test schema (testserver.New) with the
// transport on 127.0.0.1.
func startTestserver(t testing.TB, opts ws.Options) (*env, *testserver.TestServer) {
	t.Helper()
	e := newEnv()
	srv := testserver.New()
	srv.AddTransport(ws.Transport{Options: e.withHooks(opts)})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	e.url = "ws" + strings.TrimPrefix(ts.URL, "http")
	return e, srv
}

// nextClose returns the next connection close seen by CloseFunc.
func (e *env) nextClose(t *testing.T) *ws.CloseError {
	t.Helper()
	select {
	case ce := <-e.closes:
		return ce
	case <-time.After(waitFor):
		t.Fatal("no connection closed")
		return nil
	}
}

type client struct {
	t    *testing.T
	conn *websocket.Conn
}

func dial(t *testing.T, url string, protocols ...string) *client {
	t.Helper()
	return dialWith(t, websocket.Dialer{Subprotocols: protocols}, url)
}

func dialWith(t *testing.T, d websocket.Dialer, url string) *client {
	t.Helper()
	conn, resp, err := d.Dial(url, nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	t.Cleanup(func() { _ = conn.Close() })
	return &client{t: t, conn: conn}
}

func (c *client) send(m msg) {
	c.t.Helper()
	require.NoError(c.t, c.conn.WriteJSON(m))
}

func (c *client) sendRaw(s string) {
	c.t.Helper()
	require.NoError(c.t, c.conn.WriteMessage(websocket.TextMessage, []byte(s)))
}

func (c *client) read() msg {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(waitFor)))
	_, b, err := c.conn.ReadMessage()
	require.NoError(c.t, err)
	var m msg
	require.NoError(c.t, json.Unmarshal(b, &m), "message %s", b)
	return m
}

// expect reads the next message and checks its type and id.
func (c *client) expect(typ, id string) msg {
	c.t.Helper()
	m := c.read()
	require.Equal(c.t, typ, m.Type, "message %+v (payload %s)", m, m.Payload)
	require.Equal(c.t, id, m.ID)
	return m
}

// expectClose reads until the server closes and checks the close frame.
func (c *client) expectClose(code int, reason string) {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(waitFor)))
	for {
		_, b, err := c.conn.ReadMessage()
		if err == nil {
			continue // messages in flight before the close
		}
		var ce *websocket.CloseError
		require.True(c.t, errors.As(err, &ce), "want close %d, got %v (last message %s)", code, err, b)
		require.Equal(c.t, code, ce.Code, "reason %q", ce.Text)
		if reason != "" {
			require.Equal(c.t, reason, ce.Text)
		}
		return
	}
}

// alive proves the connection still works with a ping/pong round trip and
// that nothing else was sent before the pong.
func (c *client) alive() {
	c.t.Helper()
	c.send(msg{Type: "ping", Payload: json.RawMessage(`{"probe":true}`)})
	m := c.expect("pong", "")
	require.JSONEq(c.t, `{"probe":true}`, string(m.Payload))
}

// init sends connection_init and expects the ack.
func (c *client) init(payload string) msg {
	c.t.Helper()
	m := msg{Type: "connection_init"}
	if payload != "" {
		m.Payload = json.RawMessage(payload)
	}
	c.send(m)
	return c.expect("connection_ack", "")
}

func subscribePayload(query string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"query": query})
	return b
}

// recv receives from ch within waitFor.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatal("timed out receiving")
		var zero T
		return zero
	}
}

// eventually polls cond until it holds or waitFor passes.
func eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// schema is a hand-made executable schema for behaviour the testserver
// cannot show: controllable ticks, a flood of large events, resolver
// errors reported after the channel is returned.
type schema struct {
	ticks    chan string  // one next per value on the "ticks" subscription
	canceled chan string  // names of subscriptions whose context ended
	produced atomic.Int64 // events produced by "flood"
	big      []byte       // flood event data
	active   atomic.Int32 // running subscriptions
}

func newSchema() *schema {
	return &schema{
		ticks:    make(chan string),
		canceled: make(chan string, 64),
		big:      []byte(`{"flood":"` + strings.Repeat("x", 16<<10) + `"}`),
	}
}

var sdl = gqlparser.MustLoadSchema(&ast.Source{Input: `
	type Query { name: String! }
	type Mutation { rename(to: String!): String! }
	type Subscription { ticks: String! flood: String! failing: String! }
`})

func (s *schema) executable() graphql.ExecutableSchema {
	return &graphql.ExecutableSchemaMock{
		SchemaFunc: func() *ast.Schema { return sdl },
		ComplexityFunc: func(context.Context, string, string, int, map[string]any) (int, bool) {
			return 0, false
		},
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			op := graphql.GetOperationContext(ctx).Operation
			switch op.Operation {
			case ast.Query:
				return graphql.OneShot(&graphql.Response{Data: []byte(`{"name":"test"}`)})
			case ast.Mutation:
				return graphql.OneShot(&graphql.Response{Data: []byte(`{"rename":"renamed"}`)})
			}
			field := op.SelectionSet[0].(*ast.Field).Name
			s.active.Add(1)
			context.AfterFunc(ctx, func() {
				s.active.Add(-1)
				s.canceled <- field
			})
			switch field {
			case "ticks":
				return func(context.Context) *graphql.Response {
					select {
					case <-ctx.Done():
						return nil
					case v, ok := <-s.ticks:
						if !ok {
							return nil
						}
						b, _ := json.Marshal(map[string]string{"ticks": v})
						return &graphql.Response{Data: b}
					}
				}
			case "flood":
				return func(context.Context) *graphql.Response {
					if ctx.Err() != nil {
						return nil
					}
					s.produced.Add(1)
					return &graphql.Response{Data: s.big}
				}
			default: // failing
				return func(context.Context) *graphql.Response {
					ws.AddSubscriptionError(ctx, &gqlerror.Error{Message: "upstream failed"})
					return nil
				}
			}
		},
	}
}

// startSchema serves s with the transport on a listener whose sockets have
// small kernel buffers, so a client that stops reading stalls writes fast.
func startSchema(t *testing.T, s *schema, opts ws.Options) *env {
	t.Helper()
	e := newEnv()
	srv := handler.New(s.executable())
	srv.AddTransport(ws.Transport{Options: e.withHooks(opts)})
	ts := httptest.NewUnstartedServer(srv)
	ts.Listener = smallBufListener{ts.Listener}
	ts.Start()
	t.Cleanup(ts.Close)
	e.url = "ws" + strings.TrimPrefix(ts.URL, "http")
	return e
}

type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4 << 10)
		_ = tc.SetReadBuffer(4 << 10)
	}
	return c, err
}

// smallBufDialer dials with a small receive buffer.
var smallBufDialer = websocket.Dialer{
	Subprotocols: []string{transportWS},
	NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4 << 10)
		}
		return c, err
	},
}
