package generic

import (
	"math"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// elemCompareCase checks the five comparisons of a and b (shapes as, bs)
// against Go's operators with naive indexing.
func elemCompareCase[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | float32 | float64 | string](t *testing.T, a []T, as []int, b []T, bs []int) {
	t.Helper()
	out, _ := tensor.BroadcastShapes(as, bs)
	for _, c := range []struct {
		op string
		f  func(x, y T) bool
	}{
		{"Equal", func(x, y T) bool { return x == y }},
		{"Less", func(x, y T) bool { return x < y }},
		{"LessOrEqual", func(x, y T) bool { return x <= y }},
		{"Greater", func(x, y T) bool { return x > y }},
		{"GreaterOrEqual", func(x, y T) bool { return x >= y }},
	} {
		if tensor.DTypeOf[T]() == tensor.String && c.op != "Equal" {
			continue
		}
		got := elemMustEval(t, c.op, 19, nil, elemT(a, as...), elemT(b, bs...))
		if got.DType() != tensor.Bool || !tensor.SameShape(got.Shape(), out) {
			t.Fatalf("%s: got %v%v", c.op, got.DType(), got.Shape())
		}
		for o, v := range tensor.Data[bool](got) {
			x, y := a[elemNaiveIndex(o, out, as)], b[elemNaiveIndex(o, out, bs)]
			if w := c.f(x, y); v != w {
				t.Errorf("%s(%v, %v) = %v, want %v", c.op, x, y, v, w)
			}
		}
	}
}

// TestElemCompare checks comparisons on every type, with NaN, and in each
// broadcasting mode.
func TestElemCompare(t *testing.T) {
	nan := math.NaN()
	f := []float64{-1, 0, 1, nan, math.Inf(1), 2, math.Copysign(0, -1), 1}
	g := []float64{1, 0, 1, nan, math.Inf(1), nan, 0, -1}
	elemCompareCase(t, f, []int{8}, g, []int{8})
	elemCompareCase(t, f, []int{2, 4}, g[:4], []int{4})
	elemCompareCase(t, f[:2], []int{2, 1}, g[:4], []int{1, 4})
	elemCompareCase(t, f, []int{8}, g[2:3], []int{})
	elemCompareCase(t, f[2:3], []int{}, g, []int{8})
	f32 := make([]float32, 8)
	g32 := make([]float32, 8)
	for i := range f {
		f32[i], g32[i] = float32(f[i]), float32(g[i])
	}
	elemCompareCase(t, f32, []int{8}, g32, []int{8})
	elemCompareCase(t, []int8{-128, 0, 127}, []int{3, 1}, []int8{0, 127}, []int{2})
	elemCompareCase(t, []int16{-1, 0, 1}, []int{3}, []int16{0}, []int{})
	elemCompareCase(t, []int32{-1, 0, 1}, []int{3}, []int32{1, 0, -1}, []int{3})
	elemCompareCase(t, []int64{math.MinInt64, 0, math.MaxInt64}, []int{3}, []int64{math.MaxInt64}, []int{1})
	elemCompareCase(t, []uint8{0, 255}, []int{2}, []uint8{128}, []int{})
	elemCompareCase(t, []uint16{0, 65535}, []int{2, 1}, []uint16{1, 65535}, []int{1, 2})
	elemCompareCase(t, []uint32{0, math.MaxUint32}, []int{2}, []uint32{math.MaxUint32, 0}, []int{2})
	elemCompareCase(t, []uint64{0, math.MaxUint64}, []int{2}, []uint64{1 << 63}, []int{})
	elemCompareCase(t, []string{"a", "", "abc", "b"}, []int{4}, []string{"a", "abc"}, []int{2, 1})

	// bool Equal, float16 with -0 == +0 and NaN != NaN.
	gb := elemMustEval(t, "Equal", 13, nil, elemT([]bool{true, false, true, false}, 4), elemT([]bool{true, true, false, false}, 4))
	elemCheck(t, "Equal bool", gb, elemT([]bool{true, false, false, true}, 4), 0)
	h := []tensor.F16{tensor.NewF16(0), tensor.NewF16(float32(nan)), tensor.NewF16(1), tensor.NewF16(2)}
	k := []tensor.F16{tensor.NewF16(float32(math.Copysign(0, -1))), tensor.NewF16(float32(nan)), tensor.NewF16(1.5), tensor.NewF16(2)}
	elemCheck(t, "Equal f16", elemMustEval(t, "Equal", 13, nil, elemT(h, 4), elemT(k, 4)), elemT([]bool{true, false, false, true}, 4), 0)
	elemCheck(t, "Less f16", elemMustEval(t, "Less", 13, nil, elemT(h, 4), elemT(k, 4)), elemT([]bool{false, false, true, false}, 4), 0)
	elemCheck(t, "GreaterOrEqual bf16", elemMustEval(t, "GreaterOrEqual", 16, nil,
		elemT([]tensor.BF16{tensor.NewBF16(1), tensor.NewBF16(3)}, 2), tensor.Scalar(tensor.NewBF16(2))),
		elemT([]bool{false, true}, 2), 0)
	// Long half inputs cross the chunk size.
	long := make([]tensor.F16, 600)
	for i := range long {
		long[i] = tensor.NewF16(float32(i % 3))
	}
	gl := tensor.Data[bool](elemMustEval(t, "Greater", 13, nil, elemT(long, 600), tensor.Scalar(tensor.NewF16(1))))
	for i, v := range gl {
		if v != (i%3 == 2) {
			t.Fatalf("Greater f16 [%d] = %v", i, v)
		}
	}
}

// TestElemLogic checks And, Or, Xor (with broadcasting) and Not.
func TestElemLogic(t *testing.T) {
	a := []bool{false, false, true, true}
	b := []bool{false, true, false, true}
	for _, c := range []struct {
		op   string
		want []bool
	}{
		{"And", []bool{false, false, false, true}},
		{"Or", []bool{false, true, true, true}},
		{"Xor", []bool{false, true, true, false}},
	} {
		elemCheck(t, c.op, elemMustEval(t, c.op, 7, nil, elemT(a, 4), elemT(b, 4)), elemT(c.want, 4), 0)
		// [2,1] x [1,2] is the same truth table.
		elemCheck(t, c.op+" broadcast", elemMustEval(t, c.op, 7, nil, elemT([]bool{false, true}, 2, 1), elemT([]bool{false, true}, 1, 2)),
			elemT(c.want, 2, 2), 0)
		// Legacy broadcasting in version 1: a as [2,2] against b[:2].
		got := elemMustEval(t, c.op, 6, []*ir.Attribute{attrInt("broadcast", 1)}, elemT(a, 2, 2), elemT([]bool{false, true}, 2))
		for i, v := range tensor.Data[bool](got) {
			if w := c.want[2*int(elemB2I(a[i]))+i%2]; v != w {
				t.Errorf("%s-1 broadcast [%d] = %v, want %v", c.op, i, v, w)
			}
		}
	}
}

// elemB2I is 1 for true.
func elemB2I(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// TestElemWhere checks Where on several types and broadcasting modes.
func TestElemWhere(t *testing.T) {
	c := []bool{true, false, true}
	// [3,1] condition, [1,4] X, scalar Y.
	x := []float32{1, 2, 3, 4}
	got := tensor.Data[float32](elemMustEval(t, "Where", 16, nil, elemT(c, 3, 1), elemT(x, 1, 4), tensor.Scalar(float32(-1))))
	for i, v := range got {
		w := float32(-1)
		if c[i/4] {
			w = x[i%4]
		}
		if v != w {
			t.Errorf("Where [%d] = %v, want %v", i, v, w)
		}
	}
	// All contiguous, strings.
	gs := tensor.Data[string](elemMustEval(t, "Where", 16, nil, elemT(c, 3), elemT([]string{"a", "b", "c"}, 3), elemT([]string{"x", "y", "z"}, 3)))
	if gs[0] != "a" || gs[1] != "y" || gs[2] != "c" {
		t.Errorf("Where strings = %v", gs)
	}
	// float64, all contiguous: values pass bit for bit (-0, a NaN payload).
	negNaN := math.Float64frombits(0xFFF8000000000123)
	gd := tensor.Data[float64](elemMustEval(t, "Where", 16, nil, elemT(c, 3), elemT([]float64{math.Copysign(0, -1), 2, negNaN}, 3), elemT([]float64{5, 6, 7}, 3)))
	if math.Float64bits(gd[0]) != 1<<63 || gd[1] != 6 || math.Float64bits(gd[2]) != 0xFFF8000000000123 {
		t.Errorf("Where float64 = %v", gd)
	}
	// Scalar condition, int64 and bool data, float16.
	gi := tensor.Data[int64](elemMustEval(t, "Where", 9, nil, tensor.Scalar(false), elemT([]int64{1, 2}, 2), elemT([]int64{7}, 1)))
	if gi[0] != 7 || gi[1] != 7 {
		t.Errorf("Where scalar false = %v", gi)
	}
	gb := tensor.Data[bool](elemMustEval(t, "Where", 16, nil, elemT(c, 3), tensor.Scalar(true), elemT([]bool{false, true, false}, 3)))
	if !gb[0] || !gb[1] || !gb[2] {
		t.Errorf("Where bool = %v", gb)
	}
	h := []tensor.F16{tensor.NewF16(1), tensor.NewF16(2), tensor.NewF16(3)}
	gh := tensor.Data[tensor.F16](elemMustEval(t, "Where", 16, nil, elemT(c, 3), elemT(h, 3), tensor.Scalar(tensor.NewF16(0))))
	if gh[0] != h[0] || gh[1] != tensor.NewF16(0) || gh[2] != h[2] {
		t.Errorf("Where f16 = %v", gh)
	}
	// A long row with the condition broadcast across it.
	long := make([]int32, 2*300)
	for i := range long {
		long[i] = int32(i)
	}
	gl := tensor.Data[int32](elemMustEval(t, "Where", 16, nil, elemT([]bool{true, false}, 2, 1), elemT(long, 2, 300), elemT([]int32{-1}, 1)))
	for i, v := range gl {
		w := int32(-1)
		if i < 300 {
			w = int32(i)
		}
		if v != w {
			t.Fatalf("Where long [%d] = %v, want %v", i, v, w)
		}
	}
}
