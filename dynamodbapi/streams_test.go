package dynamodbapi_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readAll reads a shard from iterator to the current end.
func readAll(t *testing.T, e *env, it *string) ([]stypes.Record, *string) {
	t.Helper()
	var recs []stypes.Record
	for range 100 {
		out, err := e.streams.GetRecords(ctx(), &dynamodbstreams.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(2)})
		require.NoError(t, err)
		recs = append(recs, out.Records...)
		require.NotNil(t, out.NextShardIterator)
		it = out.NextShardIterator
		if len(out.Records) == 0 {
			return recs, it
		}
	}
	t.Fatal("the shard does not end")
	return nil, nil
}

func TestStreams(t *testing.T) {
	e := newEnv(t)
	d := e.createTable("Events", "", func(in *dynamodb.CreateTableInput) {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages}
	})
	e.createTable("NoStream", "")
	tbl := aws.String("Events")
	key := map[string]types.AttributeValue{"pk": s("k1")}
	_, err := e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: tbl, Item: map[string]types.AttributeValue{"pk": s("k1"), "v": n("1")}})
	require.NoError(t, err)
	_, err = e.ddb.UpdateItem(ctx(), &dynamodb.UpdateItemInput{TableName: tbl, Key: key, UpdateExpression: aws.String("SET v = v + :one"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n("1")}})
	require.NoError(t, err)
	_, err = e.ddb.DeleteItem(ctx(), &dynamodb.DeleteItemInput{TableName: tbl, Key: key})
	require.NoError(t, err)

	ls, err := e.streams.ListStreams(ctx(), &dynamodbstreams.ListStreamsInput{})
	require.NoError(t, err)
	require.Len(t, ls.Streams, 1)
	arn := ls.Streams[0].StreamArn
	assert.Equal(t, aws.ToString(d.LatestStreamArn), aws.ToString(arn))
	assert.Equal(t, "Events", aws.ToString(ls.Streams[0].TableName))
	ls, err = e.streams.ListStreams(ctx(), &dynamodbstreams.ListStreamsInput{TableName: aws.String("NoStream")})
	require.NoError(t, err)
	assert.Empty(t, ls.Streams)

	ds, err := e.streams.DescribeStream(ctx(), &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
	require.NoError(t, err)
	sd := ds.StreamDescription
	assert.Equal(t, stypes.StreamStatusEnabled, sd.StreamStatus)
	assert.Equal(t, stypes.StreamViewTypeNewAndOldImages, sd.StreamViewType)
	assert.Equal(t, "Events", aws.ToString(sd.TableName))
	require.Len(t, sd.Shards, 1)
	shard := sd.Shards[0].ShardId
	assert.Equal(t, "shardId-00000000000000000001-00000000", aws.ToString(shard))

	gi, err := e.streams.GetShardIterator(ctx(), &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: shard, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
	require.NoError(t, err)
	recs, next := readAll(t, e, gi.ShardIterator)
	require.Len(t, recs, 3)
	assert.Equal(t, []stypes.OperationType{stypes.OperationTypeInsert, stypes.OperationTypeModify, stypes.OperationTypeRemove},
		[]stypes.OperationType{recs[0].EventName, recs[1].EventName, recs[2].EventName})
	r := recs[1]
	assert.Equal(t, "aws:dynamodb", aws.ToString(r.EventSource))
	assert.Equal(t, "us-east-1", aws.ToString(r.AwsRegion))
	assert.Equal(t, map[string]stypes.AttributeValue{"pk": &stypes.AttributeValueMemberS{Value: "k1"}}, r.Dynamodb.Keys)
	assert.Equal(t, &stypes.AttributeValueMemberN{Value: "1"}, r.Dynamodb.OldImage["v"])
	assert.Equal(t, &stypes.AttributeValueMemberN{Value: "2"}, r.Dynamodb.NewImage["v"])
	assert.Equal(t, stypes.StreamViewTypeNewAndOldImages, r.Dynamodb.StreamViewType)
	assert.Positive(t, aws.ToInt64(r.Dynamodb.SizeBytes))
	assert.WithinDuration(t, time.Now(), aws.ToTime(r.Dynamodb.ApproximateCreationDateTime), time.Minute)
	assert.Nil(t, recs[0].Dynamodb.OldImage)
	assert.Nil(t, recs[2].Dynamodb.NewImage)
	assert.Nil(t, r.UserIdentity)
	seqs := []string{aws.ToString(recs[0].Dynamodb.SequenceNumber), aws.ToString(recs[1].Dynamodb.SequenceNumber), aws.ToString(recs[2].Dynamodb.SequenceNumber)}
	assert.Len(t, seqs[0], 21)
	assert.Less(t, seqs[0], seqs[1])
	assert.Less(t, seqs[1], seqs[2])

	// The next iterator picks up later writes.
	_, err = e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: tbl, Item: map[string]types.AttributeValue{"pk": s("k2")}})
	require.NoError(t, err)
	more, _ := readAll(t, e, next)
	require.Len(t, more, 1)
	assert.Equal(t, stypes.OperationTypeInsert, more[0].EventName)

	// LATEST sees only what comes after it.
	gi, err = e.streams.GetShardIterator(ctx(), &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: shard, ShardIteratorType: stypes.ShardIteratorTypeLatest})
	require.NoError(t, err)
	_, err = e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: tbl, Item: map[string]types.AttributeValue{"pk": s("k3")}})
	require.NoError(t, err)
	latest, _ := readAll(t, e, gi.ShardIterator)
	require.Len(t, latest, 1)
	assert.Equal(t, &stypes.AttributeValueMemberS{Value: "k3"}, latest[0].Dynamodb.Keys["pk"])

	// AT and AFTER a sequence number.
	for typ, want := range map[stypes.ShardIteratorType]int{stypes.ShardIteratorTypeAtSequenceNumber: 4, stypes.ShardIteratorTypeAfterSequenceNumber: 3} {
		gi, err := e.streams.GetShardIterator(ctx(), &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: shard,
			ShardIteratorType: typ, SequenceNumber: aws.String(seqs[1])})
		require.NoError(t, err)
		recs, _ := readAll(t, e, gi.ShardIterator)
		assert.Len(t, recs, want, "%s", typ)
	}

	// Errors.
	_, err = e.streams.DescribeStream(ctx(), &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String("arn:aws:dynamodb:us-east-1:000000000000:table/Events/stream/1999-01-01T00:00:00.000")})
	assert.Equal(t, "ResourceNotFoundException", errorCode(t, err))
	_, err = e.streams.GetRecords(ctx(), &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String("garbage")})
	assert.Equal(t, "ValidationException", errorCode(t, err))
	_, err = e.ddb.DeleteTable(ctx(), &dynamodb.DeleteTableInput{TableName: tbl})
	require.NoError(t, err)
	_, err = e.streams.GetRecords(ctx(), &dynamodbstreams.GetRecordsInput{ShardIterator: next})
	assert.Equal(t, "ExpiredIteratorException", errorCode(t, err))
}

