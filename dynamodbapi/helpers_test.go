package dynamodbapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/dynamodbapi"
	"github.com/shoaldb/shoal/engine"
)

const (
	testKeyID  = "AKIDSHOALTEST"
	testSecret = "shoal-test-secret"
)

// env is the DynamoDB API on a real loopback listener over an engine on a
// temporary Badger directory, and SDK clients pointed at it.
type env struct {
	t       *testing.T
	db      *engine.DB
	url     string
	ddb     *dynamodb.Client
	streams *dynamodbstreams.Client
}

func newEnv(t *testing.T) *env {
	return newEnvWith(t, engine.Options{}, dynamodbapi.Options{})
}

func newEnvWith(t *testing.T, eo engine.Options, ao dynamodbapi.Options) *env {
	t.Helper()
	eo.Dir, eo.NoSync = t.TempDir(), true
	if eo.SweepInterval == 0 {
		eo.SweepInterval = 50 * time.Millisecond
	}
	db, err := engine.Open(eo)
	require.NoError(t, err)
	if ao.Credentials == nil {
		ao.Credentials = dynamodbapi.StaticCredentials{testKeyID: testSecret}
	}
	srv := httptest.NewServer(dynamodbapi.New(db, ao))
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, db.Close())
	})
	e := &env{t: t, db: db, url: srv.URL}
	e.ddb = e.client(testKeyID, testSecret)
	cfg := awsConfig(testKeyID, testSecret)
	e.streams = dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
	})
	return e
}

func awsConfig(id, secret string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(id, secret, ""),
		RetryMaxAttempts: 1,
	}
}

// client returns a DynamoDB client with the given credentials.
func (e *env) client(id, secret string) *dynamodb.Client {
	return dynamodb.NewFromConfig(awsConfig(id, secret), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(e.url)
	})
}

func ctx() context.Context { return context.Background() }

// errorCode returns the exception name of an SDK error.
func errorCode(t *testing.T, err error) string {
	t.Helper()
	require.Error(t, err)
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "not an API error: %v", err)
	return ae.ErrorCode()
}

// createTable creates a table with a string partition key "pk" and, when
// sortType is not "", a sort key "sk" of that type.
func (e *env) createTable(name string, sortType types.ScalarAttributeType, mods ...func(*dynamodb.CreateTableInput)) *types.TableDescription {
	e.t.Helper()
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	}
	if sortType != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("sk"), AttributeType: sortType})
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange})
	}
	for _, m := range mods {
		m(in)
	}
	out, err := e.ddb.CreateTable(ctx(), in)
	require.NoError(e.t, err)
	return out.TableDescription
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

func httptestServer(h http.Handler) *httptest.Server { return httptest.NewServer(h) }
