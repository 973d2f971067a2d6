package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/auth"
)

// TestSigningKeyFile: created once with mode 0600, read back the same;
// wrapped under a master key it is unreadable without it, and re-wrapping
// moves it to a new master key.
func TestSigningKeyFile(t *testing.T) {
	dir := t.TempDir()
	k, err := auth.LoadSigningKey(dir, nil)
	require.NoError(t, err)
	require.Len(t, k, auth.SigningKeySize)
	fi, err := os.Stat(filepath.Join(dir, auth.SigningKeyFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	k2, err := auth.LoadSigningKey(dir, nil)
	require.NoError(t, err)
	assert.Equal(t, k, k2, "the second start reads the same key")

	// With encryption at rest the file is wrapped (in place for a plain one).
	m1, m2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16)
	k3, err := auth.LoadSigningKey(dir, m1)
	require.NoError(t, err)
	assert.Equal(t, k, k3)
	raw, err := os.ReadFile(filepath.Join(dir, auth.SigningKeyFile))
	require.NoError(t, err)
	assert.False(t, bytes.Contains(raw, k), "the wrapped file does not hold the key in clear")
	fi, err = os.Stat(filepath.Join(dir, auth.SigningKeyFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	_, err = auth.LoadSigningKey(dir, nil)
	assert.ErrorIs(t, err, auth.ErrSigningKey, "no master key")
	_, err = auth.LoadSigningKey(dir, m2)
	assert.ErrorIs(t, err, auth.ErrSigningKey, "another master key")

	require.NoError(t, auth.RewrapSigningKey(dir, m1, m2))
	k4, err := auth.ReadSigningKey(dir, m2)
	require.NoError(t, err)
	assert.Equal(t, k, k4)
	_, err = auth.ReadSigningKey(dir, m1)
	assert.ErrorIs(t, err, auth.ErrSigningKey)
	require.NoError(t, auth.RewrapSigningKey(t.TempDir(), m1, m2), "no file, nothing to do")

	// A fresh wrapped key.
	d2 := t.TempDir()
	k5, err := auth.LoadSigningKey(d2, m1)
	require.NoError(t, err)
	k6, err := auth.LoadSigningKey(d2, m1)
	require.NoError(t, err)
	assert.Equal(t, k5, k6)
}

// TestSigV4Credentials: a key made with a signing key yields its secret
// form for Signature Version 4; one made without (before SigV4 support)
// is refused with a clear message but still works as a Bearer credential;
// disabled, deleted and unknown keys are bad credentials; nothing of the
// secret reaches the policy history.
func TestSigV4Credentials(t *testing.T) {
	ctx := context.Background()
	sk := bytes.Repeat([]byte{7}, 32)
	svc, db := openService(t, auth.Options{})
	old, oldSecret, err := svc.CreateAPIKey(ctx, auth.CreateAPIKeyInput{Name: "old"})
	require.NoError(t, err)
	require.False(t, old.SigV4())
	require.NoError(t, svc.Close())

	svc, err = auth.Open(db, auth.Options{SigningKey: sk})
	require.NoError(t, err)
	t.Cleanup(func() { svc.Close() })
	k, secret, err := svc.CreateAPIKey(ctx, auth.CreateAPIKeyInput{Name: "new", Roles: []string{"r"}})
	require.NoError(t, err)
	require.True(t, k.SigV4())
	assert.False(t, bytes.Contains(k.Sealed, []byte(secret[len("shoal_")+17:])), "sealed, not in clear")

	got, p, err := svc.SigV4Credentials(ctx, k.ID, local, "rid")
	require.NoError(t, err)
	assert.Equal(t, secret, got, "the SigV4 secret is the key's secret form")
	assert.Equal(t, "key:"+k.ID, p.ID)
	assert.Equal(t, []string{"r"}, p.Roles)
	assert.Equal(t, "rid", p.RequestID)

	_, _, err = svc.SigV4Credentials(ctx, old.ID, local, "")
	require.ErrorIs(t, err, auth.ErrNoSigV4Secret)
	assert.Contains(t, err.Error(), "this key predates SigV4 support; create a new key")
	_, err = svc.Authenticate(ctx, oldSecret, local)
	assert.NoError(t, err, "an old key still works as a Bearer credential")

	_, _, err = svc.SigV4Credentials(ctx, "0123456789abcdef", local, "")
	assert.ErrorIs(t, err, auth.ErrBadCredentials)
	_, _, err = svc.SigV4Credentials(ctx, "not-a-key-id", local, "")
	assert.ErrorIs(t, err, auth.ErrBadCredentials)

	_, err = svc.SetAPIKeyDisabled(ctx, k.ID, true)
	require.NoError(t, err)
	_, _, err = svc.SigV4Credentials(ctx, k.ID, local, "")
	assert.ErrorIs(t, err, auth.ErrBadCredentials)
	_, err = svc.SetAPIKeyDisabled(ctx, k.ID, false)
	require.NoError(t, err)

	// Under another signing key the sealed secret cannot be used.
	other, err := auth.Open(db, auth.Options{SigningKey: bytes.Repeat([]byte{8}, 32)})
	require.NoError(t, err)
	_, _, err = other.SigV4Credentials(ctx, k.ID, local, "")
	require.ErrorIs(t, err, auth.ErrNoSigV4Secret)
	assert.Contains(t, err.Error(), "another signing key")
	require.NoError(t, other.Close())

	// Neither the hash nor the sealed secret is in the policy history.
	hist, err := svc.PolicyHistory(ctx, k.ID)
	require.NoError(t, err)
	require.NotEmpty(t, hist)
	b, _ := json.Marshal(hist)
	assert.NotContains(t, string(b), "sealed")
	assert.NotContains(t, strings.ToLower(string(b)), `"hash":"`)

	require.NoError(t, svc.DeleteAPIKey(ctx, k.ID))
	_, _, err = svc.SigV4Credentials(ctx, k.ID, local, "")
	assert.True(t, errors.Is(err, auth.ErrBadCredentials))

	_, err = auth.Open(db, auth.Options{SigningKey: []byte("short")})
	assert.Error(t, err)
}
