package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/fnv"
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
	"github.com/shoaldb/shoal/engine/internal/keys"
	"github.com/shoaldb/shoal/engine/internal/kv"
)

// source is what a Query or Scan reads: a table's items or one of its
// indexes.
type source struct {
	t      *tableDef
	ix     *indexDef // nil for the table itself
	key    KeySchema // the source's own key
	prefix []byte    // the key space read
}

func (db *DB) source(tx *kv.Txn, table, index string) (*source, error) {
	t, err := db.loadTable(tx, table)
	if err != nil {
		return nil, err
	}
	if index == "" {
		return &source{t: t, key: t.Key, prefix: spacePrefix(nil, t.ID, tabItems)}, nil
	}
	ix := t.index(index)
	if ix == nil {
		return nil, errorf(CodeValidation, "table %q has no index %q", table, index)
	}
	if ix.Status != IndexActive {
		return nil, errorf(CodeValidation, "index %q of table %q is %s and cannot be read until it is ACTIVE", index, table, ix.Status)
	}
	return &source{t: t, ix: ix, key: ix.Key, prefix: indexPrefix(nil, t.ID, ix.ID)}, nil
}

// span is a range of keys [lo, hi) within the source's prefix.
type span struct{ lo, hi []byte }

// Query reads the items of one partition of a table or index, in sort-key
// order, one page at a time.
func (db *DB) Query(ctx context.Context, in QueryInput) (*Page, error) {
	if in.KeyCondition == nil {
		return nil, errorf(CodeValidation, "a key condition is required")
	}
	now := db.now()
	var page *Page
	err := db.view(func(tx *kv.Txn) error {
		src, err := db.source(tx, in.Table, in.Index)
		if err != nil {
			return err
		}
		r, err := src.keyRange(in.KeyCondition)
		if err != nil {
			return err
		}
		// The table and its local indexes share the partition key: a
		// query of another partition is denied outright. A global index
		// has its own: readPage skips the rows of other partitions.
		if src.ix == nil || src.ix.Local {
			if !in.Restrict.allowsPartition(in.KeyCondition.PartitionValue) {
				return accessDenied("access denied: the caller may not query this partition")
			}
		}
		page, err = db.readPage(ctx, tx, src, r, scanSegment{}, &in.Paging, now)
		return err
	})
	return page, err
}

// Scan reads a whole table or index (or one segment of it) in key order, one
// page at a time.
func (db *DB) Scan(ctx context.Context, in ScanInput) (*Page, error) {
	seg := scanSegment{n: uint32(in.Segment), of: uint32(in.TotalSegments)}
	switch {
	case in.TotalSegments < 0 || in.TotalSegments > 1000000:
		return nil, errorf(CodeValidation, "TotalSegments must be between 1 and 1000000")
	case in.TotalSegments == 0 && in.Segment != 0:
		return nil, errorf(CodeValidation, "Segment needs TotalSegments")
	case in.Segment < 0 || in.TotalSegments > 0 && in.Segment >= in.TotalSegments:
		return nil, errorf(CodeValidation, "Segment must be at least 0 and less than TotalSegments (%d)", in.TotalSegments)
	}
	now := db.now()
	var page *Page
	err := db.view(func(tx *kv.Txn) error {
		src, err := db.source(tx, in.Table, in.Index)
		if err != nil {
			return err
		}
		r := span{lo: src.prefix, hi: prefixEnd(src.prefix)}
		page, err = db.readPage(ctx, tx, src, r, seg, &in.Paging, now)
		return err
	})
	return page, err
}

