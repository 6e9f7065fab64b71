package train

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// grGradientNode appends an ai.onnx.preview.training Gradient node.
func grGradientNode(b *grGraph, xs, zs []string, y string, outs []string) {
	b.m.OpsetImports[ops.TrainingDomain] = 1
	attrs := []*ir.Attribute{{Name: "xs", Type: ir.AttrStrings, Strings: xs}, {Name: "y", Type: ir.AttrString, String: y}}
	if zs != nil {
		attrs = append(attrs, &ir.Attribute{Name: "zs", Type: ir.AttrStrings, Strings: zs})
	}
	b.m.Graph.Nodes = append(b.m.Graph.Nodes, &ir.Node{Name: "grad", OpType: "Gradient", Domain: ops.TrainingDomain,
		Inputs: append(append([]string(nil), xs...), zs...), Outputs: outs, Attrs: attrs})
	for _, o := range outs {
		if o != "" {
			b.output(o)
		}
	}
}

// TestGradientOperator runs the Gradient operator of Operators.md's
// example (W -> Conv -> H -> Gemm -> Y with X and Z) and checks its
// outputs against Backward's, for xs = [W, Z] with zs = [X], for an
// intermediate xs = [H, Z], with an omitted output, and against its inputs
// rather than the graph's values.
func TestGradientOperator(t *testing.T) {
	build := func() *grGraph {
		b := newGrGraph(13)
		b.input("X", b.rand(-1, 1, 1, 2, 4, 4))
		b.input("W", b.rand(-1, 1, 3, 2, 3, 3))
		b.input("Z", b.rand(-1, 1, 12, 2))
		h := b.op("Conv", []string{"X", "W"})
		b.node("Flatten", []string{h}, []string{"H"})
		b.node("Gemm", []string{"H", "Z"}, []string{"Y0"})
		b.node("ReduceSum", []string{b.op("Tanh", []string{"Y0"})}, []string{"Y"}, attrInt("keepdims", 0))
		b.output("Y")
		return b
	}
	want := func(b *grGraph, wrt []string, feeds map[string]*tensor.Tensor) map[string]*tensor.Tensor {
		res, err := Backward(b.m, "Y", wrt, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := runtime.NewSession(res.Model)
		if err != nil {
			t.Fatal(err)
		}
		out := grRun(t, s, feeds)
		g := map[string]*tensor.Tensor{}
		for i, w := range wrt {
			g[w] = out[res.Grads[i]]
		}
		return g
	}
	near := func(what string, got, want *tensor.Tensor) {
		t.Helper()
		a, _ := got.Float64s()
		c, _ := want.Float64s()
		if len(a) != len(c) || !tensor.SameShape(got.Shape(), want.Shape()) {
			t.Fatalf("%s: shape %v, want %v", what, got.Shape(), want.Shape())
		}
		for i := range a {
			if math.Abs(a[i]-c[i]) > 1e-12 {
				t.Fatalf("%s[%d] = %v, want %v", what, i, a[i], c[i])
			}
		}
	}

	t.Run("xs-zs", func(t *testing.T) {
		b := build()
		w := want(b, []string{"W", "Z"}, b.feeds)
		grGradientNode(b, []string{"W", "Z"}, []string{"X"}, "Y", []string{"dW", "dZ"})
		s, err := runtime.NewSession(b.m)
		if err != nil {
			t.Fatal(err)
		}
		out := grRun(t, s, b.feeds)
		near("dY/dW", out["dW"], w["W"])
		near("dY/dZ", out["dZ"], w["Z"])
	})
	t.Run("intermediate-and-omitted", func(t *testing.T) {
		b := build()
		// dY/dH at the graph's H: cut the graph at H, feed H.
		grGradientNode(b, []string{"H", "Z"}, nil, "Y", []string{"dH", ""})
		s, err := runtime.NewSession(b.m)
		if err != nil {
			t.Fatal(err)
		}
		b.m.Graph.Outputs = append(b.m.Graph.Outputs, &ir.ValueInfo{Name: "H"})
		s2, err := runtime.NewSession(b.m)
		if err != nil {
			t.Fatal(err)
		}
		hv := grRun(t, s2, b.feeds)["H"]
		out := grRun(t, s, b.feeds)
		cut := newGrGraph(13)
		cut.input("H", hv)
		cut.input("Z", b.feeds["Z"])
		cut.node("Gemm", []string{"H", "Z"}, []string{"Y0"})
		cut.node("ReduceSum", []string{cut.op("Tanh", []string{"Y0"})}, []string{"Y"}, attrInt("keepdims", 0))
		near("dY/dH", out["dH"], want(cut, []string{"H"}, cut.feeds)["H"])
	})
	t.Run("other-values", func(t *testing.T) {
		// The Gradient's inputs are the point of evaluation: here W + 1.
		b := build()
		w1 := b.op("Add", []string{"W", b.init("one", tensor.Scalar(1.0))})
		b.m.Graph.Nodes = append(b.m.Graph.Nodes, &ir.Node{Name: "grad", OpType: "Gradient", Domain: ops.TrainingDomain,
			Inputs: []string{w1, "Z", "X"}, Outputs: []string{"dW"},
			Attrs: []*ir.Attribute{{Name: "xs", Type: ir.AttrStrings, Strings: []string{"W", "Z"}},
				{Name: "zs", Type: ir.AttrStrings, Strings: []string{"X"}}, {Name: "y", Type: ir.AttrString, String: "Y"}}})
		b.m.OpsetImports[ops.TrainingDomain] = 1
		b.output("dW")
		s, err := runtime.NewSession(b.m)
		if err != nil {
			t.Fatal(err)
		}
		out := grRun(t, s, b.feeds)
		feeds := map[string]*tensor.Tensor{"X": b.feeds["X"], "Z": b.feeds["Z"], "W": b.feeds["W"].Clone()}
		for i := range tensor.Data[float64](feeds["W"]) {
			tensor.Data[float64](feeds["W"])[i]++
		}
		near("dY/dW at W+1", out["dW"], want(build(), []string{"W"}, feeds)["W"])
	})
	t.Run("errors", func(t *testing.T) {
		for name, mk := range map[string]func(b *grGraph){
			"missing-zs": func(b *grGraph) { grGradientNode(b, []string{"W", "Z"}, nil, "Y", []string{"dW", "dZ"}) },
			"unknown-y":  func(b *grGraph) { grGradientNode(b, []string{"W"}, []string{"X", "Z"}, "nope", []string{"dW"}) },
			"duplicate":  func(b *grGraph) { grGradientNode(b, []string{"W", "W"}, []string{"X", "Z"}, "Y", []string{"dW"}) },
			"no-rule": func(b *grGraph) {
				b.node("Erf", []string{"Y"}, []string{"E"})
				grGradientNode(b, []string{"W"}, []string{"X", "Z"}, "E", []string{"dW"})
			},
			"too-many-outs": func(b *grGraph) { grGradientNode(b, []string{"W"}, []string{"X", "Z"}, "Y", []string{"dW", "dX"}) },
		} {
			b := build()
			mk(b)
			if _, err := runtime.NewSession(b.m); err == nil {
				t.Errorf("%s: no error", name)
			}
		}
		// Outside a session the node has no graph: an error, not a panic.
		n := &ir.Node{OpType: "Gradient", Domain: ops.TrainingDomain, Inputs: []string{"a"}, Outputs: []string{"da"},
			Attrs: []*ir.Attribute{{Name: "xs", Type: ir.AttrStrings, Strings: []string{"a"}}, {Name: "y", Type: ir.AttrString, String: "b"}}}
		_, err := ops.Eval(context.Background(), n, 1, []*tensor.Tensor{tensor.Scalar(float32(1))}, nil)
		if !errors.Is(err, ops.ErrInvalidNode) {
			t.Errorf("Gradient in ops.Eval: %v", err)
		}
	})
}
