package engine

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/internal/kv"
)

// Backup kinds.
const (
	// BackupOnDemand: a backup a user asked for.
	BackupOnDemand = "ON_DEMAND"
	// BackupPITR: a snapshot the engine took for point-in-time recovery.
	BackupPITR = "PITR"
)

// BackupInput asks for an on-demand backup.
type BackupInput struct {
	// Tables names the tables to back up; empty backs up every table (a
	// server backup). All of them come from one consistent snapshot.
	Tables []string
	// Name is a label for people, kept in the manifest.
	Name string
	// Progress, when set, is called as the backup advances and once at
	// the end, from the goroutine running it; it must not block.
	Progress func(Progress)
}

// RestoreInput asks to restore tables of a backup into new tables.
type RestoreInput struct {
	// Backup is the id of the backup.
	Backup string
	// Tables maps tables of the backup to the new tables to create. Empty
	// with a backup of one table needs Target.
	Tables []TableRename
	// Target names the new table when the backup holds one table.
	Target string
	// Progress, as for BackupInput, covers checking and loading.
	Progress func(Progress)
}

// TableRename restores the backup's table Source as the new table Target.
type TableRename struct {
	Source, Target string
}

// BackupDescription describes a backup.
type BackupDescription struct {
	ID   string
	Name string
	Kind string // BackupOnDemand or BackupPITR
	// SnapshotAt is the time of the snapshot: the backup holds every change
	// made at or before it.
	SnapshotAt  time.Time
	CompletedAt time.Time
	Encrypted   bool
	Tables      []BackupTable
	// Items and Bytes total the tables' items and their stored bytes;
	// SizeBytes is what the files take on disk.
	Items, Bytes int64
	SizeBytes    int64
}

// BackupTable describes one table of a backup.
type BackupTable struct {
	// Table is the definition the table had when backed up.
	Table TableDescription
	// Seq is the table's change-log position at the snapshot: every change
	// numbered at or below it is in the backup.
	Seq          uint64
	Items, Bytes int64
}

// Progress reports how far a backup or a restore has got.
type Progress struct {
	// Phase is "snapshot" (backup), "verify", "load" or "replay"
	// (restore), or "done".
	Phase string
	// Items and Bytes done, of TotalItems and TotalBytes (0 when not
	// known yet; replay totals are not known in advance).
	Items, Bytes           int64
	TotalItems, TotalBytes int64
	Elapsed                time.Duration
	// BytesPerSecond and ItemsPerSecond are averages since the start.
	BytesPerSecond, ItemsPerSecond float64
	// ETA estimates the time left from the average rate; 0 when unknown.
	ETA time.Duration
}

// progressInterval is how often Progress callbacks fire at most.
const progressInterval = 200 * time.Millisecond

// tracker counts a long operation's work and reports it. Safe for
// concurrent use.
type tracker struct {
	mu    sync.Mutex
	fn    func(Progress)
	start time.Time
	last  time.Time
	p     Progress
}

func newTracker(fn func(Progress)) *tracker {
	now := time.Now()
	return &tracker{fn: fn, start: now, last: now}
}

func (tr *tracker) phase(name string, items, bytes int64) {
	tr.mu.Lock()
	tr.p.Phase, tr.p.TotalItems, tr.p.TotalBytes = name, items, bytes
	tr.p.Items, tr.p.Bytes = 0, 0
	tr.mu.Unlock()
	tr.report(true)
}

func (tr *tracker) add(items, bytes int64) {
	tr.mu.Lock()
	tr.p.Items += items
	tr.p.Bytes += bytes
	tr.mu.Unlock()
	tr.report(false)
}

// done marks the end, keeping the last phase's counts.
func (tr *tracker) done() {
	tr.mu.Lock()
	tr.p.Phase, tr.p.TotalItems, tr.p.TotalBytes = "done", tr.p.Items, tr.p.Bytes
	tr.mu.Unlock()
	tr.report(true)
}

func (tr *tracker) snapshot() Progress {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.compute(time.Now())
}

