package dynamodbapi_test

import (
	"fmt"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type reading struct {
	Device string `dynamodbav:"pk"`
	At     int    `dynamodbav:"sk"`
	Temp   int    `dynamodbav:"temp"`
	Zone   string `dynamodbav:"zone"`
}

// seedReadings writes 3 devices × 30 readings, with a GSI on zone.
func seedReadings(t *testing.T, e *env) {
	e.createTable("Readings", types.ScalarAttributeTypeN, func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("zone"), AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{IndexName: aws.String("byZone"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("zone"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}
	})
	for d := range 3 {
		var reqs []types.WriteRequest
		for i := range 30 {
			av, err := attributevalue.MarshalMap(reading{Device: fmt.Sprintf("dev-%d", d), At: 1000 + i, Temp: i % 10, Zone: fmt.Sprintf("z%d", i%2)})
			require.NoError(t, err)
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
			if len(reqs) == 25 || i == 29 {
				out, err := e.ddb.BatchWriteItem(ctx(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"Readings": reqs}})
				require.NoError(t, err)
				require.Empty(t, out.UnprocessedItems)
				reqs = nil
			}
		}
	}
}

func TestQueryPagingToTheEnd(t *testing.T) {
	e := newEnv(t)
	seedReadings(t, e)
	kc := expression.Key("pk").Equal(expression.Value("dev-1")).And(expression.Key("sk").Between(expression.Value(1005), expression.Value(1024)))
	filt := expression.Name("temp").GreaterThanEqual(expression.Value(5))
	ex, err := expression.NewBuilder().WithKeyCondition(kc).WithFilter(filt).Build()
	require.NoError(t, err)
	in := &dynamodb.QueryInput{TableName: aws.String("Readings"), KeyConditionExpression: ex.KeyCondition(), FilterExpression: ex.Filter(),
		ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values(), Limit: aws.Int32(6), ScanIndexForward: aws.Bool(false)}
	var got []reading
	pages, scanned := 0, 0
	p := dynamodb.NewQueryPaginator(e.ddb, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx())
		require.NoError(t, err)
		pages++
		scanned += int(out.ScannedCount)
		assert.LessOrEqual(t, out.ScannedCount, int32(6))
		var rs []reading
		require.NoError(t, attributevalue.UnmarshalListOfMaps(out.Items, &rs))
		assert.Equal(t, int(out.Count), len(rs))
		got = append(got, rs...)
	}
	assert.Equal(t, 20, scanned) // Limit counts the items read, as in DynamoDB
	assert.Equal(t, 4, pages)    // 6+6+6+2, and LastEvaluatedKey is absent on the last
	var ats []int
	for _, r := range got {
		assert.GreaterOrEqual(t, r.Temp, 5)
		ats = append(ats, r.At)
	}
	assert.True(t, sort.SliceIsSorted(ats, func(i, j int) bool { return ats[i] > ats[j] }), "descending: %v", ats)
	assert.Len(t, got, 10)

	// Select COUNT.
	out, err := e.ddb.Query(ctx(), &dynamodb.QueryInput{TableName: aws.String("Readings"), KeyConditionExpression: aws.String("pk = :d"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": s("dev-2")}, Select: types.SelectCount})
	require.NoError(t, err)
	assert.Equal(t, int32(30), out.Count)
	assert.Nil(t, out.Items)

	// The GSI, read through an ExclusiveStartKey that holds the index key.
	var zone []map[string]types.AttributeValue
	qp := dynamodb.NewQueryPaginator(e.ddb, &dynamodb.QueryInput{TableName: aws.String("Readings"), IndexName: aws.String("byZone"),
		KeyConditionExpression: aws.String("#z = :z AND sk < :t"), ExpressionAttributeNames: map[string]string{"#z": "zone"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":z": s("z1"), ":t": n("1010")}, Limit: aws.Int32(4)})
	for qp.HasMorePages() {
		out, err := qp.NextPage(ctx())
		require.NoError(t, err)
		if out.LastEvaluatedKey != nil {
			assert.Contains(t, out.LastEvaluatedKey, "zone")
			assert.Contains(t, out.LastEvaluatedKey, "pk")
		}
		zone = append(zone, out.Items...)
	}
	assert.Len(t, zone, 15) // 5 odd readings below 1010 on each of 3 devices

	// Consistent reads of a GSI are refused, as by DynamoDB.
	_, err = e.ddb.Query(ctx(), &dynamodb.QueryInput{TableName: aws.String("Readings"), IndexName: aws.String("byZone"), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("#z = :z"), ExpressionAttributeNames: map[string]string{"#z": "zone"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":z": s("z1")}})
	assert.Equal(t, "ValidationException", errorCode(t, err))

	// A key condition on a non-key attribute.
	_, err = e.ddb.Query(ctx(), &dynamodb.QueryInput{TableName: aws.String("Readings"), KeyConditionExpression: aws.String("temp = :d"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": n("1")}})
	assert.Equal(t, "ValidationException", errorCode(t, err))
}

func TestScanPagingAndSegments(t *testing.T) {
	e := newEnv(t)
	seedReadings(t, e)
	seen := map[string]bool{}
	p := dynamodb.NewScanPaginator(e.ddb, &dynamodb.ScanInput{TableName: aws.String("Readings"), Limit: aws.Int32(7),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx())
		require.NoError(t, err)
		pages++
		require.NotNil(t, out.ConsumedCapacity)
		assert.Equal(t, 0.5, aws.ToFloat64(out.ConsumedCapacity.CapacityUnits))
		for _, it := range out.Items {
			k := it["pk"].(*types.AttributeValueMemberS).Value + "/" + it["sk"].(*types.AttributeValueMemberN).Value
			assert.False(t, seen[k], "seen twice: %s", k)
			seen[k] = true
		}
	}
	assert.Len(t, seen, 90)
	assert.Equal(t, 13, pages) // 12 pages of 7 and one of 6

	// Four segments cover the table exactly once.
	total := 0
	for seg := range 4 {
		sp := dynamodb.NewScanPaginator(e.ddb, &dynamodb.ScanInput{TableName: aws.String("Readings"),
			Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(4), Limit: aws.Int32(10),
			FilterExpression: aws.String("#t < :t"), ExpressionAttributeNames: map[string]string{"#t": "temp"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": n("5")}})
		for sp.HasMorePages() {
			out, err := sp.NextPage(ctx())
			require.NoError(t, err)
			total += int(out.Count)
		}
	}
	assert.Equal(t, 45, total)

	// Reserved words need a name placeholder; the message names the filter.
	_, err := e.ddb.Scan(ctx(), &dynamodb.ScanInput{TableName: aws.String("Readings"), FilterExpression: aws.String("temp < :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": n("5")}})
	assert.Equal(t, "ValidationException", errorCode(t, err))
	assert.Contains(t, err.Error(), "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: temp")

	_, err = e.ddb.Scan(ctx(), &dynamodb.ScanInput{TableName: aws.String("Readings"), Segment: aws.Int32(4), TotalSegments: aws.Int32(4)})
	assert.Equal(t, "ValidationException", errorCode(t, err))
	_, err = e.ddb.Scan(ctx(), &dynamodb.ScanInput{TableName: aws.String("Nope")})
	assert.Equal(t, "ResourceNotFoundException", errorCode(t, err))
}
