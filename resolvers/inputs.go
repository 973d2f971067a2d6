package resolvers

import (
	"fmt"

	"github.com/shoaldb/shoal/engine"
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
	n := 0
	if a.Put != nil {
		n++
		item, err := a.Put.Item.ToItem(typed)
		if err != nil {
			return act, fieldError("put.item", err)
		}
		cond, err := condition(a.Put.Condition, typed)
		if err != nil {
			return act, fieldError("put.condition", err)
		}
		act.Put = &engine.PutItemInput{Table: a.Put.Table, Item: item, Condition: cond,
			ReturnOldOnConditionFailure: deref(a.Put.ReturnOldOnConditionFailure)}
	}
	if a.Update != nil {
		n++
		key, err := a.Update.Key.ToItem(typed)
		if err != nil {
			return act, fieldError("update.key", err)
		}
		upd, err := update(a.Update.Update, typed)
		if err != nil {
			return act, fieldError("update.update", err)
		}
		cond, err := condition(a.Update.Condition, typed)
		if err != nil {
			return act, fieldError("update.condition", err)
		}
		act.Update = &engine.UpdateItemInput{Table: a.Update.Table, Key: key, Update: upd, Condition: cond,
			ReturnOldOnConditionFailure: deref(a.Update.ReturnOldOnConditionFailure)}
	}
	if a.Delete != nil {
		n++
		key, err := a.Delete.Key.ToItem(typed)
		if err != nil {
			return act, fieldError("delete.key", err)
		}
		cond, err := condition(a.Delete.Condition, typed)
		if err != nil {
			return act, fieldError("delete.condition", err)
		}
		act.Delete = &engine.DeleteItemInput{Table: a.Delete.Table, Key: key, Condition: cond,
			ReturnOldOnConditionFailure: deref(a.Delete.ReturnOldOnConditionFailure)}
	}
	if a.ConditionCheck != nil {
		n++
		key, err := a.ConditionCheck.Key.ToItem(typed)
		if err != nil {
			return act, fieldError("conditionCheck.key", err)
		}
		cond, err := condition(a.ConditionCheck.Condition, typed)
		if err != nil {
			return act, fieldError("conditionCheck.condition", err)
		}
		act.ConditionCheck = &engine.ConditionCheckInput{Table: a.ConditionCheck.Table, Key: key, Condition: cond,
			ReturnOldOnConditionFailure: deref(a.ConditionCheck.ReturnOldOnConditionFailure)}
	}
	if n != 1 {
		return act, inputErrorf("give exactly one of put, update, delete and conditionCheck")
	}
	return act, nil
}
