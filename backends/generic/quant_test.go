package generic

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// qntT builds a tensor of shape from values of any element type.
func qntT[T tensor.Elem](shape []int, vals ...T) *tensor.Tensor {
	return tensor.Must(tensor.FromSlice(vals, shape...))
}

// qntInts returns an integer tensor's elements as int64s.
func qntInts(t *testing.T, x *tensor.Tensor) []int64 {
	t.Helper()
	v, err := x.Int64s()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// qntCheckInts compares an integer tensor's dtype, shape and values.
func qntCheckInts(t *testing.T, what string, got *tensor.Tensor, dt tensor.DType, shape []int, want []int64) {
	t.Helper()
	if got.DType() != dt || !tensor.SameShape(got.Shape(), shape) {
		t.Fatalf("%s: got %v%v, want %v%v", what, got.DType(), got.Shape(), dt, shape)
	}
	g := qntInts(t, got)
	bad := 0
	for i := range want {
		if g[i] != want[i] {
			if bad < 5 {
				t.Errorf("%s: element %d = %d, want %d", what, i, g[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d elements differ (got %v)", what, bad, len(want), g)
	}
}

func TestQntQuantizeHandComputed(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	x := qntT([]int{10}, 0, 1, 2.5, 3.5, -1, 300, 1000, -1000, nan, inf)
	// x/2 = 0 .5 1.25 1.75 -.5 150 500 -500: half to even, then + zp, saturate.
	for _, c := range []struct {
		name string
		zp   *tensor.Tensor
		dt   tensor.DType
		want []int64
	}{
		{"uint8", qntT([]int{}, uint8(128)), tensor.Uint8, []int64{128, 128, 129, 130, 128, 255, 255, 0, 0, 255}},
		{"int8", qntT([]int{}, int8(-10)), tensor.Int8, []int64{-10, -10, -9, -8, -10, 127, 127, -128, 0, 127}},
		{"uint16", qntT([]int{}, uint16(100)), tensor.Uint16, []int64{100, 100, 101, 102, 100, 250, 600, 0, 0, 65535}},
		{"int16", qntT([]int{}, int16(-1)), tensor.Int16, []int64{-1, -1, 0, 1, -1, 149, 499, -501, 0, 32767}},
		{"no zero point", nil, tensor.Uint8, []int64{0, 0, 1, 2, 0, 150, 255, 0, 0, 255}},
	} {
		got := mustEval(t, "QuantizeLinear", 21, 1, []*tensor.Tensor{x, qntT([]int{}, float32(2)), c.zp})
		qntCheckInts(t, c.name, got[0], c.dt, []int{10}, c.want)
	}
	// Round half to even happens before the zero point is added: 2.5 -> 2 (+1 = 3), not round(3.5) = 4.
	got := mustEval(t, "QuantizeLinear", 13, 1, []*tensor.Tensor{qntT([]int{2}, float32(2.5), float32(-2.5)), qntT([]int{}, float32(1)), qntT([]int{}, uint8(1))})
	qntCheckInts(t, "ties", got[0], tensor.Uint8, []int{2}, []int64{3, 0})
	// output_dtype without a zero point.
	got = mustEval(t, "QuantizeLinear", 21, 1, []*tensor.Tensor{qntT([]int{3}, float32(-300), 7, 300), qntT([]int{}, float32(1))},
		attrInt("output_dtype", int64(tensor.Int8)))
	qntCheckInts(t, "output_dtype", got[0], tensor.Int8, []int{3}, []int64{-128, 7, 127})
	// int32 input.
	got = mustEval(t, "QuantizeLinear", 10, 1, []*tensor.Tensor{qntT([]int{3}, int32(-7), 5, 1001), qntT([]int{}, float32(2)), qntT([]int{}, int8(0))})
	qntCheckInts(t, "int32 input", got[0], tensor.Int8, []int{3}, []int64{-4, 2, 127})
}

// TestQntQuantizePrecision: a float16 scale divides in float16, so that
// x / scale rounds to a float16 value before the integer rounding.
func TestQntQuantizePrecision(t *testing.T) {
	// 2047 / 0.75 = 2729.33: 2729 in float32, but float16 has a spacing of 2
	// in [2048, 4096), so the float16 quotient is 2730.
	x := qntT([]int{1}, tensor.NewF16(2047))
	zp := qntT([]int{}, uint16(0))
	got := mustEval(t, "QuantizeLinear", 21, 1, []*tensor.Tensor{x, qntT([]int{}, tensor.NewF16(0.75)), zp})
	qntCheckInts(t, "float16 scale", got[0], tensor.Uint16, []int{1}, []int64{2730})
	got = mustEval(t, "QuantizeLinear", 21, 1, []*tensor.Tensor{x, qntT([]int{}, float32(0.75)), zp})
	qntCheckInts(t, "float32 scale", got[0], tensor.Uint16, []int{1}, []int64{2729})
	// The precision attribute (opset 25) overrides the scale's type.
	got = mustEval(t, "QuantizeLinear", 25, 1, []*tensor.Tensor{x, qntT([]int{}, float32(0.75)), zp},
		attrInt("precision", int64(tensor.Float16)))
	qntCheckInts(t, "precision=float16", got[0], tensor.Uint16, []int{1}, []int64{2730})
	// bfloat16 input and scale: 8 bits of mantissa, 2047 is 2048 already.
	got = mustEval(t, "QuantizeLinear", 21, 1, []*tensor.Tensor{qntT([]int{1}, tensor.NewBF16(2047)), qntT([]int{}, tensor.NewBF16(2)), zp})
	qntCheckInts(t, "bfloat16", got[0], tensor.Uint16, []int{1}, []int64{1024})
}

// qntNaiveScaleIndex returns the flat index of the scale of element idx of
// x (shape xs) for a scale of shape ss, from the spec's definitions.
func qntNaiveScaleIndex(idx, ss []int, axis, block int) int {
	switch {
	case len(ss) == 0 || (len(ss) == 1 && ss[0] == 1 && block == 0):
		return 0
	case block == 0:
		return idx[axis]
	}
	si := append([]int(nil), idx...)
	si[axis] /= block
	return nnRavel(si, ss)
}

type qntCase struct {
	xs, ss      []int
	axis, block int
}

// qntRandCase draws a shape and a granularity.
func qntRandCase(r *rand.Rand) qntCase {
	rank := 1 + r.IntN(4)
	xs := make([]int, rank)
	for i := range xs {
		xs[i] = 1 + r.IntN(5)
	}
	c := qntCase{xs: xs, axis: r.IntN(rank)}
	switch r.IntN(3) {
	case 0:
		c.ss = []int{}
	case 1:
		c.ss = []int{xs[c.axis]}
	default:
		c.block = 1 + r.IntN(3)
		c.ss = append([]int(nil), xs...)
		c.ss[c.axis] = (xs[c.axis] + c.block - 1) / c.block
	}
	return c
}

func TestQntQuantizeRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 300 {
		c := qntRandCase(r)
		nx, ns := nnNumel(c.xs), nnNumel(c.ss)
		x := make([]float32, nx)
		for i := range x {
			x[i] = float32(r.NormFloat64() * 200)
			if r.IntN(10) == 0 {
				x[i] = float32(r.IntN(50)) + 0.5 // ties
			}
		}
		sc := make([]float32, ns)
		zp := make([]int8, ns)
		for i := range sc {
			sc[i] = float32(0.5 + r.Float64()*3)
			if r.IntN(3) == 0 {
				sc[i] = 1
			}
			zp[i] = int8(r.IntN(41) - 20)
		}
		attrs := []*ir.Attribute{attrInt("axis", int64(c.axis-len(c.xs)*r.IntN(2)))}
		if c.block > 0 {
			attrs = append(attrs, attrInt("block_size", int64(c.block)))
		}
		got := mustEval(t, "QuantizeLinear", 21, 1, []*tensor.Tensor{qntT(c.xs, x...), qntT(c.ss, sc...), qntT(c.ss, zp...)}, attrs...)
		want := make([]int64, nx)
		for i := range want {
			j := qntNaiveScaleIndex(nnUnravel(i, c.xs), c.ss, c.axis, c.block)
			q := math.RoundToEven(float64(x[i]/sc[j])) + float64(zp[j])
			want[i] = int64(min(max(q, -128), 127))
		}
		qntCheckInts(t, "random", got[0], tensor.Int8, c.xs, want)
		if t.Failed() {
			t.Fatalf("iteration %d: case %+v", iter, c)
		}
	}
}

func TestQntDequantize(t *testing.T) {
	// Per tensor, uint8 and int32 inputs.
	got := mustEval(t, "DequantizeLinear", 10, 1, []*tensor.Tensor{qntT([]int{4}, uint8(0), 3, 128, 255), qntT([]int{}, float32(2)), qntT([]int{}, uint8(128))})
	nnCheckF64(t, "uint8", got[0], []int{4}, []float64{-256, -250, 0, 254}, 0, 0)
	got = mustEval(t, "DequantizeLinear", 13, 1, []*tensor.Tensor{qntT([]int{3}, int32(-5), 0, 1<<30), qntT([]int{}, float32(0.5))})
	nnCheckF64(t, "int32", got[0], []int{3}, []float64{-2.5, 0, 1 << 29}, 0, 0)
	// Per axis (axis 0 and the default 1) and int16.
	x := qntT([]int{2, 3}, int16(1), 2, 3, 4, 5, 6)
	got = mustEval(t, "DequantizeLinear", 21, 1, []*tensor.Tensor{x, qntT([]int{3}, float32(1), 10, 100), qntT([]int{3}, int16(0), 1, 2)})
	nnCheckF64(t, "axis 1", got[0], []int{2, 3}, []float64{1, 10, 100, 4, 40, 400}, 0, 0)
	got = mustEval(t, "DequantizeLinear", 21, 1, []*tensor.Tensor{x, qntT([]int{2}, float32(1), -1), qntT([]int{2}, int16(1), 0)}, attrInt("axis", -2))
	nnCheckF64(t, "axis -2", got[0], []int{2, 3}, []float64{0, 1, 2, -4, -5, -6}, 0, 0)
	// Blocked along axis 1 with a ragged last block.
	x = qntT([]int{1, 5}, int8(1), 2, 3, 4, 5)
	got = mustEval(t, "DequantizeLinear", 21, 1, []*tensor.Tensor{x, qntT([]int{1, 3}, float32(1), 2, 3)}, attrInt("block_size", 2))
	nnCheckF64(t, "blocked", got[0], []int{1, 5}, []float64{1, 2, 6, 8, 15}, 0, 0)
	// float16 scale: float16 output, the product rounded to float16.
	got = mustEval(t, "DequantizeLinear", 19, 1, []*tensor.Tensor{qntT([]int{2}, uint8(255), 3), qntT([]int{}, tensor.NewF16(1.0/3))})
	if got[0].DType() != tensor.Float16 {
		t.Fatalf("float16 scale gives %v", got[0].DType())
	}
	s := float64(tensor.NewF16(1.0 / 3).Float32())
	nnCheckF64(t, "float16", got[0], []int{2}, []float64{float64(tensor.NewF16(float32(255 * s)).Float32()), float64(tensor.NewF16(float32(3 * s)).Float32())}, 0, 0)
	// output_dtype (opset 23) picks bfloat16 from a float32 scale.
	got = mustEval(t, "DequantizeLinear", 23, 1, []*tensor.Tensor{qntT([]int{1}, uint8(3)), qntT([]int{}, float32(1.5))}, attrInt("output_dtype", int64(tensor.BFloat16)))
	if got[0].DType() != tensor.BFloat16 {
		t.Fatalf("output_dtype gives %v", got[0].DType())
	}
	nnCheckF64(t, "bfloat16", got[0], []int{1}, []float64{4.5}, 0, 0)
}

// TestQntRoundTrip: Dequantize(Quantize(x)) is within half a step of x in
// range, for every granularity.
func TestQntRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 100 {
		c := qntRandCase(r)
		nx, ns := nnNumel(c.xs), nnNumel(c.ss)
		sc := make([]float32, ns)
		zp := make([]uint8, ns)
		for i := range sc {
			sc[i] = float32(0.01 + r.Float64())
			zp[i] = uint8(r.IntN(256))
		}
		x := make([]float32, nx)
		idx := make([]int, nx)
		for i := range x {
			j := qntNaiveScaleIndex(nnUnravel(i, c.xs), c.ss, c.axis, c.block)
			idx[i] = j
			x[i] = (float32(r.IntN(256)) - float32(zp[j]) + float32(r.Float64()-0.5)) * sc[j]
		}
		attrs := []*ir.Attribute{attrInt("axis", int64(c.axis)), attrInt("block_size", int64(c.block))}
		in := []*tensor.Tensor{qntT(c.xs, x...), qntT(c.ss, sc...), qntT(c.ss, zp...)}
		q := mustEval(t, "QuantizeLinear", 21, 1, in, attrs...)
		d := mustEval(t, "DequantizeLinear", 21, 1, []*tensor.Tensor{q[0], in[1], in[2]}, attrs...)
		dv := nnF64s(d[0])
		for i := range x {
			if e := math.Abs(dv[i] - float64(x[i])); e > float64(sc[idx[i]])*0.5001 {
				t.Fatalf("case %+v: element %d: %v -> %v (step %v)", c, i, x[i], dv[i], sc[idx[i]])
			}
		}
	}
}

func TestQntDynamicQuantize(t *testing.T) {
	// Operators.md's example.
	out := mustEval(t, "DynamicQuantizeLinear", 11, 3, []*tensor.Tensor{qntT([]int{6}, float32(0), 2, -3, -2.5, 1.34, 0.5)})
	qntCheckInts(t, "y", out[0], tensor.Uint8, []int{6}, []int64{153, 255, 0, 26, 221, 179})
	nnCheckF64(t, "scale", out[1], []int{}, []float64{float64(float32(5) / 255)}, 0, 0)
	qntCheckInts(t, "zero point", out[2], tensor.Uint8, []int{}, []int64{153})
	// All positive: the range starts at 0, zero point 0.
	out = mustEval(t, "DynamicQuantizeLinear", 11, 3, []*tensor.Tensor{qntT([]int{2, 2}, float32(1), 2, 3, 25.5)})
	qntCheckInts(t, "positive", out[0], tensor.Uint8, []int{2, 2}, []int64{10, 20, 30, 255})
	qntCheckInts(t, "positive zp", out[2], tensor.Uint8, []int{}, []int64{0})
	// All negative: zero point 255.
	out = mustEval(t, "DynamicQuantizeLinear", 11, 3, []*tensor.Tensor{qntT([]int{2}, float32(-25.5), -1)})
	qntCheckInts(t, "negative", out[0], tensor.Uint8, []int{2}, []int64{0, 245})
	qntCheckInts(t, "negative zp", out[2], tensor.Uint8, []int{}, []int64{255})
	// Zeros and empty inputs: scale 1/255.
	for _, x := range []*tensor.Tensor{qntT([]int{3}, float32(0), 0, 0), tensor.Must(tensor.New(tensor.Float32, 0, 4))} {
		out = mustEval(t, "DynamicQuantizeLinear", 11, 3, []*tensor.Tensor{x})
		nnCheckF64(t, "zero scale", out[1], []int{}, []float64{float64(float32(1) / 255)}, 0, 0)
		qntCheckInts(t, "zeros", out[0], tensor.Uint8, x.Shape(), make([]int64, x.Len()))
	}
}

// qntConvCase is a 2-D integer convolution problem.
type qntConvCase struct {
	n, g, cg, mg int
	h, w, kh, kw int
	s, d, pads   [4]int // s and d use [0:2]
}

// qntNaiveConv computes sum (x - xz) * (w - wz[m]) + bias[m] straight from
// the definition, in int64.
func qntNaiveConv(c qntConvCase, x, w []int64, xz int64, wz []int64, bias []int64) ([]int, []int64) {
	oh := (c.h+c.pads[0]+c.pads[2]-((c.kh-1)*c.d[0]+1))/c.s[0] + 1
	ow := (c.w+c.pads[1]+c.pads[3]-((c.kw-1)*c.d[1]+1))/c.s[1] + 1
	C, M := c.g*c.cg, c.g*c.mg
	out := make([]int64, c.n*M*oh*ow)
	for n := range c.n {
		for m := range M {
			g := m / c.mg
			for oy := range oh {
				for ox := range ow {
					var s int64
					if bias != nil {
						s = bias[m]
					}
					for ci := range c.cg {
						ch := g*c.cg + ci
						for ky := range c.kh {
							for kx := range c.kw {
								iy := oy*c.s[0] - c.pads[0] + ky*c.d[0]
								ix := ox*c.s[1] - c.pads[1] + kx*c.d[1]
								if iy < 0 || iy >= c.h || ix < 0 || ix >= c.w {
									continue
								}
								xv := x[((n*C+ch)*c.h+iy)*c.w+ix] - xz
								wv := w[((m*c.cg+ci)*c.kh+ky)*c.kw+kx] - wz[min(m, len(wz)-1)]
								s += xv * wv
							}
						}
					}
					out[((n*M+m)*oh+oy)*ow+ox] = s
				}
			}
		}
	}
	return []int{c.n, M, oh, ow}, out
}

func qntRandConvCase(r *rand.Rand) qntConvCase {
	c := qntConvCase{n: 1 + r.IntN(2), g: 1 + r.IntN(2), cg: 1 + r.IntN(3), mg: 1 + r.IntN(3),
		kh: 1 + r.IntN(3), kw: 1 + r.IntN(3)}
	c.s = [4]int{1 + r.IntN(2), 1 + r.IntN(2)}
	c.d = [4]int{1 + r.IntN(2), 1 + r.IntN(2)}
	for i := range c.pads {
		c.pads[i] = r.IntN(2)
	}
	c.h = (c.kh-1)*c.d[0] + 1 + r.IntN(4)
	c.w = (c.kw-1)*c.d[1] + 1 + r.IntN(4)
	return c
}

func (c qntConvCase) attrs() []*ir.Attribute {
	return []*ir.Attribute{attrInt("group", int64(c.g)), nnAInts("strides", c.s[0], c.s[1]),
		nnAInts("dilations", c.d[0], c.d[1]), nnAInts("pads", c.pads[:]...)}
}

// qntRandInts returns n random values of an 8-bit type (uint8 if unsigned).
func qntRandInts(r *rand.Rand, n int, unsigned bool) []int64 {
	v := make([]int64, n)
	for i := range v {
		v[i] = int64(r.IntN(256))
		if !unsigned {
			v[i] -= 128
		}
	}
	return v
}

// qnt8 makes a uint8 or int8 tensor.
func qnt8(shape []int, v []int64, unsigned bool) *tensor.Tensor {
	if unsigned {
		u := make([]uint8, len(v))
		for i, x := range v {
			u[i] = uint8(x)
		}
		return qntT(shape, u...)
	}
	s := make([]int8, len(v))
	for i, x := range v {
		s[i] = int8(x)
	}
	return qntT(shape, s...)
}

func TestQntConvIntegerRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for iter := range 150 {
		c := qntRandConvCase(r)
		xu, wu := r.IntN(2) == 0, r.IntN(2) == 0
		C, M := c.g*c.cg, c.g*c.mg
		xs, ws := []int{c.n, C, c.h, c.w}, []int{M, c.cg, c.kh, c.kw}
		x, w := qntRandInts(r, nnNumel(xs), xu), qntRandInts(r, nnNumel(ws), wu)
		xz := qntRandInts(r, 1, xu)
		wz := qntRandInts(r, 1+(M-1)*r.IntN(2), wu)
		wzs := []int{}
		if len(wz) > 1 || r.IntN(2) == 0 {
			wzs = []int{len(wz)}
		}
		in := []*tensor.Tensor{qnt8(xs, x, xu), qnt8(ws, w, wu), qnt8([]int{}, xz, xu), qnt8(wzs, wz, wu)}
		got := mustEval(t, "ConvInteger", 10, 1, in, c.attrs()...)
		shape, want := qntNaiveConv(c, x, w, xz[0], wz, nil)
		qntCheckInts(t, "ConvInteger", got[0], tensor.Int32, shape, want)
		if t.Failed() {
			t.Fatalf("iteration %d: %+v", iter, c)
		}
	}
	// Without zero points.
	c := qntConvCase{n: 1, g: 1, cg: 1, mg: 1, h: 2, w: 2, kh: 2, kw: 2, s: [4]int{1, 1}, d: [4]int{1, 1}}
	got := mustEval(t, "ConvInteger", 10, 1, []*tensor.Tensor{qntT([]int{1, 1, 2, 2}, uint8(1), 2, 3, 4), qntT([]int{1, 1, 2, 2}, int8(-1), 1, -1, 1)}, c.attrs()...)
	qntCheckInts(t, "no zero points", got[0], tensor.Int32, []int{1, 1, 1, 1}, []int64{2})
}

// TestQntConvIntegerLarge: sums beyond 2^24 stay exact (the float64 path).
func TestQntConvIntegerLarge(t *testing.T) {
	const c = 2048
	x := make([]uint8, c*3*3)
	w := make([]uint8, c*3*3)
	for i := range x {
		x[i], w[i] = 255, 255
	}
	got := mustEval(t, "ConvInteger", 10, 1, []*tensor.Tensor{qntT([]int{1, c, 3, 3}, x...), qntT([]int{1, c, 3, 3}, w...)})
	qntCheckInts(t, "large", got[0], tensor.Int32, []int{1, 1, 1, 1}, []int64{255 * 255 * c * 9})
}

func TestQntQLinearConvRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for iter := range 150 {
		c := qntRandConvCase(r)
		xu, wu, yu := r.IntN(2) == 0, r.IntN(2) == 0, r.IntN(2) == 0
		C, M := c.g*c.cg, c.g*c.mg
		xs, ws := []int{c.n, C, c.h, c.w}, []int{M, c.cg, c.kh, c.kw}
		x, w := qntRandInts(r, nnNumel(xs), xu), qntRandInts(r, nnNumel(ws), wu)
		xz, yz := qntRandInts(r, 1, xu), qntRandInts(r, 1, yu)
		perChannel := r.IntN(2) == 0
		nw := 1
		if perChannel {
			nw = M
		}
		wz := qntRandInts(r, nw, wu)
		wsc := make([]float32, nw)
		for i := range wsc {
			wsc[i] = float32(0.001 + 0.01*r.Float64())
		}
		xsc, ysc := float32(0.01+0.02*r.Float64()), float32(0.05+0.5*r.Float64())
		var bias []int64
		in := []*tensor.Tensor{qnt8(xs, x, xu), qntT([]int{}, xsc), qnt8([]int{}, xz, xu),
			qnt8(ws, w, wu), qntT([]int{nw}, wsc...), qnt8([]int{nw}, wz, wu), qntT([]int{}, ysc), qnt8([]int{}, yz, yu)}
		if r.IntN(2) == 0 {
			bias = make([]int64, M)
			b32 := make([]int32, M)
			for i := range bias {
				bias[i] = int64(r.IntN(20001) - 10000)
				b32[i] = int32(bias[i])
			}
			in = append(in, qntT([]int{M}, b32...))
		}
		got := mustEval(t, "QLinearConv", 10, 1, in, c.attrs()...)
		shape, acc := qntNaiveConv(c, x, w, xz[0], wz, bias)
		lo, hi := -128.0, 127.0
		dt := tensor.Int8
		if yu {
			lo, hi, dt = 0, 255, tensor.Uint8
		}
		per := shape[2] * shape[3]
		want := make([]int64, len(acc))
		for i, a := range acc {
			m := (i / per) % M
			mult := xsc * wsc[min(m, nw-1)] / ysc
			v := math.RoundToEven(float64(a)*float64(mult)) + float64(yz[0])
			want[i] = int64(min(max(v, lo), hi))
		}
		qntCheckInts(t, "QLinearConv", got[0], dt, shape, want)
		if t.Failed() {
			t.Fatalf("iteration %d: %+v", iter, c)
		}
	}
}

// qntNaiveMatMul multiplies (a - az) and (b - bz) for 2-D a (m x k) and
// b (k x n) with per-row and per-column zero points.
func qntNaiveMatMul(m, k, n int, a, b, az, bz []int64) []int64 {
	out := make([]int64, m*n)
	for i := range m {
		for j := range n {
			var s int64
			for p := range k {
				s += (a[i*k+p] - az[min(i, len(az)-1)]) * (b[p*n+j] - bz[min(j, len(bz)-1)])
			}
			out[i*n+j] = s
		}
	}
	return out
}

func TestQntMatMulInteger(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 100 {
		m, k, n := 1+r.IntN(6), 1+r.IntN(40), 1+r.IntN(6)
		au, bu := r.IntN(2) == 0, r.IntN(2) == 0
		a, b := qntRandInts(r, m*k, au), qntRandInts(r, k*n, bu)
		az := qntRandInts(r, 1+(m-1)*r.IntN(2), au)
		bz := qntRandInts(r, 1+(n-1)*r.IntN(2), bu)
		got := mustEval(t, "MatMulInteger", 10, 1, []*tensor.Tensor{qnt8([]int{m, k}, a, au), qnt8([]int{k, n}, b, bu),
			qnt8([]int{len(az)}, az, au), qnt8([]int{len(bz)}, bz, bu)})
		qntCheckInts(t, "MatMulInteger", got[0], tensor.Int32, []int{m, n}, qntNaiveMatMul(m, k, n, a, b, az, bz))
	}
	// Batched with broadcasting and an N-D per-row zero point [2, m, 1].
	m, k, n := 2, 3, 2
	a := qntRandInts(r, 2*m*k, true)
	b := qntRandInts(r, k*n, false)
	az := []int64{1, 2, 3, 4}
	got := mustEval(t, "MatMulInteger", 10, 1, []*tensor.Tensor{qnt8([]int{2, m, k}, a, true), qnt8([]int{1, k, n}, b, false),
		qnt8([]int{2, m, 1}, az, true)})
	want := append(qntNaiveMatMul(m, k, n, a[:m*k], b, az[:2], []int64{0}), qntNaiveMatMul(m, k, n, a[m*k:], b, az[2:], []int64{0})...)
	qntCheckInts(t, "batched", got[0], tensor.Int32, []int{2, m, n}, want)
	// 1-D operands.
	got = mustEval(t, "MatMulInteger", 10, 1, []*tensor.Tensor{qntT([]int{3}, uint8(1), 2, 3), qntT([]int{3}, uint8(4), 5, 6), qntT([]int{}, uint8(1))})
	qntCheckInts(t, "vectors", got[0], tensor.Int32, []int{}, []int64{0*4 + 1*5 + 2*6})
}

func TestQntQLinearMatMul(t *testing.T) {
	// Operators.md's example, uint8 and int8, 2-D and 3-D, float32 scales
	// and (opset 21) float16 scales.
	a := []int64{208, 236, 0, 238, 3, 214, 255, 29}
	b := []int64{152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247}
	for _, u := range []bool{true, false} {
		off := int64(0)
		want := []int64{168, 115, 255, 1, 66, 151}
		if !u {
			off = 127
			want = []int64{41, -12, -9, 1, -75, -128}
		}
		sh := func(v []int64) []int64 {
			o := make([]int64, len(v))
			for i, x := range v {
				o[i] = x - off
			}
			return o
		}
		for _, half := range []bool{false, true} {
			sc := func(v float32) *tensor.Tensor {
				if half {
					return qntT([]int{1}, tensor.NewF16(v))
				}
				return qntT([]int{1}, v)
			}
			opset := int64(10)
			if half {
				opset = 21
			}
			in := []*tensor.Tensor{qnt8([]int{2, 4}, sh(a), u), sc(0.0066), qnt8([]int{1}, []int64{113 - off}, u),
				qnt8([]int{4, 3}, sh(b), u), sc(0.00705), qnt8([]int{1}, []int64{114 - off}, u), sc(0.0107), qnt8([]int{1}, []int64{118 - off}, u)}
			dt := tensor.Int8
			if u {
				dt = tensor.Uint8
			}
			got := mustEval(t, "QLinearMatMul", opset, 1, in)
			qntCheckInts(t, "2D", got[0], dt, []int{2, 3}, want)
			in[0] = qnt8([]int{2, 2, 4}, sh(append(append([]int64(nil), a...), a...)), u)
			in[3] = qnt8([]int{2, 4, 3}, sh(append(append([]int64(nil), b...), b...)), u)
			got = mustEval(t, "QLinearMatMul", opset, 1, in)
			qntCheckInts(t, "3D", got[0], dt, []int{2, 2, 3}, append(append([]int64(nil), want...), want...))
		}
	}
	// Per-row a and per-column b scales and zero points against the naive
	// definition.
	r := rand.New(rand.NewPCG(11, 12))
	for range 50 {
		m, k, n := 1+r.IntN(5), 1+r.IntN(20), 1+r.IntN(5)
		av, bv := qntRandInts(r, m*k, true), qntRandInts(r, k*n, false)
		az, bz := qntRandInts(r, m, true), qntRandInts(r, n, false)
		as, bs := make([]float32, m), make([]float32, n)
		for i := range as {
			as[i] = float32(0.001 + 0.01*r.Float64())
		}
		for i := range bs {
			bs[i] = float32(0.001 + 0.01*r.Float64())
		}
		ys, yz := float32(0.001+0.01*r.Float64()), qntRandInts(r, 1, true)
		got := mustEval(t, "QLinearMatMul", 21, 1, []*tensor.Tensor{qnt8([]int{m, k}, av, true), qntT([]int{m}, as...), qnt8([]int{m}, az, true),
			qnt8([]int{k, n}, bv, false), qntT([]int{1, n}, bs...), qnt8([]int{n}, bz, false), qntT([]int{}, ys), qnt8([]int{}, yz, true)})
		acc := qntNaiveMatMul(m, k, n, av, bv, az, bz)
		want := make([]int64, len(acc))
		for i, v := range acc {
			mult := as[i/n] * bs[i%n] / ys
			q := math.RoundToEven(float64(v)*float64(mult)) + float64(yz[0])
			want[i] = int64(min(max(q, 0), 255))
		}
		qntCheckInts(t, "per row/column", got[0], tensor.Uint8, []int{m, n}, want)
	}
}

func TestQntErrors(t *testing.T) {
	f := func(shape []int) *tensor.Tensor { return tensor.Must(tensor.New(tensor.Float32, shape...)) }
	u8 := func(shape ...int) *tensor.Tensor { return tensor.Must(tensor.New(tensor.Uint8, shape...)) }
	i8 := func(shape ...int) *tensor.Tensor { return tensor.Must(tensor.New(tensor.Int8, shape...)) }
	one := qntT([]int{}, float32(1))
	cases := []struct {
		name   string
		op     string
		opset  int64
		nOut   int
		inputs []*tensor.Tensor
		attrs  []*ir.Attribute
		unsup  bool // an unsupported type rather than an invalid node
	}{
		{"scale length", "QuantizeLinear", 13, 1, []*tensor.Tensor{f([]int{2, 3}), f([]int{2}), u8(2)}, nil, false},
		{"zero point length", "QuantizeLinear", 13, 1, []*tensor.Tensor{f([]int{2, 3}), f([]int{3}), u8(2)}, nil, false},
		{"axis out of range", "QuantizeLinear", 13, 1, []*tensor.Tensor{f([]int{2, 3}), f([]int{3}), u8(3)}, []*ir.Attribute{attrInt("axis", 2)}, false},
		{"1-D scale of a 1-D input, default axis", "QuantizeLinear", 13, 1, []*tensor.Tensor{f([]int{3}), f([]int{3})}, nil, false},
		{"2-D scale before 21", "QuantizeLinear", 19, 1, []*tensor.Tensor{f([]int{2, 3}), f([]int{2, 3})}, nil, false},
		{"block mismatch", "QuantizeLinear", 21, 1, []*tensor.Tensor{f([]int{2, 6}), f([]int{2, 2})}, []*ir.Attribute{attrInt("block_size", 2)}, false},
		{"block rank", "QuantizeLinear", 21, 1, []*tensor.Tensor{f([]int{2, 6}), f([]int{3})}, []*ir.Attribute{attrInt("block_size", 2)}, false},
		{"negative block", "QuantizeLinear", 21, 1, []*tensor.Tensor{f([]int{2, 6}), f([]int{2, 3})}, []*ir.Attribute{attrInt("block_size", -2)}, false},
		{"float8 output_dtype", "QuantizeLinear", 21, 1, []*tensor.Tensor{f([]int{2}), one}, []*ir.Attribute{attrInt("output_dtype", 17)}, true},
		{"int4 output_dtype", "QuantizeLinear", 21, 1, []*tensor.Tensor{f([]int{2}), one}, []*ir.Attribute{attrInt("output_dtype", 22)}, true},
		{"output_dtype vs zero point", "QuantizeLinear", 21, 1, []*tensor.Tensor{f([]int{2}), one, u8()}, []*ir.Attribute{attrInt("output_dtype", int64(tensor.Int8))}, false},
		{"int32 output", "QuantizeLinear", 13, 1, []*tensor.Tensor{f([]int{2}), one, qntT([]int{}, int32(0))}, nil, false},
		{"float64 input", "QuantizeLinear", 13, 1, []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float64, 2)), one}, nil, false},
		{"precision int", "QuantizeLinear", 25, 1, []*tensor.Tensor{f([]int{2}), one}, []*ir.Attribute{attrInt("precision", int64(tensor.Int32))}, false},
		{"dequantize float input", "DequantizeLinear", 13, 1, []*tensor.Tensor{f([]int{2}), one}, nil, false},
		{"dequantize zero point type", "DequantizeLinear", 13, 1, []*tensor.Tensor{u8(2), one, i8()}, nil, false},
		{"dequantize int output_dtype", "DequantizeLinear", 23, 1, []*tensor.Tensor{u8(2), one}, []*ir.Attribute{attrInt("output_dtype", int64(tensor.Int32))}, false},
		{"dequantize scale length", "DequantizeLinear", 13, 1, []*tensor.Tensor{u8(2, 3), f([]int{2})}, nil, false},
		{"dynamic float64", "DynamicQuantizeLinear", 11, 3, []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float64, 2))}, nil, false},
		{"convinteger float", "ConvInteger", 10, 1, []*tensor.Tensor{f([]int{1, 1, 3, 3}), f([]int{1, 1, 2, 2})}, nil, false},
		{"convinteger channels", "ConvInteger", 10, 1, []*tensor.Tensor{u8(1, 2, 3, 3), u8(1, 1, 2, 2)}, nil, false},
		{"convinteger w_zero_point count", "ConvInteger", 10, 1, []*tensor.Tensor{u8(1, 1, 3, 3), u8(2, 1, 2, 2), u8(), u8(3)}, nil, false},
		{"convinteger x_zero_point count", "ConvInteger", 10, 1, []*tensor.Tensor{u8(1, 1, 3, 3), u8(2, 1, 2, 2), u8(2)}, nil, false},
		{"convinteger zero point type", "ConvInteger", 10, 1, []*tensor.Tensor{u8(1, 1, 3, 3), u8(2, 1, 2, 2), i8()}, nil, false},
		{"convinteger kernel too big", "ConvInteger", 10, 1, []*tensor.Tensor{u8(1, 1, 3, 3), u8(2, 1, 4, 4)}, nil, false},
		{"convinteger weight rank", "ConvInteger", 10, 1, []*tensor.Tensor{u8(1, 1, 3, 3), u8(2, 1)}, nil, false},
		{"qlinearconv w_scale count", "QLinearConv", 10, 1, []*tensor.Tensor{u8(1, 1, 3, 3), one, u8(), u8(2, 1, 1, 1), f([]int{3}), u8(), one, u8()}, nil, false},
		{"qlinearconv x_scale count", "QLinearConv", 10, 1, []*tensor.Tensor{u8(1, 1, 3, 3), f([]int{2}), u8(), u8(2, 1, 1, 1), one, u8(), one, u8()}, nil, false},
		{"qlinearconv bias size", "QLinearConv", 10, 1, []*tensor.Tensor{u8(1, 1, 3, 3), one, u8(), u8(2, 1, 1, 1), one, u8(), one, u8(), qntT([]int{3}, int32(0), 0, 0)}, nil, false},
		{"qlinearconv bias type", "QLinearConv", 10, 1, []*tensor.Tensor{u8(1, 1, 3, 3), one, u8(), u8(2, 1, 1, 1), one, u8(), one, u8(), f([]int{2})}, nil, false},
		{"qlinearconv float scale type", "QLinearConv", 10, 1, []*tensor.Tensor{u8(1, 1, 3, 3), qntT([]int{}, tensor.NewF16(1)), u8(), u8(2, 1, 1, 1), one, u8(), one, u8()}, nil, false},
		{"matmulinteger inner", "MatMulInteger", 10, 1, []*tensor.Tensor{u8(2, 3), u8(2, 3)}, nil, false},
		{"matmulinteger zero point shape", "MatMulInteger", 10, 1, []*tensor.Tensor{u8(2, 3), u8(3, 4), u8(5)}, nil, false},
		{"matmulinteger b zero point shape", "MatMulInteger", 10, 1, []*tensor.Tensor{u8(2, 3), u8(3, 4), u8(), u8(3)}, nil, false},
		{"matmulinteger scalar", "MatMulInteger", 10, 1, []*tensor.Tensor{u8(), u8(3)}, nil, false},
		{"qlinearmatmul y_scale count", "QLinearMatMul", 10, 1, []*tensor.Tensor{u8(2, 3), one, u8(), u8(3, 4), one, u8(), f([]int{2}), u8()}, nil, false},
		{"qlinearmatmul a_scale shape", "QLinearMatMul", 10, 1, []*tensor.Tensor{u8(2, 3), f([]int{3}), u8(), u8(3, 4), one, u8(), one, u8()}, nil, false},
		{"qlinearmatmul float16 scale at 10", "QLinearMatMul", 10, 1, []*tensor.Tensor{u8(2, 3), qntT([]int{}, tensor.NewF16(1)), u8(), u8(3, 4), one, u8(), one, u8()}, nil, false},
	}
	for _, c := range cases {
		_, err := evalNode("", c.op, c.opset, c.nOut, c.inputs, c.attrs...)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		t.Logf("%s: %v", c.name, err)
		want := errors.Is(err, ops.ErrInvalidNode) || errors.Is(err, ops.ErrShapeMismatch) || errors.Is(err, tensor.ErrShape)
		if c.unsup {
			want = errors.Is(err, ops.ErrUnsupportedOp)
		}
		if !want {
			t.Errorf("%s: error %v does not wrap the expected sentinel", c.name, err)
		}
	}
}

