package resolvers

import (
	"strconv"
	"time"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/graph/model"
)

// actionAdminBackups is the permission of backups, restores and their
// jobs ("admin:*" covers it).
const actionAdminBackups = "admin:backups"

func backupOut(d *engine.BackupDescription) *model.Backup {
	out := &model.Backup{ID: d.ID, Kind: d.Kind, SnapshotAt: d.SnapshotAt, CompletedAt: d.CompletedAt, Encrypted: d.Encrypted,
		Tables: make([]model.BackupTable, len(d.Tables)), ItemCount: int(d.Items), SizeBytes: int(d.Bytes), FileBytes: int(d.SizeBytes)}
	if d.Name != "" {
		out.Name = &d.Name
	}
	for i, t := range d.Tables {
		bt := model.BackupTable{Name: t.Table.Name, ItemCount: int(t.Items), SizeBytes: int(t.Bytes), Seq: strconv.FormatUint(t.Seq, 10),
			StreamViewType: streamViewOut(t.Table.StreamView), GlobalIndexes: []string{}, LocalIndexes: []string{}, PointInTimeRecovery: t.Table.PITR}
		if t.Table.TTLAttribute != "" {
			bt.TTLAttribute = &t.Table.TTLAttribute
		}
		for _, ix := range t.Table.GlobalIndexes {
			bt.GlobalIndexes = append(bt.GlobalIndexes, ix.Name)
		}
		for _, ix := range t.Table.LocalIndexes {
			bt.LocalIndexes = append(bt.LocalIndexes, ix.Name)
		}
		out.Tables[i] = bt
	}
	return out
}

func jobOut(j *engine.Job) *model.BackupJob {
	out := &model.BackupJob{ID: j.ID, Kind: model.BackupJobKind(j.Kind), State: model.BackupJobState(j.State), Tables: nonNil(j.Tables),
		StartedAt: j.StartedAt, Progress: progressOut(j.Progress)}
	if j.Backup != "" {
		out.BackupID = &j.Backup
	}
	if !j.EndedAt.IsZero() {
		out.EndedAt = &j.EndedAt
	}
	if j.Error != "" {
		code := string(j.ErrorCode)
		out.Error, out.ErrorCode = &j.Error, &code
	}
	return out
}

func progressOut(p engine.Progress) *model.BackupProgress {
	out := &model.BackupProgress{Phase: p.Phase, Items: int(p.Items), Bytes: int(p.Bytes), TotalItems: int(p.TotalItems), TotalBytes: int(p.TotalBytes),
		ElapsedSeconds: p.Elapsed.Seconds(), BytesPerSecond: p.BytesPerSecond, ItemsPerSecond: p.ItemsPerSecond}
	if p.ETA > 0 {
		eta := p.ETA.Seconds()
		out.EtaSeconds = &eta
	}
	return out
}

func pitrOut(d *engine.PITRDescription) *model.PointInTimeRecovery {
	out := &model.PointInTimeRecovery{Table: d.Table, Enabled: d.Enabled, RetentionSeconds: int(d.Retention / time.Second), Snapshots: d.Snapshots}
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	out.Since, out.EarliestRestorableTime, out.LatestRestorableTime = opt(d.Since), opt(d.EarliestRestorable), opt(d.LatestRestorable)
	return out
}
