package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/graph/ws"
)

func TestGraphQLTransportWSSubscription(t *testing.T) {
	e, srv := startTestserver(t, ws.Options{
		InitFunc: func(ctx context.Context, p map[string]any) (context.Context, map[string]any, error) {
			return ctx, map[string]any{"user": p["user"]}, nil
		},
	})
	c := dial(t, e.url, transportWS)
	require.Equal(t, transportWS, c.conn.Subprotocol())

	ack := c.init(`{"user":"ann"}`)
	require.JSONEq(t, `{"user":"ann"}`, string(ack.Payload))

	c.send(msg{ID: "1", Type: "subscribe", Payload: subscribePayload(`subscription { name }`)})
	srv.SendNextSubscriptionMessage()
	m := c.expect("next", "1")
	require.JSONEq(t, `{"data":{"name":"test"}}`, string(m.Payload))
	srv.SendNextSubscriptionMessage()
	c.expect("next", "1")

	// The resolver ends the stream: complete follows.
	srv.SendCompleteSubscriptionMessage()
	c.expect("complete", "1")

	// The id is free again once complete was sent.
	c.send(msg{ID: "1", Type: "subscribe", Payload: subscribePayload(`subscription { name }`)})
	srv.SendNextSubscriptionMessage()
	c.expect("next", "1")
}

func TestGraphQLTransportWSQueryAndMutation(t *testing.T) {
	s := newSchema()
	e := startSchema(t, s, ws.Options{})
	c := dial(t, e.url, transportWS)
	c.init("")

	c.send(msg{ID: "q", Type: "subscribe", Payload: subscribePayload(`{ name }`)})
	m := c.expect("next", "q")
	require.JSONEq(t, `{"data":{"name":"test"}}`, string(m.Payload))
	c.expect("complete", "q")

	c.send(msg{ID: "m", Type: "subscribe", Payload: subscribePayload(`mutation { rename(to: "x") }`)})
	m = c.expect("next", "m")
	require.JSONEq(t, `{"data":{"rename":"renamed"}}`, string(m.Payload))
	c.expect("complete", "m")
	c.alive()
}

func TestGraphQLTransportWSOperationErrors(t *testing.T) {
	e, _ := startTestserver(t, ws.Options{})
	c := dial(t, e.url, transportWS)
	c.init("")

	for name, query := range map[string]string{
		"validation": `{ nope }`,
		"parse":      `{ name `,
		"variables":  `query ($id: Int!) { find(id: $id) }`,
	} {
		t.Run(name, func(t *testing.T) {
			c.send(msg{ID: name, Type: "subscribe", Payload: subscribePayload(query)})
			m := c.expect("error", name)
			var errs []map[string]any
			require.NoError(t, json.Unmarshal(m.Payload, &errs), "payload %s", m.Payload)
			require.NotEmpty(t, errs)
			require.NotEmpty(t, errs[0]["message"])
			// No complete follows an error: the next message is the pong.
			c.alive()
		})
	}
}

func TestGraphQLTransportWSSubscriptionError(t *testing.T) {
	s := newSchema()
	e := startSchema(t, s, ws.Options{})
	c := dial(t, e.url, transportWS)
	c.init("")
	c.send(msg{ID: "f", Type: "subscribe", Payload: subscribePayload(`subscription { failing }`)})
	m := c.expect("error", "f")
	require.JSONEq(t, `[{"message":"upstream failed"}]`, string(m.Payload))
	c.alive()
}

func TestGraphQLTransportWSClientComplete(t *testing.T) {
	s := newSchema()
	e := startSchema(t, s, ws.Options{})
	c := dial(t, e.url, transportWS)
	c.init("")

	c.send(msg{ID: "a", Type: "subscribe", Payload: subscribePayload(`subscription { ticks }`)})
	c.send(msg{ID: "b", Type: "subscribe", Payload: subscribePayload(`subscription { ticks }`)})
	eventually(t, func() bool { return s.active.Load() == 2 }, "two subscriptions")
	s.ticks <- "1"
	m := c.read()
	require.Equal(t, "next", m.Type)

	// Completing "a" cancels its context and nothing more is sent for it.
	c.send(msg{ID: "a", Type: "complete"})
	require.Equal(t, "ticks", recv(t, s.canceled))
	require.EqualValues(t, 1, s.active.Load())
	c.alive()

	// "b" still runs, and "a" may be reused.
	if m.ID == "a" {
		s.ticks <- "2"
		c.expect("next", "b")
	}
	c.send(msg{ID: "a", Type: "subscribe", Payload: subscribePayload(`subscription { ticks }`)})
	eventually(t, func() bool { return s.active.Load() == 2 }, "resubscribed")
}

