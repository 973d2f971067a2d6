package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/shoaldb/shoal/engine/internal/kv"
)

// Meta is a namespaced key-value space for the system state of packages
// built on the engine (API keys, policies, the audit log): small records
// that live in the same Badger as the data, so they share its durability,
// its encryption at rest and its backups, and never mix with table data.
//
// Keys are stored as 0x00 'S' len(namespace) namespace key, so namespaces
// cannot overlap and a Scan never leaves its namespace. Values are opaque
// bytes. A Meta is safe for concurrent use; get one with DB.Meta.
type Meta struct {
	db     *DB
	prefix []byte
}

// MetaEntry is one key and value of a Meta space.
type MetaEntry struct {
	Key   []byte
	Value []byte
}

// MaxMetaNamespace is the longest namespace, in bytes.
const MaxMetaNamespace = 255

// Meta returns the key-value space named namespace (1 to 255 bytes).
func (db *DB) Meta(namespace string) (*Meta, error) {
	if len(namespace) == 0 || len(namespace) > MaxMetaNamespace {
		return nil, errorf(CodeValidation, "meta namespace must be 1 to %d bytes", MaxMetaNamespace)
	}
	p := append([]byte{spaceSystem, sysMeta, byte(len(namespace))}, namespace...)
	return &Meta{db: db, prefix: p}, nil
}

func (m *Meta) key(k []byte) []byte {
	return append(append(make([]byte, 0, len(m.prefix)+len(k)), m.prefix...), k...)
}

// Get returns a copy of the value of key and whether it exists.
func (m *Meta) Get(ctx context.Context, key []byte) (val []byte, ok bool, err error) {
	err = m.db.view(func(tx *kv.Txn) error {
		val, ok, err = metaGet(tx, m.key(key))
		return err
	})
	return val, ok, err
}

func metaGet(tx *kv.Txn, key []byte) ([]byte, bool, error) {
	var val []byte
	err := tx.Get(key, func(v []byte) error {
		val = append([]byte{}, v...)
		return nil
	})
	if errors.Is(err, kv.ErrNotFound) {
		return nil, false, nil
	}
	return val, err == nil, err
}

// Put stores val under key, durably (as every engine write). The slices are
// copied.
func (m *Meta) Put(ctx context.Context, key, val []byte) error {
	return m.Update(ctx, func(tx *MetaTxn) error { return tx.Put(key, val) })
}

// Delete removes key; deleting an absent key succeeds.
func (m *Meta) Delete(ctx context.Context, key []byte) error {
	return m.Update(ctx, func(tx *MetaTxn) error { return tx.Delete(key) })
}

// Scan returns, in ascending key order, up to limit entries (every entry
// when limit ≤ 0) whose keys start with prefix and sort after `after` (nil:
// from the first). The entries are copies.
func (m *Meta) Scan(ctx context.Context, prefix, after []byte, limit int) ([]MetaEntry, error) {
	var out []MetaEntry
	err := m.db.view(func(tx *kv.Txn) (err error) {
		out, err = m.scan(ctx, tx, prefix, after, limit, false)
		return err
	})
	return out, err
}

// ScanReverse is Scan in descending key order: entries that sort before
// `before` (nil: from the last).
func (m *Meta) ScanReverse(ctx context.Context, prefix, before []byte, limit int) ([]MetaEntry, error) {
	var out []MetaEntry
	err := m.db.view(func(tx *kv.Txn) (err error) {
		out, err = m.scan(ctx, tx, prefix, before, limit, true)
		return err
	})
	return out, err
}

func (m *Meta) scan(ctx context.Context, tx *kv.Txn, prefix, from []byte, limit int, reverse bool) ([]MetaEntry, error) {
	p := m.key(prefix)
	it := tx.Iterate(kv.IterOptions{Prefix: p, Reverse: reverse, PrefetchValues: true})
	defer it.Close()
	switch {
	case from == nil && !reverse:
		it.Seek(p)
	case from == nil:
		if end := prefixEnd(p); end != nil {
			it.Seek(end)
		} else {
			it.Seek(append(append([]byte(nil), p...), 0xFF, 0xFF, 0xFF, 0xFF))
		}
	default:
		it.Seek(m.key(from))
	}
	var out []MetaEntry
	for ; it.Valid(); it.Next() {
		k := it.Key()[len(m.prefix):]
		if from != nil && bytes.Equal(k, from) {
			continue
		}
		if reverse && from == nil && !bytes.HasPrefix(it.Key(), p) {
			continue
		}
		if limit > 0 && len(out) == limit {
			break
		}
		if len(out)%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		e := MetaEntry{Key: append([]byte(nil), k...)}
		if err := it.Value(func(v []byte) error { e.Value = append([]byte{}, v...); return nil }); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// MetaTxn is a read-write transaction over one Meta space, for
// read-modify-write sequences such as appending to a hash chain. It is not
// safe for concurrent use and is valid only inside the Update call.
type MetaTxn struct {
	m  *Meta
	tx *wtx
}

// Update runs fn in one serializable transaction and commits what it wrote
// when fn returns nil. Keys read with Get are checked for conflicts: when a
// concurrent Update wrote one of them first, fn runs again (so it must
// depend only on what it reads and captures). An error from fn discards
// every write and is returned as it is.
func (m *Meta) Update(ctx context.Context, fn func(tx *MetaTxn) error) error {
	return m.db.update(ctx, func(tx *wtx) error { return fn(&MetaTxn{m: m, tx: tx}) })
}

// Get returns a copy of the value of key and whether it exists, registering
// the read for conflict detection.
func (t *MetaTxn) Get(key []byte) ([]byte, bool, error) { return metaGet(t.tx.Txn, t.m.key(key)) }

// Put stores val under key; the slices are copied.
func (t *MetaTxn) Put(key, val []byte) error {
	return t.tx.Set(t.m.key(key), append([]byte{}, val...))
}

// Delete removes key.
func (t *MetaTxn) Delete(key []byte) error { return t.tx.Delete(t.m.key(key)) }

// Scan is Meta.Scan inside the transaction (the reads are not registered
// for conflict detection).
func (t *MetaTxn) Scan(ctx context.Context, prefix, after []byte, limit int) ([]MetaEntry, error) {
	return t.m.scan(ctx, t.tx.Txn, prefix, after, limit, false)
}

// TableVersion is one stored version of a table's definition.
type TableVersion struct {
	TableDescription
	// Deleted is set on the last version of a deleted table.
	Deleted bool
}

// TableHistory returns every version of every table that has had this name,
// oldest first: each CreateTable, UpdateTable, index state change and
// DeleteTable stored a new version. A table deleted and created again
// appears as two runs of versions with different IDs. CodeNotFound when no
// table ever had the name.
func (db *DB) TableHistory(ctx context.Context, name string) ([]TableVersion, error) {
	var out []TableVersion
	err := db.view(func(tx *kv.Txn) error {
		prefix := []byte{spaceSystem, sysHistory}
		it := tx.Iterate(kv.IterOptions{Prefix: prefix, PrefetchValues: true})
		defer it.Close()
		for it.Seek(prefix); it.Valid(); it.Next() {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			d := new(tableDef)
			if err := it.Value(func(v []byte) error { return json.Unmarshal(v, d) }); err != nil {
				return err
			}
			if d.Name == name {
				out = append(out, TableVersion{TableDescription: *d.describe(), Deleted: d.Deleted})
			}
		}
		return nil
	})
	if err == nil && len(out) == 0 {
		return nil, errorf(CodeNotFound, "table %q has no history", name)
	}
	return out, err
}