// keyRange compiles a key condition to the range of keys it selects.
func (s *source) keyRange(kc *expr.KeyCondition) (span, error) {
	sortName := ""
	if s.key.Sort != nil {
		sortName = s.key.Sort.Name
	}
	kc, err := kc.ForSchema(s.key.Partition.Name, sortName)
	if err != nil {
		return span{}, validationError("", err)
	}
	pk, err := keyValue(s.key.Partition, attr.Item{kc.PartitionName: kc.PartitionValue}, MaxPartitionKeyBytes)
	if err != nil {
		return span{}, err
	}
	p, _ := keys.Append(append([]byte(nil), s.prefix...), pk)
	all := span{lo: p, hi: prefixEnd(p)}
	sc := kc.Sort
	if sc == nil {
		return all, nil
	}
	if s.key.Sort == nil || sc.Name != s.key.Sort.Name {
		return span{}, errorf(CodeValidation, "query key condition not supported: %q is not the sort key", sc.Name)
	}
	ks := *s.key.Sort
	enc := func(v attr.Value) ([]byte, error) {
		if v.Type() != ks.Type {
			return nil, errorf(CodeValidation, "type mismatch for the sort key %q: expected %s, got %s", ks.Name, ks.Type, v.Type())
		}
		return keys.Append(append([]byte(nil), p...), v)
	}
	want := 1
	if sc.Op == expr.SortBetween {
		want = 2
	}
	if len(sc.Values) != want {
		return span{}, errorf(CodeValidation, "the sort key condition needs %d value(s)", want)
	}
	if sc.Op == expr.SortBeginsWith {
		switch v := sc.Values[0].(type) {
		case attr.S:
			if ks.Type != attr.TypeS {
				break
			}
			lo := keys.PrefixS(append([]byte(nil), p...), string(v))
			return span{lo: lo, hi: prefixEnd(lo)}, nil
		case attr.B:
			if ks.Type != attr.TypeB {
				break
			}
			lo := keys.PrefixB(append([]byte(nil), p...), v)
			return span{lo: lo, hi: prefixEnd(lo)}, nil
		}
		return span{}, errorf(CodeValidation, "begins_with needs a sort key and a value of type S or B")
	}
	v, err := enc(sc.Values[0])
	if err != nil {
		return span{}, err
	}
	switch sc.Op {
	case expr.SortEQ:
		return span{lo: v, hi: prefixEnd(v)}, nil
	case expr.SortLT:
		return span{lo: all.lo, hi: v}, nil
	case expr.SortLE:
		return span{lo: all.lo, hi: prefixEnd(v)}, nil
	case expr.SortGT:
		return span{lo: prefixEnd(v), hi: all.hi}, nil
	case expr.SortGE:
		return span{lo: v, hi: all.hi}, nil
	case expr.SortBetween:
		hi, err := enc(sc.Values[1])
		if err != nil {
			return span{}, err
		}
		if c, _ := attr.Compare(sc.Values[0], sc.Values[1]); c > 0 {
			return span{}, errorf(CodeValidation, "invalid key condition: the BETWEEN operator requires the upper bound to be greater than or equal to the lower bound")
		}
		return span{lo: v, hi: prefixEnd(hi)}, nil
	}
	return span{}, errorf(CodeValidation, "unsupported sort key operator")
}

// scanSegment selects the part n of `of` of a parallel scan; of == 0 means
// the whole table. An item belongs to the segment its partition key hashes
// to, so segments are disjoint and their union is the table.
type scanSegment struct{ n, of uint32 }

func (s scanSegment) holds(src *source, suffix []byte) bool {
	if s.of <= 1 {
		return true
	}
	rest, err := keys.Skip(suffix, src.key.Partition.Type)
	if err != nil {
		return false
	}
	h := fnv.New32a()
	h.Write(suffix[:len(suffix)-len(rest)])
	return h.Sum32()%s.of == s.n
}

const cursorVersion = 1

// cursor is the opaque resumption point of a Query or Scan: the source, the
// segment and the last key read.
func (s *source) cursor(seg scanSegment, suffix []byte) []byte {
	c := []byte{cursorVersion}
	c = binary.BigEndian.AppendUint64(c, s.t.ID)
	var ixID uint32
	if s.ix != nil {
		ixID = s.ix.ID
	}
	c = binary.BigEndian.AppendUint32(c, ixID)
	c = binary.AppendUvarint(c, uint64(seg.n))
	c = binary.AppendUvarint(c, uint64(seg.of))
	return append(c, suffix...)
}

// resumeKey returns the storage key after which a page resumes, from either
// form of cursor, checking that it belongs to this request.
func (s *source) resumeKey(p *Paging, seg scanSegment, r span) ([]byte, error) {
	var suffix []byte
	switch {
	case p.After != nil && p.ExclusiveStartKey != nil:
		return nil, errorf(CodeValidation, "give either a cursor or an exclusive start key, not both")
	case p.After != nil:
		c := p.After
		bad := errorf(CodeValidation, "the cursor is invalid or belongs to another table, index or scan segment")
		if len(c) < 13 || c[0] != cursorVersion || binary.BigEndian.Uint64(c[1:]) != s.t.ID {
			return nil, bad
		}
		var ixID uint32
		if s.ix != nil {
			ixID = s.ix.ID
		}
		if binary.BigEndian.Uint32(c[9:]) != ixID {
			return nil, bad
		}
		c = c[13:]
		n, k := binary.Uvarint(c)
		if k <= 0 || uint32(n) != seg.n {
			return nil, bad
		}
		c = c[k:]
		of, k := binary.Uvarint(c)
		if k <= 0 || uint32(of) != seg.of {
			return nil, bad
		}
		suffix = c[k:]
	case p.ExclusiveStartKey != nil:
		var err error
		if suffix, err = s.encodeStartKey(p.ExclusiveStartKey); err != nil {
			return nil, err
		}
	default:
		return nil, nil
	}
	key := append(append([]byte(nil), s.prefix...), suffix...)
	// The key must lie within the request's range (it may sit on either
	// bound: a backward page ends on the low one).
	if bytes.Compare(key, r.lo) < 0 || r.hi != nil && bytes.Compare(key, r.hi) >= 0 {
		return nil, errorf(CodeValidation, "the exclusive start key or cursor is outside the range of this request")
	}
	return key, nil
}

