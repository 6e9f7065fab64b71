package generic

import (
	"fmt"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// Test helpers of the string, random and training kernels' tests.

// w2dEval runs one node of domain/op at opset on the generic kernels (nil
// inputs are omitted ones).
func w2dEval(domain, op string, opset int64, nOut int, in []*tensor.Tensor, attrs ...*ir.Attribute) ([]*tensor.Tensor, error) {
	node := &ir.Node{OpType: op, Domain: domain, Attrs: attrs}
	for i, t := range in {
		name := ""
		if t != nil {
			name = fmt.Sprintf("in%d", i)
		}
		node.Inputs = append(node.Inputs, name)
	}
	for i := range nOut {
		node.Outputs = append(node.Outputs, fmt.Sprintf("out%d", i))
	}
	return ops.Eval(nil, node, opset, in, func(b string) bool { return b == Name })
}

func w2dInt(name string, v int64) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrInt, Int: v}
}

func w2dInts(name string, v ...int64) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrInts, Ints: v}
}

func w2dFloat(name string, v float32) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrFloat, Float: v}
}

func w2dFloats(name string, v ...float32) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrFloats, Floats: v}
}

func w2dStr(name, v string) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrString, String: v}
}

func w2dStrs(name string, v ...string) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrStrings, Strings: v}
}

// w2dT wraps data as a tensor of the given shape (a vector when none).
func w2dT[T tensor.Elem](data []T, shape ...int) *tensor.Tensor {
	if shape == nil {
		shape = []int{len(data)}
	}
	return tensor.Must(tensor.FromSlice(data, shape...))
}

// w2dCheck fails t unless got has the dtype, shape and elements of want.
func w2dCheck[T tensor.Elem](t *testing.T, what string, got *tensor.Tensor, want []T, shape ...int) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no output", what)
	}
	if got.DType() != tensor.DTypeOf[T]() || !tensor.SameShape(got.Shape(), shape) {
		t.Fatalf("%s: got %v%v, want %v%v", what, got.DType(), got.Shape(), tensor.DTypeOf[T](), shape)
	}
	g := tensor.Data[T](got)
	for i := range want {
		if g[i] != want[i] {
			t.Fatalf("%s: got %v, want %v", what, g, want)
		}
	}
}
