package generic

// ArgMax, ArgMin, CumSum and TopK: ops that scan one axis of an input
// viewed as [outer][n][inner].

import (
	"cmp"
	"slices"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("ArgMax", redArgFactory(true))
	register("ArgMin", redArgFactory(false))
	register("CumSum", redCumSumFactory)
	register("TopK", redTopKFactory)
}

// redAxisLayout views shape as [outer][shape[ax]][inner].
func redAxisLayout(shape []int, ax int) (outer, n, inner int) {
	outer, inner = 1, 1
	for i, d := range shape {
		switch {
		case i < ax:
			outer *= d
		case i > ax:
			inner *= d
		}
	}
	return outer, shape[ax], inner
}

// redWithNumeric calls f with a numeric view of t's data: the data itself
// for Numeric types, a float32 copy for 16-bit floats. It reports false,
// without calling f, for other types.
func redWithNumeric(t *tensor.Tensor, f func(any)) bool {
	switch d := t.Raw().(type) {
	case []tensor.F16:
		f(redToF32(d))
	case []tensor.BF16:
		f(redToF32(d))
	case []float32, []float64, []int8, []int16, []int32, []int64, []uint8, []uint16, []uint32, []uint64:
		f(d)
	default:
		return false
	}
	return true
}

// redArgKernel is an ArgMax or ArgMin node's kernel.
type redArgKernel struct {
	isMax, keep, last bool
	axis              int64
}

func redArgFactory(isMax bool) ops.KernelFactory {
	return func(n *ops.Node) (ops.Kernel, error) {
		if !n.In[0].DType.IsFloat() && !n.In[0].DType.IsInt() {
			return nil, nil
		}
		k := &redArgKernel{isMax: isMax, keep: n.AttrInt("keepdims") != 0,
			last: n.AttrInt("select_last_index") != 0, axis: n.AttrInt("axis")}
		if r := n.In[0].Rank(); r >= 0 {
			if _, err := ops.NormAxis(k.axis, r); err != nil {
				return nil, err
			}
		}
		return k, nil
	}
}

// Run writes the int64 index of each extreme element along the axis.
func (k *redArgKernel) Run(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	x := in[0]
	ax, err := ops.NormAxis(k.axis, x.Rank())
	if err != nil {
		return err
	}
	outer, n, inner := redAxisLayout(x.Shape(), ax)
	if n == 0 {
		return ops.Errorf("%s over axis %d of size 0", map[bool]string{true: "ArgMax", false: "ArgMin"}[k.isMax], ax)
	}
	mask := make([]bool, x.Rank())
	mask[ax] = true
	y, err := redOutput(out, 0, tensor.Int64, ops.ReduceShape(x.Shape(), mask, k.keep))
	if err != nil {
		return err
	}
	ys := tensor.Data[int64](y)
	redWithNumeric(x, func(d any) {
		switch d := d.(type) {
		case []float32:
			redArg(k, outer, n, inner, d, ys)
		case []float64:
			redArg(k, outer, n, inner, d, ys)
		case []int8:
			redArg(k, outer, n, inner, d, ys)
		case []int16:
			redArg(k, outer, n, inner, d, ys)
		case []int32:
			redArg(k, outer, n, inner, d, ys)
		case []int64:
			redArg(k, outer, n, inner, d, ys)
		case []uint8:
			redArg(k, outer, n, inner, d, ys)
		case []uint16:
			redArg(k, outer, n, inner, d, ys)
		case []uint32:
			redArg(k, outer, n, inner, d, ys)
		case []uint64:
			redArg(k, outer, n, inner, d, ys)
		}
	})
	return nil
}

// redArg finds, for every (outer, inner), the first (or last) index of the
// maximum (or minimum) along n. A NaN counts as the extreme, as in numpy.
func redArg[T tensor.Numeric](k *redArgKernel, outer, n, inner int, x []T, y []int64) {
	for o := range outer {
		for i := range inner {
			base := o*n*inner + i
			best, at := x[base], 0
			for j := 1; j < n; j++ {
				v := x[base+j*inner]
				if best != best { // a NaN already won
					break
				}
				better := v != v
				switch {
				case better:
				case k.isMax:
					better = v > best || (k.last && v == best)
				default:
					better = v < best || (k.last && v == best)
				}
				if better {
					best, at = v, j
				}
			}
			y[o*inner+i] = int64(at)
		}
	}
}

