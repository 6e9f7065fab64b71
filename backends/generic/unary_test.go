package generic

import (
	"errors"
	"math"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// elemUnaryInputs are the values each unary op is tested on: signs,
// halves for rounding, large magnitudes, zeros, NaN and infinities. All
// but 0.3 are exact in float16.
var elemUnaryInputs = []float64{
	-10, -3.5, -2.5, -1.5, -1, -0.75, -0.5, -0.25, math.Copysign(0, -1), 0, 0.25, 0.3, 0.5, 0.75,
	1, 1.5, 2, 2.5, 3.5, 10, 30, -30, math.NaN(), math.Inf(1), math.Inf(-1),
}

// elemUnaryRefs are reference definitions, written from Operators.md's
// formulas with the math package (not the kernels' code).
var elemUnaryRefs = []struct {
	op    string
	opset int64
	attrs []*ir.Attribute
	f     func(x float64) float64
}{
	{"Abs", 13, nil, math.Abs},
	{"Neg", 13, nil, func(x float64) float64 { return -x }},
	{"Sqrt", 13, nil, math.Sqrt},
	{"Exp", 13, nil, math.Exp},
	{"Log", 13, nil, math.Log},
	{"Reciprocal", 13, nil, func(x float64) float64 { return 1 / x }},
	{"Floor", 13, nil, math.Floor},
	{"Ceil", 13, nil, math.Ceil},
	{"Round", 22, nil, math.RoundToEven},
	{"Erf", 13, nil, math.Erf},
	{"Sign", 13, nil, func(x float64) float64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return x
	}},
	{"Sin", 22, nil, math.Sin},
	{"Cos", 22, nil, math.Cos},
	{"Tan", 22, nil, math.Tan},
	{"Asin", 22, nil, math.Asin},
	{"Acos", 22, nil, math.Acos},
	{"Atan", 22, nil, math.Atan},
	{"Sinh", 22, nil, math.Sinh},
	{"Cosh", 22, nil, math.Cosh},
	{"Asinh", 22, nil, math.Asinh},
	{"Acosh", 22, nil, math.Acosh},
	{"Atanh", 22, nil, math.Atanh},
	{"Tanh", 13, nil, math.Tanh},
	{"Relu", 14, nil, func(x float64) float64 {
		if x < 0 {
			return 0
		}
		return x
	}},
	{"LeakyRelu", 16, nil, func(x float64) float64 {
		if x < 0 {
			return float64(float32(0.01)) * x
		}
		return x
	}},
	{"LeakyRelu", 16, []*ir.Attribute{attrFloat("alpha", 0.5)}, func(x float64) float64 {
		if x < 0 {
			return 0.5 * x
		}
		return x
	}},
	{"Elu", 22, nil, func(x float64) float64 {
		if x < 0 {
			return math.Exp(x) - 1
		}
		return x
	}},
	{"Elu", 6, []*ir.Attribute{attrFloat("alpha", 2)}, func(x float64) float64 {
		if x < 0 {
			return 2 * (math.Exp(x) - 1)
		}
		return x
	}},
	{"Selu", 22, nil, func(x float64) float64 {
		a, g := float64(float32(1.67326319217681884765625)), float64(float32(1.05070102214813232421875))
		if x > 0 {
			return g * x
		}
		return g * (a*math.Exp(x) - a)
	}},
	{"Selu", 6, []*ir.Attribute{attrFloat("alpha", 2), attrFloat("gamma", 3)}, func(x float64) float64 {
		if x > 0 {
			return 3 * x
		}
		return 3 * (2*math.Exp(x) - 2)
	}},
	{"Celu", 12, nil, func(x float64) float64 { return math.Max(0, x) + math.Min(0, math.Exp(x)-1) }},
	{"Celu", 12, []*ir.Attribute{attrFloat("alpha", 2)}, func(x float64) float64 {
		return math.Max(0, x) + math.Min(0, 2*(math.Exp(x/2)-1))
	}},
	{"Sigmoid", 13, nil, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
	{"HardSigmoid", 22, nil, func(x float64) float64 {
		return math.Max(0, math.Min(1, float64(float32(0.2))*x+0.5))
	}},
	{"HardSigmoid", 6, []*ir.Attribute{attrFloat("alpha", 0.5), attrFloat("beta", 0.25)}, func(x float64) float64 {
		return math.Max(0, math.Min(1, 0.5*x+0.25))
	}},
	{"HardSwish", 14, nil, func(x float64) float64 { return x * math.Max(0, math.Min(1, x/6+0.5)) }},
	{"Softplus", 22, nil, func(x float64) float64 { return math.Log(1 + math.Exp(x)) }},
	{"Softsign", 22, nil, func(x float64) float64 { return x / (1 + math.Abs(x)) }},
	{"Mish", 18, nil, func(x float64) float64 { return x * math.Tanh(math.Log(1+math.Exp(x))) }},
	{"Gelu", 20, nil, func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt(2))) }},
	{"Gelu", 20, []*ir.Attribute{attrStr("approximate", "tanh")}, func(x float64) float64 {
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*math.Pow(x, 3))))
	}},
	{"ThresholdedRelu", 22, nil, func(x float64) float64 {
		if x > 1 {
			return x
		}
		return 0
	}},
	{"ThresholdedRelu", 10, []*ir.Attribute{attrFloat("alpha", -1)}, func(x float64) float64 {
		if x > -1 {
			return x
		}
		return 0
	}},
}

