package main

// These tests run the app the way the CDK CLI does: as a separate process that gets its
// context in CDK_CONTEXT_JSON and writes the cloud assembly to CDK_OUTDIR. The last
// one runs the CLI itself, pinned in package.json.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

var appBinary string

// appStacks are the stacks the app must synthesize, with the course's names.
var appStacks = []string{"MyFirstEc2", "Ec2ForDl", "EcsClusterQaBot", "SimpleBatch", "SimpleLambda", "SimpleDynamoDb", "SimpleS3", "Bashoutter"}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "intro-aws-go-app-")
	if err != nil {
		panic(err)
	}
	appBinary = filepath.Join(dir, "app")
	if out, err := exec.Command("go", "build", "-o", appBinary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runApp runs the app with the given context on top of cdk.json's and extra environment.
func runApp(t *testing.T, context map[string]any, env ...string) (outdir, stderr string, err error) {
	t.Helper()
	raw, rerr := os.ReadFile("cdk.json")
	if rerr != nil {
		t.Fatal(rerr)
	}
	var cfg struct{ Context map[string]any }
	if jerr := json.Unmarshal(raw, &cfg); jerr != nil {
		t.Fatal(jerr)
	}
	for k, v := range context {
		cfg.Context[k] = v
	}
	ctxJSON, _ := json.Marshal(cfg.Context)
	outdir = t.TempDir()
	cmd := exec.Command(appBinary)
	cmd.Env = append(os.Environ(),
		"CDK_CONTEXT_JSON="+string(ctxJSON),
		"CDK_OUTDIR="+outdir,
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20",
		"CDK_DEFAULT_ACCOUNT=", "CDK_DEFAULT_REGION=",
	)
	cmd.Env = append(cmd.Env, env...)
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	err = cmd.Run()
	return outdir, errBuf.String(), err
}

// Every kind of bad input ends the synthesis with one line naming the flag (or the
// variable), and no Go panic: issue 13's values, issue 16's misspelt keys.
func TestBadContextFailsWithOneLineNamingTheFlag(t *testing.T) {
	cases := []struct {
		key   string
		value any
		env   []string
		want  string
	}{
		{"ssh_cidr", "bogus", nil, "error: -c ssh_cidr=bogus: not an IPv4 CIDR block (example: -c ssh_cidr=203.0.113.10/32)"},
		{"key_name", "", nil, "error: -c key_name=: empty;"},
		{"instance_type", "t3micro", nil, "error: -c instance_type=t3micro: not an EC2 instance type"},
		{"instance_type", "t.micro", nil, "error: -c instance_type=t.micro: not an EC2 instance type the CDK can read"},
		{"instance_type", "a.b", nil, "error: -c instance_type=a.b: "},
		{"instance_type", "micro.t3", nil, "error: -c instance_type=micro.t3: "},
		{"instance_type", "mac2-m2pro.metal", nil, "error: -c instance_type=mac2-m2pro.metal: "},
		{"instance_type", strings.Repeat("x", 50000), nil, "error: -c instance_type=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…(50000 characters): longer than any"},
		{"key_name", []any{"a"}, nil, "error: -c key_name=[a]: a list (in cdk.json?); give one value"},
		{"keyname", "x", nil, "error: -c keyname=x: not an option of this app; did you mean key_name? (example: -c key_name=x)"},
		{"instance-type", "t3.small", nil, "error: -c instance-type=t3.small: not an option of this app; did you mean instance_type?"},
		{"ssh_cidr", "1.0.0.0/8", nil, "error: -c ssh_cidr=1.0.0.0/8: opens SSH to 16777216 addresses"},
		{"ssh_cidr", "127.0.0.1/32", nil, "error: -c ssh_cidr=127.0.0.1/32: a loopback range"},
		{"ssh_cidr", "192.168.1.10/32", nil, "error: -c ssh_cidr=192.168.1.10/32: a private range"},
		{"availability_zone", "us-east-1a", []string{"CDK_DEFAULT_REGION=ap-northeast-1"}, "error: -c availability_zone=us-east-1a: a zone of us-east-1, but you deploy to ap-northeast-1"},
		{"SimpleBatch:availability_zone", "ap-northeast-1c", nil, "error: -c SimpleBatch:availability_zone=ap-northeast-1c: SimpleBatch does not take availability_zone"},
		{"spot", "true", []string{"CDK_DEFAULT_ACCOUNT=abc"}, "error: CDK_DEFAULT_ACCOUNT=abc: not a 12-digit AWS account id"},
	}
	for _, c := range cases {
		name := c.key + "=" + fmt.Sprint(c.value)
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			outdir, stderr, err := runApp(t, map[string]any{c.key: c.value}, c.env...)
			if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
				t.Fatalf("want exit code 1, got %v", err)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], c.want) || len(lines[0]) > 600 {
				t.Errorf("stderr = %.300q, want one short line starting %q", stderr, c.want)
			}
			if entries, _ := os.ReadDir(outdir); len(entries) != 0 {
				t.Errorf("a failed synth wrote %d files", len(entries))
			}
		})
	}
}

