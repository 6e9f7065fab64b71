package generic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// grEval runs one of the ai.onyx.training ops with the generic kernels.
func grEval(op string, nOut int, inputs []*tensor.Tensor, attrs ...*ir.Attribute) ([]*tensor.Tensor, error) {
	return evalNode(ops.GradDomain, op, 1, nOut, inputs, attrs...)
}

func grMustEval(t *testing.T, op string, nOut int, inputs []*tensor.Tensor, attrs ...*ir.Attribute) []*tensor.Tensor {
	t.Helper()
	out, err := grEval(op, nOut, inputs, attrs...)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return out
}

// grShapeT returns a shape as a 1-D int64 tensor.
func grShapeT(dims ...int) *tensor.Tensor {
	v := make([]int64, len(dims))
	for i, d := range dims {
		v[i] = int64(d)
	}
	return tensor.Must(tensor.FromSlice(v, len(v)))
}

// grDot returns the sum of a[i]*b[i] of two float tensors.
func grDot(a, b *tensor.Tensor) float64 {
	x, y := nnF64s(a), nnF64s(b)
	var s float64
	for i := range x {
		s += x[i] * y[i]
	}
	return s
}

// grRandF64 returns a float64 tensor of normal values.
func grRandF64(r *rand.Rand, shape ...int) *tensor.Tensor {
	return nnAsType(nnRandT(r, shape...), tensor.Float64)
}

// TestGradConvAdjoint checks ConvGradInput and ConvGradWeight against the
// Conv kernel through the adjoint identities of a bilinear map: for random
// X, W and dY, <Conv(X, W), dY> = <X, ConvGradInput(dY, W)> =
// <W, ConvGradWeight(dY, X)>, over random geometries (1-D to 3-D, groups,
// depthwise, strides, dilations, pads, auto_pad).
func TestGradConvAdjoint(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 300 {
		c := nnRandConvCase(r, false)
		c.bias = false
		C, M := c.g*c.cg, c.g*c.mg
		xs := append([]int{c.n, C}, c.in...)
		ws := append([]int{M, c.cg}, c.k...)
		x, w := grRandF64(r, xs...), grRandF64(r, ws...)
		y, err := evalNode("", "Conv", 22, 1, []*tensor.Tensor{x, w}, c.attrs()...)
		if err != nil {
			t.Fatalf("%d %v: Conv: %v", i, c, err)
		}
		dy := grRandF64(r, y[0].Shape()...)
		dx := grMustEval(t, "ConvGradInput", 1, []*tensor.Tensor{dy, w, grShapeT(xs...)}, c.attrs()...)[0]
		dw := grMustEval(t, "ConvGradWeight", 1, []*tensor.Tensor{dy, x, grShapeT(ws...)}, c.attrs()...)[0]
		if !tensor.SameShape(dx.Shape(), xs) || !tensor.SameShape(dw.Shape(), ws) {
			t.Fatalf("%v: dX %v, dW %v", c, dx.Shape(), dw.Shape())
		}
		ref := grDot(y[0], dy)
		for what, got := range map[string]float64{"<X, dX>": grDot(x, dx), "<W, dW>": grDot(w, dw)} {
			if math.Abs(got-ref) > 1e-9*max(1, math.Abs(ref)) {
				t.Fatalf("%v: %s = %v, <Conv(X,W), dY> = %v", c, what, got, ref)
			}
		}
	}
}

// TestGradConvHandComputed checks a tiny case by hand: X 1x1x3, W 1x1x2,
// stride 1, no padding: Y[j] = X[j]W[0] + X[j+1]W[1].
func TestGradConvHandComputed(t *testing.T) {
	x := nnF64T([]int{1, 1, 3}, []float64{1, 2, 3})
	w := nnF64T([]int{1, 1, 2}, []float64{10, 100})
	dy := nnF64T([]int{1, 1, 2}, []float64{1, -1})
	dx := grMustEval(t, "ConvGradInput", 1, []*tensor.Tensor{dy, w, grShapeT(1, 1, 3)})[0]
	nnCheckF64(t, "dX", dx, []int{1, 1, 3}, []float64{10, 100 - 10, -100}, 0, 0)
	dw := grMustEval(t, "ConvGradWeight", 1, []*tensor.Tensor{dy, x, grShapeT(1, 1, 2)})[0]
	nnCheckF64(t, "dW", dw, []int{1, 1, 2}, []float64{1 - 2, 2 - 3}, 0, 0)
}

