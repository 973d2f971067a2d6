package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/stretchr/testify/require"
)

// ttlTable has TTL on "exp", a stream, and indexes of which some do not
// project the TTL attribute (reads must then check the table's item).
func ttlTable(t testing.TB, db *DB, name string) {
	createTable(t, db, TableSpec{
		Name: name, KeySchema: compositeKey("pk", attr.TypeS, "sk", attr.TypeN), TTLAttribute: "exp", StreamView: StreamNewAndOldImage,
		LocalIndexes: []IndexSpec{{Name: "lsiKeys", KeySchema: compositeKey("pk", attr.TypeS, "d", attr.TypeS), Projection: Projection{Type: ProjectKeysOnly}}},
		GlobalIndexes: []IndexSpec{
			{Name: "gAll", KeySchema: hashKey("g", attr.TypeS)},
			{Name: "gKeys", KeySchema: hashKey("g", attr.TypeS), Projection: Projection{Type: ProjectKeysOnly}},
		},
	})
}

func ttlItem(sk int, exp attr.Value) attr.Item {
	it := attr.Item{"pk": attr.S("p"), "sk": num(sk), "d": attr.S(fmt.Sprintf("d%03d", sk)), "g": attr.S("G"), "v": num(sk)}
	if exp != nil {
		it["exp"] = exp
	}
	return it
}

// ttlVisible returns the sort keys of the items every read path returns,
// checking that the paths agree.
func ttlVisible(t testing.TB, db *DB, table string) []int {
	t.Helper()
	ctx := context.Background()
	sks := func(items []attr.Item) []int {
		var out []int
		for _, it := range items {
			n, _ := it["sk"].(attr.Number).Int64()
			out = append(out, int(n))
		}
		return out
	}
	scan := sks(ixScanAll(t, db, ScanInput{Table: table}))
	require.Equal(t, scan, sks(ixQueryAll(t, db, QueryInput{Table: table, KeyCondition: mustKeyCond(t, "pk = :p", vals(":p", attr.S("p")))})), "query")
	require.Equal(t, scan, sks(ixQueryAll(t, db, QueryInput{Table: table, Index: "lsiKeys", KeyCondition: mustKeyCond(t, "pk = :p", vals(":p", attr.S("p")))})), "lsi")
	for _, ix := range []string{"gAll", "gKeys"} {
		require.Equal(t, scan, sks(ixQueryAll(t, db, QueryInput{Table: table, Index: ix, KeyCondition: mustKeyCond(t, "g = :g", vals(":g", attr.S("G")))})), ix)
		require.Equal(t, scan, sks(ixScanAll(t, db, ScanInput{Table: table, Index: ix})), ix)
	}
	p, err := db.Query(ctx, QueryInput{Table: table, KeyCondition: mustKeyCond(t, "pk = :p", vals(":p", attr.S("p"))), Paging: Paging{CountOnly: true}})
	require.NoError(t, err)
	require.Equal(t, len(scan), p.Count, "count")
	var got []int
	for sk := range 10 {
		if getItem(t, db, table, attr.Item{"pk": attr.S("p"), "sk": num(sk)}) != nil {
			got = append(got, sk)
		}
	}
	var want []int
	for _, sk := range scan {
		if sk < 10 {
			want = append(want, sk)
		}
	}
	require.Equal(t, want, got, "get")
	return scan
}