func TestGraphQLTransportWSUnknownCompleteIgnored(t *testing.T) {
	e, _ := startTestserver(t, ws.Options{})
	c := dial(t, e.url, transportWS)
	c.init("")
	c.send(msg{ID: "never-started", Type: "complete"})
	c.send(msg{ID: "q", Type: "subscribe", Payload: subscribePayload(`{ name }`)})
	c.expect("next", "q")
	c.expect("complete", "q")
	c.send(msg{ID: "q", Type: "complete"}) // already completed
	c.alive()
}

func TestGraphQLTransportWSPingPong(t *testing.T) {
	e, _ := startTestserver(t, ws.Options{})
	c := dial(t, e.url, transportWS)

	// Ping is allowed before connection_init.
	c.send(msg{Type: "ping"})
	m := c.expect("pong", "")
	require.Empty(t, m.Payload)

	c.init("")
	c.send(msg{Type: "ping", Payload: json.RawMessage(`{"t":42}`)})
	m = c.expect("pong", "")
	require.JSONEq(t, `{"t":42}`, string(m.Payload))

	// An unsolicited pong is a heartbeat: no answer, no close.
	c.send(msg{Type: "pong", Payload: json.RawMessage(`{"t":1}`)})
	c.alive()
}

func TestCloseCodes(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	reject := func(ctx context.Context, p map[string]any) (context.Context, map[string]any, error) {
		if p["token"] == "long" {
			return nil, nil, errors.New(long)
		}
		if p["token"] != "good" {
			return nil, nil, errors.New("invalid token")
		}
		return ctx, nil, nil
	}
	sub := func(id string) string {
		return `{"id":"` + id + `","type":"subscribe","payload":{"query":"subscription { name }"}}`
	}
	tests := []struct {
		name      string
		opts      ws.Options
		protocols []string
		send      []string // raw client messages, in order
		ack       bool     // expect connection_ack after the first message
		code      int
		reason    string
	}{
		{name: "init timeout", opts: ws.Options{InitTimeout: 50 * time.Millisecond},
			code: ws.CloseInitTimeout, reason: "Connection initialisation timeout"},
		{name: "ping does not count as init", opts: ws.Options{InitTimeout: 100 * time.Millisecond},
			send: []string{`{"type":"ping"}`}, code: ws.CloseInitTimeout},
		{name: "second init", send: []string{`{"type":"connection_init"}`, `{"type":"connection_init"}`}, ack: true,
			code: ws.CloseTooManyInitRequests, reason: "Too many initialisation requests"},
		{name: "subscribe before ack", send: []string{sub("1")},
			code: ws.CloseUnauthorized, reason: "Unauthorized"},
		{name: "duplicate id", send: []string{`{"type":"connection_init"}`, sub("1"), sub("1")}, ack: true,
			code: ws.CloseSubscriberAlreadyExists, reason: "Subscriber for 1 already exists"},
		{name: "bad json", send: []string{`{"type":`}, code: ws.CloseBadRequest},
		{name: "not an object", send: []string{`[1,2]`}, code: ws.CloseBadRequest},
		{name: "missing type", send: []string{`{"id":"1"}`}, code: ws.CloseBadRequest},
		{name: "unknown type", send: []string{`{"type":"start","id":"1"}`}, code: ws.CloseBadRequest},
		{name: "server-only type", send: []string{`{"type":"next","id":"1"}`}, code: ws.CloseBadRequest},
		{name: "subscribe without id", send: []string{`{"type":"connection_init"}`, `{"type":"subscribe","payload":{"query":"{ name }"}}`},
			ack: true, code: ws.CloseBadRequest},
		{name: "subscribe without payload", send: []string{`{"type":"connection_init"}`, `{"type":"subscribe","id":"1"}`},
			ack: true, code: ws.CloseBadRequest},
		{name: "subscribe with non-object payload", send: []string{`{"type":"connection_init"}`, `{"type":"subscribe","id":"1","payload":"{ name }"}`},
			ack: true, code: ws.CloseBadRequest},
		{name: "complete without id", send: []string{`{"type":"connection_init"}`, `{"type":"complete"}`},
			ack: true, code: ws.CloseBadRequest},
		{name: "init payload not an object", send: []string{`{"type":"connection_init","payload":[1]}`}, code: ws.CloseBadRequest},
		{name: "init rejected", opts: ws.Options{InitFunc: reject}, send: []string{`{"type":"connection_init","payload":{"token":"bad"}}`},
			code: ws.CloseForbidden, reason: "invalid token"},
		{name: "init rejected long reason", opts: ws.Options{InitFunc: reject}, send: []string{`{"type":"connection_init","payload":{"token":"long"}}`},
			code: ws.CloseForbidden, reason: strings.Repeat("é", 61)},
		{name: "no subprotocol", protocols: []string{}, code: ws.CloseSubprotocolNotAcceptable, reason: "Subprotocol not acceptable"},
		{name: "unknown subprotocol", protocols: []string{"mqtt"}, opts: ws.Options{DefaultSubprotocol: ws.SubprotocolGraphQLWS},
			code: ws.CloseSubprotocolNotAcceptable},
		{name: "message too big", opts: ws.Options{MaxMessageSize: 64},
			send: []string{`{"type":"connection_init","payload":{"pad":"` + strings.Repeat("x", 100) + `"}}`}, code: 1009},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := startTestserver(t, tt.opts)
			protocols := tt.protocols
			if protocols == nil {
				protocols = []string{transportWS}
			}
			c := dial(t, e.url, protocols...)
			for i, raw := range tt.send {
				c.sendRaw(raw)
				if i == 0 && tt.ack {
					c.expect("connection_ack", "")
				}
			}
			c.expectClose(tt.code, tt.reason)
			ce := e.nextClose(t)
			require.Equal(t, tt.code, ce.Code)
			require.LessOrEqual(t, len(ce.Reason), 123)
		})
	}
}

