package runtime_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
	"github.com/onyxml/onyx/testcase"
)

func randT(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.Must(tensor.New(tensor.Float32, shape...))
	for i := range tensor.Data[float32](t) {
		tensor.Data[float32](t)[i] = float32(r.NormFloat64())
	}
	return t
}

// fusableModel has every pattern the optimizer rewrites: Identity, Dropout,
// Conv+BatchNormalization, Conv+Add(residual)+Relu, Conv+Clip, MatMul+Add,
// Gemm+LeakyRelu.
func fusableModel() *ir.Model {
	r := rand.New(rand.NewPCG(1, 2))
	pos := func(n int) *tensor.Tensor {
		t := randT(r, n)
		for i, v := range tensor.Data[float32](t) {
			tensor.Data[float32](t)[i] = v*v + 0.5
		}
		return t
	}
	inits := map[string]*tensor.Tensor{
		"w1": randT(r, 4, 3, 3, 3), "b1": randT(r, 4),
		"s": pos(4), "bb": randT(r, 4), "m": randT(r, 4), "v": pos(4),
		"w2": randT(r, 4, 4, 3, 3), "w3": randT(r, 4, 4, 1, 1),
		"lo": tensor.Scalar(float32(0)), "hi": tensor.Scalar(float32(6)),
		"shape": tensor.Must(tensor.FromSlice([]int64{1, -1}, 2)),
		"fc":    randT(r, 4*5*5, 7), "fcb": randT(r, 7), "g": randT(r, 7, 3),
		"ratio": tensor.Scalar(float32(0.5)),
	}
	node := func(op string, in []string, out string, attrs ...*ir.Attribute) *ir.Node {
		return &ir.Node{OpType: op, Inputs: in, Outputs: []string{out}, Attrs: attrs, Name: out}
	}
	pads := &ir.Attribute{Name: "pads", Type: ir.AttrInts, Ints: []int64{1, 1, 1, 1}}
	g := &ir.Graph{
		Nodes: []*ir.Node{
			node("Identity", []string{"x"}, "x1"),
			node("Conv", []string{"x1", "w1", "b1"}, "c1", pads),
			node("BatchNormalization", []string{"c1", "s", "bb", "m", "v"}, "n1"),
			node("Relu", []string{"n1"}, "r1"),
			node("Conv", []string{"r1", "w2"}, "c2", pads),
			node("Add", []string{"c2", "r1"}, "a2"),
			node("Relu", []string{"a2"}, "r2"),
			node("Conv", []string{"r2", "w3"}, "c3"),
			node("Clip", []string{"c3", "lo", "hi"}, "k3"),
			node("Dropout", []string{"k3", "ratio"}, "d3"),
			node("Reshape", []string{"d3", "shape"}, "f"),
			node("MatMul", []string{"f", "fc"}, "mm"),
			node("Add", []string{"mm", "fcb"}, "fc_out"),
			node("Gemm", []string{"fc_out", "g"}, "gm"),
			node("LeakyRelu", []string{"gm"}, "y", &ir.Attribute{Name: "alpha", Type: ir.AttrFloat, Float: 0.2}),
		},
		Inputs:  []*ir.ValueInfo{{Name: "x", Type: f32Type(1, 3, 5, 5)}},
		Outputs: []*ir.ValueInfo{{Name: "y"}, {Name: "r2"}},
	}
	for name, t := range inits {
		g.Initializers = append(g.Initializers, &ir.Initializer{Name: name, Tensor: t})
	}
	return &ir.Model{IRVersion: 8, OpsetImports: map[string]int64{"": 13}, Graph: g}
}

func TestGraphOptimizationsKeepResults(t *testing.T) {
	m := fusableModel()
	plain, err := runtime.NewSession(m, runtime.WithGraphOptimizations(false))
	if err != nil {
		t.Fatal(err)
	}
	fast, err := runtime.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.Nodes()) != len(m.Graph.Nodes) {
		t.Errorf("without optimizations: %d nodes, want %d", len(plain.Nodes()), len(m.Graph.Nodes))
	}
	ops := map[string]int{}
	for _, n := range fast.Nodes() {
		if !n.Folded {
			ops[n.Node.OpType]++
		}
	}
	// Conv+BN+Relu, Conv+Add+Relu, Conv+Clip -> 3 FusedConv; MatMul+Add -> Gemm,
	// then both Gemms; Gemm+LeakyRelu -> FusedGemm; Reshape stays.
	want := map[string]int{"FusedConv": 3, "Gemm": 1, "FusedGemm": 1, "Reshape": 1}
	for op, c := range want {
		if ops[op] != c {
			t.Errorf("optimized graph has %d %s, want %d (all: %v)", ops[op], op, c, ops)
		}
	}
	if len(ops) != len(want) {
		t.Errorf("optimized graph runs %v, want only %v", ops, want)
	}
	x := randT(rand.New(rand.NewPCG(3, 4)), 1, 3, 5, 5)
	in := map[string]*tensor.Tensor{"x": x}
	a, err := plain.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fast.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"y", "r2"} {
		if _, err := testcase.Compare(b[name], a[name], testcase.Tolerance{Atol: 1e-5, Rtol: 1e-4}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The user's model is untouched.
	if len(m.Graph.Nodes) != 15 || m.Graph.Nodes[1].OpType != "Conv" || len(m.Graph.Nodes[1].Inputs) != 3 || m.Graph.Nodes[1].Inputs[1] != "w1" {
		t.Errorf("the model was modified: %v", m.Graph.Nodes[1])
	}
}
