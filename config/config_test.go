package config

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
	"github.com/intro-aws-go/intro-aws-go/internal/instancetype"
)

// load runs Load over a context map, as the app does over the CDK context.
func load(ctx map[string]any, env map[string]string) (Settings, error) {
	keys := make([]string, 0, len(ctx))
	for k := range ctx {
		keys = append(keys, k)
	}
	return Load(keys, func(k string) (any, bool) { v, ok := ctx[k]; return v, ok }, func(k string) string { return env[k] })
}

// cdkJSONContext is a sample of what cdk.json and the CLI put into the context.
var cdkJSONContext = map[string]any{
	"cli-telemetry": false,
	"@aws-cdk/aws-lambda:recognizeLayerVersion":                                       true,
	"@aws-cdk/core:target-partitions":                                                 []any{"aws", "aws-cn"},
	"aws:cdk:bundling-stacks":                                                         []any{"**"},
	"aws:cdk:enable-path-metadata":                                                    true,
	"availability-zones:account=123456789012:region=ap-northeast-1":                   []any{"ap-northeast-1a"},
	"acknowledged-issue-numbers":                                                      []any{32775.0},
	"ssm:account=123456789012:parameterName=/x:region=ap-northeast-1":                 "ami-0123",
	"@aws-cdk-containers/ecs-service-extensions:enableDefaultLogDriver":               true,
	"@aws-cdk/aws-ec2:uniqueImdsv2TemplateName":                                       true,
	"@aws-cdk/aws-iam:minimizePolicies":                                               true,
	"@aws-cdk/core:enableStackNameDuplicates":                                         true,
	"@aws-cdk/aws-stepfunctions-tasks:useNewS3UriParametersForBedrockInvokeModelTask": true,
}

