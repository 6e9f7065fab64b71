package train

// Test helpers: a small graph builder and a gradient checker that compares
// Backward's gradients with central differences of the forward graph.

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// grGraph builds a test model.
type grGraph struct {
	m     *ir.Model
	feeds map[string]*tensor.Tensor
	rng   *rand.Rand
	h     float64 // the central differences' step; 0: chosen by dtype
}

func newGrGraph(opset int64) *grGraph {
	return &grGraph{
		m: &ir.Model{IRVersion: 8, OpsetImports: map[string]int64{"": opset},
			Graph: &ir.Graph{Name: "test"}},
		feeds: map[string]*tensor.Tensor{},
		rng:   rand.New(rand.NewPCG(1, 2)),
	}
}

// input adds a graph input fed with x.
func (b *grGraph) input(name string, x *tensor.Tensor) string {
	b.m.Graph.Inputs = append(b.m.Graph.Inputs, &ir.ValueInfo{Name: name, Type: tensorType(x.DType(), ir.ShapeOf(x.Shape()...))})
	b.feeds[name] = x
	return name
}

// symInput adds a graph input whose dims are all symbolic, fed with x.
func (b *grGraph) symInput(name string, x *tensor.Tensor) string {
	s := make(ir.Shape, x.Rank())
	for i := range s {
		s[i] = ir.SymDim(fmt.Sprintf("%s_d%d", name, i))
	}
	b.m.Graph.Inputs = append(b.m.Graph.Inputs, &ir.ValueInfo{Name: name, Type: tensorType(x.DType(), s)})
	b.feeds[name] = x
	return name
}

// init adds an initializer.
func (b *grGraph) init(name string, x *tensor.Tensor) string {
	b.m.Graph.Initializers = append(b.m.Graph.Initializers, &ir.Initializer{Name: name, Tensor: x})
	return name
}

// node adds a node; outs may be empty strings for omitted outputs.
func (b *grGraph) node(op string, ins []string, outs []string, attrs ...*ir.Attribute) {
	b.m.Graph.Nodes = append(b.m.Graph.Nodes, &ir.Node{Name: fmt.Sprintf("n%d", len(b.m.Graph.Nodes)),
		OpType: op, Inputs: ins, Outputs: outs, Attrs: attrs})
}

// op adds a one-output node and returns the output's name.
func (b *grGraph) op(op string, ins []string, attrs ...*ir.Attribute) string {
	out := fmt.Sprintf("v%d_%s", len(b.m.Graph.Nodes), op)
	b.node(op, ins, []string{out}, attrs...)
	return out
}

// output makes name a graph output.
func (b *grGraph) output(name string) {
	b.m.Graph.Outputs = append(b.m.Graph.Outputs, &ir.ValueInfo{Name: name})
}

// rand returns a float64 tensor of uniform values in [lo, hi).
func (b *grGraph) rand(lo, hi float64, shape ...int) *tensor.Tensor {
	t := tensor.Must(tensor.New(tensor.Float64, shape...))
	for i := range tensor.Data[float64](t) {
		tensor.Data[float64](t)[i] = lo + (hi-lo)*b.rng.Float64()
	}
	return t
}

// randAway returns values in [-1, 1) at least margin away from 0 (for
// inputs of ops with a kink at 0).
func (b *grGraph) randAway(margin float64, shape ...int) *tensor.Tensor {
	t := b.rand(margin, 1, shape...)
	for i, v := range tensor.Data[float64](t) {
		if b.rng.IntN(2) == 0 {
			tensor.Data[float64](t)[i] = -v
		}
	}
	return t
}

func grRun(t *testing.T, s *runtime.Session, feeds map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	t.Helper()
	out, err := s.Run(context.Background(), feeds)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return out
}

