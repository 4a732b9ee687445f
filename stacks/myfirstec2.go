package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/intro-aws-go/intro-aws-go/constructs"
	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
	"github.com/intro-aws-go/intro-aws-go/internal/instancetype"
)

// MyFirstEc2StackProps are the inputs of hands-on #1.
type MyFirstEc2StackProps struct {
	awscdk.StackProps
	// InstanceType defaults to handsons.MyFirstEc2InstanceType, the smallest burstable
	// type that runs Amazon Linux 2023 comfortably (the course used t2.micro, a
	// generation older). Graviton types (t4g.*) get the arm64 image.
	InstanceType string
	// KeyName is an existing EC2 key pair for SSH; empty means Session Manager only.
	KeyName string
	// SSHCidr opens port 22 to this IPv4 range only; empty means no inbound rule.
	SSHCidr string
	// AvailabilityZone pins the subnet, for regions whose first zone lacks the type.
	AvailabilityZone string
}

// NewMyFirstEc2Stack builds hands-on #1 (「EC2 インスタンスを起動してみよう」): a VPC with
// one public subnet, a security group, and one small Amazon Linux 2023 instance that
// you log in to.
func NewMyFirstEc2Stack(scope cdkconstructs.Construct, id string, props *MyFirstEc2StackProps) awscdk.Stack {
	p := propsOf(props)
	stack := awscdk.NewStack(scope, &id, &p.StackProps)
	instanceType := orString(p.InstanceType, handsons.MyFirstEc2InstanceType)

	network := publicNetwork(stack, p.AvailabilityZone)
	host := constructs.NewSecureInstance(stack, "MyFirstEc2Instance", &constructs.SecureInstanceProps{
		Network:        network,
		InstanceType:   instanceType,
		MachineImage:   amazonLinux2023(instanceType),
		RootDeviceName: "/dev/xvda",
		RootVolumeGiB:  new(8), // the size of the Amazon Linux 2023 image's snapshot
		SSHCidr:        p.SSHCidr,
		KeyName:        p.KeyName,
		LoginUser:      "ec2-user",
	})
	loginOutputs(stack, host)
	return stack
}

// publicNetwork is step 1 of both EC2 hands-ons: 10.10.0.0/23, one public subnet (in
// zone when given), no NAT gateway.
func publicNetwork(stack awscdk.Stack, zone string) constructs.PublicVpc {
	var props *constructs.PublicVpcProps
	if zone != "" {
		props = &constructs.PublicVpcProps{Zones: []string{zone}}
	}
	return constructs.NewPublicVpc(stack, "Network", props)
}

// amazonLinux2023 is the newest Amazon Linux 2023 image of the instance type's CPU
// architecture. The image id is read from AWS's public SSM parameter when
// CloudFormation deploys, so the stack works in every region without an AMI map.
func amazonLinux2023(instanceType string) awsec2.IMachineImage {
	return awsec2.MachineImage_FromSsmParameter(
		jsii.String(handsons.AL2023Parameter(instancetype.ImageArch(instanceType))),
		&awsec2.SsmParameterImageOptions{Os: awsec2.OperatingSystemType_LINUX},
	)
}

// loginOutputs are what you need to log in (the course's two outputs come first).
func loginOutputs(stack awscdk.Stack, host constructs.SecureInstance) {
	output(stack, "InstancePublicDnsName", host.Instance().InstancePublicDnsName(), "Public DNS name of the instance")
	output(stack, "InstancePublicIp", host.Instance().InstancePublicIp(), "Public IPv4 address of the instance")
	output(stack, "InstanceId", host.Instance().InstanceId(), "Instance id, for the AWS CLI and Session Manager")
	output(stack, "ConnectWithSessionManager", host.StartSessionCommand(), "Opens a shell with no inbound port (needs the Session Manager plugin)")
	if ssh := host.SSHCommand(""); ssh != nil {
		output(stack, "ConnectWithSsh", ssh, "Logs in with your key pair")
	}
}
