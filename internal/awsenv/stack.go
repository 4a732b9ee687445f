package awsenv

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
)

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
		return nil, Explain("reading the outputs of stack "+stack, err)
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
