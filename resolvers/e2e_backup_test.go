package resolvers_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBackupAdminAPI backs up a table through the admin mutations, follows
// the job's progress, restores it, turns PITR on, and deletes the backup.
func TestBackupAdminAPI(t *testing.T) {
	s := startServer(t)
	s.createTable(`{"name": "Orders", "partitionKey": {"name": "id", "type": "S"}}`)
	for i := 0; i < 50; i++ {
		s.put("Orders", fmt.Sprintf(`{"id": "o%02d", "n": %d}`, i, i))
	}
	const jobFields = `id kind state backupId tables error errorCode progress { phase items bytes totalItems totalBytes elapsedSeconds bytesPerSecond itemsPerSecond etaSeconds }`
	wait := func(id string) map[string]any {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			d := s.ok(`query($id: String!) { backupJob(id: $id) { `+jobFields+` } }`, map[string]any{"id": id})
			j := d["backupJob"].(map[string]any)
			if j["state"] != "RUNNING" {
				return j
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("the job did not finish")
		return nil
	}
	d := s.ok(`mutation { createBackup(input: {tables: ["Orders"], name: "before-migration"}) { `+jobFields+` } }`, nil)
	job := d["createBackup"].(map[string]any)
	require.Equal(t, "BACKUP", job["kind"])
	done := wait(job["id"].(string))
	require.Equal(t, "SUCCEEDED", done["state"], "%v", done["error"])
	require.Equal(t, "done", at(done, "progress", "phase"))
	require.EqualValues(t, "50", fmt.Sprint(at(done, "progress", "items")))
	id := done["backupId"].(string)

	d = s.ok(`{ backups { id name kind encrypted itemCount sizeBytes fileBytes tables { name itemCount seq streamViewType globalIndexes } } }`, nil)
	list := d["backups"].([]any)
	require.Len(t, list, 1)
	require.Equal(t, id, at(list, 0, "id"))
	require.Equal(t, "before-migration", at(list, 0, "name"))
	require.Equal(t, "Orders", at(list, 0, "tables", 0, "name"))

	d = s.ok(`mutation($id: String!) { restoreBackup(input: {backupId: $id, target: "Orders2"}) { `+jobFields+` } }`, map[string]any{"id": id})
	done = wait(at(d, "restoreBackup", "id").(string))
	require.Equal(t, "SUCCEEDED", done["state"], "%v", done["error"])
	require.Equal(t, []any{"Orders2"}, done["tables"])
	require.JSONEq(t, `{"item": {"id": "o07", "n": 7}}`, s.raw(`{ item(table: "Orders2", key: {id: "o07"}) }`, nil))

	// A restore onto an existing table, or of an unknown backup, fails at once.
	s.fails("RESOURCE_IN_USE", `mutation($id: String!) { restoreBackup(input: {backupId: $id, target: "Orders"}) { id } }`, map[string]any{"id": id})
	s.fails("NOT_FOUND", `mutation { restoreBackup(input: {backupId: "bk-nope", target: "X1x"}) { id } }`, nil)

	// Point-in-time recovery: on, described, and a restore outside the
	// window is refused with the window in the message.
	d = s.ok(`mutation { updatePointInTimeRecovery(input: {table: "Orders", enabled: true, retentionSeconds: 3600}) { enabled retentionSeconds since } }`, nil)
	require.Equal(t, true, at(d, "updatePointInTimeRecovery", "enabled"))
	e := s.fails("VALIDATION", `mutation { restoreTableToPointInTime(input: {source: "Orders", target: "Orders3", latest: true}) { id } }`, nil)
	require.Contains(t, e.Message, "no point-in-time recovery snapshot yet")
	s.fails("VALIDATION", `mutation { restoreTableToPointInTime(input: {source: "Orders", target: "Orders3"}) { id } }`, nil)

	d = s.ok(`mutation($id: String!) { deleteBackup(input: {id: $id}) { id } }`, map[string]any{"id": id})
	require.Equal(t, id, at(d, "deleteBackup", "id"))
	d = s.ok(`query($id: String!) { backup(id: $id) { id } }`, map[string]any{"id": id})
	require.Nil(t, d["backup"])
	d = s.ok(`{ backupJobs { id state } }`, nil)
	require.Len(t, d["backupJobs"], 2)

	// Without the admin permission, nothing.
	r := s.as("").do(`{ backups { id } }`, nil)
	require.NotEmpty(t, r.Errors)
}
