package generic

import (
	"errors"
	"math"
	"math/big"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// sigNaiveDFT is the definition: y[k] = sum_j x[j] e^{-+2 pi i jk/n}
// (divided by n for the inverse), with the angle reduced exactly.
func sigNaiveDFT(x []complex128, inverse bool) []complex128 {
	n := len(x)
	y := make([]complex128, n)
	sign := -1.0
	if inverse {
		sign = 1
	}
	for k := range y {
		var s complex128
		for j, v := range x {
			a := sign * 2 * math.Pi * float64((j*k)%n) / float64(n)
			s += v * cmplx.Rect(1, a)
		}
		if inverse {
			s /= complex(float64(n), 0)
		}
		y[k] = s
	}
	return y
}

func sigRandComplex(r *rand.Rand, n int) []complex128 {
	x := make([]complex128, n)
	for i := range x {
		x[i] = complex(r.NormFloat64(), r.NormFloat64())
	}
	return x
}

// sigMaxErr returns max |a-b| / max(1, max |b|).
func sigMaxErr(a, b []complex128) float64 {
	var e, m float64
	for i := range b {
		e = max(e, cmplx.Abs(a[i]-b[i]))
		m = max(m, cmplx.Abs(b[i]))
	}
	return e / max(1, m)
}

// TestSigPlans checks the radix-2, direct and Bluestein transforms against
// the definition around the algorithm switches.
func TestSigPlans(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	sizes := []int{}
	for n := 1; n <= 70; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 97, 100, 127, 128, 129, 255, 256, 1000, 1024, 1031)
	for _, n := range sizes {
		x := sigRandComplex(r, n)
		p := sigNewPlan(n)
		for _, inv := range []bool{false, true} {
			y := append([]complex128(nil), x...)
			if inv {
				p.inverse(y)
			} else {
				p.forward(y)
			}
			if e := sigMaxErr(y, sigNaiveDFT(x, inv)); e > 1e-12 {
				t.Errorf("n=%d inverse=%v: relative error %g", n, inv, e)
			}
		}
		// A plan is reusable: forward then inverse gives x back.
		y := append([]complex128(nil), x...)
		p.forward(y)
		p.inverse(y)
		if e := sigMaxErr(y, x); e > 1e-12 {
			t.Errorf("n=%d round trip: relative error %g", n, e)
		}
	}
}

func TestSigSquareMod(t *testing.T) {
	for _, c := range [][2]uint64{{0, 7}, {5, 7}, {1 << 31, 1000003}, {1<<40 + 12345, 1<<41 + 2}, {math.MaxUint64, 1<<63 + 5}, {3, 1}} {
		k, m := new(big.Int).SetUint64(c[0]), new(big.Int).SetUint64(c[1])
		want := new(big.Int).Mod(new(big.Int).Mul(k, k), m).Uint64()
		if got := sigSquareMod(c[0], c[1]); got != want {
			t.Errorf("%d^2 mod %d = %d, want %d", c[0], c[1], got, want)
		}
	}
}

// sigNaiveDFTOp computes the DFT operator from its definition for an input
// of shape xs (last dim 1 or 2) on axis, for a DFT of length n.
func sigNaiveDFTOp(xs []int, x []float64, axis, n int, inverse, onesided bool) ([]int, []float64) {
	r := len(xs)
	c := xs[r-1]
	outer, L, inner := nnNumel(xs[:axis]), xs[axis], nnNumel(xs[axis+1:r-1])
	irfft := onesided && inverse
	outLen, cout := n, 2
	if onesided && !inverse {
		outLen = n/2 + 1
	}
	if irfft {
		cout = 1
	}
	shape := append([]int(nil), xs...)
	shape[axis], shape[r-1] = outLen, cout
	y := make([]float64, nnNumel(shape))
	get := func(o, t, i int) complex128 {
		if t >= L {
			return 0
		}
		j := ((o*L+t)*inner + i) * c
		if c == 2 {
			return complex(x[j], x[j+1])
		}
		return complex(x[j], 0)
	}
	for o := range outer {
		for i := range inner {
			seq := make([]complex128, n)
			for t := range seq {
				if irfft && t > n/2 {
					seq[t] = cmplx.Conj(get(o, n-t, i))
				} else {
					seq[t] = get(o, t, i)
				}
			}
			res := sigNaiveDFT(seq, inverse)
			for k := range outLen {
				j := ((o*outLen+k)*inner + i) * cout
				y[j] = real(res[k])
				if cout == 2 {
					y[j+1] = imag(res[k])
				}
			}
		}
	}
	return shape, y
}

