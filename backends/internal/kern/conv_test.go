package kern

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// convNodeCase is one node run by a tier's factory and by the generic
// backend: Conv, FusedConv, the pools.
type convNodeCase struct {
	domain, op string
	opset      int64
	attrs      []*ir.Attribute
	in         []*tensor.Tensor // nil for an omitted input
	varying    []int            // inputs the factory does not see as constants (besides the first run's all-constant one)
	mayDecline bool             // the factory may decline on some tiers (a choice by tile sizes)
}

func (c convNodeCase) String() string {
	var b strings.Builder
	b.WriteString(c.op)
	for _, t := range c.in {
		if t == nil {
			b.WriteString(" -")
		} else {
			fmt.Fprint(&b, " ", t.Shape())
		}
	}
	for _, a := range c.attrs {
		fmt.Fprintf(&b, " %s=%v", a.Name, convAttrValue(a))
	}
	return b.String()
}

func convAttrValue(a *ir.Attribute) any {
	if a.Type == ir.AttrFloats {
		return a.Floats
	}
	return kerAttrValue(a)
}

func (c convNodeCase) node() *ir.Node {
	names := make([]string, len(c.in))
	for i, t := range c.in {
		if t != nil {
			names[i] = fmt.Sprint("x", i)
		}
	}
	return &ir.Node{Domain: c.domain, OpType: c.op, Inputs: names, Outputs: []string{"y"}, Attrs: c.attrs}
}

// convTestPool is an ExecContext pool that runs every chunk on its own
// goroutine, to exercise the kernels' parallel paths.
type convTestPool struct{}

func (convTestPool) For(n int, fn func(int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); fn(i) }()
	}
	wg.Wait()
}

// build makes the ops.Node the runtime would give the factory: all inputs
// constant, or all but those in varying.
func (c convNodeCase) build(varying bool) (*ops.Node, error) {
	n := &ops.Node{Node: c.node(), Schema: ops.LookupSchema(c.domain, c.op, c.opset), Opset: c.opset, In: make([]ops.TypeShape, len(c.in))}
	if n.Schema == nil {
		return nil, fmt.Errorf("no schema for %s", c.op)
	}
	for i, x := range c.in {
		switch {
		case x == nil:
			n.In[i] = ops.TypeShape{Absent: true}
		case varying && (i == 0 || convContains(c.varying, i)):
			n.In[i] = ops.TypeShape{DType: x.DType(), Shape: ir.ShapeOf(x.Shape()...)}
		default:
			n.In[i] = ops.Known(x)
		}
	}
	out, err := n.Schema.Infer(n)
	if err != nil {
		return nil, err
	}
	n.Out = out
	return n, nil
}

func convContains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// run builds c's kernel with factory f on tier g and runs it (with a
// parallel pool when threads > 1), the output inside NaN guards and
// itself NaN-filled (the kernels overwrite every element). It returns
// (nil, nil) if the factory declines.
func (c convNodeCase) run(t *testing.T, g *ISA, f func(*ISA, *ops.Node) (ops.Kernel, error), varying bool, threads int) (*tensor.Tensor, error) {
	t.Helper()
	n, err := c.build(varying)
	if err != nil {
		return nil, err
	}
	k, err := f(g, n)
	if err != nil || k == nil {
		return nil, err
	}
	const guard = 37
	dims, ok := n.Out[0].ConcreteShape()
	if !ok {
		t.Fatalf("%s: output shape %v not known", c, n.Out[0].Shape)
	}
	size, err := tensor.NumElements(dims)
	if err != nil {
		t.Fatal(err)
	}
	inner, all := gemmGuarded(size, guard)
	outs := []*tensor.Tensor{tensor.Must(tensor.FromSlice(inner, dims...))}
	ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
	if threads > 1 {
		ec.Threads, ec.Pool = threads, convTestPool{}
	}
	if err := k.Run(ec, c.in, outs); err != nil {
		return nil, err
	}
	if at, ok := gemmGuardWritten(all, guard); ok {
		t.Fatalf("%s on %s: wrote %g into the guard at %d", c, g.Name, all[at+guard], at)
	}
	return outs[0], nil
}

