package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/stretchr/testify/require"
)

// Catalog behaviour follows DynamoDB's CreateTable, DescribeTable,
// ListTables and DeleteTable.

func TestCreateTableValidation(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	sk := func(name string, typ attr.Type) *KeyAttribute { return &KeyAttribute{Name: name, Type: typ} }
	pk := KeyAttribute{Name: "pk", Type: attr.TypeS}
	tests := []struct {
		name string
		spec TableSpec
		code Code // "" means success
		msg  string
	}{
		{"min-length name", TableSpec{Name: "abc", KeySchema: KeySchema{Partition: pk}}, "", ""},
		{"max-length name", TableSpec{Name: strings.Repeat("a", 255), KeySchema: KeySchema{Partition: pk}}, "", ""},
		{"all allowed characters", TableSpec{Name: "aZ09_.-x", KeySchema: KeySchema{Partition: pk}}, "", ""},
		{"name too short", TableSpec{Name: "ab", KeySchema: KeySchema{Partition: pk}}, CodeValidation, "3 to 255"},
		{"empty name", TableSpec{Name: "", KeySchema: KeySchema{Partition: pk}}, CodeValidation, "3 to 255"},
		{"name too long", TableSpec{Name: strings.Repeat("a", 256), KeySchema: KeySchema{Partition: pk}}, CodeValidation, "3 to 255"},
		{"space in name", TableSpec{Name: "my table", KeySchema: KeySchema{Partition: pk}}, CodeValidation, "may only contain"},
		{"slash in name", TableSpec{Name: "my/table", KeySchema: KeySchema{Partition: pk}}, CodeValidation, "may only contain"},
		{"non-ASCII name", TableSpec{Name: "tablé", KeySchema: KeySchema{Partition: pk}}, CodeValidation, "may only contain"},
		{"number partition key", TableSpec{Name: "numpk", KeySchema: hashKey("id", attr.TypeN)}, "", ""},
		{"binary partition key", TableSpec{Name: "binpk", KeySchema: hashKey("id", attr.TypeB)}, "", ""},
		{"composite S/N", TableSpec{Name: "compSN", KeySchema: KeySchema{Partition: pk, Sort: sk("sk", attr.TypeN)}}, "", ""},
		{"composite S/B", TableSpec{Name: "compSB", KeySchema: KeySchema{Partition: pk, Sort: sk("sk", attr.TypeB)}}, "", ""},
		{"BOOL partition key", TableSpec{Name: "boolpk", KeySchema: hashKey("id", attr.TypeBOOL)}, CodeValidation, "S, N or B"},
		{"M partition key", TableSpec{Name: "mappk", KeySchema: hashKey("id", attr.TypeM)}, CodeValidation, "S, N or B"},
		{"SS partition key", TableSpec{Name: "sspk", KeySchema: hashKey("id", attr.TypeSS)}, CodeValidation, "S, N or B"},
		{"zero type partition key", TableSpec{Name: "zeropk", KeySchema: hashKey("id", 0)}, CodeValidation, "S, N or B"},
		{"L sort key", TableSpec{Name: "lsk", KeySchema: KeySchema{Partition: pk, Sort: sk("sk", attr.TypeL)}}, CodeValidation, "S, N or B"},
		{"NULL sort key", TableSpec{Name: "nullsk", KeySchema: KeySchema{Partition: pk, Sort: sk("sk", attr.TypeNULL)}}, CodeValidation, "S, N or B"},
		{"sort equals partition", TableSpec{Name: "samekey", KeySchema: KeySchema{Partition: pk, Sort: sk("pk", attr.TypeS)}}, CodeValidation, "different"},
		{"sort equals partition other type", TableSpec{Name: "samekey2", KeySchema: KeySchema{Partition: pk, Sort: sk("pk", attr.TypeN)}}, CodeValidation, "different"},
		{"empty partition key name", TableSpec{Name: "emptypk", KeySchema: hashKey("", attr.TypeS)}, CodeValidation, "key name"},
		{"empty sort key name", TableSpec{Name: "emptysk", KeySchema: KeySchema{Partition: pk, Sort: sk("", attr.TypeS)}}, CodeValidation, "key name"},
		{"key name too long", TableSpec{Name: "longkey", KeySchema: hashKey(strings.Repeat("k", 256), attr.TypeS)}, CodeValidation, "key name"},
		{"invalid stream view", TableSpec{Name: "badstream", KeySchema: KeySchema{Partition: pk}, StreamView: "BOTH"}, CodeValidation, "stream view"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := db.CreateTable(ctx, tc.spec)
			if tc.code == "" {
				require.NoError(t, err)
				require.Equal(t, tc.spec.Name, d.Name)
				require.Equal(t, tc.spec.KeySchema, d.KeySchema)
				require.EqualValues(t, 1, d.Version)
				require.NotZero(t, d.ID)
				return
			}
			requireCode(t, tc.code, err)
			require.Contains(t, err.Error(), tc.msg)
			// Nothing was created.
			_, err = db.DescribeTable(ctx, tc.spec.Name)
			requireCode(t, CodeNotFound, err)
		})
	}
}

