package auth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/auth"
	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
)

var local = netip.MustParseAddr("127.0.0.1")

func openService(t *testing.T, opts auth.Options) (*auth.Service, *engine.DB) {
	t.Helper()
	db, err := engine.Open(engine.Options{InMemory: true})
	require.NoError(t, err)
	svc, err := auth.Open(db, opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		svc.Close()
		db.Close()
	})
	return svc, db
}

// ---------------------------------------------------------------- tokens

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jwtParts(t *testing.T, header, claims map[string]any) string {
	h, err := json.Marshal(header)
	require.NoError(t, err)
	c, err := json.Marshal(claims)
	require.NoError(t, err)
	return b64(h) + "." + b64(c)
}

func signHS(t *testing.T, secret []byte, claims map[string]any) string {
	s := jwtParts(t, map[string]any{"alg": "HS256", "typ": "JWT"}, claims)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(s))
	return s + "." + b64(m.Sum(nil))
}

func signRS(t *testing.T, k *rsa.PrivateKey, kid string, claims map[string]any) string {
	s := jwtParts(t, map[string]any{"alg": "RS256", "kid": kid}, claims)
	d := sha256.Sum256([]byte(s))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
	require.NoError(t, err)
	return s + "." + b64(sig)
}

func signES(t *testing.T, k *ecdsa.PrivateKey, claims map[string]any) string {
	s := jwtParts(t, map[string]any{"alg": "ES256"}, claims)
	d := sha256.Sum256([]byte(s))
	r, ss, err := ecdsa.Sign(rand.Reader, k, d[:])
	require.NoError(t, err)
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return s + "." + b64(sig)
}

func jwks(rk *rsa.PublicKey, ek *ecdsa.PublicKey) []byte {
	ec, err := ek.Bytes() // uncompressed: 0x04 X Y
	if err != nil {
		panic(err)
	}
	doc := map[string]any{"keys": []any{
		map[string]any{"kty": "RSA", "kid": "r1", "alg": "RS256", "n": b64(rk.N.Bytes()), "e": b64(big.NewInt(int64(rk.E)).Bytes())},
		map[string]any{"kty": "EC", "kid": "e1", "crv": "P-256", "x": b64(ec[1:33]), "y": b64(ec[33:])},
	}}
	b, _ := json.Marshal(doc)
	return b
}

