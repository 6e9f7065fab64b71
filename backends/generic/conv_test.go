package generic

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// nnConvCase is one Conv or ConvTranspose configuration.
type nnConvCase struct {
	n, g, cg, mg int
	in, k        []int
	s, d         []int
	pads         []int // begin..., end...
	autoPad      string
	bias         bool
	setKS        bool  // also set kernel_shape
	outPad       []int // ConvTranspose output_padding
	outShape     []int // ConvTranspose output_shape
}

func (c nnConvCase) String() string {
	return fmt.Sprintf("n%d g%d cg%d mg%d in%v k%v s%v d%v pads%v %s bias=%v op%v os%v",
		c.n, c.g, c.cg, c.mg, c.in, c.k, c.s, c.d, c.pads, c.autoPad, c.bias, c.outPad, c.outShape)
}

func (c nnConvCase) attrs() []*ir.Attribute {
	a := []*ir.Attribute{nnAInts("strides", c.s...), nnAInts("dilations", c.d...), attrInt("group", int64(c.g))}
	if c.autoPad != "" {
		a = append(a, attrStr("auto_pad", c.autoPad))
	} else {
		a = append(a, nnAInts("pads", c.pads...))
	}
	if c.setKS {
		a = append(a, nnAInts("kernel_shape", c.k...))
	}
	if c.outPad != nil {
		a = append(a, nnAInts("output_padding", c.outPad...))
	}
	if c.outShape != nil {
		a = append(a, nnAInts("output_shape", c.outShape...))
	}
	return a
}

// nnConvOutGeom computes a Conv's output sizes and begin pads from the
// spec's formulas.
func nnConvOutGeom(c nnConvCase) (out, pb []int) {
	r := len(c.in)
	out, pb = make([]int, r), make([]int, r)
	for i := range r {
		ext := (c.k[i]-1)*c.d[i] + 1
		switch c.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			out[i], pb[i], _ = nnSamePads(c.in[i], ext, c.s[i], c.autoPad == "SAME_UPPER")
		case "VALID":
			out[i] = (c.in[i]-ext)/c.s[i] + 1
		default:
			out[i] = (c.in[i]+c.pads[i]+c.pads[i+r]-ext)/c.s[i] + 1
			pb[i] = c.pads[i]
		}
	}
	return out, pb
}

// nnNaiveConv is Conv straight from the definition, in float64.
func nnNaiveConv(c nnConvCase, x, w, b []float64) ([]int, []float64) {
	out, pb := nnConvOutGeom(c)
	C, M := c.g*c.cg, c.g*c.mg
	xs := append([]int{c.n, C}, c.in...)
	ws := append([]int{M, c.cg}, c.k...)
	ys := append([]int{c.n, M}, out...)
	y := make([]float64, nnNumel(ys))
	kn := nnNumel(c.k)
	kks := make([][]int, kn)
	for ki := range kks {
		kks[ki] = nnUnravel(ki, c.k)
	}
	xst, wst := tensor.Strides(xs), tensor.Strides(ws)
	for yi := range y {
		idx := nnUnravel(yi, ys)
		n, m, o := idx[0], idx[1], idx[2:]
		grp := m / c.mg
		var acc float64
		if b != nil {
			acc = b[m]
		}
		for ci := range c.cg {
			for _, kk := range kks {
				xi := n*xst[0] + (grp*c.cg+ci)*xst[1]
				wi := m*wst[0] + ci*wst[1]
				ok := true
				for d := range o {
					pos := o[d]*c.s[d] - pb[d] + kk[d]*c.d[d]
					ok = ok && pos >= 0 && pos < c.in[d]
					xi += pos * xst[d+2]
					wi += kk[d] * wst[d+2]
				}
				if ok {
					acc += w[wi] * x[xi]
				}
			}
		}
		y[yi] = acc
	}
	return ys, y
}

