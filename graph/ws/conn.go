package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gorilla/websocket"
)

// Connection initialisation states.
const (
	stateWaiting      int32 = iota // no connection_init yet
	stateInitializing              // connection_init received, InitFunc running
	stateAcked                     // connection_ack queued
)

// closeGrace is how long the writer waits for the peer to answer a close
// frame before it drops the TCP connection.
const closeGrace = time.Second

// closeRequest describes how to end a connection.
type closeRequest struct {
	code    int
	reason  string
	final   []byte // message written just before the close frame
	noFrame bool   // drop the socket without writing a close frame
	err     error
}

// conn is one upgraded connection. Goroutines: the read loop (the caller of
// serve), the write loop, and one goroutine per operation. Only the write
// loop writes data frames; everyone else hands it encoded messages through
// out, selecting on their own context so nobody blocks past a close.
type conn struct {
	opts    Options
	sock    *websocket.Conn
	exec    graphql.GraphExecutor
	headers http.Header
	legacy  bool

	// ctx lives as long as the connection; close cancels it with a
	// *CloseError cause.
	ctx    context.Context
	cancel context.CancelCauseFunc

	out        chan []byte
	readerDone chan struct{}
	writerDone chan struct{}

	closeOnce sync.Once
	closing   closeRequest // set once, before ctx is canceled

	state atomic.Int32

	// Owned by the read loop.
	initCtx   context.Context // operations derive from it once acked
	stopCreds func() bool

	mu  sync.Mutex
	ops map[string]*operation // active operations by id
	wg  sync.WaitGroup        // operation goroutines
}

// operation is an active operation.
type operation struct {
	cancel context.CancelCauseFunc
}

var (
	errClientCompleted = errors.New("ws: operation completed by client")
	errReplaced        = errors.New("ws: operation replaced by a new start with the same id")
)

func newConn(opts Options, sock *websocket.Conn, r *http.Request, exec graphql.GraphExecutor) *conn {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(r.Context()))
	return &conn{
		opts:       opts,
		sock:       sock,
		exec:       exec,
		headers:    r.Header,
		ctx:        ctx,
		cancel:     cancel,
		out:        make(chan []byte),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
		ops:        map[string]*operation{},
	}
}

// serve runs the connection to its end.
func (c *conn) serve(r *http.Request, offered []string) {
	defer c.cancel(nil)

	proto := c.sock.Subprotocol()
	if proto == "" && len(offered) == 0 {
		proto = c.opts.DefaultSubprotocol
	}
	c.legacy = proto == SubprotocolGraphQLWS

	c.sock.SetReadLimit(c.opts.MaxMessageSize)
	c.sock.SetPingHandler(c.onPing)
	c.sock.SetPongHandler(func(string) error {
		c.extendReadDeadline()
		return nil
	})

	goingAway := func() {
		c.close(closeRequest{code: closeGoingAway, reason: "Going away", err: ErrServerShutdown})
	}
	defer context.AfterFunc(r.Context(), goingAway)()
	if c.opts.Context != nil {
		defer context.AfterFunc(c.opts.Context, goingAway)()
	}
	initTimer := time.AfterFunc(c.opts.InitTimeout, func() {
		if c.state.Load() == stateWaiting {
			c.close(closeRequest{code: CloseInitTimeout, reason: "Connection initialisation timeout", err: ErrProtocol})
		}
	})
	defer initTimer.Stop()

	go c.writeLoop()
	if proto != SubprotocolGraphQLTransportWS && proto != SubprotocolGraphQLWS {
		c.close(closeRequest{code: CloseSubprotocolNotAcceptable, reason: "Subprotocol not acceptable", err: ErrProtocol})
	}
	c.readLoop()
	close(c.readerDone)
	<-c.writerDone
	_ = c.sock.Close()
	if c.stopCreds != nil {
		c.stopCreds()
	}
	if c.opts.CloseFunc != nil {
		var ce *CloseError
		if errors.As(context.Cause(c.ctx), &ce) {
			c.opts.CloseFunc(c.ctx, ce)
		}
	}
	c.wg.Wait()
}

// close ends the connection; only the first call has an effect. It never
// blocks: the write loop sends the close frame and drops the socket.
func (c *conn) close(req closeRequest) {
	c.closeOnce.Do(func() {
		req.reason = trimReason(req.reason)
		c.closing = req
		c.cancel(&CloseError{Code: req.code, Reason: req.reason, Err: req.err})
	})
}

