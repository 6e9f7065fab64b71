package generic

// Kernels of the ops that only look at shapes or relabel them (Shape, Size,
// Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout), and the element
// movers every copying op of shp_layout.go, gather.go and pad.go is built on.
//
// Copying ops work for every dtype: their index arithmetic is plain int code,
// and the element moves go through shpElems, implemented once with generics
// (shpT) and picked per dtype in each kernel factory.

import (
	"fmt"
	"slices"

	"github.com/onyxml/onyx/internal/keep"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// shpElems moves elements of one dtype between backing slices (the any
// values of Tensor.Raw). Offsets are in elements.
type shpElems interface {
	// at returns s[i] as an any holding the element type.
	at(s any, i int) any
	// zero returns the zero element ("" for strings, false for bools).
	zero() any
	// fill sets d[off:off+n] to v, which holds the element type.
	fill(d any, off, n int, v any)
	// copyN copies s[sOff:sOff+n] to d[dOff:].
	copyN(d, s any, dOff, sOff, n int)
	// strided copies the box l: d[dOff+Σ c_i·l.dst_i] = s[sOff+Σ c_i·l.src_i].
	strided(d, s any, dOff, sOff int, l *shpLayout)
	// gather copies n-element blocks: block j of d (at dOff+j·n) is
	// s[sBase+offs[j]:][:n], or v repeated when offs[j] < 0.
	gather(d, s any, dOff, sBase int, offs []int, n int, v any)
	// scatter copies n-element blocks the other way: d[offs[j]:][:n] =
	// s[sOff+j·n:][:n].
	scatter(d, s any, sOff int, offs []int, n int)
}

// shpT implements shpElems for element type T.
type shpT[T tensor.Elem] struct{}

func (shpT[T]) at(s any, i int) any { return s.([]T)[i] }

func (shpT[T]) zero() any {
	var z T
	return z
}

func (shpT[T]) fill(d any, off, n int, v any) {
	x, dst := v.(T), d.([]T)[off:off+n]
	for i := range dst {
		dst[i] = x
	}
}

func (shpT[T]) copyN(d, s any, dOff, sOff, n int) {
	copy(d.([]T)[dOff:dOff+n], s.([]T)[sOff:sOff+n])
}

func (shpT[T]) strided(d, s any, dOff, sOff int, l *shpLayout) {
	shpStrided(d.([]T), s.([]T), dOff, sOff, l.dims, l.dst, l.src)
}

func (shpT[T]) gather(d, s any, dOff, sBase int, offs []int, n int, v any) {
	dst, src := d.([]T), s.([]T)
	if n == 1 {
		for j, o := range offs {
			if o < 0 {
				dst[dOff+j] = v.(T)
			} else {
				dst[dOff+j] = src[sBase+o]
			}
		}
		return
	}
	for j, o := range offs {
		blk := dst[dOff+j*n : dOff+(j+1)*n]
		if o < 0 {
			x := v.(T)
			for i := range blk {
				blk[i] = x
			}
			continue
		}
		copy(blk, src[sBase+o:sBase+o+n])
	}
}

func (shpT[T]) scatter(d, s any, sOff int, offs []int, n int) {
	dst, src := d.([]T), s.([]T)
	for j, o := range offs {
		copy(dst[o:o+n], src[sOff+j*n:sOff+(j+1)*n])
	}
}

// shpElemsOf returns the element mover for dt, or nil for a dtype onyx does
// not store.
func shpElemsOf(dt tensor.DType) shpElems {
	switch dt {
	case tensor.Float32:
		return shpT[float32]{}
	case tensor.Float64:
		return shpT[float64]{}
	case tensor.Float16:
		return shpT[tensor.F16]{}
	case tensor.BFloat16:
		return shpT[tensor.BF16]{}
	case tensor.Int8:
		return shpT[int8]{}
	case tensor.Int16:
		return shpT[int16]{}
	case tensor.Int32:
		return shpT[int32]{}
	case tensor.Int64:
		return shpT[int64]{}
	case tensor.Uint8:
		return shpT[uint8]{}
	case tensor.Uint16:
		return shpT[uint16]{}
	case tensor.Uint32:
		return shpT[uint32]{}
	case tensor.Uint64:
		return shpT[uint64]{}
	case tensor.Bool:
		return shpT[bool]{}
	case tensor.String:
		return shpT[string]{}
	case tensor.Complex64:
		return shpT[complex64]{}
	case tensor.Complex128:
		return shpT[complex128]{}
	}
	return nil
}

// shpMaxInline is the rank up to which a shpLayout needs no allocation.
const shpMaxInline = 16

// shpLayout is a box of dims copied with arbitrary element strides on both
// sides (zero for broadcast, negative for reversed slices).
type shpLayout struct {
	dims, dst, src []int
	buf            [3][shpMaxInline]int
	scratch        [shpMaxInline]int
}

var shpLayoutPool = keep.List[shpLayout]{New: func() *shpLayout { return new(shpLayout) }}

// shpNewLayout returns a layout from a free list (so that kernels do not
// allocate per call, even after a GC); free returns it.
func shpNewLayout() *shpLayout { return shpLayoutPool.Get() }

func (l *shpLayout) free() { shpLayoutPool.Put(l) }

// strides returns the row-major strides of shape, in the layout's scratch
// space when it fits.
func (l *shpLayout) strides(shape []int) []int {
	st := l.scratch[:0]
	if len(shape) > shpMaxInline {
		st = make([]int, 0, len(shape))
	}
	st = st[:len(shape)]
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = acc
		acc *= shape[i]
	}
	return st
}