// TestGradConvTypes checks float32, float16 and bfloat16 against float64.
func TestGradConvTypes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	attrs := []*ir.Attribute{nnAInts("pads", 1, 0, 1, 1), nnAInts("strides", 2, 1), attrInt("group", 2)}
	dy, w, x := nnRandT(r, 2, 4, 3, 3), nnRandT(r, 4, 1, 3, 2), nnRandT(r, 2, 2, 5, 3)
	for _, op := range []string{"ConvGradInput", "ConvGradWeight"} {
		in := func(dt tensor.DType) []*tensor.Tensor {
			if op == "ConvGradInput" {
				return []*tensor.Tensor{nnAsType(dy, dt), nnAsType(w, dt), grShapeT(2, 2, 5, 3)}
			}
			return []*tensor.Tensor{nnAsType(dy, dt), nnAsType(x, dt), grShapeT(4, 1, 3, 2)}
		}
		want := grMustEval(t, op, 1, in(tensor.Float64), attrs...)[0]
		for dt, tol := range map[tensor.DType]float64{tensor.Float32: 1e-5, tensor.Float16: 3e-2, tensor.BFloat16: 2e-1} {
			got := grMustEval(t, op, 1, in(dt), attrs...)[0]
			if got.DType() != dt {
				t.Fatalf("%s %v: output %v", op, dt, got.DType())
			}
			nnCheckF64(t, fmt.Sprint(op, dt), got, want.Shape(), nnF64s(want), tol, tol)
		}
	}
}

// grPoolCase is a random pooling geometry.
type grPoolCase struct {
	x     []int
	attrs []*ir.Attribute
}

func grRandPoolCase(r *rand.Rand, avg bool) grPoolCase {
	rank := 1 + r.IntN(3)
	c := grPoolCase{x: []int{1 + r.IntN(2), 1 + r.IntN(3)}}
	k, s, d, pads := make([]int, rank), make([]int, rank), make([]int, rank), make([]int, 2*rank)
	for i := range rank {
		k[i], s[i], d[i] = 1+r.IntN(3), 1+r.IntN(3), 1+r.IntN(2)
		pads[i], pads[i+rank] = r.IntN(k[i]), r.IntN(k[i])
		c.x = append(c.x, (k[i]-1)*d[i]+1+r.IntN(5))
	}
	c.attrs = []*ir.Attribute{nnAInts("kernel_shape", k...), nnAInts("strides", s...), nnAInts("dilations", d...)}
	switch r.IntN(4) {
	case 0:
		c.attrs = append(c.attrs, attrStr("auto_pad", []string{"SAME_UPPER", "SAME_LOWER", "VALID"}[r.IntN(3)]))
	default:
		c.attrs = append(c.attrs, nnAInts("pads", pads...), attrInt("ceil_mode", int64(r.IntN(2))))
	}
	if avg {
		c.attrs = append(c.attrs, attrInt("count_include_pad", int64(r.IntN(2))))
	}
	return c
}

// TestGradAveragePoolAdjoint checks AveragePoolGrad against AveragePool
// (a linear map): <AveragePool(X), dY> = <X, AveragePoolGrad(dY)>.
func TestGradAveragePoolAdjoint(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ran := 0
	for range 300 {
		c := grRandPoolCase(r, true)
		x := grRandF64(r, c.x...)
		y, err := evalNode("", "AveragePool", 22, 1, []*tensor.Tensor{x}, c.attrs...)
		if err != nil {
			continue // a geometry AveragePool rejects
		}
		ran++
		dy := grRandF64(r, y[0].Shape()...)
		dx := grMustEval(t, "AveragePoolGrad", 1, []*tensor.Tensor{dy, grShapeT(c.x...)}, c.attrs...)[0]
		if ref, got := grDot(y[0], dy), grDot(x, dx); math.Abs(got-ref) > 1e-9*max(1, math.Abs(ref)) {
			t.Fatalf("x %v %v: <X, dX> = %v, <AveragePool(X), dY> = %v", c.x, c.attrs, got, ref)
		}
	}
	if ran < 200 {
		t.Errorf("only %d of 300 geometries ran", ran)
	}
}

// TestGradMaxPoolScatter checks MaxPoolGrad against the scatter of dY
// through MaxPool's own Indices output, on inputs with many ties (the
// first maximum of a window gets the gradient, as Indices reports).
func TestGradMaxPoolScatter(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		c := grRandPoolCase(r, false)
		x := tensor.Must(tensor.New(tensor.Float64, c.x...))
		for i := range tensor.Data[float64](x) {
			tensor.Data[float64](x)[i] = float64(r.IntN(4))
		}
		y, err := evalNode("", "MaxPool", 22, 2, []*tensor.Tensor{x}, c.attrs...)
		if err != nil {
			t.Fatalf("%v %v: MaxPool: %v", c.x, c.attrs, err)
		}
		dy := grRandF64(r, y[0].Shape()...)
		want := make([]float64, x.Len())
		for i, idx := range tensor.Data[int64](y[1]) {
			if idx >= 0 {
				want[idx] += tensor.Data[float64](dy)[i]
			}
		}
		dx := grMustEval(t, "MaxPoolGrad", 1, []*tensor.Tensor{dy, x}, c.attrs...)[0]
		nnCheckF64(t, fmt.Sprint(c.x, c.attrs), dx, c.x, want, 1e-12, 1e-12)
		dx16 := grMustEval(t, "MaxPoolGrad", 1, []*tensor.Tensor{nnAsType(grF32T(dy), tensor.Float16), nnAsType(grF32T(x), tensor.Float16)}, c.attrs...)[0]
		nnCheckF64(t, "float16", dx16, c.x, want, 1e-2, 1e-2)
	}
}

