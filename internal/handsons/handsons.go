// Package handsons holds the facts about each hands-on that both the CDK app and the
// Go clients need (stack names, default sizes), without importing the CDK, so the
// clients stay small and start fast.
package handsons

import (
	"fmt"

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

// Public SSM parameters the stacks take their images from. CloudFormation resolves them
// at deploy time in the deploy region; `preflight` checks beforehand that they exist
// there. arch is "x86_64" or "arm64", as these parameter names spell it.

// AL2023Parameter is MyFirstEc2's image: the newest Amazon Linux 2023 of arch.
func AL2023Parameter(arch string) string {
	return "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-" + arch
}

// DlamiParameterFormat is the name of the public SSM parameter of AWS's "Deep Learning
// [ARM64] AMI OSS Nvidia Driver GPU PyTorch <version> (Ubuntu 24.04)", for an
// architecture and a PyTorch version. Format from the DLAMI guide's "Finding the ID of
// a DLAMI" (https://docs.aws.amazon.com/dlami/latest/devguide/find-dlami-id.html).
const DlamiParameterFormat = "/aws/service/deeplearning/ami/%s/oss-nvidia-driver-gpu-pytorch-%s-ubuntu-24.04/latest/ami-id"

// DlamiPyTorch is the PyTorch version of Ec2ForDl's default image per architecture: the
// newest one AWS publishes for it. As of 2026-10 the arm64 line is a release behind:
// "Deep Learning ARM64 AMI OSS Nvidia Driver GPU PyTorch 2.11 (Ubuntu 24.04) 20261009"
// (https://docs.aws.amazon.com/dlami/latest/devguide/aws-deep-learning-ami-gpupt211ossarm64-ul2404-2026-10-09.html)
// is the newest arm64 one; there is no arm64 PyTorch 2.12 image, so its parameter does
// not exist and a g5g deploy with 2.12 would fail.
var DlamiPyTorch = map[string]string{"x86_64": "2.12", "arm64": "2.11"}

// DlamiParameter is Ec2ForDl's default image parameter for arch.
func DlamiParameter(arch string) string {
	return fmt.Sprintf(DlamiParameterFormat, arch, DlamiPyTorch[arch])
}
