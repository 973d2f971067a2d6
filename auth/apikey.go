package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// APIKey is a stored API key. The secret is never stored: only a salted
// SHA-256 hash of it.
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
}

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

// redact drops the hash and salt from a key for history records.
func redact(k *APIKey) any {
	if k == nil {
		return nil
	}
	c := *k
	c.Salt, c.Hash = nil, nil
	return c
}

// APIKey returns the key with this id.
func (s *Service) APIKey(ctx context.Context, id string) (*APIKey, error) {
	b, ok, err := s.keys.Get(ctx, []byte(id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotFound
	}
	k := new(APIKey)
	if err := json.Unmarshal(b, k); err != nil {
		return nil, err
	}
	return k, nil
}

// APIKeys lists every key (without secrets), by id.
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
