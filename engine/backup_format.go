package engine

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A backup is a directory holding a self-describing file set:
//
//	manifest.json   what the backup holds (format, table definitions as
//	                stored, change-log position, counts, per-file SHA-256)
//	SHA256SUMS      the SHA-256 of every other file, in sha256sum(1) form,
//	                so `sha256sum -c SHA256SUMS` checks a backup by hand
//	t000-00000.sdb  data files: table 0 of the manifest, chunk 0, ...
//
// A data file is
//
//	header  = "SHOALBAK" version(u16) flags(u16) reserved(u32)
//	block   = len(u32, 1..maxBlockBody) body crc32c(len · body)(u32)
//	trailer = 0(u32) records(u64) crc32c(0 · records)(u32)
//	body    = records                                  (plain)
//	        | nonce(12) AES-256-GCM(records, aad)      (flags&1, encrypted)
//	records = (uvarint(len) item)*, item = attr.EncodeItem form
//
// The additional data of an encrypted block is the file's name and the
// block's index, so blocks cannot be swapped or moved between files
// unnoticed. All integers are big-endian.
const (
	backupFormat      = 1
	backupMagic       = "SHOALBAK"
	manifestName      = "manifest.json"
	sumsName          = "SHA256SUMS"
	dataFileExt       = ".sdb"
	flagEncrypted     = 1
	blockTarget       = 64 << 10 // records are cut into blocks of about this size
	maxBlockBody      = 64 << 20 // a larger length is corruption
	backupEncryption  = "AES-256-GCM"
	fileHeaderSize    = 16
	defaultChunkBytes = 64 << 20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// manifest is a backup's manifest.json.
type manifest struct {
	Format int    `json:"format"`
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	// Kind is "ON_DEMAND" for a backup a user asked for, "PITR" for a
	// snapshot taken for point-in-time recovery.
	Kind string `json:"kind"`
	// SnapshotAt is the engine's clock read just after the snapshot was
	// opened: every change in the backup was made at or before it.
	SnapshotAt  time.Time `json:"snapshotAt"`
	CompletedAt time.Time `json:"completedAt"`
	// Encryption is "AES-256-GCM" when the data files are encrypted; KeyID
	// then identifies the key (an HMAC of a constant, not the key).
	Encryption string          `json:"encryption,omitempty"`
	KeyID      string          `json:"keyId,omitempty"`
	Tables     []manifestTable `json:"tables"`
	Items      int64           `json:"items"`
	Bytes      int64           `json:"bytes"`
}

// manifestTable describes one table of a backup.
type manifestTable struct {
	Name string `json:"name"`
	ID   uint64 `json:"id"`
	// Definition is the table's definition as the catalog stored it.
	Definition json.RawMessage `json:"definition"`
	// Seq is the table's change-log watermark when the snapshot was taken:
	// every change numbered at or below it is in the backup (later ones
	// may be too).
	Seq   uint64         `json:"seq"`
	Items int64          `json:"items"`
	Bytes int64          `json:"bytes"`
	Files []manifestFile `json:"files"`
}

// manifestFile describes one data file.
type manifestFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	Items  int64  `json:"items"`
	SHA256 string `json:"sha256"`
}

// backupKeyID names an encryption key without revealing it.
func backupKeyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("shoal backup key id"))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// DeriveBackupKey derives the backup key that a server with encryption at
// rest uses by default from its master key, so the two ciphers never share
// a key.
func DeriveBackupKey(master []byte) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte("shoal backup encryption key v1"))
	return m.Sum(nil)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// dataFileWriter writes one data file, hashing what it writes.
type dataFileWriter struct {
	name   string
	f      *os.File
	w      *bufio.Writer
	sum    hash.Hash
	size   int64
	items  int64
	block  []byte // records of the block being filled
	nblock uint64
	aead   cipher.AEAD // nil: plain
	sealed []byte
}

