// Package dynamodbapi serves DynamoDB's JSON protocol over a Shoal engine,
// so that AWS SDKs, the AWS CLI and tests written for DynamoDB work against
// Shoal unchanged, on the same data as the GraphQL API.
//
// It is a thin adapter, beside package resolvers: it decodes DynamoDB's
// request shapes, translates them (expressions and the legacy
// conditional parameters alike) into the engine's inputs and the expression
// AST of package expr, calls the engine, and encodes the engine's results
// and errors in DynamoDB's response shapes. Rules about data live in the
// engine; rules about who may do what, behind the Authorizer interface.
//
// Requests are POST / with X-Amz-Target "DynamoDB_20120810.<Operation>"
// (or "DynamoDBStreams_20120810.<Operation>" for the streams API) and
// Content-Type application/x-amz-json-1.0. Operations: CreateTable,
// DescribeTable, ListTables, UpdateTable, DeleteTable, UpdateTimeToLive,
// DescribeTimeToLive, PutItem, GetItem, UpdateItem, DeleteItem, Query,
// Scan, BatchGetItem, BatchWriteItem, TransactWriteItems, TransactGetItems,
// DescribeEndpoints, DescribeLimits; ListStreams, DescribeStream,
// GetShardIterator, GetRecords.
//
// # Authentication and authorization
//
// With Options.Credentials set, every request must carry a valid AWS
// Signature Version 4 (Authorization header, X-Amz-Date within 15 minutes,
// service "dynamodb", any region); the access key id names the key whose
// secret Credentials returns. Options.Authorizer is then asked about each
// Access a request makes, with the facts fine-grained policies look at
// (leading keys, attributes, Select, ReturnValues). Without Credentials
// any signature, or none, is accepted.
//
// AuthService plugs in package auth, as the server does: API keys sign
// (access key id: the key's id; secret access key: shoal_<id>_<secret>;
// auth keeps the secret sealed under a signing key outside the database),
// their roles authorize, mapped to Shoal's actions by ShoalAction, with
// fine-grained conditions enforced by the engine; every decision and
// failed authentication is audited. Authorization is asked before the
// engine looks at any table or item, so an AccessDeniedException tells a
// caller nothing of what exists.
//
// # Usage
//
//	a := dynamodbapi.NewAuthService(svc) // svc: an *auth.Service with a SigningKey
//	h := dynamodbapi.New(db, dynamodbapi.Options{Credentials: a, Authorizer: a})
//	http.ListenAndServe("127.0.0.1:8000", h)
//
// and from Go:
//
//	cfg := aws.Config{Region: "us-east-1",
//		Credentials: credentials.NewStaticCredentialsProvider(keyID, "shoal_<id>_<secret>", "")}
//	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
//		o.BaseEndpoint = aws.String("http://127.0.0.1:8000")
//	})
package dynamodbapi
