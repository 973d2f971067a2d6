package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// APIKey is a stored API key. The secret is never stored in clear: Bearer
// authentication checks a salted SHA-256 hash of it, and Signature Version
// 4 (the DynamoDB API), which needs the secret itself, opens Sealed, the
// secret sealed under the server's signing key (see LoadSigningKey), which
// is never stored in the database.
//
// Why SHA-256 and not a slow password hash: the secret is 32 random bytes
// (256 bits) made by the server, not chosen by a person, so there is no
// dictionary to try and a brute-force search of 2^256 candidates is out of
// reach however fast the hash is; a slow KDF (argon2, scrypt) would only
// add its cost to every request. The per-key salt keeps equal secrets
// (which never happen) from sharing a hash and rules out precomputed tables.
type APIKey struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Roles     []string  `json:"roles"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy"`
	// ExpiresAt is zero for a key that does not expire.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`

	Salt []byte `json:"salt"`
	Hash []byte `json:"hash"`
	// Sealed is the secret sealed with AES-256-GCM under the signing key
	// (nonce, then ciphertext and tag; the key id is the additional
	// data), and SealedBy the signing key's fingerprint. Both are empty
	// for keys created before Signature Version 4 support or without a
	// signing key: such keys work with Bearer only.
	Sealed   []byte `json:"sealed,omitempty"`
	SealedBy string `json:"sealedBy,omitempty"`
}

// SigV4 reports whether the key can sign DynamoDB API requests (it has a
// sealed secret).
func (k *APIKey) SigV4() bool { return len(k.Sealed) > 0 }

// keyPrefix starts every API key: shoal_<id>_<secret>.
const keyPrefix = "shoal_"

// newKeyMaterial returns a fresh id (16 hex digits), secret (64 hex
// digits) and salt.
func newKeyMaterial() (id, secret string, salt []byte) {
	b := make([]byte, 8+32+16)
	rand.Read(b)
	return hex.EncodeToString(b[:8]), hex.EncodeToString(b[8:40]), b[40:]
}

