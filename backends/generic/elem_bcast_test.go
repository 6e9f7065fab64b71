package generic

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// elemNode builds a node of op with inputs i0, i1, ... ("" for nil
// entries of given) and one output.
func elemNode(op string, given []*tensor.Tensor, attrs ...*ir.Attribute) *ir.Node {
	n := &ir.Node{OpType: op, Outputs: []string{"y"}, Attrs: attrs}
	for i, t := range given {
		name := ""
		if t != nil {
			name = fmt.Sprintf("i%d", i)
		}
		n.Inputs = append(n.Inputs, name)
	}
	return n
}

// elemEval evaluates op at opset on the inputs with the generic kernels.
func elemEval(op string, opset int64, attrs []*ir.Attribute, in ...*tensor.Tensor) (*tensor.Tensor, error) {
	out, err := evalNode("", op, opset, 1, in, attrs...)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// elemMustEval is elemEval failing the test on error.
func elemMustEval(t *testing.T, op string, opset int64, attrs []*ir.Attribute, in ...*tensor.Tensor) *tensor.Tensor {
	t.Helper()
	out, err := elemEval(op, opset, attrs, in...)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return out
}

func elemT[T tensor.Elem](data []T, shape ...int) *tensor.Tensor {
	return tensor.Must(tensor.FromSlice(data, shape...))
}

// elemNaiveIndex returns the flat index in a tensor of shape in of the
// element that output index o (of shape out) reads under broadcasting.
func elemNaiveIndex(o int, out, in []int) int {
	idx := make([]int, len(out))
	for i := len(out) - 1; i >= 0; i-- {
		idx[i] = o % out[i]
		o /= out[i]
	}
	flat := 0
	off := len(out) - len(in)
	for i, d := range in {
		j := idx[off+i]
		if d == 1 {
			j = 0
		}
		flat = flat*d + j
	}
	return flat
}

// TestElemPlanMerges checks how plans collapse common shapes.
func TestElemPlanMerges(t *testing.T) {
	for _, c := range []struct {
		a, b         []int
		inner, runs  int
		stepA, stepB int
		outer        int
	}{
		{[]int{2, 3, 4}, []int{2, 3, 4}, 24, 1, 1, 1, 0},
		{[]int{2, 3, 4}, []int{}, 24, 1, 1, 0, 0},
		{[]int{}, []int{5}, 5, 1, 0, 1, 0},
		{[]int{2, 3, 4}, []int{4}, 4, 6, 1, 1, 1},
		{[]int{3, 1}, []int{1, 4}, 4, 3, 0, 1, 1},
		{[]int{2, 3, 4}, []int{3, 1}, 4, 6, 1, 0, 2},
		{[]int{1, 1, 5}, []int{1, 5}, 5, 1, 1, 1, 0},
		{[]int{8, 1, 6, 1}, []int{7, 1, 5}, 5, 8 * 7 * 6, 0, 1, 3},
	} {
		p, err := newElemPlan(nil, c.a, c.b)
		if err != nil {
			t.Fatalf("%v %v: %v", c.a, c.b, err)
		}
		if p.inner != c.inner || p.total/p.inner != c.runs || p.step[0] != c.stepA || p.step[1] != c.stepB || len(p.dims) != c.outer {
			t.Errorf("%v %v: inner %d runs %d steps %v outer dims %v; want %d %d [%d %d] %d",
				c.a, c.b, p.inner, p.total/p.inner, p.step[:2], p.dims, c.inner, c.runs, c.stepA, c.stepB, c.outer)
		}
	}
}

// TestElemPlanRandom walks plans for random broadcastable shapes and
// compares every run's offsets with naive index arithmetic.
func TestElemPlanRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for iter := range 3000 {
		rank := rng.Intn(6)
		out := make([]int, rank)
		for i := range out {
			out[i] = []int{1, 2, 3, 5}[rng.Intn(4)]
			if rng.Intn(40) == 0 {
				out[i] = 0
			}
		}
		nin := 1 + rng.Intn(3)
		ins := make([][]int, nin)
		for k := range ins {
			r := rng.Intn(rank + 1)
			s := append([]int{}, out[rank-r:]...)
			for i := range s {
				if rng.Intn(3) == 0 {
					s[i] = 1
				}
			}
			ins[k] = s
		}
		var target []int
		if rng.Intn(2) == 0 {
			target = out
		}
		p, err := newElemPlan(target, ins...)
		if err != nil {
			t.Fatalf("iter %d %v: %v", iter, ins, err)
		}
		want, _ := tensor.BroadcastShapes(ins...)
		if target != nil {
			want = target
		}
		if !tensor.SameShape(p.out, want) {
			t.Fatalf("iter %d: out %v, want %v", iter, p.out, want)
		}
		// Each output element must be visited once, reading the right
		// element of every input.
		seen := make([]int, p.total)
		var it elemIter
		for o := 0; o < p.total; o += p.inner {
			for j := range p.inner {
				seen[o+j]++
				for k := range nin {
					got := it.off[k] + j*p.step[k]
					if w := elemNaiveIndex(o+j, p.out, ins[k]); got != w {
						t.Fatalf("iter %d %v -> %v: output %d input %d reads %d, want %d", iter, ins, p.out, o+j, k, got, w)
					}
				}
			}
			it.next(p)
		}
		for o, c := range seen {
			if c != 1 {
				t.Fatalf("iter %d: output %d visited %d times", iter, o, c)
			}
		}
	}
}

