package generic

// Helpers shared by the NN kernels (conv.go, pool.go, norm.go, gemm.go):
// output allocation and the float16/bfloat16 path through float32.

import (
	"fmt"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// nnFloat is the set of float types the NN kernels compute in.
type nnFloat interface{ float32 | float64 }

// nnOut returns out[i] if it already is a tensor of the given type and
// shape, and otherwise allocates one and stores it in out[i].
func nnOut(out []*tensor.Tensor, i int, dt tensor.DType, shape []int) (*tensor.Tensor, error) {
	if t := out[i]; t != nil && t.DType() == dt && tensor.SameShape(t.Shape(), shape) {
		return t, nil
	}
	t, err := tensor.New(dt, shape...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ops.ErrShapeMismatch, err)
	}
	out[i] = t
	return t, nil
}

// nnIsHalf reports whether dt is computed through float32.
func nnIsHalf(dt tensor.DType) bool { return dt == tensor.Float16 || dt == tensor.BFloat16 }

// nnToF32 returns a float32 copy of a float16 or bfloat16 tensor.
func nnToF32(t *tensor.Tensor) *tensor.Tensor {
	r := tensor.Must(tensor.New(tensor.Float32, t.Shape()...))
	d := tensor.Data[float32](r)
	switch t.DType() {
	case tensor.Float16:
		for i, v := range tensor.Data[tensor.F16](t) {
			d[i] = v.Float32()
		}
	case tensor.BFloat16:
		for i, v := range tensor.Data[tensor.BF16](t) {
			d[i] = v.Float32()
		}
	}
	return r
}

// nnFromF32 rounds src's float32 elements into dst, a float16 or bfloat16
// tensor with as many elements.
func nnFromF32(dst, src *tensor.Tensor) {
	s := tensor.Data[float32](src)
	switch dst.DType() {
	case tensor.Float16:
		d := tensor.Data[tensor.F16](dst)
		for i, v := range s {
			d[i] = tensor.NewF16(v)
		}
	case tensor.BFloat16:
		d := tensor.Data[tensor.BF16](dst)
		for i, v := range s {
			d[i] = tensor.NewBF16(v)
		}
	}
}

// nnViaF32 runs a float32 kernel on float16 or bfloat16 data: the listed
// half-precision inputs are widened to float32, the kernel computes the
// listed outputs in float32 (into fresh slots), and they are rounded into
// out with the dtypes in outTypes. Other outputs go straight to out.
// nnOverwriting marks a kernel that writes every element of each output
// it is given (an ops.Overwriter), so that the runtime does not zero the
// reused memory first: a pass over the outputs saved per Run.
type nnOverwriting struct{ ops.Kernel }

// Overwrites implements ops.Overwriter.
func (nnOverwriting) Overwrites() bool { return true }

// nnOverwrites wraps k, unless nil, as an nnOverwriting.
func nnOverwrites(k ops.Kernel) ops.Kernel {
	if k == nil {
		return nil
	}
	return nnOverwriting{k}
}

func nnViaF32(k ops.Kernel, convOut []int, outTypes []tensor.DType) ops.Kernel {
	return ops.KernelFunc(func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		fin := make([]*tensor.Tensor, len(in))
		for i, t := range in {
			fin[i] = t
			if t != nil && nnIsHalf(t.DType()) {
				fin[i] = nnToF32(t)
			}
		}
		fout := append([]*tensor.Tensor(nil), out...)
		half := make([]bool, len(out))
		for _, i := range convOut {
			if i < len(out) && i < len(outTypes) && nnIsHalf(outTypes[i]) {
				half[i], fout[i] = true, nil
			}
		}
		if err := k.Run(ec, fin, fout); err != nil {
			return err
		}
		for i := range out {
			if !half[i] {
				out[i] = fout[i]
				continue
			}
			if fout[i] == nil {
				continue
			}
			t, err := nnOut(out, i, outTypes[i], fout[i].Shape())
			if err != nil {
				return err
			}
			nnFromF32(t, fout[i])
		}
		return nil
	})
}

// nnOutTypes returns the inferred dtypes of n's outputs.
func nnOutTypes(n *ops.Node) []tensor.DType {
	dts := make([]tensor.DType, len(n.Out))
	for i, o := range n.Out {
		dts[i] = o.DType
	}
	return dts
}

// nnNumel returns the product of dims (the caller has checked the shape).
func nnNumel(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}
