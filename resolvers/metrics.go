package resolvers

import (
	"context"
	"sort"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
)

// Metrics is a gqlgen extension that counts GraphQL operations, their
// latency and their errors, in Prometheus collectors:
//
//	shoal_graphql_requests_total{type, operation}
//	shoal_graphql_request_duration_seconds{type, operation}  (histogram)
//	shoal_graphql_errors_total{code}
//
// operation is the root field of the operation ("item", "putItem"), the
// root fields joined by "+" in name order when there are several, or
// "invalid" for a request that did not make a valid operation; labels come
// from the schema, never from client-chosen operation names, so their
// number is bounded.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoal_graphql_requests_total",
			Help: "GraphQL operations handled, by operation type and root field.",
		}, []string{"type", "operation"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shoal_graphql_request_duration_seconds",
			Help:    "Latency of GraphQL operations, by operation type and root field.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"type", "operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoal_graphql_errors_total",
			Help: "GraphQL errors returned, by extensions.code.",
		}, []string{"code"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.errors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = (*Metrics)(nil)

// ExtensionName names the extension.
func (*Metrics) ExtensionName() string { return "Metrics" }

// Validate accepts any schema.
func (*Metrics) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse records one response.
func (m *Metrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	typ, op := "unknown", "invalid"
	if graphql.HasOperationContext(ctx) {
		if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil {
			typ, op = string(oc.Operation.Operation), operationLabel(oc.Operation.SelectionSet, oc.Doc)
		}
	}
	m.requests.WithLabelValues(typ, op).Inc()
	m.duration.WithLabelValues(typ, op).Observe(elapsed(ctx).Seconds())
	if resp != nil {
		for _, e := range resp.Errors {
			code, _ := e.Extensions["code"].(string)
			if code == "" {
				code = "UNKNOWN"
			}
			m.errors.WithLabelValues(code).Inc()
		}
	}
	return resp
}

// operationLabel names an operation by its root fields.
func operationLabel(set ast.SelectionSet, doc *ast.QueryDocument) string {
	var names []string
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				names = append(names, s.Name)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if doc != nil {
					if f := doc.Fragments.ForName(s.Name); f != nil && len(names) < 32 {
						walk(f.SelectionSet)
					}
				}
			}
		}
	}
	walk(set)
	if len(names) == 1 {
		return names[0]
	}
	sort.Strings(names)
	names = compact(names)
	return strings.Join(names, "+")
}

func compact(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