// convCheck runs c on every tier with f (all inputs constant, then only
// those not in c.varying, then with a parallel pool) and compares with the
// generic backend. wantDecline says the factory must decline.
func convCheck(t *testing.T, c convNodeCase, f func(*ISA, *ops.Node) (ops.Kernel, error), wantDecline bool) {
	t.Helper()
	want, err := ops.Eval(context.Background(), c.node(), c.opset, c.in, func(b string) bool { return b == "generic" })
	if err != nil {
		t.Fatalf("%s: generic: %v", c, err)
	}
	for _, g := range kerAsmImpls(t) {
		for _, mode := range []struct {
			varying bool
			threads int
		}{{false, 1}, {true, 1}, {true, 3}} {
			got, err := c.run(t, g, f, mode.varying, mode.threads)
			what := fmt.Sprintf("%s on %s (varying %v, threads %d)", c, g.Name, mode.varying, mode.threads)
			if err != nil {
				t.Errorf("%s: %v", what, err)
				continue
			}
			if got == nil {
				if !wantDecline && !c.mayDecline {
					t.Errorf("%s: declined", what)
				}
				continue
			}
			if wantDecline {
				t.Errorf("%s: accepted, want a decline", what)
			}
			convCompare(t, what, got, want[0])
		}
	}
}

// convCompare compares with a tolerance relative to the values' scale;
// NaNs must match.
func convCompare(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if !tensor.SameShape(got.Shape(), want.Shape()) || got.DType() != want.DType() {
		t.Errorf("%s: got %v %v, want %v %v", what, got.DType(), got.Shape(), want.DType(), want.Shape())
		return
	}
	g, w := tensor.Data[float32](got), tensor.Data[float32](want)
	for i := range g {
		gn, wn := math.IsNaN(float64(g[i])), math.IsNaN(float64(w[i]))
		if gn || wn {
			if gn != wn {
				t.Errorf("%s: y[%d] = %g, want %g", what, i, g[i], w[i])
				return
			}
			continue
		}
		if g[i] == w[i] { // infinities
			continue
		}
		if d := math.Abs(float64(g[i] - w[i])); !(d <= 3e-5*(1+math.Abs(float64(w[i])))) {
			t.Errorf("%s: y[%d] = %g, want %g", what, i, g[i], w[i])
			return
		}
	}
}

// convMake returns a Conv (or, with an activation or a residual, a
// FusedConv) case.
func convMake(x, w, b, z *tensor.Tensor, act string, params []float32, attrs ...*ir.Attribute) convNodeCase {
	c := convNodeCase{op: "Conv", opset: 11, attrs: attrs, in: []*tensor.Tensor{x, w}, varying: []int{2, 3}}
	if b != nil || z != nil {
		c.in = append(c.in, b)
	}
	if z != nil || act != "" || params != nil {
		c.domain, c.op, c.opset = ops.OnyxDomain, "FusedConv", 1
		if z != nil {
			c.in = append(c.in, z)
		}
		if act != "" {
			c.attrs = append(append([]*ir.Attribute(nil), c.attrs...), kerAttrString("activation", act))
		}
		if params != nil {
			c.attrs = append(c.attrs, &ir.Attribute{Name: "activation_params", Type: ir.AttrFloats, Floats: params})
		}
	}
	return c
}

// convFactory is convNew as the harness calls factories.
func convFactory(g *ISA, n *ops.Node) (ops.Kernel, error) {
	return convNew(g, n, n.Domain == ops.OnyxDomain)
}

// convFlipped runs f with the factory's layout choice flipped.
func convFlipped(t *testing.T, f func()) {
	convForceLayout = convLayoutFlip
	defer func() { convForceLayout = convLayoutAuto }()
	f()
}

// convBothLayouts is convCheck with the factory's choice of layout and
// with the other one, and with its choice of Winograd flipped.
func convBothLayouts(t *testing.T, c convNodeCase, wantDecline bool) {
	t.Helper()
	convCheck(t, c, convFactory, wantDecline)
	convFlipped(t, func() { convCheck(t, c, convFactory, wantDecline) })
	convForceWino = convWinoFlip
	defer func() { convForceWino = convWinoAuto }()
	convCheck(t, c, convFactory, wantDecline)
}

