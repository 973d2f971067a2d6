package engine

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/shoaldb/shoal/engine/internal/kv"
)

// backupState is the DB's state for backups, restores and PITR.
type backupState struct {
	tick sync.Mutex // one PITR tick at a time

	mu   sync.Mutex         // guards pins and jobs
	pins map[uint64]int     // tables whose PITR snapshots a restore is reading
	jobs map[string]*jobRun // running and recently finished jobs

	// snapshotHook, when set (tests), is called inside a backup's snapshot.
	snapshotHook func(*kv.Txn)
}

// JobKind says what a job does.
type JobKind string

// The job kinds.
const (
	JobBackup      JobKind = "BACKUP"
	JobRestore     JobKind = "RESTORE"
	JobPITRRestore JobKind = "PITR_RESTORE"
)

// JobState is the life-cycle state of a job.
type JobState string

// The job states.
const (
	JobRunning   JobState = "RUNNING"
	JobSucceeded JobState = "SUCCEEDED"
	JobFailed    JobState = "FAILED"
)

// Job is the state of a backup or restore running in the background.
type Job struct {
	ID    string
	Kind  JobKind
	State JobState
	// Backup is the backup being written or read ("" for a PITR restore).
	Backup string
	// Tables names the tables backed up, or the tables a restore creates.
	Tables    []string
	StartedAt time.Time
	EndedAt   time.Time // zero while running
	Progress  Progress
	// Error and ErrorCode say why a failed job failed.
	Error     string
	ErrorCode Code
}

type jobRun struct {
	mu  sync.Mutex
	job Job
	tr  *tracker
}

func (r *jobRun) snapshot() *Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	j := r.job
	j.Tables = append([]string(nil), j.Tables...)
	if j.State == JobRunning {
		j.Progress = r.tr.snapshot()
	}
	return &j
}

// finishedJobsKept is how long a finished job stays visible.
const finishedJobsKept = 24 * time.Hour

// startJob registers a job and runs fn in the background, until it ends or
// the database closes.
func (db *DB) startJob(kind JobKind, backup string, tables []string, progress func(Progress), fn func(ctx context.Context, tr *tracker) ([]string, error)) *Job {
	id := "job-" + newBackupID(db.now())[3:]
	r := &jobRun{job: Job{ID: id, Kind: kind, State: JobRunning, Backup: backup, Tables: tables, StartedAt: time.Now().UTC()}, tr: newTracker(progress)}
	db.bk.mu.Lock()
	if db.bk.jobs == nil {
		db.bk.jobs = map[string]*jobRun{}
	}
	for id, old := range db.bk.jobs {
		if j := old.snapshot(); j.State != JobRunning && time.Since(j.EndedAt) > finishedJobsKept {
			delete(db.bk.jobs, id)
		}
	}
	db.bk.jobs[id] = r
	db.bk.mu.Unlock()
	db.bg.Add(1)
	go func() {
		defer db.bg.Done()
		tables, err := fn(db.bgCtx, r.tr)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.job.EndedAt = time.Now().UTC()
		r.job.Progress = r.tr.snapshot()
		if err != nil {
			r.job.State, r.job.Error, r.job.ErrorCode = JobFailed, errMessage(err), CodeOf(err)
			db.opts.Logger.Error("backup job failed", "job", id, "kind", kind, "err", err)
			return
		}
		r.job.State = JobSucceeded
		if tables != nil {
			r.job.Tables = tables
		}
	}()
	return r.snapshot()
}

// StartBackup starts CreateBackup in the background and returns its job;
// the job's Backup is the id the backup will have.
func (db *DB) StartBackup(ctx context.Context, in BackupInput) (*Job, error) {
	root, err := db.backupRoot()
	if err != nil {
		return nil, err
	}
	for _, name := range in.Tables {
		if _, err := db.DescribeTable(ctx, name); err != nil {
			return nil, err
		}
	}
	id := newBackupID(db.now())
	return db.startJob(JobBackup, id, in.Tables, in.Progress, func(ctx context.Context, tr *tracker) ([]string, error) {
		d, err := db.createBackup(ctx, root, id, in, tr)
		if err != nil {
			return nil, err
		}
		names := make([]string, len(d.Tables))
		for i, t := range d.Tables {
			names[i] = t.Table.Name
		}
		return names, nil
	}), nil
}

