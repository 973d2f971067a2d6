package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strings"
	"time"
)

// JWTOptions configures bearer-token authentication. With neither
// HS256Secret nor JWKS set, JWTs are not accepted.
type JWTOptions struct {
	// HS256Secret verifies HS256 tokens (at least 32 bytes).
	HS256Secret []byte
	// JWKS holds the public keys that verify RS256 (kty RSA) and ES256
	// (kty EC, crv P-256) tokens; load it with LoadJWKS.
	JWKS *JWKS
	// Issuer, when set, must equal the iss claim.
	Issuer string
	// Audience, when set, must be (or be in) the aud claim.
	Audience string
	// RolesClaim names the claim that lists the user's groups (a string or
	// an array of strings); default "groups".
	RolesClaim string
	// Leeway tolerates clock skew in exp and nbf; default 30 s.
	Leeway time.Duration
}

func (o *JWTOptions) enabled() bool {
	return len(o.HS256Secret) > 0 || o.JWKS != nil && len(o.JWKS.keys) > 0
}

// JWKS is a set of public keys (RFC 7517).
type JWKS struct {
	keys []jwk
}

type jwk struct {
	kid string
	alg string // RS256 or ES256: the only algorithm the key verifies
	rsa *rsa.PublicKey
	ec  *ecdsa.PublicKey
}

// LoadJWKS reads a JWKS file.
func LoadJWKS(path string) (*JWKS, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: read JWKS: %w", err)
	}
	return ParseJWKS(b)
}

