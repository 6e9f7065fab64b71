package generic

// Softmax, LogSoftmax and Hardmax. Each normalises independent "rows" of
// the input: before opset 13 the input is coerced to 2-D at axis and a row
// is everything from axis on (flattened); from opset 13 a row is the single
// axis, read with the stride of the axes after it. Both are the same loop
// over [outer][n][inner], with inner = 1 for the old semantics.

import (
	"math"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

type smKind int

const (
	smSoftmax smKind = iota
	smLogSoftmax
	smHardmax
)

func init() {
	register("Softmax", smFactory(smSoftmax))
	register("LogSoftmax", smFactory(smLogSoftmax))
	register("Hardmax", smFactory(smHardmax))
}

// smKernel is one Softmax-family node's kernel.
type smKernel struct {
	kind   smKind
	axis   int64
	legacy bool // opset < 13: coerce to 2-D at axis
	dt     tensor.DType
}

func smFactory(kind smKind) ops.KernelFactory {
	return func(n *ops.Node) (ops.Kernel, error) {
		dt := n.In[0].DType
		switch dt {
		case tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16:
		default:
			return nil, nil
		}
		k := &smKernel{kind: kind, axis: n.AttrInt("axis"), legacy: n.Schema.Since < 13, dt: dt}
		if r := n.In[0].Rank(); r >= 0 {
			if _, err := ops.NormAxis(k.axis, r); err != nil {
				return nil, err
			}
		}
		return k, nil
	}
}

// smLayout returns the [outer][n][inner] view of shape for the node.
func (k *smKernel) layout(shape []int) (outer, n, inner int, err error) {
	ax, err := ops.NormAxis(k.axis, len(shape))
	if err != nil {
		return 0, 0, 0, err
	}
	outer, n, inner = 1, 1, 1
	for i, d := range shape {
		switch {
		case i < ax:
			outer *= d
		case i == ax || k.legacy:
			n *= d
		default:
			inner *= d
		}
	}
	return outer, n, inner, nil
}

// Run normalises in[0].
func (k *smKernel) Run(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	x := in[0]
	outer, n, inner, err := k.layout(x.Shape())
	if err != nil {
		return err
	}
	y, err := redOutput(out, 0, k.dt, x.Shape())
	if err != nil {
		return err
	}
	switch k.dt {
	case tensor.Float32:
		smRows(k.kind, outer, n, inner, tensor.Data[float32](x), tensor.Data[float32](y))
	case tensor.Float64:
		smRows(k.kind, outer, n, inner, tensor.Data[float64](x), tensor.Data[float64](y))
	case tensor.Float16:
		smHalf(k.kind, outer, n, inner, tensor.Data[tensor.F16](x), tensor.Data[tensor.F16](y))
	case tensor.BFloat16:
		smHalf(k.kind, outer, n, inner, tensor.Data[tensor.BF16](x), tensor.Data[tensor.BF16](y))
	}
	return nil
}

func smHalf[H redHalf](kind smKind, outer, n, inner int, x, y []H) {
	yy := make([]float32, len(y))
	smRows(kind, outer, n, inner, redToF32(x), yy)
	redFromF32(y, yy)
}

// smRows normalises every row of x (n elements, stride inner) into y,
// computing in float64: y = exp(x-m) / sum(exp(x-m)), or its log, or the
// one-hot of the first maximum.
func smRows[T float32 | float64](kind smKind, outer, n, inner int, x, y []T) {
	if n == 0 {
		return
	}
	for o := range outer {
		for i := range inner {
			base := o*n*inner + i
			xr, yr := x[base:], y[base:]
			end := (n-1)*inner + 1
			xr, yr = xr[:end:end], yr[:end:end]
			m, at := float64(xr[0]), 0
			for j := inner; j < end; j += inner {
				if v := float64(xr[j]); v > m || (v != v && m == m) {
					m, at = v, j
				}
			}
			switch kind {
			case smHardmax:
				for j := 0; j < end; j += inner {
					yr[j] = 0
				}
				yr[at] = 1
			case smSoftmax:
				var s float64
				for j := 0; j < end; j += inner {
					e := math.Exp(float64(xr[j]) - m)
					yr[j] = T(e)
					s += e
				}
				r := 1 / s
				for j := 0; j < end; j += inner {
					yr[j] = T(float64(yr[j]) * r)
				}
			case smLogSoftmax:
				var s float64
				for j := 0; j < end; j += inner {
					s += math.Exp(float64(xr[j]) - m)
				}
				ls := m + math.Log(s)
				for j := 0; j < end; j += inner {
					yr[j] = T(float64(xr[j]) - ls)
				}
			}
		}
	}
}