// StartRestore starts RestoreBackup in the background and returns its job.
// The backup's manifest and the names are checked before it starts.
func (db *DB) StartRestore(ctx context.Context, in RestoreInput) (*Job, error) {
	d, err := db.DescribeBackup(ctx, in.Backup)
	if err != nil {
		return nil, err
	}
	var targets []string
	for _, r := range in.Tables {
		targets = append(targets, r.Target)
	}
	if len(in.Tables) == 0 {
		if len(d.Tables) != 1 || in.Target == "" {
			return nil, errorf(CodeValidation, "backup %s holds %d tables: name each table to restore and its new name", in.Backup, len(d.Tables))
		}
		targets = []string{in.Target}
	}
	for _, n := range targets {
		if err := validateTableName(n); err != nil {
			return nil, err
		}
		if _, err := db.DescribeTable(ctx, n); err == nil {
			return nil, errorf(CodeResourceInUse, "table %q already exists", n)
		}
	}
	return db.startJob(JobRestore, in.Backup, targets, in.Progress, func(ctx context.Context, tr *tracker) ([]string, error) {
		_, err := db.restoreBackup(ctx, in, tr)
		return nil, err
	}), nil
}

// StartPITRRestore starts RestoreToPointInTime in the background and
// returns its job. The time is checked against the window before it starts.
func (db *DB) StartPITRRestore(ctx context.Context, in PITRRestoreInput) (*Job, error) {
	if err := validateTableName(in.Target); err != nil {
		return nil, err
	}
	p, err := db.DescribePITR(ctx, in.Source)
	if err != nil {
		return nil, err
	}
	if !p.Enabled {
		return nil, errorf(CodeValidation, "point-in-time recovery is off for table %q", in.Source)
	}
	if p.EarliestRestorable.IsZero() {
		return nil, errorf(CodeValidation, "table %q has no point-in-time recovery snapshot yet (PITR was turned on at %s); retry after the first one", in.Source, p.Since.Format(time.RFC3339))
	}
	if !in.Latest && (in.Time.Before(p.EarliestRestorable) || in.Time.After(p.LatestRestorable)) {
		return nil, errorf(CodeValidation, "the restore time %s is outside the recovery window of table %q: %s to %s",
			in.Time.UTC().Format(time.RFC3339Nano), in.Source, p.EarliestRestorable.Format(time.RFC3339Nano), p.LatestRestorable.Format(time.RFC3339Nano))
	}
	if _, err := db.DescribeTable(ctx, in.Target); err == nil {
		return nil, errorf(CodeResourceInUse, "table %q already exists", in.Target)
	}
	return db.startJob(JobPITRRestore, "", []string{in.Target}, in.Progress, func(ctx context.Context, tr *tracker) ([]string, error) {
		_, err := db.restoreToPointInTime(ctx, in, tr)
		return nil, err
	}), nil
}

// Job returns a job by id (CodeNotFound when unknown or long finished).
func (db *DB) Job(id string) (*Job, error) {
	db.bk.mu.Lock()
	r := db.bk.jobs[id]
	db.bk.mu.Unlock()
	if r == nil {
		return nil, errorf(CodeNotFound, "job %q does not exist", id)
	}
	return r.snapshot(), nil
}

// Jobs returns the running and recently finished jobs, newest first.
func (db *DB) Jobs() []*Job {
	db.bk.mu.Lock()
	runs := make([]*jobRun, 0, len(db.bk.jobs))
	for _, r := range db.bk.jobs {
		runs = append(runs, r)
	}
	db.bk.mu.Unlock()
	out := make([]*Job, len(runs))
	for i, r := range runs {
		out[i] = r.snapshot()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartedAt.After(out[j].StartedAt) })
	return out
}
