package engine

import (
	"time"

	"github.com/shoaldb/shoal/engine/attr"
)

// KeyAttribute names a key attribute and its type, which is S, N or B.
type KeyAttribute struct {
	Name string
	Type attr.Type
}

// KeySchema is a primary key: a partition key and an optional sort key.
type KeySchema struct {
	Partition KeyAttribute
	// Sort is nil for a table with a simple primary key.
	Sort *KeyAttribute
}

// ProjectionType says which attributes an index stores.
type ProjectionType string

// The projection types.
const (
	// ProjectAll stores every attribute of the item.
	ProjectAll ProjectionType = "ALL"
	// ProjectKeysOnly stores the table's and the index's key attributes.
	ProjectKeysOnly ProjectionType = "KEYS_ONLY"
	// ProjectInclude stores the keys and the listed non-key attributes.
	ProjectInclude ProjectionType = "INCLUDE"
)

// Projection is what a secondary index stores of each item.
type Projection struct {
	Type ProjectionType
	// NonKeyAttributes lists the extra attributes of ProjectInclude.
	NonKeyAttributes []string
}

// IndexSpec describes a secondary index to create.
type IndexSpec struct {
	Name      string
	KeySchema KeySchema
	// Projection defaults to ProjectAll.
	Projection Projection
}

// IndexStatus is the life-cycle state of a global secondary index.
type IndexStatus string

// The index states.
const (
	// IndexCreating: the index is being backfilled and cannot be queried.
	IndexCreating IndexStatus = "CREATING"
	// IndexActive: the index is complete and maintained with every write.
	IndexActive IndexStatus = "ACTIVE"
)

// IndexDescription describes an existing secondary index.
type IndexDescription struct {
	IndexSpec
	// Local is true for a local secondary index.
	Local  bool
	Status IndexStatus
}

// StreamViewType says what a change record holds of the item; the empty
// value turns the stream off.
type StreamViewType string

// The stream view types.
const (
	StreamOff            StreamViewType = ""
	StreamKeysOnly       StreamViewType = "KEYS_ONLY"
	StreamNewImage       StreamViewType = "NEW_IMAGE"
	StreamOldImage       StreamViewType = "OLD_IMAGE"
	StreamNewAndOldImage StreamViewType = "NEW_AND_OLD_IMAGES"
)

// TableSpec is what CreateTable needs.
type TableSpec struct {
	Name          string
	KeySchema     KeySchema
	LocalIndexes  []IndexSpec
	GlobalIndexes []IndexSpec
	// StreamView turns on the change stream; StreamOff by default.
	StreamView StreamViewType
	// TTLAttribute names the attribute holding each item's expiry time in
	// epoch seconds; empty turns TTL off.
	TTLAttribute string
	// PITR turns point-in-time recovery on; PITRRetention is its window
	// (0: Options.PITRRetention, 7 days by default; at most 35 days).
	PITR          bool
	PITRRetention time.Duration
	// Replicas makes the table global (see docs/GLOBAL_TABLES.md): the
	// regions holding a replica, with their addresses. The server's own
	// region is added when missing. Needs Options.Region.
	Replicas []Replica
}

// TableDescription describes an existing table.
type TableDescription struct {
	Name      string
	KeySchema KeySchema
	// ID identifies the table's storage; ids are never reused.
	ID            uint64
	LocalIndexes  []IndexDescription
	GlobalIndexes []IndexDescription
	StreamView    StreamViewType
	TTLAttribute  string
	CreatedAt     time.Time
	// Version counts changes to the definition, from 1 at creation.
	Version uint64
	// PITR says whether point-in-time recovery is on; PITRRetention is the
	// window the table asked for (0: the server's default).
	PITR          bool
	PITRRetention time.Duration
	// Restoring is true while a restore loads the table; writes are
	// refused until it ends.
	Restoring bool
	// Replicas lists the regions of a global table (this one included);
	// empty for a regional table.
	Replicas []Replica
}
