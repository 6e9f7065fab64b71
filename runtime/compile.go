package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// maxFoldElements bounds the size of a tensor produced by constant folding,
// so that folding never multiplies the model's memory.
const maxFoldElements = 1 << 20

// plan is a compiled graph: value slots and a flat list of steps.
type plan struct {
	names   []string         // slot -> value name
	types   []ops.TypeShape  // slot -> compile-time type (Value set for constants)
	consts  []*tensor.Tensor // slot -> constant value (initializers, folded)
	inputs  []planInput
	outputs []int // slots of graph outputs
	steps   []*step
}

type planInput struct {
	name string
	slot int
	ts   ops.TypeShape
}

// step runs one node.
type step struct {
	node    *ops.Node
	kernel  ops.Kernel
	backend string
	in, out []int // slots; -1 for omitted optional values
	free    []int // slots whose last reader is this step
	static  bool  // every output shape known at compile time
	aliases bool
	folded  bool
}

func compile(m *ir.Model, cfg *config) (*plan, error) {
	g := m.Graph
	p := &plan{}
	slots := map[string]int{}
	newSlot := func(name string, ts ops.TypeShape) int {
		slots[name] = len(p.names)
		p.names = append(p.names, name)
		p.types = append(p.types, ts)
		p.consts = append(p.consts, nil)
		return len(p.names) - 1
	}

	for _, in := range g.Initializers {
		if in.Tensor == nil {
			return nil, fmt.Errorf("runtime: %w: initializer %q has no data", ErrInvalidModel, in.Name)
		}
		if _, dup := slots[in.Name]; dup {
			return nil, fmt.Errorf("runtime: %w: initializer %q defined twice", ErrInvalidModel, in.Name)
		}
		s := newSlot(in.Name, ops.Known(in.Tensor))
		p.consts[s] = in.Tensor
	}
	for _, vi := range g.Inputs {
		if _, isInit := slots[vi.Name]; isInit {
			continue // IR < 4 lists initializers as inputs too; they stay constant
		}
		if vi.Type == nil || vi.Type.Kind != ir.KindTensor {
			return nil, fmt.Errorf("runtime: %w: input %q has no tensor type", ErrInvalidModel, vi.Name)
		}
		ts := ops.TypeShape{DType: vi.Type.DType, Shape: fixDims(vi.Type.Shape, cfg.dims)}
		s := newSlot(vi.Name, ts)
		p.inputs = append(p.inputs, planInput{name: vi.Name, slot: s, ts: ts})
	}

	order, err := topoOrder(g, slots)
	if err != nil {
		return nil, err
	}

	missing := map[OpID]bool{}
	var nodes []*ops.Node
	for _, n := range order {
		domain := n.Domain
		if domain == "ai.onnx" {
			domain = ""
		}
		opset, imported := m.OpsetImports[domain]
		if !imported {
			return nil, fmt.Errorf("runtime: %w: %v uses domain %q, which the model does not import", ErrInvalidModel, n, n.Domain)
		}
		id := OpID{Domain: domain, Op: n.OpType, Opset: opset}
		schema := ops.LookupSchema(domain, n.OpType, opset)
		if schema == nil || !ops.HasKernel(domain, n.OpType, opset) {
			missing[id] = true
		}
		nodes = append(nodes, &ops.Node{Node: n, Schema: schema, Opset: opset})
	}
	if err := newUnsupported(missing); err != nil {
		return nil, err
	}

	allow := cfg.allow()
	for _, n := range nodes {
		st, err := p.compileNode(n, slots, newSlot, allow)
		if err != nil {
			return nil, err
		}
		p.steps = append(p.steps, st)
	}

	for _, vi := range g.Outputs {
		s, ok := slots[vi.Name]
		if !ok {
			return nil, fmt.Errorf("runtime: %w: graph output %q is never computed", ErrInvalidModel, vi.Name)
		}
		p.outputs = append(p.outputs, s)
	}
	p.planFrees()
	return p, nil
}

