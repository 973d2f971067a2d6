package engine

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/internal/kv"
	"github.com/stretchr/testify/require"
)

// txnTables creates "Accounts" (id S) and "Ledger" (acct S, seq N) with
// streams on.
func txnTables(t testing.TB, db *DB) {
	createTable(t, db, TableSpec{Name: "Accounts", KeySchema: hashKey("id", attr.TypeS), StreamView: StreamNewAndOldImage,
		GlobalIndexes: []IndexSpec{{Name: "byOwner", KeySchema: hashKey("owner", attr.TypeS)}}})
	createTable(t, db, TableSpec{Name: "Ledger", KeySchema: compositeKey("acct", attr.TypeS, "seq", attr.TypeN), StreamView: StreamKeysOnly})
}

func acct(id string) attr.Item           { return attr.Item{"id": attr.S(id)} }
func ledger(a string, seq int) attr.Item { return attr.Item{"acct": attr.S(a), "seq": num(seq)} }

// txnChangeCount returns the number of change records of a table.
func txnChangeCount(t testing.TB, db *DB, table string) int {
	t.Helper()
	n := 0
	var after uint64
	for {
		p, err := db.ReadChanges(context.Background(), ReadChangesInput{Table: table, After: after})
		require.NoError(t, err)
		n += len(p.Changes)
		if len(p.Changes) == 0 {
			return n
		}
		after = p.Next
	}
}

func TestTransactWriteAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	txnTables(t, db)
	putItems(t, db, "Accounts",
		attr.Item{"id": attr.S("a"), "balance": num(100), "owner": attr.S("ann"), "name": attr.S("x")},
		attr.Item{"id": attr.S("b"), "balance": num(5), "owner": attr.S("bob")},
		attr.Item{"id": attr.S("gone"), "balance": num(0)},
	)
	putItems(t, db, "Ledger", attr.Item{"acct": attr.S("a"), "seq": num(0), "note": attr.S("open")})
	before := map[string]int{"Accounts": txnChangeCount(t, db, "Accounts"), "Ledger": txnChangeCount(t, db, "Ledger")}

	transfer := func(from, to string, amount, seq int) TransactWriteInput {
		return TransactWriteInput{Actions: []TransactAction{
			{Update: &UpdateItemInput{Table: "Accounts", Key: acct(from), Update: mustUpdate(t, "SET balance = balance - :a", vals(":a", num(amount))),
				Condition: mustCond(t, "balance >= :a", vals(":a", num(amount))), ReturnOldOnConditionFailure: true}},
			{Update: &UpdateItemInput{Table: "Accounts", Key: acct(to), Update: mustUpdate(t, "SET balance = balance + :a", vals(":a", num(amount))),
				Condition: mustCond(t, "attribute_exists(id)", nil)}},
			{Put: &PutItemInput{Table: "Ledger", Item: attr.Item{"acct": attr.S(from), "seq": num(seq), "amount": num(amount)},
				Condition: mustCond(t, "attribute_not_exists(seq)", nil)}},
			{Delete: &DeleteItemInput{Table: "Accounts", Key: acct("gone"), Condition: mustCond(t, "balance = :z", vals(":z", num(0)))}},
			{ConditionCheck: &ConditionCheckInput{Table: "Ledger", Key: ledger("a", 0), Condition: mustCond(t, "note = :o", vals(":o", attr.S("open")))}},
		}}
	}

	// Success: every action applied, in both tables, indexes included.
	require.NoError(t, db.TransactWriteItems(ctx, transfer("a", "b", 30, 1)))
	requireItem(t, attr.Item{"id": attr.S("a"), "balance": num(70), "owner": attr.S("ann"), "name": attr.S("x")}, getItem(t, db, "Accounts", acct("a")))
	requireItem(t, attr.Item{"id": attr.S("b"), "balance": num(35), "owner": attr.S("bob")}, getItem(t, db, "Accounts", acct("b")))
	require.Nil(t, getItem(t, db, "Accounts", acct("gone")))
	requireItem(t, attr.Item{"acct": attr.S("a"), "seq": num(1), "amount": num(30)}, getItem(t, db, "Ledger", ledger("a", 1)))
	got := ixQueryAll(t, db, QueryInput{Table: "Accounts", Index: "byOwner", KeyCondition: mustKeyCond(t, "#o = :o", vals(":o", attr.S("bob")), map[string]string{"#o": "owner"})})
	require.Len(t, got, 1)
	require.True(t, attr.Equal(num(35), got[0]["balance"]))
	// One record per item written; none for the condition check.
	require.Equal(t, before["Accounts"]+3, txnChangeCount(t, db, "Accounts"))
	require.Equal(t, before["Ledger"]+1, txnChangeCount(t, db, "Ledger"))

	// Failure: nothing is written, and each action has its reason.
	snapshot := func() []string {
		return append(ixSortedJSONs(ixScanAll(t, db, ScanInput{Table: "Accounts"})), ixSortedJSONs(ixScanAll(t, db, ScanInput{Table: "Ledger"}))...)
	}
	putItems(t, db, "Accounts", attr.Item{"id": attr.S("gone"), "balance": num(0)})
	state := snapshot()
	changes := map[string]int{"Accounts": txnChangeCount(t, db, "Accounts"), "Ledger": txnChangeCount(t, db, "Ledger")}
	err := db.TransactWriteItems(ctx, transfer("b", "a", 50, 2)) // b has 35
	requireCode(t, CodeTransactionCanceled, err)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Len(t, e.Reasons, 5)
	require.Equal(t, ReasonConditionalCheckFailed, e.Reasons[0].Code)
	requireItem(t, attr.Item{"id": attr.S("b"), "balance": num(35), "owner": attr.S("bob")}, e.Reasons[0].Item)
	for _, r := range e.Reasons[1:] {
		require.Equal(t, ReasonNone, r.Code)
		require.Nil(t, r.Item)
	}
	require.Equal(t, state, snapshot())

	// Several failures at once; without ReturnOldOnConditionFailure no item;
	// a runtime error of an update expression is a ValidationError.
	in := transfer("a", "nobody", 10, 1) // ledger a/1 exists, "nobody" does not
	in.Actions[0].Update.ReturnOldOnConditionFailure = false
	in.Actions[3] = TransactAction{Update: &UpdateItemInput{Table: "Accounts", Key: acct("gone"), Update: mustUpdate(t, "SET nothere = nothere + :n", vals(":n", num(1)))}}
	err = db.TransactWriteItems(ctx, in)
	requireCode(t, CodeTransactionCanceled, err)
	require.ErrorAs(t, err, &e)
	codes := make([]string, len(e.Reasons))
	for i, r := range e.Reasons {
		codes[i] = r.Code
		require.Nil(t, r.Item)
	}
	require.Equal(t, []string{ReasonNone, ReasonConditionalCheckFailed, ReasonConditionalCheckFailed, ReasonValidationError, ReasonNone}, codes)
	require.NotEmpty(t, e.Reasons[3].Message)
	require.Equal(t, state, snapshot())
	require.Equal(t, changes["Accounts"], txnChangeCount(t, db, "Accounts"))
	require.Equal(t, changes["Ledger"], txnChangeCount(t, db, "Ledger"))

	// A failing condition check cancels the writes.
	err = db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{
		{Put: &PutItemInput{Table: "Accounts", Item: attr.Item{"id": attr.S("new")}}},
		{ConditionCheck: &ConditionCheckInput{Table: "Ledger", Key: ledger("a", 0), Condition: mustCond(t, "note = :o", vals(":o", attr.S("closed"))), ReturnOldOnConditionFailure: true}},
	}})
	requireCode(t, CodeTransactionCanceled, err)
	require.ErrorAs(t, err, &e)
	require.Equal(t, ReasonConditionalCheckFailed, e.Reasons[1].Code)
	requireItem(t, attr.Item{"acct": attr.S("a"), "seq": num(0), "note": attr.S("open")}, e.Reasons[1].Item)
	require.Nil(t, getItem(t, db, "Accounts", acct("new")))
	// A condition check on an absent item sees no item.
	require.NoError(t, db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{
		{ConditionCheck: &ConditionCheckInput{Table: "Ledger", Key: ledger("zz", 9), Condition: mustCond(t, "attribute_not_exists(acct)", nil)}},
	}}))
}

