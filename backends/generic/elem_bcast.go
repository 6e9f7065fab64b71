package generic

import (
	"fmt"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// Broadcasting iteration, shared by every elementwise kernel with more
// than one input (binary ops, PRelu, Where, the variadic Min/Max/Sum/Mean).
//
// An elemPlan describes how up to elemMaxIn inputs map onto the row-major
// elements of an output they broadcast to. It is built once per set of
// shapes (at session build when the shapes are known, else per call):
//
//  1. Every input gets a stride per output dim, 0 where it broadcasts.
//  2. Output dims of size 1 are dropped, and adjacent dims are merged
//     wherever every input steps through them as through one dim (all
//     contiguous, or all broadcast). Equal shapes collapse to one dim; a
//     scalar against anything too; [2,3,4]+[4] becomes 6 rows of 4;
//     [3,1]+[1,4] 3 rows of 4.
//  3. The innermost merged dim is the "run": a stretch of the output that
//     every input reads either contiguously (step 1) or as one repeated
//     element (step 0). The outer merged dims are walked with an odometer
//     that updates each input's offset by adding strides: no per-element
//     index arithmetic.
//
// Kernels supply a row function that handles one run: row(dst, x, y) gets
// dst of the run's length n and inputs of length n (contiguous) or 1
// (repeated), and must allow dst to alias an input of length n. Equal
// shapes and scalar operands are then a single call over the whole tensor.

const (
	// elemMaxIn is the most inputs one plan serves (Where has three).
	elemMaxIn = 3
	// elemMaxDims bounds the outer dims left after merging. Reaching it
	// takes 17 dims alternating between broadcast and not.
	elemMaxDims = 16
)

// elemPlan is a broadcasting iteration plan; see above. It is immutable
// once built, so kernels share it between concurrent runs.
type elemPlan struct {
	nin    int
	in     [elemMaxIn][]int // the input shapes it was built for
	out    []int            // the output shape
	total  int              // output elements
	inner  int              // run length (>= 1 when total > 0)
	step   [elemMaxIn]int   // each input's step within a run: 0 or 1
	dims   []int            // outer dims, outermost first
	stride [elemMaxIn][]int // each input's stride per outer dim
}

// newElemPlan plans the broadcast of the given input shapes to out, or,
// when out is nil, to their multidirectional broadcast. Incompatible shapes
// give an error wrapping ops.ErrShapeMismatch.
func newElemPlan(out []int, in ...[]int) (*elemPlan, error) {
	if len(in) == 0 || len(in) > elemMaxIn {
		return nil, fmt.Errorf("generic: broadcast of %d inputs", len(in))
	}
	if out == nil {
		b, err := tensor.BroadcastShapes(in...)
		if err != nil {
			return nil, fmt.Errorf("%w: cannot broadcast shapes %v", ops.ErrShapeMismatch, in)
		}
		out = b
	}
	total, err := tensor.NumElements(out)
	if err != nil {
		return nil, err
	}
	p := &elemPlan{nin: len(in), out: append([]int{}, out...), total: total, inner: 1}
	r := len(out)
	var st [elemMaxIn][]int
	for k, s := range in {
		p.in[k] = append([]int{}, s...)
		if len(s) > r {
			return nil, fmt.Errorf("%w: cannot broadcast %v to %v", ops.ErrShapeMismatch, s, out)
		}
		st[k] = make([]int, r)
		off := r - len(s)
		acc := 1
		for i := len(s) - 1; i >= 0; i-- {
			switch {
			case s[i] == out[off+i]:
				if s[i] != 1 {
					st[k][off+i] = acc
				}
			case s[i] == 1:
			default:
				return nil, fmt.Errorf("%w: cannot broadcast %v to %v", ops.ErrShapeMismatch, s, out)
			}
			acc *= s[i]
		}
	}
	for k := range in {
		p.step[k] = 1
	}
	if total == 0 {
		return p, nil
	}

	// Merge dims, innermost first.
	type group struct {
		size int
		st   [elemMaxIn]int
	}
	var groups []group
	for i := r - 1; i >= 0; i-- {
		if out[i] == 1 {
			continue
		}
		if len(groups) > 0 {
			g := &groups[len(groups)-1]
			merge := true
			for k := range in {
				if st[k][i] != g.st[k]*g.size {
					merge = false
					break
				}
			}
			if merge {
				g.size *= out[i]
				continue
			}
		}
		g := group{size: out[i]}
		for k := range in {
			g.st[k] = st[k][i]
		}
		groups = append(groups, g)
	}
	if len(groups) == 0 {
		return p, nil // one element
	}
	if len(groups)-1 > elemMaxDims {
		return nil, fmt.Errorf("%w: broadcasting %v needs more than %d loops", ops.ErrShapeMismatch, in, elemMaxDims)
	}
	p.inner = groups[0].size
	for k := range in {
		p.step[k] = groups[0].st[k]
	}
	outer := groups[1:]
	p.dims = make([]int, len(outer))
	for k := range in {
		p.stride[k] = make([]int, len(outer))
	}
	for j, g := range outer {
		d := len(outer) - 1 - j
		p.dims[d] = g.size
		for k := range in {
			p.stride[k][d] = g.st[k]
		}
	}
	return p, nil
}

// matches reports whether p was built for exactly these input shapes.
func (p *elemPlan) matches(in ...[]int) bool {
	if p == nil || len(in) != p.nin {
		return false
	}
	for k, s := range in {
		if !tensor.SameShape(s, p.in[k]) {
			return false
		}
	}
	return true
}

// elemPlanFor returns cached when it was built for these shapes, else a
// new plan for their broadcast to out (nil: multidirectional).
func elemPlanFor(cached *elemPlan, out []int, in ...[]int) (*elemPlan, error) {
	if cached.matches(in...) && (out == nil || tensor.SameShape(out, cached.out)) {
		return cached, nil
	}
	// Plan from a copy of in, so that the caller's variadic slice does not
	// escape (keeping the cached path free of allocations).
	return newElemPlan(out, append([][]int(nil), in...)...)
}

// elemPrePlan builds a plan at session build from the node's inferred
// input shapes (the given inputs), or returns nil if a shape is not fully
// known or the plan fails (the error then surfaces at run time).
func elemPrePlan(n *ops.Node, out []int, inputs ...int) *elemPlan {
	shapes := make([][]int, len(inputs))
	for i, k := range inputs {
		if k >= len(n.In) {
			return nil
		}
		s, ok := n.In[k].ConcreteShape()
		if !ok {
			return nil
		}
		shapes[i] = s
	}
	p, err := newElemPlan(out, shapes...)
	if err != nil {
		return nil
	}
	return p
}

// runLen is how many elements of input k a run reads.
func (p *elemPlan) runLen(k int) int {
	if p.step[k] == 0 {
		return 1
	}
	return p.inner
}

// elemIter walks the runs of a plan: off holds each input's offset of the
// current run.
type elemIter struct {
	idx [elemMaxDims]int
	off [elemMaxIn]int
}

// next advances to the next run.
func (it *elemIter) next(p *elemPlan) {
	for j := len(p.dims) - 1; j >= 0; j-- {
		it.idx[j]++
		if it.idx[j] < p.dims[j] {
			for k := 0; k < p.nin; k++ {
				it.off[k] += p.stride[k][j]
			}
			return
		}
		it.idx[j] = 0
		for k := 0; k < p.nin; k++ {
			it.off[k] -= p.stride[k][j] * (p.dims[j] - 1)
		}
	}
}

// elemRun2 applies row over two inputs broadcast to the output.
func elemRun2[A, B, O any](p *elemPlan, d []O, x []A, y []B, row func(d []O, x []A, y []B)) {
	n, nx, ny := p.inner, p.runLen(0), p.runLen(1)
	var it elemIter
	for o := 0; o < p.total; o += n {
		row(d[o:o+n], x[it.off[0]:it.off[0]+nx], y[it.off[1]:it.off[1]+ny])
		it.next(p)
	}
}

// elemRun3 applies row over three inputs broadcast to the output.
func elemRun3[A, B, C, O any](p *elemPlan, d []O, x []A, y []B, z []C, row func(d []O, x []A, y []B, z []C)) {
	n, nx, ny, nz := p.inner, p.runLen(0), p.runLen(1), p.runLen(2)
	var it elemIter
	for o := 0; o < p.total; o += n {
		row(d[o:o+n], x[it.off[0]:it.off[0]+nx], y[it.off[1]:it.off[1]+ny], z[it.off[2]:it.off[2]+nz])
		it.next(p)
	}
}

// elemOut returns out[0] when the runtime allocated it (checking its dtype
// and shape), else allocates a tensor of the given dtype and shape and
// stores it in out[0].
func elemOut(out []*tensor.Tensor, dt tensor.DType, shape []int) (*tensor.Tensor, error) {
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no output slot", ops.ErrInvalidNode)
	}
	if o := out[0]; o != nil {
		if o.DType() != dt || !tensor.SameShape(o.Shape(), shape) {
			return nil, fmt.Errorf("%w: output is %v%v, want %v%v", ops.ErrShapeMismatch, o.DType(), o.Shape(), dt, shape)
		}
		return o, nil
	}
	o, err := tensor.New(dt, shape...)
	if err != nil {
		return nil, err
	}
	out[0] = o
	return o, nil
}

// elemRowFn lifts a scalar function into a row function (for the ops that
// are not worth a hand-written loop: the call through f is not inlined).
func elemRowFn[A, B, O any](f func(A, B) O) func(d []O, x []A, y []B) {
	return func(d []O, x []A, y []B) {
		switch {
		case len(x) == len(d) && len(y) == len(d):
			x, y = x[:len(d)], y[:len(d)]
			for i := range d {
				d[i] = f(x[i], y[i])
			}
		case len(x) == len(d):
			s := y[0]
			x = x[:len(d)]
			for i := range d {
				d[i] = f(x[i], s)
			}
		default:
			s := x[0]
			y = y[:len(d)]
			for i := range d {
				d[i] = f(s, y[i])
			}
		}
	}
}
