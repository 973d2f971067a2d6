package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shoaldb/shoal/engine/internal/kv"
)

// Point-in-time recovery (PITR). A table with PITR on
//
//   - writes a change record for every write, with the new image (keys for
//     a removal), whatever its stream's view type; stream readers see only
//     what the view asks for (decodeChange);
//   - gets a snapshot every Options.PITRSnapshotInterval: an engine-internal
//     backup under <BackupDir>/pitr/<table id>/<ms>-<seq>, the name giving
//     the snapshot's time and the change-log watermark read before it;
//   - keeps its change records after its oldest kept snapshot (trimming
//     stops at that snapshot's watermark), and the snapshots needed to cover
//     the window: all younger than the window, plus the newest older one.
//
// A restore to time T loads the newest snapshot taken at or before T, then
// replays, in sequence order, the records numbered after its watermark
// whose time is at or before T. Records of one item are in write order, and
// a record is a full new image or a removal, so replaying a record the
// snapshot already holds changes nothing: the result is every write made at
// or before T. All records of one transaction share its time, so a
// transaction is wholly in or wholly out.

const pitrDirName = "pitr"

// MaxPITRRetention is the longest recovery window a table may ask for.
const MaxPITRRetention = 35 * 24 * time.Hour

func validatePITRRetention(d time.Duration) error {
	if d < 0 || d > MaxPITRRetention || d > 0 && d < time.Second {
		return errorf(CodeValidation, "the point-in-time recovery window must be 1 s to %s, not %s", MaxPITRRetention, d)
	}
	return nil
}

// pitrSnapshot names one PITR snapshot directory.
type pitrSnapshot struct {
	name string
	at   time.Time
	seq  uint64
}

func pitrSnapshotName(at time.Time, seq uint64) string {
	return fmt.Sprintf("%013d-%020d", at.UnixMilli(), seq)
}

