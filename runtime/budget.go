package runtime

import (
	"fmt"
	"sync/atomic"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// budget counts the bytes one Run holds outside its arena, against what
// Limits.MaxTotalBytes leaves once compilation has counted the initializers
// and the arena. It counts:
//
//   - the outputs of the steps that make tensors outside the arena (shapes
//     known only at run time, every step of a subgraph, views and
//     containers, which count as copies), from just before the runtime
//     allocates them (or, when nothing could infer their shapes, just after
//     the kernel did) until the runtime drops them: after their last reader
//     (plan.planFrees), at the end of the subgraph run that made them, or at
//     the end of the Run;
//   - what control-flow kernels keep between the subgraph runs of one node
//     (Loop's scan outputs and carried values), through ops.Budget.
//
// Each Run has its own budget, in its runState, as it has its own arena;
// subgraph runs share their Run's. The counter is atomic because a kernel
// may run subgraphs from several goroutines.
type budget struct {
	used atomic.Int64
	lim  *budgetLimits // the plan's
}

// budgetLimits are a plan's limits on one Run, fixed at compile time.
type budgetLimits struct {
	left      int64 // MaxTotalBytes - initBytes - arena: what a Run may hold beyond its arena
	maxTensor int64 // MaxTensorBytes
	total     int64 // MaxTotalBytes, initBytes and arena, for messages
	initBytes int64
	arena     int64
}

var _ ops.Budget = (*budget)(nil)

// Reserve counts n more bytes, or returns an error wrapping ErrLimit (and
// counts nothing) when the Run would then hold more than the limit leaves.
// A nil budget counts nothing.
func (b *budget) Reserve(n int64) error {
	if b == nil || n <= 0 {
		return nil
	}
	if used := b.used.Add(n); used > b.lim.left {
		b.used.Add(-n)
		l := b.lim
		return fmt.Errorf("%w: %d bytes more would make this Run hold %d bytes outside its arena, over the %d that MaxTotalBytes (%d; see WithLimits) leaves beside the initializers (%d) and the arena (%d)",
			ErrLimit, n, used, l.left, l.total, l.initBytes, l.arena)
	}
	return nil
}

// Release stops counting n bytes.
func (b *budget) Release(n int64) {
	if b == nil || n == 0 {
		return
	}
	b.used.Add(-n)
}

// CheckTensor returns an error wrapping ErrLimit when one tensor of n bytes
// is over MaxTensorBytes.
func (b *budget) CheckTensor(n int64) error {
	if b == nil || n <= b.lim.maxTensor {
		return nil
	}
	return fmt.Errorf("%w: %d bytes, over MaxTensorBytes (%d; see WithLimits)", ErrLimit, n, b.lim.maxTensor)
}

// planCounting marks the steps that make values outside the arena (in a
// subgraph, every step) and lists, for each step, the slots it frees that
// may hold counted bytes. It runs once the memory is planned; steps whose
// outputs are all in the arena (every step of a static model) count nothing.
func (p *plan) planCounting() {
	counted := make([]bool, len(p.names))
	for _, st := range p.steps {
		if st.folded {
			continue
		}
		for _, s := range st.out {
			if s >= 0 && (p.mem == nil || p.mem.offset[s] < 0) {
				st.counts = true
				counted[s] = true
			}
		}
	}
	for _, st := range p.steps {
		for _, s := range st.free {
			if counted[s] {
				st.release = append(st.release, s)
			}
		}
	}
}

// reserveOutputs counts the outputs that ops.AllocOutputs is about to
// allocate (those with no tensor yet and a concrete inferred shape), before
// it does; held[s] records what slot s holds.
func (st *step) reserveOutputs(b *budget, held []int64, inferred []ops.TypeShape, out []*tensor.Tensor) error {
	n := st.node
	for j, s := range st.out {
		if s < 0 || out[j] != nil || j >= len(inferred) || !inferred[j].IsTensor() || !inferred[j].DType.Supported() {
			continue
		}
		dims, ok := inferred[j].ConcreteShape()
		if !ok {
			continue
		}
		size := tensorBytes(inferred[j].DType, dims)
		if err := b.Reserve(size); err != nil {
			return fmt.Errorf("runtime: %v: output %q: %w", n.Node, n.Outputs[j], err)
		}
		held[s] += size
	}
	return nil
}

// settleOutputs counts the outputs outside the arena as the kernel left
// them: the tensors it allocated itself (shapes nothing could infer), the
// values an Aliaser stored (a view or a container counts as a copy; If's
// and Loop's results), strings' contents.
func (st *step) settleOutputs(b *budget, held []int64, out, planned []*tensor.Tensor) error {
	n := st.node
	for j, s := range st.out {
		if s < 0 || (planned != nil && planned[s] != nil) {
			continue
		}
		var size int64
		if out[j] != nil {
			size = out[j].Bytes()
		}
		if d := size - held[s]; d > 0 {
			if err := b.Reserve(d); err != nil {
				return fmt.Errorf("runtime: %v: output %q: %w", n.Node, n.Outputs[j], err)
			}
		} else {
			b.Release(-d)
		}
		held[s] = size
	}
	return nil
}

// releaseAll stops counting what the slots of held hold.
func (b *budget) releaseAll(held []int64) {
	var n int64
	for _, h := range held {
		n += h
	}
	b.Release(n)
	clear(held)
}