func TestStreamTTLRecords(t *testing.T) {
	e := newEnv(t)
	e.createTable("Tokens", "", func(in *dynamodb.CreateTableInput) {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeOldImage}
	})
	_, err := e.ddb.UpdateTimeToLive(ctx(), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("Tokens"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("exp")}})
	require.NoError(t, err)
	_, err = e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: aws.String("Tokens"),
		Item: map[string]types.AttributeValue{"pk": s("t1"), "exp": n(fmt.Sprint(time.Now().Add(-time.Minute).Unix()))}})
	require.NoError(t, err)
	d, err := e.ddb.DescribeTable(ctx(), &dynamodb.DescribeTableInput{TableName: aws.String("Tokens")})
	require.NoError(t, err)
	arn := d.Table.LatestStreamArn
	var recs []stypes.Record
	require.Eventually(t, func() bool {
		gi, err := e.streams.GetShardIterator(ctx(), &dynamodbstreams.GetShardIteratorInput{StreamArn: arn,
			ShardId: aws.String("shardId-00000000000000000001-00000000"), ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
		require.NoError(t, err)
		recs, _ = readAll(t, e, gi.ShardIterator)
		return len(recs) == 2
	}, 5*time.Second, 25*time.Millisecond)
	rm := recs[1]
	assert.Equal(t, stypes.OperationTypeRemove, rm.EventName)
	require.NotNil(t, rm.UserIdentity)
	assert.Equal(t, "Service", aws.ToString(rm.UserIdentity.Type))
	assert.Equal(t, "dynamodb.amazonaws.com", aws.ToString(rm.UserIdentity.PrincipalId))
	assert.Equal(t, &stypes.AttributeValueMemberS{Value: "t1"}, rm.Dynamodb.OldImage["pk"])
	assert.Nil(t, recs[0].UserIdentity)
}
