package engine

import (
	"context"
	"encoding/binary"
	"slices"

	"github.com/shoaldb/shoal/engine/expr"
	"github.com/shoaldb/shoal/engine/internal/keys"
)

// WatchInput selects the change records a watcher receives.
type WatchInput struct {
	Table string
	// After is the sequence number of the last record already seen; the
	// watcher receives every later record. With FromLatest, After is
	// ignored and the watcher receives only changes made from now on.
	After      uint64
	FromLatest bool
	// Cursor, when set, replaces After: the Cursor of the last record seen,
	// which also proves the record came from this table.
	Cursor []byte
	// Keys keeps the records whose keys match (partition key equality and
	// an optional sort-key condition); nil keeps all.
	Keys *expr.KeyCondition
	// Events keeps the records of these events; empty keeps all.
	Events []ChangeEvent
	// Filter keeps the records whose new image (old image for REMOVE)
	// satisfies it; with a KEYS_ONLY stream it sees the keys only.
	Filter expr.Condition
	// Restrict narrows what the watcher may see (see Restriction): a watch
	// of another partition is denied, records of other partitions are
	// skipped, and images are narrowed to the allowed attributes.
	Restrict *Restriction
}

// Watcher follows a table's change stream from a position. Make one with
// NewWatcher and Run it; it is not safe for concurrent use.
type Watcher struct {
	db    *DB
	table string
	id    uint64
	match func(Change) bool
	after uint64
	// restrict narrows the records passed on.
	restrict *Restriction
	// pk is the encoded partition key the watcher follows, "" for all:
	// it is woken only by records of that partition.
	pk string
}

// NewWatcher checks in and fixes the watcher's starting position. It fails
// when the table does not exist (CodeNotFound), has no stream, or in is
// invalid (CodeValidation).
func (db *DB) NewWatcher(ctx context.Context, in WatchInput) (*Watcher, error) {
	t, err := db.readTable(in.Table)
	if err != nil {
		return nil, err
	}
	if t.StreamView == StreamOff {
		return nil, errorf(CodeValidation, "table %q has no stream; turn it on with a stream view type", in.Table)
	}
	if err := in.Restrict.checkPaths("a filter", conditionPaths(nil, in.Filter)); err != nil {
		return nil, err
	}
	if in.Keys != nil && !in.Restrict.allowsPartition(in.Keys.PartitionValue) {
		return nil, accessDenied("access denied: the caller may not watch this partition")
	}
	match, err := changeMatcher(t, in)
	if err != nil {
		return nil, err
	}
	if in.Restrict != nil && in.Restrict.PartitionKeys != nil {
		pkName, keyMatch := t.Key.Partition.Name, match
		match = func(c Change) bool {
			pk, ok := c.Keys[pkName]
			return ok && in.Restrict.allowsPartition(pk) && keyMatch(c)
		}
	}
	w := &Watcher{db: db, table: in.Table, id: t.ID, match: match, after: in.After, restrict: in.Restrict}
	if in.Keys != nil {
		sortName := ""
		if t.Key.Sort != nil {
			sortName = t.Key.Sort.Name
		}
		kc, err := in.Keys.ForSchema(t.Key.Partition.Name, sortName)
		if err != nil {
			return nil, validationError("", err)
		}
		pk, err := keys.Append(nil, kc.PartitionValue)
		if err != nil {
			return nil, errorf(CodeValidation, "the partition key must be of type %s", t.Key.Partition.Type)
		}
		w.pk = string(pk)
	}
	switch {
	case in.Cursor != nil:
		if len(in.Cursor) != 17 || in.Cursor[0] != cursorVersion || binary.BigEndian.Uint64(in.Cursor[1:]) != t.ID {
			return nil, errorf(CodeValidation, "the change cursor is invalid or belongs to another table")
		}
		w.after = binary.BigEndian.Uint64(in.Cursor[9:])
	case in.FromLatest:
		log, err := db.changeLog(t.ID)
		if err != nil {
			return nil, err
		}
		w.after, _ = log.watermark()
	}
	return w, nil
}

// Run calls fn with every matching change record after the watcher's
// position, in sequence order, from the durable log: a slow fn falls behind
// and catches up and never holds up writers. It returns when ctx ends (with
// ctx.Err()), when fn returns an error (that error), or when the log cannot
// be read any more: the table was deleted (CodeNotFound), or retention
// removed records the watcher had not seen yet (CodeTrimmedData).
func (w *Watcher) Run(ctx context.Context, fn func(Change) error) error {
	log, err := w.db.changeLog(w.id)
	if err != nil {
		return err
	}
	// Register before the first read: a record committed between a read
	// and the wait leaves a token, so no wake-up is lost.
	wake := log.register(w.pk)
	defer log.unregister(wake)
	// The first read goes to the durable log, which also checks that the
	// table still exists: one deleted since NewWatcher has no log to close.
	first := true
	for {
		changes, next, gone, ok := log.readRecent(w.after, 1000, w.pk)
		if gone {
			return errorf(CodeNotFound, "table %q was deleted", w.table)
		}
		if !ok || first {
			first = false
			// Behind the in-memory window: catch up from the durable log.
			page, err := w.db.readChanges(ctx, ReadChangesInput{Table: w.table, After: w.after}, w.id)
			if err != nil {
				return err
			}
			changes, next = page.Changes, page.Next
		}
		for _, c := range changes {
			if w.match(c) {
				c.Cursor = changeCursor(w.id, c.Seq)
				c.Keys, c.OldImage, c.NewImage = w.restrict.narrow(c.Keys), w.restrict.narrow(c.OldImage), w.restrict.narrow(c.NewImage)
				if err := fn(c); err != nil {
					return err
				}
			}
		}
		progressed := next != w.after
		w.after = next
		if progressed {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake.sig:
		case <-w.db.bgCtx.Done():
			return errorf(CodeInternal, "the database is closing")
		}
	}
}

// changeCursor is the opaque position of a change record: the table's id
// and the record's sequence number.
func changeCursor(tableID, seq uint64) []byte {
	c := binary.BigEndian.AppendUint64([]byte{cursorVersion}, tableID)
	return binary.BigEndian.AppendUint64(c, seq)
}

// changeMatcher compiles a watcher's selection into a predicate.
func changeMatcher(t *tableDef, in WatchInput) (func(Change) bool, error) {
	var keyRange *span
	if in.Keys != nil {
		r, err := (&source{t: t, key: t.Key}).keyRange(in.Keys)
		if err != nil {
			return nil, err
		}
		keyRange = &r
	}
	return func(c Change) bool {
		if len(in.Events) > 0 && !slices.Contains(in.Events, c.Event) {
			return false
		}
		if keyRange != nil {
			k, err := keyOf(t.Key, c.Keys, true)
			if err != nil || !keyRange.holds(k.enc) {
				return false
			}
		}
		if in.Filter != nil {
			image := c.NewImage
			if c.Event == EventRemove {
				image = c.OldImage
			}
			if image == nil {
				image = c.Keys
			}
			return expr.Eval(in.Filter, image)
		}
		return true
	}, nil
}

// holds reports whether an encoded key (without prefix) lies in the span of
// a source whose prefix is empty.
func (r span) holds(enc []byte) bool {
	return string(enc) >= string(r.lo) && (r.hi == nil || string(enc) < string(r.hi))
}
