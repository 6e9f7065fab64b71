package kern

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// convGradFactory is convGradNew as the harness calls factories.
func convGradFactory(g *ISA, n *ops.Node) (ops.Kernel, error) {
	return convGradNew(g, n, n.OpType == "ConvGradWeight")
}

// convShapeTensor is a shape input of the gradient ops.
func convShapeTensor(s []int) *tensor.Tensor {
	v := make([]int64, len(s))
	for i, d := range s {
		v[i] = int64(d)
	}
	return tensor.Must(tensor.FromSlice(v, len(v)))
}

// convGradCases returns the ConvGradInput and ConvGradWeight cases of a
// conv of x and w with attrs: dY random, of the conv's output shape.
func convGradCases(t testing.TB, r *rand.Rand, x, w *tensor.Tensor, attrs ...*ir.Attribute) (gradIn, gradW convNodeCase) {
	t.Helper()
	fwd := convMake(x, w, nil, nil, "", nil, attrs...)
	y, err := ops.Eval(context.Background(), fwd.node(), fwd.opset, fwd.in, func(b string) bool { return b == "generic" })
	if err != nil {
		t.Fatalf("%s: %v", fwd, err)
	}
	dy := kerRand(r, y[0].Shape()...)
	gradIn = convNodeCase{domain: ops.GradDomain, op: "ConvGradInput", opset: 1, attrs: attrs,
		in: []*tensor.Tensor{dy, w, convShapeTensor(x.Shape())}, varying: []int{1}}
	gradW = convNodeCase{domain: ops.GradDomain, op: "ConvGradWeight", opset: 1, attrs: attrs,
		in: []*tensor.Tensor{dy, x, convShapeTensor(w.Shape())}, varying: []int{1}}
	return gradIn, gradW
}

// TestConvGradAgainstGeneric runs ConvGradInput and ConvGradWeight on
// every tier against the generic kernels, over the edge geometries (with
// W or X fed at run time, and on a parallel pool), and on convs large
// enough for the parallel paths.
func TestConvGradAgainstGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	geos := append(convEdgeGeos(),
		convGeo{8, 16, 32, 28, 28, 3, 3, []*ir.Attribute{kerAttrInts("pads", 1, 1, 1, 1)}},
		convGeo{5, 12, 48, 30, 30, 5, 5, []*ir.Attribute{kerAttrInts("pads", 2, 2, 2, 2), kerAttrInt("group", 3)}},
		convGeo{3, 8, 8, 33, 31, 3, 3, []*ir.Attribute{kerAttrInts("pads", 1, 1, 1, 1), kerAttrInt("group", 8), kerAttrInts("strides", 2, 2)}},
		// Enough input channels per group for the transposed conv.
		convGeo{2, 32, 16, 9, 9, 3, 3, []*ir.Attribute{kerAttrInts("pads", 1, 1, 1, 1), kerAttrInt("group", 2)}},
		convGeo{1, 16, 8, 11, 12, 3, 3, []*ir.Attribute{kerAttrInts("dilations", 2, 2), kerAttrInts("pads", 2, 1, 0, 2)}},
		convGeo{2, 17, 5, 6, 30, 2, 4, []*ir.Attribute{kerAttrString("auto_pad", "SAME_LOWER")}},
		convGeo{1, 24, 4, 5, 5, 5, 5, nil},
	)
	for _, s := range geos {
		x := kerRand(r, s.n, s.c, s.h, s.w)
		w := kerRand(r, s.m, s.c/s.group(), s.kh, s.kw)
		gi, gw := convGradCases(t, r, x, w, s.attrs...)
		convGradInputAllWays(t, gi)
		convCheck(t, gw, convGradFactory, false)
	}
	// kernel_shape given, as train copies it from the conv.
	x, w := kerRand(r, 2, 3, 9, 8), kerRand(r, 4, 3, 3, 2)
	gi, gw := convGradCases(t, r, x, w, kerAttrInts("kernel_shape", 3, 2), kerAttrInts("pads", 1, 0, 1, 1))
	convGradInputAllWays(t, gi)
	convCheck(t, gw, convGradFactory, false)
	// Stride 1 with more padding than the window's extent: col2im.
	x, w = kerRand(r, 2, 3, 5, 6), kerRand(r, 4, 3, 2, 2)
	gi, _ = convGradCases(t, r, x, w, kerAttrInts("pads", 2, 0, 1, 3))
	convGradInputAllWays(t, gi)
}

// convGradInputAllWays checks a ConvGradInput case with the factory's
// choices, with the transposed conv's layout flipped, and through col2im.
func convGradInputAllWays(t *testing.T, c convNodeCase) {
	t.Helper()
	convCheck(t, c, convGradFactory, false)
	convFlipped(t, func() { convCheck(t, c, convGradFactory, false) })
	convGradForceCol2im = true
	defer func() { convGradForceCol2im = false }()
	convCheck(t, c, convGradFactory, false)
}

