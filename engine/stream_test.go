package engine

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/stretchr/testify/require"
)

// streamRead reads all the records after `after`, page by page.
func streamRead(t testing.TB, db *DB, table string, after uint64, limit int) []Change {
	t.Helper()
	var out []Change
	for {
		p, err := db.ReadChanges(context.Background(), ReadChangesInput{Table: table, After: after, Limit: limit})
		require.NoError(t, err)
		if len(p.Changes) == 0 {
			require.Equal(t, after, p.Next)
			return out
		}
		require.Equal(t, p.Changes[len(p.Changes)-1].Seq, p.Next)
		out = append(out, p.Changes...)
		after = p.Next
	}
}

func streamEvents(cs []Change) []ChangeEvent {
	out := make([]ChangeEvent, len(cs))
	for i, c := range cs {
		out[i] = c.Event
	}
	return out
}

func TestStreamViewTypes(t *testing.T) {
	ctx := WithPrincipal(context.Background(), "alice")
	clock := newFakeClock(time.Time{})
	db := openTestDB(t, withClock(clock))
	for _, view := range []StreamViewType{StreamKeysOnly, StreamNewImage, StreamOldImage, StreamNewAndOldImage} {
		t.Run(string(view), func(t *testing.T) {
			table := "S_" + string(view)
			createTable(t, db, TableSpec{Name: table, KeySchema: compositeKey("pk", attr.TypeS, "sk", attr.TypeN), StreamView: view})
			key := attr.Item{"pk": attr.S("a"), "sk": num(1)}
			v1 := attr.Item{"pk": attr.S("a"), "sk": num(1), "v": num(1)}
			v2 := attr.Item{"pk": attr.S("a"), "sk": num(1), "v": num(2)}
			_, err := db.PutItem(ctx, PutItemInput{Table: table, Item: v1})
			require.NoError(t, err)
			clock.Advance(1500 * time.Microsecond)
			_, err = db.PutItem(ctx, PutItemInput{Table: table, Item: v1}) // identical: still a MODIFY
			require.NoError(t, err)
			_, err = db.UpdateItem(ctx, UpdateItemInput{Table: table, Key: key, Update: mustUpdate(t, "SET v = :v", vals(":v", num(2)))})
			require.NoError(t, err)
			_, err = db.DeleteItem(ctx, DeleteItemInput{Table: table, Key: key})
			require.NoError(t, err)
			cs := streamRead(t, db, table, 0, 0)
			require.Equal(t, []ChangeEvent{EventInsert, EventModify, EventModify, EventRemove}, streamEvents(cs))
			type img struct{ old, new attr.Item }
			full := []img{{nil, v1}, {v1, v1}, {v1, v2}, {v2, nil}}
			for i, c := range cs {
				requireItem(t, key, c.Keys)
				require.Equal(t, OriginUser, c.Origin)
				require.Equal(t, "alice", c.Principal)
				if i > 0 {
					require.Greater(t, c.Seq, cs[i-1].Seq)
				}
				want := full[i]
				if view != StreamOldImage && view != StreamNewAndOldImage {
					want.old = nil
				}
				if view != StreamNewImage && view != StreamNewAndOldImage {
					want.new = nil
				}
				requireItem(t, want.old, c.OldImage, "record %d old image", i)
				requireItem(t, want.new, c.NewImage, "record %d new image", i)
			}
			require.True(t, cs[0].Time.Equal(clock.Now().Add(-1500*time.Microsecond).Truncate(time.Millisecond)), "time %v", cs[0].Time)
			require.True(t, cs[3].Time.Equal(clock.Now().Truncate(time.Millisecond)))
		})
	}
}

func TestStreamRecordsOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	createTable(t, db, TableSpec{Name: "StrOn", KeySchema: hashKey("id", attr.TypeS), StreamView: StreamNewAndOldImage})
	createTable(t, db, TableSpec{Name: "StrOff", KeySchema: hashKey("id", attr.TypeS)})
	key := attr.Item{"id": attr.S("a")}
	putItems(t, db, "StrOn", attr.Item{"id": attr.S("a"), "v": num(1)})
	base := len(streamRead(t, db, "StrOn", 0, 0))
	require.Equal(t, 1, base)

	// Failed conditions record nothing.
	never := mustCond(t, "v = :x", vals(":x", num(99)))
	_, err := db.PutItem(ctx, PutItemInput{Table: "StrOn", Item: key, Condition: never})
	requireCode(t, CodeConditionalCheckFailed, err)
	_, err = db.UpdateItem(ctx, UpdateItemInput{Table: "StrOn", Key: key, Update: mustUpdate(t, "SET w = :w", vals(":w", num(1))), Condition: never})
	requireCode(t, CodeConditionalCheckFailed, err)
	_, err = db.DeleteItem(ctx, DeleteItemInput{Table: "StrOn", Key: key, Condition: never})
	requireCode(t, CodeConditionalCheckFailed, err)
	// Neither do deletes of absent items, canceled transactions, nor
	// invalid batches.
	_, err = db.DeleteItem(ctx, DeleteItemInput{Table: "StrOn", Key: attr.Item{"id": attr.S("absent")}})
	require.NoError(t, err)
	err = db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{
		{Put: &PutItemInput{Table: "StrOn", Item: attr.Item{"id": attr.S("b")}}},
		{Delete: &DeleteItemInput{Table: "StrOn", Key: key, Condition: never}},
	}})
	requireCode(t, CodeTransactionCanceled, err)
	_, err = db.BatchWriteItem(ctx, BatchWriteInput{Requests: []WriteRequest{{Table: "StrOn", Put: attr.Item{"id": attr.S("c")}}, {Table: "StrOn", DeleteKey: attr.Item{"id": attr.S("c")}}}})
	requireCode(t, CodeValidation, err)
	require.Len(t, streamRead(t, db, "StrOn", 0, 0), base)

	// Transactions and batches record one per item written.
	require.NoError(t, db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{
		{Put: &PutItemInput{Table: "StrOn", Item: attr.Item{"id": attr.S("b")}}},
		{Put: &PutItemInput{Table: "StrOff", Item: attr.Item{"id": attr.S("b")}}},
		{Update: &UpdateItemInput{Table: "StrOn", Key: key, Update: mustUpdate(t, "ADD v :one", vals(":one", num(1)))}},
		{Delete: &DeleteItemInput{Table: "StrOn", Key: attr.Item{"id": attr.S("absent")}}},
		{ConditionCheck: &ConditionCheckInput{Table: "StrOn", Key: attr.Item{"id": attr.S("zz")}, Condition: mustCond(t, "attribute_not_exists(id)", nil)}},
	}}))
	cs := streamRead(t, db, "StrOn", 0, 0)[base:]
	require.Equal(t, []ChangeEvent{EventInsert, EventModify}, streamEvents(cs))
	_, err = db.BatchWriteItem(ctx, BatchWriteInput{Requests: []WriteRequest{
		{Table: "StrOn", Put: attr.Item{"id": attr.S("c")}}, {Table: "StrOn", DeleteKey: attr.Item{"id": attr.S("b")}},
		{Table: "StrOn", DeleteKey: attr.Item{"id": attr.S("absent")}}, {Table: "StrOff", Put: attr.Item{"id": attr.S("c")}},
	}})
	require.NoError(t, err)
	cs = streamRead(t, db, "StrOn", 0, 0)[base+2:]
	require.Equal(t, []ChangeEvent{EventInsert, EventRemove}, streamEvents(cs))

	// A table without a stream records nothing; turning it on and off
	// through UpdateTable starts and stops the records.
	require.Empty(t, streamRead(t, db, "StrOff", 0, 0))
	view := StreamKeysOnly
	_, err = db.UpdateTable(ctx, UpdateTableInput{Name: "StrOff", StreamView: &view})
	require.NoError(t, err)
	putItems(t, db, "StrOff", attr.Item{"id": attr.S("d"), "v": num(1)})
	cs = streamRead(t, db, "StrOff", 0, 0)
	require.Len(t, cs, 1)
	require.Nil(t, cs[0].NewImage)
	off := StreamOff
	_, err = db.UpdateTable(ctx, UpdateTableInput{Name: "StrOff", StreamView: &off})
	require.NoError(t, err)
	putItems(t, db, "StrOff", attr.Item{"id": attr.S("e")})
	require.Len(t, streamRead(t, db, "StrOff", 0, 0), 1)

	_, err = db.ReadChanges(ctx, ReadChangesInput{Table: "Nope"})
	requireCode(t, CodeNotFound, err)
}

