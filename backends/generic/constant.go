package generic

// Kernels of the ops that make new tensors: Constant, ConstantOfShape,
// Range and EyeLike. (The runtime usually folds them at compile time; these
// kernels run when it cannot, and in ops.Eval.)

import (
	"fmt"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("Constant", shpNewConstant)
	register("ConstantOfShape", shpNewConstantOfShape)
	register("Range", shpNewRange)
	register("EyeLike", shpNewEyeLike)
}

func shpNewConstant(n *ops.Node) (ops.Kernel, error) {
	v, err := ops.ConstantValue(n)
	if err != nil {
		return nil, err
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, _, out []*tensor.Tensor) error {
		y, err := shpOut(out, 0, v.DType(), v.Shape())
		if err != nil {
			return err
		}
		return y.CopyFrom(v)
	}), nil
}

func shpNewConstantOfShape(n *ops.Node) (ops.Kernel, error) {
	v, err := ops.ConstantOfShapeValue(n)
	if err != nil {
		return nil, err
	}
	el := shpElemsOf(v.DType())
	if el == nil {
		return nil, nil
	}
	x := el.at(v.Raw(), 0)
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		shape, err := shpInts(in[0])
		if err != nil {
			return err
		}
		if in[0].Rank() != 1 {
			return fmt.Errorf("%w: constantofshape: input must be 1-D, has shape %v", ops.ErrInvalidNode, in[0].Shape())
		}
		dims := make([]int, len(shape))
		for i, d := range shape {
			if d < 0 || d > tensor.MaxElements {
				return fmt.Errorf("%w: constantofshape: invalid dim %d in %v", ops.ErrInvalidNode, d, shape)
			}
			dims[i] = int(d)
		}
		y, err := shpOut(out, 0, v.DType(), dims)
		if err != nil {
			return err
		}
		el.fill(y.Raw(), 0, y.Len(), x)
		return nil
	}), nil
}

func shpRangeInt[T int16 | int32 | int64](dst []T, start, delta int64) {
	for i := range dst {
		dst[i] = T(start + int64(i)*delta)
	}
}

func shpRangeFloat[T float32 | float64](dst []T, start, delta float64) {
	for i := range dst {
		dst[i] = T(start + float64(i)*delta)
	}
}

func shpNewRange(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	switch dt {
	case tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16, tensor.Int16, tensor.Int32, tensor.Int64:
	default:
		return nil, nil
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		count, err := ops.RangeCount(in[0], in[1], in[2])
		if err != nil {
			return err
		}
		y, err := shpOut(out, 0, dt, []int{count})
		if err != nil {
			return err
		}
		if dt.IsInt() {
			s, _ := in[0].Int64s()
			d, _ := in[2].Int64s()
			switch v := y.Raw().(type) {
			case []int16:
				shpRangeInt(v, s[0], d[0])
			case []int32:
				shpRangeInt(v, s[0], d[0])
			case []int64:
				shpRangeInt(v, s[0], d[0])
			}
			return nil
		}
		s, _ := in[0].Float64s()
		d, _ := in[2].Float64s()
		switch v := y.Raw().(type) {
		case []float32:
			shpRangeFloat(v, s[0], d[0])
		case []float64:
			shpRangeFloat(v, s[0], d[0])
		case []tensor.F16:
			// stash_type 1: computed in float32.
			for i := range v {
				v[i] = tensor.NewF16(float32(s[0]) + float32(i)*float32(d[0]))
			}
		case []tensor.BF16:
			for i := range v {
				v[i] = tensor.NewBF16(float32(s[0]) + float32(i)*float32(d[0]))
			}
		}
		return nil
	}), nil
}

func shpNewEyeLike(n *ops.Node) (ops.Kernel, error) {
	dt, err := ops.EyeLikeType(n)
	if err != nil {
		return nil, err
	}
	el, one := shpElemsOf(dt), shpOne(dt)
	if el == nil || one == nil {
		return nil, nil
	}
	k := n.AttrInt("k")
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		s := in[0].Shape()
		if len(s) != 2 {
			return fmt.Errorf("%w: eyelike: input must be 2-D, has shape %v", ops.ErrInvalidNode, s)
		}
		y, err := shpOut(out, 0, dt, s)
		if err != nil {
			return err
		}
		yd := y.Raw()
		el.fill(yd, 0, y.Len(), el.zero())
		for i := range s[0] {
			j := int64(i) + k
			if j >= 0 && j < int64(s[1]) {
				el.fill(yd, i*s[1]+int(j), 1, one)
			}
		}
		return nil
	}), nil
}