// nnConvTOutGeom computes a ConvTranspose's output sizes and begin pads from
// the spec's formulas.
func nnConvTOutGeom(c nnConvCase) (out, pb []int) {
	r := len(c.in)
	out, pb = make([]int, r), make([]int, r)
	for i := range r {
		op := 0
		if c.outPad != nil {
			op = c.outPad[i]
		}
		full := c.s[i]*(c.in[i]-1) + op + (c.k[i]-1)*c.d[i] + 1
		target := -1
		if c.outShape != nil {
			target = c.outShape[i]
		} else if c.autoPad == "SAME_UPPER" || c.autoPad == "SAME_LOWER" {
			target = c.in[i] * c.s[i]
		}
		switch {
		case target >= 0:
			// The spec does not say what a negative total padding means;
			// like ORT we clamp it to 0, so the extra outputs come last.
			total := max(0, full-target)
			out[i] = target
			if c.autoPad == "SAME_UPPER" {
				pb[i] = total / 2
			} else {
				pb[i] = total - total/2
			}
		case c.autoPad == "VALID":
			out[i] = full
		default:
			out[i] = full - c.pads[i] - c.pads[i+r]
			pb[i] = c.pads[i]
		}
	}
	return out, pb
}

// nnNaiveConvTranspose scatters every input element times the kernel into
// the output, in float64.
func nnNaiveConvTranspose(c nnConvCase, x, w, b []float64) ([]int, []float64) {
	out, pb := nnConvTOutGeom(c)
	C, M := c.g*c.cg, c.g*c.mg
	xs := append([]int{c.n, C}, c.in...)
	ws := append([]int{C, c.mg}, c.k...)
	ys := append([]int{c.n, M}, out...)
	y := make([]float64, nnNumel(ys))
	for yi := range y {
		if b != nil {
			y[yi] = b[nnUnravel(yi, ys)[1]]
		}
	}
	kn := nnNumel(c.k)
	for xi, xv := range x {
		idx := nnUnravel(xi, xs)
		n, ch, i := idx[0], idx[1], idx[2:]
		grp := ch / c.cg
		for m := range c.mg {
			for ki := range kn {
				kk := nnUnravel(ki, c.k)
				pos := make([]int, len(i))
				ok := true
				for d := range i {
					pos[d] = i[d]*c.s[d] - pb[d] + kk[d]*c.d[d]
					ok = ok && pos[d] >= 0 && pos[d] < out[d]
				}
				if ok {
					wv := w[nnRavel(append([]int{ch, m}, kk...), ws)]
					y[nnRavel(append([]int{n, grp*c.mg + m}, pos...), ys)] += xv * wv
				}
			}
		}
	}
	return ys, y
}

// nnRandConvCase draws a valid Conv configuration.
func nnRandConvCase(r *rand.Rand, transposed bool) nnConvCase {
	rank := 1 + r.IntN(3)
	c := nnConvCase{n: 1 + r.IntN(2), g: 1 + r.IntN(3), cg: 1 + r.IntN(3), mg: 1 + r.IntN(3), bias: r.IntN(2) == 0, setKS: r.IntN(2) == 0}
	switch r.IntN(5) {
	case 0: // depthwise
		c.cg, c.mg, c.g = 1, 1, 1+r.IntN(5)
	case 1: // pointwise
		c.g = 1
	}
	c.pads = make([]int, 2*rank)
	for i := range rank {
		c.k = append(c.k, 1+r.IntN(3))
		c.s = append(c.s, 1+r.IntN(3))
		c.d = append(c.d, 1+r.IntN(2))
		c.pads[i], c.pads[i+rank] = r.IntN(3), r.IntN(3)
		ext := (c.k[i]-1)*c.d[i] + 1
		c.in = append(c.in, max(1, ext-c.pads[i]-c.pads[i+rank]))
		if r.IntN(3) > 0 { // else the smallest input the window fits in
			c.in[i] += r.IntN(6)
			if rank == 3 && i == 0 {
				c.in[i] = max(min(c.in[i], 4), ext-c.pads[i]-c.pads[i+rank])
			}
		}
		if transposed {
			c.in[i] = 1 + r.IntN(5)
			// Pads may not remove the whole output.
			full := c.s[i]*(c.in[i]-1) + ext
			for c.pads[i]+c.pads[i+rank] >= full {
				c.pads[i], c.pads[i+rank] = c.pads[i]/2, c.pads[i+rank]/2
			}
		}
	}
	switch m := r.IntN(8); {
	case m == 0:
		c.autoPad = "SAME_UPPER"
	case m == 1:
		c.autoPad = "SAME_LOWER"
	case m == 2 && !transposed:
		c.autoPad = "VALID"
		for i := range rank {
			c.in[i] = max(c.in[i], (c.k[i]-1)*c.d[i]+1)
		}
	case m == 3 && !transposed: // pointwise conv as a plain GEMM
		for i := range rank {
			c.k[i], c.s[i], c.pads[i], c.pads[i+rank] = 1, 1, 0, 0
		}
	case m == 4 && transposed:
		c.outPad = make([]int, rank)
		for i := range rank {
			c.outPad[i] = r.IntN(max(c.s[i], c.d[i]))
		}
	case m == 5 && transposed:
		c.outShape = make([]int, rank)
		for i := range rank {
			full := c.s[i]*(c.in[i]-1) + (c.k[i]-1)*c.d[i] + 1
			c.outShape[i] = max(1, full-r.IntN(3))
		}
	}
	return c
}

