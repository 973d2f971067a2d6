package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shoaldb/shoal/engine"
)

// Options configures Open. The zero value accepts API keys only, from any
// network, and audits the control plane.
type Options struct {
	// JWT configures bearer tokens; off by default.
	JWT JWTOptions
	// AllowNetworks, when not empty, is the server-wide allow-list: a
	// client whose address is outside every range is refused before its
	// credentials are looked at.
	AllowNetworks []netip.Prefix
	// InsecureDev lets requests without credentials in as the anonymous
	// principal with the admin role. The server allows it only on a
	// loopback address. Default false.
	InsecureDev bool
	// AuditDataPlane records every data-plane call (item reads and writes,
	// queries, scans, subscriptions) in the audit log, not only the
	// control plane and denials. Default false.
	AuditDataPlane bool
	// SigningKey, 32 bytes, seals each new API key's secret so that the
	// DynamoDB API can verify Signature Version 4 (which needs the secret
	// itself); see LoadSigningKey. nil: keys get no sealed secret and
	// work with Bearer only.
	SigningKey []byte
	// Clock is the time source; default time.Now.
	Clock func() time.Time
	// Logger receives audit-writer failures; default slog.Default().
	Logger *slog.Logger
}

// Service authenticates and authorizes requests and keeps the durable state
// of both (API keys, roles, role bindings, the audit log, the policy
// history) in the engine's Meta spaces. It is safe for concurrent use.
type Service struct {
	db   *engine.DB
	opts Options
	keys *engine.Meta // id → APIKey
	// decoded caches key records by id with the stored bytes they were
	// decoded from: every lookup still reads the store (so revocation is
	// immediate) but skips the JSON decoding when the bytes are unchanged.
	decoded sync.Map     // string → decodedKey
	roles   *engine.Meta // "r/"name → Role, "g/"group → []role
	hist    *engine.Meta // seq → Change
	audit   *auditLog
	// sealer seals API key secrets under Options.SigningKey (nil: none).
	sealer *sealer

	mu    sync.RWMutex
	cache map[string]*Role // role name → role (nil: known absent)
	binds map[string][]string
}

// Open returns the Service over db. Close it before closing db.
func Open(db *engine.DB, opts Options) (*Service, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Service{db: db, opts: opts, cache: map[string]*Role{}, binds: map[string][]string{}}
	var err error
	if s.sealer, err = newSealer(opts.SigningKey); err != nil {
		return nil, err
	}
	for _, m := range []struct {
		p  **engine.Meta
		ns string
	}{{&s.keys, "auth.keys"}, {&s.roles, "auth.roles"}, {&s.hist, "auth.history"}} {
		if *m.p, err = db.Meta(m.ns); err != nil {
			return nil, err
		}
	}
	if s.audit, err = openAudit(db, opts); err != nil {
		return nil, err
	}
	return s, nil
}

// Close stops the audit writer after it has stored what it holds.
func (s *Service) Close() error {
	s.audit.close()
	return nil
}

func (s *Service) now() time.Time { return s.opts.Clock() }

// actor is the principal id of ctx, for history records.
func actor(ctx context.Context) string {
	if p, ok := FromContext(ctx); ok {
		return p.ID
	}
	return "system"
}

// Bootstrap creates the root API key (holding the admin role) when no API
// key exists yet, and returns its secret form; created is false, and the
// secret empty, when keys exist already.
func (s *Service) Bootstrap(ctx context.Context) (secret string, created bool, err error) {
	es, err := s.keys.Scan(ctx, nil, nil, 1)
	if err != nil || len(es) > 0 {
		return "", false, err
	}
	_, secret, err = s.CreateAPIKey(ctx, CreateAPIKeyInput{Name: "root", Roles: []string{BuiltinAdmin}})
	return secret, err == nil, err
}

// ---------------------------------------------------------------- roles

// PutRole creates or replaces a role.
func (s *Service) PutRole(ctx context.Context, r Role) error {
	if r.Name == BuiltinAdmin {
		return ErrBuiltIn
	}
	if err := r.Validate(); err != nil {
		return err
	}
	before, err := s.Role(ctx, r.Name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	b, _ := json.Marshal(r)
	if err := s.roles.Put(ctx, []byte("r/"+r.Name), b); err != nil {
		return err
	}
	s.invalidate()
	var prev any
	if before != nil {
		prev = before
	}
	return s.recordChange(ctx, "role", r.Name, prev, r)
}

// DeleteRole deletes a role; keys and groups that held it lose it.
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	if name == BuiltinAdmin {
		return ErrBuiltIn
	}
	before, err := s.Role(ctx, name)
	if err != nil {
		return err
	}
	if err := s.roles.Delete(ctx, []byte("r/"+name)); err != nil {
		return err
	}
	s.invalidate()
	return s.recordChange(ctx, "role", name, before, nil)
}