// TestGradMaxPool2x2 checks MaxPoolGrad's float32 path for 2x2 windows
// at stride 2 against the scatter through MaxPool's Indices: ties, NaNs of
// both signs, -0 against +0, infinities, odd sizes (an uncovered last row
// and column), and the pools that only look like it (padding, ceil_mode,
// dilation), which the general loop runs.
func TestGradMaxPool2x2(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	nan := float32(math.NaN())
	special := []float32{0, float32(math.Copysign(0, -1)), nan, -nan, float32(math.Inf(1)), float32(math.Inf(-1)), 1, -1}
	for _, c := range []struct {
		x     []int
		attrs []*ir.Attribute
	}{
		{[]int{2, 3, 6, 8}, nil}, {[]int{1, 2, 7, 9}, nil}, {[]int{3, 1, 3, 5}, nil}, {[]int{1, 1, 2, 2}, nil},
		{[]int{1, 2, 5, 5}, []*ir.Attribute{attrInt("ceil_mode", 1)}},
		{[]int{1, 2, 6, 6}, []*ir.Attribute{attrInts("pads", 1, 1, 1, 1)}},
		{[]int{1, 2, 7, 7}, []*ir.Attribute{attrInts("dilations", 2, 2)}},
		{[]int{1, 2, 6, 6}, []*ir.Attribute{attrStr("auto_pad", "VALID")}},
	} {
		attrs := append([]*ir.Attribute{attrInts("kernel_shape", 2, 2), attrInts("strides", 2, 2)}, c.attrs...)
		for _, mode := range []string{"random", "ties", "special"} {
			x := tensor.Must(tensor.New(tensor.Float32, c.x...))
			for i := range tensor.Data[float32](x) {
				v := float32(r.NormFloat64())
				switch mode {
				case "ties":
					v = float32(r.IntN(3))
				case "special":
					v = special[r.IntN(len(special))]
				}
				tensor.Data[float32](x)[i] = v
			}
			y, err := evalNode("", "MaxPool", 22, 2, []*tensor.Tensor{x}, attrs...)
			if err != nil {
				t.Fatalf("%v %v: MaxPool: %v", c.x, c.attrs, err)
			}
			dy := nnAsType(nnRandT(r, y[0].Shape()...), tensor.Float32)
			want := make([]float64, x.Len())
			for i, idx := range tensor.Data[int64](y[1]) {
				if idx >= 0 {
					want[idx] += float64(tensor.Data[float32](dy)[i])
				}
			}
			dx := grMustEval(t, "MaxPoolGrad", 1, []*tensor.Tensor{dy, x}, attrs...)[0]
			nnCheckF64(t, fmt.Sprint(c.x, c.attrs, mode), dx, c.x, want, 1e-6, 1e-7) // overlapping windows (dilation) sum in float32
			if c.attrs == nil {
				// Into an output of stale values: all overwritten.
				got := tensor.Must(tensor.New(tensor.Float32, c.x...))
				for i := range tensor.Data[float32](got) {
					tensor.Data[float32](got)[i] = nan
				}
				grMaxPoolGrad2x2F32(tensor.Data[float32](x), tensor.Data[float32](dy), tensor.Data[float32](got), c.x[0]*c.x[1], c.x[2], c.x[3])
				nnCheckF64(t, fmt.Sprint(c.x, mode, " over stale values"), got, c.x, want, 0, 0)
			}
		}
	}
}

// grF32T converts a float64 tensor to float32.
func grF32T(x *tensor.Tensor) *tensor.Tensor {
	v := nnF64s(x)
	f := make([]float32, len(v))
	for i, e := range v {
		f[i] = float32(e)
	}
	return tensor.Must(tensor.FromSlice(f, x.Shape()...))
}

// grNumGrad returns the central-difference gradient of sum(f(x) * dy)
// with respect to input i of inputs.
func grNumGrad(t *testing.T, f func(in []*tensor.Tensor) *tensor.Tensor, inputs []*tensor.Tensor, i int, dy *tensor.Tensor) []float64 {
	t.Helper()
	x := inputs[i]
	g := make([]float64, x.Len())
	for j := range g {
		in := append([]*tensor.Tensor(nil), inputs...)
		xp := x.Clone()
		in[i] = xp
		v := tensor.Data[float64](xp)
		h := 1e-6 * max(1, math.Abs(v[j]))
		v[j] += h
		lp := grDot(f(in), dy)
		v[j] -= 2 * h
		lm := grDot(f(in), dy)
		g[j] = (lp - lm) / (2 * h)
	}
	return g
}

