package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/internal/kv"
	"github.com/stretchr/testify/require"
)

// backupSpec is a table with a sort key, a local and a global index, TTL
// and a stream: everything a backup must carry.
func backupSpec(name string) TableSpec {
	return TableSpec{
		Name:      name,
		KeySchema: compositeKey("pk", attr.TypeS, "sk", attr.TypeN),
		LocalIndexes: []IndexSpec{{Name: "byRank", KeySchema: compositeKey("pk", attr.TypeS, "rank", attr.TypeN),
			Projection: Projection{Type: ProjectKeysOnly}}},
		GlobalIndexes: []IndexSpec{{Name: "byColor", KeySchema: compositeKey("color", attr.TypeS, "sk", attr.TypeN),
			Projection: Projection{Type: ProjectInclude, NonKeyAttributes: []string{"payload"}}}},
		StreamView:   StreamNewAndOldImage,
		TTLAttribute: "expires",
	}
}

var colors = []string{"red", "green", "blue"}

func backupItem(r *rand.Rand, pk, sk int) attr.Item {
	it := attr.Item{
		"pk":      attr.S(fmt.Sprintf("p%03d", pk)),
		"sk":      num(sk),
		"rank":    num(r.Intn(1000)),
		"payload": attr.S(strings.Repeat("x", r.Intn(200))),
		"nested":  attr.M{"l": attr.L{num(r.Intn(10)), attr.Bool(true)}, "ss": attr.SS{"a", "b"}},
		"expires": num(4_000_000_000 + r.Intn(1000)), // far in the future
	}
	if c := r.Intn(4); c < 3 {
		it["color"] = attr.S(colors[c])
	}
	return it
}

// scanAll reads a whole table through Scan, keyed by pk/sk.
func scanAll(t testing.TB, db *DB, table string) map[string]attr.Item {
	t.Helper()
	out := map[string]attr.Item{}
	var after []byte
	for {
		p, err := db.Scan(context.Background(), ScanInput{Table: table, Paging: Paging{After: after}})
		require.NoError(t, err)
		for _, it := range p.Items {
			out[itemID(it)] = it
		}
		if p.Cursor == nil {
			return out
		}
		after = p.Cursor
	}
}

func itemID(it attr.Item) string {
	return string(attr.AppendJSON(nil, it["pk"])) + "/" + string(attr.AppendJSON(nil, it["sk"]))
}

func requireSameItems(t testing.TB, want, got map[string]attr.Item, msg string) {
	t.Helper()
	require.Equal(t, len(want), len(got), "%s: item count", msg)
	for k, w := range want {
		g, ok := got[k]
		require.True(t, ok, "%s: item %s missing", msg, k)
		requireItem(t, w, g, "%s: item %s", msg, k)
	}
}

// countSpace counts the keys of one of a table's key spaces.
func countSpace(t testing.TB, db *DB, table string, space byte) int {
	t.Helper()
	d, err := db.DescribeTable(context.Background(), table)
	require.NoError(t, err)
	n := 0
	require.NoError(t, db.view(func(tx *kv.Txn) error {
		p := spacePrefix(nil, d.ID, space)
		it := tx.Iterate(kv.IterOptions{Prefix: p, KeysOnly: true})
		defer it.Close()
		for it.Seek(p); it.Valid(); it.Next() {
			n++
		}
		return nil
	}))
	return n
}

// requireIndexesMatch checks that the restored table's indexes and TTL
// schedule hold exactly what its items call for.
func requireIndexesMatch(t testing.TB, db *DB, table string, items map[string]attr.Item) {
	t.Helper()
	withColor, withTTL := 0, 0
	for _, it := range items {
		if _, ok := it["color"]; ok {
			withColor++
		}
		if _, ok := it["expires"]; ok {
			withTTL++
		}
	}
	require.Equal(t, len(items)+withColor, countSpace(t, db, table, tabIndex), "index entries: every item in the LSI, colored ones in the GSI")
	require.Equal(t, withTTL, countSpace(t, db, table, tabTTL), "TTL schedule entries")
	// And the GSI answers queries.
	total := 0
	for _, c := range colors {
		p, err := db.Query(context.Background(), QueryInput{Table: table, Index: "byColor",
			KeyCondition: mustKeyCond(t, "color = :c", vals(":c", attr.S(c)))})
		require.NoError(t, err)
		for _, it := range p.Items {
			requireItem(t, items[itemID(it)]["payload"], it["payload"])
		}
		total += p.Count
		require.Nil(t, p.Cursor)
	}
	require.Equal(t, withColor, total)
}

