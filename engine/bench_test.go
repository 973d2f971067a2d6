package engine

// Engine benchmarks, each beside the same work done with raw Badger calls.
//
// This file imports Badger directly, which only engine/internal/kv may do in
// non-test code: the raw-badger sub-benchmarks are the baseline the engine's
// figures are judged against, so they must bypass the engine entirely.
//
// The table size is SHOAL_BENCH_ITEMS (default 100000); set it lower for a
// quick run, e.g. SHOAL_BENCH_ITEMS=10000 go test -run '^$' -bench . ./engine/

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/internal/keys"
	"github.com/stretchr/testify/require"
)

const (
	benchTable         = "Bench"
	benchPartitionSize = 1000 // items per partition
)

func benchItems(b *testing.B) int {
	n := 100000
	if s := os.Getenv("SHOAL_BENCH_ITEMS"); s != "" {
		v, err := strconv.Atoi(s)
		require.NoError(b, err, "SHOAL_BENCH_ITEMS")
		n = v
	}
	return max(n, benchPartitionSize)
}

var benchPayload = strings.Repeat("p", 100)

// benchItem is item i of the benchmark table: partition i/1000, sort key i.
func benchItem(i int) attr.Item {
	return attr.Item{
		"pk":      attr.S(fmt.Sprintf("part-%05d", i/benchPartitionSize)),
		"sk":      num(i),
		"name":    attr.S(fmt.Sprintf("user number %d", i)),
		"n":       num(i * 3),
		"payload": attr.S(benchPayload),
	}
}

func benchKey(i int) attr.Item {
	it := benchItem(i)
	return attr.Item{"pk": it["pk"], "sk": it["sk"]}
}

// rawPrefix stands in for the engine's table prefix; rawKey is the
// equivalent storage key: prefix · enc(pk) · enc(sk).
var rawPrefix = []byte{0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0x01}

func rawPartition(p int) []byte {
	k, _ := keys.Append(append([]byte(nil), rawPrefix...), attr.S(fmt.Sprintf("part-%05d", p)))
	return k
}

func rawKey(i int) []byte {
	it := benchItem(i)
	k, _ := keys.Append(append([]byte(nil), rawPrefix...), it["pk"])
	k, _ = keys.Append(k, it["sk"])
	return k
}

// seedEngine builds the benchmark table in a fresh directory with NoSync
// writes, closes it and reopens it with the requested durability.
func seedEngine(b *testing.B, n int, sync bool) *DB {
	b.Helper()
	dir := b.TempDir()
	db, err := Open(Options{Dir: dir, NoSync: true})
	require.NoError(b, err)
	ctx := context.Background()
	_, err = db.CreateTable(ctx, TableSpec{Name: benchTable, KeySchema: compositeKey("pk", attr.TypeS, "sk", attr.TypeN)})
	require.NoError(b, err)
	for i := 0; i < n; i += MaxBatchWrites {
		var reqs []WriteRequest
		for j := i; j < min(n, i+MaxBatchWrites); j++ {
			reqs = append(reqs, WriteRequest{Table: benchTable, Put: benchItem(j)})
		}
		for len(reqs) > 0 {
			out, err := db.BatchWriteItem(ctx, BatchWriteInput{Requests: reqs})
			require.NoError(b, err)
			reqs = out.Unprocessed
		}
	}
	require.NoError(b, db.Close())
	db, err = Open(Options{Dir: dir, NoSync: !sync})
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })
	return db
}

// rawOptions are the Badger options the engine's kv package uses.
func rawOptions(dir string, sync bool) badger.Options {
	return badger.DefaultOptions(dir).WithSyncWrites(sync).WithLogger(nil).WithDetectConflicts(true)
}

