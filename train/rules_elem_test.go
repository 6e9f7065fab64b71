package train

import (
	"fmt"
	"testing"

	"github.com/onyxml/onyx/tensor"
)

// TestGradBinaryBroadcast checks Add, Sub, Mul, Div, Pow, Where, Sum, Mean
// and Expand on operands that broadcast in every way, with static and
// symbolic shapes and at opsets before and after ReduceSum took its axes
// as an input.
func TestGradBinaryBroadcast(t *testing.T) {
	shapes := [][2][]int{
		{{2, 3}, {2, 3}},
		{{2, 3}, {3}},
		{{2, 1, 4}, {3, 1}},
		{{4}, {2, 3, 4}},
		{{}, {2, 2}},
		{{1, 3}, {2, 1}},
		{{2, 3, 1}, {1}},
	}
	for _, opset := range []int64{11, 17} {
		for _, sym := range []bool{false, true} {
			for _, op := range []string{"Add", "Sub", "Mul", "Div", "Pow", "Sum", "Mean", "Where"} {
				for _, sh := range shapes {
					name := fmt.Sprintf("%s/opset%d/sym=%v/%vx%v", op, opset, sym, sh[0], sh[1])
					t.Run(name, func(t *testing.T) {
						b := newGrGraph(opset)
						in := b.input
						if sym {
							in = b.symInput
						}
						xa, xb := b.rand(-1, 1, sh[0]...), b.randAway(0.5, sh[1]...)
						if op == "Pow" {
							xa = b.rand(0.5, 2, sh[0]...)
						}
						a, c := in("a", xa), in("b", xb)
						var y string
						if op == "Where" {
							bs, _ := tensor.BroadcastShapes(sh[0], sh[1])
							ct := tensor.Must(tensor.New(tensor.Bool, bs...))
							for i := range tensor.Data[bool](ct) {
								tensor.Data[bool](ct)[i] = b.rng.IntN(2) == 0
							}
							y = b.op("Where", []string{b.init("cond", ct), a, c})
						} else {
							y = b.op(op, []string{a, c})
						}
						grCheck(t, b, b.weightedLoss(t, y), []string{"a", "b"}, 1e-6, 1e-5)
					})
				}
			}
		}
	}
}

// TestGradUnary checks the one-input rules, each at points away from its
// kinks and singularities.
func TestGradUnary(t *testing.T) {
	cases := []struct {
		op     string
		lo, hi float64
		attrs  []any
	}{
		{op: "Neg", lo: -1, hi: 1}, {op: "Identity", lo: -1, hi: 1}, {op: "Exp", lo: -1, hi: 1},
		{op: "Log", lo: 0.5, hi: 2}, {op: "Sqrt", lo: 0.5, hi: 2}, {op: "Reciprocal", lo: 0.5, hi: 2},
		{op: "Abs"}, {op: "Relu"}, {op: "LeakyRelu"}, {op: "LeakyRelu", attrs: []any{0.3}},
		{op: "Sigmoid", lo: -3, hi: 3}, {op: "Tanh", lo: -2, hi: 2}, {op: "Softplus", lo: -3, hi: 3},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.op, tc.attrs), func(t *testing.T) {
			b := newGrGraph(17)
			x := b.randAway(0.05, 3, 4)
			if tc.lo != 0 || tc.hi != 0 {
				x = b.rand(tc.lo, tc.hi, 3, 4)
			}
			var y string
			if len(tc.attrs) > 0 {
				y = b.op(tc.op, []string{b.input("x", x)}, attrFloat("alpha", float32(tc.attrs[0].(float64))))
			} else {
				y = b.op(tc.op, []string{b.input("x", x)})
			}
			grCheck(t, b, b.weightedLoss(t, y), []string{"x"}, 1e-6, 1e-5)
		})
	}
}

// TestGradPowConstantExponent checks x^p for constant p (including 1, 2
// and a non-integer) and an integer-typed exponent.
func TestGradPowConstantExponent(t *testing.T) {
	for _, p := range []*tensor.Tensor{tensor.Scalar(1.0), tensor.Scalar(2.0), tensor.Scalar(-1.5), tensor.Scalar(int64(3))} {
		t.Run(p.String(), func(t *testing.T) {
			b := newGrGraph(15)
			x := b.input("x", b.rand(0.5, 2, 2, 3))
			y := b.op("Pow", []string{x, b.init("p", p)})
			grCheck(t, b, b.weightedLoss(t, y), []string{"x"}, 1e-6, 1e-5)
		})
	}
}

// TestGradCastAndFloat32 checks a float32 graph (looser tolerance) and a
// Cast between float types.
func TestGradCastAndFloat32(t *testing.T) {
	b := newGrGraph(17)
	x := b.input("x", b.rand(-1, 1, 2, 3))
	x32 := b.op("Cast", []string{x}, attrInt("to", int64(tensor.Float32)))
	w := b.init("w", grF32(b.rand(-1, 1, 3)))
	y := b.op("Cast", []string{b.op("Mul", []string{b.op("Tanh", []string{x32}), w})}, attrInt("to", int64(tensor.Float64)))
	b.h = 1e-2 // the graph computes in float32
	grCheckF32(t, b, b.weightedLoss(t, y), []string{"x"})

	b = newGrGraph(17)
	x = b.input("x", grF32(b.rand(-1, 1, 4, 5)))
	w = b.input("w", grF32(b.rand(-1, 1, 5, 2)))
	y = b.op("Sigmoid", []string{b.op("MatMul", []string{x, w})})
	loss := b.op("ReduceMean", []string{b.op("Mul", []string{y, y})}, attrInt("keepdims", 0))
	b.output(loss)
	grCheckF32(t, b, loss, []string{"x", "w"})
}

// grCheckF32 is grCheck for float32 graphs, whose central differences are
// only good to about 1e-3.
func grCheckF32(t *testing.T, b *grGraph, loss string, wrt []string) {
	t.Helper()
	grCheck(t, b, loss, wrt, 2e-3, 2e-2)
}
