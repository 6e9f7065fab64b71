package ops

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/onyxml/onyx/tensor"
)

// Kernel runs one node. It is built once per node when a session is
// compiled, and may then be called from many goroutines at once, so it must
// not keep per-call state in itself.
//
// in holds one tensor per node input (nil for an omitted optional one).
// out holds one slot per node output: the runtime fills a slot with a
// zeroed tensor of the inferred shape when that shape is known, and leaves
// it nil otherwise (data-dependent shapes), in which case the kernel stores
// a tensor it allocates. A slot for an omitted output may be ignored.
type Kernel interface {
	Run(ec *ExecContext, in, out []*tensor.Tensor) error
}

// KernelFunc adapts a function to Kernel.
type KernelFunc func(ec *ExecContext, in, out []*tensor.Tensor) error

// Run calls f.
func (f KernelFunc) Run(ec *ExecContext, in, out []*tensor.Tensor) error { return f(ec, in, out) }

// Aliaser is implemented by kernels whose outputs may share memory with
// their inputs (Reshape, Identity, Squeeze...). The runtime leaves their out
// slots nil and the kernel stores the (possibly aliasing) result. Such
// outputs must not be written to afterwards by anyone.
type Aliaser interface {
	Kernel
	Aliases() bool
}

// Overwriter is implemented by kernels that write every element of their
// preallocated outputs, so the runtime need not zero reused memory first.
type Overwriter interface {
	Kernel
	Overwrites() bool
}

type aliasing struct{ Kernel }

func (aliasing) Aliases() bool { return true }

// Aliasing marks k as an Aliaser.
func Aliasing(k Kernel) Kernel { return aliasing{k} }

// ExecContext carries what a kernel may need from the run that calls it.
type ExecContext struct {
	// Ctx is the Run's context; long kernels may poll it between chunks.
	Ctx context.Context
	// Threads is the number of threads the kernel may use (>= 1).
	Threads int
	// RunGraph runs a subgraph attribute of the node (If, Loop, Scan) with
	// the given inputs, seeing the enclosing scope's values. Nil when the
	// runtime does not provide subgraph execution.
	RunGraph func(graphAttr string, inputs []*tensor.Tensor) ([]*tensor.Tensor, error)
	// Pool runs the chunks of a parallel loop on the session's threads;
	// nil runs them on the calling goroutine. Use ParallelFor.
	Pool Parallel
	// Budget counts the memory the Run holds against the session's
	// limits; nil counts nothing. The runtime counts the outputs it
	// allocates and those a kernel stores; a kernel that keeps tensors of
	// its own while it runs (Loop's scan outputs, one iteration after
	// another) counts them with Reserve and Release.
	Budget Budget
}

// Budget is the memory one Run may still use. A Run's budget is shared by
// the subgraphs it runs; its methods are safe for concurrent use.
type Budget interface {
	// Reserve counts n more bytes as held, or returns an error, counting
	// nothing, when that would go over the limit. Call it before
	// allocating.
	Reserve(n int64) error
	// Release stops counting n bytes counted by Reserve.
	Release(n int64)
	// CheckTensor returns an error when one tensor of n bytes would be
	// over the limit on a single tensor.
	CheckTensor(n int64) error
}

// Reserve counts n bytes against ec.Budget (see Budget.Reserve); with no
// budget it does nothing. ec may be nil.
func (ec *ExecContext) Reserve(n int64) error {
	if ec == nil || ec.Budget == nil || n <= 0 {
		return nil
	}
	return ec.Budget.Reserve(n)
}

// Release stops counting n bytes reserved with Reserve. ec may be nil.
func (ec *ExecContext) Release(n int64) {
	if ec == nil || ec.Budget == nil || n <= 0 {
		return
	}
	ec.Budget.Release(n)
}

// CheckTensor checks one tensor of n bytes against ec.Budget's per-tensor
// limit (see Budget.CheckTensor). ec may be nil.
func (ec *ExecContext) CheckTensor(n int64) error {
	if ec == nil || ec.Budget == nil {
		return nil
	}
	return ec.Budget.CheckTensor(n)
}

// Parallel runs fn(i) for every i in [0, n), possibly on several threads,
// and returns when all calls have returned. The calling goroutine takes
// part, so a descheduled worker never makes the loop slower than running it
// alone.
type Parallel interface {
	For(n int, fn func(i int))
}

// ParallelUntil is a Parallel that can stop early: ForUntil is For, except
// that chunks not yet started when done is closed are skipped.
type ParallelUntil interface {
	Parallel
	ForUntil(done <-chan struct{}, n int, fn func(i int))
}

