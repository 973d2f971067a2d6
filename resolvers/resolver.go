package resolvers

import (
	"github.com/shoaldb/shoal/engine"
)

// Resolver is the root resolver: it maps GraphQL inputs onto calls of an
// engine.DB and holds no other state. It is safe for concurrent use.
type Resolver struct {
	DB *engine.DB
}
