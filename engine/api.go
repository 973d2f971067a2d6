package engine

import (
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
)

// ReturnValues says which attributes a write returns.
type ReturnValues string

// The ReturnValues options, as DynamoDB defines them.
const (
	ReturnNone       ReturnValues = "NONE"        // nothing (the default)
	ReturnAllOld     ReturnValues = "ALL_OLD"     // the item as it was before the write
	ReturnUpdatedOld ReturnValues = "UPDATED_OLD" // the updated attributes, as they were
	ReturnAllNew     ReturnValues = "ALL_NEW"     // the item as it is after the write
	ReturnUpdatedNew ReturnValues = "UPDATED_NEW" // the updated attributes, as they are
)

// GetItemInput is a request for one item by its primary key.
type GetItemInput struct {
	Table string
	// Key holds exactly the table's key attributes.
	Key attr.Item
	// Projection selects attributes; nil returns the whole item.
	Projection expr.Projection
	// ConsistentRead is accepted for compatibility: every read of a
	// single-node Shoal is strongly consistent.
	ConsistentRead bool
	// Restrict narrows what the request may touch (see Restriction); nil
	// restricts nothing.
	Restrict *Restriction
}

// PutItemInput creates or replaces an item.
type PutItemInput struct {
	Table string
	Item  attr.Item
	// Condition must hold for the stored item (nil: the item may be
	// absent); nil writes unconditionally.
	Condition expr.Condition
	// ReturnValues may be ReturnNone or ReturnAllOld.
	ReturnValues ReturnValues
	// ReturnOldOnConditionFailure puts the stored item into the
	// CONDITIONAL_CHECK_FAILED error.
	ReturnOldOnConditionFailure bool
	// Restrict narrows what the request may touch (see Restriction); nil
	// restricts nothing.
	Restrict *Restriction
}

// UpdateItemInput edits (or creates) an item with an update expression.
type UpdateItemInput struct {
	Table  string
	Key    attr.Item
	Update *expr.Update
	// Condition, ReturnValues, ReturnOldOnConditionFailure: as for PutItem;
	// every ReturnValues option is allowed.
	Condition                   expr.Condition
	ReturnValues                ReturnValues
	ReturnOldOnConditionFailure bool
	// Restrict narrows what the request may touch (see Restriction); nil
	// restricts nothing.
	Restrict *Restriction
}

// DeleteItemInput removes an item.
type DeleteItemInput struct {
	Table                       string
	Key                         attr.Item
	Condition                   expr.Condition
	ReturnValues                ReturnValues // ReturnNone or ReturnAllOld
	ReturnOldOnConditionFailure bool
	// Restrict narrows what the request may touch (see Restriction); nil
	// restricts nothing.
	Restrict *Restriction
}

// WriteOutput is what a write returns.
type WriteOutput struct {
	// Attributes is chosen by the request's ReturnValues; nil for
	// ReturnNone or when there is nothing to return.
	Attributes attr.Item
}

// QueryInput reads the items of one partition, in sort-key order.
type QueryInput struct {
	Table string
	// Index names a secondary index to query instead of the table.
	Index string
	// KeyCondition gives the partition key value and an optional sort-key
	// condition, on the table's or the index's key.
	KeyCondition *expr.KeyCondition
	Paging
}

// ScanInput reads a whole table or index, or one segment of it.
type ScanInput struct {
	Table string
	Index string
	// Segment and TotalSegments split a scan into disjoint parts whose union
	// is the whole table; TotalSegments 0 means no split.
	Segment       int
	TotalSegments int
	Paging
}

// Paging holds what Query and Scan share.
type Paging struct {
	// Filter drops items after they are read; dropped items still count in
	// ScannedCount and against Limit unless LimitMatches is set.
	Filter     expr.Condition
	Projection expr.Projection
	// Backward reads in descending key order (ScanIndexForward=false).
	Backward bool
	// Limit caps the items read (DynamoDB's semantics) or, with
	// LimitMatches, the items returned; 0 means no cap other than MaxPageBytes.
	Limit int
	// LimitMatches makes Limit count matching items (the GraphQL API's
	// semantics) instead of evaluated items.
	LimitMatches bool
	// CountOnly returns counts without items (Select=COUNT).
	CountOnly bool
	// After resumes after a cursor from an earlier page of the same request.
	After []byte
	// ExclusiveStartKey resumes after the item with this key (DynamoDB's
	// form of a cursor); at most one of After and ExclusiveStartKey is set.
	ExclusiveStartKey attr.Item
	// ConsistentRead is accepted for compatibility (see GetItemInput).
	ConsistentRead bool
	// Restrict narrows what the request may read (see Restriction): with
	// PartitionKeys, a scan or a global-index query skips the rows of other
	// partitions; nil restricts nothing.
	Restrict *Restriction
}

