package kern

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// kerAsmImpls returns the ISAs to run the kernels on: the tiers this
// machine can run, the AVX-512 tier in an emulator where it cannot, and Go
// (whose routines the tiers without their own use).
func kerAsmImpls(t *testing.T) []*ISA {
	out := testISAs(t)
	if g := emuImpl512(t); g != nil {
		out = append(out, g)
	}
	return out
}

// emulated reports whether g runs its kernels in an emulator (which
// allocates).
func emulated(g *ISA) bool { return strings.HasSuffix(g.Name, "-emulated") }

func kerRand(r *rand.Rand, shape ...int) *tensor.Tensor {
	n, err := tensor.NumElements(shape)
	if err != nil {
		panic(err)
	}
	return tensor.Must(tensor.FromSlice(gemmRandSlice(r, n), shape...))
}

func kerAttrInt(name string, v int64) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrInt, Int: v}
}

func kerAttrFloat(name string, v float32) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrFloat, Float: v}
}

func kerAttrInts(name string, v ...int64) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrInts, Ints: v}
}

func kerAttrString(name, v string) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrString, String: v}
}

// kerCase is one node run by a tier's factory and by the generic backend.
type kerCase struct {
	domain string
	op     string
	opset  int64
	attrs  []*ir.Attribute
	in     []*tensor.Tensor // nil for an omitted input
	consts []bool           // which inputs the factory sees as constants (all when nil)
	alt    []int            // the constant inputs of a second run (default: input 0 only)
}

func (c kerCase) String() string {
	s := c.op
	for _, t := range c.in {
		if t == nil {
			s += " -"
		} else {
			s += fmt.Sprint(" ", t.Shape())
		}
	}
	for _, a := range c.attrs {
		s += fmt.Sprintf(" %s=%v", a.Name, kerAttrValue(a))
	}
	if c.consts != nil {
		s += fmt.Sprint(" consts=", c.consts)
	}
	return s
}

func kerAttrValue(a *ir.Attribute) any {
	switch a.Type {
	case ir.AttrInt:
		return a.Int
	case ir.AttrFloat:
		return a.Float
	case ir.AttrInts:
		return a.Ints
	}
	return a.String
}

func (c kerCase) node() *ir.Node {
	names := make([]string, len(c.in))
	for i, t := range c.in {
		if t != nil {
			names[i] = fmt.Sprint("x", i)
		}
	}
	return &ir.Node{Domain: c.domain, OpType: c.op, Inputs: names, Outputs: []string{"y"}, Attrs: c.attrs}
}

// run builds c's kernel with g's factory (f) and runs it, the output
// inside NaN guards. It returns (nil, nil) if the factory declines.
func (c kerCase) run(t *testing.T, g *ISA, f func(*ISA, *ops.Node) (ops.Kernel, error)) (*tensor.Tensor, error) {
	t.Helper()
	n := &ops.Node{Node: c.node(), Schema: ops.LookupSchema(c.domain, c.op, c.opset), Opset: c.opset, In: make([]ops.TypeShape, len(c.in))}
	for i, x := range c.in {
		switch {
		case x == nil:
			n.In[i] = ops.TypeShape{Absent: true}
		case c.consts == nil || c.consts[i]:
			n.In[i] = ops.Known(x)
		default:
			n.In[i] = ops.TypeShape{DType: x.DType(), Shape: ir.ShapeOf(x.Shape()...)}
		}
	}
	out, err := n.Schema.Infer(n)
	if err != nil {
		return nil, err
	}
	n.Out = out
	k, err := f(g, n)
	if err != nil || k == nil {
		return nil, err
	}
	// The output inside NaN guards, when its shape is known.
	const guard = 41
	var y *tensor.Tensor
	var all []float32
	if dims, ok := out[0].ConcreteShape(); ok {
		size, err := tensor.NumElements(dims)
		if err != nil {
			t.Fatal(err)
		}
		var inner []float32
		inner, all = gemmGuarded(size, guard)
		y = tensor.Must(tensor.FromSlice(inner, dims...))
	}
	outs := []*tensor.Tensor{y}
	if err := k.Run(&ops.ExecContext{Ctx: context.Background(), Threads: 1}, c.in, outs); err != nil {
		return nil, err
	}
	if at, ok := gemmGuardWritten(all, guard); ok {
		t.Fatalf("%s on %s: wrote %g into the guard at %d", c, g.Name, all[at+guard], at)
	}
	return outs[0], nil
}