// TestQntKernelsCheckShapes builds kernels for unknown shapes and runs them
// on inconsistent inputs: errors, never panics.
func TestQntKernelsCheckShapes(t *testing.T) {
	u8 := func(shape ...int) *tensor.Tensor { return tensor.Must(tensor.New(tensor.Uint8, shape...)) }
	f := func(shape ...int) *tensor.Tensor { return tensor.Must(tensor.New(tensor.Float32, shape...)) }
	for _, c := range []struct {
		op    string
		opset int64
		in    []*tensor.Tensor
		attrs []*ir.Attribute
	}{
		{"QuantizeLinear", 13, []*tensor.Tensor{f(2, 3), f(4), u8(4)}, nil},
		{"QuantizeLinear", 13, []*tensor.Tensor{f(2, 3), f(3), u8(2)}, nil},
		{"QuantizeLinear", 21, []*tensor.Tensor{f(2, 6), f(2, 4), u8(2, 4)}, []*ir.Attribute{attrInt("block_size", 2)}},
		{"DequantizeLinear", 13, []*tensor.Tensor{u8(2, 3), f(4), u8(4)}, nil},
		{"DequantizeLinear", 13, []*tensor.Tensor{u8(2, 3), f(3), u8(1)}, nil},
		{"ConvInteger", 10, []*tensor.Tensor{u8(1, 2, 3, 3), u8(2, 1, 2, 2), u8(), u8(3)}, nil},
		{"ConvInteger", 10, []*tensor.Tensor{u8(1, 2, 3, 3), u8(2)}, nil},
		{"QLinearConv", 10, []*tensor.Tensor{u8(1, 1, 3, 3), f(), u8(), u8(2, 1, 1, 1), f(3), u8(3), f(), u8()}, nil},
		{"QLinearConv", 10, []*tensor.Tensor{u8(1, 1, 3, 3), f(), u8(), u8(2, 1, 1, 1), f(), u8(), f(), u8(), tensor.Must(tensor.New(tensor.Int32, 5))}, nil},
		{"MatMulInteger", 10, []*tensor.Tensor{u8(2, 3), u8(4, 2)}, nil},
		{"MatMulInteger", 10, []*tensor.Tensor{u8(2, 3), u8(3, 2), u8(3)}, nil},
		{"QLinearMatMul", 10, []*tensor.Tensor{u8(2, 3), f(5), u8(), u8(3, 4), f(), u8(), f(), u8()}, nil},
		{"QLinearMatMul", 10, []*tensor.Tensor{u8(2, 3), f(), u8(), u8(3, 4), f(), u8(), f(2), u8()}, nil},
	} {
		present := make([]bool, len(c.in))
		in := make([]ops.TypeShape, len(c.in))
		for i, x := range c.in {
			present[i] = true
			in[i] = ops.Unranked(x.DType())
		}
		node := nnNode(c.op, present, 1, c.attrs...)
		s := ops.LookupSchema("", c.op, c.opset)
		n := &ops.Node{Node: node, Schema: s, Opset: c.opset, In: in}
		k := genericKernel(t, n)
		out := make([]*tensor.Tensor, 1)
		if err := k.Run(&ops.ExecContext{Threads: 1}, c.in, out); err == nil {
			t.Errorf("%s %v: no error", c.op, c.in)
		} else {
			t.Logf("%s: %v", c.op, err)
		}
	}
}

