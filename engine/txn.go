package engine

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"sort"
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
	"github.com/shoaldb/shoal/engine/internal/kv"
)

// Limits of transactions and batches, as DynamoDB's.
const (
	MaxTransactItems  = 100
	MaxBatchGetKeys   = 100
	MaxBatchWrites    = 25
	maxBatchGetBytes  = 16 << 20
	idempotencyWindow = 10 * time.Minute
	maxRequestToken   = 36
)

// DynamoDB's cancellation reason codes.
const (
	ReasonNone                   = "None"
	ReasonConditionalCheckFailed = "ConditionalCheckFailed"
	ReasonValidationError        = "ValidationError"
)

// itemRef names one item of a multi-item request, to find duplicates.
type itemRef struct {
	table string
	key   string
}

// TransactWriteItems applies up to 100 actions atomically: either every
// condition holds and every action is applied, or nothing is written and the
// error (CodeTransactionCanceled) gives a reason per action.
func (db *DB) TransactWriteItems(ctx context.Context, in TransactWriteInput) error {
	if n := len(in.Actions); n == 0 || n > MaxTransactItems {
		return errorf(CodeValidation, "a transaction holds 1 to %d actions, not %d", MaxTransactItems, n)
	}
	if len(in.ClientRequestToken) > maxRequestToken {
		return errorf(CodeValidation, "ClientRequestToken is at most %d characters", maxRequestToken)
	}
	for i, a := range in.Actions {
		if err := a.validate(); err != nil {
			return errorf(CodeValidation, "action %d: %s", i, err.(*Error).Message)
		}
		if err := a.checkAccess(); err != nil {
			return accessDenied("action %d: %s", i, err.(*Error).Message)
		}
	}
	var fingerprint []byte
	if in.ClientRequestToken != "" {
		fingerprint = in.fingerprint()
	}
	now := db.now()
	return db.update(ctx, func(tx *wtx) error {
		if fingerprint != nil {
			replay, err := checkToken(tx.Txn, in.ClientRequestToken, fingerprint, now)
			if err != nil || replay {
				return err
			}
		}
		writes := make([]*write, len(in.Actions))
		reasons := make([]CancellationReason, len(in.Actions))
		failed := false
		seen := make(map[itemRef]bool, len(in.Actions))
		for i, a := range in.Actions {
			table, keySrc, exact, restrict := a.target()
			w, err := db.prepareWrite(ctx, tx, table, keySrc, exact, restrict, now)
			if err != nil {
				return err // no such table, malformed key: the whole request is invalid
			}
			ref := itemRef{table, string(w.k.enc)}
			if seen[ref] {
				return errorf(CodeValidation, "transaction request cannot include multiple operations on one item")
			}
			seen[ref] = true
			reasons[i] = CancellationReason{Code: ReasonNone}
			if err := a.apply(w); err != nil {
				failed = true
				reasons[i] = reasonFor(err)
				continue
			}
			writes[i] = w
		}
		if failed {
			return &Error{Code: CodeTransactionCanceled, Message: "transaction canceled: " + reasonSummary(reasons), Reasons: reasons}
		}
		for i, w := range writes {
			if a := in.Actions[i]; a.ConditionCheck != nil {
				continue
			}
			if err := db.commitWrite(tx, w, now); err != nil {
				return err
			}
		}
		if fingerprint != nil {
			return storeToken(tx.Txn, in.ClientRequestToken, fingerprint, now)
		}
		return nil
	})
}

func (a *TransactAction) validate() error {
	n := 0
	for _, set := range []bool{a.Put != nil, a.Update != nil, a.Delete != nil, a.ConditionCheck != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return errorf(CodeValidation, "exactly one of Put, Update, Delete and ConditionCheck must be set")
	}
	switch {
	case a.Put != nil:
		if err := attr.ValidateItem(a.Put.Item); err != nil {
			return validationError("item", err)
		}
	case a.Update != nil:
		if a.Update.Update == nil {
			return errorf(CodeValidation, "an update expression is required")
		}
	case a.ConditionCheck != nil:
		if a.ConditionCheck.Condition == nil {
			return errorf(CodeValidation, "a condition check needs a condition")
		}
	}
	return nil
}