func TestConvPackLayout(t *testing.T) {
	var a ConvPackArgs
	var l convLanes
	var tr ConvTrArgs
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"dst", unsafe.Offsetof(a.dst), 0}, {"src", unsafe.Offsetof(a.src), 8}, {"dOff", unsafe.Offsetof(a.dOff), 16},
		{"lanes", unsafe.Offsetof(a.lanes), 24}, {"kb", unsafe.Offsetof(a.kb), 32}, {"groups", unsafe.Offsetof(a.groups), 40},
		{"subs", unsafe.Offsetof(a.subs), 48}, {"rowStride", unsafe.Offsetof(a.rowStride), 56},
		{"panelStride", unsafe.Offsetof(a.panelStride), 64}, {"subStride", unsafe.Offsetof(a.subStride), 72},
		{"lanes.off", unsafe.Offsetof(l.off), 0}, {"lanes.mask", unsafe.Offsetof(l.mask), 32},
		{"lanes.mode", unsafe.Offsetof(l.mode), 64}, {"sizeof lanes", unsafe.Sizeof(l), 72},
		{"tr.src", unsafe.Offsetof(tr.src), 0}, {"tr.dst", unsafe.Offsetof(tr.dst), 8}, {"tr.res", unsafe.Offsetof(tr.res), 16},
		{"tr.lds", unsafe.Offsetof(tr.lds), 24}, {"tr.ldd", unsafe.Offsetof(tr.ldd), 32}, {"tr.rows", unsafe.Offsetof(tr.rows), 40},
		{"tr.cols", unsafe.Offsetof(tr.cols), 48}, {"tr.flags", unsafe.Offsetof(tr.flags), 56}, {"tr.lo", unsafe.Offsetof(tr.lo), 64},
		{"tr.hi", unsafe.Offsetof(tr.hi), 68},
	} {
		if c.got != c.want {
			t.Errorf("%s at %d, the assembly uses %d", c.name, c.got, c.want)
		}
	}
}

// TestConvPack runs each ISA's packer against convPackGo on tiles of every
// lane mode, for every panel width.
func TestConvPack(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, g := range testISAs(t) {
		for _, nr := range []int{8, 16, 32} {
			for _, s := range []struct{ ow, sh, sw, wp, nb, j0, kb int }{
				{56, 1, 1, 58, 256, 0, 9}, {56, 1, 1, 58, 77, 30, 5}, {7, 1, 1, 9, 49, 0, 27},
				{28, 2, 2, 58, 100, 3, 11}, {13, 2, 2, 28, 169, 0, 3}, {5, 1, 3, 20, 23, 1, 7}, {1, 1, 1, 3, 1, 0, 1},
				{64, 1, 1, 64, 64, 64, 4}, {8, 2, 2, 17, 8, 0, 6},
			} {
				plane := s.wp * (s.sh*(s.j0+s.nb)/s.ow + 4)
				src := gemmRandSlice(r, 2*plane+16)
				dOff := make([]int32, s.kb)
				for p := range dOff {
					dOff[p] = int32(p%2*plane + p/2%3)
				}
				maxD := 0
				for _, d := range dOff {
					maxD = max(maxD, int(d))
				}
				panels := (s.nb + nr - 1) / nr
				lanes := make([]convLanes, panels*nr/8)
				groups := convLaneSetup(lanes, s.j0, s.nb, nr, s.ow, s.sh, s.sw, s.wp, maxD, len(src))
				args := ConvPackArgs{kb: s.kb, groups: groups, subs: nr / 8, rowStride: nr * 4, panelStride: s.kb * nr * 4, subStride: 32}
				want := make([]float32, panels*nr*s.kb)
				Go.convPack(&args, src, dOff, lanes, want)
				got, all := gemmGuarded(len(want), 16)
				g.convPack(&args, src, dOff, lanes, got)
				for i := range all {
					if (i < 16 || i >= len(all)-16) && !math.IsNaN(float64(all[i])) {
						t.Fatalf("%s %+v nr=%d: wrote into the guard", g.Name, s, nr)
					}
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%+v nr=%d: dst[%d] = %g, want %g", s, nr, i, got[i], want[i])
					}
				}
				// The packed values are the definition's.
				for j := range s.nb {
					oy, ox := (s.j0+j)/s.ow, (s.j0+j)%s.ow
					for p := range s.kb {
						v := want[j/nr*s.kb*nr+p*nr+j%nr]
						if w := src[int(dOff[p])+oy*s.sh*s.wp+ox*s.sw]; v != w {
							t.Fatalf("%+v nr=%d: B(%d, %d) = %g, want %g", s, nr, p, j, v, w)
						}
					}
				}
			}
		}
	}
}

