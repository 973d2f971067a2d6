package resolvers

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shoaldb/shoal/auth"
	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/graph/model"
)

// authorize asks package auth whether the caller may do action on resource
// and returns the fine-grained restriction to pass to the engine. Without
// an auth.Service every call is denied: the handler is secure by default.
func (r *Resolver) authorize(ctx context.Context, action, resource string) (*engine.Restriction, error) {
	if r.Auth == nil {
		return nil, auth.Unauthenticated
	}
	return r.Auth.Authorize(ctx, action, resource)
}

// auditRootFields opens an audit scope around every root field (query,
// mutation, subscription), so that the authorization decisions made while
// resolving it are recorded with the field's outcome.
func auditRootFields(svc *auth.Service) graphql.FieldMiddleware {
	return func(ctx context.Context, next graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if fc == nil {
			return next(ctx)
		}
		switch fc.Object {
		case "Query", "Mutation", "Subscription":
		default:
			return next(ctx)
		}
		ctx, finish := svc.Audit(ctx)
		res, err := next(ctx)
		finish(err)
		return res, err
	}
}

// adminError maps auth's management errors to engine codes.
func adminError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, auth.ErrNotFound):
		return &engine.Error{Code: engine.CodeNotFound, Message: "no such API key or role"}
	case errors.Is(err, auth.ErrBuiltIn):
		return &engine.Error{Code: engine.CodeValidation, Message: err.Error()}
	}
	return err
}

// authorizeAction authorizes one action of a write transaction and sets
// its restriction. A condition check reveals whether a condition holds on
// the stored item, so it needs item:get.
func (r *Resolver) authorizeAction(ctx context.Context, a *engine.TransactAction) error {
	var err error
	switch {
	case a.Put != nil:
		a.Put.Restrict, err = r.authorize(ctx, auth.ActionItemPut, auth.TableResource(a.Put.Table))
	case a.Update != nil:
		a.Update.Restrict, err = r.authorize(ctx, auth.ActionItemUpdate, auth.TableResource(a.Update.Table))
	case a.Delete != nil:
		a.Delete.Restrict, err = r.authorize(ctx, auth.ActionItemDelete, auth.TableResource(a.Delete.Table))
	case a.ConditionCheck != nil:
		a.ConditionCheck.Restrict, err = r.authorize(ctx, auth.ActionItemGet, auth.TableResource(a.ConditionCheck.Table))
	}
	return err
}

func apiKeyOut(k *auth.APIKey) *model.APIKey {
	out := &model.APIKey{ID: k.ID, Name: k.Name, Roles: nonNil(k.Roles), Disabled: k.Disabled, CreatedAt: k.CreatedAt, CreatedBy: k.CreatedBy}
	if !k.ExpiresAt.IsZero() {
		t := k.ExpiresAt
		out.ExpiresAt = &t
	}
	return out
}

func roleOut(r *auth.Role) *model.Role {
	out := &model.Role{Name: r.Name, Statements: make([]model.Statement, len(r.Statements))}
	for i, s := range r.Statements {
		st := model.Statement{Effect: model.Effect(s.Effect), Actions: nonNil(s.Actions), Resources: nonNil(s.Resources)}
		if c := s.Conditions; c != nil {
			st.Conditions = &model.Conditions{LeadingKeys: c.LeadingKeys, Attributes: c.Attributes, SourceIP: c.SourceIP}
		}
		out.Statements[i] = st
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// rawJSON passes stored JSON through; nil for JSON null.
func rawJSON(b json.RawMessage) *model.JSON {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	j := model.NewRaw(b)
	return &j
}
