package dynamodbapi

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
)

// ---------------------------------------------------------------- BatchGetItem

type keysAndAttributes struct {
	Keys []jsonItem `json:"Keys"`
	exprAttributes
	ProjectionExpression string   `json:"ProjectionExpression,omitempty"`
	AttributesToGet      []string `json:"AttributesToGet,omitempty"`
	ConsistentRead       bool     `json:"ConsistentRead,omitempty"`
}

type batchGetInput struct {
	RequestItems           map[string]*keysAndAttributes `json:"RequestItems"`
	ReturnConsumedCapacity string                        `json:"ReturnConsumedCapacity"`
}

type batchGetOutput struct {
	Responses        map[string][]jsonItem         `json:"Responses"`
	UnprocessedKeys  map[string]*keysAndAttributes `json:"UnprocessedKeys"`
	ConsumedCapacity []*consumedCapacity           `json:"ConsumedCapacity,omitempty"`
}

func (h *Handler) batchGetItem(ctx context.Context, c *call) (any, error) {
	var in batchGetInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if len(in.RequestItems) == 0 {
		return nil, validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if err := c.checkCapacity(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	tables := slices.Sorted(maps.Keys(in.RequestItems))
	var req engine.BatchGetInput
	projections := map[string]expr.Projection{}
	restricted := map[string]bool{}
	for _, t := range tables {
		ka := in.RequestItems[t]
		if ka == nil || len(ka.Keys) == 0 {
			return nil, validation("1 validation error detected: Value null at 'requestItems." + t + ".member.keys' failed to satisfy constraint: Member must not be null")
		}
		p := ka.params()
		proj, err := projection(p, &ka.exprAttributes, ka.ProjectionExpression, ka.AttributesToGet)
		if err != nil {
			return nil, err
		}
		if err := checkParams(&ka.exprAttributes, p, ka.ProjectionExpression != ""); err != nil {
			return nil, err
		}
		keys := make([]attr.Item, len(ka.Keys))
		for i, k := range ka.Keys {
			keys[i] = attr.Item(k)
		}
		restrict, err := h.authorize(ctx, c, &Access{Action: "dynamodb:BatchGetItem", Table: t, Attributes: projectionNames(proj)})
		if err != nil {
			return nil, err
		}
		projections[t] = proj
		restricted[t] = restrict != nil
		if c.wantsCapacity() && restrict == nil {
			proj = nil // the whole items' sizes are the cost
		}
		req.Requests = append(req.Requests, engine.BatchGetRequest{Table: t, Keys: keys, Projection: proj, ConsistentRead: ka.ConsistentRead, Restrict: restrict})
	}
	res, err := h.db.BatchGetItem(ctx, req)
	if err != nil {
		if engine.CodeOf(err) == engine.CodeValidation && len(req.Requests) > 0 {
			total := 0
			for _, r := range req.Requests {
				total += len(r.Keys)
			}
			if total > engine.MaxBatchGetKeys {
				return nil, validation("Too many items requested for the BatchGetItem call")
			}
		}
		return nil, err
	}
	out := batchGetOutput{Responses: map[string][]jsonItem{}, UnprocessedKeys: map[string]*keysAndAttributes{}}
	var caps capacityList
	for _, t := range tables {
		found := res.Responses[t]
		consistent := in.RequestItems[t].ConsistentRead
		read := 0.0
		list := make([]jsonItem, 0, len(found))
		for _, it := range found {
			read += itemReadUnits(it, consistent)
			if c.wantsCapacity() && !restricted[t] {
				it = projections[t].Apply(it)
			}
			list = append(list, jsonItem(it))
		}
		out.Responses[t] = list
		caps.add(t, read, 0)
	}
	for _, u := range res.Unprocessed {
		ka := *in.RequestItems[u.Table]
		ka.Keys = make([]jsonItem, len(u.Keys))
		for i, k := range u.Keys {
			ka.Keys[i] = jsonItem(k)
		}
		out.UnprocessedKeys[u.Table] = &ka
	}
	out.ConsumedCapacity = caps.list(c)
	return out, nil
}

// ---------------------------------------------------------------- BatchWriteItem

type writeRequest struct {
	PutRequest    *putRequest    `json:"PutRequest,omitempty"`
	DeleteRequest *deleteRequest `json:"DeleteRequest,omitempty"`
}

type putRequest struct {
	Item jsonItem `json:"Item"`
}

type deleteRequest struct {
	Key jsonItem `json:"Key"`
}

type batchWriteInput struct {
	RequestItems                map[string][]writeRequest `json:"RequestItems"`
	ReturnConsumedCapacity      string                    `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics string                    `json:"ReturnItemCollectionMetrics"`
}

type batchWriteOutput struct {
	UnprocessedItems map[string][]writeRequest `json:"UnprocessedItems"`
	ConsumedCapacity []*consumedCapacity       `json:"ConsumedCapacity,omitempty"`
}

func (h *Handler) batchWriteItem(ctx context.Context, c *call) (any, error) {
	var in batchWriteInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if len(in.RequestItems) == 0 {
		return nil, validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if err := c.checkCapacity(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	var req engine.BatchWriteInput
	var caps capacityList
	total := 0
	for _, t := range slices.Sorted(maps.Keys(in.RequestItems)) {
		total += len(in.RequestItems[t])
	}
	if total > engine.MaxBatchWrites {
		return nil, validation(fmt.Sprintf("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to 1]", engine.MaxBatchWrites))
	}
	for _, t := range slices.Sorted(maps.Keys(in.RequestItems)) {
		// One decision per table and kind of write, asked only when the
		// batch holds such a write.
		var putR, delR *engine.Restriction
		var asked [2]bool
		restriction := func(i int, action string) (*engine.Restriction, error) {
			r := &putR
			if i == 1 {
				r = &delR
			}
			if !asked[i] {
				asked[i] = true
				var err error
				if *r, err = h.authorize(ctx, c, &Access{Action: action, Table: t}); err != nil {
					return nil, err
				}
			}
			return *r, nil
		}
		for _, r := range in.RequestItems[t] {
			switch {
			case r.PutRequest != nil && r.DeleteRequest == nil && r.PutRequest.Item != nil:
				rs, err := restriction(0, "dynamodb:PutItem")
				if err != nil {
					return nil, err
				}
				it := attr.Item(r.PutRequest.Item)
				req.Requests = append(req.Requests, engine.WriteRequest{Table: t, Put: it, Restrict: rs})
				caps.add(t, 0, itemWriteUnits(it, nil))
			case r.DeleteRequest != nil && r.PutRequest == nil && r.DeleteRequest.Key != nil:
				rs, err := restriction(1, "dynamodb:DeleteItem")
				if err != nil {
					return nil, err
				}
				k := attr.Item(r.DeleteRequest.Key)
				req.Requests = append(req.Requests, engine.WriteRequest{Table: t, DeleteKey: k, Restrict: rs})
				caps.add(t, 0, itemWriteUnits(k, nil))
			default:
				return nil, validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
		}
	}
	res, err := h.db.BatchWriteItem(ctx, req)
	if err != nil {
		return nil, err
	}
	out := batchWriteOutput{UnprocessedItems: map[string][]writeRequest{}}
	for _, u := range res.Unprocessed {
		var wr writeRequest
		if u.Put != nil {
			wr.PutRequest = &putRequest{Item: jsonItem(u.Put)}
		} else {
			wr.DeleteRequest = &deleteRequest{Key: jsonItem(u.DeleteKey)}
		}
		out.UnprocessedItems[u.Table] = append(out.UnprocessedItems[u.Table], wr)
	}
	if len(res.Unprocessed) == 0 {
		out.ConsumedCapacity = caps.list(c)
	}
	return out, nil
}

// ---------------------------------------------------------------- TransactWriteItems

type transactWriteItem struct {
	ConditionCheck *transactAction `json:"ConditionCheck"`
	Put            *transactAction `json:"Put"`
	Delete         *transactAction `json:"Delete"`
	Update         *transactAction `json:"Update"`
}

// transactAction holds the members of all four actions.
type transactAction struct {
	TableName string   `json:"TableName"`
	Key       jsonItem `json:"Key"`
	Item      jsonItem `json:"Item"`
	exprAttributes
	ConditionExpression                 string `json:"ConditionExpression"`
	UpdateExpression                    string `json:"UpdateExpression"`
	ReturnValuesOnConditionCheckFailure string `json:"ReturnValuesOnConditionCheckFailure"`
}

type transactWriteInput struct {
	TransactItems               []transactWriteItem `json:"TransactItems"`
	ClientRequestToken          string              `json:"ClientRequestToken"`
	ReturnConsumedCapacity      string              `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics string              `json:"ReturnItemCollectionMetrics"`
}

type transactWriteOutput struct {
	ConsumedCapacity []*consumedCapacity `json:"ConsumedCapacity,omitempty"`
}

func (h *Handler) transactWriteItems(ctx context.Context, c *call) (any, error) {
	var in transactWriteInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := c.checkCapacity(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	if n := len(in.TransactItems); n == 0 || n > engine.MaxTransactItems {
		return nil, validation(fmt.Sprintf("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to %d, Member must have length greater than or equal to 1", engine.MaxTransactItems))
	}
	req := engine.TransactWriteInput{ClientRequestToken: in.ClientRequestToken}
	var caps capacityList
	for _, ti := range in.TransactItems {
		n := 0
		for _, set := range []bool{ti.ConditionCheck != nil, ti.Put != nil, ti.Delete != nil, ti.Update != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return nil, validation("TransactItems can only contain one of Check, Put, Update or Delete")
		}
		act, access, size, err := h.transactAction(ti)
		if err != nil {
			return nil, err
		}
		restrict, err := h.authorize(ctx, c, access)
		if err != nil {
			return nil, err
		}
		switch {
		case act.Put != nil:
			act.Put.Restrict = restrict
		case act.Update != nil:
			act.Update.Restrict = restrict
		case act.Delete != nil:
			act.Delete.Restrict = restrict
		default:
			act.ConditionCheck.Restrict = restrict
		}
		caps.add(access.Table, 0, 2*units(size, writeUnitBytes))
		req.Actions = append(req.Actions, act)
	}
	if err := h.db.TransactWriteItems(ctx, req); err != nil {
		return nil, err
	}
	return transactWriteOutput{ConsumedCapacity: caps.list(c)}, nil
}

// transactAction translates one action of a transaction and says what it
// accesses and the size its cost is computed from.
func (h *Handler) transactAction(ti transactWriteItem) (engine.TransactAction, *Access, int, error) {
	var a *transactAction
	var action string
	switch {
	case ti.ConditionCheck != nil:
		a, action = ti.ConditionCheck, "dynamodb:ConditionCheckItem"
	case ti.Put != nil:
		a, action = ti.Put, "dynamodb:PutItem"
	case ti.Delete != nil:
		a, action = ti.Delete, "dynamodb:DeleteItem"
	default:
		a, action = ti.Update, "dynamodb:UpdateItem"
	}
	var none engine.TransactAction
	if err := needTableName(a.TableName); err != nil {
		return none, nil, 0, err
	}
	returnOld, err := returnOldOnFailure(a.ReturnValuesOnConditionCheckFailure)
	if err != nil {
		return none, nil, 0, err
	}
	p := a.params()
	cond, err := p.Condition(a.ConditionExpression)
	if err != nil {
		return none, nil, 0, err
	}
	key := attr.Item(a.Key)
	access := &Access{Action: action, Table: a.TableName}
	var out engine.TransactAction
	switch {
	case ti.ConditionCheck != nil:
		if cond == nil {
			return none, nil, 0, validation("1 validation error detected: Value null at 'transactItems.1.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null")
		}
		out.ConditionCheck = &engine.ConditionCheckInput{Table: a.TableName, Key: key, Condition: cond, ReturnOldOnConditionFailure: returnOld}
	case ti.Put != nil:
		key = attr.Item(a.Item)
		out.Put = &engine.PutItemInput{Table: a.TableName, Item: key, Condition: cond, ReturnOldOnConditionFailure: returnOld}
		access.Attributes = itemNames(key)
	case ti.Delete != nil:
		out.Delete = &engine.DeleteItemInput{Table: a.TableName, Key: key, Condition: cond, ReturnOldOnConditionFailure: returnOld}
	default:
		if a.UpdateExpression == "" {
			return none, nil, 0, validation("1 validation error detected: Value null at 'transactItems.1.member.update.updateExpression' failed to satisfy constraint: Member must not be null")
		}
		upd, err := p.Update(a.UpdateExpression)
		if err != nil {
			return none, nil, 0, err
		}
		out.Update = &engine.UpdateItemInput{Table: a.TableName, Key: key, Update: upd, Condition: cond, ReturnOldOnConditionFailure: returnOld}
		access.Attributes = updateNames(upd)
	}
	if err := checkParams(&a.exprAttributes, p, a.ConditionExpression != "" || a.UpdateExpression != ""); err != nil {
		return none, nil, 0, err
	}
	return out, access, attr.ItemSize(key), nil
}

// ---------------------------------------------------------------- TransactGetItems

type transactGetInput struct {
	TransactItems []struct {
		Get *struct {
			TableName string   `json:"TableName"`
			Key       jsonItem `json:"Key"`
			exprAttributes
			ProjectionExpression string `json:"ProjectionExpression"`
		} `json:"Get"`
	} `json:"TransactItems"`
	ReturnConsumedCapacity string `json:"ReturnConsumedCapacity"`
}

type itemResponse struct {
	Item jsonItem `json:"Item,omitempty"`
}

type transactGetOutput struct {
	Responses        []itemResponse      `json:"Responses"`
	ConsumedCapacity []*consumedCapacity `json:"ConsumedCapacity,omitempty"`
}

func (h *Handler) transactGetItems(ctx context.Context, c *call) (any, error) {
	var in transactGetInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := c.checkCapacity(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	if n := len(in.TransactItems); n == 0 || n > engine.MaxTransactItems {
		return nil, validation(fmt.Sprintf("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to %d, Member must have length greater than or equal to 1", engine.MaxTransactItems))
	}
	gets := make([]engine.GetItemInput, len(in.TransactItems))
	projs := make([]expr.Projection, len(in.TransactItems))
	for i, ti := range in.TransactItems {
		g := ti.Get
		if g == nil {
			return nil, validation("1 validation error detected: Value null at 'transactItems." + fmt.Sprint(i+1) + ".member.get' failed to satisfy constraint: Member must not be null")
		}
		if err := needTableName(g.TableName); err != nil {
			return nil, err
		}
		p := g.params()
		proj, err := p.Projection(g.ProjectionExpression)
		if err != nil {
			return nil, err
		}
		if err := checkParams(&g.exprAttributes, p, g.ProjectionExpression != ""); err != nil {
			return nil, err
		}
		restrict, err := h.authorize(ctx, c, &Access{Action: "dynamodb:GetItem", Table: g.TableName, Attributes: projectionNames(proj)})
		if err != nil {
			return nil, err
		}
		projs[i] = proj
		if c.wantsCapacity() && restrict == nil {
			proj = nil
		}
		gets[i] = engine.GetItemInput{Table: g.TableName, Key: attr.Item(g.Key), Projection: proj, ConsistentRead: true, Restrict: restrict}
	}
	found, err := h.db.TransactGetItems(ctx, gets)
	if err != nil {
		return nil, err
	}
	out := transactGetOutput{Responses: make([]itemResponse, len(found))}
	var caps capacityList
	for i, it := range found {
		caps.add(gets[i].Table, 2*itemReadUnits(it, true), 0)
		if c.wantsCapacity() && gets[i].Restrict == nil && it != nil {
			it = projs[i].Apply(it)
		}
		out.Responses[i] = itemResponse{Item: jsonItem(it)}
	}
	out.ConsumedCapacity = caps.list(c)
	return out, nil
}
