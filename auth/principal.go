package auth

import (
	"context"
	"net/netip"
	"time"
)

// Kind says how a principal authenticated.
type Kind string

// The kinds of principal.
const (
	KindAPIKey    Kind = "apikey"
	KindJWT       Kind = "jwt"
	KindAnonymous Kind = "anonymous" // only with Options.InsecureDev
)

// Principal is who is asking: the result of authentication, carried in the
// request's context.
type Principal struct {
	// ID names the principal in audit records: "key:<id>", "user:<sub>" or
	// "anonymous".
	ID   string
	Kind Kind
	// Subject is what ${sub} stands for in conditions: the API key's id or
	// the JWT's sub claim.
	Subject string
	// Groups are the JWT's groups (from Options.JWT.RolesClaim); roles
	// attached to a group apply to its members.
	Groups []string
	// Roles are the roles granted directly (an API key's roles; the admin
	// role for the anonymous principal).
	Roles []string
	// Expires is when the credentials stop being valid (zero: never).
	Expires time.Time
	// Source is the client's address (invalid when unknown).
	Source netip.Addr
	// RequestID identifies the request in audit records.
	RequestID string
}

// String is the principal's ID (the name change records attribute writes
// to).
func (p *Principal) String() string { return p.ID }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal of ctx, if any.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

type sourceKey struct{}

// withSource records the client's address and request id in ctx for an
// authentication that happens later (WebSocket connection_init).
func withSource(ctx context.Context, addr netip.Addr, requestID string) context.Context {
	return context.WithValue(ctx, sourceKey{}, source{addr, requestID})
}

type source struct {
	addr netip.Addr
	id   string
}

func sourceOf(ctx context.Context) source {
	s, _ := ctx.Value(sourceKey{}).(source)
	return s
}