// TestElemPlanErrors: incompatible shapes are errors, not panics.
func TestElemPlanErrors(t *testing.T) {
	for _, c := range []struct{ out, a, b []int }{
		{nil, []int{3}, []int{4}},
		{nil, []int{2, 3}, []int{3, 2}},
		{[]int{3}, []int{1, 3}, []int{3}},
		{[]int{3, 4}, []int{3, 4}, []int{2, 4}},
		{[]int{4}, []int{4}, []int{5}},
	} {
		if _, err := newElemPlan(c.out, c.a, c.b); !errors.Is(err, ops.ErrShapeMismatch) {
			t.Errorf("%v %v -> %v: err %v, want ErrShapeMismatch", c.a, c.b, c.out, err)
		}
	}
}

// TestElemBroadcastAdd runs Add over the broadcasting cases the spec
// names and random shapes, against naive indexing.
func TestElemBroadcastAdd(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	cases := [][2][]int{
		{{}, {}}, {{}, {3}}, {{3}, {}}, {{3, 1}, {1, 4}}, {{2, 3, 4}, {4}}, {{4}, {2, 3, 4}},
		{{2, 3, 4}, {1}}, {{2, 1, 4}, {3, 1}}, {{1, 1}, {1}}, {{0, 3}, {3}}, {{2, 0}, {1, 1}},
		{{5, 1, 1, 7}, {1, 6, 3, 1}}, {{1000}, {1000}}, {{3, 300}, {3, 1}},
	}
	for range 50 {
		r := 1 + rng.Intn(4)
		a, b := make([]int, r), make([]int, r)
		for i := range a {
			d := 1 + rng.Intn(4)
			a[i], b[i] = d, d
			switch rng.Intn(3) {
			case 0:
				a[i] = 1
			case 1:
				b[i] = 1
			}
		}
		cases = append(cases, [2][]int{a, b[rng.Intn(r):]})
	}
	for _, c := range cases {
		as, bs := c[0], c[1]
		na, _ := tensor.NumElements(as)
		nb, _ := tensor.NumElements(bs)
		a, b := make([]float32, na), make([]float32, nb)
		for i := range a {
			a[i] = float32(i + 1)
		}
		for i := range b {
			b[i] = float32(1000 * (i + 1))
		}
		got := elemMustEval(t, "Add", 14, nil, elemT(a, as...), elemT(b, bs...))
		out, _ := tensor.BroadcastShapes(as, bs)
		if !tensor.SameShape(got.Shape(), out) {
			t.Fatalf("%v + %v: shape %v, want %v", as, bs, got.Shape(), out)
		}
		g := tensor.Data[float32](got)
		for o := range g {
			w := a[elemNaiveIndex(o, out, as)] + b[elemNaiveIndex(o, out, bs)]
			if g[o] != w {
				t.Fatalf("%v + %v: element %d = %v, want %v", as, bs, o, g[o], w)
			}
		}
	}
}

