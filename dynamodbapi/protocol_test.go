package dynamodbapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/dynamodbapi"
	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
)

func TestSignatureVersion4(t *testing.T) {
	e := newEnv(t)
	e.createTable("Signed", "")

	_, err := e.client(testKeyID, "wrong-secret").ListTables(ctx(), &dynamodb.ListTablesInput{})
	assert.Equal(t, "InvalidSignatureException", errorCode(t, err))
	_, err = e.client("AKIDUNKNOWN", testSecret).ListTables(ctx(), &dynamodb.ListTablesInput{})
	assert.Equal(t, "UnrecognizedClientException", errorCode(t, err))
	assert.Contains(t, err.Error(), "The security token included in the request is invalid.")

	// A request without a signature, and one with a tampered body.
	status, body := rawPost(t, e.url, "DynamoDB_20120810.ListTables", `{}`, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "com.amazon.coral.service#MissingAuthenticationTokenException", body["__type"])

	// The SDK's signer, scoped to another region, on a raw request; then
	// the same signature over a changed body.
	status, body = signedPost(t, e, "DynamoDB_20120810.ListTables", `{"Limit":1}`)
	assert.Equal(t, http.StatusOK, status, "%v", body)
	assert.Equal(t, []any{"Signed"}, body["TableNames"])
	req := newRawRequest(t, e.url, "DynamoDB_20120810.ListTables", `{"Limit":1}`)
	sum := sha256.Sum256([]byte(`{"Limit":1}`))
	require.NoError(t, v4.NewSigner().SignHTTP(ctx(), aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}, req, hex.EncodeToString(sum[:]), "dynamodb", "us-east-1", time.Now()))
	req.Body = io.NopCloser(strings.NewReader(`{"Limit":2}`))
	status, body = do(t, req)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "com.amazon.coral.service#InvalidSignatureException", body["__type"])

	// Clock skew beyond 15 minutes.
	skewed := newEnvWith(t, engine.Options{}, dynamodbapi.Options{Clock: func() time.Time { return time.Now().Add(20 * time.Minute) }})
	_, err = skewed.ddb.ListTables(ctx(), &dynamodb.ListTablesInput{})
	assert.Equal(t, "InvalidSignatureException", errorCode(t, err))
	assert.Contains(t, err.Error(), "Signature expired")
}

// rawPost posts a body with X-Amz-Target, unsigned, and decodes the JSON
// answer.
func rawPost(t *testing.T, url, target, body string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	req := newRawRequest(t, url, target, body)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

// signedPost is rawPost with a Signature Version 4 made by the SDK's signer.
func signedPost(t *testing.T, e *env, target, body string) (int, map[string]any) {
	t.Helper()
	req := newRawRequest(t, e.url, target, body)
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	require.NoError(t, v4.NewSigner().SignHTTP(ctx(), creds, req, hex.EncodeToString(sum[:]), "dynamodb", "eu-west-1", time.Now()))
	return do(t, req)
}

func newRawRequest(t *testing.T, url, target, body string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", target)
	return req
}

func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "application/x-amz-json-1.0", resp.Header.Get("Content-Type"))
	assert.Equal(t, strconv.FormatUint(uint64(crc32.ChecksumIEEE(raw)), 10), resp.Header.Get("X-Amz-Crc32"))
	assert.NotEmpty(t, resp.Header.Get("X-Amzn-Requestid"))
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m), "%s", raw)
	return resp.StatusCode, m
}