// target returns the table, the key source and the restriction of an action.
func (a *TransactAction) target() (table string, keySrc attr.Item, exact bool, r *Restriction) {
	switch {
	case a.Put != nil:
		return a.Put.Table, a.Put.Item, false, a.Put.Restrict
	case a.Update != nil:
		return a.Update.Table, a.Update.Key, true, a.Update.Restrict
	case a.Delete != nil:
		return a.Delete.Table, a.Delete.Key, true, a.Delete.Restrict
	default:
		return a.ConditionCheck.Table, a.ConditionCheck.Key, true, a.ConditionCheck.Restrict
	}
}

// checkAccess checks what an action names against its restriction.
func (a *TransactAction) checkAccess() error {
	switch {
	case a.Put != nil:
		return a.Put.Restrict.checkWholeItemWrite("a put")
	case a.Update != nil:
		return a.Update.checkAccess()
	case a.Delete != nil:
		return a.Delete.Restrict.checkWholeItemWrite("a delete")
	default:
		return a.ConditionCheck.Restrict.checkPaths("a condition", conditionPaths(nil, a.ConditionCheck.Condition))
	}
}

// apply checks the action's condition and computes w.new. A condition
// check leaves w unchanged (and is skipped at commit).
func (a *TransactAction) apply(w *write) error {
	switch {
	case a.Put != nil:
		if err := w.check(a.Put.Condition, a.Put.ReturnOldOnConditionFailure); err != nil {
			return err
		}
		w.new = a.Put.Item
	case a.Update != nil:
		return a.Update.apply(w)
	case a.Delete != nil:
		if err := w.check(a.Delete.Condition, a.Delete.ReturnOldOnConditionFailure); err != nil {
			return err
		}
		w.new = nil
	default:
		if err := w.check(a.ConditionCheck.Condition, a.ConditionCheck.ReturnOldOnConditionFailure); err != nil {
			return err
		}
	}
	return nil
}

func reasonFor(err error) CancellationReason {
	var e *Error
	if errors.As(err, &e) && e.Code == CodeConditionalCheckFailed {
		return CancellationReason{Code: ReasonConditionalCheckFailed, Message: "The conditional request failed", Item: e.Item}
	}
	msg := err.Error()
	if errors.As(err, &e) {
		msg = e.Message
	}
	return CancellationReason{Code: ReasonValidationError, Message: msg}
}

func reasonSummary(rs []CancellationReason) string {
	s := "["
	for i, r := range rs {
		if i > 0 {
			s += ", "
		}
		s += r.Code
	}
	return s + "]"
}

// fingerprint hashes everything that makes a transaction what it is, so a
// retry with the same token can be told apart from a different request.
func (in *TransactWriteInput) fingerprint() []byte {
	h := sha256.New()
	str := func(s string) {
		h.Write(binary.AppendUvarint(nil, uint64(len(s))))
		h.Write([]byte(s))
	}
	item := func(m attr.Item) { str(string(attr.EncodeItem(nil, m))) }
	params := func(text string, p *expr.Params) {
		str(text)
		names := make([]string, 0, len(p.Names)+len(p.Values))
		for k := range p.Names {
			names = append(names, k)
		}
		for k := range p.Values {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			str(k)
			if v, ok := p.Values[k]; ok {
				str(string(attr.AppendBinary(nil, v)))
			} else {
				str(p.Names[k])
			}
		}
	}
	cond := func(c expr.Condition) { params(expr.FormatConditionParams(c)) }
	for _, a := range in.Actions {
		switch {
		case a.Put != nil:
			str("put " + a.Put.Table)
			item(a.Put.Item)
			cond(a.Put.Condition)
		case a.Update != nil:
			str("update " + a.Update.Table)
			item(a.Update.Key)
			params(expr.FormatUpdate(a.Update.Update))
			cond(a.Update.Condition)
		case a.Delete != nil:
			str("delete " + a.Delete.Table)
			item(a.Delete.Key)
			cond(a.Delete.Condition)
		case a.ConditionCheck != nil:
			str("check " + a.ConditionCheck.Table)
			item(a.ConditionCheck.Key)
			cond(a.ConditionCheck.Condition)
		}
	}
	return h.Sum(nil)
}

func tokenKey(token string) []byte { return append([]byte{spaceSystem, sysToken}, token...) }