func hashSecret(salt []byte, secret string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// parseAPIKey splits shoal_<id>_<secret>.
func parseAPIKey(s string) (id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(s, keyPrefix)
	if !ok {
		return "", "", false
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || len(id) != 16 || len(secret) != 64 || !isHex(id) || !isHex(secret) {
		return "", "", false
	}
	return id, secret, true
}

func isHex(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// CreateAPIKeyInput describes a new key.
type CreateAPIKeyInput struct {
	Name  string
	Roles []string
	// ExpiresAt, when not zero, ends the key's validity.
	ExpiresAt time.Time
}

// CreateAPIKey creates a key and returns it with its full secret form
// (shoal_<id>_<secret>), which is shown once and never stored.
func (s *Service) CreateAPIKey(ctx context.Context, in CreateAPIKeyInput) (*APIKey, string, error) {
	if in.Name == "" {
		in.Name = "key"
	}
	for _, r := range in.Roles {
		if err := validName(r); err != nil {
			return nil, "", err
		}
	}
	id, secret, salt := newKeyMaterial()
	k := &APIKey{ID: id, Name: in.Name, Roles: slices.Clone(in.Roles), CreatedAt: s.now().UTC(),
		CreatedBy: actor(ctx), ExpiresAt: in.ExpiresAt, Salt: salt, Hash: hashSecret(salt, secret)}
	if s.sealer != nil {
		k.Sealed, k.SealedBy = s.sealer.seal(id, secret), s.sealer.id
	}
	if k.Roles == nil {
		k.Roles = []string{}
	}
	if err := s.putKey(ctx, nil, k); err != nil {
		return nil, "", err
	}
	return k, keyPrefix + id + "_" + secret, nil
}

func (s *Service) putKey(ctx context.Context, before, after *APIKey) error {
	id := after.ID
	b, _ := json.Marshal(after)
	if err := s.keys.Put(ctx, []byte(id), b); err != nil {
		return err
	}
	return s.recordChange(ctx, "apikey", id, redact(before), redact(after))
}

// redact drops the hash, salt and sealed secret from a key for history
// records.
func redact(k *APIKey) any {
	if k == nil {
		return nil
	}
	c := *k
	c.Salt, c.Hash, c.Sealed, c.SealedBy = nil, nil, nil, ""
	return c
}

// APIKey returns the key with this id.
func (s *Service) APIKey(ctx context.Context, id string) (*APIKey, error) {
	b, ok, err := s.keys.Get(ctx, []byte(id))
	if err != nil {
		return nil, err
	}
	if !ok {
		s.decoded.Delete(id)
		return nil, ErrNotFound
	}
	if c, ok := s.decoded.Load(id); ok && bytes.Equal(c.(decodedKey).raw, b) {
		k := *c.(decodedKey).key
		return &k, nil
	}
	k := new(APIKey)
	if err := json.Unmarshal(b, k); err != nil {
		return nil, err
	}
	s.decoded.Store(id, decodedKey{raw: b, key: k})
	c := *k
	return &c, nil
}

// decodedKey is a key record and the stored bytes it was decoded from.
type decodedKey struct {
	raw []byte
	key *APIKey
}

// APIKeys lists every key by id. The records hold the hash and the sealed
// secret: callers must not show them.
func (s *Service) APIKeys(ctx context.Context) ([]*APIKey, error) {
	es, err := s.keys.Scan(ctx, nil, nil, 0)
	if err != nil {
		return nil, err
	}
	out := make([]*APIKey, 0, len(es))
	for _, e := range es {
		k := new(APIKey)
		if err := json.Unmarshal(e.Value, k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// SetAPIKeyDisabled disables (or enables again) a key; a disabled key
// fails authentication at once, also on open WebSocket connections at
// their next operation.
func (s *Service) SetAPIKeyDisabled(ctx context.Context, id string, disabled bool) (*APIKey, error) {
	k, err := s.APIKey(ctx, id)
	if err != nil {
		return nil, err
	}
	c := *k
	c.Disabled = disabled
	return &c, s.putKey(ctx, k, &c)
}

// DeleteAPIKey deletes a key.
func (s *Service) DeleteAPIKey(ctx context.Context, id string) error {
	k, err := s.APIKey(ctx, id)
	if err != nil {
		return err
	}
	if err := s.keys.Delete(ctx, []byte(id)); err != nil {
		return err
	}
	return s.recordChange(ctx, "apikey", id, redact(k), nil)
}

// verifyAPIKey checks a presented key; every failure is the same error.
func (s *Service) verifyAPIKey(ctx context.Context, presented string) (*APIKey, error) {
	id, secret, ok := parseAPIKey(presented)
	if !ok {
		return nil, credError("malformed API key")
	}
	k, err := s.APIKey(ctx, id)
	if err == ErrNotFound {
		// Spend the same hash as for a known key.
		hashSecret(make([]byte, 16), secret)
		return nil, credError("unknown API key")
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(hashSecret(k.Salt, secret), k.Hash) != 1 {
		return nil, credError("wrong API key secret")
	}
	if k.Disabled {
		return nil, credError("the API key is disabled")
	}
	if !k.ExpiresAt.IsZero() && !s.now().Before(k.ExpiresAt) {
		return nil, credError("the API key has expired")
	}
	return k, nil
}

// ErrNoSigV4Secret: the API key has no sealed secret the server can open,
// so it cannot authenticate Signature Version 4 requests (it still works
// as a Bearer credential).
var ErrNoSigV4Secret = errors.New("auth: the API key has no Signature Version 4 secret")

// SigV4Credentials returns the secret a Signature Version 4 request signed
// with access key id keyID must be signed with — the key's whole secret
// form, shoal_<id>_<secret>, as createApiKey returned it — and the
// principal the key stands for (source src, request id rid).
//
// A client outside the allow-list is ErrNetworkNotAllowed; an unknown,
// disabled or expired key ErrBadCredentials (every one alike); a key
// created before SigV4 support, or sealed under another signing key,
// ErrNoSigV4Secret with a message saying to create a new key. The caller
// verifies the signature; the secret must not leave the process.
func (s *Service) SigV4Credentials(ctx context.Context, keyID string, src netip.Addr, rid string) (string, *Principal, error) {
	if !s.networkAllowed(src) {
		return "", nil, ErrNetworkNotAllowed
	}
	if len(keyID) != 16 || !isHex(keyID) {
		return "", nil, credError("malformed access key id")
	}
	k, err := s.APIKey(ctx, keyID)
	if err == ErrNotFound {
		return "", nil, credError("unknown API key")
	}
	if err != nil {
		return "", nil, err
	}
	if k.Disabled {
		return "", nil, credError("the API key is disabled")
	}
	if !k.ExpiresAt.IsZero() && !s.now().Before(k.ExpiresAt) {
		return "", nil, credError("the API key has expired")
	}
	if !k.SigV4() {
		return "", nil, fmt.Errorf("%w: this key predates SigV4 support; create a new key", ErrNoSigV4Secret)
	}
	if s.sealer == nil || k.SealedBy != s.sealer.id {
		return "", nil, fmt.Errorf("%w: this key's secret was sealed under another signing key (was %s replaced or lost?); create a new key", ErrNoSigV4Secret, SigningKeyFile)
	}
	secret, err := s.sealer.open(k.ID, k.Sealed)
	if err != nil || len(secret) != 64 || !isHex(secret) || subtle.ConstantTimeCompare(hashSecret(k.Salt, secret), k.Hash) != 1 {
		return "", nil, fmt.Errorf("%w: this key's sealed secret does not open; create a new key", ErrNoSigV4Secret)
	}
	return keyPrefix + k.ID + "_" + secret, &Principal{ID: "key:" + k.ID, Kind: KindAPIKey, Subject: k.ID,
		Roles: slices.Clone(k.Roles), Expires: k.ExpiresAt, Source: src, RequestID: rid}, nil
}
