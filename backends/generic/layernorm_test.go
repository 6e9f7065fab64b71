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

// lnNaive computes LayerNormalization by the definition: for every index
// of the leading dims, the mean and population variance of the trailing
// block, then scale and bias read through numpy broadcasting.
func lnNaive(x []float64, xs []int, axis int, eps float64, scale []float64, ss []int, bias []float64, bs []int) (y, mean, inv []float64) {
	outer, inner := nnNumel(xs[:axis]), nnNumel(xs[axis:])
	y = make([]float64, len(x))
	mean, inv = make([]float64, outer), make([]float64, outer)
	for o := range outer {
		m := 0.0
		for j := range inner {
			m += x[o*inner+j]
		}
		m /= float64(inner)
		v := 0.0
		for j := range inner {
			v += (x[o*inner+j] - m) * (x[o*inner+j] - m)
		}
		v /= float64(inner)
		mean[o], inv[o] = m, 1/math.Sqrt(v+eps)
		for j := range inner {
			i := o*inner + j
			y[i] = (x[i] - m) * inv[o] * scale[elemNaiveIndex(i, xs, ss)]
			if bias != nil {
				y[i] += bias[elemNaiveIndex(i, xs, bs)]
			}
		}
	}
	return y, mean, inv
}

func TestLayerNormAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	cases := []struct {
		xs     []int
		axis   int
		ss, bs []int // nil bs: no bias
	}{
		{[]int{3, 4}, -1, []int{4}, []int{4}},
		{[]int{3, 4}, 0, []int{3, 4}, []int{3, 4}},
		{[]int{2, 3, 4, 5}, 1, []int{3, 4, 5}, nil},
		{[]int{2, 3, 4, 5}, 2, []int{1, 5}, []int{4, 1}}, // broadcast inside the normalised block
		{[]int{2, 3, 4}, 1, []int{1}, []int{2, 3, 4}},    // bias over every element
		{[]int{1, 1}, -1, []int{1}, []int{1}},
		{[]int{7}, 0, []int{7}, []int{7}},
		{[]int{2, 0, 3}, 2, []int{3}, []int{3}},
	}
	for _, c := range cases {
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16} {
			x, s := nnAsType(nnRandT(r, c.xs...), dt), nnAsType(nnRandT(r, c.ss...), dt)
			in := []*tensor.Tensor{x, s}
			var bv []float64
			if c.bs != nil {
				b := nnAsType(nnRandT(r, c.bs...), dt)
				in = append(in, b)
				bv = nnF64s(b)
			}
			axis, _ := ops.NormAxis(int64(c.axis), len(c.xs))
			eps := float32(1e-3)
			want, wm, wi := lnNaive(nnF64s(x), c.xs, axis, float64(eps), nnF64s(s), c.ss, bv, c.bs)
			out := mustEval(t, "LayerNormalization", 17, 3, in, attrInt("axis", int64(c.axis)), attrFloat("epsilon", eps))
			tol := 1e-5
			switch dt {
			case tensor.Float64:
				tol = 1e-6 // the statistics are rounded to the float32 stash type
			case tensor.Float16:
				tol = 2e-2
			case tensor.BFloat16:
				tol = 1e-1
			}
			if out[0].DType() != dt || out[1].DType() != tensor.Float32 || out[2].DType() != tensor.Float32 {
				t.Fatalf("dtypes %v %v %v", out[0].DType(), out[1].DType(), out[2].DType())
			}
			st := make([]int, len(c.xs))
			for i := range st {
				st[i] = 1
				if i < axis {
					st[i] = c.xs[i]
				}
			}
			nnCheckF64(t, "Y", out[0], c.xs, want, tol, tol)
			nnCheckF64(t, "Mean", out[1], st, wm, tol, tol)
			nnCheckF64(t, "InvStdDev", out[2], st, wi, tol, tol)
		}
	}
}

func TestLayerNormStashAndOutputs(t *testing.T) {
	// Rows [1 2 3] and [4 4 4]: means 2 and 4, variances 2/3 and 0.
	x := nnF32([]int{2, 3}, 1, 2, 3, 4, 4, 4)
	s := nnF32([]int{3}, 1, 1, 1)
	inv0 := 1 / math.Sqrt(2.0/3+1e-5)
	out := mustEval(t, "LayerNormalization", 17, 1, []*tensor.Tensor{x, s})
	nnCheckF64(t, "Y only", out[0], []int{2, 3}, []float64{-inv0, 0, inv0, 0, 0, 0}, 1e-5, 1e-5)
	// stash_type double: statistics in float64.
	out = mustEval(t, "LayerNormalization", 17, 3, []*tensor.Tensor{x, s}, attrInt("stash_type", int64(tensor.Float64)))
	if out[1].DType() != tensor.Float64 {
		t.Fatalf("Mean dtype %v", out[1].DType())
	}
	nnCheckF64(t, "Mean", out[1], []int{2, 1}, []float64{2, 4}, 1e-12, 1e-12)
	nnCheckF64(t, "InvStdDev", out[2], []int{2, 1}, []float64{inv0, 1 / math.Sqrt(1e-5)}, 1e-6, 1e-6)
	// Y and InvStdDev requested, Mean omitted.
	n := nnNode("LayerNormalization", []bool{true, true}, 3)
	n.Outputs[1] = ""
	got, err := ops.Eval(t.Context(), n, 17, []*tensor.Tensor{x, s}, func(b string) bool { return b == Name })
	if err != nil {
		t.Fatal(err)
	}
	nnCheckF64(t, "InvStdDev without Mean", got[2], []int{2, 1}, []float64{inv0, 1 / math.Sqrt(1e-5)}, 1e-5, 1e-5)
}

