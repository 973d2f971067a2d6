package auth

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SigningKeyFile is the name of the signing key's file in the data
// directory (see LoadSigningKey).
const SigningKeyFile = "signing-key"

// SigningKeySize is the size of the signing key: an AES-256 key.
const SigningKeySize = 32

// The signing key file is either the 32 raw bytes of the key (encryption at
// rest off) or, wrapped under the master key, wrappedMagic, a 12-byte
// nonce and the AES-256-GCM sealing of the key under
// HKDF-SHA256(master key, info wrapLabel).
var wrappedMagic = []byte("shoal-signing-key/wrapped/v1\n")

const (
	wrapLabel = "shoal signing-key wrap v1"
	sealLabel = "shoal api-key secret v1" // the AAD prefix of sealed secrets
	idLabel   = "shoal signing-key id v1"
)

// ErrSigningKey: the signing key file is unreadable with the key given
// (wrapped under another master key, or damaged).
var ErrSigningKey = errors.New("auth: cannot read the signing key")

// LoadSigningKey returns the server's signing key, the key API key secrets
// are sealed under for Signature Version 4 (see APIKey.Sealed). It lives in
// dir/signing-key, never in the database, so that the database's files,
// its backups and its exports hold no usable secret. On the first start
// the file is created with 32 random bytes and mode 0600.
//
// With encryption at rest (master not nil) the file holds the key wrapped
// (AES-256-GCM) under a key derived from the master key with HKDF-SHA256
// and a fixed label, so a stolen data directory without the master key
// reveals nothing; a plain file found then is wrapped in place. A wrapped
// file without the master key, or with another one, is ErrSigningKey.
func LoadSigningKey(dir string, master []byte) ([]byte, error) {
	key, wrapped, err := readSigningKey(dir, master)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, SigningKeySize)
		rand.Read(key)
		if err := WriteSigningKey(dir, key, master, false); err != nil {
			return nil, err
		}
		return key, nil
	}
	if err != nil {
		return nil, err
	}
	if master != nil && !wrapped {
		if err := WriteSigningKey(dir, key, master, true); err != nil {
			return nil, err
		}
	}
	return key, nil
}

// ReadSigningKey reads dir/signing-key, unwrapping it with master when it
// is wrapped. A missing file is an error wrapping fs.ErrNotExist.
func ReadSigningKey(dir string, master []byte) ([]byte, error) {
	k, _, err := readSigningKey(dir, master)
	return k, err
}

func readSigningKey(dir string, master []byte) (key []byte, wrapped bool, err error) {
	path := filepath.Join(dir, SigningKeyFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false, err
	}
	if rest, ok := bytes.CutPrefix(b, wrappedMagic); ok {
		if master == nil {
			return nil, true, fmt.Errorf("%w: %s is wrapped under the master key: give -encryption-key-file", ErrSigningKey, path)
		}
		aead := wrapAEAD(master)
		if len(rest) < aead.NonceSize() {
			return nil, true, fmt.Errorf("%w: %s is damaged", ErrSigningKey, path)
		}
		key, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], wrappedMagic)
		if err != nil || len(key) != SigningKeySize {
			return nil, true, fmt.Errorf("%w: %s was wrapped under another master key, or is damaged", ErrSigningKey, path)
		}
		return key, true, nil
	}
	if len(b) != SigningKeySize {
		return nil, false, fmt.Errorf("%w: %s must hold %d bytes", ErrSigningKey, path, SigningKeySize)
	}
	return b, false, nil
}

// WriteSigningKey writes key to dir/signing-key (mode 0600), wrapped under
// master when master is not nil. It replaces an existing file atomically
// only when replace is true; otherwise an existing file is an error.
func WriteSigningKey(dir string, key, master []byte, replace bool) error {
	if len(key) != SigningKeySize {
		return fmt.Errorf("auth: a signing key has %d bytes", SigningKeySize)
	}
	data := key
	if master != nil {
		aead := wrapAEAD(master)
		nonce := make([]byte, aead.NonceSize())
		rand.Read(nonce)
		data = append(append(bytes.Clone(wrappedMagic), nonce...), aead.Seal(nil, nonce, key, wrappedMagic)...)
	}
	path := filepath.Join(dir, SigningKeyFile)
	if !replace {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("auth: create the signing key: %w", err)
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			os.Remove(path)
			return fmt.Errorf("auth: write the signing key: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			os.Remove(path)
			return fmt.Errorf("auth: write the signing key: %w", err)
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(dir, SigningKeyFile+".tmp*")
	if err != nil {
		return fmt.Errorf("auth: write the signing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("auth: write the signing key: %w", err)
	}
	return nil
}

// RewrapSigningKey re-wraps dir/signing-key from the old master key to the
// new one (for `shoal rotate-key`); a missing file is no error.
func RewrapSigningKey(dir string, oldMaster, newMaster []byte) error {
	key, err := ReadSigningKey(dir, oldMaster)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return WriteSigningKey(dir, key, newMaster, true)
}

// wrapAEAD is the AES-256-GCM of the key-wrapping key derived from master.
func wrapAEAD(master []byte) cipher.AEAD {
	kek, err := hkdf.Key(sha256.New, master, nil, wrapLabel, 32)
	if err != nil {
		panic(err) // only for lengths out of range, which 32 is not
	}
	return newGCM(kek)
}

func newGCM(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return g
}

// sealer seals API key secrets under the signing key.
type sealer struct {
	aead cipher.AEAD
	id   string // the key's public fingerprint, stored beside each sealing
}

func newSealer(key []byte) (*sealer, error) {
	if key == nil {
		return nil, nil
	}
	if len(key) != SigningKeySize {
		return nil, fmt.Errorf("auth: Options.SigningKey must be %d bytes", SigningKeySize)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(idLabel))
	return &sealer{aead: newGCM(key), id: hex.EncodeToString(m.Sum(nil)[:8])}, nil
}

// aad binds a sealing to its key id, so that a sealed secret copied onto
// another key record does not open.
func sealAAD(keyID string) []byte { return []byte(sealLabel + "\x00" + keyID) }

func (s *sealer) seal(keyID, secret string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return append(nonce, s.aead.Seal(nil, nonce, []byte(secret), sealAAD(keyID))...)
}

func (s *sealer) open(keyID string, sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("sealed secret too short")
	}
	b, err := s.aead.Open(nil, sealed[:n], sealed[n:], sealAAD(keyID))
	if err != nil {
		return "", err
	}
	return string(b), nil
}
