package resolvers

import (
	"fmt"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
	"github.com/shoaldb/shoal/graph/model"
)

// fieldError prefixes an input error with the argument it came from,
// keeping the error's type for the presenter.
func fieldError(field string, err error) error {
	return fmt.Errorf("%s: %w", field, err)
}

// typedError marks an engine error whose items (extensions.item,
// extensions.reasons) are written in DynamoDB JSON.
type typedError struct{ error }

func (e typedError) Unwrap() error { return e.error }

func withTyped(err error, typed bool) error {
	if typed && err != nil {
		return typedError{err}
	}
	return err
}

// pagingArgs maps the arguments query and scan share. In GraphQL, limit
// counts matching items (LimitMatches).
func pagingArgs(filter *model.ConditionInput, projection []string, limit *int, after model.Cursor, consistentRead *bool, typed bool) (engine.Paging, error) {
	var p engine.Paging
	f, err := condition(filter, typed)
	if err != nil {
		return p, fieldError("filter", err)
	}
	proj, err := toProjection(projection)
	if err != nil {
		return p, err
	}
	if limit != nil && *limit < 1 {
		return p, inputErrorf("limit: must be at least 1")
	}
	p.Filter = f
	p.Projection = proj
	p.Limit = deref(limit)
	p.LimitMatches = true
	p.After = after
	p.ConsistentRead = deref(consistentRead)
	return p, nil
}

// transactAction maps one action of transactWriteItems.
func transactAction(a model.TransactActionInput, typed bool) (engine.TransactAction, error) {
	var act engine.TransactAction
	var err error
	n := 0
	if p := a.Put; p != nil {
		n++
		if act.Put, err = putIn("put.", p.Table, p.Item, p.Condition, p.ReturnOldOnConditionFailure, typed); err != nil {
			return act, err
		}
	}
	if u := a.Update; u != nil {
		n++
		if act.Update, err = updateIn("update.", u.Table, u.Key, u.Update, u.Condition, u.ReturnOldOnConditionFailure, typed); err != nil {
			return act, err
		}
	}
	if d := a.Delete; d != nil {
		n++
		if act.Delete, err = deleteIn("delete.", d.Table, d.Key, d.Condition, d.ReturnOldOnConditionFailure, typed); err != nil {
			return act, err
		}
	}
	if c := a.ConditionCheck; c != nil {
		n++
		key, cond, err := itemAndCondition("conditionCheck.", "key", c.Key, c.Condition, typed)
		if err != nil {
			return act, err
		}
		act.ConditionCheck = &engine.ConditionCheckInput{Table: c.Table, Key: key, Condition: cond,
			ReturnOldOnConditionFailure: deref(c.ReturnOldOnConditionFailure)}
	}
	if n != 1 {
		return act, inputErrorf("give exactly one of put, update, delete and conditionCheck")
	}
	return act, nil
}

// The converters below map one write, on its own or as a transaction's
// action; prefix qualifies the input field in error messages ("put." in a
// transaction).

// itemAndCondition converts a write's item (or key) and its condition.
func itemAndCondition(prefix, field string, item model.JSON, c *model.ConditionInput, typed bool) (attr.Item, expr.Condition, error) {
	m, err := item.ToItem(typed)
	if err != nil {
		return nil, nil, fieldError(prefix+field, err)
	}
	cond, err := condition(c, typed)
	if err != nil {
		return nil, nil, fieldError(prefix+"condition", err)
	}
	return m, cond, nil
}

func putIn(prefix, table string, item model.JSON, c *model.ConditionInput, returnOld *bool, typed bool) (*engine.PutItemInput, error) {
	m, cond, err := itemAndCondition(prefix, "item", item, c, typed)
	if err != nil {
		return nil, err
	}
	return &engine.PutItemInput{Table: table, Item: m, Condition: cond, ReturnOldOnConditionFailure: deref(returnOld)}, nil
}

func updateIn(prefix, table string, key model.JSON, u *model.UpdateInput, c *model.ConditionInput, returnOld *bool, typed bool) (*engine.UpdateItemInput, error) {
	k, err := key.ToItem(typed)
	if err != nil {
		return nil, fieldError(prefix+"key", err)
	}
	upd, err := update(u, typed)
	if err != nil {
		return nil, fieldError(prefix+"update", err)
	}
	cond, err := condition(c, typed)
	if err != nil {
		return nil, fieldError(prefix+"condition", err)
	}
	return &engine.UpdateItemInput{Table: table, Key: k, Update: upd, Condition: cond, ReturnOldOnConditionFailure: deref(returnOld)}, nil
}

func deleteIn(prefix, table string, key model.JSON, c *model.ConditionInput, returnOld *bool, typed bool) (*engine.DeleteItemInput, error) {
	k, cond, err := itemAndCondition(prefix, "key", key, c, typed)
	if err != nil {
		return nil, err
	}
	return &engine.DeleteItemInput{Table: table, Key: k, Condition: cond, ReturnOldOnConditionFailure: deref(returnOld)}, nil
}
