package ws

import (
	"context"
	"sync"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// contextKey is the type of this package's context keys.
type contextKey struct{ name string }

var (
	initPayloadKey = &contextKey{"init-payload"}
	opErrorsKey    = &contextKey{"operation-errors"}
)

// InitPayload returns the payload of the connection_init message of the
// connection that ctx's operation runs on, or nil. The map is shared by all
// operations of the connection and must not be modified.
func InitPayload(ctx context.Context) map[string]any {
	p, _ := ctx.Value(initPayloadKey).(map[string]any)
	return p
}

// opErrors collects errors a subscription resolver reports after it returned
// its channel.
type opErrors struct {
	mu   sync.Mutex
	errs gqlerror.List
}

// AddSubscriptionError records err for the operation ctx belongs to. When the
// subscription's channel is closed, the transport sends an "error" message
// with the recorded errors instead of "complete". It reports whether ctx
// belongs to an operation of this transport; it is safe for concurrent use.
func AddSubscriptionError(ctx context.Context, err *gqlerror.Error) bool {
	e, ok := ctx.Value(opErrorsKey).(*opErrors)
	if !ok || err == nil {
		return false
	}
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
	return true
}

func (e *opErrors) list() gqlerror.List {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.errs
}