func requireSameSettings(t testing.TB, src, dst *TableDescription) {
	t.Helper()
	require.Equal(t, src.KeySchema, dst.KeySchema)
	require.Equal(t, src.LocalIndexes, dst.LocalIndexes)
	require.Equal(t, src.GlobalIndexes, dst.GlobalIndexes)
	require.Equal(t, src.StreamView, dst.StreamView)
	require.Equal(t, src.TTLAttribute, dst.TTLAttribute)
	require.Equal(t, src.PITR, dst.PITR)
	require.Equal(t, src.PITRRetention, dst.PITRRetention)
	require.False(t, dst.Restoring)
}

// TestBackupWhileWritingAndRestore takes a backup while a writer puts,
// updates and deletes, restores it under a new name and compares every
// item with the source as the backup's snapshot saw it.
func TestBackupWhileWritingAndRestore(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, func(o *Options) { o.BackupChunkBytes = 64 << 10 }) // several data files
	createTable(t, db, backupSpec("Src"))
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 3000; i++ {
		putItems(t, db, "Src", backupItem(r, i%50, i))
	}

	// The snapshot, as the backup sees it, read in the same transaction.
	want := map[string]attr.Item{}
	db.bk.snapshotHook = func(tx *kv.Txn) {
		d, _ := db.loadTable(tx, "Src")
		p := spacePrefix(nil, d.ID, tabItems)
		it := tx.Iterate(kv.IterOptions{Prefix: p})
		defer it.Close()
		for it.Seek(p); it.Valid(); it.Next() {
			_ = it.Value(func(v []byte) error {
				item, err := attr.DecodeItem(v)
				want[itemID(item)] = item
				return err
			})
		}
	}

	stop := make(chan struct{})
	var writes atomic.Int64
	var werr atomic.Pointer[error]
	waitWrites := func(n int64) {
		for writes.Load() < n {
			if e := werr.Load(); e != nil {
				t.Fatalf("writer: %v", *e)
			}
			time.Sleep(time.Millisecond)
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewSource(2))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			sk := r.Intn(4000)
			key := attr.Item{"pk": attr.S(fmt.Sprintf("p%03d", sk%50)), "sk": num(sk)}
			var err error
			switch r.Intn(3) {
			case 0:
				_, err = db.PutItem(ctx, PutItemInput{Table: "Src", Item: backupItem(r, sk%50, sk)})
			case 1:
				_, err = db.UpdateItem(ctx, UpdateItemInput{Table: "Src", Key: key,
					Update: mustUpdate(t, "SET #r = :r, color = :c", vals(":r", num(i), ":c", attr.S(colors[i%3])), map[string]string{"#r": "rank"})})
			case 2:
				_, err = db.DeleteItem(ctx, DeleteItemInput{Table: "Src", Key: key})
			}
			if err != nil {
				werr.Store(&err)
				return
			}
			writes.Add(1)
		}
	}()
	// Let the writer run before, during and after the backup.
	waitWrites(200)
	var progress []Progress
	b, err := db.CreateBackup(ctx, BackupInput{Tables: []string{"Src"}, Name: "nightly", Progress: func(p Progress) { progress = append(progress, p) }})
	require.NoError(t, err)
	during := writes.Load()
	waitWrites(during + 200)
	close(stop)
	wg.Wait()
	db.bk.snapshotHook = nil

	require.Equal(t, int64(len(want)), b.Items)
	require.Len(t, b.Tables, 1)
	require.Equal(t, "Src", b.Tables[0].Table.Name)
	require.Greater(t, b.Tables[0].Seq, uint64(3000), "the change-log position at the snapshot")
	require.Equal(t, "done", progress[len(progress)-1].Phase)
	require.Greater(t, len(progress), 1)

	// The backup is listed and described.
	list, err := db.ListBackups(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, b.ID, list[0].ID)
	require.Equal(t, "nightly", list[0].Name)
	files, err := filepath.Glob(filepath.Join(db.opts.BackupDir, b.ID, "*"+dataFileExt))
	require.NoError(t, err)
	require.Greater(t, len(files), 1, "the data is chunked")

	var rp []Progress
	out, err := db.RestoreBackup(ctx, RestoreInput{Backup: b.ID, Target: "Copy", Progress: func(p Progress) { rp = append(rp, p) }})
	require.NoError(t, err)
	require.Len(t, out, 1)
	src, err := db.DescribeTable(ctx, "Src")
	require.NoError(t, err)
	requireSameSettings(t, src, out[0])
	require.NotEqual(t, src.ID, out[0].ID)
	require.Equal(t, "done", rp[len(rp)-1].Phase)

	got := scanAll(t, db, "Copy")
	requireSameItems(t, want, got, "restored vs snapshot")
	requireIndexesMatch(t, db, "Copy", got)

	// The restored table is open for writes, and its stream works again.
	putItems(t, db, "Copy", attr.Item{"pk": attr.S("new"), "sk": num(1)})
	p, err := db.ReadChanges(ctx, ReadChangesInput{Table: "Copy"})
	require.NoError(t, err)
	require.Len(t, p.Changes, 1, "loading wrote no change records; the new write did")

	// Restoring onto an existing name is refused.
	_, err = db.RestoreBackup(ctx, RestoreInput{Backup: b.ID, Target: "Copy"})
	requireCode(t, CodeResourceInUse, err)

	// Deleting the backup removes its directory.
	_, err = db.DeleteBackup(ctx, b.ID)
	require.NoError(t, err)
	_, err = db.DescribeBackup(ctx, b.ID)
	requireCode(t, CodeNotFound, err)
	_, err = db.DeleteBackup(ctx, "../etc")
	requireCode(t, CodeValidation, err)
}