func TestTTLExpiredItemsAreInvisibleBeforeTheSweep(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock(time.Time{})
	db := openTestDB(t, withClock(clock), func(o *Options) { o.SweepInterval = time.Hour })
	ttlTable(t, db, "Ttl")
	now := clock.Now().Unix()
	putItems(t, db, "Ttl",
		ttlItem(0, num(now-10)),                 // expired
		ttlItem(1, num(now+100)),                // expires later
		ttlItem(2, attr.S("1")),                 // not a number: never
		ttlItem(3, nil),                         // no TTL
		ttlItem(4, num(fmt.Sprint(now-1)+".5")), // fractional, past
		ttlItem(5, num("-1e30")),                // far past
		ttlItem(6, num("1e40")),                 // far future
		ttlItem(7, attr.NS{num(now - 10)}),      // a number set is not a number
	)
	require.Equal(t, []int{1, 2, 3, 6, 7}, ttlVisible(t, db, "Ttl"))
	// Batch and transactional reads hide them too.
	keys := []attr.Item{{"pk": attr.S("p"), "sk": num(0)}, {"pk": attr.S("p"), "sk": num(1)}}
	bg, err := db.BatchGetItem(ctx, BatchGetInput{Requests: []BatchGetRequest{{Table: "Ttl", Keys: keys}}})
	require.NoError(t, err)
	require.Len(t, bg.Responses["Ttl"], 1)
	tg, err := db.TransactGetItems(ctx, []GetItemInput{{Table: "Ttl", Key: keys[0]}, {Table: "Ttl", Key: keys[1]}})
	require.NoError(t, err)
	require.Nil(t, tg[0])
	require.NotNil(t, tg[1])
	// Conditions see an expired item as absent; an update starts afresh.
	_, err = db.PutItem(ctx, PutItemInput{Table: "Ttl", Item: ttlItem(4, nil), Condition: mustCond(t, "attribute_not_exists(pk)", nil)})
	require.NoError(t, err)
	_, err = db.UpdateItem(ctx, UpdateItemInput{Table: "Ttl", Key: attr.Item{"pk": attr.S("p"), "sk": num(5)}, Update: mustUpdate(t, "SET w = :w, d = :d, g = :g", vals(":w", num(1), ":d", attr.S("d005"), ":g", attr.S("G"))), Condition: mustCond(t, "attribute_not_exists(v)", nil)})
	require.NoError(t, err)
	requireItem(t, attr.Item{"pk": attr.S("p"), "sk": num(5), "w": num(1), "d": attr.S("d005"), "g": attr.S("G")}, getItem(t, db, "Ttl", attr.Item{"pk": attr.S("p"), "sk": num(5)}))
	require.Equal(t, []int{1, 2, 3, 4, 5, 6, 7}, ttlVisible(t, db, "Ttl"))

	// Time passes: item 1 expires; strings, sets and the far future never do.
	clock.Advance(101 * time.Second)
	require.Equal(t, []int{2, 3, 4, 5, 6, 7}, ttlVisible(t, db, "Ttl"))
	clock.Advance(100 * 365 * 24 * time.Hour)
	require.Equal(t, []int{2, 3, 4, 5, 6, 7}, ttlVisible(t, db, "Ttl"))
}

// ttlWait polls until cond holds.
func ttlWait(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "timed out waiting for %s", what)
		time.Sleep(2 * time.Millisecond)
	}
}

