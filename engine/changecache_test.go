package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/stretchr/testify/require"
)

// collect runs a watcher until it has seen n records or the deadline passes.
func collect(t *testing.T, db *DB, in WatchInput, n int) <-chan []Change {
	t.Helper()
	w, err := db.NewWatcher(context.Background(), in)
	require.NoError(t, err)
	out := make(chan []Change, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	go func() {
		defer cancel()
		var got []Change
		_ = w.Run(ctx, func(c Change) error {
			got = append(got, c)
			if len(got) == n {
				return context.Canceled
			}
			return nil
		})
		out <- got
	}()
	return out
}

// TestWatchersFromMemoryAndDisk checks that watchers served from the
// in-memory window, and one that fell behind it and reads the durable log,
// all see exactly the records ReadChanges returns, in order, while writers
// run concurrently.
func TestWatchersFromMemoryAndDisk(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	createTable(t, db, TableSpec{Name: "Rooms", KeySchema: compositeKey("room", attr.TypeS, "n", attr.TypeN), StreamView: StreamNewImage})
	const writers, perWriter, rooms = 4, 600, 8
	total := writers * perWriter

	all := collect(t, db, WatchInput{Table: "Rooms", FromLatest: true}, total)
	room3 := collect(t, db, WatchInput{Table: "Rooms", FromLatest: true,
		Keys: mustKeyCond(t, "room = :r", map[string]attr.Value{":r": attr.S("r3")})}, total/rooms)
	time.Sleep(50 * time.Millisecond) // let both start from the current watermark

	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				n := w*perWriter + i
				putItems(t, db, "Rooms", attr.Item{"room": attr.S(fmt.Sprintf("r%d", n%rooms)), "n": num(n)})
			}
		}()
	}
	wg.Wait()

	var durable []Change
	for after := uint64(0); ; {
		page, err := db.ReadChanges(ctx, ReadChangesInput{Table: "Rooms", After: after})
		require.NoError(t, err)
		if len(page.Changes) == 0 {
			break
		}
		durable = append(durable, page.Changes...)
		after = page.Next
	}
	require.Len(t, durable, total)

	strip := func(cs []Change) []Change {
		out := make([]Change, len(cs))
		for i, c := range cs {
			c.Cursor = nil
			out[i] = c
		}
		return out
	}
	require.Equal(t, durable, strip(<-all))
	var want []Change
	for _, c := range durable {
		if c.Keys["room"] == attr.S("r3") {
			want = append(want, c)
		}
	}
	require.Equal(t, want, strip(<-room3))

	// A watcher starting from the oldest record is far behind the window
	// (it holds at most recentMaxRecords): it catches up from disk, then
	// continues from memory.
	require.Less(t, recentMaxRecords, total*4) // the window is a bound, not everything
	require.Equal(t, durable, strip(<-collect(t, db, WatchInput{Table: "Rooms"}, total)))
}

// TestWatcherEndsWhenTableDeleted checks that deleting a table ends its
// watchers with NOT_FOUND instead of leaving them waiting.
func TestWatcherEndsWhenTableDeleted(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	createTable(t, db, TableSpec{Name: "Gone", KeySchema: hashKey("id", attr.TypeS), StreamView: StreamKeysOnly})
	w, err := db.NewWatcher(ctx, WatchInput{Table: "Gone", FromLatest: true})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, func(Change) error { return nil }) }()
	time.Sleep(50 * time.Millisecond)
	_, err = db.DeleteTable(ctx, "Gone")
	require.NoError(t, err)
	select {
	case err := <-done:
		requireCode(t, CodeNotFound, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher did not end")
	}
}

// TestWatcherOfTableDeletedBeforeRun checks that a watcher made before its
// table was deleted ends with NOT_FOUND when it starts, instead of waiting.
func TestWatcherOfTableDeletedBeforeRun(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	createTable(t, db, TableSpec{Name: "Brief", KeySchema: hashKey("id", attr.TypeS), StreamView: StreamKeysOnly})
	w, err := db.NewWatcher(ctx, WatchInput{Table: "Brief", FromLatest: true})
	require.NoError(t, err)
	_, err = db.DeleteTable(ctx, "Brief")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	requireCode(t, CodeNotFound, w.Run(ctx, func(Change) error { return nil }))
}
