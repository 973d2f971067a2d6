package dynamodbapi_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateDescribeDeleteTable(t *testing.T) {
	e := newEnv(t)
	d := e.createTable("Orders", types.ScalarAttributeTypeS, func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions,
			types.AttributeDefinition{AttributeName: aws.String("status"), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String("total"), AttributeType: types.ScalarAttributeTypeN})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
			IndexName:  aws.String("byStatus"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("status"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}}
		in.LocalSecondaryIndexes = []types.LocalSecondaryIndex{{
			IndexName: aws.String("byTotal"),
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("total"), KeyType: types.KeyTypeRange}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"note"}},
		}}
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages}
	})
	assert.Equal(t, types.TableStatusActive, d.TableStatus)
	assert.Equal(t, "arn:aws:dynamodb:us-east-1:000000000000:table/Orders", aws.ToString(d.TableArn))
	require.NotNil(t, d.LatestStreamArn)
	assert.Contains(t, *d.LatestStreamArn, "table/Orders/stream/")

	// Duplicate: ResourceInUseException.
	_, err := e.ddb.CreateTable(ctx(), &dynamodb.CreateTableInput{
		TableName:            aws.String("Orders"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	var inUse *types.ResourceInUseException
	require.ErrorAs(t, err, &inUse)

	for i := range 3 {
		_, err := e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: aws.String("Orders"),
			Item: map[string]types.AttributeValue{"pk": s("c1"), "sk": s(fmt.Sprint(i)), "status": s("open"), "total": n("10")}})
		require.NoError(t, err)
	}
	desc, err := e.ddb.DescribeTable(ctx(), &dynamodb.DescribeTableInput{TableName: aws.String("Orders")})
	require.NoError(t, err)
	tb := desc.Table
	assert.Equal(t, int64(3), aws.ToInt64(tb.ItemCount))
	assert.Positive(t, aws.ToInt64(tb.TableSizeBytes))
	assert.Equal(t, types.BillingModePayPerRequest, tb.BillingModeSummary.BillingMode)
	assert.Equal(t, int64(0), aws.ToInt64(tb.ProvisionedThroughput.ReadCapacityUnits))
	assert.WithinDuration(t, time.Now(), aws.ToTime(tb.CreationDateTime), time.Minute)
	assert.ElementsMatch(t, []types.AttributeDefinition{
		{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String("status"), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String("total"), AttributeType: types.ScalarAttributeTypeN},
	}, tb.AttributeDefinitions)
	require.Len(t, tb.GlobalSecondaryIndexes, 1)
	assert.Equal(t, types.IndexStatusActive, tb.GlobalSecondaryIndexes[0].IndexStatus)
	require.Len(t, tb.LocalSecondaryIndexes, 1)
	assert.Equal(t, []string{"note"}, tb.LocalSecondaryIndexes[0].Projection.NonKeyAttributes)
	assert.Equal(t, types.StreamViewTypeNewAndOldImages, tb.StreamSpecification.StreamViewType)
	assert.NotEmpty(t, aws.ToString(tb.TableId))

	// The SDK's waiter works against Shoal.
	require.NoError(t, dynamodb.NewTableExistsWaiter(e.ddb).Wait(ctx(), &dynamodb.DescribeTableInput{TableName: aws.String("Orders")}, 5*time.Second))

	del, err := e.ddb.DeleteTable(ctx(), &dynamodb.DeleteTableInput{TableName: aws.String("Orders")})
	require.NoError(t, err)
	assert.Equal(t, types.TableStatusDeleting, del.TableDescription.TableStatus)
	_, err = e.ddb.DescribeTable(ctx(), &dynamodb.DescribeTableInput{TableName: aws.String("Orders")})
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "Requested resource not found: Table: Orders not found", nf.ErrorMessage())
	_, err = e.ddb.GetItem(ctx(), &dynamodb.GetItemInput{TableName: aws.String("Orders"), Key: map[string]types.AttributeValue{"pk": s("x"), "sk": s("y")}})
	require.ErrorAs(t, err, &nf)
}

