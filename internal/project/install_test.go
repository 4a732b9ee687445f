package project

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func devDependencies(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Dependencies    map[string]string `json:"dependencies"`
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range pkg.DevDependencies {
		names = append(names, name)
	}
	for name := range pkg.Dependencies {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// The quick start's `make synth` installs the root package.json: the CDK CLI only. The
// packages only tests and benchmarks use (onnxruntime-node alone is 210 MB) are in
// TestToolsDir, which only `make test` (test-setup) installs.
func TestSynthInstallsOnlyTheCDKCLI(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	if got := devDependencies(t, filepath.Join(root, "package.json")); !slices.Equal(got, []string{"aws-cdk"}) {
		t.Errorf("package.json installs %v, want only aws-cdk (test-only packages go to %s/package.json)", got, TestToolsDir)
	}
	if got := devDependencies(t, filepath.Join(root, TestToolsDir, "package.json")); !slices.Equal(got, []string{"@aws-sdk/client-s3", "aws-icons", "onnxruntime-node", "playwright-core", "tokenizers"}) {
		t.Errorf("%s/package.json installs %v", TestToolsDir, got)
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	// The prerequisites of a target: "name: a b ## help".
	prereqs := func(target string) []string {
		m := regexp.MustCompile(`(?m)^` + target + `:([^#\n]*)`).FindSubmatch(makefile)
		if m == nil {
			t.Fatalf("Makefile has no %s target", target)
		}
		return strings.Fields(string(m[1]))
	}
	if p := prereqs("synth"); !slices.Equal(p, []string{"setup"}) {
		t.Errorf("synth depends on %v, want setup only", p)
	}
	if p := prereqs("setup"); slices.Contains(p, "test-setup") || slices.Contains(p, "$(TEST_NPM_STAMP)") {
		t.Errorf("setup depends on %v: it would install the test-only packages for synth", p)
	}
	if p := prereqs("unit-test"); !slices.Contains(p, "test-setup") {
		t.Errorf("unit-test depends on %v, want test-setup (the tests need testtools/node_modules)", p)
	}
}
