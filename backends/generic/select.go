package generic

// Kernels of the selection ops: NonZero, Unique, Compress and
// ReverseSequence. They work for every dtype: the index arithmetic is plain
// int code, element moves go through shpElems (shape.go), and the only
// per-type code is how elements compare (selZeroTest, selComparer).
//
// NonZero, Unique and Compress have data-dependent output shapes, so they
// usually get nil output slots and allocate what they compute; shpOut
// checks a slot the runtime did allocate.

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("NonZero", selNewNonZero)
	register("Unique", selNewUnique)
	register("Compress", selNewCompress)
	register("ReverseSequence", selNewReverseSequence)
}

// selNonZeroOf appends to pos the flat positions of x's non-zero elements.
func selNonZeroOf[T comparable](pos []int, x []T) []int {
	var zero T
	for i, v := range x {
		if v != zero {
			pos = append(pos, i)
		}
	}
	return pos
}

// selNonZeroHalf is selNonZeroOf for float16 and bfloat16 bits, where
// negative zero (the sign bit alone) is zero too.
func selNonZeroHalf[H tensor.F16 | tensor.BF16](pos []int, x []H) []int {
	for i, v := range x {
		if v&0x7fff != 0 {
			pos = append(pos, i)
		}
	}
	return pos
}

// selNonZeroPositions returns the flat positions of t's non-zero elements
// (non-empty strings, true bools, NaNs included), or false for a dtype
// onyx does not store.
func selNonZeroPositions(t *tensor.Tensor) ([]int, bool) {
	switch x := t.Raw().(type) {
	case []float32:
		return selNonZeroOf(nil, x), true
	case []float64:
		return selNonZeroOf(nil, x), true
	case []tensor.F16:
		return selNonZeroHalf(nil, x), true
	case []tensor.BF16:
		return selNonZeroHalf(nil, x), true
	case []int8:
		return selNonZeroOf(nil, x), true
	case []int16:
		return selNonZeroOf(nil, x), true
	case []int32:
		return selNonZeroOf(nil, x), true
	case []int64:
		return selNonZeroOf(nil, x), true
	case []uint8:
		return selNonZeroOf(nil, x), true
	case []uint16:
		return selNonZeroOf(nil, x), true
	case []uint32:
		return selNonZeroOf(nil, x), true
	case []uint64:
		return selNonZeroOf(nil, x), true
	case []bool:
		return selNonZeroOf(nil, x), true
	case []string:
		return selNonZeroOf(nil, x), true
	case []complex64:
		return selNonZeroOf(nil, x), true
	case []complex128:
		return selNonZeroOf(nil, x), true
	}
	return nil, false
}

func selNewNonZero(n *ops.Node) (ops.Kernel, error) {
	if shpElemsOf(n.In[0].DType) == nil {
		return nil, nil
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		pos, ok := selNonZeroPositions(x)
		if !ok {
			return fmt.Errorf("%w: NonZero of %v", ops.ErrInvalidNode, x.DType())
		}
		xs := x.Shape()
		r, k := len(xs), len(pos)
		y, err := shpOut(out, 0, tensor.Int64, []int{r, k})
		if err != nil {
			return err
		}
		// Row a of y holds coordinate a of every selected element.
		d := tensor.Data[int64](y)
		for j, p := range pos {
			for a := r - 1; a >= 0; a-- {
				d[a*k+j] = int64(p % xs[a])
				p /= xs[a]
			}
		}
		return nil
	}), nil
}

