package ws_test

import (
	"context"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/graph/ws"
)

// TestNoGoroutineLeak ends connections every way there is and checks that
// the goroutine count returns to where it started. It must not run in
// parallel with other tests.
func TestNoGoroutineLeak(t *testing.T) {
	baseline := runtime.NumGoroutine()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := newSchema()
	e := newEnv()
	srv := handler.New(s.executable())
	srv.AddTransport(ws.Transport{Options: e.withHooks(ws.Options{
		Context:      ctx,
		InitTimeout:  100 * time.Millisecond,
		WriteTimeout: 200 * time.Millisecond,
	})})
	ts := httptest.NewUnstartedServer(srv)
	ts.Listener = smallBufListener{ts.Listener}
	ts.Start()
	url := "ws" + strings.TrimPrefix(ts.URL, "http")

	subscribe := func(c *client, typ, field string) {
		c.init("")
		c.send(msg{ID: "1", Type: typ, Payload: subscribePayload(`subscription { ` + field + ` }`)})
	}

	// Client completes, then closes normally.
	c1 := dial(t, url, transportWS)
	subscribe(c1, "subscribe", "ticks")
	c1.send(msg{ID: "1", Type: "complete"})
	require.NoError(t, c1.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")))

	// Legacy client terminates.
	c2 := dial(t, url, legacyWS)
	subscribe(c2, "start", "ticks")
	c2.send(msg{Type: "connection_terminate"})

	// Client vanishes mid-subscription.
	c3 := dial(t, url, transportWS)
	subscribe(c3, "subscribe", "ticks")
	_ = c3.conn.UnderlyingConn().Close()

	// Client never initialises.
	dial(t, url, transportWS)

	// Client stalls under a flood (write timeout or keepalive timeout).
	c5 := dialWith(t, smallBufDialer, url)
	subscribe(c5, "subscribe", "flood")

	// Clients still subscribed when the server shuts down.
	c6 := dial(t, url, transportWS)
	subscribe(c6, "subscribe", "ticks")
	c7 := dial(t, url, legacyWS)
	subscribe(c7, "start", "ticks")

	for range 5 {
		e.nextClose(t)
	}
	cancel()
	for range 2 {
		require.ErrorIs(t, e.nextClose(t), ws.ErrServerShutdown)
	}
	ts.Close()
	for _, c := range []*client{c1, c2, c3, c5, c6, c7} {
		_ = c.conn.Close()
	}

	deadline := time.Now().Add(waitFor)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
			t.Fatalf("%d goroutines, baseline %d", runtime.NumGoroutine(), baseline)
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.Zero(t, s.active.Load(), "resolver contexts still live")
}
