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

func cond(op types.ComparisonOperator, vals ...types.AttributeValue) types.Condition {
	return types.Condition{ComparisonOperator: op, AttributeValueList: vals}
}

func TestLegacyParameters(t *testing.T) {
	e := newEnv(t)
	e.createTable("Legacy", types.ScalarAttributeTypeN)
	tbl := aws.String("Legacy")
	for i := range 10 {
		item := map[string]types.AttributeValue{"pk": s("p"), "sk": n(fmt.Sprint(i)), "name": s(fmt.Sprintf("item-%d", i)),
			"tags": &types.AttributeValueMemberSS{Value: []string{"t" + fmt.Sprint(i%3)}}}
		if i%2 == 0 {
			item["even"] = &types.AttributeValueMemberBOOL{Value: true}
		}
		_, err := e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: tbl, Item: item})
		require.NoError(t, err)
	}

	// KeyConditions + QueryFilter + AttributesToGet.
	q, err := e.ddb.Query(ctx(), &dynamodb.QueryInput{TableName: tbl,
		KeyConditions:   map[string]types.Condition{"pk": cond(types.ComparisonOperatorEq, s("p")), "sk": cond(types.ComparisonOperatorBetween, n("2"), n("8"))},
		QueryFilter:     map[string]types.Condition{"even": cond(types.ComparisonOperatorNotNull), "tags": cond(types.ComparisonOperatorNotContains, s("t0"))},
		AttributesToGet: []string{"sk", "name"}})
	require.NoError(t, err)
	assert.Equal(t, int32(7), q.ScannedCount)
	// 2,4,6,8 are even; 6 has tag t0.
	assert.Equal(t, []map[string]types.AttributeValue{{"sk": n("2"), "name": s("item-2")}, {"sk": n("4"), "name": s("item-4")}, {"sk": n("8"), "name": s("item-8")}}, q.Items)

	q, err = e.ddb.Query(ctx(), &dynamodb.QueryInput{TableName: tbl,
		KeyConditions:       map[string]types.Condition{"pk": cond(types.ComparisonOperatorEq, s("p")), "sk": cond(types.ComparisonOperatorGe, n("7"))},
		QueryFilter:         map[string]types.Condition{"even": cond(types.ComparisonOperatorNull), "name": cond(types.ComparisonOperatorBeginsWith, s("item-9"))},
		ConditionalOperator: types.ConditionalOperatorOr})
	require.NoError(t, err)
	assert.Equal(t, int32(2), q.Count) // 7 and 9 are odd

	// ScanFilter with IN.
	sc, err := e.ddb.Scan(ctx(), &dynamodb.ScanInput{TableName: tbl,
		ScanFilter: map[string]types.Condition{"sk": cond(types.ComparisonOperatorIn, n("1"), n("3"), n("42"))}, Select: types.SelectCount})
	require.NoError(t, err)
	assert.Equal(t, int32(2), sc.Count)

	// Wrong number of arguments.
	_, err = e.ddb.Scan(ctx(), &dynamodb.ScanInput{TableName: tbl, ScanFilter: map[string]types.Condition{"sk": cond(types.ComparisonOperatorEq)}})
	assert.Equal(t, "ValidationException", errorCode(t, err))
	assert.Contains(t, err.Error(), "Invalid number of argument(s) for the EQ ComparisonOperator")

	// AttributeUpdates with Expected.
	key := map[string]types.AttributeValue{"pk": s("p"), "sk": n("1")}
	u, err := e.ddb.UpdateItem(ctx(), &dynamodb.UpdateItemInput{TableName: tbl, Key: key,
		AttributeUpdates: map[string]types.AttributeValueUpdate{
			"count": {Action: types.AttributeActionAdd, Value: n("5")},
			"tags":  {Action: types.AttributeActionAdd, Value: &types.AttributeValueMemberSS{Value: []string{"new"}}},
			"name":  {Action: types.AttributeActionPut, Value: s("renamed")},
			"even":  {Action: types.AttributeActionDelete},
			"log":   {Action: types.AttributeActionAdd, Value: &types.AttributeValueMemberL{Value: []types.AttributeValue{s("a")}}},
		},
		Expected:     map[string]types.ExpectedAttributeValue{"name": {Value: s("item-1")}, "even": {Exists: aws.Bool(false)}},
		ReturnValues: types.ReturnValueAllNew})
	require.NoError(t, err)
	assert.Equal(t, n("5"), u.Attributes["count"])
	assert.ElementsMatch(t, []string{"t1", "new"}, u.Attributes["tags"].(*types.AttributeValueMemberSS).Value)
	assert.Equal(t, s("renamed"), u.Attributes["name"])
	assert.Equal(t, &types.AttributeValueMemberL{Value: []types.AttributeValue{s("a")}}, u.Attributes["log"])

	// Expected fails: ConditionalCheckFailedException.
	_, err = e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: tbl, Item: key,
		Expected: map[string]types.ExpectedAttributeValue{"name": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []types.AttributeValue{s("item-1")}}}})
	assert.Equal(t, "ConditionalCheckFailedException", errorCode(t, err))
	_, err = e.ddb.DeleteItem(ctx(), &dynamodb.DeleteItemInput{TableName: tbl, Key: key,
		Expected: map[string]types.ExpectedAttributeValue{"count": {ComparisonOperator: types.ComparisonOperatorGt, AttributeValueList: []types.AttributeValue{n("4")}}}})
	require.NoError(t, err)

	// GetItem with AttributesToGet.
	g, err := e.ddb.GetItem(ctx(), &dynamodb.GetItemInput{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("p"), "sk": n("2")}, AttributesToGet: []string{"name"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]types.AttributeValue{"name": s("item-2")}, g.Item)

	// Legacy and expression parameters together.
	_, err = e.ddb.GetItem(ctx(), &dynamodb.GetItemInput{TableName: tbl, Key: key, AttributesToGet: []string{"name"}, ProjectionExpression: aws.String("sk")})
	assert.Equal(t, "ValidationException", errorCode(t, err))
	assert.Contains(t, err.Error(), "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}")
}