// kerCheck runs c on every tier with f, all inputs constant and then only
// those in consts, and compares with the generic backend.
func kerCheck(t *testing.T, c kerCase, f func(*ISA, *ops.Node) (ops.Kernel, error), wantDecline bool) {
	t.Helper()
	want, err := ops.Eval(context.Background(), c.node(), c.opset, c.in, func(b string) bool { return b == "generic" })
	if err != nil {
		t.Fatalf("%s: generic: %v", c, err)
	}
	alt := c.alt
	if alt == nil {
		alt = []int{0}
	}
	for _, g := range kerAsmImpls(t) {
		for _, cc := range []kerCase{c, c.withConsts(alt...)} {
			got, err := cc.run(t, g, f)
			if err != nil {
				t.Errorf("%s on %s: %v", cc, g.Name, err)
				continue
			}
			if got == nil {
				if !wantDecline {
					t.Errorf("%s on %s: declined", cc, g.Name)
				}
				continue
			}
			if wantDecline {
				t.Errorf("%s on %s: accepted, want a decline", cc, g.Name)
			}
			kerCompare(t, fmt.Sprintf("%s on %s", cc, g.Name), got, want[0])
		}
	}
}

// withConsts returns c with only input i constant.
func (c kerCase) withConsts(i ...int) kerCase {
	c.consts = make([]bool, len(c.in))
	for _, j := range i {
		c.consts[j] = true
	}
	return c
}

func kerCompare(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if !tensor.SameShape(got.Shape(), want.Shape()) || got.DType() != want.DType() {
		t.Errorf("%s: got %v %v, want %v %v", what, got.DType(), got.Shape(), want.DType(), want.Shape())
		return
	}
	g, w := tensor.Data[float32](got), tensor.Data[float32](want)
	for i := range g {
		if d := math.Abs(float64(g[i] - w[i])); !(d <= 2e-5*(1+math.Abs(float64(w[i])))) {
			t.Errorf("%s: y[%d] = %g, want %g", what, i, g[i], w[i])
			return
		}
	}
}

// kerExpectErr runs c on every tier and expects an error wrapping target.
func kerExpectErr(t *testing.T, c kerCase, f func(*ISA, *ops.Node) (ops.Kernel, error), target error) {
	t.Helper()
	for _, g := range kerAsmImpls(t) {
		for _, cc := range []kerCase{c, c.withConsts(0)} {
			_, err := cc.run(t, g, f)
			if !errors.Is(err, target) {
				t.Errorf("%s on %s: error %v, want %v", cc, g.Name, err, target)
			}
		}
	}
}

func TestKerGemm(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, s := range [][3]int{{1, 1, 1}, {3, 5, 7}, {13, 33, 17}, {30, 70, 300}, {7, 16, 0}, {0, 5, 3}} {
		m, n, k := s[0], s[1], s[2]
		for _, ta := range []int64{0, 1} {
			for _, tb := range []int64{0, 1} {
				a := kerRand(r, m, k)
				if ta == 1 {
					a = kerRand(r, k, m)
				}
				b := kerRand(r, k, n)
				if tb == 1 {
					b = kerRand(r, n, k)
				}
				for _, cshape := range [][]int{nil, {n}, {1, n}, {m, 1}, {m, n}, {1, 1}, {}} {
					for _, ab := range [][2]float32{{1, 1}, {0.5, -2}, {-1.5, 0}} {
						in := []*tensor.Tensor{a, b}
						if cshape != nil {
							in = append(in, kerRand(r, cshape...))
						}
						c := kerCase{op: "Gemm", opset: 13, in: in, attrs: []*ir.Attribute{
							kerAttrInt("transA", ta), kerAttrInt("transB", tb),
							kerAttrFloat("alpha", ab[0]), kerAttrFloat("beta", ab[1])}}
						kerCheck(t, c, kerNewGemm, false)
					}
				}
			}
		}
	}
	// Opsets 7..10 (C required) and 11.
	for _, opset := range []int64{7, 9, 11} {
		kerCheck(t, kerCase{op: "Gemm", opset: opset, in: []*tensor.Tensor{kerRand(r, 4, 6), kerRand(r, 6, 40), kerRand(r, 40)}}, kerNewGemm, false)
	}
	// Declines: alpha 0, float64.
	kerCheck(t, kerCase{op: "Gemm", opset: 13, in: []*tensor.Tensor{kerRand(r, 2, 3), kerRand(r, 3, 4)},
		attrs: []*ir.Attribute{kerAttrFloat("alpha", 0)}}, kerNewGemm, true)
	f64 := tensor.Must(tensor.FromSlice([]float64{1, 2, 3, 4}, 2, 2))
	kerCheck(t, kerCase{op: "Gemm", opset: 13, in: []*tensor.Tensor{f64, f64}}, kerNewGemm, true)
}

func TestKerGemmErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	// Shapes that inference cannot see: the kernel must report them.
	run := func(name string, in []*tensor.Tensor, attrs ...*ir.Attribute) {
		t.Helper()
		for _, g := range kerAsmImpls(t) {
			n := &ops.Node{Node: kerCase{op: "Gemm", in: in}.node(), Schema: ops.LookupSchema("", "Gemm", 13), Opset: 13}
			n.Attrs = attrs
			for i, x := range in {
				n.In = append(n.In, ops.TypeShape{DType: x.DType(), Shape: make(ir.Shape, x.Rank())})
				for d := range n.In[i].Shape {
					n.In[i].Shape[d] = ir.UnknownDim
				}
			}
			k, err := kerNewGemm(g, n)
			if err != nil || k == nil {
				t.Fatalf("%s: factory: %v, %v", name, k, err)
			}
			out := []*tensor.Tensor{nil}
			if err := k.Run(&ops.ExecContext{Ctx: context.Background(), Threads: 1}, in, out); !errors.Is(err, ops.ErrShapeMismatch) {
				t.Errorf("%s on %s: error %v, want a shape mismatch", name, g.Name, err)
			}
		}
	}
	run("inner dims", []*tensor.Tensor{kerRand(r, 2, 3), kerRand(r, 4, 5)})
	run("rank 3", []*tensor.Tensor{kerRand(r, 2, 3, 1), kerRand(r, 3, 5)})
	run("C shape", []*tensor.Tensor{kerRand(r, 2, 3), kerRand(r, 3, 5), kerRand(r, 4)})
	run("C rank", []*tensor.Tensor{kerRand(r, 2, 3), kerRand(r, 3, 5), kerRand(r, 1, 2, 5)})
	run("transB", []*tensor.Tensor{kerRand(r, 2, 3), kerRand(r, 3, 5)}, kerAttrInt("transB", 1))
}

func TestKerMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, s := range [][2][]int{
		{{3, 4}, {4, 5}},
		{{1, 1}, {1, 1}},
		{{4}, {4, 37}},
		{{13, 70}, {70, 33}},
		{{2, 7, 9}, {9, 20}},
		{{2, 7, 9}, {2, 9, 20}},
		{{2, 1, 5, 6}, {3, 6, 17}},
		{{5, 6}, {3, 6, 17}},
		{{1, 5, 6}, {6, 17}},
		{{2, 3, 0}, {0, 4}},
		{{0, 3}, {3, 4}},
		{{25, 300}, {300, 40}},
	} {
		kerCheck(t, kerCase{op: "MatMul", opset: 13, in: []*tensor.Tensor{kerRand(r, s[0]...), kerRand(r, s[1]...)}}, kerNewMatMul, false)
	}
	// A matrix-vector product is left to the generic kernel.
	kerCheck(t, kerCase{op: "MatMul", opset: 13, in: []*tensor.Tensor{kerRand(r, 3, 4), kerRand(r, 4)}}, kerNewMatMul, true)
	kerExpectErr(t, kerCase{op: "MatMul", opset: 13, in: []*tensor.Tensor{kerRand(r, 3, 4), kerRand(r, 5, 4)}}, kerNewMatMul, ops.ErrShapeMismatch)
}