// encodeStartKey turns an ExclusiveStartKey into the storage key suffix of
// the source.
func (s *source) encodeStartKey(esk attr.Item) ([]byte, error) {
	if s.ix == nil {
		k, err := keyOf(s.t.Key, esk, true)
		if err != nil {
			return nil, errorf(CodeValidation, "the provided starting key is invalid: %s", err.(*Error).Message)
		}
		return k.enc, nil
	}
	k, err := keyOf(s.t.Key, esk, false)
	if err != nil {
		return nil, errorf(CodeValidation, "the provided starting key is invalid: %s", err.(*Error).Message)
	}
	ik, err := keyOf(s.ix.Key, esk, false)
	if err != nil {
		return nil, errorf(CodeValidation, "the provided starting key is invalid: %s", err.(*Error).Message)
	}
	return append(ik.enc, k.enc...), nil
}

// lastKey decodes the key attributes (source key and table key) from a
// storage key suffix, for LastEvaluatedKey.
func (s *source) lastKey(suffix []byte) (attr.Item, error) {
	out := attr.Item{}
	decode := func(ks KeySchema) error {
		var v attr.Value
		var err error
		if v, suffix, err = keys.Decode(suffix, ks.Partition.Type); err != nil {
			return err
		}
		out[ks.Partition.Name] = v
		if ks.Sort != nil {
			if v, suffix, err = keys.Decode(suffix, ks.Sort.Type); err != nil {
				return err
			}
			out[ks.Sort.Name] = v
		}
		return nil
	}
	if s.ix != nil {
		if err := decode(s.ix.Key); err != nil {
			return nil, err
		}
	}
	if err := decode(s.t.Key); err != nil {
		return nil, err
	}
	return out, nil
}

// baseKey returns the table key suffix held at the end of an index entry's
// key suffix.
func (s *source) baseKey(suffix []byte) ([]byte, error) {
	rest, err := keys.Skip(suffix, s.ix.Key.Partition.Type)
	if err == nil && s.ix.Key.Sort != nil {
		rest, err = keys.Skip(rest, s.ix.Key.Sort.Type)
	}
	return rest, err
}

// needsBaseItem reports whether reading the index must also read the table's
// item: to check expiry when the index does not store the TTL attribute, or
// (fetch) for a local index asked for attributes it does not store.
func (s *source) needsBaseItem(p *Paging) (need, fetch bool, err error) {
	if s.ix == nil || s.ix.Projection.Type == ProjectAll {
		return false, false, nil
	}
	stored := map[string]bool{s.t.Key.Partition.Name: true, s.ix.Key.Partition.Name: true}
	for _, ks := range []*KeyAttribute{s.t.Key.Sort, s.ix.Key.Sort} {
		if ks != nil {
			stored[ks.Name] = true
		}
	}
	for _, n := range s.ix.Projection.NonKeyAttributes {
		stored[n] = true
	}
	need = s.t.TTLAttribute != "" && !stored[s.t.TTLAttribute]
	for _, path := range p.Projection {
		if !stored[path[0].Name] {
			if !s.ix.Local {
				return false, false, errorf(CodeValidation, "one or more parameter values were invalid: global secondary index %q does not project the attribute %q", s.ix.Name, path[0].Name)
			}
			need, fetch = true, true
		}
	}
	return need, fetch, nil
}

