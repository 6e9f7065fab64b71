package generic

import (
	"errors"
	"math"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// elemBinaryCase runs op on a and b (of type T, broadcast as shapes as,
// bs) and checks every element against f applied with naive indexing.
func elemBinaryCase[T tensor.Numeric](t *testing.T, op string, opset int64, attrs []*ir.Attribute, a []T, as []int, b []T, bs []int, f func(x, y T) T) {
	t.Helper()
	got := elemMustEval(t, op, opset, attrs, elemT(a, as...), elemT(b, bs...))
	out, _ := tensor.BroadcastShapes(as, bs)
	if !tensor.SameShape(got.Shape(), out) || got.DType() != tensor.DTypeOf[T]() {
		t.Fatalf("%s %v %v: got %v%v", op, as, bs, got.DType(), got.Shape())
	}
	g := tensor.Data[T](got)
	for o := range g {
		w := f(a[elemNaiveIndex(o, out, as)], b[elemNaiveIndex(o, out, bs)])
		if !(g[o] == w || g[o] != g[o] && w != w) {
			t.Fatalf("%s %v: %v %v -> [%d] = %v, want %v", op, tensor.DTypeOf[T](), a, b, o, g[o], w)
		}
	}
}

// elemArithAll checks Add, Sub, Mul, Div, Min, Max for one numeric type
// in every broadcasting mode.
func elemArithAll[T tensor.Numeric](t *testing.T, a, b []T) {
	t.Helper()
	ops := []struct {
		op string
		f  func(x, y T) T
	}{
		{"Add", func(x, y T) T { return x + y }},
		{"Sub", func(x, y T) T { return x - y }},
		{"Mul", func(x, y T) T { return x * y }},
		{"Div", func(x, y T) T { return x / y }},
		{"Min", func(x, y T) T {
			if x < y {
				return x
			}
			return y
		}},
		{"Max", func(x, y T) T {
			if x > y {
				return x
			}
			return y
		}},
	}
	// a has 12 elements (with a zero), b 4 (no zeros in b). For integer
	// Div, a zero divisor is an error (tested elsewhere): a is then only
	// the dividend.
	intDiv := !tensor.DTypeOf[T]().IsFloat()
	ab := make([]T, 12)
	for i := range ab {
		ab[i] = b[i%4]
	}
	for _, o := range ops {
		div := a
		if o.op == "Div" && intDiv {
			div = ab
		}
		elemBinaryCase(t, o.op, 14, nil, a, []int{3, 4}, div, []int{3, 4}, o.f) // same shapes
		elemBinaryCase(t, o.op, 14, nil, a, []int{3, 4}, b, []int{4}, o.f)      // row
		elemBinaryCase(t, o.op, 14, nil, b, []int{4}, div, []int{3, 4}, o.f)
		elemBinaryCase(t, o.op, 14, nil, a[:3], []int{3, 1}, b, []int{1, 4}, o.f) // outer
		elemBinaryCase(t, o.op, 14, nil, a, []int{2, 3, 2}, b[:1], []int{}, o.f)  // scalar
		elemBinaryCase(t, o.op, 14, nil, b[:1], []int{}, div, []int{2, 6}, o.f)
		elemBinaryCase(t, o.op, 14, nil, a[:1], []int{}, b[1:2], []int{}, o.f) // rank 0
	}
}

// TestElemArith checks the arithmetic ops on every numeric type.
func TestElemArith(t *testing.T) {
	elemArithAll(t, []float32{-6, -5.5, -1, 0, 0.25, 1, 2, 3.5, 7, 100, -0.125, 9}, []float32{2, -3, 0.5, 7})
	elemArithAll(t, []float64{-6, -5.5, -1, 0, 0.25, 1, 2, 3.5, 7, 100, -0.125, 9}, []float64{2, -3, 0.5, 7})
	elemArithAll(t, []int8{-128, -7, -1, 0, 1, 7, 127, 3, -3, 8, -8, 5}, []int8{2, -3, 1, -1})
	elemArithAll(t, []int16{-7, -1, 0, 1, 7, 300, -300, 3, -3, 8, -8, 5}, []int16{2, -3, 1, -1})
	elemArithAll(t, []int32{-7, -1, 0, 1, 7, math.MaxInt32, math.MinInt32, 3, -3, 8, -8, 5}, []int32{2, -3, 1, -1})
	elemArithAll(t, []int64{-7, -1, 0, 1, 7, math.MaxInt64, math.MinInt64, 3, -3, 8, -8, 5}, []int64{2, -3, 1, -1})
	elemArithAll(t, []uint8{0, 1, 2, 7, 255, 128, 3, 9, 10, 11, 12, 13}, []uint8{2, 3, 1, 255})
	elemArithAll(t, []uint16{0, 1, 2, 7, 65535, 128, 3, 9, 10, 11, 12, 13}, []uint16{2, 3, 1, 255})
	elemArithAll(t, []uint32{0, 1, 2, 7, math.MaxUint32, 128, 3, 9, 10, 11, 12, 13}, []uint32{2, 3, 1, 255})
	elemArithAll(t, []uint64{0, 1, 2, 7, math.MaxUint64, 128, 3, 9, 10, 11, 12, 13}, []uint64{2, 3, 1, 255})
}

// TestElemIntDivMod checks truncating division and both Mod conventions,
// and that a zero integer divisor is an error.
func TestElemIntDivMod(t *testing.T) {
	a := []int32{-7, 7, -7, 7, 6, -6, 0, math.MinInt32}
	b := []int32{2, -2, -2, 2, 3, 4, 5, -1}
	div := tensor.Data[int32](elemMustEval(t, "Div", 14, nil, elemT(a, 8), elemT(b, 8)))
	wantDiv := []int32{-3, -3, 3, 3, 2, -1, 0, math.MinInt32} // MinInt32 / -1 wraps, as in two's complement
	mod := tensor.Data[int32](elemMustEval(t, "Mod", 13, nil, elemT(a, 8), elemT(b, 8)))
	wantMod := []int32{1, -1, -1, 1, 0, 2, 0, 0} // sign of the divisor
	fmod := tensor.Data[int32](elemMustEval(t, "Mod", 13, []*ir.Attribute{attrInt("fmod", 1)}, elemT(a, 8), elemT(b, 8)))
	wantFmod := []int32{-1, 1, -1, 1, 0, -2, 0, 0} // sign of the dividend
	for i := range a {
		if div[i] != wantDiv[i] || mod[i] != wantMod[i] || fmod[i] != wantFmod[i] {
			t.Errorf("%d, %d: div %d mod %d fmod %d; want %d %d %d", a[i], b[i], div[i], mod[i], fmod[i], wantDiv[i], wantMod[i], wantFmod[i])
		}
	}
	// Unsigned Mod and a broadcast divisor.
	elemBinaryCase(t, "Mod", 13, nil, []uint8{0, 5, 250, 7}, []int{4}, []uint8{3}, []int{1}, func(x, y uint8) uint8 { return x % y })
	elemBinaryCase(t, "Mod", 13, nil, []int64{-5, 5}, []int{2, 1}, []int64{3, -3}, []int{2}, func(x, y int64) int64 {
		r := math.Mod(float64(x), float64(y))
		if r != 0 && (r < 0) != (y < 0) {
			r += float64(y)
		}
		return int64(r)
	})
	for _, op := range []string{"Div", "Mod"} {
		if _, err := elemEval(op, 13, nil, elemT([]int64{1, 2}, 2), elemT([]int64{1, 0}, 2)); !errors.Is(err, ops.ErrInvalidNode) {
			t.Errorf("%s by zero: %v, want an error", op, err)
		}
		if _, err := elemEval(op, 13, nil, elemT([]uint8{1, 2}, 2), tensor.Scalar(uint8(0))); err == nil {
			t.Errorf("%s uint8 by zero: no error", op)
		}
	}
	// Float division by zero is IEEE.
	got := tensor.Data[float32](elemMustEval(t, "Div", 14, nil, elemT([]float32{1, -1, 0}, 3), tensor.Scalar(float32(0))))
	if !math.IsInf(float64(got[0]), 1) || !math.IsInf(float64(got[1]), -1) || got[2] == got[2] {
		t.Errorf("float division by zero: %v", got)
	}
}

// TestElemFmodFloat checks Mod with fmod=1 on floats, with the special
// cases Operators.md lists.
func TestElemFmodFloat(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	a := []float64{5.5, -5.5, 5.5, -4, inf, 3, 3, nan, 3}
	b := []float64{2, 2, -2, 2, 2, 0, inf, 1, nan}
	want := []float64{1.5, -1.5, 1.5, 0, nan, nan, 3, nan, nan}
	fm := []*ir.Attribute{attrInt("fmod", 1)}
	got := tensor.Data[float64](elemMustEval(t, "Mod", 13, fm, elemT(a, len(a)), elemT(b, len(b))))
	for i := range a {
		if !elemClose(got[i], want[i], 0) {
			t.Errorf("fmod(%v, %v) = %v, want %v", a[i], b[i], got[i], want[i])
		}
	}
	h := []tensor.F16{tensor.NewF16(5.5), tensor.NewF16(-5.5)}
	gh := tensor.Data[tensor.F16](elemMustEval(t, "Mod", 13, fm, elemT(h, 2), elemT([]tensor.F16{tensor.NewF16(2)}, 1)))
	if gh[0].Float32() != 1.5 || gh[1].Float32() != -1.5 {
		t.Errorf("fmod f16: %v %v", gh[0].Float32(), gh[1].Float32())
	}
}

// TestElemPow checks Pow over type combinations, fast paths and
// broadcasting.
func TestElemPow(t *testing.T) {
	x := []float32{-2, -0.5, 0, 0.5, 1, 2, 3, 10}
	for _, y := range []float32{0, 1, 2, 0.5, 3, -1, -2.5} {
		got := tensor.Data[float32](elemMustEval(t, "Pow", 15, nil, elemT(x, 8), tensor.Scalar(y)))
		for i, v := range x {
			want := float32(math.Pow(float64(v), float64(y)))
			if !elemClose(float64(got[i]), float64(want), 2e-7) {
				t.Errorf("Pow(%v, %v) = %v, want %v", v, y, got[i], want)
			}
		}
	}
	// float base, integer exponents, broadcast.
	elemBinaryCaseMixed(t, elemT([]float64{1.5, -2, 3}, 3), elemT([]int64{2, 3}, 2, 1), func(i int) float64 {
		return math.Pow([]float64{1.5, -2, 3}[i%3], float64([]int64{2, 3}[i/3]))
	}, []int{2, 3})
	// A one-element exponent of higher rank broadcasts the output up.
	got := elemMustEval(t, "Pow", 15, nil, elemT([]float32{2, 3}, 2), elemT([]float32{2}, 1, 1))
	if !tensor.SameShape(got.Shape(), []int{1, 2}) || tensor.Data[float32](got)[1] != 9 {
		t.Errorf("Pow [2] ^ [1,1] = %v", got)
	}
	// Integer powers are exact; negative exponents truncate.
	xi := []int64{2, -3, 1, -1, 0, 7, 3}
	yi := []int64{10, 3, -5, -3, 0, 0, 39}
	gi := tensor.Data[int64](elemMustEval(t, "Pow", 15, nil, elemT(xi, 7), elemT(yi, 7)))
	wi := []int64{1024, -27, 1, -1, 1, 1, 4052555153018976267}
	for i := range xi {
		if gi[i] != wi[i] {
			t.Errorf("Pow(%d, %d) = %d, want %d", xi[i], yi[i], gi[i], wi[i])
		}
	}
	g32 := tensor.Data[int32](elemMustEval(t, "Pow", 15, nil, elemT([]int32{2, 5, -2}, 3), tensor.Scalar(int32(-1))))
	if g32[0] != 0 || g32[1] != 0 || g32[2] != 0 {
		t.Errorf("int Pow(x, -1) = %v, want 0s", g32)
	}
	// int base, float exponent: truncated toward zero.
	gf := tensor.Data[int32](elemMustEval(t, "Pow", 15, nil, elemT([]int32{2, 3, -8, 4}, 4), elemT([]float32{0.5, 2, 1.0 / 3, 1.5}, 4)))
	if gf[0] != 1 || gf[1] != 9 || gf[2] != 0 || gf[3] != 8 {
		t.Errorf("int Pow float exps = %v, want [1 9 0 8]", gf) // (-8)^(1/3) is NaN -> 0
	}
	// Exponent of another integer type.
	gu := tensor.Data[float32](elemMustEval(t, "Pow", 15, nil, elemT([]float32{2, 3}, 2), elemT([]uint8{3, 2}, 2)))
	if gu[0] != 8 || gu[1] != 9 {
		t.Errorf("Pow float^uint8 = %v", gu)
	}
	// float16 base.
	h := []tensor.F16{tensor.NewF16(1.5), tensor.NewF16(-2)}
	gh := tensor.Data[tensor.F16](elemMustEval(t, "Pow", 15, nil, elemT(h, 2), tensor.Scalar(float32(2))))
	gh2 := tensor.Data[tensor.F16](elemMustEval(t, "Pow", 15, nil, elemT(h, 2), elemT([]float32{2, 3}, 2)))
	if gh[0].Float32() != 2.25 || gh[1].Float32() != 4 || gh2[0].Float32() != 2.25 || gh2[1].Float32() != -8 {
		t.Errorf("Pow f16: %v %v / %v %v", gh[0].Float32(), gh[1].Float32(), gh2[0].Float32(), gh2[1].Float32())
	}
}

// elemBinaryCaseMixed checks Pow(x, y) of any types into float64 output
// elements computed by want(flat index).
func elemBinaryCaseMixed(t *testing.T, x, y *tensor.Tensor, want func(i int) float64, shape []int) {
	t.Helper()
	got := elemMustEval(t, "Pow", 15, nil, x, y)
	if !tensor.SameShape(got.Shape(), shape) {
		t.Fatalf("Pow shape %v, want %v", got.Shape(), shape)
	}
	g, _ := got.Float64s()
	for i := range g {
		if !elemClose(g[i], want(i), 1e-12) {
			t.Errorf("Pow [%d] = %v, want %v", i, g[i], want(i))
		}
	}
}

// TestElemBitOps checks BitShift and the Bitwise ops.
func TestElemBitOps(t *testing.T) {
	x := []uint8{1, 0x81, 0xff, 16}
	s := []uint8{1, 1, 8, 4}
	l := []*ir.Attribute{attrStr("direction", "LEFT")}
	r := []*ir.Attribute{attrStr("direction", "RIGHT")}
	elemCheck(t, "LEFT", elemMustEval(t, "BitShift", 11, l, elemT(x, 4), elemT(s, 4)), elemT([]uint8{2, 2, 0, 0}, 4), 0)
	elemCheck(t, "RIGHT", elemMustEval(t, "BitShift", 11, r, elemT(x, 4), elemT(s, 4)), elemT([]uint8{0, 0x40, 0, 1}, 4), 0)
	elemCheck(t, "LEFT u64", elemMustEval(t, "BitShift", 11, l, elemT([]uint64{1, 3}, 2), tensor.Scalar(uint64(63))),
		elemT([]uint64{1 << 63, 1 << 63}, 2), 0)
	a8, b8 := []int8{-1, 0x0f, -128, 5}, []int8{0x3c, 0x33, -1, 3}
	elemBinaryCase(t, "BitwiseAnd", 18, nil, a8, []int{4}, b8, []int{4}, func(x, y int8) int8 { return x & y })
	elemBinaryCase(t, "BitwiseOr", 18, nil, a8, []int{4}, b8, []int{4}, func(x, y int8) int8 { return x | y })
	elemBinaryCase(t, "BitwiseXor", 18, nil, a8, []int{2, 2}, b8[:2], []int{2}, func(x, y int8) int8 { return x ^ y })
	u := []uint64{math.MaxUint64, 0xf0f0, 0, 1 << 63}
	elemBinaryCase(t, "BitwiseXor", 18, nil, u, []int{4}, u[1:2], []int{}, func(x, y uint64) uint64 { return x ^ y })
}

// TestElemMinMaxNaN: Min and Max propagate NaN from either side.
func TestElemMinMaxNaN(t *testing.T) {
	nan := float32(math.NaN())
	a := []float32{nan, 1, nan, 2, -0.0}
	b := []float32{1, nan, nan, 3, 0}
	for _, op := range []string{"Min", "Max"} {
		got := tensor.Data[float32](elemMustEval(t, op, 13, nil, elemT(a, 5), elemT(b, 5)))
		for i := range 3 {
			if got[i] == got[i] {
				t.Errorf("%s(%v, %v) = %v, want NaN", op, a[i], b[i], got[i])
			}
		}
		want := map[string]float32{"Min": 2, "Max": 3}[op]
		if got[3] != want {
			t.Errorf("%s(2, 3) = %v", op, got[3])
		}
		// Variadic with a NaN in the last input.
		got = tensor.Data[float32](elemMustEval(t, op, 13, nil, elemT([]float32{1, 2}, 2), elemT([]float32{3, 4}, 2), elemT([]float32{0, nan}, 2)))
		if got[1] == got[1] {
			t.Errorf("%s variadic with NaN: %v", op, got)
		}
	}
}

// TestElemVariadic checks Sum, Mean, Min, Max with one to four inputs
// broadcasting together.
func TestElemVariadic(t *testing.T) {
	in := []*tensor.Tensor{
		elemT([]float32{1, 2, 3}, 3, 1),
		elemT([]float32{10, 20, 30, 40}, 4),
		tensor.Scalar(float32(100)),
		elemT([]float32{-1, -2, -3, -4}, 1, 4),
	}
	for k := 1; k <= 4; k++ {
		args := in[:k]
		shapes := make([][]int, k)
		for i, a := range args {
			shapes[i] = a.Shape()
		}
		out, _ := tensor.BroadcastShapes(shapes...)
		for _, op := range []string{"Sum", "Mean", "Min", "Max"} {
			for _, opset := range []int64{8, 13} {
				got := elemMustEval(t, op, opset, nil, args...)
				if !tensor.SameShape(got.Shape(), out) {
					t.Fatalf("%s of %d: shape %v, want %v", op, k, got.Shape(), out)
				}
				g := tensor.Data[float32](got)
				for o := range g {
					var vals []float64
					for i, a := range args {
						vals = append(vals, float64(tensor.Data[float32](a)[elemNaiveIndex(o, out, shapes[i])]))
					}
					var w float64
					switch op {
					case "Sum", "Mean":
						for _, v := range vals {
							w += v
						}
						if op == "Mean" {
							w /= float64(k)
						}
					case "Min":
						w = vals[0]
						for _, v := range vals {
							w = math.Min(w, v)
						}
					case "Max":
						w = vals[0]
						for _, v := range vals {
							w = math.Max(w, v)
						}
					}
					if !elemClose(float64(g[o]), w, 1e-6) {
						t.Errorf("%s-%d of %d inputs: [%d] = %v, want %v", op, opset, k, o, g[o], w)
					}
				}
			}
		}
	}
	// Opset 6 requires equal shapes, integers for Min/Max, halves for all.
	got := elemMustEval(t, "Sum", 6, nil, elemT([]float64{1, 2}, 2), elemT([]float64{3, 4}, 2))
	elemCheck(t, "Sum-6", got, elemT([]float64{4, 6}, 2), 0)
	got = elemMustEval(t, "Max", 13, nil, elemT([]int16{1, -5}, 2), elemT([]int16{-1}, 1), elemT([]int16{0, -9}, 2))
	elemCheck(t, "Max int16", got, elemT([]int16{1, -1}, 2), 0)
	got = elemMustEval(t, "Min", 13, nil, elemT([]uint32{7}, 1))
	elemCheck(t, "Min one input", got, elemT([]uint32{7}, 1), 0)
	h := func(v ...float32) *tensor.Tensor {
		s := make([]tensor.BF16, len(v))
		for i, x := range v {
			s[i] = tensor.NewBF16(x)
		}
		return elemT(s, len(s))
	}
	got = elemMustEval(t, "Mean", 13, nil, h(1, 2), h(3, 4), h(5, 9))
	elemCheck(t, "Mean bf16", got, h(3, 5), 0)
	if _, err := elemEval("Sum", 13, nil, elemT([]float32{1, 2}, 2), elemT([]float32{1, 2, 3}, 3)); !errors.Is(err, ops.ErrShapeMismatch) {
		t.Errorf("Sum [2] [3]: %v", err)
	}
}

// TestElemHalfBinary checks Add and Mul on float16/bfloat16 across the
// chunk size, with each operand repeated.
func TestElemHalfBinary(t *testing.T) {
	for _, n := range []int{1, 255, 256, 257, 600} {
		a := make([]tensor.F16, n)
		b := make([]tensor.BF16, n)
		for i := range a {
			a[i] = tensor.NewF16(float32(i%50) / 4)
			b[i] = tensor.NewBF16(float32(i%50) / 4)
		}
		s16 := tensor.Scalar(tensor.NewF16(1.5))
		for _, c := range []struct {
			x, y *tensor.Tensor
			f    func(i int) float32
		}{
			{elemT(a, n), elemT(a, n), func(i int) float32 { return 2 * a[i].Float32() }},
			{elemT(a, n), s16, func(i int) float32 { return a[i].Float32() + 1.5 }},
			{s16, elemT(a, n), func(i int) float32 { return a[i].Float32() + 1.5 }},
		} {
			got := tensor.Data[tensor.F16](elemMustEval(t, "Add", 14, nil, c.x, c.y))
			for i := range got {
				if w := tensor.NewF16(c.f(i)); got[i] != w {
					t.Fatalf("f16 Add n=%d [%d] = %v, want %v", n, i, got[i].Float32(), w.Float32())
				}
			}
		}
		got := tensor.Data[tensor.BF16](elemMustEval(t, "Mul", 14, nil, elemT(b, n), tensor.Scalar(tensor.NewBF16(-2))))
		for i := range got {
			if w := tensor.NewBF16(-2 * b[i].Float32()); got[i] != w {
				t.Fatalf("bf16 Mul n=%d [%d] = %v, want %v", n, i, got[i].Float32(), w.Float32())
			}
		}
	}
}

// TestElemLegacyBroadcast checks Add-6 style broadcasting with axis.
func TestElemLegacyBroadcast(t *testing.T) {
	a := make([]float32, 24)
	for i := range a {
		a[i] = float32(i)
	}
	b := []float32{100, 200, 300}
	attrs := []*ir.Attribute{attrInt("broadcast", 1), attrInt("axis", 1)}
	got := tensor.Data[float32](elemMustEval(t, "Add", 6, attrs, elemT(a, 2, 3, 4), elemT(b, 3)))
	for i, v := range got {
		if w := a[i] + b[(i/4)%3]; v != w {
			t.Fatalf("Add-6 axis 1: [%d] = %v, want %v", i, v, w)
		}
	}
	got = tensor.Data[float32](elemMustEval(t, "Sub", 6, attrs[:1], elemT(a, 2, 3, 4), elemT(a[:4], 4)))
	for i, v := range got {
		if w := a[i] - a[i%4]; v != w {
			t.Fatalf("Sub-6 suffix: [%d] = %v, want %v", i, v, w)
		}
	}
	gb := tensor.Data[bool](elemMustEval(t, "Greater", 6, attrs, elemT(a, 2, 3, 4), elemT([]float32{5, 10, 15}, 3)))
	for i, v := range gb {
		if w := a[i] > []float32{5, 10, 15}[(i/4)%3]; v != w {
			t.Fatalf("Greater-6: [%d] = %v, want %v", i, v, w)
		}
	}
	gp := tensor.Data[float32](elemMustEval(t, "Pow", 6, attrs[:1], elemT(a[:6], 2, 3), elemT([]float32{1, 2, 0}, 3)))
	for i, v := range gp {
		if w := float32(math.Pow(float64(a[i]), float64([]float32{1, 2, 0}[i%3]))); v != w {
			t.Fatalf("Pow-1: [%d] = %v, want %v", i, v, w)
		}
	}
	// Without broadcast=1, shapes must match.
	if _, err := elemEval("Add", 6, nil, elemT(a, 2, 3, 4), elemT(b, 3)); !errors.Is(err, ops.ErrShapeMismatch) {
		t.Errorf("Add-6 without broadcast: %v", err)
	}
}

// TestElemPRelu checks PRelu with slopes broadcast to X.
func TestElemPRelu(t *testing.T) {
	x := []float32{-2, -1, 0, 1, 2, -3, -4, 5, 6, -7, 8, -9}
	for _, sh := range [][]int{{3, 1}, {4}, {1}, {}, {3, 4}} {
		n, _ := tensor.NumElements(sh)
		s := make([]float32, n)
		for i := range s {
			s[i] = 0.5 * float32(i+1)
		}
		got := tensor.Data[float32](elemMustEval(t, "PRelu", 16, nil, elemT(x, 3, 4), elemT(s, sh...)))
		for i, v := range got {
			w := x[i]
			if w < 0 {
				w *= s[elemNaiveIndex(i, []int{3, 4}, sh)]
			}
			if v != w {
				t.Errorf("PRelu slope %v: [%d] = %v, want %v", sh, i, v, w)
			}
		}
	}
	// Before version 7 a 1-D slope is per channel (X's dim 1).
	x6 := make([]float32, 24)
	for i := range x6 {
		x6[i] = float32(i%5) - 2
	}
	s6 := []float32{0.5, 2, 3}
	got := tensor.Data[float32](elemMustEval(t, "PRelu", 6, nil, elemT(x6, 2, 3, 4), elemT(s6, 3)))
	for i, v := range got {
		w := x6[i]
		if w < 0 {
			w *= s6[(i/4)%3]
		}
		if v != w {
			t.Errorf("PRelu-6 per channel: [%d] = %v, want %v", i, v, w)
		}
	}
	if _, err := elemEval("PRelu", 7, nil, elemT(x6, 2, 3, 4), elemT(s6, 3)); !errors.Is(err, ops.ErrShapeMismatch) {
		t.Errorf("PRelu-7 slope [3] for X [2,3,4]: %v, want ErrShapeMismatch", err)
	}
	gi := tensor.Data[int64](elemMustEval(t, "PRelu", 16, nil, elemT([]int64{-4, 4}, 2), tensor.Scalar(int64(3))))
	if gi[0] != -12 || gi[1] != 4 {
		t.Errorf("PRelu int64: %v", gi)
	}
}
