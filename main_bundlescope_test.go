package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
)

// A learner deploying one hands-on waits only for that hands-on's assets: the pinned
// CDK CLI, run as `cdk synth <Stack>` without --exclusively, bundles the Go Lambdas of
// the named stack and of no other (internal/bundlescope).
func TestCdkSynthOfOneStackBundlesOnlyItsAssets(t *testing.T) {
	cdk := filepath.Join("node_modules", ".bin", "cdk")
	if _, err := os.Stat(cdk); err != nil {
		t.Fatalf("the pinned CDK CLI is not installed (%v): run `make test`, which runs `npm ci` first", err)
	}
	bundling := regexp.MustCompile(`(?m)^Bundling asset ([A-Za-z0-9]+)/`)
	for _, stack := range []string{handsons.MyFirstEc2, handsons.SimpleLambda} {
		t.Run(stack, func(t *testing.T) {
			outdir := t.TempDir()
			// The app binary built by TestMain, run by the CLI as cdk.json's app would be.
			cmd := exec.Command(cdk, "synth", stack, "--quiet", "--no-lookups", "--app", appBinary, "--output", outdir)
			cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20", "CDK_DEFAULT_ACCOUNT=", "CDK_DEFAULT_REGION=")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("cdk synth %s: %v\n%s", stack, err, out)
			}
			for _, m := range bundling.FindAllStringSubmatch(string(out), -1) {
				if m[1] != stack {
					t.Errorf("cdk synth %s bundled an asset of %s:\n%s", stack, m[1], out)
				}
			}
			// The assembly agrees: only the named stack's Go functions have a bootstrap.
			if stack == handsons.SimpleLambda {
				checkGoLambdaAssets(t, outdir, handsons.SimpleLambda, 1)
			}
			for _, other := range []string{handsons.SimpleLambda, handsons.Bashoutter} {
				if other != stack && bundledFunctions(t, outdir, other) != 0 {
					t.Errorf("cdk synth %s bundled the Go functions of %s", stack, other)
				}
			}
		})
	}
}

// bundledFunctions counts a stack's Lambda functions whose asset holds a bootstrap.
func bundledFunctions(t *testing.T, outdir, stack string) int {
	t.Helper()
	var template struct {
		Resources map[string]struct {
			Type       string
			Properties struct {
				Code struct{ S3Key string }
			}
		}
	}
	readTemplate(t, outdir, stack, &template)
	n := 0
	for _, r := range template.Resources {
		if r.Type != "AWS::Lambda::Function" || r.Properties.Code.S3Key == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(outdir, "asset."+strings.TrimSuffix(r.Properties.Code.S3Key, ".zip"), "bootstrap")); err == nil {
			n++
		}
	}
	return n
}

// Bundling only the named stacks is right only while no hands-on stack depends on
// another (the CLI also deploys a named stack's dependencies), and while the app's
// stacks are the ones internal/handsons lists.
func TestStacksAreIndependent(t *testing.T) {
	outdir, stderr, err := runApp(t, map[string]any{"aws:cdk:bundling-stacks": []string{}})
	if err != nil {
		t.Fatalf("synth failed: %v\n%s", err, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(outdir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Artifacts map[string]struct {
			Type         string   `json:"type"`
			Dependencies []string `json:"dependencies"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	var stacks []string
	for id, a := range manifest.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		stacks = append(stacks, id)
		for _, dep := range a.Dependencies {
			if dep != id+".assets" {
				t.Errorf("stack %s depends on %s: internal/bundlescope would skip bundling the dependency's assets", id, dep)
			}
		}
	}
	slices.Sort(stacks)
	want := slices.Sorted(slices.Values(handsons.Stacks))
	if !slices.Equal(stacks, want) {
		t.Errorf("the app's stacks are %v, handsons.Stacks %v", stacks, want)
	}
}
