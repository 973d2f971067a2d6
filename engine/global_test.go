package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/internal/kv"
	"github.com/stretchr/testify/require"
)

func withRegion(r string) func(*Options) { return func(o *Options) { o.Region = r } }

// regions opens one database per region.
func regions(t *testing.T, clock *fakeClock, names ...string) map[string]*DB {
	out := map[string]*DB{}
	for _, n := range names {
		mods := []func(*Options){withRegion(n)}
		if clock != nil {
			mods = append(mods, withClock(clock))
		}
		out[n] = openTestDB(t, mods...)
	}
	return out
}

func replicasOf(names ...string) []Replica {
	var rs []Replica
	for _, n := range names {
		rs = append(rs, Replica{Region: n})
	}
	return rs
}

// seedReplica creates table on `to` from `from`'s definition and loads it
// from a snapshot of `from`, as the replication package does.
func seedReplica(t *testing.T, from, to *DB, table string) {
	ctx := context.Background()
	def, err := from.ExportDefinition(ctx, table)
	require.NoError(t, err)
	require.NoError(t, to.CreateReplicaTable(ctx, def))
	st, err := to.ReplicationCheckpoint(ctx, table, from.Region())
	require.NoError(t, err)
	require.True(t, st.Exists && st.Seeding)
	snap, err := from.ScanReplica(ctx, table, 7, func(cs []ReplicatedChange) error {
		_, err := to.ApplyReplicated(ctx, ApplyInput{Table: table, Source: from.Region(), Changes: cs})
		return err
	})
	require.NoError(t, err)
	require.NoError(t, to.FinishSeed(ctx, table, from.Region(), snap.Mark, snap.Checkpoints))
}

// ship sends from's local changes to `to`, from to's checkpoint, until
// none is left; it returns the number of changes sent.
func ship(t testing.TB, from, to *DB, table string) int {
	ctx := context.Background()
	st, err := to.ReplicationCheckpoint(ctx, table, from.Region())
	require.NoError(t, err)
	after, n := st.Checkpoint, 0
	for {
		p, err := from.ReadReplicationLog(ctx, table, after, 50)
		require.NoError(t, err)
		if p.Next == after {
			return n
		}
		_, err = to.ApplyReplicated(ctx, ApplyInput{Table: table, Source: from.Region(), Changes: p.Changes, UpTo: p.Next})
		require.NoError(t, err)
		n += len(p.Changes)
		after = p.Next
	}
}

