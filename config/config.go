// Package config turns the app's inputs (CDK context flags and the CDK_DEFAULT_*
// environment) into typed, validated options for each stack. It knows nothing about
// CDK, so it is tested (and fuzzed) without starting jsii; main.go is the only caller.
//
// Every context key is checked, of every type (cdk.json may hold numbers, lists,
// objects): a key of ours with a bad value, an unknown key, or a key given to a stack
// that does not take it stops the synthesis with one line. CDK's own keys (aws:*, the
// @aws-cdk/* feature flags of cdk.json, lookups cached in cdk.context.json,
// cli-telemetry, acknowledged-issue-numbers) are not ours to judge.
//
// # Which stack a key applies to
//
// The CDK CLI synthesizes every stack of the app, whichever you deploy, and does not
// tell the app which one you named. So:
//
//   - `-c Ec2ForDl:instance_type=g5.xlarge` (stack name, colon, key) applies to that
//     stack only, and wins over the plain form.
//   - `-c instance_type=t4g.micro` (the plain form) applies to the stacks whose default
//     it can replace: a type without a GPU to MyFirstEc2, an NVIDIA GPU type to Ec2ForDl
//     and, when x86_64, SimpleBatch. A stack it does not fit keeps its default, and a
//     note says so (SimpleBatch on a CPU type needs `-c SimpleBatch:instance_type=...`).
//     So `npx cdk deploy MyFirstEc2 -c instance_type=t4g.micro` leaves the GPU
//     hands-ons' templates (and `go run ./cmd/cost`'s prices for them) unchanged.
//   - The other plain keys apply to every stack that takes them (see allKeys).
package config

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
	"github.com/intro-aws-go/intro-aws-go/internal/instancetype"
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

// Options are one stack's validated options. Empty strings and nil pointers mean "not
// given": the stack then uses its own default.
type Options struct {
	KeyName      string // EC2 key pair for SSH; empty: Session Manager only
	SSHCidr      string // IPv4 CIDR allowed to reach port 22; empty: no inbound rule
	InstanceType string

	// Spot asks for spot capacity (Fargate Spot for EcsClusterQaBot).
	Spot bool
	// IdleStopMinutes: nil means the stack's default, 0 disables the auto-stop.
	IdleStopMinutes *int
	// MaxVcpus caps SimpleBatch's compute environment; nil means the stack's default.
	MaxVcpus *int
	// DlamiParameter overrides the public SSM parameter Ec2ForDl takes its image from.
	DlamiParameter string
	// AvailabilityZone pins the stack's subnet to one zone of the deploy region.
	AvailabilityZone string

	// Given lists the options that reached this stack as "key=value", sorted by key:
	// what `go run ./cmd/cost` reports as the options it priced.
	Given []string
}

// Settings are everything the app reads, validated.
type Settings struct {
	// Account and Region come from CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION, which the
	// CDK CLI fills from the current credentials. Both may be empty (environment-agnostic).
	Account string
	Region  string
	// Notes are one-line remarks for the learner (a plain key a stack did not take).
	Notes []string

	stacks map[string]Options
}

// For returns the options of one stack (the zero Options when none was given).
func (s Settings) For(stack string) Options { return s.stacks[stack] }

// Error is a bad input. Its message is one line that names the flag, says what is
// wrong and shows a value that would work.
type Error struct {
	Key     string
	Value   string
	Problem string
	Example string // a value that works; the example is then "-c Key=Example"
	// ExampleKey, when set, replaces Key in the example (for a misspelt key).
	ExampleKey string
}

func (e *Error) Error() string {
	if e.Example == "" {
		return fmt.Sprintf("-c %s=%s: %s", display(e.Key), display(e.Value), e.Problem)
	}
	key := e.Key
	if e.ExampleKey != "" {
		key = e.ExampleKey
	}
	return fmt.Sprintf("-c %s=%s: %s (example: -c %s=%s)", display(e.Key), display(e.Value), e.Problem, display(key), display(e.Example))
}

// maxShown is how much of a value an error message repeats: enough to recognise it.
const maxShown = 40