// ParallelFor runs fn(i) for i in [0, n): on ec's pool when there is one
// and n > 1, else in order on the calling goroutine. Kernels split only
// large work into chunks (each worth tens of microseconds or more).
//
// Once ec.Ctx is done, the chunks not yet started are skipped, so that a
// cancelled Run stops within a chunk of a large node; the kernel returns
// as usual, and the runtime, which checks ec.Ctx after every node, discards
// the partial result and returns ctx.Err().
func (ec *ExecContext) ParallelFor(n int, fn func(i int)) {
	if ec == nil || ec.Pool == nil || n < 2 {
		ec.SerialFor(n, fn)
		return
	}
	if pu, ok := ec.Pool.(ParallelUntil); ok && ec.Ctx != nil {
		pu.ForUntil(ec.Ctx.Done(), n, fn)
		return
	}
	ec.Pool.For(n, fn)
}

// SerialFor runs fn(i) for i in [0, n) in order on the calling goroutine,
// skipping the calls not yet started once ec.Ctx is done (as ParallelFor
// does): for kernels that keep small work on one thread even when ec has a
// pool. ec may be nil.
func (ec *ExecContext) SerialFor(n int, fn func(i int)) {
	for i := range n {
		if ec != nil && ec.Ctx != nil && ec.Ctx.Err() != nil {
			return
		}
		fn(i)
	}
}

// KernelFactory builds the kernel for one node, once. It returns (nil, nil)
// to decline a node it does not handle (an unsupported dtype or attribute),
// so that the next backend is asked; an error means the node is invalid.
type KernelFactory func(n *Node) (Kernel, error)

// Priorities of the standard tiers. A higher priority is asked first.
const (
	PriorityGeneric = 0
	PriorityArch    = 10
	PriorityUser    = 100
)

// KernelDef registers a factory for one op of one domain.
type KernelDef struct {
	Domain   string
	Op       string
	Backend  string // "generic", "avx2", "avx512", "neon", or a user's name
	Priority int
	// Since and Until bound the opsets this factory handles (0: no bound).
	Since, Until int64
	New          KernelFactory
}

var (
	kernelMu sync.RWMutex
	kernels  = map[opKey][]KernelDef{} // sorted by descending priority
)

// RegisterKernel adds a kernel factory. Call it from init. It panics on a
// nil factory, an empty op or backend name, or a duplicate (domain, op,
// backend, since): those are programming errors.
func RegisterKernel(d KernelDef) {
	if d.New == nil || d.Op == "" || d.Backend == "" {
		panic(fmt.Sprintf("ops: RegisterKernel: incomplete definition for %q/%q", d.Op, d.Backend))
	}
	d.Domain = normDomain(d.Domain)
	kernelMu.Lock()
	defer kernelMu.Unlock()
	k := opKey{d.Domain, d.Op}
	for _, o := range kernels[k] {
		if o.Backend == d.Backend && o.Since == d.Since {
			panic(fmt.Sprintf("ops: RegisterKernel: duplicate %s kernel for %s", d.Backend, d.Op))
		}
	}
	l := append(kernels[k], d)
	sort.SliceStable(l, func(i, j int) bool { return l[i].Priority > l[j].Priority })
	kernels[k] = l
}

// KernelDefs returns the factories registered for op, highest priority first.
func KernelDefs(domain, op string) []KernelDef {
	kernelMu.RLock()
	defer kernelMu.RUnlock()
	return append([]KernelDef(nil), kernels[opKey{normDomain(domain), op}]...)
}

// Backends returns the sorted names of every backend that registered a kernel.
func Backends() []string {
	kernelMu.RLock()
	defer kernelMu.RUnlock()
	seen := map[string]bool{}
	for _, l := range kernels {
		for _, d := range l {
			seen[d.Backend] = true
		}
	}
	out := make([]string, 0, len(seen))
	for b := range seen {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

// HasKernel reports whether any backend offers a kernel for op at opset.
func HasKernel(domain, op string, opset int64) bool {
	for _, d := range KernelDefs(domain, op) {
		if d.covers(opset) {
			return true
		}
	}
	return false
}

func (d KernelDef) covers(opset int64) bool {
	return (d.Since == 0 || opset >= d.Since) && (d.Until == 0 || opset <= d.Until)
}

// SelectKernel asks the factories for n's op in priority order, skipping
// backends that allow rejects (allow nil accepts all), and returns the first
// kernel offered with its backend's name.
func SelectKernel(n *Node, allow func(backend string) bool) (Kernel, string, error) {
	for _, d := range KernelDefs(n.Domain, n.OpType) {
		if !d.covers(n.Opset) || (allow != nil && !allow(d.Backend)) {
			continue
		}
		k, err := d.New(n)
		if err != nil {
			return nil, d.Backend, err
		}
		if k != nil {
			return k, d.Backend, nil
		}
	}
	ins := make([]string, len(n.In))
	for i, t := range n.In {
		ins[i] = t.String()
	}
	return nil, "", fmt.Errorf("%w: no kernel for %s opset %d with inputs %v", ErrUnsupportedOp, n.OpType, n.Opset, ins)
}
