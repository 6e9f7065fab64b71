package generic

// Kernels of the indexing ops: Gather, GatherElements, GatherND,
// ScatterElements (and the deprecated Scatter), ScatterND and OneHot.
// Indices are read and bounds-checked before anything is written, so an
// out-of-range index is an error and never a stray read or write.

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("Gather", shpNewGather)
	register("GatherElements", shpNewGatherElements)
	register("GatherND", shpNewGatherND)
	register("Scatter", shpNewScatterElements)
	register("ScatterElements", shpNewScatterElements)
	register("ScatterND", shpNewScatterND)
	register("OneHot", shpNewOneHot)
}

// shpNormIndex maps v (negative counts from the end) into [0, d).
func shpNormIndex(v int64, d int) (int, error) {
	w := v
	if w < 0 {
		w += int64(d)
	}
	if w < 0 || w >= int64(d) {
		return 0, fmt.Errorf("%w: index %d out of range for a dim of size %d", ops.ErrInvalidNode, v, d)
	}
	return int(w), nil
}

func shpNormIndices[I int32 | int64](src []I, d int, dst []int) error {
	for i, v := range src {
		j, err := shpNormIndex(int64(v), d)
		if err != nil {
			return err
		}
		dst[i] = j
	}
	return nil
}

// shpIndexList reads an int32 or int64 tensor of indices into a dim of size
// d, normalized and checked.
func shpIndexList(t *tensor.Tensor, d int) ([]int, error) {
	out := make([]int, t.Len())
	var err error
	switch v := t.Raw().(type) {
	case []int64:
		err = shpNormIndices(v, d, out)
	case []int32:
		err = shpNormIndices(v, d, out)
	default:
		return nil, fmt.Errorf("%w: indices are %v, want int32 or int64", ops.ErrInvalidNode, t.DType())
	}
	return out, err
}

func shpNewGather(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil
	}
	axisAttr := n.AttrInt("axis")
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x, idx := in[0], in[1]
		xs := x.Shape()
		if len(xs) == 0 {
			return fmt.Errorf("%w: gather: data must have rank 1 or more", ops.ErrInvalidNode)
		}
		axis, err := ops.NormAxis(axisAttr, len(xs))
		if err != nil {
			return err
		}
		d := xs[axis]
		offs, err := shpIndexList(idx, d)
		if err != nil {
			return fmt.Errorf("gather: %w", err)
		}
		dims := make([]int, 0, len(xs)-1+idx.Rank())
		dims = append(append(append(dims, xs[:axis]...), idx.Shape()...), xs[axis+1:]...)
		y, err := shpOut(out, 0, dt, dims)
		if err != nil {
			return err
		}
		outer, inner := shpProd(xs[:axis]), shpProd(xs[axis+1:])
		if inner == 0 || len(offs) == 0 {
			return nil
		}
		for j := range offs {
			offs[j] *= inner
		}
		for o := range outer {
			el.gather(y.Raw(), x.Raw(), o*len(offs)*inner, o*d*inner, offs, inner, nil)
		}
		return nil
	}), nil
}

// shpElementOffsets turns idx (indices along axis, one per element of an
// index tensor of shape is, already normalized) into offsets into a tensor
// with strides st: the other coordinates come from each element's position.
func shpElementOffsets(idx []int, is, st []int, axis int) {
	r := len(is)
	c := make([]int, r)
	base := 0
	for e := range idx {
		idx[e] = base + idx[e]*st[axis]
		for k := r - 1; k >= 0; k-- {
			c[k]++
			if k != axis {
				base += st[k]
			}
			if c[k] < is[k] {
				break
			}
			if k != axis {
				base -= st[k] * is[k]
			}
			c[k] = 0
		}
	}
}

// shpCheckElementShapes checks GatherElements/ScatterElements shapes: the
// same rank, and indices no larger than data off the axis.
func shpCheckElementShapes(op string, xs, is []int, axis int) error {
	if len(is) != len(xs) {
		return fmt.Errorf("%w: %s: data %v and indices %v differ in rank", ops.ErrShapeMismatch, op, xs, is)
	}
	for k := range xs {
		if k != axis && is[k] > xs[k] {
			return fmt.Errorf("%w: %s: indices %v exceed data %v on axis %d", ops.ErrShapeMismatch, op, is, xs, k)
		}
	}
	return nil
}

