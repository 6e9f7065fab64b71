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

// nnChannelOf returns the channel of flat index i in shape (0 for rank 1).
func nnChannelOf(i int, shape []int) int {
	if len(shape) < 2 {
		return 0
	}
	return nnUnravel(i, shape)[1]
}

func TestNNBatchNormInference(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, shape := range [][]int{{2, 3, 4, 5}, {3, 4}, {5}, {1, 2, 3, 2, 2}, {2, 1, 1}} {
		c := 1
		if len(shape) > 1 {
			c = shape[1]
		}
		x := nnRandT(r, shape...)
		scale, bias, mean := nnRandT(r, c), nnRandT(r, c), nnRandT(r, c)
		vr := tensor.Must(tensor.New(tensor.Float32, c))
		for i := range tensor.Data[float32](vr) {
			tensor.Data[float32](vr)[i] = r.Float32() + 0.1
		}
		for _, opset := range []int64{7, 9, 14, 15} {
			for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16} {
				eps := float32(1e-3)
				in := []*tensor.Tensor{nnAsType(x, dt), nnAsType(scale, dt), nnAsType(bias, dt), nnAsType(mean, dt), nnAsType(vr, dt)}
				xv, sv, bv, mv, vv := nnF64s(in[0]), nnF64s(in[1]), nnF64s(in[2]), nnF64s(in[3]), nnF64s(in[4])
				want := make([]float64, len(xv))
				for i, v := range xv {
					ch := nnChannelOf(i, shape)
					want[i] = (v-mv[ch])/math.Sqrt(vv[ch]+float64(eps))*sv[ch] + bv[ch]
				}
				out := mustEval(t, "BatchNormalization", opset, 1, in, attrFloat("epsilon", eps))
				tol := 1e-5
				switch dt {
				case tensor.Float16:
					tol = 1e-2
				case tensor.BFloat16:
					tol = 5e-2
				}
				if out[0].DType() != dt {
					t.Fatalf("dtype %v, want %v", out[0].DType(), dt)
				}
				nnCheckF64(t, "BatchNormalization", out[0], shape, want, tol, tol)
			}
		}
	}
}

func TestNNBatchNormMixedTypes(t *testing.T) {
	// Opset 15: X float16, scale/B float32, mean/var float64.
	x := nnF32([]int{1, 2, 2}, 1, 2, 3, 5)
	out := mustEval(t, "BatchNormalization", 15, 1, []*tensor.Tensor{
		nnAsType(x, tensor.Float16), nnF32([]int{2}, 2, 1), nnF32([]int{2}, 0, 1),
		nnF64T([]int{2}, []float64{1, 4}), nnF64T([]int{2}, []float64{4, 1}),
	}, attrFloat("epsilon", 0))
	// ch0: (x-1)/2*2 = x-1; ch1: (x-4)/1*1+1 = x-3.
	nnCheckF64(t, "mixed types", out[0], []int{1, 2, 2}, []float64{0, 1, 0, 2}, 1e-3, 1e-3)
	if out[0].DType() != tensor.Float16 {
		t.Errorf("dtype %v", out[0].DType())
	}
}

