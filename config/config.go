// Package config turns the app's inputs (CDK context flags and the CDK_DEFAULT_*
// environment) into typed, validated settings. It knows nothing about CDK, so it is
// tested without starting jsii; main.go is the only caller.
package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// The context keys a learner can pass with `npx cdk deploy -c key=value`.
const (
	KeyKeyName      = "key_name"
	KeySSHCidr      = "ssh_cidr"
	KeyInstanceType = "instance_type"
	KeySpot         = "spot"
	KeyIdleStop     = "idle_stop_minutes"
	KeyMaxVcpus     = "max_vcpus"
	KeyDlamiParam   = "dlami_parameter"
	KeyZone         = "availability_zone"
)

// Settings are the validated inputs shared by every stack. Empty strings mean
// "not given": each stack then uses its own default.
type Settings struct {
	// Account and Region come from CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION, which the
	// CDK CLI fills from the current credentials. Both may be empty (environment-agnostic).
	Account string
	Region  string

	KeyName      string // EC2 key pair for SSH; empty: Session Manager only
	SSHCidr      string // IPv4 CIDR allowed to reach port 22; empty: no inbound rule
	InstanceType string // overrides the instance type of the stack being deployed

	// Spot asks the GPU hands-ons (Ec2ForDl, SimpleBatch) for spot capacity, and
	// EcsClusterQaBot for Fargate Spot (which runs x86_64 tasks only).
	Spot bool
	// IdleStopMinutes is how long Ec2ForDl may sit idle before it stops itself; nil means
	// the stack's default, 0 disables the auto-stop.
	IdleStopMinutes *int
	// MaxVcpus caps SimpleBatch's compute environment; nil means the stack's default.
	MaxVcpus *int
	// DlamiParameter overrides the public SSM parameter Ec2ForDl takes its image from.
	DlamiParameter string
	// AvailabilityZone pins the hands-on VPC's subnet to one zone, for instance types
	// that the region's first zone does not offer.
	AvailabilityZone string
}

// Error is a bad context value. Its message is one line that names the flag, says what
// is wrong and shows a value that would work.
type Error struct {
	Key     string
	Value   string
	Problem string
	Example string
}

func (e *Error) Error() string {
	return fmt.Sprintf("-c %s=%s: %s (example: -c %s=%s)", e.Key, e.Value, e.Problem, e.Key, e.Example)
}

// Lookup returns the raw context value for a key and whether it was given at all.
type Lookup func(key string) (value any, ok bool)

