// Package tinymodel writes DistilBERT-shaped question-answering models and their
// WordPiece tokenizer.json for tests and benchmarks, where the real
// distilbert-base-cased-distilled-squad cannot be downloaded. The graph has the
// inputs and outputs of the Xenova ONNX export the worker runs in AWS (input_ids and
// attention_mask in, start_logits and end_logits out) and its layers (embeddings,
// multi-head self-attention, GELU feed-forward, layer norms, a 2-way span head), so
// the worker's real loading and answering code runs on it unchanged.
//
// Weights are random (seeded), or constructed so that one span must win: with
// Config.AnswerStart / AnswerEnd set, the attention and feed-forward outputs are
// zeroed so each token's final state is its own normalized embedding, and only the
// chosen tokens carry the features the span head reads.
//
// How another package's test runs the worker binary on such a model (this is what
// handson/qabot/worker's tests do; cmd/runtask's end-to-end tests can do the same):
//
//	dir := t.TempDir()
//	cfg := tinymodel.Tiny()
//	cfg.AnswerStart, cfg.AnswerEnd = qabot.ExampleAnswer, qabot.ExampleAnswer
//	if err := tinymodel.Write(dir, cfg); err != nil { t.Fatal(err) }
//	lib, err := tinymodel.RuntimeLibrary() // testtools/node_modules/onnxruntime-node, after `make test-setup`
//	bin := filepath.Join(t.TempDir(), "qabot-worker")
//	exec.Command("go", "build", "-o", bin, "github.com/intro-aws-go/intro-aws-go/handson/qabot/worker").Run()
//	moto := testenv.StartMoto(t) // create the table with partition key item_id, put the items
//	cmd := exec.Command(bin)
//	cmd.Env = append(moto.Env(), "TABLE_NAME=...", "ITEM_IDS=id1,id2", "MODEL_DIR="+dir, "ORT_LIBRARY_PATH="+lib)
//
// (the variable names are the qabot.Env* constants). The worker exits 0 when every
// item is done, 1 when any failed (each failed item says why), 2 on a bad environment.
package tinymodel

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
)

// Config describes the model and vocabulary to write.
type Config struct {
	Layers, Hidden, Heads, FFN int
	MaxPositions               int // position embeddings; the worker's windows are at most 384 tokens
	// VocabSize pads the vocabulary with generated entries up to this size; 0 keeps
	// just what is needed. BERT-cased's is 28996.
	VocabSize int
	// Words are whole-word vocabulary entries, added after the special tokens and
	// every printable ASCII character with its ##-continuation.
	Words []string
	Seed  uint64
	// AnswerStart and AnswerEnd, when set, are vocabulary entries: every occurrence
	// gets a high start (resp. end) logit and every other token a low one, so the
	// span from an AnswerStart token to the next AnswerEnd token wins.
	AnswerStart, AnswerEnd string
	// Lowercase writes an uncased tokenizer (lowercase, accents stripped).
	Lowercase bool
	// Int8 stores the embeddings and the weights of every matrix product as 8-bit
	// integers, as ONNX Runtime's dynamic quantization does for the
	// model_quantized.onnx the image ships: uint8 embedding tables followed by
	// DequantizeLinear, and DynamicQuantizeLinear → MatMulInteger → Cast → Mul for
	// the products. A quarter of the size of the float model.
	Int8 bool
}

// CourseWords are the words of the course's example question and context.
var CourseWords = strings.Fields(strings.NewReplacer(".", " ", ",", " ", "?", " ").Replace(qabot.ExampleContext + " " + qabot.ExampleQuestion))

// Tiny is a two-layer model of width 32 that loads and runs in milliseconds.
func Tiny() Config {
	return Config{Layers: 2, Hidden: 32, Heads: 4, FFN: 64, MaxPositions: 512, Words: CourseWords, Seed: 1}
}