// TestServerBackupRestoresEveryTable backs up all tables at once and
// restores them under new names.
func TestServerBackupRestoresEveryTable(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	createTable(t, db, backupSpec("One"))
	createTable(t, db, TableSpec{Name: "Two", KeySchema: hashKey("id", attr.TypeB)})
	createTable(t, db, TableSpec{Name: "Empty", KeySchema: hashKey("id", attr.TypeN)})
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 500; i++ {
		putItems(t, db, "One", backupItem(r, i%7, i))
		putItems(t, db, "Two", attr.Item{"id": attr.B{byte(i), byte(i >> 8)}, "n": num(i)})
	}
	b, err := db.CreateBackup(ctx, BackupInput{})
	require.NoError(t, err)
	require.Len(t, b.Tables, 3)
	require.Equal(t, int64(1000), b.Items)

	_, err = db.RestoreBackup(ctx, RestoreInput{Backup: b.ID, Target: "X"})
	requireCode(t, CodeValidation, err, "a multi-table backup needs a mapping")
	_, err = db.RestoreBackup(ctx, RestoreInput{Backup: b.ID, Tables: []TableRename{{"Nope", "X1"}}})
	requireCode(t, CodeValidation, err)

	out, err := db.RestoreBackup(ctx, RestoreInput{Backup: b.ID, Tables: []TableRename{
		{"One", "One2"}, {"Two", "Two2"}, {"Empty", "Empty2"}}})
	require.NoError(t, err)
	require.Len(t, out, 3)
	for _, n := range []string{"One", "Two", "Empty"} {
		requireSameItems(t, scanAll(t, db, n), scanAll(t, db, n+"2"), n)
	}
	requireIndexesMatch(t, db, "One2", scanAll(t, db, "One2"))
}

// rewriteSums recomputes a backup's checksums after a deliberate change, so
// that only the deeper checks (block CRC) can catch it.
func rewriteSums(t testing.TB, dir string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, manifestName))
	require.NoError(t, err)
	var m manifest
	require.NoError(t, json.Unmarshal(raw, &m))
	for i := range m.Tables {
		for j, f := range m.Tables[i].Files {
			data, err := os.ReadFile(filepath.Join(dir, f.Name))
			require.NoError(t, err)
			s := sha256.Sum256(data)
			m.Tables[i].Files[j].SHA256 = hex.EncodeToString(s[:])
			m.Tables[i].Files[j].Size = int64(len(data))
		}
	}
	require.NoError(t, writeManifest(dir, &m))
}

