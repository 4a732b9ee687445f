package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// TorchPython returns a Python that can import torch, for CPU smoke runs of the
// hands-ons' PyTorch code: Debian's /usr/bin/python3 with python3-torch (which .ci/run
// installs), or a python3 on PATH that has torch. Without one the test is skipped, or
// fails when REQUIRE_TORCH is set (as .ci/run does), so CI can never skip it.
func TorchPython(t testing.TB) string {
	t.Helper()
	for _, bin := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(bin); err == nil && exec.Command(path, "-c", "import torch").Run() == nil {
			return path
		}
	}
	if os.Getenv("REQUIRE_TORCH") != "" {
		t.Fatal("REQUIRE_TORCH is set but no python3 can import torch: apt-get install python3-torch")
	}
	t.Skip("torch is not installed (apt-get install python3-torch): the CPU smoke run is skipped")
	return ""
}