// redCumSumKernel is a CumSum node's kernel.
type redCumSumKernel struct {
	exclusive, reverse bool
	dt                 tensor.DType
}

func redCumSumFactory(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	if !dt.IsFloat() && !dt.IsInt() {
		return nil, nil
	}
	return &redCumSumKernel{exclusive: n.AttrInt("exclusive") != 0, reverse: n.AttrInt("reverse") != 0, dt: dt}, nil
}

// Run writes the running sums of in[0] along the axis given by in[1].
func (k *redCumSumKernel) Run(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	x := in[0]
	ax, err := ops.CumSumAxis(in[1], x.Rank())
	if err != nil {
		return err
	}
	y, err := redOutput(out, 0, k.dt, x.Shape())
	if err != nil {
		return err
	}
	outer, n, inner := redAxisLayout(x.Shape(), ax)
	switch d := x.Raw().(type) {
	case []float32:
		redCumSum(k, outer, n, inner, d, tensor.Data[float32](y))
	case []float64:
		redCumSum(k, outer, n, inner, d, tensor.Data[float64](y))
	case []int8:
		redCumSum(k, outer, n, inner, d, tensor.Data[int8](y))
	case []int16:
		redCumSum(k, outer, n, inner, d, tensor.Data[int16](y))
	case []int32:
		redCumSum(k, outer, n, inner, d, tensor.Data[int32](y))
	case []int64:
		redCumSum(k, outer, n, inner, d, tensor.Data[int64](y))
	case []uint8:
		redCumSum(k, outer, n, inner, d, tensor.Data[uint8](y))
	case []uint16:
		redCumSum(k, outer, n, inner, d, tensor.Data[uint16](y))
	case []uint32:
		redCumSum(k, outer, n, inner, d, tensor.Data[uint32](y))
	case []uint64:
		redCumSum(k, outer, n, inner, d, tensor.Data[uint64](y))
	case []tensor.F16:
		yy := make([]float32, len(d))
		redCumSum(k, outer, n, inner, redToF32(d), yy)
		redFromF32(tensor.Data[tensor.F16](y), yy)
	case []tensor.BF16:
		yy := make([]float32, len(d))
		redCumSum(k, outer, n, inner, redToF32(d), yy)
		redFromF32(tensor.Data[tensor.BF16](y), yy)
	}
	return nil
}

// redCumSum accumulates along n with stride inner, in T.
func redCumSum[T tensor.Numeric](k *redCumSumKernel, outer, n, inner int, x, y []T) {
	for o := range outer {
		for i := range inner {
			base := o*n*inner + i
			var acc T
			for jj := range n {
				j := jj
				if k.reverse {
					j = n - 1 - jj
				}
				p := base + j*inner
				if k.exclusive {
					y[p] = acc
					acc += x[p]
				} else {
					acc += x[p]
					y[p] = acc
				}
			}
		}
	}
}

// redTopKKernel is a TopK node's kernel.
type redTopKKernel struct {
	axis         int64
	largest      bool
	kFromAttribs bool  // before opset 10, k is an attribute...
	kAttr        int64 // ...with this value
	dt           tensor.DType
}

