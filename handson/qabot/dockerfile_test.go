package qabot_test

// Docker cannot run here, so the Dockerfile is checked for what can go wrong without
// building it: pins that disagree with the rest of the repository, paths that differ
// from the worker's contract, and shell syntax errors.

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/intro-aws-go/intro-aws-go/internal/project"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
)

type dockerfile struct {
	text string
	args map[string]string // ARG defaults
	runs []string          // RUN commands, continuation lines joined
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d := dockerfile{text: string(raw), args: map[string]string{}}
	var instructions []string
	var cur strings.Builder
	for _, line := range strings.Split(d.text, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		instructions = append(instructions, cur.String())
		cur.Reset()
	}
	for _, ins := range instructions {
		word, rest, _ := strings.Cut(ins, " ")
		switch word {
		case "ARG":
			k, v, _ := strings.Cut(rest, "=")
			d.args[k] = v
		case "RUN":
			d.runs = append(d.runs, rest)
		}
	}
	return d
}

func TestDockerfilePinsTheRuntimeOfPackageLock(t *testing.T) {
	d := readDockerfile(t)
	root, err := project.Root()
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Version   string `json:"version"`
			Integrity string `json:"integrity"`
		} `json:"packages"`
	}
	raw, err := os.ReadFile(filepath.Join(root, project.TestToolsDir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &lock); err != nil {
		t.Fatal(err)
	}
	pkg, ok := lock.Packages["node_modules/onnxruntime-node"]
	if !ok {
		t.Fatal("onnxruntime-node is not in testtools/package-lock.json")
	}
	if d.args["ORT_VERSION"] != pkg.Version {
		t.Errorf("Dockerfile ORT_VERSION %s, package-lock.json onnxruntime-node %s: tests and image would run different runtimes", d.args["ORT_VERSION"], pkg.Version)
	}
	sum, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(pkg.Integrity, "sha512-"))
	if err != nil || !strings.HasPrefix(pkg.Integrity, "sha512-") {
		t.Fatalf("integrity %q is not a sha512", pkg.Integrity)
	}
	if d.args["ORT_SHA512"] != hex.EncodeToString(sum) {
		t.Errorf("Dockerfile ORT_SHA512 %s, package-lock.json integrity is %s", d.args["ORT_SHA512"], hex.EncodeToString(sum))
	}
}

func TestDockerfileRuntimeMatchesTheGoBinding(t *testing.T) {
	d := readDockerfile(t)
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/yalue/onnxruntime_go").Output()
	if err != nil {
		t.Fatal(err)
	}
	header, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "onnxruntime_c_api.h"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`#define ORT_API_VERSION (\d+)`).FindSubmatch(header)
	if m == nil {
		t.Fatal("ORT_API_VERSION not found in onnxruntime_go's header")
	}
	// ONNX Runtime 1.N serves C API version N; the binding asks for exactly its own.
	if want := "1." + string(m[1]) + "."; !strings.HasPrefix(d.args["ORT_VERSION"], want) {
		t.Errorf("ORT_VERSION %s, but onnxruntime_go is built against C API %s (ONNX Runtime %sx)", d.args["ORT_VERSION"], m[1], want)
	}
}

func TestDockerfileGoVersionMatchesGoMod(t *testing.T) {
	d := readDockerfile(t)
	root, _ := project.Root()
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if goVersion == nil || !strings.HasPrefix(d.args["GO_IMAGE"], "golang:"+string(goVersion[1])+"-") {
		t.Errorf("GO_IMAGE %s does not build go.mod's Go %s", d.args["GO_IMAGE"], goVersion[1])
	}
}

func TestDockerfileModelIsPinnedToACommit(t *testing.T) {
	d := readDockerfile(t)
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(d.args["MODEL_REVISION"]) {
		t.Errorf("MODEL_REVISION %q is not a full commit id: a branch name would let the model change under you", d.args["MODEL_REVISION"])
	}
	if !strings.Contains(d.text, `sha256sum -c`) || !strings.Contains(d.text, `sha512sum -c`) {
		t.Error("downloads are not checked against their hashes")
	}
}

func TestDockerfileFollowsTheWorkerContract(t *testing.T) {
	d := readDockerfile(t)
	for _, want := range []string{
		qabot.EnvModelDir + "=/opt/qabot/model",
		qabot.EnvORTLibrary + "=/opt/qabot/lib/libonnxruntime.so.1",
		"/opt/qabot/model/" + qabot.ModelFile,
		"/opt/qabot/model/" + qabot.TokenizerFile,
		"USER nonroot",
		"go build -trimpath -ldflags=\"-s -w\" -o /out/qabot-worker ./handson/qabot/worker",
	} {
		if !strings.Contains(d.text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

func TestDockerfileShellIsValid(t *testing.T) {
	d := readDockerfile(t)
	if len(d.runs) < 4 {
		t.Fatalf("found %d RUN instructions", len(d.runs))
	}
	for _, run := range d.runs {
		if out, err := exec.Command("sh", "-n", "-c", run).CombinedOutput(); err != nil {
			t.Errorf("RUN %.60s...: %v\n%s", run, err, out)
		}
	}
}