// display renders a value on one line: control characters and non-ASCII quoted, and a
// long value cut (with its length), so a 50,000-character value is one short line.
func display(v string) string {
	cut := ""
	if utf8.RuneCountInString(v) > maxShown {
		r := []rune(v)
		cut = fmt.Sprintf("…(%d characters)", len(r))
		v = string(r[:maxShown])
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			q := strconv.QuoteToASCII(v) // escapes may take up to 10 characters each
			if len(q) > 2*maxShown {
				q, cut = q[:2*maxShown]+`…"`, fmt.Sprintf("(%d characters)", utf8.RuneCountInString(v))
			}
			return q + cut
		}
	}
	return v + cut
}

// Lookup returns the raw context value for a key and whether it was given at all.
type Lookup func(key string) (value any, ok bool)

// key is one option: the stacks that take it and how its value is checked.
type key struct {
	name   string
	stacks []string
	// check validates a value given as text and returns it normalised; region is the
	// deploy region ("" when unknown).
	check func(v, region string) (string, error)
	// fits tells whether a plain-form value applies to a stack; nil: every stack.
	fits func(stack, value string) bool
	// doc says what the key does, for the list of options.
	doc string
}

// allKeys are the app's options, with the stacks that take each one.
var allKeys = []key{
	{name: KeyKeyName, stacks: []string{handsons.MyFirstEc2, handsons.Ec2ForDl}, check: ignoreRegion(validateKeyName), doc: "EC2 key pair for SSH"},
	{name: KeySSHCidr, stacks: []string{handsons.MyFirstEc2, handsons.Ec2ForDl}, check: ignoreRegion(validateSSHCidr), doc: "your IPv4 address /32 for SSH"},
	{name: KeyInstanceType, stacks: []string{handsons.MyFirstEc2, handsons.Ec2ForDl, handsons.SimpleBatch}, check: ignoreRegion(validateInstanceType), fits: instanceTypeFits, doc: "instance type"},
	{name: KeySpot, stacks: []string{handsons.Ec2ForDl, handsons.EcsClusterQaBot, handsons.SimpleBatch}, check: ignoreRegion(validateBool(KeySpot)), doc: "spot capacity"},
	{name: KeyIdleStop, stacks: []string{handsons.Ec2ForDl}, check: ignoreRegion(validateIdleStop), doc: "idle minutes before the instance stops"},
	{name: KeyMaxVcpus, stacks: []string{handsons.SimpleBatch}, check: ignoreRegion(validateInt(KeyMaxVcpus, 4, 10000, "16", "the most vCPUs the compute environment may run at once; one SimpleBatch job takes 4")), doc: "vCPU cap of the compute environment"},
	{name: KeyDlamiParam, stacks: []string{handsons.Ec2ForDl}, check: ignoreRegion(validateSSMParameterName), doc: "public SSM parameter of the image"},
	{name: KeyZone, stacks: []string{handsons.MyFirstEc2, handsons.Ec2ForDl}, check: validateAvailabilityZone, doc: "Availability Zone of the instance's subnet"},
}

func ignoreRegion(f func(string) (string, error)) func(string, string) (string, error) {
	return func(v, _ string) (string, error) { return f(v) }
}

func findKey(name string) (key, bool) {
	for _, k := range allKeys {
		if k.name == name {
			return k, true
		}
	}
	return key{}, false
}

func takes(k key, stack string) bool {
	for _, s := range k.stacks {
		if s == stack {
			return true
		}
	}
	return false
}

// Load reads and validates the environment and every context key. keys lists every
// key present in the context (the CDK app's whole context); lookup reads one. getenv
// is os.Getenv in the app. The first problem, in key order, is returned as an *Error.
func Load(keys []string, lookup Lookup, getenv func(string) string) (Settings, error) {
	var s Settings
	var err error
	if s.Account, err = validateAccount(getenv("CDK_DEFAULT_ACCOUNT")); err != nil {
		return Settings{}, err
	}
	if s.Region, err = validateRegion(getenv("CDK_DEFAULT_REGION")); err != nil {
		return Settings{}, err
	}
	plain, scoped, err := readKeys(keys, lookup, s.Region)
	if err != nil {
		return Settings{}, err
	}
	s.stacks, s.Notes = distribute(plain, scoped)
	return s, nil
}

