// Package resolvers maps Shoal's GraphQL API onto the engine: the resolvers
// gqlgen calls (schema.resolvers.go), the mapping of structured inputs to the
// expression AST (convert.go), the one error presenter that turns engine
// errors into GraphQL errors with extensions.code (errors.go), and the
// assembly of the GraphQL HTTP handler with its protections (handler.go).
//
// Resolvers hold no business logic: every rule about data lives in engine.
//
// # Usage
//
//	db, err := engine.Open(engine.Options{Dir: dir})
//	...
//	h := resolvers.NewHandler(db, resolvers.HandlerOptions{Introspection: true})
//	http.Handle("/graphql", h)
package resolvers