func TestCreateTableValidation(t *testing.T) {
	e := newEnv(t)
	_, err := e.ddb.CreateTable(ctx(), &dynamodb.CreateTableInput{
		TableName: aws.String("Bad"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("unused"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	assert.Equal(t, "ValidationException", errorCode(t, err))
	assert.Contains(t, err.Error(), "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
}

func TestListTablesPaging(t *testing.T) {
	e := newEnv(t)
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("T%02d", i)
		want = append(want, name)
		e.createTable(name, "")
	}
	var got []string
	p := dynamodb.NewListTablesPaginator(e.ddb, &dynamodb.ListTablesInput{Limit: aws.Int32(3)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx())
		require.NoError(t, err)
		got = append(got, out.TableNames...)
		pages++
	}
	assert.Equal(t, want, got)
	assert.Equal(t, 3, pages)
}

func TestUpdateTableIndexesAndStream(t *testing.T) {
	e := newEnv(t)
	e.createTable("Users", "")
	for i := range 20 {
		_, err := e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: aws.String("Users"),
			Item: map[string]types.AttributeValue{"pk": s(fmt.Sprintf("u%02d", i)), "email": s(fmt.Sprintf("u%02d@example.com", i))}})
		require.NoError(t, err)
	}
	out, err := e.ddb.UpdateTable(ctx(), &dynamodb.UpdateTableInput{
		TableName:            aws.String("Users"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("email"), AttributeType: types.ScalarAttributeTypeS}},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName:  aws.String("byEmail"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("email"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}}},
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeKeysOnly},
	})
	require.NoError(t, err)
	require.Len(t, out.TableDescription.GlobalSecondaryIndexes, 1)
	assert.NotNil(t, out.TableDescription.LatestStreamArn)

	// Wait for the backfill.
	require.Eventually(t, func() bool {
		d, err := e.ddb.DescribeTable(ctx(), &dynamodb.DescribeTableInput{TableName: aws.String("Users")})
		return err == nil && d.Table.GlobalSecondaryIndexes[0].IndexStatus == types.IndexStatusActive
	}, 10*time.Second, 20*time.Millisecond)
	q, err := e.ddb.Query(ctx(), &dynamodb.QueryInput{TableName: aws.String("Users"), IndexName: aws.String("byEmail"),
		KeyConditionExpression:    aws.String("email = :e"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":e": s("u07@example.com")}})
	require.NoError(t, err)
	require.Len(t, q.Items, 1)
	assert.Equal(t, s("u07"), q.Items[0]["pk"])

	// Enabling an enabled stream is refused, as by DynamoDB.
	_, err = e.ddb.UpdateTable(ctx(), &dynamodb.UpdateTableInput{TableName: aws.String("Users"),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage}})
	assert.Equal(t, "ValidationException", errorCode(t, err))

	out, err = e.ddb.UpdateTable(ctx(), &dynamodb.UpdateTableInput{TableName: aws.String("Users"),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("byEmail")}}},
		StreamSpecification:         &types.StreamSpecification{StreamEnabled: aws.Bool(false)}})
	require.NoError(t, err)
	assert.Empty(t, out.TableDescription.GlobalSecondaryIndexes)
	assert.Nil(t, out.TableDescription.StreamSpecification)
	_, err = e.ddb.Query(ctx(), &dynamodb.QueryInput{TableName: aws.String("Users"), IndexName: aws.String("byEmail"),
		KeyConditionExpression:    aws.String("email = :e"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":e": s("u07@example.com")}})
	assert.Equal(t, "ValidationException", errorCode(t, err))
}

func TestTimeToLive(t *testing.T) {
	e := newEnv(t)
	e.createTable("Sessions", "")
	d, err := e.ddb.DescribeTimeToLive(ctx(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("Sessions")})
	require.NoError(t, err)
	assert.Equal(t, types.TimeToLiveStatusDisabled, d.TimeToLiveDescription.TimeToLiveStatus)

	u, err := e.ddb.UpdateTimeToLive(ctx(), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("Sessions"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("expires")}})
	require.NoError(t, err)
	assert.Equal(t, "expires", aws.ToString(u.TimeToLiveSpecification.AttributeName))
	d, err = e.ddb.DescribeTimeToLive(ctx(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("Sessions")})
	require.NoError(t, err)
	assert.Equal(t, types.TimeToLiveStatusEnabled, d.TimeToLiveDescription.TimeToLiveStatus)
	assert.Equal(t, "expires", aws.ToString(d.TimeToLiveDescription.AttributeName))

	_, err = e.ddb.UpdateTimeToLive(ctx(), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("Sessions"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("other")}})
	assert.Equal(t, "ValidationException", errorCode(t, err))

	// An expired item disappears (the sweeper runs every 50 ms here).
	past := fmt.Sprint(time.Now().Add(-time.Hour).Unix())
	_, err = e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: aws.String("Sessions"),
		Item: map[string]types.AttributeValue{"pk": s("old"), "expires": n(past)}})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		sc, err := e.ddb.Scan(ctx(), &dynamodb.ScanInput{TableName: aws.String("Sessions")})
		return err == nil && sc.Count == 0
	}, 5*time.Second, 20*time.Millisecond)

	_, err = e.ddb.UpdateTimeToLive(ctx(), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("Sessions"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(false), AttributeName: aws.String("expires")}})
	require.NoError(t, err)
	d, err = e.ddb.DescribeTimeToLive(ctx(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("Sessions")})
	require.NoError(t, err)
	assert.Equal(t, types.TimeToLiveStatusDisabled, d.TimeToLiveDescription.TimeToLiveStatus)
}
