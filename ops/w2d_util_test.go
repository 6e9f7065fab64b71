package ops

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/onyxml/onyx/ir"
)

// Test helpers of the string, random and training schemas' tests.

// w2dInfer validates a node of domain/op at opset with nOut outputs and
// inputs in (Absent: omitted) and runs its inference.
func w2dInfer(domain, op string, opset int64, nOut int, in []TypeShape, attrs ...*ir.Attribute) ([]TypeShape, error) {
	s := LookupSchema(domain, op, opset)
	if s == nil {
		return nil, fmt.Errorf("no schema for %s.%s at opset %d", domain, op, opset)
	}
	node := &ir.Node{OpType: op, Domain: domain, Attrs: attrs}
	for i, t := range in {
		name := "x" + strconv.Itoa(i)
		if t.Absent {
			name = ""
		}
		node.Inputs = append(node.Inputs, name)
	}
	for i := range nOut {
		node.Outputs = append(node.Outputs, "y"+strconv.Itoa(i))
	}
	n := &Node{Node: node, Schema: s, Opset: opset, In: in}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return s.Infer(n)
}

// w2dShape parses "N,3,?": ints are known dims, ? unknown, names symbolic;
// "*" is an unknown rank (nil) and "" a scalar.
func w2dShape(s string) ir.Shape {
	if s == "*" {
		return nil
	}
	out := ir.Shape{}
	if s == "" {
		return out
	}
	for _, f := range strings.Split(s, ",") {
		switch v, err := strconv.Atoi(f); {
		case f == "?":
			out = append(out, ir.UnknownDim)
		case err == nil:
			out = append(out, ir.DimOf(int64(v)))
		default:
			out = append(out, ir.SymDim(f))
		}
	}
	return out
}

// w2dWant fails t unless got is dt with shape (in w2dShape's notation).
func w2dWant(t *testing.T, what string, got TypeShape, want TypeShape) {
	t.Helper()
	if got.DType != want.DType || (got.Shape == nil) != (want.Shape == nil) || got.Shape.String() != want.Shape.String() {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func w2dAInt(name string, v int64) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrInt, Int: v}
}

func w2dAInts(name string, v ...int64) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrInts, Ints: v}
}

func w2dAFloat(name string, v float32) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrFloat, Float: v}
}

func w2dAStr(name, v string) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrString, String: v}
}

func w2dAStrs(name string, v ...string) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrStrings, Strings: v}
}
