package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
	"github.com/shoaldb/shoal/engine/internal/keys"
	"github.com/shoaldb/shoal/engine/internal/kv"
)

// write is one item change inside a write transaction. Every path that
// changes an item — single writes, batches, transactions, the TTL sweeper —
// goes through prepareWrite and commitWrite, so indexes, the TTL schedule
// and the change log are maintained in one place.
type write struct {
	t         *tableDef
	k         primaryKey
	key       []byte    // storage key of the item
	stored    attr.Item // the item as stored, expired or not; nil if absent
	old       attr.Item // the item as callers see it: nil if absent or expired
	new       attr.Item // the item to store; nil deletes it
	origin    Origin    // who made the change
	principal string    // and on whose behalf, for change records
	restrict  *Restriction
	// version is the item version of a write of a global table: set by
	// the apply path for a replicated change, stamped by commitWrite for
	// a local one (zero for regional tables).
	version Version
}

// prepareWrite loads the table and the current item for a write. keySrc is
// the request's Key (exact) or the item to put.
//
// r is checked against the key before the item is read, so a denied write
// learns nothing of the stored item.
func (db *DB) prepareWrite(ctx context.Context, tx *wtx, table string, keySrc attr.Item, exact bool, r *Restriction, now time.Time) (*write, error) {
	t, err := db.loadTable(tx.Txn, table)
	if err != nil {
		return nil, err
	}
	if t.Restoring {
		return nil, errorf(CodeResourceInUse, "table %q is being restored; writes are refused until the restore ends", table)
	}
	k, err := keyOf(t.Key, keySrc, exact)
	if err != nil {
		return nil, err
	}
	if err := r.checkKey(k); err != nil {
		return nil, err
	}
	w := &write{t: t, k: k, key: itemKey(t, k), origin: OriginUser, principal: principalOf(ctx), restrict: r}
	if w.stored, err = readItem(tx.Txn, w.key); err != nil {
		return nil, err
	}
	if w.stored != nil && !t.expired(w.stored, now) {
		w.old = w.stored
	}
	return w, nil
}

// check evaluates a write's condition against the current item.
func (w *write) check(cond expr.Condition, returnOld bool) error {
	if cond == nil || expr.Eval(cond, w.old) {
		return nil
	}
	e := errorf(CodeConditionalCheckFailed, "the conditional request failed")
	if returnOld {
		e.Item = w.restrict.narrow(w.old)
	}
	return e
}

// commitWrite stores w.new (or deletes the item) and maintains the table's
// indexes, TTL schedule and change log in the same transaction.
func (db *DB) commitWrite(tx *wtx, w *write, now time.Time) error {
	if w.t.global() {
		if err := db.stampVersion(tx, w, now); err != nil {
			return err
		}
	}
	if w.new == nil && w.stored == nil {
		return nil // deleting nothing changes nothing
	}
	if w.new == nil {
		if err := tx.Delete(w.key); err != nil {
			return err
		}
	} else if err := tx.Set(w.key, attr.EncodeItem(nil, w.new)); err != nil {
		return err
	}
	for _, ix := range w.t.Indexes {
		if err := putIndexEntry(tx.Txn, w.t, ix, w.k, w.stored, w.new); err != nil {
			return err
		}
	}
	if err := updateTTLSchedule(tx.Txn, w.t, w.k, w.stored, w.new); err != nil {
		return err
	}
	return db.appendChange(tx, w, now)
}

// indexKey returns the storage key of item's entry in ix, or nil when the
// item is not in the index (sparse: a key attribute is missing, of another
// type, or empty).
func indexKey(t *tableDef, ix *indexDef, k primaryKey, item attr.Item) []byte {
	if item == nil {
		return nil
	}
	key := indexPrefix(make([]byte, 0, 64), t.ID, ix.ID)
	for _, ka := range []*KeyAttribute{&ix.Key.Partition, ix.Key.Sort} {
		if ka == nil {
			continue
		}
		v, ok := item[ka.Name]
		if !ok || v.Type() != ka.Type || isEmptyKey(v) {
			return nil
		}
		key, _ = keys.Append(key, v)
	}
	return append(key, k.enc...)
}

