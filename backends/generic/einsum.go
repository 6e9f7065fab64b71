package generic

// Einsum as a chain of pairwise contractions. Every operand is first seen
// as a strided view with one stride per distinct label (a repeated label,
// a diagonal, sums the strides of its dims; a broadcast ellipsis dim has
// stride 0). Labels that no other operand and not the output use are summed
// out of a view on their own; two views are then contracted by packing them
// as batches of matrices (batch labels, then free labels, then contracted
// labels) and multiplying with the GEMM core; the result, a new view, is
// contracted with the next operand. A last pass permutes (and, for one
// operand, sums) the result into the output's label order.

import (
	"fmt"
	"slices"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() { register("Einsum", einNew) }

// einMM computes c = a*b for row-major a (m x k), b (k x n), c (m x n).
type einMM[T tensor.Numeric] func(m, n, k int, a, b, c []T)

// einGemmMM multiplies with the GEMM core.
func einGemmMM[T gemmElem](m, n, k int, a, b, c []T) {
	gemm(false, false, m, n, k, 1, a, max(k, 1), b, max(n, 1), 0, c, max(n, 1))
}

// einNaiveMM multiplies with three loops (the small integer types, which
// the GEMM core does not take). Integers wrap on overflow.
func einNaiveMM[T tensor.Numeric](m, n, k int, a, b, c []T) {
	clear(c[:m*n])
	for i := range m {
		crow := c[i*n : (i+1)*n]
		for p := range k {
			v := a[i*k+p]
			if v == 0 {
				continue
			}
			for j, bv := range b[p*n : (p+1)*n] {
				crow[j] += v * bv
			}
		}
	}
}

func einNew(n *ops.Node) (ops.Kernel, error) {
	eq, err := ops.ParseEinsum(n.AttrString("equation"))
	if err != nil {
		return nil, err
	}
	if len(eq.Terms) != len(n.In) {
		return nil, ops.Errorf("Einsum equation has %d terms for %d inputs", len(eq.Terms), len(n.In))
	}
	dt := n.In[0].DType
	for i, in := range n.In {
		if in.Absent || in.DType != dt {
			return nil, ops.Errorf("Einsum input %d has type %v, input 0 has %v", i, in.DType, dt)
		}
	}
	switch dt {
	case tensor.Float32:
		return einKernel[float32](eq, einGemmMM[float32]), nil
	case tensor.Float64:
		return einKernel[float64](eq, einGemmMM[float64]), nil
	case tensor.Int32:
		return einKernel[int32](eq, einGemmMM[int32]), nil
	case tensor.Int64:
		return einKernel[int64](eq, einGemmMM[int64]), nil
	case tensor.Uint32:
		return einKernel[uint32](eq, einGemmMM[uint32]), nil
	case tensor.Uint64:
		return einKernel[uint64](eq, einGemmMM[uint64]), nil
	case tensor.Int8:
		return einKernel[int8](eq, einNaiveMM[int8]), nil
	case tensor.Int16:
		return einKernel[int16](eq, einNaiveMM[int16]), nil
	case tensor.Uint8:
		return einKernel[uint8](eq, einNaiveMM[uint8]), nil
	case tensor.Uint16:
		return einKernel[uint16](eq, einNaiveMM[uint16]), nil
	case tensor.Float16, tensor.BFloat16:
		return nnViaF32(einKernel[float32](eq, einGemmMM[float32]), []int{0}, nnOutTypes(n)), nil
	}
	return nil, nil
}

// einView is an operand seen through one stride per distinct label.
type einView[T tensor.Numeric] struct {
	data    []T
	labels  []int
	strides []int
}

// einViewOf views a tensor whose dims carry the given labels; sizes holds
// every label's size (an ellipsis dim of size 1 in t broadcasts: stride 0).
func einViewOf[T tensor.Numeric](t *tensor.Tensor, labels []int, sizes []int) *einView[T] {
	v := &einView[T]{data: tensor.Data[T](t)}
	st := tensor.Strides(t.Shape())
	for i, l := range labels {
		s := st[i]
		if t.Shape()[i] != sizes[l] { // 1, broadcast
			s = 0
		}
		if j := slices.Index(v.labels, l); j >= 0 {
			v.strides[j] += s
			continue
		}
		v.labels = append(v.labels, l)
		v.strides = append(v.strides, s)
	}
	return v
}

// stride returns the view's stride for label l (0 if it has no such label).
func (v *einView[T]) stride(l int) int {
	if j := slices.Index(v.labels, l); j >= 0 {
		return v.strides[j]
	}
	return 0
}

// einMaxSumOffsets bounds the table of summed-element offsets einReduce
// builds; larger sums walk their elements for every output instead.
const einMaxSumOffsets = 1 << 16

// einReduce returns a contiguous view with the labels keep (in that order,
// each a label of v), summing over v's other labels.
func einReduce[T tensor.Numeric](v *einView[T], keep []int, sizes []int) (*einView[T], error) {
	kd, ks := make([]int, len(keep)), make([]int, len(keep))
	for i, l := range keep {
		kd[i], ks[i] = sizes[l], v.stride(l)
	}
	var sd, ss []int
	for j, l := range v.labels {
		if !slices.Contains(keep, l) {
			sd, ss = append(sd, sizes[l]), append(ss, v.strides[j])
		}
	}
	r := &einView[T]{labels: append([]int(nil), keep...), strides: tensor.Strides(kd)}
	if len(sd) == 0 && slices.Equal(ks, r.strides) {
		r.data = v.data // already contiguous in this order
		return r, nil
	}
	total, err := tensor.NumElements(kd)
	if err != nil {
		return nil, fmt.Errorf("%w: Einsum: %w", ops.ErrShapeMismatch, err)
	}
	r.data = make([]T, total)
	if total == 0 {
		return r, nil
	}
	if len(sd) == 0 {
		i := 0
		einEach(kd, ks, func(off int) {
			r.data[i] = v.data[off]
			i++
		})
		return r, nil
	}
	count, err := tensor.NumElements(sd)
	if err != nil {
		return nil, fmt.Errorf("%w: Einsum: %w", ops.ErrShapeMismatch, err)
	}
	var sumOffs []int // offsets of the summed elements, relative to a kept element
	if count <= einMaxSumOffsets {
		sumOffs = make([]int, 0, count)
		einEach(sd, ss, func(off int) { sumOffs = append(sumOffs, off) })
	}
	i := 0
	einEach(kd, ks, func(off int) {
		var s T
		if sumOffs != nil {
			for _, o := range sumOffs {
				s += v.data[off+o]
			}
		} else {
			einEach(sd, ss, func(o int) { s += v.data[off+o] })
		}
		r.data[i] = s
		i++
	})
	return r, nil
}

// einEach calls f with the offset of every element of a strided box of the
// given dims, in row-major order.
func einEach(dims, strides []int, f func(off int)) {
	for _, d := range dims {
		if d == 0 {
			return
		}
	}
	idx := make([]int, len(dims))
	off := 0
	for {
		f(off)
		i := len(dims) - 1
		for ; i >= 0; i-- {
			idx[i]++
			off += strides[i]
			if idx[i] < dims[i] {
				break
			}
			off -= strides[i] * dims[i]
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// einContract contracts views a and b, keeping the labels in keep (and
// summing the shared labels not in it). Labels of a or b alone are kept
// (the caller summed out the others).
func einContract[T tensor.Numeric](a, b *einView[T], keep func(l int) bool, sizes []int, mm einMM[T]) (*einView[T], error) {
	var batch, free, con, bfree []int
	for _, l := range a.labels {
		switch {
		case !slices.Contains(b.labels, l):
			free = append(free, l)
		case keep(l):
			batch = append(batch, l)
		default:
			con = append(con, l)
		}
	}
	for _, l := range b.labels {
		if !slices.Contains(a.labels, l) {
			bfree = append(bfree, l)
		}
	}
	prod := func(ls []int) int {
		p := 1
		for _, l := range ls {
			p *= sizes[l]
		}
		return p
	}
	// The products are bounded by the packed operands' sizes, which
	// einReduce checks.
	pa, err := einReduce(a, slices.Concat(batch, free, con), sizes)
	if err != nil {
		return nil, err
	}
	pb, err := einReduce(b, slices.Concat(batch, con, bfree), sizes)
	if err != nil {
		return nil, err
	}
	labels := slices.Concat(batch, free, bfree)
	dims := make([]int, len(labels))
	for i, l := range labels {
		dims[i] = sizes[l]
	}
	total, err := tensor.NumElements(dims)
	if err != nil {
		return nil, fmt.Errorf("%w: Einsum: %w", ops.ErrShapeMismatch, err)
	}
	nb, m, n, k := prod(batch), prod(free), prod(bfree), prod(con)
	r := &einView[T]{labels: labels, strides: tensor.Strides(dims), data: make([]T, total)}
	if total == 0 {
		return r, nil
	}
	for i := range nb {
		mm(m, n, k, pa.data[i*m*k:(i+1)*m*k], pb.data[i*k*n:(i+1)*k*n], r.data[i*m*n:(i+1)*m*n])
	}
	return r, nil
}

// einKernel builds the kernel for one equation in T.
func einKernel[T tensor.Numeric](eq *ops.EinsumEquation, mm einMM[T]) ops.Kernel {
	return ops.KernelFunc(func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		ranks := make([]int, len(in))
		shapes := make([][]int, len(in))
		for i, t := range in {
			ranks[i], shapes[i] = t.Rank(), t.Shape()
		}
		ins, outLabels, nEll, err := eq.Bind(ranks)
		if err != nil {
			return err
		}
		sizes, err := ops.EinsumLabelSizes(ins, shapes, nEll)
		if err != nil {
			return err
		}
		outShape := make([]int, len(outLabels))
		for i, l := range outLabels {
			outShape[i] = sizes[l]
		}
		// needed(i, l) reports whether an operand after i, or the output,
		// carries label l.
		inOut := make([]bool, len(sizes))
		for _, l := range outLabels {
			inOut[l] = true
		}
		after := make([][]int, len(ins)) // after[i][l]: operands after i with l
		for i := len(ins) - 1; i >= 0; i-- {
			after[i] = make([]int, len(sizes))
			if i+1 < len(ins) {
				copy(after[i], after[i+1])
				for _, l := range ins[i+1] {
					after[i][l]++
				}
			}
		}
		needed := func(i, l int) bool { return inOut[l] || after[i][l] > 0 }
		// own sums out the labels of operand i's view that only it carries
		// (shared ones with acc are left to the contraction).
		own := func(i int, v, acc *einView[T]) (*einView[T], error) {
			var keep []int
			for _, l := range v.labels {
				if needed(i, l) || (acc != nil && slices.Contains(acc.labels, l)) {
					keep = append(keep, l)
				}
			}
			if len(keep) == len(v.labels) {
				return v, nil
			}
			return einReduce(v, keep, sizes)
		}
		acc, err := own(0, einViewOf[T](in[0], ins[0], sizes), nil)
		if err != nil {
			return err
		}
		for i := 1; i < len(in); i++ {
			if err := nnCtxErr(ec); err != nil {
				return err
			}
			b, err := own(i, einViewOf[T](in[i], ins[i], sizes), acc)
			if err != nil {
				return err
			}
			if acc, err = einContract(acc, b, func(l int) bool { return needed(i, l) }, sizes, mm); err != nil {
				return err
			}
		}
		res, err := einReduce(acc, outLabels, sizes)
		if err != nil {
			return err
		}
		y, err := nnOut(out, 0, in[0].DType(), outShape)
		if err != nil {
			return err
		}
		copy(tensor.Data[T](y), res.data)
		return nil
	})
}