// TestConvAgainstGeneric runs the implicit-GEMM convolution against the
// generic kernel over window geometries: kernel sizes, strides, dilations,
// asymmetric and automatic padding, groups, batches, channel counts around
// the strip heights, pixel counts around the panel widths.
func TestConvAgainstGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	type geo struct {
		n, c, m, h, w, kh, kw int
		attrs                 []*ir.Attribute
	}
	pads := func(v ...int64) *ir.Attribute { return kerAttrInts("pads", v...) }
	strides := func(v ...int64) *ir.Attribute { return kerAttrInts("strides", v...) }
	dil := func(v ...int64) *ir.Attribute { return kerAttrInts("dilations", v...) }
	for _, s := range []geo{
		{1, 3, 8, 9, 9, 3, 3, []*ir.Attribute{pads(1, 1, 1, 1)}},
		{1, 4, 5, 8, 11, 3, 3, nil},
		{2, 3, 7, 12, 10, 3, 3, []*ir.Attribute{pads(1, 1, 1, 1), strides(2, 2)}},
		{1, 3, 16, 23, 23, 7, 7, []*ir.Attribute{pads(3, 3, 3, 3), strides(2, 2)}},
		{1, 5, 13, 10, 9, 5, 5, []*ir.Attribute{pads(2, 2, 2, 2)}},
		{1, 6, 6, 9, 9, 1, 1, []*ir.Attribute{strides(2, 2)}},
		{1, 6, 6, 9, 9, 1, 1, []*ir.Attribute{pads(1, 0, 0, 1)}},
		{1, 4, 12, 11, 13, 3, 3, []*ir.Attribute{dil(2, 2), pads(2, 2, 2, 2)}},
		{1, 4, 11, 11, 13, 3, 2, []*ir.Attribute{pads(0, 1, 2, 0), strides(1, 2)}},
		{1, 2, 3, 7, 7, 3, 3, []*ir.Attribute{kerAttrString("auto_pad", "SAME_UPPER"), strides(2, 2)}},
		{1, 2, 3, 8, 6, 4, 4, []*ir.Attribute{kerAttrString("auto_pad", "SAME_LOWER")}},
		{1, 2, 3, 8, 6, 3, 3, []*ir.Attribute{kerAttrString("auto_pad", "VALID"), strides(3, 2)}},
		{1, 8, 12, 6, 6, 3, 3, []*ir.Attribute{pads(1, 1, 1, 1), kerAttrInt("group", 4)}},
		{2, 6, 9, 5, 7, 3, 3, []*ir.Attribute{pads(1, 1, 1, 1), kerAttrInt("group", 3), strides(2, 1)}},
		{1, 4, 8, 6, 6, 3, 3, []*ir.Attribute{pads(1, 1, 1, 1), kerAttrInt("group", 4)}}, // channel multiplier 2
		{1, 1, 1, 1, 1, 1, 1, []*ir.Attribute{pads(0, 0, 0, 1)}},
		{1, 3, 4, 1, 40, 1, 3, []*ir.Attribute{pads(0, 1, 0, 1)}},
		{1, 3, 2, 3, 3, 3, 3, nil},
	} {
		x := kerRand(r, s.n, s.c, s.h, s.w)
		g := int64(1)
		for _, a := range s.attrs {
			if a.Name == "group" {
				g = a.Int
			}
		}
		w := kerRand(r, s.m, s.c/int(g), s.kh, s.kw)
		convBothLayouts(t, convMake(x, w, nil, nil, "", nil, s.attrs...), false)
		convBothLayouts(t, convMake(x, w, kerRand(r, s.m), nil, "", nil, s.attrs...), false)
	}
}