// selCmpFloat orders floats with NaNs last and equal to each other (so that
// Unique gathers them as numpy.unique does).
func selCmpFloat[T float32 | float64](a, b T) int {
	an, bn := a != a, b != b
	switch {
	case an || bn:
		return cmp.Compare(selB2I(an), selB2I(bn))
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// selB2I is 1 for true and 0 for false.
func selB2I(b bool) int {
	if b {
		return 1
	}
	return 0
}

// selComparer returns a function comparing elements i and j of t's data,
// a total order for every dtype (false < true; complex numbers by real
// then imaginary part), or nil for a dtype onyx does not store.
func selComparer(t *tensor.Tensor) func(i, j int) int {
	switch x := t.Raw().(type) {
	case []float32:
		return func(i, j int) int { return selCmpFloat(x[i], x[j]) }
	case []float64:
		return func(i, j int) int { return selCmpFloat(x[i], x[j]) }
	case []tensor.F16:
		return func(i, j int) int { return selCmpFloat(x[i].Float32(), x[j].Float32()) }
	case []tensor.BF16:
		return func(i, j int) int { return selCmpFloat(x[i].Float32(), x[j].Float32()) }
	case []int8:
		return selCmpOrdered(x)
	case []int16:
		return selCmpOrdered(x)
	case []int32:
		return selCmpOrdered(x)
	case []int64:
		return selCmpOrdered(x)
	case []uint8:
		return selCmpOrdered(x)
	case []uint16:
		return selCmpOrdered(x)
	case []uint32:
		return selCmpOrdered(x)
	case []uint64:
		return selCmpOrdered(x)
	case []string:
		return selCmpOrdered(x)
	case []bool:
		return func(i, j int) int { return cmp.Compare(selB2I(x[i]), selB2I(x[j])) }
	case []complex64:
		return func(i, j int) int {
			if c := selCmpFloat(real(x[i]), real(x[j])); c != 0 {
				return c
			}
			return selCmpFloat(imag(x[i]), imag(x[j]))
		}
	case []complex128:
		return func(i, j int) int {
			if c := selCmpFloat(real(x[i]), real(x[j])); c != 0 {
				return c
			}
			return selCmpFloat(imag(x[i]), imag(x[j]))
		}
	}
	return nil
}

func selCmpOrdered[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | string](x []T) func(i, j int) int {
	return func(i, j int) int { return cmp.Compare(x[i], x[j]) }
}

// selUniqueResult is what Unique finds among d slices: for each output
// slice (in output order) the input slice it copies (its first occurrence)
// and its count, and for each input slice its output slice.
type selUniqueResult struct {
	first, count []int
	inverse      []int
}

// selFindUnique groups d slices, compared by cmpSlice, into classes of equal
// slices. Output slices are sorted ascending if sorted, else in the order
// of their first occurrences.
func selFindUnique(d int, sorted bool, cmpSlice func(a, b int) int) selUniqueResult {
	order := make([]int, d)
	for i := range order {
		order[i] = i
	}
	// A stable sort keeps equal slices in input order: each class starts
	// with its first occurrence.
	slices.SortStableFunc(order, cmpSlice)
	res := selUniqueResult{inverse: make([]int, d)}
	for k, s := range order {
		if k == 0 || cmpSlice(order[k-1], s) != 0 {
			res.first = append(res.first, s)
			res.count = append(res.count, 0)
		}
		g := len(res.first) - 1
		res.count[g]++
		res.inverse[s] = g
	}
	if sorted {
		return res
	}
	// Renumber the classes by first occurrence.
	perm := make([]int, len(res.first))
	for i := range perm {
		perm[i] = i
	}
	slices.SortFunc(perm, func(a, b int) int { return cmp.Compare(res.first[a], res.first[b]) })
	rank := make([]int, len(perm))
	first, count := make([]int, len(perm)), make([]int, len(perm))
	for j, g := range perm {
		rank[g] = j
		first[j], count[j] = res.first[g], res.count[g]
	}
	for s, g := range res.inverse {
		res.inverse[s] = rank[g]
	}
	res.first, res.count = first, count
	return res
}

// selInt64Out stores vals as the 1-D int64 output i.
func selInt64Out(out []*tensor.Tensor, i int, vals []int) error {
	t, err := shpOut(out, i, tensor.Int64, []int{len(vals)})
	if err != nil {
		return err
	}
	d := tensor.Data[int64](t)
	for j, v := range vals {
		d[j] = int64(v)
	}
	return nil
}

func selNewUnique(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil
	}
	sorted := n.AttrInt("sorted") == 1
	hasAxis := n.HasAttr("axis")
	axisAttr := n.AttrInt("axis")
	if s := n.AttrInt("sorted"); s != 0 && s != 1 {
		return nil, ops.Errorf("sorted = %d, want 0 or 1", s)
	}
	want := [4]bool{}
	for i := range want {
		want[i] = n.HasOut(i)
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		cmpElem := selComparer(x)
		if cmpElem == nil {
			return fmt.Errorf("%w: Unique of %v", ops.ErrInvalidNode, dt)
		}
		// The input is outer x d x inner; the d slices are compared.
		outer, d, inner := 1, x.Len(), 1
		axis := -1
		if hasAxis {
			var err error
			if axis, err = ops.NormAxis(axisAttr, len(xs)); err != nil {
				return err
			}
			outer, d, inner = shpProd(xs[:axis]), xs[axis], shpProd(xs[axis+1:])
		}
		stride := d * inner
		cmpSlice := func(a, b int) int {
			if a == b {
				return 0
			}
			for o := range outer {
				pa, pb := o*stride+a*inner, o*stride+b*inner
				for i := range inner {
					if c := cmpElem(pa+i, pb+i); c != 0 {
						return c
					}
				}
			}
			return 0
		}
		res := selFindUnique(d, sorted, cmpSlice)
		g := len(res.first)
		ydims := []int{g}
		if axis >= 0 {
			ydims = append([]int(nil), xs...)
			ydims[axis] = g
		}
		if want[0] {
			y, err := shpOut(out, 0, dt, ydims)
			if err != nil {
				return err
			}
			if inner > 0 {
				for o := range outer {
					for j, s := range res.first {
						el.copyN(y.Raw(), x.Raw(), (o*g+j)*inner, o*stride+s*inner, inner)
					}
				}
			}
		}
		for i, vals := range [][]int{nil, res.first, res.inverse, res.count} {
			if i > 0 && want[i] {
				if err := selInt64Out(out, i, vals); err != nil {
					return err
				}
			}
		}
		return nil
	}), nil
}