// TestGradBatchNormKernel checks BatchNormalizationGrad's three outputs
// against central differences of the BatchNormalization kernel, in
// training and inference mode, for 2-D to 4-D inputs.
func TestGradBatchNormKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, training := range []int64{0, 1} {
		for _, xs := range [][]int{{5, 3}, {2, 3, 4}, {2, 2, 3, 3}} {
			C := xs[1]
			x, sc, b := grRandF64(r, xs...), grRandF64(r, C), grRandF64(r, C)
			mean, vr := grRandF64(r, C), nnAsType(nnRandT(r, C), tensor.Float64)
			for i := range tensor.Data[float64](vr) {
				tensor.Data[float64](vr)[i] = 0.5 + math.Abs(tensor.Data[float64](vr)[i])
			}
			attrs := []*ir.Attribute{attrInt("training_mode", training), attrFloat("epsilon", 1e-2)}
			fwd := func(in []*tensor.Tensor) *tensor.Tensor {
				return mustEval(t, "BatchNormalization", 15, 1, in, attrs...)[0]
			}
			in := []*tensor.Tensor{x, sc, b, mean, vr}
			dy := grRandF64(r, xs...)
			got := grMustEval(t, "BatchNormalizationGrad", 3, []*tensor.Tensor{dy, x, sc, mean, vr}, attrs...)
			for k := range 3 {
				want := grNumGrad(t, fwd, in, k, dy)
				nnCheckF64(t, fmt.Sprintf("training=%d %v output %d", training, xs, k), got[k], in[k].Shape(), want, 1e-6, 1e-7)
			}
		}
	}
	// Omitted mean and var are an error in inference mode, fine in training.
	x := grRandF64(r, 2, 3)
	if _, err := grEval("BatchNormalizationGrad", 1, []*tensor.Tensor{x, x, grRandF64(r, 3)}); !errors.Is(err, ops.ErrInvalidNode) {
		t.Errorf("inference without mean: %v", err)
	}
	grMustEval(t, "BatchNormalizationGrad", 1, []*tensor.Tensor{x, x, grRandF64(r, 3)}, attrInt("training_mode", 1))
	if _, err := grEval("BatchNormalizationGrad", 1, []*tensor.Tensor{x, x, grRandF64(r, 4)}, attrInt("training_mode", 1)); !errors.Is(err, ops.ErrShapeMismatch) {
		t.Errorf("scale of the wrong size: %v", err)
	}
}

// TestGradBatchNormOffset checks BatchNormalizationGrad in training mode
// on float32 inputs far from 0 against a two-pass float64 reference: the
// one-pass statistics must not lose the variance to cancellation.
func TestGradBatchNormOffset(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	const N, C, sp = 3, 2, 7
	for _, off := range []float64{0, 1e3, -3e4} {
		x, dy, sc := make([]float32, N*C*sp), make([]float32, N*C*sp), []float32{1.5, -0.5}
		for i := range x {
			x[i] = float32(off + 0.1*(2*r.Float64()-1))
			dy[i] = float32(2*r.Float64() - 1)
		}
		const eps = 1e-5
		got := grMustEval(t, "BatchNormalizationGrad", 3, []*tensor.Tensor{
			tensor.Must(tensor.FromSlice(dy, N, C, sp)), tensor.Must(tensor.FromSlice(x, N, C, sp)), tensor.Must(tensor.FromSlice(sc, C)),
		}, attrInt("training_mode", 1), attrFloat("epsilon", eps))
		wantDX, wantDS, wantDB := make([]float64, len(x)), make([]float64, C), make([]float64, C)
		for c := range C {
			var m, v, sdy, sdyx float64
			each := func(f func(i int)) {
				for n := range N {
					for j := range sp {
						f((n*C+c)*sp + j)
					}
				}
			}
			each(func(i int) { m += float64(x[i]) })
			m /= N * sp
			each(func(i int) { v += (float64(x[i]) - m) * (float64(x[i]) - m) })
			v /= N * sp
			inv := 1 / math.Sqrt(v+eps)
			each(func(i int) { sdy += float64(dy[i]); sdyx += float64(dy[i]) * (float64(x[i]) - m) * inv })
			wantDS[c], wantDB[c] = sdyx, sdy
			each(func(i int) {
				wantDX[i] = float64(sc[c]) * inv * (float64(dy[i]) - sdy/(N*sp) - (float64(x[i])-m)*inv*sdyx/(N*sp))
			})
		}
		what := fmt.Sprint("offset ", off)
		nnCheckF64(t, what+" dX", got[0], []int{N, C, sp}, wantDX, 1e-5, 1e-6)
		nnCheckF64(t, what+" dScale", got[1], []int{C}, wantDS, 1e-5, 1e-6)
		nnCheckF64(t, what+" dB", got[2], []int{C}, wantDB, 1e-5, 1e-6)
	}
}

