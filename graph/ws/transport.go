package ws

import (
	"fmt"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gorilla/websocket"
)

// Transport is a gqlgen graphql.Transport that serves GraphQL over
// WebSocket with gorilla/websocket, speaking graphql-transport-ws and the
// legacy graphql-ws protocol. Mount it with handler.Server.AddTransport. A
// Transport is a value; copies share nothing but the hooks in Options.
type Transport struct {
	Options
}

var _ graphql.Transport = Transport{}

// New returns a Transport for opts, with defaults filled in, or an error
// wrapping ErrInvalidOptions. Using a Transport literal is equivalent except
// that invalid options are then reported per request (HTTP 500 and
// ErrorFunc) instead of at startup.
func New(opts Options) (Transport, error) {
	if err := opts.validate(); err != nil {
		return Transport{}, err
	}
	return Transport{Options: opts}, nil
}

// Supports reports whether r asks for a WebSocket upgrade.
func (t Transport) Supports(r *http.Request) bool {
	return websocket.IsWebSocketUpgrade(r)
}

// Do upgrades the request and serves the connection until it closes. It
// returns once the socket is closed and every goroutine of the connection,
// including its operations, has ended.
func (t Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	opts := t.Options
	if err := opts.validate(); err != nil {
		if opts.ErrorFunc != nil {
			opts.ErrorFunc(r.Context(), err)
		}
		http.Error(w, "websocket transport misconfigured", http.StatusInternalServerError)
		return
	}
	offered := websocket.Subprotocols(r)
	sock, err := opts.Upgrader.Upgrade(w, r, nil)
	if err != nil {
		// The Upgrader has already answered the request.
		if opts.ErrorFunc != nil {
			opts.ErrorFunc(r.Context(), fmt.Errorf("ws: upgrade: %w", err))
		}
		return
	}
	newConn(opts, sock, r, exec).serve(r, offered)
}