// weightedLoss makes y (any shape) a scalar: sum(y * R) for a fixed random
// R of y's shape, so that every element of y matters differently. It runs
// the model once to learn y's shape.
func (b *grGraph) weightedLoss(t *testing.T, y string) string {
	t.Helper()
	m := cloneModel(b.m)
	m.Graph.Outputs = []*ir.ValueInfo{{Name: y}}
	s, err := runtime.NewSession(m)
	if err != nil {
		t.Fatalf("forward: %v", err)
	}
	yv := grRun(t, s, b.feeds)[y]
	r := b.init(y+"_w", b.rand(-1, 1, yv.Shape()...))
	if yv.DType() != tensor.Float64 {
		r = b.op("Cast", []string{r}, attrInt("to", int64(yv.DType())))
	}
	loss := b.op("ReduceSum", []string{b.op("Mul", []string{y, r})}, attrInt("keepdims", 0))
	b.output(loss)
	return loss
}

// grCheck differentiates loss (a scalar) with respect to wrt and compares
// every gradient element (up to maxElems per tensor, chosen at random)
// with central differences of the forward graph, within atol + rtol*|g|.
func grCheck(t *testing.T, b *grGraph, loss string, wrt []string, atol, rtol float64) *Result {
	t.Helper()
	res, err := Backward(b.m, loss, wrt, nil)
	if err != nil {
		t.Fatalf("Backward: %v", err)
	}
	s, err := runtime.NewSession(res.Model)
	if err != nil {
		t.Fatalf("compiling the backward graph: %v", err)
	}
	feeds := map[string]*tensor.Tensor{}
	for k, v := range b.feeds {
		feeds[k] = v
	}
	for k, v := range res.Params {
		feeds[k] = v
	}
	out := grRun(t, s, feeds)
	lossAt := func() float64 {
		v, err := grRun(t, s, feeds)[loss].Float64s()
		if err != nil || len(v) != 1 {
			t.Fatalf("loss %v is not a scalar", v)
		}
		return v[0]
	}
	const maxElems = 48
	for i, w := range wrt {
		g := out[res.Grads[i]]
		x0 := feeds[w]
		if g == nil || x0 != nil && (!sameShape(g.Shape(), x0.Shape()) || g.DType() != x0.DType()) {
			t.Fatalf("gradient of %q: %v, want the shape and type of %v", w, g, x0)
		}
		if x0 == nil {
			continue // an intermediate value: only its gradient's existence is checked
		}
		gv, _ := g.Float64s()
		idx := make([]int, x0.Len())
		for j := range idx {
			idx[j] = j
		}
		if len(idx) > maxElems {
			b.rng.Shuffle(len(idx), func(a, c int) { idx[a], idx[c] = idx[c], idx[a] })
			idx = idx[:maxElems]
		}
		for _, j := range idx {
			x := x0.Clone()
			v, _ := x.Float64s()
			h := 1e-6 * max(1, math.Abs(v[j]))
			if x0.DType() == tensor.Float32 {
				h = 1e-2 * max(1, math.Abs(v[j]))
			}
			if b.h != 0 {
				h = b.h * max(1, math.Abs(v[j]))
			}
			grSet(x, j, v[j]+h)
			feeds[w] = x
			lp := lossAt()
			grSet(x, j, v[j]-h)
			lm := lossAt()
			feeds[w] = x0
			num := (lp - lm) / (2 * h)
			if d := math.Abs(num - gv[j]); d > atol+rtol*math.Abs(num) || math.IsNaN(gv[j]) {
				t.Errorf("d%s/d%s[%d]: backward %.9g, central difference %.9g", loss, w, j, gv[j], num)
			}
		}
	}
	return res
}

func sameShape(a, b []int) bool { return tensor.SameShape(a, b) }

// grSet sets element j of a float tensor.
func grSet(t *tensor.Tensor, j int, v float64) {
	switch t.DType() {
	case tensor.Float64:
		tensor.Data[float64](t)[j] = v
	case tensor.Float32:
		tensor.Data[float32](t)[j] = float32(v)
	}
}

// grF32 returns a float32 copy of a float64 tensor.
func grF32(t *tensor.Tensor) *tensor.Tensor {
	v, _ := t.Float64s()
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return tensor.Must(tensor.FromSlice(f, t.Shape()...))
}
