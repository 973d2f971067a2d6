package engine

import (
	"context"
	"testing"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/stretchr/testify/require"
)

func TestChangeBounds(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	_, err := db.ChangeBounds(ctx, "missing")
	requireCode(t, CodeNotFound, err)

	createTable(t, db, TableSpec{Name: "Bounds", KeySchema: hashKey("id", attr.TypeS), StreamView: StreamKeysOnly})
	b, err := db.ChangeBounds(ctx, "Bounds")
	require.NoError(t, err)
	require.Equal(t, ChangeBounds{}, b)

	putItems(t, db, "Bounds", attr.Item{"id": attr.S("a")}, attr.Item{"id": attr.S("b")}, attr.Item{"id": attr.S("c")})
	b, err = db.ChangeBounds(ctx, "Bounds")
	require.NoError(t, err)
	require.Equal(t, uint64(0), b.Trimmed)
	require.Equal(t, uint64(3), b.Latest)

	// Reading from Latest sees only later changes.
	page, err := db.ReadChanges(ctx, ReadChangesInput{Table: "Bounds", After: b.Latest})
	require.NoError(t, err)
	require.Empty(t, page.Changes)
	putItems(t, db, "Bounds", attr.Item{"id": attr.S("d")})
	page, err = db.ReadChanges(ctx, ReadChangesInput{Table: "Bounds", After: b.Latest})
	require.NoError(t, err)
	require.Len(t, page.Changes, 1)
	require.Equal(t, attr.S("d"), page.Changes[0].Keys["id"])
}
