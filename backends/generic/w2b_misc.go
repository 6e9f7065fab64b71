package generic

// Kernels of Shrink and Det.

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("Shrink", w2bNewShrink)
	register("Det", w2bNewDet)
}

// w2bShrinkFloat is Shrink on float32 or float64 data, computed in T.
func w2bShrinkFloat[T elemFloat](lambd, bias T) func(y, x []T) {
	return func(y, x []T) {
		for i, v := range x {
			switch {
			case v < -lambd:
				y[i] = v + bias
			case v > lambd:
				y[i] = v - bias
			default:
				y[i] = 0
			}
		}
	}
}

// w2bShrinkInt is Shrink on integers: the comparisons and the bias are in
// float64 and the result is converted back as Cast does (toward zero,
// saturating).
func w2bShrinkInt[T elemInteger](lambd, bias float64) func(y, x []T) {
	return func(y, x []T) {
		for i, v := range x {
			f := float64(v)
			switch {
			case f < -lambd:
				y[i] = elemF2Int[T](f + bias)
			case f > lambd:
				y[i] = elemF2Int[T](f - bias)
			default:
				y[i] = 0
			}
		}
	}
}

// w2bShrinkHalf is Shrink on 16-bit float data, computed in float32.
func w2bShrinkHalf[H elemHalf](lambd, bias float32, to func(H) float32, from func(float32) H) func(y, x []H) {
	return func(y, x []H) {
		for i, h := range x {
			switch v := to(h); {
			case v < -lambd:
				y[i] = from(v + bias)
			case v > lambd:
				y[i] = from(v - bias)
			default:
				y[i] = 0
			}
		}
	}
}

// w2bUnary makes a same-shape elementwise kernel from f.
func w2bUnary[T tensor.Elem](dt tensor.DType, f func(y, x []T)) ops.Kernel {
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		y, err := shpOut(out, 0, dt, in[0].Shape())
		if err != nil {
			return err
		}
		f(tensor.Data[T](y), tensor.Data[T](in[0]))
		return nil
	})
}

func w2bNewShrink(n *ops.Node) (ops.Kernel, error) {
	lambd, bias := n.AttrFloat("lambd"), n.AttrFloat("bias")
	l64, b64 := float64(lambd), float64(bias)
	switch dt := n.In[0].DType; dt {
	case tensor.Float32:
		return w2bUnary(dt, w2bShrinkFloat(lambd, bias)), nil
	case tensor.Float64:
		return w2bUnary(dt, w2bShrinkFloat(l64, b64)), nil
	case tensor.Float16:
		return w2bUnary(dt, w2bShrinkHalf(lambd, bias, tensor.F16.Float32, tensor.NewF16)), nil
	case tensor.Int8:
		return w2bUnary(dt, w2bShrinkInt[int8](l64, b64)), nil
	case tensor.Int16:
		return w2bUnary(dt, w2bShrinkInt[int16](l64, b64)), nil
	case tensor.Int32:
		return w2bUnary(dt, w2bShrinkInt[int32](l64, b64)), nil
	case tensor.Int64:
		return w2bUnary(dt, w2bShrinkInt[int64](l64, b64)), nil
	case tensor.Uint8:
		return w2bUnary(dt, w2bShrinkInt[uint8](l64, b64)), nil
	case tensor.Uint16:
		return w2bUnary(dt, w2bShrinkInt[uint16](l64, b64)), nil
	case tensor.Uint32:
		return w2bUnary(dt, w2bShrinkInt[uint32](l64, b64)), nil
	case tensor.Uint64:
		return w2bUnary(dt, w2bShrinkInt[uint64](l64, b64)), nil
	}
	return nil, nil
}

// w2bDet returns the determinant of the m x m row-major matrix a, which it
// overwrites: Gaussian elimination with partial pivoting (the LU
// factorization's diagonal, with the sign of the row swaps).
func w2bDet(a []float64, m int) float64 {
	det := 1.0
	for c := range m {
		p := c
		for r := c + 1; r < m; r++ {
			if math.Abs(a[r*m+c]) > math.Abs(a[p*m+c]) {
				p = r
			}
		}
		piv := a[p*m+c]
		if piv == 0 {
			return 0
		}
		if p != c {
			det = -det
			for k := c; k < m; k++ {
				a[c*m+k], a[p*m+k] = a[p*m+k], a[c*m+k]
			}
		}
		det *= piv
		for r := c + 1; r < m; r++ {
			f := a[r*m+c] / piv
			if f == 0 {
				continue
			}
			for k := c + 1; k < m; k++ {
				a[r*m+k] -= f * a[c*m+k]
			}
		}
	}
	return det
}

func w2bNewDet(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	if !dt.IsFloat() {
		return nil, nil
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		r := len(xs)
		if r < 2 || xs[r-1] != xs[r-2] {
			return fmt.Errorf("%w: Det of a tensor of shape %v, want [..., M, M]", ops.ErrShapeMismatch, xs)
		}
		y, err := shpOut(out, 0, dt, xs[:r-2])
		if err != nil {
			return err
		}
		m := xs[r-1]
		vals, err := x.Float64s()
		if err != nil {
			return err
		}
		dets := make([]float64, y.Len())
		for b := range dets {
			dets[b] = w2bDet(vals[b*m*m:(b+1)*m*m], m)
		}
		nnStoreFloat64s(y, dets)
		return nil
	}), nil
}
