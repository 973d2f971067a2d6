package ws

import (
	"errors"
	"fmt"
)

// Sentinel errors. They appear as the cause of a connection's context
// (context.Cause) and, wrapped in *CloseError, in ErrorFunc and CloseFunc
// arguments. Compare with errors.Is.
var (
	// ErrInvalidOptions is wrapped by every Options validation error.
	ErrInvalidOptions = errors.New("ws: invalid options")

	// ErrServerShutdown reports that Options.Context or the request context
	// ended; the connection is closed with 1001.
	ErrServerShutdown = errors.New("ws: server shutting down")

	// ErrKeepAliveTimeout reports that the peer sent nothing (no message, no
	// pong) within KeepAlive+PongTimeout; the peer is presumed dead.
	ErrKeepAliveTimeout = errors.New("ws: keepalive timeout")

	// ErrCredentialsExpired reports that the context returned by InitFunc
	// reached its deadline; the connection is closed with 4403.
	ErrCredentialsExpired = errors.New("ws: credentials expired")

	// ErrCredentialsRevoked reports that the context returned by InitFunc was
	// canceled; the connection is closed with 4403.
	ErrCredentialsRevoked = errors.New("ws: credentials revoked")

	// ErrForbidden reports that InitFunc rejected the connection; the
	// InitFunc error is wrapped alongside it.
	ErrForbidden = errors.New("ws: forbidden")

	// ErrProtocol reports a client protocol violation (4400, 4401, 4409,
	// 4429, 4406, 4408).
	ErrProtocol = errors.New("ws: protocol violation")

	// ErrPeerClosed reports that the client closed the socket (close frame,
	// connection_terminate or a dropped TCP connection).
	ErrPeerClosed = errors.New("ws: peer closed")

	// ErrWrite reports that a write failed or missed its WriteTimeout; the
	// socket is dropped without a close frame.
	ErrWrite = errors.New("ws: write failed")
)

// CloseError describes why a connection ended. It is the context.Cause of
// the connection's and its operations' contexts once the connection closes,
// and the error handed to CloseFunc.
type CloseError struct {
	// Code is the WebSocket close code: the one sent to the peer, the one
	// received from it, or 1006 (abnormal closure) when no close frame was
	// exchanged.
	Code int
	// Reason is the close reason, at most 123 bytes.
	Reason string
	// Err is the underlying cause, one of the sentinels above, possibly
	// wrapping a lower-level error.
	Err error
}

func (e *CloseError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("ws: closed %d %q", e.Code, e.Reason)
	}
	return fmt.Sprintf("ws: closed %d %q: %v", e.Code, e.Reason, e.Err)
}

// Unwrap returns the underlying cause.
func (e *CloseError) Unwrap() error { return e.Err }
