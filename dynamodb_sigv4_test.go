package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/auth"
)

// gqlAdmin posts a GraphQL operation with variables as key and returns its
// data, failing the test on any error.
func gqlAdmin(t *testing.T, url, key, query string, vars map[string]any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Empty(t, out.Errors, query)
	return out.Data
}

func ddbClient(addr, id, secret string) *dynamodb.Client {
	return dynamodb.NewFromConfig(aws.Config{Region: "eu-west-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")}, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String("http://" + addr)
	})
}

func apiErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// startRun runs the server as main does and returns the GraphQL address and
// the function that stops it.
func startRun(t *testing.T, cfg config) (gqlAddr string, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() { done <- run(ctx, cfg, quietLogger(), func(a string) { ready <- a }) }()
	select {
	case gqlAddr = <-ready:
	case err := <-done:
		cancel()
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			require.NoError(t, <-done)
		}
	}
	t.Cleanup(stop)
	return gqlAddr, stop
}

type createdKey struct{ id, secret string }

func createKey(t *testing.T, url, root, name string, roles ...string) createdKey {
	d := gqlAdmin(t, url, root, `mutation($in: CreateApiKeyInput!) { createApiKey(input: $in) { key { id } secret } }`,
		map[string]any{"in": map[string]any{"name": name, "roles": roles}})
	c := d["createApiKey"].(map[string]any)
	return createdKey{c["key"].(map[string]any)["id"].(string), c["secret"].(string)}
}

