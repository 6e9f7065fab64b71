package ops

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/onyxml/onyx/ir"
)

// Test helpers shared by the schema tests of this package.

// testInfer validates a node of domain/op at opset with nOut outputs and
// inputs in (a TypeShape with Absent set leaves that input out) and runs
// its inference. A missing schema is an error wrapping ErrUnsupportedOp.
func testInfer(domain, op string, opset int64, nOut int, in []TypeShape, attrs ...*ir.Attribute) ([]TypeShape, error) {
	s := LookupSchema(domain, op, opset)
	if s == nil {
		return nil, fmt.Errorf("%w: no schema for %s.%s at opset %d", ErrUnsupportedOp, domain, op, opset)
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

// testShape parses "N,3,?,224": ints are known dims, ? unknown, names
// symbolic; "*" is an unknown rank (nil) and "" a scalar.
func testShape(s string) ir.Shape {
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

func attrInt(name string, v int64) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrInt, Int: v}
}

func attrInts(name string, v ...int64) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrInts, Ints: v}
}

func attrFloat(name string, v float32) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrFloat, Float: v}
}

func attrStr(name, v string) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrString, String: v}
}

func attrStrs(name string, v ...string) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrStrings, Strings: v}
}

// testWant fails t unless got has want's dtype and shape.
func testWant(t *testing.T, what string, got TypeShape, want TypeShape) {
	t.Helper()
	if got.DType != want.DType || (got.Shape == nil) != (want.Shape == nil) || got.Shape.String() != want.Shape.String() {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}