// TestConvGradDeclines checks what the factories leave to the generic
// kernels: other ranks, float64, weight shapes unknown at build.
func TestConvGradDeclines(t *testing.T) {
	r := rand.New(rand.NewPCG(67, 68))
	for _, c := range [][2]*tensor.Tensor{
		{kerRand(r, 1, 2, 9), kerRand(r, 3, 2, 3)},
		{kerRand(r, 1, 2, 5, 5, 5), kerRand(r, 3, 2, 3, 3, 3)},
	} {
		gi, gw := convGradCases(t, r, c[0], c[1])
		convCheck(t, gi, convGradFactory, true)
		convCheck(t, gw, convGradFactory, true)
	}
	f64 := func(s ...int) *tensor.Tensor {
		return tensor.Must(tensor.FromSlice(make([]float64, s[0]*s[1]*s[2]*s[3]), s...))
	}
	for _, c := range []convNodeCase{
		{domain: ops.GradDomain, op: "ConvGradInput", opset: 1, in: []*tensor.Tensor{f64(1, 3, 4, 4), f64(3, 2, 3, 3), convShapeTensor([]int{1, 2, 6, 6})}},
		{domain: ops.GradDomain, op: "ConvGradWeight", opset: 1, in: []*tensor.Tensor{f64(1, 3, 4, 4), f64(1, 2, 6, 6), convShapeTensor([]int{3, 2, 3, 3})}},
	} {
		convCheck(t, c, convGradFactory, true)
	}
	// Weight shapes not known at build: W's dims, or the shape input.
	x, w := kerRand(r, 1, 2, 6, 6), kerRand(r, 3, 2, 3, 3)
	gi, gw := convGradCases(t, r, x, w)
	for _, g := range kerAsmImpls(t) {
		n, err := gi.build(true)
		if err != nil {
			t.Fatal(err)
		}
		n.In[1].Shape = ir.Shape{ir.DimOf(3), ir.UnknownDim, ir.DimOf(3), ir.DimOf(3)}
		if k, err := convGradFactory(g, n); k != nil || err != nil {
			t.Errorf("ConvGradInput, W of unknown shape on %s: %v %v", g.Name, k, err)
		}
		n, err = gw.build(true)
		if err != nil {
			t.Fatal(err)
		}
		n.In[2] = ops.TypeShape{DType: tensor.Int64, Shape: ir.ShapeOf(4)}
		if n.Out, err = n.Schema.Infer(n); err != nil {
			t.Fatal(err)
		}
		if k, err := convGradFactory(g, n); k != nil || err != nil {
			t.Errorf("ConvGradWeight, shape of W unknown on %s: %v %v", g.Name, k, err)
		}
	}
}

// TestConvGradErrors: shapes at run time that do not fit the node are
// errors, not panics; a warm Run allocates nothing.
func TestConvGradErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(69, 70))
	x, w := kerRand(r, 2, 4, 7, 7), kerRand(r, 6, 4, 3, 3)
	pads := kerAttrInts("pads", 1, 1, 1, 1)
	gi, gw := convGradCases(t, r, x, w, pads)
	dy := gi.in[0]
	for _, g := range kerAsmImpls(t) {
		for _, c := range []struct {
			base convNodeCase
			bad  [][]*tensor.Tensor
		}{
			{gi, [][]*tensor.Tensor{
				{dy, kerRand(r, 6, 4, 3, 2), gi.in[2]},                          // W
				{dy, kerRand(r, 6, 4, 3), gi.in[2]},                             // W's rank
				{dy, w, convShapeTensor([]int{2, 4, 7})},                        // X's rank
				{dy, w, convShapeTensor([]int{2, 5, 7, 7})},                     // X's channels
				{dy, w, convShapeTensor([]int{2, 4, 9, 7})},                     // dY for another X
				{kerRand(r, 1, 6, 7, 7), w, gi.in[2]},                           // dY's batch
				{dy, w, tensor.Must(tensor.FromSlice([]int64{2, -4, 7, 7}, 4))}, // a negative dim
			}},
			{gw, [][]*tensor.Tensor{
				{dy, x, convShapeTensor([]int{6, 4, 3, 2})}, // W's shape
				{dy, kerRand(r, 2, 4, 7), gw.in[2]},         // X's rank
				{dy, kerRand(r, 2, 4, 8, 7), gw.in[2]},      // dY for another X
				{kerRand(r, 2, 5, 7, 7), x, gw.in[2]},       // dY's channels
			}},
		} {
			n, err := c.base.build(true)
			if err != nil {
				t.Fatal(err)
			}
			k, err := convGradFactory(g, n)
			if err != nil || k == nil {
				t.Fatalf("%s on %s: %v %v", c.base, g.Name, k, err)
			}
			ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
			for _, in := range c.bad {
				if err := k.Run(ec, in, []*tensor.Tensor{nil}); !errors.Is(err, ops.ErrShapeMismatch) {
					t.Errorf("%s on %s: inputs %v: error %v, want a shape mismatch", c.base.op, g.Name, fmt.Sprint(in[0].Shape(), in[1].Shape()), err)
				}
			}
			if emulated(g) {
				continue
			}
			out := []*tensor.Tensor{nil}
			if a := kerAllocsPerRun(t, k, ec, c.base.in, out); a != 0 {
				t.Errorf("%s on %s: %v allocations per Run", c.base.op, g.Name, a)
			}
		}
		// ConvGradInput as the transposed conv.
		if emulated(g) {
			continue
		}
		gi, _ := convGradCases(t, r, kerRand(r, 2, 16, 7, 7), kerRand(r, 6, 16, 3, 3), pads)
		n, err := gi.build(true)
		if err != nil {
			t.Fatal(err)
		}
		k, err := convGradFactory(g, n)
		if err != nil || k == nil || k.(*convGradKernel).tr == nil {
			t.Fatalf("ConvGradInput on %s: %v %v, want the transposed conv", g.Name, k, err)
		}
		ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
		out := []*tensor.Tensor{nil}
		if a := kerAllocsPerRun(t, k, ec, gi.in, out); a != 0 {
			t.Errorf("ConvGradInput (transposed conv) on %s: %v allocations per Run", g.Name, a)
		}
	}
}