func TestTransactWriteValidation(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	txnTables(t, db)
	put := func(table string, it attr.Item) TransactAction {
		return TransactAction{Put: &PutItemInput{Table: table, Item: it}}
	}
	// Two actions on one item, whatever the kinds.
	for _, second := range []TransactAction{
		put("Accounts", attr.Item{"id": attr.S("a"), "v": num(2)}),
		{Delete: &DeleteItemInput{Table: "Accounts", Key: acct("a")}},
		{ConditionCheck: &ConditionCheckInput{Table: "Accounts", Key: acct("a"), Condition: mustCond(t, "attribute_not_exists(id)", nil)}},
		{Update: &UpdateItemInput{Table: "Accounts", Key: acct("a"), Update: mustUpdate(t, "SET v = :v", vals(":v", num(1)))}},
	} {
		err := db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{put("Accounts", attr.Item{"id": attr.S("a")}), second}})
		requireCode(t, CodeValidation, err)
	}
	require.Nil(t, getItem(t, db, "Accounts", acct("a")))
	// The same key value in two tables is two items.
	require.NoError(t, db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{
		put("Accounts", attr.Item{"id": attr.S("a")}), put("Ledger", attr.Item{"acct": attr.S("a"), "seq": num(1)}), put("Ledger", attr.Item{"acct": attr.S("a"), "seq": num(2)})}}))

	// Sizes: 1 to 100 actions.
	var actions []TransactAction
	for i := range MaxTransactItems + 1 {
		actions = append(actions, put("Ledger", ledger("bulk", i)))
	}
	requireCode(t, CodeValidation, db.TransactWriteItems(ctx, TransactWriteInput{Actions: actions}))
	require.Nil(t, getItem(t, db, "Ledger", ledger("bulk", 0)))
	requireCode(t, CodeValidation, db.TransactWriteItems(ctx, TransactWriteInput{}))
	require.NoError(t, db.TransactWriteItems(ctx, TransactWriteInput{Actions: actions[:MaxTransactItems]}))
	require.NotNil(t, getItem(t, db, "Ledger", ledger("bulk", 99)))

	// Malformed actions.
	requireCode(t, CodeValidation, db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{{}}}))
	requireCode(t, CodeValidation, db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{{
		Put: &PutItemInput{Table: "Accounts", Item: acct("x")}, Delete: &DeleteItemInput{Table: "Accounts", Key: acct("y")}}}}))
	requireCode(t, CodeValidation, db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{put("Accounts", attr.Item{"nokey": attr.S("x")})}}))
	requireCode(t, CodeValidation, db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{{Delete: &DeleteItemInput{Table: "Accounts", Key: attr.Item{"id": attr.S("x"), "extra": num(1)}}}}}))
	requireCode(t, CodeValidation, db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{{ConditionCheck: &ConditionCheckInput{Table: "Accounts", Key: acct("x")}}}}))
	// Updating a key attribute is refused; Shoal reports it as the action's
	// ValidationError.
	err := db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{{Update: &UpdateItemInput{Table: "Accounts", Key: acct("x"),
		Update: mustUpdate(t, "SET id = :v", vals(":v", attr.S("y")))}}}})
	requireCode(t, CodeTransactionCanceled, err, "updating a key attribute")
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, ReasonValidationError, e.Reasons[0].Code)
	requireCode(t, CodeValidation, db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{put("Accounts", acct("x"))}, ClientRequestToken: string(make([]byte, 37))}))
	requireCode(t, CodeNotFound, db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{put("Nope", acct("x"))}}))
	require.Nil(t, getItem(t, db, "Accounts", acct("x")))
}