// readKeys validates every key of ours, in key order: plain ones (key → value) and
// per-stack ones (stack → key → value), values normalised.
func readKeys(keys []string, lookup Lookup, region string) (plain map[string]string, scoped map[string]map[string]string, err error) {
	plain, scoped = map[string]string{}, map[string]map[string]string{}
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	for _, name := range sorted {
		if cdkOwn(name) {
			continue
		}
		raw, ok := lookup(name)
		if !ok {
			continue
		}
		stack, keyName, isScoped := strings.Cut(name, ":")
		if !isScoped {
			keyName, stack = name, ""
		}
		text, err := scalar(name, raw)
		if err != nil {
			return nil, nil, err
		}
		k, err := resolveKey(name, stack, keyName, text)
		if err != nil {
			return nil, nil, err
		}
		v, err := k.check(text, region)
		if err != nil {
			if e, ok := err.(*Error); ok {
				e.Key = name // the key as typed, with its stack prefix
			}
			return nil, nil, err
		}
		if stack == "" {
			plain[k.name] = v
			continue
		}
		if scoped[stack] == nil {
			scoped[stack] = map[string]string{}
		}
		scoped[stack][k.name] = v
	}
	return plain, scoped, nil
}

// distribute gives each stack its options: the per-stack ones, and the plain ones it
// takes and that fit it. A plain value that some stacks did not take makes a note.
func distribute(plain map[string]string, scoped map[string]map[string]string) (map[string]Options, []string) {
	stacks := map[string]Options{}
	skipped := map[string][]string{} // key → stacks a plain value did not fit
	for _, stack := range handsons.Stacks {
		given := map[string]string{}
		for _, k := range allKeys {
			v, ok := plain[k.name]
			if _, override := scoped[stack][k.name]; !ok || !takes(k, stack) || override {
				continue
			}
			if k.fits != nil && !k.fits(stack, v) {
				skipped[k.name] = append(skipped[k.name], stack)
				continue
			}
			given[k.name] = v
		}
		for name, v := range scoped[stack] {
			given[name] = v
		}
		if len(given) > 0 {
			stacks[stack] = options(given)
		}
	}
	var notes []string
	for _, k := range allKeys {
		if skip := skipped[k.name]; len(skip) > 0 {
			keep := "keeps its default"
			if len(skip) > 1 {
				keep = "keep their defaults"
			}
			v := plain[k.name]
			notes = append(notes, fmt.Sprintf("note: -c %s=%s is not for %s, which %s (to give it to one: -c %s:%s=%s)",
				k.name, v, strings.Join(skip, " and "), keep, skip[0], k.name, v))
		}
	}
	return stacks, notes
}

// options turns validated values (already normalised) into typed Options.
func options(given map[string]string) Options {
	var o Options
	for name, v := range given {
		o.Given = append(o.Given, name+"="+v)
		switch name {
		case KeyKeyName:
			o.KeyName = v
		case KeySSHCidr:
			o.SSHCidr = v
		case KeyInstanceType:
			o.InstanceType = v
		case KeySpot:
			o.Spot = v == "true"
		case KeyIdleStop:
			n, _ := strconv.Atoi(v)
			o.IdleStopMinutes = &n
		case KeyMaxVcpus:
			n, _ := strconv.Atoi(v)
			o.MaxVcpus = &n
		case KeyDlamiParam:
			o.DlamiParameter = v
		case KeyZone:
			o.AvailabilityZone = v
		}
	}
	sort.Strings(o.Given)
	return o
}

// cdkOwn tells the keys that belong to the CDK and its CLI: aws:cdk:* and the other
// aws: keys, feature flags (@aws-cdk/..., any @scope/...), the lookups cached in
// cdk.context.json ("availability-zones:account=...:region=..."), and the plain keys
// of the CLI.
func cdkOwn(name string) bool {
	switch name {
	case "cli-telemetry", "acknowledged-issue-numbers":
		return true
	}
	return strings.HasPrefix(name, "aws:") || strings.HasPrefix(name, "@") || strings.Contains(name, "=")
}

