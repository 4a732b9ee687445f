package stacks

// The template-test harness shared by every stack's tests: one jsii runtime for the
// whole test binary, each configuration synthesized once, the template read back as
// plain JSON, and cdk-nag's findings collected from the synthesis messages.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// synthesized is one stack's template and what cdk-nag and CDK said about it.
type synthesized struct {
	Template    map[string]any
	NagErrors   []string // unsuppressed cdk-nag errors, "rule at path"
	NagWarnings []string
	Missing     []string // context lookups the app would need (credentials at synth)
	// DockerImages are the stack's image assets: how each is built and the files
	// CDK staged as its build context (paths relative to the context, sorted).
	DockerImages []dockerImage
}

type dockerImage struct {
	Hash       string   // the asset hash, the image tag in the bootstrap repository
	Dockerfile string   // relative to the context
	Platform   string   // e.g. linux/arm64
	Files      []string // the staged build context
}

type synthResult struct {
	s   *synthesized
	err error
}

var (
	synthMu    sync.Mutex
	synthCache = map[string]synthResult{} // failures too: a broken configuration is not retried per test
)

// synth builds one configuration with build (which adds a stack to the app and returns
// it) and synthesizes it, at most once per key for the whole test binary.
func synth(t *testing.T, key string, build func(app awscdk.App) awscdk.Stack) *synthesized {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	r, ok := synthCache[key]
	if !ok {
		r.s, r.err = synthesize(build)
		synthCache[key] = r
	}
	if r.err != nil {
		t.Fatalf("synth %s: %v", key, r.err)
	}
	return r.s
}

func synthesize(build func(app awscdk.App) awscdk.Stack) (s *synthesized, err error) {
	outdir, err := os.MkdirTemp("", "cdk-test-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(outdir)
	defer func() {
		if r := recover(); r != nil { // jsii turns a JavaScript error into a panic
			err = fmt.Errorf("%v", r)
			// CDK's own policy validation (a feature flag in cdk.json) explains itself in a report.
			if report, rerr := os.ReadFile(filepath.Join(outdir, "validation-report.json")); rerr == nil {
				err = fmt.Errorf("%v\n%s", r, report)
			}
		}
	}()
	ctx, err := appContext()
	if err != nil {
		return nil, err
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &ctx})
	stack := build(app)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	assembly := app.Synth(nil)
	artifact := assembly.GetStackArtifact(stack.ArtifactId())

	s = &synthesized{}
	raw, err := os.ReadFile(filepath.Join(outdir, *stack.TemplateFile()))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &s.Template); err != nil {
		return nil, err
	}
	for _, m := range *artifact.Messages() {
		text := fmt.Sprint(m.Entry.Data)
		// A rule that crashes on a template reports CdkNagValidationFailure[rule]: the
		// rule checked nothing, so it counts as a finding too.
		if !strings.HasPrefix(text, "AwsSolutions-") && !strings.HasPrefix(text, "CdkNagValidationFailure") {
			continue
		}
		line := fmt.Sprintf("%s at %s", strings.SplitN(text, ":", 2)[0], *m.Id)
		switch m.Level {
		case cxapi.SynthesisMessageLevel_ERROR:
			s.NagErrors = append(s.NagErrors, line)
		case cxapi.SynthesisMessageLevel_WARNING:
			s.NagWarnings = append(s.NagWarnings, line)
		}
	}
	// The manifest is read as JSON: its Go binding cannot deserialize artifact properties.
	var manifest struct {
		Missing []struct{ Key string } `json:"missing"`
	}
	raw, err = os.ReadFile(filepath.Join(outdir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return nil, err
	}
	for _, m := range manifest.Missing {
		s.Missing = append(s.Missing, m.Key)
	}
	if s.DockerImages, err = stagedDockerImages(outdir, *stack.ArtifactId()); err != nil {
		return nil, err
	}
	return s, nil
}