func parsePITRSnapshot(name string) (pitrSnapshot, bool) {
	a, b, ok := strings.Cut(name, "-")
	if !ok {
		return pitrSnapshot{}, false
	}
	ms, err1 := strconv.ParseInt(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	if err1 != nil || err2 != nil {
		return pitrSnapshot{}, false
	}
	return pitrSnapshot{name: name, at: time.UnixMilli(ms).UTC(), seq: seq}, true
}

func (db *DB) pitrRoot() string { return filepath.Join(db.opts.BackupDir, pitrDirName) }

func (db *DB) pitrDir(id uint64) string {
	return filepath.Join(db.pitrRoot(), strconv.FormatUint(id, 10))
}

// pitrRetention is the table's recovery window.
func (db *DB) pitrRetention(t *tableDef) time.Duration {
	if t.PITRRetention > 0 {
		return t.PITRRetention
	}
	return db.opts.PITRRetention
}

// listPITRSnapshots returns every complete snapshot of table id, oldest
// first.
func (db *DB) listPITRSnapshots(id uint64) ([]pitrSnapshot, error) {
	entries, err := os.ReadDir(db.pitrDir(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, internalError("list PITR snapshots", err)
	}
	var out []pitrSnapshot
	for _, e := range entries {
		if s, ok := parsePITRSnapshot(e.Name()); ok && e.IsDir() {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out, nil
}

// pitrSnapshots returns the snapshots of the table's current PITR period.
func (db *DB) pitrSnapshots(t *tableDef) ([]pitrSnapshot, error) {
	all, err := db.listPITRSnapshots(t.ID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, s := range all {
		if !s.at.Before(t.PITRSince) {
			out = append(out, s)
		}
	}
	return out, nil
}

// pitrTrimBound is the highest change-record number the trimmer may remove
// from a table with PITR on: the watermark of its oldest snapshot (0, none,
// before the first snapshot).
func (db *DB) pitrTrimBound(t *tableDef) (uint64, error) {
	if db.opts.BackupDir == "" {
		return 0, nil
	}
	db.bk.mu.Lock()
	defer db.bk.mu.Unlock() // no pruning while the bound is in use
	snaps, err := db.pitrSnapshots(t)
	if err != nil || len(snaps) == 0 {
		return 0, err
	}
	return snaps[0].seq, nil
}

// pin keeps the snapshots of table id from being pruned until unpin.
func (db *DB) pin(id uint64) {
	db.bk.mu.Lock()
	defer db.bk.mu.Unlock()
	if db.bk.pins == nil {
		db.bk.pins = map[uint64]int{}
	}
	db.bk.pins[id]++
}

func (db *DB) unpin(id uint64) {
	db.bk.mu.Lock()
	defer db.bk.mu.Unlock()
	if db.bk.pins[id]--; db.bk.pins[id] <= 0 {
		delete(db.bk.pins, id)
	}
}

// pitrTick takes the snapshots that are due and prunes the ones no longer
// needed. The background loop calls it; tests call it with a fake clock.
func (db *DB) pitrTick(ctx context.Context) error {
	db.bk.tick.Lock()
	defer db.bk.tick.Unlock()
	defs, err := db.allTables()
	if err != nil {
		return err
	}
	active := map[string]bool{}
	var firstErr error
	for _, t := range defs {
		if !t.PITR || t.Restoring {
			continue
		}
		active[strconv.FormatUint(t.ID, 10)] = true
		snaps, err := db.pitrSnapshots(t)
		if err == nil && (len(snaps) == 0 || db.now().Sub(snaps[len(snaps)-1].at) >= db.opts.PITRSnapshotInterval) {
			err = db.takePITRSnapshot(ctx, t)
		}
		if err == nil {
			err = db.prunePITR(t)
		}
		if err != nil && CodeOf(err) != CodeNotFound && firstErr == nil {
			firstErr = fmt.Errorf("table %s: %w", t.Name, err)
		}
	}
	// Snapshots of tables deleted or with PITR turned off.
	entries, err := os.ReadDir(db.pitrRoot())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return internalError("list PITR snapshots", err)
	}
	db.bk.mu.Lock()
	defer db.bk.mu.Unlock()
	for _, e := range entries {
		id, perr := strconv.ParseUint(e.Name(), 10, 64)
		if perr != nil || active[e.Name()] || db.bk.pins[id] > 0 {
			continue
		}
		if err := os.RemoveAll(filepath.Join(db.pitrRoot(), e.Name())); err != nil && firstErr == nil {
			firstErr = internalError("remove PITR snapshots", err)
		}
	}
	return firstErr
}

// takePITRSnapshot writes a snapshot of t now.
func (db *DB) takePITRSnapshot(ctx context.Context, t *tableDef) error {
	_, err := db.writeBackup(ctx, db.pitrDir(t.ID), "", BackupPITR, "", []string{t.Name}, t.ID, newTracker(nil))
	return err
}

// prunePITR removes the snapshots of t that no restore in its window can
// use: those of an earlier PITR period, and those older than the newest one
// taken at or before the start of the window.
func (db *DB) prunePITR(t *tableDef) error {
	db.bk.mu.Lock()
	defer db.bk.mu.Unlock()
	if db.bk.pins[t.ID] > 0 {
		return nil
	}
	all, err := db.listPITRSnapshots(t.ID)
	if err != nil {
		return err
	}
	cutoff := db.now().Add(-db.pitrRetention(t))
	keepFrom := -1
	for i, s := range all {
		if !s.at.Before(t.PITRSince) && !s.at.After(cutoff) {
			keepFrom = i
		}
	}
	for i, s := range all {
		if s.at.Before(t.PITRSince) || i < keepFrom {
			if err := os.RemoveAll(filepath.Join(db.pitrDir(t.ID), s.name)); err != nil {
				return internalError("remove PITR snapshot", err)
			}
		}
	}
	return nil
}

// PITRDescription describes a table's point-in-time recovery.
type PITRDescription struct {
	Table   string
	Enabled bool
	// Retention is the recovery window; Since, when PITR was turned on.
	Retention time.Duration
	Since     time.Time
	// EarliestRestorable and LatestRestorable bound the times a restore
	// may ask for; both zero until the first snapshot is taken.
	EarliestRestorable, LatestRestorable time.Time
	// Snapshots counts the snapshots kept.
	Snapshots int
}

// DescribePITR describes a table's point-in-time recovery and its window.
func (db *DB) DescribePITR(ctx context.Context, table string) (*PITRDescription, error) {
	t, err := db.readTable(table)
	if err != nil {
		return nil, err
	}
	d := &PITRDescription{Table: t.Name, Enabled: t.PITR, Retention: db.pitrRetention(t), Since: t.PITRSince}
	if !t.PITR || db.opts.BackupDir == "" {
		return d, nil
	}
	snaps, err := db.pitrSnapshots(t)
	if err != nil {
		return nil, err
	}
	d.Snapshots = len(snaps)
	d.EarliestRestorable, d.LatestRestorable = db.pitrWindow(t, snaps, db.now())
	return d, nil
}

// pitrWindow returns the restorable window of t at now.
func (db *DB) pitrWindow(t *tableDef, snaps []pitrSnapshot, now time.Time) (earliest, latest time.Time) {
	if len(snaps) == 0 {
		return time.Time{}, time.Time{}
	}
	earliest = snaps[0].at
	if w := now.Add(-db.pitrRetention(t)).UTC(); w.After(earliest) {
		earliest = w
	}
	return earliest, now.UTC()
}

// PITRRestoreInput asks to restore a table as it was at a point in time.
type PITRRestoreInput struct {
	// Source is the table with PITR on; Target, the new table to create.
	Source, Target string
	// Time is the instant to restore: the new table holds every write made
	// at or before it. Latest restores the latest restorable time instead.
	Time   time.Time
	Latest bool
	// Progress, as for RestoreInput.
	Progress func(Progress)
}

// RestoreToPointInTime creates a new table holding the source table as it
// was at in.Time, which must lie in the source's recovery window (else
// CodeValidation, naming the window). Like RestoreBackup it checks the
// snapshot before creating anything and leaves nothing behind on failure.
func (db *DB) RestoreToPointInTime(ctx context.Context, in PITRRestoreInput) (*TableDescription, error) {
	return db.restoreToPointInTime(ctx, in, newTracker(in.Progress))
}

func (db *DB) restoreToPointInTime(ctx context.Context, in PITRRestoreInput, tr *tracker) (*TableDescription, error) {
	if _, err := db.backupRoot(); err != nil {
		return nil, err
	}
	if err := validateTableName(in.Target); err != nil {
		return nil, err
	}
	src, err := db.readTable(in.Source)
	if err != nil {
		return nil, err
	}
	if !src.PITR {
		return nil, errorf(CodeValidation, "point-in-time recovery is off for table %q", in.Source)
	}
	db.pin(src.ID)
	defer db.unpin(src.ID)
	now := db.now()
	snaps, err := db.pitrSnapshots(src)
	if err != nil {
		return nil, err
	}
	if len(snaps) == 0 {
		return nil, errorf(CodeValidation, "table %q has no point-in-time recovery snapshot yet (PITR was turned on at %s); retry after the first one", in.Source, src.PITRSince.Format(time.RFC3339))
	}
	earliest, latest := db.pitrWindow(src, snaps, now)
	at := in.Time
	if in.Latest {
		at = latest
	}
	if at.Before(earliest) || at.After(latest) {
		return nil, errorf(CodeValidation, "the restore time %s is outside the recovery window of table %q: %s to %s",
			at.UTC().Format(time.RFC3339Nano), in.Source, earliest.Format(time.RFC3339Nano), latest.Format(time.RFC3339Nano))
	}
	snap := snaps[0]
	for _, s := range snaps {
		if !s.at.After(at) {
			snap = s
		}
	}
	dir := filepath.Join(db.pitrDir(src.ID), snap.name)
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	if len(m.Tables) != 1 || m.Tables[0].ID != src.ID {
		return nil, corrupt(dir, manifestName, "not a snapshot of table %q", in.Source)
	}
	// Replay up to the watermark: every record at or below it has ended,
	// and later ones began after this request (so after `at`, unless `at`
	// is now, where the cut is the watermark).
	log, err := db.changeLog(src.ID)
	if err != nil {
		return nil, err
	}
	mark, _ := log.watermark()
	replay := func(ctx context.Context, t *tableDef) error {
		return db.replayChanges(ctx, src, m.Tables[0].Seq, mark, at, t, tr)
	}
	out, err := db.restoreFrom(ctx, dir, m, []TableRename{{Source: m.Tables[0].Name, Target: in.Target}}, replay, tr)
	if err != nil {
		return nil, err
	}
	tr.done()
	return out[0], nil
}

// replayBatch bounds the change records read in one snapshot.
const replayBatch = 1000

// replayChanges applies to t the changes of src numbered after `from` and
// at most `to` that were made at or before `until`, in sequence order.
func (db *DB) replayChanges(ctx context.Context, src *tableDef, from, to uint64, until time.Time, t *tableDef, tr *tracker) error {
	tr.phase("replay", int64(to-min(from, to)), 0)
	prefix := spacePrefix(nil, src.ID, tabStream)
	after := from
	for after < to {
		var ops []restoreOp
		var read int64
		size := 0
		err := db.view(func(tx *kv.Txn) error {
			cur, err := db.loadTable(tx, src.Name)
			if err != nil || cur.ID != src.ID {
				return errorf(CodeNotFound, "table %q was deleted during the restore", src.Name)
			}
			trimmed, err := readTrimmed(tx, src.ID)
			if err != nil {
				return err
			}
			if trimmed > after {
				return errorf(CodeInternal, "the change records of table %q after %d were trimmed during the restore", src.Name, after)
			}
			it := tx.Iterate(kv.IterOptions{Prefix: prefix, PrefetchValues: true})
			defer it.Close()
			start := binary.BigEndian.AppendUint64(append([]byte(nil), prefix...), after+1)
			last := to
			for it.Seek(start); it.Valid() && read < replayBatch; it.Next() {
				seq := binary.BigEndian.Uint64(it.Key()[len(prefix):])
				if seq > to {
					break
				}
				last = seq
				read++
				var c Change
				var view string
				if err := it.Value(func(v []byte) (err error) { c, view, err = decodeRecord(seq, v); size += len(v); return }); err != nil {
					return err
				}
				if view == "" || c.Time.After(until) {
					// Before PITR was on (so in the snapshot), or too late.
					continue
				}
				image := c.NewImage
				if c.Event == EventRemove {
					image = nil
				} else if image == nil {
					return errorf(CodeInternal, "change record %d of table %q has no new image", seq, src.Name)
				}
				k, err := keyOf(t.Key, c.Keys, true)
				if err != nil {
					return internalError("replay", err)
				}
				ops = append(ops, restoreOp{k: k, item: image})
			}
			if read < replayBatch {
				last = to // the log holds nothing more up to `to`
			}
			after = last
			return nil
		})
		if err != nil {
			return err
		}
		for len(ops) > 0 {
			n := min(len(ops), restoreBatchItems)
			if err := db.applyOps(ctx, t, ops[:n], true); err != nil {
				return err
			}
			ops = ops[n:]
		}
		tr.add(read, int64(size))
	}
	return nil
}