func TestSigDFT(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	type dftCase struct {
		xs              []int
		axis            int // normalised axis
		axisArg         int64
		length          int // 0: default
		inverse, onesid bool
		opset           int64
	}
	cases := []dftCase{
		{xs: []int{2, 5, 3, 1}, axis: 1, axisArg: 1, opset: 17},
		{xs: []int{2, 5, 3, 1}, axis: 2, axisArg: 2, opset: 17},
		{xs: []int{2, 5, 3, 1}, axis: 0, axisArg: 0, opset: 17},
		{xs: []int{3, 6, 2}, axis: 1, axisArg: 1, opset: 17},
		{xs: []int{3, 6, 2}, axis: 1, axisArg: -2, opset: 20},
		{xs: []int{3, 6, 2}, axis: 0, axisArg: -3, opset: 20},
		{xs: []int{4, 7, 1}, axis: 1, axisArg: 1, length: 12, opset: 17},
		{xs: []int{4, 7, 1}, axis: 1, axisArg: 1, length: 4, opset: 17},
		{xs: []int{4, 7, 1}, axis: 1, axisArg: 1, onesid: true, opset: 17},
		{xs: []int{4, 8, 1}, axis: 1, axisArg: 1, onesid: true, length: 11, opset: 20},
		{xs: []int{4, 7, 2}, axis: 1, axisArg: 1, inverse: true, opset: 17},
		{xs: []int{2, 5, 2}, axis: 1, axisArg: -2, inverse: true, onesid: true, opset: 20},
		{xs: []int{2, 5, 2}, axis: 1, axisArg: -2, inverse: true, onesid: true, length: 9, opset: 20},
		{xs: []int{2, 5, 2}, axis: 1, axisArg: 1, inverse: true, onesid: true, length: 4, opset: 20},
		{xs: []int{1, 100, 2}, axis: 1, axisArg: 1, opset: 20},
		{xs: []int{1, 1, 1}, axis: 1, axisArg: 1, opset: 20},
	}
	for _, c := range cases {
		x := make([]float64, nnNumel(c.xs))
		for i := range x {
			x[i] = r.NormFloat64()
		}
		in := []*tensor.Tensor{nnF64T(c.xs, x)}
		attrs := []*ir.Attribute{attrInt("inverse", nnB2I(c.inverse)), attrInt("onesided", nnB2I(c.onesid))}
		if c.length > 0 {
			in = append(in, qntT([]int{}, int64(c.length)))
		}
		if c.opset >= 20 {
			if c.length == 0 {
				in = append(in, nil)
			}
			in = append(in, qntT([]int{}, c.axisArg))
		} else {
			attrs = append(attrs, attrInt("axis", c.axisArg))
		}
		n := c.length
		if n == 0 {
			n = c.xs[c.axis]
			if c.inverse && c.onesid {
				n = 2 * (n - 1)
			}
		}
		shape, want := sigNaiveDFTOp(c.xs, x, c.axis, n, c.inverse, c.onesid)
		got := mustEval(t, "DFT", c.opset, 1, in, attrs...)
		nnCheckF64(t, "DFT", got[0], shape, want, 1e-12, 1e-12)
		if t.Failed() {
			t.Fatalf("case %+v", c)
		}
		// float32 and float16 inputs give their own type.
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float16} {
			in2 := append([]*tensor.Tensor(nil), in...)
			in2[0] = nnAsType(nnF32(c.xs, nnToF32s(x)...), dt)
			xr := nnF64s(in2[0])
			shape, want := sigNaiveDFTOp(c.xs, xr, c.axis, n, c.inverse, c.onesid)
			got := mustEval(t, "DFT", c.opset, 1, in2, attrs...)
			if got[0].DType() != dt {
				t.Fatalf("%v input gives %v", dt, got[0].DType())
			}
			tol := 1e-5
			if dt == tensor.Float16 {
				tol = 1e-2
			}
			nnCheckF64(t, "DFT "+dt.String(), got[0], shape, want, tol, tol*float64(n))
		}
	}
}

