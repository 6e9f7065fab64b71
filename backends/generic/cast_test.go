package generic

import (
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// elemCastTo casts x with Cast-to (opset 21) or fails the test.
func elemCastTo(t *testing.T, x *tensor.Tensor, to tensor.DType) *tensor.Tensor {
	t.Helper()
	return elemMustEval(t, "Cast", 21, []*ir.Attribute{attrInt("to", int64(to))}, x)
}

// elemCastTypes are every type Cast handles.
var elemCastTypes = []tensor.DType{
	tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16,
	tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64,
	tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64, tensor.Bool, tensor.String,
}

// elemTensorOf builds a tensor of dtype dt holding small integer values,
// through strconv for strings and nonzero-ness for bools.
func elemTensorOf(dt tensor.DType, vals []int) *tensor.Tensor {
	n := len(vals)
	switch dt {
	case tensor.Float32:
		return elemT(elemConv[float32](vals), n)
	case tensor.Float64:
		return elemT(elemConv[float64](vals), n)
	case tensor.Int8:
		return elemT(elemConv[int8](vals), n)
	case tensor.Int16:
		return elemT(elemConv[int16](vals), n)
	case tensor.Int32:
		return elemT(elemConv[int32](vals), n)
	case tensor.Int64:
		return elemT(elemConv[int64](vals), n)
	case tensor.Uint8:
		return elemT(elemConv[uint8](vals), n)
	case tensor.Uint16:
		return elemT(elemConv[uint16](vals), n)
	case tensor.Uint32:
		return elemT(elemConv[uint32](vals), n)
	case tensor.Uint64:
		return elemT(elemConv[uint64](vals), n)
	case tensor.Float16:
		s := make([]tensor.F16, n)
		for i, v := range vals {
			s[i] = tensor.NewF16(float32(v))
		}
		return elemT(s, n)
	case tensor.BFloat16:
		s := make([]tensor.BF16, n)
		for i, v := range vals {
			s[i] = tensor.NewBF16(float32(v))
		}
		return elemT(s, n)
	case tensor.Bool:
		s := make([]bool, n)
		for i, v := range vals {
			s[i] = v != 0
		}
		return elemT(s, n)
	case tensor.String:
		s := make([]string, n)
		for i, v := range vals {
			s[i] = strconv.Itoa(v)
		}
		return elemT(s, n)
	}
	panic(dt)
}

func elemConv[T tensor.Numeric](vals []int) []T {
	s := make([]T, len(vals))
	for i, v := range vals {
		s[i] = T(v)
	}
	return s
}

// TestElemCastMatrix casts values every type holds exactly from each
// type to each other and checks them.
func TestElemCastMatrix(t *testing.T) {
	vals := []int{0, 1, 2, 7, 100, 127}
	for _, from := range elemCastTypes {
		src := vals
		if from == tensor.Bool {
			src = []int{0, 1, 1, 0, 1, 1}
		}
		x := elemTensorOf(from, src)
		for _, to := range elemCastTypes {
			want := src
			if to == tensor.Bool {
				want = make([]int, len(src))
				for i, v := range src {
					if v != 0 {
						want[i] = 1
					}
				}
			}
			w := elemTensorOf(to, want)
			if to == tensor.String && from == tensor.Bool {
				w = elemT([]string{"False", "True", "True", "False", "True", "True"}, 6)
			}
			got := elemCastTo(t, x, to)
			elemCheck(t, "Cast "+from.String()+" to "+to.String(), got, w, 0)
		}
	}
}

// TestElemCastCorners checks the conversions with rounding, truncation,
// wrapping and special values.
func TestElemCastCorners(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	// float -> int truncates toward zero; NaN gives 0 (our choice).
	gi := tensor.Data[int32](elemCastTo(t, elemT([]float32{2.7, -2.7, 0.5, -0.5, float32(nan), 1e6}, 6), tensor.Int32))
	if w := []int32{2, -2, 0, 0, 0, 1000000}; !elemEqual(gi, w) {
		t.Errorf("float32 -> int32 = %v, want %v", gi, w)
	}
	// Out of range float -> int saturates (our choice).
	g8 := tensor.Data[int8](elemCastTo(t, elemT([]float64{300.5, -129, 127.9, -128.9}, 4), tensor.Int8))
	if !elemEqual(g8, []int8{127, -128, 127, -128}) {
		t.Errorf("float64 -> int8 = %v, want [127 -128 127 -128]", g8)
	}
	gu8 := tensor.Data[uint8](elemCastTo(t, elemT([]float32{-1, 255.9, -0.9}, 3), tensor.Uint8))
	if gu8[0] != 0 || gu8[1] != 255 || gu8[2] != 0 {
		t.Errorf("float32 -> uint8 = %v", gu8)
	}
	gu64 := tensor.Data[uint64](elemCastTo(t, elemT([]float64{1e19, 1 << 64, 3.9, -5}, 4), tensor.Uint64))
	if gu64[0] != 10000000000000000000 || gu64[1] != math.MaxUint64 || gu64[2] != 3 || gu64[3] != 0 {
		t.Errorf("float64 -> uint64 = %v", gu64)
	}
	gi64 := tensor.Data[int64](elemCastTo(t, elemT([]float64{1e300, -1e300, 1 << 63, -1 << 63, math.Inf(-1)}, 5), tensor.Int64))
	if !elemEqual(gi64, []int64{math.MaxInt64, math.MinInt64, math.MaxInt64, math.MinInt64, math.MinInt64}) {
		t.Errorf("float64 -> int64 beyond range = %v", gi64)
	}
	// int -> narrower int keeps the low bits (spec: 200 int16 -> -56 int8).
	g := tensor.Data[int8](elemCastTo(t, elemT([]int16{200, -129, 256}, 3), tensor.Int8))
	if g[0] != -56 || g[1] != 127 || g[2] != 0 {
		t.Errorf("int16 -> int8 = %v", g)
	}
	gu := tensor.Data[uint32](elemCastTo(t, elemT([]int64{-1}, 1), tensor.Uint32))
	if gu[0] != math.MaxUint32 {
		t.Errorf("int64 -1 -> uint32 = %v", gu)
	}
	// to bool: ±0 false, NaN true.
	gb := tensor.Data[bool](elemCastTo(t, elemT([]float32{0, float32(math.Copysign(0, -1)), float32(nan), 0.1, float32(-inf)}, 5), tensor.Bool))
	if gb[0] || gb[1] || !gb[2] || !gb[3] || !gb[4] {
		t.Errorf("float -> bool = %v", gb)
	}
	// float64 -> float32: ±Inf out of range, round to nearest even.
	gf := tensor.Data[float32](elemCastTo(t, elemT([]float64{1e39, -1e39, 1 + 1.0/(1<<24), 1 + 3.0/(1<<24), 1e-50}, 5), tensor.Float32))
	if !math.IsInf(float64(gf[0]), 1) || !math.IsInf(float64(gf[1]), -1) || gf[2] != 1 || gf[3] != 1+2.0/(1<<23) || gf[4] != 0 {
		t.Errorf("float64 -> float32 = %v", gf)
	}
	// int64 -> float32 rounds to nearest even.
	gf = tensor.Data[float32](elemCastTo(t, elemT([]int64{1<<24 + 1, 1<<24 + 3, math.MaxInt64}, 3), tensor.Float32))
	if gf[0] != 1<<24 || gf[1] != 1<<24+4 || gf[2] != 1<<63 {
		t.Errorf("int64 -> float32 = %v", gf)
	}
	// float -> float16, bits checked by hand: ties to even, overflow,
	// subnormals and underflow.
	in := []float32{1, 1 + 1.0/(1<<11), 1 + 3.0/(1<<11), 65504, 65519, 65520, -2, 1.0 / (1 << 24), 1.0 / (1 << 25), 3.0 / (1 << 25), 1e-8, float32(nan)}
	want := []uint16{0x3c00, 0x3c00, 0x3c02, 0x7bff, 0x7bff, 0x7c00, 0xc000, 0x0001, 0x0000, 0x0002, 0x0000}
	gh := tensor.Data[tensor.F16](elemCastTo(t, elemT(in, len(in)), tensor.Float16))
	for i, w := range want {
		if uint16(gh[i]) != w {
			t.Errorf("float32 %g -> float16 = %#04x, want %#04x", in[i], uint16(gh[i]), w)
		}
	}
	if v := gh[len(in)-1].Float32(); v == v {
		t.Errorf("NaN -> float16 = %v", v)
	}
	// The same through float64.
	in64 := make([]float64, len(in))
	for i, v := range in {
		in64[i] = float64(v)
	}
	gh = tensor.Data[tensor.F16](elemCastTo(t, elemT(in64, len(in64)), tensor.Float16))
	for i, w := range want {
		if uint16(gh[i]) != w {
			t.Errorf("float64 %g -> float16 = %#04x, want %#04x", in64[i], uint16(gh[i]), w)
		}
	}
	// float -> bfloat16 ties to even.
	gbf := tensor.Data[tensor.BF16](elemCastTo(t, elemT([]float32{1, 1 + 1.0/(1<<8), 1 + 3.0/(1<<8), -3}, 4), tensor.BFloat16))
	if gbf[0] != 0x3f80 || gbf[1] != 0x3f80 || gbf[2] != 0x3f82 || gbf[3] != 0xc040 {
		t.Errorf("float32 -> bfloat16 = %#04x", gbf)
	}
	// float16 -> int truncates; float16 -> bfloat16 goes through float32.
	h := []tensor.F16{tensor.NewF16(-2.5), tensor.NewF16(65504), tensor.NewF16(float32(inf))}
	gh16 := tensor.Data[int32](elemCastTo(t, elemT(h, 3), tensor.Int32))
	if gh16[0] != -2 || gh16[1] != 65504 || gh16[2] != math.MaxInt32 {
		t.Errorf("float16 -> int32 = %v", gh16)
	}
	gbh := tensor.Data[tensor.BF16](elemCastTo(t, elemT(h, 3), tensor.BFloat16))
	if gbh[0].Float32() != -2.5 || gbh[1].Float32() != 65536 || !math.IsInf(float64(gbh[2].Float32()), 1) {
		t.Errorf("float16 -> bfloat16 = %v %v %v", gbh[0].Float32(), gbh[1].Float32(), gbh[2].Float32())
	}
	// Long inputs cross the chunk size.
	long := make([]tensor.BF16, 600)
	for i := range long {
		long[i] = tensor.NewBF16(float32(i % 100))
	}
	gl := tensor.Data[int16](elemCastTo(t, elemT(long, 600), tensor.Int16))
	for i, v := range gl {
		if v != int16(i%100) {
			t.Fatalf("bfloat16 -> int16 [%d] = %d", i, v)
		}
	}
	lb := make([]bool, 600)
	for i := range lb {
		lb[i] = i%3 == 0
	}
	glb := tensor.Data[tensor.F16](elemCastTo(t, elemT(lb, 600), tensor.Float16))
	for i, v := range glb {
		if (v.Float32() == 1) != lb[i] || (v.Float32() != 0 && v.Float32() != 1) {
			t.Fatalf("bool -> float16 [%d] = %v", i, v.Float32())
		}
	}
}

func elemEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestElemCastStrings checks parsing and formatting.
func TestElemCastStrings(t *testing.T) {
	s := []string{"3.14", "1e-5", "1E8", "INF", "+INF", "-inf", "NaN", "nan", " 42 ", "-0", "Infinity", "1e400"}
	gf := tensor.Data[float64](elemCastTo(t, elemT(s, len(s)), tensor.Float64))
	want := []float64{3.14, 1e-5, 1e8, math.Inf(1), math.Inf(1), math.Inf(-1), math.NaN(), math.NaN(), 42, 0, math.Inf(1), math.Inf(1)}
	for i := range s {
		if !elemClose(gf[i], want[i], 0) {
			t.Errorf("%q -> float64 = %v, want %v", s[i], gf[i], want[i])
		}
	}
	g32 := tensor.Data[float32](elemCastTo(t, elemT([]string{"0.1", "16777217"}, 2), tensor.Float32))
	if g32[0] != 0.1 || g32[1] != 16777216 {
		t.Errorf("strings -> float32 = %v", g32)
	}
	gh := tensor.Data[tensor.F16](elemCastTo(t, elemT([]string{"0.1", "-INF"}, 2), tensor.Float16))
	if gh[0] != tensor.NewF16(0.1) || !math.IsInf(float64(gh[1].Float32()), -1) {
		t.Errorf("strings -> float16 = %v", gh)
	}
	gi := tensor.Data[int64](elemCastTo(t, elemT([]string{"-9223372036854775808", "100.5", "-7.9", "1e3"}, 4), tensor.Int64))
	if !elemEqual(gi, []int64{math.MinInt64, 100, -7, 1000}) {
		t.Errorf("strings -> int64 = %v", gi)
	}
	gu := tensor.Data[uint64](elemCastTo(t, elemT([]string{"18446744073709551615", "5"}, 2), tensor.Uint64))
	if gu[0] != math.MaxUint64 || gu[1] != 5 {
		t.Errorf("strings -> uint64 = %v", gu)
	}
	gu8 := tensor.Data[uint8](elemCastTo(t, elemT([]string{"255", "300", "-1"}, 3), tensor.Uint8))
	if !elemEqual(gu8, []uint8{255, 44, 255}) {
		t.Errorf("strings -> uint8 = %v", gu8)
	}
	gb := tensor.Data[bool](elemCastTo(t, elemT([]string{"true", "False", "0", "2.5", "TRUE"}, 5), tensor.Bool))
	if !elemEqual(gb, []bool{true, false, false, true, true}) {
		t.Errorf("strings -> bool = %v", gb)
	}
	for _, bad := range []string{"abc", "", "1.2.3", "0x"} {
		for _, to := range []tensor.DType{tensor.Float32, tensor.Int32, tensor.Bool} {
			if _, err := elemEval("Cast", 13, []*ir.Attribute{attrInt("to", int64(to))}, elemT([]string{bad}, 1)); !errors.Is(err, ops.ErrInvalidNode) {
				t.Errorf("%q -> %v: %v, want an error", bad, to, err)
			}
		}
	}

	// Numbers to strings.
	fs := tensor.Data[string](elemCastTo(t, elemT([]float32{0.1, 1e-5, 1e20, -2, 0.5, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 123456.79, 0.039187793}, 10), tensor.String))
	wantS := []string{"0.1", "1e-05", "1e+20", "-2", "0.5", "NaN", "INF", "-INF", "123456.79", "0.039187793"}
	if !elemEqual(fs, wantS) {
		t.Errorf("float32 -> string = %q, want %q", fs, wantS)
	}
	ds := tensor.Data[string](elemCastTo(t, elemT([]float64{0.1, 1.0 / 3, 1e16, 12345678901234}, 4), tensor.String))
	if !elemEqual(ds, []string{"0.1", "0.3333333333333333", "1e+16", "12345678901234"}) {
		t.Errorf("float64 -> string = %q", ds)
	}
	is := tensor.Data[string](elemCastTo(t, elemT([]int64{math.MinInt64, 0, 42}, 3), tensor.String))
	us := tensor.Data[string](elemCastTo(t, elemT([]uint64{math.MaxUint64}, 1), tensor.String))
	hs := tensor.Data[string](elemCastTo(t, elemT([]tensor.F16{tensor.NewF16(1.5)}, 1), tensor.String))
	if !elemEqual(is, []string{"-9223372036854775808", "0", "42"}) || us[0] != "18446744073709551615" || hs[0] != "1.5" {
		t.Errorf("ints -> string = %q %q %q", is, us, hs)
	}
	// Round trip: float32 -> string -> float32 is exact.
	x := []float32{3.4028235e38, 1.1754944e-38, 1e-45, 0.3, -123.456, 7e-5}
	back := tensor.Data[float32](elemCastTo(t, elemCastTo(t, elemT(x, len(x)), tensor.String), tensor.Float32))
	if !elemEqual(back, x) {
		t.Errorf("float32 string round trip: %v -> %v", x, back)
	}
}

// TestElemCastLike checks CastLike, Cast to the same type, and types Cast
// declines.
func TestElemCastLike(t *testing.T) {
	got := elemMustEval(t, "CastLike", 15, nil, elemT([]float32{1.9, -1.9}, 2), tensor.Scalar(int32(0)))
	elemCheck(t, "CastLike int32", got, elemT([]int32{1, -1}, 2), 0)
	got = elemMustEval(t, "CastLike", 19, nil, elemT([]string{"2.5"}, 1), elemT([]float64{}, 0))
	elemCheck(t, "CastLike string", got, elemT([]float64{2.5}, 1), 0)
	x := elemT([]float32{1, 2}, 2)
	same := elemCastTo(t, x, tensor.Float32)
	tensor.Data[float32](same)[0] = 9
	if tensor.Data[float32](x)[0] != 1 {
		t.Errorf("Cast to the same type aliases its input")
	}
	// float8 (17) and int4 (22) are valid targets no kernel stores.
	for _, to := range []int64{17, 22} {
		if _, err := elemEval("Cast", 21, []*ir.Attribute{attrInt("to", to)}, x); !errors.Is(err, ops.ErrUnsupportedOp) {
			t.Errorf("Cast to %d: %v, want ErrUnsupportedOp", to, err)
		}
	}
	// Rank 0 and empty tensors keep their shapes.
	if got := elemCastTo(t, tensor.Scalar(int8(-3)), tensor.Float64); got.Rank() != 0 || tensor.Data[float64](got)[0] != -3 {
		t.Errorf("Cast scalar = %v", got)
	}
	if got := elemCastTo(t, elemT([]string{}, 0, 2), tensor.Int32); !tensor.SameShape(got.Shape(), []int{0, 2}) {
		t.Errorf("Cast empty = %v", got)
	}
}