// reset sets the layout's rank to r, with all entries zero.
func (l *shpLayout) reset(r int) {
	if r <= shpMaxInline {
		l.buf = [3][shpMaxInline]int{}
		l.dims, l.dst, l.src = l.buf[0][:r], l.buf[1][:r], l.buf[2][:r]
		return
	}
	l.dims, l.dst, l.src = make([]int, r), make([]int, r), make([]int, r)
}

// setDst sets the destination strides to row-major strides over dims.
func (l *shpLayout) setDst() {
	acc := 1
	for i := len(l.dims) - 1; i >= 0; i-- {
		l.dst[i] = acc
		acc *= l.dims[i]
	}
}

// simplify drops size-1 dims and merges neighbours that are contiguous on
// both sides, so that inner copies are as long as possible. It reports
// false if the box is empty.
func (l *shpLayout) simplify() bool {
	k := 0
	for i, d := range l.dims {
		if d == 0 {
			return false
		}
		if d == 1 {
			continue
		}
		if k > 0 && l.dst[k-1] == l.dst[i]*d && l.src[k-1] == l.src[i]*d {
			l.dims[k-1] *= d
			l.dst[k-1], l.src[k-1] = l.dst[i], l.src[i]
			continue
		}
		l.dims[k], l.dst[k], l.src[k] = d, l.dst[i], l.src[i]
		k++
	}
	l.dims, l.dst, l.src = l.dims[:k], l.dst[:k], l.src[:k]
	return true
}