// Role returns a role by name (the built-in admin role included).
func (s *Service) Role(ctx context.Context, name string) (*Role, error) {
	if name == BuiltinAdmin {
		r := adminRole
		return &r, nil
	}
	b, ok, err := s.roles.Get(ctx, []byte("r/"+name))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotFound
	}
	r := new(Role)
	return r, json.Unmarshal(b, r)
}

// Roles lists every role, the built-in admin role first.
func (s *Service) Roles(ctx context.Context) ([]*Role, error) {
	es, err := s.roles.Scan(ctx, []byte("r/"), nil, 0)
	if err != nil {
		return nil, err
	}
	a := adminRole
	out := []*Role{&a}
	for _, e := range es {
		r := new(Role)
		if err := json.Unmarshal(e.Value, r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Binding is the roles attached to a JWT group.
type Binding struct {
	Group string   `json:"group"`
	Roles []string `json:"roles"`
}

// Bindings lists the group bindings.
func (s *Service) Bindings(ctx context.Context) ([]Binding, error) {
	es, err := s.roles.Scan(ctx, []byte("g/"), nil, 0)
	if err != nil {
		return nil, err
	}
	out := make([]Binding, 0, len(es))
	for _, e := range es {
		b := Binding{Group: string(e.Key[2:])}
		if err := json.Unmarshal(e.Value, &b.Roles); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// AttachTarget is what a role is attached to: exactly one of an API key id
// and a JWT group.
type AttachTarget struct {
	APIKey string
	Group  string
}

// AttachRole attaches role to the target (or detaches it). The role must
// exist to be attached.
func (s *Service) AttachRole(ctx context.Context, t AttachTarget, role string, detach bool) error {
	if (t.APIKey == "") == (t.Group == "") {
		return invalid("give exactly one of an API key id and a group")
	}
	if !detach {
		if _, err := s.Role(ctx, role); err != nil {
			return err
		}
	}
	edit := func(roles []string) []string {
		roles = slices.DeleteFunc(slices.Clone(roles), func(r string) bool { return r == role })
		if !detach {
			roles = append(roles, role)
		}
		return roles
	}
	if t.APIKey != "" {
		k, err := s.APIKey(ctx, t.APIKey)
		if err != nil {
			return err
		}
		c := *k
		c.Roles = edit(k.Roles)
		return s.putKey(ctx, k, &c)
	}
	if err := validName(t.Group); err != nil {
		return err
	}
	key := []byte("g/" + t.Group)
	var before []string
	if b, ok, err := s.roles.Get(ctx, key); err != nil {
		return err
	} else if ok {
		if err := json.Unmarshal(b, &before); err != nil {
			return err
		}
	}
	after := edit(before)
	var err error
	if len(after) == 0 {
		err = s.roles.Delete(ctx, key)
	} else {
		b, _ := json.Marshal(after)
		err = s.roles.Put(ctx, key, b)
	}
	if err != nil {
		return err
	}
	s.invalidate()
	return s.recordChange(ctx, "binding", t.Group, Binding{t.Group, before}, Binding{t.Group, after})
}

func (s *Service) invalidate() {
	s.mu.Lock()
	s.cache = map[string]*Role{}
	s.binds = map[string][]string{}
	s.mu.Unlock()
}

// rolesOf loads the roles of a principal: its own and its groups'.
// Unknown roles are ignored (a deleted role grants nothing).
func (s *Service) rolesOf(ctx context.Context, p *Principal) ([]*Role, error) {
	names := slices.Clone(p.Roles)
	for _, g := range p.Groups {
		s.mu.RLock()
		rs, ok := s.binds[g]
		s.mu.RUnlock()
		if !ok {
			b, found, err := s.roles.Get(ctx, []byte("g/"+g))
			if err != nil {
				return nil, err
			}
			if found {
				if err := json.Unmarshal(b, &rs); err != nil {
					return nil, err
				}
			}
			s.mu.Lock()
			s.binds[g] = rs
			s.mu.Unlock()
		}
		names = append(names, rs...)
	}
	var out []*Role
	for _, n := range names {
		s.mu.RLock()
		r, ok := s.cache[n]
		s.mu.RUnlock()
		if !ok {
			var err error
			r, err = s.Role(ctx, n)
			if errors.Is(err, ErrNotFound) {
				r, err = nil, nil
			}
			if err != nil {
				return nil, err
			}
			s.mu.Lock()
			s.cache[n] = r
			s.mu.Unlock()
		}
		if r != nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// PolicyFile is the format of the file loaded by LoadPolicyFile.
type PolicyFile struct {
	Roles    []Role    `json:"roles"`
	Bindings []Binding `json:"bindings"`
}

// LoadPolicyFile puts every role of a JSON policy file and attaches its
// group bindings; roles not in the file are left alone. Changes are
// recorded in the policy history as made by "policy-file".
func (s *Service) LoadPolicyFile(ctx context.Context, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("auth: policy file: %w", err)
	}
	var f PolicyFile
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("auth: policy file %s: %w", path, err)
	}
	for _, r := range f.Roles {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("auth: policy file %s: %w", path, err)
		}
	}
	ctx = WithPrincipal(ctx, &Principal{ID: "policy-file"})
	for _, r := range f.Roles {
		if old, err := s.Role(ctx, r.Name); err == nil && roleEqual(old, &r) {
			continue
		}
		if err := s.PutRole(ctx, r); err != nil {
			return fmt.Errorf("auth: policy file %s: role %s: %w", path, r.Name, err)
		}
	}
	for _, bd := range f.Bindings {
		for _, r := range bd.Roles {
			if err := s.AttachRole(ctx, AttachTarget{Group: bd.Group}, r, false); err != nil {
				return fmt.Errorf("auth: policy file %s: binding %s: %w", path, bd.Group, err)
			}
		}
	}
	return nil
}

func roleEqual(a, b *Role) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// ---------------------------------------------------------------- authn

// Authenticate turns a credential (an API key shoal_<id>_<secret> or a JWT,
// with or without a "Bearer " prefix) into a principal. source is the
// client's address. An empty credential is ErrNoCredentials (or the
// anonymous principal with InsecureDev); bad credentials are
// ErrBadCredentials; a source outside AllowNetworks is
// ErrNetworkNotAllowed.
func (s *Service) Authenticate(ctx context.Context, credential string, src netip.Addr) (*Principal, error) {
	if !s.networkAllowed(src) {
		return nil, ErrNetworkNotAllowed
	}
	credential = strings.TrimSpace(credential)
	if len(credential) > 7 && strings.EqualFold(credential[:7], "bearer ") {
		credential = strings.TrimSpace(credential[7:])
	}
	if credential == "" {
		if s.opts.InsecureDev {
			return &Principal{ID: "anonymous", Kind: KindAnonymous, Roles: []string{BuiltinAdmin}, Source: src}, nil
		}
		return nil, ErrNoCredentials
	}
	if strings.HasPrefix(credential, keyPrefix) {
		k, err := s.verifyAPIKey(ctx, credential)
		if err != nil {
			return nil, err
		}
		return &Principal{ID: "key:" + k.ID, Kind: KindAPIKey, Subject: k.ID, Roles: slices.Clone(k.Roles),
			Expires: k.ExpiresAt, Source: src}, nil
	}
	if !s.opts.JWT.enabled() {
		return nil, credError("bearer tokens are not accepted")
	}
	c, err := verifyJWT(&s.opts.JWT, credential, s.now())
	if err != nil {
		return nil, err
	}
	return &Principal{ID: "user:" + c.sub, Kind: KindJWT, Subject: c.sub, Groups: c.groups, Expires: c.exp, Source: src}, nil
}

func (s *Service) networkAllowed(a netip.Addr) bool {
	if len(s.opts.AllowNetworks) == 0 {
		return true
	}
	a = a.Unmap()
	for _, p := range s.opts.AllowNetworks {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// RemoteAddr parses an http.Request.RemoteAddr ("ip:port"). Proxy headers
// (X-Forwarded-For) are not trusted.
func RemoteAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Middleware authenticates every request from its Authorization header
// (or X-Api-Key) and puts the principal in the request's context. A
// request without credentials is refused with 401, except a WebSocket
// upgrade, which authenticates in connection_init (see InitFunc); bad
// credentials are 401, a client outside the allow-list 403. Each request
// gets an id (the X-Request-Id response header) for the audit log.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		src := RemoteAddr(r.RemoteAddr)
		rid := newRequestID()
		w.Header().Set("X-Request-Id", rid)
		cred := r.Header.Get("Authorization")
		if cred == "" {
			cred = r.Header.Get("X-Api-Key")
		}
		upgrade := cred == "" && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
		if upgrade && !s.opts.InsecureDev {
			if !s.networkAllowed(src) {
				s.refuse(w, r, ErrNetworkNotAllowed, src, rid)
				return
			}
			next.ServeHTTP(w, r.WithContext(withSource(r.Context(), src, rid)))
			return
		}
		p, err := s.Authenticate(r.Context(), cred, src)
		if err != nil {
			s.refuse(w, r, err, src, rid)
			return
		}
		p.RequestID = rid
		ctx := withSource(WithPrincipal(r.Context(), p), src, rid)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Service) refuse(w http.ResponseWriter, r *http.Request, err error, src netip.Addr, rid string) {
	status, code := http.StatusUnauthorized, "UNAUTHENTICATED"
	msg := "authentication required: send Authorization: Bearer <API key or token>"
	switch {
	case errors.Is(err, ErrNetworkNotAllowed):
		status, code, msg = http.StatusForbidden, "ACCESS_DENIED", "the client network is not allowed"
	case errors.Is(err, ErrBadCredentials):
		msg = "invalid credentials"
	case !errors.Is(err, ErrNoCredentials):
		status, code, msg = http.StatusInternalServerError, "INTERNAL", "authentication failed"
	}
	if !errors.Is(err, ErrNoCredentials) {
		s.audit.record(AuditEvent{Principal: "unauthenticated", Action: "auth:authenticate", Resource: r.URL.Path,
			Source: addrString(src), Outcome: "denied: " + err.Error(), RequestID: rid})
	}
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="shoal"`)
	}
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": map[string]any{"code": code}}}})
	w.Write(append(b, '\n'))
}

// AuditAuthFailure records a failed authentication made outside
// Middleware and InitFunc (the DynamoDB API's Signature Version 4):
// resource names the endpoint, err says why.
func (s *Service) AuditAuthFailure(resource string, src netip.Addr, requestID string, err error) {
	s.audit.record(AuditEvent{Principal: "unauthenticated", Action: "auth:authenticate", Resource: resource,
		Source: addrString(src), Outcome: "denied: " + err.Error(), RequestID: requestID})
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// InitFunc authenticates a WebSocket connection_init, for
// graph/ws.Options.InitFunc. The payload carries the credential as
// "Authorization" (or "authorization", "authToken", "token", "apiKey"). A
// connection whose upgrade request was already authenticated by a header
// keeps that principal. The returned context ends when the credentials
// expire, which closes the socket (4403) and so ends its subscriptions.
func (s *Service) InitFunc(ctx context.Context, payload map[string]any) (context.Context, map[string]any, error) {
	p, ok := FromContext(ctx)
	if !ok {
		var cred string
		for _, k := range []string{"Authorization", "authorization", "authToken", "token", "apiKey"} {
			if v, ok := payload[k].(string); ok && v != "" {
				cred = v
				break
			}
		}
		src := sourceOf(ctx)
		var err error
		p, err = s.Authenticate(ctx, cred, src.addr)
		if err != nil {
			if !errors.Is(err, ErrNoCredentials) {
				s.audit.record(AuditEvent{Principal: "unauthenticated", Action: "auth:authenticate", Resource: "websocket",
					Source: addrString(src.addr), Outcome: "denied: " + err.Error(), RequestID: src.id})
			}
			// The text is the close reason the client sees (4403), worded
			// like graph/ws's "Forbidden: credentials expired".
			//lint:ignore ST1005 a WebSocket close reason, not a Go error string
			return nil, nil, errors.New("Forbidden: invalid or missing credentials")
		}
		p.RequestID = src.id
		ctx = WithPrincipal(ctx, p)
	}
	if !p.Expires.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, p.Expires)
		context.AfterFunc(ctx, cancel) // release the timer when the connection ends
	}
	return ctx, nil, nil
}

// ---------------------------------------------------------------- authz

// Authorize decides whether the principal of ctx may do action on
// resource. It returns the fine-grained restriction to hand to the engine
// (nil: none), or an ACCESS_DENIED engine error. The decision is noted for
// the audit log (see Audit). Authorization reads only the principal's
// roles, never data, so a denial says nothing about any item.
func (s *Service) Authorize(ctx context.Context, action, resource string) (*engine.Restriction, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return nil, Unauthenticated
	}
	if p.Kind == KindAPIKey {
		// Keys are checked again at every call so that disabling or
		// deleting a key ends long-lived connections too.
		if k, err := s.APIKey(ctx, p.Subject); err != nil || k.Disabled || !k.ExpiresAt.IsZero() && !s.now().Before(k.ExpiresAt) {
			s.note(ctx, p, action, resource, false)
			return nil, denied(p, action, resource)
		} else {
			p = &Principal{ID: p.ID, Kind: p.Kind, Subject: p.Subject, Roles: k.Roles, Source: p.Source, RequestID: p.RequestID}
		}
	}
	roles, err := s.rolesOf(ctx, p)
	if err != nil {
		return nil, err
	}
	allowed, r := evaluate(p, roles, action, resource)
	s.note(ctx, p, action, resource, allowed)
	if !allowed {
		return nil, denied(p, action, resource)
	}
	return r, nil
}
