package constructs

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// PrivateBucketProps configures NewPrivateBucket.
type PrivateBucketProps struct {
	// AutoDeleteObjects empties the bucket when its stack is destroyed, with CDK's
	// auto-delete custom resource (a small Lambda function). Needed for every bucket that
	// holds objects, including one filled by a BucketDeployment: that deployment does not
	// empty a bucket it tagged as its own (https://github.com/aws/aws-cdk/issues/33397).
	AutoDeleteObjects bool
}

// NewPrivateBucket is a bucket that nobody outside the account can read: all public
// access blocked, objects owned by the bucket owner (no ACLs), encrypted with S3-managed
// keys, and reachable over TLS only. It is deleted with its stack.
func NewPrivateBucket(scope cdkconstructs.Construct, id string, props *PrivateBucketProps) awss3.Bucket {
	if props == nil {
		props = &PrivateBucketProps{}
	}
	bucket := awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		AutoDeleteObjects: jsii.Bool(props.AutoDeleteObjects),
	})
	if props.AutoDeleteObjects {
		logAutoDeleteInStack(awscdk.Stack_Of(scope))
	}
	cdknag.NagSuppressions_AddResourceSuppressions(bucket, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-S1"),
		Reason: jsii.String("Server access logs need a second bucket that outlives this one to be useful; " +
			"CloudTrail already records who changed the bucket. Enable them for anything long-lived."),
	}}, jsii.Bool(false))
	return bucket
}