// TestElemBroadcastErrors: incompatible shapes give errors at inference
// and, when a kernel is run on shapes it was not built for, at run time.
func TestElemBroadcastErrors(t *testing.T) {
	a := elemT([]float32{1, 2, 3}, 3)
	b := elemT([]float32{1, 2, 3, 4}, 4)
	for _, op := range []string{"Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Max", "Sum", "PRelu"} {
		if _, err := elemEval(op, 16, nil, a, b); !errors.Is(err, ops.ErrShapeMismatch) {
			t.Errorf("%s [3] [4]: err %v, want ErrShapeMismatch", op, err)
		}
	}
	c := elemT([]bool{true, false, true}, 3)
	if _, err := elemEval("Where", 16, nil, c, a, b); !errors.Is(err, ops.ErrShapeMismatch) {
		t.Errorf("Where: err %v, want ErrShapeMismatch", err)
	}

	// Build a kernel for symbolic shapes, then run it on bad ones.
	for _, op := range []string{"Add", "Pow", "Less", "Max", "PRelu", "Where"} {
		node := elemNode(op, []*tensor.Tensor{a, b})
		ins := []ops.TypeShape{
			ops.Ranked(tensor.Float32, ir.Shape{ir.SymDim("n")}),
			ops.Ranked(tensor.Float32, ir.Shape{ir.SymDim("m")}),
		}
		args := []*tensor.Tensor{a, b}
		if op == "Where" {
			node = elemNode(op, []*tensor.Tensor{c, a, b})
			ins = append([]ops.TypeShape{ops.Ranked(tensor.Bool, ir.Shape{ir.SymDim("k")})}, ins...)
			args = []*tensor.Tensor{c, a, b}
		}
		n := &ops.Node{Node: node, Schema: ops.LookupSchema("", op, 16), Opset: 16, In: ins}
		k := genericKernel(t, n)
		out := make([]*tensor.Tensor, 1)
		if err := k.Run(&ops.ExecContext{Ctx: context.Background(), Threads: 1}, args, out); !errors.Is(err, ops.ErrShapeMismatch) {
			t.Errorf("%s run on [3] [4]: err %v, want ErrShapeMismatch", op, err)
		}
		// A preallocated output of the wrong shape is refused too.
		out[0] = tensor.Must(tensor.New(n.Out[0].DType, 2))
		good := []*tensor.Tensor{a, a}
		if op == "Where" {
			good = []*tensor.Tensor{c, a, a}
		}
		if err := k.Run(&ops.ExecContext{Ctx: context.Background(), Threads: 1}, good, out); !errors.Is(err, ops.ErrShapeMismatch) {
			t.Errorf("%s: a wrong-shaped output gave %v", op, err)
		}
	}
}

// TestElemZeroAllocs: with shapes known at build, a binary run allocates
// nothing.
func TestElemZeroAllocs(t *testing.T) {
	a := elemT(make([]float32, 24), 2, 3, 4)
	b := elemT(make([]float32, 4), 4)
	for _, op := range []string{"Add", "Mul", "Max", "Less", "Where"} {
		args := []*tensor.Tensor{a, b}
		if op == "Where" {
			args = []*tensor.Tensor{elemT(make([]bool, 4), 4), a, b}
		}
		node := elemNode(op, args)
		n := &ops.Node{Node: node, Schema: ops.LookupSchema("", op, 16), Opset: 16}
		for _, x := range args {
			n.In = append(n.In, ops.Of(x.DType(), x.Shape()...))
		}
		k := genericKernel(t, n)
		out := []*tensor.Tensor{tensor.Must(tensor.New(n.Out[0].DType, 2, 3, 4))}
		ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
		allocs := testing.AllocsPerRun(20, func() {
			if err := k.Run(ec, args, out); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per run", op, allocs)
		}
	}
}

// BenchmarkElemAdd measures Add per broadcasting mode against a plain loop.
func BenchmarkElemAdd(b *testing.B) {
	const n = 1 << 16
	for _, c := range []struct {
		name   string
		as, bs []int
	}{
		{"same/256x256", []int{256, 256}, []int{256, 256}},
		{"scalar/256x256", []int{256, 256}, []int{}},
		{"row/256x256+256", []int{256, 256}, []int{256}},
		{"col/256x256+256x1", []int{256, 256}, []int{256, 1}},
		{"outer/256x1+1x256", []int{256, 1}, []int{1, 256}},
	} {
		na, _ := tensor.NumElements(c.as)
		nb, _ := tensor.NumElements(c.bs)
		x, y := elemT(make([]float32, na), c.as...), elemT(make([]float32, nb), c.bs...)
		node := elemNode("Add", []*tensor.Tensor{x, y})
		nd := &ops.Node{Node: node, Schema: ops.LookupSchema("", "Add", 14), Opset: 14,
			In: []ops.TypeShape{ops.Known(x), ops.Known(y)}}
		nd.Out, _ = nd.Schema.Infer(nd)
		k, _, _ := ops.SelectKernel(nd, nil)
		out := []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float32, 256, 256))}
		ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
		args := []*tensor.Tensor{x, y}
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(n * 4)
			b.ReportAllocs()
			for range b.N {
				_ = k.Run(ec, args, out)
			}
		})
	}
	b.Run("naive-loop/256x256", func(b *testing.B) {
		x, y, d := make([]float32, n), make([]float32, n), make([]float32, n)
		b.SetBytes(n * 4)
		for range b.N {
			for i := range d {
				d[i] = x[i] + y[i]
			}
		}
	})
}
