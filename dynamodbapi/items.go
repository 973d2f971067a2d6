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

// needTableName is DynamoDB's error for a request without TableName.
func needTableName(name string) error {
	if name == "" {
		return validation("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")
	}
	return nil
}

// returnOldOnFailure checks ReturnValuesOnConditionCheckFailure.
func returnOldOnFailure(v string) (bool, error) {
	switch v {
	case "", "NONE":
		return false, nil
	case "ALL_OLD":
		return true, nil
	}
	return false, validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]", v))
}

// writeCondition builds a write's condition from ConditionExpression or the
// legacy Expected and ConditionalOperator.
func writeCondition(p *expr.Params, e *exprAttributes, text string, expected map[string]legacyCondition, condOp string) (expr.Condition, error) {
	if err := checkMixed(
		map[string]bool{"Expected": expected != nil, "ConditionalOperator": condOp != ""},
		map[string]bool{"ConditionExpression": text != "", "ExpressionAttributeNames": e.ExpressionAttributeNames != nil, "ExpressionAttributeValues": e.ExpressionAttributeValues != nil},
	); err != nil {
		return nil, err
	}
	if text != "" {
		return p.Condition(text)
	}
	return legacyFilter(expected, condOp, true)
}

func itemNames(it attr.Item) []string {
	return slices.Sorted(maps.Keys(it))
}

func updateNames(u *expr.Update) []string {
	if u == nil {
		return nil
	}
	return projectionNames(u.UpdatedPaths())
}

// ---------------------------------------------------------------- PutItem

type putItemInput struct {
	TableName string   `json:"TableName"`
	Item      jsonItem `json:"Item"`
	putDeleteParams
}

