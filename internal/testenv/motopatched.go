package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// StartMotoPatched starts moto's server through a Python script (run with python3, the
// interpreter moto is installed in) that patches moto before serving, for behaviour moto
// lacks and a test needs; the script receives moto_server's arguments. Stop it with
// Stop, as StartMotoServer's.
func StartMotoPatched(script string) (*Moto, error) {
	if _, err := exec.LookPath("moto_server"); err != nil {
		return nil, errMotoMissing
	}
	return startMoto("python3", script)
}

// PatchedMotoScript is testdata/moto_patched.py of this package: moto_server with the
// fixes that deploying and deleting whole stacks needs (see the script).
func PatchedMotoScript() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "internal", "testenv", "testdata", "moto_patched.py"), nil
}

// RunWithPatchedMoto is RunWithMoto with the patched moto_server.
func RunWithPatchedMoto(m *testing.M, moto **Moto) int {
	script, err := PatchedMotoScript()
	if err == nil {
		*moto, err = StartMotoPatched(script)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer (*moto).Stop()
	return m.Run()
}

// Log returns what the server printed so far (its tracebacks explain a bare 500).
func (m *Moto) Log() string {
	b, _ := os.ReadFile(m.logPath)
	return string(b)
}