// TestConvSizes covers the strip heights (output channels around MR), the
// panel widths (pixels around NR), K blocks and several column tiles.
func TestConvSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	for _, m := range []int{1, 5, 6, 7, 11, 12, 13, 25} {
		for _, hw := range [][2]int{{4, 4}, {4, 8}, {3, 11}, {5, 7}, {17, 17}} {
			x := kerRand(r, 1, 3, hw[0], hw[1])
			w := kerRand(r, m, 3, 3, 3)
			convBothLayouts(t, convMake(x, w, kerRand(r, m), nil, "Relu", nil, kerAttrInts("pads", 1, 1, 1, 1)), false)
		}
	}
	// K over one block (64*3*3 = 576 > convMaxKC), several tiles.
	x := kerRand(r, 1, 64, 20, 30)
	w := kerRand(r, 20, 64, 3, 3)
	convCheck(t, convMake(x, w, kerRand(r, 20), nil, "", nil, kerAttrInts("pads", 1, 1, 1, 1)), convFactory, false)
	x = kerRand(r, 2, 130, 9, 9)
	w = kerRand(r, 14, 130, 3, 3)
	convBothLayouts(t, convMake(x, w, kerRand(r, 14), kerRand(r, 2, 14, 9, 9), "Relu", nil, kerAttrInts("pads", 1, 1, 1, 1)), false)
	// Pointwise convs of few pixels (pixel-major), fused.
	for _, hw := range [][2]int{{7, 7}, {6, 6}, {2, 5}, {1, 1}} {
		x = kerRand(r, 2, 20, hw[0], hw[1])
		w = kerRand(r, 13, 20, 1, 1)
		c := convMake(x, w, kerRand(r, 13), kerRand(r, 2, 13, hw[0], hw[1]), "Clip", []float32{0, 6})
		c.mayDecline = true // to kerConv1x1, where the tiles favour it (AVX-512)
		convBothLayouts(t, c, false)
		c = convMake(x, w, nil, nil, "", nil, kerAttrString("auto_pad", "SAME_UPPER"))
		c.mayDecline = true
		convBothLayouts(t, c, false)
	}
	// The layer shapes of resnet18's last stage (pixel-major), smaller.
	x = kerRand(r, 1, 96, 7, 7)
	w = kerRand(r, 40, 96, 3, 3)
	convBothLayouts(t, convMake(x, w, kerRand(r, 40), kerRand(r, 1, 40, 7, 7), "Relu", nil, kerAttrInts("pads", 1, 1, 1, 1)), false)
	x = kerRand(r, 1, 8, 64, 80)
	w = kerRand(r, 9, 8, 3, 3)
	convCheck(t, convMake(x, w, nil, nil, "", nil, kerAttrInts("pads", 1, 1, 1, 1)), convFactory, false)
}

// TestConvFused covers every activation and the residual.
func TestConvFused(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	x := kerRand(r, 2, 5, 9, 10)
	w := kerRand(r, 7, 5, 3, 3)
	b := kerRand(r, 7)
	z := kerRand(r, 2, 7, 9, 10)
	pads := kerAttrInts("pads", 1, 1, 1, 1)
	for _, a := range []struct {
		act    string
		params []float32
	}{
		{"", nil}, {"Relu", nil}, {"Clip", []float32{-0.5, 0.25}}, {"Clip", []float32{0, 6}}, {"LeakyRelu", []float32{0.1}},
		{"HardSwish", nil}, {"Sigmoid", nil},
	} {
		for _, zz := range []*tensor.Tensor{nil, z} {
			for _, bb := range []*tensor.Tensor{nil, b} {
				c := convMake(x, w, bb, zz, a.act, a.params, pads)
				if c.op == "Conv" {
					c = convMake(x, w, bb, zz, a.act, []float32{}, pads) // a FusedConv with no activation
				}
				convBothLayouts(t, c, false)
			}
		}
	}
}

