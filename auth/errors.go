package auth

import (
	"errors"
	"fmt"

	"github.com/shoaldb/shoal/engine"
)

// Errors of authentication. Every one of them means "no valid credentials":
// callers answer 401 (or close the socket with 4403) and must not tell the
// client which check failed beyond the message.
var (
	// ErrNoCredentials: the request carries no credentials.
	ErrNoCredentials = errors.New("auth: no credentials")
	// ErrBadCredentials: the credentials are malformed, unknown, wrongly
	// signed, disabled, expired, not yet valid, or for another issuer or
	// audience.
	ErrBadCredentials = errors.New("auth: invalid credentials")
	// ErrNetworkNotAllowed: the client's address is outside the server's
	// allow-list.
	ErrNetworkNotAllowed = errors.New("auth: client network not allowed")
)

// Errors of the management API.
var (
	// ErrNotFound: no API key or role of that name.
	ErrNotFound = errors.New("auth: not found")
	// ErrInvalidPolicy: a role or statement is malformed.
	ErrInvalidPolicy = errors.New("auth: invalid policy")
	// ErrBuiltIn: the built-in admin role cannot be changed or deleted.
	ErrBuiltIn = errors.New("auth: the built-in role cannot be changed")
)

// credError wraps ErrBadCredentials with the reason, for logs and tests.
func credError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadCredentials, fmt.Sprintf(format, args...))
}

// denied is the error of a refused authorization: an engine error with
// CodeAccessDenied, so that every layer reports it as ACCESS_DENIED. The
// message names the action and the resource, never anything of the data.
func denied(p *Principal, action, resource string) error {
	return &engine.Error{Code: engine.CodeAccessDenied,
		Message: fmt.Sprintf("access denied: %s may not %s on %s", p.ID, action, resource)}
}

// Unauthenticated is the error a resolver returns when a request reached it
// without a principal (a WebSocket operation before connection_init, or a
// handler mounted without the middleware). Its code is ACCESS_DENIED.
var Unauthenticated error = &engine.Error{Code: engine.CodeAccessDenied, Message: "access denied: not authenticated"}

// validation wraps ErrInvalidPolicy as a VALIDATION engine error.
func invalid(format string, args ...any) error {
	return &engine.Error{Code: engine.CodeValidation, Message: fmt.Sprintf("invalid policy: "+format, args...)}
}
