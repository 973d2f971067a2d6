package dynamodbapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shoaldb/shoal/dynamodbapi"
	"github.com/shoaldb/shoal/engine"
)

// Serve the DynamoDB API over an engine and use it with the AWS SDK.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "shoal-example")
	defer os.RemoveAll(dir)
	db, err := engine.Open(engine.Options{Dir: dir})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	srv := httptest.NewServer(dynamodbapi.New(db, dynamodbapi.Options{
		Credentials: dynamodbapi.StaticCredentials{"AKIDEXAMPLE": "secret"},
	}))
	defer srv.Close()

	client := dynamodb.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	}, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(srv.URL) })

	ctx := context.Background()
	_, err = client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("Music"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("artist"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("artist"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		panic(err)
	}
	_, err = client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("Music"), Item: map[string]types.AttributeValue{
		"artist": &types.AttributeValueMemberS{Value: "Nina Simone"},
		"albums": &types.AttributeValueMemberN{Value: "40"},
	}})
	if err != nil {
		panic(err)
	}
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("Music"),
		Key: map[string]types.AttributeValue{"artist": &types.AttributeValueMemberS{Value: "Nina Simone"}}})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Item["albums"].(*types.AttributeValueMemberN).Value)
	// Output: 40
}
