package resolvers

import (
	"github.com/shoaldb/shoal/auth"
	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/replication"
)

// Resolver is the root resolver: it maps GraphQL inputs onto calls of an
// engine.DB, after asking Auth whether the caller may make them, and holds
// no other state. It is safe for concurrent use.
type Resolver struct {
	DB *engine.DB
	// Auth authorizes every call; nil denies every call.
	Auth *auth.Service
	// Replication reports the state of global tables' replicas; nil
	// reports them as UNKNOWN.
	Replication *replication.Manager
}
