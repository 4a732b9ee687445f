package lifecycle

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/intro-aws-go/intro-aws-go/internal/project"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

var (
	moto   *testenv.Moto
	root   string // the project checkout
	outdir string // the app synthesized once (cdk.out)
	bin    string // the clients, built once: bin/leftovers, bin/serverless, ...
	work   string // scratch space of this test binary
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "lifecycle:", err); return 1 }
	var err error
	if root, err = project.Root(); err != nil {
		return fail(err)
	}
	if work, err = os.MkdirTemp("", "lifecycle-"); err != nil {
		return fail(err)
	}
	defer os.RemoveAll(work)
	// moto with the deletes, statuses and deleted stacks it gets wrong (see the script).
	script, err := testenv.PatchedMotoScript()
	if err != nil {
		return fail(err)
	}
	server, err := testenv.StartMotoPatched(script)
	if err != nil {
		return fail(err)
	}
	defer server.Stop()
	moto = server
	outdir = filepath.Join(work, "cdk.out")
	if err := testenv.SynthAppTo(outdir, nil); err != nil {
		return fail(err)
	}
	bin = filepath.Join(work, "bin")
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./cmd/leftovers", "./cmd/serverless", "./cmd/runtask", "./cmd/sweep")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("build the clients: %v\n%s", err, out))
	}
	return m.Run()
}