func TestCreateDescribeDelete(t *testing.T) {
	clock := newFakeClock(time.Time{})
	db := openTestDB(t, withClock(clock))
	ctx := context.Background()
	spec := TableSpec{Name: "Music", KeySchema: compositeKey("Artist", attr.TypeS, "Song", attr.TypeS)}

	created := createTable(t, db, spec)
	require.Equal(t, clock.Now().UTC(), created.CreatedAt)

	t.Run("duplicate is RESOURCE_IN_USE", func(t *testing.T) {
		_, err := db.CreateTable(ctx, spec)
		requireCode(t, CodeResourceInUse, err)
		// Even with a different key schema.
		_, err = db.CreateTable(ctx, TableSpec{Name: "Music", KeySchema: hashKey("x", attr.TypeN)})
		requireCode(t, CodeResourceInUse, err)
	})

	t.Run("describe", func(t *testing.T) {
		d, err := db.DescribeTable(ctx, "Music")
		require.NoError(t, err)
		require.Equal(t, created.ID, d.ID)
		require.Equal(t, spec.KeySchema, d.KeySchema)
		require.Equal(t, created.CreatedAt, d.CreatedAt)
		items, size, err := db.TableSize(ctx, "Music")
		require.NoError(t, err)
		require.Zero(t, items)
		require.Zero(t, size)
	})

	t.Run("TableSize counts items and bytes", func(t *testing.T) {
		for i := range 7 {
			putItems(t, db, "Music", attr.Item{"Artist": attr.S("a"), "Song": attr.S(fmt.Sprint(i)), "pad": attr.S(strings.Repeat("x", 100))})
		}
		// Overwrite and delete do not inflate the count.
		putItems(t, db, "Music", attr.Item{"Artist": attr.S("a"), "Song": attr.S("0"), "pad": attr.S("y")})
		_, err := db.DeleteItem(ctx, DeleteItemInput{Table: "Music", Key: attr.Item{"Artist": attr.S("a"), "Song": attr.S("6")}})
		require.NoError(t, err)
		items, size, err := db.TableSize(ctx, "Music")
		require.NoError(t, err)
		require.EqualValues(t, 6, items)
		require.Greater(t, size, int64(5*100))
		require.Less(t, size, int64(6*200))
	})

	t.Run("unknown table is NOT_FOUND everywhere", func(t *testing.T) {
		_, err := db.DescribeTable(ctx, "Nope")
		requireCode(t, CodeNotFound, err)
		_, err = db.DeleteTable(ctx, "Nope")
		requireCode(t, CodeNotFound, err)
		_, err = db.GetItem(ctx, GetItemInput{Table: "Nope", Key: attr.Item{"id": attr.S("x")}})
		requireCode(t, CodeNotFound, err)
		_, err = db.PutItem(ctx, PutItemInput{Table: "Nope", Item: attr.Item{"id": attr.S("x")}})
		requireCode(t, CodeNotFound, err)
		_, err = db.UpdateItem(ctx, UpdateItemInput{Table: "Nope", Key: attr.Item{"id": attr.S("x")}, Update: mustUpdate(t, "SET a = :a", vals(":a", attr.S("x")))})
		requireCode(t, CodeNotFound, err)
		_, err = db.DeleteItem(ctx, DeleteItemInput{Table: "Nope", Key: attr.Item{"id": attr.S("x")}})
		requireCode(t, CodeNotFound, err)
		_, err = db.Query(ctx, QueryInput{Table: "Nope", KeyCondition: mustKeyCond(t, "id = :v", vals(":v", attr.S("x")))})
		requireCode(t, CodeNotFound, err)
		_, err = db.Scan(ctx, ScanInput{Table: "Nope"})
		requireCode(t, CodeNotFound, err)
		_, _, err = db.TableSize(ctx, "Nope")
		requireCode(t, CodeNotFound, err)
	})

	t.Run("delete removes the table and its data", func(t *testing.T) {
		d, err := db.DeleteTable(ctx, "Music")
		require.NoError(t, err)
		require.Equal(t, created.ID, d.ID)
		_, err = db.DescribeTable(ctx, "Music")
		requireCode(t, CodeNotFound, err)
		_, err = db.GetItem(ctx, GetItemInput{Table: "Music", Key: attr.Item{"Artist": attr.S("a"), "Song": attr.S("1")}})
		requireCode(t, CodeNotFound, err)
		_, err = db.DeleteTable(ctx, "Music")
		requireCode(t, CodeNotFound, err)
		names, _, err := db.ListTables(ctx, "", 0)
		require.NoError(t, err)
		require.NotContains(t, names, "Music")
	})

	t.Run("recreate is empty with a new id", func(t *testing.T) {
		again := createTable(t, db, spec)
		require.Greater(t, again.ID, created.ID, "table ids are never reused")
		require.Nil(t, getItem(t, db, "Music", attr.Item{"Artist": attr.S("a"), "Song": attr.S("1")}))
		page, err := db.Scan(ctx, ScanInput{Table: "Music"})
		require.NoError(t, err)
		require.Zero(t, page.Count)
		require.Zero(t, page.ScannedCount)
		items, _, err := db.TableSize(ctx, "Music")
		require.NoError(t, err)
		require.Zero(t, items)

		// Delete and recreate once more: the id keeps growing.
		_, err = db.DeleteTable(ctx, "Music")
		require.NoError(t, err)
		third := createTable(t, db, spec)
		require.Greater(t, third.ID, again.ID)
	})
}

func TestTableIDsNeverReusedAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := Open(Options{Dir: dir, NoSync: true})
	require.NoError(t, err)
	a := createTable(t, db, TableSpec{Name: "aaa", KeySchema: hashKey("id", attr.TypeS)})
	b := createTable(t, db, TableSpec{Name: "bbb", KeySchema: hashKey("id", attr.TypeS)})
	_, err = db.DeleteTable(ctx, "bbb")
	require.NoError(t, err)
	require.NoError(t, db.Close())

	db = openTestDB(t, func(o *Options) { o.Dir = dir })
	c := createTable(t, db, TableSpec{Name: "bbb", KeySchema: hashKey("id", attr.TypeS)})
	require.Greater(t, c.ID, b.ID)
	require.NotEqual(t, a.ID, c.ID)
}

func TestListTables(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()

	names, next, err := db.ListTables(ctx, "", 10)
	require.NoError(t, err)
	require.Empty(t, names)
	require.Empty(t, next)

	var want []string
	for i := range 23 {
		name := fmt.Sprintf("table-%02d", i)
		want = append(want, name)
	}
	// Create in a scrambled order; listing is sorted.
	for _, i := range []int{5, 0, 22, 13, 1, 7, 19, 3, 11, 17, 2, 9, 21, 14, 6, 4, 8, 10, 12, 15, 16, 18, 20} {
		createTable(t, db, TableSpec{Name: want[i], KeySchema: hashKey("id", attr.TypeS)})
	}

	for _, limit := range []int{1, 2, 5, 10, 22, 23, 24, 100} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			var got []string
			after := ""
			for pages := 0; ; pages++ {
				require.Less(t, pages, 100, "paging does not end")
				names, next, err := db.ListTables(ctx, after, limit)
				require.NoError(t, err)
				require.LessOrEqual(t, len(names), limit)
				got = append(got, names...)
				if next == "" {
					break
				}
				require.Equal(t, names[len(names)-1], next)
				after = next
			}
			require.Equal(t, want, got)
		})
	}

	t.Run("default limit", func(t *testing.T) {
		names, next, err := db.ListTables(ctx, "", 0)
		require.NoError(t, err)
		require.Equal(t, want, names)
		require.Empty(t, next)
	})

	t.Run("after a name that does not exist", func(t *testing.T) {
		names, _, err := db.ListTables(ctx, "table-10x", 100)
		require.NoError(t, err)
		require.Equal(t, want[11:], names)
	})

	t.Run("deleted tables disappear", func(t *testing.T) {
		_, err := db.DeleteTable(ctx, "table-03")
		require.NoError(t, err)
		names, _, err := db.ListTables(ctx, "", 0)
		require.NoError(t, err)
		require.Equal(t, slices.Delete(slices.Clone(want), 3, 4), names)
	})
}