// Load reads and validates every known context key. getenv is os.Getenv in the app.
// The first bad value is returned as an *Error.
func Load(lookup Lookup, getenv func(string) string) (Settings, error) {
	s := Settings{
		Account: strings.TrimSpace(getenv("CDK_DEFAULT_ACCOUNT")),
		Region:  strings.TrimSpace(getenv("CDK_DEFAULT_REGION")),
	}
	var err error
	if s.KeyName, err = optional(lookup, KeyKeyName, ValidateKeyName); err != nil {
		return Settings{}, err
	}
	if s.SSHCidr, err = optional(lookup, KeySSHCidr, ValidateSSHCidr); err != nil {
		return Settings{}, err
	}
	if s.InstanceType, err = optional(lookup, KeyInstanceType, ValidateInstanceType); err != nil {
		return Settings{}, err
	}
	if raw, ok := lookup(KeySpot); ok && raw != nil {
		if s.Spot, err = ValidateBool(KeySpot, stringValue(raw)); err != nil {
			return Settings{}, err
		}
	}
	if s.IdleStopMinutes, err = optionalInt(lookup, KeyIdleStop, 0, 24*60, "60", "minutes of idleness before the instance stops itself; 0 turns the auto-stop off"); err != nil {
		return Settings{}, err
	}
	if s.MaxVcpus, err = optionalInt(lookup, KeyMaxVcpus, 4, 10000, "16", "the most vCPUs the compute environment may run at once; one SimpleBatch job takes 4"); err != nil {
		return Settings{}, err
	}
	if s.DlamiParameter, err = optional(lookup, KeyDlamiParam, ValidateSSMParameterName); err != nil {
		return Settings{}, err
	}
	if s.AvailabilityZone, err = optional(lookup, KeyZone, ValidateAvailabilityZone); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// ssmParameterName is an absolute SSM parameter path made of the characters SSM allows.
var ssmParameterName = regexp.MustCompile(`^/[a-zA-Z0-9_.\-/]+$`)

// ValidateSSMParameterName checks a public SSM parameter path such as the ones AWS
// publishes image ids under.
func ValidateSSMParameterName(v string) (string, error) {
	s := strings.TrimSpace(v)
	if !ssmParameterName.MatchString(s) || strings.Contains(s, "//") {
		return "", &Error{Key: KeyDlamiParam, Value: v,
			Problem: "not an SSM parameter path; copy the name from the DLAMI release notes",
			Example: "/aws/service/deeplearning/ami/x86_64/oss-nvidia-driver-gpu-pytorch-2.12-ubuntu-24.04/latest/ami-id"}
	}
	return s, nil
}

// zoneName is an Availability Zone name: region plus one letter (ap-northeast-1c,
// us-east-1a). Local Zones and Wavelength Zones have longer names and are not for this.
var zoneName = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-[0-9][a-z]$`)

// ValidateAvailabilityZone checks the form of a zone name; whether it belongs to the
// deploy region is only known at deploy time.
func ValidateAvailabilityZone(v string) (string, error) {
	s := strings.TrimSpace(v)
	if !zoneName.MatchString(s) {
		return "", &Error{Key: KeyZone, Value: v,
			Problem: "not an Availability Zone name (region plus a letter); `go run ./cmd/preflight` lists the zones that offer your instance type",
			Example: "ap-northeast-1c"}
	}
	return s, nil
}

// optional reads one key: absent → "", present → validated and normalised.
func optional(lookup Lookup, key string, validate func(string) (string, error)) (string, error) {
	raw, ok := lookup(key)
	if !ok || raw == nil {
		return "", nil
	}
	return validate(stringValue(raw))
}

// optionalInt reads a whole number in [min, max]; absent → nil.
func optionalInt(lookup Lookup, key string, min, max int, example, meaning string) (*int, error) {
	raw, ok := lookup(key)
	if !ok || raw == nil {
		return nil, nil
	}
	v := stringValue(raw)
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < min || n > max {
		return nil, &Error{Key: key, Value: v, Problem: fmt.Sprintf("not a whole number from %d to %d (%s)", min, max, meaning), Example: example}
	}
	return &n, nil
}

// ValidateBool accepts true/false (and yes/no, 1/0), as typed after -c.
func ValidateBool(key, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "1", "on":
		return true, nil
	case "false", "no", "0", "off":
		return false, nil
	}
	return false, &Error{Key: key, Value: v, Problem: "not true or false", Example: "true"}
}

// stringValue renders a context value as the learner typed it. Values from `-c` are
// strings; values from cdk.json may be numbers or booleans.
func stringValue(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	default:
		return fmt.Sprint(t)
	}
}

// keyNameChars are the characters EC2 accepts in a key pair name (ASCII, printable).
var keyNameChars = regexp.MustCompile(`^[\x21-\x7e][\x20-\x7e]*$`)

// ValidateKeyName checks the name of an EC2 key pair. Whether the key pair exists in
// the region can only be known at deploy time; the README's troubleshooting covers it.
func ValidateKeyName(v string) (string, error) {
	bad := func(problem string) (string, error) {
		return "", &Error{Key: KeyKeyName, Value: v, Problem: problem, Example: "my-key"}
	}
	name := strings.TrimSpace(v)
	switch {
	case name == "":
		return bad("empty; give the name of an EC2 key pair in the deploy region, or drop the flag to use Session Manager only")
	case len(name) > 255:
		return bad("longer than the 255 characters EC2 allows in a key pair name")
	case strings.HasSuffix(strings.ToLower(name), ".pem") || strings.Contains(name, "/"):
		return bad("this looks like a key file; pass the key pair's name as shown in the EC2 console, not the .pem file")
	case !keyNameChars.MatchString(name):
		return bad("EC2 key pair names use printable ASCII characters only")
	}
	return name, nil
}

// ValidateSSHCidr checks the IPv4 range allowed to reach SSH and returns it in
// canonical form. The whole internet (/0) is refused on purpose.
func ValidateSSHCidr(v string) (string, error) {
	const example = "203.0.113.10/32"
	bad := func(problem string) (string, error) {
		return "", &Error{Key: KeySSHCidr, Value: v, Problem: problem, Example: example}
	}
	s := strings.TrimSpace(v)
	if s == "" {
		return bad("empty; give your public IPv4 address with /32 (curl -s https://checkip.amazonaws.com), or drop the flag to use Session Manager only")
	}
	if addr, err := netip.ParseAddr(s); err == nil && addr.Is4() {
		return bad(fmt.Sprintf("an address without a prefix length; did you mean %s/32?", s))
	}
	prefix, err := netip.ParsePrefix(s)
	if err != nil {
		return bad("not an IPv4 CIDR block")
	}
	if !prefix.Addr().Is4() {
		return bad("an IPv6 range; this VPC is IPv4 only")
	}
	if prefix.Bits() < 8 {
		return bad("opens SSH to far too many addresses; allow only your own address with /32")
	}
	if masked := prefix.Masked(); masked != prefix {
		return bad(fmt.Sprintf("has host bits set; did you mean %s?", masked))
	}
	return prefix.String(), nil
}

// instanceTypePattern is "family.size": family = letters and digits with optional
// attribute suffixes and dashes (t3, g4dn, m7i-flex, u-6tb1), size = letters and digits.
var instanceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*\.[a-z0-9]+$`)

// ValidateInstanceType checks the shape of an EC2 instance type name. Whether the type
// is offered in the region is only known at deploy time.
func ValidateInstanceType(v string) (string, error) {
	s := strings.TrimSpace(v)
	if !instanceTypePattern.MatchString(s) {
		problem := "not an EC2 instance type; the form is family.size"
		if s == "" {
			problem = "empty; give an EC2 instance type or drop the flag to use the stack's default"
		} else if lower := strings.ToLower(s); lower != s && instanceTypePattern.MatchString(lower) {
			problem = fmt.Sprintf("instance types are lower case; did you mean %s?", lower)
		}
		return "", &Error{Key: KeyInstanceType, Value: v, Problem: problem, Example: "t3.small"}
	}
	return s, nil
}
