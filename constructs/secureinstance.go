package constructs

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
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
	// RootVolumeGiB sizes the root volume. nil keeps the image's own size, which is
	// always large enough (the Deep Learning AMIs grow from release to release).
	RootVolumeGiB *int
	// SSHCidr, when set, is the only range allowed to reach port 22.
	SSHCidr string
	// KeyName, when set, is an existing EC2 key pair installed on the instance.
	KeyName string
	// LoginUser is the AMI's default user, for the printed ssh command.
	LoginUser string
	// Spot runs the instance on spot capacity: a one-time request that ends with the
	// instance (see NewSecureInstance for why not a persistent one).
	Spot bool
	// IdleStopMinutes > 0 adds an alarm that acts on the instance once its CPU has been
	// idle that long: it stops an on-demand instance (the disk stays) and terminates a
	// spot one (EC2 cannot stop a one-time spot instance).
	IdleStopMinutes int
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
	// IdleAlarm is the idle auto-stop alarm, or nil without one.
	IdleAlarm() awscloudwatch.Alarm
	// StartSessionCommand is the `aws ssm start-session` line that opens a shell.
	StartSessionCommand() *string
	// PortForwardCommand forwards localhost:localPort to remotePort on the instance
	// through Session Manager, with no inbound port open.
	PortForwardCommand(remotePort, localPort int) *string
	// SSHCommand is the ssh line for the key pair (with extra ssh options, such as a
	// -L tunnel), or nil without a key pair. With SSHCidr it goes straight to the
	// public DNS name; without, it travels inside Session Manager, so it works with
	// port 22 closed.
	SSHCommand(options string) *string
}

type secureInstance struct {
	cdkconstructs.Construct
	instance  awsec2.Instance
	sg        awsec2.SecurityGroup
	role      awsiam.Role
	idleAlarm awscloudwatch.Alarm
	props     SecureInstanceProps
}

// NewSecureInstance creates the security group, role and instance in the network's
// first public subnet.
func NewSecureInstance(scope cdkconstructs.Construct, id string, props *SecureInstanceProps) SecureInstance {
	if props == nil || props.Network == nil || props.InstanceType == "" || props.MachineImage == nil {
		panic(fmt.Sprintf("SecureInstance %s: Network, InstanceType and MachineImage are required", id))
	}
	this := cdkconstructs.NewConstruct(scope, jsii.String(id))
	vpc := props.Network.Vpc()
	rootVolumeGiB := 1 // replaced by the image's size below
	if props.RootVolumeGiB != nil {
		rootVolumeGiB = *props.RootVolumeGiB
	}

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
			Volume: awsec2.BlockDeviceVolume_Ebs(jsii.Number(rootVolumeGiB), &awsec2.EbsDeviceOptions{
				VolumeType:          awsec2.EbsDeviceVolumeType_GP3,
				Encrypted:           jsii.Bool(true),
				DeleteOnTermination: jsii.Bool(true),
			}),
		}},
	})
	instance.Node().AddDependency(props.Network.InternetReady())
	cfnInstance := instance.Node().DefaultChild().(awsec2.CfnInstance)
	if props.RootVolumeGiB == nil {
		// Without a size, EC2 gives the volume the size of the image's snapshot.
		cfnInstance.AddPropertyDeletionOverride(jsii.String("BlockDeviceMappings.0.Ebs.VolumeSize"))
	}

	if props.Spot {
		// A one-time request: if AWS needs the capacity back, the instance is terminated.
		// Stop-on-interruption would need a persistent request, and a persistent request
		// launches a new instance after `cdk destroy` terminates this one, billing on
		// with nothing in the stack to remove it.
		template := awsec2.NewCfnLaunchTemplate(this, jsii.String("SpotLaunchTemplate"), &awsec2.CfnLaunchTemplateProps{
			LaunchTemplateData: &awsec2.CfnLaunchTemplate_LaunchTemplateDataProperty{
				InstanceMarketOptions: &awsec2.CfnLaunchTemplate_InstanceMarketOptionsProperty{
					MarketType: jsii.String("spot"),
					SpotOptions: &awsec2.CfnLaunchTemplate_SpotOptionsProperty{
						SpotInstanceType:             jsii.String("one-time"),
						InstanceInterruptionBehavior: jsii.String("terminate"),
					},
				},
			},
		})
		cfnInstance.SetLaunchTemplate(&awsec2.CfnInstance_LaunchTemplateSpecificationProperty{
			LaunchTemplateId: template.Ref(),
			Version:          template.AttrLatestVersionNumber(),
		})
	}

	s := &secureInstance{Construct: this, instance: instance, sg: sg, role: role, props: *props}
	if props.IdleStopMinutes > 0 {
		s.idleAlarm = newIdleAlarm(this, instance, props.IdleStopMinutes, props.Spot)
	}

	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM4"),
		Reason:    jsii.String("AmazonSSMManagedInstanceCore is the AWS-maintained minimum for Session Manager; a hand-written copy would need the same wildcards and go stale."),
		AppliesTo: &[]interface{}{"Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore"},
	}}, jsii.Bool(true))
	cdknag.NagSuppressions_AddResourceSuppressions(instance, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-EC28"), Reason: jsii.String("Detailed monitoring bills per metric; a hands-on instance that lives for hours does not need 1-minute metrics.")},
		{Id: jsii.String("AwsSolutions-EC29"), Reason: jsii.String("Hands-on instances must go away with `cdk destroy`; termination protection would block it.")},
	}, jsii.Bool(false))

	return s
}

