package tinymodel_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/handson/qabot/onnxmodel"
	"github.com/intro-aws-go/intro-aws-go/handson/qabot/tokenizer"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv/tinymodel"
)

func TestBaseSizeHasDistilBertCasedVocabulary(t *testing.T) {
	vocab := tinymodel.BaseSize().Vocabulary()
	if len(vocab) != 28996 {
		t.Errorf("vocabulary of %d entries, want 28996", len(vocab))
	}
	seen := map[string]bool{}
	for _, v := range vocab {
		if seen[v] {
			t.Fatalf("%q twice in the vocabulary", v)
		}
		seen[v] = true
	}
	for _, w := range []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "Momotaro", "baby", "##a", "?"} {
		if !seen[w] {
			t.Errorf("%q missing from the vocabulary", w)
		}
	}
}

// logits runs one model of cfg on the course example.
func logits(t *testing.T, cfg tinymodel.Config) []float32 {
	t.Helper()
	dir := t.TempDir()
	if err := tinymodel.Write(dir, cfg); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(filepath.Join(dir, qabot.TokenizerFile))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := tinymodel.RuntimeLibrary()
	if err != nil {
		t.Fatal(err)
	}
	if err := onnxmodel.Init(lib); err != nil {
		t.Fatal(err)
	}
	m, err := onnxmodel.Open(filepath.Join(dir, qabot.ModelFile), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ids := []int64{tok.CLS()}
	for _, tk := range tok.Encode(qabot.ExampleContext) {
		ids = append(ids, tk.ID)
	}
	ids = append(ids, tok.SEP())
	mask := make([]int64, len(ids))
	for i := range mask {
		mask[i] = 1
	}
	start, _, err := m.Logits(ids, mask, nil)
	if err != nil {
		t.Fatal(err)
	}
	return start
}

func TestInt8ModelComputesWhatTheFloatModelDoes(t *testing.T) {
	cfg := tinymodel.Tiny()
	cfg.Hidden, cfg.Heads, cfg.FFN = 64, 4, 128
	f32 := logits(t, cfg)
	cfg.Int8 = true
	i8 := logits(t, cfg)
	// Same weights up to 8-bit rounding: the logits agree closely.
	var dot, nf, ni float64
	for i := range f32 {
		dot += float64(f32[i] * i8[i])
		nf += float64(f32[i] * f32[i])
		ni += float64(i8[i] * i8[i])
	}
	if corr := dot / math.Sqrt(nf*ni); corr < 0.95 {
		t.Errorf("float vs int8 logits: cosine %.3f, want > 0.95\n%v\n%v", corr, f32, i8)
	}
}

func TestInt8ModelIsAQuarterOfTheSize(t *testing.T) {
	sizes := map[bool]int64{}
	for _, int8 := range []bool{false, true} {
		cfg := tinymodel.Tiny()
		cfg.Hidden, cfg.Heads, cfg.FFN, cfg.VocabSize = 128, 4, 512, 4000
		cfg.Int8 = int8
		dir := t.TempDir()
		if err := tinymodel.Write(dir, cfg); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(dir, qabot.ModelFile))
		if err != nil {
			t.Fatal(err)
		}
		sizes[int8] = fi.Size()
	}
	if r := float64(sizes[true]) / float64(sizes[false]); r < 0.24 || r > 0.30 {
		t.Errorf("int8 model is %.2f of the float one, want about a quarter", r)
	}
}