// resolveKey finds the option a key names, or explains in one line why there is none.
func resolveKey(name, stack, keyName, value string) (key, error) {
	k, known := findKey(keyName)
	if !known {
		problem := "not an option of this app"
		example := ""
		suggestion := ""
		if s := suggest(keyName, keyNames()); s != "" {
			suggestion = s
			problem += "; did you mean " + s + "?"
			example = value
		} else {
			problem += " (the options are " + strings.Join(keyNames(), ", ") + ")"
		}
		e := &Error{Key: name, Value: value, Problem: problem, Example: example}
		if suggestion != "" {
			e.ExampleKey = suggestion
			if stack != "" {
				e.ExampleKey = stack + ":" + suggestion
			}
		}
		return key{}, e
	}
	if stack == "" {
		return k, nil
	}
	if !isStack(stack) {
		shown := display(stack) // a 2,611-character name stays one short line (found by FuzzLoad)
		if shown == stack {
			shown = strconv.Quote(stack)
		}
		problem := shown + " is not a stack of this app"
		e := &Error{Key: name, Value: value, Problem: problem}
		if s := suggest(stack, handsons.Stacks); s != "" {
			e.Problem += "; did you mean " + s + "?"
			e.ExampleKey, e.Example = s+":"+keyName, value
		} else {
			e.Problem += " (the stacks are " + strings.Join(handsons.Stacks, ", ") + ")"
		}
		return key{}, e
	}
	if !takes(k, stack) {
		return key{}, &Error{Key: name, Value: value,
			Problem: fmt.Sprintf("%s does not take %s (it is for %s)%s", stack, keyName, strings.Join(k.stacks, ", "), zoneHint(stack, keyName))}
	}
	return k, nil
}

func zoneHint(stack, keyName string) string {
	if keyName == KeyZone && stack == handsons.SimpleBatch {
		return "; SimpleBatch spreads its hosts over two zones and Batch picks one that offers the type"
	}
	return ""
}

func isStack(name string) bool {
	for _, s := range handsons.Stacks {
		if s == name {
			return true
		}
	}
	return false
}

func keyNames() []string {
	var out []string
	for _, k := range allKeys {
		out = append(out, k.name)
	}
	return out
}

