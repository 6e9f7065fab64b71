package kern

import (
	"context"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func TestWinArgsLayout(t *testing.T) {
	var a WinArgs
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"x", unsafe.Offsetof(a.x), 0}, {"y", unsafe.Offsetof(a.y), 8}, {"w", unsafe.Offsetof(a.w), 16},
		{"res", unsafe.Offsetof(a.res), 24}, {"h", unsafe.Offsetof(a.h), 32}, {"wd", unsafe.Offsetof(a.wd), 40},
		{"oh", unsafe.Offsetof(a.oh), 48}, {"ow", unsafe.Offsetof(a.ow), 56}, {"kh", unsafe.Offsetof(a.kh), 64},
		{"kw", unsafe.Offsetof(a.kw), 72}, {"padT", unsafe.Offsetof(a.padT), 80}, {"padL", unsafe.Offsetof(a.padL), 88},
		{"fastLo", unsafe.Offsetof(a.fastLo), 96}, {"fastHi", unsafe.Offsetof(a.fastHi), 104},
		{"flags", unsafe.Offsetof(a.flags), 112}, {"bias", unsafe.Offsetof(a.bias), 120},
		{"lo", unsafe.Offsetof(a.lo), 124}, {"hi", unsafe.Offsetof(a.hi), 128},
	} {
		if c.got != c.want {
			t.Errorf("WinArgs.%s at %d, the assembly uses %d", c.name, c.got, c.want)
		}
	}
	var d DWArgs
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"p", unsafe.Offsetof(d.p), 0}, {"x", unsafe.Offsetof(d.x), 8}, {"y", unsafe.Offsetof(d.y), 16},
		{"w", unsafe.Offsetof(d.w), 24}, {"res", unsafe.Offsetof(d.res), 32}, {"h", unsafe.Offsetof(d.h), 40},
		{"wd", unsafe.Offsetof(d.wd), 48}, {"wp", unsafe.Offsetof(d.wp), 56}, {"padT", unsafe.Offsetof(d.padT), 64},
		{"padL", unsafe.Offsetof(d.padL), 72}, {"oh", unsafe.Offsetof(d.oh), 80}, {"ow", unsafe.Offsetof(d.ow), 88},
		{"flags", unsafe.Offsetof(d.flags), 96}, {"bias", unsafe.Offsetof(d.bias), 104},
		{"lo", unsafe.Offsetof(d.lo), 108}, {"hi", unsafe.Offsetof(d.hi), 112},
	} {
		if c.got != c.want {
			t.Errorf("DWArgs.%s at %d, the assembly uses %d", c.name, c.got, c.want)
		}
	}
}

// TestWinFastRange checks the fast columns against their definition.
func TestWinFastRange(t *testing.T) {
	for ow := 1; ow < 40; ow++ {
		for _, s := range []int{1, 2} {
			for kw := 1; kw <= 5; kw++ {
				for padL := 0; padL < kw; padL++ {
					wd := (ow-1)*s + kw - 2*padL + r3(ow)
					if wd < 1 {
						continue
					}
					lo, hi := winFastRange(ow, wd, kw, s, padL)
					for ox0 := 0; ox0 < ow; ox0 += 8 {
						inside := ox0+8 <= ow && ox0*s-padL >= 0
						last := ox0*s - padL + 7 + kw - 1
						if s == 2 {
							last = ox0*s - padL + kw - 1 + 15
						}
						inside = inside && last < wd
						if got := ox0 >= lo && ox0 < hi; got && !inside {
							t.Errorf("ow %d wd %d kw %d s %d padL %d: column %d in [%d, %d) reads outside", ow, wd, kw, s, padL, ox0, lo, hi)
						}
					}
				}
			}
		}
	}
}

func r3(v int) int { return v % 3 }

// dwCase is a depthwise Conv or FusedConv.
func dwCase(r *rand.Rand, n, c, h, w, kh, kw int, bias, res bool, act string, params []float32, attrs ...*ir.Attribute) convNodeCase {
	x := kerRand(r, n, c, h, w)
	wt := kerRand(r, c, 1, kh, kw)
	attrs = append(attrs, kerAttrInt("group", int64(c)))
	var b *tensor.Tensor
	if bias {
		b = kerRand(r, c)
	}
	cc := convMake(x, wt, b, nil, act, params, attrs...)
	if res {
		n0, err := cc.build(false)
		if err != nil {
			panic(err)
		}
		dims, _ := n0.Out[0].ConcreteShape()
		cc = convMake(x, wt, b, kerRand(r, dims...), act, params, attrs...)
	}
	return cc
}