func TestStreamPaging(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	createTable(t, db, TableSpec{Name: "Pages", KeySchema: hashKey("id", attr.TypeN), StreamView: StreamKeysOnly})
	const n = 1234
	var reqs []WriteRequest
	for i := range n {
		reqs = append(reqs, WriteRequest{Table: "Pages", Put: attr.Item{"id": num(i)}})
		if len(reqs) == MaxBatchWrites || i == n-1 {
			_, err := db.BatchWriteItem(ctx, BatchWriteInput{Requests: reqs})
			require.NoError(t, err)
			reqs = nil
		}
	}
	all := streamRead(t, db, "Pages", 0, 0)
	require.Len(t, all, n)
	for i, c := range all {
		require.Equal(t, EventInsert, c.Event)
		requireItem(t, attr.Item{"id": num(i)}, c.Keys)
		if i > 0 {
			require.Greater(t, c.Seq, all[i-1].Seq)
		}
	}
	// The default and maximum page is 1000 records.
	p, err := db.ReadChanges(ctx, ReadChangesInput{Table: "Pages"})
	require.NoError(t, err)
	require.Len(t, p.Changes, 1000)
	p, err = db.ReadChanges(ctx, ReadChangesInput{Table: "Pages", Limit: 5000})
	require.NoError(t, err)
	require.Len(t, p.Changes, 1000)
	// Small pages, from anywhere.
	for _, limit := range []int{1, 7, 100} {
		got := streamRead(t, db, "Pages", 0, limit)
		require.Equal(t, all, got, "limit %d", limit)
	}
	mid := all[500].Seq
	got := streamRead(t, db, "Pages", mid, 33)
	require.Equal(t, all[501:], got)
	// After the last record: nothing, and Next stays.
	p, err = db.ReadChanges(ctx, ReadChangesInput{Table: "Pages", After: all[n-1].Seq})
	require.NoError(t, err)
	require.Empty(t, p.Changes)
	require.Equal(t, all[n-1].Seq, p.Next)
	require.NotNil(t, p.Wait)
	// Wait is closed by the next commit.
	putItems(t, db, "Pages", attr.Item{"id": num(n)})
	select {
	case <-p.Wait:
	case <-time.After(5 * time.Second):
		t.Fatal("Wait was not closed by a commit")
	}
	p, err = db.ReadChanges(ctx, ReadChangesInput{Table: "Pages", After: all[n-1].Seq})
	require.NoError(t, err)
	require.Len(t, p.Changes, 1)
}

