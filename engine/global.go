package engine

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/internal/kv"
)

// Global tables (docs/GLOBAL_TABLES.md). A table with Replicas is global:
// each of its writes carries a Version, kept beside the item in the
// version space (tabVer), deletes leave tombstones there, change records
// always hold the new image, the version and the origin region, and
// ApplyReplicated applies the changes of other regions, last writer wins.

// Version orders the writes of one item across regions: a hybrid logical
// clock timestamp (48-bit physical milliseconds, 16-bit logical counter),
// then the origin region.
type Version struct {
	HLC    uint64
	Region string
}

// Newer reports whether v wins over o (last writer wins).
func (v Version) Newer(o Version) bool {
	return v.HLC > o.HLC || v.HLC == o.HLC && v.Region > o.Region
}

// IsZero reports whether v is the version of nothing.
func (v Version) IsZero() bool { return v.HLC == 0 && v.Region == "" }

// Time is the physical part of the version's timestamp.
func (v Version) Time() time.Time { return time.UnixMilli(int64(v.HLC >> 16)).UTC() }

// HLCFromTime is the smallest timestamp at physical time t.
func HLCFromTime(t time.Time) uint64 { return uint64(max(t.UnixMilli(), 0)) << 16 }

// hlc is a hybrid logical clock: its readings increase strictly and stay
// at or after both the physical clock and every timestamp received.
type hlc struct {
	mu   sync.Mutex
	last uint64
}

// next returns a reading newer than every earlier one and than floor.
func (h *hlc) next(now time.Time, floor uint64) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last = max(h.last+1, HLCFromTime(now), floor+1)
	return h.last
}

// observe moves the clock past a received timestamp.
func (h *hlc) observe(ts uint64) {
	h.mu.Lock()
	h.last = max(h.last, ts)
	h.mu.Unlock()
}

// Replica is one region of a global table.
type Replica struct {
	Region string `json:"region"`
	// Address is the region's replication endpoint (http[s]://host:port);
	// a server's own peer configuration takes precedence.
	Address string `json:"address,omitempty"`
	// SeedFrom names the region that seeds this replica with a snapshot
	// when it is added to a table (empty for the first regions).
	SeedFrom string `json:"seedFrom,omitempty"`
}

func (t *tableDef) global() bool { return len(t.Replicas) > 0 }

// Region returns this server's region ("" when none is configured).
func (db *DB) Region() string { return db.opts.Region }

// normalizeReplicas validates a new replica set against the old one: the
// server's region is added when missing, and regions new to the set are
// seeded from this region.
func (db *DB) normalizeReplicas(in, old []Replica) ([]Replica, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if db.opts.Region == "" {
		return nil, errorf(CodeValidation, "this server has no region (-region); it cannot hold a global table")
	}
	seen := map[string]bool{}
	var out []Replica
	for _, r := range in {
		if err := validateRegion(r.Region); err != nil {
			return nil, err
		}
		if seen[r.Region] {
			return nil, errorf(CodeValidation, "region %q is listed twice", r.Region)
		}
		seen[r.Region] = true
		r.SeedFrom = ""
		if i := slices.IndexFunc(old, func(o Replica) bool { return o.Region == r.Region }); i >= 0 {
			r.SeedFrom = old[i].SeedFrom
			if r.Address == "" {
				r.Address = old[i].Address
			}
		} else if r.Region != db.opts.Region {
			r.SeedFrom = db.opts.Region
		}
		out = append(out, r)
	}
	if !seen[db.opts.Region] {
		out = append(out, Replica{Region: db.opts.Region})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Region < out[j].Region })
	return out, nil
}

func validateRegion(r string) error {
	if r == "" || len(r) > 64 || strings.ContainsAny(r, "/ \t\n=") {
		return errorf(CodeValidation, "invalid region name %q", r)
	}
	return nil
}

// errStaleSettings ends an adoption of settings that are not newer.
var errStaleSettings = errors.New("replicated settings are not newer")

// updateReplication applies UpdateTable's replica set and, for a global
// table, stamps (or adopts) the replicated settings.
func (db *DB) updateReplication(tx *wtx, t, next *tableDef, in UpdateTableInput) error {
	if in.settings != nil {
		if in.settings.Stamp <= t.SettingsStamp {
			return errStaleSettings
		}
		next.Replicas = append([]Replica(nil), in.settings.Replicas...)
		next.SettingsStamp = in.settings.Stamp
		db.hlc.observe(in.settings.Stamp)
		return nil
	}
	if in.Replicas != nil {
		rs, err := db.normalizeReplicas(*in.Replicas, t.Replicas)
		if err != nil {
			return err
		}
		next.Replicas = rs
	}
	if next.global() {
		next.SettingsStamp = db.hlc.next(db.now(), t.SettingsStamp)
	}
	return nil
}