// TestSigEmpty: empty batches give empty outputs, even for a huge
// dft_length (no plan is made for it).
func TestSigEmpty(t *testing.T) {
	got := mustEval(t, "DFT", 20, 1, []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float32, 0, 4, 1)), qntT([]int{}, int64(1)<<28)})
	if s := got[0].Shape(); !tensor.SameShape(s, []int{0, 1 << 28, 2}) {
		t.Fatalf("shape %v", s)
	}
	got = mustEval(t, "STFT", 17, 1, []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float32, 0, 8, 1)), qntT([]int{}, int64(2)), nil, qntT([]int{}, int64(4))})
	if s := got[0].Shape(); !tensor.SameShape(s, []int{0, 3, 3, 2}) {
		t.Fatalf("shape %v", s)
	}
}

// TestSigRFFTRoundTrip: IRFFT(RFFT(x)) = x for even and odd lengths.
func TestSigRFFTRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{1, 2, 3, 8, 9, 16, 33, 100} {
		x := make([]float64, 2*n)
		for i := range x {
			x[i] = r.NormFloat64()
		}
		xt := nnF64T([]int{2, n, 1}, x)
		spec := mustEval(t, "DFT", 20, 1, []*tensor.Tensor{xt}, attrInt("onesided", 1))
		back := mustEval(t, "DFT", 20, 1, []*tensor.Tensor{spec[0], qntT([]int{}, int32(n))}, attrInt("onesided", 1), attrInt("inverse", 1))
		nnCheckF64(t, "round trip", back[0], []int{2, n, 1}, x, 1e-12, 1e-12)
	}
}

// sigNaiveSTFT computes STFT from its definition (as the ONNX reference
// implementation frames the signal).
func sigNaiveSTFT(sig []float64, batch, length, c, step, fl int, win []float64, onesided bool) ([]int, []float64) {
	wl := fl
	if win != nil {
		wl = len(win)
	}
	frames := 1 + (length-fl)/step
	bins := fl
	if onesided {
		bins = fl/2 + 1
	}
	out := make([]float64, batch*frames*bins*2)
	for b := range batch {
		for f := range frames {
			for k := range bins {
				var s complex128
				for t := range min(wl, fl) {
					p := f*step + t
					if p >= length {
						break
					}
					v := complex(sig[(b*length+p)*c], 0)
					if c == 2 {
						v = complex(sig[(b*length+p)*c], sig[(b*length+p)*c+1])
					}
					if win != nil {
						v *= complex(win[t], 0)
					}
					s += v * cmplx.Rect(1, -2*math.Pi*float64((k*t)%fl)/float64(fl))
				}
				j := ((b*frames+f)*bins + k) * 2
				out[j], out[j+1] = real(s), imag(s)
			}
		}
	}
	return []int{batch, frames, bins, 2}, out
}

func TestSigSTFT(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, c := range []struct {
		batch, length, c, step int
		fl                     int // frame_length input (0: none)
		wl                     int // window length (0: none)
		onesided               bool
	}{
		{1, 128, 1, 8, 16, 0, true},
		{2, 50, 1, 7, 0, 10, true},
		{2, 50, 1, 7, 10, 10, false},
		{1, 40, 1, 5, 12, 8, true},  // window shorter than the DFT
		{1, 40, 1, 5, 8, 12, true},  // window longer than the DFT
		{1, 30, 1, 4, 0, 0, true},   // one frame of the whole signal
		{2, 33, 2, 6, 9, 9, false},  // complex signal
		{1, 20, 1, 25, 20, 0, true}, // step past the end: one frame
	} {
		sig := make([]float64, c.batch*c.length*c.c)
		for i := range sig {
			sig[i] = r.NormFloat64()
		}
		in := []*tensor.Tensor{nnF64T([]int{c.batch, c.length, c.c}, sig), qntT([]int{}, int64(c.step)), nil, nil}
		var win []float64
		if c.wl > 0 {
			win = make([]float64, c.wl)
			for i := range win {
				win[i] = r.Float64()
			}
			in[2] = nnF64T([]int{c.wl}, win)
		}
		fl := c.fl
		if fl > 0 {
			in[3] = qntT([]int{}, int32(fl))
		} else if c.wl > 0 {
			fl = c.wl
		} else {
			fl = c.length
		}
		shape, want := sigNaiveSTFT(sig, c.batch, c.length, c.c, c.step, fl, win, c.onesided)
		got := mustEval(t, "STFT", 17, 1, in, attrInt("onesided", nnB2I(c.onesided)))
		nnCheckF64(t, "STFT", got[0], shape, want, 1e-12, 1e-12)
		if t.Failed() {
			t.Fatalf("case %+v", c)
		}
	}
}

