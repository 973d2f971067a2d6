package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/engine/attr"
)

func TestMeta(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	a, err := db.Meta("a")
	require.NoError(t, err)
	ab, err := db.Meta("ab")
	require.NoError(t, err)
	_, err = db.Meta("")
	assert.Equal(t, CodeValidation, CodeOf(err))

	_, ok, err := a.Get(ctx, []byte("k"))
	require.NoError(t, err)
	assert.False(t, ok)
	require.NoError(t, a.Put(ctx, []byte("k"), []byte("v")))
	require.NoError(t, ab.Put(ctx, []byte("k"), []byte("other")))
	require.NoError(t, a.Put(ctx, []byte("empty"), nil))
	v, ok, err := a.Get(ctx, []byte("k"))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "v", string(v))
	v, ok, err = a.Get(ctx, []byte("empty"))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Empty(t, v)

	for i := range 10 {
		require.NoError(t, a.Put(ctx, fmt.Appendf(nil, "p/%02d", i), []byte{byte(i)}))
	}
	es, err := a.Scan(ctx, []byte("p/"), nil, 3)
	require.NoError(t, err)
	require.Len(t, es, 3)
	assert.Equal(t, "p/00", string(es[0].Key))
	es, err = a.Scan(ctx, []byte("p/"), es[2].Key, 0)
	require.NoError(t, err)
	require.Len(t, es, 7)
	assert.Equal(t, "p/03", string(es[0].Key))
	es, err = a.ScanReverse(ctx, []byte("p/"), nil, 2)
	require.NoError(t, err)
	assert.Equal(t, "p/09", string(es[0].Key))
	assert.Equal(t, "p/08", string(es[1].Key))
	es, err = a.ScanReverse(ctx, []byte("p/"), []byte("p/05"), 0)
	require.NoError(t, err)
	assert.Len(t, es, 5)
	all, err := a.Scan(ctx, nil, nil, 0)
	require.NoError(t, err)
	assert.Len(t, all, 12, "namespace a only, not ab")

	require.NoError(t, a.Delete(ctx, []byte("k")))
	_, ok, _ = a.Get(ctx, []byte("k"))
	assert.False(t, ok)
	_, ok, _ = ab.Get(ctx, []byte("k"))
	assert.True(t, ok)

	// Meta records never show up as tables.
	names, _, err := db.ListTables(ctx, "", 0)
	require.NoError(t, err)
	assert.Empty(t, names)
}

func TestMetaUpdateIsAtomic(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	m, err := db.Meta("counter")
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				require.NoError(t, m.Update(ctx, func(tx *MetaTxn) error {
					v, _, err := tx.Get([]byte("n"))
					if err != nil {
						return err
					}
					n := 0
					if v != nil {
						fmt.Sscan(string(v), &n)
					}
					return tx.Put([]byte("n"), fmt.Append(nil, n+1))
				}))
			}
		}()
	}
	wg.Wait()
	v, _, err := m.Get(ctx, []byte("n"))
	require.NoError(t, err)
	assert.Equal(t, "200", string(v))

	errStop := fmt.Errorf("stop")
	err = m.Update(ctx, func(tx *MetaTxn) error {
		require.NoError(t, tx.Put([]byte("x"), []byte("1")))
		return errStop
	})
	assert.ErrorIs(t, err, errStop)
	_, ok, _ := m.Get(ctx, []byte("x"))
	assert.False(t, ok, "a failed update writes nothing")
}

func TestTableHistory(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	createTable(t, db, TableSpec{Name: "Hist", KeySchema: hashKey("id", attr.TypeS)})
	ttl := "exp"
	_, err := db.UpdateTable(ctx, UpdateTableInput{Name: "Hist", TTLAttribute: &ttl})
	require.NoError(t, err)
	_, err = db.DeleteTable(ctx, "Hist")
	require.NoError(t, err)
	createTable(t, db, TableSpec{Name: "Hist", KeySchema: hashKey("k", attr.TypeN)})
	createTable(t, db, TableSpec{Name: "Other", KeySchema: hashKey("id", attr.TypeS)})

	h, err := db.TableHistory(ctx, "Hist")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(h), 4)
	assert.Equal(t, uint64(1), h[0].Version)
	assert.Empty(t, h[0].TTLAttribute)
	last := h[len(h)-1]
	assert.Equal(t, "k", last.KeySchema.Partition.Name, "the new table comes last")
	assert.False(t, last.Deleted)
	assert.True(t, h[len(h)-2].Deleted)
	for _, v := range h {
		assert.Equal(t, "Hist", v.Name)
	}
	_, err = db.TableHistory(ctx, "Never")
	assert.Equal(t, CodeNotFound, CodeOf(err))
}
