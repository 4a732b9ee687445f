package constructs

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// autoDeleteProviderID is where aws-cdk-lib puts the Lambda function that empties buckets
// with AutoDeleteObjects: one per stack, a child of the stack.
const autoDeleteProviderID = "Custom::S3AutoDeleteObjectsCustomResourceProvider"

// logAutoDeleteInStack sends the logs of the stack's auto-delete function to a log group
// of the stack (retention, deleted with it). Left alone, Lambda creates
// /aws/lambda/<function> at the function's first run, outside the stack and kept
// forever; customresources.CustomResourceConfig does not reach this provider (a
// CfnResource-based CustomResourceProvider, not a lambda.Function). Lambda's
// LoggingConfig.LogGroup names the group
// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html),
// and CloudFormation deletes the group after the function and the custom resource,
// since both depend on it through the reference.
func logAutoDeleteInStack(stack awscdk.Stack) {
	provider := stack.Node().TryFindChild(jsii.String(autoDeleteProviderID))
	if provider == nil {
		return
	}
	handler, ok := provider.Node().TryFindChild(jsii.String("Handler")).(awscdk.CfnResource)
	if !ok || stack.Node().TryFindChild(jsii.String("AutoDeleteObjectsLogs")) != nil {
		return
	}
	logs := awslogs.NewLogGroup(stack, jsii.String("AutoDeleteObjectsLogs"), &awslogs.LogGroupProps{
		Retention:     GoFunctionLogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	handler.AddPropertyOverride(jsii.String("LoggingConfig"), map[string]any{"LogGroup": logs.LogGroupName()})
}