// idleCPUPercent is the average CPU below which the instance counts as idle. Any
// training loop keeps at least one core busy (25% of a 4-vCPU g4dn.xlarge); a notebook
// left open, the SSM agent and the GPU driver's daemons stay well below it.
const idleCPUPercent = 5

// newIdleAlarm stops (or, for spot, terminates) the instance after minutes of idle CPU.
// EC2 publishes CPUUtilization every 5 minutes for free, so the period is 5 minutes.
func newIdleAlarm(scope cdkconstructs.Construct, instance awsec2.Instance, minutes int, spot bool) awscloudwatch.Alarm {
	const periodMinutes = 5
	periods := max(1, (minutes+periodMinutes-1)/periodMinutes)
	action, verb := awscloudwatchactions.Ec2InstanceAction_STOP, "Stops"
	if spot {
		action, verb = awscloudwatchactions.Ec2InstanceAction_TERMINATE, "Terminates"
	}
	alarm := awscloudwatch.NewAlarm(scope, jsii.String("IdleAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(fmt.Sprintf("%s the instance after %d minutes with average CPU below %d%% (idle_stop_minutes)",
			verb, periods*periodMinutes, idleCPUPercent)),
		Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String("AWS/EC2"),
			MetricName:    jsii.String("CPUUtilization"),
			DimensionsMap: &map[string]*string{"InstanceId": instance.InstanceId()},
			Statistic:     jsii.String("Average"),
			Period:        awscdk.Duration_Minutes(jsii.Number(periodMinutes)),
		}),
		ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		Threshold:          jsii.Number(idleCPUPercent),
		EvaluationPeriods:  jsii.Number(periods),
		// A stopped instance sends no data: that must not count as idle (it would
		// re-fire) nor as busy; it simply is not evaluated.
		TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	alarm.AddAlarmAction(awscloudwatchactions.NewEc2Action(action))
	return alarm
}

func (s *secureInstance) Instance() awsec2.Instance           { return s.instance }
func (s *secureInstance) SecurityGroup() awsec2.SecurityGroup { return s.sg }
func (s *secureInstance) Role() awsiam.Role                   { return s.role }
func (s *secureInstance) IdleAlarm() awscloudwatch.Alarm      { return s.idleAlarm }

func (s *secureInstance) StartSessionCommand() *string {
	return Join("aws ssm start-session --region ", awscdk.Aws_REGION(), " --target ", s.instance.InstanceId())
}

func (s *secureInstance) PortForwardCommand(remotePort, localPort int) *string {
	return Join("aws ssm start-session --region ", awscdk.Aws_REGION(), " --target ", s.instance.InstanceId(),
		fmt.Sprintf(` --document-name AWS-StartPortForwardingSession --parameters '{"portNumber":["%d"],"localPortNumber":["%d"]}'`,
			remotePort, localPort))
}

func (s *secureInstance) SSHCommand(options string) *string {
	if s.props.KeyName == "" {
		return nil
	}
	// Key pair names may hold any printable ASCII (x;id, it's, $(id)): the path is one
	// single-quoted shell word, with ~ outside the quotes so the shell still expands it.
	key := "ssh -i ~/" + shellQuote(".ssh/"+s.props.KeyName+".pem") + " "
	if options != "" {
		key += options + " "
	}
	if s.props.SSHCidr != "" {
		return Join(key, s.props.LoginUser, "@", s.instance.InstancePublicDnsName())
	}
	// Port 22 is closed: carry SSH inside a Session Manager session instead.
	return Join(key, "-o ProxyCommand='aws ssm start-session --region ", awscdk.Aws_REGION(),
		" --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p' ",
		s.props.LoginUser, "@", s.instance.InstanceId())
}

// Join concatenates literal strings and tokens (*string) into one CloudFormation
// string, for outputs such as ready-to-paste commands.
func Join(parts ...any) *string {
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

// shellQuote makes s one word for a POSIX shell (sh, bash, zsh): single quotes around
// it, and each ' inside written as '\” (close, escaped quote, reopen). Words made only
// of characters no shell treats specially are left as they are, so the usual
// ~/.ssh/my-key.pem stays readable.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./@%+=:,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
