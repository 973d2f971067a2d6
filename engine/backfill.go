package engine

import (
	"context"
	"errors"
	"time"

	"github.com/shoaldb/shoal/engine/internal/kv"
)

// backfill is a background job that walks a table's items in key order,
// in bounded transactions, to build an index (index != 0) or the TTL
// schedule (index == 0). Its progress — the last item key handled — is
// stored with the table, so a restart resumes it.
type backfill struct {
	index uint32
}

func (b backfill) progressKey(tableID uint64) []byte {
	k := append(spacePrefix(nil, tableID, tabState), "backfill/"...)
	return append(k, byte(b.index>>24), byte(b.index>>16), byte(b.index>>8), byte(b.index))
}

// pendingBackfills lists the unfinished backfills of a table definition.
func pendingBackfills(t *tableDef) []backfill {
	var out []backfill
	for _, ix := range t.Indexes {
		if ix.Status == IndexCreating {
			out = append(out, backfill{index: ix.ID})
		}
	}
	if t.TTLPending {
		out = append(out, backfill{})
	}
	return out
}

// startBackfill runs a backfill in the background until it finishes, the
// table or index disappears, or the engine closes.
func (db *DB) startBackfill(table string, job backfill) {
	db.bg.Add(1)
	go func() {
		defer db.bg.Done()
		for {
			done, err := db.backfillStep(db.bgCtx, table, job)
			if db.bgCtx.Err() != nil {
				return
			}
			if err != nil {
				db.opts.Logger.Error("backfill", "table", table, "index", job.index, "err", err)
				select {
				case <-db.bgCtx.Done():
					return
				case <-time.After(time.Second):
				}
				continue
			}
			if done {
				return
			}
		}
	}()
}

// backfillStep handles one batch of items and reports whether the job is
// finished. Every item is read with a registered read, so a concurrent write
// to it makes the batch conflict and run again: the entries written always
// match the items as committed.
func (db *DB) backfillStep(ctx context.Context, table string, job backfill) (done bool, err error) {
	err = db.update(ctx, func(tx *wtx) error {
		done = false
		t, err := db.loadTable(tx.Txn, table)
		if CodeOf(err) == CodeNotFound {
			done = true // the table is gone
			return nil
		}
		if err != nil {
			return err
		}
		var ix *indexDef
		if job.index != 0 {
			for _, x := range t.Indexes {
				if x.ID == job.index {
					ix = x
				}
			}
			if ix == nil || ix.Status != IndexCreating {
				done = true // deleted, or finished by an earlier run
				return nil
			}
		} else if !t.TTLPending {
			done = true
			return nil
		}
		prefix := spacePrefix(nil, t.ID, tabItems)
		pk := job.progressKey(t.ID)
		start := prefix
		err = tx.Get(pk, func(v []byte) error {
			start = append(append(append([]byte(nil), prefix...), v...), 0)
			return nil
		})
		if err != nil && !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		var batch [][]byte
		it := tx.Iterate(kv.IterOptions{Prefix: prefix, KeysOnly: true})
		for it.Seek(start); it.Valid() && len(batch) < db.opts.BackfillBatch; it.Next() {
			batch = append(batch, append([]byte(nil), it.Key()...))
		}
		it.Close()
		for _, key := range batch {
			item, err := readItem(tx.Txn, key)
			if err != nil {
				return err
			}
			k, err := decodePrimaryKey(t.Key, key[len(prefix):])
			if err != nil {
				return err
			}
			if ix != nil {
				err = putIndexEntry(tx.Txn, t, ix, k, nil, item)
			} else {
				err = updateTTLSchedule(tx.Txn, t, k, nil, item)
			}
			if err != nil {
				return err
			}
		}
		if len(batch) == db.opts.BackfillBatch {
			last := batch[len(batch)-1]
			return tx.Set(pk, last[len(prefix):])
		}
		// Finished: publish the index (or the TTL schedule).
		if err := tx.Delete(pk); err != nil {
			return err
		}
		next := t.clone()
		next.Version++
		if ix != nil {
			next.index(ix.Name).Status = IndexActive
		} else {
			next.TTLPending = false
		}
		done = true
		return storeTable(tx, next)
	})
	return done, err
}

// UpdateTable changes a table's indexes, stream and TTL settings. New global
// indexes start CREATING and are backfilled in the background; deleting an
// index removes its entries.
func (db *DB) UpdateTable(ctx context.Context, in UpdateTableInput) (*TableDescription, error) {
	var next *tableDef
	var jobs []backfill
	var dropped []uint32
	err := db.update(ctx, func(tx *wtx) error {
		jobs, dropped = nil, nil
		t, err := db.loadTable(tx.Txn, in.Name)
		if err != nil {
			return err
		}
		next = t.clone()
		next.Version++
		for _, name := range in.DeleteGlobalIndexes {
			ix := next.index(name)
			if ix == nil || ix.Local {
				return errorf(CodeValidation, "table %q has no global secondary index %q", in.Name, name)
			}
			dropped = append(dropped, ix.ID)
			next.Indexes = deleteIndex(next.Indexes, name)
		}
		for _, s := range in.CreateGlobalIndexes {
			if err := next.addIndex(s, false, IndexCreating); err != nil {
				return err
			}
			jobs = append(jobs, backfill{index: next.NextIndexID})
		}
		if in.StreamView != nil {
			if !validStreamView(*in.StreamView) {
				return errorf(CodeValidation, "invalid stream view type %q", *in.StreamView)
			}
			next.StreamView = *in.StreamView
		}
		if in.TTLAttribute != nil && *in.TTLAttribute != t.TTLAttribute {
			next.TTLAttribute = *in.TTLAttribute
			next.TTLPending = next.TTLAttribute != ""
			if next.TTLPending {
				jobs = append(jobs, backfill{})
				// A new schedule starts from the first item.
				if err := tx.Delete(backfill{}.progressKey(t.ID)); err != nil {
					return err
				}
			}
		}
		if in.PITRRetention != nil {
			if err := validatePITRRetention(*in.PITRRetention); err != nil {
				return err
			}
			next.PITRRetention = *in.PITRRetention
		}
		if err := db.updateReplication(tx, t, next, in); err != nil {
			return err
		}
		if in.PITR != nil && *in.PITR != t.PITR {
			next.PITR = *in.PITR
			next.PITRSince = time.Time{}
			if next.PITR {
				next.PITRSince = db.now().UTC().Truncate(time.Millisecond)
			}
		}
		return storeTable(tx, next)
	})
	if err != nil {
		return nil, err
	}
	for _, id := range dropped {
		if err := db.kv.DropPrefix(indexPrefix(nil, next.ID, id)); err != nil {
			return nil, internalError("drop index entries", err)
		}
	}
	for _, job := range jobs {
		db.startBackfill(in.Name, job)
	}
	return next.describe(), nil
}

func deleteIndex(ixs []*indexDef, name string) []*indexDef {
	out := ixs[:0]
	for _, ix := range ixs {
		if ix.Name != name {
			out = append(out, ix)
		}
	}
	return out
}
