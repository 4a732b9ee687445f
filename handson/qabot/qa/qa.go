// Package qa answers a question from a context with an extractive model, with the
// semantics of the Hugging Face question-answering pipeline (the course's worker
// called `pipeline("question-answering")`):
//
//   - the pair is encoded as [CLS] question [SEP] context [SEP]; a context too long
//     for one max-length window is split into overlapping windows (doc stride), as
//     the fast tokenizer's truncation="only_second" with return_overflowing_tokens;
//   - per window, start and end logits are turned into probabilities with a softmax
//     over the context tokens (and [CLS], which is then zeroed);
//   - the best span has start ≤ end, at most MaxAnswerLen tokens, and the highest
//     start × end probability; its score is that product;
//   - the span is widened to whole words and mapped back to the original text, in
//     code points (as Python string indices);
//   - the best span over all windows wins.
package qa

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/intro-aws-go/intro-aws-go/handson/qabot/tokenizer"
)

// Model gives a start and an end logit per token of one encoded sequence.
type Model interface {
	Logits(ids, mask, typeIDs []int64) (start, end []float32, err error)
}

// Options are the pipeline's parameters.
type Options struct {
	MaxSeqLen    int // tokens per window, special tokens included (pipeline: min(model max, 384))
	DocStride    int // tokens shared by consecutive windows (pipeline: 128)
	MaxAnswerLen int // longest answer in tokens (pipeline: 15)
}

// DefaultOptions are the pipeline's defaults for DistilBERT.
var DefaultOptions = Options{MaxSeqLen: 384, DocStride: 128, MaxAnswerLen: 15}

// Answer is the best span of the context.
type Answer struct {
	Text  string
	Score float64 // start × end probability, in (0, 1]
	// Start and End delimit Text in the context, in code points: Text ==
	// string([]rune(context)[Start:End]).
	Start, End int
	// Windows is how many windows the context was split into.
	Windows int
}

// Answerer answers questions with one tokenizer and model.
type Answerer struct {
	tok   *tokenizer.Tokenizer
	model Model
	opt   Options
}

// New returns an Answerer; zero fields of opt take DefaultOptions' values.
func New(tok *tokenizer.Tokenizer, model Model, opt Options) *Answerer {
	if opt.MaxSeqLen == 0 {
		opt.MaxSeqLen = DefaultOptions.MaxSeqLen
	}
	if opt.DocStride == 0 {
		opt.DocStride = DefaultOptions.DocStride
	}
	if opt.MaxAnswerLen == 0 {
		opt.MaxAnswerLen = DefaultOptions.MaxAnswerLen
	}
	return &Answerer{tok: tok, model: model, opt: opt}
}

// Window is one encoded model input.
type Window struct {
	IDs, Mask, TypeIDs []int64
	// Context are the context tokens of this window; they sit at positions
	// ContextAt, ContextAt+1, ... of IDs.
	Context   []tokenizer.Token
	ContextAt int
}