// putDeleteParams are the parameters PutItem and DeleteItem share beside
// the table and the item or key.
type putDeleteParams struct {
	exprAttributes
	ConditionExpression                 string                     `json:"ConditionExpression"`
	Expected                            map[string]legacyCondition `json:"Expected"`
	ConditionalOperator                 string                     `json:"ConditionalOperator"`
	ReturnValues                        string                     `json:"ReturnValues"`
	ReturnConsumedCapacity              string                     `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics         string                     `json:"ReturnItemCollectionMetrics"`
	ReturnValuesOnConditionCheckFailure string                     `json:"ReturnValuesOnConditionCheckFailure"`
}

// compile checks the parameters, in DynamoDB's order, and builds the
// condition (from ConditionExpression or the legacy Expected). rv is the
// ReturnValues asked for, NONE or ALL_OLD; returnOld says whether a failed
// condition returns the stored item.
func (o *putDeleteParams) compile(c *call) (cond expr.Condition, rv engine.ReturnValues, returnOld bool, err error) {
	if err := c.checkCapacity(o.ReturnConsumedCapacity); err != nil {
		return nil, "", false, err
	}
	returnOld, err = returnOldOnFailure(o.ReturnValuesOnConditionCheckFailure)
	if err != nil {
		return nil, "", false, err
	}
	p := o.params()
	cond, err = writeCondition(p, &o.exprAttributes, o.ConditionExpression, o.Expected, o.ConditionalOperator)
	if err != nil {
		return nil, "", false, err
	}
	if err := checkParams(&o.exprAttributes, p, o.ConditionExpression != ""); err != nil {
		return nil, "", false, err
	}
	rv = engine.ReturnValues(o.ReturnValues)
	if rv != "" && rv != engine.ReturnNone && rv != engine.ReturnAllOld {
		return nil, "", false, validation("ReturnValues can only be ALL_OLD or NONE")
	}
	return cond, rv, returnOld, nil
}

// putDeleteReturnValues is what PutItem and DeleteItem ask the engine to
// return for rv: the old item also when the consumed capacity is wanted, as
// its size is part of the cost.
func putDeleteReturnValues(c *call, rv engine.ReturnValues) engine.ReturnValues {
	if c.wantsCapacity() {
		return engine.ReturnAllOld
	}
	return rv
}

// putDeleteOutput answers a PutItem or DeleteItem that replaced old by
// item (nil for a delete): the old item when rv is ALL_OLD, and the
// consumed capacity when it is wanted.
func putDeleteOutput(c *call, table string, rv engine.ReturnValues, old, item attr.Item) writeOutput {
	out := writeOutput{ConsumedCapacity: c.consumed(table, 0, itemWriteUnits(old, item))}
	if rv == engine.ReturnAllOld {
		out.Attributes = jsonItem(old)
	}
	return out
}

type writeOutput struct {
	Attributes       jsonItem          `json:"Attributes,omitempty"`
	ConsumedCapacity *consumedCapacity `json:"ConsumedCapacity,omitempty"`
}

func (h *Handler) putItem(ctx context.Context, c *call) (any, error) {
	var in putItemInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := needTableName(in.TableName); err != nil {
		return nil, err
	}
	if in.Item == nil {
		return nil, validation("1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null")
	}
	cond, rv, returnOld, err := in.compile(c)
	if err != nil {
		return nil, err
	}
	restrict, err := h.authorize(ctx, c, &Access{Action: "dynamodb:PutItem", Table: in.TableName,
		Attributes: itemNames(attr.Item(in.Item)), ReturnValues: in.ReturnValues})
	if err != nil {
		return nil, err
	}
	res, err := h.db.PutItem(ctx, engine.PutItemInput{Table: in.TableName, Item: attr.Item(in.Item), Condition: cond,
		ReturnValues: putDeleteReturnValues(c, rv), ReturnOldOnConditionFailure: returnOld, Restrict: restrict})
	if err != nil {
		return nil, err
	}
	return putDeleteOutput(c, in.TableName, rv, res.Attributes, attr.Item(in.Item)), nil
}

// ---------------------------------------------------------------- GetItem

type getItemInput struct {
	TableName string   `json:"TableName"`
	Key       jsonItem `json:"Key"`
	exprAttributes
	ProjectionExpression   string   `json:"ProjectionExpression"`
	AttributesToGet        []string `json:"AttributesToGet"`
	ConsistentRead         bool     `json:"ConsistentRead"`
	ReturnConsumedCapacity string   `json:"ReturnConsumedCapacity"`
}

type getItemOutput struct {
	Item             jsonItem          `json:"Item,omitempty"`
	ConsumedCapacity *consumedCapacity `json:"ConsumedCapacity,omitempty"`
}

// projection builds a read's projection from ProjectionExpression or the
// legacy AttributesToGet.
func projection(p *expr.Params, e *exprAttributes, text string, toGet []string) (expr.Projection, error) {
	if err := checkMixed(map[string]bool{"AttributesToGet": toGet != nil},
		map[string]bool{"ProjectionExpression": text != "", "ExpressionAttributeNames": e.ExpressionAttributeNames != nil}); err != nil {
		return nil, err
	}
	if text != "" {
		return p.Projection(text)
	}
	return attributesToGet(toGet)
}

func (h *Handler) getItem(ctx context.Context, c *call) (any, error) {
	var in getItemInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := needTableName(in.TableName); err != nil {
		return nil, err
	}
	if in.Key == nil {
		return nil, validation("1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null")
	}
	if err := c.checkCapacity(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	p := in.params()
	proj, err := projection(p, &in.exprAttributes, in.ProjectionExpression, in.AttributesToGet)
	if err != nil {
		return nil, err
	}
	if err := checkParams(&in.exprAttributes, p, in.ProjectionExpression != ""); err != nil {
		return nil, err
	}
	restrict, err := h.authorize(ctx, c, &Access{Action: "dynamodb:GetItem", Table: in.TableName, Attributes: projectionNames(proj)})
	if err != nil {
		return nil, err
	}
	g := engine.GetItemInput{Table: in.TableName, Key: attr.Item(in.Key), Projection: proj, ConsistentRead: in.ConsistentRead, Restrict: restrict}
	if c.wantsCapacity() && restrict == nil {
		g.Projection = nil // the whole item's size is the cost
	}
	it, err := h.db.GetItem(ctx, g)
	if err != nil {
		return nil, err
	}
	out := getItemOutput{ConsumedCapacity: c.consumed(in.TableName, itemReadUnits(it, in.ConsistentRead), 0)}
	if c.wantsCapacity() && restrict == nil && it != nil {
		it = proj.Apply(it)
	}
	out.Item = jsonItem(it)
	return out, nil
}

// ---------------------------------------------------------------- UpdateItem

type updateItemInput struct {
	TableName string   `json:"TableName"`
	Key       jsonItem `json:"Key"`
	exprAttributes
	UpdateExpression                    string                     `json:"UpdateExpression"`
	ConditionExpression                 string                     `json:"ConditionExpression"`
	AttributeUpdates                    map[string]attributeUpdate `json:"AttributeUpdates"`
	Expected                            map[string]legacyCondition `json:"Expected"`
	ConditionalOperator                 string                     `json:"ConditionalOperator"`
	ReturnValues                        string                     `json:"ReturnValues"`
	ReturnConsumedCapacity              string                     `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics         string                     `json:"ReturnItemCollectionMetrics"`
	ReturnValuesOnConditionCheckFailure string                     `json:"ReturnValuesOnConditionCheckFailure"`
}