// versionKey is the version-space key of an item.
func versionKey(t *tableDef, k primaryKey) []byte {
	return append(spacePrefix(make([]byte, 0, 10+len(k.enc)), t.ID, tabVer), k.enc...)
}

func tombKey(id uint64, ts uint64, enc []byte) []byte {
	k := binary.BigEndian.AppendUint64(spacePrefix(make([]byte, 0, 18+len(enc)), id, tabTomb), ts)
	return append(k, enc...)
}

func encodeVersion(v Version, tomb bool) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 9+len(v.Region)), v.HLC)
	f := byte(0)
	if tomb {
		f = 1
	}
	return append(append(b, f), v.Region...)
}

func decodeVersion(b []byte) (v Version, tomb bool, err error) {
	if len(b) < 9 {
		return v, false, errors.New("corrupt item version")
	}
	return Version{HLC: binary.BigEndian.Uint64(b), Region: string(b[9:])}, b[8] == 1, nil
}

// unversioned is the version of an item written before its table became
// global: older than every stamped write.
func (db *DB) unversioned() Version { return Version{HLC: 1, Region: db.opts.Region} }

// readVersion returns the stored version of an item or its tombstone
// (zero when neither exists; unversioned when only the item exists).
func (db *DB) readVersion(tx *kv.Txn, t *tableDef, k primaryKey, itemExists bool) (v Version, tomb bool, err error) {
	err = tx.Get(versionKey(t, k), func(b []byte) (err error) {
		v, tomb, err = decodeVersion(b)
		return err
	})
	if errors.Is(err, kv.ErrNotFound) {
		if itemExists {
			return db.unversioned(), false, nil
		}
		return Version{}, false, nil
	}
	return v, tomb, err
}

// stampVersion gives a write of a global table its version (a local write
// takes the clock, newer than the stored version) and stores it, or the
// tombstone of a delete.
func (db *DB) stampVersion(tx *wtx, w *write, now time.Time) error {
	if w.version.IsZero() {
		if w.new == nil && w.stored == nil {
			return nil // deleting nothing changes nothing
		}
		stored, _, err := db.readVersion(tx.Txn, w.t, w.k, w.stored != nil)
		if err != nil {
			return err
		}
		if db.opts.Region == "" {
			return errorf(CodeValidation, "table %q is global but this server has no region", w.t.Name)
		}
		w.version = Version{HLC: db.hlc.next(now, stored.HLC), Region: db.opts.Region}
	}
	tomb := w.new == nil
	if err := tx.Set(versionKey(w.t, w.k), encodeVersion(w.version, tomb)); err != nil {
		return err
	}
	if tomb {
		return tx.Set(tombKey(w.t.ID, w.version.HLC, w.k.enc), nil)
	}
	return nil
}

// ReplicatedChange is one item change shipped between regions.
type ReplicatedChange struct {
	// Seq is the record's number in the origin's change log (0 for the
	// items of a seeding snapshot).
	Seq uint64
	// Keys holds the item's key attributes.
	Keys attr.Item
	// NewImage is the item after the change; nil for a delete.
	NewImage attr.Item
	Version  Version
	Origin   Origin
	// Time is when the origin recorded the change.
	Time time.Time
}

// ApplyInput is a batch of changes from one source region.
type ApplyInput struct {
	Table  string
	Source string
	// Changes are in the source's log order.
	Changes []ReplicatedChange
	// UpTo is the source log position the batch reaches: records at or
	// below the stored checkpoint are skipped, and the checkpoint becomes
	// UpTo in the same transaction. 0 (snapshot batches) leaves it.
	UpTo uint64
}

// ApplyResult says what a batch did.
type ApplyResult struct {
	Applied, Skipped int
	// Checkpoint is the source's checkpoint after the batch.
	Checkpoint uint64
	// Lags are now minus each applied change's origin time.
	Lags []time.Duration
}

func checkpointKey(id uint64, source string) []byte {
	return append(spacePrefix(nil, id, tabState), "repl-in/"+source...)
}

