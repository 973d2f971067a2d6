package engine

import (
	"log/slog"
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
	}{{&o.SweepInterval, time.Second}, {&o.StreamRetention, 24 * time.Hour}, {&o.StreamTrimInterval, time.Minute}}
	for _, d := range defaults {
		if *d.d < 0 {
			return errorf(CodeValidation, "options: durations must not be negative")
		}
		if *d.d == 0 {
			*d.d = d.def
		}
	}
	if o.BackfillBatch <= 0 {
		o.BackfillBatch = 256
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 32
	}
	return nil
}
