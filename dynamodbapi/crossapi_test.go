package dynamodbapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shoaldb/shoal/auth"
	"github.com/shoaldb/shoal/resolvers"
)

// graphql posts a GraphQL request to the handler over the same engine and
// returns its data, decoded with exact numbers.
func graphql(t *testing.T, g *gqlServer, query string, vars map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, g.url, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	require.NoError(t, dec.Decode(&out))
	require.Empty(t, out.Errors)
	return out.Data
}

// gqlServer is the GraphQL handler over the same engine, behind the auth
// middleware as the server mounts it, called with a root API key.
type gqlServer struct {
	url, key string
}

func newGraphQL(t *testing.T, e *env) *gqlServer {
	svc, err := auth.Open(e.db, auth.Options{})
	require.NoError(t, err)
	root, _, err := svc.Bootstrap(ctx())
	require.NoError(t, err)
	srv := httptest.NewServer(svc.Middleware(resolvers.NewHandler(e.db, resolvers.HandlerOptions{Auth: svc})))
	t.Cleanup(func() {
		srv.Close()
		svc.Close()
	})
	return &gqlServer{url: srv.URL, key: root}
}

func TestGraphQLAndDynamoDBSeeTheSameData(t *testing.T) {
	e := newEnv(t)
	gql := newGraphQL(t, e)
	e.createTable("Shared", types.ScalarAttributeTypeN)

	// Written through GraphQL in Shoal JSON, read through DynamoDB.
	graphql(t, gql, `mutation($item: JSON!) { putItem(input: {table: "Shared", item: $item}) { attributes } }`, map[string]any{
		"item": json.RawMessage(`{"pk": "g", "sk": 1, "n": 12345678901234567890.123456789, "b": {"$b": "AAEC/w=="}, "ss": {"$ss": ["x", "y"]},
			"ns": {"$ns": [1, 2.5]}, "bs": {"$bs": ["AQ=="]}, "l": [1, "two", null, true, {"m": false}], "m": {"deep": {"er": [[]]}}, "nul": null, "t": true}`),
	})
	got, err := e.ddb.GetItem(ctx(), &dynamodb.GetItemInput{TableName: aws.String("Shared"), Key: map[string]types.AttributeValue{"pk": s("g"), "sk": n("1")}})
	require.NoError(t, err)
	want := map[string]types.AttributeValue{
		"pk":  s("g"),
		"sk":  n("1"),
		"n":   n("12345678901234567890.123456789"),
		"b":   &types.AttributeValueMemberB{Value: []byte{0, 1, 2, 255}},
		"ss":  &types.AttributeValueMemberSS{Value: []string{"x", "y"}},
		"ns":  &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}},
		"bs":  &types.AttributeValueMemberBS{Value: [][]byte{{1}}},
		"l":   &types.AttributeValueMemberL{Value: []types.AttributeValue{n("1"), s("two"), &types.AttributeValueMemberNULL{Value: true}, &types.AttributeValueMemberBOOL{Value: true}, &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"m": &types.AttributeValueMemberBOOL{Value: false}}}}},
		"m":   &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"deep": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"er": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberL{Value: []types.AttributeValue{}}}}}}}},
		"nul": &types.AttributeValueMemberNULL{Value: true},
		"t":   &types.AttributeValueMemberBOOL{Value: true},
	}
	assert.Equal(t, want, got.Item)

	// Written through DynamoDB, read through GraphQL (typed: DynamoDB JSON),
	// identically to what DynamoDB's GetItem answers on the wire.
	_, err = e.ddb.PutItem(ctx(), &dynamodb.PutItemInput{TableName: aws.String("Shared"), Item: map[string]types.AttributeValue{
		"pk": s("d"), "sk": n("2"), "price": n("0.10"), "tags": &types.AttributeValueMemberSS{Value: []string{"a"}},
		"nested": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberB{Value: []byte("hi")}}},
	}})
	require.NoError(t, err)
	data := graphql(t, gql, `{ item(table: "Shared", key: {pk: {S: "d"}, sk: {N: "2"}}, typed: true) }`, nil)
	assert.Equal(t, map[string]any{
		"pk":     map[string]any{"S": "d"},
		"sk":     map[string]any{"N": "2"},
		"price":  map[string]any{"N": "0.1"},
		"tags":   map[string]any{"SS": []any{"a"}},
		"nested": map[string]any{"M": map[string]any{"k": map[string]any{"B": "aGk="}}},
	}, data["item"])
	_, wire := signedPost(t, e, "DynamoDB_20120810.GetItem", `{"TableName":"Shared","Key":{"pk":{"S":"d"},"sk":{"N":"2"}}}`)
	assert.Equal(t, data["item"], wire["Item"])

	// The plain (Shoal JSON) GraphQL scan and the DynamoDB scan agree on
	// what is there.
	data = graphql(t, gql, `{ scan(table: "Shared") { count items } }`, nil)
	sc, err := e.ddb.Scan(ctx(), &dynamodb.ScanInput{TableName: aws.String("Shared")})
	require.NoError(t, err)
	assert.Equal(t, json.Number("2"), data["scan"].(map[string]any)["count"])
	assert.Equal(t, int32(2), sc.Count)

	// An update through DynamoDB is seen by GraphQL, and a delete through
	// GraphQL by DynamoDB.
	_, err = e.ddb.UpdateItem(ctx(), &dynamodb.UpdateItemInput{TableName: aws.String("Shared"), Key: map[string]types.AttributeValue{"pk": s("g"), "sk": n("1")},
		UpdateExpression: aws.String("SET n = n + :d"), ExpressionAttributeValues: map[string]types.AttributeValue{":d": n("0.876543211")}})
	require.NoError(t, err)
	data = graphql(t, gql, `{ item(table: "Shared", key: {pk: "g", sk: 1}, projection: ["n"]) }`, nil)
	assert.Equal(t, map[string]any{"n": json.Number("12345678901234567891")}, data["item"])
	graphql(t, gql, `mutation { deleteItem(input: {table: "Shared", key: {pk: "d", sk: 2}}) { attributes } }`, nil)
	got, err = e.ddb.GetItem(ctx(), &dynamodb.GetItemInput{TableName: aws.String("Shared"), Key: map[string]types.AttributeValue{"pk": s("d"), "sk": n("2")}})
	require.NoError(t, err)
	assert.Nil(t, got.Item)
}