// BaseSize has the dimensions of distilbert-base-cased-distilled-squad (6 layers,
// hidden 768, 12 heads, feed-forward 3072, 512 positions, vocabulary 28996): the
// same work per question, with random weights. It is about 260 MB on disk.
func BaseSize() Config {
	return Config{Layers: 6, Hidden: 768, Heads: 12, FFN: 3072, MaxPositions: 512, VocabSize: 28996, Words: CourseWords, Seed: 1}
}

var specialTokens = []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}

// Vocabulary returns the vocabulary the config describes, in id order.
func (c Config) Vocabulary() []string {
	seen := map[string]bool{}
	var vocab []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			vocab = append(vocab, s)
		}
	}
	for _, s := range specialTokens {
		add(s)
	}
	for r := rune(33); r < 127; r++ {
		add(string(r))
	}
	for r := rune(33); r < 127; r++ {
		add("##" + string(r))
	}
	for _, w := range c.Words {
		add(w)
	}
	for i := 0; len(vocab) < c.VocabSize; i++ {
		add(fmt.Sprintf("##gen%05d", i))
	}
	return vocab
}

// Write writes qabot.ModelFile and qabot.TokenizerFile into dir.
func Write(dir string, c Config) error {
	if c.Hidden%c.Heads != 0 || c.Layers < 1 || c.Hidden < 4 {
		return fmt.Errorf("tinymodel: bad shape %+v", c)
	}
	vocab := c.Vocabulary()
	ids := map[string]int{}
	for i, v := range vocab {
		ids[v] = i
	}
	for _, w := range []string{c.AnswerStart, c.AnswerEnd} {
		if _, ok := ids[w]; w != "" && !ok {
			return fmt.Errorf("tinymodel: answer token %q is not in the vocabulary", w)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := WriteTokenizer(filepath.Join(dir, qabot.TokenizerFile), vocab, c.Lowercase); err != nil {
		return err
	}
	g := c.build(vocab, ids)
	return g.writeModel(filepath.Join(dir, qabot.ModelFile), "distilbert_qa")
}

// build makes the graph: the layers of DistilBertForQuestionAnswering.
func (c Config) build(vocab []string, ids map[string]int) *graph {
	rng := rand.New(rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15))
	constructed := c.AnswerStart != "" || c.AnswerEnd != ""
	H, F, V := int64(c.Hidden), int64(c.FFN), int64(len(vocab))
	dh := H / int64(c.Heads)

	random := func(n int64) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = float32(rng.NormFloat64() * 0.02)
		}
		return out
	}
	zeros := func(n int64) []float32 { return make([]float32, n) }
	ones := func(n int64) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = 1
		}
		return out
	}
	// discarded returns weights whose product is thrown away in the constructed model.
	discarded := func(n int64) []float32 {
		if constructed {
			return zeros(n)
		}
		return random(n)
	}

	g := &graph{}
	g.input("input_ids", onnxInt64, "batch_size", "sequence_length")
	g.input("attention_mask", onnxInt64, "batch_size", "sequence_length")

	// Embeddings: word + position, then LayerNorm.
	wordEmb := random(V * H)
	if constructed {
		for t := int64(0); t < V; t++ {
			wordEmb[t*H], wordEmb[t*H+1] = 0, 0
		}
		if c.AnswerStart != "" {
			wordEmb[int64(ids[c.AnswerStart])*H] = 1
		}
		if c.AnswerEnd != "" {
			wordEmb[int64(ids[c.AnswerEnd])*H+1] = 1
		}
	}
	embedding := func(name string, rows int64, table []float32, indices string) string {
		if !c.Int8 {
			return g.node("Gather", []string{g.floats(name, []int64{rows, H}, table), indices})
		}
		q, scale, zero := quantize(table)
		rowsQ := g.node("Gather", []string{g.uint8s(name+"_quantized", []int64{rows, H}, q...), indices})
		return g.node("DequantizeLinear", []string{rowsQ, g.floats(name+"_scale", nil, []float32{scale}), g.uint8s(name+"_zero_point", nil, zero)})
	}
	words := embedding("word_embeddings", V, wordEmb, "input_ids")
	shape := g.node("Shape", []string{"input_ids"})
	seqLen := g.node("Gather", []string{shape, g.ints("one", nil, 1)})
	positions := g.node("Range", []string{g.ints("zero", nil, 0), seqLen, "one"})
	posEmb := embedding("position_embeddings", int64(c.MaxPositions), discarded(int64(c.MaxPositions)*H), positions)
	layerNorm := func(x, name string) string {
		return g.node("LayerNormalization", []string{x, g.floats(name+".weight", []int64{H}, ones(H)), g.floats(name+".bias", []int64{H}, zeros(H))},
			intAttr("axis", -1), floatAttr("epsilon", 1e-12))
	}
	x := layerNorm(g.node("Add", []string{words, posEmb}), "embeddings.LayerNorm")

	// Attention mask → additive bias [batch, 1, 1, seq]: 0 where attended, -10000 elsewhere.
	mask := g.node("Cast", []string{"attention_mask"}, intAttr("to", onnxFloat))
	mask = g.node("Unsqueeze", []string{mask, g.ints("mask_axes", []int64{2}, 1, 2)})
	maskBias := g.node("Mul", []string{
		g.node("Sub", []string{g.floats("one_f", nil, []float32{1}), mask}),
		g.floats("mask_value", nil, []float32{-10000}),
	})

	headsShape := g.ints("heads_shape", []int64{4}, 0, 0, int64(c.Heads), dh)
	hiddenShape := g.ints("hidden_shape", []int64{3}, 0, 0, H)
	linear := func(in, name string, inDim, outDim int64, w []float32, b []float32) string {
		var product string
		if c.Int8 {
			xq := g.nodeN("DynamicQuantizeLinear", []string{in}, 3) // uint8 x, scale, zero point
			wq, scale, zero := quantize(w)
			acc := g.node("MatMulInteger", []string{xq[0], g.uint8s(name+".weight_quantized", []int64{inDim, outDim}, wq...), xq[2], g.uint8s(name+".weight_zero_point", nil, zero)})
			scales := g.node("Mul", []string{xq[1], g.floats(name+".weight_scale", nil, []float32{scale})})
			product = g.node("Mul", []string{g.node("Cast", []string{acc}, intAttr("to", onnxFloat)), scales})
		} else {
			product = g.node("MatMul", []string{in, g.floats(name+".weight", []int64{inDim, outDim}, w)})
		}
		return g.node("Add", []string{product, g.floats(name+".bias", []int64{outDim}, b)})
	}
	for l := 0; l < c.Layers; l++ {
		p := fmt.Sprintf("layer.%d.", l)
		split := func(name string, perm ...int64) string {
			y := linear(x, p+"attention."+name, H, H, random(H*H), zeros(H))
			return g.node("Transpose", []string{g.node("Reshape", []string{y, headsShape})}, intsAttr("perm", perm...))
		}
		q := split("q_lin", 0, 2, 1, 3) // [b, heads, seq, dh]
		k := split("k_lin", 0, 2, 3, 1) // [b, heads, dh, seq]
		v := split("v_lin", 0, 2, 1, 3)
		scores := g.node("Mul", []string{g.node("MatMul", []string{q, k}), g.floats(p+"scale", nil, []float32{float32(1 / math.Sqrt(float64(dh)))})})
		probs := g.node("Softmax", []string{g.node("Add", []string{scores, maskBias})}, intAttr("axis", -1))
		ctx := g.node("Transpose", []string{g.node("MatMul", []string{probs, v})}, intsAttr("perm", 0, 2, 1, 3))
		ctx = g.node("Reshape", []string{ctx, hiddenShape})
		attnOut := linear(ctx, p+"attention.out_lin", H, H, discarded(H*H), zeros(H))
		x = layerNorm(g.node("Add", []string{attnOut, x}), p+"sa_layer_norm")

		// Feed-forward with exact (erf) GELU: 0.5·h·(1 + erf(h/√2)).
		h := linear(x, p+"ffn.lin1", H, F, random(H*F), zeros(F))
		erf := g.node("Erf", []string{g.node("Div", []string{h, g.floats(p+"sqrt2", nil, []float32{float32(math.Sqrt2)})})})
		gelu := g.node("Mul", []string{g.node("Mul", []string{h, g.node("Add", []string{erf, "one_f"})}), g.floats(p+"half", nil, []float32{0.5})})
		ffnOut := linear(gelu, p+"ffn.lin2", F, H, discarded(F*H), zeros(H))
		x = layerNorm(g.node("Add", []string{ffnOut, x}), p+"output_layer_norm")
	}

	// Span head: two logits per token.
	qaWeight := random(H * 2)
	if constructed {
		qaWeight = zeros(H * 2)
		qaWeight[0*2+0] = 20 // start logit reads feature 0
		qaWeight[1*2+1] = 20 // end logit reads feature 1
	}
	logits := linear(x, "qa_outputs", H, 2, qaWeight, zeros(2))
	halves := g.nodeN("Split", []string{logits, g.ints("split", []int64{2}, 1, 1)}, 2, intAttr("axis", -1))
	last := g.ints("last_axis", []int64{1}, -1)
	g.output("start_logits", g.node("Squeeze", []string{halves[0], last}), "batch_size", "sequence_length")
	g.output("end_logits", g.node("Squeeze", []string{halves[1], last}), "batch_size", "sequence_length")
	return g
}