// qntONNXPrefixes select the official node tests of the quantisation ops.
var qntONNXPrefixes = []string{"test_quantizelinear", "test_dequantizelinear", "test_dynamicquantizelinear",
	"test_qlinearconv", "test_qlinearmatmul", "test_convinteger", "test_matmulinteger"}

// TestQntONNXNodeCases runs the official node tests of the quantisation
// ops through the generic kernels (skipped without the test data). Their
// outputs are integers and must match exactly.
func TestQntONNXNodeCases(t *testing.T) {
	onnxRunPrefixes(t, 0, 0, qntONNXPrefixes...)
}

// qntEvalUnknown runs op like evalNode, but with a kernel built without the
// inputs' values (as for graph inputs), so nothing is precomputed.
func qntEvalUnknown(t *testing.T, op string, opset int64, inputs []*tensor.Tensor, attrs ...*ir.Attribute) []*tensor.Tensor {
	t.Helper()
	present := make([]bool, len(inputs))
	in := make([]ops.TypeShape, len(inputs))
	for i, x := range inputs {
		present[i] = x != nil
		if x == nil {
			in[i] = ops.TypeShape{Absent: true}
		} else {
			in[i] = ops.Ranked(x.DType(), ir.ShapeOf(x.Shape()...))
		}
	}
	s := ops.LookupSchema("", op, opset)
	n := &ops.Node{Node: nnNode(op, present, 1, attrs...), Schema: s, Opset: opset, In: in}
	k := genericKernel(t, n)
	out := make([]*tensor.Tensor, 1)
	if err := ops.AllocOutputs(n, n.Out, out); err != nil {
		t.Fatal(err)
	}
	if err := k.Run(&ops.ExecContext{Ctx: t.Context(), Threads: 1}, inputs, out); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return out
}

