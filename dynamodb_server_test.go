package main

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDynamoDBConfig(t *testing.T) {
	cfg, err := loadConfig(nil, func(k string) string { return map[string]string{"SHOAL_DYNAMODB_ADDR": "127.0.0.1:8000"}[k] })
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8000", cfg.DynamoDBAddr)
	cfg, err = loadConfig([]string{"-dynamodb-addr", "127.0.0.1:9000"}, func(string) string { return "" })
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9000", cfg.DynamoDBAddr)
	cfg, err = loadConfig(nil, func(string) string { return "" })
	require.NoError(t, err)
	assert.Empty(t, cfg.DynamoDBAddr, "off unless set")
}

// TestDynamoDBListener runs the server with -dynamodb-addr and uses the
// DynamoDB API through the AWS SDK on the same engine.
func TestDynamoDBListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()

	cfg := testConfig(t)
	cfg.DynamoDBAddr = addr

	// With -insecure-dev it must listen on loopback too.
	bad := cfg
	bad.InsecureDev, bad.DynamoDBAddr = true, "0.0.0.0:0"
	require.ErrorContains(t, run(context.Background(), bad, quietLogger(), nil), "-dynamodb-addr")

	// With -insecure-dev, any signature (here made with a made-up key) is
	// the anonymous admin.
	cfg.InsecureDev = true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, quietLogger(), nil) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	client := dynamodb.NewFromConfig(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("any", "any", "")}, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String("http://" + addr)
	})
	require.Eventually(t, func() bool {
		_, err := client.ListTables(context.Background(), &dynamodb.ListTablesInput{})
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	_, err = client.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String("ViaServer"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	require.NoError(t, err)
	out, err := client.ListTables(context.Background(), &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	assert.Contains(t, out.TableNames, "ViaServer")
}
