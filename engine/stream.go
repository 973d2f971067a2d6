package engine

import (
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/internal/keys"
	"github.com/shoaldb/shoal/engine/internal/kv"
)

// ChangeEvent says what a change did to an item.
type ChangeEvent string

// The change events, as DynamoDB Streams names them.
const (
	EventInsert ChangeEvent = "INSERT"
	EventModify ChangeEvent = "MODIFY"
	EventRemove ChangeEvent = "REMOVE"
)

// Origin says who made a change.
type Origin string

// The origins of changes.
const (
	// OriginUser: a request of a client.
	OriginUser Origin = "user"
	// OriginTTL: the TTL sweeper deleting an expired item.
	OriginTTL Origin = "ttl"
)

// Change is one record of a table's change stream.
type Change struct {
	// Seq is the record's sequence number: records of one table have
	// increasing numbers, and the records of one item are in write order.
	Seq   uint64
	Event ChangeEvent
	// Keys holds the item's primary key attributes.
	Keys attr.Item
	// OldImage and NewImage hold the item before and after the change, as
	// the stream's view type asks; nil when not recorded.
	OldImage attr.Item
	NewImage attr.Item
	// Time is when the change was made, to the millisecond.
	Time time.Time
	// Origin and Principal say who made the change.
	Origin    Origin
	Principal string
	// Region is the region where the change was made, for a global
	// table (a change replicated from another region names that region);
	// Version is the item version it wrote. Empty for regional tables.
	Region  string
	Version Version
	// Cursor is the record's opaque position, set by Watch: pass it as
	// WatchInput.Cursor to resume after this record.
	Cursor []byte
}

type principalKey struct{}

// WithPrincipal returns a context that attributes the writes made with it to
// the named principal in change records.
func WithPrincipal(ctx context.Context, principal string) context.Context {
	return context.WithValue(ctx, principalKey{}, principal)
}

func principalOf(ctx context.Context) string {
	p, _ := ctx.Value(principalKey{}).(string)
	return p
}

// appendChange writes w's change records when the table's stream or
// point-in-time recovery is on: one record, or two when a user write meets
// an item that had expired but was not yet swept (its removal by TTL, then
// the user's change).
func (db *DB) appendChange(tx *wtx, w *write, now time.Time) error {
	t := w.t
	if t.StreamView == StreamOff && !t.PITR && !t.global() {
		return nil
	}
	log, err := db.changeLog(t.ID)
	if err != nil {
		return err
	}
	old := w.stored
	if w.origin != OriginTTL && w.stored != nil && w.old == nil {
		if err := db.appendRecord(tx, log, w, EventRemove, OriginTTL, "", w.stored, nil, now); err != nil {
			return err
		}
		old = nil
		if w.new == nil {
			return nil
		}
	}
	event := EventModify
	switch {
	case w.new == nil:
		event = EventRemove
	case old == nil:
		event = EventInsert
	}
	return db.appendRecord(tx, log, w, event, w.origin, w.principal, old, w.new, now)
}