func TestTransactWriteIdempotency(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock(time.Time{})
	db := openTestDB(t, withClock(clock))
	txnTables(t, db)
	inc := func(by int) TransactWriteInput {
		return TransactWriteInput{ClientRequestToken: "token-1", Actions: []TransactAction{
			{Update: &UpdateItemInput{Table: "Accounts", Key: acct("c"), Update: mustUpdate(t, "ADD n :one", vals(":one", num(by)))}},
			{Put: &PutItemInput{Table: "Ledger", Item: attr.Item{"acct": attr.S("c"), "seq": num(1), "by": num(by)}}},
		}}
	}
	count := func() attr.Value { return getItem(t, db, "Accounts", acct("c"))["n"] }
	require.NoError(t, db.TransactWriteItems(ctx, inc(1)))
	require.True(t, attr.Equal(num(1), count()), "count %v", count())
	changes := txnChangeCount(t, db, "Accounts")

	// The same request again within ten minutes succeeds without writing.
	clock.Advance(9 * time.Minute)
	require.NoError(t, db.TransactWriteItems(ctx, inc(1)))
	require.NoError(t, db.TransactWriteItems(ctx, inc(1)))
	require.True(t, attr.Equal(num(1), count()), "count %v", count())
	require.Equal(t, changes, txnChangeCount(t, db, "Accounts"), "a replay writes no change record")

	// A different request with the token is refused, and writes nothing.
	requireCode(t, CodeIdempotentParameterMismatch, db.TransactWriteItems(ctx, inc(2)))
	other := inc(1)
	other.Actions[1].Put.Item = attr.Item{"acct": attr.S("c"), "seq": num(2)}
	requireCode(t, CodeIdempotentParameterMismatch, db.TransactWriteItems(ctx, other))
	require.True(t, attr.Equal(num(1), count()), "count %v", count())
	require.Nil(t, getItem(t, db, "Ledger", ledger("c", 2)))

	// Without the token, the same request writes again.
	plain := inc(1)
	plain.ClientRequestToken = ""
	require.NoError(t, db.TransactWriteItems(ctx, plain))
	require.True(t, attr.Equal(num(2), count()), "count %v", count())

	// Ten minutes after the first use the token is free again.
	clock.Advance(time.Minute + time.Second)
	require.NoError(t, db.TransactWriteItems(ctx, inc(5)))
	require.True(t, attr.Equal(num(7), count()), "count %v", count())
	require.NoError(t, db.TransactWriteItems(ctx, inc(5)))
	require.True(t, attr.Equal(num(7), count()), "count %v", count())

	// A canceled transaction does not claim its token.
	cond := TransactWriteInput{ClientRequestToken: "token-2", Actions: []TransactAction{
		{Update: &UpdateItemInput{Table: "Accounts", Key: acct("c"), Update: mustUpdate(t, "ADD n :one", vals(":one", num(1))), Condition: mustCond(t, "n = :v", vals(":v", num(8)))}}}}
	requireCode(t, CodeTransactionCanceled, db.TransactWriteItems(ctx, cond))
	putItems(t, db, "Accounts", attr.Item{"id": attr.S("c"), "n": num(8)})
	require.NoError(t, db.TransactWriteItems(ctx, cond))
	require.True(t, attr.Equal(num(9), count()), "count %v", count())
	require.NoError(t, db.TransactWriteItems(ctx, cond), "a replay succeeds although the condition no longer holds")
	require.True(t, attr.Equal(num(9), count()), "count %v", count())
}

func TestTransactGetItems(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	txnTables(t, db)
	putItems(t, db, "Accounts", attr.Item{"id": attr.S("a"), "balance": num(1), "owner": attr.S("o")})
	putItems(t, db, "Ledger", attr.Item{"acct": attr.S("a"), "seq": num(1), "note": attr.M{"x": num(1), "y": num(2)}})
	out, err := db.TransactGetItems(ctx, []GetItemInput{
		{Table: "Accounts", Key: acct("a")},
		{Table: "Accounts", Key: acct("absent")},
		{Table: "Ledger", Key: ledger("a", 1), Projection: mustProj(t, "note.y, seq")},
		{Table: "Ledger", Key: ledger("a", 2)},
	})
	require.NoError(t, err)
	require.Len(t, out, 4)
	requireItem(t, attr.Item{"id": attr.S("a"), "balance": num(1), "owner": attr.S("o")}, out[0])
	require.Nil(t, out[1])
	requireItem(t, attr.Item{"seq": num(1), "note": attr.M{"y": num(2)}}, out[2])
	require.Nil(t, out[3])

	var gets []GetItemInput
	for i := range MaxTransactItems + 1 {
		gets = append(gets, GetItemInput{Table: "Ledger", Key: ledger("a", i)})
	}
	_, err = db.TransactGetItems(ctx, gets)
	requireCode(t, CodeValidation, err)
	out, err = db.TransactGetItems(ctx, gets[:MaxTransactItems])
	require.NoError(t, err)
	require.Len(t, out, MaxTransactItems)
	_, err = db.TransactGetItems(ctx, nil)
	requireCode(t, CodeValidation, err)
	_, err = db.TransactGetItems(ctx, []GetItemInput{{Table: "Accounts", Key: acct("a")}, {Table: "Accounts", Key: acct("a")}})
	requireCode(t, CodeValidation, err)
	_, err = db.TransactGetItems(ctx, []GetItemInput{{Table: "Accounts", Key: attr.Item{"id": num(1)}}})
	requireCode(t, CodeValidation, err)
	_, err = db.TransactGetItems(ctx, []GetItemInput{{Table: "Nope", Key: acct("a")}})
	requireCode(t, CodeNotFound, err)
}