// TestGradLossKernels checks SoftmaxCrossEntropyLossGrad and
// NegativeLogLikelihoodLossGrad against central differences of the loss
// kernels: every reduction, weights, ignore_index, N-D.
func TestGradLossKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	for _, op := range []string{"SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss"} {
		for _, red := range []string{"mean", "sum", "none"} {
			for _, weighted := range []bool{false, true} {
				for _, xs := range [][]int{{4, 3}, {2, 3, 2, 2}} {
					ts := append([]int{xs[0]}, xs[2:]...)
					target := tensor.Must(tensor.New(tensor.Int64, ts...))
					for i := range tensor.Data[int64](target) {
						tensor.Data[int64](target)[i] = int64(r.IntN(3))
					}
					tensor.Data[int64](target)[0] = 1
					x := grRandF64(r, xs...)
					in := []*tensor.Tensor{x, target}
					if weighted {
						in = append(in, nnAsType(nnF32([]int{3}, 0.5, 2, 1.5), tensor.Float64))
					}
					attrs := []*ir.Attribute{attrStr("reduction", red), attrInt("ignore_index", 1)}
					fwd := func(in []*tensor.Tensor) *tensor.Tensor { return mustEval(t, op, 13, 1, in, attrs...)[0] }
					loss := fwd(in)
					dl := grRandF64(r, loss.Shape()...)
					got := grMustEval(t, op+"Grad", 1, append([]*tensor.Tensor{dl}, in...), attrs...)[0]
					nnCheckF64(t, fmt.Sprint(op, red, weighted, xs), got, xs, grNumGrad(t, fwd, in, 0, dl), 1e-6, 1e-7)
				}
			}
		}
		// Errors: a label out of range, a dLoss of the wrong shape.
		x := grRandF64(r, 2, 3)
		bad := tensor.Must(tensor.FromSlice([]int64{0, 3}, 2))
		if _, err := grEval(op+"Grad", 1, []*tensor.Tensor{tensor.Scalar(1.0), x, bad}); !errors.Is(err, ops.ErrShapeMismatch) {
			t.Errorf("%s label out of range: %v", op, err)
		}
		good := tensor.Must(tensor.FromSlice([]int64{0, 2}, 2))
		if _, err := grEval(op+"Grad", 1, []*tensor.Tensor{grRandF64(r, 2), x, good}); !errors.Is(err, ops.ErrShapeMismatch) {
			t.Errorf("%s dLoss of the wrong shape: %v", op, err)
		}
	}
}

