package engine

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkBackupRestore measures a backup and a restore of a table of 100k
// items (about 250 bytes each, one global index), with durable writes:
//
//	go test ./engine -run '^$' -bench BackupRestore -benchtime 1x
func BenchmarkBackupRestore(b *testing.B) {
	ctx := context.Background()
	for _, encrypted := range []bool{false, true} {
		b.Run(fmt.Sprintf("encrypted=%v", encrypted), func(b *testing.B) {
			db := openTestDB(b, withSync, func(o *Options) {
				if encrypted {
					o.BackupKey = make([]byte, 32)
				}
			})
			spec := backupSpec("Big")
			spec.LocalIndexes = nil
			createTable(b, db, spec)
			r := rand.New(rand.NewSource(1))
			const n = 100_000
			for i := 0; i < n; i += MaxBatchWrites {
				var reqs []WriteRequest
				for j := i; j < i+MaxBatchWrites && j < n; j++ {
					reqs = append(reqs, WriteRequest{Table: "Big", Put: backupItem(r, j%1000, j)})
				}
				_, err := db.BatchWriteItem(ctx, BatchWriteInput{Requests: reqs})
				require.NoError(b, err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				d, err := db.CreateBackup(ctx, BackupInput{Tables: []string{"Big"}})
				require.NoError(b, err)
				backup := time.Since(start)
				start = time.Now()
				_, err = db.RestoreBackup(ctx, RestoreInput{Backup: d.ID, Target: fmt.Sprintf("Big%d", i)})
				require.NoError(b, err)
				restore := time.Since(start)
				b.ReportMetric(float64(d.Items)/backup.Seconds(), "backup-items/s")
				b.ReportMetric(float64(d.Bytes)/backup.Seconds()/(1<<20), "backup-MiB/s")
				b.ReportMetric(float64(d.Items)/restore.Seconds(), "restore-items/s")
				b.ReportMetric(float64(d.Bytes)/restore.Seconds()/(1<<20), "restore-MiB/s")
				b.ReportMetric(float64(d.SizeBytes)/(1<<20), "files-MiB")
			}
		})
	}
}
