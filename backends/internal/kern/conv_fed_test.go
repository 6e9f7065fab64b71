package kern

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// convGeo is a conv geometry of the fed-weight and gradient tests.
type convGeo struct {
	n, c, m, h, w, kh, kw int
	attrs                 []*ir.Attribute
}

func (s convGeo) group() int {
	for _, a := range s.attrs {
		if a.Name == "group" {
			return int(a.Int)
		}
	}
	return 1
}

// convEdgeGeos are the geometries where the implicit GEMMs and their
// gradients break: strides, dilations, asymmetric and automatic padding,
// groups (depthwise too), 1x1 windows, odd sizes, batches, channel counts
// around the strips, a window as large as the padded input, the training
// CNN's layers.
func convEdgeGeos() []convGeo {
	pads := func(v ...int64) *ir.Attribute { return kerAttrInts("pads", v...) }
	strides := func(v ...int64) *ir.Attribute { return kerAttrInts("strides", v...) }
	dil := func(v ...int64) *ir.Attribute { return kerAttrInts("dilations", v...) }
	group := func(g int64) *ir.Attribute { return kerAttrInt("group", g) }
	return []convGeo{
		{2, 1, 16, 28, 28, 3, 3, []*ir.Attribute{pads(1, 1, 1, 1)}}, // the training CNN's first layer
		{3, 16, 32, 14, 14, 3, 3, []*ir.Attribute{pads(1, 1, 1, 1)}},
		{1, 3, 8, 9, 9, 3, 3, []*ir.Attribute{pads(1, 1, 1, 1)}},
		{1, 4, 5, 8, 11, 3, 3, nil},
		{2, 3, 7, 12, 10, 3, 3, []*ir.Attribute{pads(1, 1, 1, 1), strides(2, 2)}},
		{1, 3, 13, 23, 23, 7, 7, []*ir.Attribute{pads(3, 3, 3, 3), strides(2, 2)}},
		{1, 5, 13, 10, 9, 5, 5, []*ir.Attribute{pads(2, 2, 2, 2)}},
		{1, 6, 6, 9, 9, 1, 1, []*ir.Attribute{strides(2, 2)}},
		{2, 6, 7, 9, 9, 1, 1, nil},
		{1, 6, 6, 9, 9, 1, 1, []*ir.Attribute{pads(1, 0, 0, 1)}},
		{1, 4, 12, 11, 13, 3, 3, []*ir.Attribute{dil(2, 2), pads(2, 2, 2, 2)}},
		{1, 4, 11, 11, 13, 3, 2, []*ir.Attribute{pads(0, 1, 2, 0), strides(1, 2)}},
		{1, 3, 5, 10, 9, 3, 3, []*ir.Attribute{dil(2, 1), strides(2, 3), pads(0, 2, 1, 0)}},
		{1, 2, 3, 7, 7, 3, 3, []*ir.Attribute{kerAttrString("auto_pad", "SAME_UPPER"), strides(2, 2)}},
		{1, 2, 3, 8, 6, 4, 4, []*ir.Attribute{kerAttrString("auto_pad", "SAME_LOWER")}},
		{1, 2, 3, 8, 6, 3, 3, []*ir.Attribute{kerAttrString("auto_pad", "VALID"), strides(3, 2)}},
		{1, 8, 12, 6, 6, 3, 3, []*ir.Attribute{pads(1, 1, 1, 1), group(4)}},
		{2, 6, 9, 5, 7, 3, 3, []*ir.Attribute{pads(1, 1, 1, 1), group(3), strides(2, 1)}},
		{2, 6, 6, 7, 7, 3, 3, []*ir.Attribute{pads(1, 1, 1, 1), group(6)}}, // depthwise
		{1, 5, 10, 8, 9, 3, 3, []*ir.Attribute{pads(1, 1, 1, 1), group(5), strides(2, 2)}},
		{1, 1, 1, 1, 1, 1, 1, []*ir.Attribute{pads(0, 0, 0, 1)}},
		{1, 3, 4, 1, 40, 1, 3, []*ir.Attribute{pads(0, 1, 0, 1)}},
		{1, 3, 2, 3, 3, 3, 3, nil},
		{1, 2, 3, 2, 2, 4, 4, []*ir.Attribute{pads(1, 1, 1, 1)}},
		{2, 20, 25, 7, 7, 3, 3, []*ir.Attribute{pads(1, 1, 1, 1)}},  // pixel-major
		{1, 64, 13, 6, 19, 3, 3, []*ir.Attribute{pads(1, 1, 1, 1)}}, // K over one block
	}
}

