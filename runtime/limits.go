package runtime

import (
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// Limits bound what a Session accepts from a model, so that a corrupt or
// hostile model (a tensor declared with 10^12 elements, a Loop nested in
// itself a thousand times, a ConstantOfShape fed a huge shape at run time,
// a Loop piling up scan outputs) yields an error wrapping ErrLimit, naming
// what is at fault, instead of exhausting memory or the stack. A zero field means
// its value in DefaultLimits; to lift a limit, set it to the largest value
// of its type.
//
// Sizes are those of the tensors' elements: a string counts 16 bytes plus
// its contents, a sequence or optional the sum of its items. Kernels'
// temporary buffers and the caller's input tensors are not counted.
type Limits struct {
	// MaxTensorBytes bounds one tensor: an initializer, an input whose
	// declared shape is concrete, an output whose shape is inferred at
	// compile time; at run time, an output whose shape depends on input
	// values (ConstantOfShape, Expand, Tile, Range, Resize, ...), checked
	// before it is allocated (after, for the few whose shape only their
	// kernel knows, such as NonZero's), and a Loop's or Scan's scan
	// output, checked at each iteration as it grows.
	MaxTensorBytes int64
	// MaxTotalBytes bounds the memory of one Run: the model's initializers
	// plus the arena a Run uses for the intermediate tensors whose shapes
	// are known at compile time (both checked by NewSession), plus the
	// tensors the Run holds outside that arena at any moment. Those count
	// from just before they are allocated (just after, when only their
	// kernel knows their shape) until the Run drops them after their last
	// use: outputs whose shapes are known only at run time,
	// every value made inside a subgraph (If, Loop and Scan bodies count
	// against their Run's budget), views and containers not planned in the
	// arena (as if they were copies), the Run's outputs until it returns,
	// and what Loop and Scan keep between iterations (scan outputs so far,
	// carried values), so that a Loop over the limit stops at the
	// iteration that passes it. Concurrent Runs each have their own arena
	// and their own count.
	MaxTotalBytes int64
	// MaxGraphDepth bounds the nesting of subgraphs: the main graph is at
	// depth 0, an If branch in it at 1, a Loop body in that branch at 2.
	MaxGraphDepth int
	// MaxNodes bounds the number of nodes, subgraphs included.
	MaxNodes int
}

// DefaultLimits are the limits of a Session built without WithLimits: 4 GiB
// per tensor and 16 GiB per Run, initializers included (far above the
// models onyx targets, far below what a 64-bit address space lets a bad
// model ask for), subgraphs nested 64 deep and a million nodes.
var DefaultLimits = Limits{
	MaxTensorBytes: 4 << 30,
	MaxTotalBytes:  16 << 30,
	MaxGraphDepth:  64,
	MaxNodes:       1 << 20,
}

// WithLimits sets the Session's resource limits; zero fields keep their
// defaults (DefaultLimits) and negative ones are an error.
func WithLimits(l Limits) Option {
	return func(c *config) error {
		if l.MaxTensorBytes < 0 || l.MaxTotalBytes < 0 || l.MaxGraphDepth < 0 || l.MaxNodes < 0 {
			return fmt.Errorf("runtime: WithLimits(%+v): negative limit", l)
		}
		c.limits = l.withDefaults()
		return nil
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxTensorBytes == 0 {
		l.MaxTensorBytes = d.MaxTensorBytes
	}
	if l.MaxTotalBytes == 0 {
		l.MaxTotalBytes = d.MaxTotalBytes
	}
	if l.MaxGraphDepth == 0 {
		l.MaxGraphDepth = d.MaxGraphDepth
	}
	if l.MaxNodes == 0 {
		l.MaxNodes = d.MaxNodes
	}
	return l
}

// tensorBytes is the size of a tensor of dt with dims (strings count as
// 16-byte headers); dims must have passed tensor.NumElements.
func tensorBytes(dt tensor.DType, dims []int) int64 {
	n, err := tensor.NumElements(dims)
	if err != nil {
		return -1
	}
	size := int64(dt.Size())
	if dt == tensor.String {
		size = 16
	}
	return int64(n) * size
}

// overLimit reports a tensor, named by what, of dt and dims that is larger
// than max bytes.
func overLimit(what string, dt tensor.DType, dims []int, max int64) error {
	b := tensorBytes(dt, dims)
	if b < 0 {
		return fmt.Errorf("runtime: %s: %w: shape %v has more than %d elements", what, ErrLimit, dims, int64(tensor.MaxElements))
	}
	if b > max {
		return fmt.Errorf("runtime: %s: %w: %v%v is %d bytes, over MaxTensorBytes (%d; see WithLimits)", what, ErrLimit, dt, dims, b, max)
	}
	return nil
}

// checkShapes checks the outputs of n whose shapes infer gave as concrete
// against the tensor limit (before they are allocated).
func checkShapes(n *ops.Node, infer []ops.TypeShape, max int64) error {
	for i, ts := range infer {
		if i >= len(n.Outputs) || !n.HasOut(i) || !ts.IsTensor() {
			continue
		}
		if dims, ok := ts.ConcreteShape(); ok {
			if err := overLimit(fmt.Sprintf("%v: output %q", n.Node, n.Outputs[i]), ts.DType, dims, max); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkTensors checks the tensors a kernel stored (including those it
// allocated itself, for shapes nothing could infer) against the limit.
func checkTensors(n *ops.Node, out []*tensor.Tensor, max int64) error {
	for i, t := range out {
		if t == nil || t.Kind() != tensor.KindTensor || i >= len(n.Outputs) {
			continue
		}
		if err := overLimit(fmt.Sprintf("%v: output %q", n.Node, n.Outputs[i]), t.DType(), t.Shape(), max); err != nil {
			return err
		}
	}
	return nil
}

// checkModelSize walks m's graphs before anything recursive runs on them:
// it checks the nesting depth of subgraphs, the number of nodes and the
// size of each initializer, and returns the initializers' total size. The
// walk stops at the depth limit, so even a graph attribute pointing back at
// an enclosing graph (possible in a model built in Go) is an error.
func checkModelSize(g *ir.Graph, lim Limits) (int64, error) {
	var (
		nodes int
		total int64
	)
	var walk func(g *ir.Graph, depth int, where string) error
	walk = func(g *ir.Graph, depth int, where string) error {
		if depth > lim.MaxGraphDepth {
			return fmt.Errorf("runtime: %s: %w: subgraphs nested more than %d deep (MaxGraphDepth; see WithLimits)", where, ErrLimit, lim.MaxGraphDepth)
		}
		for _, in := range g.Initializers {
			if in.Tensor == nil || in.Tensor.Kind() != tensor.KindTensor {
				continue // compileGraph reports it
			}
			if err := overLimit(fmt.Sprintf("initializer %q", in.Name), in.Tensor.DType(), in.Tensor.Shape(), lim.MaxTensorBytes); err != nil {
				return err
			}
			total += tensorBytes(in.Tensor.DType(), in.Tensor.Shape())
		}
		if total > lim.MaxTotalBytes {
			return fmt.Errorf("runtime: %w: initializers take more than %d bytes (MaxTotalBytes; see WithLimits)", ErrLimit, lim.MaxTotalBytes)
		}
		nodes += len(g.Nodes)
		if nodes > lim.MaxNodes {
			return fmt.Errorf("runtime: %w: more than %d nodes (MaxNodes; see WithLimits)", ErrLimit, lim.MaxNodes)
		}
		for _, n := range g.Nodes {
			for _, a := range n.Attrs {
				for _, sg := range append([]*ir.Graph{a.Graph}, a.Graphs...) {
					if sg == nil {
						continue
					}
					if err := walk(sg, depth+1, fmt.Sprintf("%v: subgraph %q", n, a.Name)); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	if err := walk(g, 0, "main graph"); err != nil {
		return 0, err
	}
	return total, nil
}

// checkTotal checks the initializers plus one Run's arena against
// MaxTotalBytes, and sets what is left for each Run's budget.
func (p *plan) checkTotal(initBytes int64, lim Limits) error {
	arena := p.mem.peakBytes
	if arena > lim.MaxTotalBytes-initBytes {
		return fmt.Errorf("runtime: %w: initializers (%d bytes) and the arena of a Run (%d bytes) are over MaxTotalBytes (%d; see WithLimits)",
			ErrLimit, initBytes, arena, lim.MaxTotalBytes)
	}
	p.limits = budgetLimits{left: lim.MaxTotalBytes - initBytes - arena, maxTensor: lim.MaxTensorBytes,
		total: lim.MaxTotalBytes, initBytes: initBytes, arena: arena}
	return nil
}
