package ws_test

import (
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/99designs/gqlgen/graphql/handler/testserver"
	"github.com/gorilla/websocket"

	"github.com/shoaldb/shoal/graph/ws"
)

// Example mounts the transport on a gqlgen server and runs a query over
// graphql-transport-ws. A real server does the same with
// handler.New(generated.NewExecutableSchema(...)).
func Example() {
	srv := testserver.New() // a *handler.Server
	srv.AddTransport(ws.Transport{})
	ts := httptest.NewServer(srv)
	defer ts.Close()

	d := websocket.Dialer{Subprotocols: []string{ws.SubprotocolGraphQLTransportWS}}
	conn, _, err := d.Dial("ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()

	for _, m := range []string{
		`{"type":"connection_init"}`,
		`{"id":"1","type":"subscribe","payload":{"query":"{ name }"}}`,
	} {
		_ = conn.WriteMessage(websocket.TextMessage, []byte(m))
	}
	for range 3 {
		_, b, err := conn.ReadMessage()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(string(b))
	}
	// Output:
	// {"type":"connection_ack"}
	// {"id":"1","type":"next","payload":{"data":{"name":"test"}}}
	// {"id":"1","type":"complete"}
}