// TestTransactionsConcurrentTransfers moves money between accounts with
// concurrent transactions while readers check, with TransactGetItems, that
// every snapshot holds the same total.
func TestTransactionsConcurrentTransfers(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	txnTables(t, db)
	const accounts, initial = 6, 1000
	var gets []GetItemInput
	for i := range accounts {
		putItems(t, db, "Accounts", attr.Item{"id": attr.S(fmt.Sprint(i)), "balance": num(initial)})
		gets = append(gets, GetItemInput{Table: "Accounts", Key: acct(fmt.Sprint(i))})
	}
	total := func(items []attr.Item) int64 {
		var s int64
		for _, it := range items {
			n, _ := it["balance"].(attr.Number).Int64()
			s += n
		}
		return s
	}
	ops := 150
	if testing.Short() {
		ops = 50
	}
	var committed, canceled, reads atomic.Int64
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed))
			for range ops {
				from, to := rng.Intn(accounts), rng.Intn(accounts-1)
				if to >= from {
					to++
				}
				amt := rng.Intn(300) + 1
				err := db.TransactWriteItems(ctx, TransactWriteInput{Actions: []TransactAction{
					{Update: &UpdateItemInput{Table: "Accounts", Key: acct(fmt.Sprint(from)), Update: ixUpdate("SET balance = balance - :a", vals(":a", num(amt))), Condition: ixCond("balance >= :a", vals(":a", num(amt)))}},
					{Update: &UpdateItemInput{Table: "Accounts", Key: acct(fmt.Sprint(to)), Update: ixUpdate("SET balance = balance + :a", vals(":a", num(amt)))}},
				}})
				switch CodeOf(err) {
				case "":
					committed.Add(1)
				case CodeTransactionCanceled, CodeTransactionConflict:
					canceled.Add(1)
				default:
					t.Errorf("transfer: %v", err)
					return
				}
			}
		}(int64(w))
	}
	var rg sync.WaitGroup
	for range 2 {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				items, err := db.TransactGetItems(ctx, gets)
				if err != nil {
					t.Errorf("get: %v", err)
					return
				}
				if s := total(items); s != accounts*initial {
					t.Errorf("a snapshot holds a total of %d", s)
					return
				}
				reads.Add(1)
			}
		}()
	}
	wg.Wait()
	close(done)
	rg.Wait()
	items, err := db.TransactGetItems(ctx, gets)
	require.NoError(t, err)
	require.EqualValues(t, accounts*initial, total(items))
	for _, it := range items {
		n, _ := it["balance"].(attr.Number).Int64()
		require.GreaterOrEqual(t, n, int64(0))
	}
	// One change record per account per committed transfer.
	require.Equal(t, accounts+2*int(committed.Load()), txnChangeCount(t, db, "Accounts"))
	t.Logf("%d transfers committed, %d canceled, %d consistent snapshots read", committed.Load(), canceled.Load(), reads.Load())
}

