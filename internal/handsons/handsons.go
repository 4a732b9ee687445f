// Package handsons holds the facts about each hands-on that both the CDK app and the
// Go clients need (stack names, default sizes), without importing the CDK, so the
// clients stay small and start fast.
package handsons

import (
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/bashoutter"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/simplebatch"
)

// Stack names: the course's names, used by `npx cdk deploy <Stack>`. A hands-on with a
// contract package (handson/contracts) names its stack there.
const (
	MyFirstEc2      = "MyFirstEc2"
	Ec2ForDl        = "Ec2ForDl"
	EcsClusterQaBot = qabot.StackName
	SimpleBatch     = simplebatch.StackName
	SimpleLambda    = "SimpleLambda"
	SimpleDynamoDb  = "SimpleDynamoDb"
	SimpleS3        = "SimpleS3"
	Bashoutter      = bashoutter.StackName
)

// Stacks lists every hands-on stack in course order.
var Stacks = []string{MyFirstEc2, Ec2ForDl, EcsClusterQaBot, SimpleBatch, SimpleLambda, SimpleDynamoDb, SimpleS3, Bashoutter}

// ProjectTag is the value of the Project tag on every stack and resource.
const ProjectTag = "intro-aws-go"

// Default instance types; `-c instance_type=...` overrides them at deploy time.
const (
	MyFirstEc2InstanceType  = "t3.micro"    // smallest burstable type that runs AL2023 comfortably
	Ec2ForDlInstanceType    = "g4dn.xlarge" // the course's GPU instance: 1 NVIDIA T4, 4 vCPUs
	SimpleBatchInstanceType = "g4dn.xlarge"
)

// EC2Stacks are the hands-ons that start EC2 instances, with their default type.
var EC2Stacks = map[string]string{
	MyFirstEc2:  MyFirstEc2InstanceType,
	Ec2ForDl:    Ec2ForDlInstanceType,
	SimpleBatch: SimpleBatchInstanceType,
}
