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

// lossNaive computes the loss by the definition, with multi-indices: per
// sample (n, d...) the class c = target[n, d...] picks -logp[n, c, d...] *
// weight[c]; ignored samples weigh 0. With softmax, logp is computed first
// as x - log(sum(exp(x))) over the classes of each sample.
func lossNaive(x []float64, xs []int, target []int64, weight []float64, ignore *int64, softmax bool, reduction string) (loss, logp []float64) {
	logp = append([]float64(nil), x...)
	if softmax {
		for i := range x {
			idx := nnUnravel(i, xs)
			s := 0.0
			for c := range xs[1] {
				idx[1] = c
				s += math.Exp(x[nnRavel(idx, xs)])
			}
			logp[i] = x[i] - math.Log(s)
		}
	}
	ts := append([]int{xs[0]}, xs[2:]...)
	per := make([]float64, len(target))
	var sum, wsum float64
	for i, c := range target {
		if ignore != nil && c == *ignore {
			continue
		}
		tidx := nnUnravel(i, ts)
		xidx := append([]int{tidx[0], int(c)}, tidx[1:]...)
		w := 1.0
		if weight != nil {
			w = weight[c]
		}
		per[i] = -logp[nnRavel(xidx, xs)] * w
		sum += per[i]
		wsum += w
	}
	switch reduction {
	case "sum":
		return []float64{sum}, logp
	case "mean":
		return []float64{sum / wsum}, logp
	}
	return per, logp
}

func TestLossHandComputed(t *testing.T) {
	// The spec's examples: N, C, d1 = 2, 3, 2.
	x := nnF32([]int{2, 3, 2}, 1, 2, 2, 2, 3, 2, 0, 1, 2, 2, 1, 2)
	tgt := tensor.Must(tensor.FromSlice([]int64{2, 1, 0, 2}, 2, 2))
	w := nnF32([]int{3}, 0.2, 0.3, 0.1)
	out := mustEval(t, "NegativeLogLikelihoodLoss", 13, 1, []*tensor.Tensor{x, tgt}, attrStr("reduction", "none"))
	nnCheckF64(t, "example 1", out[0], []int{2, 2}, []float64{-3, -2, -0, -2}, 0, 0)
	out = mustEval(t, "NegativeLogLikelihoodLoss", 13, 1, []*tensor.Tensor{x, tgt, w}, attrStr("reduction", "sum"))
	nnCheckF64(t, "example 2", out[0], []int{}, []float64{-1.1}, 1e-6, 1e-6)
	out = mustEval(t, "NegativeLogLikelihoodLoss", 13, 1, []*tensor.Tensor{x, tgt, w})
	nnCheckF64(t, "example 3", out[0], []int{}, []float64{-1.1 / 0.7}, 1e-6, 1e-6)

	// SCE of two equal scores: log(1/2) per sample.
	s := nnF32([]int{1, 2}, 3, 3)
	out = mustEval(t, "SoftmaxCrossEntropyLoss", 13, 2, []*tensor.Tensor{s, tensor.Must(tensor.FromSlice([]int32{1}, 1))})
	nnCheckF64(t, "SCE", out[0], []int{}, []float64{math.Ln2}, 1e-6, 1e-6)
	nnCheckF64(t, "log_prob", out[1], []int{1, 2}, []float64{-math.Ln2, -math.Ln2}, 1e-6, 1e-6)
}

func TestLossAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	shapes := [][]int{{3, 5}, {2, 3, 4}, {2, 4, 2, 3}, {1, 1}, {4, 2, 1, 1, 2}, {0, 3}, {2, 3, 0}}
	for iter := range 200 {
		xs := shapes[iter%len(shapes)]
		op := []string{"NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"}[iter%2]
		red := []string{"none", "sum", "mean"}[r.IntN(3)]
		dt := []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16}[r.IntN(4)]
		x := nnAsType(nnRandT(r, xs...), dt)
		ts := append([]int{xs[0]}, xs[2:]...)
		nt := nnNumel(ts)
		var ignore *int64
		attrs := []*ir.Attribute{attrStr("reduction", red)}
		if r.IntN(2) == 0 {
			v := int64(r.IntN(xs[1]+2) - 1) // -1, a class, or C
			ignore = &v
			attrs = append(attrs, attrInt("ignore_index", v))
		}
		target := make([]int64, nt)
		for i := range target {
			target[i] = int64(r.IntN(xs[1]))
			if ignore != nil && r.IntN(3) == 0 {
				target[i] = *ignore
			}
		}
		if red == "mean" && nt > 0 && ignore != nil {
			target[0] = int64(r.IntN(xs[1])) // keep the weight sum positive
			if target[0] == *ignore {
				target[0] = (target[0] + 1) % int64(xs[1])
			}
			if target[0] == *ignore {
				continue
			}
		}
		var tt *tensor.Tensor
		if r.IntN(2) == 0 {
			tt = tensor.Must(tensor.FromSlice(target, ts...))
		} else {
			t32 := make([]int32, nt)
			for i, v := range target {
				t32[i] = int32(v)
			}
			tt = tensor.Must(tensor.FromSlice(t32, ts...))
		}
		in := []*tensor.Tensor{x, tt}
		var wv []float64
		if r.IntN(2) == 0 {
			w32 := make([]float32, xs[1])
			for i := range w32 {
				w32[i] = 0.5 + r.Float32()
			}
			w := nnAsType(tensor.Must(tensor.FromSlice(w32, xs[1])), dt)
			wv = nnF64s(w)
			in = append(in, w)
		}
		nOut := 1
		if op == "SoftmaxCrossEntropyLoss" {
			nOut = 2
		}
		got := mustEval(t, op, 13, nOut, in, attrs...)
		want, logp := lossNaive(nnF64s(x), xs, target, wv, ignore, op == "SoftmaxCrossEntropyLoss", red)
		tol := 1e-5
		switch dt {
		case tensor.Float64:
			tol = 1e-12
		case tensor.Float16:
			tol = 1e-2
		case tensor.BFloat16:
			tol = 5e-2
		}
		wantShape := ts
		if red != "none" {
			wantShape = []int{}
		}
		if red == "mean" && nt == 0 {
			want = []float64{math.NaN()} // 0 / 0
		}
		nnCheckF64(t, op+" "+red, got[0], wantShape, want, tol, tol)
		if nOut == 2 {
			nnCheckF64(t, "log_prob", got[1], xs, logp, tol, tol)
		}
	}
}

func TestLossErrors(t *testing.T) {
	x := nnF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	i64 := func(shape []int, v ...int64) *tensor.Tensor { return tensor.Must(tensor.FromSlice(v, shape...)) }
	for _, c := range []struct {
		name  string
		in    []*tensor.Tensor
		attrs []*ir.Attribute
		want  error
	}{
		{"target out of range", []*tensor.Tensor{x, i64([]int{2}, 0, 3)}, nil, ops.ErrShapeMismatch},
		{"negative target", []*tensor.Tensor{x, i64([]int{2}, -1, 0)}, nil, ops.ErrShapeMismatch},
		{"negative target, other ignore_index", []*tensor.Tensor{x, i64([]int{2}, -2, 0)}, []*ir.Attribute{attrInt("ignore_index", -1)}, ops.ErrShapeMismatch},
		{"target shape", []*tensor.Tensor{x, i64([]int{3}, 0, 1, 2)}, nil, ops.ErrShapeMismatch},
		{"weight shape", []*tensor.Tensor{x, i64([]int{2}, 0, 1), nnF32([]int{2}, 1, 1)}, nil, ops.ErrShapeMismatch},
		{"reduction", []*tensor.Tensor{x, i64([]int{2}, 0, 1)}, []*ir.Attribute{attrStr("reduction", "avg")}, ops.ErrInvalidNode},
		{"float target", []*tensor.Tensor{x, nnF32([]int{2}, 0, 1)}, nil, ops.ErrInvalidNode},
	} {
		for _, op := range []string{"NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"} {
			if _, err := evalNode("", op, 13, 1, c.in, c.attrs...); !errors.Is(err, c.want) {
				t.Errorf("%s %s: got %v, want %v", op, c.name, err, c.want)
			}
		}
	}
	// An ignored target out of [0, C) is fine.
	out := mustEval(t, "NegativeLogLikelihoodLoss", 22, 1, []*tensor.Tensor{x, i64([]int{2}, 100, 2)}, attrInt("ignore_index", 100))
	nnCheckF64(t, "ignored", out[0], []int{}, []float64{-6}, 0, 0)
}
