package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/stretchr/testify/require"
)

// seedIndexed builds a table of n items with a global index on (g, n): item i
// is in index partition i%(n/100), so an index partition holds 100 items,
// like a table partition of the plain query.
func seedIndexed(b *testing.B, n int) *DB {
	b.Helper()
	db, err := Open(Options{Dir: b.TempDir(), NoSync: true})
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })
	ctx := context.Background()
	_, err = db.CreateTable(ctx, TableSpec{Name: benchTable, KeySchema: compositeKey("pk", attr.TypeS, "sk", attr.TypeN),
		GlobalIndexes: []IndexSpec{{Name: "byGroup", KeySchema: compositeKey("g", attr.TypeS, "n", attr.TypeN)}}})
	require.NoError(b, err)
	groups := n / 100
	for i := 0; i < n; i += MaxBatchWrites {
		var reqs []WriteRequest
		for j := i; j < min(n, i+MaxBatchWrites); j++ {
			it := benchItem(j)
			it["g"] = attr.S(fmt.Sprintf("g-%05d", j%groups))
			reqs = append(reqs, WriteRequest{Table: benchTable, Put: it})
		}
		_, err := db.BatchWriteItem(ctx, BatchWriteInput{Requests: reqs})
		require.NoError(b, err)
	}
	return db
}

// BenchmarkIndexQuery reads 100-item pages from a global index beside the
// same pages from the table, in one run.
func BenchmarkIndexQuery(b *testing.B) {
	n := benchItems(b)
	db := seedIndexed(b, n)
	ctx := context.Background()
	run := func(b *testing.B, index, pkName, format string, parts int) {
		rng := rand.New(rand.NewPCG(7, 8))
		qs := make([]QueryInput, 64)
		for i := range qs {
			qs[i] = QueryInput{Table: benchTable, Index: index,
				KeyCondition: mustKeyCond(b, pkName+" = :p", vals(":p", attr.S(fmt.Sprintf(format, rng.IntN(parts))))),
				Paging:       Paging{Limit: 100}}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			page, err := db.Query(ctx, qs[i%len(qs)])
			if err != nil || page.Count != 100 {
				b.Fatal(err, page.Count)
			}
		}
	}
	b.Run("table", func(b *testing.B) { run(b, "", "pk", "part-%05d", n/benchPartitionSize) })
	b.Run("index", func(b *testing.B) { run(b, "byGroup", "g", "g-%05d", n/100) })
}

// BenchmarkTransact10 writes ten items as one transaction beside ten single
// puts, durably, in one run; an op is ten items either way.
func BenchmarkTransact10(b *testing.B) {
	db := seedEngine(b, benchPartitionSize, true)
	ctx := context.Background()
	b.Run("10-puts", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(9, 10))
		b.ReportAllocs()
		for b.Loop() {
			base := rng.IntN(benchPartitionSize - 10)
			for j := range 10 {
				if _, err := db.PutItem(ctx, PutItemInput{Table: benchTable, Item: benchItem(base + j)}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("transaction", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(9, 10))
		b.ReportAllocs()
		for b.Loop() {
			base := rng.IntN(benchPartitionSize - 10)
			actions := make([]TransactAction, 10)
			for j := range actions {
				actions[j] = TransactAction{Put: &PutItemInput{Table: benchTable, Item: benchItem(base + j)}}
			}
			if err := db.TransactWriteItems(ctx, TransactWriteInput{Actions: actions}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