func ackKey(id uint64, peer string) []byte {
	return append(spacePrefix(nil, id, tabState), "repl-ack/"+peer...)
}

func seedingKey(id uint64) []byte {
	return append(spacePrefix(nil, id, tabState), "repl-seeding"...)
}

func readU64(tx *kv.Txn, key []byte) (uint64, bool, error) {
	var n uint64
	err := tx.Get(key, func(v []byte) error {
		if len(v) != 8 {
			return errors.New("corrupt counter")
		}
		n = binary.BigEndian.Uint64(v)
		return nil
	})
	if errors.Is(err, kv.ErrNotFound) {
		return 0, false, nil
	}
	return n, err == nil, err
}

// isReplica reports whether region holds a replica of t.
func (t *tableDef) isReplica(region string) bool {
	return slices.ContainsFunc(t.Replicas, func(r Replica) bool { return r.Region == region })
}

// ErrNotReplica is the code-less cause of CodeAccessDenied errors of
// ApplyReplicated when the source is not in the table's replica set.
const notReplicaMsg = "is not a replica of table"

// IsNotReplica reports whether err says a source region is not (or no
// longer) a replica of the table.
func IsNotReplica(err error) bool {
	var e *Error
	return errors.As(err, &e) && strings.Contains(e.Message, notReplicaMsg)
}