// nnRunConvCase runs c through the generic kernel in dtype dt and checks it
// against the naive definition.
func nnRunConvCase(t *testing.T, r *rand.Rand, c nnConvCase, transposed bool, dt tensor.DType) {
	t.Helper()
	C, M := c.g*c.cg, c.g*c.mg
	x := nnRandT(r, append([]int{c.n, C}, c.in...)...)
	var w *tensor.Tensor
	if transposed {
		w = nnRandT(r, append([]int{C, c.mg}, c.k...)...)
	} else {
		w = nnRandT(r, append([]int{M, c.cg}, c.k...)...)
	}
	inputs := []*tensor.Tensor{nnAsType(x, dt), nnAsType(w, dt)}
	var bv []float64
	if c.bias {
		b := nnRandT(r, M)
		bv = nnF64s(nnAsType(b, dt))
		inputs = append(inputs, nnAsType(b, dt))
	}
	xv, wv := nnF64s(inputs[0]), nnF64s(inputs[1])
	op := "Conv"
	var ys []int
	var want []float64
	if transposed {
		op = "ConvTranspose"
		ys, want = nnNaiveConvTranspose(c, xv, wv, bv)
	} else {
		ys, want = nnNaiveConv(c, xv, wv, bv)
	}
	out, err := evalNode("", op, 22, 1, inputs, c.attrs()...)
	if err != nil {
		t.Fatalf("%v: %v", c, err)
	}
	if out[0].DType() != dt {
		t.Fatalf("%v: output dtype %v, want %v", c, out[0].DType(), dt)
	}
	rtol, atol := 1e-4, 1e-4
	switch dt {
	case tensor.Float64:
		rtol, atol = 1e-10, 1e-10
	case tensor.Float16:
		rtol, atol = 1e-2, 2e-2
	case tensor.BFloat16:
		rtol, atol = 2e-2, 1e-1
	}
	nnCheckF64(t, c.String(), out[0], ys, want, rtol, atol)
}

func TestNNConvRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		nnRunConvCase(t, r, nnRandConvCase(r, false), false, tensor.Float32)
	}
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float16, tensor.BFloat16} {
		for range 40 {
			nnRunConvCase(t, r, nnRandConvCase(r, false), false, dt)
		}
	}
}

func TestNNConvTransposeRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 1000 {
		nnRunConvCase(t, r, nnRandConvCase(r, true), true, tensor.Float32)
	}
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float16} {
		for range 40 {
			nnRunConvCase(t, r, nnRandConvCase(r, true), true, dt)
		}
	}
}

func TestNNConvEdgeSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	cases := []nnConvCase{
		// kernel == input, no padding: one output per channel
		{n: 2, g: 1, cg: 3, mg: 4, in: []int{5, 4}, k: []int{5, 4}, s: []int{1, 1}, d: []int{1, 1}, pads: []int{0, 0, 0, 0}, bias: true},
		// stride > kernel
		{n: 1, g: 1, cg: 2, mg: 3, in: []int{11, 9}, k: []int{2, 2}, s: []int{4, 3}, d: []int{1, 1}, pads: []int{1, 0, 0, 2}},
		// 1x1 with stride 2 (a ResNet downsample)
		{n: 1, g: 1, cg: 5, mg: 7, in: []int{9, 8}, k: []int{1, 1}, s: []int{2, 2}, d: []int{1, 1}, pads: []int{0, 0, 0, 0}, bias: true},
		// 1x1 stride 1: plain GEMM, odd channel counts, batch
		{n: 3, g: 1, cg: 7, mg: 5, in: []int{3, 5}, k: []int{1, 1}, s: []int{1, 1}, d: []int{1, 1}, pads: []int{0, 0, 0, 0}, bias: true},
		// 1x1 stride 1 with groups
		{n: 2, g: 3, cg: 2, mg: 3, in: []int{4, 4}, k: []int{1, 1}, s: []int{1, 1}, d: []int{1, 1}, pads: []int{0, 0, 0, 0}},
		// depthwise 3x3 stride 2 with asymmetric pads (MobileNet)
		{n: 2, g: 5, cg: 1, mg: 1, in: []int{9, 10}, k: []int{3, 3}, s: []int{2, 2}, d: []int{1, 1}, pads: []int{0, 1, 1, 0}, bias: true},
		// depthwise with channel multiplier
		{n: 1, g: 3, cg: 1, mg: 2, in: []int{6, 7}, k: []int{3, 3}, s: []int{1, 1}, d: []int{2, 1}, pads: []int{2, 1, 2, 1}},
		// dilated 1-D
		{n: 1, g: 1, cg: 2, mg: 2, in: []int{20}, k: []int{3}, s: []int{1}, d: []int{4}, pads: []int{0, 0}},
		// 3-D
		{n: 1, g: 2, cg: 2, mg: 2, in: []int{4, 5, 6}, k: []int{2, 3, 2}, s: []int{1, 2, 1}, d: []int{1, 1, 2}, pads: []int{1, 0, 1, 0, 1, 1}, bias: true},
		// 4-D spatial (any rank works)
		{n: 1, g: 1, cg: 2, mg: 2, in: []int{3, 3, 4, 3}, k: []int{2, 1, 2, 2}, s: []int{1, 1, 2, 1}, d: []int{1, 1, 1, 1}, pads: []int{0, 0, 1, 0, 0, 1, 0, 1}},
		// padding wider than the kernel
		{n: 1, g: 1, cg: 1, mg: 1, in: []int{2, 2}, k: []int{2, 2}, s: []int{1, 1}, d: []int{1, 1}, pads: []int{3, 3, 3, 3}},
		// taps entirely in the padding (ONNX's test_Conv1d_pad2size1), im2col and depthwise
		{n: 1, g: 1, cg: 4, mg: 4, in: []int{1}, k: []int{5}, s: []int{1}, d: []int{1}, pads: []int{2, 2}, bias: true},
		{n: 1, g: 3, cg: 1, mg: 1, in: []int{1, 2}, k: []int{5, 3}, s: []int{1, 1}, d: []int{1, 1}, pads: []int{2, 1, 2, 1}},
		// im2col in several column tiles: kdim 1152 x 1024 columns > nnColBudget
		{n: 1, g: 1, cg: 128, mg: 8, in: []int{32, 32}, k: []int{3, 3}, s: []int{1, 1}, d: []int{1, 1}, pads: []int{1, 1, 1, 1}, bias: true},
	}
	for _, c := range cases {
		nnRunConvCase(t, r, c, false, tensor.Float32)
	}
	tcases := []nnConvCase{
		{n: 2, g: 1, cg: 3, mg: 2, in: []int{3, 4}, k: []int{3, 3}, s: []int{2, 2}, d: []int{1, 1}, pads: []int{1, 1, 1, 1}, bias: true, outPad: []int{1, 1}},
		{n: 1, g: 2, cg: 2, mg: 3, in: []int{5}, k: []int{4}, s: []int{3}, d: []int{2}, pads: []int{0, 2}},
		{n: 1, g: 1, cg: 2, mg: 2, in: []int{2, 3, 2}, k: []int{2, 2, 3}, s: []int{1, 2, 2}, d: []int{1, 1, 1}, pads: []int{0, 0, 0, 0, 0, 0}},
		// output_shape larger than the full output: extra positions get the bias
		{n: 1, g: 1, cg: 1, mg: 2, in: []int{3, 3}, k: []int{3, 3}, s: []int{3, 2}, d: []int{1, 1}, pads: []int{0, 0, 0, 0}, bias: true, outShape: []int{12, 9}},
		// stride > kernel leaves holes
		{n: 1, g: 1, cg: 2, mg: 1, in: []int{3, 3}, k: []int{2, 2}, s: []int{3, 4}, d: []int{1, 1}, pads: []int{0, 0, 0, 0}},
		// many columns: col2im in several tiles
		{n: 1, g: 1, cg: 4, mg: 64, in: []int{40, 40}, k: []int{3, 3}, s: []int{2, 2}, d: []int{1, 1}, pads: []int{1, 1, 1, 1}},
	}
	for _, c := range tcases {
		nnRunConvCase(t, r, c, true, tensor.Float32)
	}
}