func (tr *tracker) compute(now time.Time) Progress {
	p := tr.p
	p.Elapsed = now.Sub(tr.start)
	if s := p.Elapsed.Seconds(); s > 0 {
		p.BytesPerSecond, p.ItemsPerSecond = float64(p.Bytes)/s, float64(p.Items)/s
	}
	switch {
	case p.Phase == "done":
		p.ETA = 0
	case p.TotalBytes > 0 && p.BytesPerSecond > 0:
		p.ETA = time.Duration(float64(max(p.TotalBytes-p.Bytes, 0)) / p.BytesPerSecond * float64(time.Second))
	case p.TotalItems > 0 && p.ItemsPerSecond > 0:
		p.ETA = time.Duration(float64(max(p.TotalItems-p.Items, 0)) / p.ItemsPerSecond * float64(time.Second))
	}
	return p
}

func (tr *tracker) report(force bool) {
	tr.mu.Lock()
	now := time.Now()
	if !force && now.Sub(tr.last) < progressInterval {
		tr.mu.Unlock()
		return
	}
	tr.last = now
	p := tr.compute(now)
	fn := tr.fn
	tr.mu.Unlock()
	if fn != nil {
		fn(p)
	}
}

// backupDir returns the directory of the backups, or an error when backups
// are not configured.
func (db *DB) backupRoot() (string, error) {
	if db.opts.BackupDir == "" {
		return "", errorf(CodeValidation, "backups are not available: the database is in memory and no backup directory is configured")
	}
	return db.opts.BackupDir, nil
}

// validateBackupID rejects ids that are not plain directory names.
func validateBackupID(id string) error {
	if id == "" || len(id) > 255 || id[0] == '.' || id == pitrDirName {
		return errorf(CodeValidation, "invalid backup id %q", id)
	}
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return errorf(CodeValidation, "invalid backup id %q", id)
		}
	}
	return nil
}

func newBackupID(now time.Time) string {
	var r [4]byte
	_, _ = rand.Read(r[:])
	return "bk-" + now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(r[:])
}

// CreateBackup takes an on-demand backup of the named tables (every table
// when none is named) from one consistent snapshot while writes continue,
// and returns its description once the files are durable.
func (db *DB) CreateBackup(ctx context.Context, in BackupInput) (*BackupDescription, error) {
	root, err := db.backupRoot()
	if err != nil {
		return nil, err
	}
	id := newBackupID(db.now())
	return db.createBackup(ctx, root, id, in, newTracker(in.Progress))
}

func (db *DB) createBackup(ctx context.Context, root, id string, in BackupInput, tr *tracker) (*BackupDescription, error) {
	for _, name := range in.Tables {
		if err := validateTableName(name); err != nil {
			return nil, err
		}
	}
	m, err := db.writeBackup(ctx, root, id, BackupOnDemand, in.Name, in.Tables, 0, tr)
	if err != nil {
		return nil, err
	}
	tr.done()
	return describeBackup(filepath.Join(root, id), m)
}