// TestDynamoDBSigV4 runs the server with -dynamodb-addr and without
// -insecure-dev: the AWS SDK signs with API keys made through the admin
// GraphQL API, and their roles decide what they may do.
func TestDynamoDBSigV4(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	cfg.DynamoDBAddr = freeAddr(t)
	gqlAddr, stop := startRun(t, cfg)
	url := "http://" + gqlAddr
	rb, err := os.ReadFile(filepath.Join(cfg.DataDir, rootKeyFile))
	require.NoError(t, err)
	root := strings.TrimSpace(string(rb))

	// The signing key: its own file, mode 0600.
	fi, err := os.Stat(filepath.Join(cfg.DataDir, auth.SigningKeyFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	for _, role := range []map[string]any{
		{"name": "orders-only", "statements": []any{map[string]any{"effect": "allow",
			"actions": []any{"item:*", "table:query", "table:describe"}, "resources": []any{"table/Orders"}}}},
		{"name": "own-rows", "statements": []any{map[string]any{"effect": "allow",
			"actions": []any{"item:get", "item:put", "table:query"}, "resources": []any{"table/Orders"},
			"conditions": map[string]any{"leadingKeys": []any{"${sub}"}}}}},
	} {
		gqlAdmin(t, url, root, `mutation($in: PutRoleInput!) { putRole(input: $in) { name } }`, map[string]any{"in": role})
	}
	admin := createKey(t, url, root, "admin", "admin")
	limited := createKey(t, url, root, "limited", "orders-only")
	own := createKey(t, url, root, "own", "own-rows")
	keys := []createdKey{admin, limited, own}

	// The admin key works.
	ac := ddbClient(cfg.DynamoDBAddr, admin.id, admin.secret)
	for _, tbl := range []struct{ name, pk string }{{"Orders", "user"}, {"Other", "id"}} {
		_, err := ac.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String(tbl.name),
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(tbl.pk), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(tbl.pk), KeyType: types.KeyTypeHash}},
		})
		require.NoError(t, err)
	}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	for _, u := range []string{own.id, "someone-else"} {
		_, err := ac.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("Orders"),
			Item: map[string]types.AttributeValue{"user": s(u), "total": &types.AttributeValueMemberN{Value: "7"}}})
		require.NoError(t, err)
	}
	_, err = ac.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("Other"), Item: map[string]types.AttributeValue{"id": s("x")}})
	require.NoError(t, err)
	lt, err := ac.ListTables(ctx, &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	assert.Equal(t, []string{"Orders", "Other"}, lt.TableNames)

	// A wrong secret, an unknown key, no signature.
	_, err = ddbClient(cfg.DynamoDBAddr, admin.id, limited.secret).ListTables(ctx, &dynamodb.ListTablesInput{})
	assert.Equal(t, "InvalidSignatureException", apiErrorCode(err), "%v", err)
	_, err = ddbClient(cfg.DynamoDBAddr, "0123456789abcdef", admin.secret).ListTables(ctx, &dynamodb.ListTablesInput{})
	assert.Equal(t, "UnrecognizedClientException", apiErrorCode(err), "%v", err)
	resp, err := http.Post("http://"+cfg.DynamoDBAddr, "application/x-amz-json-1.0", strings.NewReader("{}"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// A role limited to one table.
	lc := ddbClient(cfg.DynamoDBAddr, limited.id, limited.secret)
	g, err := lc.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("Orders"), Key: map[string]types.AttributeValue{"user": s("someone-else")}})
	require.NoError(t, err)
	assert.NotEmpty(t, g.Item)
	_, err = lc.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("Other"), Key: map[string]types.AttributeValue{"id": s("x")}})
	assert.Equal(t, "AccessDeniedException", apiErrorCode(err), "%v", err)
	_, err = lc.ListTables(ctx, &dynamodb.ListTablesInput{})
	assert.Equal(t, "AccessDeniedException", apiErrorCode(err))
	_, err = lc.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("Orders")})
	assert.Equal(t, "AccessDeniedException", apiErrorCode(err))
	_, err = lc.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("Orders")})
	assert.Equal(t, "AccessDeniedException", apiErrorCode(err))
	// No existence leak: a table that exists and one that does not are
	// denied alike.
	for _, tbl := range []string{"Other", "NoSuchTable"} {
		_, err = lc.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tbl)})
		assert.Equal(t, "AccessDeniedException", apiErrorCode(err), tbl)
		_, err = lc.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(tbl), KeyConditionExpression: aws.String("id = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": s("x")}})
		assert.Equal(t, "AccessDeniedException", apiErrorCode(err), tbl)
		_, err = lc.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(tbl),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("ttl"), Enabled: aws.Bool(true)}})
		assert.Equal(t, "AccessDeniedException", apiErrorCode(err), tbl)
	}
	_, err = ac.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("NoSuchTable")})
	assert.Equal(t, "ResourceNotFoundException", apiErrorCode(err), "the admin learns it is absent")
	// Batches and transactions are authorized per table and action.
	_, err = lc.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"Orders": {Keys: []map[string]types.AttributeValue{{"user": s("someone-else")}}},
		"Other":  {Keys: []map[string]types.AttributeValue{{"id": s("x")}}}}})
	assert.Equal(t, "AccessDeniedException", apiErrorCode(err))
	_, err = lc.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("Orders"), Item: map[string]types.AttributeValue{"user": s("t")}}},
		{Put: &types.Put{TableName: aws.String("Other"), Item: map[string]types.AttributeValue{"id": s("t")}}}}})
	assert.Equal(t, "AccessDeniedException", apiErrorCode(err))
	_, err = lc.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"Orders": {{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"user": s("b")}}}}}})
	require.NoError(t, err)

	// A leadingKeys role: only the key's own partition.
	oc := ddbClient(cfg.DynamoDBAddr, own.id, own.secret)
	g, err = oc.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("Orders"), Key: map[string]types.AttributeValue{"user": s(own.id)}})
	require.NoError(t, err)
	assert.NotEmpty(t, g.Item)
	for _, u := range []string{"someone-else", "nobody"} {
		_, err = oc.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("Orders"), Key: map[string]types.AttributeValue{"user": s(u)}})
		assert.Equal(t, "AccessDeniedException", apiErrorCode(err), u)
		_, err = oc.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("Orders"), Item: map[string]types.AttributeValue{"user": s(u)}})
		assert.Equal(t, "AccessDeniedException", apiErrorCode(err), u)
	}
	q, err := oc.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("Orders"), KeyConditionExpression: aws.String("#u = :v"),
		ExpressionAttributeNames: map[string]string{"#u": "user"}, ExpressionAttributeValues: map[string]types.AttributeValue{":v": s(own.id)}})
	require.NoError(t, err)
	assert.Len(t, q.Items, 1)
	_, err = oc.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("Orders"), KeyConditionExpression: aws.String("#u = :v"),
		ExpressionAttributeNames: map[string]string{"#u": "user"}, ExpressionAttributeValues: map[string]types.AttributeValue{":v": s("someone-else")}})
	assert.Equal(t, "AccessDeniedException", apiErrorCode(err))

	// Denials and failed authentications are audited.
	d := gqlAdmin(t, url, root, `{ auditEvents(principal: "key:`+limited.id+`", limit: 1000) { action resource outcome } }`, nil)
	assert.Contains(t, toJSON(d), `"outcome":"denied"`)
	d = gqlAdmin(t, url, root, `{ auditEvents(action: "auth:authenticate", limit: 1000) { resource outcome } }`, nil)
	assert.Contains(t, toJSON(d), "InvalidSignatureException")

	// A disabled key is refused at once.
	gqlAdmin(t, url, root, `mutation($id: String!) { disableApiKey(input: {id: $id}) { id } }`, map[string]any{"id": limited.id})
	_, err = lc.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("Orders"), Key: map[string]types.AttributeValue{"user": s("someone-else")}})
	assert.Equal(t, "UnrecognizedClientException", apiErrorCode(err), "%v", err)

	// After a restart the keys still sign (the signing key is read back).
	stop()
	_, stop = startRun(t, cfg)
	ac = ddbClient(cfg.DynamoDBAddr, admin.id, admin.secret)
	require.Eventually(t, func() bool {
		_, err := ac.ListTables(ctx, &dynamodb.ListTablesInput{})
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	stop()

	// No secret is in the database's files in clear: neither the key's
	// secret form, nor its hex secret, nor its raw bytes, nor their base64.
	var needles [][]byte
	for _, k := range keys {
		hexSecret := k.secret[strings.LastIndexByte(k.secret, '_')+1:]
		raw, err := hex.DecodeString(hexSecret)
		require.NoError(t, err)
		needles = append(needles, []byte(k.secret), []byte(hexSecret), raw,
			[]byte(base64.StdEncoding.EncodeToString([]byte(hexSecret))), []byte(base64.StdEncoding.EncodeToString(raw)))
	}
	files := 0
	require.NoError(t, filepath.WalkDir(cfg.DataDir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || e.Name() == rootKeyFile {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, n := range needles {
			assert.False(t, bytes.Contains(b, n), "%s holds a secret in clear", path)
		}
		return nil
	}))
	assert.Greater(t, files, 2)
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