// WriteTokenizer writes a tokenizer.json in the form Hugging Face saves for BERT:
// BertNormalizer (clean_text, handle_chinese_chars, strip_accents null = follow
// lowercase), BertPreTokenizer, WordPiece with [UNK] and ##, the special tokens as
// added tokens. vocab is in id order and must hold the special tokens.
func WriteTokenizer(path string, vocab []string, lowercase bool) error {
	ids := make(map[string]int, len(vocab))
	for i, v := range vocab {
		ids[v] = i
	}
	var added []map[string]any
	for _, s := range specialTokens {
		added = append(added, map[string]any{
			"id": ids[s], "content": s, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true,
		})
	}
	special := func(s string) map[string]any {
		return map[string]any{"id": s, "ids": []int{ids[s]}, "tokens": []string{s}}
	}
	seq := func(id string, typeID int) map[string]any {
		return map[string]any{"Sequence": map[string]any{"id": id, "type_id": typeID}}
	}
	tok := func(id string, typeID int) map[string]any {
		return map[string]any{"SpecialToken": map[string]any{"id": id, "type_id": typeID}}
	}
	var stripAccents any // null: follow lowercase, as BERT does
	doc := map[string]any{
		"version":      "1.0",
		"truncation":   nil,
		"padding":      nil,
		"added_tokens": added,
		"normalizer": map[string]any{
			"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
			"strip_accents": stripAccents, "lowercase": lowercase,
		},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{
			"type":           "TemplateProcessing",
			"single":         []any{tok("[CLS]", 0), seq("A", 0), tok("[SEP]", 0)},
			"pair":           []any{tok("[CLS]", 0), seq("A", 0), tok("[SEP]", 0), seq("B", 1), tok("[SEP]", 1)},
			"special_tokens": map[string]any{"[CLS]": special("[CLS]"), "[SEP]": special("[SEP]")},
		},
		"decoder": map[string]any{"type": "WordPiece", "prefix": "##", "cleanup": true},
		"model": map[string]any{
			"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
			"max_input_chars_per_word": 100, "vocab": ids,
		},
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// quantize maps floats to uint8 with one scale and zero point (asymmetric, per tensor).
func quantize(data []float32) (q []byte, scale float32, zero byte) {
	lo, hi := float32(0), float32(0)
	for _, v := range data {
		lo, hi = min(lo, v), max(hi, v)
	}
	scale = (hi - lo) / 255
	if scale == 0 {
		scale = 1
	}
	zero = byte(math.Round(float64(-lo / scale)))
	q = make([]byte, len(data))
	for i, v := range data {
		q[i] = byte(min(255, max(0, math.Round(float64(v/scale))+float64(zero))))
	}
	return q, scale, zero
}
