package constructs

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// itemTablePartitionKey is the partition key of every table in the course.
const itemTablePartitionKey = "item_id"

// NewItemTable is the course's DynamoDB table: partition key `item_id` (string),
// on-demand billing (nothing to pay while idle, no capacity to plan), encrypted with
// the AWS-owned key, and deleted with its stack together with its data.
func NewItemTable(scope cdkconstructs.Construct, id string) awsdynamodb.Table {
	table := awsdynamodb.NewTable(scope, jsii.String(id), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{
			Name: jsii.String(itemTablePartitionKey),
			Type: awsdynamodb.AttributeType_STRING,
		},
		BillingMode:   awsdynamodb.BillingMode_PAY_PER_REQUEST,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(table, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-DDB3"),
		Reason: jsii.String("Hands-on data is disposable. With point-in-time recovery on, deleting the table " +
			"leaves a billed system backup for 35 days, and `cdk destroy` must leave nothing behind."),
	}}, jsii.Bool(false))
	return table
}