// TestCorruptBackupIsRefused flips one byte (or truncates) in each kind of
// file: the restore fails with a clear error and creates nothing.
func TestCorruptBackupIsRefused(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	createTable(t, db, backupSpec("Src"))
	r := rand.New(rand.NewSource(4))
	for i := 0; i < 400; i++ {
		putItems(t, db, "Src", backupItem(r, i%9, i))
	}
	b, err := db.CreateBackup(ctx, BackupInput{Tables: []string{"Src"}})
	require.NoError(t, err)
	dir := filepath.Join(db.opts.BackupDir, b.ID)
	data := filepath.Join(dir, "t000-00000"+dataFileExt)
	pristine := map[string][]byte{}
	for _, f := range []string{manifestName, sumsName, filepath.Base(data)} {
		pristine[f], err = os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
	}
	restore := func() {
		for f, v := range pristine {
			require.NoError(t, os.WriteFile(filepath.Join(dir, f), v, 0o600))
		}
	}
	flip := func(file string, at int) {
		v := bytes.Clone(pristine[file])
		v[at%len(v)] ^= 0x01
		require.NoError(t, os.WriteFile(filepath.Join(dir, file), v, 0o600))
	}
	cases := []struct {
		name    string
		corrupt func()
		want    string
	}{
		{"data byte", func() { flip(filepath.Base(data), len(pristine[filepath.Base(data)])/2) }, "SHA-256 mismatch"},
		{"data header", func() { flip(filepath.Base(data), 3) }, "SHA-256 mismatch"},
		{"manifest byte", func() { flip(manifestName, 40) }, "manifest.json: SHA-256 mismatch"},
		{"sums byte", func() { flip(sumsName, 5) }, "SHA-256 mismatch"},
		{"truncated data", func() {
			v := pristine[filepath.Base(data)]
			require.NoError(t, os.WriteFile(data, v[:len(v)-100], 0o600))
		}, "truncated"},
		{"missing data", func() { require.NoError(t, os.Remove(data)) }, "missing"},
		// With the checksums rewritten to match, the block CRC still
		// catches the flip: loading fails midway and the new table is
		// deleted again.
		{"data byte, sums rewritten", func() {
			flip(filepath.Base(data), len(pristine[filepath.Base(data)])/2)
			rewriteSums(t, dir)
		}, "CRC mismatch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			restore()
			c.corrupt()
			_, err := db.RestoreBackup(ctx, RestoreInput{Backup: b.ID, Target: "Bad"})
			requireCode(t, CodeValidation, err)
			require.Contains(t, err.Error(), c.want)
			var ce *CorruptBackupError
			require.ErrorAs(t, err, &ce)
			_, err = db.DescribeTable(ctx, "Bad")
			requireCode(t, CodeNotFound, err, "nothing was created")
			_, err = db.VerifyBackup(ctx, b.ID)
			require.Error(t, err)
		})
	}
	restore()
	_, err = db.VerifyBackup(ctx, b.ID)
	require.NoError(t, err)
	_, err = db.RestoreBackup(ctx, RestoreInput{Backup: b.ID, Target: "Good"})
	require.NoError(t, err)
	requireSameItems(t, scanAll(t, db, "Src"), scanAll(t, db, "Good"), "after repair")
}