func TestDefaultSubprotocol(t *testing.T) {
	e, _ := startTestserver(t, ws.Options{DefaultSubprotocol: ws.SubprotocolGraphQLWS})
	c := dial(t, e.url) // no Sec-WebSocket-Protocol header
	c.init("")
	c.expect("ka", "")
	c.send(msg{ID: "1", Type: "start", Payload: subscribePayload(`{ name }`)})
	c.expect("data", "1")
	c.expect("complete", "1")
}

func TestCredentialsExpire(t *testing.T) {
	e, srv := startTestserver(t, ws.Options{
		InitFunc: func(ctx context.Context, _ map[string]any) (context.Context, map[string]any, error) {
			ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			_ = cancel // released when the deadline passes
			return ctx, nil, nil
		},
	})
	c := dial(t, e.url, transportWS)
	c.init("")
	c.send(msg{ID: "1", Type: "subscribe", Payload: subscribePayload(`subscription { name }`)})
	srv.SendNextSubscriptionMessage()
	c.expect("next", "1")
	c.expectClose(ws.CloseForbidden, "Forbidden: credentials expired")
	ce := e.nextClose(t)
	require.ErrorIs(t, ce, ws.ErrCredentialsExpired)
}

func TestCredentialsRevoked(t *testing.T) {
	revoke := make(chan context.CancelFunc, 1)
	e, _ := startTestserver(t, ws.Options{
		InitFunc: func(ctx context.Context, _ map[string]any) (context.Context, map[string]any, error) {
			ctx, cancel := context.WithCancel(ctx)
			revoke <- cancel
			return ctx, nil, nil
		},
	})
	c := dial(t, e.url, transportWS)
	c.init("")
	(<-revoke)()
	c.expectClose(ws.CloseForbidden, "Forbidden: credentials revoked")
	require.ErrorIs(t, e.nextClose(t), ws.ErrCredentialsRevoked)
}

