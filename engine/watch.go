package engine

import (
	"context"
	"slices"

	"github.com/shoaldb/shoal/engine/expr"
	"github.com/shoaldb/shoal/engine/internal/kv"
)

// WatchInput selects the change records a watcher receives.
type WatchInput struct {
	Table string
	// After is the sequence number of the last record already seen; the
	// watcher receives every later record. With FromLatest, After is
	// ignored and the watcher receives only changes made from now on.
	After      uint64
	FromLatest bool
	// Keys keeps the records whose keys match (partition key equality and
	// an optional sort-key condition); nil keeps all.
	Keys *expr.KeyCondition
	// Events keeps the records of these events; empty keeps all.
	Events []ChangeEvent
	// Filter keeps the records whose new image (old image for REMOVE)
	// satisfies it; with a KEYS_ONLY stream it sees the keys only.
	Filter expr.Condition
}

// Watch calls fn with every change record of a table that matches in, in
// sequence order, from the durable log: a slow fn falls behind and catches up
// and never holds up writers. It returns when ctx ends (with ctx.Err()),
// when fn returns an error (that error), or when the log cannot be read any
// more: the table was deleted (CodeNotFound), its stream was turned off
// (CodeValidation), or retention removed records the watcher had not seen
// yet (CodeTrimmedData).
func (db *DB) Watch(ctx context.Context, in WatchInput, fn func(Change) error) error {
	var t *tableDef
	if err := db.view(func(tx *kv.Txn) (err error) { t, err = db.loadTable(tx, in.Table); return }); err != nil {
		return err
	}
	if t.StreamView == StreamOff {
		return errorf(CodeValidation, "table %q has no stream; turn it on with a stream view type", in.Table)
	}
	match, err := changeMatcher(t, in)
	if err != nil {
		return err
	}
	after := in.After
	if in.FromLatest {
		log, err := db.changeLog(t.ID)
		if err != nil {
			return err
		}
		after, _ = log.watermark()
	}
	for {
		page, err := db.ReadChanges(ctx, ReadChangesInput{Table: in.Table, After: after})
		if err != nil {
			return err
		}
		for _, c := range page.Changes {
			if match(c) {
				if err := fn(c); err != nil {
					return err
				}
			}
		}
		after = page.Next
		if len(page.Changes) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-page.Wait:
		case <-db.bgCtx.Done():
			return errorf(CodeInternal, "the database is closing")
		}
	}
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