func TestTTLSweeperDeletesItemsIndexEntriesAndRecordsChanges(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock(time.Time{})
	db := openTestDB(t, withClock(clock), func(o *Options) { o.SweepInterval = 5 * time.Millisecond })
	ttlTable(t, db, "Ttl")
	now := clock.Now().Unix()
	for sk := range 20 {
		var exp attr.Value
		switch sk % 4 {
		case 0:
			exp = num(now + 10) // expires after the first advance
		case 1:
			exp = num(now + 1000)
		case 2:
			exp = attr.S(fmt.Sprint(now)) // never
		}
		putItems(t, db, "Ttl", ttlItem(sk, exp))
	}
	p, err := db.ReadChanges(ctx, ReadChangesInput{Table: "Ttl"})
	require.NoError(t, err)
	require.Len(t, p.Changes, 20)
	after := p.Next
	require.Equal(t, 10, ixCountSpace(t, db, "Ttl", tabTTL, 0), "only numeric TTLs are scheduled")
	time.Sleep(30 * time.Millisecond)
	require.Equal(t, 20, ixCountSpace(t, db, "Ttl", tabItems, 0), "nothing is due yet")

	clock.Advance(11 * time.Second)
	ttlWait(t, 10*time.Second, "the sweep", func() bool { return ixCountSpace(t, db, "Ttl", tabItems, 0) == 15 })
	for _, ix := range []string{"lsiKeys", "gAll", "gKeys"} {
		require.Equal(t, 15, ixCountSpace(t, db, "Ttl", tabIndex, ixIndexID(t, db, "Ttl", ix)), "entries of %s", ix)
	}
	require.Equal(t, 5, ixCountSpace(t, db, "Ttl", tabTTL, 0))
	p, err = db.ReadChanges(ctx, ReadChangesInput{Table: "Ttl", After: after})
	require.NoError(t, err)
	require.Len(t, p.Changes, 5)
	for i, c := range p.Changes {
		require.Equal(t, EventRemove, c.Event)
		require.Equal(t, OriginTTL, c.Origin)
		require.Empty(t, c.Principal)
		requireItem(t, attr.Item{"pk": attr.S("p"), "sk": num(4 * i)}, c.Keys)
		requireItem(t, ttlItem(4*i, num(now+10)), c.OldImage)
		require.Nil(t, c.NewImage)
	}
	require.Equal(t, []int{1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15, 17, 18, 19}, ttlVisible(t, db, "Ttl"))

	clock.Advance(1000 * time.Second)
	ttlWait(t, 10*time.Second, "the second sweep", func() bool { return ixCountSpace(t, db, "Ttl", tabItems, 0) == 10 })
	require.Equal(t, 0, ixCountSpace(t, db, "Ttl", tabTTL, 0))
	require.Equal(t, []int{2, 3, 6, 7, 10, 11, 14, 15, 18, 19}, ttlVisible(t, db, "Ttl"))
}

func TestTTLRescheduleAndUserWritesOnExpiredItems(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock(time.Time{})
	db := openTestDB(t, withClock(clock), func(o *Options) { o.SweepInterval = time.Hour })
	ttlTable(t, db, "Ttl")
	now := clock.Now().Unix()
	key := func(sk int) attr.Item { return attr.Item{"pk": attr.S("p"), "sk": num(sk)} }
	putItems(t, db, "Ttl", ttlItem(0, num(now+100)), ttlItem(1, num(now+100)), ttlItem(2, num(now+100)), ttlItem(3, num(now+100)))
	upd := func(sk int, text string, v map[string]attr.Value) {
		_, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Ttl", Key: key(sk), Update: mustUpdate(t, text, v)})
		require.NoError(t, err)
	}
	upd(0, "SET exp = :e", vals(":e", num(now+1000)))  // later
	upd(1, "REMOVE exp", nil)                          // never
	upd(2, "SET exp = :e", vals(":e", attr.S("soon"))) // not a number: never
	upd(3, "SET exp = :e", vals(":e", num(now+50)))    // earlier
	require.Equal(t, 2, ixCountSpace(t, db, "Ttl", tabTTL, 0), "the old schedule entries are gone")

	clock.Advance(200 * time.Second)
	require.NoError(t, db.sweepExpired(ctx))
	require.Equal(t, []int{0, 1, 2}, ttlVisible(t, db, "Ttl"))
	require.Equal(t, 3, ixCountSpace(t, db, "Ttl", tabItems, 0))
	clock.Advance(1000 * time.Second)
	require.NoError(t, db.sweepExpired(ctx))
	require.Equal(t, []int{1, 2}, ttlVisible(t, db, "Ttl"))
	require.Equal(t, 0, ixCountSpace(t, db, "Ttl", tabTTL, 0))

	// A user write to an item that expired but was not swept yet records
	// the removal by TTL, then the user's change.
	now = clock.Now().Unix()
	putItems(t, db, "Ttl", ttlItem(5, num(now+1)))
	p, err := db.ReadChanges(ctx, ReadChangesInput{Table: "Ttl"})
	require.NoError(t, err)
	last := p.Next
	clock.Advance(2 * time.Second)
	putItems(t, db, "Ttl", ttlItem(5, nil))
	p, err = db.ReadChanges(ctx, ReadChangesInput{Table: "Ttl", After: last})
	require.NoError(t, err)
	require.Len(t, p.Changes, 2)
	require.Equal(t, []ChangeEvent{EventRemove, EventInsert}, []ChangeEvent{p.Changes[0].Event, p.Changes[1].Event})
	require.Equal(t, []Origin{OriginTTL, OriginUser}, []Origin{p.Changes[0].Origin, p.Changes[1].Origin})
	require.Nil(t, p.Changes[1].OldImage)
	// Deleting an expired, unswept item records only its removal by TTL.
	putItems(t, db, "Ttl", ttlItem(6, num(clock.Now().Unix()+1)))
	clock.Advance(2 * time.Second)
	last = p.Next
	_, err = db.DeleteItem(ctx, DeleteItemInput{Table: "Ttl", Key: key(6)})
	require.NoError(t, err)
	p, err = db.ReadChanges(ctx, ReadChangesInput{Table: "Ttl", After: last})
	require.NoError(t, err)
	require.Len(t, p.Changes, 2) // the insert of item 6 and its removal
	require.Equal(t, EventRemove, p.Changes[1].Event)
	require.Equal(t, OriginTTL, p.Changes[1].Origin)
	require.Equal(t, 0, ixCountSpace(t, db, "Ttl", tabTTL, 0))
}

