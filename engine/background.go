package engine

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/shoaldb/shoal/engine/internal/kv"
)

// startBackground starts the engine's background jobs: the TTL sweeper, the
// change-log trimmer, and the backfills left unfinished by an earlier run.
func (db *DB) startBackground() error {
	defs, err := db.allTables()
	if err != nil {
		return err
	}
	for _, t := range defs {
		if t.Restoring {
			// A restore that did not finish before the last shutdown
			// leaves nothing behind.
			if _, err := db.DeleteTable(context.Background(), t.Name); err != nil {
				return err
			}
			db.opts.Logger.Warn("removed a table whose restore did not finish", "table", t.Name)
			continue
		}
		for _, job := range pendingBackfills(t) {
			db.startBackfill(t.Name, job)
		}
	}
	db.every(db.opts.SweepInterval, func(ctx context.Context) {
		if err := db.sweepExpired(ctx); err != nil && ctx.Err() == nil {
			db.opts.Logger.Error("ttl sweep", "err", err)
		}
	})
	if db.opts.BackupDir != "" {
		// Backups cut short by a crash leave temporary directories.
		for _, pattern := range []string{filepath.Join(db.opts.BackupDir, ".tmp-*"), filepath.Join(db.pitrRoot(), "*", ".tmp-*")} {
			dirs, _ := filepath.Glob(pattern)
			for _, d := range dirs {
				_ = os.RemoveAll(d)
			}
		}
		db.every(min(db.opts.PITRSnapshotInterval, time.Minute), func(ctx context.Context) {
			if err := db.pitrTick(ctx); err != nil && ctx.Err() == nil {
				db.opts.Logger.Error("pitr snapshots", "err", err)
			}
		})
	}
	db.every(db.opts.StreamTrimInterval, func(ctx context.Context) {
		if err := db.trimAllChanges(ctx); err != nil && ctx.Err() == nil {
			db.opts.Logger.Error("stream trim", "err", err)
		}
		if err := db.gcTombstones(ctx); err != nil && ctx.Err() == nil {
			db.opts.Logger.Error("tombstone gc", "err", err)
		}
		if err := db.trimTokens(ctx); err != nil && ctx.Err() == nil {
			db.opts.Logger.Error("idempotency token trim", "err", err)
		}
	})
	return nil
}

// every runs fn every interval until the engine closes.
func (db *DB) every(interval time.Duration, fn func(context.Context)) {
	db.bg.Add(1)
	go func() {
		defer db.bg.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-db.bgCtx.Done():
				return
			case <-tick.C:
				fn(db.bgCtx)
			}
		}
	}()
}

// allTables returns the current definition of every table.
func (db *DB) allTables() ([]*tableDef, error) {
	var out []*tableDef
	err := db.view(func(tx *kv.Txn) error {
		prefix := catalogPrefix()
		it := tx.Iterate(kv.IterOptions{Prefix: prefix, KeysOnly: true})
		var names []string
		for it.Seek(prefix); it.Valid(); it.Next() {
			names = append(names, string(it.Key()[len(prefix):]))
		}
		it.Close()
		for _, n := range names {
			t, err := db.loadTable(tx, n)
			if err != nil {
				return err
			}
			out = append(out, t)
		}
		return nil
	})
	return out, err
}

// trimAllChanges applies stream retention to every table.
func (db *DB) trimAllChanges(ctx context.Context) error {
	defs, err := db.allTables()
	if err != nil {
		return err
	}
	before := db.now().Add(-db.opts.StreamRetention)
	for _, t := range defs {
		// A table with point-in-time recovery keeps every record after its
		// oldest snapshot: restores replay them.
		maxSeq := uint64(math.MaxUint64)
		if t.PITR {
			if maxSeq, err = db.pitrTrimBound(t); err != nil {
				return err
			}
		}
		// A global table keeps every record until each replica has it.
		if t.global() {
			bound, err := db.replicaTrimBound(t)
			if err != nil {
				return err
			}
			maxSeq = min(maxSeq, bound)
		}
		if err := db.trimChanges(ctx, t.ID, before, maxSeq); err != nil {
			return err
		}
	}
	return nil
}