func shpNewGatherElements(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil
	}
	axisAttr := n.AttrInt("axis")
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x, idx := in[0], in[1]
		xs, is := x.Shape(), idx.Shape()
		if len(xs) == 0 {
			return fmt.Errorf("%w: gatherelements: data must have rank 1 or more", ops.ErrInvalidNode)
		}
		axis, err := ops.NormAxis(axisAttr, len(xs))
		if err != nil {
			return err
		}
		if err := shpCheckElementShapes("gatherelements", xs, is, axis); err != nil {
			return err
		}
		offs, err := shpIndexList(idx, xs[axis])
		if err != nil {
			return fmt.Errorf("gatherelements: %w", err)
		}
		y, err := shpOut(out, 0, dt, is)
		if err != nil {
			return err
		}
		shpElementOffsets(offs, is, tensor.Strides(xs), axis)
		el.gather(y.Raw(), x.Raw(), 0, 0, offs, 1, nil)
		return nil
	}), nil
}

// shpTupleOffsets reads the index tuples of GatherND/ScatterND: idx has
// shape is whose last dim k is the tuple length; tuple t of batch
// t/perBatch indexes dims xs[b:b+k] of data with strides st. It returns each
// tuple's element offset into data.
func shpTupleOffsets(op string, idx *tensor.Tensor, xs, st []int, b int) ([]int, error) {
	is := idx.Shape()
	k := is[len(is)-1]
	raw, err := idx.Int64s()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ops.ErrInvalidNode, op, err)
	}
	tuples := 0
	if k > 0 {
		tuples = len(raw) / k
	} else {
		tuples = shpProd(is[:len(is)-1])
	}
	perBatch := max(shpProd(is[b:len(is)-1]), 1)
	batchStride := 1
	if b > 0 {
		batchStride = st[b-1]
	}
	offs := make([]int, tuples)
	for t := range offs {
		off := (t / perBatch) * batchStride
		for j := range k {
			v, err := shpNormIndex(raw[t*k+j], xs[b+j])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", op, err)
			}
			off += v * st[b+j]
		}
		offs[t] = off
	}
	return offs, nil
}

func shpNewGatherND(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil
	}
	b := int(n.AttrInt("batch_dims"))
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x, idx := in[0], in[1]
		xs, is := x.Shape(), idx.Shape()
		if b < 0 || b >= len(xs) || b >= len(is) {
			return fmt.Errorf("%w: gathernd: batch_dims %d for data %v and indices %v", ops.ErrInvalidNode, b, xs, is)
		}
		k := is[len(is)-1]
		if k > len(xs)-b {
			return fmt.Errorf("%w: gathernd: index tuples of %d for data %v with %d batch dims", ops.ErrInvalidNode, k, xs, b)
		}
		if !tensor.SameShape(xs[:b], is[:b]) {
			return fmt.Errorf("%w: gathernd: batch dims of data %v and indices %v differ", ops.ErrShapeMismatch, xs, is)
		}
		offs, err := shpTupleOffsets("gathernd", idx, xs, tensor.Strides(xs), b)
		if err != nil {
			return err
		}
		dims := append(append([]int(nil), is[:len(is)-1]...), xs[b+k:]...)
		y, err := shpOut(out, 0, dt, dims)
		if err != nil {
			return err
		}
		el.gather(y.Raw(), x.Raw(), 0, 0, offs, shpProd(xs[b+k:]), nil)
		return nil
	}), nil
}

// shpReducer applies updates with a reduction: for each j,
// d[offs[j]+i] = f(d[offs[j]+i], s[j·n+i]) for i < n.
type shpReducer func(d, s any, offs []int, n int)

func shpReduceWith[T any](f func(a, b T) T) shpReducer {
	return func(d, s any, offs []int, n int) {
		dst, src := d.([]T), s.([]T)
		for j, o := range offs {
			blk, upd := dst[o:o+n], src[j*n:(j+1)*n]
			for i, u := range upd {
				blk[i] = f(blk[i], u)
			}
		}
	}
}

