package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"testing"
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/internal/kv"
	"github.com/stretchr/testify/require"
)

// pitrOp is one recorded write: the item's state after it (nil: removed).
type pitrOp struct {
	at   time.Time
	id   string
	item attr.Item
}

// pitrModel is the reference: the state at `at` is the last recorded state
// of each item written at or before it.
func pitrModel(ops []pitrOp, at time.Time) map[string]attr.Item {
	m := map[string]attr.Item{}
	for _, op := range ops {
		if op.at.After(at) {
			break
		}
		if op.item == nil {
			delete(m, op.id)
		} else {
			m[op.id] = op.item
		}
	}
	return m
}

// pitrWorkload runs n random puts, updates, deletes and two-item
// transactions on table, advancing the clock by step before each and
// running the PITR tick every tickEvery operations, and returns the
// recorded operations.
func pitrWorkload(t *testing.T, db *DB, clock *fakeClock, table string, seed int64, n, tickEvery int, step time.Duration) []pitrOp {
	t.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewSource(seed))
	var ops []pitrOp
	record := func(keys ...attr.Item) {
		for _, k := range keys {
			ops = append(ops, pitrOp{at: clock.Now(), id: itemID(k), item: getItem(t, db, table, k)})
		}
	}
	for i := 0; i < n; i++ {
		clock.Advance(step)
		sk := r.Intn(300)
		key := attr.Item{"pk": attr.S(fmt.Sprintf("p%03d", sk%20)), "sk": num(sk)}
		switch x := r.Intn(10); {
		case x < 4:
			putItems(t, db, table, backupItem(r, sk%20, sk))
		case x < 7:
			_, err := db.UpdateItem(ctx, UpdateItemInput{Table: table, Key: key,
				Update: mustUpdate(t, "SET #r = :r, color = :c ADD cnt :one", vals(":r", num(i), ":c", attr.S(colors[i%3]), ":one", num(1)), map[string]string{"#r": "rank"})})
			require.NoError(t, err)
		case x < 9:
			_, err := db.DeleteItem(ctx, DeleteItemInput{Table: table, Key: key})
			require.NoError(t, err)
		default:
			sk2 := (sk + 1 + r.Intn(299)) % 300
			key2 := attr.Item{"pk": attr.S(fmt.Sprintf("p%03d", sk2%20)), "sk": num(sk2)}
			require.NoError(t, db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{
				{Put: &PutItemInput{Table: table, Item: backupItem(r, sk%20, sk)}},
				{Delete: &DeleteItemInput{Table: table, Key: key2}},
			}}))
			record(key2)
		}
		record(key)
		if tickEvery > 0 && i%tickEvery == 0 {
			require.NoError(t, db.pitrTick(ctx))
		}
	}
	return ops
}

func pitrOptions(clock *fakeClock, interval, retention time.Duration) func(*Options) {
	return func(o *Options) {
		o.Clock = clock.Now
		o.PITRSnapshotInterval = interval
		o.PITRRetention = retention
	}
}

