package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/shoaldb/shoal/engine"
)

// The admin subcommands:
//
//	shoal backup create   [-table T]... [-name N]      back up tables (all by default)
//	shoal backup list                                  list backups
//	shoal backup describe ID                           one backup, as JSON
//	shoal backup verify   ID                           check every checksum and record
//	shoal backup delete   ID                           remove a backup
//	shoal restore -backup ID -target NEW               restore a one-table backup
//	shoal restore -backup ID -table SRC=NEW ...        restore tables of a server backup
//	shoal restore -pitr -source T -target NEW (-time RFC3339 | -latest)
//
// create and restore open the data directory, so the server must be
// stopped; list, describe, verify and delete read only the backup
// directory and work while it runs. Online backups and restores go through
// the admin GraphQL API (createBackup, restoreBackup, restoreTableToPointInTime).
func cliMain(cmd string, args []string, stdout, stderr io.Writer) int {
	sub := ""
	if cmd == "backup" {
		if len(args) == 0 {
			fmt.Fprintln(stderr, "usage: shoal backup create|list|describe|verify|delete [flags]")
			return 2
		}
		sub, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("shoal "+strings.TrimSpace(cmd+" "+sub), flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := os.Getenv("SHOAL_" + name); v != "" {
			return v
		}
		return def
	}
	dataDir := fs.String("data", env("DATA_DIR", "./data"), "data directory (SHOAL_DATA_DIR)")
	backupDir := fs.String("backup-dir", env("BACKUP_DIR", ""), "backup directory (SHOAL_BACKUP_DIR; default <data>/backups)")
	encKeyFile := fs.String("encryption-key-file", env("ENCRYPTION_KEY_FILE", ""), "master key of encryption at rest (SHOAL_ENCRYPTION_KEY_FILE)")
	backupKeyFile := fs.String("backup-key-file", env("BACKUP_KEY_FILE", ""), "32-byte backup key (SHOAL_BACKUP_KEY_FILE; default: derived from the encryption key)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	var tables multiFlag
	var name, backupID, target, source, at string
	var pitr, latest bool
	switch {
	case cmd == "backup" && sub == "create":
		fs.Var(&tables, "table", "a table to back up (repeat; default: every table)")
		fs.StringVar(&name, "name", "", "a label for the backup")
	case cmd == "restore":
		fs.StringVar(&backupID, "backup", "", "the backup to restore")
		fs.Var(&tables, "table", "SOURCE=TARGET: restore table SOURCE of the backup as TARGET (repeat)")
		fs.StringVar(&target, "target", "", "the new table (a backup of one table, or -pitr)")
		fs.BoolVar(&pitr, "pitr", false, "restore a table with point-in-time recovery instead of a backup")
		fs.StringVar(&source, "source", "", "with -pitr: the table to restore")
		fs.StringVar(&at, "time", "", "with -pitr: the instant to restore (RFC 3339)")
		fs.BoolVar(&latest, "latest", false, "with -pitr: restore the latest restorable time")
	case cmd == "backup" && (sub == "list" || sub == "describe" || sub == "verify" || sub == "delete"):
	default:
		fmt.Fprintf(stderr, "shoal backup: unknown subcommand %q (create, list, describe, verify, delete)\n", sub)
		return 2
	}
	// Flags may follow the positional argument (`verify ID -data d`).
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return 1
	}
	if *backupDir == "" {
		*backupDir = filepath.Join(*dataDir, "backups")
	}
	var encKey, backupKey []byte
	var err error
	if *encKeyFile != "" {
		if encKey, err = readKeyFile(*encKeyFile); err != nil {
			return fail(err)
		}
	}
	if *backupKeyFile != "" {
		if backupKey, err = readKeyFile(*backupKeyFile); err != nil {
			return fail(err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	progress := progressPrinter(stderr, *quiet)

	if len(pos) > 0 && !(cmd == "backup" && sub != "create") {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", fs.Name(), pos)
		return 2
	}
	// The file-only subcommands.
	if cmd == "backup" && sub != "create" {
		if len(pos) != 1 && sub != "list" {
			fmt.Fprintf(stderr, "usage: %s ID\n", fs.Name())
			return 2
		}
		key := backupKey
		if key == nil && encKey != nil {
			key = engine.DeriveBackupKey(encKey)
		}
		store, err := engine.OpenBackupStore(*backupDir, key)
		if err != nil {
			return fail(err)
		}
		switch sub {
		case "list":
			list, err := store.List(ctx)
			if err != nil {
				return fail(err)
			}
			printBackups(stdout, list)
			return 0
		case "describe":
			d, err := store.Describe(ctx, pos[0])
			if err != nil {
				return fail(err)
			}
			return printJSON(stdout, d)
		case "verify":
			d, err := store.Verify(ctx, pos[0])
			if err != nil {
				return fail(err)
			}
			fmt.Fprintf(stdout, "backup %s is intact: %d tables, %d items, %d bytes\n", d.ID, len(d.Tables), d.Items, d.Bytes)
			return 0
		default: // delete
			d, err := store.Delete(ctx, pos[0])
			if err != nil {
				return fail(err)
			}
			fmt.Fprintf(stdout, "deleted backup %s\n", d.ID)
			return 0
		}
	}

	db, err := engine.Open(engine.Options{Dir: *dataDir, BackupDir: *backupDir, EncryptionKey: encKey, BackupKey: backupKey})
	if err != nil {
		return fail(fmt.Errorf("%w (a running server holds the data directory: stop it, or use the admin GraphQL API)", err))
	}
	defer db.Close()
	switch {
	case cmd == "backup": // create
		d, err := db.CreateBackup(ctx, engine.BackupInput{Tables: tables, Name: name, Progress: progress})
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "%s\n", d.ID)
		return 0
	case pitr:
		if source == "" || target == "" || (at == "") == !latest {
			fmt.Fprintln(stderr, "usage: shoal restore -pitr -source T -target NEW (-time RFC3339 | -latest)")
			return 2
		}
		in := engine.PITRRestoreInput{Source: source, Target: target, Latest: latest, Progress: progress}
		if at != "" {
			if in.Time, err = time.Parse(time.RFC3339Nano, at); err != nil {
				return fail(err)
			}
		}
		d, err := db.RestoreToPointInTime(ctx, in)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "restored %s as %s\n", source, d.Name)
		return 0
	default:
		if backupID == "" {
			fmt.Fprintln(stderr, "usage: shoal restore -backup ID (-target NEW | -table SRC=NEW ...)")
			return 2
		}
		in := engine.RestoreInput{Backup: backupID, Target: target, Progress: progress}
		for _, t := range tables {
			src, dst, ok := strings.Cut(t, "=")
			if !ok {
				return fail(fmt.Errorf("-table %q: want SOURCE=TARGET", t))
			}
			in.Tables = append(in.Tables, engine.TableRename{Source: src, Target: dst})
		}
		out, err := db.RestoreBackup(ctx, in)
		if err != nil {
			return fail(err)
		}
		for _, d := range out {
			fmt.Fprintf(stdout, "restored %s\n", d.Name)
		}
		return 0
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// progressPrinter prints progress lines (bytes and items done, rate, ETA).
func progressPrinter(w io.Writer, quiet bool) func(engine.Progress) {
	if quiet {
		return nil
	}
	var last time.Time
	return func(p engine.Progress) {
		if p.Phase != "done" && time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		fmt.Fprintln(w, formatProgress(p))
	}
}

func formatProgress(p engine.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %d", p.Phase, p.Items)
	if p.TotalItems > 0 {
		fmt.Fprintf(&b, "/%d", p.TotalItems)
	}
	fmt.Fprintf(&b, " items, %s", humanBytes(p.Bytes))
	if p.TotalBytes > 0 {
		fmt.Fprintf(&b, "/%s", humanBytes(p.TotalBytes))
	}
	fmt.Fprintf(&b, ", %s/s, %.0f items/s", humanBytes(int64(p.BytesPerSecond)), p.ItemsPerSecond)
	if p.ETA > 0 {
		fmt.Fprintf(&b, ", ETA %s", p.ETA.Round(time.Second))
	}
	fmt.Fprintf(&b, " (%s)", p.Elapsed.Round(time.Millisecond))
	return b.String()
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func printBackups(w io.Writer, list []*engine.BackupDescription) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSNAPSHOT\tTABLES\tITEMS\tSIZE\tENCRYPTED")
	for _, d := range list {
		names := make([]string, len(d.Tables))
		for i, t := range d.Tables {
			names[i] = t.Table.Name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%v\n", d.ID, d.Name, d.SnapshotAt.Format(time.RFC3339), strings.Join(names, ","), d.Items, humanBytes(d.SizeBytes), d.Encrypted)
	}
	tw.Flush()
}

func printJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return 1
	}
	return 0
}
