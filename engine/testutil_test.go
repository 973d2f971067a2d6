package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
	"github.com/stretchr/testify/require"
)

// Shared helpers of the engine tests. Other test files of package engine use
// them too; keep their signatures stable.

// openTestDB opens a database in a fresh t.TempDir() with NoSync set (tests
// that are about durability turn it off with a mod) and closes it at cleanup.
func openTestDB(t testing.TB, mod ...func(*Options)) *DB {
	t.Helper()
	opts := Options{Dir: t.TempDir(), NoSync: true}
	for _, m := range mod {
		m(&opts)
	}
	db, err := Open(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// withClock makes the database read its time from c.
func withClock(c *fakeClock) func(*Options) {
	return func(o *Options) { o.Clock = c.Now }
}

// withSync turns durable (fsynced) writes back on.
func withSync(o *Options) { o.NoSync = false }

// createTable creates a table and fails the test if it cannot.
func createTable(t testing.TB, db *DB, spec TableSpec) *TableDescription {
	t.Helper()
	d, err := db.CreateTable(context.Background(), spec)
	require.NoError(t, err)
	return d
}

// hashKey and compositeKey are key schemas for table specs.
func hashKey(name string, typ attr.Type) KeySchema {
	return KeySchema{Partition: KeyAttribute{Name: name, Type: typ}}
}

func compositeKey(pk string, pkType attr.Type, sk string, skType attr.Type) KeySchema {
	return KeySchema{Partition: KeyAttribute{Name: pk, Type: pkType}, Sort: &KeyAttribute{Name: sk, Type: skType}}
}

// vals builds an expression value map from alternating names and values:
// vals(":a", attr.S("x"), ":b", num(1)).
func vals(kv ...any) map[string]attr.Value {
	m := make(map[string]attr.Value, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1].(attr.Value)
	}
	return m
}

// num returns an attr.Number from an int64 or a decimal string.
func num[T int | int64 | string](x T) attr.Number {
	switch v := any(x).(type) {
	case int:
		return attr.NumberFromInt64(int64(v))
	case int64:
		return attr.NumberFromInt64(v)
	case string:
		n, err := attr.ParseNumber(v)
		if err != nil {
			panic(err)
		}
		return n
	}
	panic("unreachable")
}

// mustCond, mustUpdate, mustProj and mustKeyCond parse an expression with
// the given values (and optional names) and fail the test on error.
func mustCond(t testing.TB, text string, values map[string]attr.Value, names ...map[string]string) expr.Condition {
	t.Helper()
	c, err := mustParams(values, names...).Condition(text)
	require.NoError(t, err, "condition %q", text)
	return c
}

func mustUpdate(t testing.TB, text string, values map[string]attr.Value, names ...map[string]string) *expr.Update {
	t.Helper()
	u, err := mustParams(values, names...).Update(text)
	require.NoError(t, err, "update %q", text)
	return u
}

func mustProj(t testing.TB, text string, names ...map[string]string) expr.Projection {
	t.Helper()
	p, err := mustParams(nil, names...).Projection(text)
	require.NoError(t, err, "projection %q", text)
	return p
}

func mustKeyCond(t testing.TB, text string, values map[string]attr.Value, names ...map[string]string) *expr.KeyCondition {
	t.Helper()
	kc, err := mustParams(values, names...).KeyCondition(text)
	require.NoError(t, err, "key condition %q", text)
	return kc
}

func mustParams(values map[string]attr.Value, names ...map[string]string) *expr.Params {
	p := &expr.Params{Values: values}
	if len(names) > 0 {
		p.Names = names[0]
	}
	return p
}

// requireCode asserts that err carries the engine error code want.
func requireCode(t testing.TB, want Code, err error, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.Equal(t, want, CodeOf(err), append([]any{"error: %v"}, err)...)
}

// putItems writes items unconditionally.
func putItems(t testing.TB, db *DB, table string, items ...attr.Item) {
	t.Helper()
	ctx := context.Background()
	for _, it := range items {
		_, err := db.PutItem(ctx, PutItemInput{Table: table, Item: it})
		require.NoError(t, err)
	}
}

// getItem reads one item (nil when absent).
func getItem(t testing.TB, db *DB, table string, key attr.Item) attr.Item {
	t.Helper()
	it, err := db.GetItem(context.Background(), GetItemInput{Table: table, Key: key})
	require.NoError(t, err)
	return it
}

// requireItem asserts that got equals want, comparing with attr.Equal
// (numbers by value, sets in any order). It takes items or any other values;
// a nil attr.Item counts as nil.
func requireItem(t testing.TB, want, got attr.Value, msgAndArgs ...any) {
	t.Helper()
	if isNilValue(want) || isNilValue(got) {
		require.Equal(t, isNilValue(want), isNilValue(got), append([]any{"want %v, got %v", want, got}, msgAndArgs...)...)
		return
	}
	require.True(t, attr.Equal(want, got), append([]any{"want %v\n got %v", want, got}, msgAndArgs...)...)
}

func isNilValue(v attr.Value) bool {
	if v == nil {
		return true
	}
	m, ok := v.(attr.M)
	return ok && m == nil
}

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// newFakeClock starts a clock at t (a fixed, arbitrary date when zero).
func newFakeClock(t time.Time) *fakeClock {
	if t.IsZero() {
		t = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	}
	return &fakeClock{t: t}
}

// Now returns the clock's time.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