// TestPITRRestoresThreeInstants restores a table at three instants of a run
// of writes, updates, deletes and transactions, and compares each restored
// table with the reference model of the recorded operations.
func TestPITRRestoresThreeInstants(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock(time.Time{})
	db := openTestDB(t, pitrOptions(clock, 10*time.Minute, 2*time.Hour))
	spec := backupSpec("Live")
	spec.StreamView = StreamOff // PITR records what it needs regardless
	spec.PITR = true
	createTable(t, db, spec)
	require.NoError(t, db.pitrTick(ctx)) // the first snapshot, of the empty table
	start := clock.Now()

	ops := pitrWorkload(t, db, clock, "Live", 6, 1600, 25, 1500*time.Millisecond) // 40 minutes
	snaps, err := db.pitrSnapshots(mustDef(t, db, "Live"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(snaps), 4)

	// The stream is off: readers see none of the records kept for PITR.
	p, err := db.ReadChanges(ctx, ReadChangesInput{Table: "Live"})
	require.NoError(t, err)
	require.Empty(t, p.Changes)

	d, err := db.DescribePITR(ctx, "Live")
	require.NoError(t, err)
	require.True(t, d.Enabled)
	require.Equal(t, start, d.EarliestRestorable)
	require.Equal(t, clock.Now(), d.LatestRestorable)

	instants := []time.Time{
		ops[150].at,                             // before the second snapshot
		ops[800].at.Add(700 * time.Millisecond), // between two writes, mid-run
		clock.Now(),                             // the latest
		snaps[2].at,                             // exactly a snapshot's time
	}
	var prev map[string]attr.Item
	for i, at := range instants {
		if i < 3 { // the instants see different states
			want := pitrModel(ops, at)
			require.NotEmpty(t, want)
			require.NotEqual(t, fmt.Sprint(prev), fmt.Sprint(want))
			prev = want
		}
		target := fmt.Sprintf("Live-at-%d", i)
		out, err := db.RestoreToPointInTime(ctx, PITRRestoreInput{Source: "Live", Target: target, Time: at})
		require.NoError(t, err, "instant %d", i)
		want := pitrModel(ops, at)
		got := scanAll(t, db, target)
		requireSameItems(t, want, got, fmt.Sprintf("instant %d (%s)", i, at))
		requireIndexesMatch(t, db, target, got)
		require.True(t, out.PITR, "settings restored")
	}
	latest, err := db.RestoreToPointInTime(ctx, PITRRestoreInput{Source: "Live", Target: "Live-latest", Latest: true})
	require.NoError(t, err)
	requireSameItems(t, scanAll(t, db, "Live"), scanAll(t, db, latest.Name), "latest")

	// Outside the window: a validation error naming the window.
	for _, at := range []time.Time{start.Add(-time.Second), clock.Now().Add(time.Second)} {
		_, err := db.RestoreToPointInTime(ctx, PITRRestoreInput{Source: "Live", Target: "Nope", Time: at})
		requireCode(t, CodeValidation, err)
		require.Contains(t, err.Error(), "outside the recovery window")
		require.Contains(t, err.Error(), start.Format(time.RFC3339Nano))
		_, err = db.StartPITRRestore(ctx, PITRRestoreInput{Source: "Live", Target: "Nope", Time: at})
		requireCode(t, CodeValidation, err)
	}
	_, err = db.DescribeTable(ctx, "Nope")
	requireCode(t, CodeNotFound, err)
}

func mustDef(t testing.TB, db *DB, name string) *tableDef {
	t.Helper()
	var d *tableDef
	require.NoError(t, db.view(func(tx *kv.Txn) (err error) { d, err = db.loadTable(tx, name); return }))
	return d
}

// TestPITRRetention checks that old snapshots are pruned and old change
// records trimmed, while every instant of the window stays restorable.
func TestPITRRetention(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock(time.Time{})
	db := openTestDB(t, pitrOptions(clock, 10*time.Minute, 30*time.Minute), func(o *Options) { o.StreamRetention = time.Minute })
	spec := backupSpec("Win")
	spec.StreamView = StreamKeysOnly
	createTable(t, db, spec)
	on := true
	_, err := db.UpdateTable(ctx, UpdateTableInput{Name: "Win", PITR: &on})
	require.NoError(t, err)
	require.NoError(t, db.pitrTick(ctx))

	ops := pitrWorkload(t, db, clock, "Win", 7, 2400, 20, 3*time.Second) // 2 hours
	require.NoError(t, db.pitrTick(ctx))
	require.NoError(t, db.trimAllChanges(ctx))

	def := mustDef(t, db, "Win")
	snaps, err := db.pitrSnapshots(def)
	require.NoError(t, err)
	require.LessOrEqual(t, len(snaps), 5, "30 min of 10-min snapshots, plus the one before the window")
	cutoff := clock.Now().Add(-30 * time.Minute)
	require.False(t, snaps[0].at.After(cutoff), "the oldest covers the start of the window")
	require.True(t, snaps[1].at.After(cutoff))

	// Records at or below the oldest snapshot's position are trimmed (the
	// stream's own retention is 1 minute); the later ones are kept.
	var oldest, count uint64
	require.NoError(t, db.view(func(tx *kv.Txn) error {
		p := spacePrefix(nil, def.ID, tabStream)
		it := tx.Iterate(kv.IterOptions{Prefix: p, KeysOnly: true})
		defer it.Close()
		for it.Seek(p); it.Valid(); it.Next() {
			if count == 0 {
				oldest = binary.BigEndian.Uint64(it.Key()[len(p):])
			}
			count++
		}
		return nil
	}))
	require.Equal(t, snaps[0].seq+1, oldest)

	d, err := db.DescribePITR(ctx, "Win")
	require.NoError(t, err)
	require.Equal(t, cutoff, d.EarliestRestorable)
	for i, at := range []time.Time{cutoff, cutoff.Add(7 * time.Minute), ops[len(ops)-5].at} {
		target := fmt.Sprintf("Win-%d", i)
		_, err := db.RestoreToPointInTime(ctx, PITRRestoreInput{Source: "Win", Target: target, Time: at})
		require.NoError(t, err)
		requireSameItems(t, pitrModel(ops, at), scanAll(t, db, target), target)
	}
	_, err = db.RestoreToPointInTime(ctx, PITRRestoreInput{Source: "Win", Target: "Win-old", Time: cutoff.Add(-time.Second)})
	requireCode(t, CodeValidation, err)

	// Turning PITR off drops the snapshots; on again starts afresh.
	off := false
	_, err = db.UpdateTable(ctx, UpdateTableInput{Name: "Win", PITR: &off})
	require.NoError(t, err)
	require.NoError(t, db.pitrTick(ctx))
	_, err = os.Stat(db.pitrDir(def.ID))
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = db.RestoreToPointInTime(ctx, PITRRestoreInput{Source: "Win", Target: "Win-off", Latest: true})
	requireCode(t, CodeValidation, err)
	_, err = db.UpdateTable(ctx, UpdateTableInput{Name: "Win", PITR: &on})
	require.NoError(t, err)
	_, err = db.RestoreToPointInTime(ctx, PITRRestoreInput{Source: "Win", Target: "Win-off", Latest: true})
	requireCode(t, CodeValidation, err)
	require.Contains(t, err.Error(), "no point-in-time recovery snapshot yet")
}

// TestPITRKeepsStreamViews checks that the images PITR adds to change
// records are invisible to stream readers, and that records written while
// the stream was off stay invisible after it is turned on.
func TestPITRKeepsStreamViews(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	createTable(t, db, TableSpec{Name: "Views", KeySchema: hashKey("id", attr.TypeS), StreamView: StreamKeysOnly, PITR: true})
	putItems(t, db, "Views", attr.Item{"id": attr.S("a"), "v": num(1)})
	putItems(t, db, "Views", attr.Item{"id": attr.S("a"), "v": num(2)})
	cs := streamRead(t, db, "Views", 0, 0)
	require.Len(t, cs, 2)
	for _, c := range cs {
		require.Nil(t, c.NewImage)
		require.Nil(t, c.OldImage)
		requireItem(t, attr.Item{"id": attr.S("a")}, c.Keys)
	}
	// The stored record has the new image for recovery.
	def := mustDef(t, db, "Views")
	require.NoError(t, db.view(func(tx *kv.Txn) error {
		key := binary.BigEndian.AppendUint64(spacePrefix(nil, def.ID, tabStream), cs[1].Seq)
		return tx.Get(key, func(v []byte) error {
			c, view, err := decodeRecord(cs[1].Seq, v)
			require.Equal(t, "KEYS_ONLY", view)
			requireItem(t, attr.Item{"id": attr.S("a"), "v": num(2)}, c.NewImage)
			require.Nil(t, c.OldImage)
			return err
		})
	}))

	off, newImage := StreamOff, StreamNewImage
	_, err := db.UpdateTable(ctx, UpdateTableInput{Name: "Views", StreamView: &off})
	require.NoError(t, err)
	putItems(t, db, "Views", attr.Item{"id": attr.S("hidden")})
	_, err = db.UpdateTable(ctx, UpdateTableInput{Name: "Views", StreamView: &newImage})
	require.NoError(t, err)
	putItems(t, db, "Views", attr.Item{"id": attr.S("b")})
	p, err := db.ReadChanges(ctx, ReadChangesInput{Table: "Views", After: cs[1].Seq})
	require.NoError(t, err)
	require.Len(t, p.Changes, 1, "the record written with the stream off is not shown")
	requireItem(t, attr.Item{"id": attr.S("b")}, p.Changes[0].NewImage)
	require.Equal(t, p.Changes[0].Seq, p.Next)

	// Without PITR, records are written as before (no view marker).
	createTable(t, db, TableSpec{Name: "Plain", KeySchema: hashKey("id", attr.TypeS), StreamView: StreamKeysOnly})
	putItems(t, db, "Plain", attr.Item{"id": attr.S("a"), "v": num(1)})
	plain := mustDef(t, db, "Plain")
	require.NoError(t, db.view(func(tx *kv.Txn) error {
		p := spacePrefix(nil, plain.ID, tabStream)
		it := tx.Iterate(kv.IterOptions{Prefix: p})
		defer it.Close()
		it.Seek(p)
		require.True(t, it.Valid())
		return it.Value(func(v []byte) error {
			c, view, err := decodeRecord(1, v)
			require.Equal(t, "", view)
			require.Nil(t, c.NewImage)
			return err
		})
	}))

	// A table with neither stream nor PITR writes no records at all.
	createTable(t, db, TableSpec{Name: "None", KeySchema: hashKey("id", attr.TypeS)})
	putItems(t, db, "None", attr.Item{"id": attr.S("a")})
	require.Zero(t, countSpace(t, db, "None", tabStream))

	// Retention settings are validated.
	bad := 40 * 24 * time.Hour
	_, err = db.UpdateTable(ctx, UpdateTableInput{Name: "None", PITRRetention: &bad})
	requireCode(t, CodeValidation, err)
}