func TestBatchGetItem(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	txnTables(t, db)
	for i := range 10 {
		putItems(t, db, "Accounts", attr.Item{"id": attr.S(fmt.Sprint(i)), "balance": num(i), "owner": attr.S("o"), "m": attr.M{"a": num(i), "b": num(-i)}})
		putItems(t, db, "Ledger", attr.Item{"acct": attr.S("x"), "seq": num(i), "v": num(i * 10)})
	}
	out, err := db.BatchGetItem(ctx, BatchGetInput{Requests: []BatchGetRequest{
		{Table: "Accounts", Keys: []attr.Item{acct("1"), acct("absent"), acct("3")}, Projection: mustProj(t, "id, m.b")},
		{Table: "Ledger", Keys: []attr.Item{ledger("x", 2), ledger("x", 99), ledger("y", 2)}},
	}})
	require.NoError(t, err)
	require.Empty(t, out.Unprocessed)
	require.ElementsMatch(t, []string{`{"id":"1","m":{"b":-1}}`, `{"id":"3","m":{"b":-3}}`}, ixJSONs(out.Responses["Accounts"]))
	require.ElementsMatch(t, []string{`{"acct":"x","seq":2,"v":20}`}, ixJSONs(out.Responses["Ledger"]))
	// Nothing found is an empty answer, not an error.
	out, err = db.BatchGetItem(ctx, BatchGetInput{Requests: []BatchGetRequest{{Table: "Ledger", Keys: []attr.Item{ledger("q", 1)}}}})
	require.NoError(t, err)
	require.Empty(t, out.Responses["Ledger"])

	// Duplicates, too many keys, no keys, bad keys, unknown tables.
	_, err = db.BatchGetItem(ctx, BatchGetInput{Requests: []BatchGetRequest{{Table: "Accounts", Keys: []attr.Item{acct("1"), acct("2"), acct("1")}}}})
	requireCode(t, CodeValidation, err)
	_, err = db.BatchGetItem(ctx, BatchGetInput{Requests: []BatchGetRequest{{Table: "Accounts", Keys: []attr.Item{acct("1")}}, {Table: "Accounts", Keys: []attr.Item{acct("1")}}}})
	requireCode(t, CodeValidation, err)
	var keys []attr.Item
	for i := range 60 {
		keys = append(keys, acct(fmt.Sprint(i)))
	}
	var lkeys []attr.Item
	for i := range 41 {
		lkeys = append(lkeys, ledger("x", i))
	}
	_, err = db.BatchGetItem(ctx, BatchGetInput{Requests: []BatchGetRequest{{Table: "Accounts", Keys: keys}, {Table: "Ledger", Keys: lkeys}}})
	requireCode(t, CodeValidation, err, "101 keys over two tables")
	out, err = db.BatchGetItem(ctx, BatchGetInput{Requests: []BatchGetRequest{{Table: "Accounts", Keys: keys}, {Table: "Ledger", Keys: lkeys[:40]}}})
	require.NoError(t, err)
	require.Len(t, out.Responses["Accounts"], 10)
	require.Len(t, out.Responses["Ledger"], 10)
	_, err = db.BatchGetItem(ctx, BatchGetInput{})
	requireCode(t, CodeValidation, err)
	_, err = db.BatchGetItem(ctx, BatchGetInput{Requests: []BatchGetRequest{{Table: "Accounts"}}})
	requireCode(t, CodeValidation, err)
	_, err = db.BatchGetItem(ctx, BatchGetInput{Requests: []BatchGetRequest{{Table: "Ledger", Keys: []attr.Item{acct("1")}}}})
	requireCode(t, CodeValidation, err)
	_, err = db.BatchGetItem(ctx, BatchGetInput{Requests: []BatchGetRequest{{Table: "Nope", Keys: []attr.Item{acct("1")}}}})
	requireCode(t, CodeNotFound, err)
}

