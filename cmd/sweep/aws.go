package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/simplebatch"
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
	cfg, err := awsenv.Load(ctx, region, profile)
	if err != nil {
		return nil, err
	}
	return connect(ctx, cfg)
}

// connect reads the /SimpleBatch/ parameters: the stack tells the client its names.
func connect(ctx context.Context, cfg aws.Config) (*awsEnv, error) {
	env := &awsEnv{
		region: cfg.Region,
		batch:  batch.NewFromConfig(cfg),
		// The SDK would print a DEBUG line on stderr for each object stored without a
		// checksum, which also breaks the live table.
		s3:   s3.NewFromConfig(cfg, func(o *s3.Options) { o.DisableLogOutputChecksumValidationSkipped = true }),
		logs: cloudwatchlogs.NewFromConfig(cfg),
	}
	params := map[string]string{}
	pages := ssm.NewGetParametersByPathPaginator(ssm.NewFromConfig(cfg), &ssm.GetParametersByPathInput{
		Path: aws.String(simplebatch.ParamPrefix),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, explain("reading the SSM parameters under "+simplebatch.ParamPrefix, err)
		}
		for _, p := range page.Parameters {
			params[aws.ToString(p.Name)] = aws.ToString(p.Value)
		}
	}
	env.names = stackNames{
		Bucket:        params[simplebatch.ParamBucketName],
		JobQueue:      params[simplebatch.ParamJobQueueArn],
		JobDefinition: params[simplebatch.ParamJobDefinitionArn],
		LogGroup:      params[simplebatch.ParamLogGroupName],
	}
	if len(params) == 0 {
		return nil, &exitError{code: 1, msg: fmt.Sprintf("%s is not deployed in %s (no SSM parameters under %s): deploy it with `npx cdk deploy %s`, or pass --region with the region it is in",
			simplebatch.StackName, cfg.Region, simplebatch.ParamPrefix, simplebatch.StackName)}
	}
	for name, v := range map[string]string{
		simplebatch.ParamBucketName: env.names.Bucket, simplebatch.ParamJobQueueArn: env.names.JobQueue,
		simplebatch.ParamJobDefinitionArn: env.names.JobDefinition,
	} {
		if v == "" {
			return nil, &exitError{code: 1, msg: fmt.Sprintf("SSM parameter %s is missing in %s: deploy the current stack with `npx cdk deploy %s`", name, cfg.Region, simplebatch.StackName)}
		}
	}
	return env, nil
}

// explain turns an SDK error into one line that says what to do; an interrupt
// passes through.
func explain(doing string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	return awsenv.Explain(doing, err)
}