func TestAppSynthesizesWithoutCredentials(t *testing.T) {
	envs := map[string][]string{
		"agnostic": nil,
		// What the CLI sets when it finds credentials: the stack is pinned to the
		// account and region, and synth must still need no lookup.
		"pinned": {"CDK_DEFAULT_ACCOUNT=123456789012", "CDK_DEFAULT_REGION=ap-northeast-1"},
	}
	for name, env := range envs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			outdir, stderr, err := runApp(t, nil, append(env, "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_PROFILE=")...)
			if err != nil {
				t.Fatalf("synth failed: %v\n%s", err, stderr)
			}
			amiID := regexp.MustCompile(`ami-[0-9a-f]{8,17}`)
			for _, stack := range appStacks {
				template, err := os.ReadFile(filepath.Join(outdir, stack+".template.json"))
				if err != nil {
					t.Fatal(err)
				}
				// Images come from public SSM parameters at deploy time, in any region.
				if ids := amiID.FindAll(template, -1); len(ids) != 0 {
					t.Errorf("%s hard-codes AMI ids: %s", stack, ids)
				}
			}
			checkGoLambdaAssets(t, outdir, "SimpleLambda", 1)
			checkGoLambdaAssets(t, outdir, "Bashoutter", 4)
			raw, err := os.ReadFile(filepath.Join(outdir, "manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			var manifest struct {
				Missing   []any `json:"missing"`
				Artifacts map[string]struct {
					Environment string `json:"environment"`
					Properties  struct {
						Tags map[string]string `json:"tags"`
					} `json:"properties"`
				} `json:"artifacts"`
			}
			if err := json.Unmarshal(raw, &manifest); err != nil {
				t.Fatal(err)
			}
			if len(manifest.Missing) != 0 {
				t.Errorf("synth asks for lookups: %v", manifest.Missing)
			}
			wantEnv := "aws://unknown-account/unknown-region"
			if name == "pinned" {
				wantEnv = "aws://123456789012/ap-northeast-1"
			}
			for _, stack := range appStacks {
				artifact := manifest.Artifacts[stack]
				if artifact.Environment != wantEnv {
					t.Errorf("%s environment = %q, want %q", stack, artifact.Environment, wantEnv)
				}
				if tags := artifact.Properties.Tags; tags["Project"] != "intro-aws-go" || tags["HandsOn"] != stack {
					t.Errorf("%s stack tags = %v, want Project=intro-aws-go HandsOn=%s", stack, tags, stack)
				}
				checkResourceTags(t, outdir, stack)
			}
		})
	}
}

// The CLI adds its own "Subprocess exited" line; ours must be there, once, and the
// command must fail.
func TestCdkCliReportsBadContext(t *testing.T) {
	cdk := filepath.Join("node_modules", ".bin", "cdk")
	if _, err := os.Stat(cdk); err != nil {
		t.Fatalf("the pinned CDK CLI is not installed (%v): run `make test`, which runs `npm ci` first", err)
	}
	for _, flag := range []string{"ssh_cidr=bogus", "key_name="} {
		t.Run(flag, func(t *testing.T) {
			cmd := exec.Command(cdk, "synth", "--quiet", "--no-lookups", "-c", flag, "--output", t.TempDir())
			cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("cdk synth -c %s succeeded:\n%s", flag, out)
			}
			want := "error: -c " + flag + ": "
			if n := strings.Count(string(out), want); n != 1 {
				t.Errorf("want one %q line, found %d in:\n%s", want, n, out)
			}
			if strings.Contains(string(out), "goroutine ") || strings.Contains(string(out), "panic:") {
				t.Errorf("output carries a Go panic trace:\n%s", out)
			}
		})
	}
}