func TestBatchWriteItem(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	txnTables(t, db)
	putItems(t, db, "Accounts", attr.Item{"id": attr.S("old"), "owner": attr.S("o")})
	putItems(t, db, "Ledger", ledger("l", 1))
	out, err := db.BatchWriteItem(ctx, BatchWriteInput{Requests: []WriteRequest{
		{Table: "Accounts", Put: attr.Item{"id": attr.S("n1"), "owner": attr.S("o")}},
		{Table: "Accounts", DeleteKey: acct("old")},
		{Table: "Accounts", DeleteKey: acct("never")},
		{Table: "Ledger", Put: attr.Item{"acct": attr.S("l"), "seq": num(2), "v": num(1)}},
		{Table: "Ledger", DeleteKey: ledger("l", 1)},
		{Table: "Accounts", Put: attr.Item{"id": attr.S("n2")}},
	}})
	require.NoError(t, err)
	require.Empty(t, out.Unprocessed)
	require.ElementsMatch(t, []string{`{"id":"n1","owner":"o"}`, `{"id":"n2"}`}, ixJSONs(ixScanAll(t, db, ScanInput{Table: "Accounts"})))
	require.ElementsMatch(t, []string{`{"acct":"l","seq":2,"v":1}`}, ixJSONs(ixScanAll(t, db, ScanInput{Table: "Ledger"})))
	// Indexes follow batch writes.
	require.ElementsMatch(t, []string{`{"id":"n1","owner":"o"}`}, ixJSONs(ixScanAll(t, db, ScanInput{Table: "Accounts", Index: "byOwner"})))
	// One record per item changed: n1, old, n2; l/2, l/1.
	require.Equal(t, 1+3, txnChangeCount(t, db, "Accounts"))
	require.Equal(t, 1+2, txnChangeCount(t, db, "Ledger"))

	state := append(ixSortedJSONs(ixScanAll(t, db, ScanInput{Table: "Accounts"})), ixSortedJSONs(ixScanAll(t, db, ScanInput{Table: "Ledger"}))...)
	bad := []BatchWriteInput{
		{},
		{Requests: []WriteRequest{{Table: "Accounts", Put: acct("z1")}, {Table: "Accounts", DeleteKey: acct("z1")}}}, // duplicate
		{Requests: []WriteRequest{{Table: "Accounts", Put: acct("z1")}, {Table: "Accounts", Put: attr.Item{"id": attr.S("z1"), "v": num(1)}}}},
		{Requests: []WriteRequest{{Table: "Accounts", Put: acct("z1"), DeleteKey: acct("z2")}}},
		{Requests: []WriteRequest{{Table: "Accounts"}}},
		{Requests: []WriteRequest{{Table: "Accounts", Put: acct("z1")}, {Table: "Ledger", Put: attr.Item{"acct": attr.S("l")}}}},
		{Requests: []WriteRequest{{Table: "Accounts", Put: acct("z1")}, {Table: "Accounts", DeleteKey: attr.Item{"id": attr.S("z3"), "x": num(1)}}}},
	}
	var many []WriteRequest
	for i := range MaxBatchWrites + 1 {
		many = append(many, WriteRequest{Table: "Ledger", Put: ledger("many", i)})
	}
	bad = append(bad, BatchWriteInput{Requests: many})
	for i, in := range bad {
		_, err := db.BatchWriteItem(ctx, in)
		requireCode(t, CodeValidation, err, "bad batch %d", i)
	}
	_, err = db.BatchWriteItem(ctx, BatchWriteInput{Requests: []WriteRequest{{Table: "Nope", Put: acct("z1")}}})
	requireCode(t, CodeNotFound, err)
	require.Equal(t, state, append(ixSortedJSONs(ixScanAll(t, db, ScanInput{Table: "Accounts"})), ixSortedJSONs(ixScanAll(t, db, ScanInput{Table: "Ledger"}))...))
	out, err = db.BatchWriteItem(ctx, BatchWriteInput{Requests: many[:MaxBatchWrites]})
	require.NoError(t, err)
	require.Empty(t, out.Unprocessed)
	require.Len(t, ixQueryAll(t, db, QueryInput{Table: "Ledger", KeyCondition: mustKeyCond(t, "acct = :a", vals(":a", attr.S("many")))}), MaxBatchWrites)
}

// TestIdempotencyTokensTrimmed checks that expired idempotency records are
// removed from storage and live ones are kept.
func TestIdempotencyTokensTrimmed(t *testing.T) {
	clock := newFakeClock(time.Unix(1_700_000_000, 0))
	db := openTestDB(t, withClock(clock))
	ctx := context.Background()
	createTable(t, db, TableSpec{Name: "Tokens", KeySchema: hashKey("id", attr.TypeS)})
	write := func(token string) {
		in := TransactWriteInput{ClientRequestToken: token, Actions: []TransactAction{
			{Put: &PutItemInput{Table: "Tokens", Item: attr.Item{"id": attr.S(token)}}}}}
		require.NoError(t, db.TransactWriteItems(ctx, in))
	}
	count := func() int {
		n := 0
		require.NoError(t, db.view(func(tx *kv.Txn) error {
			prefix := []byte{spaceSystem, sysToken}
			it := tx.Iterate(kv.IterOptions{Prefix: prefix, KeysOnly: true})
			defer it.Close()
			for it.Seek(prefix); it.Valid(); it.Next() {
				n++
			}
			return nil
		}))
		return n
	}
	for i := range 300 { // more than one trimming batch
		write(fmt.Sprintf("old-%03d", i))
	}
	clock.Advance(11 * time.Minute)
	write("fresh")
	require.Equal(t, 301, count())
	require.NoError(t, db.trimTokens(ctx))
	require.Equal(t, 1, count(), "only the record inside its window is kept")
	write("fresh") // still a replay: the record survived
	require.Equal(t, 1, count())
}
