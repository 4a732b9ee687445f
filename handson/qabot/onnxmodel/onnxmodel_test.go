package onnxmodel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv/tinymodel"
)

func initORT(t *testing.T) {
	t.Helper()
	lib, err := tinymodel.RuntimeLibrary()
	if err != nil {
		t.Fatal(err)
	}
	if err := Init(lib); err != nil {
		t.Fatal(err)
	}
}

func TestLogitsOfTinyModel(t *testing.T) {
	initORT(t)
	dir := t.TempDir()
	if err := tinymodel.Write(dir, tinymodel.Tiny()); err != nil {
		t.Fatal(err)
	}
	m, err := Open(filepath.Join(dir, qabot.ModelFile), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ids := []int64{2, 10, 11, 12, 3, 20, 21, 3}
	mask := []int64{1, 1, 1, 1, 1, 1, 1, 1}
	start, end, err := m.Logits(ids, mask, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(start) != len(ids) || len(end) != len(ids) {
		t.Fatalf("got %d/%d logits for %d tokens", len(start), len(end), len(ids))
	}
	distinct := map[float32]bool{}
	for _, v := range start {
		distinct[v] = true
	}
	if len(distinct) < 2 {
		t.Errorf("start logits all equal: %v", start)
	}
	// The same input gives the same logits; masking a token changes the others.
	again, _, _ := m.Logits(ids, mask, nil)
	masked, _, _ := m.Logits(ids, []int64{1, 1, 1, 1, 1, 1, 1, 0}, nil)
	if again[1] != start[1] {
		t.Errorf("not deterministic: %v vs %v", again[1], start[1])
	}
	if masked[1] == start[1] {
		t.Errorf("attention mask ignored: logit %v unchanged", masked[1])
	}
}

func TestOpenRefusesWhatIsNotAQuestionAnsweringModel(t *testing.T) {
	initORT(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.onnx")
	os.WriteFile(garbage, []byte("this is not a model"), 0o644)
	truncated := filepath.Join(dir, "truncated.onnx")
	if err := tinymodel.Write(dir, tinymodel.Tiny()); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, qabot.ModelFile))
	os.WriteFile(truncated, data[:len(data)/2], 0o644)
	for path, want := range map[string]string{
		filepath.Join(dir, "missing.onnx"): "no such file",
		garbage:                            "not an ONNX model",
		truncated:                          "not an ONNX model",
	} {
		_, err := Open(path, 1)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%s) = %v, want an error with %q", filepath.Base(path), err, want)
		}
	}
}