func createDataFile(dir, name string, aead cipher.AEAD) (*dataFileWriter, error) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	fw := &dataFileWriter{name: name, f: f, w: bufio.NewWriterSize(f, 256<<10), sum: sha256.New(), aead: aead}
	hdr := make([]byte, fileHeaderSize)
	copy(hdr, backupMagic)
	binary.BigEndian.PutUint16(hdr[8:], backupFormat)
	if aead != nil {
		binary.BigEndian.PutUint16(hdr[10:], flagEncrypted)
	}
	if err := fw.write(hdr); err != nil {
		f.Close()
		return nil, err
	}
	return fw, nil
}

func (fw *dataFileWriter) write(p []byte) error {
	fw.sum.Write(p)
	fw.size += int64(len(p))
	_, err := fw.w.Write(p)
	return err
}

// add appends one encoded item.
func (fw *dataFileWriter) add(item []byte) error {
	fw.block = binary.AppendUvarint(fw.block, uint64(len(item)))
	fw.block = append(fw.block, item...)
	fw.items++
	if len(fw.block) >= blockTarget {
		return fw.flushBlock()
	}
	return nil
}

func (fw *dataFileWriter) flushBlock() error {
	if len(fw.block) == 0 {
		return nil
	}
	body := fw.block
	if fw.aead != nil {
		nonce := make([]byte, fw.aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return err
		}
		fw.sealed = fw.aead.Seal(append(fw.sealed[:0], nonce...), nonce, fw.block, blockAAD(fw.name, fw.nblock))
		body = fw.sealed
	}
	if err := fw.frame(body); err != nil {
		return err
	}
	fw.nblock++
	fw.block = fw.block[:0]
	return nil
}

// frame writes len · body · crc.
func (fw *dataFileWriter) frame(body []byte) error {
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(body)))
	crc := crc32.Update(crc32.Update(0, crcTable, l[:]), crcTable, body)
	if err := fw.write(l[:]); err != nil {
		return err
	}
	if err := fw.write(body); err != nil {
		return err
	}
	return fw.write(binary.BigEndian.AppendUint32(nil, crc))
}

// close writes the last block and the trailer, syncs and closes the file.
func (fw *dataFileWriter) close() (manifestFile, error) {
	err := fw.flushBlock()
	if err == nil {
		err = fw.frame(nil) // length 0 marks the trailer ...
	}
	if err == nil {
		var n [8]byte // ... whose "body" is the record count, written bare
		binary.BigEndian.PutUint64(n[:], uint64(fw.items))
		err = fw.write(n[:])
	}
	if err == nil {
		err = fw.w.Flush()
	}
	if err == nil {
		err = fw.f.Sync()
	}
	if cerr := fw.f.Close(); err == nil {
		err = cerr
	}
	return manifestFile{Name: fw.name, Size: fw.size, Items: fw.items, SHA256: hex.EncodeToString(fw.sum.Sum(nil))}, err
}

func blockAAD(name string, n uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(name), n)
}

// CorruptBackupError reports a backup that fails its checks: a file is
// missing, truncated, or does not match its checksum.
type CorruptBackupError struct {
	Backup string // the backup's directory
	File   string // the file at fault, relative to it; "" for the whole set
	Reason string
}

// Error implements error, naming the backup and, when one is at fault, the
// file.
func (e *CorruptBackupError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("engine: backup %s is corrupt: %s", e.Backup, e.Reason)
	}
	return fmt.Sprintf("engine: backup %s is corrupt: %s: %s", e.Backup, e.File, e.Reason)
}

func corrupt(dir, file, format string, args ...any) error {
	ce := &CorruptBackupError{Backup: filepath.Base(dir), File: file, Reason: fmt.Sprintf(format, args...)}
	return &Error{Code: CodeValidation, Message: strings.TrimPrefix(ce.Error(), "engine: "), err: ce}
}

