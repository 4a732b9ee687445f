package main

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkGoLambdaAssets checks what `cdk synth` bundled for each Go Lambda function of a
// stack: a static linux/arm64 executable named bootstrap, as provided.al2023 on
// Graviton runs it (the template tests skip bundling; the app run here does it for real).
func checkGoLambdaAssets(t *testing.T, outdir, stack string, wantFunctions int) {
	t.Helper()
	var template struct {
		Resources map[string]struct {
			Type       string
			Properties struct {
				Handler string
				Code    struct{ S3Key string }
			}
		}
	}
	readTemplate(t, outdir, stack, &template)
	found := 0
	for id, r := range template.Resources {
		if r.Type != "AWS::Lambda::Function" || r.Properties.Handler != "bootstrap" {
			continue
		}
		found++
		path := filepath.Join(outdir, "asset."+strings.TrimSuffix(r.Properties.Code.S3Key, ".zip"), "bootstrap")
		info, err := os.Stat(path)
		if err != nil {
			t.Errorf("%s/%s: no bundled bootstrap: %v", stack, id, err)
			continue
		}
		if info.Mode()&0o111 == 0 {
			t.Errorf("%s/%s: bootstrap is not executable (%v)", stack, id, info.Mode())
		}
		f, err := elf.Open(path)
		if err != nil {
			t.Errorf("%s/%s: bootstrap is not an ELF executable: %v", stack, id, err)
			continue
		}
		if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
			t.Errorf("%s/%s: bootstrap is %v %v, want an arm64 executable", stack, id, f.Machine, f.Type)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s/%s: bootstrap is dynamically linked (cgo?); provided.al2023 needs a static binary", stack, id)
			}
		}
		f.Close()
	}
	if found != wantFunctions {
		t.Errorf("%s: %d Go functions, want %d", stack, found, wantFunctions)
	}
}

// A Go Lambda that does not build stops the synth with go build's message, no panic trace.
func TestSynthReportsALambdaBuildFailure(t *testing.T) {
	_, stderr, err := runApp(t, nil, "GOFLAGS=-no-such-flag")
	if err == nil {
		t.Fatal("synth succeeded although go build cannot run")
	}
	if !strings.HasPrefix(stderr, "error: go build of the Lambda package ./handson/") || !strings.Contains(stderr, "-no-such-flag") ||
		strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic:") {
		t.Errorf("stderr:\n%s\nwant go build's error without a panic trace", stderr)
	}
}
