package engine

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/internal/kv"
)

// Limits of the catalog, as DynamoDB's.
const (
	MaxLocalIndexes        = 5
	MaxGlobalIndexes       = 20
	MaxProjectedAttributes = 100 // INCLUDE attributes over all indexes
	maxKeyNameBytes        = 255
)

// tableDef is a table definition as stored in the catalog.
type tableDef struct {
	ID           uint64         `json:"id"`
	Name         string         `json:"name"`
	Version      uint64         `json:"version"`
	CreatedAt    time.Time      `json:"createdAt"`
	Key          KeySchema      `json:"key"`
	Indexes      []*indexDef    `json:"indexes,omitempty"`
	NextIndexID  uint32         `json:"nextIndexId"`
	StreamView   StreamViewType `json:"streamView,omitempty"`
	TTLAttribute string         `json:"ttlAttribute,omitempty"`
	// TTLPending is set while the TTL schedule of existing items is being
	// built after TTL was turned on.
	TTLPending bool `json:"ttlPending,omitempty"`
	// Deleted marks the last history record of a deleted table.
	Deleted bool `json:"deleted,omitempty"`
	// PITR turns point-in-time recovery on; PITRRetention is its window
	// (0: Options.PITRRetention) and PITRSince when it was last turned on
	// (snapshots older than that belong to an earlier period and are not
	// used).
	PITR          bool          `json:"pitr,omitempty"`
	PITRRetention time.Duration `json:"pitrRetention,omitempty"`
	PITRSince     time.Time     `json:"pitrSince,omitzero"`
	// Restoring is set while a restore loads the table: user writes are
	// refused until it finishes.
	Restoring bool `json:"restoring,omitempty"`
	// Replicas makes the table global: every region holding a replica,
	// this one included (see global.go). SettingsStamp is the HLC time of
	// the last change of the replicated settings (replicas, indexes, TTL,
	// stream), by which replicas adopt the newest definition.
	Replicas      []Replica `json:"replicas,omitempty"`
	SettingsStamp uint64    `json:"settingsStamp,omitempty"`
}

// indexDef is a secondary index as stored in the catalog.
type indexDef struct {
	ID         uint32      `json:"id"`
	Name       string      `json:"name"`
	Local      bool        `json:"local,omitempty"`
	Key        KeySchema   `json:"key"`
	Projection Projection  `json:"projection"`
	Status     IndexStatus `json:"status"`
}

func (t *tableDef) index(name string) *indexDef {
	for _, ix := range t.Indexes {
		if ix.Name == name {
			return ix
		}
	}
	return nil
}

func (t *tableDef) clone() *tableDef {
	c := *t
	c.Replicas = append([]Replica(nil), t.Replicas...)
	c.Indexes = make([]*indexDef, len(t.Indexes))
	for i, ix := range t.Indexes {
		cp := *ix
		c.Indexes[i] = &cp
	}
	return &c
}

func (t *tableDef) describe() *TableDescription {
	d := &TableDescription{
		Name: t.Name, KeySchema: t.Key, ID: t.ID, StreamView: t.StreamView,
		TTLAttribute: t.TTLAttribute, CreatedAt: t.CreatedAt, Version: t.Version,
		PITR: t.PITR, PITRRetention: t.PITRRetention, Restoring: t.Restoring,
		Replicas: append([]Replica(nil), t.Replicas...),
	}
	for _, ix := range t.Indexes {
		id := IndexDescription{IndexSpec: IndexSpec{Name: ix.Name, KeySchema: ix.Key, Projection: ix.Projection}, Local: ix.Local, Status: ix.Status}
		if ix.Local {
			d.LocalIndexes = append(d.LocalIndexes, id)
		} else {
			d.GlobalIndexes = append(d.GlobalIndexes, id)
		}
	}
	return d
}

// encodeDef stores id and version ahead of the JSON so that a cached
// definition can be recognised without decoding.
func encodeDef(t *tableDef) ([]byte, error) {
	js, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 16+len(js)), t.ID)
	v = binary.BigEndian.AppendUint64(v, t.Version)
	return append(v, js...), nil
}

