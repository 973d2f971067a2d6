package ws

import (
	"context"
	"fmt"
	"time"

	"github.com/gorilla/websocket"
)

// Defaults applied by validation to zero-valued Options fields.
const (
	DefaultInitTimeout    = 3 * time.Second
	DefaultKeepAlive      = 15 * time.Second
	DefaultPongTimeout    = 10 * time.Second
	DefaultWriteTimeout   = 10 * time.Second
	DefaultMaxMessageSize = 1 << 20 // 1 MiB
)

// InitFunc authenticates a connection_init. It receives the connection's
// context and the init payload (nil when the client sent none) and returns
// the context that every operation of the connection derives from, plus an
// optional payload for connection_ack.
//
// A non-nil error closes the socket with 4403 and the error's message as the
// close reason (trimmed to 123 bytes). If the returned context has a deadline
// (for example the expiry of a JWT), the connection is closed with 4403
// "Forbidden: credentials expired" when it passes; if it is canceled for any
// other reason the connection is closed with 4403 "Forbidden: credentials
// revoked". The returned context should derive from ctx; if it does not, the
// transport still cancels operations when the connection closes.
//
// InitFunc runs on the connection's read loop: while it runs, no other
// message of that connection is processed.
type InitFunc func(ctx context.Context, payload map[string]any) (context.Context, map[string]any, error)

// ErrorFunc is told about I/O failures that end a connection (upgrade, read
// and write errors) and about invalid Options. It must not block.
type ErrorFunc func(ctx context.Context, err error)

// CloseFunc is called once per upgraded connection after its socket is
// closed; err is always a *CloseError. It must not block.
type CloseFunc func(ctx context.Context, err *CloseError)

// Options configure a Transport. The zero value is ready to use; each field
// comment names its default.
type Options struct {
	// Context is the server's lifetime. When it is done every connection is
	// closed with 1001 "Going away" and its operations are canceled.
	// http.Server.Shutdown does not close hijacked connections, so cancel
	// this context (or the request's BaseContext) when shutting down.
	// Default: nil, connections end only when the client leaves or the
	// request context is canceled.
	Context context.Context

	// Upgrader performs the WebSocket handshake. Its Subprotocols field is
	// ignored (the transport offers graphql-transport-ws, then graphql-ws).
	// A nil CheckOrigin accepts requests without an Origin header and
	// requests whose Origin host equals the request Host (gorilla's
	// same-origin check); set it to allow cross-origin browser clients.
	// Default: the zero Upgrader.
	Upgrader websocket.Upgrader

	// DefaultSubprotocol is used when the client sends no
	// Sec-WebSocket-Protocol header at all. Clients that offer only
	// unsupported subprotocols are always closed with 4406.
	// Default: "", such clients are closed with 4406 "Subprotocol not
	// acceptable", as the graphql-transport-ws reference server does. Set
	// it to SubprotocolGraphQLWS to match gqlgen's stock transport.
	DefaultSubprotocol string

	// InitTimeout is how long the client has to send connection_init before
	// the socket is closed with 4408. Default: DefaultInitTimeout (3 s).
	InitTimeout time.Duration

	// KeepAlive is the interval between keepalives: a WebSocket ping control
	// frame always and, after connection_ack, a graphql-transport-ws "ping"
	// message or a graphql-ws "ka" message. Default: DefaultKeepAlive
	// (15 s); negative disables keepalives and dead-peer detection.
	KeepAlive time.Duration

	// PongTimeout is how long past a keepalive interval the transport waits
	// for any frame (message, pong message or pong control frame) before it
	// drops the connection as dead: the read deadline is KeepAlive +
	// PongTimeout after the last frame received. Default:
	// DefaultPongTimeout (10 s).
	PongTimeout time.Duration

	// WriteTimeout bounds every write. A write that misses it drops the
	// connection and cancels its operations. Default: DefaultWriteTimeout
	// (10 s).
	WriteTimeout time.Duration

	// MaxMessageSize is the largest message, in bytes, accepted from a
	// client; larger messages close the socket with 1009. Default:
	// DefaultMaxMessageSize (1 MiB).
	MaxMessageSize int64

	// InitFunc authenticates connection_init. Default: nil, every
	// connection is acknowledged with no payload.
	InitFunc InitFunc

	// ErrorFunc is told about I/O failures. Default: nil, errors are
	// dropped.
	ErrorFunc ErrorFunc

	// CloseFunc is told how each connection ended. Default: nil.
	CloseFunc CloseFunc
}

// DefaultOptions returns Options with every default filled in.
func DefaultOptions() Options {
	var o Options
	_ = o.validate()
	return o
}

// validate fills defaults into zero fields and rejects invalid values.
func (o *Options) validate() error {
	switch o.DefaultSubprotocol {
	case "", SubprotocolGraphQLTransportWS, SubprotocolGraphQLWS:
	default:
		return fmt.Errorf("%w: unsupported DefaultSubprotocol %q", ErrInvalidOptions, o.DefaultSubprotocol)
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"InitTimeout", &o.InitTimeout, DefaultInitTimeout},
		{"PongTimeout", &o.PongTimeout, DefaultPongTimeout},
		{"WriteTimeout", &o.WriteTimeout, DefaultWriteTimeout},
	} {
		if *d.v < 0 {
			return fmt.Errorf("%w: negative %s %v", ErrInvalidOptions, d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if o.KeepAlive == 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	if o.MaxMessageSize < 0 {
		return fmt.Errorf("%w: negative MaxMessageSize %d", ErrInvalidOptions, o.MaxMessageSize)
	}
	if o.MaxMessageSize == 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	o.Upgrader.Subprotocols = []string{SubprotocolGraphQLTransportWS, SubprotocolGraphQLWS}
	return nil
}
