package ws_test

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/testserver"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/graph/ws"
)

// FuzzClientMessage sends one arbitrary message on an acknowledged
// graphql-transport-ws connection. The server must either stay usable
// (answer a following ping) or close with a protocol close code; it must
// never panic, hang or close otherwise.
func FuzzClientMessage(f *testing.F) {
	for _, seed := range []string{
		`{"type":"ping"}`,
		`{"type":"pong","payload":{"a":1}}`,
		`{"type":"subscribe","id":"1","payload":{"query":"{ name }"}}`,
		`{"type":"subscribe","id":"1","payload":{"query":"{ name }","variables":{"x":1e400}}}`,
		`{"type":"subscribe","id":"1","payload":{"query":"subscription { name }"}}`,
		`{"type":"subscribe","id":"","payload":{}}`,
		`{"type":"complete","id":"9"}`,
		`{"type":"connection_init"}`,
		`{"type":"next","id":1}`,
		`{"type":null}`,
		`null`, `[]`, `"x"`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	// In-memory connections: one TCP connection per input would exhaust
	// ephemeral ports (TIME_WAIT) within seconds of fuzzing.
	l := &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
	srv := testserver.New()
	srv.AddTransport(ws.Transport{Options: ws.Options{MaxMessageSize: 4 << 10}})
	ts := httptest.NewUnstartedServer(srv)
	ts.Listener = l
	ts.Start()
	f.Cleanup(ts.Close)
	d := websocket.Dialer{Subprotocols: []string{transportWS}, NetDialContext: l.dial}
	allowed := map[int]bool{
		ws.CloseBadRequest: true, ws.CloseTooManyInitRequests: true,
		ws.CloseSubscriberAlreadyExists: true, websocket.CloseMessageTooBig: true,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := dialWith(t, d, "ws://pipe/")
		c.init("")
		require.NoError(t, c.conn.WriteMessage(websocket.TextMessage, data))
		c.send(msg{Type: "ping", Payload: []byte(`{"fuzz":true}`)})
		require.NoError(t, c.conn.SetReadDeadline(time.Now().Add(waitFor)))
		for {
			var m msg
			err := c.conn.ReadJSON(&m)
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				require.True(t, allowed[ce.Code], "close %d %q for %q", ce.Code, ce.Text, data)
				return
			}
			require.NoError(t, err, "input %q", data)
			if m.Type == "pong" && string(m.Payload) == `{"fuzz":true}` {
				return
			}
		}
	})
}

// pipeListener is a net.Listener over net.Pipe.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
}

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	server, client := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