// writeBackup writes a backup of the named tables (all when none) into
// root/id, through a temporary directory renamed into place when complete.
// With wantID ≠ 0 the single table must have that id. For a PITR snapshot
// id is "" and the directory is named after the snapshot's time and
// change-log position.
func (db *DB) writeBackup(ctx context.Context, root, id, kind, name string, tables []string, wantID uint64, tr *tracker) (*manifest, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, internalError("create backup directory", err)
	}
	tmp, err := os.MkdirTemp(root, ".tmp-")
	if err != nil {
		return nil, internalError("create backup directory", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	m, err := db.snapshotInto(ctx, tmp, kind, name, tables, wantID, tr)
	if err != nil {
		return nil, err
	}
	if id == "" {
		id = pitrSnapshotName(m.SnapshotAt, m.Tables[0].Seq)
	}
	m.ID = id
	m.CompletedAt = db.now().UTC()
	if err := writeManifest(tmp, m); err != nil {
		return nil, internalError("write backup manifest", err)
	}
	final := filepath.Join(root, id)
	if _, err := os.Stat(final); err == nil && kind == BackupPITR {
		return m, nil // a snapshot of the same instant and position exists
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, internalError("publish backup", err)
	}
	ok = true
	if err := syncDir(root); err != nil {
		return nil, internalError("sync backup directory", err)
	}
	return m, nil
}

// snapshotInto writes the data files of a backup into dir from one Badger
// snapshot and returns the manifest (without id).
func (db *DB) snapshotInto(ctx context.Context, dir, kind, name string, tables []string, wantID uint64, tr *tracker) (*manifest, error) {
	// The change-log watermarks are read before the snapshot is taken, as
	// ReadChanges does: every change numbered at or below a watermark has
	// ended by then, so the snapshot holds each one that committed.
	var defs []*tableDef
	err := db.view(func(tx *kv.Txn) error {
		if len(tables) == 0 {
			return nil
		}
		for _, n := range tables {
			t, err := db.loadTable(tx, n)
			if err != nil {
				return err
			}
			defs = append(defs, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(tables) == 0 {
		if defs, err = db.allTables(); err != nil {
			return nil, err
		}
		defs = slices.DeleteFunc(defs, func(t *tableDef) bool { return t.Restoring })
	}
	marks := make(map[uint64]uint64, len(defs))
	for _, t := range defs {
		if t.Restoring {
			return nil, errorf(CodeResourceInUse, "table %q is being restored", t.Name)
		}
		if wantID != 0 && t.ID != wantID {
			return nil, errorf(CodeNotFound, "table %q was replaced", t.Name)
		}
		log, err := db.changeLog(t.ID)
		if err != nil {
			return nil, err
		}
		marks[t.ID], _ = log.watermark()
	}
	m := &manifest{Format: backupFormat, Name: name, Kind: kind}
	gcm, err := db.backupAEAD()
	if err != nil {
		return nil, err
	}
	if gcm != nil {
		m.Encryption, m.KeyID = backupEncryption, backupKeyID(db.opts.BackupKey)
	}
	err = db.view(func(tx *kv.Txn) error {
		// Every change in the snapshot was made (its time read) before the
		// snapshot opened, so at or before this reading of the clock.
		m.SnapshotAt = db.now().UTC().Truncate(time.Millisecond)
		if db.bk.snapshotHook != nil {
			db.bk.snapshotHook(tx)
		}
		m.Tables = m.Tables[:0]
		var totalItems, totalBytes int64
		for _, t := range defs {
			now, err := db.loadTable(tx, t.Name)
			if err != nil || now.ID != t.ID {
				return errorf(CodeResourceInUse, "table %q changed while the backup started; retry", t.Name)
			}
			def, err := json.Marshal(now)
			if err != nil {
				return err
			}
			mt := manifestTable{Name: now.Name, ID: now.ID, Definition: def, Seq: marks[now.ID]}
			mt.Items, mt.Bytes, err = countItems(ctx, tx, now.ID)
			if err != nil {
				return err
			}
			totalItems += mt.Items
			totalBytes += mt.Bytes
			m.Tables = append(m.Tables, mt)
		}
		tr.phase("snapshot", totalItems, totalBytes)
		for i := range m.Tables {
			if err := db.dumpTable(ctx, tx, dir, i, &m.Tables[i], gcm, tr); err != nil {
				return err
			}
			m.Items += m.Tables[i].Items
			m.Bytes += m.Tables[i].Bytes
		}
		return nil
	})
	if err != nil {
		return nil, storageErr(err)
	}
	return m, nil
}

// countItems counts a table's items and their stored bytes by a key walk.
func countItems(ctx context.Context, tx *kv.Txn, id uint64) (items, bytes int64, err error) {
	prefix := spacePrefix(nil, id, tabItems)
	it := tx.Iterate(kv.IterOptions{Prefix: prefix, KeysOnly: true})
	defer it.Close()
	for it.Seek(prefix); it.Valid(); it.Next() {
		if items%4096 == 0 && ctx.Err() != nil {
			return 0, 0, ctx.Err()
		}
		items++
		bytes += int64(it.ValueSize())
	}
	return items, bytes, nil
}

// dumpTable writes one table's items, as stored, into chunked data files.
// It recounts the items as it writes them (the walk and the dump see the
// same snapshot, so the counts agree).
func (db *DB) dumpTable(ctx context.Context, tx *kv.Txn, dir string, ti int, mt *manifestTable, aead cipher.AEAD, tr *tracker) error {
	prefix := spacePrefix(nil, mt.ID, tabItems)
	it := tx.Iterate(kv.IterOptions{Prefix: prefix, PrefetchValues: true})
	defer it.Close()
	var fw *dataFileWriter
	var items, size int64
	closeFile := func() error {
		if fw == nil {
			return nil
		}
		f, err := fw.close()
		fw = nil
		if err != nil {
			return internalError("write backup", err)
		}
		mt.Files = append(mt.Files, f)
		return nil
	}
	var pendItems, pendBytes int64
	for it.Seek(prefix); it.Valid(); it.Next() {
		if items%1024 == 0 {
			if err := ctx.Err(); err != nil {
				closeFile()
				return err
			}
		}
		if fw != nil && fw.size >= db.opts.BackupChunkBytes {
			if err := closeFile(); err != nil {
				return err
			}
		}
		if fw == nil {
			var err error
			fw, err = createDataFile(dir, fmt.Sprintf("t%03d-%05d%s", ti, len(mt.Files), dataFileExt), aead)
			if err != nil {
				return internalError("write backup", err)
			}
		}
		var n int
		err := it.Value(func(v []byte) error { n = len(v); return fw.add(v) })
		if err != nil {
			closeFile()
			return internalError("write backup", err)
		}
		items++
		size += int64(n)
		pendItems++
		pendBytes += int64(n)
		if pendItems == 256 {
			tr.add(pendItems, pendBytes)
			pendItems, pendBytes = 0, 0
		}
	}
	if fw == nil { // an empty table still gets a (record-less) file
		var err error
		if fw, err = createDataFile(dir, fmt.Sprintf("t%03d-%05d%s", ti, 0, dataFileExt), aead); err != nil {
			return internalError("write backup", err)
		}
	}
	if err := closeFile(); err != nil {
		return err
	}
	tr.add(pendItems, pendBytes)
	mt.Items, mt.Bytes = items, size
	return nil
}

// backupAEAD returns the cipher for backup files, nil without a key.
func (db *DB) backupAEAD() (cipher.AEAD, error) {
	if len(db.opts.BackupKey) == 0 {
		return nil, nil
	}
	a, err := newGCM(db.opts.BackupKey)
	if err != nil {
		return nil, internalError("backup key", err)
	}
	return a, nil
}

// describeBackup builds a backup's description from its manifest.
func describeBackup(dir string, m *manifest) (*BackupDescription, error) {
	d := &BackupDescription{ID: m.ID, Name: m.Name, Kind: m.Kind, SnapshotAt: m.SnapshotAt, CompletedAt: m.CompletedAt,
		Encrypted: m.Encryption != "", Items: m.Items, Bytes: m.Bytes}
	for _, mt := range m.Tables {
		t := new(tableDef)
		if err := json.Unmarshal(mt.Definition, t); err != nil {
			return nil, corrupt(dir, manifestName, "table %q: %v", mt.Name, err)
		}
		d.Tables = append(d.Tables, BackupTable{Table: *t.describe(), Seq: mt.Seq, Items: mt.Items, Bytes: mt.Bytes})
		for _, f := range mt.Files {
			d.SizeBytes += f.Size
		}
	}
	return d, nil
}

// BackupStore reads and manages the backups in a directory without an
// open database: the CLI lists, describes, verifies and deletes backups with
// it while the server runs. DB's methods of the same names use one.
type BackupStore struct {
	dir string
	key []byte
	log *slog.Logger
}

// OpenBackupStore returns the store of the backups in dir; key (32 bytes,
// or nil) decrypts encrypted backups for VerifyBackup.
func OpenBackupStore(dir string, key []byte) (*BackupStore, error) {
	if dir == "" {
		return nil, errorf(CodeValidation, "a backup directory is required")
	}
	if len(key) != 0 && len(key) != 32 {
		return nil, errorf(CodeValidation, "a backup key must be 32 bytes (AES-256), not %d", len(key))
	}
	return &BackupStore{dir: dir, key: key, log: slog.Default()}, nil
}

func (db *DB) backupStore() (*BackupStore, error) {
	if _, err := db.backupRoot(); err != nil {
		return nil, err
	}
	return &BackupStore{dir: db.opts.BackupDir, key: db.opts.BackupKey, log: db.opts.Logger}, nil
}

// ListBackups returns the on-demand backups, oldest first. Backups whose
// manifest fails its checksum are left out (and logged).
func (db *DB) ListBackups(ctx context.Context) ([]*BackupDescription, error) {
	s, err := db.backupStore()
	if err != nil {
		return nil, err
	}
	return s.List(ctx)
}

// DescribeBackup describes one backup (CodeNotFound when there is none of
// that id; CodeValidation when its manifest is corrupt).
func (db *DB) DescribeBackup(ctx context.Context, id string) (*BackupDescription, error) {
	s, err := db.backupStore()
	if err != nil {
		return nil, err
	}
	return s.Describe(ctx, id)
}

// DeleteBackup removes a backup's files and returns what it described. A
// backup with a corrupt manifest can be deleted too.
func (db *DB) DeleteBackup(ctx context.Context, id string) (*BackupDescription, error) {
	s, err := db.backupStore()
	if err != nil {
		return nil, err
	}
	return s.Delete(ctx, id)
}

// VerifyBackup checks a backup completely: the manifest and every file's
// SHA-256, then every block's CRC (and authentication tag when encrypted)
// and record, without writing anything.
func (db *DB) VerifyBackup(ctx context.Context, id string) (*BackupDescription, error) {
	s, err := db.backupStore()
	if err != nil {
		return nil, err
	}
	return s.Verify(ctx, id)
}

func (db *DB) openBackup(id string) (string, *manifest, error) {
	s, err := db.backupStore()
	if err != nil {
		return "", nil, err
	}
	return s.open(id)
}

// checkKey reports whether this server can read the backup's files.
func (db *DB) checkKey(m *manifest) error { return checkBackupKey(db.opts.BackupKey, m) }

// List returns the on-demand backups, oldest first.
func (s *BackupStore) List(ctx context.Context) ([]*BackupDescription, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, internalError("list backups", err)
	}
	var out []*BackupDescription
	for _, e := range entries {
		if !e.IsDir() || validateBackupID(e.Name()) != nil {
			continue
		}
		dir := filepath.Join(s.dir, e.Name())
		m, err := readManifest(dir)
		if err != nil {
			s.log.Warn("skipping unreadable backup", "dir", dir, "err", err)
			continue
		}
		d, err := describeBackup(dir, m)
		if err != nil {
			continue
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SnapshotAt.Before(out[j].SnapshotAt) })
	return out, nil
}

// Describe describes one backup.
func (s *BackupStore) Describe(ctx context.Context, id string) (*BackupDescription, error) {
	dir, m, err := s.open(id)
	if err != nil {
		return nil, err
	}
	return describeBackup(dir, m)
}

func (s *BackupStore) open(id string) (string, *manifest, error) {
	if err := validateBackupID(id); err != nil {
		return "", nil, err
	}
	dir := filepath.Join(s.dir, id)
	m, err := readManifest(dir)
	return dir, m, err
}

// Delete removes a backup's files.
func (s *BackupStore) Delete(ctx context.Context, id string) (*BackupDescription, error) {
	if err := validateBackupID(id); err != nil {
		return nil, err
	}
	dir := filepath.Join(s.dir, id)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil, errorf(CodeNotFound, "backup %q does not exist", id)
	}
	d := &BackupDescription{ID: id}
	if m, err := readManifest(dir); err == nil {
		if dd, err := describeBackup(dir, m); err == nil {
			d = dd
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, internalError("delete backup", err)
	}
	return d, nil
}

// Verify checks a backup completely, decoding every record.
func (s *BackupStore) Verify(ctx context.Context, id string) (*BackupDescription, error) {
	dir, m, err := s.open(id)
	if err != nil {
		return nil, err
	}
	if err := checkBackupKey(s.key, m); err != nil {
		return nil, err
	}
	for _, mt := range m.Tables {
		if err := verifyFiles(ctx, dir, mt.Files, newTracker(nil)); err != nil {
			return nil, err
		}
		t := new(tableDef)
		if err := json.Unmarshal(mt.Definition, t); err != nil {
			return nil, corrupt(dir, manifestName, "table %q: %v", mt.Name, err)
		}
		err := readItems(ctx, dir, mt, s.key, t.Key, func(attr.Item, primaryKey, int) error { return nil })
		if err != nil {
			return nil, err
		}
	}
	return describeBackup(dir, m)
}

// checkBackupKey reports whether key reads the backup's files.
func checkBackupKey(key []byte, m *manifest) error {
	if m.Encryption == "" {
		return nil
	}
	if m.Encryption != backupEncryption {
		return errorf(CodeValidation, "backup %s uses unknown encryption %q", m.ID, m.Encryption)
	}
	if len(key) == 0 {
		return errorf(CodeValidation, "backup %s is encrypted and no backup key is configured", m.ID)
	}
	if backupKeyID(key) != m.KeyID {
		return errorf(CodeValidation, "backup %s was encrypted with a different key (key id %s)", m.ID, m.KeyID)
	}
	return nil
}

// verifyFiles checks the size and SHA-256 of every file.
func verifyFiles(ctx context.Context, dir string, files []manifestFile, tr *tracker) error {
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := verifyFile(dir, f); err != nil {
			return err
		}
		tr.add(f.Items, f.Size)
	}
	return nil
}

// readItems decodes a backed-up table's items in order and calls fn with
// each, its key and its encoded size. It checks that keys strictly
// increase (so the backup holds no duplicates) and that the counts match
// the manifest.
func readItems(ctx context.Context, dir string, mt manifestTable, key []byte, ks KeySchema, fn func(attr.Item, primaryKey, int) error) error {
	var prev []byte
	var n int64
	for _, f := range mt.Files {
		fr, err := openDataFile(dir, f.Name, key)
		if err != nil {
			return err
		}
		var fileItems int64
		for {
			raw, err := fr.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				fr.close()
				return err
			}
			if n%1024 == 0 && ctx.Err() != nil {
				fr.close()
				return ctx.Err()
			}
			item, err := attr.DecodeItem(raw)
			if err != nil {
				fr.close()
				return corrupt(dir, f.Name, "record %d: %v", fileItems, err)
			}
			k, err := keyOf(ks, item, false)
			if err != nil {
				fr.close()
				return corrupt(dir, f.Name, "record %d: %v", fileItems, err)
			}
			if prev != nil && bytes.Compare(k.enc, prev) <= 0 {
				fr.close()
				return corrupt(dir, f.Name, "record %d is out of key order", fileItems)
			}
			prev = k.enc
			if err := fn(item, k, len(raw)); err != nil {
				fr.close()
				return err
			}
			fileItems++
			n++
		}
		fr.close()
		if fileItems != f.Items {
			return corrupt(dir, f.Name, "%d records, the manifest says %d", fileItems, f.Items)
		}
	}
	if n != mt.Items {
		return corrupt(dir, manifestName, "table %q has %d records, the manifest says %d", mt.Name, n, mt.Items)
	}
	return nil
}

// RestoreBackup restores tables of a backup into new tables, with their
// indexes rebuilt and their settings (TTL, stream, PITR) restored. Every
// file is checked before anything is created; when loading fails midway
// the new tables are deleted, so a failed restore leaves nothing behind.
func (db *DB) RestoreBackup(ctx context.Context, in RestoreInput) ([]*TableDescription, error) {
	return db.restoreBackup(ctx, in, newTracker(in.Progress))
}

func (db *DB) restoreBackup(ctx context.Context, in RestoreInput, tr *tracker) ([]*TableDescription, error) {
	dir, m, err := db.openBackup(in.Backup)
	if err != nil {
		return nil, err
	}
	renames := in.Tables
	if len(renames) == 0 {
		if len(m.Tables) != 1 || in.Target == "" {
			return nil, errorf(CodeValidation, "backup %s holds %d tables: name each table to restore and its new name", in.Backup, len(m.Tables))
		}
		renames = []TableRename{{Source: m.Tables[0].Name, Target: in.Target}}
	}
	out, err := db.restoreFrom(ctx, dir, m, renames, nil, tr)
	if err != nil {
		return nil, err
	}
	tr.done()
	return out, nil
}

// replayFunc applies changes after a snapshot to a restored table (for
// point-in-time recovery) before the restore is finished.
type replayFunc func(ctx context.Context, t *tableDef) error

// restoreFrom restores the renamed tables of the backup in dir.
func (db *DB) restoreFrom(ctx context.Context, dir string, m *manifest, renames []TableRename, replay replayFunc, tr *tracker) ([]*TableDescription, error) {
	if err := db.checkKey(m); err != nil {
		return nil, err
	}
	type job struct {
		mt  manifestTable
		src *tableDef
		def *tableDef
	}
	var jobs []job
	targets := map[string]bool{}
	var totalItems, totalBytes, fileBytes int64
	for _, r := range renames {
		i := slices.IndexFunc(m.Tables, func(mt manifestTable) bool { return mt.Name == r.Source })
		if i < 0 {
			return nil, errorf(CodeValidation, "backup %s has no table %q", m.ID, r.Source)
		}
		if err := validateTableName(r.Target); err != nil {
			return nil, err
		}
		if targets[r.Target] {
			return nil, errorf(CodeValidation, "table %q is named twice as a restore target", r.Target)
		}
		targets[r.Target] = true
		if _, err := db.DescribeTable(ctx, r.Target); err == nil {
			return nil, errorf(CodeResourceInUse, "table %q already exists", r.Target)
		}
		mt := m.Tables[i]
		src := new(tableDef)
		if err := json.Unmarshal(mt.Definition, src); err != nil {
			return nil, corrupt(dir, manifestName, "table %q: %v", mt.Name, err)
		}
		def, err := restoredDef(src, r.Target)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, job{mt: mt, src: src, def: def})
		totalItems += mt.Items
		totalBytes += mt.Bytes
		for _, f := range mt.Files {
			fileBytes += f.Size
		}
	}
	// Check every file before creating anything.
	tr.phase("verify", 0, fileBytes)
	for _, j := range jobs {
		if err := verifyFiles(ctx, dir, j.mt.Files, tr); err != nil {
			return nil, err
		}
	}
	tr.phase("load", totalItems, totalBytes)
	var created []*tableDef
	fail := func(err error) ([]*TableDescription, error) {
		for _, t := range created {
			db.dropRestored(t)
		}
		return nil, err
	}
	var out []*TableDescription
	for _, j := range jobs {
		def := j.def.clone()
		def.CreatedAt = db.now().UTC().Truncate(time.Millisecond)
		if err := db.createTable(ctx, def); err != nil {
			return fail(err)
		}
		created = append(created, def)
		if err := db.loadItems(ctx, dir, j.mt, def, tr); err != nil {
			return fail(err)
		}
		if replay != nil {
			if err := replay(ctx, def); err != nil {
				return fail(err)
			}
		}
	}
	for i, j := range jobs {
		d, err := db.finishRestore(ctx, created[i], j.src)
		if err != nil {
			return fail(err)
		}
		out = append(out, d)
	}
	return out, nil
}

// restoredDef is the first definition of a table restored from src: a new
// name, every index ACTIVE (the loading writes fill them), and the stream
// and PITR off until the items are loaded.
func restoredDef(src *tableDef, target string) (*tableDef, error) {
	if err := validateKeySchema("table", src.Key); err != nil {
		return nil, err
	}
	d := src.clone()
	d.Name, d.ID, d.Version = target, 0, 1
	d.Deleted, d.TTLPending, d.Restoring = false, false, true
	d.StreamView, d.PITR, d.PITRSince = StreamOff, false, time.Time{}
	d.Replicas, d.SettingsStamp = nil, 0 // a restored table is regional
	for _, ix := range d.Indexes {
		ix.Status = IndexActive
	}
	return d, nil
}

// finishRestore turns the restored table's stream and PITR settings on as
// the source had them and opens it to writes.
func (db *DB) finishRestore(ctx context.Context, t, src *tableDef) (*TableDescription, error) {
	var next *tableDef
	err := db.update(ctx, func(tx *wtx) error {
		cur, err := db.loadTable(tx.Txn, t.Name)
		if err != nil || cur.ID != t.ID {
			return errorf(CodeNotFound, "table %q was deleted during its restore", t.Name)
		}
		next = cur.clone()
		next.Version++
		next.Restoring = false
		next.StreamView = src.StreamView
		next.PITR, next.PITRRetention = src.PITR, src.PITRRetention
		if next.PITR {
			next.PITRSince = db.now().UTC().Truncate(time.Millisecond)
		}
		return storeTable(tx, next)
	})
	if err != nil {
		return nil, err
	}
	return next.describe(), nil
}

// dropRestored deletes a table whose restore failed, if it is still the
// one the restore created.
func (db *DB) dropRestored(t *tableDef) {
	ctx := context.Background()
	d, err := db.DescribeTable(ctx, t.Name)
	if err != nil || d.ID != t.ID {
		return
	}
	if _, err := db.DeleteTable(ctx, t.Name); err != nil {
		db.opts.Logger.Error("drop a failed restore", "table", t.Name, "err", err)
	}
}

// restoreBatch bounds one loading transaction.
const (
	restoreBatchItems = 256
	restoreBatchBytes = 2 << 20
)

// restoreOp is one item change of a restore: a put, or a delete (item nil).
type restoreOp struct {
	k    primaryKey
	item attr.Item
	size int
}

// loadItems loads a backed-up table's items into the new table t through
// the write path, in bounded batches written by a few workers (the items
// are distinct, so the batches never conflict).
func (db *DB) loadItems(ctx context.Context, dir string, mt manifestTable, t *tableDef, tr *tracker) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := min(4, runtime.GOMAXPROCS(0))
	batches := make(chan []restoreOp, workers)
	errs := make(chan error, workers+1)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				if err := db.applyOps(ctx, t, b, false); err != nil {
					errs <- err
					cancel()
					for range batches { // drain so the reader does not block
					}
					return
				}
				var n int64
				for _, op := range b {
					n += int64(op.size)
				}
				tr.add(int64(len(b)), n)
			}
		}()
	}
	budget := restoreBatchBytes / (1 + len(t.Indexes))
	var batch []restoreOp
	size := 0
	err := readItems(ctx, dir, mt, db.opts.BackupKey, t.Key, func(item attr.Item, k primaryKey, n int) error {
		batch = append(batch, restoreOp{k: k, item: item, size: n})
		size += n
		if len(batch) >= restoreBatchItems || size >= budget {
			select {
			case batches <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch, size = nil, 0
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		select {
		case batches <- batch:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	close(batches)
	wg.Wait()
	close(errs)
	if werr := <-errs; werr != nil {
		return werr // a worker's error explains a cancellation of the reader
	}
	return err
}

// applyOps applies a batch of changes to the restored table t in one
// transaction through the write path, so that its indexes and TTL schedule
// are maintained. readOld reads each item's current state (needed when the
// table may already hold it, as in a replay); a fresh load skips the read.
// A batch too big for one transaction is split.
func (db *DB) applyOps(ctx context.Context, t *tableDef, ops []restoreOp, readOld bool) error {
	now := db.now()
	err := db.update(ctx, func(tx *wtx) error {
		cur, err := db.loadTable(tx.Txn, t.Name)
		if err != nil || cur.ID != t.ID {
			return errorf(CodeNotFound, "table %q was deleted during its restore", t.Name)
		}
		for _, op := range ops {
			w := &write{t: cur, k: op.k, key: itemKey(cur, op.k), new: op.item, origin: OriginUser}
			if readOld {
				if w.stored, err = readItem(tx.Txn, w.key); err != nil {
					return err
				}
				w.old = w.stored
			}
			if err := db.commitWrite(tx, w, now); err != nil {
				return err
			}
		}
		return nil
	})
	if CodeOf(err) == CodeLimitExceeded && len(ops) > 1 {
		if err := db.applyOps(ctx, t, ops[:len(ops)/2], readOld); err != nil {
			return err
		}
		return db.applyOps(ctx, t, ops[len(ops)/2:], readOld)
	}
	return err
}
