// Package ws is Shoal's GraphQL-over-WebSocket transport for gqlgen, built
// on gorilla/websocket. It replaces gqlgen's transport.Websocket.
//
// It speaks two subprotocols, chosen through Sec-WebSocket-Protocol:
//
//   - graphql-transport-ws, the protocol of the enisdenjo/graphql-ws
//     library (connection_init, connection_ack, ping, pong, subscribe,
//     next, error, complete), including its close codes: 4400 invalid
//     message, 4401 subscribe before ack, 4403 forbidden, 4406 subprotocol
//     not acceptable, 4408 initialisation timeout, 4409 duplicate operation
//     id, 4429 repeated connection_init;
//   - graphql-ws, the legacy subscriptions-transport-ws protocol
//     (connection_init, connection_ack, ka, start, data, error, complete,
//     stop, connection_error, connection_terminate).
//
// A client that offers neither is closed with 4406 "Subprotocol not
// acceptable", as the graphql-ws reference server does; a client that sends
// no Sec-WebSocket-Protocol header at all gets Options.DefaultSubprotocol,
// which is empty (4406) unless set.
//
// Each connection has one writer goroutine; every write has a deadline
// (Options.WriteTimeout), and a failed write drops the connection and
// cancels its operations. Operations hand results to the writer selecting
// on their context and do not pull the next result until the previous one
// is taken, so a slow client slows its subscriptions' producers instead of
// growing buffers in the server. Keepalives (a WebSocket ping frame plus a
// ping or ka message every Options.KeepAlive) and a read deadline of
// KeepAlive+PongTimeout since the last frame received detect dead peers.
//
// Queries and mutations answer with one next (data) and complete. Parse and
// validation errors answer with an error message carrying an array of
// GraphQL errors (graphql-ws follows it with complete). A client complete
// (stop) cancels the operation's context and nothing more is sent for it.
// Resolvers read the connection_init payload with InitPayload and report
// errors after returning a subscription channel with AddSubscriptionError;
// gqlgen's transport.GetInitPayload and transport.AddSubscriptionError do
// not work with this transport.
//
// # Usage
//
// Add the transport to a gqlgen server and give it the server's lifetime,
// since http.Server.Shutdown does not close hijacked connections:
//
//	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
//	defer stop()
//	srv := handler.New(generated.NewExecutableSchema(cfg))
//	srv.AddTransport(ws.Transport{Options: ws.Options{
//		Context: ctx, // connections close with 1001 when ctx ends
//		InitFunc: func(ctx context.Context, p map[string]any) (context.Context, map[string]any, error) {
//			claims, err := verify(p["authorization"])
//			if err != nil {
//				return nil, nil, err // 4403 with err's message
//			}
//			// The connection closes with 4403 when the token expires.
//			ctx, _ = context.WithDeadline(ctx, claims.Expiry)
//			return ctx, nil, nil
//		},
//	}})
//	srv.AddTransport(transport.POST{})
//
// Use New instead of a literal to have Options validated at startup. Browser
// clients on another origin need Options.Upgrader.CheckOrigin.
package ws