func TestNNConvHandComputed(t *testing.T) {
	x9 := nnF32([]int{1, 1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	// 2x2 box filter.
	out := mustEval(t, "Conv", 11, 1, []*tensor.Tensor{x9, nnF32([]int{1, 1, 2, 2}, 1, 1, 1, 1)})
	nnCheckF64(t, "box 2x2", out[0], []int{1, 1, 2, 2}, []float64{12, 16, 24, 28}, 0, 0)
	// 3x3 box, pads 1, stride 2, bias 0.5.
	out = mustEval(t, "Conv", 11, 1, []*tensor.Tensor{x9, nnF32([]int{1, 1, 3, 3}, 1, 1, 1, 1, 1, 1, 1, 1, 1), nnF32([]int{1}, 0.5)},
		nnAInts("pads", 1, 1, 1, 1), nnAInts("strides", 2, 2))
	nnCheckF64(t, "box 3x3 s2 p1", out[0], []int{1, 1, 2, 2}, []float64{12.5, 16.5, 24.5, 28.5}, 0, 0)
	// SAME_UPPER 2x2 on 3x3: total pad 1, at the end.
	out = mustEval(t, "Conv", 11, 1, []*tensor.Tensor{x9, nnF32([]int{1, 1, 2, 2}, 1, 1, 1, 1)}, attrStr("auto_pad", "SAME_UPPER"))
	nnCheckF64(t, "same upper", out[0], []int{1, 1, 3, 3}, []float64{12, 16, 9, 24, 28, 15, 15, 17, 9}, 0, 0)
	// SAME_LOWER: the pad goes first.
	out = mustEval(t, "Conv", 11, 1, []*tensor.Tensor{x9, nnF32([]int{1, 1, 2, 2}, 1, 1, 1, 1)}, attrStr("auto_pad", "SAME_LOWER"))
	nnCheckF64(t, "same lower", out[0], []int{1, 1, 3, 3}, []float64{1, 3, 5, 5, 12, 16, 11, 24, 28}, 0, 0)
	// 1-D, dilation 2: y[o] = x[o] - x[o+2].
	out = mustEval(t, "Conv", 11, 1, []*tensor.Tensor{nnF32([]int{1, 1, 5}, 1, 2, 3, 4, 5), nnF32([]int{1, 1, 2}, 1, -1)}, nnAInts("dilations", 2))
	nnCheckF64(t, "dilated", out[0], []int{1, 1, 3}, []float64{-2, -2, -2}, 0, 0)
	// Two groups of one channel.
	out = mustEval(t, "Conv", 11, 1, []*tensor.Tensor{nnF32([]int{1, 2, 1, 1}, 3, 5), nnF32([]int{2, 1, 1, 1}, 2, 10)}, attrInt("group", 2))
	nnCheckF64(t, "groups", out[0], []int{1, 2, 1, 1}, []float64{6, 50}, 0, 0)
	// ConvTranspose 1-D, stride 2: overlapping taps add.
	out = mustEval(t, "ConvTranspose", 11, 1, []*tensor.Tensor{nnF32([]int{1, 1, 2}, 1, 2), nnF32([]int{1, 1, 3}, 1, 1, 1)}, nnAInts("strides", 2))
	nnCheckF64(t, "convT", out[0], []int{1, 1, 5}, []float64{1, 1, 3, 2, 2}, 0, 0)
	// ... with pads 1 and output_padding 1.
	out = mustEval(t, "ConvTranspose", 11, 1, []*tensor.Tensor{nnF32([]int{1, 1, 2}, 1, 2), nnF32([]int{1, 1, 3}, 1, 1, 1)},
		nnAInts("strides", 2), nnAInts("pads", 1, 1), nnAInts("output_padding", 1))
	nnCheckF64(t, "convT pads", out[0], []int{1, 1, 4}, []float64{1, 3, 2, 2}, 0, 0)
	// output_shape 6 > full 5: pads 0 and -1, the last element is only bias.
	out = mustEval(t, "ConvTranspose", 11, 1, []*tensor.Tensor{nnF32([]int{1, 1, 2}, 1, 2), nnF32([]int{1, 1, 3}, 1, 1, 1), nnF32([]int{1}, 10)},
		nnAInts("strides", 2), nnAInts("output_shape", 6))
	nnCheckF64(t, "convT output_shape", out[0], []int{1, 1, 6}, []float64{11, 11, 13, 12, 12, 10}, 0, 0)
	// An empty spatial axis padded to one window: only the bias.
	empty := tensor.Must(tensor.New(tensor.Float32, 1, 1, 0))
	out = mustEval(t, "Conv", 11, 1, []*tensor.Tensor{empty, nnF32([]int{2, 1, 1}, 1, 2), nnF32([]int{2}, 3, 4)}, nnAInts("pads", 1, 1))
	nnCheckF64(t, "empty input", out[0], []int{1, 2, 2}, []float64{3, 3, 4, 4}, 0, 0)
	// An empty batch.
	out = mustEval(t, "Conv", 11, 1, []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float32, 0, 2, 3)), nnF32([]int{1, 2, 2}, 1, 2, 3, 4)})
	nnCheckF64(t, "empty batch", out[0], []int{0, 1, 2}, nil, 0, 0)
	out = mustEval(t, "ConvTranspose", 11, 1, []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float32, 0, 2, 3)), nnF32([]int{2, 1, 2}, 1, 2, 3, 4)})
	nnCheckF64(t, "convT empty batch", out[0], []int{0, 1, 4}, nil, 0, 0)
}