func TestSigWindows(t *testing.T) {
	a, b := 25.0/46, 21.0/46
	for _, c := range []struct {
		op       string
		size     int
		periodic int64
		want     []float64
	}{
		{"HannWindow", 4, 1, []float64{0, 0.5, 1, 0.5}},
		{"HannWindow", 5, 0, []float64{0, 0.5, 1, 0.5, 0}},
		{"HammingWindow", 4, 1, []float64{a - b, a, a + b, a}},
		{"HammingWindow", 3, 0, []float64{a - b, a + b, a - b}},
		{"BlackmanWindow", 3, 0, []float64{0, 1, 0}},
		{"BlackmanWindow", 4, 1, []float64{0, 0.42 + 0.08*-1, 1, 0.42 + 0.08*-1}},
		{"HannWindow", 1, 0, []float64{1}},
		{"HannWindow", 1, 1, []float64{0}},
		{"HammingWindow", 0, 1, []float64{}},
	} {
		for _, sdt := range []tensor.DType{tensor.Int32, tensor.Int64} {
			size := qntT([]int{}, int64(c.size))
			if sdt == tensor.Int32 {
				size = qntT([]int{}, int32(c.size))
			}
			got := mustEval(t, c.op, 17, 1, []*tensor.Tensor{size}, attrInt("periodic", c.periodic))
			if got[0].DType() != tensor.Float32 {
				t.Fatalf("%s gives %v", c.op, got[0].DType())
			}
			nnCheckF64(t, c.op, got[0], []int{c.size}, c.want, 1e-6, 1e-7)
		}
	}
	// The default is periodic; output_datatype picks the type (integers truncate).
	got := mustEval(t, "HannWindow", 17, 1, []*tensor.Tensor{qntT([]int{}, int64(4))}, attrInt("output_datatype", int64(tensor.Int32)))
	qntCheckInts(t, "int32 window", got[0], tensor.Int32, []int{4}, []int64{0, 0, 1, 0})
	got = mustEval(t, "BlackmanWindow", 17, 1, []*tensor.Tensor{qntT([]int{}, int64(4))}, attrInt("output_datatype", int64(tensor.Float64)))
	nnCheckF64(t, "float64 window", got[0], []int{4}, []float64{0, 0.34, 1, 0.34}, 1e-15, 1e-16)
	got = mustEval(t, "HammingWindow", 17, 1, []*tensor.Tensor{qntT([]int{}, int64(4))}, attrInt("output_datatype", int64(tensor.Float16)))
	if got[0].DType() != tensor.Float16 {
		t.Fatalf("float16 window is %v", got[0].DType())
	}
	// A long window stays symmetric: w[k] = w[n-k] for the periodic form.
	got = mustEval(t, "HannWindow", 17, 1, []*tensor.Tensor{qntT([]int{}, int64(1000))}, attrInt("output_datatype", int64(tensor.Float64)))
	w := nnF64s(got[0])
	for k := 1; k < 1000; k++ {
		if math.Abs(w[k]-w[1000-k]) > 1e-15 || math.Abs(w[k]-math.Pow(math.Sin(math.Pi*float64(k)/1000), 2)) > 1e-15 {
			t.Fatalf("w[%d] = %v, w[%d] = %v", k, w[k], 1000-k, w[1000-k])
		}
	}
}

