package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// decodeJSON decodes like gqlgen's HTTP transports: numbers stay
// json.Number so Int and Float inputs keep their precision.
func decodeJSON(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// decodeParams decodes a subscribe/start payload.
func decodeParams(raw json.RawMessage) (*graphql.RawParams, error) {
	if !isObject(raw) {
		return nil, errors.New("payload must be an object")
	}
	params := &graphql.RawParams{}
	if err := decodeJSON(raw, params); err != nil {
		return nil, fmt.Errorf("invalid payload: %w", err)
	}
	return params, nil
}

// startLocked registers and starts operation id. c.mu must be held.
func (c *conn) startLocked(id string, params *graphql.RawParams, start time.Time) {
	ctx, cancel := context.WithCancelCause(c.initCtx)
	op := &operation{cancel: cancel}
	c.ops[id] = op
	c.wg.Add(1)
	go c.run(ctx, id, op, params, start)
}

// run executes one operation the way gqlgen's own transports do and streams
// its responses. Each send selects on the operation's context, so a client
// complete, a connection close or a stalled writer never leaves it blocked;
// while it waits for the writer it does not pull the next response, so
// backpressure lands on the resolver's channel.
func (c *conn) run(ctx context.Context, id string, op *operation, params *graphql.RawParams, start time.Time) {
	defer c.wg.Done()
	defer op.cancel(nil)
	defer c.free(id, op)
	// The InitFunc context need not derive from the connection's.
	defer context.AfterFunc(c.ctx, func() { op.cancel(context.Cause(c.ctx)) })()

	errs := &opErrors{}
	ctx = context.WithValue(ctx, opErrorsKey, errs)
	ctx = graphql.StartOperationTrace(ctx)
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	params.Headers = c.headers

	var rc *graphql.OperationContext
	defer func() {
		if r := recover(); r != nil {
			c.end(ctx, id, op, gqlerror.List{recovered(ctx, rc, r)})
		}
	}()

	rc, gerrs := c.exec.CreateOperationContext(ctx, params)
	if gerrs != nil {
		resp := c.exec.DispatchError(graphql.WithOperationContext(ctx, rc), gerrs)
		if errcode.GetErrorKind(gerrs) == errcode.KindProtocol {
			// Parse and validation errors: an "error" message.
			c.end(ctx, id, op, resp.Errors)
			return
		}
		// Errors from operation interceptors: a result carrying errors.
		if c.sendResult(ctx, id, op, resp) {
			c.end(ctx, id, op, nil)
		}
		return
	}

	ctx = graphql.WithOperationContext(ctx, rc)
	responses, rctx := c.exec.DispatchOperation(ctx, rc)
	for {
		resp := responses(rctx)
		if resp == nil {
			break
		}
		if !c.sendResult(ctx, id, op, resp) {
			return
		}
	}
	c.end(ctx, id, op, errs.list())
}

// recovered turns a panic value into a GraphQL error.
func recovered(ctx context.Context, rc *graphql.OperationContext, r any) *gqlerror.Error {
	var err error
	if rc != nil && rc.RecoverFunc != nil {
		err = rc.Recover(ctx, r)
	} else {
		err = graphql.DefaultRecover(ctx, r)
	}
	var gqlErr *gqlerror.Error
	if errors.As(err, &gqlErr) {
		return gqlErr
	}
	if err == nil {
		return &gqlerror.Error{Message: "internal system error"}
	}
	return &gqlerror.Error{Message: err.Error()}
}

// sendResult sends one execution result as next (or data). It reports
// whether the operation may continue.
func (c *conn) sendResult(ctx context.Context, id string, op *operation, resp *graphql.Response) bool {
	b, err := json.Marshal(resp)
	if err != nil {
		c.end(ctx, id, op, gqlerror.List{{Message: fmt.Sprintf("encode response: %v", err)}})
		return false
	}
	t := msgNext
	if c.legacy {
		t = msgData
	}
	return c.send(ctx, encode(message{ID: id, Type: t, Payload: b}))
}

// free releases id if it still belongs to op.
func (c *conn) free(id string, op *operation) {
	c.mu.Lock()
	if op != nil && c.ops[id] == op {
		delete(c.ops, id)
	}
	c.mu.Unlock()
}

// end finishes operation id: it frees the id, then sends "error" with errs
// or "complete". Nothing is sent once the operation's context is done (the
// client completed it, or the connection is closing).
func (c *conn) end(ctx context.Context, id string, op *operation, errs gqlerror.List) {
	// Free the id before answering: a client may reuse it as soon as it
	// sees complete.
	c.free(id, op)
	if len(errs) > 0 {
		b, err := json.Marshal(errs)
		if err != nil {
			b = errorList("internal system error")
		}
		c.send(ctx, encode(message{ID: id, Type: msgError, Payload: b}))
		if !c.legacy {
			return // graphql-transport-ws: error terminates the operation
		}
	}
	c.send(ctx, encode(message{ID: id, Type: msgComplete}))
}