// compileNode validates n, infers its outputs, folds it if it is constant,
// and chooses its kernel. A panic in an inference function or kernel factory
// (a bug) becomes an error naming the node.
func (p *plan) compileNode(n *ops.Node, slots map[string]int, newSlot func(string, ops.TypeShape) int, allow func(string) bool) (st *step, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("runtime: %v (opset %d): %w: panic (a bug in onyx): %v", n.Node, n.Opset, ErrInvalidModel, r)
		}
	}()
	st = &step{node: n}
	n.In = make([]ops.TypeShape, len(n.Inputs))
	st.in = make([]int, len(n.Inputs))
	for i, name := range n.Inputs {
		st.in[i] = -1
		if name == "" {
			n.In[i] = ops.TypeShape{Absent: true}
			continue
		}
		s := slots[name] // topoOrder checked that it exists
		st.in[i] = s
		n.In[i] = p.types[s]
	}
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("runtime: %v (opset %d): %w", n.Node, n.Opset, errors.Join(ErrInvalidModel, err))
	}
	out, err := n.Schema.Infer(n)
	if err != nil {
		return nil, fmt.Errorf("runtime: %v (opset %d): %w", n.Node, n.Opset, wrapInvalid(err))
	}
	if len(out) < len(n.Outputs) {
		return nil, fmt.Errorf("runtime: %v: inference gave %d outputs for %d", n.Node, len(out), len(n.Outputs))
	}
	n.Out = out[:len(n.Outputs)]
	st.out = make([]int, len(n.Outputs))
	st.static = true
	for i, name := range n.Outputs {
		st.out[i] = -1
		if name == "" {
			continue
		}
		st.out[i] = newSlot(name, ops.TypeShape{DType: n.Out[i].DType, Shape: n.Out[i].Shape})
		if !n.Out[i].Shape.Known() || n.Out[i].Shape == nil {
			st.static = false
		}
	}
	if err := p.fold(st); err != nil {
		return nil, err
	}
	if !st.folded {
		k, backend, err := ops.SelectKernel(n, allow)
		if err != nil {
			return nil, fmt.Errorf("runtime: %v (opset %d): %w", n.Node, n.Opset, err)
		}
		st.kernel, st.backend = k, backend
		_, st.aliases = k.(ops.Aliaser)
	}
	return st, nil
}

// fold evaluates st at compile time when all its inputs are constants, the
// op is deterministic and the result is small. Shape's and Size's inference
// may supply their values without any input data.
func (p *plan) fold(st *step) error {
	n := st.node
	if n.Schema.NonDeterministic || len(n.Outputs) == 0 {
		return nil
	}
	if hasGraphAttr(n.Node) {
		return nil
	}
	allConst := true
	for i, s := range st.in {
		if s >= 0 && n.In[i].Value == nil {
			allConst = false
		}
	}
	vals := make([]*tensor.Tensor, len(n.Outputs))
	inferredAll := true
	for i := range n.Outputs {
		vals[i] = n.Out[i].Value
		if n.HasOut(i) && vals[i] == nil {
			inferredAll = false
		}
	}
	if !inferredAll {
		if !allConst || !st.static {
			return nil
		}
		for i := range n.Outputs {
			if dims, ok := n.Out[i].ConcreteShape(); ok {
				if c, _ := tensor.NumElements(dims); c > maxFoldElements {
					return nil
				}
			}
		}
		in := make([]*tensor.Tensor, len(st.in))
		for i, s := range st.in {
			if s >= 0 {
				in[i] = n.In[i].Value
			}
		}
		var err error
		vals, err = ops.Eval(context.Background(), n.Node, n.Opset, in, nil)
		if err != nil {
			return fmt.Errorf("runtime: folding constants: %w", wrapInvalid(err))
		}
	}
	for i, s := range st.out {
		if s >= 0 {
			p.consts[s] = vals[i]
			p.types[s] = ops.Known(vals[i])
			n.Out[i] = p.types[s]
		}
	}
	st.folded = true
	return nil
}

func hasGraphAttr(n *ir.Node) bool {
	for _, a := range n.Attrs {
		if a.Type == ir.AttrGraph || a.Type == ir.AttrGraphs {
			return true
		}
	}
	return false
}

// planFrees records, for each step, the slots it reads last, so that Run can
// drop intermediate tensors as soon as they are dead.
func (p *plan) planFrees() {
	last := make([]int, len(p.names))
	for i := range last {
		last[i] = -1
	}
	for i, st := range p.steps {
		if st.folded {
			continue
		}
		for _, s := range st.in {
			if s >= 0 {
				last[s] = i
			}
		}
	}
	keep := map[int]bool{}
	for _, s := range p.outputs {
		keep[s] = true
	}
	for s, i := range last {
		if i >= 0 && p.consts[s] == nil && !keep[s] {
			p.steps[i].free = append(p.steps[i].free, s)
		}
	}
}

func fixDims(s ir.Shape, dims map[string]int) ir.Shape {
	if s == nil {
		return nil
	}
	out := make(ir.Shape, len(s))
	for i, d := range s {
		out[i] = d
		if v, ok := dims[d.Param]; ok && d.Param != "" {
			out[i] = ir.DimOf(int64(v))
		}
	}
	return out
}

func wrapInvalid(err error) error {
	if errors.Is(err, ops.ErrInvalidNode) || errors.Is(err, ErrShapeMismatch) || errors.Is(err, ErrUnsupportedOp) || errors.Is(err, tensor.ErrShape) {
		return err
	}
	return errors.Join(ErrInvalidModel, err)
}