// appContext is cdk.json's context (feature flags), so tests synthesize what the CLI does.
func appContext() (map[string]any, error) {
	raw, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		return nil, err
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	// Bundle no asset (Go Lambda binaries): templates do not depend on it, and each
	// bundling would be a cross-compile. `make synth` and main_test.go bundle for real.
	cfg.Context["aws:cdk:bundling-stacks"] = []any{}
	return cfg.Context, nil
}

// --- reading templates ---

// resources returns the resources of one type, by logical id.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.Template["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// only returns the properties of the single resource of a type, failing otherwise.
func (s *synthesized) only(t *testing.T, typ string) map[string]any {
	t.Helper()
	rs := s.resources(typ)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, found %d", typ, len(rs))
	}
	for _, r := range rs {
		p, _ := r["Properties"].(map[string]any)
		return p
	}
	return nil
}

// count returns how many resources of a type the template has.
func (s *synthesized) count(typ string) int { return len(s.resources(typ)) }

// types lists every resource type in the template, sorted.
func (s *synthesized) types() []string {
	seen := map[string]bool{}
	for _, r := range s.Template["Resources"].(map[string]any) {
		seen[r.(map[string]any)["Type"].(string)] = true
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// output returns an output's Value, failing when the output does not exist.
func (s *synthesized) output(t *testing.T, name string) any {
	t.Helper()
	outs, _ := s.Template["Outputs"].(map[string]any)
	o, ok := outs[name].(map[string]any)
	if !ok {
		t.Fatalf("output %s missing; outputs: %v", name, keys(outs))
	}
	return o["Value"]
}

func (s *synthesized) hasOutput(name string) bool {
	outs, _ := s.Template["Outputs"].(map[string]any)
	_, ok := outs[name]
	return ok
}

// dig walks maps by string keys and slices by int indices; nil when a step is missing.
func dig(v any, path ...any) any { return testenv.Dig(v, path...) }

// jsonText renders a template fragment for substring checks and failure messages.
func jsonText(v any) string { return testenv.JSONText(v) }

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// --- checks every stack's tests run ---

// checkGates runs the checks every stack passes in every configuration: cdk-nag clean,
// nothing retained, nothing that bills idle, no lookups, no SSH open to the internet.
func checkGates(t *testing.T, configs map[string]*synthesized) {
	t.Helper()
	for name, s := range configs {
		t.Run(name, func(t *testing.T) {
			checkNagClean(t, s)
			checkDestroysEverything(t, s)
			checkNoNatOrIdleBills(t, s)
			checkSynthNeedsNoLookups(t, s)
			checkNoOpenSSH(t, s)
		})
	}
}

// checkNagClean fails on any unsuppressed cdk-nag AwsSolutions error or warning.
func checkNagClean(t *testing.T, s *synthesized) {
	t.Helper()
	for _, e := range s.NagErrors {
		t.Errorf("cdk-nag error: %s", e)
	}
	for _, w := range s.NagWarnings {
		t.Errorf("cdk-nag warning: %s", w)
	}
}

// checkDestroysEverything fails on any resource that outlives `cdk destroy`.
func checkDestroysEverything(t *testing.T, s *synthesized) {
	t.Helper()
	for id, r := range s.Template["Resources"].(map[string]any) {
		res := r.(map[string]any)
		for _, policy := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
			if v, ok := res[policy]; ok && v != "Delete" {
				t.Errorf("%s (%s) has %s %v: it would outlive cdk destroy", id, res["Type"], policy, v)
			}
		}
	}
}

// checkNoNatOrIdleBills fails on resources that bill by the hour while nobody uses them.
func checkNoNatOrIdleBills(t *testing.T, s *synthesized) {
	t.Helper()
	for _, typ := range []string{
		"AWS::EC2::NatGateway", "AWS::EC2::EIP", "AWS::ElasticLoadBalancingV2::LoadBalancer",
		"AWS::ElasticLoadBalancing::LoadBalancer", "AWS::EC2::TransitGateway", "AWS::EC2::ClientVpnEndpoint",
	} {
		if n := s.count(typ); n != 0 {
			t.Errorf("%d %s: bills while idle", n, typ)
		}
	}
	for id, props := range s.resources("AWS::EC2::VPCEndpoint") {
		if dig(props, "Properties", "VpcEndpointType") != "Gateway" {
			t.Errorf("interface endpoint %s bills per hour while idle", id)
		}
	}
}

// checkSynthNeedsNoLookups fails when synthesis asked for context only an AWS account can give.
func checkSynthNeedsNoLookups(t *testing.T, s *synthesized) {
	t.Helper()
	if len(s.Missing) != 0 {
		t.Errorf("synth needs lookups (credentials): %v", s.Missing)
	}
}

// checkLogGroupsExpire fails on a log group that keeps its logs forever or outlives the stack.
func checkLogGroupsExpire(t *testing.T, s *synthesized) {
	t.Helper()
	for id, r := range s.resources("AWS::Logs::LogGroup") {
		if days, _ := dig(r, "Properties", "RetentionInDays").(float64); days <= 0 {
			t.Errorf("log group %s keeps its logs forever: set a retention", id)
		}
		if r["DeletionPolicy"] != "Delete" {
			t.Errorf("log group %s has DeletionPolicy %v: it would outlive cdk destroy", id, r["DeletionPolicy"])
		}
	}
}

// onlyResource returns the logical id and the whole resource of the single resource of
// a type, failing otherwise.
func onlyResource(t *testing.T, s *synthesized, typ string) (string, map[string]any) {
	t.Helper()
	rs := s.resources(typ)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, found %d", typ, len(rs))
	}
	for id, r := range rs {
		return id, r
	}
	return "", nil
}

