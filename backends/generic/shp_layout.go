package generic

// Kernels of the ops that rearrange elements: Concat, Split, Slice,
// Transpose, Expand, Tile, DepthToSpace, SpaceToDepth and Trilu. Each is a
// strided copy (shpLayout) whose box and strides are computed from the
// actual input shapes.

import (
	"errors"
	"fmt"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("Concat", shpNewConcat)
	register("Split", shpNewSplit)
	register("Slice", shpNewSlice)
	register("Transpose", shpNewTranspose)
	register("Expand", shpNewExpand)
	register("Tile", shpNewTile)
	register("DepthToSpace", shpNewDepthToSpace)
	register("SpaceToDepth", shpNewSpaceToDepth)
	register("Trilu", shpNewTrilu)
}

// shpProd returns the product of dims (callers pass dims of real tensors, so
// it cannot overflow).
func shpProd(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

func shpNewConcat(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil
	}
	axisAttr := n.AttrInt("axis")
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x0 := in[0]
		r := x0.Rank()
		axis, err := ops.NormAxis(axisAttr, r)
		if err != nil {
			return err
		}
		l := shpNewLayout() // its dims hold the output's, then the copies'
		defer l.free()
		l.reset(r)
		dims := l.dims
		copy(dims, x0.Shape())
		dims[axis] = 0
		for i, x := range in {
			if x == nil || x.DType() != dt || x.Rank() != r {
				return fmt.Errorf("%w: concat: input %d is %v, input 0 is %v", ops.ErrShapeMismatch, i, x, x0)
			}
			for d, v := range x.Shape() {
				if d != axis && v != dims[d] {
					return fmt.Errorf("%w: concat: input %d has shape %v, input 0 %v", ops.ErrShapeMismatch, i, x.Shape(), x0.Shape())
				}
			}
			dims[axis] += x.Shape()[axis]
		}
		y, err := shpOut(out, 0, dt, dims)
		if err != nil {
			return err
		}
		outer, inner, total := shpProd(dims[:axis]), shpProd(dims[axis+1:]), dims[axis]
		off := 0
		for _, x := range in {
			a := x.Shape()[axis]
			l.reset(2)
			l.dims[0], l.dims[1] = outer, a*inner
			l.src[0], l.src[1] = a*inner, 1
			l.dst[0], l.dst[1] = total*inner, 1
			shpCopyBox(el, y, x, off*inner, 0, l)
			off += a
		}
		return nil
	}), nil
}

func shpNewSplit(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil
	}
	axisAttr := n.AttrInt("axis")
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		axis, err := ops.NormAxis(axisAttr, x.Rank())
		if err != nil {
			return err
		}
		var split []int64
		given := false
		if n.Opset < 13 {
			split, given = n.AttrInts("split"), n.HasAttr("split")
		} else if len(in) > 1 && in[1] != nil {
			if split, err = shpInts(in[1]); err != nil {
				return err
			}
			given = true
		}
		xs := x.Shape()
		sizes, err := ops.SplitSizes(n, int64(xs[axis]), split, given)
		if err != nil {
			return err
		}
		outer, inner := shpProd(xs[:axis]), shpProd(xs[axis+1:])
		off := 0
		l := shpNewLayout()
		defer l.free()
		for i, s := range sizes {
			a := int(s)
			if i < len(out) && n.HasOut(i) {
				dims := append([]int(nil), xs...)
				dims[axis] = a
				y, err := shpOut(out, i, dt, dims)
				if err != nil {
					return err
				}
				l.reset(2)
				l.dims[0], l.dims[1] = outer, a*inner
				l.src[0], l.src[1] = xs[axis]*inner, 1
				l.dst[0], l.dst[1] = a*inner, 1
				shpCopyBox(el, y, x, 0, off*inner, l)
			}
			off += a
		}
		return nil
	}), nil
}

func shpNewSlice(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil
	}
	// With constant starts, ends, axes and steps and a known rank, the
	// parameters are read once here rather than per Run.
	var built *ops.SliceArgs
	if n.In[0].Shape != nil {
		p, err := shpSliceArgs(n, len(n.In[0].Shape), func(i int) ([]int64, bool, error) {
			if i >= len(n.In) || n.In[i].Absent {
				return nil, false, nil
			}
			v, ok := n.InInts(i)
			if !ok {
				return nil, false, errNotConstant
			}
			return v, true, nil
		})
		if err == nil {
			built = &p
		}
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		if built != nil && x.Rank() == len(n.In[0].Shape) {
			return shpSlice(el, x, built, out, dt)
		}
		p, err := shpSliceArgs(n, x.Rank(), func(i int) ([]int64, bool, error) {
			if i >= len(in) || in[i] == nil {
				return nil, false, nil
			}
			v, err := shpInts(in[i])
			return v, true, err
		})
		if err != nil {
			return err
		}
		return shpSlice(el, x, &p, out, dt)
	}), nil
}