// checkToken reports whether a transaction with this token already
// succeeded within the idempotency window (replay: succeed without writing),
// and fails when the token was used for a different request.
func checkToken(tx *kv.Txn, token string, fingerprint []byte, now time.Time) (replay bool, err error) {
	err = tx.Get(tokenKey(token), func(v []byte) error {
		if len(v) != 8+sha256.Size {
			return errors.New("corrupt idempotency record")
		}
		if now.UnixMilli() > int64(binary.BigEndian.Uint64(v)) {
			return nil // expired: the token is free again
		}
		if string(v[8:]) != string(fingerprint) {
			return errorf(CodeIdempotentParameterMismatch, "the ClientRequestToken was used with a different request in the last %s", idempotencyWindow)
		}
		replay = true
		return nil
	})
	if errors.Is(err, kv.ErrNotFound) {
		err = nil
	}
	return replay, err
}

func storeToken(tx *kv.Txn, token string, fingerprint []byte, now time.Time) error {
	v := binary.BigEndian.AppendUint64(nil, uint64(now.Add(idempotencyWindow).UnixMilli()))
	return tx.Set(tokenKey(token), append(v, fingerprint...))
}

// TransactGetItems reads up to 100 items from one consistent snapshot.
// Absent items are nil entries.
func (db *DB) TransactGetItems(ctx context.Context, gets []GetItemInput) ([]attr.Item, error) {
	if n := len(gets); n == 0 || n > MaxTransactItems {
		return nil, errorf(CodeValidation, "a transaction holds 1 to %d gets, not %d", MaxTransactItems, n)
	}
	now := db.now()
	out := make([]attr.Item, len(gets))
	err := db.view(func(tx *kv.Txn) error {
		seen := make(map[itemRef]bool, len(gets))
		for i, g := range gets {
			item, k, err := db.getIn(tx, g, now)
			if err != nil {
				code := CodeOf(err)
				if code != CodeNotFound && code != CodeAccessDenied {
					code = CodeValidation
				}
				return errorf(code, "get %d: %s", i, errMessage(err))
			}
			ref := itemRef{g.Table, string(k.enc)}
			if seen[ref] {
				return errorf(CodeValidation, "transaction request cannot include multiple operations on one item")
			}
			seen[ref] = true
			out[i] = item
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func errMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// getIn reads one item in a snapshot: projected, nil when absent or expired.
func (db *DB) getIn(tx *kv.Txn, g GetItemInput, now time.Time) (attr.Item, primaryKey, error) {
	t, err := db.loadTable(tx, g.Table)
	if err != nil {
		return nil, primaryKey{}, err
	}
	k, err := keyOf(t.Key, g.Key, true)
	if err != nil {
		return nil, k, err
	}
	if err := g.Restrict.checkKey(k); err != nil {
		return nil, k, err
	}
	if err := g.Restrict.checkRead(g.Projection, nil); err != nil {
		return nil, k, err
	}
	item, err := readItem(tx, itemKey(t, k))
	if err != nil || item == nil || t.expired(item, now) {
		return nil, k, err
	}
	return g.Restrict.narrow(g.Projection.Apply(item)), k, nil
}

// BatchGetItem reads up to 100 items over one or more tables. Items found
// are returned by table; when the response would exceed 16 MB the rest of
// the keys come back as Unprocessed.
func (db *DB) BatchGetItem(ctx context.Context, in BatchGetInput) (*BatchGetOutput, error) {
	total := 0
	for _, r := range in.Requests {
		total += len(r.Keys)
		if len(r.Keys) == 0 {
			return nil, errorf(CodeValidation, "the batch for table %q has no keys", r.Table)
		}
	}
	if total == 0 || total > MaxBatchGetKeys {
		return nil, errorf(CodeValidation, "a batch get reads 1 to %d keys, not %d", MaxBatchGetKeys, total)
	}
	now := db.now()
	out := &BatchGetOutput{Responses: map[string][]attr.Item{}}
	err := db.view(func(tx *kv.Txn) error {
		size := 0
		seen := make(map[itemRef]bool, total)
		for _, r := range in.Requests {
			var rest []attr.Item
			for _, key := range r.Keys {
				if size >= maxBatchGetBytes {
					rest = append(rest, key)
					continue
				}
				item, k, err := db.getIn(tx, GetItemInput{Table: r.Table, Key: key, Projection: r.Projection, Restrict: r.Restrict}, now)
				if err != nil {
					return err
				}
				ref := itemRef{r.Table, string(k.enc)}
				if seen[ref] {
					return errorf(CodeValidation, "the provided list of item keys contains duplicates")
				}
				seen[ref] = true
				if _, ok := out.Responses[r.Table]; !ok {
					out.Responses[r.Table] = []attr.Item{}
				}
				if item != nil {
					out.Responses[r.Table] = append(out.Responses[r.Table], item)
					size += attr.ItemSize(item)
				}
			}
			if rest != nil {
				out.Unprocessed = append(out.Unprocessed, BatchGetRequest{Table: r.Table, Keys: rest, Projection: r.Projection, ConsistentRead: r.ConsistentRead, Restrict: r.Restrict})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BatchWriteItem puts and deletes up to 25 items over one or more tables.
// The writes are not conditional and not atomic as a promise, though Shoal
// applies them in one transaction; when that transaction keeps conflicting
// with concurrent writes, every request comes back Unprocessed instead of
// failing.
func (db *DB) BatchWriteItem(ctx context.Context, in BatchWriteInput) (*BatchWriteOutput, error) {
	if n := len(in.Requests); n == 0 || n > MaxBatchWrites {
		return nil, errorf(CodeValidation, "a batch write holds 1 to %d requests, not %d", MaxBatchWrites, n)
	}
	for i, r := range in.Requests {
		if (r.Put == nil) == (r.DeleteKey == nil) {
			return nil, errorf(CodeValidation, "request %d: exactly one of Put and DeleteKey must be set", i)
		}
		if r.Put != nil {
			if err := attr.ValidateItem(r.Put); err != nil {
				return nil, validationError("item", err)
			}
		}
		if err := r.Restrict.checkWholeItemWrite("a batch write"); err != nil {
			return nil, err
		}
	}
	now := db.now()
	err := db.update(ctx, func(tx *wtx) error {
		seen := make(map[itemRef]bool, len(in.Requests))
		for _, r := range in.Requests {
			src, exact := r.Put, false
			if src == nil {
				src, exact = r.DeleteKey, true
			}
			w, err := db.prepareWrite(ctx, tx, r.Table, src, exact, r.Restrict, now)
			if err != nil {
				return err
			}
			ref := itemRef{r.Table, string(w.k.enc)}
			if seen[ref] {
				return errorf(CodeValidation, "the batch write request contains duplicate items")
			}
			seen[ref] = true
			w.new = r.Put
			if err := db.commitWrite(tx, w, now); err != nil {
				return err
			}
		}
		return nil
	})
	if CodeOf(err) == CodeTransactionConflict {
		return &BatchWriteOutput{Unprocessed: in.Requests}, nil
	}
	if err != nil {
		return nil, err
	}
	return &BatchWriteOutput{}, nil
}

// trimTokens removes the idempotency records whose window has passed, in
// bounded transactions. Each record is read again inside the deleting
// transaction, so a token reused (and stored afresh) in the meantime makes
// the deletion conflict instead of losing the new record.
func (db *DB) trimTokens(ctx context.Context) error {
	prefix := []byte{spaceSystem, sysToken}
	expiredAt := func(v []byte, now time.Time) bool {
		return len(v) >= 8 && now.UnixMilli() > int64(binary.BigEndian.Uint64(v))
	}
	for start := prefix; start != nil; {
		now := db.now()
		var next []byte
		err := db.update(ctx, func(tx *wtx) error {
			next = nil
			var keys [][]byte
			it := tx.Iterate(kv.IterOptions{Prefix: prefix, KeysOnly: true})
			for it.Seek(start); it.Valid(); it.Next() {
				if len(keys) == 256 {
					next = append([]byte(nil), it.Key()...)
					break
				}
				keys = append(keys, append([]byte(nil), it.Key()...))
			}
			it.Close()
			for _, k := range keys {
				var expired bool
				if err := tx.Get(k, func(v []byte) error { expired = expiredAt(v, now); return nil }); err != nil && !errors.Is(err, kv.ErrNotFound) {
					return err
				}
				if expired {
					if err := tx.Delete(k); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		start = next
	}
	return nil
}
