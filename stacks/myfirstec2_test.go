package stacks

import (
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// myFirstEc2 synthesizes MyFirstEc2 with the given props once per distinct key.
func myFirstEc2(t *testing.T, key string, props MyFirstEc2StackProps) *synthesized {
	return synth(t, "MyFirstEc2/"+key, func(app awscdk.App) awscdk.Stack {
		return NewMyFirstEc2Stack(app, "MyFirstEc2", &props)
	})
}

func myFirstEc2Default(t *testing.T) *synthesized {
	return myFirstEc2(t, "default", MyFirstEc2StackProps{})
}

// With SSH from one address and a key pair, on a Graviton type.
func myFirstEc2WithSSH(t *testing.T) *synthesized {
	return myFirstEc2(t, "ssh", MyFirstEc2StackProps{
		KeyName: "my-key", SSHCidr: "203.0.113.7/32", InstanceType: "t4g.small",
	})
}

func TestMyFirstEc2NetworkIsOnePublicSubnetWithoutNat(t *testing.T) {
	s := myFirstEc2Default(t)
	vpc := s.only(t, "AWS::EC2::VPC")
	if vpc["CidrBlock"] != "10.10.0.0/23" {
		t.Errorf("VPC CIDR = %v, want the course's 10.10.0.0/23", vpc["CidrBlock"])
	}
	if vpc["EnableDnsHostnames"] != true {
		t.Error("DNS hostnames off: the instance would get no public DNS name")
	}
	subnet := s.only(t, "AWS::EC2::Subnet")
	if subnet["MapPublicIpOnLaunch"] != true || subnet["CidrBlock"] != "10.10.0.0/24" {
		t.Errorf("subnet = %s, want a public 10.10.0.0/24", jsonText(subnet))
	}
	// The zone is chosen by CloudFormation in the deploy region, never named at synth.
	if got := jsonText(subnet["AvailabilityZone"]); !strings.Contains(got, "Fn::GetAZs") {
		t.Errorf("subnet zone = %s, want Fn::Select of Fn::GetAZs", got)
	}
	s.only(t, "AWS::EC2::InternetGateway")
	route := s.only(t, "AWS::EC2::Route")
	igw, _ := dig(route, "GatewayId", "Ref").(string)
	if route["DestinationCidrBlock"] != "0.0.0.0/0" || dig(s.Template, "Resources", igw, "Type") != "AWS::EC2::InternetGateway" {
		t.Errorf("default route = %s, want 0.0.0.0/0 to the internet gateway", jsonText(route))
	}
	checkNoNatOrIdleBills(t, s)
}

func TestMyFirstEc2HasNoInboundRuleByDefault(t *testing.T) {
	s := myFirstEc2Default(t)
	if rules := ingressRules(s); len(rules) != 0 {
		t.Errorf("want no inbound rule without ssh_cidr, got %s", jsonText(rules))
	}
	checkNoOpenSSH(t, s)
	inst := s.only(t, "AWS::EC2::Instance")
	if _, ok := inst["KeyName"]; ok {
		t.Errorf("key pair set without key_name: %v", inst["KeyName"])
	}
}

func TestMyFirstEc2OpensSSHOnlyToSSHCidr(t *testing.T) {
	s := myFirstEc2WithSSH(t)
	rules := ingressRules(s)
	if len(rules) != 1 {
		t.Fatalf("want exactly one inbound rule, got %s", jsonText(rules))
	}
	r := rules[0]
	if r["CidrIp"] != "203.0.113.7/32" || r["IpProtocol"] != "tcp" || r["FromPort"] != 22.0 || r["ToPort"] != 22.0 {
		t.Errorf("inbound rule = %s, want tcp/22 from 203.0.113.7/32", jsonText(r))
	}
	if got := s.only(t, "AWS::EC2::Instance")["KeyName"]; got != "my-key" {
		t.Errorf("KeyName = %v, want my-key", got)
	}
}

func TestMyFirstEc2InstanceIsHardened(t *testing.T) {
	for _, s := range []*synthesized{myFirstEc2Default(t), myFirstEc2WithSSH(t)} {
		inst := s.only(t, "AWS::EC2::Instance")
		if got := dig(inst, "MetadataOptions", "HttpTokens"); got != "required" {
			t.Errorf("IMDS HttpTokens = %v, want required (IMDSv2 only)", got)
		}
		bdm, _ := inst["BlockDeviceMappings"].([]any)
		if len(bdm) != 1 {
			t.Fatalf("want one block device mapping (the root volume), got %s", jsonText(bdm))
		}
		root := bdm[0]
		if dig(root, "DeviceName") != "/dev/xvda" || dig(root, "Ebs", "Encrypted") != true ||
			dig(root, "Ebs", "VolumeType") != "gp3" || dig(root, "Ebs", "DeleteOnTermination") != true {
			t.Errorf("root volume = %s, want encrypted gp3 /dev/xvda deleted with the instance", jsonText(root))
		}
		if size, _ := dig(root, "Ebs", "VolumeSize").(float64); size < 8 {
			t.Errorf("root volume %v GiB is smaller than the AL2023 image (8 GiB)", size)
		}
	}
}

func TestMyFirstEc2RoleAllowsSessionManagerOnly(t *testing.T) {
	s := myFirstEc2Default(t)
	role := s.only(t, "AWS::IAM::Role")
	if got := jsonText(dig(role, "AssumeRolePolicyDocument", "Statement", 0, "Principal")); got != `{"Service":"ec2.amazonaws.com"}` {
		t.Errorf("role trusted by %s, want ec2.amazonaws.com", got)
	}
	managed := jsonText(role["ManagedPolicyArns"])
	if !strings.Contains(managed, "AmazonSSMManagedInstanceCore") || strings.Count(managed, "policy/") != 1 {
		t.Errorf("managed policies = %s, want AmazonSSMManagedInstanceCore only", managed)
	}
	if n := s.count("AWS::IAM::Policy"); n != 0 {
		t.Errorf("%d inline policies: the instance needs nothing beyond Session Manager", n)
	}
}

func TestMyFirstEc2ImageComesFromPublicSSMParameter(t *testing.T) {
	cases := map[*synthesized]struct{ instanceType, param string }{
		myFirstEc2Default(t): {"t3.micro", "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"},
		myFirstEc2WithSSH(t): {"t4g.small", "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"},
	}
	amiID := regexp.MustCompile(`ami-[0-9a-f]{8,17}`)
	for s, want := range cases {
		inst := s.only(t, "AWS::EC2::Instance")
		if inst["InstanceType"] != want.instanceType {
			t.Errorf("InstanceType = %v, want %s", inst["InstanceType"], want.instanceType)
		}
		ref, _ := dig(inst, "ImageId", "Ref").(string)
		param, _ := dig(s.Template, "Parameters", ref).(map[string]any)
		if param["Type"] != "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>" || param["Default"] != want.param {
			t.Errorf("ImageId parameter %q = %s, want SSM parameter %s", ref, jsonText(param), want.param)
		}
		if ids := amiID.FindAllString(jsonText(s.Template), -1); len(ids) != 0 {
			t.Errorf("template hard-codes AMI ids %v: it would break in other regions", ids)
		}
	}
}

func TestMyFirstEc2InstanceWaitsForInternetRoute(t *testing.T) {
	s := myFirstEc2Default(t)
	for id, inst := range s.resources("AWS::EC2::Instance") {
		deps := jsonText(inst["DependsOn"])
		if !strings.Contains(deps, "DefaultRoute") || !strings.Contains(deps, "RouteTableAssociation") {
			t.Errorf("%s DependsOn %s: it could boot before its subnet reaches the internet", id, deps)
		}
	}
}

func TestMyFirstEc2Outputs(t *testing.T) {
	s := myFirstEc2Default(t)
	if got := jsonText(s.output(t, "InstancePublicDnsName")); !strings.Contains(got, "PublicDnsName") {
		t.Errorf("InstancePublicDnsName = %s", got)
	}
	if got := jsonText(s.output(t, "InstancePublicIp")); !strings.Contains(got, "PublicIp") {
		t.Errorf("InstancePublicIp = %s", got)
	}
	if got := jsonText(s.output(t, "InstanceId")); !strings.Contains(got, `"Ref"`) {
		t.Errorf("InstanceId = %s", got)
	}
	if got := jsonText(s.output(t, "ConnectWithSessionManager")); !strings.Contains(got, "aws ssm start-session --region ") ||
		!strings.Contains(got, " --target ") {
		t.Errorf("ConnectWithSessionManager = %s", got)
	}
	if s.hasOutput("ConnectWithSsh") {
		t.Error("ConnectWithSsh printed without key_name")
	}

	withSSH := jsonText(myFirstEc2WithSSH(t).output(t, "ConnectWithSsh"))
	if !strings.Contains(withSSH, `"ssh -i ~/.ssh/my-key.pem ec2-user@"`) || !strings.Contains(withSSH, "PublicDnsName") {
		t.Errorf("ConnectWithSsh with ssh_cidr = %s, want ssh -i ~/.ssh/my-key.pem ec2-user@<public DNS>", withSSH)
	}
	keyOnly := jsonText(myFirstEc2KeyOnly(t).output(t, "ConnectWithSsh"))
	if !strings.Contains(keyOnly, "AWS-StartSSHSession") || strings.Contains(keyOnly, "PublicDnsName") {
		t.Errorf("ConnectWithSsh without ssh_cidr = %s, want ssh through Session Manager", keyOnly)
	}
	// A key pair name may hold shell characters: the path is one single-quoted word.
	if want := `"ssh -i ~/'.ssh/x;it'\\''s $(id).pem' -o ProxyCommand=`; !strings.Contains(keyOnly, want) {
		t.Errorf("ConnectWithSsh = %s, want the key path quoted: %s", keyOnly, want)
	}
}

// With a key pair whose name holds shell characters, no ssh_cidr, and a zone.
func myFirstEc2KeyOnly(t *testing.T) *synthesized {
	return myFirstEc2(t, "key-only", MyFirstEc2StackProps{KeyName: "x;it's $(id)", AvailabilityZone: "ap-northeast-1d"})
}

// availability_zone moves MyFirstEc2's subnet too (the README's "the hands-on's subnet").
func TestMyFirstEc2SubnetFollowsAvailabilityZone(t *testing.T) {
	if got := myFirstEc2KeyOnly(t).only(t, "AWS::EC2::Subnet")["AvailabilityZone"]; got != "ap-northeast-1d" {
		t.Errorf("subnet zone = %v, want ap-northeast-1d", got)
	}
	if got := jsonText(myFirstEc2Default(t).only(t, "AWS::EC2::Subnet")["AvailabilityZone"]); !strings.Contains(got, "Fn::GetAZs") {
		t.Errorf("default subnet zone = %s, want the region's first zone", got)
	}
}

func TestMyFirstEc2GatesPass(t *testing.T) {
	configs := map[string]*synthesized{
		"default":  myFirstEc2Default(t),
		"ssh":      myFirstEc2WithSSH(t),
		"key-only": myFirstEc2KeyOnly(t),
		// Account and region set as the CLI does with credentials: still no lookups.
		"pinned": myFirstEc2(t, "pinned", MyFirstEc2StackProps{StackProps: awscdk.StackProps{Env: &awscdk.Environment{
			Account: jsii.String("123456789012"), Region: jsii.String("ap-northeast-1"),
		}}}),
	}
	checkGates(t, configs)
}