func (db *DB) appendRecord(tx *wtx, log *changeLog, w *write, event ChangeEvent, origin Origin, principal string, old, new attr.Item, now time.Time) error {
	view := w.t.StreamView
	rec := attr.M{
		"e": attr.S(event),
		"k": keyItem(w.t.Key, w.k),
		"t": attr.NumberFromInt64(now.UnixMilli()),
		"o": attr.S(origin),
	}
	if principal != "" {
		rec["p"] = attr.S(principal)
	}
	if old != nil && (view == StreamOldImage || view == StreamNewAndOldImage) {
		rec["old"] = old
	}
	if new != nil && (view == StreamNewImage || view == StreamNewAndOldImage || w.t.PITR || w.t.global()) {
		rec["new"] = new
	}
	if w.t.global() {
		// Replication needs the new image, the version and the origin
		// region (global.go); the synthetic removal of an expired item
		// ahead of a write carries no version (the write that follows
		// does).
		region := w.version.Region
		if region == "" {
			region = db.opts.Region
		}
		rec["r"] = attr.S(region)
		if w.version.HLC != 0 && !(new == nil && w.new != nil) {
			rec["h"] = attr.NumberFromInt64(int64(w.version.HLC))
		}
	}
	if w.t.PITR || w.t.global() {
		// The record holds what point-in-time recovery needs (the new
		// image) besides what the stream asks for; "v" remembers the
		// stream's view so that readers see only that ("OFF": none).
		rec["v"] = attr.S(recordView(view))
	}
	seq := log.alloc()
	val := attr.EncodeItem(nil, rec)
	// The window holds the record decoded from the very bytes stored, so
	// memory and disk readers see the same thing.
	c, visible, err := decodeChange(seq, val)
	if err != nil {
		return err
	}
	// The encoded partition key is the head of the encoded primary key.
	rest, err := keys.Skip(w.k.enc, w.t.Key.Partition.Type)
	if err != nil {
		return err
	}
	pk := string(w.k.enc[:len(w.k.enc)-len(rest)])
	tx.seqs = append(tx.seqs, allocatedSeq{log: log, seq: seq, rec: &recentChange{change: c, visible: visible, pk: pk, size: len(val)}})
	key := binary.BigEndian.AppendUint64(spacePrefix(make([]byte, 0, 18), w.t.ID, tabStream), seq)
	return tx.Set(key, val)
}

// keyItem returns the key attributes of k as an item.
func keyItem(ks KeySchema, k primaryKey) attr.Item {
	m := attr.Item{ks.Partition.Name: k.pk}
	if ks.Sort != nil {
		m[ks.Sort.Name] = k.sk
	}
	return m
}

// recordView is the stream view stored in a PITR-era change record.
func recordView(v StreamViewType) string {
	if v == StreamOff {
		return "OFF"
	}
	return string(v)
}

// decodeChange decodes a change record as stream readers see it: images
// the stream's view did not ask for are dropped, and a record written only
// for point-in-time recovery (the stream was off) is not visible.
func decodeChange(seq uint64, v []byte) (c Change, visible bool, err error) {
	c, view, err := decodeRecord(seq, v)
	if err != nil || view == "" {
		return c, true, err // written before PITR: as the stream asked
	}
	switch StreamViewType(view) {
	case StreamKeysOnly:
		c.OldImage, c.NewImage = nil, nil
	case StreamNewImage:
		c.OldImage = nil
	case StreamOldImage:
		c.NewImage = nil
	case StreamNewAndOldImage:
	default:
		return c, false, nil
	}
	return c, true, nil
}

// decodeRecord decodes a change record as stored, with the stream view
// recorded by a table with PITR on ("" when the record has none).
func decodeRecord(seq uint64, v []byte) (Change, string, error) {
	m, err := attr.DecodeItem(v)
	if err != nil {
		return Change{}, "", err
	}
	c := Change{Seq: seq}
	view, _ := m["v"].(attr.S)
	if s, ok := m["e"].(attr.S); ok {
		c.Event = ChangeEvent(s)
	}
	c.Keys, _ = m["k"].(attr.M)
	c.OldImage, _ = m["old"].(attr.M)
	c.NewImage, _ = m["new"].(attr.M)
	if n, ok := m["t"].(attr.Number); ok {
		ms, _ := n.Int64()
		c.Time = time.UnixMilli(ms).UTC()
	}
	if s, ok := m["o"].(attr.S); ok {
		c.Origin = Origin(s)
	}
	if s, ok := m["p"].(attr.S); ok {
		c.Principal = string(s)
	}
	if s, ok := m["r"].(attr.S); ok {
		c.Region = string(s)
		if h, ok := m["h"].(attr.Number); ok {
			ts, _ := h.Int64()
			c.Version = Version{HLC: uint64(ts), Region: c.Region}
		}
	}
	return c, string(view), nil
}

// changeLog tracks the sequence numbers of one table's stream: the next
// number to hand out and those handed out to transactions that have not
// ended yet. Its watermark is the highest number below which every
// transaction has ended, so a reader that stops at the watermark never
// passes a record whose transaction may still commit (as Badger's own oracle
// does for timestamps).
type changeLog struct {
	mu      sync.Mutex
	next    uint64
	pending seqHeap
	// ended holds the numbers that ended while a lower one was pending,
	// with the record each committed (nil when it did not commit).
	ended map[uint64]*recentChange
	wake  chan struct{} // closed and replaced whenever the watermark moves
	// recent is the in-memory window of the latest records
	// (changecache.go).
	recent recentWindow
}