// updateAction builds an update from UpdateExpression or the legacy
// AttributeUpdates; nil when there is neither.
func updateAction(p *expr.Params, e *exprAttributes, text string, legacy map[string]attributeUpdate) (*expr.Update, error) {
	if err := checkMixed(map[string]bool{"AttributeUpdates": legacy != nil},
		map[string]bool{"UpdateExpression": text != "", "ExpressionAttributeNames": e.ExpressionAttributeNames != nil, "ExpressionAttributeValues": e.ExpressionAttributeValues != nil}); err != nil {
		return nil, err
	}
	if text != "" {
		return p.Update(text)
	}
	if len(legacy) == 0 {
		return nil, nil
	}
	return legacyUpdate(legacy)
}

func (h *Handler) updateItem(ctx context.Context, c *call) (any, error) {
	var in updateItemInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := needTableName(in.TableName); err != nil {
		return nil, err
	}
	if in.Key == nil {
		return nil, validation("1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null")
	}
	if err := c.checkCapacity(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	returnOld, err := returnOldOnFailure(in.ReturnValuesOnConditionCheckFailure)
	if err != nil {
		return nil, err
	}
	p := in.params()
	upd, err := updateAction(p, &in.exprAttributes, in.UpdateExpression, in.AttributeUpdates)
	if err != nil {
		return nil, err
	}
	cond, err := writeCondition(p, &in.exprAttributes, in.ConditionExpression, in.Expected, in.ConditionalOperator)
	if err != nil {
		return nil, err
	}
	if err := checkParams(&in.exprAttributes, p, in.UpdateExpression != "" || in.ConditionExpression != ""); err != nil {
		return nil, err
	}
	rv := engine.ReturnValues(in.ReturnValues)
	switch rv {
	case "", engine.ReturnNone, engine.ReturnAllOld, engine.ReturnUpdatedOld, engine.ReturnAllNew, engine.ReturnUpdatedNew:
	default:
		return nil, validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]", rv))
	}
	restrict, err := h.authorize(ctx, c, &Access{Action: "dynamodb:UpdateItem", Table: in.TableName,
		Attributes: updateNames(upd), ReturnValues: in.ReturnValues})
	if err != nil {
		return nil, err
	}
	key := attr.Item(in.Key)
	engineRV := rv
	if c.wantsCapacity() {
		// The cost is by the item's size: ask for a whole image and cut
		// the answer down to what was asked for.
		switch rv {
		case "", engine.ReturnNone, engine.ReturnUpdatedNew:
			engineRV = engine.ReturnAllNew
		case engine.ReturnUpdatedOld:
			engineRV = engine.ReturnAllOld
		}
	}
	res, err := h.db.UpdateItem(ctx, engine.UpdateItemInput{Table: in.TableName, Key: key, Update: upd, Condition: cond,
		ReturnValues: engineRV, ReturnOldOnConditionFailure: returnOld, Restrict: restrict})
	if err != nil {
		return nil, err
	}
	out := writeOutput{ConsumedCapacity: c.consumed(in.TableName, 0, itemWriteUnits(res.Attributes, key))}
	attrs := res.Attributes
	if engineRV != rv {
		switch rv {
		case "", engine.ReturnNone:
			attrs = nil
		case engine.ReturnUpdatedNew, engine.ReturnUpdatedOld:
			if upd == nil {
				attrs = nil // an update without actions updates nothing
			} else {
				attrs = upd.UpdatedPaths().Apply(attrs)
			}
		}
	}
	if len(attrs) > 0 {
		out.Attributes = jsonItem(attrs)
	}
	return out, nil
}

// ---------------------------------------------------------------- DeleteItem

type deleteItemInput struct {
	TableName string   `json:"TableName"`
	Key       jsonItem `json:"Key"`
	putDeleteParams
}

func (h *Handler) deleteItem(ctx context.Context, c *call) (any, error) {
	var in deleteItemInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := needTableName(in.TableName); err != nil {
		return nil, err
	}
	if in.Key == nil {
		return nil, validation("1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null")
	}
	cond, rv, returnOld, err := in.compile(c)
	if err != nil {
		return nil, err
	}
	restrict, err := h.authorize(ctx, c, &Access{Action: "dynamodb:DeleteItem", Table: in.TableName, ReturnValues: in.ReturnValues})
	if err != nil {
		return nil, err
	}
	res, err := h.db.DeleteItem(ctx, engine.DeleteItemInput{Table: in.TableName, Key: attr.Item(in.Key), Condition: cond,
		ReturnValues: putDeleteReturnValues(c, rv), ReturnOldOnConditionFailure: returnOld, Restrict: restrict})
	if err != nil {
		return nil, err
	}
	return putDeleteOutput(c, in.TableName, rv, res.Attributes, nil), nil
}