// TestConvDeclines checks what the factory leaves to other kernels.
func TestConvDeclines(t *testing.T) {
	r := rand.New(rand.NewPCG(39, 40))
	x := kerRand(r, 1, 4, 6, 6)
	// Pointwise on many pixels (kerConv1x1's), 1-D and 3-D, float64.
	convCheck(t, convMake(kerRand(r, 1, 4, 16, 16), kerRand(r, 3, 4, 1, 1), nil, nil, "", nil), convFactory, true)
	convCheck(t, convMake(kerRand(r, 1, 4, 9), kerRand(r, 3, 4, 3), nil, nil, "", nil), convFactory, true)
	convCheck(t, convMake(kerRand(r, 1, 2, 4, 4, 4), kerRand(r, 3, 2, 3, 3, 3), nil, nil, "", nil), convFactory, true)
	f64 := tensor.Must(tensor.FromSlice(make([]float64, 2*2*3*3), 2, 2, 3, 3))
	convCheck(t, convMake(tensor.Must(tensor.FromSlice(make([]float64, 2*5*5), 1, 2, 5, 5)), f64, nil, nil, "", nil), convFactory, true)
	// Non-constant depthwise weights (TestConvFedWeights has the others),
	// and non-constant weights of an unknown shape.
	c := convMake(x, kerRand(r, 4, 1, 3, 3), nil, nil, "", nil, kerAttrInt("group", 4))
	c.varying = []int{1}
	for _, g := range kerAsmImpls(t) {
		if k, err := c.run(t, g, convFactory, true, 1); k != nil || err != nil {
			t.Errorf("non-constant depthwise weights on %s: %v, %v; want a decline", g.Name, k, err)
		}
		n, err := convMake(x, kerRand(r, 3, 4, 3, 3), nil, nil, "", nil).build(true)
		if err != nil {
			t.Fatal(err)
		}
		n.In[1] = ops.TypeShape{DType: tensor.Float32, Shape: ir.Shape{ir.DimOf(3), ir.UnknownDim, ir.DimOf(3), ir.DimOf(3)}}
		if k, err := convFactory(g, n); k != nil || err != nil {
			t.Errorf("non-constant weights of an unknown shape on %s: %v, %v; want a decline", g.Name, k, err)
		}
	}
}

// TestConvErrors checks that shapes only known at run time that do not fit
// are errors, not panics.
func TestConvErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	w := kerRand(r, 3, 4, 3, 3)
	z := kerRand(r, 1, 3, 4, 4)
	for _, g := range kerAsmImpls(t) {
		n := &ops.Node{Node: (convNodeCase{domain: ops.OnyxDomain, op: "FusedConv", in: []*tensor.Tensor{w, w, w, z}}).node(),
			Schema: ops.LookupSchema(ops.OnyxDomain, "FusedConv", 1), Opset: 1,
			In: []ops.TypeShape{{DType: tensor.Float32, Shape: ir.Shape{ir.UnknownDim, ir.UnknownDim, ir.UnknownDim, ir.UnknownDim}}, ops.Known(w),
				{DType: tensor.Float32, Shape: ir.Shape{ir.UnknownDim}}, {DType: tensor.Float32, Shape: ir.Shape{ir.UnknownDim, ir.UnknownDim, ir.UnknownDim, ir.UnknownDim}}},
			Out: []ops.TypeShape{{DType: tensor.Float32, Shape: ir.Shape{ir.UnknownDim, ir.UnknownDim, ir.UnknownDim, ir.UnknownDim}}}}
		k, err := convNew(g, n, true)
		if err != nil || k == nil {
			t.Fatalf("factory: %v, %v", k, err)
		}
		ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
		for _, in := range [][]*tensor.Tensor{
			{kerRand(r, 1, 5, 6, 6), w, kerRand(r, 3), z},    // channels
			{kerRand(r, 1, 4, 6), w, kerRand(r, 3), z},       // rank
			{kerRand(r, 1, 4, 6, 6), w, kerRand(r, 4), z},    // bias size
			{kerRand(r, 1, 4, 2, 6), w, kerRand(r, 3), z},    // window larger than the input
			{kerRand(r, 1, 4, 6, 6), w, kerRand(r, 3), w},    // residual shape
			{kerRand(r, 2, 4, 6, 6), w, kerRand(r, 3, 1), z}, // bias rank
		} {
			if err := k.Run(ec, in, []*tensor.Tensor{nil}); !errors.Is(err, ops.ErrShapeMismatch) {
				t.Errorf("%s: input %v: error %v, want a shape mismatch", g.Name, in[0].Shape(), err)
			}
		}
	}
}