// seedRaw stores the same encoded items under equivalent keys with raw
// Badger, then reopens the store with the requested durability.
func seedRaw(b *testing.B, n int, sync bool) *badger.DB {
	b.Helper()
	dir := b.TempDir()
	bdb, err := badger.Open(rawOptions(dir, false))
	require.NoError(b, err)
	wb := bdb.NewWriteBatch()
	for i := range n {
		require.NoError(b, wb.Set(rawKey(i), attr.EncodeItem(nil, benchItem(i))))
	}
	require.NoError(b, wb.Flush())
	require.NoError(b, bdb.Close())
	bdb, err = badger.Open(rawOptions(dir, sync))
	require.NoError(b, err)
	b.Cleanup(func() { bdb.Close() })
	return bdb
}

func BenchmarkGetItem(b *testing.B) {
	n := benchItems(b)
	ctx := context.Background()
	// Seed once, in the parent: sub-benchmarks run several rounds.
	db, bdb := seedEngine(b, n, false), seedRaw(b, n, false)
	b.Run("engine", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 2))
		ks := make([]attr.Item, 1024)
		for i := range ks {
			ks[i] = benchKey(rng.IntN(n))
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			it, err := db.GetItem(ctx, GetItemInput{Table: benchTable, Key: ks[i%len(ks)]})
			if err != nil || it == nil {
				b.Fatal(err, it)
			}
		}
	})
	b.Run("raw-badger", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 2))
		ks := make([][]byte, 1024)
		for i := range ks {
			ks[i] = rawKey(rng.IntN(n))
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			err := bdb.View(func(txn *badger.Txn) error {
				item, err := txn.Get(ks[i%len(ks)])
				if err != nil {
					return err
				}
				return item.Value(func(v []byte) error {
					// Decode as the engine does, so the difference is the
					// engine's own work (catalog, key validation, checks).
					_, err := attr.DecodeItem(v)
					return err
				})
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPutItem(b *testing.B) {
	// Durable writes in both: SyncWrites on.
	n := benchItems(b)
	ctx := context.Background()
	db, bdb := seedEngine(b, n, true), seedRaw(b, n, true)
	b.Run("engine", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(3, 4))
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			it := benchItem(rng.IntN(n))
			if _, err := db.PutItem(ctx, PutItemInput{Table: benchTable, Item: it}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-badger", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(3, 4))
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			i := rng.IntN(n)
			it := benchItem(i)
			err := bdb.Update(func(txn *badger.Txn) error {
				return txn.Set(rawKey(i), attr.EncodeItem(nil, it))
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkQuery100(b *testing.B) {
	n := benchItems(b)
	parts := n / benchPartitionSize
	ctx := context.Background()
	db, bdb := seedEngine(b, n, false), seedRaw(b, n, false)
	b.Run("engine", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(5, 6))
		kcs := make([]QueryInput, 64)
		for i := range kcs {
			p := rng.IntN(parts)
			kcs[i] = QueryInput{Table: benchTable, KeyCondition: mustKeyCond(b, "pk = :p", vals(":p", attr.S(fmt.Sprintf("part-%05d", p)))),
				Paging: Paging{Limit: 100}}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			page, err := db.Query(ctx, kcs[i%len(kcs)])
			if err != nil || page.Count != 100 {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-badger", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(5, 6))
		prefixes := make([][]byte, 64)
		for i := range prefixes {
			prefixes[i] = rawPartition(rng.IntN(parts))
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			prefix := prefixes[i%len(prefixes)]
			items := make([]attr.Item, 0, 100)
			err := bdb.View(func(txn *badger.Txn) error {
				opts := badger.DefaultIteratorOptions
				opts.Prefix = prefix
				opts.PrefetchSize = 16
				it := txn.NewIterator(opts)
				defer it.Close()
				for it.Seek(prefix); it.Valid() && len(items) < 100; it.Next() {
					err := it.Item().Value(func(v []byte) error {
						item, err := attr.DecodeItem(v)
						items = append(items, item)
						return err
					})
					if err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil || len(items) != 100 {
				b.Fatal(err)
			}
		}
	})
}
