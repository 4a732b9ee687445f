package main

// The training container's Python code against the client: both must name files
// alike, accept the same values, and the files the script writes must be what the
// client reads. The script's upload goes to moto's S3 with boto3; the PyTorch
// training runs on CPU on a few synthetic batches when torch is installed (Debian's
// python3-torch, which .ci/run installs; locally the test is skipped without it,
// in CI it cannot be: see testenv.TorchPython).

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/simplebatch"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

const containerDir = "../../handson/simplebatch"

func python(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 not found: it is a test prerequisite (README)")
	}
	return bin
}

func runPython(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = containerDir
	cmd.Env = pythonEnv(t, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

func TestContainerScriptsCompile(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(containerDir, "*.py"))
	if len(files) != 3 {
		t.Fatalf("want metrics.py, simple_mnist.py, train.py in %s, found %v", containerDir, files)
	}
	cmd := exec.Command(python(t), append([]string{"-m", "py_compile"}, files...)...)
	cmd.Env = pythonEnv(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("py_compile: %v\n%s", err, out)
	}
}

func TestContainerAndClientAgreeOnNamesAndValues(t *testing.T) {
	values := []float64{0.1, 0.01, 0.001, 0.5, 0.05, 0.9, 0.0001, 1, 2.5, 0.1234, 0.00015, 0.00005, 0.12345, 0, 9.9999, 10, -0.1}
	raw, _ := json.Marshal(values)
	script := `
import json, sys, argparse, metrics
vals = json.loads(sys.argv[1])
def ok(parse, v):
    try:
        parse(repr(v)); return True
    except argparse.ArgumentTypeError:
        return False
print(json.dumps({
    "keys": [metrics.metrics_key(v, m) for v in vals for m in (0.5, 0.05)],
    "lr_ok": [ok(metrics.grid_value("lr", 0.0001, 10.0), v) for v in vals],
    "m_ok": [ok(metrics.grid_value("momentum", 0.0, 1.0), v) for v in vals],
    "bools": [metrics.parse_bool(s) for s in ("true", "True", "1", "yes", "false", "no", "0")],
}))
try:
    metrics.parse_bool("maybe"); print("accepted maybe")
except argparse.ArgumentTypeError:
    pass
`
	out := runPython(t, python(t), nil, "-c", script, string(raw))
	var got struct {
		Keys  []string
		LROK  []bool `json:"lr_ok"`
		MOK   []bool `json:"m_ok"`
		Bools []bool
	}
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if strings.Contains(out, "accepted maybe") {
		t.Error(`parse_bool accepted "maybe": the course's --uploadS3 bug`)
	}
	if want := []bool{true, true, true, true, false, false, false}; jsonText(got.Bools) != jsonText(want) {
		t.Errorf("parse_bool = %v, want %v", got.Bools, want)
	}
	k := 0
	for i, v := range values {
		for _, m := range []float64{0.5, 0.05} {
			if want := simplebatch.MetricsKey(v, m); got.Keys[k] != want {
				t.Errorf("metrics key of lr %v m %v: Python %s, Go %s", v, m, got.Keys[k], want)
			}
			k++
		}
		if goOK := simplebatch.ValidateGridValue("lr", v, 0.0001, 10) == nil; goOK != got.LROK[i] {
			t.Errorf("lr %v: Python accepts %v, Go accepts %v", v, got.LROK[i], goOK)
		}
		if goOK := simplebatch.ValidateGridValue("momentum", v, 0, 1) == nil; goOK != got.MOK[i] {
			t.Errorf("momentum %v: Python accepts %v, Go accepts %v", v, got.MOK[i], goOK)
		}
	}
}

// The container's upload (boto3, as in the job) lands where the client looks.
func TestContainerUploadIsWhatTheClientReads(t *testing.T) {
	fx := deploy(t)
	dir := t.TempDir()
	point := gridPoint{LR: 0.01, Momentum: 0.5, Epochs: 3}
	script := `
import sys, metrics
rows = [(1, 0.9, 0.5, 85.125), (2, 0.3, 0.25, 92.5), (3, 0.2, 0.2, 95.0)]
path = sys.argv[1] + "/" + metrics.metrics_key(0.01, 0.5)
metrics.write_csv(rows, path)
metrics.upload(path, metrics.bucket_from_env(), metrics.metrics_key(0.01, 0.5))
`
	env := append(moto.Env(), "BUCKET_NAME="+fx.Bucket)
	runPython(t, python(t), env, "-c", script, dir)

	env2, err := connect(context.Background(), moto.Config())
	if err != nil {
		t.Fatal(err)
	}
	s := &session{aws: env2, ui: newUI(&bytes.Buffer{}, false, os.Getenv), out: t.TempDir()}
	r, err := s.fetch(context.Background(), point, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Epochs) != 3 || r.Epochs[2].Epoch != 3 || r.Epochs[2].ValAccuracy != 95 || r.Epochs[0].TrainLoss != 0.9 {
		t.Errorf("client read %+v", r.Epochs)
	}
}

// A CPU smoke run of the real training loop on synthetic images; its metrics file
// must parse in the client.
func TestTrainingRunsOnCPUAndWritesWhatTheClientReads(t *testing.T) {
	bin := testenv.TorchPython(t)
	dir := filepath.Join(t.TempDir(), "not", "yet") // train.py makes it
	out := runPython(t, bin, []string{"BUCKET_NAME="}, "train.py", "--lr", "0.05", "--momentum", "0.5", "--epochs", "2",
		"--synthetic-batches", "4", "--output-dir", dir, "--uploadS3", "false")
	if !strings.Contains(out, "device=cpu") || !strings.Contains(out, "epoch 2/2: train_loss") {
		t.Errorf("training output:\n%s", out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, simplebatch.MetricsKey(0.05, 0.5)))
	if err != nil {
		t.Fatal(err)
	}
	epochs, err := parseMetrics(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the client cannot read the script's file: %v\n%s", err, raw)
	}
	if len(epochs) != 2 || epochs[1].Epoch != 2 {
		t.Fatalf("epochs %+v", epochs)
	}
	for _, e := range epochs {
		if e.TrainLoss <= 0 || e.ValLoss <= 0 || e.ValAccuracy < 0 || e.ValAccuracy > 100 {
			t.Errorf("implausible metrics %+v", e)
		}
	}

}

// Bad arguments stop the job at once, before PyTorch loads: any Python will do.
func TestTrainingRefusesBadArgumentsAtOnce(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"--lr", "0.01", "--momentum", "0.5", "--uploadS3", "maybe"}, "", "argument -u/--uploadS3: 'maybe' is not true or false"},
		{[]string{"--lr", "0.01", "--momentum", "0.5", "--uploadS3", "true"}, "BUCKET_NAME=", "error: --uploadS3 true needs the BUCKET_NAME environment variable"},
		{[]string{"--lr", "0.00005", "--momentum", "0.5"}, "", "argument -l/--lr: lr 0.00005 must be at least 0.0001 and below 10.0"},
		{[]string{"--lr", "0.01", "--momentum", "1"}, "", "argument -m/--momentum: momentum 1 must be at least 0.0 and below 1.0"},
		{[]string{"--lr", "0.01", "--momentum", "0.5", "--epochs", "0"}, "", "--epochs must be at least 1"},
		{[]string{"--momentum", "0.5"}, "", "the following arguments are required: -l/--lr"},
		{[]string{"--lr", "0.01", "--momentum", "0.5", "--output-dir", filepath.Join(notADir, "sub")}, "", "error: --output-dir " + filepath.Join(notADir, "sub") + ": cannot create it: Not a directory"},
	} {
		cmd := exec.Command(python(t), append([]string{"train.py"}, c.args...)...)
		cmd.Dir = containerDir
		cmd.Env = pythonEnv(t, c.env)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) || strings.Contains(string(out), "Traceback") {
			t.Errorf("train.py %s: %v\n%s\nwant a one-line error containing %q", strings.Join(c.args, " "), err, out, c.want)
		}
	}
}

