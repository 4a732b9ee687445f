package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/intro-aws-go/intro-aws-go/internal/simplebatch"
)

// connector opens the AWS clients and finds the stack's resources.
type connector func(ctx context.Context) (*awsEnv, error)

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

// newAWS loads the usual AWS configuration (profile, SSO, environment; AWS_ENDPOINT_URL
// included) and connects.
func newAWS(ctx context.Context) (*awsEnv, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, &exitError{code: 1, msg: "cannot read the AWS configuration: " + oneLine(err.Error()) + " (check ~/.aws/config and AWS_PROFILE)"}
	}
	return connect(ctx, cfg)
}

// connect reads the /SimpleBatch/ parameters: the stack tells the client its names.
func connect(ctx context.Context, cfg aws.Config) (*awsEnv, error) {
	if cfg.Region == "" {
		return nil, &exitError{code: 1, msg: "no AWS region set: run `aws configure` or export AWS_REGION=ap-northeast-1 (the region you deployed SimpleBatch to)"}
	}
	env := &awsEnv{
		region: cfg.Region,
		batch:  batch.NewFromConfig(cfg),
		s3:     s3.NewFromConfig(cfg),
		logs:   cloudwatchlogs.NewFromConfig(cfg),
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
		return nil, &exitError{code: 1, msg: fmt.Sprintf("%s is not deployed in %s (no SSM parameters under %s): deploy it with `npx cdk deploy %s`, or set AWS_REGION to the region it is in",
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

// explain turns an SDK error into one line that says what to do.
func explain(doing string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	msg := err.Error()
	var api smithy.APIError
	if errors.As(err, &api) {
		switch code := api.ErrorCode(); {
		case code == "ExpiredToken" || code == "ExpiredTokenException" || code == "RequestExpired":
			return &exitError{code: 1, msg: doing + ": your AWS credentials have expired: log in again (`aws sso login` or new keys)"}
		case code == "UnrecognizedClientException" || code == "InvalidClientTokenId" || code == "InvalidSignatureException" || code == "SignatureDoesNotMatch":
			return &exitError{code: 1, msg: doing + ": AWS does not accept these credentials (" + code + "): check them with `aws sts get-caller-identity`"}
		case strings.Contains(code, "AccessDenied"):
			return &exitError{code: 1, msg: doing + ": access denied: your AWS user or role may not do this (" + oneLine(api.ErrorMessage()) + ")"}
		default:
			return &exitError{code: 1, msg: doing + ": " + code + ": " + oneLine(api.ErrorMessage())}
		}
	}
	if strings.Contains(msg, "retrieve credentials") || strings.Contains(msg, "no EC2 IMDS role found") {
		return &exitError{code: 1, msg: doing + ": no AWS credentials found: run `aws configure` (or `aws sso login`) and check with `aws sts get-caller-identity`"}
	}
	return &exitError{code: 1, msg: doing + ": " + oneLine(msg)}
}
