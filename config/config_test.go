package config

import (
	"errors"
	"strings"
	"testing"
)

func lookupFrom(m map[string]any) Lookup {
	return func(k string) (any, bool) { v, ok := m[k]; return v, ok }
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaultsWhenNothingGiven(t *testing.T) {
	s, err := Load(lookupFrom(nil), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if s != (Settings{}) {
		t.Fatalf("want zero settings, got %+v", s)
	}
}

func TestLoadReadsEnvironmentAndContext(t *testing.T) {
	s, err := Load(lookupFrom(map[string]any{
		KeyKeyName: " my-key ", KeySSHCidr: "203.0.113.7/32", KeyInstanceType: "t3.small",
	}), env(map[string]string{"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "ap-northeast-1"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{Account: "123456789012", Region: "ap-northeast-1", KeyName: "my-key", SSHCidr: "203.0.113.7/32", InstanceType: "t3.small"}
	if s != want {
		t.Fatalf("got %+v, want %+v", s, want)
	}
}

func TestLoadRejectsBadValuesWithOneLineNamingTheFlag(t *testing.T) {
	cases := []struct {
		key      string
		value    any
		contains string
	}{
		{KeySSHCidr, "bogus", "not an IPv4 CIDR"},
		{KeySSHCidr, "", "empty"},
		{KeySSHCidr, "203.0.113.7", "did you mean 203.0.113.7/32"},
		{KeySSHCidr, "0.0.0.0/0", "far too many"},
		{KeySSHCidr, "203.0.113.7/24", "did you mean 203.0.113.0/24"},
		{KeySSHCidr, "2001:db8::/64", "IPv6"},
		{KeyKeyName, "", "empty"},
		{KeyKeyName, "   ", "empty"},
		{KeyKeyName, "my-key.pem", "not the .pem file"},
		{KeyKeyName, "~/.ssh/my-key", "not the .pem file"},
		{KeyKeyName, "鍵", "printable ASCII"},
		{KeyKeyName, strings.Repeat("k", 256), "255"},
		{KeyInstanceType, "t3micro", "family.size"},
		{KeyInstanceType, "T3.Micro", "did you mean t3.micro"},
		{KeyInstanceType, "", "empty"},
		{KeyInstanceType, "t3.micro; rm", "family.size"},
		{KeyInstanceType, 42.0, "family.size"},
		{KeySpot, "maybe", "not true or false"},
		{KeyIdleStop, "-5", "from 0 to 1440"},
		{KeyIdleStop, "1h", "from 0 to 1440"},
		{KeyMaxVcpus, "0", "from 4 to 10000"},
		{KeyMaxVcpus, "2", "one SimpleBatch job takes 4"},
		{KeyDlamiParam, "ami-0123456789abcdef0", "not an SSM parameter path"},
		{KeyDlamiParam, "/aws//service", "not an SSM parameter path"},
		{KeyZone, "ap-northeast-1", "not an Availability Zone name"},
		{KeyZone, "apne1-az4", "not an Availability Zone name"},
	}
	for _, c := range cases {
		_, err := Load(lookupFrom(map[string]any{c.key: c.value}), env(nil))
		var cerr *Error
		if !errors.As(err, &cerr) {
			t.Errorf("%s=%v: want *config.Error, got %v", c.key, c.value, err)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Errorf("%s=%v: message spans lines: %q", c.key, c.value, msg)
		}
		for _, part := range []string{"-c " + c.key + "=", c.contains, "example: -c " + c.key + "="} {
			if !strings.Contains(msg, part) {
				t.Errorf("%s=%v: message %q lacks %q", c.key, c.value, msg, part)
			}
		}
	}
}

func TestValidInputsAreAcceptedAndNormalised(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7/32": "203.0.113.7/32", " 10.0.0.0/8 ": "10.0.0.0/8",
	} {
		if got, err := ValidateSSHCidr(in); err != nil || got != want {
			t.Errorf("ValidateSSHCidr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, it := range []string{"t3.micro", "t4g.nano", "g4dn.xlarge", "m7i-flex.large", "u-6tb1.metal", "p5.48xlarge", "c7gn.16xlarge"} {
		if got, err := ValidateInstanceType(it); err != nil || got != it {
			t.Errorf("ValidateInstanceType(%q) = %q, %v", it, got, err)
		}
	}
	for _, k := range []string{"my-key", "my key", "key_2024.04"} {
		if got, err := ValidateKeyName(k); err != nil || got != k {
			t.Errorf("ValidateKeyName(%q) = %q, %v", k, got, err)
		}
	}
}

func TestSpotIdleStopAndMaxVcpus(t *testing.T) {
	s, err := Load(lookupFrom(map[string]any{KeySpot: "true", KeyIdleStop: "0", KeyMaxVcpus: 32.0}), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Spot || s.IdleStopMinutes == nil || *s.IdleStopMinutes != 0 || s.MaxVcpus == nil || *s.MaxVcpus != 32 {
		t.Fatalf("got spot=%v idle=%v max=%v", s.Spot, s.IdleStopMinutes, s.MaxVcpus)
	}
	s, err = Load(lookupFrom(map[string]any{KeySpot: false}), env(nil))
	if err != nil || s.Spot || s.IdleStopMinutes != nil || s.MaxVcpus != nil {
		t.Fatalf("defaults: %+v %v", s, err)
	}
}

func TestDlamiParameterAndZone(t *testing.T) {
	s, err := Load(lookupFrom(map[string]any{
		KeyDlamiParam: "/aws/service/deeplearning/ami/x86_64/oss-nvidia-driver-gpu-pytorch-2.12-ubuntu-24.04/latest/ami-id",
		KeyZone:       "us-east-1d",
	}), env(nil))
	if err != nil || s.AvailabilityZone != "us-east-1d" || !strings.HasSuffix(s.DlamiParameter, "/latest/ami-id") {
		t.Fatalf("%+v %v", s, err)
	}
}

func TestContextValuesFromCdkJSONMayBeNonStrings(t *testing.T) {
	if got := stringValue(true); got != "true" {
		t.Fatal(got)
	}
	if got := stringValue(float64(30)); got != "30" {
		t.Fatal(got)
	}
}