// pythonEnv is this process's environment without its AWS settings, plus env's
// non-empty entries; byte code goes to a temporary folder, not into handson/.
func pythonEnv(t *testing.T, env ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); v != "" || k == "BUCKET_NAME" {
			out = append(out, kv)
		}
	}
	return append(out, "PYTHONPYCACHEPREFIX="+t.TempDir())
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The image cannot be built here (no Docker), so its recipe is checked against the
// files: every script is copied and let through .dockerignore, every package is
// pinned, the job runs unprivileged and starts train.py.
func TestDockerfileAgreesWithTheFiles(t *testing.T) {
	read := func(name string) string {
		raw, err := os.ReadFile(filepath.Join(containerDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	dockerfile, ignore, reqs := read("Dockerfile"), read(".dockerignore"), read("requirements.txt")
	scripts, _ := filepath.Glob(filepath.Join(containerDir, "*.py"))
	for _, path := range scripts {
		name := filepath.Base(path)
		if !regexp.MustCompile(`(?m)^COPY .*\b` + regexp.QuoteMeta(name) + `\b.* \./$`).MatchString(dockerfile) {
			t.Errorf("Dockerfile does not copy %s", name)
		}
		if !strings.Contains(ignore, "\n!"+name+"\n") {
			t.Errorf(".dockerignore keeps %s out of the build context", name)
		}
	}
	for _, name := range []string{"Dockerfile", "requirements.txt"} {
		if !strings.Contains(ignore, "\n!"+name+"\n") {
			t.Errorf(".dockerignore keeps %s out of the build context", name)
		}
	}
	if !strings.HasPrefix(strings.TrimSpace(strings.SplitN(ignore, "\n*\n", 2)[1]), "!") || !strings.Contains(ignore, "\n*\n") {
		t.Error(".dockerignore must exclude everything (*) and let through only what the image needs")
	}
	pinned := regexp.MustCompile(`^[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.+]*$`)
	packages := 0
	for _, line := range strings.Split(reqs, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "--extra-index-url ") {
			continue
		}
		packages++
		if !pinned.MatchString(line) {
			t.Errorf("requirements.txt: %q is not pinned (name==version)", line)
		}
	}
	if packages < 3 || !strings.Contains(reqs, "\ntorch==") || !strings.Contains(reqs, "\nboto3==") {
		t.Errorf("requirements.txt lacks torch or boto3:\n%s", reqs)
	}
	for _, want := range []string{`ENTRYPOINT ["python", "/app/train.py"]`, "\nUSER trainer\n", "download=True"} {
		if !strings.Contains(dockerfile, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if strings.Index(dockerfile, "download=True") > strings.Index(dockerfile, "USER trainer") {
		t.Error("MNIST must be downloaded at build time, before the job's user takes over")
	}
}