// errNotConstant: a Slice parameter is not known before the Run.
var errNotConstant = errors.New("not a constant")

// shpSliceArgs reads Slice's starts, ends, axes and steps (inputs 1-4 from
// opset 10, through read, which reports whether input i is given; before,
// attributes) for an input of rank r.
func shpSliceArgs(n *ops.Node, r int, read func(i int) ([]int64, bool, error)) (ops.SliceArgs, error) {
	var vals [4][]int64
	for i := 1; n.Opset >= 10 && i < 5; i++ {
		v, given, err := read(i)
		if err != nil {
			return ops.SliceArgs{}, err
		}
		if given && v == nil {
			v = []int64{}
		}
		vals[i-1] = v
	}
	return ops.SliceParams(n, r, vals[0], vals[1], vals[2], vals[3])
}

// shpSlice copies the slice p of x into out[0].
func shpSlice(el shpElems, x *tensor.Tensor, p *ops.SliceArgs, out []*tensor.Tensor, dt tensor.DType) error {
	xs := x.Shape()
	l := shpNewLayout()
	defer l.free()
	l.reset(len(xs))
	strides := l.strides(xs)
	copy(l.dims, xs)
	copy(l.src, strides)
	sOff := 0
	for i, a := range p.Axes {
		first, count := ops.SliceBounds(int64(xs[a]), p.Starts[i], p.Ends[i], p.Step[i])
		l.dims[a] = int(count)
		l.src[a] = strides[a] * int(p.Step[i])
		if count > 0 {
			sOff += int(first) * strides[a]
		}
	}
	y, err := shpOut(out, 0, dt, l.dims)
	if err != nil {
		return err
	}
	l.setDst()
	shpCopyBox(el, y, x, 0, sOff, l)
	return nil
}

func shpNewTranspose(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil
	}
	var built []int // the permutation, when the rank is known at build time
	if n.In[0].Shape != nil {
		built, _ = ops.TransposePerm(n, len(n.In[0].Shape))
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		perm := built
		if len(perm) != x.Rank() {
			var err error
			if perm, err = ops.TransposePerm(n, x.Rank()); err != nil {
				return err
			}
		}
		return shpPermute(el, x, x.Shape(), perm, out, 0, nil)
	}), nil
}

// shpPermute writes x, seen with shape view (same element count), with its
// axes permuted by perm, into out[i]; outDims, when given, is the shape of
// out[i] (a reshape of the permuted view).
func shpPermute(el shpElems, x *tensor.Tensor, view []int, perm []int, out []*tensor.Tensor, i int, outDims []int) error {
	l := shpNewLayout()
	defer l.free()
	l.reset(len(view))
	strides := l.strides(view)
	for j, p := range perm {
		l.dims[j] = view[p]
		l.src[j] = strides[p]
	}
	if outDims == nil {
		outDims = l.dims
	}
	y, err := shpOut(out, i, x.DType(), outDims)
	if err != nil {
		return err
	}
	l.setDst()
	shpCopyBox(el, y, x, 0, 0, l)
	return nil
}

func shpNewExpand(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		shape, err := shpInts(in[1])
		if err != nil {
			return err
		}
		want := make([]int, len(shape))
		for i, d := range shape {
			if d < 0 || d > tensor.MaxElements {
				return fmt.Errorf("%w: expand: invalid dim %d in %v", ops.ErrInvalidNode, d, shape)
			}
			want[i] = int(d)
		}
		dims, err := tensor.BroadcastShapes(x.Shape(), want)
		if err != nil {
			return fmt.Errorf("%w: expand %v to %v: %w", ops.ErrShapeMismatch, x.Shape(), want, err)
		}
		y, err := shpOut(out, 0, dt, dims)
		if err != nil {
			return err
		}
		l := shpNewLayout()
		defer l.free()
		l.reset(len(dims))
		copy(l.dims, dims)
		copy(l.src, tensor.BroadcastStrides(x.Shape(), dims))
		l.setDst()
		shpCopyBox(el, y, x, 0, 0, l)
		return nil
	}), nil
}

