package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/intro-aws-go/intro-aws-go/constructs"
	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
	"github.com/intro-aws-go/intro-aws-go/internal/instancetype"
)

const (
	// ec2ForDlDefaultIdleStopMinutes stops a forgotten instance after an idle hour.
	ec2ForDlDefaultIdleStopMinutes = 60

	jupyterRemotePort = 8888 // where Jupyter listens on the instance
	jupyterLocalPort  = 8931 // the course's local port
)

// Ec2ForDlStackProps are the inputs of hands-on #2.
type Ec2ForDlStackProps struct {
	awscdk.StackProps
	// InstanceType defaults to handsons.Ec2ForDlInstanceType (1 NVIDIA T4, 4 vCPUs).
	InstanceType string
	// ImageParameter is the public SSM parameter holding the image id; default
	// handsons.DlamiParameter for the instance type's architecture.
	ImageParameter string
	KeyName        string
	SSHCidr        string
	// Spot runs the instance on one-time spot capacity.
	Spot bool
	// IdleStopMinutes: nil means 60, 0 turns the auto-stop off.
	IdleStopMinutes *int
	// AvailabilityZone pins the subnet, for regions whose first zone lacks the type.
	AvailabilityZone string
}

// NewEc2ForDlStack builds hands-on #2 (「深層学習用の GPU インスタンス」): the same public-only
// network as hands-on #1 and a GPU instance on the AWS Deep Learning AMI with PyTorch,
// reached by Session Manager port forwarding (Jupyter) with no inbound port open, and
// stopped automatically when left idle.
func NewEc2ForDlStack(scope cdkconstructs.Construct, id string, props *Ec2ForDlStackProps) awscdk.Stack {
	p := propsOf(props)
	stack := awscdk.NewStack(scope, &id, &p.StackProps)
	instanceType := orString(p.InstanceType, handsons.Ec2ForDlInstanceType)
	idleStop := orDefault(p.IdleStopMinutes, ec2ForDlDefaultIdleStopMinutes)
	imageParameter := orString(p.ImageParameter, handsons.DlamiParameter(instancetype.ImageArch(instanceType)))

	network := publicNetwork(stack, p.AvailabilityZone)
	// The GPU instance: no inbound port unless ssh_cidr, IMDSv2, encrypted root volume
	// of the image's own size (DLAMIs grow with each release), idle auto-stop.
	host := constructs.NewSecureInstance(stack, "Ec2ForDlInstance", &constructs.SecureInstanceProps{
		Network:         network,
		InstanceType:    instanceType,
		MachineImage:    deepLearningAMI(imageParameter),
		RootDeviceName:  "/dev/sda1", // Ubuntu images
		SSHCidr:         p.SSHCidr,
		KeyName:         p.KeyName,
		LoginUser:       "ubuntu",
		Spot:            p.Spot,
		IdleStopMinutes: idleStop,
	})
	jupyterOutputs(stack, host, imageParameter)
	idleStopOutputs(stack, host, idleStop, p.Spot)
	return stack
}

// deepLearningAMI is the current Deep Learning AMI with PyTorch, read from AWS's public
// SSM parameter when CloudFormation deploys, so it works in every region.
func deepLearningAMI(parameter string) awsec2.IMachineImage {
	return awsec2.MachineImage_FromSsmParameter(jsii.String(parameter),
		&awsec2.SsmParameterImageOptions{Os: awsec2.OperatingSystemType_LINUX})
}

// jupyterOutputs say how to reach the instance and Jupyter.
func jupyterOutputs(stack awscdk.Stack, host constructs.SecureInstance, imageParameter string) {
	instance := host.Instance()
	output(stack, "InstancePublicDnsName", instance.InstancePublicDnsName(), "Public DNS name of the instance")
	output(stack, "InstancePublicIp", instance.InstancePublicIp(), "Public IPv4 address of the instance")
	output(stack, "InstanceId", instance.InstanceId(), "Instance id, for the AWS CLI and Session Manager")
	output(stack, "ImageParameter", jsii.String(imageParameter), "Public SSM parameter the image id was read from")
	output(stack, "ConnectWithSessionManager", host.StartSessionCommand(), "Opens a shell with no inbound port (needs the Session Manager plugin)")
	output(stack, "JupyterPortForward", host.PortForwardCommand(jupyterRemotePort, jupyterLocalPort),
		fmt.Sprintf("Forwards http://localhost:%d to Jupyter on the instance through Session Manager", jupyterLocalPort))
	if ssh := host.SSHCommand(""); ssh != nil {
		output(stack, "ConnectWithSsh", ssh, "Logs in with your key pair")
		output(stack, "JupyterSshTunnel", host.SSHCommand(fmt.Sprintf("-L localhost:%d:localhost:%d", jupyterLocalPort, jupyterRemotePort)),
			"The course's SSH tunnel to Jupyter")
	}
}

// idleStopOutputs say what the idle auto-stop does, and how to start the instance again.
func idleStopOutputs(stack awscdk.Stack, host constructs.SecureInstance, idleStop int, spot bool) {
	switch {
	case idleStop == 0:
		output(stack, "IdleAutoStop", jsii.String("off (idle_stop_minutes=0): stop the instance yourself"), "Idle auto-stop")
	case spot:
		output(stack, "IdleAutoStop", jsii.String(fmt.Sprintf("terminates the spot instance after %d idle minutes; `npx cdk destroy Ec2ForDl` then deploy again for a new one", roundUp5(idleStop))), "Idle auto-stop")
	default:
		output(stack, "IdleAutoStop", jsii.String(fmt.Sprintf("stops the instance after %d idle minutes (the disk stays)", roundUp5(idleStop))), "Idle auto-stop")
		output(stack, "StartAgain", constructs.Join("aws ec2 start-instances --region ", awscdk.Aws_REGION(), " --instance-ids ", host.Instance().InstanceId()),
			"Starts the stopped instance again")
	}
}

// roundUp5 is the idle time the alarm really uses: whole 5-minute metric periods.
func roundUp5(minutes int) int { return (minutes + 4) / 5 * 5 }