// checkNoOpenSSH fails on any ingress that opens port 22 (or all ports) to the internet.
func checkNoOpenSSH(t *testing.T, s *synthesized) {
	t.Helper()
	for _, rule := range ingressRules(s) {
		open := rule["CidrIp"] == "0.0.0.0/0" || rule["CidrIpv6"] == "::/0"
		from, _ := rule["FromPort"].(float64)
		to, _ := rule["ToPort"].(float64)
		allPorts := rule["IpProtocol"] == "-1"
		if open && (allPorts || (from <= 22 && 22 <= to)) {
			t.Errorf("port 22 open to the internet: %s", jsonText(rule))
		}
	}
}

// ingressRules collects inbound rules written inline on security groups and as
// separate AWS::EC2::SecurityGroupIngress resources.
func ingressRules(s *synthesized) []map[string]any {
	var rules []map[string]any
	for _, sg := range s.resources("AWS::EC2::SecurityGroup") {
		if list, ok := dig(sg, "Properties", "SecurityGroupIngress").([]any); ok {
			for _, r := range list {
				rules = append(rules, r.(map[string]any))
			}
		}
	}
	for _, r := range s.resources("AWS::EC2::SecurityGroupIngress") {
		rules = append(rules, r["Properties"].(map[string]any))
	}
	return rules
}

// stagedDockerImages reads the stack's asset manifest and lists each image asset's
// staged build context, before the output directory is removed.
func stagedDockerImages(outdir, artifactID string) ([]dockerImage, error) {
	raw, err := os.ReadFile(filepath.Join(outdir, artifactID+".assets.json"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var manifest struct {
		DockerImages map[string]struct {
			Source struct {
				Directory      string `json:"directory"`
				DockerFile     string `json:"dockerFile"`
				PlatformString string `json:"platform"`
			} `json:"source"`
		} `json:"dockerImages"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return nil, err
	}
	var images []dockerImage
	for hash, img := range manifest.DockerImages {
		dir := filepath.Join(outdir, img.Source.Directory)
		d := dockerImage{Hash: hash, Dockerfile: img.Source.DockerFile, Platform: img.Source.PlatformString}
		err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				rel, _ := filepath.Rel(dir, path)
				d.Files = append(d.Files, filepath.ToSlash(rel))
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(d.Files)
		images = append(images, d)
	}
	return images, nil
}

// logicalID returns the id of the only resource of a type.
func (s *synthesized) logicalID(t *testing.T, typ string) string {
	t.Helper()
	rs := s.resources(typ)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, found %d", typ, len(rs))
	}
	for id := range rs {
		return id
	}
	return ""
}
