package dynamodbapi

import (
	"context"

	"github.com/shoaldb/shoal/engine"
)

// Access describes one thing a request is about to do, for the Authorizer.
// A request may need several (BatchWriteItem: one per table; every action of
// a transaction).
type Access struct {
	// Principal is what Credentials.SecretFor returned for the request's
	// access key (nil when authentication is off).
	Principal any
	// AccessKeyID is the request's access key id ("" when authentication
	// is off).
	AccessKeyID string
	// Action is the IAM-style action, "dynamodb:<Operation>", e.g.
	// "dynamodb:PutItem"; for an action of a transaction or a batch, the
	// single-item action it performs ("dynamodb:PutItem",
	// "dynamodb:ConditionCheckItem", …), as IAM evaluates them.
	Action string
	// Table is the table's name; Resource its ARN (with "/index/<name>"
	// for an index, "/stream/<label>" for a stream); both empty for
	// ListTables and ListStreams.
	Table    string
	Resource string
	// Index is the index a Query or Scan reads, if any.
	Index string
	// Attributes holds the top-level attributes the request reads or
	// writes, as far as the request says (a projection, an update); nil
	// means every attribute or not known. It is informative: the engine
	// enforces the returned Restriction's Attributes itself.
	Attributes []string
	// Select is the Query or Scan Select value (for dynamodb:Select), or "".
	Select string
	// ReturnValues is the write's ReturnValues (for dynamodb:ReturnValues),
	// or "".
	ReturnValues string
}

// Authorizer decides whether a principal may do something. Authorize is
// called before the engine is asked, once per Access of a request, from
// many goroutines at once; ctx is the request's (it carries the principal
// only as a.Principal: an implementation that reads principals from the
// context puts it there itself).
//
// To allow, it returns a nil error and the fine-grained restriction the
// engine must enforce for this access (nil: none) — the same
// *engine.Restriction the GraphQL resolvers hand to the engine, so policies
// and their conditions (leading keys, attributes) apply unchanged. The
// restriction is passed as the Restrict of every engine input the access
// leads to. To deny, it returns an error: an *Error is sent as it is, an
// error with engine code ACCESS_DENIED as AccessDeniedException, anything
// else as InternalServerError.
type Authorizer interface {
	Authorize(ctx context.Context, a *Access) (*engine.Restriction, error)
}

// AllowAll is the Authorizer that allows everything: the default, for
// tests and embedding; servers use AuthService (package auth's policies).
type AllowAll struct{}

// Authorize implements Authorizer.
func (AllowAll) Authorize(context.Context, *Access) (*engine.Restriction, error) { return nil, nil }

// Scoper may be implemented by an Authorizer that wants to see each
// request whole (to audit it with its outcome, as package auth does).
// Scope is called once per request that passed authentication, before the
// operation, with what Credentials.SecretFor returned (nil, "" when
// authentication is off); the operation runs with the returned context,
// and finish is called with its error (nil on success) once it is done.
type Scoper interface {
	Scope(ctx context.Context, principal any, accessKeyID string) (_ context.Context, finish func(err error))
}