// TestConvFedWeights runs the convs whose weights are an input fed at run
// time (training's parameters) against the generic kernel, both layouts,
// with and without a bias, fused.
func TestConvFedWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	for _, s := range convEdgeGeos() {
		x := kerRand(r, s.n, s.c, s.h, s.w)
		w := kerRand(r, s.m, s.c/s.group(), s.kh, s.kw)
		depthwise := s.group() > 1 && s.group() == s.c && s.c == s.m
		for _, c := range []convNodeCase{
			convMake(x, w, nil, nil, "", nil, s.attrs...),
			convMake(x, w, kerRand(r, s.m), nil, "", nil, s.attrs...),
		} {
			c.varying = []int{1, 2, 3}
			c.mayDecline = true // constant weights: pointwise and depthwise convs go to other kernels
			convBothLayouts(t, c, false)
			// Fed weights: accepted but for depthwise convs.
			for _, g := range kerAsmImpls(t) {
				n, err := c.build(true)
				if err != nil {
					t.Fatal(err)
				}
				if k, err := convFactory(g, n); err != nil || (k == nil) != depthwise {
					t.Errorf("%s on %s: fed weights: kernel %T, %v", c, g.Name, k, err)
				}
			}
		}
	}
	// Fused, with a residual, on a batch.
	x := kerRand(r, 2, 5, 9, 10)
	c := convMake(x, kerRand(r, 7, 5, 3, 3), kerRand(r, 7), kerRand(r, 2, 7, 9, 10), "Relu", nil, kerAttrInts("pads", 1, 1, 1, 1))
	c.varying = []int{1, 2, 3}
	convBothLayouts(t, c, false)
}

// TestConvFedWeightsErrors: fed weights of another shape than the node's
// are an error, and the kernel allocates nothing per Run once warm.
func TestConvFedWeightsErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	c := convMake(kerRand(r, 1, 8, 24, 26), kerRand(r, 10, 8, 3, 3), kerRand(r, 10), nil, "", nil, kerAttrInts("pads", 1, 1, 1, 1))
	c.varying = []int{1, 2}
	for _, g := range kerAsmImpls(t) {
		for _, layout := range []int{convLayoutAuto, convLayoutFlip} {
			convForceLayout = layout
			n, err := c.build(true)
			if err != nil {
				t.Fatal(err)
			}
			k, err := convFactory(g, n)
			convForceLayout = convLayoutAuto
			if err != nil || k == nil {
				t.Fatal(k, err)
			}
			if ck := k.(*convKernel); !ck.fed || ck.pixel != (layout == convLayoutFlip) {
				t.Fatalf("%s: fed %v pixel-major %v", g.Name, ck.fed, ck.pixel)
			}
			ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
			for _, w := range []*tensor.Tensor{kerRand(r, 10, 8, 3, 2), kerRand(r, 10, 4, 3, 3), nil} {
				if err := k.Run(ec, []*tensor.Tensor{c.in[0], w, c.in[2]}, []*tensor.Tensor{nil}); err == nil {
					t.Errorf("%s: weights %v: no error", g.Name, w)
				}
			}
			if emulated(g) {
				continue
			}
			out := []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float32, 1, 10, 24, 26))}
			if a := kerAllocsPerRun(t, k, ec, c.in, out); a != 0 {
				t.Errorf("%s layout %d: %v allocations per Run", g.Name, layout, a)
			}
		}
	}
}