func TestJWT(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	set, err := auth.ParseJWKS(jwks(&rk.PublicKey, &ek.PublicKey))
	require.NoError(t, err)
	now := time.Now()
	svc, _ := openService(t, auth.Options{JWT: auth.JWTOptions{
		HS256Secret: secret, JWKS: set, Issuer: "https://idp", Audience: "shoal", RolesClaim: "roles",
	}})
	good := func() map[string]any {
		return map[string]any{"sub": "alice", "iss": "https://idp", "aud": []string{"x", "shoal"},
			"exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Minute).Unix(), "roles": []string{"writers"}}
	}
	with := func(k string, v any) map[string]any {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	ctx := context.Background()
	for name, tok := range map[string]string{
		"HS256": signHS(t, secret, good()),
		"RS256": signRS(t, rk, "r1", good()),
		"ES256": signES(t, ek, good()),
	} {
		p, err := svc.Authenticate(ctx, "Bearer "+tok, local)
		require.NoError(t, err, name)
		assert.Equal(t, "user:alice", p.ID, name)
		assert.Equal(t, "alice", p.Subject)
		assert.Equal(t, []string{"writers"}, p.Groups)
		assert.Equal(t, auth.KindJWT, p.Kind)
	}

	// alg confusion: an HS256 token whose "secret" is the RSA public key.
	pubAsSecret := rk.PublicKey.N.Bytes()
	none := jwtParts(t, map[string]any{"alg": "none"}, good()) + "."
	noneSigned := jwtParts(t, map[string]any{"alg": "none"}, good()) + "." + b64([]byte("x"))
	rsAsHS := func() string { // RS256 header, HMAC signature with the shared secret
		s := jwtParts(t, map[string]any{"alg": "RS256"}, good())
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(s))
		return s + "." + b64(m.Sum(nil))
	}()
	tampered := func() string {
		tok := signHS(t, secret, good())
		parts := strings.Split(tok, ".")
		c := good()
		c["sub"] = "mallory"
		b, _ := json.Marshal(c)
		return parts[0] + "." + b64(b) + "." + parts[2]
	}()
	bad := map[string]string{
		"malformed":           "not.a.jwt.at.all",
		"garbage":             "abc",
		"bad base64":          "!!.??.##",
		"wrong signature":     signHS(t, []byte("another-secret-another-secret-32"), good()),
		"tampered payload":    tampered,
		"expired":             signHS(t, secret, with("exp", now.Add(-time.Hour).Unix())),
		"no exp":              signHS(t, secret, with("exp", nil)),
		"not yet valid":       signHS(t, secret, with("nbf", now.Add(time.Hour).Unix())),
		"wrong audience":      signHS(t, secret, with("aud", "other")),
		"no audience":         signHS(t, secret, with("aud", nil)),
		"wrong issuer":        signHS(t, secret, with("iss", "https://evil")),
		"no subject":          signHS(t, secret, with("sub", nil)),
		"alg none":            none,
		"alg none signed":     noneSigned,
		"HS256 with RSA key":  signHS(t, pubAsSecret, good()),
		"RS256 header + HMAC": rsAsHS,
		"wrong RSA key":       signRS(t, mustRSA(t), "r1", good()),
		"ES256 wrong key":     signES(t, mustEC(t), good()),
	}
	for name, tok := range bad {
		_, err := svc.Authenticate(ctx, "Bearer "+tok, local)
		assert.ErrorIs(t, err, auth.ErrBadCredentials, name)
	}
}

func mustRSA(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return k
}

func mustEC(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

func TestJWKSRejectsUnsafeKeys(t *testing.T) {
	_, err := auth.ParseJWKS([]byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`))
	assert.Error(t, err, "symmetric keys in a JWKS")
	_, err = auth.ParseJWKS([]byte(`{"keys":[{"kty":"RSA","alg":"HS256","n":"AQAB","e":"AQAB"}]}`))
	assert.Error(t, err)
}

func TestJWTNotConfigured(t *testing.T) {
	svc, _ := openService(t, auth.Options{})
	_, err := svc.Authenticate(context.Background(), "Bearer "+signHS(t, []byte("x"), map[string]any{"sub": "a"}), local)
	assert.ErrorIs(t, err, auth.ErrBadCredentials)
}

// ---------------------------------------------------------------- API keys

func TestAPIKeys(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	svc, _ := openService(t, auth.Options{Clock: func() time.Time { return clock() }})
	ctx := context.Background()
	k, secret, err := svc.CreateAPIKey(ctx, auth.CreateAPIKeyInput{Name: "ci", Roles: []string{"reader"}})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(secret, "shoal_"+k.ID+"_"))

	p, err := svc.Authenticate(ctx, "Bearer "+secret, local)
	require.NoError(t, err)
	assert.Equal(t, "key:"+k.ID, p.ID)
	assert.Equal(t, []string{"reader"}, p.Roles)

	// The secret is stored only as a salted hash.
	keys, err := svc.APIKeys(ctx)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	js, _ := json.Marshal(keys)
	assert.NotContains(t, string(js), secret[len("shoal_"+k.ID+"_"):])

	wrong := secret[:len(secret)-1] + map[bool]string{true: "0", false: "1"}[secret[len(secret)-1] != '0']
	for name, cred := range map[string]string{
		"malformed":    "shoal_nope",
		"short secret": "shoal_" + k.ID + "_abcd",
		"wrong secret": wrong,
		"unknown id":   "shoal_0123456789abcdef_" + strings.Repeat("a", 64),
	} {
		_, err := svc.Authenticate(ctx, cred, local)
		assert.ErrorIs(t, err, auth.ErrBadCredentials, name)
	}
	_, err = svc.Authenticate(ctx, "", local)
	assert.ErrorIs(t, err, auth.ErrNoCredentials)

	_, err = svc.SetAPIKeyDisabled(ctx, k.ID, true)
	require.NoError(t, err)
	_, err = svc.Authenticate(ctx, secret, local)
	assert.ErrorIs(t, err, auth.ErrBadCredentials, "disabled")
	_, err = svc.SetAPIKeyDisabled(ctx, k.ID, false)
	require.NoError(t, err)
	_, err = svc.Authenticate(ctx, secret, local)
	require.NoError(t, err)

	k2, s2, err := svc.CreateAPIKey(ctx, auth.CreateAPIKeyInput{ExpiresAt: now.Add(time.Minute)})
	require.NoError(t, err)
	_, err = svc.Authenticate(ctx, s2, local)
	require.NoError(t, err)
	later := now.Add(2 * time.Minute)
	clock = func() time.Time { return later }
	_, err = svc.Authenticate(ctx, s2, local)
	assert.ErrorIs(t, err, auth.ErrBadCredentials, "expired")

	require.NoError(t, svc.DeleteAPIKey(ctx, k2.ID))
	require.NoError(t, svc.DeleteAPIKey(ctx, k.ID))
	_, err = svc.Authenticate(ctx, secret, local)
	assert.ErrorIs(t, err, auth.ErrBadCredentials, "deleted")
}

func TestBootstrap(t *testing.T) {
	svc, _ := openService(t, auth.Options{})
	ctx := context.Background()
	secret, created, err := svc.Bootstrap(ctx)
	require.NoError(t, err)
	require.True(t, created)
	p, err := svc.Authenticate(ctx, secret, local)
	require.NoError(t, err)
	_, err = svc.Authorize(auth.WithPrincipal(ctx, p), auth.ActionAdminKeys, auth.ResourceAll)
	require.NoError(t, err)
	_, created, err = svc.Bootstrap(ctx)
	require.NoError(t, err)
	assert.False(t, created, "only on first start")
}

// ---------------------------------------------------------------- policies

func TestAuthorize(t *testing.T) {
	svc, _ := openService(t, auth.Options{})
	ctx := context.Background()
	roles := []auth.Role{
		{Name: "reader", Statements: []auth.Statement{
			{Effect: auth.Allow, Actions: []string{"item:get", "table:query"}, Resources: []string{"table/Orders", "table/Orders/index/*"}},
		}},
		{Name: "no-secrets", Statements: []auth.Statement{
			{Effect: auth.Allow, Actions: []string{"*"}, Resources: []string{"table/*"}},
			{Effect: auth.Deny, Actions: []string{"item:*"}, Resources: []string{"table/Secrets"}},
		}},
		{Name: "own", Statements: []auth.Statement{
			{Effect: auth.Allow, Actions: []string{"item:*"}, Resources: []string{"table/Notes"},
				Conditions: &auth.Conditions{LeadingKeys: []string{"${sub}"}, Attributes: []string{"owner", "id", "text"}}},
		}},
		{Name: "office", Statements: []auth.Statement{
			{Effect: auth.Allow, Actions: []string{"item:get"}, Resources: []string{"*"},
				Conditions: &auth.Conditions{SourceIP: []string{"10.0.0.0/8"}}},
		}},
	}
	for _, r := range roles {
		require.NoError(t, svc.PutRole(ctx, r))
	}
	as := func(roles []string, src string) context.Context {
		return auth.WithPrincipal(ctx, &auth.Principal{ID: "user:u1", Kind: auth.KindJWT, Subject: "u1", Roles: roles, Source: netip.MustParseAddr(src)})
	}
	type c struct {
		roles            []string
		src              string
		action, resource string
		ok               bool
	}
	for i, tc := range []c{
		{[]string{"reader"}, "127.0.0.1", "item:get", "table/Orders", true},
		{[]string{"reader"}, "127.0.0.1", "table:query", "table/Orders/index/byDate", true},
		{[]string{"reader"}, "127.0.0.1", "item:put", "table/Orders", false},
		{[]string{"reader"}, "127.0.0.1", "item:get", "table/Other", false},
		{[]string{"reader"}, "127.0.0.1", "item:get", "table/OrdersX", false},
		{[]string{"no-secrets"}, "127.0.0.1", "item:put", "table/Orders", true},
		{[]string{"no-secrets"}, "127.0.0.1", "item:get", "table/Secrets", false},
		{[]string{"no-secrets", "reader"}, "127.0.0.1", "item:get", "table/Secrets", false},
		{[]string{"no-secrets"}, "127.0.0.1", "admin:keys", "*", false},
		{[]string{"office"}, "10.1.2.3", "item:get", "table/Any", true},
		{[]string{"office"}, "192.168.1.1", "item:get", "table/Any", false},
		{[]string{"missing-role"}, "127.0.0.1", "item:get", "table/Orders", false},
		{nil, "127.0.0.1", "item:get", "table/Orders", false},
		{[]string{"admin"}, "127.0.0.1", "admin:roles", "*", true},
	} {
		r, err := svc.Authorize(as(tc.roles, tc.src), tc.action, tc.resource)
		if tc.ok {
			assert.NoError(t, err, "case %d", i)
			assert.Nil(t, r, "case %d", i)
		} else {
			assert.Equal(t, engine.CodeAccessDenied, engine.CodeOf(err), "case %d", i)
		}
	}
	r, err := svc.Authorize(as([]string{"own"}, "127.0.0.1"), "item:get", "table/Notes")
	require.NoError(t, err)
	require.NotNil(t, r)
	assert.Equal(t, []attr.Value{attr.S("u1")}, r.PartitionKeys)
	assert.Equal(t, []string{"owner", "id", "text"}, r.Attributes)

	// An unconditioned allow lifts the restriction.
	r, err = svc.Authorize(as([]string{"own", "no-secrets"}, "127.0.0.1"), "item:get", "table/Notes")
	require.NoError(t, err)
	assert.Nil(t, r)

	_, err = svc.Authorize(ctx, "item:get", "table/Notes")
	assert.Equal(t, engine.CodeAccessDenied, engine.CodeOf(err), "no principal")

	assert.ErrorIs(t, svc.PutRole(ctx, auth.Role{Name: "admin"}), auth.ErrBuiltIn)
	assert.Error(t, svc.PutRole(ctx, auth.Role{Name: "bad", Statements: []auth.Statement{{Effect: "maybe", Actions: []string{"*"}, Resources: []string{"*"}}}}))
	assert.Error(t, svc.PutRole(ctx, auth.Role{Name: "bad", Statements: []auth.Statement{{Effect: auth.Deny, Actions: []string{"*"}, Resources: []string{"*"},
		Conditions: &auth.Conditions{LeadingKeys: []string{"x"}}}}}))
	assert.Error(t, svc.PutRole(ctx, auth.Role{Name: "bad", Statements: []auth.Statement{{Effect: auth.Allow, Actions: []string{"*"}, Resources: []string{"*"},
		Conditions: &auth.Conditions{SourceIP: []string{"10.0.0.300/8"}}}}}))
}

func TestGroupsAndHistory(t *testing.T) {
	svc, _ := openService(t, auth.Options{})
	ctx := context.Background()
	role := auth.Role{Name: "writer", Statements: []auth.Statement{{Effect: auth.Allow, Actions: []string{"item:put"}, Resources: []string{"table/T"}}}}
	require.NoError(t, svc.PutRole(ctx, role))
	user := auth.WithPrincipal(ctx, &auth.Principal{ID: "user:bob", Kind: auth.KindJWT, Subject: "bob", Groups: []string{"eng"}})
	_, err := svc.Authorize(user, "item:put", "table/T")
	assert.Error(t, err, "no binding yet")
	require.NoError(t, svc.AttachRole(ctx, auth.AttachTarget{Group: "eng"}, "writer", false))
	_, err = svc.Authorize(user, "item:put", "table/T")
	assert.NoError(t, err)
	require.NoError(t, svc.AttachRole(ctx, auth.AttachTarget{Group: "eng"}, "writer", true))
	_, err = svc.Authorize(user, "item:put", "table/T")
	assert.Error(t, err, "detached")

	role.Statements[0].Actions = []string{"item:*"}
	require.NoError(t, svc.PutRole(ctx, role))
	require.NoError(t, svc.DeleteRole(ctx, "writer"))
	h, err := svc.PolicyHistory(ctx, "writer")
	require.NoError(t, err)
	require.Len(t, h, 3)
	assert.Equal(t, "null", string(h[0].Before))
	assert.Contains(t, string(h[1].Before), `"item:put"`)
	assert.Contains(t, string(h[1].After), `"item:*"`)
	assert.Equal(t, "null", string(h[2].After))
	assert.Less(t, h[0].Version, h[1].Version)
}

func TestPolicyFile(t *testing.T) {
	svc, _ := openService(t, auth.Options{})
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "policy.json")
	require.NoError(t, os.WriteFile(path, []byte(`{
	  "roles": [{"name": "reader", "statements": [{"effect": "allow", "actions": ["item:get"], "resources": ["table/*"]}]}],
	  "bindings": [{"group": "staff", "roles": ["reader"]}]
	}`), 0o600))
	require.NoError(t, svc.LoadPolicyFile(ctx, path))
	require.NoError(t, svc.LoadPolicyFile(ctx, path), "loading twice is harmless")
	user := auth.WithPrincipal(ctx, &auth.Principal{ID: "user:x", Subject: "x", Kind: auth.KindJWT, Groups: []string{"staff"}})
	_, err := svc.Authorize(user, "item:get", "table/A")
	assert.NoError(t, err)
	h, err := svc.PolicyHistory(ctx, "reader")
	require.NoError(t, err)
	assert.Len(t, h, 1, "an unchanged role is not stored again")
	assert.Equal(t, "policy-file", h[0].Principal)

	require.NoError(t, os.WriteFile(path, []byte(`{"roles": [{"name": "x", "statements": [{"effect": "permit"}]}]}`), 0o600))
	assert.Error(t, svc.LoadPolicyFile(ctx, path))
}

// ---------------------------------------------------------------- audit

func TestAuditChain(t *testing.T) {
	svc, db := openService(t, auth.Options{})
	ctx := context.Background()
	admin := auth.WithPrincipal(ctx, &auth.Principal{ID: "key:root", Roles: []string{"admin"}, Source: local, RequestID: "r1"})
	reader := auth.WithPrincipal(ctx, &auth.Principal{ID: "key:nobody", Source: local})
	for range 5 {
		_, err := svc.Authorize(admin, auth.ActionTableCreate, auth.TableResource("T"))
		require.NoError(t, err)
	}
	_, err := svc.Authorize(admin, auth.ActionItemGet, auth.TableResource("T"))
	require.NoError(t, err) // data plane, allowed: not recorded by default
	_, err = svc.Authorize(reader, auth.ActionItemGet, auth.TableResource("T"))
	require.Error(t, err) // denied: recorded

	// The outcome of a scoped call.
	sctx, finish := svc.Audit(admin)
	_, err = svc.Authorize(sctx, auth.ActionTableDelete, auth.TableResource("T"))
	require.NoError(t, err)
	finish(&engine.Error{Code: engine.CodeNotFound})

	evs, err := svc.AuditEvents(ctx, auth.AuditQuery{})
	require.NoError(t, err)
	require.Len(t, evs, 7)
	assert.Equal(t, "error: NOT_FOUND", evs[0].Outcome)
	assert.Equal(t, "denied", evs[1].Outcome)
	assert.Equal(t, "key:nobody", evs[1].Principal)
	assert.Equal(t, "127.0.0.1", evs[2].Source)
	assert.Equal(t, "r1", evs[2].RequestID)

	evs, err = svc.AuditEvents(ctx, auth.AuditQuery{Principal: "key:root", Action: "table:*", Limit: 2})
	require.NoError(t, err)
	assert.Len(t, evs, 2)
	evs, err = svc.AuditEvents(ctx, auth.AuditQuery{From: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	assert.Empty(t, evs)

	rep, err := svc.VerifyAudit(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK, rep.Problem)
	assert.Equal(t, uint64(7), rep.Entries)

	// Tamper with entry 3 in storage: the chain breaks there.
	m, err := db.Meta("auth.audit")
	require.NoError(t, err)
	key := binary.BigEndian.AppendUint64([]byte("e"), 3)
	v, ok, err := m.Get(ctx, key)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, m.Put(ctx, key, []byte(strings.Replace(string(v), "key:root", "key:evil", 1))))
	rep, err = svc.VerifyAudit(ctx)
	require.NoError(t, err)
	assert.False(t, rep.OK)
	assert.Equal(t, uint64(3), rep.FirstBad)
	require.NoError(t, m.Put(ctx, key, v))

	// Remove the newest entry: the head gives it away.
	last := binary.BigEndian.AppendUint64([]byte("e"), 7)
	require.NoError(t, m.Delete(ctx, last))
	rep, err = svc.VerifyAudit(ctx)
	require.NoError(t, err)
	assert.False(t, rep.OK)
	assert.Contains(t, rep.Problem, "removed")
}

func TestAuditDataPlane(t *testing.T) {
	svc, _ := openService(t, auth.Options{AuditDataPlane: true})
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{ID: "key:k", Roles: []string{"admin"}})
	_, err := svc.Authorize(ctx, auth.ActionItemGet, auth.TableResource("T"))
	require.NoError(t, err)
	evs, err := svc.AuditEvents(ctx, auth.AuditQuery{Action: auth.ActionItemGet})
	require.NoError(t, err)
	assert.Len(t, evs, 1)
}

// ---------------------------------------------------------------- HTTP and WebSocket

func TestMiddleware(t *testing.T) {
	svc, _ := openService(t, auth.Options{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	secret, _, err := svc.Bootstrap(context.Background())
	require.NoError(t, err)
	var seen *auth.Principal
	h := svc.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = auth.FromContext(r.Context())
	}))
	do := func(remote, header string, upgrade bool) int {
		seen = nil
		r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		r.RemoteAddr = remote
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		if upgrade {
			r.Header.Set("Upgrade", "websocket")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	assert.Equal(t, 401, do("127.0.0.1:5000", "", false))
	assert.Equal(t, 401, do("127.0.0.1:5000", "Bearer shoal_bad", false))
	assert.Equal(t, 200, do("127.0.0.1:5000", "Bearer "+secret, false))
	require.NotNil(t, seen)
	assert.Equal(t, auth.KindAPIKey, seen.Kind)
	assert.NotEmpty(t, seen.RequestID)
	assert.Equal(t, 403, do("192.0.2.1:5000", "Bearer "+secret, false), "outside the allow-list")
	assert.Equal(t, 200, do("127.0.0.1:5000", "", true), "WebSocket upgrades authenticate in connection_init")
	assert.Nil(t, seen)
	assert.Equal(t, 403, do("192.0.2.1:5000", "", true))
}

func TestInsecureDev(t *testing.T) {
	svc, _ := openService(t, auth.Options{InsecureDev: true})
	p, err := svc.Authenticate(context.Background(), "", local)
	require.NoError(t, err)
	assert.Equal(t, auth.KindAnonymous, p.Kind)
	_, err = svc.Authenticate(context.Background(), "Bearer shoal_bad", local)
	assert.ErrorIs(t, err, auth.ErrBadCredentials, "credentials given are still checked")
}

func TestInitFunc(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	svc, _ := openService(t, auth.Options{JWT: auth.JWTOptions{HS256Secret: secret}})
	key, _, err := svc.Bootstrap(context.Background())
	require.NoError(t, err)
	ctx, _, err := svc.InitFunc(context.Background(), map[string]any{"Authorization": "Bearer " + key})
	require.NoError(t, err)
	p, ok := auth.FromContext(ctx)
	require.True(t, ok)
	assert.Equal(t, auth.KindAPIKey, p.Kind)
	_, hasDeadline := ctx.Deadline()
	assert.False(t, hasDeadline)

	exp := time.Now().Add(time.Minute)
	tok := signHS(t, secret, map[string]any{"sub": "u", "exp": exp.Unix()})
	ctx, _, err = svc.InitFunc(context.Background(), map[string]any{"authToken": tok})
	require.NoError(t, err)
	d, ok := ctx.Deadline()
	require.True(t, ok, "an expiring token ends the connection")
	assert.WithinDuration(t, exp, d, time.Second)

	_, _, err = svc.InitFunc(context.Background(), map[string]any{})
	assert.Error(t, err)
	_, _, err = svc.InitFunc(context.Background(), map[string]any{"Authorization": "Bearer nope"})
	assert.Error(t, err)
}

func TestDisabledKeyLosesAccessAtOnce(t *testing.T) {
	svc, _ := openService(t, auth.Options{})
	ctx := context.Background()
	k, secret, err := svc.CreateAPIKey(ctx, auth.CreateAPIKeyInput{Roles: []string{"admin"}})
	require.NoError(t, err)
	p, err := svc.Authenticate(ctx, secret, local)
	require.NoError(t, err)
	pctx := auth.WithPrincipal(ctx, p)
	_, err = svc.Authorize(pctx, auth.ActionItemGet, auth.TableResource("T"))
	require.NoError(t, err)
	_, err = svc.SetAPIKeyDisabled(ctx, k.ID, true)
	require.NoError(t, err)
	_, err = svc.Authorize(pctx, auth.ActionItemGet, auth.TableResource("T"))
	assert.Equal(t, engine.CodeAccessDenied, engine.CodeOf(err), "an authenticated connection of a disabled key")
	assert.True(t, errors.Is(err, err))
}
