package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/intro-aws-go/intro-aws-go/handson/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
)

// session is one invocation: flags, streams, and (after connect) the AWS clients and the
// stack's parameters.
type session struct {
	opts           *options
	stdin          io.Reader
	stdout, stderr io.Writer

	region string
	ecs    *ecs.Client
	db     *dynamodb.Client
	logs   *cloudwatchlogs.Client
	stack  *stack
}

// stack is what the client needs to know about a deployed EcsClusterQaBot, read from
// its SSM parameters (the contract in handson/qabot).
type stack struct {
	name                             string
	cluster, taskDefinition          string
	container, subnet, securityGroup string
	table, logGroup, logStreamPrefix string
	capacity                         string // qabot.CapacityFargate or CapacityFargateSpot
}

// connect loads the AWS configuration and the stack's parameters.
func (c *session) connect(ctx context.Context) error {
	cfg, err := awsenv.Load(ctx, c.opts.region, c.opts.profile)
	if err != nil {
		return err
	}
	c.region = cfg.Region
	c.ecs = ecs.NewFromConfig(cfg)
	c.db = dynamodb.NewFromConfig(cfg)
	c.logs = cloudwatchlogs.NewFromConfig(cfg)
	c.stack, err = loadStack(ctx, ssm.NewFromConfig(cfg), c.opts.stack, cfg.Region)
	return err
}

// loadStack reads every parameter under /<name>/ (one call: the stack publishes
// fewer than a page of them).
func loadStack(ctx context.Context, client *ssm.Client, name, region string) (*stack, error) {
	prefix := "/" + name + "/"
	values := map[string]string{}
	pages := ssm.NewGetParametersByPathPaginator(client, &ssm.GetParametersByPathInput{
		Path: aws.String(strings.TrimSuffix(prefix, "/")), MaxResults: aws.Int32(10),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, awsenv.Explain("reading the stack's parameters (ssm:GetParametersByPath "+prefix+")", err)
		}
		for _, p := range page.Parameters {
			values[strings.TrimPrefix(aws.ToString(p.Name), prefix)] = aws.ToString(p.Value)
		}
	}
	deploy := fmt.Sprintf("`npx cdk deploy %s`", name)
	if len(values) == 0 {
		return nil, fmt.Errorf("stack %s is not deployed in %s (no SSM parameters under %s): deploy it with %s, or pass the --region/--profile you deployed it with",
			name, region, prefix, deploy)
	}
	var missing []string
	for _, leaf := range qabot.Parameters() {
		if values[leaf] == "" {
			missing = append(missing, prefix+leaf)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("stack %s in %s lacks %s (deployed by an older version?): deploy it again with %s",
			name, region, strings.Join(missing, ", "), deploy)
	}
	s := &stack{
		name:            name,
		cluster:         values[qabot.ParamClusterName],
		taskDefinition:  values[qabot.ParamTaskDefinitionArn],
		container:       values[qabot.ParamContainerName],
		subnet:          values[qabot.ParamSubnet1],
		securityGroup:   values[qabot.ParamSecurityGroupID],
		table:           values[qabot.ParamTableName],
		logGroup:        values[qabot.ParamLogGroupName],
		logStreamPrefix: values[qabot.ParamLogStreamPrefix],
		capacity:        values[qabot.ParamCapacityProvider],
	}
	if s.capacity != qabot.CapacityFargate && s.capacity != qabot.CapacityFargateSpot {
		return nil, fmt.Errorf("%s%s is %q, want %s or %s: deploy the stack again with %s",
			prefix, qabot.ParamCapacityProvider, s.capacity, qabot.CapacityFargate, qabot.CapacityFargateSpot, deploy)
	}
	return s, nil
}

// capacity is where the tasks run: the stack's choice unless --spot says otherwise.
// Fargate Spot has no arm64 capacity, so --spot needs the stack's x86_64 variant.
func (c *session) capacity() (string, error) {
	spot := c.opts.spot
	switch {
	case !spot.set:
		return c.stack.capacity, nil
	case !spot.value:
		return qabot.CapacityFargate, nil
	case c.stack.capacity == qabot.CapacityFargateSpot:
		return qabot.CapacityFargateSpot, nil
	}
	return "", usagef("--spot: %s in %s runs arm64 tasks, which Fargate Spot does not offer: deploy it with `npx cdk deploy %s -c spot=true` (x86_64), then use --spot",
		c.stack.name, c.region, c.stack.name)
}

// tableError explains a failed call on the stack's table; a missing table means the
// stack is half there.
func (c *session) tableError(call string, err error) error {
	var notFound *dbtypes.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return fmt.Errorf("table %s of stack %s does not exist in %s: deploy the stack again with `npx cdk deploy %s`",
			c.stack.table, c.stack.name, c.region, c.stack.name)
	}
	return awsenv.Explain(call, err)
}