func TestNNConvErrors(t *testing.T) {
	x := nnF32([]int{1, 4, 5, 5}, make([]float32, 100)...)
	w := func(s ...int) *tensor.Tensor { return tensor.Must(tensor.New(tensor.Float32, s...)) }
	cases := []struct {
		name   string
		op     string
		inputs []*tensor.Tensor
		attrs  []*ir.Attribute
	}{
		{"weight channels", "Conv", []*tensor.Tensor{x, w(2, 3, 3, 3)}, nil},
		{"weight channels x group", "Conv", []*tensor.Tensor{x, w(2, 4, 3, 3)}, []*ir.Attribute{attrInt("group", 2)}},
		{"group not dividing M", "Conv", []*tensor.Tensor{x, w(3, 2, 3, 3)}, []*ir.Attribute{attrInt("group", 2)}},
		{"group 0", "Conv", []*tensor.Tensor{x, w(2, 4, 3, 3)}, []*ir.Attribute{attrInt("group", 0)}},
		{"negative pads", "Conv", []*tensor.Tensor{x, w(2, 4, 3, 3)}, []*ir.Attribute{nnAInts("pads", -1, 0, 0, 0)}},
		{"pads length", "Conv", []*tensor.Tensor{x, w(2, 4, 3, 3)}, []*ir.Attribute{nnAInts("pads", 1, 1)}},
		{"zero stride", "Conv", []*tensor.Tensor{x, w(2, 4, 3, 3)}, []*ir.Attribute{nnAInts("strides", 0, 1)}},
		{"zero dilation", "Conv", []*tensor.Tensor{x, w(2, 4, 3, 3)}, []*ir.Attribute{nnAInts("dilations", 1, 0)}},
		{"huge dilation", "Conv", []*tensor.Tensor{x, w(2, 4, 3, 3)}, []*ir.Attribute{nnAInts("dilations", 1, 1<<30+1)}},
		{"kernel larger than padded input", "Conv", []*tensor.Tensor{x, w(2, 4, 7, 3)}, []*ir.Attribute{nnAInts("pads", 0, 0, 1, 0)}},
		{"dilated kernel larger than input", "Conv", []*tensor.Tensor{x, w(2, 4, 3, 3)}, []*ir.Attribute{nnAInts("dilations", 3, 1)}},
		{"VALID kernel larger than input", "Conv", []*tensor.Tensor{x, w(2, 4, 6, 3)}, []*ir.Attribute{attrStr("auto_pad", "VALID")}},
		{"bad auto_pad", "Conv", []*tensor.Tensor{x, w(2, 4, 3, 3)}, []*ir.Attribute{attrStr("auto_pad", "SAME")}},
		{"kernel_shape vs W", "Conv", []*tensor.Tensor{x, w(2, 4, 3, 3)}, []*ir.Attribute{nnAInts("kernel_shape", 3, 2)}},
		{"weight rank", "Conv", []*tensor.Tensor{x, w(2, 4, 3)}, nil},
		{"rank 2 input", "Conv", []*tensor.Tensor{w(1, 4), w(2, 4)}, nil},
		{"bias size", "Conv", []*tensor.Tensor{x, w(2, 4, 3, 3), w(3)}, nil},
		{"bias rank", "Conv", []*tensor.Tensor{x, w(2, 4, 3, 3), w(2, 1)}, nil},
		{"int input", "Conv", []*tensor.Tensor{tensor.Must(tensor.New(tensor.Int32, 1, 4, 5, 5)), tensor.Must(tensor.New(tensor.Int32, 2, 4, 3, 3))}, nil},
		{"mixed dtypes", "Conv", []*tensor.Tensor{x, tensor.Must(tensor.New(tensor.Float64, 2, 4, 3, 3))}, nil},
		{"convT weight channels", "ConvTranspose", []*tensor.Tensor{x, w(3, 2, 3, 3)}, nil},
		{"convT group", "ConvTranspose", []*tensor.Tensor{x, w(4, 2, 3, 3)}, []*ir.Attribute{attrInt("group", 3)}},
		{"convT pads remove everything", "ConvTranspose", []*tensor.Tensor{x, w(4, 2, 3, 3)}, []*ir.Attribute{nnAInts("pads", 5, 5, 4, 4)}},
		{"convT output_shape length", "ConvTranspose", []*tensor.Tensor{x, w(4, 2, 3, 3)}, []*ir.Attribute{nnAInts("output_shape", 5)}},
		{"convT negative output_padding", "ConvTranspose", []*tensor.Tensor{x, w(4, 2, 3, 3)}, []*ir.Attribute{nnAInts("output_padding", -1, 0)}},
		{"convT huge stride", "ConvTranspose", []*tensor.Tensor{x, w(4, 2, 3, 3)}, []*ir.Attribute{nnAInts("strides", 1<<30, 1<<30)}},
	}
	for _, c := range cases {
		_, err := evalNode("", c.op, 22, 1, c.inputs, c.attrs...)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		t.Logf("%s: %v", c.name, err)
		if !errors.Is(err, ops.ErrInvalidNode) && !errors.Is(err, ops.ErrShapeMismatch) && !errors.Is(err, tensor.ErrShape) {
			t.Errorf("%s: error %v wraps neither ErrInvalidNode, ErrShapeMismatch nor tensor.ErrShape", c.name, err)
		}
	}
}

