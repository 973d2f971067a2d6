package engine

import (
	"context"
	"errors"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
	"github.com/shoaldb/shoal/engine/internal/keys"
	"github.com/shoaldb/shoal/engine/internal/kv"
)

// Key size limits, as DynamoDB's.
const (
	MaxPartitionKeyBytes = 2048
	MaxSortKeyBytes      = 1024
)

// primaryKey holds an item's validated key values and its storage key.
type primaryKey struct {
	pk, sk attr.Value // sk nil without a sort key
	enc    []byte     // encoded pk · sk, without any prefix
}

// keyOf extracts and validates the primary key of schema ks from m. With
// exact, m must hold nothing but the key attributes (a Key argument).
func keyOf(ks KeySchema, m attr.Item, exact bool) (primaryKey, error) {
	var k primaryKey
	want := 1
	if ks.Sort != nil {
		want = 2
	}
	if m == nil || exact && len(m) != want {
		return k, errorf(CodeValidation, "the provided key element does not match the schema: the key must hold exactly %s", keyNames(ks))
	}
	var err error
	if k.pk, err = keyValue(ks.Partition, m, MaxPartitionKeyBytes); err != nil {
		return k, err
	}
	k.enc, _ = keys.Append(nil, k.pk)
	if ks.Sort != nil {
		if k.sk, err = keyValue(*ks.Sort, m, MaxSortKeyBytes); err != nil {
			return k, err
		}
		k.enc, _ = keys.Append(k.enc, k.sk)
	}
	return k, nil
}

func keyNames(ks KeySchema) string {
	if ks.Sort == nil {
		return "the partition key " + quote(ks.Partition.Name)
	}
	return "the partition key " + quote(ks.Partition.Name) + " and the sort key " + quote(ks.Sort.Name)
}

func quote(s string) string { return "\"" + s + "\"" }

func keyValue(ka KeyAttribute, m attr.Item, maxBytes int) (attr.Value, error) {
	v, ok := m[ka.Name]
	if !ok {
		return nil, errorf(CodeValidation, "missing the key %q in the item", ka.Name)
	}
	if v.Type() != ka.Type {
		return nil, errorf(CodeValidation, "type mismatch for key %q: expected %s, got %s", ka.Name, ka.Type, v.Type())
	}
	switch x := v.(type) {
	case attr.S:
		if len(x) == 0 {
			return nil, errorf(CodeValidation, "the key %q is an empty string; key attributes cannot be empty", ka.Name)
		}
		if len(x) > maxBytes {
			return nil, errorf(CodeValidation, "the key %q is %d bytes long; the limit is %d", ka.Name, len(x), maxBytes)
		}
	case attr.B:
		if len(x) == 0 {
			return nil, errorf(CodeValidation, "the key %q is an empty binary; key attributes cannot be empty", ka.Name)
		}
		if len(x) > maxBytes {
			return nil, errorf(CodeValidation, "the key %q is %d bytes long; the limit is %d", ka.Name, len(x), maxBytes)
		}
	}
	return v, nil
}

// itemKey returns the storage key of an item.
func itemKey(t *tableDef, k primaryKey) []byte {
	return append(spacePrefix(make([]byte, 0, 10+len(k.enc)), t.ID, tabItems), k.enc...)
}

// readItem reads a stored item; nil when absent.
func readItem(tx *kv.Txn, key []byte) (attr.Item, error) {
	var item attr.Item
	err := tx.Get(key, func(v []byte) error {
		var err error
		item, err = attr.DecodeItem(v)
		return err
	})
	if errors.Is(err, kv.ErrNotFound) {
		return nil, nil
	}
	return item, err
}

// GetItem returns the item with the given key, projected, or nil when there
// is none (or it has expired).
func (db *DB) GetItem(ctx context.Context, in GetItemInput) (attr.Item, error) {
	now := db.now()
	var out attr.Item
	err := db.view(func(tx *kv.Txn) (err error) {
		out, _, err = db.getIn(tx, in, now)
		return err
	})
	return out, err
}

// PutItem creates or replaces an item.
func (db *DB) PutItem(ctx context.Context, in PutItemInput) (WriteOutput, error) {
	if in.ReturnValues != "" && in.ReturnValues != ReturnNone && in.ReturnValues != ReturnAllOld {
		return WriteOutput{}, errorf(CodeValidation, "ReturnValues for PutItem must be NONE or ALL_OLD")
	}
	if err := attr.ValidateItem(in.Item); err != nil {
		return WriteOutput{}, validationError("item", err)
	}
	if err := in.Restrict.checkWholeItemWrite("PutItem"); err != nil {
		return WriteOutput{}, err
	}
	now := db.now()
	var out WriteOutput
	err := db.update(ctx, func(tx *wtx) error {
		out = WriteOutput{}
		w, err := db.prepareWrite(ctx, tx, in.Table, in.Item, false, in.Restrict, now)
		if err != nil {
			return err
		}
		if err := w.check(in.Condition, in.ReturnOldOnConditionFailure); err != nil {
			return err
		}
		w.new = in.Item
		if in.ReturnValues == ReturnAllOld {
			out.Attributes = w.old
		}
		return db.commitWrite(tx, w, now)
	})
	return out, err
}