func redTopKFactory(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	if !dt.IsFloat() && !dt.IsInt() {
		return nil, nil
	}
	k := &redTopKKernel{axis: n.AttrInt("axis"), largest: true, dt: dt}
	if n.Schema.Attr("largest") != nil {
		k.largest = n.AttrInt("largest") != 0
	}
	if n.Schema.Attr("k") != nil {
		k.kFromAttribs, k.kAttr = true, n.AttrInt("k")
	}
	if r := n.In[0].Rank(); r >= 0 {
		if _, err := ops.NormAxis(k.axis, r); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// Run writes the k largest (or smallest) elements along the axis, sorted,
// ties broken by the lower index, and their int64 indices.
func (k *redTopKKernel) Run(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	x := in[0]
	ax, err := ops.NormAxis(k.axis, x.Rank())
	if err != nil {
		return err
	}
	kk := k.kAttr
	if !k.kFromAttribs {
		v, err := in[1].Int64s()
		if err != nil || len(v) != 1 || in[1].Rank() > 1 {
			return ops.Errorf("TopK k must be a one-element int64 tensor, got %v", in[1])
		}
		kk = v[0]
	}
	outer, n, inner := redAxisLayout(x.Shape(), ax)
	if kk < 0 || kk > int64(n) {
		return ops.Errorf("TopK k = %d out of range for axis %d of size %d", kk, ax, n)
	}
	shape := append([]int(nil), x.Shape()...)
	shape[ax] = int(kk)
	vals, err := redOutput(out, 0, k.dt, shape)
	if err != nil {
		return err
	}
	idx, err := redOutput(out, 1, tensor.Int64, shape)
	if err != nil {
		return err
	}
	is := tensor.Data[int64](idx)
	switch d := x.Raw().(type) {
	case []float32:
		redTopK(k.largest, outer, n, inner, int(kk), d, tensor.Data[float32](vals), is)
	case []float64:
		redTopK(k.largest, outer, n, inner, int(kk), d, tensor.Data[float64](vals), is)
	case []int8:
		redTopK(k.largest, outer, n, inner, int(kk), d, tensor.Data[int8](vals), is)
	case []int16:
		redTopK(k.largest, outer, n, inner, int(kk), d, tensor.Data[int16](vals), is)
	case []int32:
		redTopK(k.largest, outer, n, inner, int(kk), d, tensor.Data[int32](vals), is)
	case []int64:
		redTopK(k.largest, outer, n, inner, int(kk), d, tensor.Data[int64](vals), is)
	case []uint8:
		redTopK(k.largest, outer, n, inner, int(kk), d, tensor.Data[uint8](vals), is)
	case []uint16:
		redTopK(k.largest, outer, n, inner, int(kk), d, tensor.Data[uint16](vals), is)
	case []uint32:
		redTopK(k.largest, outer, n, inner, int(kk), d, tensor.Data[uint32](vals), is)
	case []uint64:
		redTopK(k.largest, outer, n, inner, int(kk), d, tensor.Data[uint64](vals), is)
	case []tensor.F16:
		redTopKHalf(k.largest, outer, n, inner, int(kk), d, tensor.Data[tensor.F16](vals), is)
	case []tensor.BF16:
		redTopKHalf(k.largest, outer, n, inner, int(kk), d, tensor.Data[tensor.BF16](vals), is)
	}
	return nil
}

func redTopKHalf[H redHalf](largest bool, outer, n, inner, k int, x, vals []H, idx []int64) {
	vv := make([]float32, len(vals))
	redTopK(largest, outer, n, inner, k, redToF32(x), vv, idx)
	// The selected values are copied back bit for bit through the indices.
	for o := range outer {
		for j := range k {
			for i := range inner {
				p := (o*k+j)*inner + i
				vals[p] = x[(o*n+int(idx[p]))*inner+i]
			}
		}
	}
}

// redTopK selects along n for every (outer, inner). NaN sorts above every
// number (first for largest, last for smallest).
func redTopK[T tensor.Numeric](largest bool, outer, n, inner, k int, x, vals []T, idx []int64) {
	if k == 0 {
		return
	}
	order := make([]int, n)
	// compare orders two values: negative when a comes first.
	compare := func(a, b T) int {
		an, bn := a != a, b != b
		switch {
		case an || bn:
			if an == bn {
				return 0
			}
			if an == largest {
				return -1
			}
			return 1
		case largest:
			return cmp.Compare(b, a)
		}
		return cmp.Compare(a, b)
	}
	for o := range outer {
		for i := range inner {
			base := o*n*inner + i
			for j := range order {
				order[j] = j
			}
			slices.SortStableFunc(order, func(a, b int) int {
				return compare(x[base+a*inner], x[base+b*inner])
			})
			for j := range k {
				p := (o*k+j)*inner + i
				vals[p] = x[base+order[j]*inner]
				idx[p] = int64(order[j])
			}
		}
	}
}
