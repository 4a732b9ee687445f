// Package lambdabuild compiles a Go package into a Lambda `bootstrap` executable for the
// provided.al2023 runtime. The CDK bundler (constructs.NewGoFunction) and the tests that
// run handlers under the Lambda runtime interface emulator use the same flags, so what is
// tested is what is deployed (only the CPU architecture differs on an x86 test machine).
package lambdabuild

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// BinaryName is the file the provided.al2023 runtime executes.
const BinaryName = "bootstrap"

// Args are the `go build` flags for a Lambda binary: no RPC mode of aws-lambda-go
// (provided.al2023 talks the Runtime API), no local paths or VCS stamps in the binary
// (so the same source gives the same bytes and CDK's output hash only changes when the
// code does), and no symbol tables (a smaller upload, a faster cold start).
func Args(pkg, out string) []string {
	return []string{"build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, pkg}
}

// Build compiles pkg (an import path or ./relative directory, resolved in moduleRoot)
// into out for linux/goarch without cgo, so the binary is static.
func Build(moduleRoot, pkg, out, goarch string) error {
	cmd := exec.Command("go", Args(pkg, out)...)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	output, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s (linux/%s): %v\n%s", failurePrefix, pkg, goarch, err, strings.TrimSpace(string(output)))
	}
	return nil
}

const failurePrefix = "go build of the Lambda package"

// FailureMessage returns the build error carried by a panic value (CDK runs the bundler
// inside synthesis, and jsii turns its failure into a panic), or "" if it is not one.
func FailureMessage(panicValue any) string {
	msg := fmt.Sprint(panicValue)
	if i := strings.Index(msg, failurePrefix); i >= 0 {
		return msg[i:]
	}
	return ""
}

// CacheKey returns a key that changes whenever the executable Build(moduleRoot, pkg,
// …, goarch) makes would: Go's build ID of the compiled main package (it covers the
// source of the package and of everything it imports, the Go version, the target and
// the build tags) and the flags of the link. Computing it compiles what is not in Go's
// build cache yet but links nothing, so a compile error shows here too. The CDK asset
// of a Go Lambda uses it as its hash, and CDK skips bundling when cdk.out already holds
// the asset of that hash: a synth after one that changed no Lambda code links nothing.
func CacheKey(moduleRoot, pkg, goarch string) (string, error) {
	cmd := exec.Command("go", "list", "-export", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-f", "{{.BuildID}}", pkg)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	id := strings.TrimSpace(string(out))
	if err != nil || id == "" {
		return "", fmt.Errorf("%s %s (linux/%s): %v\n%s", failurePrefix, pkg, goarch, err, strings.TrimSpace(stderr.String()))
	}
	sum := sha256.Sum256([]byte(id + "\x00" + strings.Join(Args(pkg, BinaryName), "\x00") + "\x00" + goarch))
	return hex.EncodeToString(sum[:]), nil
}
