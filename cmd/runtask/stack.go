package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
)

// session is one invocation: flags, streams, and (after connect) the AWS clients and the
// stack's parameters.
type session struct {
	opts           *options
	call           *cli.Call
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
	cfg, err := c.call.AWS(ctx)
	if err != nil {
		return err
	}
	c.region = cfg.Region
	c.ecs = ecs.NewFromConfig(cfg)
	c.db = dynamodb.NewFromConfig(cfg)
	c.logs = cloudwatchlogs.NewFromConfig(cfg)
	c.stack, err = loadStack(ctx, cfg, c.opts.stack)
	return err
}

// loadStack reads the stack's parameters (the contract in handson/qabot).
func loadStack(ctx context.Context, cfg aws.Config, name string) (*stack, error) {
	values, err := awsenv.Parameters(ctx, cfg, name, qabot.Parameters())
	if err != nil {
		return nil, err
	}
	prefix, deploy := "/"+name+"/", fmt.Sprintf("`npx cdk deploy %s`", name)
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
	return "", cli.Usagef("--spot: %s in %s runs arm64 tasks, which Fargate Spot does not offer: deploy it with `npx cdk deploy %s -c spot=true` (x86_64), then use --spot",
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