// readManifest reads and checks a backup's manifest against SHA256SUMS.
func readManifest(dir string) (*manifest, error) {
	sums, err := os.ReadFile(filepath.Join(dir, sumsName))
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(dir); errors.Is(serr, os.ErrNotExist) {
			return nil, errorf(CodeNotFound, "backup %q does not exist", filepath.Base(dir))
		}
		return nil, corrupt(dir, sumsName, "missing")
	}
	if err != nil {
		return nil, internalError("read backup", err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 64 {
			return nil, corrupt(dir, sumsName, "malformed line %q", line)
		}
		want[name] = sum
	}
	raw, err := os.ReadFile(filepath.Join(dir, manifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, corrupt(dir, manifestName, "missing")
	}
	if err != nil {
		return nil, internalError("read backup", err)
	}
	got := sha256.Sum256(raw)
	if want[manifestName] != hex.EncodeToString(got[:]) {
		return nil, corrupt(dir, manifestName, "SHA-256 mismatch")
	}
	m := new(manifest)
	if err := json.Unmarshal(raw, m); err != nil {
		return nil, corrupt(dir, manifestName, "%v", err)
	}
	if m.Format != backupFormat {
		return nil, errorf(CodeValidation, "backup %s has format %d; this server reads format %d", filepath.Base(dir), m.Format, backupFormat)
	}
	for _, t := range m.Tables {
		for _, f := range t.Files {
			if want[f.Name] != f.SHA256 {
				return nil, corrupt(dir, sumsName, "the checksum of %s differs from the manifest's", f.Name)
			}
			if f.Name != filepath.Base(f.Name) || !strings.HasSuffix(f.Name, dataFileExt) {
				return nil, corrupt(dir, manifestName, "bad file name %q", f.Name)
			}
		}
	}
	return m, nil
}

// verifyFile checks a data file's size and SHA-256 against the manifest
// without decoding it.
func verifyFile(dir string, mf manifestFile) error {
	f, err := os.Open(filepath.Join(dir, mf.Name))
	if errors.Is(err, os.ErrNotExist) {
		return corrupt(dir, mf.Name, "missing")
	}
	if err != nil {
		return internalError("read backup", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return internalError("read backup", err)
	}
	if n != mf.Size {
		return corrupt(dir, mf.Name, "%d bytes, the manifest says %d (truncated?)", n, mf.Size)
	}
	if hex.EncodeToString(h.Sum(nil)) != mf.SHA256 {
		return corrupt(dir, mf.Name, "SHA-256 mismatch")
	}
	return nil
}

// dataFileReader decodes one data file, checking every block's CRC (and
// authenticating it when encrypted) and the trailer's record count.
type dataFileReader struct {
	dir, name string
	r         *bufio.Reader
	f         *os.File
	aead      cipher.AEAD
	nblock    uint64
	items     int64
	buf       []byte
	plain     []byte
	rest      []byte // records not yet returned
	done      bool
}

func openDataFile(dir, name string, key []byte) (*dataFileReader, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, corrupt(dir, name, "%v", err)
	}
	fr := &dataFileReader{dir: dir, name: name, f: f, r: bufio.NewReaderSize(f, 256<<10)}
	hdr := make([]byte, fileHeaderSize)
	if _, err := io.ReadFull(fr.r, hdr); err != nil {
		f.Close()
		return nil, corrupt(dir, name, "short header")
	}
	if string(hdr[:8]) != backupMagic || binary.BigEndian.Uint16(hdr[8:]) != backupFormat {
		f.Close()
		return nil, corrupt(dir, name, "not a Shoal backup data file of format %d", backupFormat)
	}
	if binary.BigEndian.Uint16(hdr[10:])&flagEncrypted != 0 {
		if key == nil {
			f.Close()
			return nil, errorf(CodeValidation, "backup file %s is encrypted and no backup key is configured", name)
		}
		if fr.aead, err = newGCM(key); err != nil {
			f.Close()
			return nil, internalError("backup key", err)
		}
	}
	return fr, nil
}

func (fr *dataFileReader) close() { fr.f.Close() }

// next returns the next encoded item, valid until the following call, or
// io.EOF after the trailer.
func (fr *dataFileReader) next() ([]byte, error) {
	for len(fr.rest) == 0 {
		if fr.done {
			return nil, io.EOF
		}
		if err := fr.readBlock(); err != nil {
			return nil, err
		}
	}
	n, k := binary.Uvarint(fr.rest)
	if k <= 0 || uint64(len(fr.rest)-k) < n {
		return nil, corrupt(fr.dir, fr.name, "bad record in block %d", fr.nblock-1)
	}
	item := fr.rest[k : k+int(n)]
	fr.rest = fr.rest[k+int(n):]
	fr.items++
	return item, nil
}

func (fr *dataFileReader) readBlock() error {
	var l [4]byte
	if _, err := io.ReadFull(fr.r, l[:]); err != nil {
		return corrupt(fr.dir, fr.name, "truncated at block %d", fr.nblock)
	}
	n := binary.BigEndian.Uint32(l[:])
	if n > maxBlockBody {
		return corrupt(fr.dir, fr.name, "block %d claims %d bytes", fr.nblock, n)
	}
	if cap(fr.buf) < int(n)+4 {
		fr.buf = make([]byte, int(n)+4)
	}
	buf := fr.buf[:int(n)+4]
	if _, err := io.ReadFull(fr.r, buf); err != nil {
		return corrupt(fr.dir, fr.name, "truncated in block %d", fr.nblock)
	}
	body, sum := buf[:n], binary.BigEndian.Uint32(buf[n:])
	if crc32.Update(crc32.Update(0, crcTable, l[:]), crcTable, body) != sum {
		return corrupt(fr.dir, fr.name, "CRC mismatch in block %d", fr.nblock)
	}
	if n == 0 { // the trailer
		var c [8]byte
		if _, err := io.ReadFull(fr.r, c[:]); err != nil {
			return corrupt(fr.dir, fr.name, "truncated trailer")
		}
		if int64(binary.BigEndian.Uint64(c[:])) != fr.items {
			return corrupt(fr.dir, fr.name, "%d records, the trailer says %d", fr.items, binary.BigEndian.Uint64(c[:]))
		}
		if _, err := fr.r.ReadByte(); err != io.EOF {
			return corrupt(fr.dir, fr.name, "data after the trailer")
		}
		fr.done = true
		return nil
	}
	if fr.aead != nil {
		ns := fr.aead.NonceSize()
		if len(body) < ns {
			return corrupt(fr.dir, fr.name, "short encrypted block %d", fr.nblock)
		}
		var err error
		fr.plain, err = fr.aead.Open(fr.plain[:0], body[:ns], body[ns:], blockAAD(fr.name, fr.nblock))
		if err != nil {
			return corrupt(fr.dir, fr.name, "block %d fails authentication (wrong key or corrupt)", fr.nblock)
		}
		body = fr.plain
	}
	fr.rest = body
	fr.nblock++
	return nil
}

// writeManifest writes manifest.json and SHA256SUMS into dir and syncs
// them and the directory.
func writeManifest(dir string, m *manifest) error {
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileSync(filepath.Join(dir, manifestName), raw); err != nil {
		return err
	}
	var sums bytes.Buffer
	sum := sha256.Sum256(raw)
	fmt.Fprintf(&sums, "%x  %s\n", sum, manifestName)
	for _, t := range m.Tables {
		for _, f := range t.Files {
			fmt.Fprintf(&sums, "%s  %s\n", f.SHA256, f.Name)
		}
	}
	if err := writeFileSync(filepath.Join(dir, sumsName), sums.Bytes()); err != nil {
		return err
	}
	return syncDir(dir)
}

func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