// suggest returns the candidate a misspelt name most likely meant: the same once case,
// hyphens and underscores are ignored, or within two edits; "" when none is close.
func suggest(name string, candidates []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("-", "", "_", "", ".", "", " ", "").Replace(strings.ToLower(s))
	}
	best, bestDist := "", 3
	for _, c := range candidates {
		if norm(c) == norm(name) {
			return c
		}
		if d := editDistance(norm(name), norm(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance, capped for long inputs (a long name is
// never a typo of a short key).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// scalar renders a context value as the learner typed it. Values from `-c` are strings;
// values from cdk.json may be numbers or booleans; lists and objects are refused, so
// `"key_name": ["a"]` never becomes the key pair "[a]".
func scalar(name string, v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case bool:
		return strconv.FormatBool(t), nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return "", &Error{Key: name, Value: fmt.Sprint(t), Problem: "not a number a stack can use"}
		}
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(t), nil
	case nil:
		return "", &Error{Key: name, Value: "null", Problem: "null in cdk.json; give a value or remove the key"}
	case []any:
		return "", &Error{Key: name, Value: display(fmt.Sprint(t)), Problem: "a list (in cdk.json?); give one value"}
	case map[string]any:
		return "", &Error{Key: name, Value: "{...}", Problem: "an object (in cdk.json?); give one value"}
	default:
		return "", &Error{Key: name, Value: display(fmt.Sprint(t)), Problem: fmt.Sprintf("a %T; give one value", t)}
	}
}

// accountID is what CDK accepts as an account: 12 digits.
var accountID = regexp.MustCompile(`^[0-9]{12}$`)

func validateAccount(v string) (string, error) {
	s := strings.TrimSpace(v)
	if s == "" || accountID.MatchString(s) {
		return s, nil
	}
	return "", &envError{fmt.Sprintf("CDK_DEFAULT_ACCOUNT=%s: not a 12-digit AWS account id; unset it (the CDK CLI fills it from your credentials) or run `aws sts get-caller-identity` to see yours", display(v))}
}

// regionName is an AWS region name: ap-northeast-1, us-east-1, us-gov-west-1, eu-isoe-west-1.
var regionName = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]{1,2}$`)

func validateRegion(v string) (string, error) {
	s := strings.TrimSpace(v)
	if s == "" || regionName.MatchString(s) {
		return s, nil
	}
	return "", &envError{fmt.Sprintf("CDK_DEFAULT_REGION=%s: not an AWS region name; unset it or use one such as ap-northeast-1 (aws configure set region ap-northeast-1)", display(v))}
}

// envError is a bad environment variable: its message is the whole line.
type envError struct{ msg string }

func (e *envError) Error() string { return e.msg }

// ssmParameterName is an absolute SSM parameter path made of the characters SSM allows
// (at most 2048 characters, 15 levels).
var ssmParameterName = regexp.MustCompile(`^/[a-zA-Z0-9_.\-/]+$`)

// validateSSMParameterName checks a public SSM parameter path such as the ones AWS
// publishes image ids under.
func validateSSMParameterName(v string) (string, error) {
	s := strings.TrimSpace(v)
	if len(s) > 2048 || !ssmParameterName.MatchString(s) || strings.Contains(s, "//") || strings.Count(s, "/") > 15 {
		return "", &Error{Key: KeyDlamiParam, Value: v,
			Problem: "not an SSM parameter path; copy the name from the DLAMI release notes",
			Example: "/aws/service/deeplearning/ami/x86_64/oss-nvidia-driver-gpu-pytorch-2.12-ubuntu-24.04/latest/ami-id"}
	}
	return s, nil
}

// zoneName is an Availability Zone name: region plus one letter (ap-northeast-1c,
// us-east-1a). Local Zones and Wavelength Zones have longer names and are not for this.
var zoneName = regexp.MustCompile(`^([a-z]{2}(-gov)?-[a-z]+-[0-9])[a-z]$`)

// validateAvailabilityZone checks a zone name and, when the deploy region is known,
// that the zone is in it (CloudFormation would fail only at deploy time).
func validateAvailabilityZone(v, region string) (string, error) {
	s := strings.TrimSpace(v)
	m := zoneName.FindStringSubmatch(s)
	if m == nil {
		return "", &Error{Key: KeyZone, Value: v,
			Problem: "not an Availability Zone name (region plus a letter); `go run ./cmd/preflight` lists the zones that offer your instance type",
			Example: "ap-northeast-1c"}
	}
	if region != "" && m[1] != region {
		return "", &Error{Key: KeyZone, Value: v,
			Problem: fmt.Sprintf("a zone of %s, but you deploy to %s (CDK_DEFAULT_REGION: the CDK CLI takes it from AWS_REGION or your profile, else us-east-1); pick a zone of %s (`go run ./cmd/preflight` lists them) or deploy to %s", m[1], region, region, m[1]),
			Example: region + "a"}
	}
	return s, nil
}

// validateInt reads a whole number in [min, max].
func validateInt(key string, min, max int, example, meaning string) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < min || n > max {
			return "", &Error{Key: key, Value: v, Problem: fmt.Sprintf("not a whole number from %d to %d (%s)", min, max, meaning), Example: example}
		}
		return strconv.Itoa(n), nil
	}
}

// validateIdleStop accepts 0 (no auto-stop) or 5 to 1440 minutes in steps of 5: the
// alarm reads EC2's basic-monitoring CPU metric, which comes every 5 minutes
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/manage-detailed-monitoring.html),
// so another value could only be rounded without a word.
func validateIdleStop(v string) (string, error) {
	s, err := validateInt(KeyIdleStop, 0, 24*60, "60", "minutes of idleness before the instance stops itself; 0 turns the auto-stop off")(v)
	if err != nil {
		return "", err
	}
	if n, _ := strconv.Atoi(s); n%5 != 0 {
		return "", &Error{Key: KeyIdleStop, Value: v, Problem: "not a multiple of 5: the alarm sees the instance's CPU in 5-minute periods (0 turns the auto-stop off)", Example: strconv.Itoa((n + 4) / 5 * 5)}
	}
	return s, nil
}

// validateBool accepts true/false (and yes/no, 1/0, on/off), as typed after -c.
func validateBool(key string) func(string) (string, error) {
	return func(v string) (string, error) {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "yes", "1", "on":
			return "true", nil
		case "false", "no", "0", "off":
			return "false", nil
		}
		return "", &Error{Key: key, Value: v, Problem: "not true or false", Example: "true"}
	}
}

// keyNameChars are the characters EC2 accepts in a key pair name (ASCII, printable).
var keyNameChars = regexp.MustCompile(`^[\x21-\x7e][\x20-\x7e]*$`)

// validateKeyName checks the name of an EC2 key pair. Whether the key pair exists in
// the region can only be known at deploy time; the README's troubleshooting covers it.
// Names may hold shell characters (x;id, it's, $(id)): the printed ssh command quotes them.
func validateKeyName(v string) (string, error) {
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

// maxSSHPrefix is the widest range ssh_cidr may open port 22 to: 256 addresses, a
// small office. Wider ranges are someone else's addresses too.
const maxSSHPrefix = 24

// validateSSHCidr checks the IPv4 range allowed to reach SSH and returns it in
// canonical form. It must be public addresses (the instance sees your public address,
// never your LAN's) and at most a /24.
func validateSSHCidr(v string) (string, error) {
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
	if masked := prefix.Masked(); masked != prefix {
		return bad(fmt.Sprintf("has host bits set; did you mean %s?", masked))
	}
	if why := notPublic(prefix); why != "" {
		return bad(why + ": SSH from the internet arrives from your public address; use that with /32 (curl -s https://checkip.amazonaws.com)")
	}
	if prefix.Bits() < maxSSHPrefix {
		return bad(fmt.Sprintf("opens SSH to %s addresses; allow only your own address with /32 (at most a /%d)", addressCount(prefix.Bits()), maxSSHPrefix))
	}
	return prefix.String(), nil
}

// notPublic names why a range can never be a learner's public address: private,
// loopback, link-local, shared (carrier-grade NAT), multicast, documentation-free
// reserved blocks (RFC 6890). The documentation ranges (RFC 5737, 203.0.113.0/24...)
// stay allowed: the README's examples use them.
func notPublic(p netip.Prefix) string {
	a := p.Addr()
	switch {
	case a.IsLoopback():
		return "a loopback range (this computer only)"
	case a.IsPrivate():
		return "a private range (your home or office network, not your internet address)"
	case a.IsLinkLocalUnicast():
		return "a link-local range"
	case a.IsMulticast():
		return "a multicast range"
	case a.IsUnspecified() && p.Bits() > 0:
		return "the unspecified address"
	}
	for _, r := range reserved {
		if r.prefix.Contains(a) && r.prefix.Bits() <= p.Bits() {
			return r.why
		}
	}
	return ""
}

var reserved = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network" (0.0.0.0/8), never a source address`},
	{netip.MustParsePrefix("100.64.0.0/10"), "the carrier-grade NAT range (100.64.0.0/10), shared by many customers"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol range (192.0.0.0/24)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "the benchmarking range (198.18.0.0/15)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved range (240.0.0.0/4)"},
}