func TestKerConv1x1(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	conv := func(x, w, b *tensor.Tensor, attrs ...*ir.Attribute) kerCase {
		in := []*tensor.Tensor{x, w}
		if b != nil {
			in = append(in, b)
		}
		return kerCase{op: "Conv", opset: 11, in: in, attrs: attrs, alt: []int{1}}
	}
	for _, s := range [][4]int{{1, 3, 8, 5}, {2, 16, 24, 7}, {1, 64, 13, 1}, {3, 5, 1, 33}} { // N, Cin, Cout, H=W
		nb, cin, cout, hw := s[0], s[1], s[2], s[3]
		x := kerRand(r, nb, cin, hw, hw)
		w := kerRand(r, cout, cin, 1, 1)
		kerCheck(t, conv(x, w, nil), kerNewConv1x1, false)
		kerCheck(t, conv(x, w, kerRand(r, cout)), kerNewConv1x1, false)
		kerCheck(t, conv(x, w, kerRand(r, cout), kerAttrString("auto_pad", "SAME_UPPER")), kerNewConv1x1, false)
		kerCheck(t, conv(x, w, nil, kerAttrInts("kernel_shape", 1, 1), kerAttrInts("strides", 1, 1), kerAttrInts("pads", 0, 0, 0, 0)), kerNewConv1x1, false)
	}
	// 1-D and 3-D.
	kerCheck(t, conv(kerRand(r, 2, 6, 19), kerRand(r, 9, 6, 1), kerRand(r, 9)), kerNewConv1x1, false)
	kerCheck(t, conv(kerRand(r, 1, 4, 3, 5, 2), kerRand(r, 7, 4, 1, 1, 1), nil), kerNewConv1x1, false)
	// Declines: a wider window, strides, pads, dilations (harmless with a 1x1 window, but not ours), groups.
	x := kerRand(r, 1, 4, 6, 6)
	kerCheck(t, conv(x, kerRand(r, 3, 4, 3, 3), nil), kerNewConv1x1, true)
	kerCheck(t, conv(x, kerRand(r, 3, 4, 1, 1), nil, kerAttrInts("strides", 2, 2)), kerNewConv1x1, true)
	kerCheck(t, conv(x, kerRand(r, 3, 4, 1, 1), nil, kerAttrInts("pads", 1, 0, 0, 0)), kerNewConv1x1, true)
	kerCheck(t, conv(x, kerRand(r, 3, 4, 1, 1), nil, kerAttrInts("dilations", 2, 2)), kerNewConv1x1, true)
	kerCheck(t, conv(x, kerRand(r, 4, 2, 1, 1), nil, kerAttrInt("group", 2)), kerNewConv1x1, true)
	// A non-constant weight: declined.
	c := conv(x, kerRand(r, 3, 4, 1, 1), nil)
	for _, g := range kerAsmImpls(t) {
		if k, err := c.withConsts(0).run(t, g, kerNewConv1x1); k != nil || err != nil {
			t.Errorf("non-constant weight on %s: %v, %v; want a decline", g.Name, k, err)
		}
	}
}

func TestKerConv1x1Errors(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for _, g := range kerAsmImpls(t) {
		w := kerRand(r, 3, 4, 1, 1)
		n := &ops.Node{Node: kerCase{op: "Conv", in: []*tensor.Tensor{w, w, w}}.node(), Schema: ops.LookupSchema("", "Conv", 11), Opset: 11,
			In: []ops.TypeShape{{DType: tensor.Float32, Shape: ir.Shape{ir.UnknownDim, ir.UnknownDim, ir.UnknownDim, ir.UnknownDim}}, ops.Known(w),
				{DType: tensor.Float32, Shape: ir.Shape{ir.UnknownDim}}}}
		k, err := kerNewConv1x1(g, n)
		if err != nil || k == nil {
			t.Fatalf("factory: %v, %v", k, err)
		}
		ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
		for _, in := range [][]*tensor.Tensor{
			{kerRand(r, 1, 5, 2, 2), w, kerRand(r, 3)}, // channels
			{kerRand(r, 1, 4, 2), w, kerRand(r, 3)},    // rank
			{kerRand(r, 1, 4, 2, 2), w, kerRand(r, 4)}, // bias size
		} {
			if err := k.Run(ec, in, []*tensor.Tensor{nil}); !errors.Is(err, ops.ErrShapeMismatch) {
				t.Errorf("%s: input %v bias %v: error %v, want a shape mismatch", g.Name, in[0].Shape(), in[2].Shape(), err)
			}
		}
	}
}