func shpNewTile(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		reps, err := shpInts(in[1])
		if err != nil {
			return err
		}
		if len(reps) != len(xs) {
			return fmt.Errorf("%w: tile: %d repeats for rank %d", ops.ErrInvalidNode, len(reps), len(xs))
		}
		dims := make([]int, len(xs))
		// The output, row-major, is the box [r0, d0, r1, d1, ...] reading x
		// with stride 0 along each repeat.
		l := shpNewLayout()
		defer l.free()
		l.reset(2 * len(xs))
		strides := l.strides(xs)
		for i, r := range reps {
			if r < 0 || r > tensor.MaxElements {
				return fmt.Errorf("%w: tile: invalid repeat %d", ops.ErrInvalidNode, r)
			}
			l.dims[2*i], l.dims[2*i+1] = int(r), xs[i]
			l.src[2*i+1] = strides[i]
			dims[i] = xs[i] * int(r) // checked by tensor.New below
			if xs[i] != 0 && int(r) > tensor.MaxElements/xs[i] {
				return fmt.Errorf("%w: tile: output too large", ops.ErrInvalidNode)
			}
		}
		y, err := shpOut(out, 0, dt, dims)
		if err != nil {
			return err
		}
		l.setDst()
		shpCopyBox(el, y, x, 0, 0, l)
		return nil
	}), nil
}

func shpNewDepthToSpace(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil
	}
	mode, err := ops.DepthToSpaceMode(n)
	if err != nil {
		return nil, err
	}
	b := int(n.AttrInt("blocksize"))
	if b < 1 {
		return nil, fmt.Errorf("%w: depthtospace: blocksize %d", ops.ErrInvalidNode, b)
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		s := x.Shape()
		if len(s) != 4 || s[1]%(b*b) != 0 {
			return fmt.Errorf("%w: depthtospace: input %v with blocksize %d", ops.ErrShapeMismatch, s, b)
		}
		N, C, H, W := s[0], s[1]/(b*b), s[2], s[3]
		outDims := []int{N, C, H * b, W * b}
		if mode == "DCR" {
			return shpPermute(el, x, []int{N, b, b, C, H, W}, []int{0, 3, 4, 1, 5, 2}, out, 0, outDims)
		}
		return shpPermute(el, x, []int{N, C, b, b, H, W}, []int{0, 1, 4, 2, 5, 3}, out, 0, outDims)
	}), nil
}

func shpNewSpaceToDepth(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil
	}
	b := int(n.AttrInt("blocksize"))
	if b < 1 {
		return nil, fmt.Errorf("%w: spacetodepth: blocksize %d", ops.ErrInvalidNode, b)
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		s := x.Shape()
		if len(s) != 4 || s[2]%b != 0 || s[3]%b != 0 {
			return fmt.Errorf("%w: spacetodepth: input %v with blocksize %d", ops.ErrShapeMismatch, s, b)
		}
		N, C, H, W := s[0], s[1], s[2]/b, s[3]/b
		return shpPermute(el, x, []int{N, C, H, b, W, b}, []int{0, 3, 5, 1, 2, 4}, out, 0, []int{N, C * b * b, H, W})
	}), nil
}

func shpNewTrilu(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil
	}
	upper := n.AttrInt("upper") != 0
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		s := x.Shape()
		if len(s) < 2 {
			return fmt.Errorf("%w: trilu: input %v has rank < 2", ops.ErrInvalidNode, s)
		}
		k := int64(0)
		if len(in) > 1 && in[1] != nil {
			v, err := shpInts(in[1])
			if err != nil {
				return err
			}
			if len(v) != 1 {
				return fmt.Errorf("%w: trilu: k must be a scalar, has shape %v", ops.ErrInvalidNode, in[1].Shape())
			}
			k = v[0]
		}
		y, err := shpOut(out, 0, dt, s)
		if err != nil {
			return err
		}
		rows, cols := s[len(s)-2], s[len(s)-1]
		if x.Len() == 0 {
			return nil
		}
		// Clamp k so that i+k cannot overflow; beyond ±(rows+cols) nothing changes.
		k = max(min(k, int64(rows+cols)), -int64(rows+cols))
		xd, yd, z := x.Raw(), y.Raw(), el.zero()
		for m := 0; m < x.Len(); m += rows * cols {
			for i := range rows {
				off := m + i*cols
				// Kept columns: j-i >= k (upper) or j-i <= k (lower).
				lo, hi := 0, cols
				if upper {
					lo = min(max(i+int(k), 0), cols)
				} else {
					hi = min(max(i+int(k)+1, 0), cols)
				}
				el.fill(yd, off, lo, z)
				el.copyN(yd, xd, off+lo, off+lo, hi-lo)
				el.fill(yd, off+hi, cols-hi, z)
			}
		}
		return nil
	}), nil
}
