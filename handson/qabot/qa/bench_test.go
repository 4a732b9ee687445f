package qa

// The worker's per-question time against onnxruntime-node's on the same model file
// and the same input ids, measured in the same command (make bench):
//
//	ratio = (tokenize + encode windows + ONNX Runtime run + span decoding, in Go)
//	        ÷ (one session.run in Node.js with the runtime's own binding)
//
// on a model of distilbert-base-cased's size (random weights), with one intra-op
// thread on both sides (the task definition gives the worker one thread too).

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intro-aws-go/intro-aws-go/internal/project"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/handson/qabot/onnxmodel"
	"github.com/intro-aws-go/intro-aws-go/handson/qabot/tokenizer"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv/tinymodel"
)

const benchThreads = 1

// baseModels are written once per test binary: float32 and int8 variants.
var baseModels = struct {
	sync.Mutex
	dirs map[bool]string
}{dirs: map[bool]string{}}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range baseModels.dirs {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// baseModel writes (once) a model of distilbert-base-cased's size.
func baseModel(b *testing.B, int8 bool) string {
	b.Helper()
	baseModels.Lock()
	defer baseModels.Unlock()
	if dir, ok := baseModels.dirs[int8]; ok {
		return dir
	}
	dir, err := os.MkdirTemp("", "qabot-base-model-")
	if err != nil {
		b.Fatal(err)
	}
	baseModels.dirs[int8] = dir
	cfg := tinymodel.BaseSize()
	cfg.Int8 = int8
	if err := tinymodel.Write(dir, cfg); err != nil {
		b.Fatal(err)
	}
	return dir
}

// contextOfLength returns a context that makes exactly total tokens with question.
func contextOfLength(b *testing.B, tok *tokenizer.Tokenizer, question string, total int) string {
	b.Helper()
	words := strings.Fields(strings.Repeat(qabot.ExampleContext+" ", 40))
	q := len(tok.Encode(question))
	n := 0
	for ; n < len(words) && q+len(tok.Encode(strings.Join(words[:n+1], " ")))+3 <= total; n++ {
	}
	ctx := strings.Join(words[:n], " ")
	for q+len(tok.Encode(ctx))+3 < total {
		ctx += " ."
	}
	if got := q + len(tok.Encode(ctx)) + 3; got != total {
		b.Fatalf("built a %d-token input, want %d", got, total)
	}
	return ctx
}

func BenchmarkWorkerVsOnnxruntimeNode(b *testing.B) {
	for _, variant := range []struct {
		name string
		int8 bool
	}{{"fp32", false}, {"int8", true}} {
		b.Run(variant.name, func(b *testing.B) { benchmarkVsNode(b, baseModel(b, variant.int8)) })
	}
}

func benchmarkVsNode(b *testing.B, dir string) {
	lib, err := tinymodel.RuntimeLibrary()
	if err != nil {
		b.Fatal(err)
	}
	if err := onnxmodel.Init(lib); err != nil {
		b.Fatal(err)
	}
	tok, err := tokenizer.Load(filepath.Join(dir, qabot.TokenizerFile))
	if err != nil {
		b.Fatal(err)
	}
	modelPath := filepath.Join(dir, qabot.ModelFile)
	m, err := onnxmodel.Open(modelPath, benchThreads)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	a := New(tok, m, Options{})

	cases := []struct{ name, context string }{
		{"course-example", qabot.ExampleContext},
		{"384-tokens", contextOfLength(b, tok, qabot.ExampleQuestion, 384)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			windows, err := a.Windows(qabot.ExampleQuestion, c.context)
			if err != nil || len(windows) != 1 {
				b.Fatalf("want one window: %d, %v", len(windows), err)
			}
			answer := func(n int) float64 {
				start := time.Now()
				for i := 0; i < n; i++ {
					if _, err := a.Answer(qabot.ExampleQuestion, c.context); err != nil {
						b.Fatal(err)
					}
				}
				return float64(time.Since(start).Nanoseconds()) / float64(n)
			}
			node := startNode(b, modelPath, windows[0].IDs)
			answer(3) // warm up both sides
			node(3)
			b.ResetTimer()
			answer(b.N)
			b.StopTimer()

			// The ratio: rounds alternate between Go and Node.js so both see the same
			// load (the machine is shared); the median round of each side counts.
			var goRounds, nodeRounds []float64
			for r := 0; r < benchRounds; r++ {
				goRounds = append(goRounds, answer(benchRoundSize))
				nodeRounds = append(nodeRounds, node(benchRoundSize))
			}
			goNs, nodeNs := median(goRounds), median(nodeRounds)
			b.ReportMetric(float64(len(windows[0].IDs)), "tokens")
			b.ReportMetric(goNs, "go-ns/question")
			b.ReportMetric(nodeNs, "node-ns/run")
			b.ReportMetric(goNs/nodeNs, "go/node")
		})
	}
}

const (
	benchRounds    = 7
	benchRoundSize = 5
)

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// startNode starts testdata/ortnode_bench.js on the same model and ids, and returns
// a function that runs n inferences there and gives the mean time per run.
func startNode(b *testing.B, model string, ids []int64) func(n int) float64 {
	b.Helper()
	in, err := json.Marshal(map[string]any{"model": model, "ids": ids, "threads": benchThreads})
	if err != nil {
		b.Fatal(err)
	}
	input := filepath.Join(b.TempDir(), "input.json")
	if err := os.WriteFile(input, in, 0o644); err != nil {
		b.Fatal(err)
	}
	root, err := project.Root()
	if err != nil {
		b.Fatal(err)
	}
	script, _ := filepath.Abs(filepath.Join("testdata", "ortnode_bench.js"))
	cmd := exec.Command("node", script, input)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(root, project.TestToolsDir, "node_modules"))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	type reply struct {
		Ready  bool    `json:"ready"`
		MeanNs float64 `json:"mean_ns"`
	}
	read := func() reply {
		if !lines.Scan() {
			b.Fatalf("onnxruntime-node baseline stopped (run make test-setup): %v", lines.Err())
		}
		var res reply
		if err := json.Unmarshal(lines.Bytes(), &res); err != nil {
			b.Fatalf("onnxruntime-node baseline printed %q", lines.Text())
		}
		return res
	}
	if !read().Ready {
		b.Fatal("onnxruntime-node baseline did not start")
	}
	return func(n int) float64 {
		fmt.Fprintln(stdin, n)
		return read().MeanNs
	}
}