// TestDWAgainstGeneric runs the depthwise kernel against the generic Conv
// over plane sizes around the vector width, kernel sizes, strides and
// paddings.
func TestDWAgainstGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	pads := func(v ...int64) *ir.Attribute { return kerAttrInts("pads", v...) }
	strides := func(v ...int64) *ir.Attribute { return kerAttrInts("strides", v...) }
	for _, hw := range [][2]int{{1, 1}, {3, 3}, {7, 7}, {8, 8}, {9, 9}, {5, 16}, {6, 17}, {14, 14}, {4, 23}, {3, 24}, {2, 25}, {11, 40}, {3, 56}} {
		for _, k := range [][2]int{{3, 3}, {5, 5}, {1, 1}, {3, 1}, {2, 4}} {
			h, w := hw[0], hw[1]
			ph, pw := int64(k[0]/2), int64(k[1]/2)
			for _, s := range []int64{1, 2} {
				if h+int(2*ph) < k[0] || w+int(2*pw) < k[1] {
					continue
				}
				convCheck(t, dwCase(r, 1, 3, h, w, k[0], k[1], true, false, "", nil, pads(ph, pw, ph, pw), strides(s, s)), convFactory, false)
			}
		}
	}
	// No padding, asymmetric padding, automatic padding, batches, odd
	// channel counts, no bias.
	for _, s := range []int64{1, 2} {
		convCheck(t, dwCase(r, 2, 5, 12, 19, 3, 3, false, false, "", nil, strides(s, s)), convFactory, false)
		convCheck(t, dwCase(r, 1, 7, 12, 19, 3, 3, true, false, "", nil, pads(0, 1, 2, 0), strides(s, s)), convFactory, false)
		convCheck(t, dwCase(r, 1, 4, 13, 21, 5, 5, true, false, "", nil, pads(2, 0, 1, 2), strides(s, s)), convFactory, false)
		convCheck(t, dwCase(r, 3, 2, 15, 33, 3, 3, true, false, "", nil, kerAttrString("auto_pad", "SAME_UPPER"), strides(s, s)), convFactory, false)
		convCheck(t, dwCase(r, 1, 2, 16, 34, 5, 5, true, false, "", nil, kerAttrString("auto_pad", "SAME_LOWER"), strides(s, s)), convFactory, false)
		convCheck(t, dwCase(r, 1, 17, 9, 9, 7, 7, true, false, "", nil, pads(3, 3, 3, 3), strides(s, s)), convFactory, false)
		// Pads as large as the window: rows and columns of bias only.
		convCheck(t, dwCase(r, 1, 2, 4, 10, 3, 3, true, false, "", nil, pads(3, 3, 3, 3), strides(s, s)), convFactory, false)
	}
	// Windows the kernel leaves to generic: dilation, stride 3, unequal strides.
	convCheck(t, dwCase(r, 1, 3, 9, 9, 3, 3, true, false, "", nil, kerAttrInts("dilations", 2, 2)), convFactory, true)
	convCheck(t, dwCase(r, 1, 3, 9, 9, 3, 3, true, false, "", nil, strides(3, 3)), convFactory, true)
	convCheck(t, dwCase(r, 1, 3, 9, 9, 3, 3, true, false, "", nil, strides(1, 2)), convFactory, true)
}

// TestDWFused covers every activation and the residual.
func TestDWFused(t *testing.T) {
	r := rand.New(rand.NewPCG(53, 54))
	for _, a := range []struct {
		act    string
		params []float32
	}{
		{"", []float32{}}, {"Relu", nil}, {"Clip", []float32{-0.5, 0.25}}, {"Clip", []float32{0, 6}}, {"LeakyRelu", []float32{0.1}},
		{"HardSwish", nil}, {"Sigmoid", nil},
	} {
		for _, s := range []int64{1, 2} {
			for _, res := range []bool{false, true} {
				for _, hw := range [][2]int{{7, 7}, {10, 21}} {
					convCheck(t, dwCase(r, 2, 3, hw[0], hw[1], 3, 3, true, res, a.act, a.params,
						kerAttrInts("pads", 1, 1, 1, 1), kerAttrInts("strides", s, s)), convFactory, false)
				}
			}
		}
	}
}

// TestDWNoAllocs checks that a Run allocates nothing.
func TestDWNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(55, 56))
	c := dwCase(r, 1, 8, 14, 14, 3, 3, true, true, "Clip", []float32{0, 6}, kerAttrInts("pads", 1, 1, 1, 1))
	for _, g := range kerAsmImpls(t) {
		if emulated(g) {
			continue
		}
		n, err := c.build(true)
		if err != nil {
			t.Fatal(err)
		}
		k, err := convFactory(g, n)
		if err != nil || k == nil {
			t.Fatal(k, err)
		}
		out := []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float32, 1, 8, 14, 14))}
		ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
		if a := kerAllocsPerRun(t, k, ec, c.in, out); a != 0 {
			t.Errorf("%s: %v allocations per Run", g.Name, a)
		}
	}
}