func TestTTLEnabledOnExistingTable(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock(time.Time{})
	db := openTestDB(t, withClock(clock), func(o *Options) { o.SweepInterval = 5 * time.Millisecond; o.BackfillBatch = 16 })
	createTable(t, db, TableSpec{Name: "Late", KeySchema: hashKey("id", attr.TypeN), StreamView: StreamKeysOnly,
		GlobalIndexes: []IndexSpec{{Name: "byG", KeySchema: hashKey("g", attr.TypeS), Projection: Projection{Type: ProjectKeysOnly}}}})
	now := clock.Now().Unix()
	const n = 500
	expiring := 0
	for i := range n {
		it := attr.Item{"id": num(i), "g": attr.S("G")}
		switch i % 5 {
		case 0, 1:
			it["ttl"] = num(now - int64(i)) // already past
			expiring++
		case 2:
			it["ttl"] = num(now + 3600)
		case 3:
			it["ttl"] = attr.S("x")
		}
		putItems(t, db, "Late", it)
	}
	require.Equal(t, n, len(ixScanAll(t, db, ScanInput{Table: "Late"})), "without TTL nothing expires")
	time.Sleep(20 * time.Millisecond)
	require.Equal(t, 0, ixCountSpace(t, db, "Late", tabTTL, 0))

	ttl := "ttl"
	d, err := db.UpdateTable(ctx, UpdateTableInput{Name: "Late", TTLAttribute: &ttl})
	require.NoError(t, err)
	require.Equal(t, "ttl", d.TTLAttribute)
	// Reads hide expired items at once; the sweeper removes them once the
	// schedule is built.
	require.Len(t, ixScanAll(t, db, ScanInput{Table: "Late", Index: "byG"}), n-expiring)
	ttlWait(t, 30*time.Second, "the TTL backfill and sweep", func() bool { return ixCountSpace(t, db, "Late", tabItems, 0) == n-expiring })
	ttlWait(t, 10*time.Second, "the schedule", func() bool { return ixCountSpace(t, db, "Late", tabTTL, 0) == n/5 })
	require.Equal(t, n-expiring, ixCountSpace(t, db, "Late", tabIndex, ixIndexID(t, db, "Late", "byG")))
	removes := 0
	for _, c := range ttlAllChanges(t, db, "Late") {
		if c.Event == EventRemove {
			require.Equal(t, OriginTTL, c.Origin)
			removes++
		}
	}
	require.Equal(t, expiring, removes)

	// The rest expire in their time.
	clock.Advance(2 * time.Hour)
	ttlWait(t, 10*time.Second, "the last sweep", func() bool { return ixCountSpace(t, db, "Late", tabItems, 0) == n*2/5 })

	// Turning TTL off keeps the items from expiring.
	off := ""
	_, err = db.UpdateTable(ctx, UpdateTableInput{Name: "Late", TTLAttribute: &off})
	require.NoError(t, err)
	putItems(t, db, "Late", attr.Item{"id": num(n), "ttl": num(now)})
	time.Sleep(30 * time.Millisecond)
	require.NotNil(t, getItem(t, db, "Late", attr.Item{"id": num(n)}))
}