func TestLegacyProtocol(t *testing.T) {
	e, srv := startTestserver(t, ws.Options{})
	c := dial(t, e.url, legacyWS)
	require.Equal(t, legacyWS, c.conn.Subprotocol())

	c.init(`{"authorization":"x"}`)
	c.expect("ka", "") // sent right after the ack

	// Subscription: start, data per event, stop.
	c.send(msg{ID: "s", Type: "start", Payload: subscribePayload(`subscription { name }`)})
	srv.SendNextSubscriptionMessage()
	m := c.expect("data", "s")
	require.JSONEq(t, `{"data":{"name":"test"}}`, string(m.Payload))
	c.send(msg{ID: "s", Type: "stop"})

	// Query: one data then complete; nothing was sent for the stopped "s".
	c.send(msg{ID: "q", Type: "start", Payload: subscribePayload(`{ name }`)})
	c.expect("data", "q")
	c.expect("complete", "q")

	// Validation errors: error (array) then complete.
	c.send(msg{ID: "v", Type: "start", Payload: subscribePayload(`{ nope }`)})
	m = c.expect("error", "v")
	require.True(t, strings.HasPrefix(string(m.Payload), "["), "payload %s", m.Payload)
	c.expect("complete", "v")

	// Bad messages get connection_error and keep the connection.
	c.sendRaw(`{"type":`)
	c.expect("connection_error", "")
	c.sendRaw(`{"type":"subscribe","id":"x"}`)
	c.expect("connection_error", "")

	c.send(msg{Type: "connection_terminate"})
	c.expectClose(websocket.CloseNormalClosure, "")
	require.ErrorIs(t, e.nextClose(t), ws.ErrPeerClosed)
}

func TestLegacyRestartReplaces(t *testing.T) {
	s := newSchema()
	e := startSchema(t, s, ws.Options{})
	c := dial(t, e.url, legacyWS)
	c.init("")
	c.expect("ka", "")
	c.send(msg{ID: "1", Type: "start", Payload: subscribePayload(`subscription { ticks }`)})
	eventually(t, func() bool { return s.active.Load() == 1 }, "subscription")
	c.send(msg{ID: "1", Type: "start", Payload: subscribePayload(`subscription { ticks }`)})
	require.Equal(t, "ticks", recv(t, s.canceled)) // the first one
	s.ticks <- "a"
	m := c.expect("data", "1")
	require.JSONEq(t, `{"data":{"ticks":"a"}}`, string(m.Payload))
}

func TestLegacyInitRejected(t *testing.T) {
	e, _ := startTestserver(t, ws.Options{
		InitFunc: func(context.Context, map[string]any) (context.Context, map[string]any, error) {
			return nil, nil, errors.New("no entry")
		},
	})
	c := dial(t, e.url, legacyWS)
	c.send(msg{Type: "connection_init"})
	m := c.expect("connection_error", "")
	require.JSONEq(t, `{"message":"no entry"}`, string(m.Payload))
	c.expectClose(ws.CloseForbidden, "no entry")
}

