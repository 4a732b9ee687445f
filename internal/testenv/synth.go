package testenv

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/intro-aws-go/intro-aws-go/internal/project"
)

var (
	appOnce sync.Once
	appPath string
	appErr  error
)

// ModuleRoot is the directory of the project's go.mod.
func ModuleRoot() (string, error) { return project.Root() }

// AppBinary builds the CDK app (the module's main package) once per test binary.
func AppBinary() (string, error) {
	appOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			appErr = err
			return
		}
		dir, err := os.MkdirTemp("", "intro-aws-go-app-")
		if err != nil {
			appErr = err
			return
		}
		appPath = filepath.Join(dir, "app")
		cmd := exec.Command("go", "build", "-o", appPath, ".")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			appErr = fmt.Errorf("build the CDK app: %v\n%s", err, out)
		}
	})
	return appPath, appErr
}

// SynthApp synthesizes every stack the way the CDK CLI does (cdk.json's context plus
// extra, the assembly written to a fresh directory) and returns that directory.
// Asset bundling is skipped: tests that deploy templates to moto need no assets.
func SynthApp(t testing.TB, extra map[string]any) string {
	t.Helper()
	outdir := t.TempDir()
	if err := SynthAppTo(outdir, extra); err != nil {
		t.Fatal(err)
	}
	return outdir
}

// SynthAppTo is SynthApp for a TestMain: it writes the assembly to outdir.
func SynthAppTo(outdir string, extra map[string]any) error {
	bin, err := AppBinary()
	if err != nil {
		return err
	}
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		return err
	}
	var cfg struct{ Context map[string]any }
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return err
	}
	cfg.Context["aws:cdk:bundling-stacks"] = []string{}
	for k, v := range extra {
		cfg.Context[k] = v
	}
	ctx, _ := json.Marshal(cfg.Context)
	cmd := exec.Command(bin)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CDK_CONTEXT_JSON="+string(ctx), "CDK_OUTDIR="+outdir,
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20", "CDK_DEFAULT_ACCOUNT=", "CDK_DEFAULT_REGION=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("synth: %v\n%s", err, out)
	}
	return nil
}