// rawTable returns every stored item and version of a table, as bytes.
func rawTable(t testing.TB, db *DB, table string) map[string]string {
	out := map[string]string{}
	err := db.view(func(tx *kv.Txn) error {
		tdef, err := db.loadTable(tx, table)
		if err != nil {
			return err
		}
		for _, space := range []byte{tabItems, tabVer} {
			p := spacePrefix(nil, tdef.ID, space)
			it := tx.Iterate(kv.IterOptions{Prefix: p, PrefetchValues: true})
			for it.Seek(p); it.Valid(); it.Next() {
				k := fmt.Sprintf("%x:%x", space, it.Key()[len(p):])
				_ = it.Value(func(v []byte) error { out[k] = string(v); return nil })
			}
			it.Close()
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

func TestGlobalLastWriterWins(t *testing.T) {
	ctx := context.Background()
	dbs := regions(t, nil, "a", "b")
	a, b := dbs["a"], dbs["b"]
	createTable(t, a, TableSpec{Name: "TG1x", KeySchema: hashKey("id", attr.TypeS), Replicas: replicasOf("b")})
	seedReplica(t, a, b, "TG1x")
	d, err := b.DescribeTable(ctx, "TG1x")
	require.NoError(t, err)
	require.Len(t, d.Replicas, 2)

	// Concurrent writes of one item in both regions, and others apart.
	putItems(t, a, "TG1x", attr.Item{"id": attr.S("x"), "v": attr.S("from a")}, attr.Item{"id": attr.S("only-a")})
	putItems(t, b, "TG1x", attr.Item{"id": attr.S("x"), "v": attr.S("from b")}, attr.Item{"id": attr.S("only-b")})
	ship(t, a, b, "TG1x")
	ship(t, b, a, "TG1x")
	require.Equal(t, rawTable(t, a, "TG1x"), rawTable(t, b, "TG1x"))
	va, _, err := a.ItemVersion(ctx, "TG1x", attr.Item{"id": attr.S("x")})
	require.NoError(t, err)
	winner := map[string]string{"a": "from a", "b": "from b"}[va.Region]
	require.Equal(t, attr.S(winner), getItem(t, a, "TG1x", attr.Item{"id": attr.S("x")})["v"])

	// Records that came from b are not shipped back (no loops), and a
	// batch delivered twice applies once.
	p, err := a.ReadReplicationLog(ctx, "TG1x", 0, 0)
	require.NoError(t, err)
	for _, c := range p.Changes {
		require.Equal(t, "a", c.Version.Region)
	}
	require.Equal(t, 0, ship(t, b, a, "TG1x"))
	res, err := a.ApplyReplicated(ctx, ApplyInput{Table: "TG1x", Source: "b", Changes: []ReplicatedChange{{Seq: 1, Keys: attr.Item{"id": attr.S("zzz")}, NewImage: attr.Item{"id": attr.S("zzz")}, Version: Version{HLC: 1 << 60, Region: "b"}}}, UpTo: 1})
	require.NoError(t, err)
	require.Equal(t, 1, res.Skipped)
	require.Nil(t, getItem(t, a, "TG1x", attr.Item{"id": attr.S("zzz")}))

	// A source that is not a replica is refused.
	_, err = a.ApplyReplicated(ctx, ApplyInput{Table: "TG1x", Source: "zz"})
	require.True(t, IsNotReplica(err), "%v", err)
}

func TestGlobalTombstoneStopsResurrection(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	dbs := regions(t, clock, "a", "b")
	a, b := dbs["a"], dbs["b"]
	createTable(t, a, TableSpec{Name: "TG2x", KeySchema: hashKey("id", attr.TypeS), Replicas: replicasOf("b"), StreamView: StreamNewAndOldImage})
	seedReplica(t, a, b, "TG2x")
	key := attr.Item{"id": attr.S("k")}
	// b writes first (older), a deletes later (newer); b's put arrives
	// at a after the delete and must not bring the item back.
	putItems(t, b, "TG2x", attr.Item{"id": attr.S("k"), "n": num(1)})
	clock.Advance(time.Second)
	putItems(t, a, "TG2x", attr.Item{"id": attr.S("k"), "n": num(2)})
	_, err := a.DeleteItem(ctx, DeleteItemInput{Table: "TG2x", Key: key})
	require.NoError(t, err)
	ship(t, b, a, "TG2x")
	require.Nil(t, getItem(t, a, "TG2x", key))
	ship(t, a, b, "TG2x")
	require.Nil(t, getItem(t, b, "TG2x", key))
	v, tomb, err := b.ItemVersion(ctx, "TG2x", key)
	require.NoError(t, err)
	require.True(t, tomb)
	require.Equal(t, "a", v.Region)
	require.Equal(t, rawTable(t, a, "TG2x"), rawTable(t, b, "TG2x"))

	// A replicated delete of an absent item still leaves a tombstone.
	clock.Advance(time.Second)
	putItems(t, b, "TG2x", attr.Item{"id": attr.S("late")})
	clock.Advance(time.Second)
	putItems(t, a, "TG2x", attr.Item{"id": attr.S("late")})
	_, err = a.DeleteItem(ctx, DeleteItemInput{Table: "TG2x", Key: attr.Item{"id": attr.S("late")}})
	require.NoError(t, err)
	// b's put reaches a after a deleted: refused; a's delete reaches b.
	ship(t, a, b, "TG2x")
	ship(t, b, a, "TG2x")
	require.Nil(t, getItem(t, a, "TG2x", attr.Item{"id": attr.S("late")}))
	require.Nil(t, getItem(t, b, "TG2x", attr.Item{"id": attr.S("late")}))

	// Subscribers of b see a's changes, marked with a's region.
	page, err := b.ReadChanges(ctx, ReadChangesInput{Table: "TG2x"})
	require.NoError(t, err)
	regions := map[string]int{}
	for _, c := range page.Changes {
		regions[c.Region]++
		require.NotZero(t, c.Version.HLC)
	}
	require.Positive(t, regions["a"])
	require.Positive(t, regions["b"])

	// Tombstones go after the horizon.
	clock.Advance(25 * time.Hour)
	require.NoError(t, a.gcTombstones(ctx))
	_, tomb, err = a.ItemVersion(ctx, "TG2x", key)
	require.NoError(t, err)
	require.False(t, tomb)
}

func TestGlobalSeedWhileWriting(t *testing.T) {
	ctx := context.Background()
	dbs := regions(t, nil, "a", "b", "c")
	a, b, c := dbs["a"], dbs["b"], dbs["c"]
	createTable(t, a, TableSpec{Name: "TG3x", KeySchema: compositeKey("p", attr.TypeS, "s", attr.TypeN), Replicas: replicasOf("b"),
		GlobalIndexes: []IndexSpec{{Name: "byV", KeySchema: hashKey("v", attr.TypeN)}}})
	seedReplica(t, a, b, "TG3x")
	for i := range 300 {
		db := a
		if i%3 == 0 {
			db = b
		}
		putItems(t, db, "TG3x", attr.Item{"p": attr.S(fmt.Sprint(i % 17)), "s": num(i), "v": num(i % 5)})
	}
	ship(t, b, a, "TG3x") // a has b's writes; b has not got a's yet
	// Add c while a keeps writing.
	_, err := a.UpdateTable(ctx, UpdateTableInput{Name: "TG3x", Replicas: ptr(replicasOf("a", "b", "c"))})
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 200 {
			putItems(t, a, "TG3x", attr.Item{"p": attr.S("w"), "s": num(i), "v": num(1)})
		}
	}()
	seedReplica(t, a, c, "TG3x")
	wg.Wait()
	// The definition reaches b (replicas); then everyone ships to everyone.
	s, err := a.GlobalTables(ctx)
	require.NoError(t, err)
	_, err = b.AdoptSettings(ctx, "TG3x", s[0].Settings)
	require.NoError(t, err)
	for range 2 {
		for _, from := range []*DB{a, b, c} {
			for _, to := range []*DB{a, b, c} {
				if from != to {
					ship(t, from, to, "TG3x")
				}
			}
		}
	}
	ra := rawTable(t, a, "TG3x")
	require.Len(t, ra, 2*500)
	require.Equal(t, ra, rawTable(t, b, "TG3x"))
	require.Equal(t, ra, rawTable(t, c, "TG3x"))
	out, err := c.Query(ctx, QueryInput{Table: "TG3x", Index: "byV", KeyCondition: mustKeyCond(t, "v = :v", vals(":v", num(1)))})
	require.NoError(t, err)
	require.Equal(t, 200+60, len(out.Items))
}

func ptr[T any](v T) *T { return &v }

func TestGlobalSettingsInStep(t *testing.T) {
	ctx := context.Background()
	dbs := regions(t, nil, "a", "b")
	a, b := dbs["a"], dbs["b"]
	createTable(t, a, TableSpec{Name: "TG4x", KeySchema: hashKey("id", attr.TypeS), Replicas: replicasOf("b")})
	seedReplica(t, a, b, "TG4x")
	_, err := a.UpdateTable(ctx, UpdateTableInput{Name: "TG4x", CreateGlobalIndexes: []IndexSpec{{Name: "byX", KeySchema: hashKey("x", attr.TypeS)}}, TTLAttribute: ptr("exp")})
	require.NoError(t, err)
	s, err := a.GlobalTables(ctx)
	require.NoError(t, err)
	ok, err := b.AdoptSettings(ctx, "TG4x", s[0].Settings)
	require.NoError(t, err)
	require.True(t, ok)
	d, err := b.DescribeTable(ctx, "TG4x")
	require.NoError(t, err)
	require.Equal(t, "exp", d.TTLAttribute)
	require.Len(t, d.GlobalIndexes, 1)
	ok, err = b.AdoptSettings(ctx, "TG4x", s[0].Settings) // not newer: nothing
	require.NoError(t, err)
	require.False(t, ok)
}

func TestRegionalTableUnchanged(t *testing.T) {
	// A regional table on a server with a region writes exactly what it
	// wrote before global tables: no versions, no extra record fields.
	db := openTestDB(t, withRegion("a"))
	createTable(t, db, TableSpec{Name: "TR1x", KeySchema: hashKey("id", attr.TypeS), StreamView: StreamNewImage})
	putItems(t, db, "TR1x", attr.Item{"id": attr.S("x"), "v": num(1)})
	raw := rawTable(t, db, "TR1x")
	require.Len(t, raw, 1)
	for _, v := range raw {
		require.Equal(t, string(attr.EncodeItem(nil, attr.Item{"id": attr.S("x"), "v": num(1)})), v)
	}
	err := db.view(func(tx *kv.Txn) error {
		tdef, _ := db.loadTable(tx, "TR1x")
		p := spacePrefix(nil, tdef.ID, tabStream)
		return tx.Get(binary.BigEndian.AppendUint64(p, 1), func(v []byte) error {
			m, err := attr.DecodeItem(v)
			require.NoError(t, err)
			require.NotContains(t, m, "r")
			require.NotContains(t, m, "h")
			require.NotContains(t, m, "v")
			return nil
		})
	})
	require.NoError(t, err)
}

// TestGlobalConvergenceRandom: random writes, deletes and shipping orders
// in three regions always converge to identical bytes.
func TestGlobalConvergenceRandom(t *testing.T) {
	ctx := context.Background()
	dbs := regions(t, nil, "a", "b", "c")
	all := []*DB{dbs["a"], dbs["b"], dbs["c"]}
	createTable(t, all[0], TableSpec{Name: "TG5x", KeySchema: hashKey("id", attr.TypeN), Replicas: replicasOf("b", "c")})
	seedReplica(t, all[0], all[1], "TG5x")
	seedReplica(t, all[0], all[2], "TG5x")
	r := rand.New(rand.NewPCG(1, 2))
	var wg sync.WaitGroup
	for i, db := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 9))
			for j := range 300 {
				k := attr.Item{"id": num(r.IntN(40))}
				if j%4 == 3 {
					_, err := db.DeleteItem(ctx, DeleteItemInput{Table: "TG5x", Key: k})
					require.NoError(t, err)
					continue
				}
				k["by"], k["j"] = num(i), num(j)
				putItems(t, db, "TG5x", k)
			}
		}()
	}
	// Ship in random directions while writing.
	for range 30 {
		from, to := all[r.IntN(3)], all[r.IntN(3)]
		if from != to {
			ship(t, from, to, "TG5x")
		}
	}
	wg.Wait()
	for _, from := range all {
		for _, to := range all {
			if from != to {
				ship(t, from, to, "TG5x")
			}
		}
	}
	ra := rawTable(t, all[0], "TG5x")
	for _, db := range all[1:] {
		rb := rawTable(t, db, "TG5x")
		require.Equal(t, len(ra), len(rb))
		for k, v := range ra {
			require.True(t, bytes.Equal([]byte(v), []byte(rb[k])), "key %s", k)
		}
	}
}