// Windows encodes the pair and splits the context into windows.
func (a *Answerer) Windows(question, context string) ([]Window, error) {
	if strings.TrimSpace(question) == "" {
		return nil, errors.New("the question is empty")
	}
	if strings.TrimSpace(context) == "" {
		return nil, errors.New("the context is empty")
	}
	q := a.tok.Encode(question)
	c := a.tok.Encode(context)
	if len(q) == 0 || len(c) == 0 {
		return nil, errors.New("the question or the context has no words the tokenizer can read")
	}
	maxCtx := a.opt.MaxSeqLen - len(q) - 3
	if len(c) > maxCtx && maxCtx <= a.opt.DocStride {
		return nil, fmt.Errorf("the question is too long (%d tokens): with a long context it must leave more than %d of the %d tokens of a window to the context; shorten the question",
			len(q), a.opt.DocStride, a.opt.MaxSeqLen)
	}
	var spans [][2]int
	if len(c) <= maxCtx {
		spans = [][2]int{{0, len(c)}}
	} else {
		for start := 0; ; start += maxCtx - a.opt.DocStride {
			end := min(start+maxCtx, len(c))
			spans = append(spans, [2]int{start, end})
			if end == len(c) {
				break
			}
		}
	}
	windows := make([]Window, 0, len(spans))
	for _, sp := range spans {
		n := len(q) + (sp[1] - sp[0]) + 3
		w := Window{IDs: make([]int64, 0, n), Mask: make([]int64, n), TypeIDs: make([]int64, n), Context: c[sp[0]:sp[1]], ContextAt: len(q) + 2}
		w.IDs = append(w.IDs, a.tok.CLS())
		for _, t := range q {
			w.IDs = append(w.IDs, t.ID)
		}
		w.IDs = append(w.IDs, a.tok.SEP())
		for _, t := range w.Context {
			w.IDs = append(w.IDs, t.ID)
		}
		w.IDs = append(w.IDs, a.tok.SEP())
		for i := range w.Mask {
			w.Mask[i] = 1
			if i >= w.ContextAt {
				w.TypeIDs[i] = 1
			}
		}
		windows = append(windows, w)
	}
	return windows, nil
}

// Answer finds the best span of context for question.
func (a *Answerer) Answer(question, context string) (Answer, error) {
	windows, err := a.Windows(question, context)
	if err != nil {
		return Answer{}, err
	}
	best := Answer{Score: -1, Windows: len(windows)}
	for _, w := range windows {
		startLogits, endLogits, err := a.model.Logits(w.IDs, w.Mask, w.TypeIDs)
		if err != nil {
			return Answer{}, err
		}
		if len(startLogits) != len(w.IDs) || len(endLogits) != len(w.IDs) {
			return Answer{}, fmt.Errorf("model gave %d/%d logits for %d tokens", len(startLogits), len(endLogits), len(w.IDs))
		}
		s, e, score := a.bestSpan(w, startLogits, endLogits)
		if score > best.Score {
			best.Score = score
			best.Start, best.End = wordSpan(w.Context, s, e)
		}
	}
	if best.Score <= 0 || math.IsNaN(best.Score) {
		return Answer{}, errors.New("the model found no answer (all span scores are zero)")
	}
	best.Text = string([]rune(context)[best.Start:best.End])
	return best, nil
}

// bestSpan returns the highest-scoring span of the window as indices into w.Context.
func (a *Answerer) bestSpan(w Window, startLogits, endLogits []float32) (s, e int, score float64) {
	n := len(w.IDs)
	wanted := func(i int) bool { return i == 0 || (i >= w.ContextAt && i < w.ContextAt+len(w.Context)) }
	probs := func(logits []float32) []float64 {
		p := make([]float64, n)
		maxv := math.Inf(-1)
		for i := range p {
			p[i] = -10000
			if wanted(i) {
				p[i] = float64(logits[i])
			}
			maxv = math.Max(maxv, p[i])
		}
		var sum float64
		for i := range p {
			p[i] = math.Exp(p[i] - maxv)
			sum += p[i]
		}
		for i := range p {
			p[i] /= sum
		}
		p[0] = 0 // [CLS] takes part in the softmax but is never an answer
		return p
	}
	ps, pe := probs(startLogits), probs(endLogits)
	score = -1
	for i := range w.Context {
		for j := i; j < len(w.Context) && j-i < a.opt.MaxAnswerLen; j++ {
			if v := ps[w.ContextAt+i] * pe[w.ContextAt+j]; v > score {
				s, e, score = i, j, v
			}
		}
	}
	return s, e, score
}

// wordSpan widens tokens s..e to the whole words they belong to (within the window)
// and returns the span in code points of the original text.
func wordSpan(tokens []tokenizer.Token, s, e int) (start, end int) {
	start, end = tokens[s].Start, tokens[e].End
	for _, t := range tokens {
		if t.Word == tokens[s].Word && t.Start < start {
			start = t.Start
		}
		if t.Word == tokens[e].Word && t.End > end {
			end = t.End
		}
	}
	return start, end
}