// checkAccess checks what an update names against its restriction.
func (in *UpdateItemInput) checkAccess() error {
	if err := in.Restrict.checkPaths("an update", updatePaths(in.Update)); err != nil {
		return err
	}
	return in.Restrict.checkPaths("a condition", conditionPaths(nil, in.Condition))
}

// UpdateItem edits an item with an update expression, creating it when it
// does not exist (the key attributes come from Key). A nil Update changes
// nothing but still creates an absent item with only its key, as DynamoDB's
// UpdateItem without an update expression does.
func (db *DB) UpdateItem(ctx context.Context, in UpdateItemInput) (WriteOutput, error) {
	switch in.ReturnValues {
	case "", ReturnNone, ReturnAllOld, ReturnUpdatedOld, ReturnAllNew, ReturnUpdatedNew:
	default:
		return WriteOutput{}, errorf(CodeValidation, "invalid ReturnValues %q", in.ReturnValues)
	}
	if err := in.checkAccess(); err != nil {
		return WriteOutput{}, err
	}
	now := db.now()
	var out WriteOutput
	err := db.update(ctx, func(tx *wtx) error {
		out = WriteOutput{}
		w, err := db.prepareWrite(ctx, tx, in.Table, in.Key, true, in.Restrict, now)
		if err != nil {
			return err
		}
		if err := in.apply(w); err != nil {
			return err
		}
		out.Attributes = in.Restrict.narrow(updateReturn(in.ReturnValues, in.Update, w.old, w.new))
		return db.commitWrite(tx, w, now)
	})
	return out, err
}

// apply checks the update against the table's key and the condition
// against the current item, then sets w.new to the updated item: the
// current one, or the key alone when there is none, with Update applied (a
// nil Update changes nothing). UpdateItem and transactions share it.
func (in *UpdateItemInput) apply(w *write) error {
	if in.Update != nil {
		if err := validateUpdate(w.t, in.Update); err != nil {
			return err
		}
	}
	if err := w.check(in.Condition, in.ReturnOldOnConditionFailure); err != nil {
		return err
	}
	next := w.old
	if next == nil {
		next = in.Key
	}
	if in.Update != nil {
		var err error
		if next, err = in.Update.Apply(next); err != nil {
			return validationError("update", err)
		}
	}
	if err := attr.ValidateItem(next); err != nil {
		return validationError("updated item", err)
	}
	w.new = next
	return nil
}

func validateUpdate(t *tableDef, u *expr.Update) error {
	names := []string{t.Key.Partition.Name}
	if t.Key.Sort != nil {
		names = append(names, t.Key.Sort.Name)
	}
	if err := u.Validate(names...); err != nil {
		return validationError("update", err)
	}
	return nil
}

func updateReturn(rv ReturnValues, u *expr.Update, old, new attr.Item) attr.Item {
	var out attr.Item
	switch rv {
	case ReturnAllOld:
		out = old
	case ReturnAllNew:
		out = new
	case ReturnUpdatedOld:
		if old != nil && u != nil {
			out = u.UpdatedPaths().Apply(old)
		}
	case ReturnUpdatedNew:
		if u != nil {
			out = u.UpdatedPaths().Apply(new)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// DeleteItem deletes an item. Deleting an absent item succeeds (unless a
// condition says otherwise) and writes nothing.
func (db *DB) DeleteItem(ctx context.Context, in DeleteItemInput) (WriteOutput, error) {
	if in.ReturnValues != "" && in.ReturnValues != ReturnNone && in.ReturnValues != ReturnAllOld {
		return WriteOutput{}, errorf(CodeValidation, "ReturnValues for DeleteItem must be NONE or ALL_OLD")
	}
	if err := in.Restrict.checkWholeItemWrite("DeleteItem"); err != nil {
		return WriteOutput{}, err
	}
	now := db.now()
	var out WriteOutput
	err := db.update(ctx, func(tx *wtx) error {
		out = WriteOutput{}
		w, err := db.prepareWrite(ctx, tx, in.Table, in.Key, true, in.Restrict, now)
		if err != nil {
			return err
		}
		if err := w.check(in.Condition, in.ReturnOldOnConditionFailure); err != nil {
			return err
		}
		if in.ReturnValues == ReturnAllOld {
			out.Attributes = w.old
		}
		return db.commitWrite(tx, w, now)
	})
	return out, err
}