// readPage reads one page of r in the source.
func (db *DB) readPage(ctx context.Context, tx *kv.Txn, src *source, r span, seg scanSegment, p *Paging, now time.Time) (*Page, error) {
	if p.Limit < 0 {
		return nil, errorf(CodeValidation, "Limit must be at least 1")
	}
	if err := p.Restrict.checkRead(p.Projection, p.Filter); err != nil {
		return nil, err
	}
	needBase, fetch, err := src.needsBaseItem(p)
	if err != nil {
		return nil, err
	}
	allowed := p.Restrict.encodedPartitions(src.t)
	start, err := src.resumeKey(p, seg, r)
	if err != nil {
		return nil, err
	}
	it := tx.Iterate(kv.IterOptions{Prefix: src.prefix, Reverse: p.Backward, PrefetchValues: !p.CountOnly || p.Filter != nil})
	defer it.Close()
	inRange := func(k []byte) bool {
		return bytes.Compare(k, r.lo) >= 0 && (r.hi == nil || bytes.Compare(k, r.hi) < 0)
	}
	// Position on the first key of the page.
	switch {
	case !p.Backward && start == nil:
		it.Seek(r.lo)
	case !p.Backward:
		it.Seek(append(start, 0)) // the first key after start
	case start != nil:
		it.Seek(start)
		if it.Valid() && bytes.Equal(it.Key(), start) {
			it.Next()
		}
	case r.hi != nil:
		it.Seek(r.hi)
		if it.Valid() && bytes.Equal(it.Key(), r.hi) {
			it.Next()
		}
	default:
		it.Seek(append(append([]byte(nil), src.prefix...), 0xFF, 0xFF, 0xFF, 0xFF))
	}

	page := &Page{}
	var (
		bytesRead int
		last      []byte // storage key of the last item examined
		full      bool   // the page holds what it may hold
	)
	for ; it.Valid(); it.Next() {
		key := it.Key()
		if !inRange(key) {
			break
		}
		suffix := key[len(src.prefix):]
		if !seg.holds(src, suffix) || allowed != nil && !src.partitionIn(suffix, allowed) {
			continue
		}
		if page.ScannedCount%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		item, size, err := src.load(tx, it, suffix, needBase)
		if err != nil {
			return nil, err
		}
		if item == nil || src.t.expired(item, now) {
			continue // expired, or an index entry whose item is gone
		}
		if needBase && !fetch {
			// The table's item was read only to check its expiry: the
			// caller sees what the index projects.
			item = projectForIndex(src.t, src.ix, item)
		}
		match := p.Filter == nil || expr.Eval(p.Filter, item)
		if full {
			// Peeking past a full page: stop at the first key that will
			// give the next page something to do.
			if match || !p.LimitMatches {
				break
			}
			last = append(last[:0], key...)
			bytesRead += size
			if bytesRead >= MaxPageBytes {
				break
			}
			continue
		}
		page.ScannedCount++
		bytesRead += size
		last = append(last[:0], key...)
		if match {
			page.Count++
			if !p.CountOnly {
				page.Items = append(page.Items, p.Restrict.narrow(p.Projection.Apply(item)))
			}
		}
		counted := page.ScannedCount
		if p.LimitMatches {
			counted = page.Count
		}
		full = p.Limit > 0 && counted >= p.Limit || bytesRead >= MaxPageBytes
	}
	page.ReadBytes = bytesRead
	if full && it.Valid() && inRange(it.Key()) {
		suffix := last[len(src.prefix):]
		page.Cursor = src.cursor(seg, suffix)
		if page.LastEvaluatedKey, err = src.lastKey(suffix); err != nil {
			return nil, internalError("decode key", err)
		}
	}
	return page, nil
}

// load decodes the item at the iterator: the table's item, or an index
// entry's projected item (merged with the table's item when needBase).
func (s *source) load(tx *kv.Txn, it *kv.Iterator, suffix []byte, needBase bool) (attr.Item, int, error) {
	size := it.ValueSize()
	var item attr.Item
	err := it.Value(func(v []byte) (err error) {
		item, err = attr.DecodeItem(v)
		return err
	})
	if err != nil || !needBase {
		return item, size, err
	}
	bk, err := s.baseKey(suffix)
	if err != nil {
		return nil, 0, err
	}
	base, err := readItem(tx, append(spacePrefix(nil, s.t.ID, tabItems), bk...))
	if base == nil || err != nil {
		return nil, size, err
	}
	return base, size, nil
}

// partitionIn reports whether the row at suffix belongs to a table partition
// whose encoded key is in set (for an index entry, the table's key follows
// the index's).
func (s *source) partitionIn(suffix []byte, set map[string]bool) bool {
	if s.ix != nil {
		var err error
		if suffix, err = s.baseKey(suffix); err != nil {
			return false
		}
	}
	rest, err := keys.Skip(suffix, s.t.Key.Partition.Type)
	if err != nil {
		return false
	}
	return set[string(suffix[:len(suffix)-len(rest)])]
}
