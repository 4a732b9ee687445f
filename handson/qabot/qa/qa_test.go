package qa

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/handson/qabot/onnxmodel"
	"github.com/intro-aws-go/intro-aws-go/handson/qabot/tokenizer"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv/tinymodel"
)

// load writes a model with cfg and opens it with the real tokenizer and ONNX Runtime.
func load(t testing.TB, cfg tinymodel.Config) *Answerer {
	t.Helper()
	lib, err := tinymodel.RuntimeLibrary()
	if err != nil {
		t.Fatal(err)
	}
	if err := onnxmodel.Init(lib); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := tinymodel.Write(dir, cfg); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(filepath.Join(dir, qabot.TokenizerFile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnxmodel.Open(filepath.Join(dir, qabot.ModelFile), 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return New(tok, m, Options{})
}

// checkSpan fails unless a is a well-formed answer taken from context.
func checkSpan(t *testing.T, context string, a Answer) {
	t.Helper()
	runes := []rune(context)
	if a.Start < 0 || a.End > len(runes) || a.Start >= a.End {
		t.Fatalf("offsets [%d,%d) outside the %d-character context", a.Start, a.End, len(runes))
	}
	if got := string(runes[a.Start:a.End]); got != a.Text {
		t.Errorf("context[%d:%d] = %q, answer = %q", a.Start, a.End, got, a.Text)
	}
	if !(a.Score > 0 && a.Score <= 1) {
		t.Errorf("score %v outside (0,1]", a.Score)
	}
	if strings.TrimSpace(a.Text) != a.Text {
		t.Errorf("answer %q has surrounding spaces", a.Text)
	}
}

var contexts = []string{
	qabot.ExampleContext,
	"The river was wide. A giant peach was flowing, and the old woman picked it up!",
	"Later, she named the baby Momotaro; he grew up strong (and kind).",
	"Café crème à Paris, naïve façade: 桃太郎は桃から生まれた。",
	strings.Repeat("She brought the peach home. ", 120), // several windows
}

func TestRandomWeightsGiveSpansOfTheContext(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		cfg := tinymodel.Tiny()
		cfg.Seed = seed
		cfg.Words = append(cfg.Words, "Café", "crème", "Paris", "桃", "太", "郎", "は", "から", "生", "まれた")
		a := load(t, cfg)
		for _, ctx := range contexts {
			ans, err := a.Answer(qabot.ExampleQuestion, ctx)
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			checkSpan(t, ctx, ans)
			if n := len(strings.Fields(ans.Text)); n > 15 {
				t.Errorf("answer of %d words is longer than 15 tokens: %q", n, ans.Text)
			}
		}
	}
}

func TestConstructedWeightsAnswerMomotaro(t *testing.T) {
	cfg := tinymodel.Tiny()
	cfg.AnswerStart, cfg.AnswerEnd = qabot.ExampleAnswer, qabot.ExampleAnswer
	a := load(t, cfg)
	ans, err := a.Answer(qabot.ExampleQuestion, qabot.ExampleContext)
	if err != nil {
		t.Fatal(err)
	}
	checkSpan(t, qabot.ExampleContext, ans)
	wantStart := len([]rune(qabot.ExampleContext[:strings.Index(qabot.ExampleContext, "Momotaro")]))
	if ans.Text != "Momotaro" || ans.Start != wantStart || ans.End != wantStart+8 {
		t.Errorf("answer %q [%d,%d), want \"Momotaro\" [%d,%d)", ans.Text, ans.Start, ans.End, wantStart, wantStart+8)
	}
	if ans.Score < 0.9 || ans.Windows != 1 {
		t.Errorf("score %.3f (want > 0.9), %d windows (want 1)", ans.Score, ans.Windows)
	}
}

func TestUnicodeOffsetsAreCodePoints(t *testing.T) {
	context := "Ünïcödé façade: Café crème à Paris. 昔々、生まれた子は桃太郎と名付けられた。"
	cases := []struct {
		start, end, want string
		lowercase        bool
	}{
		{"桃", "郎", "桃太郎", false}, // three CJK words, after accented text
		{"crème", "Paris", "crème à Paris", false},
		{"cafe", "cafe", "Café", true}, // uncased: accents stripped for the model, original text returned
	}
	for _, c := range cases {
		cfg := tinymodel.Tiny()
		cfg.Words = append(cfg.Words, "Café", "crème", "à", "Paris", "cafe", "creme", "paris", "桃", "太", "郎", "昔", "々", "子", "は", "と", "名", "付", "から", "生", "まれた", "けられた")
		cfg.AnswerStart, cfg.AnswerEnd, cfg.Lowercase = c.start, c.end, c.lowercase
		a := load(t, cfg)
		ans, err := a.Answer("What is his name?", context)
		if err != nil {
			t.Fatal(err)
		}
		checkSpan(t, context, ans)
		wantStart := strings.Index(context, c.want)
		runeStart := len([]rune(context[:wantStart]))
		if ans.Text != c.want || ans.Start != runeStart || ans.End != runeStart+len([]rune(c.want)) {
			t.Errorf("%s..%s: answer %q [%d,%d), want %q [%d,%d)", c.start, c.end, ans.Text, ans.Start, ans.End,
				c.want, runeStart, runeStart+len([]rune(c.want)))
		}
	}
}

func TestLongContextAnswerInALaterWindow(t *testing.T) {
	cfg := tinymodel.Tiny()
	cfg.AnswerStart, cfg.AnswerEnd = qabot.ExampleAnswer, qabot.ExampleAnswer
	a := load(t, cfg)
	filler := strings.Repeat("She picked it up and brought it home. ", 60) // ~540 tokens
	context := filler + "Later, she named the baby Momotaro. " + filler
	ans, err := a.Answer(qabot.ExampleQuestion, context)
	if err != nil {
		t.Fatal(err)
	}
	checkSpan(t, context, ans)
	wantStart := len([]rune(context[:strings.Index(context, "Momotaro")]))
	if ans.Text != "Momotaro" || ans.Start != wantStart || ans.Windows < 3 {
		t.Errorf("answer %q at %d in %d windows, want Momotaro at %d in at least 3 windows", ans.Text, ans.Start, ans.Windows, wantStart)
	}
}

// --- the pipeline's rules, checked on logits chosen by hand ---

// scripted is a model double: it checks each request and returns fixed logits per
// vocabulary token, so a test decides which span must win.
type scripted struct {
	t          *testing.T
	tok        *tokenizer.Tokenizer
	start, end map[int64]float32 // logit by token id; others 0
	calls      int
}

func (m *scripted) Logits(ids, mask, typeIDs []int64) ([]float32, []float32, error) {
	m.calls++
	if len(ids) > DefaultOptions.MaxSeqLen || ids[0] != m.tok.CLS() || ids[len(ids)-1] != m.tok.SEP() {
		m.t.Errorf("request is not [CLS] ... [SEP] within %d tokens: %v", DefaultOptions.MaxSeqLen, ids)
	}
	seps := 0
	for i, id := range ids {
		if mask[i] != 1 {
			m.t.Errorf("attention mask %v: every real token must be attended", mask)
		}
		if want := int64(min(seps, 1)); typeIDs[i] != want && id != m.tok.SEP() {
			m.t.Errorf("token %d has type id %d, want %d", i, typeIDs[i], want)
		}
		if id == m.tok.SEP() {
			seps++
		}
	}
	if seps != 2 {
		m.t.Errorf("want 2 [SEP] in %v", ids)
	}
	s, e := make([]float32, len(ids)), make([]float32, len(ids))
	for i, id := range ids {
		s[i], e[i] = m.start[id], m.end[id]
	}
	return s, e, nil
}

func scriptedAnswerer(t *testing.T, words []string) (*Answerer, *scripted, func(string) int64) {
	t.Helper()
	dir := t.TempDir()
	cfg := tinymodel.Tiny()
	cfg.Words = append(cfg.Words, words...)
	if err := tinymodel.Write(dir, cfg); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(filepath.Join(dir, qabot.TokenizerFile))
	if err != nil {
		t.Fatal(err)
	}
	m := &scripted{t: t, tok: tok, start: map[int64]float32{}, end: map[int64]float32{}}
	id := func(w string) int64 {
		v, ok := tok.ID(w)
		if !ok {
			t.Fatalf("%q not in vocabulary", w)
		}
		return v
	}
	return New(tok, m, Options{}), m, id
}

func TestQuestionTokensAndCLSNeverAnswer(t *testing.T) {
	a, m, id := scriptedAnswerer(t, []string{"Who", "Taro", "met", "Jiro"})
	// "Who" (question) and [CLS] have the highest logits, but only the context may answer.
	m.start[id("Who")], m.end[id("Who")] = 9, 9
	m.start[a.tok.CLS()], m.end[a.tok.CLS()] = 8, 8
	m.start[id("Jiro")], m.end[id("Jiro")] = 3, 3
	ans, err := a.Answer("Who met Taro?", "Taro met Jiro.")
	if err != nil {
		t.Fatal(err)
	}
	if ans.Text != "Jiro" {
		t.Errorf("answer %q, want Jiro", ans.Text)
	}
	// The score is the pipeline's: softmax over [CLS] and the context tokens, [CLS]
	// then zeroed. Context "Taro met Jiro ." has logits 0 0 3 0, [CLS] has 8.
	z := math.Exp(8) + 3 + math.Exp(3)
	if want := math.Pow(math.Exp(3)/z, 2); math.Abs(ans.Score-want) > 1e-9 {
		t.Errorf("score %.12f, want %.12f", ans.Score, want)
	}
}

func TestAnswerIsAtMostFifteenTokens(t *testing.T) {
	a, m, id := scriptedAnswerer(t, []string{"alpha", "omega", "mid"})
	m.start[id("alpha")], m.end[id("omega")], m.end[id("mid")] = 5, 5, 4
	// alpha … omega is 17 tokens apart: too long; the best allowed end is "mid".
	context := "alpha " + strings.Repeat("x ", 7) + "mid " + strings.Repeat("x ", 7) + "omega"
	ans, err := a.Answer("What?", context)
	if err != nil {
		t.Fatal(err)
	}
	if want := "alpha " + strings.Repeat("x ", 7) + "mid"; ans.Text != want {
		t.Errorf("answer %q, want %q", ans.Text, want)
	}
}

func TestSpanIsWidenedToWholeWords(t *testing.T) {
	a, m, id := scriptedAnswerer(t, []string{"Kin", "##taro"})
	// The best start is inside the word (##taro): the answer is the whole word.
	m.start[id("##taro")], m.end[id("##taro")] = 6, 6
	context := "She named the baby Kintaro."
	ans, err := a.Answer("Name?", context)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Text != "Kintaro" || ans.Start != 19 || ans.End != 26 {
		t.Errorf("answer %q [%d,%d), want Kintaro [19,26)", ans.Text, ans.Start, ans.End)
	}
}

func TestWindowsOverlapByDocStride(t *testing.T) {
	a, m, _ := scriptedAnswerer(t, nil)
	var words []string
	for i := 0; i < 1000; i++ {
		words = append(words, string(rune('a'+i%26)))
	}
	context := strings.Join(words, " ") // 1000 one-token words
	question := "What is the name of the baby"
	windows, err := a.Windows(question, context)
	if err != nil {
		t.Fatal(err)
	}
	q := len(a.tok.Encode(question))
	perWindow := DefaultOptions.MaxSeqLen - q - 3
	step := perWindow - DefaultOptions.DocStride
	want := (1000-perWindow+step-1)/step + 1
	if len(windows) != want {
		t.Fatalf("%d windows, want %d", len(windows), want)
	}
	covered := 0
	for i, w := range windows {
		if len(w.IDs) > DefaultOptions.MaxSeqLen {
			t.Errorf("window %d has %d tokens", i, len(w.IDs))
		}
		first := w.Context[0].Start / 2 // word index: one letter and one space per word
		if first != i*step {
			t.Errorf("window %d starts at word %d, want %d", i, first, i*step)
		}
		covered = w.Context[len(w.Context)-1].End
	}
	if covered != len(context) {
		t.Errorf("windows end at %d, context has %d characters: the tail is ignored", covered, len(context))
	}
	if _, err := a.Answer(question, context); err != nil {
		t.Fatal(err)
	}
	if m.calls != want {
		t.Errorf("model called %d times for %d windows", m.calls, want)
	}
}

func TestBestWindowWins(t *testing.T) {
	a, m, id := scriptedAnswerer(t, []string{"weak", "strong"})
	m.start[id("weak")], m.end[id("weak")] = 2, 2
	m.start[id("strong")], m.end[id("strong")] = 4, 4
	filler := strings.Repeat("x ", 500)
	context := "weak " + filler + "strong " + filler
	ans, err := a.Answer("Which?", context)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Text != "strong" || ans.Windows < 2 {
		t.Errorf("answer %q over %d windows, want strong from a later window", ans.Text, ans.Windows)
	}
}

func TestBadInputsAreExplained(t *testing.T) {
	a, _, _ := scriptedAnswerer(t, nil)
	long := strings.Repeat("why ", 300)
	for _, c := range []struct{ q, ctx, want string }{
		{"", "text", "question is empty"},
		{"why", "  \n", "context is empty"},
		{"why", "\u200b\u200b", "no words"},
		{long, strings.Repeat("x ", 400), "question is too long"},
	} {
		_, err := a.Answer(c.q, c.ctx)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Answer(%.20q, %.20q) = %v, want %q", c.q, c.ctx, err, c.want)
		}
	}
}

func TestAnswerNeverSplitsAWord(t *testing.T) {
	a := load(t, tinymodel.Tiny())
	for i, ctx := range contexts {
		ans, err := a.Answer(fmt.Sprintf("Question %d?", i), ctx)
		if err != nil {
			t.Fatal(err)
		}
		runes := []rune(ctx)
		isWordChar := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
		if ans.Start > 0 && isWordChar(runes[ans.Start-1]) && isWordChar(runes[ans.Start]) && !cjk(runes[ans.Start]) {
			t.Errorf("answer %q starts inside a word of %q", ans.Text, ctx)
		}
		if ans.End < len(runes) && isWordChar(runes[ans.End-1]) && isWordChar(runes[ans.End]) && !cjk(runes[ans.End-1]) && !cjk(runes[ans.End]) {
			t.Errorf("answer %q ends inside a word of %q", ans.Text, ctx)
		}
	}
}

func cjk(r rune) bool { return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) }
