package dynamodbapi_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type product struct {
	PK       string            `dynamodbav:"pk"`
	Name     string            `dynamodbav:"name"`
	Price    float64           `dynamodbav:"price"`
	Tags     []string          `dynamodbav:"tags,stringset"`
	Stock    int               `dynamodbav:"stock"`
	Attrs    map[string]string `dynamodbav:"attrs"`
	Image    []byte            `dynamodbav:"image"`
	Discount *float64          `dynamodbav:"discount"`
	Active   bool              `dynamodbav:"active"`
	Sizes    []int             `dynamodbav:"sizes,numberset"`
	History  []any             `dynamodbav:"history"`
}

func TestItemLifecycle(t *testing.T) {
	e := newEnv(t)
	e.createTable("Products", "")
	tbl := aws.String("Products")
	p := product{PK: "p1", Name: "Lamp", Price: 19.99, Tags: []string{"home", "light"}, Stock: 5,
		Attrs: map[string]string{"color": "red"}, Image: []byte{0, 1, 2, 255}, Active: true,
		Sizes: []int{1, 2, 3}, History: []any{"created", 1.5, true, nil, map[string]any{"by": "me"}}}
	av, err := attributevalue.MarshalMap(p)
	require.NoError(t, err)

	// A conditional create.
	cond, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("pk"))).Build()
	require.NoError(t, err)
	_, err = e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: tbl, Item: av,
		ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values()})
	require.NoError(t, err)

	// The same create again fails, returning the stored item when asked.
	_, err = e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: tbl, Item: av,
		ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	require.ErrorAs(t, err, &ccf)
	assert.Equal(t, "The conditional request failed", ccf.ErrorMessage())
	assert.Equal(t, av, ccf.Item)
	_, err = e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: tbl, Item: av,
		ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values()})
	require.ErrorAs(t, err, &ccf)
	assert.Nil(t, ccf.Item)

	// Read it back, whole and projected.
	key := map[string]types.AttributeValue{"pk": s("p1")}
	got, err := e.ddb.GetItem(ctx(), &dynamodb.GetItemInput{TableName: tbl, Key: key, ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	var back product
	require.NoError(t, attributevalue.UnmarshalMap(got.Item, &back))
	assert.Equal(t, p, back)
	proj, err := expression.NewBuilder().WithProjection(expression.NamesList(expression.Name("name"), expression.Name("attrs.color"))).Build()
	require.NoError(t, err)
	got, err = e.ddb.GetItem(ctx(), &dynamodb.GetItemInput{TableName: tbl, Key: key, ProjectionExpression: proj.Projection(), ExpressionAttributeNames: proj.Names()})
	require.NoError(t, err)
	assert.Equal(t, map[string]types.AttributeValue{"name": s("Lamp"), "attrs": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"color": s("red")}}}, got.Item)

	// An absent item: no Item member.
	got, err = e.ddb.GetItem(ctx(), &dynamodb.GetItemInput{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("nope")}})
	require.NoError(t, err)
	assert.Nil(t, got.Item)

	// Update with the expression builder: arithmetic, set ops, remove.
	upd := expression.Set(expression.Name("stock"), expression.Name("stock").Minus(expression.Value(2))).
		Add(expression.Name("tags"), expression.Value(&types.AttributeValueMemberSS{Value: []string{"sale"}})).
		Remove(expression.Name("image"))
	ucond := expression.Name("stock").GreaterThanEqual(expression.Value(2))
	ue, err := expression.NewBuilder().WithUpdate(upd).WithCondition(ucond).Build()
	require.NoError(t, err)
	uo, err := e.ddb.UpdateItem(ctx(), &dynamodb.UpdateItemInput{TableName: tbl, Key: key,
		UpdateExpression: ue.Update(), ConditionExpression: ue.Condition(),
		ExpressionAttributeNames: ue.Names(), ExpressionAttributeValues: ue.Values(), ReturnValues: types.ReturnValueUpdatedNew})
	require.NoError(t, err)
	assert.Equal(t, n("3"), uo.Attributes["stock"])
	assert.ElementsMatch(t, []string{"home", "light", "sale"}, uo.Attributes["tags"].(*types.AttributeValueMemberSS).Value)
	assert.NotContains(t, uo.Attributes, "name")

	// Two more decrements: the second fails the condition.
	for i, want := range []bool{true, false} {
		_, err := e.ddb.UpdateItem(ctx(), &dynamodb.UpdateItemInput{TableName: tbl, Key: key,
			UpdateExpression: aws.String("SET stock = stock - :n"), ConditionExpression: aws.String("stock >= :n"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": n("2")}})
		if want {
			require.NoError(t, err, "update %d", i)
		} else {
			require.ErrorAs(t, err, &ccf)
		}
	}

	// Unused expression values are refused, as by DynamoDB.
	_, err = e.ddb.UpdateItem(ctx(), &dynamodb.UpdateItemInput{TableName: tbl, Key: key,
		UpdateExpression:          aws.String("SET stock = :a"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": n("1"), ":b": n("2")}})
	assert.Equal(t, "ValidationException", errorCode(t, err))
	assert.Contains(t, err.Error(), "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}")

	// Updating a key attribute is refused.
	_, err = e.ddb.UpdateItem(ctx(), &dynamodb.UpdateItemInput{TableName: tbl, Key: key,
		UpdateExpression: aws.String("SET pk = :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": s("x")}})
	assert.Equal(t, "ValidationException", errorCode(t, err))

	// An update creates a missing item; ALL_NEW returns it.
	uo, err = e.ddb.UpdateItem(ctx(), &dynamodb.UpdateItemInput{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("p2")},
		UpdateExpression: aws.String("SET #n = :n"), ExpressionAttributeNames: map[string]string{"#n": "name"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": s("Chair")}, ReturnValues: types.ReturnValueAllNew})
	require.NoError(t, err)
	assert.Equal(t, map[string]types.AttributeValue{"pk": s("p2"), "name": s("Chair")}, uo.Attributes)

	// An update without any action creates the key only, and is a no-op
	// on an existing item.
	uo, err = e.ddb.UpdateItem(ctx(), &dynamodb.UpdateItemInput{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("p3")}, ReturnValues: types.ReturnValueAllNew})
	require.NoError(t, err)
	assert.Equal(t, map[string]types.AttributeValue{"pk": s("p3")}, uo.Attributes)
	uo, err = e.ddb.UpdateItem(ctx(), &dynamodb.UpdateItemInput{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("p2")}, ReturnValues: types.ReturnValueAllOld})
	require.NoError(t, err)
	assert.Equal(t, s("Chair"), uo.Attributes["name"])

	// Put returning the old item; delete with a condition, then returning it.
	po, err := e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: tbl, Item: map[string]types.AttributeValue{"pk": s("p2"), "name": s("Stool")}, ReturnValues: types.ReturnValueAllOld})
	require.NoError(t, err)
	assert.Equal(t, s("Chair"), po.Attributes["name"])
	_, err = e.ddb.DeleteItem(ctx(), &dynamodb.DeleteItemInput{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("p2")},
		ConditionExpression: aws.String("#n = :n"), ExpressionAttributeNames: map[string]string{"#n": "name"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": s("Chair")}})
	require.ErrorAs(t, err, &ccf)
	do, err := e.ddb.DeleteItem(ctx(), &dynamodb.DeleteItemInput{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("p2")}, ReturnValues: types.ReturnValueAllOld})
	require.NoError(t, err)
	assert.Equal(t, s("Stool"), do.Attributes["name"])
	do, err = e.ddb.DeleteItem(ctx(), &dynamodb.DeleteItemInput{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("p2")}, ReturnValues: types.ReturnValueAllOld})
	require.NoError(t, err)
	assert.Nil(t, do.Attributes)

	// A key that does not match the schema.
	_, err = e.ddb.GetItem(ctx(), &dynamodb.GetItemInput{TableName: tbl, Key: map[string]types.AttributeValue{"pk": n("1")}})
	assert.Equal(t, "ValidationException", errorCode(t, err))
	// A syntax error.
	_, err = e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: tbl, Item: av, ConditionExpression: aws.String("pk = = :x"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":x": s("1")}})
	assert.Equal(t, "ValidationException", errorCode(t, err))
}

func TestConsumedCapacity(t *testing.T) {
	e := newEnv(t)
	e.createTable("Cap", "")
	tbl := aws.String("Cap")
	big := make([]byte, 5000)
	for i := range big {
		big[i] = 'x'
	}
	po, err := e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: tbl,
		Item: map[string]types.AttributeValue{"pk": s("a"), "data": s(string(big))}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	require.NoError(t, err)
	require.NotNil(t, po.ConsumedCapacity)
	assert.Equal(t, "Cap", aws.ToString(po.ConsumedCapacity.TableName))
	assert.Equal(t, 5.0, aws.ToFloat64(po.ConsumedCapacity.CapacityUnits)) // 5006 bytes → 5 KB
	assert.Nil(t, po.Attributes)

	g, err := e.ddb.GetItem(ctx(), &dynamodb.GetItemInput{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("a")},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal, ProjectionExpression: aws.String("pk")})
	require.NoError(t, err)
	assert.Equal(t, 1.0, aws.ToFloat64(g.ConsumedCapacity.CapacityUnits)) // 2 × 4 KB, halved
	assert.Equal(t, map[string]types.AttributeValue{"pk": s("a")}, g.Item)
	g, err = e.ddb.GetItem(ctx(), &dynamodb.GetItemInput{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("a")},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes, ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	assert.Equal(t, 2.0, aws.ToFloat64(g.ConsumedCapacity.CapacityUnits))
	require.NotNil(t, g.ConsumedCapacity.Table)
	assert.Equal(t, 2.0, aws.ToFloat64(g.ConsumedCapacity.Table.CapacityUnits))

	// Without ReturnConsumedCapacity there is none.
	g, err = e.ddb.GetItem(ctx(), &dynamodb.GetItemInput{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("a")}})
	require.NoError(t, err)
	assert.Nil(t, g.ConsumedCapacity)

	uo, err := e.ddb.UpdateItem(ctx(), &dynamodb.UpdateItemInput{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("a")},
		UpdateExpression: aws.String("SET n = :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": n("1")},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	require.NoError(t, err)
	assert.Equal(t, 5.0, aws.ToFloat64(uo.ConsumedCapacity.CapacityUnits))
	assert.Nil(t, uo.Attributes)

	tw, err := e.ddb.TransactWriteItems(ctx(), &dynamodb.TransactWriteItemsInput{
		TransactItems:          []types.TransactWriteItem{{Put: &types.Put{TableName: tbl, Item: map[string]types.AttributeValue{"pk": s("b")}}}},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	require.NoError(t, err)
	require.Len(t, tw.ConsumedCapacity, 1)
	assert.Equal(t, 2.0, aws.ToFloat64(tw.ConsumedCapacity[0].CapacityUnits))
}