// TestConvNoAllocs checks that a Run allocates nothing once its pools are
// warm, with each conv kernel: Winograd, channel-major, pixel-major.
func TestConvNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	// 24x26 pixels: Winograd suits it for both tiers' tile widths.
	c := convMake(kerRand(r, 1, 8, 24, 26), kerRand(r, 10, 8, 3, 3), kerRand(r, 10), kerRand(r, 1, 10, 24, 26), "Relu", nil,
		kerAttrInts("pads", 1, 1, 1, 1))
	for _, g := range kerAsmImpls(t) {
		if emulated(g) {
			continue // emulated
		}
		for _, kind := range []struct {
			name         string
			wino, layout int
			want         string
		}{
			{"winograd", convWinoAuto, convLayoutAuto, "*kern.winoKernel"},
			{"channel-major", convWinoFlip, convLayoutAuto, "*kern.convKernel"},
			{"pixel-major", convWinoFlip, convLayoutFlip, "*kern.convKernel"},
		} {
			convForceWino, convForceLayout = kind.wino, kind.layout
			n, err := c.build(true)
			if err != nil {
				t.Fatal(err)
			}
			k, err := convFactory(g, n)
			convForceWino, convForceLayout = convWinoAuto, convLayoutAuto
			if err != nil || k == nil {
				t.Fatal(k, err)
			}
			if got := fmt.Sprintf("%T", k); got != kind.want {
				t.Fatalf("%s: kernel %s", kind.name, got)
			}
			if ck, ok := k.(*convKernel); ok && (ck.pbT != nil) != (kind.name == "pixel-major") {
				t.Fatalf("%s: pixel-major %v", kind.name, ck.pbT != nil)
			}
			out := []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float32, 1, 10, 24, 26))}
			ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
			if a := kerAllocsPerRun(t, k, ec, c.in, out); a != 0 {
				t.Errorf("%s on %s: %v allocations per Run", kind.name, g.Name, a)
			}
		}
	}
}

