package engine

import (
	"context"
	"encoding/binary"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/internal/keys"
	"github.com/shoaldb/shoal/engine/internal/kv"
)

// sweepBatch bounds the expired items deleted in one transaction.
const sweepBatch = 128

// sweepExpired deletes the expired items of every table with TTL on. It
// reads only the TTL schedule (expiry · key), never the tables.
func (db *DB) sweepExpired(ctx context.Context) error {
	defs, err := db.allTables()
	if err != nil {
		return err
	}
	for _, t := range defs {
		if t.TTLAttribute == "" {
			continue
		}
		for {
			n, err := db.sweepTable(ctx, t.Name)
			if err != nil {
				return err
			}
			if n < sweepBatch {
				break
			}
		}
	}
	return nil
}

// sweepTable deletes up to sweepBatch expired items of one table in one
// transaction and returns how many schedule entries it handled.
func (db *DB) sweepTable(ctx context.Context, table string) (int, error) {
	now := db.now()
	var n int
	err := db.update(ctx, func(tx *wtx) error {
		n = 0
		t, err := db.loadTable(tx.Txn, table)
		if err != nil || t.TTLAttribute == "" {
			return err
		}
		prefix := spacePrefix(nil, t.ID, tabTTL)
		end := binary.BigEndian.AppendUint64(append([]byte(nil), prefix...), uint64(max(now.Unix(), 0))+1)
		it := tx.Iterate(kv.IterOptions{Prefix: prefix, KeysOnly: true})
		var due [][]byte
		for it.Seek(prefix); it.Valid() && len(due) < sweepBatch; it.Next() {
			if string(it.Key()) >= string(end) {
				break
			}
			due = append(due, append([]byte(nil), it.Key()...))
		}
		it.Close()
		for _, sk := range due {
			n++
			k, err := decodePrimaryKey(t.Key, sk[len(prefix)+8:])
			if err != nil {
				return err
			}
			w := &write{t: t, k: k, key: itemKey(t, k), origin: OriginTTL}
			db.sweepReads.Add(1)
			if w.stored, err = readItem(tx.Txn, w.key); err != nil {
				return err
			}
			s, ok := t.expiry(w.stored)
			if !ok || s > now.Unix() || string(ttlKey(t, k, s)) != string(sk) {
				// A stale entry: the item is gone, or its TTL changed
				// since the entry was written.
				if err := tx.Delete(sk); err != nil {
					return err
				}
				continue
			}
			if err := db.commitWrite(tx, w, now); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// decodePrimaryKey rebuilds a primary key from its encoded form.
func decodePrimaryKey(ks KeySchema, enc []byte) (primaryKey, error) {
	k := primaryKey{enc: enc}
	var err error
	rest := enc
	if k.pk, rest, err = keys.Decode(rest, ks.Partition.Type); err != nil {
		return k, err
	}
	if ks.Sort != nil {
		var sk attr.Value
		if sk, rest, err = keys.Decode(rest, ks.Sort.Type); err != nil {
			return k, err
		}
		k.sk = sk
	}
	if len(rest) != 0 {
		return k, errorf(CodeInternal, "corrupt key: %d trailing bytes", len(rest))
	}
	return k, nil
}
