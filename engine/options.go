package engine

import (
	"log/slog"
	"path/filepath"
	"time"
)

// Options configures Open. The zero value works except for Dir (or
// InMemory); Open fills defaults and rejects bad values.
type Options struct {
	// Dir is the Badger data directory. Required unless InMemory.
	Dir string
	// InMemory keeps all data in memory and loses it on Close (tests).
	InMemory bool
	// NoSync acknowledges writes before they reach the disk. Default false:
	// every acknowledged write is durable (Badger batches concurrent
	// commits into one fsync).
	NoSync bool
	// Clock supplies the time for TTL decisions and change records.
	// Default time.Now. Writes read it once per request and pass the value
	// down, so a write is a function of the request, the time and the
	// stored state.
	Clock func() time.Time
	// Logger receives storage warnings and background-job errors. Default:
	// slog.Default().
	Logger *slog.Logger
	// MaxRetries bounds the retries of a write that conflicts with
	// concurrent writes before it fails with CodeTransactionConflict.
	// Default 32.
	MaxRetries int
	// BlockCacheSize is Badger's block cache in bytes. Default 256 MiB.
	BlockCacheSize int64
	// SweepInterval is how often the TTL sweeper looks for expired items.
	// Default 1 s.
	SweepInterval time.Duration
	// StreamRetention is how long change records are kept. Default 24 h.
	StreamRetention time.Duration
	// StreamTrimInterval is how often old change records are removed.
	// Default 1 min.
	StreamTrimInterval time.Duration
	// BackfillBatch is the number of items an index or TTL backfill
	// handles per transaction. Default 256.
	BackfillBatch int
	// MemTableSize is Badger's memtable size in bytes; it also bounds the
	// size of one transaction. Default 64 MiB.
	MemTableSize int64

	// BackupDir is where backups and point-in-time-recovery snapshots are
	// written. Default <Dir>/backups; with InMemory and no BackupDir,
	// backups are unavailable.
	BackupDir string
	// BackupKey, when set, is a 32-byte AES-256 key: backups and PITR
	// snapshots are written encrypted (AES-256-GCM) with it, and encrypted
	// backups can be restored only with it. Default: derived from
	// EncryptionKey when encryption at rest is on (so a backup made before
	// RotateEncryptionKey needs the old key), else none (plain files).
	BackupKey []byte
	// BackupChunkBytes caps the size of one backup data file. Default
	// 64 MiB.
	BackupChunkBytes int64
	// PITRSnapshotInterval is how often a table with point-in-time
	// recovery on gets a new snapshot; a restore replays the change log
	// from the newest snapshot before the target time. Default 1 h.
	PITRSnapshotInterval time.Duration
	// PITRRetention is the recovery window of a table that turns PITR on
	// without naming one. Default 7 days (168 h).
	PITRRetention time.Duration

	// Region names this server's region for global tables (e.g.
	// "us-west-1"); required to create or hold a global table.
	Region string
	// TombstoneHorizon is how long a global table keeps the tombstone of a
	// deleted item, so that an older write arriving late cannot bring it
	// back; it must exceed the longest replication outage. Default 24 h.
	TombstoneHorizon time.Duration

	// EncryptionKey turns on encryption at rest (AES in CTR mode, Badger's):
	// every item, index entry, change record and system record (API keys,
	// audit log) is written encrypted. The key (16, 24 or 32 bytes) is the
	// master key: it encrypts the data keys, which encrypt the files. Open
	// fails with a clear error (CodeAccessDenied), and changes nothing, when
	// the key does not match the data. Default: none (no encryption).
	// Change it with RotateEncryptionKey while the database is closed.
	EncryptionKey []byte
	// DataKeyRotation is how often a new data key is made. Default 10 days.
	DataKeyRotation time.Duration
}

func (o *Options) validate() error {
	if o.Dir == "" && !o.InMemory {
		return errorf(CodeValidation, "options: Dir is required unless InMemory is set")
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxRetries < 0 {
		return errorf(CodeValidation, "options: MaxRetries must not be negative")
	}
	defaults := []struct {
		d   *time.Duration
		def time.Duration
	}{{&o.SweepInterval, time.Second}, {&o.StreamRetention, 24 * time.Hour}, {&o.StreamTrimInterval, time.Minute},
		{&o.PITRSnapshotInterval, time.Hour}, {&o.PITRRetention, 7 * 24 * time.Hour},
		{&o.TombstoneHorizon, 24 * time.Hour}}
	for _, d := range defaults {
		if *d.d < 0 {
			return errorf(CodeValidation, "options: durations must not be negative")
		}
		if *d.d == 0 {
			*d.d = d.def
		}
	}
	if o.BackupDir == "" && !o.InMemory {
		o.BackupDir = filepath.Join(o.Dir, "backups")
	}
	if n := len(o.EncryptionKey); n != 0 && n != 16 && n != 24 && n != 32 {
		return errorf(CodeValidation, "options: EncryptionKey must be 16, 24 or 32 bytes long, not %d", n)
	}
	if o.DataKeyRotation < 0 {
		return errorf(CodeValidation, "options: durations must not be negative")
	}
	if len(o.BackupKey) != 0 && len(o.BackupKey) != 32 {
		return errorf(CodeValidation, "options: BackupKey must be 32 bytes (AES-256), not %d", len(o.BackupKey))
	}
	if len(o.BackupKey) == 0 && len(o.EncryptionKey) != 0 {
		// With encryption at rest on, backups are encrypted too, with a
		// key derived from the server's.
		o.BackupKey = DeriveBackupKey(o.EncryptionKey)
	}
	if o.BackupChunkBytes <= 0 {
		o.BackupChunkBytes = defaultChunkBytes
	}
	if o.BackfillBatch <= 0 {
		o.BackfillBatch = 256
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 32
	}
	return nil
}
