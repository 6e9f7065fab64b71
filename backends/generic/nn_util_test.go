package generic

import (
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// Helpers for the NN kernel tests.

func nnAInts(name string, v ...int) *ir.Attribute {
	a := &ir.Attribute{Name: name, Type: ir.AttrInts}
	for _, x := range v {
		a.Ints = append(a.Ints, int64(x))
	}
	return a
}

// nnNode builds a node with inputs i0, i1, ... (nil entries of present
// become "") and nOut outputs.
func nnNode(op string, present []bool, nOut int, attrs ...*ir.Attribute) *ir.Node {
	n := &ir.Node{OpType: op, Attrs: attrs}
	for i, p := range present {
		name := ""
		if p {
			name = "i" + nnItoa(i)
		}
		n.Inputs = append(n.Inputs, name)
	}
	for i := range nOut {
		n.Outputs = append(n.Outputs, "o"+nnItoa(i))
	}
	return n
}

func nnF32(shape []int, vals ...float32) *tensor.Tensor {
	return tensor.Must(tensor.FromSlice(vals, shape...))
}

func nnF64T(shape []int, vals []float64) *tensor.Tensor {
	return tensor.Must(tensor.FromSlice(vals, shape...))
}

// nnRandT returns a float32 tensor of normal random values.
func nnRandT(r *rand.Rand, shape ...int) *tensor.Tensor {
	return tensor.Must(tensor.FromSlice(nnRandF32(r, nnNumel(shape)), shape...))
}

// nnAsType converts a float32 tensor to dt (float64, float16, bfloat16).
func nnAsType(x *tensor.Tensor, dt tensor.DType) *tensor.Tensor {
	src := tensor.Data[float32](x)
	y := tensor.Must(tensor.New(dt, x.Shape()...))
	switch dt {
	case tensor.Float32:
		copy(tensor.Data[float32](y), src)
	case tensor.Float64:
		d := tensor.Data[float64](y)
		for i, v := range src {
			d[i] = float64(v)
		}
	case tensor.Float16:
		d := tensor.Data[tensor.F16](y)
		for i, v := range src {
			d[i] = tensor.NewF16(v)
		}
	case tensor.BFloat16:
		d := tensor.Data[tensor.BF16](y)
		for i, v := range src {
			d[i] = tensor.NewBF16(v)
		}
	}
	return y
}

// nnF64s returns x's elements as float64s.
func nnF64s(x *tensor.Tensor) []float64 {
	v, err := x.Float64s()
	if err != nil {
		panic(err)
	}
	return v
}

// nnUnravel returns the multi-index of flat index i in shape.
func nnUnravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = i % shape[d]
		i /= shape[d]
	}
	return idx
}

// nnRavel returns the flat index of idx in shape.
func nnRavel(idx, shape []int) int {
	f := 0
	for d := range shape {
		f = f*shape[d] + idx[d]
	}
	return f
}

// nnSamePads computes SAME_UPPER / SAME_LOWER pads straight from the spec:
// output = ceil(in / stride), total = max(0, (out-1)*stride + extent - in),
// the odd unit at the end for SAME_UPPER and at the beginning for SAME_LOWER.
func nnSamePads(in, extent, stride int, upper bool) (out, begin, end int) {
	out = (in + stride - 1) / stride
	total := max(0, (out-1)*stride+extent-in)
	small, big := total/2, total-total/2
	if upper {
		return out, small, big
	}
	return out, big, small
}

// nnWant wraps a float64 result as a tensor of shape.
func nnWant(shape []int, v []float64) *tensor.Tensor { return nnF64T(shape, v) }

// nnCheckF64 compares got (any float dtype) with float64 expectations.
func nnCheckF64(t *testing.T, what string, got *tensor.Tensor, shape []int, want []float64, rtol, atol float64) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no result", what)
	}
	g := tensor.Must(tensor.FromSlice(nnF64s(got), got.Shape()...))
	nnCheckClose(t, what, g, nnWant(shape, want), rtol, atol)
}
