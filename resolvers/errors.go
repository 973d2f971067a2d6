package resolvers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
	"github.com/shoaldb/shoal/graph/model"
)

// Error codes of the GraphQL layer itself, beside the engine's codes. The
// codes gqlgen sets on protocol errors (GRAPHQL_PARSE_FAILED,
// GRAPHQL_VALIDATION_FAILED, COMPLEXITY_LIMIT_EXCEEDED,
// PERSISTED_QUERY_NOT_FOUND) are kept as they are.
const (
	// CodeIntrospectionDisabled: __schema or __type asked of a server with
	// introspection off.
	CodeIntrospectionDisabled = "INTROSPECTION_DISABLED"
	// CodeDepthLimitExceeded: the operation nests deeper than the limit.
	CodeDepthLimitExceeded = "DEPTH_LIMIT_EXCEEDED"
)

// presenter is the one ErrorPresenter: every error of a request passes
// through it. It sets extensions.code (engine.CodeOf for engine errors,
// VALIDATION for inputs that could not be decoded), keeps the field path,
// and adds extensions.item for a failed condition that returned the stored
// item, and extensions.reasons for a canceled transaction.
type presenter struct {
	log *slog.Logger
}

func (p presenter) present(ctx context.Context, err error) *gqlerror.Error {
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	if _, ok := gqlErr.Extensions["code"]; ok {
		return gqlErr // a protocol error gqlgen already classified
	}
	code := codeOf(err)
	if gqlErr.Extensions == nil {
		gqlErr.Extensions = make(map[string]any, 2)
	}
	gqlErr.Extensions["code"] = string(code)
	gqlErr.Message = strings.TrimPrefix(gqlErr.Message, "engine: ")

	var e *engine.Error
	if errors.As(err, &e) {
		var te typedError
		typed := errors.As(err, &te)
		if e.Item != nil {
			gqlErr.Extensions["item"] = itemJSON(e.Item, typed)
		}
		if e.Reasons != nil {
			reasons := make([]map[string]any, len(e.Reasons))
			for i, r := range e.Reasons {
				m := map[string]any{"code": r.Code}
				if r.Message != "" {
					m["message"] = r.Message
				}
				if r.Item != nil {
					m["item"] = itemJSON(r.Item, typed)
				}
				reasons[i] = m
			}
			gqlErr.Extensions["reasons"] = reasons
		}
	}
	if code == engine.CodeInternal && p.log != nil {
		p.log.ErrorContext(ctx, "internal error", "err", err, "path", gqlErr.Path.String())
	}
	return gqlErr
}

// codeOf classifies err: input errors of this layer are VALIDATION, the
// rest as engine.CodeOf says.
func codeOf(err error) engine.Code {
	var ie *model.InputError
	if errors.As(err, &ie) {
		return engine.CodeValidation
	}
	var ee *engine.Error
	var ae *attr.Error
	var xe *expr.Error
	if errors.As(err, &ee) || errors.As(err, &ae) || errors.As(err, &xe) {
		return engine.CodeOf(err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return engine.CodeOf(err)
	}
	// Errors gqlgen raises while decoding arguments (a string where an Int
	// goes inside a JSON-free input, say) are input errors too.
	var gqlErr *gqlerror.Error
	if errors.As(err, &gqlErr) && gqlErr.Err == nil {
		return engine.CodeValidation
	}
	return engine.CodeOf(err)
}

func itemJSON(m attr.Item, typed bool) json.RawMessage {
	return json.RawMessage(model.NewItem(m, typed).AppendJSON(nil))
}

// recoverFunc turns a panic in a resolver into an INTERNAL error, logged
// with its stack.
func (p presenter) recover(ctx context.Context, v any) error {
	if p.log != nil {
		p.log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	}
	return &engine.Error{Code: engine.CodeInternal, Message: "internal error"}
}