// TestWireFormat checks the wire format with plain HTTP, against the API
// without authentication (as DynamoDB Local).
func TestWireFormat(t *testing.T) {
	db, err := engine.Open(engine.Options{Dir: t.TempDir(), NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	srv := newServer(t, dynamodbapi.New(db, dynamodbapi.Options{}))

	status, body := rawPost(t, srv, "DynamoDB_20120810.CreateTable", `{"TableName":"Wire","AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]}`, nil)
	require.Equal(t, 200, status, "%v", body)
	td := body["TableDescription"].(map[string]any)
	assert.Equal(t, "ACTIVE", td["TableStatus"])
	_, isNumber := td["CreationDateTime"].(float64)
	assert.True(t, isNumber, "CreationDateTime is epoch seconds as a number")

	cases := []struct {
		target, body string
		status       int
		typ, message string
	}{
		{"DynamoDB_20120810.Nope", `{}`, 400, "com.amazon.coral.service#UnknownOperationException", ""},
		{"DynamoDB_20120810.GetItem", `{"TableName":"Missing","Key":{"id":{"S":"x"}}}`, 400, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "Requested resource not found"},
		{"DynamoDB_20120810.DescribeTable", `{"TableName":"Missing"}`, 400, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "Requested resource not found: Table: Missing not found"},
		{"DynamoDB_20120810.CreateTable", `{"TableName":"Wire","AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]}`, 400, "com.amazonaws.dynamodb.v20120810#ResourceInUseException", "Table already exists: Wire"},
		{"DynamoDB_20120810.GetItem", `{"Key":{"id":{"S":"x"}}}`, 400, "com.amazon.coral.validate#ValidationException", "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"},
		{"DynamoDB_20120810.GetItem", `{"TableName":"Wire","Key":{"id":{"S":"x"}},"ConsistentRead":"yes"}`, 400, "com.amazon.coral.service#SerializationException", ""},
		{"DynamoDB_20120810.PutItem", `{"TableName":"Wire","Item":{"id":{"S":"x"}},"ConditionExpression":"attribute_exists(id)"}`, 400, "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "The conditional request failed"},
		{"DynamoDB_20120810.PutItem", `{"TableName":"Wire","Item":{"id":{"S":"x"}},"ExpressionAttributeNames":{"#a":"a"}}`, 400, "com.amazon.coral.validate#ValidationException", "ExpressionAttributeNames can only be specified when using expressions"},
		{"DynamoDB_20120810.PutItem", `{"TableName":"Wire","Item":{"id":{"S":"x"},"s":{"SS":[]}}}`, 400, "com.amazon.coral.validate#ValidationException", ""},
	}
	for _, c := range cases {
		status, body := rawPost(t, srv, c.target, c.body, nil)
		assert.Equal(t, c.status, status, "%s %s: %v", c.target, c.body, body)
		assert.Equal(t, c.typ, body["__type"], "%s %s", c.target, c.body)
		if c.message != "" {
			assert.Equal(t, c.message, body["message"], "%s %s", c.target, c.body)
		}
	}

	// Numbers keep every digit both ways.
	status, body = rawPost(t, srv, "DynamoDB_20120810.PutItem", `{"TableName":"Wire","Item":{"id":{"S":"n"},"big":{"N":"12345678901234567890123456789012345678"},"tiny":{"N":"-1.5E-130"}}}`, nil)
	require.Equal(t, 200, status, "%v", body)
	assert.Empty(t, body)
	status, body = rawPost(t, srv, "DynamoDB_20120810.GetItem", `{"TableName":"Wire","Key":{"id":{"S":"n"}}}`, nil)
	require.Equal(t, 200, status)
	item := body["Item"].(map[string]any)
	assert.Equal(t, map[string]any{"N": "12345678901234567890123456789012345678"}, item["big"])
	assert.Equal(t, map[string]any{"N": "-1.5E-130"}, item["tiny"])
}

func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptestServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// ownPartition is an Authorizer in the shape of a policy with a
// fine-grained condition: the caller may touch only the partition "mine"
// and may not delete.
type ownPartition struct {
	mu   sync.Mutex
	seen []dynamodbapi.Access
}

func (o *ownPartition) Authorize(_ context.Context, a *dynamodbapi.Access) (*engine.Restriction, error) {
	o.mu.Lock()
	o.seen = append(o.seen, *a)
	o.mu.Unlock()
	switch a.Action {
	case "dynamodb:CreateTable":
		return nil, nil
	case "dynamodb:DeleteItem":
		return nil, &engine.Error{Code: engine.CodeAccessDenied, Message: "no deletes"}
	}
	return &engine.Restriction{PartitionKeys: []attr.Value{attr.S("mine")}}, nil
}

func TestAuthorizerSeam(t *testing.T) {
	authz := &ownPartition{}
	e := newEnvWith(t, engine.Options{}, dynamodbapi.Options{Authorizer: authz})
	e.createTable("Guarded", "", func(in *dynamodb.CreateTableInput) {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeKeysOnly}
	})
	tbl := aws.String("Guarded")
	_, err := e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: tbl, Item: map[string]types.AttributeValue{"pk": s("mine"), "a": s("1")}})
	require.NoError(t, err)
	_, err = e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: tbl, Item: map[string]types.AttributeValue{"pk": s("theirs"), "a": s("1")}})
	assert.Equal(t, "AccessDeniedException", errorCode(t, err))
	_, err = e.ddb.DeleteItem(ctx(), &dynamodb.DeleteItemInput{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("mine")}})
	assert.Equal(t, "AccessDeniedException", errorCode(t, err))
	assert.Contains(t, err.Error(), "User: "+testKeyID+" is not authorized to perform: dynamodb:DeleteItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/Guarded")

	// Written directly in the engine, another partition is invisible.
	_, err = e.db.PutItem(ctx(), engine.PutItemInput{Table: "Guarded", Item: attr.Item{"pk": attr.S("theirs")}})
	require.NoError(t, err)
	sc, err := e.ddb.Scan(ctx(), &dynamodb.ScanInput{TableName: tbl})
	require.NoError(t, err)
	assert.Equal(t, []map[string]types.AttributeValue{{"pk": s("mine"), "a": s("1")}}, sc.Items)
	_, err = e.ddb.GetItem(ctx(), &dynamodb.GetItemInput{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("theirs")}})
	assert.Equal(t, "AccessDeniedException", errorCode(t, err))
	_, err = e.ddb.TransactWriteItems(ctx(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: tbl, Key: map[string]types.AttributeValue{"pk": s("theirs")}, ConditionExpression: aws.String("attribute_exists(pk)")}}}})
	require.Error(t, err)

	// A restricted caller cannot read the unrestricted change log.
	d, err := e.ddb.DescribeTable(ctx(), &dynamodb.DescribeTableInput{TableName: tbl})
	require.NoError(t, err)
	gi, err := e.streams.GetShardIterator(ctx(), &dynamodbstreams.GetShardIteratorInput{StreamArn: d.Table.LatestStreamArn,
		ShardId: aws.String("shardId-00000000000000000001-00000000"), ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
	require.NoError(t, err)
	_, err = e.streams.GetRecords(ctx(), &dynamodbstreams.GetRecordsInput{ShardIterator: gi.ShardIterator})
	assert.Equal(t, "AccessDeniedException", errorCode(t, err))

	authz.mu.Lock()
	defer authz.mu.Unlock()
	first := authz.seen[1]
	assert.Equal(t, "dynamodb:PutItem", first.Action)
	assert.Equal(t, testKeyID, first.Principal)
	assert.Equal(t, "Guarded", first.Table)
	assert.Equal(t, "arn:aws:dynamodb:us-east-1:000000000000:table/Guarded", first.Resource)
	assert.Equal(t, []string{"a", "pk"}, first.Attributes)
}
