package dynamodbapi_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBatchWriteAndGet(t *testing.T) {
	e := newEnv(t)
	e.createTable("Alpha", "")
	e.createTable("Beta", types.ScalarAttributeTypeN)
	var reqs []types.WriteRequest
	for i := range 20 {
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"pk": s(fmt.Sprint(i)), "v": n(fmt.Sprint(i))}}})
	}
	out, err := e.ddb.BatchWriteItem(ctx(), &dynamodb.BatchWriteItemInput{
		RequestItems: map[string][]types.WriteRequest{
			"Alpha": reqs,
			"Beta": {{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"pk": s("x"), "sk": n("1")}}},
				{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"pk": s("x"), "sk": n("2")}}}},
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	require.NoError(t, err)
	assert.Empty(t, out.UnprocessedItems)
	require.Len(t, out.ConsumedCapacity, 2)

	// Deletes and puts mixed.
	_, err = e.ddb.BatchWriteItem(ctx(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"Alpha": {{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"pk": s("0")}}}},
	}})
	require.NoError(t, err)

	// Too many requests.
	var many []types.WriteRequest
	for i := range 26 {
		many = append(many, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"pk": s(fmt.Sprint(i))}}})
	}
	_, err = e.ddb.BatchWriteItem(ctx(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"Alpha": many}})
	assert.Equal(t, "ValidationException", errorCode(t, err))

	g, err := e.ddb.BatchGetItem(ctx(), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"Alpha": {Keys: []map[string]types.AttributeValue{{"pk": s("0")}, {"pk": s("1")}, {"pk": s("19")}}, ProjectionExpression: aws.String("v")},
		"Beta":  {Keys: []map[string]types.AttributeValue{{"pk": s("x"), "sk": n("2")}}, ConsistentRead: aws.Bool(true)},
	}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	require.NoError(t, err)
	assert.Empty(t, g.UnprocessedKeys)
	assert.ElementsMatch(t, []map[string]types.AttributeValue{{"v": n("1")}, {"v": n("19")}}, g.Responses["Alpha"])
	assert.Equal(t, []map[string]types.AttributeValue{{"pk": s("x"), "sk": n("2")}}, g.Responses["Beta"])
	require.Len(t, g.ConsumedCapacity, 2)
	caps := map[string]float64{}
	for _, c := range g.ConsumedCapacity {
		caps[aws.ToString(c.TableName)] = aws.ToFloat64(c.CapacityUnits)
	}
	assert.Equal(t, map[string]float64{"Alpha": 1, "Beta": 1}, caps)

	_, err = e.ddb.BatchGetItem(ctx(), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"Alpha": {Keys: []map[string]types.AttributeValue{{"pk": s("1")}, {"pk": s("1")}}}}})
	assert.Equal(t, "ValidationException", errorCode(t, err))
	_, err = e.ddb.BatchGetItem(ctx(), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"Missing": {Keys: []map[string]types.AttributeValue{{"pk": s("1")}}}}})
	assert.Equal(t, "ResourceNotFoundException", errorCode(t, err))
}

func TestTransactions(t *testing.T) {
	e := newEnv(t)
	e.createTable("Accounts", "")
	tbl := aws.String("Accounts")
	for _, a := range []struct{ id, bal string }{{"alice", "100"}, {"bob", "20"}, {"bank", "0"}} {
		_, err := e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: tbl, Item: map[string]types.AttributeValue{"pk": s(a.id), "balance": n(a.bal)}})
		require.NoError(t, err)
	}
	transfer := func(from, to, amount, token string) error {
		_, err := e.ddb.TransactWriteItems(ctx(), &dynamodb.TransactWriteItemsInput{
			ClientRequestToken: aws.String(token),
			TransactItems: []types.TransactWriteItem{
				{Update: &types.Update{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s(from)},
					UpdateExpression: aws.String("SET balance = balance - :a"), ConditionExpression: aws.String("balance >= :a"),
					ExpressionAttributeValues:           map[string]types.AttributeValue{":a": n(amount)},
					ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
				{Update: &types.Update{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s(to)},
					UpdateExpression: aws.String("SET balance = balance + :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": n(amount)}}},
				{Put: &types.Put{TableName: tbl, Item: map[string]types.AttributeValue{"pk": s("log#" + token), "amount": n(amount)},
					ConditionExpression: aws.String("attribute_not_exists(pk)")}},
				{ConditionCheck: &types.ConditionCheck{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("bank")},
					ConditionExpression: aws.String("attribute_exists(pk)")}},
			},
		})
		return err
	}
	require.NoError(t, transfer("alice", "bob", "30", "t1"))
	// The same token and request again: idempotent, nothing applied twice.
	require.NoError(t, transfer("alice", "bob", "30", "t1"))
	// The same token with another request.
	err := transfer("alice", "bob", "31", "t1")
	assert.Equal(t, "IdempotentParameterMismatchException", errorCode(t, err))

	err = transfer("bob", "alice", "1000", "t2")
	var tce *types.TransactionCanceledException
	require.ErrorAs(t, err, &tce)
	assert.Equal(t, "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None, None, None]", tce.ErrorMessage())
	require.Len(t, tce.CancellationReasons, 4)
	assert.Equal(t, "ConditionalCheckFailed", aws.ToString(tce.CancellationReasons[0].Code))
	assert.Equal(t, "The conditional request failed", aws.ToString(tce.CancellationReasons[0].Message))
	assert.Equal(t, map[string]types.AttributeValue{"pk": s("bob"), "balance": n("50")}, tce.CancellationReasons[0].Item)
	assert.Equal(t, "None", aws.ToString(tce.CancellationReasons[1].Code))
	assert.Nil(t, tce.CancellationReasons[1].Item)

	g, err := e.ddb.TransactGetItems(ctx(), &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("alice")}}},
		{Get: &types.Get{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("bob")}, ProjectionExpression: aws.String("balance")}},
		{Get: &types.Get{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("carol")}}},
		{Get: &types.Get{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("log#t1")}}},
	}})
	require.NoError(t, err)
	require.Len(t, g.Responses, 4)
	assert.Equal(t, n("70"), g.Responses[0].Item["balance"])
	assert.Equal(t, map[string]types.AttributeValue{"balance": n("50")}, g.Responses[1].Item)
	assert.Nil(t, g.Responses[2].Item)
	assert.Equal(t, n("30"), g.Responses[3].Item["amount"])

	// Two actions on one item.
	_, err = e.ddb.TransactWriteItems(ctx(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: tbl, Item: map[string]types.AttributeValue{"pk": s("x")}}},
		{Delete: &types.Delete{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("x")}}},
	}})
	assert.Equal(t, "ValidationException", errorCode(t, err))
}
