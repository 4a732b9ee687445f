package awsenv

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

// NotDeployedError says which stack to deploy, and where.
type NotDeployedError struct {
	Stack, Region, Status string
	Detail                string // how we know, e.g. "no SSM parameters under /X/"
}

func (e *NotDeployedError) Error() string {
	if e.Status != "" {
		return fmt.Sprintf("stack %s in %s is %s, not ready: run `npx cdk deploy %s` (after `npx cdk destroy %s` if it rolled back)",
			e.Stack, e.Region, e.Status, e.Stack, e.Stack)
	}
	detail := ""
	if e.Detail != "" {
		detail = " (" + e.Detail + ")"
	}
	return fmt.Sprintf("stack %s is not deployed in %s%s: run `npx cdk deploy %s`, or pass the --region/--profile you deployed it with",
		e.Stack, e.Region, detail, e.Stack)
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

// Parameters reads the SSM String parameters a stack publishes under /<stack>/ (the
// contract packages under handson/ name them) and returns them by leaf name. Every
// leaf in required must be there and not empty.
func Parameters(ctx context.Context, cfg aws.Config, stack string, required []string) (map[string]string, error) {
	prefix := "/" + stack + "/"
	values := map[string]string{}
	pages := ssm.NewGetParametersByPathPaginator(ssm.NewFromConfig(cfg), &ssm.GetParametersByPathInput{
		Path: aws.String(strings.TrimSuffix(prefix, "/")),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, Explain("reading the stack's parameters (ssm:GetParametersByPath "+prefix+")", err)
		}
		for _, p := range page.Parameters {
			values[strings.TrimPrefix(aws.ToString(p.Name), prefix)] = aws.ToString(p.Value)
		}
	}
	if len(values) == 0 {
		return nil, &NotDeployedError{Stack: stack, Region: cfg.Region, Detail: "no SSM parameters under " + prefix}
	}
	var missing []string
	for _, leaf := range required {
		if values[leaf] == "" {
			missing = append(missing, prefix+leaf)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("stack %s in %s lacks %s (deployed by an older version?): deploy it again with `npx cdk deploy %s`",
			stack, cfg.Region, strings.Join(missing, ", "), stack)
	}
	return values, nil
}