// TestGradDropoutGrad checks DropoutGrad by hand.
func TestGradDropoutGrad(t *testing.T) {
	dy := nnF32([]int{4}, 1, 2, 3, 4)
	mask := tensor.Must(tensor.FromSlice([]bool{true, false, true, false}, 4))
	for _, tc := range []struct {
		in   []*tensor.Tensor
		want []float64
	}{
		{[]*tensor.Tensor{dy, mask, tensor.Scalar(float32(0.75)), tensor.Scalar(true)}, []float64{4, 0, 12, 0}},
		{[]*tensor.Tensor{dy, mask, nil, tensor.Scalar(true)}, []float64{2, 0, 6, 0}},
		{[]*tensor.Tensor{dy, nnF32([]int{4}, 0, 1, 1, 0), tensor.Scalar(0.5), tensor.Scalar(true)}, []float64{0, 4, 6, 0}},
		{[]*tensor.Tensor{dy, mask, tensor.Scalar(float32(0.75)), tensor.Scalar(false)}, []float64{1, 2, 3, 4}},
		{[]*tensor.Tensor{dy, mask}, []float64{1, 2, 3, 4}},
		{[]*tensor.Tensor{nnAsType(dy, tensor.Float16), mask, nil, tensor.Scalar(true)}, []float64{2, 0, 6, 0}},
	} {
		got := grMustEval(t, "DropoutGrad", 1, tc.in)[0]
		nnCheckF64(t, "DropoutGrad", got, []int{4}, tc.want, 0, 0)
	}
	for name, in := range map[string][]*tensor.Tensor{
		"ratio 1":    {dy, mask, tensor.Scalar(float32(1)), tensor.Scalar(true)},
		"mask shape": {dy, tensor.Must(tensor.FromSlice([]bool{true}, 1)), nil, tensor.Scalar(true)},
	} {
		if _, err := grEval("DropoutGrad", 1, in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestGradReduceSumTo checks ReduceSumTo against a naive sum and that it
// returns its input when nothing is reduced.
func TestGradReduceSumTo(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, tc := range []struct{ g, to []int }{
		{[]int{2, 3}, []int{3}}, {[]int{2, 3}, []int{2, 1}}, {[]int{2, 3, 4}, []int{}}, {[]int{2, 1, 4}, []int{1, 1, 4}},
		{[]int{3, 2}, []int{1, 2}}, {[]int{2, 3}, []int{1, 1, 2, 3}[2:]},
	} {
		g := grRandF64(r, tc.g...)
		got := grMustEval(t, "ReduceSumTo", 1, []*tensor.Tensor{g, grShapeT(tc.to...)})[0]
		n := 1
		for _, d := range tc.to {
			n *= d
		}
		want := make([]float64, n)
		gs := tensor.Strides(tc.g)
		off := len(tc.g) - len(tc.to)
		for i, v := range nnF64s(g) {
			j := 0
			for d, s := range gs {
				c := i / s % tc.g[d]
				if d >= off && tc.to[d-off] != 1 {
					j = j*tc.to[d-off] + c
				}
			}
			want[j] += v
		}
		nnCheckF64(t, fmt.Sprint(tc), got, tc.to, want, 1e-12, 1e-12)
		got32 := grMustEval(t, "ReduceSumTo", 1, []*tensor.Tensor{nnAsType(grF32T(g), tensor.BFloat16), grShapeT(tc.to...)})[0]
		nnCheckF64(t, "bfloat16", got32, tc.to, want, 5e-2, 5e-2)
	}
	if _, err := grEval("ReduceSumTo", 1, []*tensor.Tensor{grRandF64(r, 2, 3), grShapeT(2)}); !errors.Is(err, ops.ErrShapeMismatch) {
		t.Errorf("ReduceSumTo to a shape that does not broadcast: %v", err)
	}
	if _, err := grEval("ReduceSumTo", 1, []*tensor.Tensor{grRandF64(r, 2, 3), grShapeT(-1, 3)}); err == nil {
		t.Errorf("ReduceSumTo to a negative dim: no error")
	}
}

// TestGradKernelShapeErrors checks that shapes that do not fit give errors.
func TestGradKernelShapeErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 9))
	x, w := grRandF64(r, 1, 2, 5, 5), grRandF64(r, 3, 2, 3, 3)
	k := []*ir.Attribute{nnAInts("kernel_shape", 2, 2)}
	for name, f := range map[string]func() error{
		"ConvGradInput dY": func() error {
			_, err := grEval("ConvGradInput", 1, []*tensor.Tensor{grRandF64(r, 1, 3, 4, 4), w, grShapeT(1, 2, 5, 5)})
			return err
		},
		"ConvGradInput X channels": func() error {
			_, err := grEval("ConvGradInput", 1, []*tensor.Tensor{grRandF64(r, 1, 3, 3, 3), w, grShapeT(1, 4, 5, 5)})
			return err
		},
		"ConvGradWeight dY": func() error {
			_, err := grEval("ConvGradWeight", 1, []*tensor.Tensor{grRandF64(r, 1, 3, 2, 3), x, grShapeT(3, 2, 3, 3)})
			return err
		},
		"ConvGradWeight huge shape": func() error {
			_, err := grEval("ConvGradWeight", 1, []*tensor.Tensor{grRandF64(r, 1, 3, 3, 3), x, grShapeT(1<<40, 1<<40, 3, 3)})
			return err
		},
		"MaxPoolGrad dY": func() error {
			_, err := grEval("MaxPoolGrad", 1, []*tensor.Tensor{grRandF64(r, 1, 2, 5, 5), x}, k...)
			return err
		},
		"AveragePoolGrad dY": func() error {
			_, err := grEval("AveragePoolGrad", 1, []*tensor.Tensor{grRandF64(r, 1, 2, 3, 3), grShapeT(1, 2, 5, 5)}, k...)
			return err
		},
		"AveragePoolGrad shape rank": func() error {
			_, err := grEval("AveragePoolGrad", 1, []*tensor.Tensor{grRandF64(r, 1, 2, 4, 4), grShapeT(5, 5)}, k...)
			return err
		},
	} {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestGradDropoutTraining checks Dropout in training mode: each element is
// kept (scaled by 1/(1-ratio)) or zeroed, the mask output says which, a
// seed gives the same mask on every Run and no seed a new one, the kept
// fraction is about 1-ratio, and opset 6 trains unless is_test is set.
func TestGradDropoutTraining(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	x := nnRandT(r, 40, 50)
	for i, v := range tensor.Data[float32](x) {
		if v == 0 {
			tensor.Data[float32](x)[i] = 1
		}
	}
	run := func(in []*tensor.Tensor, attrs ...*ir.Attribute) []*tensor.Tensor {
		return mustEval(t, "Dropout", 13, 2, in, attrs...)
	}
	train := tensor.Scalar(true)
	for _, ratio := range []float32{0.1, 0.5, 0.9} {
		out := run([]*tensor.Tensor{x, tensor.Scalar(ratio), train}, attrInt("seed", 5))
		y, mask := tensor.Data[float32](out[0]), tensor.Data[bool](out[1])
		kept := 0
		for i, v := range tensor.Data[float32](x) {
			want := float32(0)
			if mask[i] {
				kept++
				want = float32(float64(v) / (1 - float64(ratio)))
			}
			if y[i] != want {
				t.Fatalf("ratio %v: y[%d] = %v, mask %v, x %v", ratio, i, y[i], mask[i], v)
			}
		}
		// 2000 draws: the kept fraction is within 5 standard deviations.
		p := 1 - float64(ratio)
		if sd := math.Sqrt(p * (1 - p) / 2000); math.Abs(float64(kept)/2000-p) > 5*sd {
			t.Errorf("ratio %v: kept %d of 2000", ratio, kept)
		}
		again := run([]*tensor.Tensor{x, tensor.Scalar(ratio), train}, attrInt("seed", 5))
		nnCheckF64(t, "same seed", again[0], x.Shape(), nnF64s(out[0]), 0, 0)
	}
	a := run([]*tensor.Tensor{x, nil, train})
	b := run([]*tensor.Tensor{x, nil, train})
	if fmt.Sprint(tensor.Data[bool](a[1])) == fmt.Sprint(tensor.Data[bool](b[1])) {
		t.Errorf("two unseeded runs drew the same mask")
	}
	// Half precision, and a ratio of 0 (identity).
	h := run([]*tensor.Tensor{nnAsType(x, tensor.Float16), tensor.Scalar(0.5), train}, attrInt("seed", 1))
	if h[0].DType() != tensor.Float16 {
		t.Errorf("float16 dropout gives %v", h[0].DType())
	}
	z := run([]*tensor.Tensor{x, tensor.Scalar(float32(0)), train})
	nnCheckF64(t, "ratio 0", z[0], x.Shape(), nnF64s(x), 0, 0)
	// Opset 6: the identity whatever is_test says (as in ONNX Runtime); the
	// mask has X's type and keeps everything.
	o6 := mustEval(t, "Dropout", 6, 2, []*tensor.Tensor{x}, attrFloat("ratio", 0.5))
	if o6[1].DType() != tensor.Float32 || grDot(o6[1], o6[1]) != float64(x.Len()) {
		t.Errorf("opset 6 dropout: mask %v", o6[1])
	}
	o6t := mustEval(t, "Dropout", 6, 1, []*tensor.Tensor{x}, attrInt("is_test", 1))
	nnCheckF64(t, "opset 6 is_test", o6t[0], x.Shape(), nnF64s(x), 0, 0)
	// Bad inputs are errors.
	if _, err := evalNode("", "Dropout", 13, 1, []*tensor.Tensor{x, tensor.Scalar(float32(1.5)), train}); !errors.Is(err, ops.ErrInvalidNode) {
		t.Errorf("ratio 1.5: %v", err)
	}
	if _, err := evalNode("", "Dropout", 13, 1, []*tensor.Tensor{x, nil, tensor.Must(tensor.FromSlice([]bool{true, true}, 2))}); !errors.Is(err, ops.ErrInvalidNode) {
		t.Errorf("training_mode of two elements: %v", err)
	}
}

// grNaiveConvGradWeight is the definition: dW[m, c, k] = sum over n and
// output positions of dY[n, m, o] * X[n, g*Cg + c, o*s - p + k*d] (2-D,
// no groups, stride and dilation 1).
func grNaiveConvGradWeight(dy, x []float32, N, C, H, W, M, K, P int, dw []float32) {
	OH, OW := H+2*P-K+1, W+2*P-K+1
	clear(dw)
	for m := range M {
		for c := range C {
			for kh := range K {
				for kw := range K {
					var s float32
					for n := range N {
						for oh := range OH {
							ih := oh - P + kh
							if ih < 0 || ih >= H {
								continue
							}
							for ow := range OW {
								iw := ow - P + kw
								if iw < 0 || iw >= W {
									continue
								}
								s += dy[((n*M+m)*OH+oh)*OW+ow] * x[((n*C+c)*H+ih)*W+iw]
							}
						}
					}
					dw[((m*C+c)*K+kh)*K+kw] = s
				}
			}
		}
	}
}

// BenchmarkGradConv measures the conv gradient kernels on a ResNet-like
// 3x3 layer (batch 8, 64 channels, 28x28), against the naive loop.
func BenchmarkGradConv(b *testing.B) {
	const N, C, H, W, M, K, P = 8, 64, 28, 28, 64, 3, 1
	r := rand.New(rand.NewPCG(1, 2))
	x, w, dy := nnRandT(r, N, C, H, W), nnRandT(r, M, C, K, K), nnRandT(r, N, M, H, W)
	pads := nnAInts("pads", P, P, P, P)
	flops := float64(2 * N * M * C * K * K * H * W)
	size := fmt.Sprintf("%dx%dx%dx%d/k%d", N, C, H, W, K)
	for _, bc := range []struct {
		name string
		in   []*tensor.Tensor
	}{
		{"input", []*tensor.Tensor{dy, w, grShapeT(N, C, H, W)}},
		{"weight", []*tensor.Tensor{dy, x, grShapeT(M, C, K, K)}},
	} {
		op := "ConvGrad" + string(bc.name[0]-'a'+'A') + bc.name[1:]
		b.Run(bc.name+"/generic/"+size, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := grEval(op, 1, bc.in, pads); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
	b.Run("weight/naive/"+size, func(b *testing.B) {
		dw := make([]float32, M*C*K*K)
		for b.Loop() {
			grNaiveConvGradWeight(tensor.Data[float32](dy), tensor.Data[float32](x), N, C, H, W, M, K, P, dw)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// TestGradNaiveConvGradWeight checks the benchmark's naive baseline
// against the kernel, so that the comparison is between equals.
func TestGradNaiveConvGradWeight(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	const N, C, H, W, M, K, P = 2, 3, 5, 4, 2, 3, 1
	x, dy := nnRandT(r, N, C, H, W), nnRandT(r, N, M, H+2*P-K+1, W+2*P-K+1)
	dw := make([]float32, M*C*K*K)
	grNaiveConvGradWeight(tensor.Data[float32](dy), tensor.Data[float32](x), N, C, H, W, M, K, P, dw)
	got := grMustEval(t, "ConvGradWeight", 1, []*tensor.Tensor{dy, x, grShapeT(M, C, K, K)}, nnAInts("pads", P, P, P, P))[0]
	want := make([]float64, len(dw))
	for i, v := range dw {
		want[i] = float64(v)
	}
	nnCheckF64(t, "ConvGradWeight", got, []int{M, C, K, K}, want, 1e-4, 1e-4)
}

// TestGradOverwrites runs the kernels marked as ops.Overwriter
// (BatchNormalization, BatchNormalizationGrad, MaxPoolGrad) into outputs
// full of NaN, as the runtime hands reused memory to them, and checks
// that they equal fresh runs.
func TestGradOverwrites(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	x, dy := grF32T(grRandF64(r, 2, 3, 6, 5)), grF32T(grRandF64(r, 2, 3, 6, 5))
	sc, b, mean := grF32T(grRandF64(r, 3)), grF32T(grRandF64(r, 3)), grF32T(grRandF64(r, 3))
	vr := nnF32([]int{3}, 0.5, 1, 2)
	pool := func(k ...int64) []*ir.Attribute {
		return []*ir.Attribute{attrInts("kernel_shape", k...), attrInts("strides", k...)}
	}
	for _, c := range []struct {
		domain, op string
		opset      int64
		nOut       int
		in         []*tensor.Tensor
		attrs      []*ir.Attribute
	}{
		{"", "BatchNormalization", 15, 1, []*tensor.Tensor{x, sc, b, mean, vr}, nil},
		{"", "BatchNormalization", 15, 3, []*tensor.Tensor{x, sc, b, mean, vr}, []*ir.Attribute{attrInt("training_mode", 1)}},
		{ops.GradDomain, "BatchNormalizationGrad", 1, 3, []*tensor.Tensor{dy, x, sc, mean, vr}, []*ir.Attribute{attrInt("training_mode", 1)}},
		{ops.GradDomain, "BatchNormalizationGrad", 1, 3, []*tensor.Tensor{dy, x, sc, mean, vr}, nil},
		{ops.GradDomain, "MaxPoolGrad", 1, 1, []*tensor.Tensor{grF32T(grRandF64(r, 2, 3, 3, 2)), x}, pool(2, 2)},
		{ops.GradDomain, "MaxPoolGrad", 1, 1, []*tensor.Tensor{grF32T(grRandF64(r, 2, 3, 2, 1)), x}, pool(3, 3)},
	} {
		want, err := evalNode(c.domain, c.op, c.opset, c.nOut, c.in, c.attrs...)
		if err != nil {
			t.Fatalf("%s: %v", c.op, err)
		}
		node := nnNode(c.op, []bool{true, true, true, true, true}[:len(c.in)], c.nOut, c.attrs...)
		node.Domain = c.domain
		n := &ops.Node{Node: node, Schema: ops.LookupSchema(c.domain, c.op, c.opset), Opset: c.opset, In: make([]ops.TypeShape, len(c.in))}
		for i, v := range c.in {
			n.In[i] = ops.Known(v)
		}
		k := genericKernel(t, n)
		if o, ok := k.(ops.Overwriter); !ok || !o.Overwrites() {
			t.Fatalf("%s: kernel %T is not an Overwriter", c.op, k)
		}
		out := make([]*tensor.Tensor, c.nOut)
		for i, w := range want {
			out[i] = tensor.Must(tensor.New(w.DType(), w.Shape()...))
			for j := range tensor.Data[float32](out[i]) {
				tensor.Data[float32](out[i])[j] = float32(math.NaN())
			}
		}
		if err := k.Run(&ops.ExecContext{Ctx: context.Background(), Threads: 1}, c.in, out); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			g, w := tensor.Data[float32](out[i]), tensor.Data[float32](want[i])
			for j := range w {
				if math.Float32bits(g[j]) != math.Float32bits(w[j]) {
					t.Fatalf("%s %v output %d [%d]: %v over stale values, %v fresh", c.op, c.attrs, i, j, g[j], w[j])
				}
			}
		}
	}
}
