package engine

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/shoaldb/shoal/engine/internal/kv"
)

// RotateEncryptionKey changes the master key of the closed database in dir
// from oldKey to newKey, offline: the data keys stored in the key registry
// are decrypted with oldKey and written back encrypted with newKey, in one
// atomic file replacement; the data files, encrypted with the data keys,
// are not rewritten, so rotation takes milliseconds whatever the size of
// the database. An empty oldKey turns encryption on for data keys created
// from now on (existing files stay unencrypted); an empty newKey is refused,
// since it would leave the data keys in clear.
//
// The procedure: stop the server (the database must not be open in any
// process), run `shoal rotate-key -data DIR -old-key-file OLD -new-key-file
// NEW`, start the server with -encryption-key-file NEW, then destroy OLD.
// A wrong oldKey fails with CodeAccessDenied and changes nothing.
func RotateEncryptionKey(dir string, oldKey, newKey []byte) error {
	if len(newKey) == 0 {
		return errorf(CodeValidation, "rotate: the new key is empty")
	}
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST")); err != nil {
		return errorf(CodeValidation, "rotate: %s is not a database directory", dir)
	}
	err := kv.RotateKey(dir, oldKey, newKey)
	switch {
	case errors.Is(err, kv.ErrEncryptionKey):
		return &Error{Code: CodeAccessDenied, Message: "rotate: the old key does not match the data", err: err}
	case errors.Is(err, kv.ErrInvalidKey):
		return &Error{Code: CodeValidation, Message: "rotate: " + err.Error(), err: err}
	case err != nil:
		return internalError("rotate", err)
	}
	return nil
}