// elemClose reports whether got is within tol of want, relative for
// |want| > 1 and absolute below; NaN matches NaN, infinities match exactly.
func elemClose(got, want, tol float64) bool {
	if math.IsNaN(want) || math.IsNaN(got) {
		return math.IsNaN(want) && math.IsNaN(got)
	}
	if got == want {
		return true
	}
	if math.IsInf(want, 0) || math.IsInf(got, 0) {
		return false
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// TestElemUnaryFloat runs every unary float op on float32, float64,
// float16 and bfloat16 against its reference.
func TestElemUnaryFloat(t *testing.T) {
	n := len(elemUnaryInputs)
	f64 := append([]float64{}, elemUnaryInputs...)
	f32 := make([]float32, n)
	h16 := make([]tensor.F16, n)
	b16 := make([]tensor.BF16, n)
	for i, v := range f64 {
		f32[i] = float32(v)
		h16[i] = tensor.NewF16(float32(v))
		b16[i] = tensor.NewBF16(float32(v))
	}
	for _, c := range elemUnaryRefs {
		for _, in := range []struct {
			x   *tensor.Tensor
			tol float64
			// ref rounds an input and a result to the type.
			round func(float64) float64
		}{
			{elemT(f64, n), 1e-14, func(v float64) float64 { return v }},
			{elemT(f32, n), 2e-7, func(v float64) float64 { return float64(float32(v)) }},
			{elemT(h16, n), 1e-3, func(v float64) float64 { return float64(tensor.NewF16(float32(v)).Float32()) }},
			{elemT(b16, n), 8e-3, func(v float64) float64 { return float64(tensor.NewBF16(float32(v)).Float32()) }},
		} {
			got := elemMustEval(t, c.op, c.opset, c.attrs, in.x)
			if got.DType() != in.x.DType() || !tensor.SameShape(got.Shape(), []int{n}) {
				t.Fatalf("%s %v: got %v", c.op, in.x.DType(), got)
			}
			g, _ := got.Float64s()
			for i, x := range f64 {
				x = in.round(x)
				want := in.round(c.f(x))
				if !elemClose(g[i], want, in.tol) {
					t.Errorf("%s%v %v(%v) = %v, want %v", c.op, c.attrs, in.x.DType(), x, g[i], want)
				}
			}
		}
	}
}

// TestElemUnaryShapes checks scalars, empty tensors, and lengths around
// the half-precision chunk size.
func TestElemUnaryShapes(t *testing.T) {
	got := elemMustEval(t, "Exp", 13, nil, tensor.Scalar(float32(1)))
	if got.Rank() != 0 || tensor.Data[float32](got)[0] != float32(math.E) {
		t.Errorf("Exp(scalar 1) = %v", got)
	}
	got = elemMustEval(t, "Relu", 14, nil, elemT([]float64{}, 0, 3))
	if !tensor.SameShape(got.Shape(), []int{0, 3}) {
		t.Errorf("Relu of [0,3]: %v", got.Shape())
	}
	for _, n := range []int{1, 255, 256, 257, 600} {
		x := make([]tensor.F16, n)
		for i := range x {
			x[i] = tensor.NewF16(float32(i%7) - 3)
		}
		got := elemMustEval(t, "Neg", 13, nil, elemT(x, n))
		for i, v := range tensor.Data[tensor.F16](got) {
			if v.Float32() != -x[i].Float32() {
				t.Fatalf("Neg f16 n=%d: [%d] = %v, want %v", n, i, v.Float32(), -x[i].Float32())
			}
		}
	}
}

// TestElemUnaryInt checks the integer forms of Abs, Neg, Sign, Relu, Erf
// and BitwiseNot.
func TestElemUnaryInt(t *testing.T) {
	x8 := []int8{-128, -7, -1, 0, 1, 7, 127}
	check := func(op string, opset int64, x, want *tensor.Tensor) {
		t.Helper()
		got := elemMustEval(t, op, opset, nil, x)
		elemCheck(t, op+" "+x.DType().String(), got, want, 0)
	}
	check("Abs", 13, elemT(x8, 7), elemT([]int8{-128, 7, 1, 0, 1, 7, 127}, 7)) // |-128| wraps
	check("Neg", 13, elemT(x8, 7), elemT([]int8{-128, 7, 1, 0, -1, -7, -127}, 7))
	check("Sign", 13, elemT(x8, 7), elemT([]int8{-1, -1, -1, 0, 1, 1, 1}, 7))
	check("Relu", 14, elemT(x8, 7), elemT([]int8{0, 0, 0, 0, 1, 7, 127}, 7))
	check("BitwiseNot", 18, elemT(x8, 7), elemT([]int8{127, 6, 0, -1, -2, -8, -128}, 7))
	check("Abs", 13, elemT([]int64{math.MinInt64 + 1, -5, 5}, 3), elemT([]int64{math.MaxInt64, 5, 5}, 3))
	check("Relu", 14, elemT([]int32{-5, 0, 5}, 3), elemT([]int32{0, 0, 5}, 3))
	check("Sign", 13, elemT([]uint16{0, 1, 65535}, 3), elemT([]uint16{0, 1, 1}, 3))
	check("Abs", 13, elemT([]uint8{0, 200}, 2), elemT([]uint8{0, 200}, 2))
	check("BitwiseNot", 18, elemT([]uint8{0, 0x0f, 0xff}, 3), elemT([]uint8{0xff, 0xf0, 0}, 3))
	check("BitwiseNot", 18, elemT([]uint64{0}, 1), elemT([]uint64{math.MaxUint64}, 1))
	check("Erf", 13, elemT([]int32{-3, 0, 2}, 3), elemT([]int32{0, 0, 0}, 3))
	check("Not", 1, elemT([]bool{true, false}, 2), elemT([]bool{false, true}, 2))
}

// TestElemIsNaNInf checks IsNaN and IsInf with each detection setting.
func TestElemIsNaNInf(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	x := []float64{1, -inf, inf, nan, 0}
	for _, c := range []struct {
		op    string
		attrs []*ir.Attribute
		want  []bool
	}{
		{"IsNaN", nil, []bool{false, false, false, true, false}},
		{"IsInf", nil, []bool{false, true, true, false, false}},
		{"IsInf", []*ir.Attribute{attrInt("detect_negative", 0)}, []bool{false, false, true, false, false}},
		{"IsInf", []*ir.Attribute{attrInt("detect_positive", 0)}, []bool{false, true, false, false, false}},
		{"IsInf", []*ir.Attribute{attrInt("detect_positive", 0), attrInt("detect_negative", 0)}, []bool{false, false, false, false, false}},
	} {
		xs := []*tensor.Tensor{elemT(x, 5)}
		x32, h, b := make([]float32, 5), make([]tensor.F16, 5), make([]tensor.BF16, 5)
		for i, v := range x {
			x32[i], h[i], b[i] = float32(v), tensor.NewF16(float32(v)), tensor.NewBF16(float32(v))
		}
		xs = append(xs, elemT(x32, 5), elemT(h, 5), elemT(b, 5))
		for _, in := range xs {
			got := elemMustEval(t, c.op, 20, c.attrs, in)
			elemCheck(t, c.op+" "+in.DType().String(), got, elemT(c.want, 5), 0)
		}
	}
}

// TestElemRoundHalfEven checks Round's ties.
func TestElemRoundHalfEven(t *testing.T) {
	x := []float32{0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -4.5, 0.9}
	want := []float32{0, 2, 2, float32(math.Copysign(0, -1)), -2, -2, 2, 3, -4, 1}
	got := tensor.Data[float32](elemMustEval(t, "Round", 11, nil, elemT(x, len(x))))
	for i := range x {
		if got[i] != want[i] || math.Signbit(float64(got[i])) != math.Signbit(float64(want[i])) {
			t.Errorf("Round(%v) = %v, want %v", x[i], got[i], want[i])
		}
	}
}

// TestElemClip checks Clip's attribute and input forms.
func TestElemClip(t *testing.T) {
	nan := float32(math.NaN())
	x := []float32{-5, -1, 0, 0.5, 1, 5, nan}
	f := func(v float32) *tensor.Tensor { return tensor.Scalar(v) }
	for _, c := range []struct {
		name   string
		opset  int64
		attrs  []*ir.Attribute
		lo, hi *tensor.Tensor
		want   []float32
	}{
		{"6 default", 6, nil, nil, nil, x},
		{"6 attrs", 6, []*ir.Attribute{attrFloat("min", -1), attrFloat("max", 1)}, nil, nil, []float32{-1, -1, 0, 0.5, 1, 1, nan}},
		{"13 none", 13, nil, nil, nil, x},
		{"13 both", 13, nil, f(-1), f(1), []float32{-1, -1, 0, 0.5, 1, 1, nan}},
		{"13 min", 13, nil, f(0), nil, []float32{0, 0, 0, 0.5, 1, 5, nan}},
		{"13 max", 13, nil, nil, f(0), []float32{-5, -1, 0, 0, 0, 0, nan}},
		{"13 min>max", 13, nil, f(2), f(1), []float32{1, 1, 1, 1, 1, 1, nan}},
		{"11 one-element", 11, nil, elemT([]float32{-1}, 1), nil, []float32{-1, -1, 0, 0.5, 1, 5, nan}},
	} {
		in := []*tensor.Tensor{elemT(x, len(x))}
		if c.opset >= 11 {
			in = append(in, c.lo, c.hi)
		}
		got := elemMustEval(t, "Clip", c.opset, c.attrs, in...)
		elemCheck(t, "Clip "+c.name, got, elemT(c.want, len(c.want)), 0)
		// The same through float16 (all values are exact in it).
		h := make([]tensor.F16, len(x))
		for i, v := range x {
			h[i] = tensor.NewF16(v)
		}
		hin := []*tensor.Tensor{elemT(h, len(h))}
		if c.opset >= 11 {
			for _, b := range in[1:] {
				if b == nil {
					hin = append(hin, nil)
				} else {
					hin = append(hin, elemT([]tensor.F16{tensor.NewF16(tensor.Data[float32](b)[0])}, b.Shape()...))
				}
			}
		}
		hw := make([]tensor.F16, len(c.want))
		for i, v := range c.want {
			hw[i] = tensor.NewF16(v)
		}
		elemCheck(t, "Clip f16 "+c.name, elemMustEval(t, "Clip", c.opset, c.attrs, hin...), elemT(hw, len(hw)), 0)
	}
	got := elemMustEval(t, "Clip", 13, nil, elemT([]int8{-128, -3, 0, 3, 127}, 5), tensor.Scalar(int8(-2)), tensor.Scalar(int8(2)))
	elemCheck(t, "Clip int8", got, elemT([]int8{-2, -2, 0, 2, 2}, 5), 0)
	got = elemMustEval(t, "Clip", 13, nil, elemT([]uint64{0, 5, math.MaxUint64}, 3), nil, tensor.Scalar(uint64(4)))
	elemCheck(t, "Clip uint64", got, elemT([]uint64{0, 4, 4}, 3), 0)
	got = elemMustEval(t, "Clip", 12, nil, elemT([]int64{math.MinInt64, 0, math.MaxInt64}, 3))
	elemCheck(t, "Clip int64 unbounded", got, elemT([]int64{math.MinInt64, 0, math.MaxInt64}, 3), 0)
	// A bound with several elements is an error, not a panic.
	if _, err := elemEval("Clip", 13, nil, elemT(x, len(x)), elemT([]float32{0, 1}, 2)); !errors.Is(err, ops.ErrInvalidNode) {
		t.Errorf("Clip with a 2-element min: %v", err)
	}
}

// TestElemReluBits checks the branch-free float Relus bit for bit against
// the definition (x < 0 gives +0; -0 and NaN of either sign stay) on the
// edges of the float encodings.
func TestElemReluBits(t *testing.T) {
	var b32 []uint32
	for _, b := range []uint32{0, 1, 0x007FFFFF, 0x00800000, 0x3F800000, 0x7F7FFFFF, 0x7F800000, 0x7F800001, 0x7FC00000, 0x7FFFFFFF} {
		b32 = append(b32, b, b|0x80000000)
	}
	for _, b := range b32 {
		x := math.Float32frombits(b)
		want := x
		if x < 0 {
			want = 0
		}
		var got [1]float32
		elemReluF32(got[:], []float32{x})
		if math.Float32bits(got[0]) != math.Float32bits(want) {
			t.Errorf("float32 %#x: got %#x, want %#x", b, math.Float32bits(got[0]), math.Float32bits(want))
		}
		x64 := float64(x)
		if x != x {
			x64 = math.Float64frombits(uint64(b&0x80000000)<<32 | 0x7FF0000000000000 | uint64(b&0x7FFFFF)<<29 | 1)
		}
		for _, v := range []float64{x64, math.Nextafter(x64, math.Inf(1)), math.Nextafter(x64, math.Inf(-1))} {
			want := v
			if v < 0 {
				want = 0
			}
			var got [1]float64
			elemReluF64(got[:], []float64{v})
			if math.Float64bits(got[0]) != math.Float64bits(want) {
				t.Errorf("float64 %#x: got %#x, want %#x", math.Float64bits(v), math.Float64bits(got[0]), math.Float64bits(want))
			}
		}
	}
}
