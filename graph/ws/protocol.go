package ws

import (
	"encoding/json"
	"unicode/utf8"
)

// Subprotocol names, as negotiated through Sec-WebSocket-Protocol.
const (
	// SubprotocolGraphQLTransportWS is the current protocol of the
	// enisdenjo/graphql-ws library.
	SubprotocolGraphQLTransportWS = "graphql-transport-ws"
	// SubprotocolGraphQLWS is the legacy protocol of apollographql's
	// subscriptions-transport-ws.
	SubprotocolGraphQLWS = "graphql-ws"
)

// Close codes sent to clients. The 44xx codes are those of the
// graphql-transport-ws protocol; the transport uses them for the legacy
// protocol as well, which defines none of its own.
const (
	CloseBadRequest               = 4400 // invalid message
	CloseUnauthorized             = 4401 // subscribe before connection_ack
	CloseForbidden                = 4403 // InitFunc rejected or credentials expired
	CloseSubprotocolNotAcceptable = 4406 // no supported subprotocol
	CloseInitTimeout              = 4408 // no connection_init within InitTimeout
	CloseSubscriberAlreadyExists  = 4409 // duplicate active operation id
	CloseTooManyInitRequests      = 4429 // second connection_init

	closeNormal    = 1000
	closeGoingAway = 1001
	closeAbnormal  = 1006 // never sent; reported when no close frame was exchanged
	closeTooBig    = 1009
)

// maxCloseReason is the largest close reason a control frame can carry
// (125-byte payload minus the 2-byte code).
const maxCloseReason = 123

// Message types of both protocols.
const (
	msgConnectionInit      = "connection_init"
	msgConnectionAck       = "connection_ack"
	msgPing                = "ping"
	msgPong                = "pong"
	msgSubscribe           = "subscribe" // graphql-transport-ws
	msgNext                = "next"      // graphql-transport-ws
	msgError               = "error"
	msgComplete            = "complete"
	msgStart               = "start"                // graphql-ws
	msgData                = "data"                 // graphql-ws
	msgStop                = "stop"                 // graphql-ws
	msgConnectionError     = "connection_error"     // graphql-ws
	msgConnectionTerminate = "connection_terminate" // graphql-ws
	msgKeepAlive           = "ka"                   // graphql-ws
)

// message is the envelope shared by both protocols.
type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// encode marshals a message. The fields are plain strings and already-valid
// JSON, so Marshal cannot fail except on an invalid payload, which is a bug.
func encode(m message) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		// Payload came from json.Marshal or from a client message that
		// already parsed; reaching here means a programming error.
		b, _ = json.Marshal(message{ID: m.ID, Type: m.Type})
	}
	return b
}

// hasPayload reports whether a raw payload is present and not JSON null.
func hasPayload(p json.RawMessage) bool {
	return len(p) > 0 && string(p) != "null"
}

// isObject reports whether p is a JSON object.
func isObject(p json.RawMessage) bool {
	for _, c := range p {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		default:
			return false
		}
	}
	return false
}

// trimReason cuts a close reason to maxCloseReason bytes on a rune boundary.
func trimReason(s string) string {
	if len(s) <= maxCloseReason {
		return s
	}
	s = s[:maxCloseReason]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
