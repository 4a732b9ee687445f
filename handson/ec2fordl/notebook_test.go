// Package ec2fordl holds hands-on #2's notebook. mnist_gpu.py is the source; the
// notebook is generated from its "# %%" cells (go test ./handson/ec2fordl -update), and
// the tests keep both in step and run the script on a CPU.
package ec2fordl

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite mnist_gpu.ipynb from mnist_gpu.py")

const (
	script   = "mnist_gpu.py"
	notebook = "mnist_gpu.ipynb"
)

// toNotebook turns a percent-format script into an nbformat 4 notebook.
func toNotebook(src string) ([]byte, error) {
	type cell struct {
		CellType       string         `json:"cell_type"`
		ExecutionCount *int           `json:"execution_count,omitempty"`
		ID             string         `json:"id"`
		Metadata       map[string]any `json:"metadata"`
		Outputs        *[]any         `json:"outputs,omitempty"`
		Source         []string       `json:"source"`
	}
	var cells []cell
	var cur *cell
	flush := func() {
		if cur == nil {
			return
		}
		for len(cur.Source) > 0 && strings.TrimSpace(cur.Source[len(cur.Source)-1]) == "" {
			cur.Source = cur.Source[:len(cur.Source)-1]
		}
		if n := len(cur.Source); n > 0 {
			cur.Source[n-1] = strings.TrimSuffix(cur.Source[n-1], "\n")
			cells = append(cells, *cur)
		}
		cur = nil
	}
	for _, line := range strings.SplitAfter(src, "\n") {
		switch {
		case strings.HasPrefix(line, "# %% [markdown]"):
			flush()
			cur = &cell{CellType: "markdown"}
		case strings.HasPrefix(line, "# %%"):
			flush()
			cur = &cell{CellType: "code", Outputs: &[]any{}}
		case cur == nil:
			if strings.TrimSpace(line) != "" {
				return nil, fmt.Errorf("text before the first cell: %q", line)
			}
		case cur.CellType == "markdown":
			text := strings.TrimPrefix(strings.TrimPrefix(line, "#"), " ")
			if len(cur.Source) == 0 && strings.TrimSpace(text) == "" {
				continue
			}
			cur.Source = append(cur.Source, text)
		default:
			if len(cur.Source) == 0 && strings.TrimSpace(line) == "" {
				continue
			}
			cur.Source = append(cur.Source, line)
		}
	}
	flush()
	for i := range cells {
		cells[i].ID = fmt.Sprintf("cell-%02d", i+1)
		cells[i].Metadata = map[string]any{}
	}
	nb := map[string]any{
		"cells": cells,
		"metadata": map[string]any{
			"kernelspec":    map[string]any{"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
			"language_info": map[string]any{"name": "python"},
		},
		"nbformat": 4, "nbformat_minor": 5,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	err := enc.Encode(nb)
	return buf.Bytes(), err
}

func TestNotebookIsGeneratedFromTheScript(t *testing.T) {
	src, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	want, err := toNotebook(string(src))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(notebook, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(notebook)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run `go test ./handson/ec2fordl -update`", notebook)
	}
	var nb struct {
		Cells []struct {
			CellType string   `json:"cell_type"`
			Source   []string `json:"source"`
		}
	}
	if err := json.Unmarshal(got, &nb); err != nil {
		t.Fatal(err)
	}
	code := 0
	for _, c := range nb.Cells {
		if c.CellType == "code" {
			code++
		}
	}
	if len(nb.Cells) < 8 || code < 5 {
		t.Errorf("notebook has %d cells (%d code): the script lost its cells", len(nb.Cells), code)
	}
}

func TestScriptCompiles(t *testing.T) {
	// compile() checks the syntax without writing __pycache__ into the source tree.
	out, err := exec.Command("python3", "-c", "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')", script).CombinedOutput()
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, out)
	}
}

// TestSmokeRunOnCPU trains for two epochs on random images. CI installs Debian's
// python3-torch and sets REQUIRE_TORCH=1, so there it cannot be skipped.
func TestSmokeRunOnCPU(t *testing.T) {
	cmd := exec.Command(testenv.TorchPython(t), "-B", script, "--synthetic", "320", "--epochs", "2", "--sizes", "64,128", "--batch-size", "32")
	cmd.Dir = t.TempDir()
	cmd.Args[2] = mustAbs(t, script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("smoke run: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"device: cpu", "   128 ", "epoch train loss", "    1 ", "    2 "} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if _, err := os.Stat(cmd.Dir + "/data"); err == nil {
		t.Error("--synthetic still downloaded MNIST")
	}
}

func mustAbs(t *testing.T, name string) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd + "/" + name
}