func TestSigMelWeightMatrix(t *testing.T) {
	// Operators.md's example.
	got := mustEval(t, "MelWeightMatrix", 17, 1, []*tensor.Tensor{qntT([]int{}, int32(8)), qntT([]int{}, int32(16)),
		qntT([]int{}, int32(8192)), qntT([]int{}, float32(0)), qntT([]int{}, float32(4096))})
	want := make([]float64, 9*8)
	for _, p := range [][2]int{{0, 0}, {0, 1}, {1, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6}, {5, 7}} {
		want[p[0]*8+p[1]] = 1
	}
	nnCheckF64(t, "example", got[0], []int{9, 8}, want, 0, 0)
	// Wider triangles: every column rises linearly to 1 and falls back.
	got = mustEval(t, "MelWeightMatrix", 17, 1, []*tensor.Tensor{qntT([]int{}, int64(4)), qntT([]int{}, int64(256)),
		qntT([]int{}, int64(16000)), qntT([]int{}, float64(100)), qntT([]int{}, float64(8000))}, attrInt("output_datatype", int64(tensor.Float64)))
	if s := got[0].Shape(); !tensor.SameShape(s, []int{129, 4}) {
		t.Fatalf("shape %v", s)
	}
	v := nnF64s(got[0])
	mel := func(f float64) float64 { return 2595 * math.Log10(1+f/700) }
	step := (mel(8000) - mel(100)) / 6
	for m := range 4 {
		// The edges of triangle m, straight from the spec's formulas.
		e := make([]int, 3)
		for i := range e {
			hz := 700 * (math.Pow(10, (mel(100)+float64(m+i)*step)/2595) - 1)
			e[i] = int(math.Floor(257 * hz / 16000))
		}
		for j := range 129 {
			var w float64
			switch {
			case j >= e[0] && j <= e[1]:
				w = float64(j-e[0]) / float64(e[1]-e[0])
			case j > e[1] && j < e[2]:
				w = float64(e[2]-j) / float64(e[2]-e[1])
			}
			if math.Abs(v[j*4+m]-w) > 1e-15 {
				t.Fatalf("mel %d bin %d (edges %v) = %v, want %v", m, j, e, v[j*4+m], w)
			}
		}
	}
}