func addressCount(bits int) string {
	return strconv.FormatUint(uint64(1)<<(32-bits), 10)
}

// validateInstanceType checks an EC2 instance type name against the grammar CDK reads
// it with (instancetype.Pattern): a name CDK cannot read used to end the synthesis in
// a Go panic. Whether the type is offered in the region is only known at deploy time
// (`go run ./cmd/preflight`).
func validateInstanceType(v string) (string, error) {
	s := strings.TrimSpace(v)
	if instancetype.Valid(s) {
		return s, nil
	}
	problem := "not an EC2 instance type the CDK can read; the form is family+generation.size"
	switch lower := strings.ToLower(s); {
	case s == "":
		problem = "empty; give an EC2 instance type or drop the flag to use the stack's default"
	case len(s) > instancetype.MaxLen:
		problem = fmt.Sprintf("longer than any EC2 instance type (%d characters)", len(s))
	case lower != s && instancetype.Valid(lower):
		problem = fmt.Sprintf("instance types are lower case; did you mean %s?", lower)
	}
	return "", &Error{Key: KeyInstanceType, Value: v, Problem: problem, Example: "t3.small"}
}

// instanceTypeFits is where a plain -c instance_type applies: the stacks whose default
// it can replace. MyFirstEc2 (t3.micro) takes types without a GPU; Ec2ForDl
// (g4dn.xlarge, the Deep Learning AMI) takes NVIDIA GPU types; SimpleBatch
// (g4dn.xlarge, an x86_64 training image) takes x86_64 NVIDIA GPU types.
func instanceTypeFits(stack, t string) bool {
	gpu := instancetype.IsNvidiaGPU(t)
	switch stack {
	case handsons.MyFirstEc2:
		return !gpu
	case handsons.Ec2ForDl:
		return gpu
	case handsons.SimpleBatch:
		return gpu && !instancetype.IsArm64(t)
	}
	return false
}
