// Package scripts holds the project's shell scripts; the tests run them.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cdk-app.sh (cdk.json's app) rebuilds the app exactly when go run would: a fake `go`
// on PATH records each build, and the "app" it builds prints its arguments.
func TestCdkAppRebuildsOnlyWhenTheSourceChanged(t *testing.T) {
	script, err := filepath.Abs("cdk-app.sh")
	if err != nil {
		t.Fatal(err)
	}
	project := t.TempDir()
	for _, dir := range []string{"scripts", "stacks", "node_modules/pkg", "cdk.out"} {
		if err := os.MkdirAll(filepath.Join(project, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(project, "scripts", "cdk-app.sh"), string(raw), 0o755)
	write(t, filepath.Join(project, "go.mod"), "module example.com/app\n", 0o644)
	write(t, filepath.Join(project, "main.go"), "package main\n", 0o644)
	write(t, filepath.Join(project, "stacks", "a.go"), "package stacks\n", 0o644)

	fakeBin := t.TempDir()
	builds := filepath.Join(t.TempDir(), "builds")
	goVersion := filepath.Join(t.TempDir(), "goversion")
	write(t, goVersion, "go1.99.0", 0o644)
	write(t, filepath.Join(fakeBin, "go"), `#!/bin/sh
case "$1" in
env) cat "`+goVersion+`"; echo; echo linux; echo amd64; echo; echo 1; echo ;;
build) echo build >> "`+builds+`"; printf '#!/bin/sh\necho "app $*"\n' > "$3"; chmod +x "$3" ;;
*) exit 3 ;;
esac
`, 0o755)

	run := func(step string, wantBuilds int) {
		t.Helper()
		cmd := exec.Command("/bin/sh", filepath.Join(project, "scripts", "cdk-app.sh"), "x", "y")
		cmd.Env = append(os.Environ(), "PATH="+fakeBin+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "app x y" {
			t.Fatalf("%s: %v\n%s", step, err, out)
		}
		raw, _ := os.ReadFile(builds)
		if got := strings.Count(string(raw), "build"); got != wantBuilds {
			t.Errorf("%s: %d builds in all, want %d", step, got, wantBuilds)
		}
		// Everything that exists is then older than the build, and later changes are
		// unambiguously newer, whatever the file system's time resolution.
		past := time.Now().Add(-2 * time.Second)
		filepath.Walk(project, func(path string, _ os.FileInfo, _ error) error {
			return os.Chtimes(path, past.Add(-time.Second), past.Add(-time.Second))
		})
		if err := os.Chtimes(filepath.Join(project, ".cache", "cdk-app", "built-at"), past, past); err != nil {
			t.Fatal(err)
		}
	}

	run("first run", 1)
	run("nothing changed", 1)
	write(t, filepath.Join(project, "stacks", "a.go"), "package stacks // changed\n", 0o644)
	run("a source file changed", 2)
	write(t, filepath.Join(project, "stacks", "a_test.go"), "package stacks\n", 0o644)
	run("a test file changed", 2)
	write(t, filepath.Join(project, "node_modules", "pkg", "x.go"), "package pkg\n", 0o644)
	write(t, filepath.Join(project, "cdk.out", "manifest.json"), "{}", 0o644)
	run("node_modules and cdk.out changed", 2)
	if err := os.MkdirAll(filepath.Join(project, "bin"), 0o755); err != nil { // cdk.out or bin/ recreated
		t.Fatal(err)
	}
	run("a directory added", 2)
	if err := os.Remove(filepath.Join(project, "stacks", "a.go")); err != nil {
		t.Fatal(err)
	}
	run("a source file removed", 3)
	write(t, filepath.Join(project, "go.sum"), "x\n", 0o644)
	run("go.sum changed", 4)
	write(t, goVersion, "go1.99.1", 0o644)
	run("the Go toolchain changed", 5)
	run("nothing changed again", 5)
}

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}
