package main

// These tests run the app the way the CDK CLI does: as a separate process that gets its
// context in CDK_CONTEXT_JSON and writes the cloud assembly to CDK_OUTDIR. The last
// one runs the CLI itself, pinned in package.json.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var appBinary string

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
			if _, err := os.Stat(filepath.Join(outdir, "MyFirstEc2.template.json")); err != nil {
				t.Fatal(err)
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
			if got := manifest.Artifacts["MyFirstEc2"].Environment; got != wantEnv {
				t.Errorf("MyFirstEc2 environment = %q, want %q", got, wantEnv)
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
