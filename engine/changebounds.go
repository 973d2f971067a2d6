package engine

import (
	"context"

	"github.com/shoaldb/shoal/engine/internal/kv"
)

// ChangeBounds is the span of a table's change log that a reader can reach.
type ChangeBounds struct {
	// Trimmed is the highest sequence number retention removed (0 when
	// none was): the oldest readable record, if any, follows it.
	Trimmed uint64
	// Latest is the watermark: every committed record at or below it is
	// readable with ReadChanges, and none above it is yet. A reader that
	// starts with After = Latest sees exactly the changes made from now on.
	Latest uint64
}

// ChangeBounds returns the readable span of a table's change log, for
// readers that position themselves by sequence number (the DynamoDB Streams
// API's TRIM_HORIZON and LATEST shard iterators, its StartingSequenceNumber).
// An unknown table is CodeNotFound.
func (db *DB) ChangeBounds(ctx context.Context, table string) (ChangeBounds, error) {
	t, err := db.readTable(table)
	if err != nil {
		return ChangeBounds{}, err
	}
	log, err := db.changeLog(t.ID)
	if err != nil {
		return ChangeBounds{}, err
	}
	// As in ReadChanges: the watermark first, then the snapshot.
	var b ChangeBounds
	b.Latest, _ = log.watermark()
	err = db.view(func(tx *kv.Txn) (err error) {
		b.Trimmed, err = readTrimmed(tx, t.ID)
		return err
	})
	if err != nil {
		return ChangeBounds{}, err
	}
	return b, nil
}