func TestLayerNormErrors(t *testing.T) {
	x := nnF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	for _, c := range []struct {
		name  string
		in    []*tensor.Tensor
		attrs []*ir.Attribute
		want  error
	}{
		{"axis", []*tensor.Tensor{x, nnF32([]int{3}, 1, 1, 1)}, []*ir.Attribute{attrInt("axis", 2)}, ops.ErrInvalidNode},
		{"scale shape", []*tensor.Tensor{x, nnF32([]int{2}, 1, 1)}, nil, ops.ErrShapeMismatch},
		{"bias shape", []*tensor.Tensor{x, nnF32([]int{3}, 1, 1, 1), nnF32([]int{1, 2}, 1, 1)}, nil, ops.ErrShapeMismatch},
		{"scale type", []*tensor.Tensor{x, nnAsType(nnF32([]int{3}, 1, 1, 1), tensor.Float64)}, nil, ops.ErrInvalidNode},
		{"stash", []*tensor.Tensor{x, nnF32([]int{3}, 1, 1, 1)}, []*ir.Attribute{attrInt("stash_type", 7)}, ops.ErrInvalidNode},
	} {
		if _, err := evalNode("", "LayerNormalization", 17, 1, c.in, c.attrs...); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

// lnNaiveMVN normalises x over axes by the definition, with the
// operator's epsilon added to the standard deviation.
func lnNaiveMVN(x []float64, xs []int, axes []int) []float64 {
	reduced := make([]bool, len(xs))
	for _, a := range axes {
		reduced[a] = true
	}
	key := func(i int) int { // the flat index with reduced coordinates zeroed
		idx := nnUnravel(i, xs)
		for d := range idx {
			if reduced[d] {
				idx[d] = 0
			}
		}
		return nnRavel(idx, xs)
	}
	sum, cnt := map[int]float64{}, map[int]float64{}
	for i, v := range x {
		sum[key(i)] += v
		cnt[key(i)]++
	}
	sq := map[int]float64{}
	for i, v := range x {
		m := sum[key(i)] / cnt[key(i)]
		sq[key(i)] += (v - m) * (v - m)
	}
	y := make([]float64, len(x))
	for i, v := range x {
		k := key(i)
		y[i] = (v - sum[k]/cnt[k]) / (math.Sqrt(sq[k]/cnt[k]) + 1e-9)
	}
	return y
}

func TestMVNAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	cases := []struct {
		xs   []int
		axes []int64 // nil: default [0, 2, 3]
	}{
		{[]int{2, 3, 4, 5}, nil},
		{[]int{3, 3, 3, 1}, nil},
		{[]int{2, 3, 4}, []int64{-1}},
		{[]int{2, 3, 4}, []int64{0, 2}},
		{[]int{2, 3, 4}, []int64{1}},
		{[]int{2, 3, 4}, []int64{0, 1, 2}},
		{[]int{5}, []int64{0}},
		{[]int{2, 3}, []int64{}}, // no axes: every element is its own group
		{[]int{2, 0, 3}, []int64{1}},
	}
	for _, c := range cases {
		for _, opset := range []int64{9, 13} {
			for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16} {
				x := nnAsType(nnRandT(r, c.xs...), dt)
				var attrs []*ir.Attribute
				axes := []int{0, 2, 3}
				if c.axes != nil {
					attrs = append(attrs, &ir.Attribute{Name: "axes", Type: ir.AttrInts, Ints: c.axes})
					axes, _ = ops.MVNAxes(c.axes, len(c.xs))
				}
				want := lnNaiveMVN(nnF64s(x), c.xs, axes)
				out := mustEval(t, "MeanVarianceNormalization", opset, 1, []*tensor.Tensor{x}, attrs...)
				tol := 1e-5
				if dt == tensor.Float16 {
					tol = 1e-2
				}
				nnCheckF64(t, "MVN", out[0], c.xs, want, tol, tol)
			}
		}
	}
	if _, err := evalNode("", "MeanVarianceNormalization", 13, 1, []*tensor.Tensor{nnF32([]int{2, 2}, 1, 2, 3, 4)}); !errors.Is(err, ops.ErrInvalidNode) {
		t.Errorf("default axes on rank 2: %v", err)
	}
}