func TestSigErrors(t *testing.T) {
	x := func(shape ...int) *tensor.Tensor { return tensor.Must(tensor.New(tensor.Float32, shape...)) }
	i64 := func(v int64) *tensor.Tensor { return qntT([]int{}, v) }
	i32 := func(v int32) *tensor.Tensor { return qntT([]int{}, v) }
	cases := []struct {
		name   string
		op     string
		opset  int64
		inputs []*tensor.Tensor
		attrs  []*ir.Attribute
	}{
		{"axis -1", "DFT", 20, []*tensor.Tensor{x(2, 3, 1), nil, i64(-1)}, nil},
		{"axis = rank-1", "DFT", 17, []*tensor.Tensor{x(2, 3, 1)}, []*ir.Attribute{attrInt("axis", 2)}},
		{"axis below -rank", "DFT", 20, []*tensor.Tensor{x(2, 3, 1), nil, i64(-4)}, nil},
		{"axis not a scalar", "DFT", 20, []*tensor.Tensor{x(2, 3, 1), nil, qntT([]int{2}, int64(1), 1)}, nil},
		{"axis float", "DFT", 20, []*tensor.Tensor{x(2, 3, 1), nil, qntT([]int{}, float32(1))}, nil},
		{"last dim 3", "DFT", 17, []*tensor.Tensor{x(2, 3, 3)}, nil},
		{"rank 1", "DFT", 17, []*tensor.Tensor{x(3)}, nil},
		{"onesided complex", "DFT", 17, []*tensor.Tensor{x(2, 4, 2)}, []*ir.Attribute{attrInt("onesided", 1)}},
		{"irfft real", "DFT", 20, []*tensor.Tensor{x(2, 4, 1)}, []*ir.Attribute{attrInt("onesided", 1), attrInt("inverse", 1)}},
		{"irfft of one bin", "DFT", 20, []*tensor.Tensor{x(2, 1, 2)}, []*ir.Attribute{attrInt("onesided", 1), attrInt("inverse", 1)}},
		{"dft_length 0", "DFT", 17, []*tensor.Tensor{x(2, 4, 1), i64(0)}, []*ir.Attribute{attrInt("axis", 1)}},
		{"dft_length negative", "DFT", 17, []*tensor.Tensor{x(2, 4, 1), i32(-3)}, []*ir.Attribute{attrInt("axis", 1)}},
		{"inverse 2", "DFT", 17, []*tensor.Tensor{x(2, 4, 1)}, []*ir.Attribute{attrInt("inverse", 2)}},
		{"int input", "DFT", 17, []*tensor.Tensor{qntT([]int{2, 1}, int32(1), 2)}, nil},
		{"stft frame too long", "STFT", 17, []*tensor.Tensor{x(1, 10, 1), i64(2), nil, i64(11)}, nil},
		{"stft step 0", "STFT", 17, []*tensor.Tensor{x(1, 10, 1), i64(0), nil, i64(4)}, nil},
		{"stft onesided complex", "STFT", 17, []*tensor.Tensor{x(1, 10, 2), i64(2), nil, i64(4)}, nil},
		{"stft window rank", "STFT", 17, []*tensor.Tensor{x(1, 10, 1), i64(2), x(2, 2)}, nil},
		{"stft window type", "STFT", 17, []*tensor.Tensor{x(1, 10, 1), i64(2), tensor.Must(tensor.New(tensor.Float64, 4))}, nil},
		{"stft signal rank", "STFT", 17, []*tensor.Tensor{x(10, 1), i64(2), nil, i64(4)}, nil},
		{"stft signal last dim", "STFT", 17, []*tensor.Tensor{x(1, 10, 3), i64(2), nil, i64(4)}, nil},
		{"window negative", "HannWindow", 17, []*tensor.Tensor{i64(-1)}, nil},
		{"window float size", "HannWindow", 17, []*tensor.Tensor{qntT([]int{}, float32(3))}, nil},
		{"window string type", "HammingWindow", 17, []*tensor.Tensor{i64(4)}, []*ir.Attribute{attrInt("output_datatype", int64(tensor.String))}},
		{"window bool type", "BlackmanWindow", 17, []*tensor.Tensor{i64(4)}, []*ir.Attribute{attrInt("output_datatype", int64(tensor.Bool))}},
		{"window periodic 2", "BlackmanWindow", 17, []*tensor.Tensor{i64(4)}, []*ir.Attribute{attrInt("periodic", 2)}},
		{"window size vector", "HannWindow", 17, []*tensor.Tensor{qntT([]int{2}, int64(3), 4)}, nil},
		{"mel bins 0", "MelWeightMatrix", 17, []*tensor.Tensor{i64(0), i64(16), i64(8000), qntT([]int{}, float32(0)), qntT([]int{}, float32(4000))}, nil},
		{"mel rate 0", "MelWeightMatrix", 17, []*tensor.Tensor{i64(4), i64(16), i64(0), qntT([]int{}, float32(0)), qntT([]int{}, float32(4000))}, nil},
		{"mel upper past the spectrum", "MelWeightMatrix", 17, []*tensor.Tensor{i64(4), i64(16), i64(8000), qntT([]int{}, float32(0)), qntT([]int{}, float32(40000))}, nil},
		{"mel negative lower", "MelWeightMatrix", 17, []*tensor.Tensor{i64(4), i64(16), i64(8000), qntT([]int{}, float32(-600)), qntT([]int{}, float32(4000))}, nil},
		{"mel NaN edge", "MelWeightMatrix", 17, []*tensor.Tensor{i64(4), i64(16), i64(8000), qntT([]int{}, float32(math.NaN())), qntT([]int{}, float32(4000))}, nil},
		{"mel edge type", "MelWeightMatrix", 17, []*tensor.Tensor{i64(4), i64(16), i64(8000), i64(0), qntT([]int{}, float32(4000))}, nil},
	}
	for _, c := range cases {
		_, err := evalNode("", c.op, c.opset, 1, c.inputs, c.attrs...)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		t.Logf("%s: %v", c.name, err)
		if !errors.Is(err, ops.ErrInvalidNode) && !errors.Is(err, ops.ErrShapeMismatch) {
			t.Errorf("%s: error %v wraps neither ErrInvalidNode nor ErrShapeMismatch", c.name, err)
		}
	}
}

// TestSigONNXNodeCases runs the official node tests of the signal ops.
// The window cases' expected values are about 7e-5 off the exact window
// (they were made in float32 with a coarse pi), hence the tolerance.
func TestSigONNXNodeCases(t *testing.T) {
	onnxRunPrefixes(t, 1e-4, 1e-4, "test_dft", "test_stft", "test_melweightmatrix")
	onnxRunPrefixes(t, 0, 1e-4, "test_hannwindow", "test_hammingwindow", "test_blackmanwindow")
}
