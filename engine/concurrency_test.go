package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/stretchr/testify/require"
)

// Concurrent single-item writes: no update is lost. Run with -race.

const (
	concWorkers = 8
	concIncrs   = 200
)

func TestConcurrentIncrementUpdateItem(t *testing.T) {
	// Conflicting writers retry inside the engine; give them room so the
	// test measures lost updates, not the retry bound.
	db := openTestDB(t)
	ctx := context.Background()
	createTable(t, db, TableSpec{Name: "Counter", KeySchema: hashKey("id", attr.TypeS)})
	key := attr.Item{"id": attr.S("c")}
	inc := mustUpdate(t, "SET n = if_not_exists(n, :zero) + :one", vals(":zero", num(0), ":one", num(1)))

	var wg sync.WaitGroup
	errs := make(chan error, concWorkers)
	for range concWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range concIncrs {
				if _, err := db.UpdateItem(ctx, UpdateItemInput{Table: "Counter", Key: key, Update: inc}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, num(concWorkers*concIncrs), getItem(t, db, "Counter", key)["n"])
}

func TestConcurrentIncrementConditionalPut(t *testing.T) {
	// Read-modify-write with an optimistic version check, as a DynamoDB
	// client would do it: retry on CONDITIONAL_CHECK_FAILED.
	db := openTestDB(t)
	ctx := context.Background()
	createTable(t, db, TableSpec{Name: "Counter", KeySchema: hashKey("id", attr.TypeS)})
	key := attr.Item{"id": attr.S("c")}
	putItems(t, db, "Counter", attr.Item{"id": attr.S("c"), "n": num(0)})

	var wg sync.WaitGroup
	errs := make(chan error, concWorkers)
	var retries sync.Map
	for w := range concWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tries := 0
			for i := 0; i < concIncrs; {
				it, err := db.GetItem(ctx, GetItemInput{Table: "Counter", Key: key})
				if err != nil {
					errs <- err
					return
				}
				n := it["n"].(attr.Number)
				next, err := n.Add(num(1))
				if err != nil {
					errs <- err
					return
				}
				cond, err := mustParams(vals(":n", n)).Condition("n = :n")
				if err != nil {
					errs <- err
					return
				}
				_, err = db.PutItem(ctx, PutItemInput{Table: "Counter", Item: attr.Item{"id": attr.S("c"), "n": next}, Condition: cond})
				switch CodeOf(err) {
				case "":
					i++
				case CodeConditionalCheckFailed, CodeTransactionConflict:
					tries++
				default:
					errs <- err
					return
				}
			}
			retries.Store(w, tries)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, num(concWorkers*concIncrs), getItem(t, db, "Counter", key)["n"])
	total := 0
	retries.Range(func(_, v any) bool { total += v.(int); return true })
	t.Logf("conditional-put retries: %d", total)
}

func TestConcurrentDistinctPuts(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	createTable(t, db, TableSpec{Name: "Many", KeySchema: compositeKey("pk", attr.TypeS, "sk", attr.TypeN)})
	const perWorker = 250
	var wg sync.WaitGroup
	errs := make(chan error, concWorkers)
	for w := range concWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				// Workers share partitions, never keys.
				it := attr.Item{"pk": attr.S(fmt.Sprint(i % 10)), "sk": num(w*perWorker + i), "w": num(w)}
				if _, err := db.PutItem(ctx, PutItemInput{Table: "Many", Item: it}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	// Readers run alongside and only ever see complete items.
	stop := make(chan struct{})
	var rwg sync.WaitGroup
	for range 2 {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				page, err := db.Query(ctx, QueryInput{Table: "Many", KeyCondition: mustKeyCond(t, "pk = :p", vals(":p", attr.S("3")))})
				if err != nil {
					errs <- err
					return
				}
				for _, it := range page.Items {
					if len(it) != 3 {
						errs <- fmt.Errorf("partial item %v", it)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	rwg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for w := range concWorkers {
		for i := range perWorker {
			k := attr.Item{"pk": attr.S(fmt.Sprint(i % 10)), "sk": num(w*perWorker + i)}
			got := getItem(t, db, "Many", k)
			require.NotNil(t, got, "%v", k)
			require.Equal(t, num(w), got["w"])
		}
	}
	items, _, err := db.TableSize(ctx, "Many")
	require.NoError(t, err)
	require.EqualValues(t, concWorkers*perWorker, items)
}