func (c *conn) reportError(err error) {
	if c.opts.ErrorFunc != nil {
		c.opts.ErrorFunc(c.ctx, err)
	}
}

// send queues an encoded message for the write loop. It returns false,
// without sending, once ctx is done.
func (c *conn) send(ctx context.Context, b []byte) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case c.out <- b:
		return true
	case <-ctx.Done():
		return false
	}
}

// writeLoop is the only writer of data frames and of keepalives.
func (c *conn) writeLoop() {
	defer close(c.writerDone)
	var tick <-chan time.Time
	if c.opts.KeepAlive > 0 {
		t := time.NewTicker(c.opts.KeepAlive)
		defer t.Stop()
		tick = t.C
	}
	for {
		var err error
		select {
		case <-c.ctx.Done():
			c.writeClose()
			return
		case b := <-c.out:
			err = c.write(b)
		case <-tick:
			err = c.sock.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.opts.WriteTimeout))
			if err == nil && c.state.Load() == stateAcked {
				t := msgPing
				if c.legacy {
					t = msgKeepAlive
				}
				err = c.write(encode(message{Type: t}))
			}
		}
		if err != nil {
			if c.ctx.Err() == nil {
				c.reportError(fmt.Errorf("%w: %w", ErrWrite, err))
			}
			c.close(closeRequest{code: closeAbnormal, noFrame: true, err: fmt.Errorf("%w: %w", ErrWrite, err)})
			c.writeClose()
			return
		}
	}
}

// write writes one data frame within WriteTimeout. A failed write leaves the
// gorilla connection unusable for writing.
func (c *conn) write(b []byte) error {
	if err := c.sock.SetWriteDeadline(time.Now().Add(c.opts.WriteTimeout)); err != nil {
		return err
	}
	return c.sock.WriteMessage(websocket.TextMessage, b)
}

// writeClose writes the final message and close frame, if any, waits up to
// closeGrace for the peer's answer, and drops the socket.
func (c *conn) writeClose() {
	req := c.closing
	if !req.noFrame {
		err := error(nil)
		if req.final != nil {
			err = c.write(req.final)
		}
		if err == nil {
			msg := websocket.FormatCloseMessage(req.code, req.reason)
			err = c.sock.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.opts.WriteTimeout))
		}
		if err == nil {
			t := time.NewTimer(closeGrace)
			select {
			case <-c.readerDone:
			case <-t.C:
			}
			t.Stop()
		}
	}
	_ = c.sock.Close()
}

// extendReadDeadline pushes the read deadline to KeepAlive+PongTimeout from
// now: a live peer answers the next keepalive within PongTimeout.
// Without keepalives it clears the deadline, which the HTTP server may have
// left on the connection before it was hijacked.
func (c *conn) extendReadDeadline() {
	var d time.Time
	if c.opts.KeepAlive > 0 {
		d = time.Now().Add(c.opts.KeepAlive + c.opts.PongTimeout)
	}
	_ = c.sock.SetReadDeadline(d)
}

// onPing answers a ping control frame, as gorilla's default handler does,
// and counts it as a sign of life.
func (c *conn) onPing(data string) error {
	c.extendReadDeadline()
	err := c.sock.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(c.opts.WriteTimeout))
	var ne net.Error
	if err == nil || errors.Is(err, websocket.ErrCloseSent) || (errors.As(err, &ne) && ne.Timeout()) {
		return nil
	}
	return err
}

// readLoop reads until the socket fails or closes. Once the connection is
// closing it discards messages while it waits for the peer's close frame.
func (c *conn) readLoop() {
	c.extendReadDeadline()
	for {
		_, data, err := c.sock.ReadMessage()
		if err != nil {
			c.readFailed(err)
			return
		}
		if c.ctx.Err() != nil {
			continue
		}
		c.extendReadDeadline()
		start := graphql.Now()
		if c.legacy {
			c.handleLegacy(data, start)
		} else {
			c.handle(data, start)
		}
	}
}

