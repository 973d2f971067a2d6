package resolvers

import (
	"context"
	"github.com/shoaldb/shoal/replication"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shoaldb/shoal/auth"
	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/graph"
)

// HandlerOptions configures NewHandler. The zero value works.
type HandlerOptions struct {
	// ComplexityLimit caps an operation's complexity (see complexity.go);
	// default 10000.
	ComplexityLimit int
	// DepthLimit caps how deeply an operation's selections nest (fields
	// inside fields, fragments expanded; introspection fields exempt);
	// default 12.
	DepthLimit int
	// QueryCacheSize is the number of parsed and validated query documents
	// kept (LRU); default 1000.
	QueryCacheSize int
	// APQCacheSize is the number of automatic persisted queries kept (LRU);
	// default 1000.
	APQCacheSize int
	// Introspection allows __schema and __type queries; off by default
	// here, on by default in the server (turn it off in production).
	Introspection bool
	// Logger receives internal errors and panics; default slog.Default().
	Logger *slog.Logger
	// Metrics, if not nil, counts requests, latencies and errors.
	Metrics *Metrics
	// Auth authorizes every field and records the audit log. Requests must
	// reach the handler through Auth.Middleware (or, for WebSockets, with
	// Auth.InitFunc) so that their context holds a principal. Nil denies
	// every call with ACCESS_DENIED.
	Auth *auth.Service
	// Replication, if not nil, reports replica status and lag of global
	// tables.
	Replication *replication.Manager
}

func (o *HandlerOptions) fill() {
	if o.ComplexityLimit <= 0 {
		o.ComplexityLimit = 10000
	}
	if o.DepthLimit <= 0 {
		o.DepthLimit = 12
	}
	if o.QueryCacheSize <= 0 {
		o.QueryCacheSize = 1000
	}
	if o.APQCacheSize <= 0 {
		o.APQCacheSize = 1000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// NewHandler returns the GraphQL handler of db: GET and POST transports
// (variables decoded with UseNumber, so numbers stay exact), a query cache,
// automatic persisted queries, complexity and depth limits, the error
// presenter, and introspection if asked for. More transports (WebSocket) can
// be added with AddTransport, and more extensions with Use.
func NewHandler(db *engine.DB, opts HandlerOptions) *handler.Server {
	opts.fill()
	cfg := graph.Config{Resolvers: &Resolver{DB: db, Auth: opts.Auth, Replication: opts.Replication}}
	setComplexity(&cfg.Complexity)
	srv := handler.New(graph.NewExecutableSchema(cfg))

	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(postTransport{})

	srv.SetQueryCache(lru.New[*ast.QueryDocument](opts.QueryCacheSize))
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.Use(noIntrospection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](opts.APQCacheSize)})
	srv.Use(extension.FixedComplexityLimit(opts.ComplexityLimit))
	srv.Use(DepthLimit{Limit: opts.DepthLimit})
	if opts.Metrics != nil {
		srv.Use(opts.Metrics)
	}
	if opts.Auth != nil {
		srv.AroundFields(auditRootFields(opts.Auth))
	}

	p := presenter{log: opts.Logger}
	srv.SetErrorPresenter(p.present)
	srv.SetRecoverFunc(p.recover)
	return srv
}

// DepthLimit is a gqlgen extension that rejects operations whose
// selections nest deeper than Limit (gqlgen has no depth limit of its
// own). Fragments count as their fields; introspection fields (__schema,
// __type) are exempt, so GraphiQL's introspection query passes.
type DepthLimit struct {
	Limit int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = DepthLimit{}

// ExtensionName names the extension.
func (DepthLimit) ExtensionName() string { return "DepthLimit" }

// Validate accepts any schema.
func (DepthLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext measures the operation's depth.
func (d DepthLimit) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	depth := selectionDepth(opCtx.Operation.SelectionSet, opCtx.Doc.Fragments, 0, true)
	if depth > d.Limit {
		err := gqlerror.Errorf("operation has depth %d, which exceeds the limit of %d", depth, d.Limit)
		err.Extensions = map[string]any{"code": CodeDepthLimitExceeded}
		return err
	}
	return nil
}

// selectionDepth returns the deepest nesting of fields in set. seen guards
// against fragment cycles (which validation rejects anyway) by a depth cap.
func selectionDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList, level int, root bool) int {
	if level > 1000 {
		return level
	}
	max := level
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if root && (s.Name == "__schema" || s.Name == "__type") {
				continue
			}
			d = selectionDepth(s.SelectionSet, frags, level+1, false)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, frags, level, root)
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil {
				d = selectionDepth(f.SelectionSet, frags, level, root)
			}
		}
		if d > max {
			max = d
		}
	}
	return max
}

// elapsed returns the time since the operation started.
func elapsed(ctx context.Context) time.Duration {
	if !graphql.HasOperationContext(ctx) {
		return 0
	}
	start := graphql.GetOperationContext(ctx).Stats.OperationStart
	if start.IsZero() {
		return 0
	}
	return time.Since(start)
}

// noIntrospection rejects operations that ask for __schema or __type when
// introspection is off, before execution, with the code
// INTROSPECTION_DISABLED (gqlgen itself would answer each field with an
// uncoded error).
type noIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = noIntrospection{}

func (noIntrospection) ExtensionName() string                   { return "NoIntrospection" }
func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

func (noIntrospection) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	var found bool
	var walk func(ast.SelectionSet, int)
	walk = func(set ast.SelectionSet, level int) {
		if level > 100 {
			return
		}
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name == "__schema" || s.Name == "__type" {
					found = true
				}
			case *ast.InlineFragment:
				walk(s.SelectionSet, level+1)
			case *ast.FragmentSpread:
				if f := opCtx.Doc.Fragments.ForName(s.Name); f != nil {
					walk(f.SelectionSet, level+1)
				}
			}
		}
	}
	walk(opCtx.Operation.SelectionSet, 0)
	if !found {
		return nil
	}
	err := gqlerror.Errorf("introspection is disabled on this server")
	err.Extensions = map[string]any{"code": CodeIntrospectionDisabled}
	return err
}