// TestStreamConcurrentWritersAndTailingReader: a reader tailing the log
// while 8 writers commit sees every committed record exactly once, in
// increasing order, without skipping any, and each item's records in the
// order of its writes.
func TestStreamConcurrentWritersAndTailingReader(t *testing.T) {
	writes := 300
	if testing.Short() {
		writes = 60
	}
	const writers = 8
	ctx := context.Background()
	db := openTestDB(t)
	createTable(t, db, TableSpec{Name: "Tail", KeySchema: hashKey("id", attr.TypeS), StreamView: StreamNewImage})

	var tailed []Change
	readerDone := make(chan struct{})
	writersDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		var after uint64
		for {
			p, err := db.ReadChanges(ctx, ReadChangesInput{Table: "Tail", After: after, Limit: 50})
			if err != nil {
				t.Errorf("read: %v", err)
				return
			}
			tailed = append(tailed, p.Changes...)
			after = p.Next
			if len(p.Changes) > 0 {
				continue
			}
			select {
			case <-writersDone:
				// One more read after the writers stopped drains the rest.
				p, err := db.ReadChanges(ctx, ReadChangesInput{Table: "Tail", After: after})
				if err != nil {
					t.Errorf("read: %v", err)
					return
				}
				tailed = append(tailed, p.Changes...)
				if len(p.Changes) == 0 {
					return
				}
				after = p.Next
			case <-p.Wait:
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()

	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			own := attr.S(fmt.Sprintf("own%d", w))
			for i := range writes {
				var err error
				switch rng.Intn(4) {
				case 0, 1: // the writer's own item, with a counter
					_, err = db.PutItem(ctx, PutItemInput{Table: "Tail", Item: attr.Item{"id": own, "w": num(w), "i": num(i)}})
				case 2: // shared items
					_, err = db.UpdateItem(ctx, UpdateItemInput{Table: "Tail", Key: attr.Item{"id": attr.S(fmt.Sprintf("shared%d", rng.Intn(3)))},
						Update: ixUpdate("ADD n :one SET #l = :w", vals(":one", num(1), ":w", num(w)), map[string]string{"#l": "last"})})
				default:
					if rng.Intn(2) == 0 {
						_, err = db.DeleteItem(ctx, DeleteItemInput{Table: "Tail", Key: attr.Item{"id": attr.S(fmt.Sprintf("shared%d", rng.Intn(3)))}})
					} else {
						err = db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{
							{Put: &PutItemInput{Table: "Tail", Item: attr.Item{"id": attr.S(fmt.Sprintf("tx%d", w)), "i": num(i)}}},
							{Update: &UpdateItemInput{Table: "Tail", Key: attr.Item{"id": own}, Update: ixUpdate("SET i = :i", vals(":i", num(i)))}},
						}})
					}
				}
				if err != nil && CodeOf(err) != CodeTransactionConflict {
					t.Errorf("write: %v", err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(writersDone)
	<-readerDone
	if t.Failed() {
		return
	}

	full := streamRead(t, db, "Tail", 0, 0)
	require.Equal(t, len(full), len(tailed), "the tailing reader saw every record")
	for i := range full {
		require.Equal(t, full[i].Seq, tailed[i].Seq)
		if i > 0 {
			require.Greater(t, tailed[i].Seq, tailed[i-1].Seq)
		}
	}
	// Per item, records follow the item's write order: a writer's own item
	// carries an increasing counter, and a shared counter item goes up by
	// one per update until a delete resets it.
	lastI := map[string]int64{}
	lastN := map[string]int64{}
	for _, c := range full {
		id := string(c.Keys["id"].(attr.S))
		switch {
		case c.Event == EventRemove:
			lastN[id] = 0
		case id[:3] == "own" || id[:2] == "tx":
			i, _ := c.NewImage["i"].(attr.Number).Int64()
			if prev, ok := lastI[id]; ok {
				require.GreaterOrEqual(t, i, prev, "records of %s out of order", id)
			}
			lastI[id] = i
		default:
			n, _ := c.NewImage["n"].(attr.Number).Int64()
			require.Equal(t, lastN[id]+1, n, "records of %s out of order", id)
			lastN[id] = n
		}
	}
	t.Logf("%d records tailed", len(full))
}

func TestStreamRetentionAndReopen(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock(time.Time{})
	dir := t.TempDir()
	mod := func(o *Options) {
		o.Dir = dir
		o.Clock = clock.Now
		o.StreamRetention = time.Hour
		o.StreamTrimInterval = 5 * time.Millisecond
	}
	db := openTestDB(t, mod)
	createTable(t, db, TableSpec{Name: "Keep", KeySchema: hashKey("id", attr.TypeN), StreamView: StreamKeysOnly})
	write := func(db *DB, from, to int) {
		for i := from; i < to; i++ {
			putItems(t, db, "Keep", attr.Item{"id": num(i)})
		}
	}
	write(db, 0, 10)
	clock.Advance(40 * time.Minute)
	write(db, 10, 20)
	all := streamRead(t, db, "Keep", 0, 0)
	require.Len(t, all, 20)
	time.Sleep(30 * time.Millisecond)
	require.Len(t, streamRead(t, db, "Keep", 0, 0), 20, "nothing is older than the retention yet")

	clock.Advance(21 * time.Minute) // the first 10 are 61 minutes old
	ttlWait(t, 10*time.Second, "the trim", func() bool { return len(streamRead(t, db, "Keep", 0, 0)) == 10 })
	require.Equal(t, all[10:], streamRead(t, db, "Keep", 0, 0), "0 reads from the oldest record kept")
	// A cursor inside the trimmed part has lost records.
	for _, after := range []uint64{all[0].Seq, all[8].Seq} {
		_, err := db.ReadChanges(ctx, ReadChangesInput{Table: "Keep", After: after})
		requireCode(t, CodeTrimmedData, err)
	}
	// A cursor at the last trimmed record has not.
	require.Equal(t, all[10:], streamRead(t, db, "Keep", all[9].Seq, 0))

	// After a restart, numbers continue.
	require.NoError(t, db.Close())
	db = openTestDB(t, mod)
	write(db, 20, 25)
	got := streamRead(t, db, "Keep", 0, 0)
	require.Len(t, got, 15)
	require.Equal(t, all[10:], got[:10])
	for i := 10; i < 15; i++ {
		require.Greater(t, got[i].Seq, got[i-1].Seq)
	}
	last := got[14].Seq

	// Even when retention removed every record before the restart.
	clock.Advance(2 * time.Hour)
	ttlWait(t, 10*time.Second, "the full trim", func() bool { return len(streamRead(t, db, "Keep", 0, 0)) == 0 })
	_, err := db.ReadChanges(ctx, ReadChangesInput{Table: "Keep", After: got[10].Seq})
	requireCode(t, CodeTrimmedData, err)
	require.NoError(t, db.Close())
	db = openTestDB(t, mod)
	write(db, 25, 26)
	got = streamRead(t, db, "Keep", last, 0)
	require.Len(t, got, 1)
	require.Greater(t, got[0].Seq, last, "sequence numbers are never reused")
	requireItem(t, attr.Item{"id": num(25)}, got[0].Keys)
}
