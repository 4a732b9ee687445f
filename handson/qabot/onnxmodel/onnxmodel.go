// Package onnxmodel runs an extractive question-answering model (an ONNX export of a
// BERT-family ...ForQuestionAnswering model) through ONNX Runtime's C API, loaded at
// run time from a shared library (github.com/yalue/onnxruntime_go).
package onnxmodel

import (
	"errors"
	"fmt"
	"os"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

var (
	initMu  sync.Mutex
	initLib string
)

// Init loads ONNX Runtime from the shared library at libPath, once per process.
func Init(libPath string) error {
	initMu.Lock()
	defer initMu.Unlock()
	if initLib != "" {
		if initLib != libPath {
			return fmt.Errorf("ONNX Runtime already loaded from %s, cannot load %s too", initLib, libPath)
		}
		return nil
	}
	if _, err := os.Stat(libPath); err != nil {
		return fmt.Errorf("ONNX Runtime library: %w", err)
	}
	ort.SetSharedLibraryPath(libPath)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("ONNX Runtime library %s: %w", libPath, err)
	}
	initLib = libPath
	return nil
}

// Session is one loaded model. It is not safe for concurrent use.
type Session struct {
	s       *ort.DynamicAdvancedSession
	typeIDs bool // the model takes token_type_ids (BERT does, DistilBERT does not)
}

const (
	inputIDs      = "input_ids"
	attentionMask = "attention_mask"
	tokenTypeIDs  = "token_type_ids"
	startLogits   = "start_logits"
	endLogits     = "end_logits"
)

// Open loads the model at path. threads is ONNX Runtime's intra-op thread count
// (0: its default, one per core). Init must have succeeded.
func Open(path string, threads int) (*Session, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	inputs, outputs, err := readSignature(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	have := map[string]uint64{}
	for _, in := range inputs {
		have[in.name] = in.elemType
	}
	names := []string{inputIDs, attentionMask}
	for _, n := range names {
		if t, ok := have[n]; !ok || t != elemInt64 {
			return nil, fmt.Errorf("model %s: inputs are %v, want int64 input_ids and attention_mask (a question-answering export)", path, inputs)
		}
	}
	_, typeIDs := have[tokenTypeIDs]
	if typeIDs {
		names = append(names, tokenTypeIDs)
	}
	if len(inputs) != len(names) {
		return nil, fmt.Errorf("model %s: unexpected inputs %v", path, inputs)
	}
	outs := map[string]bool{}
	for _, o := range outputs {
		outs[o.name] = o.elemType == elemFloat
	}
	if !outs[startLogits] || !outs[endLogits] {
		return nil, fmt.Errorf("model %s: outputs are %v, want float start_logits and end_logits (a question-answering export)", path, outputs)
	}

	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	// Threads of ONNX Runtime's intra-op pool spin while they wait for work by default;
	// on a fractional vCPU (0.25 on Fargate) the spinning burns the CPU quota the
	// computing thread needs. Measured at 0.25 vCPU with the default thread count (two
	// on a 2-vCPU host): session creation took 146 ms of CPU with spinning, 115 ms
	// without (make bench-coldstart). With one thread there is no pool and no change.
	if err := opts.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
		return nil, err
	}
	if threads > 0 {
		if err := opts.SetIntraOpNumThreads(threads); err != nil {
			return nil, err
		}
	}
	s, err := ort.NewDynamicAdvancedSession(path, names, []string{startLogits, endLogits}, opts)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	return &Session{s: s, typeIDs: typeIDs}, nil
}

// Logits runs one sequence (batch of one) and returns a start and an end logit per
// token. typeIDs is used only by models that take token_type_ids.
func (m *Session) Logits(ids, mask, typeIDs []int64) (start, end []float32, err error) {
	n := int64(len(ids))
	if n == 0 || len(mask) != len(ids) || (m.typeIDs && len(typeIDs) != len(ids)) {
		return nil, nil, errors.New("model: inputs of different lengths")
	}
	shape := ort.NewShape(1, n)
	feeds := [][]int64{ids, mask}
	if m.typeIDs {
		feeds = append(feeds, typeIDs)
	}
	inputs := make([]ort.Value, len(feeds))
	for i, data := range feeds {
		t, err := ort.NewTensor(shape, data)
		if err != nil {
			destroy(inputs)
			return nil, nil, err
		}
		inputs[i] = t
	}
	defer destroy(inputs)
	outputs := []ort.Value{nil, nil}
	if err := m.s.Run(inputs, outputs); err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	defer destroy(outputs)
	var logits [2][]float32
	for i, o := range outputs {
		t, ok := o.(*ort.Tensor[float32])
		if !ok || len(t.GetData()) != int(n) {
			return nil, nil, fmt.Errorf("model: output %d is %v, want %d float logits", i, o.GetShape(), n)
		}
		logits[i] = append([]float32(nil), t.GetData()...)
	}
	return logits[0], logits[1], nil
}

// Close frees the session.
func (m *Session) Close() error { return m.s.Destroy() }

func destroy(values []ort.Value) {
	for _, v := range values {
		if v != nil {
			v.Destroy()
		}
	}
}