// loadTable reads the current definition of a table inside tx, registering
// the read so that a concurrent change of the definition makes this
// transaction conflict and retry with the new definition.
func (db *DB) loadTable(tx *kv.Txn, name string) (*tableDef, error) {
	var def *tableDef
	err := tx.Get(catalogKey(name), func(v []byte) error {
		if len(v) < 16 {
			return errors.New("corrupt catalog entry")
		}
		id, ver := binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:])
		if c, ok := db.tables.Load(name); ok {
			if cd := c.(*tableDef); cd.ID == id && cd.Version == ver {
				def = cd
				return nil
			}
		}
		d := new(tableDef)
		if err := json.Unmarshal(v[16:], d); err != nil {
			return fmt.Errorf("corrupt catalog entry: %w", err)
		}
		db.tables.Store(name, d)
		def = d
		return nil
	})
	if errors.Is(err, kv.ErrNotFound) {
		return nil, errorf(CodeNotFound, "table %q does not exist", name)
	}
	if err != nil {
		return nil, err
	}
	return def, nil
}

// readTable reads the current definition of a table in a read transaction
// of its own, for requests that only read the table's data.
func (db *DB) readTable(name string) (*tableDef, error) {
	var t *tableDef
	err := db.view(func(tx *kv.Txn) (err error) {
		t, err = db.loadTable(tx, name)
		return err
	})
	return t, err
}

// storeTable writes a new version of a definition and its history record.
func storeTable(tx *wtx, t *tableDef) error {
	v, err := encodeDef(t)
	if err != nil {
		return err
	}
	if err := tx.Set(catalogKey(t.Name), v); err != nil {
		return err
	}
	return tx.Set(historyKey(t.ID, t.Version), v[16:])
}

// CreateTable creates a table. An existing table of that name is
// CodeResourceInUse.
func (db *DB) CreateTable(ctx context.Context, spec TableSpec) (*TableDescription, error) {
	def, err := newTableDef(spec)
	if err != nil {
		return nil, err
	}
	def.CreatedAt = db.now().UTC().Truncate(time.Millisecond)
	if def.PITR {
		def.PITRSince = def.CreatedAt
	}
	if len(spec.Replicas) > 0 {
		if def.Replicas, err = db.normalizeReplicas(spec.Replicas, nil); err != nil {
			return nil, err
		}
		def.SettingsStamp = db.hlc.next(db.now(), 0)
	}
	if err := db.createTable(ctx, def); err != nil {
		return nil, err
	}
	return def.describe(), nil
}

// createTable stores the first version of def under a new table id.
func (db *DB) createTable(ctx context.Context, def *tableDef) error {
	return db.update(ctx, func(tx *wtx) error { return createTableTx(tx, def) })
}

// createTableTx is createTable inside a transaction.
func createTableTx(tx *wtx, def *tableDef) error {
	{
		exists, err := tx.Has(catalogKey(def.Name))
		if err != nil {
			return err
		}
		if exists {
			return errorf(CodeResourceInUse, "table %q already exists", def.Name)
		}
		var last uint64
		err = tx.Get(tableIDKey(), func(v []byte) error {
			last = binary.BigEndian.Uint64(v)
			return nil
		})
		if err != nil && !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		def.ID = last + 1
		if err := tx.Set(tableIDKey(), binary.BigEndian.AppendUint64(nil, def.ID)); err != nil {
			return err
		}
		return storeTable(tx, def)
	}
}

