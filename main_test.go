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

func TestBadContextFailsWithOneLineNamingTheFlag(t *testing.T) {
	cases := []struct {
		key   string
		value any
		want  string
	}{
		{"ssh_cidr", "bogus", "error: -c ssh_cidr=bogus: not an IPv4 CIDR block (example: -c ssh_cidr=203.0.113.10/32)"},
		{"key_name", "", "error: -c key_name=: empty;"},
		{"instance_type", "t3micro", "error: -c instance_type=t3micro: not an EC2 instance type"},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			t.Parallel()
			outdir, stderr, err := runApp(t, map[string]any{c.key: c.value})
			if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
				t.Fatalf("want exit code 1, got %v", err)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], c.want) {
				t.Errorf("stderr = %q, want one line starting %q", stderr, c.want)
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

// Context keys are shared: an instance type given for MyFirstEc2 must not break the
// GPU stack's synth (SimpleBatch then builds a CPU environment it will not deploy).
func TestSharedContextKeysSynthesizeEveryStack(t *testing.T) {
	outdir, stderr, err := runApp(t, map[string]any{"instance_type": "t3.small", "spot": "true", "max_vcpus": "16"})
	if err != nil {
		t.Fatalf("synth failed: %v\n%s", err, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(outdir, "SimpleBatch.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var template struct {
		Resources map[string]struct {
			Type       string
			Properties struct{ ComputeResources map[string]any }
		}
	}
	if err := json.Unmarshal(raw, &template); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range template.Resources {
		if r.Type != "AWS::Batch::ComputeEnvironment" {
			continue
		}
		found = true
		cr := r.Properties.ComputeResources
		if types, _ := json.Marshal(cr["InstanceTypes"]); string(types) != `["t3.small"]` || cr["Type"] != "SPOT" || cr["MaxvCpus"] != 16.0 {
			t.Errorf("compute resources %v, want t3.small, SPOT, 16 vCPUs from the context", cr)
		}
	}
	if !found {
		t.Error("no compute environment in SimpleBatch")
	}
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