// ApplyReplicated applies a batch of changes from another region, in one
// transaction: each change whose version is newer than the stored item's
// (or tombstone's) goes through the normal write path — indexes, TTL
// schedule, change log with the origin's region — and the others are
// skipped; the source's checkpoint advances in the same transaction, so a
// batch delivered twice applies once.
func (db *DB) ApplyReplicated(ctx context.Context, in ApplyInput) (*ApplyResult, error) {
	now := db.now()
	var res *ApplyResult
	var maxTS uint64
	for _, c := range in.Changes {
		maxTS = max(maxTS, c.Version.HLC)
	}
	db.hlc.observe(maxTS)
	err := db.update(ctx, func(tx *wtx) error {
		res = &ApplyResult{}
		t, err := db.loadTable(tx.Txn, in.Table)
		if err != nil {
			return err
		}
		if !t.global() || !t.isReplica(in.Source) {
			return errorf(CodeAccessDenied, "region %q %s %q here", in.Source, notReplicaMsg, in.Table)
		}
		cpKey := checkpointKey(t.ID, in.Source)
		cp, _, err := readU64(tx.Txn, cpKey)
		if err != nil {
			return err
		}
		res.Checkpoint = cp
		for _, c := range in.Changes {
			if c.Seq != 0 && c.Seq <= cp {
				res.Skipped++
				continue
			}
			src := c.Keys
			if src == nil {
				src = c.NewImage
			}
			k, err := keyOf(t.Key, src, false)
			if err != nil {
				return err
			}
			w := &write{t: t, k: k, key: itemKey(t, k), origin: c.Origin, version: c.Version}
			if w.origin == "" {
				w.origin = OriginUser
			}
			if w.stored, err = readItem(tx.Txn, w.key); err != nil {
				return err
			}
			stored, _, err := db.readVersion(tx.Txn, t, k, w.stored != nil)
			if err != nil {
				return err
			}
			if !c.Version.Newer(stored) {
				res.Skipped++
				continue
			}
			if w.stored != nil && !t.expired(w.stored, now) {
				w.old = w.stored
			}
			w.new = c.NewImage
			if w.new == nil && w.stored == nil {
				// Nothing to delete, but the tombstone must be kept so
				// that an older put arriving later cannot resurrect it.
				if err := db.stampVersion(tx, w, now); err != nil {
					return err
				}
			} else if err := db.commitWrite(tx, w, now); err != nil {
				return err
			}
			res.Applied++
			res.Lags = append(res.Lags, now.Sub(c.Version.Time()))
		}
		if in.UpTo > cp {
			res.Checkpoint = in.UpTo
			return tx.Set(cpKey, binary.BigEndian.AppendUint64(nil, in.UpTo))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ReplicaState is what a replica tells a shipping region.
type ReplicaState struct {
	// Exists: the table exists here (as a global table).
	Exists bool
	// Seeding: the table is being loaded from a snapshot; only the seeding
	// region may ship until it ends.
	Seeding bool
	// Checkpoint is the last record of the source applied here.
	Checkpoint uint64
}

// ReplicationCheckpoint returns the replica's state for a source region.
func (db *DB) ReplicationCheckpoint(ctx context.Context, table, source string) (ReplicaState, error) {
	var st ReplicaState
	err := db.view(func(tx *kv.Txn) error {
		t, err := db.loadTable(tx, table)
		var e *Error
		if errors.As(err, &e) && e.Code == CodeNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		st.Exists = t.global()
		if _, st.Seeding, err = readU64(tx, seedingKey(t.ID)); err != nil {
			return err
		}
		st.Checkpoint, _, err = readU64(tx, checkpointKey(t.ID, source))
		return err
	})
	return st, err
}

// ExportDefinition returns a global table's definition in the form
// CreateReplicaTable takes.
func (db *DB) ExportDefinition(ctx context.Context, table string) ([]byte, error) {
	var out []byte
	err := db.view(func(tx *kv.Txn) error {
		t, err := db.loadTable(tx, table)
		if err != nil {
			return err
		}
		out, err = json.Marshal(t)
		return err
	})
	return out, err
}

// CreateReplicaTable creates, from another region's definition, the local
// replica of a global table in the seeding state (until FinishSeed). An
// existing replica still seeding is kept; a finished one is
// CodeResourceInUse.
func (db *DB) CreateReplicaTable(ctx context.Context, definition []byte) error {
	src := new(tableDef)
	if err := json.Unmarshal(definition, src); err != nil {
		return errorf(CodeValidation, "invalid table definition: %v", err)
	}
	if !src.global() || !src.isReplica(db.opts.Region) || db.opts.Region == "" {
		return errorf(CodeValidation, "the definition of %q does not name this region (%q) as a replica", src.Name, db.opts.Region)
	}
	if err := validateTableName(src.Name); err != nil {
		return err
	}
	if err := validateKeySchema("table", src.Key); err != nil {
		return err
	}
	def := src.clone()
	def.ID, def.Version, def.Deleted, def.Restoring, def.TTLPending = 0, 1, false, false, false
	def.PITR, def.PITRSince, def.PITRRetention = false, time.Time{}, 0
	def.CreatedAt = db.now().UTC().Truncate(time.Millisecond)
	for _, ix := range def.Indexes {
		ix.Status = IndexActive // the table is empty: nothing to backfill
	}
	db.hlc.observe(def.SettingsStamp)
	return db.update(ctx, func(tx *wtx) error {
		t, err := db.loadTable(tx.Txn, def.Name)
		if err == nil {
			if _, seeding, err := readU64(tx.Txn, seedingKey(t.ID)); err != nil || seeding {
				return err
			}
			return errorf(CodeResourceInUse, "table %q already exists", def.Name)
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeNotFound {
			return err
		}
		d := def.clone()
		if err := createTableTx(tx, d); err != nil {
			return err
		}
		return tx.Set(seedingKey(d.ID), binary.BigEndian.AppendUint64(nil, 1))
	})
}

// FinishSeed ends the seeding of a replica: the seeding region's checkpoint
// becomes its snapshot watermark and every other source's the checkpoint
// the seeding region had at the snapshot (when higher than this one's).
func (db *DB) FinishSeed(ctx context.Context, table, source string, mark uint64, checkpoints map[string]uint64) error {
	return db.update(ctx, func(tx *wtx) error {
		t, err := db.loadTable(tx.Txn, table)
		if err != nil {
			return err
		}
		all := map[string]uint64{source: mark}
		for r, cp := range checkpoints {
			if r != db.opts.Region && r != source {
				all[r] = cp
			}
		}
		for r, cp := range all {
			key := checkpointKey(t.ID, r)
			old, _, err := readU64(tx.Txn, key)
			if err != nil {
				return err
			}
			if cp > old {
				if err := tx.Set(key, binary.BigEndian.AppendUint64(nil, cp)); err != nil {
					return err
				}
			}
		}
		return tx.Delete(seedingKey(t.ID))
	})
}

// Snapshot is the position of a replica snapshot.
type Snapshot struct {
	// Mark is the change-log watermark read before the snapshot: every
	// local change at or below it is in the snapshot.
	Mark uint64
	// Checkpoints are this region's checkpoints of the other sources, as
	// of the snapshot.
	Checkpoints map[string]uint64
	Items       int64
}

// ScanReplica reads a global table from one consistent snapshot — every
// item with its version and every tombstone — and passes them to fn in
// batches of up to batch changes. Writes go on meanwhile.
func (db *DB) ScanReplica(ctx context.Context, table string, batch int, fn func([]ReplicatedChange) error) (*Snapshot, error) {
	if batch <= 0 {
		batch = 256
	}
	t0, err := db.readTable(table)
	if err != nil {
		return nil, err
	}
	log, err := db.changeLog(t0.ID)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{Checkpoints: map[string]uint64{}}
	snap.Mark, _ = log.watermark() // before the snapshot, as ReadChanges
	err = db.view(func(tx *kv.Txn) error {
		t, err := db.loadTable(tx, table)
		if err != nil {
			return err
		}
		if t.ID != t0.ID {
			return errorf(CodeNotFound, "table %q was replaced", table)
		}
		for _, r := range t.Replicas {
			if cp, ok, err := readU64(tx, checkpointKey(t.ID, r.Region)); err != nil {
				return err
			} else if ok {
				snap.Checkpoints[r.Region] = cp
			}
		}
		var out []ReplicatedChange
		flush := func() error {
			if len(out) == 0 {
				return nil
			}
			err := fn(out)
			out = nil
			return err
		}
		prefix := spacePrefix(nil, t.ID, tabItems)
		it := tx.Iterate(kv.IterOptions{Prefix: prefix, PrefetchValues: true})
		for it.Seek(prefix); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				it.Close()
				return err
			}
			k, err := decodePrimaryKey(t.Key, append([]byte(nil), it.Key()[len(prefix):]...))
			if err != nil {
				it.Close()
				return err
			}
			var item attr.Item
			if err := it.Value(func(v []byte) (err error) { item, err = attr.DecodeItem(v); return }); err != nil {
				it.Close()
				return err
			}
			v, _, err := db.readVersion(tx, t, k, true)
			if err != nil {
				it.Close()
				return err
			}
			out = append(out, ReplicatedChange{Keys: keyItem(t.Key, k), NewImage: item, Version: v, Origin: OriginUser, Time: v.Time()})
			snap.Items++
			if len(out) >= batch {
				if err := flush(); err != nil {
					it.Close()
					return err
				}
			}
		}
		it.Close()
		// Tombstones, so that the new replica refuses older writes too.
		vp := spacePrefix(nil, t.ID, tabVer)
		it = tx.Iterate(kv.IterOptions{Prefix: vp, PrefetchValues: true})
		defer it.Close()
		for it.Seek(vp); it.Valid(); it.Next() {
			var v Version
			var tomb bool
			if err := it.Value(func(b []byte) (err error) { v, tomb, err = decodeVersion(b); return }); err != nil {
				return err
			}
			if !tomb {
				continue
			}
			k, err := decodePrimaryKey(t.Key, append([]byte(nil), it.Key()[len(vp):]...))
			if err != nil {
				return err
			}
			out = append(out, ReplicatedChange{Keys: keyItem(t.Key, k), Version: v, Origin: OriginUser, Time: v.Time()})
			if len(out) >= batch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// ReplicationPage is a batch of a table's local-origin change records.
type ReplicationPage struct {
	Changes []ReplicatedChange
	// Next is the position to read after (the last record examined).
	Next uint64
	// Wait is closed when more records may be readable.
	Wait <-chan struct{}
}

// ReadReplicationLog returns the change records of a global table after
// `after` that were made in this region (replicated ones are not shipped
// again), with their images and versions, up to the watermark.
func (db *DB) ReadReplicationLog(ctx context.Context, table string, after uint64, limit int) (*ReplicationPage, error) {
	if limit <= 0 || limit > 5000 {
		limit = 5000
	}
	t, err := db.readTable(table)
	if err != nil {
		return nil, err
	}
	log, err := db.changeLog(t.ID)
	if err != nil {
		return nil, err
	}
	mark, wake := log.watermark()
	page := &ReplicationPage{Next: after, Wait: wake}
	err = db.view(func(tx *kv.Txn) error {
		trimmed, err := readTrimmed(tx, t.ID)
		if err != nil {
			return err
		}
		if after != 0 && after < trimmed {
			return errorf(CodeTrimmedData, "the change records after %d were removed by retention (the oldest kept follows %d)", after, trimmed)
		}
		prefix := spacePrefix(nil, t.ID, tabStream)
		it := tx.Iterate(kv.IterOptions{Prefix: prefix, PrefetchValues: true})
		defer it.Close()
		examined := 0
		for it.Seek(binary.BigEndian.AppendUint64(append([]byte(nil), prefix...), after+1)); it.Valid() && len(page.Changes) < limit && examined < 4*limit; it.Next() {
			seq := binary.BigEndian.Uint64(it.Key()[len(prefix):])
			if seq > mark {
				break
			}
			examined++
			page.Next = seq
			var m attr.Item
			if err := it.Value(func(v []byte) (err error) { m, err = attr.DecodeItem(v); return }); err != nil {
				return err
			}
			h, ok := m["h"].(attr.Number)
			r, _ := m["r"].(attr.S)
			if !ok || string(r) != db.opts.Region {
				continue // not versioned (before the table was global), or replicated here
			}
			ts, _ := h.Int64()
			c := ReplicatedChange{Seq: seq, Version: Version{HLC: uint64(ts), Region: string(r)}}
			c.Keys, _ = m["k"].(attr.M)
			if e, _ := m["e"].(attr.S); ChangeEvent(e) != EventRemove {
				c.NewImage, _ = m["new"].(attr.M)
			}
			if o, ok := m["o"].(attr.S); ok {
				c.Origin = Origin(o)
			}
			if n, ok := m["t"].(attr.Number); ok {
				ms, _ := n.Int64()
				c.Time = time.UnixMilli(ms).UTC()
			}
			page.Changes = append(page.Changes, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// SetReplicaAck records that peer has applied this region's records of
// table up to seq (the change log keeps them until every replica has).
func (db *DB) SetReplicaAck(ctx context.Context, table, peer string, seq uint64) error {
	return db.update(ctx, func(tx *wtx) error {
		t, err := db.loadTable(tx.Txn, table)
		if err != nil {
			return err
		}
		old, _, err := readU64(tx.Txn, ackKey(t.ID, peer))
		if err != nil || seq <= old {
			return err
		}
		return tx.Set(ackKey(t.ID, peer), binary.BigEndian.AppendUint64(nil, seq))
	})
}

// replicaTrimBound is the highest change-record number of a global table
// that every other replica has acknowledged.
func (db *DB) replicaTrimBound(t *tableDef) (uint64, error) {
	bound := ^uint64(0)
	err := db.view(func(tx *kv.Txn) error {
		for _, r := range t.Replicas {
			if r.Region == db.opts.Region {
				continue
			}
			a, _, err := readU64(tx, ackKey(t.ID, r.Region))
			if err != nil {
				return err
			}
			bound = min(bound, a)
		}
		return nil
	})
	return bound, err
}

// ReplicaLag is a peer's replication position for one table.
type ReplicaLag struct {
	// Acked is the last local record the peer acknowledged.
	Acked uint64
	// Pending says whether local records wait to be shipped to it.
	Pending bool
	// Lag is how long the oldest unacknowledged local change has waited.
	Lag time.Duration
}

// ReplicationLag measures how far peer is behind this region on table.
func (db *DB) ReplicationLag(ctx context.Context, table, peer string) (ReplicaLag, error) {
	var l ReplicaLag
	err := db.view(func(tx *kv.Txn) error {
		t, err := db.loadTable(tx, table)
		if err != nil {
			return err
		}
		l.Acked, _, err = readU64(tx, ackKey(t.ID, peer))
		return err
	})
	if err != nil {
		return l, err
	}
	after := l.Acked
	for range 20 {
		p, err := db.ReadReplicationLog(ctx, table, after, 1)
		if err != nil {
			return l, err
		}
		if len(p.Changes) > 0 {
			l.Pending = true
			l.Lag = max(db.now().Sub(p.Changes[0].Time), 0)
			return l, nil
		}
		if p.Next == after {
			return l, nil
		}
		after = p.Next
	}
	return l, nil
}

// GlobalSettings are the parts of a global table's definition kept in step
// across its replicas.
type GlobalSettings struct {
	Stamp         uint64         `json:"stamp"`
	Replicas      []Replica      `json:"replicas"`
	GlobalIndexes []IndexSpec    `json:"globalIndexes,omitempty"`
	StreamView    StreamViewType `json:"streamView,omitempty"`
	TTLAttribute  string         `json:"ttlAttribute,omitempty"`
}

// GlobalTable is a global table as the replication layer sees it.
type GlobalTable struct {
	Name     string
	ID       uint64
	Settings GlobalSettings
}

// GlobalTables lists the global tables of this server with their settings.
func (db *DB) GlobalTables(ctx context.Context) ([]GlobalTable, error) {
	defs, err := db.allTables()
	if err != nil {
		return nil, err
	}
	var out []GlobalTable
	for _, t := range defs {
		if t.global() && !t.Restoring {
			out = append(out, GlobalTable{Name: t.Name, ID: t.ID, Settings: t.settings()})
		}
	}
	return out, nil
}

func (t *tableDef) settings() GlobalSettings {
	s := GlobalSettings{Stamp: t.SettingsStamp, Replicas: append([]Replica(nil), t.Replicas...), StreamView: t.StreamView, TTLAttribute: t.TTLAttribute}
	for _, ix := range t.Indexes {
		if !ix.Local {
			s.GlobalIndexes = append(s.GlobalIndexes, IndexSpec{Name: ix.Name, KeySchema: ix.Key, Projection: ix.Projection})
		}
	}
	return s
}

// AdoptSettings makes a replica's definition follow newer replicated
// settings (replicas, global indexes, stream, TTL); older or equal ones
// change nothing. It reports whether anything was adopted.
func (db *DB) AdoptSettings(ctx context.Context, table string, s GlobalSettings) (bool, error) {
	cur, err := db.readTable(table)
	if err != nil {
		return false, err
	}
	if s.Stamp <= cur.SettingsStamp {
		return false, nil
	}
	in := UpdateTableInput{Name: table, settings: &s, StreamView: &s.StreamView, TTLAttribute: &s.TTLAttribute}
	want := map[string]bool{}
	for _, ix := range s.GlobalIndexes {
		want[ix.Name] = true
		if cur.index(ix.Name) == nil {
			in.CreateGlobalIndexes = append(in.CreateGlobalIndexes, ix)
		}
	}
	for _, ix := range cur.Indexes {
		if !ix.Local && !want[ix.Name] {
			in.DeleteGlobalIndexes = append(in.DeleteGlobalIndexes, ix.Name)
		}
	}
	if _, err := db.UpdateTable(ctx, in); err != nil {
		if errors.Is(err, errStaleSettings) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// gcTombstones removes the tombstones of global tables older than the
// tombstone horizon, reading only its schedule.
func (db *DB) gcTombstones(ctx context.Context) error {
	defs, err := db.allTables()
	if err != nil {
		return err
	}
	limit := HLCFromTime(db.now().Add(-db.opts.TombstoneHorizon))
	for _, t := range defs {
		if !t.global() {
			continue
		}
		for {
			n := 0
			err := db.update(ctx, func(tx *wtx) error {
				n = 0
				prefix := spacePrefix(nil, t.ID, tabTomb)
				it := tx.Iterate(kv.IterOptions{Prefix: prefix, KeysOnly: true})
				var due [][]byte
				for it.Seek(prefix); it.Valid() && len(due) < 1000; it.Next() {
					if binary.BigEndian.Uint64(it.Key()[len(prefix):]) >= limit {
						break
					}
					due = append(due, append([]byte(nil), it.Key()...))
				}
				it.Close()
				for _, key := range due {
					n++
					ts := binary.BigEndian.Uint64(key[len(prefix):])
					vk := append(spacePrefix(nil, t.ID, tabVer), key[len(prefix)+8:]...)
					var v Version
					var tomb bool
					err := tx.Get(vk, func(b []byte) (err error) { v, tomb, err = decodeVersion(b); return })
					if err != nil && !errors.Is(err, kv.ErrNotFound) {
						return err
					}
					if err == nil && tomb && v.HLC == ts {
						if err := tx.Delete(vk); err != nil {
							return err
						}
					}
					if err := tx.Delete(key); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if n < 1000 {
				break
			}
		}
	}
	return nil
}

// ItemVersion returns the stored version of an item of a global table and
// whether it is a tombstone (tests, diagnostics).
func (db *DB) ItemVersion(ctx context.Context, table string, key attr.Item) (Version, bool, error) {
	var v Version
	var tomb bool
	err := db.view(func(tx *kv.Txn) error {
		t, err := db.loadTable(tx, table)
		if err != nil {
			return err
		}
		k, err := keyOf(t.Key, key, false)
		if err != nil {
			return err
		}
		item, err := readItem(tx, itemKey(t, k))
		if err != nil {
			return err
		}
		v, tomb, err = db.readVersion(tx, t, k, item != nil)
		return err
	})
	return v, tomb, err
}
