package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
)

// TestEncryptionAtRest writes recognisable plaintext through every path that
// stores data (item, index entry, change record, catalog, Meta) and checks
// that no file of the directory holds it, then that a wrong or missing key
// is a clear error and that rotation works.
func TestEncryptionAtRest(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{7}, 32)
	ctx := context.Background()
	const secret = "PLAINTEXT-MARKER-4711"
	open := func(k []byte) (*DB, error) {
		return Open(Options{Dir: dir, EncryptionKey: k, NoSync: true})
	}
	db, err := open(key)
	require.NoError(t, err)
	createTable(t, db, TableSpec{
		Name: "Secret" + "Table", KeySchema: hashKey("id", attr.TypeS), StreamView: StreamNewAndOldImage,
		GlobalIndexes: []IndexSpec{{Name: "byNote", KeySchema: hashKey("note", attr.TypeS)}},
	})
	for i := range 200 {
		_, err := db.PutItem(ctx, PutItemInput{Table: "SecretTable", Item: attr.Item{
			"id": attr.S(secret + "-id-" + string(rune('a'+i%26)) + strings.Repeat("x", i%7)), "note": attr.S(secret + "-note"),
		}})
		require.NoError(t, err)
	}
	m, err := db.Meta("auth.audit")
	require.NoError(t, err)
	require.NoError(t, m.Put(ctx, []byte(secret+"-meta"), []byte(secret+"-audit")))
	require.NoError(t, db.Close())

	files := 0
	require.NoError(t, filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		files++
		assert.False(t, bytes.Contains(b, []byte("PLAINTEXT-MARKER")), "%s holds plaintext", path)
		assert.False(t, bytes.Contains(b, []byte("SecretTable")), "%s holds a table name", path)
		return nil
	}))
	require.Positive(t, files)

	// Wrong or missing key: a clear error, nothing changed.
	_, err = open(bytes.Repeat([]byte{8}, 32))
	require.Error(t, err)
	assert.Equal(t, CodeAccessDenied, CodeOf(err))
	assert.Contains(t, err.Error(), "encryption key")
	_, err = open(nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "encryption key")
	_, err = open([]byte("short"))
	assert.Equal(t, CodeValidation, CodeOf(err))

	// Rotation: the old key stops working, the new one reads everything.
	newKey := bytes.Repeat([]byte{9}, 32)
	assert.Equal(t, CodeAccessDenied, CodeOf(RotateEncryptionKey(dir, bytes.Repeat([]byte{1}, 32), newKey)), "wrong old key")
	require.NoError(t, RotateEncryptionKey(dir, key, newKey))
	_, err = open(key)
	require.Error(t, err, "the old key no longer opens the database")
	db, err = open(newKey)
	require.NoError(t, err)
	page, err := db.Query(ctx, QueryInput{Table: "SecretTable", Index: "byNote",
		KeyCondition: &expr.KeyCondition{PartitionName: "note", PartitionValue: attr.S(secret + "-note")}})
	require.NoError(t, err)
	assert.Len(t, page.Items, 182, "i%26 and i%7 make 182 distinct keys")
	m2, err := db.Meta("auth.audit")
	require.NoError(t, err)
	v, ok, err := m2.Get(ctx, []byte(secret+"-meta"))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, secret+"-audit", string(v))
	require.NoError(t, db.Close())
}