func (c *conn) readFailed(err error) {
	if c.ctx.Err() != nil {
		return // we closed the socket
	}
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		// gorilla has already answered the close frame.
		c.close(closeRequest{code: ce.Code, reason: ce.Text, noFrame: true, err: ErrPeerClosed})
	case errors.Is(err, websocket.ErrReadLimit):
		// gorilla has already sent 1009.
		c.close(closeRequest{code: closeTooBig, reason: "Message too big", noFrame: true, err: fmt.Errorf("%w: %w", ErrProtocol, err)})
	case errors.As(err, &ne) && ne.Timeout():
		// The peer is presumed dead: drop it without a close frame, as the
		// graphql-ws reference server does.
		c.close(closeRequest{code: closeAbnormal, reason: "Keepalive timeout", noFrame: true, err: ErrKeepAliveTimeout})
	default:
		c.reportError(fmt.Errorf("ws: read: %w", err))
		c.close(closeRequest{code: closeAbnormal, noFrame: true, err: fmt.Errorf("%w: %w", ErrPeerClosed, err)})
	}
}

// badRequest closes a graphql-transport-ws connection with 4400.
func (c *conn) badRequest(reason string) {
	c.close(closeRequest{code: CloseBadRequest, reason: reason, err: fmt.Errorf("%w: %s", ErrProtocol, reason)})
}

// handle processes one graphql-transport-ws message.
func (c *conn) handle(data []byte, start time.Time) {
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		c.badRequest("Invalid message received")
		return
	}
	switch m.Type {
	case "":
		c.badRequest("Invalid message received: missing type")
	case msgConnectionInit:
		if c.state.Load() != stateWaiting {
			c.close(closeRequest{code: CloseTooManyInitRequests, reason: "Too many initialisation requests", err: ErrProtocol})
			return
		}
		c.connectionInit(m.Payload)
	case msgPing:
		c.send(c.ctx, encode(message{Type: msgPong, Payload: m.Payload}))
	case msgPong:
		// Heartbeat; the read deadline was already extended.
	case msgSubscribe:
		if m.ID == "" {
			c.badRequest("Invalid message received: subscribe requires an id")
			return
		}
		params, err := decodeParams(m.Payload)
		if err != nil {
			c.badRequest("Invalid message received: " + err.Error())
			return
		}
		if c.state.Load() != stateAcked {
			c.close(closeRequest{code: CloseUnauthorized, reason: "Unauthorized", err: ErrProtocol})
			return
		}
		c.mu.Lock()
		if _, dup := c.ops[m.ID]; dup {
			c.mu.Unlock()
			c.close(closeRequest{code: CloseSubscriberAlreadyExists, reason: "Subscriber for " + m.ID + " already exists", err: ErrProtocol})
			return
		}
		c.startLocked(m.ID, params, start)
		c.mu.Unlock()
	case msgComplete:
		if m.ID == "" {
			c.badRequest("Invalid message received: complete requires an id")
			return
		}
		c.stop(m.ID) // unknown and finished ids are ignored
	default:
		c.badRequest(fmt.Sprintf("Invalid message received: unexpected type %q", m.Type))
	}
}

// handleLegacy processes one graphql-ws (subscriptions-transport-ws)
// message. That protocol answers bad messages with connection_error and
// keeps the connection.
func (c *conn) handleLegacy(data []byte, start time.Time) {
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		c.send(c.ctx, connectionError("invalid message"))
		return
	}
	switch m.Type {
	case msgConnectionInit:
		if c.state.Load() != stateWaiting {
			c.close(closeRequest{code: CloseTooManyInitRequests, reason: "Too many initialisation requests", err: ErrProtocol})
			return
		}
		c.connectionInit(m.Payload)
	case msgStart:
		if m.ID == "" {
			c.send(c.ctx, connectionError("start requires an id"))
			return
		}
		if c.state.Load() != stateAcked {
			c.close(closeRequest{code: CloseUnauthorized, reason: "Unauthorized", err: ErrProtocol})
			return
		}
		params, err := decodeParams(m.Payload)
		if err != nil {
			c.send(c.ctx, encode(message{ID: m.ID, Type: msgError, Payload: errorList(err.Error())}))
			c.send(c.ctx, encode(message{ID: m.ID, Type: msgComplete}))
			return
		}
		c.mu.Lock()
		if old := c.ops[m.ID]; old != nil {
			// subscriptions-transport-ws servers replace an operation
			// restarted under the same id.
			delete(c.ops, m.ID)
			old.cancel(errReplaced)
		}
		c.startLocked(m.ID, params, start)
		c.mu.Unlock()
	case msgStop:
		c.stop(m.ID)
	case msgConnectionTerminate:
		c.close(closeRequest{code: closeNormal, err: ErrPeerClosed})
	default:
		c.send(c.ctx, connectionError(fmt.Sprintf("unexpected message type %q", m.Type)))
	}
}

