package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/simplebatch"
	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
)

// connector opens the AWS clients and finds the stack's resources; region and
// profile are the --region and --profile flags ("" when not given).
type connector func(ctx context.Context, region, profile string) (*awsEnv, error)

// awsEnv is everything the commands talk to.
type awsEnv struct {
	region string
	batch  *batch.Client
	s3     *s3.Client
	logs   *cloudwatchlogs.Client
	names  stackNames
}

// stackNames are the SimpleBatch resources, read from SSM.
type stackNames struct {
	Bucket, JobQueue, JobDefinition, LogGroup string
}

// newAWS loads the configuration as the AWS CLI does (profile, SSO, environment,
// AWS_ENDPOINT_URL included) and connects.
func newAWS(ctx context.Context, region, profile string) (*awsEnv, error) {
	cfg, err := awsenv.Load(ctx, awsenv.Options{Region: region, Profile: profile})
	if err != nil {
		return nil, err
	}
	return connect(ctx, cfg)
}

// connect reads the /SimpleBatch/ parameters (handson/contracts/simplebatch): the stack tells the client its names.
func connect(ctx context.Context, cfg aws.Config) (*awsEnv, error) {
	params, err := awsenv.Parameters(ctx, cfg, simplebatch.StackName, simplebatch.Parameters())
	if err != nil {
		return nil, err
	}
	return &awsEnv{
		region: cfg.Region,
		batch:  batch.NewFromConfig(cfg),
		// The SDK would print a DEBUG line on stderr for each object stored without a
		// checksum, which also breaks the live table.
		s3:   s3.NewFromConfig(cfg, func(o *s3.Options) { o.DisableLogOutputChecksumValidationSkipped = true }),
		logs: cloudwatchlogs.NewFromConfig(cfg),
		names: stackNames{
			Bucket:        params[simplebatch.ParamBucketName],
			JobQueue:      params[simplebatch.ParamJobQueueArn],
			JobDefinition: params[simplebatch.ParamJobDefinitionArn],
			LogGroup:      params[simplebatch.ParamLogGroupName],
		},
	}, nil
}