func with(extra map[string]any) map[string]any {
	m := map[string]any{}
	for k, v := range cdkJSONContext {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestNothingGivenMeansDefaultsAndCDKKeysAreNotOurs(t *testing.T) {
	s, err := load(with(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, stack := range handsons.Stacks {
		if o := s.For(stack); !reflect.DeepEqual(o, Options{}) {
			t.Errorf("%s: %+v, want defaults", stack, o)
		}
	}
	if len(s.Notes) != 0 || s.Account != "" || s.Region != "" {
		t.Errorf("%+v", s)
	}
}

func TestEnvironmentAndOptions(t *testing.T) {
	s, err := load(with(map[string]any{
		KeyKeyName: " my-key ", KeySSHCidr: "203.0.113.7/32", KeyInstanceType: "t3.small",
		KeySpot: "true", KeyIdleStop: "0", KeyMaxVcpus: 32.0,
	}), map[string]string{"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "ap-northeast-1"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Account != "123456789012" || s.Region != "ap-northeast-1" {
		t.Errorf("environment %q %q", s.Account, s.Region)
	}
	zero, thirtyTwo := 0, 32
	want := map[string]Options{
		handsons.MyFirstEc2: {KeyName: "my-key", SSHCidr: "203.0.113.7/32", InstanceType: "t3.small",
			Given: []string{"instance_type=t3.small", "key_name=my-key", "ssh_cidr=203.0.113.7/32"}},
		handsons.Ec2ForDl: {KeyName: "my-key", SSHCidr: "203.0.113.7/32", Spot: true, IdleStopMinutes: &zero,
			Given: []string{"idle_stop_minutes=0", "key_name=my-key", "spot=true", "ssh_cidr=203.0.113.7/32"}},
		handsons.EcsClusterQaBot: {Spot: true, Given: []string{"spot=true"}},
		handsons.SimpleBatch:     {Spot: true, MaxVcpus: &thirtyTwo, Given: []string{"max_vcpus=32", "spot=true"}},
	}
	for _, stack := range handsons.Stacks {
		if got := s.For(stack); !reflect.DeepEqual(got, want[stack]) {
			t.Errorf("%s:\n got %+v\nwant %+v", stack, got, want[stack])
		}
	}
	if len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "not for Ec2ForDl and SimpleBatch") || !strings.Contains(s.Notes[0], "-c Ec2ForDl:instance_type=t3.small") {
		t.Errorf("notes %q", s.Notes)
	}
}

// The defect: an instance type for MyFirstEc2 must not reach the GPU hands-ons.
func TestPlainInstanceTypeGoesOnlyWhereItFits(t *testing.T) {
	cases := map[string][]string{
		"t4g.micro":  {handsons.MyFirstEc2},
		"m5.xlarge":  {handsons.MyFirstEc2},
		"g5.xlarge":  {handsons.Ec2ForDl, handsons.SimpleBatch},
		"g5g.xlarge": {handsons.Ec2ForDl}, // arm64: SimpleBatch's training image is x86_64
		"p3.2xlarge": {handsons.Ec2ForDl, handsons.SimpleBatch},
	}
	for typ, want := range cases {
		s, err := load(with(map[string]any{KeyInstanceType: typ}), nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, stack := range handsons.Stacks {
			if s.For(stack).InstanceType != "" {
				got = append(got, stack)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("instance_type=%s reaches %v, want %v", typ, got, want)
		}
	}
}

func TestPerStackFormWinsAndStaysInItsStack(t *testing.T) {
	s, err := load(with(map[string]any{
		"instance_type":             "t4g.micro",
		"Ec2ForDl:instance_type":    "g5.xlarge",
		"SimpleBatch:instance_type": "m5.xlarge", // CPU-only Batch: only in the per-stack form
		"SimpleBatch:spot":          "yes",
		"MyFirstEc2:key_name":       "k",
		"MyFirstEc2:instance_type":  "t3.small",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.For(handsons.MyFirstEc2); got.InstanceType != "t3.small" || got.KeyName != "k" {
		t.Errorf("MyFirstEc2 %+v", got)
	}
	if got := s.For(handsons.Ec2ForDl); got.InstanceType != "g5.xlarge" || got.KeyName != "" || got.Spot {
		t.Errorf("Ec2ForDl %+v", got)
	}
	if got := s.For(handsons.SimpleBatch); got.InstanceType != "m5.xlarge" || !got.Spot {
		t.Errorf("SimpleBatch %+v", got)
	}
	if got := s.For(handsons.EcsClusterQaBot); got.Spot {
		t.Errorf("EcsClusterQaBot %+v", got)
	}
	if len(s.Notes) != 0 {
		t.Errorf("no stack lost the plain value to a misfit, yet notes %q", s.Notes)
	}
}

// Issue 16: misspelt keys are refused with a suggestion; issue 11: a key is refused on a
// stack that does not take it.
func TestUnknownAndMisplacedKeysAreRefusedWithASuggestion(t *testing.T) {
	cases := []struct{ key, value, want string }{
		{"keyname", "x", "-c keyname=x: not an option of this app; did you mean key_name? (example: -c key_name=x)"},
		{"Spot", "true", "did you mean spot?"},
		{"instance-type", "t3.small", "did you mean instance_type? (example: -c instance_type=t3.small)"},
		{"ssh-cidr", "203.0.113.10/32", "did you mean ssh_cidr?"},
		{"max-vcpus", "16", "did you mean max_vcpus?"},
		{"idle-stop-minutes", "30", "did you mean idle_stop_minutes?"},
		{"instance_typ", "t3.small", "did you mean instance_type?"},
		{"INSTANCE_TYPE", "t3.small", "did you mean instance_type?"},
		{"colour", "blue", "not an option of this app (the options are key_name, ssh_cidr, instance_type"},
		{"ec2fordl:instance_type", "g5.xlarge", `"ec2fordl" is not a stack of this app; did you mean Ec2ForDl? (example: -c Ec2ForDl:instance_type=g5.xlarge)`},
		{"Ec2ForDl:instance-type", "g5.xlarge", "did you mean instance_type? (example: -c Ec2ForDl:instance_type=g5.xlarge)"},
		{"Nope:spot", "true", "not a stack of this app (the stacks are MyFirstEc2, Ec2ForDl"},
		{"SimpleBatch:availability_zone", "ap-northeast-1c", "SimpleBatch does not take availability_zone (it is for MyFirstEc2, Ec2ForDl); SimpleBatch spreads"},
		{"MyFirstEc2:spot", "true", "MyFirstEc2 does not take spot"},
		{"SimpleLambda:instance_type", "t3.small", "SimpleLambda does not take instance_type"},
	}
	for _, c := range cases {
		_, err := load(with(map[string]any{c.key: c.value}), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("-c %s=%s: got %v, want one line with %q", c.key, c.value, err, c.want)
		}
	}
}

func TestBadValuesFailWithOneLineNamingTheFlag(t *testing.T) {
	cases := []struct {
		key      string
		value    any
		contains string
	}{
		{KeySSHCidr, "bogus", "not an IPv4 CIDR"},
		{KeySSHCidr, "", "empty"},
		{KeySSHCidr, "203.0.113.7", "did you mean 203.0.113.7/32"},
		{KeySSHCidr, "0.0.0.0/0", "opens SSH to 4294967296 addresses"},
		{KeySSHCidr, "1.0.0.0/8", "opens SSH to 16777216 addresses"},
		{KeySSHCidr, "198.51.100.0/23", "at most a /24"},
		{KeyIdleStop, "1", "not a multiple of 5: the alarm sees the instance's CPU in 5-minute periods"},
		{KeyIdleStop, "7", "(example: -c idle_stop_minutes=10)"},
		{KeySSHCidr, "203.0.113.7/24", "did you mean 203.0.113.0/24"},
		{KeySSHCidr, "2001:db8::/64", "IPv6"},
		{KeySSHCidr, "192.168.1.10/32", "a private range"},
		{KeySSHCidr, "10.0.0.0/8", "a private range"},
		{KeySSHCidr, "127.0.0.1/32", "a loopback range"},
		{KeySSHCidr, "169.254.169.254/32", "link-local"},
		{KeySSHCidr, "100.64.1.2/32", "carrier-grade NAT"},
		{KeySSHCidr, "240.0.0.1/32", "reserved"},
		{KeySSHCidr, "224.0.0.1/32", "multicast"},
		{KeyKeyName, "", "empty"},
		{KeyKeyName, "   ", "empty"},
		{KeyKeyName, "my-key.pem", "not the .pem file"},
		{KeyKeyName, "~/.ssh/my-key", "not the .pem file"},
		{KeyKeyName, "鍵", "printable ASCII"},
		{KeyKeyName, strings.Repeat("k", 256), "255"},
		{KeyKeyName, []any{"a"}, "a list"},
		{KeyKeyName, map[string]any{"a": 1.0}, "an object"},
		{KeyKeyName, nil, "null"},
		{KeyInstanceType, "t3micro", "family+generation.size"},
		{KeyInstanceType, "T3.Micro", "did you mean t3.micro"},
		{KeyInstanceType, "", "empty"},
		{KeyInstanceType, "t3.micro; rm", "family+generation.size"},
		{KeyInstanceType, 42.0, "family+generation.size"},
		// CDK's InstanceType cannot read these; synth used to end in a Go panic (issue 13).
		{KeyInstanceType, "t.micro", "the CDK can read"},
		{KeyInstanceType, "a.b", "the CDK can read"},
		{KeyInstanceType, "micro.t3", "the CDK can read"},
		{KeyInstanceType, "mac2-m2pro.metal", "the CDK can read"},
		{KeyInstanceType, "u-6tb1.metal", "the CDK can read"},
		{KeyInstanceType, strings.Repeat("t3.micro", 6250), "longer than any EC2 instance type (50000 characters)"},
		{KeySpot, "maybe", "not true or false"},
		{KeyIdleStop, "-5", "from 0 to 1440"},
		{KeyIdleStop, "1h", "from 0 to 1440"},
		{KeyIdleStop, 1.5, "from 0 to 1440"},
		{KeyMaxVcpus, "0", "from 4 to 10000"},
		{KeyMaxVcpus, "2", "one SimpleBatch job takes 4"},
		{KeyDlamiParam, "ami-0123456789abcdef0", "not an SSM parameter path"},
		{KeyDlamiParam, "/aws//service", "not an SSM parameter path"},
		{KeyZone, "ap-northeast-1", "not an Availability Zone name"},
		{KeyZone, "apne1-az4", "not an Availability Zone name"},
	}
	for _, c := range cases {
		_, err := load(with(map[string]any{c.key: c.value}), nil)
		var cerr *Error
		if !errors.As(err, &cerr) {
			t.Errorf("%s=%v: want *config.Error, got %v", c.key, c.value, err)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || len(msg) > 400 {
			t.Errorf("%s=%v: message is not one short line: %q", c.key, c.value, msg)
		}
		for _, part := range []string{"-c " + c.key + "=", c.contains} {
			if !strings.Contains(msg, part) {
				t.Errorf("%s=%v: message %q lacks %q", c.key, c.value, msg, part)
			}
		}
	}
}

// The per-stack form names itself in the error, with a per-stack example.
func TestBadPerStackValueNamesThePerStackKey(t *testing.T) {
	_, err := load(with(map[string]any{"Ec2ForDl:instance_type": "t.micro"}), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "-c Ec2ForDl:instance_type=t.micro: ") || !strings.Contains(err.Error(), "example: -c Ec2ForDl:instance_type=t3.small") {
		t.Errorf("got %v", err)
	}
}

func TestZoneMustBeInTheDeployRegionAndAccountMustBe12Digits(t *testing.T) {
	_, err := load(with(map[string]any{KeyZone: "us-east-1a"}), map[string]string{"CDK_DEFAULT_REGION": "ap-northeast-1"})
	if err == nil || !strings.Contains(err.Error(), "a zone of us-east-1, but you deploy to ap-northeast-1") {
		t.Errorf("zone of another region: %v", err)
	}
	s, err := load(with(map[string]any{KeyZone: "ap-northeast-1c"}), map[string]string{"CDK_DEFAULT_REGION": "ap-northeast-1"})
	if err != nil || s.For(handsons.MyFirstEc2).AvailabilityZone != "ap-northeast-1c" || s.For(handsons.Ec2ForDl).AvailabilityZone != "ap-northeast-1c" {
		t.Errorf("zone of the region: %+v %v", s, err)
	}
	for _, bad := range []string{"abc", "12345678901", "1234567890123", "12345678901a"} {
		_, err := load(with(nil), map[string]string{"CDK_DEFAULT_ACCOUNT": bad})
		if err == nil || !strings.HasPrefix(err.Error(), "CDK_DEFAULT_ACCOUNT="+bad+": not a 12-digit AWS account id") {
			t.Errorf("account %q: %v", bad, err)
		}
	}
	_, err = load(with(nil), map[string]string{"CDK_DEFAULT_REGION": "tokyo"})
	if err == nil || !strings.Contains(err.Error(), "not an AWS region name") {
		t.Errorf("region: %v", err)
	}
}

func TestValidInputsAreAcceptedAndNormalised(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7/32": "203.0.113.7/32", " 198.51.100.0/24 ": "198.51.100.0/24", "8.8.8.8/32": "8.8.8.8/32",
	} {
		if got, err := validateSSHCidr(in); err != nil || got != want {
			t.Errorf("validateSSHCidr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, it := range []string{"t3.micro", "t4g.nano", "g4dn.xlarge", "m7i-flex.large", "p5.48xlarge", "c7gn.16xlarge", "g5g.xlarge", "inf2.xlarge"} {
		if got, err := validateInstanceType(it); err != nil || got != it {
			t.Errorf("validateInstanceType(%q) = %q, %v", it, got, err)
		}
	}
	for _, k := range []string{"my-key", "my key", "key_2024.04", "x;id", "it's", "$(id)"} {
		if got, err := validateKeyName(k); err != nil || got != k {
			t.Errorf("validateKeyName(%q) = %q, %v", k, got, err)
		}
	}
}

func TestDisplayKeepsOneShortLine(t *testing.T) {
	if got := display("a\nb"); got != `"a\nb"` {
		t.Errorf("%q", got)
	}
	if got := display(strings.Repeat("x", 100)); !strings.HasSuffix(got, "…(100 characters)") || len(got) > 100 {
		t.Errorf("%q", got)
	}
}

// FuzzLoad feeds Load arbitrary keys, values and value types (what -c and cdk.json can
// hold) and holds the app's promise: never a panic; either one short error line that
// starts with the flag or the variable, or options every stack can build from. The
// instance types that pass must be ones CDK's InstanceType parses (its grammar is
// instanceTypePattern) and whose architecture IsArm64 reads the way CDK does.
func FuzzLoad(f *testing.F) {
	seeds := []struct {
		key, value string
		kind       byte
	}{
		{"instance_type", "t.micro", 0}, {"instance_type", "a.b", 0}, {"instance_type", "micro.t3", 0},
		{"instance_type", "mac2-m2pro.metal", 0}, {"key_name", "a", 2}, {"keyname", "x", 0},
		{"Spot", "true", 0}, {"instance-type", "t3.small", 0}, {"ssh_cidr", "1.0.0.0/8", 0},
		{"ssh_cidr", "192.168.1.10/32", 0}, {"availability_zone", "us-east-1a", 0}, {"max_vcpus", "16", 1},
		{"Ec2ForDl:instance_type", "g5.xlarge", 0}, {"SimpleBatch:spot", "1", 3}, {"idle_stop_minutes", "30", 1},
		{"@aws-cdk/core:x", "1", 4}, {"dlami_parameter", "/aws/service/x", 0}, {"ec2fordl:spot", "true", 0},
	}
	for _, s := range seeds {
		f.Add(s.key, s.value, s.kind, "ap-northeast-1", "123456789012")
	}
	f.Fuzz(func(t *testing.T, key, value string, kind byte, region, account string) {
		var raw any
		switch kind % 6 {
		case 0:
			raw = value
		case 1:
			raw = float64(len(value)) - 3.5*float64(kind)
		case 2:
			raw = []any{value}
		case 3:
			raw = kind%2 == 0
		case 4:
			raw = map[string]any{value: value}
		case 5:
			raw = nil
		}
		env := map[string]string{"CDK_DEFAULT_REGION": region, "CDK_DEFAULT_ACCOUNT": account}
		s, err := load(with(map[string]any{key: raw}), env)
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") || len(msg) > 600 {
				t.Fatalf("not one short line: %q", msg)
			}
			if !strings.HasPrefix(msg, "-c ") && !strings.HasPrefix(msg, "CDK_DEFAULT_") {
				t.Fatalf("does not start with the flag: %q", msg)
			}
			return
		}
		if s.Account != "" && !accountID.MatchString(s.Account) {
			t.Fatalf("account %q", s.Account)
		}
		var stacks []string
		for _, stack := range handsons.Stacks {
			o := s.For(stack)
			if len(o.Given) > 0 {
				stacks = append(stacks, stack)
			}
			if o.InstanceType != "" && !instancetype.Valid(o.InstanceType) {
				t.Fatalf("%s: instance type %q would make CDK throw", stack, o.InstanceType)
			}
			if o.KeyName != "" && !keyNameChars.MatchString(o.KeyName) {
				t.Fatalf("%s: key name %q", stack, o.KeyName)
			}
			if o.SSHCidr != "" {
				if _, err := validateSSHCidr(o.SSHCidr); err != nil {
					t.Fatalf("%s: ssh cidr %q passed but does not validate again: %v", stack, o.SSHCidr, err)
				}
			}
			if o.AvailabilityZone != "" && s.Region != "" && !strings.HasPrefix(o.AvailabilityZone, s.Region) {
				t.Fatalf("%s: zone %q outside %s", stack, o.AvailabilityZone, s.Region)
			}
			if o.MaxVcpus != nil && (*o.MaxVcpus < 4 || *o.MaxVcpus > 10000) {
				t.Fatalf("max vcpus %d", *o.MaxVcpus)
			}
			if o.IdleStopMinutes != nil && (*o.IdleStopMinutes < 0 || *o.IdleStopMinutes > 1440) {
				t.Fatalf("idle stop %d", *o.IdleStopMinutes)
			}
			for _, g := range o.Given {
				k, _, _ := strings.Cut(g, "=")
				kk, ok := findKey(k)
				if !ok || !takes(kk, stack) {
					t.Fatalf("%s got %s, which it does not take", stack, g)
				}
			}
		}
		// A key that is neither CDK's nor ours never passes silently.
		if !cdkOwn(key) && len(stacks) == 0 {
			name := key
			if _, k, ok := strings.Cut(key, ":"); ok {
				name = k
			}
			if _, known := findKey(name); !known {
				t.Fatalf("unknown key %q passed", key)
			}
		}
		sort.Strings(stacks)
	})
}