func TestKeepAlive(t *testing.T) {
	opts := ws.Options{KeepAlive: 30 * time.Millisecond, PongTimeout: time.Second}

	t.Run(transportWS, func(t *testing.T) {
		e, _ := startTestserver(t, opts)
		c := dial(t, e.url, transportWS)
		pings := make(chan struct{}, 100)
		c.conn.SetPingHandler(func(data string) error {
			pings <- struct{}{}
			return c.conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		c.init("")
		for range 3 {
			c.expect("ping", "")
			c.send(msg{Type: "pong"})
		}
		require.NotEmpty(t, pings, "no WebSocket ping control frames")
	})

	t.Run(legacyWS, func(t *testing.T) {
		e, _ := startTestserver(t, opts)
		c := dial(t, e.url, legacyWS)
		c.init("")
		for range 3 {
			c.expect("ka", "")
		}
	})
}

// A client that keeps reading answers WebSocket pings (gorilla does so while
// reading) and stays connected even if it never sends a pong message.
func TestKeepAliveLiveClientStays(t *testing.T) {
	e, _ := startTestserver(t, ws.Options{KeepAlive: 20 * time.Millisecond, PongTimeout: 200 * time.Millisecond})
	c := dial(t, e.url, transportWS)
	c.init("")
	deadline := time.Now().Add(400 * time.Millisecond)
	for time.Now().Before(deadline) {
		c.expect("ping", "")
	}
	c.alive()
	select {
	case ce := <-e.closes:
		t.Fatalf("connection closed: %v", ce)
	default:
	}
}

func TestDeadPeer(t *testing.T) {
	s := newSchema()
	e := startSchema(t, s, ws.Options{KeepAlive: 30 * time.Millisecond, PongTimeout: 60 * time.Millisecond})
	c := dial(t, e.url, transportWS)
	c.init("")
	c.send(msg{ID: "1", Type: "subscribe", Payload: subscribePayload(`subscription { ticks }`)})
	// The client stops reading: it answers neither ping messages nor ping
	// frames, like a half-open TCP peer.
	start := time.Now()
	ce := e.nextClose(t)
	require.ErrorIs(t, ce, ws.ErrKeepAliveTimeout)
	require.Less(t, time.Since(start), 2*time.Second)
	require.Equal(t, "ticks", recv(t, s.canceled), "operation not canceled")
}

func TestSlowClientDoesNotBlock(t *testing.T) {
	s := newSchema()
	e := startSchema(t, s, ws.Options{WriteTimeout: time.Second})

	// The slow client subscribes to a flood of 16 KiB events and never reads.
	slow := dialWith(t, smallBufDialer, e.url)
	slow.init("")
	slow.send(msg{ID: "flood", Type: "subscribe", Payload: subscribePayload(`subscription { flood }`)})
	eventually(t, func() bool { return s.produced.Load() > 0 }, "flood to start")

	// Another client is served while the slow one is stalled.
	other := dial(t, e.url, transportWS)
	other.init("")
	other.send(msg{ID: "q", Type: "subscribe", Payload: subscribePayload(`{ name }`)})
	other.expect("next", "q")
	other.expect("complete", "q")
	select {
	case ce := <-e.closes:
		t.Fatalf("slow connection closed before the other was served: %v", ce)
	default:
	}

	// The stalled write times out: the slow connection is dropped and its
	// operation canceled.
	ce := e.nextClose(t)
	require.ErrorIs(t, ce, ws.ErrWrite)
	require.Equal(t, "flood", recv(t, s.canceled))

	// Backpressure reached the producer: it made only as many events as the
	// socket buffers held, not a second-long stream.
	t.Logf("produced %d events", s.produced.Load())
	require.Less(t, s.produced.Load(), int64(64))
	other.alive()
}

func TestServerShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := newSchema()
	e := startSchema(t, s, ws.Options{Context: ctx})
	clients := []*client{dial(t, e.url, transportWS), dial(t, e.url, legacyWS)}
	for i, c := range clients {
		c.init("")
		if i == 1 {
			c.expect("ka", "")
		}
		typ := map[int]string{0: "subscribe", 1: "start"}[i]
		c.send(msg{ID: "1", Type: typ, Payload: subscribePayload(`subscription { ticks }`)})
	}
	eventually(t, func() bool { return s.active.Load() == 2 }, "subscriptions")
	cancel()
	for _, c := range clients {
		c.expectClose(websocket.CloseGoingAway, "Going away")
	}
	for range clients {
		require.ErrorIs(t, e.nextClose(t), ws.ErrServerShutdown)
	}
	eventually(t, func() bool { return s.active.Load() == 0 }, "operations canceled")
}

func TestRejectsNonWebSocket(t *testing.T) {
	e, _ := startTestserver(t, ws.Options{})
	resp, err := http.Get("http" + strings.TrimPrefix(e.url, "ws"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.NotEqual(t, http.StatusSwitchingProtocols, resp.StatusCode)
}

func TestCheckOrigin(t *testing.T) {
	e, _ := startTestserver(t, ws.Options{})
	d := websocket.Dialer{Subprotocols: []string{transportWS}}

	_, resp, err := d.Dial(e.url, http.Header{"Origin": {"https://evil.example"}})
	require.Error(t, err)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	same := "http" + strings.TrimPrefix(e.url, "ws")
	conn, _, err := d.Dial(e.url, http.Header{"Origin": {same}})
	require.NoError(t, err)
	_ = conn.Close()
}

func TestOptions(t *testing.T) {
	d := ws.DefaultOptions()
	require.Equal(t, ws.DefaultInitTimeout, d.InitTimeout)
	require.Equal(t, ws.DefaultKeepAlive, d.KeepAlive)
	require.Equal(t, ws.DefaultPongTimeout, d.PongTimeout)
	require.Equal(t, ws.DefaultWriteTimeout, d.WriteTimeout)
	require.EqualValues(t, ws.DefaultMaxMessageSize, d.MaxMessageSize)

	for name, o := range map[string]ws.Options{
		"negative InitTimeout":    {InitTimeout: -1},
		"negative WriteTimeout":   {WriteTimeout: -1},
		"negative PongTimeout":    {PongTimeout: -1},
		"negative MaxMessageSize": {MaxMessageSize: -1},
		"bad DefaultSubprotocol":  {DefaultSubprotocol: "mqtt"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ws.New(o)
			require.ErrorIs(t, err, ws.ErrInvalidOptions)
		})
	}
	tr, err := ws.New(ws.Options{KeepAlive: -1})
	require.NoError(t, err)
	require.Negative(t, tr.KeepAlive, "negative KeepAlive disables keepalives")
}