// TestEncryptedBackup checks that an encrypted backup holds no plaintext
// item data and restores only with its key.
func TestEncryptedBackup(t *testing.T) {
	ctx := context.Background()
	key := bytes.Repeat([]byte{7}, 32)
	backups := t.TempDir()
	db := openTestDB(t, func(o *Options) { o.BackupKey = key; o.BackupDir = backups })
	createTable(t, db, TableSpec{Name: "Secret", KeySchema: hashKey("id", attr.TypeS)})
	const marker = "PLAINTEXT-MARKER"
	for i := 0; i < 300; i++ {
		putItems(t, db, "Secret", attr.Item{"id": attr.S(fmt.Sprintf("%s-key-%d", marker, i)), "v": attr.S(marker + "-value")})
	}
	b, err := db.CreateBackup(ctx, BackupInput{Tables: []string{"Secret"}})
	require.NoError(t, err)
	require.True(t, b.Encrypted)
	err = filepath.WalkDir(filepath.Join(backups, b.ID), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NotContains(t, string(data), marker, "%s holds plaintext item data", path)
		require.NotContains(t, string(data), "key-1")
		return nil
	})
	require.NoError(t, err)

	_, err = db.RestoreBackup(ctx, RestoreInput{Backup: b.ID, Target: "Secret2"})
	require.NoError(t, err)
	requireSameItems(t, scanAll(t, db, "Secret"), scanAll(t, db, "Secret2"), "encrypted round trip")

	// Another server without the key, or with another key, cannot read it.
	for name, k := range map[string][]byte{"no key": nil, "wrong key": bytes.Repeat([]byte{8}, 32)} {
		other := openTestDB(t, func(o *Options) { o.BackupKey = k; o.BackupDir = backups })
		_, err := other.RestoreBackup(ctx, RestoreInput{Backup: b.ID, Target: "Secret3"})
		requireCode(t, CodeValidation, err, name)
		require.Contains(t, err.Error(), "key")
		_, err = other.DescribeTable(ctx, "Secret3")
		requireCode(t, CodeNotFound, err)
	}
	// With encryption at rest on, backups are encrypted without a
	// BackupKey of their own.
	atRest := openTestDB(t, func(o *Options) { o.EncryptionKey = bytes.Repeat([]byte{9}, 32) })
	createTable(t, atRest, TableSpec{Name: "Secret", KeySchema: hashKey("id", attr.TypeS)})
	putItems(t, atRest, "Secret", attr.Item{"id": attr.S(marker)})
	b2, err := atRest.CreateBackup(ctx, BackupInput{})
	require.NoError(t, err)
	require.True(t, b2.Encrypted)
	data, err := os.ReadFile(filepath.Join(atRest.opts.BackupDir, b2.ID, "t000-00000"+dataFileExt))
	require.NoError(t, err)
	require.NotContains(t, string(data), marker)
	_, err = atRest.RestoreBackup(ctx, RestoreInput{Backup: b2.ID, Target: "Secret2"})
	require.NoError(t, err)
	requireSameItems(t, scanAll(t, atRest, "Secret"), scanAll(t, atRest, "Secret2"), "at-rest key")

	// A bad key length is refused at Open.
	_, err = Open(Options{InMemory: true, BackupKey: []byte("short")})
	requireCode(t, CodeValidation, err)
}

// TestRestoreRefusesWritesWhileLoading checks that user writes to a table
// being restored are refused and that an interrupted restore is cleaned up
// at the next Open.
func TestRestoreLeftoverIsRemovedAtOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openTestDB(t, func(o *Options) { o.Dir = dir })
	def, err := restoredDef(&tableDef{Name: "x", Key: hashKey("id", attr.TypeS)}, "Half")
	require.NoError(t, err)
	require.NoError(t, db.createTable(ctx, def))
	_, err = db.PutItem(ctx, PutItemInput{Table: "Half", Item: attr.Item{"id": attr.S("a")}})
	requireCode(t, CodeResourceInUse, err)
	d, err := db.DescribeTable(ctx, "Half")
	require.NoError(t, err)
	require.True(t, d.Restoring)
	require.NoError(t, db.Close())

	db = openTestDB(t, func(o *Options) { o.Dir = dir })
	_, err = db.DescribeTable(ctx, "Half")
	requireCode(t, CodeNotFound, err)
}

// TestBackupJobs runs a backup and a restore as background jobs.
func TestBackupJobs(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	createTable(t, db, backupSpec("Src"))
	r := rand.New(rand.NewSource(5))
	for i := 0; i < 500; i++ {
		putItems(t, db, "Src", backupItem(r, i%5, i))
	}
	wait := func(id string) *Job {
		for {
			j, err := db.Job(id)
			require.NoError(t, err)
			if j.State != JobRunning {
				return j
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	j, err := db.StartBackup(ctx, BackupInput{Tables: []string{"Src"}})
	require.NoError(t, err)
	done := wait(j.ID)
	require.Equal(t, JobSucceeded, done.State, done.Error)
	require.Equal(t, "done", done.Progress.Phase)
	require.Equal(t, int64(500), done.Progress.Items)
	require.Equal(t, int64(500), done.Progress.TotalItems)

	_, err = db.StartBackup(ctx, BackupInput{Tables: []string{"Nope"}})
	requireCode(t, CodeNotFound, err)

	j, err = db.StartRestore(ctx, RestoreInput{Backup: done.Backup, Target: "Copy"})
	require.NoError(t, err)
	done = wait(j.ID)
	require.Equal(t, JobSucceeded, done.State, done.Error)
	require.Equal(t, []string{"Copy"}, done.Tables)
	requireSameItems(t, scanAll(t, db, "Src"), scanAll(t, db, "Copy"), "job restore")
	require.Len(t, db.Jobs(), 2)

	_, err = db.StartRestore(ctx, RestoreInput{Backup: done.Backup, Target: "Copy"})
	requireCode(t, CodeResourceInUse, err)
}