// kerAllocsPerRun runs k once on in into out (growing its scratch), then
// returns the allocations of each Run after that.
func kerAllocsPerRun(t *testing.T, k ops.Kernel, ec *ops.ExecContext, in, out []*tensor.Tensor) float64 {
	t.Helper()
	run := func() {
		if err := k.Run(ec, in, out); err != nil {
			t.Fatal(err)
		}
	}
	run()
	return testing.AllocsPerRun(20, run)
}

// TestKerRegistered checks that the registry offers this package's kernels
// first, by tier, and that allowing only generic turns them off.
func TestKerRegistered(t *testing.T) {
	if len(opsTiers) == 0 {
		t.Skip("no tier in use")
	}
	tier := opsTiers[0]
	r := rand.New(rand.NewPCG(21, 22))
	x := kerRand(r, 1, 4, 3, 3)
	w := kerRand(r, 5, 4, 1, 1)
	for _, c := range []kerCase{
		{op: "Gemm", opset: 13, in: []*tensor.Tensor{kerRand(r, 2, 3), kerRand(r, 3, 4)}},
		{op: "MatMul", opset: 13, in: []*tensor.Tensor{kerRand(r, 2, 3), kerRand(r, 3, 4)}},
		{op: "Conv", opset: 11, in: []*tensor.Tensor{x, w}},
	} {
		n := &ops.Node{Node: c.node(), Schema: ops.LookupSchema("", c.op, c.opset), Opset: c.opset}
		for _, in := range c.in {
			n.In = append(n.In, ops.Known(in))
		}
		_, backend, err := ops.SelectKernel(n, nil)
		if err != nil || backend != tier {
			t.Errorf("%s: backend %q (%v), want %q", c.op, backend, err, tier)
		}
		if len(opsTiers) > 1 {
			_, backend, _ = ops.SelectKernel(n, func(b string) bool { return b != tier })
			if backend != opsTiers[1] {
				t.Errorf("%s without %s: backend %q, want %s", c.op, tier, backend, opsTiers[1])
			}
		}
		_, backend, _ = ops.SelectKernel(n, func(b string) bool { return b == "generic" })
		if backend != "generic" {
			t.Errorf("%s with generic only: backend %q", c.op, backend)
		}
	}
}

// TestKerNoAllocs checks that a Run with its output given allocates
// nothing once the scratch pool is warm.
func TestKerNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, g := range kerAsmImpls(t) {
		if emulated(g) {
			continue // emulated
		}
		for _, c := range []struct {
			kc  kerCase
			f   func(*ISA, *ops.Node) (ops.Kernel, error)
			out []int
		}{
			{kerCase{op: "Gemm", opset: 13, in: []*tensor.Tensor{kerRand(r, 7, 30), kerRand(r, 30, 45), kerRand(r, 45)}}, kerNewGemm, []int{7, 45}},
			{kerCase{op: "MatMul", opset: 13, in: []*tensor.Tensor{kerRand(r, 2, 7, 30), kerRand(r, 30, 45)}}, kerNewMatMul, []int{2, 7, 45}},
			{kerCase{op: "Conv", opset: 11, in: []*tensor.Tensor{kerRand(r, 1, 16, 5, 7), kerRand(r, 24, 16, 1, 1), kerRand(r, 24)}}, kerNewConv1x1, []int{1, 24, 5, 7}},
		} {
			n := &ops.Node{Node: c.kc.node(), Schema: ops.LookupSchema("", c.kc.op, c.kc.opset), Opset: c.kc.opset}
			for _, in := range c.kc.in {
				n.In = append(n.In, ops.Known(in))
			}
			k, err := c.f(g, n)
			if err != nil || k == nil {
				t.Fatalf("%s: %v %v", c.kc.op, k, err)
			}
			out := []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float32, c.out...))}
			ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
			if a := kerAllocsPerRun(t, k, ec, c.kc.in, out); a != 0 {
				t.Errorf("%s on %s: %v allocations per Run", c.kc.op, g.Name, a)
			}
		}
	}
}

func kerAttrFloats(name string, v ...float32) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrFloats, Floats: v}
}

// kerActivations are the fused activations with parameters.
var kerActivations = [][]*ir.Attribute{
	nil,
	{kerAttrString("activation", "Relu")},
	{kerAttrString("activation", "Clip"), kerAttrFloats("activation_params", -0.2, 0.3)},
	{kerAttrString("activation", "LeakyRelu"), kerAttrFloats("activation_params", 0.1)},
	{kerAttrString("activation", "HardSwish")},
	{kerAttrString("activation", "Sigmoid")},
}

