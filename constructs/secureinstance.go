package constructs

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// SecureInstanceProps configures NewSecureInstance.
type SecureInstanceProps struct {
	Network      PublicVpc
	InstanceType string
	MachineImage awsec2.IMachineImage
	// RootDeviceName is the AMI's root device: "/dev/xvda" for Amazon Linux,
	// "/dev/sda1" for Ubuntu images.
	RootDeviceName string
	// RootVolumeGiB must be at least the AMI's snapshot size.
	RootVolumeGiB int
	// SSHCidr, when set, is the only range allowed to reach port 22.
	SSHCidr string
	// KeyName, when set, is an existing EC2 key pair installed on the instance.
	KeyName string
	// LoginUser is the AMI's default user, for the printed ssh command.
	LoginUser string
}

// SecureInstance is the course's EC2 instance with safe defaults: a security group
// with no inbound rule unless SSH is asked for from one range, an instance role that
// lets Session Manager in (so no port needs to be open at all), IMDSv2 only, and an
// encrypted gp3 root volume deleted with the instance.
type SecureInstance interface {
	cdkconstructs.Construct
	Instance() awsec2.Instance
	SecurityGroup() awsec2.SecurityGroup
	Role() awsiam.Role
	// StartSessionCommand is the `aws ssm start-session` line that opens a shell.
	StartSessionCommand() *string
	// SSHCommand is the ssh line for the key pair, or nil without a key pair. With
	// SSHCidr it goes straight to the public DNS name; without, it tunnels through
	// Session Manager, so it works with port 22 closed.
	SSHCommand() *string
}

type secureInstance struct {
	cdkconstructs.Construct
	instance awsec2.Instance
	sg       awsec2.SecurityGroup
	role     awsiam.Role
	props    SecureInstanceProps
}

// NewSecureInstance creates the security group, role and instance in the network's
// first public subnet.
func NewSecureInstance(scope cdkconstructs.Construct, id string, props *SecureInstanceProps) SecureInstance {
	this := cdkconstructs.NewConstruct(scope, jsii.String(id))
	vpc := props.Network.Vpc()

	sg := awsec2.NewSecurityGroup(this, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("Instance access: no inbound rule unless ssh_cidr is given; all outbound"),
		AllowAllOutbound: jsii.Bool(true),
	})
	if props.SSHCidr != "" {
		sg.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(props.SSHCidr)), awsec2.Port_Tcp(jsii.Number(22)),
			jsii.String("SSH from ssh_cidr only"), nil)
	}

	role := awsiam.NewRole(this, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil),
		Description: jsii.String("Lets Session Manager reach the instance; nothing else"),
		ManagedPolicies: &[]awsiam.IManagedPolicy{
			awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("AmazonSSMManagedInstanceCore")),
		},
	})

	var keyPair awsec2.IKeyPair
	if props.KeyName != "" {
		keyPair = awsec2.KeyPair_FromKeyPairName(this, jsii.String("KeyPair"), jsii.String(props.KeyName))
	}

	instance := awsec2.NewInstance(this, jsii.String("Instance"), &awsec2.InstanceProps{
		Vpc:           vpc,
		VpcSubnets:    props.Network.PublicSubnets(),
		InstanceType:  awsec2.NewInstanceType(jsii.String(props.InstanceType)),
		MachineImage:  props.MachineImage,
		SecurityGroup: sg,
		Role:          role,
		KeyPair:       keyPair,
		HttpTokens:    awsec2.HttpTokens_REQUIRED, // IMDSv2 only
		BlockDevices: &[]*awsec2.BlockDevice{{
			DeviceName: jsii.String(props.RootDeviceName),
			Volume: awsec2.BlockDeviceVolume_Ebs(jsii.Number(props.RootVolumeGiB), &awsec2.EbsDeviceOptions{
				VolumeType:          awsec2.EbsDeviceVolumeType_GP3,
				Encrypted:           jsii.Bool(true),
				DeleteOnTermination: jsii.Bool(true),
			}),
		}},
	})
	instance.Node().AddDependency(props.Network.InternetReady())

	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM4"),
		Reason:    jsii.String("AmazonSSMManagedInstanceCore is the AWS-maintained minimum for Session Manager; a hand-written copy would need the same wildcards and go stale."),
		AppliesTo: &[]interface{}{"Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore"},
	}}, jsii.Bool(true))
	cdknag.NagSuppressions_AddResourceSuppressions(instance, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-EC28"), Reason: jsii.String("Detailed monitoring bills per metric; a hands-on instance that lives for hours does not need 1-minute metrics.")},
		{Id: jsii.String("AwsSolutions-EC29"), Reason: jsii.String("Hands-on instances must go away with `cdk destroy`; termination protection would block it.")},
	}, jsii.Bool(false))

	return &secureInstance{Construct: this, instance: instance, sg: sg, role: role, props: *props}
}

func (s *secureInstance) Instance() awsec2.Instance           { return s.instance }
func (s *secureInstance) SecurityGroup() awsec2.SecurityGroup { return s.sg }
func (s *secureInstance) Role() awsiam.Role                   { return s.role }

func (s *secureInstance) StartSessionCommand() *string {
	return join("aws ssm start-session --region ", awscdk.Aws_REGION(), " --target ", s.instance.InstanceId())
}

func (s *secureInstance) SSHCommand() *string {
	if s.props.KeyName == "" {
		return nil
	}
	key := "ssh -i ~/.ssh/" + s.props.KeyName + ".pem "
	if s.props.SSHCidr != "" {
		return join(key, s.props.LoginUser, "@", s.instance.InstancePublicDnsName())
	}
	// Port 22 is closed: carry SSH inside a Session Manager session instead.
	return join(key, "-o ProxyCommand='aws ssm start-session --region ", awscdk.Aws_REGION(),
		" --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p' ",
		s.props.LoginUser, "@", s.instance.InstanceId())
}

// join concatenates literal strings and tokens into one CloudFormation string.
func join(parts ...any) *string {
	list := make([]*string, len(parts))
	for i, p := range parts {
		switch v := p.(type) {
		case string:
			list[i] = jsii.String(v)
		case *string:
			list[i] = v
		}
	}
	return awscdk.Fn_Join(jsii.String(""), &list)
}
