// Package engine is Shoal's database: DynamoDB's data model — tables of
// flexible items with a partition key and an optional sort key, local and
// global secondary indexes, conditional writes, batches and transactions,
// TTL, change streams, backups and point-in-time recovery, global tables —
// on one Badger directory. It knows nothing of GraphQL or of DynamoDB's wire
// protocol: package resolvers and package dynamodbapi map their requests
// onto the Go API here.
//
// Items are attr.Item values (package attr); conditions, updates,
// projections and key conditions are ASTs of package expr. Every write runs
// in one Badger transaction that also maintains the table's indexes, its
// TTL schedule and its change log, so none of them can disagree with the
// items. Errors are *Error values with a stable Code (CodeNotFound,
// CodeConditionalCheckFailed, …); CodeOf (or errors.As) tells them apart.
// docs/ARCHITECTURE.md describes the storage layout and the write path.
//
// A DB is safe for concurrent use. Background work (the TTL sweeper, index
// backfills, change-log trimming, PITR snapshots, tombstone collection of
// global tables) runs from Open to Close.
//
// # Usage
//
//	db, err := engine.Open(engine.Options{Dir: "data"})
//	if err != nil { … }
//	defer db.Close()
//
//	_, err = db.CreateTable(ctx, engine.TableSpec{Name: "Orders",
//		KeySchema: engine.KeySchema{
//			Partition: engine.KeyAttribute{Name: "user", Type: attr.TypeS},
//			Sort:      &engine.KeyAttribute{Name: "id", Type: attr.TypeN}}})
//	_, err = db.PutItem(ctx, engine.PutItemInput{Table: "Orders", Item: item})
//	page, err := db.Query(ctx, engine.QueryInput{Table: "Orders", KeyCondition: kc})
//
// See the package example for a complete program.
package engine
