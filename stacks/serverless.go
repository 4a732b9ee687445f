package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/intro-aws-go/intro-aws-go/constructs"
)

// Hands-on #5 (「サーバーレス入門」): three small stacks, one per service, each deployed,
// tried with cmd/serverless and destroyed on its own.

// SimpleLambdaStackProps are the inputs of SimpleLambda.
type SimpleLambdaStackProps struct {
	awscdk.StackProps
}

// NewSimpleLambdaStack builds one Lambda function (handson/simplelambda, Go on arm64)
// that waits 2-5 seconds and greets you, and a queue that keeps the events of
// asynchronous invocations that failed.
func NewSimpleLambdaStack(scope cdkconstructs.Construct, id string, props *SimpleLambdaStackProps) awscdk.Stack {
	p := propsOf(props)
	stack := awscdk.NewStack(scope, &id, &p.StackProps)

	// 1. The dead-letter queue (the course's dead_letter_queue_enabled=True): an
	//    asynchronous invocation that still fails after Lambda's two retries lands here,
	//    for 14 days, so you can see what went wrong.
	dlq := awssqs.NewQueue(stack, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RemovalPolicy:   awscdk.RemovalPolicy_DESTROY,
	})

	// 2. The function: 128 MB, 10 s, as in the course.
	fn := constructs.NewGoFunction(stack, "LambdaHandler", &constructs.GoFunctionProps{
		Entry:           "handson/simplelambda",
		Description:     "Hands-on #5: waits 2-5 s and returns a Cloud Sushi order",
		MemoryMiB:       new(128),
		DeadLetterQueue: dlq,
	})

	output(stack, "FunctionName", fn.Function().FunctionName(), "Name of the function, for cmd/serverless invoke and aws lambda invoke")
	output(stack, "LogsCommand", jsii.String("aws logs tail "+*fn.LogGroup().LogGroupName()+" --follow --region "+*stack.Region()),
		"Follows the function's log")
	output(stack, "DeadLetterQueueUrl", dlq.QueueUrl(), "Failed asynchronous invocations, for aws sqs receive-message")

	suppress(dlq, false, nagReason{"AwsSolutions-SQS3", "This queue is itself the function's dead-letter queue.", nil})
	return stack
}

// SimpleDynamoDbStackProps are the inputs of SimpleDynamoDb.
type SimpleDynamoDbStackProps struct {
	awscdk.StackProps
}

// NewSimpleDynamoDbStack builds one DynamoDB table keyed on item_id, billed per request.
func NewSimpleDynamoDbStack(scope cdkconstructs.Construct, id string, props *SimpleDynamoDbStackProps) awscdk.Stack {
	p := propsOf(props)
	stack := awscdk.NewStack(scope, &id, &p.StackProps)

	// 1. The table (the course's "SimpleTable").
	table := constructs.NewItemTable(stack, "SimpleTable")

	output(stack, "TableName", table.TableName(), "Name of the table, for cmd/serverless write/read/batch-write/clear/search")
	return stack
}

// SimpleS3StackProps are the inputs of SimpleS3.
type SimpleS3StackProps struct {
	awscdk.StackProps
}

// NewSimpleS3Stack builds one private bucket that only you can read, reached over TLS,
// and emptied and deleted with the stack.
func NewSimpleS3Stack(scope cdkconstructs.Construct, id string, props *SimpleS3StackProps) awscdk.Stack {
	p := propsOf(props)
	stack := awscdk.NewStack(scope, &id, &p.StackProps)

	// 1. The bucket. You upload files into it, so destroying the stack must empty it first.
	bucket := constructs.NewPrivateBucket(stack, "Bucket", &constructs.PrivateBucketProps{AutoDeleteObjects: true})

	output(stack, "BucketName", bucket.BucketName(), "Name of the bucket, for cmd/serverless upload/download")
	return stack
}