// shpStrided copies the box dims from src (strides ss, from sOff) to dst
// (strides ds, from dOff). The innermost dim is a copy when both sides are
// contiguous there.
func shpStrided[T any](dst, src []T, dOff, sOff int, dims, ds, ss []int) {
	r := len(dims)
	if r == 0 {
		dst[dOff] = src[sOff]
		return
	}
	for _, d := range dims {
		if d == 0 {
			return
		}
	}
	n, di, si := dims[r-1], ds[r-1], ss[r-1]
	var idxBuf [shpMaxInline]int
	idx := idxBuf[:0]
	if r-1 <= shpMaxInline {
		idx = idxBuf[:r-1]
	} else {
		idx = make([]int, r-1)
	}
	for {
		switch {
		case di == 1 && si == 1:
			copy(dst[dOff:dOff+n], src[sOff:sOff+n])
		case si == 0:
			x := src[sOff]
			for i, d := 0, dOff; i < n; i, d = i+1, d+di {
				dst[d] = x
			}
		default:
			for i, d, s := 0, dOff, sOff; i < n; i, d, s = i+1, d+di, s+si {
				dst[d] = src[s]
			}
		}
		k := r - 2
		for ; k >= 0; k-- {
			idx[k]++
			dOff += ds[k]
			sOff += ss[k]
			if idx[k] < dims[k] {
				break
			}
			dOff -= ds[k] * dims[k]
			sOff -= ss[k] * dims[k]
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}

// shpCopyBox copies l (with its dst strides already set) and simplifies it
// first.
func shpCopyBox(el shpElems, d, s *tensor.Tensor, dOff, sOff int, l *shpLayout) {
	if l.simplify() {
		el.strided(d.Raw(), s.Raw(), dOff, sOff, l)
	}
}

// shpOut returns out[i] if the runtime allocated it (checking that it has
// the dtype and shape the kernel computed), else a new tensor stored in
// out[i].
func shpOut(out []*tensor.Tensor, i int, dt tensor.DType, dims []int) (*tensor.Tensor, error) {
	if t := out[i]; t != nil {
		if t.DType() != dt || !tensor.SameShape(t.Shape(), dims) {
			// (A copy, so that dims need not escape: callers pass
			// scratch from their stack or a pooled layout.)
			return nil, fmt.Errorf("%w: output %d is %v%v, the kernel computed %v%v", ops.ErrShapeMismatch, i, t.DType(), t.Shape(), dt, slices.Clone(dims))
		}
		return t, nil
	}
	t, err := tensor.New(dt, dims...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ops.ErrInvalidNode, err)
	}
	out[i] = t
	return t, nil
}

// shpInferConcrete runs n's inference on actual inputs and returns the
// concrete output shapes (nil for outputs inference leaves unknown).
func shpInferConcrete(n *ops.Node, in []*tensor.Tensor) ([][]int, error) {
	rn := *n
	rn.In = make([]ops.TypeShape, len(in))
	for i, t := range in {
		if t == nil {
			rn.In[i] = ops.TypeShape{Absent: true}
		} else {
			rn.In[i] = ops.Known(t)
		}
	}
	ts, err := n.Schema.Infer(&rn)
	if err != nil {
		return nil, err
	}
	dims := make([][]int, len(ts))
	for i, t := range ts {
		dims[i], _ = t.ConcreteShape()
	}
	return dims, nil
}

// shpInts reads a small int tensor (shapes, axes, indices lists).
func shpInts(t *tensor.Tensor) ([]int64, error) {
	if t.DType() == tensor.Int64 && t.Kind() == tensor.KindTensor {
		return tensor.Data[int64](t), nil // read only: no copy per Run
	}
	v, err := t.Int64s()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ops.ErrInvalidNode, err)
	}
	return v, nil
}

// shpView returns a view of x with the shape inference gives output 0 for
// the actual inputs: the kernel of Flatten, Squeeze and Unsqueeze.
func shpView(n *ops.Node) ops.Kernel {
	return ops.Aliasing(ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		dims, err := shpInferConcrete(n, in)
		if err != nil {
			return err
		}
		if len(dims) == 0 || dims[0] == nil {
			return fmt.Errorf("%w: %v: output shape unknown", ops.ErrInvalidNode, n.OpType)
		}
		y, err := in[0].Reshape(dims[0]...)
		if err != nil {
			return fmt.Errorf("%w: %w", ops.ErrShapeMismatch, err)
		}
		out[0] = y
		return nil
	}))
}

