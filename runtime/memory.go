package runtime

import (
	"sort"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// memPlan places the tensors of a static plan in per-dtype arenas, planned
// once from the tensors' lifetimes: a tensor lives from the step that writes
// it to the last step that reads it, and tensors whose lives do not overlap
// share memory. Each concurrent Run takes its own set of arenas from a free
// list, so steady-state Runs allocate nothing for intermediate tensors.
type memPlan struct {
	offset    []int                // slot -> element offset in its dtype's arena; -1: not planned
	size      map[tensor.DType]int // arena length in elements, per dtype
	peakBytes int64
}

// planMemory plans every output of a step that runs with shapes known at
// compile time and a kernel that writes into the given output (not an
// Aliaser). Outputs of other steps are allocated when they run.
func (p *plan) planMemory() {
	m := &memPlan{offset: make([]int, len(p.names)), size: map[tensor.DType]int{}}
	p.mem = m
	for i := range m.offset {
		m.offset[i] = -1
	}
	end := len(p.steps)
	last := make([]int, len(p.names))
	for i := range last {
		last[i] = -1
	}
	for _, s := range p.outputs {
		last[s] = end // copied out after the last step
	}
	// Walk backwards so that an Aliaser's outputs (which may share memory
	// with any of its inputs, or with the enclosing values its subgraphs
	// read) already know how long they live.
	for i := end - 1; i >= 0; i-- {
		st := p.steps[i]
		if st.folded {
			continue
		}
		until := i
		if st.aliases {
			for _, o := range st.out {
				if o >= 0 {
					until = max(until, last[o])
				}
			}
		}
		reads := append([]int(nil), st.in...)
		for _, sp := range st.subplans {
			for _, o := range sp.outer {
				reads = append(reads, o.parent)
			}
		}
		for _, s := range reads {
			if s >= 0 {
				last[s] = max(last[s], until)
			}
		}
	}
	free := map[tensor.DType]*freeList{}
	dying := make([][]int, end+1)
	for i, st := range p.steps {
		if st.folded {
			continue
		}
		if p.isView(st) {
			// The output is the input's memory under another shape: the
			// backward walk made the input live as long as the view.
			m.offset[st.out[0]] = m.offset[st.in[0]]
			continue
		}
		if st.aliases || !st.static {
			continue
		}
		for j, s := range st.out {
			ts := st.node.Out[j]
			if s < 0 || !ts.IsTensor() || ts.DType == tensor.String || ts.DType.Size() == 0 {
				continue
			}
			dims, ok := ts.ConcreteShape()
			if !ok {
				continue
			}
			n, err := tensor.NumElements(dims)
			if err != nil || n == 0 {
				continue
			}
			fl := free[ts.DType]
			if fl == nil {
				fl = &freeList{}
				free[ts.DType] = fl
			}
			m.offset[s] = fl.alloc(n)
			m.size[ts.DType] = max(m.size[ts.DType], fl.end)
			d := max(last[s], i) // an output nobody reads dies at once
			dying[d] = append(dying[d], s)
		}
		for _, s := range dying[i] {
			fl := free[p.types[s].DType]
			fl.release(m.offset[s], p.nelems(s))
		}
	}
	for dt, n := range m.size {
		m.peakBytes += int64(n) * int64(dt.Size())
	}
}

// prefault makes the first Run's state now, its arenas written once so that
// the OS maps their pages here rather than during that Run (which was 1.3x
// slower than later ones on squeezenet1_1 from page faults alone). Not for
// arenas too large to commit before a Run needs them. Called once the plan
// is within the Session's limits.
func (p *plan) prefault() {
	if p.mem == nil || p.mem.peakBytes > prefaultMaxBytes {
		return
	}
	rs := p.newRunState()
	for _, a := range rs.arenas {
		a.Zero()
	}
	p.states.Put(rs)
}

// prefaultMaxBytes bounds the arenas NewSession maps in ahead of the first
// Run (resnet18 needs 4 MB).
const prefaultMaxBytes = 1 << 30

// viewOps reshape their first input without moving data; with static shapes
// their output is planned at their input's place, so that a Run makes no
// tensor for them.
var viewOps = map[string]bool{"Reshape": true, "Flatten": true, "Squeeze": true, "Unsqueeze": true, "Identity": true}

// isView reports whether st's single output can be planned as a view of its
// first input: a reshaping op of the default domain, shapes known at compile
// time, the input planned in an arena, and the same element count and dtype.
func (p *plan) isView(st *step) bool {
	n := st.node
	if !st.aliases || !st.static || n.Domain != "" || !viewOps[n.OpType] || len(st.out) != 1 || len(st.in) == 0 {
		return false
	}
	in, out := st.in[0], st.out[0]
	if in < 0 || out < 0 || p.mem.offset[in] < 0 || p.types[in].DType != p.types[out].DType {
		return false
	}
	dims, ok := p.types[out].ConcreteShape()
	if !ok {
		return false
	}
	n2, err := tensor.NumElements(dims)
	return err == nil && n2 == p.nelems(in)
}

// nelems is the element count of a planned slot.
func (p *plan) nelems(s int) int {
	dims, _ := p.types[s].ConcreteShape()
	n, _ := tensor.NumElements(dims)
	return n
}

// freeList hands out ranges of an arena that grows as needed.
type freeList struct {
	blocks []block // free ranges, sorted by offset, never adjacent
	end    int     // arena length so far
}

type block struct{ off, n int }

// alloc returns the offset of n free elements: the smallest free block that
// fits, else the end of the arena (grown, reusing a free block at the end).
func (f *freeList) alloc(n int) int {
	best := -1
	for i, b := range f.blocks {
		if b.n >= n && (best < 0 || b.n < f.blocks[best].n) {
			best = i
		}
	}
	if best >= 0 {
		b := &f.blocks[best]
		off := b.off
		b.off += n
		b.n -= n
		if b.n == 0 {
			f.blocks = append(f.blocks[:best], f.blocks[best+1:]...)
		}
		return off
	}
	if k := len(f.blocks); k > 0 && f.blocks[k-1].off+f.blocks[k-1].n == f.end {
		off := f.blocks[k-1].off
		f.blocks = f.blocks[:k-1]
		f.end = off + n
		return off
	}
	off := f.end
	f.end += n
	return off
}

// release returns [off, off+n) to the free list, merging neighbours.
func (f *freeList) release(off, n int) {
	i := sort.Search(len(f.blocks), func(i int) bool { return f.blocks[i].off > off })
	f.blocks = append(f.blocks, block{})
	copy(f.blocks[i+1:], f.blocks[i:])
	f.blocks[i] = block{off, n}
	if i+1 < len(f.blocks) && f.blocks[i].off+f.blocks[i].n == f.blocks[i+1].off {
		f.blocks[i].n += f.blocks[i+1].n
		f.blocks = append(f.blocks[:i+1], f.blocks[i+2:]...)
	}
	if i > 0 && f.blocks[i-1].off+f.blocks[i-1].n == f.blocks[i].off {
		f.blocks[i-1].n += f.blocks[i].n
		f.blocks = append(f.blocks[:i], f.blocks[i+1:]...)
	}
}

// runState is what one Run of the main plan needs, kept in the plan's free
// list (plan.states) and reused: value slots, the arenas with a tensor
// viewing each planned slot, per-step input/output slices, and the Run's
// budget for the bytes it holds outside the arenas.
type runState struct {
	vals    []*tensor.Tensor
	planned []*tensor.Tensor
	arenas  []*tensor.Tensor // the memory planned slots view, one per dtype
	in, out [][]*tensor.Tensor
	ec      ops.ExecContext
	env     env
	held    []int64 // slot -> bytes counted against budget
	budget  budget
}

func (p *plan) newRunState() *runState {
	rs := &runState{vals: make([]*tensor.Tensor, len(p.names)), in: make([][]*tensor.Tensor, len(p.steps)),
		out: make([][]*tensor.Tensor, len(p.steps)), held: make([]int64, len(p.names))}
	rs.budget.lim = &p.limits
	for i, st := range p.steps {
		rs.in[i] = make([]*tensor.Tensor, len(st.in))
		rs.out[i] = make([]*tensor.Tensor, len(st.out))
	}
	if p.mem == nil {
		return rs
	}
	arenas := map[tensor.DType]*tensor.Tensor{}
	for dt, n := range p.mem.size {
		arenas[dt] = tensor.Must(tensor.New(dt, n))
		rs.arenas = append(rs.arenas, arenas[dt])
	}
	rs.planned = make([]*tensor.Tensor, len(p.names))
	for s, off := range p.mem.offset {
		if off < 0 {
			continue
		}
		dims, _ := p.types[s].ConcreteShape()
		rs.planned[s] = tensor.Must(arenas[p.types[s].DType].View(off, dims...))
	}
	return rs
}