func shpReduceNum[T tensor.Numeric](op string) shpReducer {
	switch op {
	case "add":
		return shpReduceWith(func(a, b T) T { return a + b })
	case "mul":
		return shpReduceWith(func(a, b T) T { return a * b })
	case "max":
		return shpReduceWith(func(a, b T) T { return max(a, b) })
	case "min":
		return shpReduceWith(func(a, b T) T { return min(a, b) })
	}
	return nil
}

// shpReduceHalf reduces F16 or BF16 elements through float32.
func shpReduceHalf[H tensor.F16 | tensor.BF16](op string, to func(H) float32, from func(float32) H) shpReducer {
	var f func(a, b float32) float32
	switch op {
	case "add":
		f = func(a, b float32) float32 { return a + b }
	case "mul":
		f = func(a, b float32) float32 { return a * b }
	case "max":
		f = func(a, b float32) float32 { return max(a, b) }
	case "min":
		f = func(a, b float32) float32 { return min(a, b) }
	default:
		return nil
	}
	return shpReduceWith(func(a, b H) H { return from(f(to(a), to(b))) })
}

// shpReducerOf returns the reduction op ("add", "mul", "max", "min") for
// dt, or nil if dt is not numeric.
func shpReducerOf(dt tensor.DType, op string) shpReducer {
	switch dt {
	case tensor.Float32:
		return shpReduceNum[float32](op)
	case tensor.Float64:
		return shpReduceNum[float64](op)
	case tensor.Int8:
		return shpReduceNum[int8](op)
	case tensor.Int16:
		return shpReduceNum[int16](op)
	case tensor.Int32:
		return shpReduceNum[int32](op)
	case tensor.Int64:
		return shpReduceNum[int64](op)
	case tensor.Uint8:
		return shpReduceNum[uint8](op)
	case tensor.Uint16:
		return shpReduceNum[uint16](op)
	case tensor.Uint32:
		return shpReduceNum[uint32](op)
	case tensor.Uint64:
		return shpReduceNum[uint64](op)
	case tensor.Float16:
		return shpReduceHalf(op, tensor.F16.Float32, tensor.NewF16)
	case tensor.BFloat16:
		return shpReduceHalf(op, tensor.BF16.Float32, tensor.NewBF16)
	}
	return nil
}

// shpScatterSetup picks the element mover and reducer of a scatter node;
// ok is false for dtypes onyx does not store.
func shpScatterSetup(n *ops.Node) (shpElems, shpReducer, bool, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil, false, nil
	}
	red, err := ops.ScatterReduction(n)
	if err != nil {
		return nil, nil, false, err
	}
	if red == "none" {
		return el, nil, true, nil
	}
	r := shpReducerOf(dt, red)
	if r == nil {
		return nil, nil, false, fmt.Errorf("%w: %s: reduction %s is not defined for %v", ops.ErrInvalidNode, n.OpType, red, dt)
	}
	return el, r, true, nil
}

func shpNewScatterElements(n *ops.Node) (ops.Kernel, error) {
	el, red, ok, err := shpScatterSetup(n)
	if !ok || err != nil {
		return nil, err
	}
	dt := n.In[0].DType
	axisAttr := n.AttrInt("axis")
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x, idx, upd := in[0], in[1], in[2]
		xs, is := x.Shape(), idx.Shape()
		if len(xs) == 0 {
			return fmt.Errorf("%w: scatterelements: data must have rank 1 or more", ops.ErrInvalidNode)
		}
		axis, err := ops.NormAxis(axisAttr, len(xs))
		if err != nil {
			return err
		}
		if err := shpCheckElementShapes("scatterelements", xs, is, axis); err != nil {
			return err
		}
		if upd.DType() != dt || !tensor.SameShape(is, upd.Shape()) {
			return fmt.Errorf("%w: scatterelements: updates %v for indices %v", ops.ErrShapeMismatch, upd, is)
		}
		offs, err := shpIndexList(idx, xs[axis])
		if err != nil {
			return fmt.Errorf("scatterelements: %w", err)
		}
		y, err := shpOut(out, 0, dt, xs)
		if err != nil {
			return err
		}
		el.copyN(y.Raw(), x.Raw(), 0, 0, x.Len())
		shpElementOffsets(offs, is, tensor.Strides(xs), axis)
		if red == nil {
			el.scatter(y.Raw(), upd.Raw(), 0, offs, 1)
		} else {
			red(y.Raw(), upd.Raw(), offs, 1)
		}
		return nil
	}), nil
}