func ttlAllChanges(t testing.TB, db *DB, table string) []Change {
	t.Helper()
	var out []Change
	var after uint64
	for {
		p, err := db.ReadChanges(context.Background(), ReadChangesInput{Table: table, After: after})
		require.NoError(t, err)
		if len(p.Changes) == 0 {
			return out
		}
		out = append(out, p.Changes...)
		after = p.Next
	}
}

// TestTTLSweepReadsOnlyDueItems: 10k expiring items among 50k that do not
// expire (half of them scheduled far in the future) are swept by reading
// the 10k items the schedule names, not the table.
func TestTTLSweepReadsOnlyDueItems(t *testing.T) {
	expiring, others := 10000, 50000
	if testing.Short() || raceEnabled {
		expiring, others = 2000, 10000
	}
	ctx := context.Background()
	clock := newFakeClock(time.Time{})
	db := openTestDB(t, withClock(clock), func(o *Options) { o.SweepInterval = time.Hour })
	createTable(t, db, TableSpec{Name: "Big", KeySchema: hashKey("id", attr.TypeN), TTLAttribute: "exp",
		GlobalIndexes: []IndexSpec{{Name: "byG", KeySchema: hashKey("g", attr.TypeS), Projection: Projection{Type: ProjectKeysOnly}}}})
	now := clock.Now().Unix()
	start := time.Now()
	var reqs []WriteRequest
	total := expiring + others
	for i := range total {
		it := attr.Item{"id": num(i), "g": attr.S("G")}
		switch {
		case i%6 == 0 && i/6 < expiring: // spread among the others
			it["exp"] = num(now + 60 + int64(i%100))
		case i%2 == 0:
			it["exp"] = num(now + 86400*365)
		}
		reqs = append(reqs, WriteRequest{Table: "Big", Put: it})
		if len(reqs) == MaxBatchWrites || i == total-1 {
			out, err := db.BatchWriteItem(ctx, BatchWriteInput{Requests: reqs})
			require.NoError(t, err)
			require.Empty(t, out.Unprocessed)
			reqs = nil
		}
	}
	seeded := time.Since(start)
	scheduled := ixCountSpace(t, db, "Big", tabTTL, 0)
	require.Greater(t, scheduled, expiring)

	require.NoError(t, db.sweepExpired(ctx))
	require.Zero(t, db.sweepReads.Load(), "nothing is due")
	clock.Advance(time.Hour)
	start = time.Now()
	require.NoError(t, db.sweepExpired(ctx))
	swept := time.Since(start)
	require.EqualValues(t, expiring, db.sweepReads.Load(), "the sweeper reads exactly the due items")
	require.Equal(t, others, ixCountSpace(t, db, "Big", tabItems, 0))
	require.Equal(t, others, ixCountSpace(t, db, "Big", tabIndex, ixIndexID(t, db, "Big", "byG")))
	require.Equal(t, scheduled-expiring, ixCountSpace(t, db, "Big", tabTTL, 0))
	for i := 0; i < 6*expiring; i += 6 * 97 {
		require.Nil(t, getItem(t, db, "Big", attr.Item{"id": num(i)}))
		require.NotNil(t, getItem(t, db, "Big", attr.Item{"id": num(i + 1)}))
	}
	t.Logf("seeded %d items in %v; swept %d of them in %v", total, seeded, expiring, swept)
}