// TestNNConvKernelChecksShapes builds Conv kernels for unknown shapes and
// runs them on inconsistent inputs: they must return errors, not panic.
func TestNNConvKernelChecksShapes(t *testing.T) {
	for _, op := range []string{"Conv", "ConvTranspose"} {
		node := nnNode(op, []bool{true, true, true}, 1, attrInt("group", 2))
		s := ops.LookupSchema("", op, 22)
		n := &ops.Node{Node: node, Schema: s, Opset: 22, In: []ops.TypeShape{ops.Unranked(tensor.Float32), ops.Unranked(tensor.Float32), ops.Unranked(tensor.Float32)}}
		k := genericKernel(t, n)
		f := func(s ...int) *tensor.Tensor { return tensor.Must(tensor.New(tensor.Float32, s...)) }
		for _, in := range [][]*tensor.Tensor{
			{f(1, 4, 5, 5), f(2, 3, 3, 3), nil},
			{f(1, 4, 5, 5), f(2, 2, 3, 3), f(5)},
			{f(1, 4, 5, 5), f(2, 2, 3), nil},
			{f(1, 4, 2, 2), f(4, 2, 3, 3), nil},
			{f(1, 3, 5, 5), f(3, 1, 3, 3), nil},
			{f(4, 5), f(4, 5), nil},
		} {
			if op == "ConvTranspose" && len(in[1].Shape()) == 4 && in[1].Shape()[2] == 3 && in[0].Shape()[2] == 2 {
				continue // a valid ConvTranspose
			}
			outs := make([]*tensor.Tensor, 1)
			if err := k.Run(&ops.ExecContext{Threads: 1}, in, outs); err == nil {
				t.Errorf("%s on %v %v: no error", op, in[0].Shape(), in[1].Shape())
			}
		}
	}
}

