package dynamodbapi_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/auth"
	"github.com/shoaldb/shoal/dynamodbapi"
	"github.com/shoaldb/shoal/engine"
)

// authEnv serves the DynamoDB API behind an auth.Service.
func authEnv(t *testing.T, opts auth.Options, insecure bool) (*auth.Service, *engine.DB, string) {
	t.Helper()
	db, err := engine.Open(engine.Options{InMemory: true})
	require.NoError(t, err)
	svc, err := auth.Open(db, opts)
	require.NoError(t, err)
	a := dynamodbapi.NewAuthService(svc)
	o := dynamodbapi.Options{Credentials: a, Authorizer: a}
	if insecure {
		o.Credentials = nil
	}
	srv := httptest.NewServer(dynamodbapi.New(db, o))
	t.Cleanup(func() {
		srv.Close()
		svc.Close()
		db.Close()
	})
	return svc, db, srv.URL
}

func clientAt(url, id, secret string) *dynamodb.Client {
	return dynamodb.NewFromConfig(awsConfig(id, secret), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url) })
}

// TestAuthServiceOldKey: a key made before SigV4 support (no signing key)
// is refused with a message saying to create a new one; a new key signs.
func TestAuthServiceOldKey(t *testing.T) {
	c := context.Background()
	db, err := engine.Open(engine.Options{InMemory: true})
	require.NoError(t, err)
	defer db.Close()
	pre, err := auth.Open(db, auth.Options{})
	require.NoError(t, err)
	old, oldSecret, err := pre.CreateAPIKey(c, auth.CreateAPIKeyInput{Name: "old", Roles: []string{auth.BuiltinAdmin}})
	require.NoError(t, err)
	require.NoError(t, pre.Close())

	svc, err := auth.Open(db, auth.Options{SigningKey: bytes.Repeat([]byte{3}, 32)})
	require.NoError(t, err)
	defer svc.Close()
	a := dynamodbapi.NewAuthService(svc)
	srv := httptest.NewServer(dynamodbapi.New(db, dynamodbapi.Options{Credentials: a, Authorizer: a}))
	defer srv.Close()

	_, err = clientAt(srv.URL, old.ID, oldSecret).ListTables(c, &dynamodb.ListTablesInput{})
	assert.Equal(t, "UnrecognizedClientException", errorCode(t, err))
	assert.ErrorContains(t, err, "this key predates SigV4 support; create a new key")

	k, secret, err := svc.CreateAPIKey(c, auth.CreateAPIKeyInput{Name: "new", Roles: []string{auth.BuiltinAdmin}})
	require.NoError(t, err)
	_, err = clientAt(srv.URL, k.ID, secret).ListTables(c, &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	// The bare 64-hex secret is not the secret access key: the whole
	// secret form is.
	_, err = clientAt(srv.URL, k.ID, secret[len(secret)-64:]).ListTables(c, &dynamodb.ListTablesInput{})
	assert.Equal(t, "InvalidSignatureException", errorCode(t, err))
}

// TestAuthServiceInsecureDev: without Credentials, every request is the
// anonymous admin when the Service allows it, and denied when it does not.
func TestAuthServiceInsecureDev(t *testing.T) {
	c := context.Background()
	_, _, url := authEnv(t, auth.Options{InsecureDev: true}, true)
	cl := clientAt(url, "anything", "anything")
	_, err := cl.CreateTable(c, &dynamodb.CreateTableInput{TableName: aws.String("Things"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}}})
	require.NoError(t, err)

	_, _, url = authEnv(t, auth.Options{}, true)
	_, err = clientAt(url, "anything", "anything").ListTables(c, &dynamodb.ListTablesInput{})
	assert.Equal(t, "AccessDeniedException", errorCode(t, err))
}

func TestShoalAction(t *testing.T) {
	for _, c := range []struct {
		a                *dynamodbapi.Access
		action, resource string
	}{
		{&dynamodbapi.Access{Action: "dynamodb:GetItem", Table: "T"}, "item:get", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:BatchGetItem", Table: "T"}, "item:get", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:ConditionCheckItem", Table: "T"}, "item:get", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:PutItem", Table: "T"}, "item:put", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:UpdateItem", Table: "T"}, "item:update", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:DeleteItem", Table: "T"}, "item:delete", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:Query", Table: "T"}, "table:query", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:Query", Table: "T", Index: "I"}, "table:query", "table/T/index/I"},
		{&dynamodbapi.Access{Action: "dynamodb:Scan", Table: "T", Index: "I"}, "table:scan", "table/T/index/I"},
		{&dynamodbapi.Access{Action: "dynamodb:CreateTable", Table: "T"}, "table:create", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:DescribeTable", Table: "T"}, "table:describe", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:DescribeTimeToLive", Table: "T"}, "table:describe", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:ListTables"}, "table:list", "*"},
		{&dynamodbapi.Access{Action: "dynamodb:ListStreams"}, "table:list", "*"},
		{&dynamodbapi.Access{Action: "dynamodb:ListStreams", Table: "T"}, "table:describe", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:UpdateTable", Table: "T"}, "table:update", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:UpdateTimeToLive", Table: "T"}, "table:update", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:DeleteTable", Table: "T"}, "table:delete", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:DescribeStream", Table: "T"}, "stream:subscribe", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:GetShardIterator", Table: "T"}, "stream:subscribe", "table/T"},
		{&dynamodbapi.Access{Action: "dynamodb:GetRecords", Table: "T"}, "stream:subscribe", "table/T"},
	} {
		action, resource, ok := dynamodbapi.ShoalAction(c.a)
		assert.True(t, ok, c.a.Action)
		assert.Equal(t, c.action, action, c.a.Action)
		assert.Equal(t, c.resource, resource, c.a.Action)
	}
	_, _, ok := dynamodbapi.ShoalAction(&dynamodbapi.Access{Action: "dynamodb:RestoreTableFromBackup", Table: "T"})
	assert.False(t, ok, "unknown actions are denied")
}