// TestQntConstantOperands: kernels built with constant weights (shifted
// once at build time, as ops.Eval and initializers give) and without agree.
func TestQntConstantOperands(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for range 30 {
		c := qntRandConvCase(r)
		C, M := c.g*c.cg, c.g*c.mg
		xs, ws := []int{c.n, C, c.h, c.w}, []int{M, c.cg, c.kh, c.kw}
		x := qnt8(xs, qntRandInts(r, nnNumel(xs), true), true)
		w := qnt8(ws, qntRandInts(r, nnNumel(ws), false), false)
		wz := qnt8([]int{M}, qntRandInts(r, M, false), false)
		in := []*tensor.Tensor{x, w, qnt8([]int{}, qntRandInts(r, 1, true), true), wz}
		nnCheckClose(t, "ConvInteger", qntEvalUnknown(t, "ConvInteger", 10, in, c.attrs()...)[0],
			mustEval(t, "ConvInteger", 10, 1, in, c.attrs()...)[0], 0, 0)
		qin := []*tensor.Tensor{x, qntT([]int{}, float32(0.02)), qnt8([]int{}, []int64{3}, true), w, qntT([]int{}, float32(0.01)), wz,
			qntT([]int{}, float32(0.3)), qnt8([]int{}, []int64{-3}, false)}
		nnCheckClose(t, "QLinearConv", qntEvalUnknown(t, "QLinearConv", 10, qin, c.attrs()...)[0],
			mustEval(t, "QLinearConv", 10, 1, qin, c.attrs()...)[0], 0, 0)
	}
	for range 30 {
		m, k, n := 1+r.IntN(5), 1+r.IntN(9), 1+r.IntN(5)
		a := qnt8([]int{2, m, k}, qntRandInts(r, 2*m*k, false), false)
		b := qnt8([]int{k, n}, qntRandInts(r, k*n, true), true)
		bz := qnt8([]int{n}, qntRandInts(r, n, true), true)
		in := []*tensor.Tensor{a, b, nil, bz}
		nnCheckClose(t, "MatMulInteger", qntEvalUnknown(t, "MatMulInteger", 10, in)[0], mustEval(t, "MatMulInteger", 10, 1, in)[0], 0, 0)
		qin := []*tensor.Tensor{a, qntT([]int{}, float32(0.05)), qnt8([]int{}, []int64{1}, false), b, qntT([]int{n}, make([]float32, n)...), bz,
			qntT([]int{}, float32(0.7)), qnt8([]int{}, []int64{100}, true)}
		for i := range n {
			tensor.Data[float32](qin[4])[i] = float32(0.01 * float64(i+1))
		}
		nnCheckClose(t, "QLinearMatMul", qntEvalUnknown(t, "QLinearMatMul", 10, qin)[0], mustEval(t, "QLinearMatMul", 10, 1, qin)[0], 0, 0)
	}
}
