// Package kv is the engine's only door to Badger: it opens the store and
// hands out transactions and iterators over raw byte keys. Nothing outside
// this package imports Badger, so the storage layer can change (or be
// replicated) without touching query code.
//
// # Usage
//
//	db, err := kv.Open(kv.Options{Dir: dir, SyncWrites: true})
//	err = db.Update(func(txn *kv.Txn) error { return txn.Set(k, v) })
//	err = db.View(func(txn *kv.Txn) error {
//		it := txn.Iterate(kv.IterOptions{Prefix: p})
//		defer it.Close()
//		for it.Seek(p); it.Valid(); it.Next() { ... }
//		return nil
//	})
package kv

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Errors returned by this package.
var (
	// ErrNotFound: the key has no value.
	ErrNotFound = errors.New("kv: key not found")
	// ErrConflict: a transaction read a key that a concurrent transaction
	// wrote before it committed; retry it.
	ErrConflict = errors.New("kv: transaction conflict")
	// ErrTooBig: a transaction holds more writes than the store takes at
	// once.
	ErrTooBig = errors.New("kv: transaction too big")
	// ErrEncryptionKey: the store was written with another encryption key,
	// with encryption while none was given, or without it while one was.
	ErrEncryptionKey = errors.New("kv: the encryption key does not match the one the data was written with (or the data is not encrypted as the options say)")
	// ErrInvalidKey: an encryption key is not 16, 24 or 32 bytes long.
	ErrInvalidKey = errors.New("kv: an encryption key must be 16, 24 or 32 bytes long")
)