// connectionInit runs InitFunc and acknowledges the connection.
func (c *conn) connectionInit(raw json.RawMessage) {
	c.state.Store(stateInitializing)
	var payload map[string]any
	if hasPayload(raw) {
		if err := decodeJSON(raw, &payload); err != nil {
			if c.legacy {
				c.forbid("invalid connection_init payload", fmt.Errorf("%w: %w", ErrProtocol, err))
			} else {
				c.badRequest("Invalid message received: connection_init payload must be an object")
			}
			return
		}
	}
	ctx := c.ctx
	var ack map[string]any
	if c.opts.InitFunc != nil {
		ictx, a, err, panicked := c.callInitFunc(payload)
		if panicked {
			c.reportError(err)
			c.close(closeRequest{code: websocket.CloseInternalServerErr, reason: "Internal server error", err: err})
			return
		}
		if err != nil {
			reason := err.Error()
			if reason == "" {
				reason = "Forbidden"
			}
			c.forbid(reason, fmt.Errorf("%w: %w", ErrForbidden, err))
			return
		}
		if ictx != nil {
			ctx = ictx
		}
		ack = a
	}
	if c.ctx.Err() != nil {
		return
	}
	if ctx.Err() != nil {
		c.credentialsEnded(ctx)
		return
	}
	var ackPayload json.RawMessage
	if ack != nil {
		b, err := json.Marshal(ack)
		if err != nil {
			c.reportError(fmt.Errorf("ws: encode connection_ack payload: %w", err))
			c.close(closeRequest{code: websocket.CloseInternalServerErr, reason: "Internal server error", err: err})
			return
		}
		ackPayload = b
	}
	c.initCtx = context.WithValue(ctx, initPayloadKey, payload)
	c.send(c.ctx, encode(message{Type: msgConnectionAck, Payload: ackPayload}))
	if c.legacy && c.opts.KeepAlive > 0 {
		c.send(c.ctx, encode(message{Type: msgKeepAlive}))
	}
	c.state.Store(stateAcked)
	if ctx != c.ctx {
		c.stopCreds = context.AfterFunc(ctx, func() { c.credentialsEnded(ctx) })
	}
}

// callInitFunc runs InitFunc, turning a panic into an error.
func (c *conn) callInitFunc(payload map[string]any) (ctx context.Context, ack map[string]any, err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			ctx, ack, err, panicked = nil, nil, fmt.Errorf("ws: InitFunc panicked: %v", r), true
		}
	}()
	ctx, ack, err = c.opts.InitFunc(c.ctx, payload)
	return ctx, ack, err, false
}

// credentialsEnded closes the connection with 4403 because the context
// returned by InitFunc is done.
func (c *conn) credentialsEnded(ctx context.Context) {
	if c.ctx.Err() != nil {
		return // the connection itself is closing
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		c.forbid("Forbidden: credentials expired", ErrCredentialsExpired)
		return
	}
	c.forbid("Forbidden: credentials revoked", ErrCredentialsRevoked)
}

// forbid closes the connection with 4403; the legacy protocol first gets a
// connection_error carrying the reason.
func (c *conn) forbid(reason string, err error) {
	req := closeRequest{code: CloseForbidden, reason: reason, err: err}
	if c.legacy {
		req.final = connectionError(reason)
	}
	c.close(req)
}

// stop cancels the operation id, if it is active, without answering.
func (c *conn) stop(id string) {
	c.mu.Lock()
	op := c.ops[id]
	delete(c.ops, id)
	c.mu.Unlock()
	if op != nil {
		op.cancel(errClientCompleted)
	}
}

func connectionError(msg string) []byte {
	b, _ := json.Marshal(map[string]string{"message": msg})
	return encode(message{Type: msgConnectionError, Payload: b})
}

func errorList(msg string) json.RawMessage {
	b, _ := json.Marshal([]map[string]string{{"message": msg}})
	return b
}
