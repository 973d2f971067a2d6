package dynamodbapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/shoaldb/shoal/auth"
	"github.com/shoaldb/shoal/engine"
)

// AuthService puts the DynamoDB API behind package auth, as the GraphQL
// API is: it is the Credentials (the access key id of a signature is a
// Shoal API key id, the secret access key the key's whole secret form
// shoal_<id>_<secret>) and the Authorizer (roles and policies, with their
// fine-grained conditions as the engine Restriction; every decision
// audited as GraphQL's are) of a Handler:
//
//	a := dynamodbapi.NewAuthService(svc)
//	h := dynamodbapi.New(db, dynamodbapi.Options{Credentials: a, Authorizer: a})
//
// Only keys created with auth.Options.SigningKey set can sign: a key
// created before has no sealed secret and is refused with
// UnrecognizedClientException ("this key predates SigV4 support; create a
// new key"). An unknown, disabled, expired or deleted key is
// UnrecognizedClientException, alike; a wrong secret
// InvalidSignatureException; a denied access AccessDeniedException (400),
// decided before the engine is asked, so a denied caller learns nothing of
// whether a table or item exists.
//
// For development, leave Options.Credentials nil and keep this
// Authorizer: every request, signed or not and whatever its signature, is
// then auth's anonymous principal (the admin role), which the Service
// admits only when opened with auth.Options.InsecureDev (the server
// allows that only on loopback addresses); otherwise every access is
// denied.
type AuthService struct {
	svc *auth.Service
}

// NewAuthService returns the Credentials and Authorizer of svc.
func NewAuthService(svc *auth.Service) *AuthService { return &AuthService{svc: svc} }

// SecretFor implements Credentials: the principal is an *auth.Principal.
func (a *AuthService) SecretFor(ctx context.Context, accessKeyID string) (string, any, error) {
	remote, rid := RequestInfo(ctx)
	secret, p, err := a.svc.SigV4Credentials(ctx, accessKeyID, auth.RemoteAddr(remote), rid)
	switch {
	case err == nil:
		return secret, p, nil
	case errors.Is(err, auth.ErrNoSigV4Secret):
		msg := err.Error()
		if _, m, ok := strings.Cut(msg, auth.ErrNoSigV4Secret.Error()+": "); ok {
			msg = m
		}
		return "", nil, newError(http.StatusBadRequest, typeCoral+"UnrecognizedClientException", msg)
	case errors.Is(err, auth.ErrBadCredentials):
		return "", nil, ErrUnknownKey
	case errors.Is(err, auth.ErrNetworkNotAllowed):
		return "", nil, newError(http.StatusBadRequest, typeCoral+"AccessDeniedException", "the client network is not allowed")
	}
	return "", nil, err
}

// AuthFailed implements AuthFailureObserver: a refused authentication is
// audited (action auth:authenticate, resource "dynamodb:<Operation>").
func (a *AuthService) AuthFailed(ctx context.Context, op string, e *Error) {
	remote, rid := RequestInfo(ctx)
	a.svc.AuditAuthFailure("dynamodb:"+op, auth.RemoteAddr(remote), rid, errors.New(e.Name()+": "+e.Message))
}

// principal is the auth principal of a request: the one SecretFor
// returned, or with authentication off, the anonymous principal when the
// Service allows it.
func (a *AuthService) principal(ctx context.Context, p any) (*auth.Principal, error) {
	if ap, ok := p.(*auth.Principal); ok && ap != nil {
		return ap, nil
	}
	if p != nil {
		return nil, auth.Unauthenticated
	}
	remote, rid := RequestInfo(ctx)
	ap, err := a.svc.Authenticate(ctx, "", auth.RemoteAddr(remote))
	if err != nil {
		return nil, auth.Unauthenticated
	}
	ap.RequestID = rid
	return ap, nil
}

// Scope implements Scoper: the request's principal goes into the context,
// and its authorization decisions are audited with its outcome (see
// auth.Service.Audit).
func (a *AuthService) Scope(ctx context.Context, principal any, _ string) (context.Context, func(error)) {
	if p, err := a.principal(ctx, principal); err == nil {
		ctx = auth.WithPrincipal(ctx, p)
	}
	return a.svc.Audit(ctx)
}

// Authorize implements Authorizer: it maps the access to Shoal's action
// and resource (see ShoalAction) and asks auth.Service.Authorize.
func (a *AuthService) Authorize(ctx context.Context, acc *Access) (*engine.Restriction, error) {
	if _, ok := auth.FromContext(ctx); !ok {
		p, err := a.principal(ctx, acc.Principal)
		if err != nil {
			return nil, err
		}
		ctx = auth.WithPrincipal(ctx, p)
	}
	action, resource, ok := ShoalAction(acc)
	if !ok {
		return nil, &engine.Error{Code: engine.CodeAccessDenied, Message: "access denied: " + acc.Action + " is not supported"}
	}
	return a.svc.Authorize(ctx, action, resource)
}

// ShoalAction maps a DynamoDB access to the action and resource of
// package auth's policies:
//
//	GetItem, BatchGetItem, TransactGetItems' Get,
//	ConditionCheckItem (it reveals a stored item)  item:get     table/T
//	PutItem (also in batches and transactions)     item:put     table/T
//	UpdateItem                                     item:update  table/T
//	DeleteItem                                     item:delete  table/T
//	Query                                          table:query  table/T or table/T/index/I
//	Scan                                           table:scan   table/T or table/T/index/I
//	CreateTable                                    table:create table/T
//	DescribeTable, DescribeTimeToLive              table:describe table/T
//	ListTables, ListStreams (no table)             table:list   *
//	ListStreams (of a table)                       table:describe table/T
//	UpdateTable, UpdateTimeToLive                  table:update table/T
//	DeleteTable                                    table:delete table/T
//	DescribeStream, GetShardIterator, GetRecords   stream:subscribe table/T
//
// ok is false for an action it does not know, which is denied.
func ShoalAction(a *Access) (action, resource string, ok bool) {
	table := auth.TableResource(a.Table)
	switch strings.TrimPrefix(a.Action, "dynamodb:") {
	case "GetItem", "BatchGetItem", "ConditionCheckItem":
		return auth.ActionItemGet, table, true
	case "PutItem":
		return auth.ActionItemPut, table, true
	case "UpdateItem":
		return auth.ActionItemUpdate, table, true
	case "DeleteItem":
		return auth.ActionItemDelete, table, true
	case "Query":
		return auth.ActionTableQuery, auth.IndexResource(a.Table, a.Index), true
	case "Scan":
		return auth.ActionTableScan, auth.IndexResource(a.Table, a.Index), true
	case "CreateTable":
		return auth.ActionTableCreate, table, true
	case "DescribeTable", "DescribeTimeToLive":
		return auth.ActionTableDescribe, table, true
	case "ListTables":
		return auth.ActionTableList, auth.ResourceAll, true
	case "ListStreams":
		if a.Table == "" {
			return auth.ActionTableList, auth.ResourceAll, true
		}
		return auth.ActionTableDescribe, table, true
	case "UpdateTable", "UpdateTimeToLive":
		return auth.ActionTableUpdate, table, true
	case "DeleteTable":
		return auth.ActionTableDelete, table, true
	case "DescribeStream", "GetShardIterator", "GetRecords":
		return auth.ActionSubscribe, table, true
	}
	return "", "", false
}
