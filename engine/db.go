package engine

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoaldb/shoal/engine/internal/kv"
)

// DB is an open Shoal database. It is safe for concurrent use.
type DB struct {
	opts Options
	kv   *kv.DB

	// tables caches decoded table definitions by name; an entry is used
	// only when its id and version match what the transaction read.
	tables sync.Map // string → *tableDef

	// logs holds the change-log sequence tracker of each table id that
	// has been written since Open; logsMu serialises their creation.
	logs   sync.Map // uint64 → *changeLog
	logsMu sync.Mutex

	// sweepReads counts the items the TTL sweeper has read (tests check
	// that it reads only the items its schedule says are due).
	sweepReads atomic.Int64

	// writeGate is held shared by every write attempt and exclusively by
	// an attempt that has already conflicted exclusiveAfter times.
	writeGate sync.RWMutex

	// bk holds the state of backups, restores and PITR snapshots.
	bk backupState

	// hlc stamps the writes of global tables (global.go).
	hlc hlc

	bg     sync.WaitGroup // background jobs
	stop   context.CancelFunc
	bgCtx  context.Context
	closed sync.Once
}

// Open opens or creates the database described by opts.
func Open(opts Options) (*DB, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	store, err := kv.Open(kv.Options{
		Dir:            opts.Dir,
		InMemory:       opts.InMemory,
		SyncWrites:     !opts.NoSync,
		Logger:         opts.Logger,
		BlockCacheSize: opts.BlockCacheSize,
		MemTableSize:   opts.MemTableSize,

		EncryptionKey:                 opts.EncryptionKey,
		EncryptionKeyRotationDuration: opts.DataKeyRotation,
	})
	if errors.Is(err, kv.ErrEncryptionKey) {
		return nil, &Error{Code: CodeAccessDenied, Message: "open storage: the encryption key is wrong or missing, or the data is not encrypted: " + err.Error(), err: err}
	}
	if err != nil {
		return nil, internalError("open storage", err)
	}
	db := &DB{opts: opts, kv: store}
	db.bgCtx, db.stop = context.WithCancel(context.Background())
	if err := db.startBackground(); err != nil {
		db.stop()
		store.Close()
		return nil, err
	}
	return db, nil
}

// Close stops background work and closes the storage. Requests still in
// flight may fail; the caller should stop sending them first.
func (db *DB) Close() error {
	var err error
	db.closed.Do(func() {
		db.stop()
		db.bg.Wait()
		err = db.kv.Close()
	})
	return err
}

// now is the engine's single read of the clock for one request.
func (db *DB) now() time.Time { return db.opts.Clock() }

// wtx is a read-write transaction of the engine: the storage transaction
// plus the change-log sequence numbers it allocated, which are released
// (committed or abandoned) when the attempt ends.
type wtx struct {
	*kv.Txn
	seqs []allocatedSeq
}

// exclusiveAfter is the number of conflicts after which a write's next
// attempts exclude every other write.
const exclusiveAfter = 8

// update runs fn in a read-write transaction, retrying it on conflicts up to
// MaxRetries times. fn must be a function of what it reads in the
// transaction and of its captured inputs, since it may run several times.
func (db *DB) update(ctx context.Context, fn func(*wtx) error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		tx := &wtx{}
		// A write that keeps losing to concurrent writers of the same
		// keys runs alone on its later attempts, so that it cannot starve.
		exclusive := attempt >= exclusiveAfter
		if exclusive {
			db.writeGate.Lock()
		} else {
			db.writeGate.RLock()
		}
		err := db.kv.Update(func(t *kv.Txn) error {
			tx.Txn = t
			return fn(tx)
		})
		if exclusive {
			db.writeGate.Unlock()
		} else {
			db.writeGate.RUnlock()
		}
		for _, s := range tx.seqs {
			rec := s.rec
			if err != nil {
				rec = nil
			}
			s.log.done(s.seq, rec)
		}
		if !errors.Is(err, kv.ErrConflict) {
			return storageErr(err)
		}
		if attempt >= db.opts.MaxRetries {
			return errorf(CodeTransactionConflict, "the write conflicted with concurrent writes %d times; retry it", attempt+1)
		}
		// Back off a little so the winner can finish; the first retries
		// are immediate because most conflicts clear at once. The delay
		// grows exponentially (capped at 5 ms) and is randomised, so that
		// writers of one hot item do not retry in lockstep and one of them
		// cannot lose every round.
		if attempt > 2 {
			limit := min(50*time.Microsecond<<min(attempt-3, 10), 5*time.Millisecond)
			time.Sleep(limit/2 + rand.N(limit/2))
		}
	}
}

// view runs fn in a read-only snapshot.
func (db *DB) view(fn func(*kv.Txn) error) error {
	return storageErr(db.kv.View(fn))
}

// storageErr passes engine errors through and wraps storage failures.
func storageErr(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, kv.ErrTooBig) {
		return errorf(CodeLimitExceeded, "the request writes more data than one transaction can hold")
	}
	return internalError("storage", err)
}