func TestNNBatchNormSpatial0(t *testing.T) {
	// Opset 7, spatial=0: one set of parameters per activation (C x H).
	x := nnF32([]int{2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8)
	p := func(v ...float32) *tensor.Tensor { return nnF32([]int{2, 2}, v...) }
	out := mustEval(t, "BatchNormalization", 7, 1, []*tensor.Tensor{x, p(1, 2, 3, 4), p(0, 0, 0, 1), p(1, 1, 1, 1), p(1, 1, 1, 1)},
		attrInt("spatial", 0), attrFloat("epsilon", 0))
	nnCheckF64(t, "spatial=0", out[0], []int{2, 2, 2}, []float64{0, 2, 6, 13, 4, 10, 18, 29}, 1e-6, 1e-6)
}

func TestNNBatchNormTraining(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	shape := []int{3, 2, 4}
	x := nnRandT(r, shape...)
	scale, bias, mean := nnRandT(r, 2), nnRandT(r, 2), nnRandT(r, 2)
	vr := nnF32([]int{2}, 0.5, 2)
	out := mustEval(t, "BatchNormalization", 15, 3, []*tensor.Tensor{x, scale, bias, mean, vr},
		attrInt("training_mode", 1), attrFloat("momentum", 0.8), attrFloat("epsilon", 1e-4))
	xv, sv, bv, mv, vv := nnF64s(x), nnF64s(scale), nnF64s(bias), nnF64s(mean), nnF64s(vr)
	bm, bvar := make([]float64, 2), make([]float64, 2)
	for i, v := range xv {
		bm[nnChannelOf(i, shape)] += v / 12
	}
	for i, v := range xv {
		ch := nnChannelOf(i, shape)
		bvar[ch] += (v - bm[ch]) * (v - bm[ch]) / 12
	}
	want := make([]float64, len(xv))
	for i, v := range xv {
		ch := nnChannelOf(i, shape)
		want[i] = (v-bm[ch])/math.Sqrt(bvar[ch]+1e-4)*sv[ch] + bv[ch]
	}
	nnCheckF64(t, "Y", out[0], shape, want, 1e-5, 1e-5)
	nnCheckF64(t, "running_mean", out[1], []int{2}, []float64{mv[0]*0.8 + bm[0]*0.2, mv[1]*0.8 + bm[1]*0.2}, 1e-5, 1e-6)
	nnCheckF64(t, "running_var", out[2], []int{2}, []float64{vv[0]*0.8 + bvar[0]*0.2, vv[1]*0.8 + bvar[1]*0.2}, 1e-5, 1e-6)
}

func TestNNInstanceNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	for _, shape := range [][]int{{2, 3, 4, 5}, {1, 2, 7}, {2, 2, 1, 3, 2}} {
		x := nnRandT(r, shape...)
		scale, bias := nnRandT(r, shape[1]), nnRandT(r, shape[1])
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16} {
			in := []*tensor.Tensor{nnAsType(x, dt), nnAsType(scale, dt), nnAsType(bias, dt)}
			xv, sv, bv := nnF64s(in[0]), nnF64s(in[1]), nnF64s(in[2])
			sp := nnNumel(shape[2:])
			want := make([]float64, len(xv))
			for p := range shape[0] * shape[1] {
				var m, v float64
				for _, e := range xv[p*sp : (p+1)*sp] {
					m += e / float64(sp)
				}
				for _, e := range xv[p*sp : (p+1)*sp] {
					v += (e - m) * (e - m) / float64(sp)
				}
				for j := range sp {
					want[p*sp+j] = sv[p%shape[1]]*(xv[p*sp+j]-m)/math.Sqrt(v+1e-5) + bv[p%shape[1]]
				}
			}
			tol := 1e-4
			if dt == tensor.Float16 {
				tol = 2e-2
			}
			nnCheckF64(t, "InstanceNormalization", mustEval(t, "InstanceNormalization", 6, 1, in)[0], shape, want, tol, tol)
		}
	}
}

func TestNNLRN(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	for _, size := range []int{1, 2, 3, 4, 5, 8} {
		shape := []int{2, 5, 3, 2}
		x := nnRandT(r, shape...)
		xv := nnF64s(x)
		alpha, beta, bias := 0.3, 0.6, 1.5
		want := make([]float64, len(xv))
		C := shape[1]
		for i := range xv {
			id := nnUnravel(i, shape)
			c := id[1]
			lo := max(0, c-int(math.Floor(float64(size-1)/2)))
			hi := min(C-1, c+int(math.Ceil(float64(size-1)/2)))
			var sq float64
			for j := lo; j <= hi; j++ {
				id2 := append([]int(nil), id...)
				id2[1] = j
				v := xv[nnRavel(id2, shape)]
				sq += v * v
			}
			want[i] = xv[i] / math.Pow(bias+alpha/float64(size)*sq, beta)
		}
		out := mustEval(t, "LRN", 13, 1, []*tensor.Tensor{x}, attrInt("size", int64(size)),
			attrFloat("alpha", float32(alpha)), attrFloat("beta", float32(beta)), attrFloat("bias", float32(bias)))
		nnCheckF64(t, "LRN", out[0], shape, want, 1e-5, 1e-6)
	}
}

