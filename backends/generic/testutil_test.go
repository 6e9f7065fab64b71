package generic

import (
	"context"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// Test helpers shared by the kernel tests of this package.

// evalNode runs one node of domain/op at opset with nOut outputs on the
// generic kernels (nil inputs are omitted ones; see nnNode).
func evalNode(domain, op string, opset int64, nOut int, in []*tensor.Tensor, attrs ...*ir.Attribute) ([]*tensor.Tensor, error) {
	present := make([]bool, len(in))
	for i, x := range in {
		present[i] = x != nil
	}
	n := nnNode(op, present, nOut, attrs...)
	n.Domain = domain
	return ops.Eval(context.Background(), n, opset, in, func(b string) bool { return b == Name })
}

// mustEval is evalNode of a default-domain op that fails the test on error.
func mustEval(t *testing.T, op string, opset int64, nOut int, in []*tensor.Tensor, attrs ...*ir.Attribute) []*tensor.Tensor {
	t.Helper()
	out, err := evalNode("", op, opset, nOut, in, attrs...)
	if err != nil {
		t.Fatalf("%s opset %d: %v", op, opset, err)
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

func attrFloats(name string, v ...float32) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrFloats, Floats: v}
}

func attrStr(name, v string) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrString, String: v}
}

func attrStrs(name string, v ...string) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrStrings, Strings: v}
}

func attrTensor(name string, v *tensor.Tensor) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrTensor, Tensor: v}
}

// genericKernel infers n's outputs from n.In and builds its generic
// kernel, failing the test on error.
func genericKernel(t *testing.T, n *ops.Node) ops.Kernel {
	t.Helper()
	out, err := n.Schema.Infer(n)
	if err != nil {
		t.Fatalf("%s: infer: %v", n.Node.OpType, err)
	}
	n.Out = out
	k, _, err := ops.SelectKernel(n, func(b string) bool { return b == Name })
	if err != nil {
		t.Fatalf("%s: %v", n.Node.OpType, err)
	}
	return k
}
