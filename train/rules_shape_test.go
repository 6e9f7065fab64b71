package train

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// TestGradShapeOps checks Reshape, Flatten, Squeeze, Unsqueeze, Transpose,
// Concat, Split and Expand, at opsets with axes as attributes and as
// inputs, with static and symbolic shapes.
func TestGradShapeOps(t *testing.T) {
	i64 := func(v ...int64) *tensor.Tensor { return tensor.Must(tensor.FromSlice(v, len(v))) }
	cases := []struct {
		name  string
		opset int64
		build func(b *grGraph, x string) string
	}{
		{"reshape", 13, func(b *grGraph, x string) string { return b.op("Reshape", []string{x, b.init("s", i64(6, -1))}) }},
		{"flatten", 13, func(b *grGraph, x string) string { return b.op("Flatten", []string{x}, attrInt("axis", 2)) }},
		{"squeeze-11", 11, func(b *grGraph, x string) string {
			return b.op("Squeeze", []string{b.op("Unsqueeze", []string{x}, attrInts("axes", 0, 3))}, attrInts("axes", 3))
		}},
		{"squeeze-13", 13, func(b *grGraph, x string) string {
			return b.op("Squeeze", []string{b.op("Unsqueeze", []string{x, b.init("a", i64(1))}), b.init("a2", i64(1))})
		}},
		{"transpose", 13, func(b *grGraph, x string) string { return b.op("Transpose", []string{x}, attrInts("perm", 1, 2, 0)) }},
		{"transpose-default", 13, func(b *grGraph, x string) string { return b.op("Transpose", []string{x}) }},
		{"concat", 13, func(b *grGraph, x string) string {
			return b.op("Concat", []string{x, b.op("Exp", []string{x}), b.init("c", b.rand(-1, 1, 2, 1, 4))}, attrInt("axis", 1))
		}},
		{"concat-11", 11, func(b *grGraph, x string) string {
			return b.op("Concat", []string{b.op("Neg", []string{x}), x}, attrInt("axis", -1))
		}},
		{"split", 13, func(b *grGraph, x string) string {
			b.node("Split", []string{x, b.init("sp", i64(1, 2))}, []string{"s0", "s1"}, attrInt("axis", 1))
			return "s1" // s0 gets no gradient: zeros are concatenated
		}},
		{"split-both", 11, func(b *grGraph, x string) string {
			b.node("Split", []string{x}, []string{"s0", "s1"}, attrInt("axis", 2), attrInts("split", 3, 1))
			return b.op("Mul", []string{"s0", b.op("Exp", []string{"s1"})})
		}},
		{"expand", 13, func(b *grGraph, x string) string {
			return b.op("Expand", []string{b.op("Unsqueeze", []string{x, b.init("a", i64(0))}), b.init("s", i64(2, 1, 1, 1))})
		}},
	}
	for _, tc := range cases {
		for _, sym := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/sym=%v", tc.name, sym), func(t *testing.T) {
				b := newGrGraph(tc.opset)
				in := b.input
				if sym {
					in = b.symInput
				}
				y := tc.build(b, in("x", b.rand(-1, 1, 2, 3, 4)))
				grCheck(t, b, b.weightedLoss(t, y), []string{"x"}, 1e-6, 1e-5)
			})
		}
	}
}

// TestGradReduce checks ReduceSum and ReduceMean over chosen axes
// (negative ones too) and all axes, with and without keepdims, at opsets
// with axes as an attribute and as an input, and noop_with_empty_axes.
func TestGradReduce(t *testing.T) {
	for _, op := range []string{"ReduceSum", "ReduceMean"} {
		for _, opset := range []int64{11, 18} {
			for _, axes := range [][]int64{nil, {1}, {0, -1}, {2, 0}} {
				for _, keep := range []int64{0, 1} {
					t.Run(fmt.Sprintf("%s/opset%d/axes%v/keep%d", op, opset, axes, keep), func(t *testing.T) {
						b := newGrGraph(opset)
						x := b.input("x", b.rand(-1, 1, 2, 3, 4))
						var y string
						switch {
						case axes == nil:
							y = b.op(op, []string{x}, attrInt("keepdims", keep))
						case opset >= 18 || op == "ReduceSum" && opset >= 13:
							y = b.op(op, []string{x, b.init("axes", tensor.Must(tensor.FromSlice(axes, len(axes))))}, attrInt("keepdims", keep))
						default:
							y = b.op(op, []string{x}, attrInts("axes", axes...), attrInt("keepdims", keep))
						}
						grCheck(t, b, b.weightedLoss(t, y), []string{"x"}, 1e-6, 1e-5)
					})
				}
			}
		}
	}
	t.Run("noop", func(t *testing.T) {
		b := newGrGraph(18)
		y := b.op("ReduceSum", []string{b.input("x", b.rand(-1, 1, 2, 3))}, attrInt("noop_with_empty_axes", 1))
		grCheck(t, b, b.weightedLoss(t, y), []string{"x"}, 1e-6, 1e-5)
	})
	t.Run("symbolic-mean", func(t *testing.T) {
		b := newGrGraph(13)
		y := b.op("ReduceMean", []string{b.symInput("x", b.rand(-1, 1, 2, 3, 4))}, attrInts("axes", 1, 2), attrInt("keepdims", 0))
		grCheck(t, b, b.weightedLoss(t, y), []string{"x"}, 1e-6, 1e-5)
	})
}

