// Command lambda is the Lambda function behind every Bashoutter route. The stack deploys
// it four times (GetHaiku, PostHaiku, PatchHaiku, DeleteHaiku), one per route, each with
// a role that allows only that route's DynamoDB call, as the course does with its four
// Python handlers. TABLE_NAME names the table.
package main

import (
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/intro-aws-go/intro-aws-go/handson/bashoutter/api"
)

func main() {
	table := os.Getenv("TABLE_NAME")
	if table == "" {
		log.Fatal("TABLE_NAME is not set: the stack sets it to the haiku table's name")
	}
	h := &api.Handler{Store: &api.Store{DB: dynamodb.NewFromConfig(configFromEnv()), Table: table}}
	lambda.Start(h.Handle)
}

// configFromEnv is the SDK configuration Lambda hands every function in its
// environment: the region and the role's temporary credentials (they stay valid for the
// life of the execution environment). It replaces config.LoadDefaultConfig, whose
// profile, SSO and instance-metadata support a function never uses and which makes the
// binary a third bigger and its cold start slower. AWS_ENDPOINT_URL(_DYNAMODB) points it
// at a local DynamoDB in tests.
func configFromEnv() aws.Config {
	cfg := aws.Config{
		Region: os.Getenv("AWS_REGION"),
		Credentials: credentials.NewStaticCredentialsProvider(
			os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")),
	}
	for _, name := range []string{"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"} {
		if v := os.Getenv(name); v != "" {
			cfg.BaseEndpoint = aws.String(v)
			break
		}
	}
	return cfg
}
