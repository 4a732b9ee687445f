// Package awsenv gives the Go clients their AWS configuration and the outputs of the
// stack they work with, and turns the usual set-up mistakes (no credentials, no region,
// stack not deployed) into one line that says what to do.
package awsenv

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
)

// Load reads the configuration the AWS CLI uses (AWS_PROFILE, AWS_REGION, ~/.aws, SSO,
// AWS_ENDPOINT_URL for tests) and insists on a region.
func Load(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration: %v (check AWS_PROFILE and ~/.aws/config)", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region: run `aws configure` or set AWS_REGION to the region you deployed to, e.g. AWS_REGION=ap-northeast-1")
	}
	return cfg, nil
}

// NotDeployedError says which stack to deploy, and where.
type NotDeployedError struct {
	Stack, Region, Status string
}

func (e *NotDeployedError) Error() string {
	if e.Status != "" {
		return fmt.Sprintf("stack %s in %s is %s, not ready: run `npx cdk deploy %s` (after `npx cdk destroy %s` if it rolled back)",
			e.Stack, e.Region, e.Status, e.Stack, e.Stack)
	}
	return fmt.Sprintf("stack %s is not deployed in %s: run `npx cdk deploy %s` (or set AWS_REGION to the region you deployed it to)",
		e.Stack, e.Region, e.Stack)
}

// Outputs returns the outputs of a deployed stack by name.
func Outputs(ctx context.Context, cfg aws.Config, stack string) (map[string]string, error) {
	out, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" && strings.Contains(apiErr.ErrorMessage(), "does not exist") {
			return nil, &NotDeployedError{Stack: stack, Region: cfg.Region}
		}
		return nil, Explain(fmt.Errorf("read the outputs of stack %s: %w", stack, err))
	}
	if len(out.Stacks) == 0 {
		return nil, &NotDeployedError{Stack: stack, Region: cfg.Region}
	}
	s := out.Stacks[0]
	switch status := string(s.StackStatus); status {
	case "CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_IN_PROGRESS",
		"UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "IMPORT_COMPLETE":
	default:
		return nil, &NotDeployedError{Stack: stack, Region: cfg.Region, Status: status}
	}
	outputs := map[string]string{}
	for _, o := range s.Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return outputs, nil
}

// Output returns one output of a deployed stack.
func Output(ctx context.Context, cfg aws.Config, stack, name string) (string, error) {
	outputs, err := Outputs(ctx, cfg, stack)
	if err != nil {
		return "", err
	}
	v, ok := outputs[name]
	if !ok || v == "" {
		return "", fmt.Errorf("stack %s in %s has no output %s: it was deployed from another version; run `npx cdk deploy %s`", stack, cfg.Region, name, stack)
	}
	return v, nil
}

// Explain rewrites the errors a learner meets first into what to do about them.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	switch {
	case strings.Contains(text, "failed to retrieve credentials") || strings.Contains(text, "no EC2 IMDS role found") ||
		strings.Contains(text, "get identity: get credentials"):
		return fmt.Errorf("no AWS credentials: run `aws configure` (or `aws sso login`), then check with `aws sts get-caller-identity`")
	case strings.Contains(text, "ExpiredToken") || strings.Contains(text, "token has expired"):
		return fmt.Errorf("your AWS credentials have expired: sign in again (`aws sso login`) and retry")
	case strings.Contains(text, "AccessDenied") || strings.Contains(text, "not authorized"):
		return fmt.Errorf("AWS refused the request (access denied): use the credentials you deployed with; %v", err)
	}
	return err
}