// TestConvCancelledRunsNoChunk: at one thread too, the implicit-GEMM and
// Winograd convs claim no chunk once the Run's context is done (the runtime
// then returns ctx.Err()), so a huge conv stops between chunks.
func TestConvCancelledRunsNoChunk(t *testing.T) {
	r := rand.New(rand.NewPCG(47, 48))
	c := convMake(kerRand(r, 1, 8, 24, 26), kerRand(r, 10, 8, 3, 3), kerRand(r, 10), nil, "Relu", nil,
		kerAttrInts("pads", 1, 1, 1, 1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, g := range kerAsmImpls(t) {
		if emulated(g) {
			continue
		}
		for _, wino := range []int{convWinoAuto, convWinoFlip} {
			convForceWino = wino
			n, err := c.build(true)
			if err != nil {
				t.Fatal(err)
			}
			k, err := convFactory(g, n)
			convForceWino = convWinoAuto
			if err != nil || k == nil {
				t.Fatal(k, err)
			}
			y := tensor.Must(tensor.New(tensor.Float32, 1, 10, 24, 26))
			for i := range tensor.Data[float32](y) {
				tensor.Data[float32](y)[i] = float32(math.NaN())
			}
			if err := k.Run(&ops.ExecContext{Ctx: ctx, Threads: 1}, c.in, []*tensor.Tensor{y}); err != nil {
				t.Fatal(err)
			}
			for i, v := range tensor.Data[float32](y) {
				if !math.IsNaN(float64(v)) {
					t.Fatalf("%T on %s: cancelled Run wrote y[%d] = %v", k, g.Name, i, v)
				}
			}
		}
	}
}

// TestConvShapeChange builds each kernel (implicit GEMM, pixel-major,
// Winograd, depthwise) for one input size and runs it on others, against
// generic, and checks that bad shapes at run time are errors.
func TestConvShapeChange(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	pads := kerAttrInts("pads", 1, 1, 1, 1)
	for _, k := range []struct {
		name  string
		w     *tensor.Tensor
		group int64
		hw    int
	}{
		{"winograd", kerRand(r, 16, 16, 3, 3), 1, 20},
		{"pixel-major", kerRand(r, 24, 16, 3, 3), 1, 7},
		{"channel-major", kerRand(r, 16, 16, 5, 5), 1, 30},
		{"depthwise", kerRand(r, 16, 1, 3, 3), 16, 20},
	} {
		for _, g := range kerAsmImpls(t) {
			build := convMake(kerRand(r, 1, 16, k.hw, k.hw), k.w, kerRand(r, k.w.Shape()[0]), nil, "Relu", nil, pads, kerAttrInt("group", k.group))
			n, err := build.build(false)
			if err != nil {
				t.Fatal(err)
			}
			kern, err := convFactory(g, n)
			if err != nil || kern == nil {
				t.Fatalf("%s on %s: %v %v", k.name, g.Name, kern, err)
			}
			ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
			for _, hw := range [][3]int{{1, 9, 17}, {2, 7, 7}, {1, 3, 40}, {1, 1, 1}} {
				c := convMake(kerRand(r, hw[0], 16, hw[1], hw[2]), k.w, build.in[2], nil, "Relu", nil, pads, kerAttrInt("group", k.group))
				want, err := ops.Eval(context.Background(), c.node(), c.opset, c.in, func(b string) bool { return b == "generic" })
				out := []*tensor.Tensor{nil}
				if err != nil {
					if err := kern.Run(ec, c.in, out); !errors.Is(err, ops.ErrShapeMismatch) {
						t.Errorf("%s on %s, input %v: error %v, want a shape mismatch as generic's", k.name, g.Name, c.in[0].Shape(), err)
					}
					continue
				}
				if err := kern.Run(ec, c.in, out); err != nil {
					t.Errorf("%s on %s, input %v: %v", k.name, g.Name, c.in[0].Shape(), err)
					continue
				}
				convCompare(t, fmt.Sprintf("%s on %s, input %v", k.name, g.Name, c.in[0].Shape()), out[0], want[0])
			}
			for _, in := range [][]*tensor.Tensor{
				{kerRand(r, 1, 15, 9, 9), k.w, build.in[2]},   // channels
				{kerRand(r, 1, 16, 9), k.w, build.in[2]},      // rank
				{kerRand(r, 1, 16, 1, 1), k.w, build.in[2]},   // smaller than the window (no padding left)
				{kerRand(r, 1, 16, 9, 9), k.w, kerRand(r, 3)}, // bias
			} {
				if in[0].Rank() == 4 && in[0].Shape()[2] == 1 {
					continue // with pads 1, a 1x1 input is a valid 3x3 conv
				}
				if err := kern.Run(ec, in, []*tensor.Tensor{nil}); !errors.Is(err, ops.ErrShapeMismatch) {
					t.Errorf("%s on %s: input %v: error %v, want a shape mismatch", k.name, g.Name, in[0].Shape(), err)
				}
			}
		}
	}
}

// TestConvUntranspose checks the transposing epilogue of the pixel-major
// GEMM against its definition on sizes around the 8x8 blocks.
func TestConvUntranspose(t *testing.T) {
	r := rand.New(rand.NewPCG(47, 48))
	for _, isa := range testISAs(t) {
		for _, ohw := range []int{1, 7, 8, 9, 16, 49, 50} {
			for _, cc := range [][2]int{{0, 8}, {0, 5}, {3, 19}, {8, 24}, {0, 1}} {
				for _, ep := range []Epilogue{{}, {Act: ActRelu}, {Act: ActClip, Min: -0.2, Max: 0.3}, {Act: ActSigmoid}} {
					for _, withZ := range []bool{false, true} {
						const ldc = 27
						c0, c1 := cc[0], cc[1]
						cT := gemmRandSlice(r, ohw*ldc)
						var z []float32
						if withZ {
							z = gemmRandSlice(r, c1*ohw)
						}
						got, all := gemmGuarded(c1*ohw, 8)
						isa.convUntranspose(got, cT, z, ohw, ldc, c0, c1, &ep)
						for i := range all {
							if (i < 8+c0*ohw || i >= len(all)-8) && !math.IsNaN(float64(all[i])) {
								t.Fatalf("ohw %d channels %v: wrote outside [c0, c1)", ohw, cc)
							}
						}
						for co := c0; co < c1; co++ {
							row := make([]float32, ohw)
							for p := range row {
								row[p] = cT[p*ldc+co]
								if z != nil {
									row[p] += z[co*ohw+p]
								}
							}
							ops.Activation{Kind: map[Activation]string{ActNone: "", ActRelu: "Relu", ActClip: "Clip", ActSigmoid: "Sigmoid"}[ep.Act],
								Params: map[Activation][]float32{ActClip: {ep.Min, ep.Max}}[ep.Act]}.Apply(row)
							for p, w := range row {
								if g := got[co*ohw+p]; math.Abs(float64(g-w)) > 1e-6 {
									t.Fatalf("%s: ohw %d channels %v act %d res %v: y[%d][%d] = %g, want %g", isa.Name, ohw, cc, ep.Act, withZ, co, p, g, w)
								}
							}
						}
					}
				}
			}
		}
	}
}