func selNewCompress(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil || n.In[1].DType != tensor.Bool {
		return nil, nil
	}
	hasAxis := n.HasAttr("axis")
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x, c := in[0], in[1]
		xs := x.Shape()
		if c.Rank() > 1 {
			return fmt.Errorf("%w: Compress: condition has shape %v, want 1-D", ops.ErrShapeMismatch, c.Shape())
		}
		axis := -1
		outer, d, inner := 1, x.Len(), 1
		if hasAxis {
			var err error
			if axis, err = ops.CompressAxis(n, len(xs)); err != nil {
				return err
			}
			outer, d, inner = shpProd(xs[:axis]), xs[axis], shpProd(xs[axis+1:])
		}
		// Condition entries past the end of the axis select nothing.
		cond := tensor.Data[bool](c)
		var offs []int
		for k, v := range cond[:min(len(cond), d)] {
			if v {
				offs = append(offs, k*inner)
			}
		}
		ydims := []int{len(offs)}
		if axis >= 0 {
			ydims = append([]int(nil), xs...)
			ydims[axis] = len(offs)
		}
		y, err := shpOut(out, 0, dt, ydims)
		if err != nil {
			return err
		}
		if inner == 0 || len(offs) == 0 {
			return nil
		}
		for o := range outer {
			el.gather(y.Raw(), x.Raw(), o*len(offs)*inner, o*d*inner, offs, inner, nil)
		}
		return nil
	}), nil
}

func selNewReverseSequence(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil || n.In[1].DType != tensor.Int64 {
		return nil, nil
	}
	batchAxis, _, err := ops.ReverseSequenceAxes(n)
	if err != nil {
		return nil, err
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x, lens := in[0], tensor.Data[int64](in[1])
		xs := x.Shape()
		if len(xs) < 2 || in[1].Rank() != 1 {
			return fmt.Errorf("%w: ReverseSequence: input %v and sequence_lens %v, want rank >= 2 and rank 1", ops.ErrShapeMismatch, xs, in[1].Shape())
		}
		nb, nt := xs[batchAxis], xs[1-batchAxis]
		if len(lens) != nb {
			return fmt.Errorf("%w: ReverseSequence: %d sequence lengths for a batch of %d", ops.ErrShapeMismatch, len(lens), nb)
		}
		for _, l := range lens {
			if l < 0 || l > int64(nt) {
				return fmt.Errorf("%w: ReverseSequence: sequence length %d out of range [0, %d]", ops.ErrInvalidNode, l, nt)
			}
		}
		y, err := shpOut(out, 0, dt, xs)
		if err != nil {
			return err
		}
		inner := shpProd(xs[2:])
		if inner == 0 {
			return nil
		}
		// Block (b, t) starts at (t*nb + b)*inner when time is axis 0.
		bStride, tStride := inner, nb*inner
		if batchAxis == 0 {
			bStride, tStride = nt*inner, inner
		}
		for b, l := range lens {
			for t := range nt {
				src := t
				if t < int(l) {
					src = int(l) - 1 - t
				}
				el.copyN(y.Raw(), x.Raw(), b*bStride+t*tStride, b*bStride+src*tStride, inner)
			}
		}
		return nil
	}), nil
}