func BenchmarkNNConv(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name  string
		c     nnConvCase
		flops float64
	}{
		{"resnet_stem_7x7s2", nnConvCase{n: 1, g: 1, cg: 3, mg: 64, in: []int{224, 224}, k: []int{7, 7}, s: []int{2, 2}, d: []int{1, 1}, pads: []int{3, 3, 3, 3}}, 0},
		{"resnet_3x3_64", nnConvCase{n: 1, g: 1, cg: 64, mg: 64, in: []int{56, 56}, k: []int{3, 3}, s: []int{1, 1}, d: []int{1, 1}, pads: []int{1, 1, 1, 1}}, 0},
		{"resnet_3x3_512", nnConvCase{n: 1, g: 1, cg: 512, mg: 512, in: []int{7, 7}, k: []int{3, 3}, s: []int{1, 1}, d: []int{1, 1}, pads: []int{1, 1, 1, 1}}, 0},
		{"pointwise_96_24", nnConvCase{n: 1, g: 1, cg: 96, mg: 24, in: []int{56, 56}, k: []int{1, 1}, s: []int{1, 1}, d: []int{1, 1}, pads: []int{0, 0, 0, 0}}, 0},
		{"depthwise_3x3_96", nnConvCase{n: 1, g: 96, cg: 1, mg: 1, in: []int{112, 112}, k: []int{3, 3}, s: []int{2, 2}, d: []int{1, 1}, pads: []int{0, 0, 1, 1}}, 0},
	} {
		out, _ := nnConvOutGeom(c.c)
		flops := 2 * float64(c.c.n*c.c.g*c.c.mg*c.c.cg*nnNumel(c.c.k)*nnNumel(out))
		x := nnRandT(r, append([]int{c.c.n, c.c.g * c.c.cg}, c.c.in...)...)
		w := nnRandT(r, append([]int{c.c.g * c.c.mg, c.c.cg}, c.c.k...)...)
		b.Run("generic/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := evalNode("", "Conv", 22, 1, []*tensor.Tensor{x, w}, c.c.attrs()...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		})
	}
}

// TestNNKernelsConcurrent runs one kernel instance of each NN op from
// several goroutines at once (run with -race): kernels keep no per-call
// state.
func TestNNKernelsConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	x := nnRandT(r, 2, 4, 9, 9)
	cases := []struct {
		op    string
		in    []*tensor.Tensor
		attrs []*ir.Attribute
		nOut  int
	}{
		{"Conv", []*tensor.Tensor{x, nnRandT(r, 6, 2, 3, 3), nnRandT(r, 6)}, []*ir.Attribute{attrInt("group", 2), nnAInts("pads", 1, 0, 1, 2)}, 1},
		{"Conv", []*tensor.Tensor{x, nnRandT(r, 4, 1, 3, 3)}, []*ir.Attribute{attrInt("group", 4)}, 1},
		{"ConvTranspose", []*tensor.Tensor{x, nnRandT(r, 4, 3, 2, 2)}, []*ir.Attribute{nnAInts("strides", 2, 2)}, 1},
		{"MaxPool", []*tensor.Tensor{x}, []*ir.Attribute{nnAInts("kernel_shape", 3, 3), attrInt("storage_order", 1)}, 2},
		{"AveragePool", []*tensor.Tensor{x}, []*ir.Attribute{nnAInts("kernel_shape", 2, 2)}, 1},
		{"MatMul", []*tensor.Tensor{x, nnRandT(r, 9, 5)}, nil, 1},
	}
	for _, c := range cases {
		present := make([]bool, len(c.in))
		for i := range present {
			present[i] = true
		}
		node := nnNode(c.op, present, c.nOut, c.attrs...)
		s := ops.LookupSchema("", c.op, 22)
		n := &ops.Node{Node: node, Schema: s, Opset: 22, In: make([]ops.TypeShape, len(c.in))}
		for i, t := range c.in {
			n.In[i] = ops.TypeShape{DType: t.DType(), Shape: ir.ShapeOf(t.Shape()...)} // shapes, not values
		}
		k := genericKernel(t, n)
		want, err := evalNode("", c.op, 22, c.nOut, c.in, c.attrs...)
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 8)
		for range 8 {
			go func() {
				for range 5 {
					out := make([]*tensor.Tensor, c.nOut)
					if err := k.Run(&ops.ExecContext{Threads: 1}, c.in, out); err != nil {
						errs <- err
						return
					}
					for i := range out {
						g, w := nnF64s(out[i]), nnF64s(want[i])
						for j := range w {
							if g[j] != w[j] {
								errs <- fmt.Errorf("%s output %d differs at %d", c.op, i, j)
								return
							}
						}
					}
				}
				errs <- nil
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	}
}
