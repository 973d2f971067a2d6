package dynamodbapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Credentials looks up the secret of an access key id. The DynamoDB API
// authenticates every request with AWS Signature Version 4: the access key
// id of the signature is a Shoal API key id, its secret the key's secret.
//
// SecretFor is called once per request, concurrently from many goroutines.
// It returns the secret and the principal the key stands for (handed to the
// Authorizer as it is), or ErrUnknownKey when there is no such key (the
// request fails with UnrecognizedClientException); any other error fails
// the request with InternalServerError.
type Credentials interface {
	SecretFor(ctx context.Context, accessKeyID string) (secret string, principal any, err error)
}

// AuthFailureObserver may be implemented by Credentials to learn of every
// request refused by authentication (for an audit log): op is the
// operation asked for, e the error sent back. Requests without any
// Authorization header are not reported.
type AuthFailureObserver interface {
	AuthFailed(ctx context.Context, op string, e *Error)
}

// ErrUnknownKey is what Credentials.SecretFor returns for an access key id
// it does not know (or a key that was revoked).
var ErrUnknownKey = errors.New("dynamodbapi: unknown access key id")

// StaticCredentials is an in-memory Credentials: access key id → secret.
// The principal of a key is its access key id. It is for tests and for
// single-user deployments; servers use AuthService (package auth's API keys).
type StaticCredentials map[string]string

// SecretFor implements Credentials.
func (c StaticCredentials) SecretFor(_ context.Context, id string) (string, any, error) {
	s, ok := c[id]
	if !ok {
		return "", nil, ErrUnknownKey
	}
	return s, id, nil
}

// maxClockSkew is how far a request's X-Amz-Date may be from the server's
// clock, as AWS allows.
const maxClockSkew = 15 * time.Minute

const (
	sigAlgorithm = "AWS4-HMAC-SHA256"
	amzDate      = "20060102T150405Z"
)

// sigV4 is a parsed Authorization header.
type sigV4 struct {
	accessKey     string
	date          string // yyyymmdd of the credential scope
	region        string
	service       string
	signedHeaders []string
	signature     string
}

func parseAuthorization(h string) (*sigV4, *Error) {
	alg, rest, ok := strings.Cut(h, " ")
	if !ok || alg != sigAlgorithm {
		return nil, incompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + h)
	}
	s := &sigV4{}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return nil, incompleteSignature("Credential should be scoped to a valid region, not correctly formed: " + v)
			}
			s.accessKey, s.date, s.region, s.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			s.signedHeaders = strings.Split(v, ";")
		case "Signature":
			s.signature = v
		}
	}
	if s.accessKey == "" || len(s.signedHeaders) == 0 || s.signature == "" {
		return nil, incompleteSignature("Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=" + h)
	}
	return s, nil
}

// authenticate verifies the request's Signature Version 4 and returns the
// access key id and the principal it stands for.
func (h *Handler) authenticate(r *http.Request, body []byte, now time.Time) (string, any, *Error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return "", nil, errMissingAuth()
	}
	sig, aerr := parseAuthorization(auth)
	if aerr != nil {
		return "", nil, aerr
	}
	dateHdr := r.Header.Get("X-Amz-Date")
	t, err := time.Parse(amzDate, dateHdr)
	if err != nil {
		return "", nil, incompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	switch {
	case t.Before(now.Add(-maxClockSkew)):
		return "", nil, invalidSignature("Signature expired: " + dateHdr + " is now earlier than " + now.Add(-maxClockSkew).UTC().Format(amzDate) + " (" + now.UTC().Format(amzDate) + " - 15 min.)")
	case t.After(now.Add(maxClockSkew)):
		return "", nil, invalidSignature("Signature not yet current: " + dateHdr + " is still later than " + now.Add(maxClockSkew).UTC().Format(amzDate) + " (" + now.UTC().Format(amzDate) + " + 15 min.)")
	}
	if sig.date != dateHdr[:8] {
		return "", nil, invalidSignature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" + sig.date + "' != '" + dateHdr[:8] + "', from '" + dateHdr + "'.")
	}
	if sig.service != "dynamodb" {
		return "", nil, invalidSignature("Credential should be scoped to correct service: 'dynamodb'. ")
	}
	if !slices.Contains(sig.signedHeaders, "host") {
		return "", nil, invalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if ph := r.Header.Get("X-Amz-Content-Sha256"); ph != "" && ph != payloadHash {
		return "", nil, invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	secret, principal, err := h.opts.Credentials.SecretFor(r.Context(), sig.accessKey)
	if errors.Is(err, ErrUnknownKey) {
		return "", nil, errUnrecognizedClient()
	}
	if err != nil {
		return "", nil, asError(err)
	}
	want := signature(secret, sig, stringToSign(dateHdr, sig, canonicalRequest(r, sig.signedHeaders, payloadHash)))
	got, err := hex.DecodeString(sig.signature)
	if err != nil || !hmac.Equal(got, want) {
		return "", nil, errBadSignature()
	}
	return sig.accessKey, principal, nil
}

// canonicalRequest builds Signature Version 4's canonical request.
func canonicalRequest(r *http.Request, signed []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL))
	b.WriteByte('\n')
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// headerValue is a signed header's canonical value: its values joined by
// commas, each trimmed with inner runs of spaces collapsed.
func headerValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = r.Header.Values("Content-Length")
		if len(vals) == 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		vals = r.Header.Values(name)
	}
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

// canonicalURI is the path, each segment URI-encoded once more (the rule
// for every service but S3).
func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = uriEncode(s)
	}
	return strings.Join(segs, "/")
}

func canonicalQuery(u *url.URL) string {
	q := u.Query()
	pairs := make([]string, 0, len(q))
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, uriEncode(k)+"="+uriEncode(v))
		}
	}
	slices.Sort(pairs)
	return strings.Join(pairs, "&")
}

// uriEncode percent-encodes every byte but the unreserved characters of
// RFC 3986, as Signature Version 4 asks.
func uriEncode(s string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}

func stringToSign(date string, sig *sigV4, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return sigAlgorithm + "\n" + date + "\n" + sig.date + "/" + sig.region + "/" + sig.service + "/aws4_request\n" + hex.EncodeToString(sum[:])
}

// signature derives the signing key from the secret and the credential
// scope and signs the string to sign with it.
func signature(secret string, sig *sigV4, toSign string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), sig.date)
	k = hmacSHA256(k, sig.region)
	k = hmacSHA256(k, sig.service)
	k = hmacSHA256(k, "aws4_request")
	return hmacSHA256(k, toSign)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