// ParseJWKS parses a JWKS document. RSA keys verify RS256, EC P-256 keys
// ES256; other keys are refused (so that a key is never used with an
// algorithm it was not meant for).
func ParseJWKS(b []byte) (*JWKS, error) {
	var doc struct {
		Keys []struct {
			Kty, Kid, Alg, Use, Crv string
			N, E, X, Y              string
		} `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("auth: parse JWKS: %w", err)
	}
	set := &JWKS{}
	for i, k := range doc.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		switch k.Kty {
		case "RSA":
			if k.Alg != "" && k.Alg != "RS256" {
				return nil, fmt.Errorf("auth: JWKS key %d: RSA keys verify RS256 only, not %s", i, k.Alg)
			}
			n, err1 := b64int(k.N)
			e, err2 := b64int(k.E)
			if err1 != nil || err2 != nil || !e.IsInt64() || n.BitLen() < 2048 {
				return nil, fmt.Errorf("auth: JWKS key %d: invalid RSA key (at least 2048 bits)", i)
			}
			set.keys = append(set.keys, jwk{kid: k.Kid, alg: "RS256", rsa: &rsa.PublicKey{N: n, E: int(e.Int64())}})
		case "EC":
			if k.Crv != "P-256" || k.Alg != "" && k.Alg != "ES256" {
				return nil, fmt.Errorf("auth: JWKS key %d: EC keys must be P-256 for ES256", i)
			}
			x, err1 := b64int(k.X)
			y, err2 := b64int(k.Y)
			var pub *ecdsa.PublicKey
			if err1 == nil && err2 == nil {
				pub, err1 = p256Key(x, y)
			}
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("auth: JWKS key %d: invalid EC key", i)
			}
			set.keys = append(set.keys, jwk{kid: k.Kid, alg: "ES256", ec: pub})
		default:
			return nil, fmt.Errorf("auth: JWKS key %d: unsupported key type %q", i, k.Kty)
		}
	}
	return set, nil
}

// p256Key returns the P-256 public key at (x, y), or an error when that is
// not a point of the curve (a coordinate out of the field, or the point at
// infinity).
func p256Key(x, y *big.Int) (*ecdsa.PublicKey, error) {
	if x.BitLen() > 256 || y.BitLen() > 256 {
		return nil, errors.New("coordinate out of range")
	}
	b := make([]byte, 65) // uncompressed: 0x04 X Y
	b[0] = 4
	x.FillBytes(b[1:33])
	y.FillBytes(b[33:])
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), b)
}

func b64int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errors.New("bad base64url integer")
	}
	return new(big.Int).SetBytes(b), nil
}

// claims are the verified claims of a token.
type claims struct {
	sub    string
	groups []string
	exp    time.Time
}

// verifyJWT checks a compact JWS: the algorithm is taken from the header
// but must be one the configured keys support (HS256 with the secret,
// RS256/ES256 with a JWKS key of that type); "none" and any other algorithm
// are refused, so an HS256 token can never be checked against an RSA public
// key. Then iss, aud, exp (required), nbf and sub (required).
func verifyJWT(o *JWTOptions, token string, now time.Time) (*claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, credError("malformed token")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, credError("malformed token header")
	}
	var hdr struct {
		Alg  string   `json:"alg"`
		Kid  string   `json:"kid"`
		Crit []string `json:"crit"`
	}
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, credError("malformed token header")
	}
	if len(hdr.Crit) > 0 {
		return nil, credError("unsupported critical header")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, credError("malformed signature")
	}
	signed := []byte(parts[0] + "." + parts[1])
	digest := sha256.Sum256(signed)
	switch hdr.Alg {
	case "HS256":
		if len(o.HS256Secret) == 0 {
			return nil, credError("HS256 tokens are not accepted")
		}
		mac := hmac.New(sha256.New, o.HS256Secret)
		mac.Write(signed)
		if !hmac.Equal(mac.Sum(nil), sig) {
			return nil, credError("bad signature")
		}
	case "RS256", "ES256":
		if o.JWKS == nil || !o.JWKS.verify(hdr.Alg, hdr.Kid, digest[:], sig) {
			return nil, credError("bad signature")
		}
	default:
		return nil, credError("algorithm %q is not accepted", hdr.Alg)
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, credError("malformed token payload")
	}
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(pb)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, credError("malformed token payload")
	}
	leeway := o.Leeway
	if leeway == 0 {
		leeway = 30 * time.Second
	}
	if o.Issuer != "" {
		if iss, _ := m["iss"].(string); iss != o.Issuer {
			return nil, credError("wrong issuer")
		}
	}
	if o.Audience != "" {
		ok := false
		switch aud := m["aud"].(type) {
		case string:
			ok = aud == o.Audience
		case []any:
			ok = slices.Contains(aud, any(o.Audience))
		}
		if !ok {
			return nil, credError("wrong audience")
		}
	}
	exp, ok := numericDate(m["exp"])
	if !ok {
		return nil, credError("the token has no expiry")
	}
	if !now.Before(exp.Add(leeway)) {
		return nil, credError("the token has expired")
	}
	if nbf, ok := numericDate(m["nbf"]); ok && now.Add(leeway).Before(nbf) {
		return nil, credError("the token is not valid yet")
	} else if !ok && m["nbf"] != nil {
		return nil, credError("malformed nbf")
	}
	sub, _ := m["sub"].(string)
	if sub == "" {
		return nil, credError("the token has no subject")
	}
	c := &claims{sub: sub, exp: exp}
	name := o.RolesClaim
	if name == "" {
		name = "groups"
	}
	switch g := m[name].(type) {
	case string:
		c.groups = strings.Fields(g)
	case []any:
		for _, v := range g {
			if s, ok := v.(string); ok {
				c.groups = append(c.groups, s)
			}
		}
	}
	return c, nil
}

func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, int64(f*1e9)), true
}

func (s *JWKS) verify(alg, kid string, digest, sig []byte) bool {
	for _, k := range s.keys {
		if k.alg != alg || kid != "" && k.kid != "" && k.kid != kid {
			continue
		}
		switch {
		case k.rsa != nil:
			if rsa.VerifyPKCS1v15(k.rsa, crypto.SHA256, digest, sig) == nil {
				return true
			}
		case k.ec != nil:
			if len(sig) != 64 {
				continue
			}
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			if ecdsa.Verify(k.ec, digest, r, s) {
				return true
			}
		}
	}
	return false
}
