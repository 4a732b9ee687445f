// Package stacks defines one CloudFormation stack per hands-on of the course. A stack
// only composes constructs and wires outputs; main.go fills its props.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/intro-aws-go/intro-aws-go/constructs"
	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
)

// MyFirstEc2DefaultInstanceType is the smallest burstable type that runs Amazon Linux
// 2023 comfortably (the course used t2.micro, a generation older).
const MyFirstEc2DefaultInstanceType = handsons.MyFirstEc2InstanceType

// MyFirstEc2StackProps are the inputs of hands-on #1.
type MyFirstEc2StackProps struct {
	awscdk.StackProps
	// InstanceType defaults to MyFirstEc2DefaultInstanceType. Graviton types (t4g.*)
	// get the arm64 image.
	InstanceType string
	// KeyName is an existing EC2 key pair for SSH; empty means Session Manager only.
	KeyName string
	// SSHCidr opens port 22 to this IPv4 range only; empty means no inbound rule.
	SSHCidr string
}

// NewMyFirstEc2Stack builds hands-on #1 (「EC2 インスタンスを起動してみよう」): a VPC with
// one public subnet, a security group, and one small Amazon Linux 2023 instance that
// you log in to.
func NewMyFirstEc2Stack(scope cdkconstructs.Construct, id string, props *MyFirstEc2StackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)

	instanceType := props.InstanceType
	if instanceType == "" {
		instanceType = MyFirstEc2DefaultInstanceType
	}

	// 1. The network: 10.10.0.0/23, one Availability Zone, public subnet, no NAT gateway.
	network := constructs.NewPublicVpc(stack, "Network", nil)

	// 2. The instance, on the newest Amazon Linux 2023 image of its CPU architecture.
	//    The image id is read from AWS's public SSM parameter when CloudFormation
	//    deploys, so the stack works in every region without an AMI map.
	image := awsec2.MachineImage_FromSsmParameter(
		jsii.String(handsons.AL2023Parameter(constructs.ImageArch(instanceType))),
		&awsec2.SsmParameterImageOptions{Os: awsec2.OperatingSystemType_LINUX},
	)
	host := constructs.NewSecureInstance(stack, "MyFirstEc2Instance", &constructs.SecureInstanceProps{
		Network:        network,
		InstanceType:   instanceType,
		MachineImage:   image,
		RootDeviceName: "/dev/xvda",
		RootVolumeGiB:  8, // the size of the Amazon Linux 2023 image's snapshot
		SSHCidr:        props.SSHCidr,
		KeyName:        props.KeyName,
		LoginUser:      "ec2-user",
	})

	// 3. What you need to log in (the course's two outputs come first).
	output(stack, "InstancePublicDnsName", host.Instance().InstancePublicDnsName(), "Public DNS name of the instance")
	output(stack, "InstancePublicIp", host.Instance().InstancePublicIp(), "Public IPv4 address of the instance")
	output(stack, "InstanceId", host.Instance().InstanceId(), "Instance id, for the AWS CLI and Session Manager")
	output(stack, "ConnectWithSessionManager", host.StartSessionCommand(), "Opens a shell with no inbound port (needs the Session Manager plugin)")
	if ssh := host.SSHCommand(""); ssh != nil {
		output(stack, "ConnectWithSsh", ssh, "Logs in with your key pair")
	}
	return stack
}

// output adds a stack output whose logical id is exactly name, as the course's clients
// and the README refer to it by that name.
func output(stack awscdk.Stack, name string, value *string, description string) {
	awscdk.NewCfnOutput(stack, jsii.String(name), &awscdk.CfnOutputProps{
		Value:       value,
		Description: jsii.String(description),
	})
}
