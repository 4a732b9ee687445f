package stacks

import (
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func ec2ForDl(t *testing.T, key string, props Ec2ForDlStackProps) *synthesized {
	return synth(t, "Ec2ForDl/"+key, func(app awscdk.App) awscdk.Stack {
		return NewEc2ForDlStack(app, "Ec2ForDl", &props)
	})
}

func ec2ForDlDefault(t *testing.T) *synthesized { return ec2ForDl(t, "default", Ec2ForDlStackProps{}) }

func ec2ForDlSpotSSH(t *testing.T) *synthesized {
	idle := 30
	return ec2ForDl(t, "spot-ssh", Ec2ForDlStackProps{
		Spot: true, IdleStopMinutes: &idle, KeyName: "dl-key", SSHCidr: "198.51.100.0/24",
		InstanceType: "g5.xlarge", AvailabilityZone: "ap-northeast-1c",
	})
}

func ec2ForDlNoIdle(t *testing.T) *synthesized {
	off := 0
	return ec2ForDl(t, "no-idle", Ec2ForDlStackProps{IdleStopMinutes: &off,
		ImageParameter: "/aws/service/deeplearning/ami/x86_64/oss-nvidia-driver-gpu-pytorch-2.13-ubuntu-24.04/latest/ami-id"})
}

func TestEc2ForDlImageComesFromTheDlamiParameter(t *testing.T) {
	cases := []struct {
		s     *synthesized
		param string
	}{
		{ec2ForDlDefault(t), "/aws/service/deeplearning/ami/x86_64/oss-nvidia-driver-gpu-pytorch-2.12-ubuntu-24.04/latest/ami-id"},
		{ec2ForDlNoIdle(t), "/aws/service/deeplearning/ami/x86_64/oss-nvidia-driver-gpu-pytorch-2.13-ubuntu-24.04/latest/ami-id"},
		// Graviton: AWS publishes no arm64 PyTorch 2.12 DLAMI (as of 2026-10), so its
		// default is the newest arm64 one, 2.11.
		{ec2ForDl(t, "arm64", Ec2ForDlStackProps{InstanceType: "g5g.xlarge"}), "/aws/service/deeplearning/ami/arm64/oss-nvidia-driver-gpu-pytorch-2.11-ubuntu-24.04/latest/ami-id"},
	}
	amiID := regexp.MustCompile(`ami-[0-9a-f]{8,17}`)
	for _, c := range cases {
		inst := c.s.only(t, "AWS::EC2::Instance")
		ref, _ := dig(inst, "ImageId", "Ref").(string)
		param, _ := dig(c.s.Template, "Parameters", ref).(map[string]any)
		if param["Type"] != "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>" || param["Default"] != c.param {
			t.Errorf("image parameter = %s, want SSM parameter %s", jsonText(param), c.param)
		}
		if ids := amiID.FindAllString(jsonText(c.s.Template), -1); len(ids) != 0 {
			t.Errorf("template hard-codes AMI ids %v", ids)
		}
		if got := c.s.output(t, "ImageParameter"); got != c.param {
			t.Errorf("ImageParameter output = %v", got)
		}
	}
}

func TestEc2ForDlInstanceTypeAndRootVolume(t *testing.T) {
	for s, want := range map[*synthesized]string{ec2ForDlDefault(t): "g4dn.xlarge", ec2ForDlSpotSSH(t): "g5.xlarge"} {
		inst := s.only(t, "AWS::EC2::Instance")
		if inst["InstanceType"] != want {
			t.Errorf("InstanceType = %v, want %s", inst["InstanceType"], want)
		}
		if got := dig(inst, "MetadataOptions", "HttpTokens"); got != "required" {
			t.Errorf("HttpTokens = %v, want required", got)
		}
		root := dig(inst, "BlockDeviceMappings", 0)
		if dig(root, "DeviceName") != "/dev/sda1" || dig(root, "Ebs", "Encrypted") != true || dig(root, "Ebs", "VolumeType") != "gp3" {
			t.Errorf("root volume = %s, want encrypted gp3 /dev/sda1", jsonText(root))
		}
		// No size: EC2 uses the image's snapshot size, which is always enough.
		if size := dig(root, "Ebs", "VolumeSize"); size != nil {
			t.Errorf("root volume size pinned to %v GiB; it must follow the image", size)
		}
	}
}

func TestEc2ForDlHasNoInboundRuleByDefault(t *testing.T) {
	s := ec2ForDlDefault(t)
	if rules := ingressRules(s); len(rules) != 0 {
		t.Errorf("inbound rules without ssh_cidr: %s", jsonText(rules))
	}
	withSSH := ingressRules(ec2ForDlSpotSSH(t))
	if len(withSSH) != 1 || withSSH[0]["CidrIp"] != "198.51.100.0/24" || withSSH[0]["FromPort"] != 22.0 {
		t.Errorf("inbound rules with ssh_cidr: %s", jsonText(withSSH))
	}
}

func TestEc2ForDlIdleAlarmStopsTheInstance(t *testing.T) {
	s := ec2ForDlDefault(t)
	alarm := s.only(t, "AWS::CloudWatch::Alarm")
	if alarm["MetricName"] != "CPUUtilization" || alarm["Namespace"] != "AWS/EC2" ||
		alarm["ComparisonOperator"] != "LessThanThreshold" || alarm["Statistic"] != "Average" {
		t.Errorf("alarm = %s, want average CPUUtilization below a threshold", jsonText(alarm))
	}
	if alarm["Period"] != 300.0 || alarm["EvaluationPeriods"] != 12.0 {
		t.Errorf("alarm watches %v periods of %v s, want 12 × 300 s (60 idle minutes)", alarm["EvaluationPeriods"], alarm["Period"])
	}
	if alarm["TreatMissingData"] != "notBreaching" {
		t.Errorf("TreatMissingData = %v", alarm["TreatMissingData"])
	}
	if got := jsonText(dig(alarm, "Dimensions", 0)); !strings.Contains(got, `"Name":"InstanceId"`) || !strings.Contains(got, "Ec2ForDlInstance") {
		t.Errorf("alarm dimension = %s, want this instance", got)
	}
	if got := jsonText(alarm["AlarmActions"]); !strings.Contains(got, ":ec2:stop") {
		t.Errorf("alarm actions = %s, want the EC2 stop action", got)
	}
	if got := jsonText(s.output(t, "StartAgain")); !strings.Contains(got, "aws ec2 start-instances --region ") {
		t.Errorf("StartAgain = %s", got)
	}

	// Spot: 30 minutes, and terminate (a one-time spot instance cannot be stopped).
	spot := ec2ForDlSpotSSH(t).only(t, "AWS::CloudWatch::Alarm")
	if spot["EvaluationPeriods"] != 6.0 || !strings.Contains(jsonText(spot["AlarmActions"]), ":ec2:terminate") {
		t.Errorf("spot alarm = %s, want 6 periods and the terminate action", jsonText(spot))
	}
	if ec2ForDlSpotSSH(t).hasOutput("StartAgain") {
		t.Error("StartAgain printed for a spot instance that cannot be stopped")
	}

	if n := ec2ForDlNoIdle(t).count("AWS::CloudWatch::Alarm"); n != 0 {
		t.Errorf("idle_stop_minutes=0 still creates %d alarms", n)
	}
}

func TestEc2ForDlSpotOnlyWithSpot(t *testing.T) {
	if n := ec2ForDlDefault(t).count("AWS::EC2::LaunchTemplate"); n != 0 {
		t.Errorf("on-demand stack has %d launch templates", n)
	}
	if _, ok := ec2ForDlDefault(t).only(t, "AWS::EC2::Instance")["LaunchTemplate"]; ok {
		t.Error("on-demand instance uses a launch template")
	}
	s := ec2ForDlSpotSSH(t)
	lt := s.only(t, "AWS::EC2::LaunchTemplate")
	market := dig(lt, "LaunchTemplateData", "InstanceMarketOptions")
	if dig(market, "MarketType") != "spot" || dig(market, "SpotOptions", "SpotInstanceType") != "one-time" ||
		dig(market, "SpotOptions", "InstanceInterruptionBehavior") != "terminate" {
		t.Errorf("market options = %s, want a one-time spot request", jsonText(market))
	}
	if got := jsonText(s.only(t, "AWS::EC2::Instance")["LaunchTemplate"]); !strings.Contains(got, "SpotLaunchTemplate") {
		t.Errorf("instance LaunchTemplate = %s, want the spot template", got)
	}
}

func TestEc2ForDlZoneOverride(t *testing.T) {
	if got := ec2ForDlSpotSSH(t).only(t, "AWS::EC2::Subnet")["AvailabilityZone"]; got != "ap-northeast-1c" {
		t.Errorf("subnet zone = %v, want ap-northeast-1c", got)
	}
}

func TestEc2ForDlJupyterOutputs(t *testing.T) {
	s := ec2ForDlDefault(t)
	pf := jsonText(s.output(t, "JupyterPortForward"))
	for _, want := range []string{"AWS-StartPortForwardingSession", `\"portNumber\":[\"8888\"]`, `\"localPortNumber\":[\"8931\"]`} {
		if !strings.Contains(pf, want) {
			t.Errorf("JupyterPortForward = %s, lacks %s", pf, want)
		}
	}
	if s.hasOutput("JupyterSshTunnel") || s.hasOutput("ConnectWithSsh") {
		t.Error("SSH outputs without key_name")
	}
	tunnel := jsonText(ec2ForDlSpotSSH(t).output(t, "JupyterSshTunnel"))
	if !strings.Contains(tunnel, "ssh -i ~/.ssh/dl-key.pem -L localhost:8931:localhost:8888 ubuntu@") || !strings.Contains(tunnel, "PublicDnsName") {
		t.Errorf("JupyterSshTunnel = %s, want the course's ssh -L line", tunnel)
	}
	for _, name := range []string{"InstancePublicDnsName", "InstancePublicIp", "InstanceId", "ConnectWithSessionManager", "IdleAutoStop"} {
		s.output(t, name)
	}
}

func TestEc2ForDlGatesPass(t *testing.T) {
	configs := map[string]*synthesized{
		"default": ec2ForDlDefault(t), "spot-ssh": ec2ForDlSpotSSH(t), "no-idle": ec2ForDlNoIdle(t),
		"pinned": ec2ForDl(t, "pinned", Ec2ForDlStackProps{StackProps: awscdk.StackProps{Env: &awscdk.Environment{
			Account: jsii.String("123456789012"), Region: jsii.String("us-east-1"),
		}}}),
	}
	checkGates(t, configs)
}