func isEmptyKey(v attr.Value) bool {
	switch x := v.(type) {
	case attr.S:
		return len(x) == 0
	case attr.B:
		return len(x) == 0
	}
	return false
}

// putIndexEntry moves item k's entry in ix from where `old` put it to where
// `new` puts it.
func putIndexEntry(tx *kv.Txn, t *tableDef, ix *indexDef, k primaryKey, old, new attr.Item) error {
	oldKey, newKey := indexKey(t, ix, k, old), indexKey(t, ix, k, new)
	if oldKey != nil && !bytes.Equal(oldKey, newKey) {
		if err := tx.Delete(oldKey); err != nil {
			return err
		}
	}
	if newKey == nil {
		return nil
	}
	return tx.Set(newKey, attr.EncodeItem(nil, projectForIndex(t, ix, new)))
}

// projectForIndex returns the attributes of item that ix stores.
func projectForIndex(t *tableDef, ix *indexDef, item attr.Item) attr.Item {
	if ix.Projection.Type == ProjectAll {
		return item
	}
	out := make(attr.Item, 4+len(ix.Projection.NonKeyAttributes))
	for _, ks := range []KeySchema{t.Key, ix.Key} {
		out[ks.Partition.Name] = item[ks.Partition.Name]
		if ks.Sort != nil {
			out[ks.Sort.Name] = item[ks.Sort.Name]
		}
	}
	for _, name := range ix.Projection.NonKeyAttributes {
		if v, ok := item[name]; ok {
			out[name] = v
		}
	}
	return out
}

// expiry returns the epoch second at which item expires, if the table has
// TTL on and the item's TTL attribute is a number.
func (t *tableDef) expiry(item attr.Item) (int64, bool) {
	if t.TTLAttribute == "" || item == nil {
		return 0, false
	}
	n, ok := item[t.TTLAttribute].(attr.Number)
	if !ok {
		return 0, false
	}
	if s, ok := n.Int64(); ok {
		return s, true
	}
	var floor apd.Decimal
	d := n.Decimal()
	if _, err := apd.BaseContext.WithPrecision(60).Floor(&floor, d); err != nil {
		return 0, false
	}
	s, err := floor.Int64()
	if err != nil { // beyond int64: in the far past or the far future
		if d.Negative {
			return 0, true
		}
		return 0, false
	}
	return s, true
}

// expired reports whether item's TTL has passed at now.
func (t *tableDef) expired(item attr.Item, now time.Time) bool {
	s, ok := t.expiry(item)
	return ok && s <= now.Unix()
}

// ttlKey is the TTL schedule entry of an item expiring at epoch second s.
func ttlKey(t *tableDef, k primaryKey, s int64) []byte {
	if s < 0 {
		s = 0
	}
	key := spacePrefix(make([]byte, 0, 18+len(k.enc)), t.ID, tabTTL)
	key = binary.BigEndian.AppendUint64(key, uint64(s))
	return append(key, k.enc...)
}

// updateTTLSchedule keeps the item's TTL schedule entry in step with its
// TTL attribute, so the sweeper finds expired items without scanning.
func updateTTLSchedule(tx *kv.Txn, t *tableDef, k primaryKey, old, new attr.Item) error {
	os, oldOK := t.expiry(old)
	ns, newOK := t.expiry(new)
	if oldOK && (!newOK || os != ns) {
		if err := tx.Delete(ttlKey(t, k, os)); err != nil {
			return err
		}
	}
	if newOK && (!oldOK || os != ns) {
		return tx.Set(ttlKey(t, k, ns), nil)
	}
	return nil
}