// MaxPageBytes caps the data a Query or Scan reads for one page, as
// DynamoDB does (1 MB).
const MaxPageBytes = 1 << 20

// Page is one page of a Query or Scan.
type Page struct {
	// Items holds the matching items, projected; nil with CountOnly.
	Items []attr.Item
	// Count is the number of matching items; ScannedCount, the number read.
	Count        int
	ScannedCount int
	// ReadBytes is the stored size of the items read for the page (the
	// basis of DynamoDB's read capacity accounting).
	ReadBytes int
	// LastEvaluatedKey is the key of the last item read when more may
	// follow (table key plus index key), nil at the end.
	LastEvaluatedKey attr.Item
	// Cursor is the opaque form of LastEvaluatedKey, for Paging.After.
	Cursor []byte
}

// UpdateTableInput changes a table's settings; nil fields stay as they are.
type UpdateTableInput struct {
	Name string
	// CreateGlobalIndexes adds indexes, backfilled in the background.
	CreateGlobalIndexes []IndexSpec
	// DeleteGlobalIndexes removes indexes by name.
	DeleteGlobalIndexes []string
	// StreamView sets the stream view type; StreamOff turns it off.
	StreamView *StreamViewType
	// TTLAttribute sets the TTL attribute; "" turns TTL off.
	TTLAttribute *string
	// PITR turns point-in-time recovery on or off; PITRRetention sets its
	// window (0: the server's default).
	PITR          *bool
	PITRRetention *time.Duration
	// Replicas, when set, replaces the table's replica set (see
	// TableSpec.Replicas); an empty list makes a global table regional
	// again. Regions added to a table are seeded from this region.
	Replicas *[]Replica
	// settings is set when a replica adopts a newer replicated definition.
	settings *GlobalSettings
}

// BatchGetInput reads up to 100 items from one or more tables.
type BatchGetInput struct {
	Requests []BatchGetRequest
}

// BatchGetRequest is the part of a batch read that concerns one table.
type BatchGetRequest struct {
	Table          string
	Keys           []attr.Item
	Projection     expr.Projection
	ConsistentRead bool
	// Restrict narrows what the request may touch (see Restriction); nil
	// restricts nothing.
	Restrict *Restriction
}

// BatchGetOutput holds the items found, by table, and what was not read.
type BatchGetOutput struct {
	// Responses maps a table name to the items found there, in no
	// particular order; keys that match no item are simply absent.
	Responses map[string][]attr.Item
	// Unprocessed holds the keys that were not read (for example when the
	// response would exceed 16 MB); retry them.
	Unprocessed []BatchGetRequest
}

// WriteRequest is one put or delete of a batch write: exactly one of Put and
// DeleteKey is set.
type WriteRequest struct {
	Table     string
	Put       attr.Item
	DeleteKey attr.Item
	// Restrict narrows what the request may touch (see Restriction); nil
	// restricts nothing.
	Restrict *Restriction
}

// BatchWriteInput writes up to 25 items over one or more tables, each
// independently (not atomic).
type BatchWriteInput struct {
	Requests []WriteRequest
}

// BatchWriteOutput lists the requests that were not applied; retry them.
type BatchWriteOutput struct {
	Unprocessed []WriteRequest
}

// ConditionCheckInput checks a condition on an item inside a transaction,
// without writing it.
type ConditionCheckInput struct {
	Table                       string
	Key                         attr.Item
	Condition                   expr.Condition
	ReturnOldOnConditionFailure bool
	// Restrict narrows what the request may touch (see Restriction); nil
	// restricts nothing.
	Restrict *Restriction
}

// TransactAction is one action of a write transaction: exactly one field is
// set.
type TransactAction struct {
	Put            *PutItemInput
	Update         *UpdateItemInput
	Delete         *DeleteItemInput
	ConditionCheck *ConditionCheckInput
}

// TransactWriteInput applies up to 100 actions atomically.
type TransactWriteInput struct {
	Actions []TransactAction
	// ClientRequestToken makes a retry within 10 minutes idempotent: the
	// same token with the same request succeeds without writing again; with
	// a different request it fails with CodeIdempotentParameterMismatch.
	ClientRequestToken string
}