func TestKerFusedGemm(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, act := range kerActivations {
		for _, s := range [][3]int{{1, 1, 1}, {7, 40, 30}, {13, 33, 300}} {
			m, n, k := s[0], s[1], s[2]
			for _, c := range [][]*tensor.Tensor{
				{kerRand(r, m, k), kerRand(r, k, n)},
				{kerRand(r, m, k), kerRand(r, k, n), kerRand(r, n)},
				{kerRand(r, m, k), kerRand(r, k, n), kerRand(r, m, n)},
			} {
				attrs := append([]*ir.Attribute{kerAttrFloat("beta", 0.5)}, act...)
				kerCheck(t, kerCase{domain: ops.OnyxDomain, op: "FusedGemm", opset: 1, in: c, attrs: attrs}, kerNewFusedGemm, false)
			}
		}
	}
}

func TestKerFusedConv1x1(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	for _, act := range kerActivations {
		for _, s := range [][4]int{{1, 3, 8, 5}, {2, 16, 24, 7}, {1, 40, 13, 9}} { // N, Cin, Cout, H=W
			nb, cin, cout, hw := s[0], s[1], s[2], s[3]
			x, w := kerRand(r, nb, cin, hw, hw), kerRand(r, cout, cin, 1, 1)
			for _, in := range [][]*tensor.Tensor{
				{x, w},
				{x, w, kerRand(r, cout)},
				{x, w, kerRand(r, cout), kerRand(r, nb, cout, hw, hw)},
				{x, w, nil, kerRand(r, nb, cout, hw, hw)},
			} {
				c := kerCase{domain: ops.OnyxDomain, op: "FusedConv", opset: 1, in: in, attrs: act, alt: []int{1}}
				kerCheck(t, c, kerNewFusedConv1x1, false)
			}
		}
	}
	// A 3x3 window is left to the generic kernel; so is an unknown activation.
	x := kerRand(r, 1, 4, 6, 6)
	kerCheck(t, kerCase{domain: ops.OnyxDomain, op: "FusedConv", opset: 1, in: []*tensor.Tensor{x, kerRand(r, 3, 4, 3, 3)}, alt: []int{1}},
		kerNewFusedConv1x1, true)
	for _, g := range kerAsmImpls(t) {
		n := &ops.Node{Node: kerCase{domain: ops.OnyxDomain, op: "FusedConv", in: []*tensor.Tensor{x, x}}.node(),
			Schema: ops.LookupSchema(ops.OnyxDomain, "FusedConv", 1), Opset: 1,
			In: []ops.TypeShape{ops.Known(x), ops.Known(kerRand(r, 3, 4, 1, 1))}, Out: []ops.TypeShape{{DType: tensor.Float32}}}
		n.Attrs = []*ir.Attribute{kerAttrString("activation", "Gelu")}
		if k, err := kerNewFusedConv1x1(g, n); k != nil || err != nil {
			t.Errorf("unknown activation on %s: %v, %v; want a decline", g.Name, k, err)
		}
		// A residual of another shape is an error at run time.
		w := kerRand(r, 3, 4, 1, 1)
		n.Attrs = nil
		n.Inputs = []string{"x", "w", "", "z"}
		n.In = []ops.TypeShape{{DType: tensor.Float32, Shape: ir.Shape{ir.UnknownDim, ir.UnknownDim, ir.UnknownDim, ir.UnknownDim}},
			ops.Known(w), {Absent: true}, {DType: tensor.Float32, Shape: ir.Shape{ir.UnknownDim, ir.UnknownDim, ir.UnknownDim, ir.UnknownDim}}}
		k, err := kerNewFusedConv1x1(g, n)
		if err != nil || k == nil {
			t.Fatalf("%s: factory: %v %v", g.Name, k, err)
		}
		err = k.Run(&ops.ExecContext{Ctx: context.Background(), Threads: 1},
			[]*tensor.Tensor{x, w, nil, kerRand(r, 1, 3, 6, 5)}, []*tensor.Tensor{nil})
		if !errors.Is(err, ops.ErrShapeMismatch) {
			t.Errorf("%s: residual of the wrong shape: %v", g.Name, err)
		}
	}
}