// newTableDef validates spec and builds the first version of its definition.
func newTableDef(spec TableSpec) (*tableDef, error) {
	if err := validateTableName(spec.Name); err != nil {
		return nil, err
	}
	if err := validateKeySchema("table", spec.KeySchema); err != nil {
		return nil, err
	}
	if !validStreamView(spec.StreamView) {
		return nil, errorf(CodeValidation, "invalid stream view type %q", spec.StreamView)
	}
	if err := validatePITRRetention(spec.PITRRetention); err != nil {
		return nil, err
	}
	t := &tableDef{Name: spec.Name, Version: 1, Key: spec.KeySchema, StreamView: spec.StreamView, TTLAttribute: spec.TTLAttribute,
		PITR: spec.PITR, PITRRetention: spec.PITRRetention}
	if len(spec.LocalIndexes) > MaxLocalIndexes {
		return nil, errorf(CodeLimitExceeded, "a table has at most %d local secondary indexes", MaxLocalIndexes)
	}
	if len(spec.GlobalIndexes) > MaxGlobalIndexes {
		return nil, errorf(CodeLimitExceeded, "a table has at most %d global secondary indexes", MaxGlobalIndexes)
	}
	for _, s := range spec.LocalIndexes {
		if spec.KeySchema.Sort == nil {
			return nil, errorf(CodeValidation, "local secondary index %q needs a table with a sort key", s.Name)
		}
		if s.KeySchema.Partition != spec.KeySchema.Partition {
			return nil, errorf(CodeValidation, "local secondary index %q must have the table's partition key %q", s.Name, spec.KeySchema.Partition.Name)
		}
		if s.KeySchema.Sort == nil {
			return nil, errorf(CodeValidation, "local secondary index %q needs a sort key", s.Name)
		}
		if err := t.addIndex(s, true, IndexActive); err != nil {
			return nil, err
		}
	}
	for _, s := range spec.GlobalIndexes {
		if err := t.addIndex(s, false, IndexActive); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// addIndex validates an index against the table and appends it.
func (t *tableDef) addIndex(s IndexSpec, local bool, status IndexStatus) error {
	if err := validateName("index", s.Name); err != nil {
		return err
	}
	if t.index(s.Name) != nil {
		return errorf(CodeValidation, "duplicate index name %q", s.Name)
	}
	if err := validateKeySchema("index "+s.Name, s.KeySchema); err != nil {
		return err
	}
	// One attribute has one type wherever it is a key (DynamoDB's
	// AttributeDefinitions).
	types := map[string]attr.Type{}
	note := func(k KeyAttribute) error {
		if old, ok := types[k.Name]; ok && old != k.Type {
			return errorf(CodeValidation, "attribute %q is a key of type %s in one place and %s in another", k.Name, old, k.Type)
		}
		types[k.Name] = k.Type
		return nil
	}
	for _, ks := range append(t.keySchemas(), s.KeySchema) {
		if err := note(ks.Partition); err != nil {
			return err
		}
		if ks.Sort != nil {
			if err := note(*ks.Sort); err != nil {
				return err
			}
		}
	}
	p := s.Projection
	switch p.Type {
	case "":
		p.Type = ProjectAll
	case ProjectAll, ProjectKeysOnly:
	case ProjectInclude:
		if len(p.NonKeyAttributes) == 0 {
			return errorf(CodeValidation, "index %q: INCLUDE projection needs at least one non-key attribute", s.Name)
		}
	default:
		return errorf(CodeValidation, "index %q: invalid projection type %q", s.Name, p.Type)
	}
	if p.Type != ProjectInclude && len(p.NonKeyAttributes) > 0 {
		return errorf(CodeValidation, "index %q: non-key attributes are only allowed with an INCLUDE projection", s.Name)
	}
	total := len(p.NonKeyAttributes)
	for _, ix := range t.Indexes {
		total += len(ix.Projection.NonKeyAttributes)
	}
	if total > MaxProjectedAttributes {
		return errorf(CodeLimitExceeded, "indexes project at most %d non-key attributes in all", MaxProjectedAttributes)
	}
	locals, globals := 0, 0
	for _, ix := range t.Indexes {
		if ix.Local {
			locals++
		} else {
			globals++
		}
	}
	if local && locals >= MaxLocalIndexes || !local && globals >= MaxGlobalIndexes {
		return errorf(CodeLimitExceeded, "too many indexes: at most %d local and %d global", MaxLocalIndexes, MaxGlobalIndexes)
	}
	t.NextIndexID++
	t.Indexes = append(t.Indexes, &indexDef{ID: t.NextIndexID, Name: s.Name, Local: local, Key: s.KeySchema, Projection: p, Status: status})
	return nil
}

func (t *tableDef) keySchemas() []KeySchema {
	ks := []KeySchema{t.Key}
	for _, ix := range t.Indexes {
		ks = append(ks, ix.Key)
	}
	return ks
}

func validateTableName(name string) error { return validateName("table", name) }

// validateName applies DynamoDB's rule for table and index names: 3 to 255
// characters of a-z, A-Z, 0-9, '_', '-' and '.'.
func validateName(what, name string) error {
	if len(name) < 3 || len(name) > 255 {
		return errorf(CodeValidation, "%s name %q must be 3 to 255 characters long", what, name)
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return errorf(CodeValidation, "%s name %q may only contain a-z, A-Z, 0-9, '_', '-' and '.'", what, name)
		}
	}
	return nil
}

func validateKeySchema(what string, ks KeySchema) error {
	check := func(role string, k KeyAttribute) error {
		if k.Name == "" || len(k.Name) > maxKeyNameBytes {
			return errorf(CodeValidation, "%s: %s key name must be 1 to %d bytes", what, role, maxKeyNameBytes)
		}
		if k.Type != attr.TypeS && k.Type != attr.TypeN && k.Type != attr.TypeB {
			return errorf(CodeValidation, "%s: %s key %q must be of type S, N or B, not %s", what, role, k.Name, k.Type)
		}
		return nil
	}
	if err := check("partition", ks.Partition); err != nil {
		return err
	}
	if ks.Sort != nil {
		if err := check("sort", *ks.Sort); err != nil {
			return err
		}
		if ks.Sort.Name == ks.Partition.Name {
			return errorf(CodeValidation, "%s: partition and sort key must be different attributes", what)
		}
	}
	return nil
}

func validStreamView(v StreamViewType) bool {
	switch v {
	case StreamOff, StreamKeysOnly, StreamNewImage, StreamOldImage, StreamNewAndOldImage:
		return true
	}
	return false
}

// DescribeTable returns a table's definition. It reads only the catalog;
// TableSize measures the data.
func (db *DB) DescribeTable(ctx context.Context, name string) (*TableDescription, error) {
	var d *TableDescription
	err := db.view(func(tx *kv.Txn) error {
		t, err := db.loadTable(tx, name)
		if err != nil {
			return err
		}
		d = t.describe()
		return nil
	})
	return d, err
}

// TableSize counts a table's items and their stored bytes now, by a walk of
// its keys (values are not read).
func (db *DB) TableSize(ctx context.Context, name string) (items, bytes int64, err error) {
	err = db.view(func(tx *kv.Txn) error {
		t, err := db.loadTable(tx, name)
		if err != nil {
			return err
		}
		prefix := spacePrefix(nil, t.ID, tabItems)
		it := tx.Iterate(kv.IterOptions{Prefix: prefix, KeysOnly: true})
		defer it.Close()
		for it.Seek(prefix); it.Valid(); it.Next() {
			if items%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			items++
			bytes += int64(it.ValueSize())
		}
		return nil
	})
	return items, bytes, err
}

// StorageSize returns the bytes Badger keeps on disk: the LSM tree and the
// value log.
func (db *DB) StorageSize() (lsm, vlog int64) { return db.kv.Size() }

// ListTables returns up to limit table names (100 when limit ≤ 0) in
// ascending order, starting after the name `after`, and the name to pass as
// `after` for the next page ("" at the end).
func (db *DB) ListTables(ctx context.Context, after string, limit int) (names []string, next string, err error) {
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	prefix := catalogPrefix()
	err = db.view(func(tx *kv.Txn) error {
		it := tx.Iterate(kv.IterOptions{Prefix: prefix, KeysOnly: true})
		defer it.Close()
		start := catalogKey(after)
		for it.Seek(start); it.Valid(); it.Next() {
			name := string(it.Key()[len(prefix):])
			if name == after {
				continue
			}
			if len(names) == limit {
				next = names[len(names)-1]
				return nil
			}
			names = append(names, name)
		}
		return nil
	})
	return names, next, err
}

// DeleteTable deletes a table and all its data. The table's id is never
// used again.
func (db *DB) DeleteTable(ctx context.Context, name string) (*TableDescription, error) {
	var def *tableDef
	err := db.update(ctx, func(tx *wtx) error {
		t, err := db.loadTable(tx.Txn, name)
		if err != nil {
			return err
		}
		def = t.clone()
		def.Version++
		def.Deleted = true
		v, err := encodeDef(def)
		if err != nil {
			return err
		}
		if err := tx.Delete(catalogKey(name)); err != nil {
			return err
		}
		return tx.Set(historyKey(def.ID, def.Version), v[16:])
	})
	if err != nil {
		return nil, err
	}
	db.tables.Delete(name)
	if l, ok := db.logs.LoadAndDelete(def.ID); ok {
		l.(*changeLog).close() // watchers of the table end with NOT_FOUND
	}
	// Every write of the table read its catalog entry, so none can commit
	// after the delete: the data is now unreachable and can be dropped.
	if err := db.kv.DropPrefix(tablePrefix(def.ID)); err != nil {
		return nil, internalError("drop table data", err)
	}
	return def.describe(), nil
}
