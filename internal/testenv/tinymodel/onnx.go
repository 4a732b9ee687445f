package tinymodel

// A minimal ONNX writer: just enough of the protobuf encoding of onnx.proto
// (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto, AttributeProto) to
// write a transformer graph with its weights. Field numbers are those of onnx.proto.

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// pb appends protobuf fields.
type pb []byte

func (b pb) tag(field, wire int) pb { return binary.AppendUvarint(b, uint64(field<<3|wire)) }

func (b pb) varint(field int, v int64) pb {
	return binary.AppendUvarint(b.tag(field, 0), uint64(v))
}

func (b pb) bytes(field int, data []byte) pb {
	b = binary.AppendUvarint(b.tag(field, 2), uint64(len(data)))
	return append(b, data...)
}

func (b pb) str(field int, s string) pb { return b.bytes(field, []byte(s)) }

func (b pb) float(field int, f float32) pb {
	return binary.LittleEndian.AppendUint32(b.tag(field, 5), math.Float32bits(f))
}

// ONNX TensorProto data types and AttributeProto types used here.
const (
	onnxFloat = 1
	onnxUint8 = 2
	onnxInt64 = 7

	attrFloat = 1
	attrInt   = 2
	attrInts  = 7
)

// graph collects the encoded parts of a GraphProto.
type graph struct {
	nodes   [][]byte
	inits   [][]byte
	inputs  [][]byte
	outputs [][]byte
	count   int
}

// attribute encodings for node().
func intAttr(name string, v int64) []byte {
	return pb(nil).str(1, name).varint(20, attrInt).varint(3, v)
}

func floatAttr(name string, v float32) []byte {
	return pb(nil).str(1, name).varint(20, attrFloat).float(2, v)
}

func intsAttr(name string, vs ...int64) []byte {
	b := pb(nil).str(1, name).varint(20, attrInts)
	for _, v := range vs {
		b = b.varint(8, v)
	}
	return b
}

// node adds one operator with a single output and returns the output's name.
func (g *graph) node(op string, inputs []string, attrs ...[]byte) string {
	return g.nodeN(op, inputs, 1, attrs...)[0]
}

// nodeN adds one operator with n outputs.
func (g *graph) nodeN(op string, inputs []string, n int, attrs ...[]byte) []string {
	g.count++
	b := pb(nil)
	for _, in := range inputs {
		b = b.str(1, in)
	}
	outs := make([]string, n)
	for i := range outs {
		outs[i] = fmt.Sprintf("%s_%d_out%d", op, g.count, i)
		b = b.str(2, outs[i])
	}
	b = b.str(3, fmt.Sprintf("%s_%d", op, g.count)).str(4, op)
	for _, a := range attrs {
		b = b.bytes(5, a)
	}
	g.nodes = append(g.nodes, b)
	return outs
}

// output declares a graph output named name, computed by from.
func (g *graph) output(name, from string, dims ...string) {
	g.nodes = append(g.nodes, pb(nil).str(1, from).str(2, name).str(3, "output_"+name).str(4, "Identity"))
	g.outputs = append(g.outputs, valueInfo(name, onnxFloat, dims))
}

func (g *graph) input(name string, elemType int64, dims ...string) {
	g.inputs = append(g.inputs, valueInfo(name, elemType, dims))
}

func valueInfo(name string, elemType int64, dims []string) []byte {
	shape := pb(nil)
	for _, d := range dims {
		shape = shape.bytes(1, pb(nil).str(2, d))
	}
	tensorType := pb(nil).varint(1, elemType).bytes(2, shape)
	return pb(nil).str(1, name).bytes(2, pb(nil).bytes(1, tensorType))
}

// floats adds a float32 initializer and returns its name.
func (g *graph) floats(name string, dims []int64, data []float32) string {
	raw := make([]byte, 4*len(data))
	for i, f := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	return g.initializer(name, onnxFloat, dims, raw)
}

// ints adds an int64 initializer (a scalar when dims is empty).
func (g *graph) ints(name string, dims []int64, data ...int64) string {
	raw := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	return g.initializer(name, onnxInt64, dims, raw)
}

// uint8s adds a uint8 initializer (a scalar when dims is empty).
func (g *graph) uint8s(name string, dims []int64, data ...byte) string {
	return g.initializer(name, onnxUint8, dims, data)
}

func (g *graph) initializer(name string, dataType int64, dims []int64, raw []byte) string {
	b := pb(nil)
	for _, d := range dims {
		b = b.varint(1, d)
	}
	b = b.varint(2, dataType).str(8, name).bytes(9, raw)
	g.inits = append(g.inits, b)
	return name
}

// writeModel writes a ModelProto (IR version 8, default domain opset 17) holding the
// graph. Parts are streamed: a base-sized model is a quarter of a gigabyte.
func (g *graph) writeModel(path, graphName string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	header := pb(nil).varint(1, 8).str(2, "intro-aws-go tinymodel").
		bytes(8, pb(nil).str(1, "").varint(2, 17))

	// GraphProto fields in order: node (1), name (2), initializer (5), input (11), output (12).
	type part struct {
		field int
		data  []byte
	}
	var parts []part
	for _, n := range g.nodes {
		parts = append(parts, part{1, n})
	}
	parts = append(parts, part{2, []byte(graphName)})
	for _, t := range g.inits {
		parts = append(parts, part{5, t})
	}
	for _, v := range g.inputs {
		parts = append(parts, part{11, v})
	}
	for _, v := range g.outputs {
		parts = append(parts, part{12, v})
	}
	var size uint64
	for _, p := range parts {
		size += uint64(len(pb(nil).tag(p.field, 2))) + uint64(len(binary.AppendUvarint(nil, uint64(len(p.data))))) + uint64(len(p.data))
	}
	err = writeAll(w, header, binary.AppendUvarint(pb(nil).tag(7, 2), size))
	for _, p := range parts {
		if err != nil {
			break
		}
		err = writeAll(w, binary.AppendUvarint(pb(nil).tag(p.field, 2), uint64(len(p.data))), p.data)
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func writeAll(w io.Writer, chunks ...[]byte) error {
	for _, c := range chunks {
		if _, err := w.Write(c); err != nil {
			return err
		}
	}
	return nil
}