func mapOpenErr(err error) error {
	switch {
	case errors.Is(err, badger.ErrEncryptionKeyMismatch):
		return fmt.Errorf("%w: %v", ErrEncryptionKey, err)
	case errors.Is(err, badger.ErrInvalidEncryptionKey):
		return fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return err
}

// RotateKey re-encrypts the key registry of the closed store in dir: the
// data keys, encrypted with oldKey, are written encrypted with newKey (the
// data files themselves, encrypted with the data keys, are untouched). An
// empty oldKey or newKey means no encryption. The store must not be open.
func RotateKey(dir string, oldKey, newKey []byte) error {
	for _, k := range [][]byte{oldKey, newKey} {
		if n := len(k); n != 0 && n != 16 && n != 24 && n != 32 {
			return ErrInvalidKey
		}
	}
	opt := badger.KeyRegistryOptions{
		Dir:                           dir,
		ReadOnly:                      true,
		EncryptionKey:                 oldKey,
		EncryptionKeyRotationDuration: 10 * 24 * time.Hour,
	}
	kr, err := badger.OpenKeyRegistry(opt)
	if err != nil {
		return mapOpenErr(err)
	}
	defer kr.Close()
	opt.EncryptionKey = newKey
	return badger.WriteKeyRegistry(kr, opt)
}

// Options configures Open.
type Options struct {
	// Dir is the data directory; ignored when InMemory is set.
	Dir string
	// InMemory keeps everything in memory (for tests); default false.
	InMemory bool
	// SyncWrites makes every commit durable before it returns; Badger
	// batches concurrent commits into one fsync. Default false here; the
	// engine turns it on unless told otherwise.
	SyncWrites bool
	// Logger receives Badger's warnings and errors; default: discarded.
	Logger *slog.Logger
	// BlockCacheSize is Badger's block cache in bytes; default 256 MiB.
	BlockCacheSize int64
	// MemTableSize is the size of one memtable in bytes; it also bounds the
	// size of a transaction. Default 64 MiB.
	MemTableSize int64
	// EncryptionKey, when set (16, 24 or 32 bytes: AES-128, -192, -256),
	// encrypts every table and value-log file with data keys that are
	// themselves encrypted with this master key (Badger's key registry).
	// Default: no encryption.
	EncryptionKey []byte
	// EncryptionKeyRotationDuration is how often a new data key is made;
	// default 10 days (Badger's).
	EncryptionKeyRotationDuration time.Duration
	// IndexCacheSize is the cache of table indexes in bytes, required by
	// Badger with encryption; default 64 MiB when encryption is on.
	IndexCacheSize int64
}

// DB is an open store. It is safe for concurrent use.
type DB struct {
	b *badger.DB
}

// Open opens (creating if needed) the store described by opts.
func Open(opts Options) (*DB, error) {
	bo := badger.DefaultOptions(opts.Dir).
		WithInMemory(opts.InMemory).
		WithSyncWrites(opts.SyncWrites).
		WithLogger(badgerLogger{opts.Logger}).
		WithDetectConflicts(true)
	if opts.InMemory {
		bo = bo.WithDir("").WithValueDir("")
	}
	if opts.BlockCacheSize > 0 {
		bo = bo.WithBlockCacheSize(opts.BlockCacheSize)
	}
	if opts.MemTableSize > 0 {
		bo = bo.WithMemTableSize(opts.MemTableSize)
	}
	if len(opts.EncryptionKey) > 0 {
		bo = bo.WithEncryptionKey(opts.EncryptionKey)
		if opts.IndexCacheSize <= 0 {
			opts.IndexCacheSize = 64 << 20
		}
		if opts.EncryptionKeyRotationDuration > 0 {
			bo = bo.WithEncryptionKeyRotationDuration(opts.EncryptionKeyRotationDuration)
		}
	}
	if opts.IndexCacheSize > 0 {
		bo = bo.WithIndexCacheSize(opts.IndexCacheSize)
	}
	b, err := badger.Open(bo)
	if err != nil {
		return nil, mapOpenErr(err)
	}
	return &DB{b: b}, nil
}

// Close flushes and closes the store.
func (db *DB) Close() error { return db.b.Close() }

// View runs fn in a read-only snapshot transaction.
func (db *DB) View(fn func(*Txn) error) error {
	return db.b.View(func(t *badger.Txn) error { return fn(&Txn{t: t}) })
}

// Update runs fn in a read-write transaction and commits it if fn returns
// nil. It returns ErrConflict when a concurrent commit invalidated what fn
// read; the caller decides whether to retry.
func (db *DB) Update(fn func(*Txn) error) error {
	err := db.b.Update(func(t *badger.Txn) error { return fn(&Txn{t: t}) })
	return mapErr(err)
}

// DropPrefix deletes every key that starts with one of the prefixes. It
// blocks writes while it runs.
func (db *DB) DropPrefix(prefixes ...[]byte) error { return db.b.DropPrefix(prefixes...) }

// Size returns the on-disk sizes of the LSM tree and the value log.
func (db *DB) Size() (lsm, vlog int64) { return db.b.Size() }

// Txn is a transaction. It is not safe for concurrent use.
type Txn struct {
	t *badger.Txn
}

// Get calls fn with the value of key, or returns ErrNotFound. The slice is
// valid only during fn.
func (t *Txn) Get(key []byte, fn func(val []byte) error) error {
	item, err := t.t.Get(key)
	if err != nil {
		return mapErr(err)
	}
	return item.Value(fn)
}

// Has reports whether key has a value; like Get it registers the read for
// conflict detection.
func (t *Txn) Has(key []byte) (bool, error) {
	_, err := t.t.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, mapErr(err)
}

// Set writes key=val. The transaction keeps the slices until it ends: the
// caller must not change them.
func (t *Txn) Set(key, val []byte) error { return mapErr(t.t.Set(key, val)) }

// Delete removes key. The transaction keeps the slice until it ends.
func (t *Txn) Delete(key []byte) error { return mapErr(t.t.Delete(key)) }

// IterOptions configures an iterator.
type IterOptions struct {
	// Prefix restricts the iterator to keys that start with it.
	Prefix []byte
	// Reverse iterates in descending order; Seek then finds the greatest
	// key at or below its argument.
	Reverse bool
	// KeysOnly skips loading values; Value must not be called.
	KeysOnly bool
	// PrefetchValues loads values ahead of use, for scans that read most
	// values.
	PrefetchValues bool
}

// Iterate returns an iterator; the caller must Close it before the
// transaction ends.
func (t *Txn) Iterate(opts IterOptions) *Iterator {
	bo := badger.DefaultIteratorOptions
	bo.Prefix = opts.Prefix
	bo.Reverse = opts.Reverse
	bo.PrefetchValues = opts.PrefetchValues && !opts.KeysOnly
	bo.PrefetchSize = 16
	return &Iterator{it: t.t.NewIterator(bo)}
}

// Iterator walks keys in order. Reads through an iterator of a read-write
// transaction are not registered for conflict detection.
type Iterator struct {
	it *badger.Iterator
}

// Seek moves to the first key >= key (<= key when reverse).
func (it *Iterator) Seek(key []byte) { it.it.Seek(key) }

// Valid reports whether the iterator is on a key.
func (it *Iterator) Valid() bool { return it.it.Valid() }

// Next moves to the following key.
func (it *Iterator) Next() { it.it.Next() }

// Key returns the current key; valid until Next.
func (it *Iterator) Key() []byte { return it.it.Item().Key() }

// Value calls fn with the current value; the slice is valid only during fn.
func (it *Iterator) Value(fn func(val []byte) error) error { return it.it.Item().Value(fn) }

// ValueSize returns the size of the current value without loading it.
func (it *Iterator) ValueSize() int { return int(it.it.Item().ValueSize()) }

// Close releases the iterator.
func (it *Iterator) Close() { it.it.Close() }

func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, badger.ErrKeyNotFound):
		return ErrNotFound
	case errors.Is(err, badger.ErrConflict):
		return ErrConflict
	case errors.Is(err, badger.ErrTxnTooBig):
		return ErrTooBig
	}
	return err
}

// badgerLogger adapts slog to Badger's logger, keeping warnings and errors.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	if b.l != nil {
		b.l.Error("badger", "msg", fmt.Sprintf(f, a...))
	}
}
func (b badgerLogger) Warningf(f string, a ...any) {
	if b.l != nil {
		b.l.Warn("badger", "msg", fmt.Sprintf(f, a...))
	}
}
func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}