func init() {
	register("Shape", func(n *ops.Node) (ops.Kernel, error) {
		return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
			s := in[0].Shape()
			start, end := ops.ShapeBounds(n, len(s))
			y, err := shpOut(out, 0, tensor.Int64, []int{end - start})
			if err != nil {
				return err
			}
			v := tensor.Data[int64](y)
			for i, d := range s[start:end] {
				v[i] = int64(d)
			}
			return nil
		}), nil
	})
	register("Size", func(n *ops.Node) (ops.Kernel, error) {
		return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
			y, err := shpOut(out, 0, tensor.Int64, []int{})
			if err != nil {
				return err
			}
			tensor.Data[int64](y)[0] = int64(in[0].Len())
			return nil
		}), nil
	})
	register("Reshape", func(n *ops.Node) (ops.Kernel, error) {
		allowZero := n.Opset >= 14 && n.AttrInt("allowzero") != 0
		attr := n.Opset < 5
		return ops.Aliasing(ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
			var shape []int64
			if attr {
				shape = n.AttrInts("shape")
			} else {
				var err error
				if shape, err = shpInts(in[1]); err != nil {
					return err
				}
			}
			dims, err := ops.ReshapeDims(in[0].Shape(), shape, allowZero)
			if err != nil {
				return err
			}
			y, err := in[0].Reshape(dims...)
			if err != nil {
				return fmt.Errorf("%w: %w", ops.ErrShapeMismatch, err)
			}
			out[0] = y
			return nil
		})), nil
	})
	register("Flatten", func(n *ops.Node) (ops.Kernel, error) { return shpView(n), nil })
	register("Squeeze", func(n *ops.Node) (ops.Kernel, error) { return shpView(n), nil })
	register("Unsqueeze", func(n *ops.Node) (ops.Kernel, error) { return shpView(n), nil })
	register("Identity", func(n *ops.Node) (ops.Kernel, error) {
		return ops.Aliasing(ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
			if in[0] == nil {
				return fmt.Errorf("%w: identity: no input", ops.ErrInvalidNode)
			}
			if in[0].Kind() != tensor.KindTensor {
				out[0] = in[0] // sequences and optionals are immutable values
				return nil
			}
			y, err := in[0].Reshape(in[0].Shape()...)
			if err != nil {
				return err
			}
			out[0] = y
			return nil
		})), nil
	})
	register("Dropout", shpNewDropout)
}

func shpNewDropout(n *ops.Node) (ops.Kernel, error) {
	maskType := tensor.Bool
	if n.Opset < 10 {
		maskType = n.In[0].DType
	}
	one := shpOne(maskType)
	if one == nil {
		return nil, nil
	}
	el := shpElemsOf(maskType)
	var seed *int64
	if n.HasAttr("seed") {
		s := n.AttrInt("seed")
		seed = &s
	}
	wantMask := n.HasOut(1)
	return ops.Aliasing(ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		var ratio, training *tensor.Tensor
		if n.Opset >= 12 {
			ratio, training = rnnInput(in, 1), rnnInput(in, 2)
		}
		train, err := ops.DropoutTraining(n, ratio, training)
		if err != nil {
			return err
		}
		if train {
			r, err := ops.DropoutRatio(n, ratio)
			if err != nil {
				return err
			}
			mt := tensor.Undefined
			if wantMask && len(out) > 1 {
				mt = maskType
			}
			y, m, err := grDropoutTrain(x, r, seed, mt)
			if err != nil {
				return err
			}
			out[0] = y
			if m != nil {
				out[1] = m
			}
			return nil
		}
		y, err := x.Reshape(x.Shape()...)
		if err != nil {
			return err
		}
		out[0] = y
		if len(out) > 1 && wantMask {
			m, err := tensor.New(maskType, x.Shape()...)
			if err != nil {
				return err
			}
			el.fill(m.Raw(), 0, m.Len(), one)
			out[1] = m
		}
		return nil
	})), nil
}

// shpOne returns 1 (true for bool) as an any of dt's element type, or nil
// for non-numeric types.
func shpOne(dt tensor.DType) any { return shpNumber(dt, 1) }

// shpNumber returns v converted to dt's element type (non-zero is true for
// bool), or nil for strings and types onyx does not store.
func shpNumber(dt tensor.DType, v float64) any {
	switch dt {
	case tensor.Float32:
		return float32(v)
	case tensor.Float64:
		return v
	case tensor.Float16:
		return tensor.NewF16(float32(v))
	case tensor.BFloat16:
		return tensor.NewBF16(float32(v))
	case tensor.Int8:
		return int8(v)
	case tensor.Int16:
		return int16(v)
	case tensor.Int32:
		return int32(v)
	case tensor.Int64:
		return int64(v)
	case tensor.Uint8:
		return uint8(v)
	case tensor.Uint16:
		return uint16(v)
	case tensor.Uint32:
		return uint32(v)
	case tensor.Uint64:
		return uint64(v)
	case tensor.Bool:
		return v != 0
	case tensor.Complex64:
		return complex64(complex(v, 0))
	case tensor.Complex128:
		return complex(v, 0)
	}
	return nil
}