// TestGradReuseAndStops checks that the gradients of a value used several
// times add up, that integer shape arithmetic and Constant outputs carry
// no gradient, that an intermediate value can be differentiated with
// respect to, and that a value the loss does not depend on gets zeros.
func TestGradReuseAndStops(t *testing.T) {
	b := newGrGraph(13)
	x := b.input("x", b.rand(0.5, 1.5, 2, 3))
	w := b.init("w", b.rand(-1, 1, 3))
	unused := b.init("unused", b.rand(-1, 1, 4))
	b.output(b.op("Neg", []string{unused}))
	h := b.op("Mul", []string{x, w})                            // x and w used again below
	h2 := b.op("Add", []string{h, b.op("Mul", []string{h, x})}) // h used twice
	shape := b.op("Shape", []string{h2})                        // integer path
	c := b.op("Constant", nil, &ir.Attribute{Name: "value", Type: ir.AttrTensor, Tensor: tensor.Scalar(2.0)})
	r := b.op("Reshape", []string{b.op("Mul", []string{h2, c}), shape})
	y := b.op("Add", []string{r, b.op("Log", []string{x})})
	loss := b.weightedLoss(t, y)
	nInit, nOut := len(b.m.Graph.Initializers), len(b.m.Graph.Outputs)
	res := grCheck(t, b, loss, []string{"x", "w", h, "unused"}, 1e-6, 1e-5)
	s, err := runtime.NewSession(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	feeds := map[string]*tensor.Tensor{"x": b.feeds["x"]}
	for k, v := range res.Params {
		feeds[k] = v
	}
	out := grRun(t, s, feeds)
	g, _ := out[res.Grad("unused")].Float64s()
	for _, v := range g {
		if v != 0 {
			t.Fatalf("gradient of an unused value: %v", g)
		}
	}
	if res.Grad("nope") != "" {
		t.Errorf("Grad of a value not differentiated")
	}
	// The forward outputs come first, unchanged.
	if got := res.Model.Graph.Outputs[0].Name; got != b.m.Graph.Outputs[0].Name {
		t.Errorf("first output %q, want %q", got, b.m.Graph.Outputs[0].Name)
	}
	// The input model is not modified.
	if len(b.m.Graph.Initializers) != nInit || len(b.m.Graph.Outputs) != nOut {
		t.Errorf("Backward modified its input model: %d initializers, %d outputs", len(b.m.Graph.Initializers), len(b.m.Graph.Outputs))
	}
}

// TestGradSeed checks a non-scalar y with an explicit seed gradient given
// as a new graph input, and KeepInitializers.
func TestGradSeed(t *testing.T) {
	b := newGrGraph(13)
	x := b.input("x", b.rand(-1, 1, 2, 3))
	w := b.init("w", b.rand(-1, 1, 3, 2))
	y := b.op("MatMul", []string{x, w})
	b.output(y)
	res, err := Backward(b.m, y, []string{"x", "w"}, &Options{Seed: "dy", KeepInitializers: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Seed != "dy" || len(res.Params) != 0 {
		t.Fatalf("Seed %q, Params %v", res.Seed, res.Params)
	}
	s, err := runtime.NewSession(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	dy := b.rand(-1, 1, 2, 2)
	out := grRun(t, s, map[string]*tensor.Tensor{"x": b.feeds["x"], "dy": dy})
	// dx = dy @ w^T, dw = x^T @ dy, by hand.
	xv, wv, dv := tensor.Data[float64](b.feeds["x"]), tensor.Data[float64](b.m.Graph.Initializers[0].Tensor), tensor.Data[float64](dy)
	gx, gw := tensor.Data[float64](out[res.Grads[0]]), tensor.Data[float64](out[res.Grads[1]])
	for i := range 2 {
		for k := range 3 {
			var sx float64
			for j := range 2 {
				sx += dv[i*2+j] * wv[k*2+j]
			}
			if d := sx - gx[i*3+k]; d > 1e-12 || d < -1e-12 {
				t.Errorf("dx[%d,%d] = %v, want %v", i, k, gx[i*3+k], sx)
			}
		}
	}
	for k := range 3 {
		for j := range 2 {
			var sw float64
			for n := range 2 {
				sw += xv[n*3+k] * dv[n*2+j]
			}
			if d := sw - gw[k*2+j]; d > 1e-12 || d < -1e-12 {
				t.Errorf("dw[%d,%d] = %v, want %v", k, j, gw[k*2+j], sw)
			}
		}
	}
}

// TestGradErrors checks that bad requests and ops without rules give
// clear errors, never panics.
func TestGradErrors(t *testing.T) {
	mk := func() (*grGraph, string) {
		b := newGrGraph(13)
		x := b.input("x", b.rand(-1, 1, 2, 3))
		y := b.op("Erf", []string{x})
		y = b.op("ReduceSum", []string{y}, attrInt("keepdims", 0))
		b.output(y)
		return b, y
	}
	b, y := mk()
	_, err := Backward(b.m, y, []string{"x"}, nil)
	if !errors.Is(err, ErrNoGradient) || !strings.Contains(err.Error(), "Erf") {
		t.Errorf("no rule: %v", err)
	}
	// An op of unknown type on the path (no schema here): an error too,
	// not a silently zero gradient.
	b2 := newGrGraph(13)
	b2.m.OpsetImports["com.example"] = 1
	b2.m.Graph.Nodes = append(b2.m.Graph.Nodes, &ir.Node{OpType: "Mystery", Domain: "com.example",
		Inputs: []string{b2.input("x", b2.rand(-1, 1, 2))}, Outputs: []string{"m"}})
	y2 := b2.op("ReduceSum", []string{"m"}, attrInt("keepdims", 0))
	if _, err := Backward(b2.m, y2, []string{"x"}, nil); !errors.Is(err, ErrNoGradient) || !strings.Contains(err.Error(), "Mystery") {
		t.Errorf("op of unknown type: %v", err)
	}
	for name, f := range map[string]func() error{
		"unknown y":     func() error { _, err := Backward(b.m, "nope", []string{"x"}, nil); return err },
		"unknown wrt":   func() error { _, err := Backward(b.m, y, []string{"nope"}, nil); return err },
		"empty wrt":     func() error { _, err := Backward(b.m, y, nil, nil); return err },
		"duplicate wrt": func() error { _, err := Backward(b.m, y, []string{"x", "x"}, nil); return err },
		"nil model":     func() error { _, err := Backward(nil, y, []string{"x"}, nil); return err },
		"int wrt":       func() error { _, err := Backward(b.m, y, []string{b.op("Shape", []string{"x"})}, nil); return err },
		"int y":         func() error { _, err := Backward(b.m, b.op("Shape", []string{"x"}), []string{"x"}, nil); return err },
		"old opset": func() error {
			b2, y2 := mk()
			b2.m.OpsetImports[""] = 8
			_, err := Backward(b2.m, y2, []string{"x"}, nil)
			return err
		},
		"cycle": func() error {
			b2, y2 := mk()
			b2.node("Neg", []string{"c2"}, []string{"c1"})
			b2.node("Neg", []string{"c1"}, []string{"c2"})
			_, err := Backward(b2.m, y2, []string{"x"}, nil)
			return err
		},
		"log_prob grad":  func() error { return grBuildErr("SoftmaxCrossEntropyLoss-log_prob") },
		"loss weights":   func() error { return grBuildErr("loss-weights") },
		"bn mean (eval)": func() error { return grBuildErr("bn-mean") },
		"reduce axes":    func() error { return grBuildErr("reduce-dynamic-axes") },
	} {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		} else if !errors.Is(err, ErrInvalidGraph) && !errors.Is(err, ErrNoGradient) {
			t.Errorf("%s: %v does not wrap ErrInvalidGraph or ErrNoGradient", name, err)
		}
	}
}

// grBuildErr builds a graph that Backward must refuse and returns its
// error.
func grBuildErr(kind string) error {
	b := newGrGraph(15)
	x := b.input("x", b.rand(-1, 1, 4, 3))
	var y string
	wrt := []string{"x"}
	switch kind {
	case "SoftmaxCrossEntropyLoss-log_prob":
		b.node("SoftmaxCrossEntropyLoss", []string{x, b.input("l", tensor.Must(tensor.New(tensor.Int64, 4)))}, []string{"loss", "lp"})
		y = b.op("ReduceSum", []string{b.op("Add", []string{"lp", "loss"})}, attrInt("keepdims", 0))
	case "loss-weights":
		w := b.input("w", b.rand(1, 2, 3))
		y = b.op("NegativeLogLikelihoodLoss", []string{x, b.input("l", tensor.Must(tensor.New(tensor.Int64, 4))), w})
		wrt = append(wrt, w)
	case "bn-mean":
		m := b.input("m", b.rand(1, 2, 3))
		y = b.op("BatchNormalization", []string{x, b.init("s", b.rand(1, 2, 3)), b.init("b", b.rand(1, 2, 3)), m, b.init("v", b.rand(1, 2, 3))})
		y = b.op("ReduceSum", []string{y}, attrInt("keepdims", 0))
		wrt = append(wrt, m)
	case "reduce-dynamic-axes":
		y = b.op("ReduceSum", []string{x, b.input("axes", tensor.Must(tensor.FromSlice([]int64{0}, 1)))}, attrInt("keepdims", 0))
		y = b.op("ReduceSum", []string{y}, attrInt("keepdims", 0))
	}
	b.output(y)
	_, err := Backward(b.m, y, wrt, nil)
	return err
}
