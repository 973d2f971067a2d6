package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
	"github.com/stretchr/testify/require"
)

// TestBackupCLI backs up a stopped server's table with `shoal backup
// create`, lists, verifies and describes it, restores it with `shoal
// restore`, and deletes it.
func TestBackupCLI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := engine.Open(engine.Options{Dir: dir, NoSync: true})
	require.NoError(t, err)
	_, err = db.CreateTable(ctx, engine.TableSpec{Name: "Items", KeySchema: engine.KeySchema{Partition: engine.KeyAttribute{Name: "id", Type: attr.TypeN}}})
	require.NoError(t, err)
	for i := 0; i < 100; i++ {
		_, err := db.PutItem(ctx, engine.PutItemInput{Table: "Items", Item: attr.Item{"id": attr.NumberFromInt64(int64(i)), "v": attr.S(fmt.Sprint(i))}})
		require.NoError(t, err)
	}
	require.NoError(t, db.Close())

	run := func(cmd string, args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		code := cliMain(cmd, append(args, "-data", dir), &out, &errOut)
		return out.String(), errOut.String(), code
	}
	runOK := func(cmd string, args ...string) string {
		t.Helper()
		out, errOut, code := run(cmd, args...)
		require.Equal(t, 0, code, "stderr: %s", errOut)
		return out
	}
	id := strings.TrimSpace(runOK("backup", "create", "-table", "Items", "-name", "cli"))
	require.True(t, strings.HasPrefix(id, "bk-"), id)
	require.Contains(t, runOK("backup", "list"), id)
	require.Contains(t, runOK("backup", "verify", id), "intact: 1 tables, 100 items")
	require.Contains(t, runOK("backup", "describe", id), `"Name": "cli"`)
	out, errOut, code := run("restore", "-backup", id, "-target", "Items2")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "restored Items2")
	require.Contains(t, errOut, "done", "progress is printed")
	_, errOut, code = run("restore", "-backup", id, "-target", "Items2")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "already exists")
	require.Contains(t, runOK("backup", "delete", id), "deleted")
	_, _, code = run("backup", "describe", id)
	require.Equal(t, 1, code)
	_, _, code = run("backup", "frobnicate")
	require.Equal(t, 2, code)

	db, err = engine.Open(engine.Options{Dir: dir, NoSync: true})
	require.NoError(t, err)
	defer db.Close()
	n, _, err := db.TableSize(ctx, "Items2")
	require.NoError(t, err)
	require.Equal(t, int64(100), n)
}
