// Package model holds the Go types of Shoal's GraphQL schema: the models
// gqlgen generates (models_gen.go) and the hand-written marshalers of the
// JSON and Cursor scalars (scalars.go).
//
// # Usage
//
// Resolvers convert a JSON input with ToItem or ToValue, choosing Shoal JSON
// or DynamoDB JSON by the operation's typed flag, and build outputs with
// NewItem:
//
//	key, err := in.Key.ToItem(in.Typed)
//	...
//	out := model.NewItem(item, typed)
package model