type allocatedSeq struct {
	log *changeLog
	seq uint64
	rec *recentChange // the record as readers will see it
}

func (l *changeLog) alloc() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.next
	l.next++
	heap.Push(&l.pending, s)
	return s
}

// done ends a number's transaction; rec is its record when it committed,
// nil otherwise. Records enter the in-memory window in sequence order, as
// the watermark passes them.
func (l *changeLog) done(seq uint64, rec *recentChange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ended[seq] = rec
	moved := false
	for l.pending.Len() > 0 {
		rc, ok := l.ended[l.pending[0]]
		if !ok {
			break
		}
		delete(l.ended, heap.Pop(&l.pending).(uint64))
		if rc != nil {
			l.recent.append(*rc)
		}
		moved = true
	}
	if moved {
		close(l.wake)
		l.wake = make(chan struct{})
	}
}

// watermark returns the highest sequence number that readers may read up to,
// and a channel closed when it next moves.
func (l *changeLog) watermark() (uint64, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.watermarkLocked(), l.wake
}

func (l *changeLog) watermarkLocked() uint64 {
	if l.pending.Len() > 0 {
		return l.pending[0] - 1
	}
	return l.next - 1
}

type seqHeap []uint64

func (h seqHeap) Len() int           { return len(h) }
func (h seqHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h seqHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *seqHeap) Push(x any)        { *h = append(*h, x.(uint64)) }
func (h *seqHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// changeLog returns the sequence tracker of a table, starting it from the
// last stored record on first use.
func (db *DB) changeLog(tableID uint64) (*changeLog, error) {
	if l, ok := db.logs.Load(tableID); ok {
		return l.(*changeLog), nil
	}
	db.logsMu.Lock()
	defer db.logsMu.Unlock()
	if l, ok := db.logs.Load(tableID); ok {
		return l.(*changeLog), nil
	}
	last, err := db.lastSeq(tableID)
	if err != nil {
		return nil, err
	}
	l := &changeLog{next: last + 1, ended: map[uint64]*recentChange{}, wake: make(chan struct{})}
	l.recent.from = last
	db.logs.Store(tableID, l)
	return l, nil
}

// lastSeq returns the highest stored sequence number of a table, or the
// highest trimmed one when the log is empty, or 0.
func (db *DB) lastSeq(tableID uint64) (uint64, error) {
	var last uint64
	err := db.kv.View(func(tx *kv.Txn) error {
		prefix := spacePrefix(nil, tableID, tabStream)
		it := tx.Iterate(kv.IterOptions{Prefix: prefix, Reverse: true, KeysOnly: true})
		defer it.Close()
		it.Seek(prefixEnd(prefix))
		if it.Valid() {
			last = binary.BigEndian.Uint64(it.Key()[len(prefix):])
			return nil
		}
		t, err := readTrimmed(tx, tableID)
		last = t
		return err
	})
	return last, err
}

func trimmedKey(tableID uint64) []byte {
	return append(spacePrefix(nil, tableID, tabState), "trimmed"...)
}

// readTrimmed returns the highest sequence number removed by retention.
func readTrimmed(tx *kv.Txn, tableID uint64) (uint64, error) {
	var s uint64
	err := tx.Get(trimmedKey(tableID), func(v []byte) error {
		s = binary.BigEndian.Uint64(v)
		return nil
	})
	if errors.Is(err, kv.ErrNotFound) {
		return 0, nil
	}
	return s, err
}

// ReadChangesInput asks for the change records of a table after a sequence
// number.
type ReadChangesInput struct {
	Table string
	// After is the sequence number of the last record already seen; 0
	// reads from the oldest retained record.
	After uint64
	// Limit caps the records returned; default and maximum 1000.
	Limit int
}

// ChangesPage is a batch of change records.
type ChangesPage struct {
	Changes []Change
	// Next is the sequence number to pass as After for the following
	// batch: the last record's, or After when there was none. (With
	// point-in-time recovery on, records kept only for recovery are not
	// shown to stream readers and Next may pass them.)
	Next uint64
	// Wait is closed when more records may be readable; a consumer that
	// got an empty page waits on it (or on its own context).
	Wait <-chan struct{}
}

// ReadChanges returns the committed change records of a table after
// in.After, in order, up to the watermark. When records after in.After were
// already removed by retention it fails with CodeTrimmedData.
func (db *DB) ReadChanges(ctx context.Context, in ReadChangesInput) (*ChangesPage, error) {
	return db.readChanges(ctx, in, 0)
}

// readChanges is ReadChanges; a non-zero wantID also requires the table to
// be that incarnation of the name (not one deleted and created again).
func (db *DB) readChanges(ctx context.Context, in ReadChangesInput, wantID uint64) (*ChangesPage, error) {
	if in.Limit <= 0 || in.Limit > 1000 {
		in.Limit = 1000
	}
	page := &ChangesPage{Next: in.After}
	// The watermark must be read before the snapshot is taken: every number
	// at or below it ended before the snapshot, so the snapshot holds each
	// of them that committed, and none is skipped.
	t, err := db.readTable(in.Table)
	if err != nil {
		return nil, err
	}
	if wantID != 0 && t.ID != wantID {
		return nil, errorf(CodeNotFound, "table %q was deleted", in.Table)
	}
	log, err := db.changeLog(t.ID)
	if err != nil {
		return nil, err
	}
	mark, wake := log.watermark()
	page.Wait = wake
	err = db.view(func(tx *kv.Txn) error {
		if now, err := db.loadTable(tx, in.Table); err != nil || now.ID != t.ID {
			return errorf(CodeNotFound, "table %q was deleted", in.Table)
		}
		trimmed, err := readTrimmed(tx, t.ID)
		if err != nil {
			return err
		}
		if in.After != 0 && in.After < trimmed { // 0: from the oldest record kept
			return errorf(CodeTrimmedData, "the change records after %d were removed by retention (the oldest kept follows %d)", in.After, trimmed)
		}
		prefix := spacePrefix(nil, t.ID, tabStream)
		it := tx.Iterate(kv.IterOptions{Prefix: prefix, PrefetchValues: true})
		defer it.Close()
		for it.Seek(binary.BigEndian.AppendUint64(append([]byte(nil), prefix...), in.After+1)); it.Valid() && len(page.Changes) < in.Limit; it.Next() {
			seq := binary.BigEndian.Uint64(it.Key()[len(prefix):])
			if seq > mark {
				break
			}
			var c Change
			visible := false
			if err := it.Value(func(v []byte) (err error) { c, visible, err = decodeChange(seq, v); return }); err != nil {
				return err
			}
			if visible {
				page.Changes = append(page.Changes, c)
			}
			page.Next = seq
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// trimChanges removes a table's change records older than the retention
// period and numbered at most maxSeq, in bounded batches, and remembers the
// highest number removed.
func (db *DB) trimChanges(ctx context.Context, tableID uint64, before time.Time, maxSeq uint64) error {
	prefix := spacePrefix(nil, tableID, tabStream)
	for {
		var n int
		err := db.update(ctx, func(tx *wtx) error {
			n = 0
			it := tx.Iterate(kv.IterOptions{Prefix: prefix, PrefetchValues: true})
			defer it.Close()
			var last uint64
			for it.Seek(prefix); it.Valid() && n < 1000; it.Next() {
				var c Change
				seq := binary.BigEndian.Uint64(it.Key()[len(prefix):])
				if seq > maxSeq {
					break
				}
				if err := it.Value(func(v []byte) (err error) { c, _, err = decodeRecord(seq, v); return }); err != nil {
					return err
				}
				if !c.Time.Before(before) {
					break
				}
				if err := tx.Delete(append([]byte(nil), it.Key()...)); err != nil {
					return err
				}
				last = seq
				n++
			}
			if n == 0 {
				return nil
			}
			return tx.Set(trimmedKey(tableID), binary.BigEndian.AppendUint64(nil, last))
		})
		if err != nil || n < 1000 {
			return err
		}
	}
}