func shpNewScatterND(n *ops.Node) (ops.Kernel, error) {
	el, red, ok, err := shpScatterSetup(n)
	if !ok || err != nil {
		return nil, err
	}
	dt := n.In[0].DType
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x, idx, upd := in[0], in[1], in[2]
		xs, is := x.Shape(), idx.Shape()
		if len(xs) == 0 || len(is) == 0 {
			return fmt.Errorf("%w: scatternd: data %v and indices %v must have rank 1 or more", ops.ErrInvalidNode, xs, is)
		}
		k := is[len(is)-1]
		if k > len(xs) {
			return fmt.Errorf("%w: scatternd: index tuples of %d for data %v", ops.ErrInvalidNode, k, xs)
		}
		want := append(append([]int(nil), is[:len(is)-1]...), xs[k:]...)
		if upd.DType() != dt || !tensor.SameShape(want, upd.Shape()) {
			return fmt.Errorf("%w: scatternd: updates %v, want shape %v", ops.ErrShapeMismatch, upd, want)
		}
		offs, err := shpTupleOffsets("scatternd", idx, xs, tensor.Strides(xs), 0)
		if err != nil {
			return err
		}
		y, err := shpOut(out, 0, dt, xs)
		if err != nil {
			return err
		}
		el.copyN(y.Raw(), x.Raw(), 0, 0, x.Len())
		block := shpProd(xs[k:])
		if red == nil {
			el.scatter(y.Raw(), upd.Raw(), 0, offs, block)
		} else {
			red(y.Raw(), upd.Raw(), offs, block)
		}
		return nil
	}), nil
}

// shpTruncInts reads any numeric tensor as int64s, truncating floats.
func shpTruncInts(t *tensor.Tensor) ([]int64, error) {
	if v, err := t.Int64s(); err == nil {
		return v, nil
	}
	f, err := t.Float64s()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ops.ErrInvalidNode, err)
	}
	v := make([]int64, len(f))
	for i, x := range f {
		switch {
		case math.IsNaN(x):
			v[i] = math.MinInt64 // out of range: all off
		case x >= math.MaxInt64:
			v[i] = math.MaxInt64
		case x <= math.MinInt64:
			v[i] = math.MinInt64
		default:
			v[i] = int64(x)
		}
	}
	return v, nil
}

func shpNewOneHot(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[2].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil
	}
	axisAttr := n.AttrInt("axis")
	negOK := n.Opset >= 11
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		idx, vals := in[0], in[2]
		depth, err := ops.OneHotDepth(in[1])
		if err != nil {
			return err
		}
		if vals.Len() != 2 {
			return fmt.Errorf("%w: onehot: values must hold 2 elements, has shape %v", ops.ErrInvalidNode, vals.Shape())
		}
		is := idx.Shape()
		axis, err := ops.NormAxis(axisAttr, len(is)+1)
		if err != nil {
			return err
		}
		v, err := shpTruncInts(idx)
		if err != nil {
			return err
		}
		dims := append(append(append([]int(nil), is[:axis]...), int(depth)), is[axis:]...)
		y, err := shpOut(out, 0, dt, dims)
		if err != nil {
			return err
		}
		off, on := el.at(vals.Raw(), 0), el.at(vals.Raw(), 1)
		yd := y.Raw()
		el.fill(yd, 0, y.Len(), off)
		inner := shpProd(is[axis:])
		for e, k := range v {
			if k < 0 && negOK {
				k += depth
			}
			if k < 0 || k >= depth {
				continue
			}
			o, i := e/inner, e%inner
			el.fill(yd, (o*int(depth)+int(k))*inner+i, 1, on)
		}
		return nil
	}), nil
}