// checkResourceTags fails on a tagged resource that lacks the project's two tags.
func checkResourceTags(t *testing.T, outdir, stack string) {
	t.Helper()
	var template struct {
		Resources map[string]struct {
			Type       string
			Properties struct {
				Tags any
			}
		}
	}
	readTemplate(t, outdir, stack, &template)
	tagged := 0
	for id, r := range template.Resources {
		list, ok := r.Properties.Tags.([]any)
		if !ok {
			continue // not taggable in CloudFormation, or tags as a map (checked below)
		}
		tagged++
		got := map[string]any{}
		for _, item := range list {
			if kv, ok := item.(map[string]any); ok {
				got[fmt.Sprint(kv["Key"])] = kv["Value"]
			}
		}
		if got["Project"] != "intro-aws-go" || got["HandsOn"] != stack {
			t.Errorf("%s %s (%s) tags = %v, want Project and HandsOn=%s", stack, id, r.Type, got, stack)
		}
	}
	if tagged == 0 {
		t.Errorf("%s: no tagged resource at all", stack)
	}
}

// Issue 11: `npx cdk deploy MyFirstEc2 -c instance_type=t4g.micro` builds MyFirstEc2 on
// t4g.micro and leaves every other stack's template as without the flag (the GPU
// hands-ons used to get a t4g.micro too, and cost priced them so); a note says so.
func TestInstanceTypeForOneStackLeavesTheOtherTemplatesUnchanged(t *testing.T) {
	type result struct {
		outdir, stderr string
		err            error
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i, ctx := range []map[string]any{nil, {"instance_type": "t4g.micro"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outdir, stderr, err := runApp(t, ctx)
			results[i] = result{outdir, stderr, err}
		}()
	}
	wg.Wait()
	for _, r := range results {
		if r.err != nil {
			t.Fatalf("synth failed: %v\n%s", r.err, r.stderr)
		}
	}
	plain, withType := results[0].outdir, results[1].outdir
	for _, stack := range appStacks {
		a, _ := os.ReadFile(filepath.Join(plain, stack+".template.json"))
		b, _ := os.ReadFile(filepath.Join(withType, stack+".template.json"))
		if same := string(a) == string(b); same == (stack == "MyFirstEc2") {
			t.Errorf("%s: template unchanged = %v", stack, same)
		}
	}
	var first struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	readTemplate(t, withType, "MyFirstEc2", &first)
	for _, r := range first.Resources {
		if r.Type == "AWS::EC2::Instance" && r.Properties["InstanceType"] != "t4g.micro" {
			t.Errorf("MyFirstEc2 instance type %v, want t4g.micro", r.Properties["InstanceType"])
		}
	}
	// The note first, once (CDK's "Bundling asset" lines follow).
	want := "note: -c instance_type=t4g.micro is not for Ec2ForDl and SimpleBatch, which keep their defaults (to give it to one: -c Ec2ForDl:instance_type=t4g.micro)\n"
	if !strings.HasPrefix(results[1].stderr, want) || strings.Count(results[1].stderr, "note:") != 1 || strings.Contains(results[0].stderr, "note:") {
		t.Errorf("stderr %q, want it to start with %q", results[1].stderr, want)
	}
	// What cost reads: the options each stack was built with.
	options := stackOptions(t, withType)
	if got := fmt.Sprint(options["MyFirstEc2"]); got != "[instance_type=t4g.micro]" {
		t.Errorf("MyFirstEc2 options %s", got)
	}
	if got := fmt.Sprint(options["Ec2ForDl"]); got != "[]" {
		t.Errorf("Ec2ForDl options %s, want none", got)
	}
}

// stackOptions reads the intro-aws-go:options metadata of each stack from manifest.json.
func stackOptions(t *testing.T, outdir string) map[string][]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(outdir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	type metadata map[string][]struct {
		Type string
		Data any
	}
	var manifest struct {
		Artifacts map[string]struct {
			Type                   string
			Metadata               metadata
			AdditionalMetadataFile string
		}
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	out := map[string][]any{}
	for id, a := range manifest.Artifacts {
		meta := a.Metadata
		if a.AdditionalMetadataFile != "" {
			raw, err := os.ReadFile(filepath.Join(outdir, a.AdditionalMetadataFile))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &meta); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range meta["/"+id] {
			if m.Type == OptionsMetadata {
				list, _ := m.Data.([]any)
				out[id] = append([]any{}, list...)
			}
		}
	}
	return out
}

// readTemplate decodes a synthesized stack's template into v.
func readTemplate(t *testing.T, outdir, stack string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(outdir, stack+".template.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}