func TestNNLpNormalization(t *testing.T) {
	x := nnF32([]int{2, 3}, 3, 0, 4, 0, 0, 0)
	out := mustEval(t, "LpNormalization", 1, 1, []*tensor.Tensor{x})
	nnCheckF64(t, "L2 last axis", out[0], []int{2, 3}, []float64{0.6, 0, 0.8, 0, 0, 0}, 1e-6, 0)
	out = mustEval(t, "LpNormalization", 22, 1, []*tensor.Tensor{x}, attrInt("p", 1), attrInt("axis", 0))
	nnCheckF64(t, "L1 axis 0", out[0], []int{2, 3}, []float64{1, 0, 1, 0, 0, 0}, 1e-6, 0)
	x3 := nnF32([]int{1, 2, 2}, 1, -3, 1, 1)
	out = mustEval(t, "LpNormalization", 22, 1, []*tensor.Tensor{x3}, attrInt("p", 1), attrInt("axis", 1))
	nnCheckF64(t, "L1 middle axis", out[0], []int{1, 2, 2}, []float64{0.5, -0.75, 0.5, 0.25}, 1e-6, 0)
}

func TestNNNormErrors(t *testing.T) {
	f := func(s ...int) *tensor.Tensor { return tensor.Must(tensor.New(tensor.Float32, s...)) }
	cases := []struct {
		name  string
		op    string
		opset int64
		nOut  int
		in    []*tensor.Tensor
		attrs []*ir.Attribute
	}{
		{"bn scale size", "BatchNormalization", 15, 1, []*tensor.Tensor{f(2, 3, 4), f(2), f(3), f(3), f(3)}, nil},
		{"bn var rank", "BatchNormalization", 15, 1, []*tensor.Tensor{f(2, 3, 4), f(3), f(3), f(3), f(3, 1)}, nil},
		{"bn scalar", "BatchNormalization", 15, 1, []*tensor.Tensor{tensor.Scalar(float32(1)), f(1), f(1), f(1), f(1)}, nil},
		{"bn stats without training", "BatchNormalization", 15, 3, []*tensor.Tensor{f(2, 3), f(3), f(3), f(3), f(3)}, nil},
		{"bn training outputs before 14", "BatchNormalization", 9, 5, []*tensor.Tensor{f(2, 3), f(3), f(3), f(3), f(3)}, nil},
		{"bn int", "BatchNormalization", 15, 1, []*tensor.Tensor{tensor.Must(tensor.New(tensor.Int32, 2, 3)), f(3), f(3), f(3), f(3)}, nil},
		{"bn spatial=0 params", "BatchNormalization", 7, 1, []*tensor.Tensor{f(2, 3, 2), f(3), f(3), f(3), f(3)}, []*ir.Attribute{attrInt("spatial", 0)}},
		{"in scale size", "InstanceNormalization", 6, 1, []*tensor.Tensor{f(2, 3, 4), f(4), f(3)}, nil},
		{"in rank 1", "InstanceNormalization", 6, 1, []*tensor.Tensor{f(3), f(3), f(3)}, nil},
		{"lrn size 0", "LRN", 13, 1, []*tensor.Tensor{f(1, 3, 2, 2)}, []*ir.Attribute{attrInt("size", 0)}},
		{"lrn no size", "LRN", 13, 1, []*tensor.Tensor{f(1, 3, 2, 2)}, nil},
		{"lpnorm p 3", "LpNormalization", 22, 1, []*tensor.Tensor{f(2, 3)}, []*ir.Attribute{attrInt("p", 3)}},
		{"lpnorm axis", "LpNormalization", 22, 1, []*tensor.Tensor{f(2, 3)}, []*ir.Attribute{attrInt("axis", 2)}},
	}
	for _, c := range cases {
		_, err := evalNode("", c.op, c.opset, c.nOut, c.in, c.attrs...)
		t.Logf("%s: %v", c.name, err)
		if err == nil {
			t.Errorf("%s: no error", c.name)
		} else if !errors.Is(err, ops.ErrInvalidNode) && !errors.Is(err, ops.ErrShapeMismatch) && !errors.Is(err, ops.ErrUnsupportedOp) {
			t.Errorf("%s: unexpected error kind: %v", c.name, err)
		}
	}
}
