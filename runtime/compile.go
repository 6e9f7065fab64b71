package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/onyxml/onyx/internal/keep"
	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// maxFoldElements bounds the size of a tensor produced by constant folding,
// so that folding never multiplies the model's memory.
const maxFoldElements = 1 << 20

// maxFoldWork bounds the elements (inputs plus outputs) all the nodes a
// compilation folds may touch, so that a small model cannot make NewSession
// compute for minutes (a chain of MatMuls of 1000x1000 constants, each
// within maxFoldElements); past it, constant nodes run at run time.
var maxFoldWork int64 = 64 << 20 // a variable for tests

// plan is a compiled graph: value slots and a flat list of steps. The main
// graph and every subgraph (If branches, Loop and Scan bodies) are plans; a
// subgraph's plan imports the enclosing values it reads through outer.
type plan struct {
	names   []string         // slot -> value name
	types   []ops.TypeShape  // slot -> compile-time type (Value set for constants)
	consts  []*tensor.Tensor // slot -> constant value (initializers, folded)
	slots   map[string]int   // name -> slot
	inputs  []planInput
	outer   []outerRef // enclosing-scope values a subgraph reads
	outputs []int      // slots of graph outputs
	steps   []*step
	sub     bool // a subgraph: its inputs need not be typed

	foldLeft *int64 // what remains of maxFoldWork, shared with subgraphs

	mem     *memPlan            // the main plan's arena layout (nil for subgraphs)
	limits  budgetLimits        // the main plan's limits on what a Run holds beyond its arena
	aliased []bool              // slot -> written by an Aliaser: may share memory with anything
	states  keep.List[runState] // run states, reused across Runs (not dropped at GCs, unlike a sync.Pool)
}

type planInput struct {
	name string
	slot int
	ts   ops.TypeShape
}

// outerRef copies the enclosing plan's slot parent into this plan's slot.
type outerRef struct{ slot, parent int }

// step runs one node.
type step struct {
	node     *ops.Node
	kernel   ops.Kernel
	backend  string
	in, out  []int            // slots; -1 for omitted optional values
	free     []int            // slots whose last reader is this step
	subplans map[string]*plan // compiled graph attributes, by attribute name
	static   bool             // every output shape known at compile time
	aliases  bool
	folded   bool
	// overwrites: the kernel writes all of its outputs, so reused arena
	// memory need not be zeroed first.
	overwrites bool
	// maxBytes is Limits.MaxTensorBytes, checked at run time for the
	// outputs whose shapes were not known at compile time.
	maxBytes int64
	// counts: some output is not in the arena, so its bytes count against
	// the Run's budget; release lists the slots of free that may hold
	// counted bytes (planCounting).
	counts  bool
	release []int
}

// compile checks that every operator of m, in every subgraph, has a schema
// and a kernel (reporting all that do not at once), then compiles the main
// graph.
func compile(m *ir.Model, cfg *config) (*plan, error) {
	initBytes, err := checkModelSize(m.Graph, cfg.limits)
	if err != nil {
		return nil, err
	}
	missing := map[OpID]bool{}
	if err := collectMissing(m, m.Graph, missing); err != nil {
		return nil, err
	}
	if err := newUnsupported(missing); err != nil {
		return nil, err
	}
	p, err := compileGraph(m, m.Graph, cfg, nil, nil)
	if err != nil {
		return nil, err
	}
	if err := p.checkTotal(initBytes, cfg.limits); err != nil {
		return nil, err
	}
	p.prefault()
	return p, nil
}

func collectMissing(m *ir.Model, g *ir.Graph, missing map[OpID]bool) error {
	for _, n := range g.Nodes {
		domain := normDomain(n.Domain)
		opset, imported := m.OpsetImports[domain]
		if !imported {
			return fmt.Errorf("runtime: %w: %v uses domain %q, which the model does not import", ErrInvalidModel, n, n.Domain)
		}
		if ops.LookupSchema(domain, n.OpType, opset) == nil || !ops.HasKernel(domain, n.OpType, opset) {
			missing[OpID{Domain: domain, Op: n.OpType, Opset: opset}] = true
		}
		for _, a := range n.Attrs {
			if a.Graph != nil {
				if err := collectMissing(m, a.Graph, missing); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func normDomain(d string) string {
	if d == "ai.onnx" {
		return ""
	}
	return d
}

func (p *plan) newSlot(name string, ts ops.TypeShape) int {
	p.slots[name] = len(p.names)
	p.names = append(p.names, name)
	p.types = append(p.types, ts)
	p.consts = append(p.consts, nil)
	return len(p.names) - 1
}

// compileGraph compiles g. parent is the enclosing plan for a subgraph
// (nil for the main graph); the subgraph reads the parent's values by name,
// and inTypes (from the op's Schema.GraphInputs) stand in for the types of
// formal inputs the model leaves undeclared.
func compileGraph(m *ir.Model, g *ir.Graph, cfg *config, parent *plan, inTypes []ops.TypeShape) (*plan, error) {
	p := &plan{slots: map[string]int{}, sub: parent != nil}
	if parent != nil {
		p.foldLeft = parent.foldLeft
	} else {
		p.foldLeft = new(maxFoldWork)
	}
	for _, in := range g.Initializers {
		if in.Tensor == nil {
			return nil, fmt.Errorf("runtime: %w: initializer %q has no data", ErrInvalidModel, in.Name)
		}
		if _, dup := p.slots[in.Name]; dup {
			return nil, fmt.Errorf("runtime: %w: initializer %q defined twice", ErrInvalidModel, in.Name)
		}
		s := p.newSlot(in.Name, ops.Known(in.Tensor))
		p.consts[s] = in.Tensor
	}
	for _, vi := range g.Inputs {
		if _, isInit := p.slots[vi.Name]; isInit {
			continue // IR < 4 lists initializers as inputs too; they stay constant
		}
		if _, dup := p.slots[vi.Name]; dup {
			return nil, fmt.Errorf("runtime: %w: input %q listed twice", ErrInvalidModel, vi.Name)
		}
		if vi.Type == nil && !p.sub {
			return nil, fmt.Errorf("runtime: %w: input %q has no type", ErrInvalidModel, vi.Name)
		}
		ts := ops.FromType(vi.Type)
		if i := len(p.inputs); ts.DType == tensor.Undefined && ts.Type == nil && i < len(inTypes) {
			ts = inTypes[i]
		}
		ts.Shape = fixDims(ts.Shape, cfg.dims)
		if dims, ok := ts.ConcreteShape(); ok && ts.IsTensor() {
			if err := overLimit(fmt.Sprintf("input %q", vi.Name), ts.DType, dims, cfg.limits.MaxTensorBytes); err != nil {
				return nil, err
			}
		}
		s := p.newSlot(vi.Name, ts)
		p.inputs = append(p.inputs, planInput{name: vi.Name, slot: s, ts: ts})
	}
	if parent != nil {
		for _, name := range outerReads(g) {
			if _, local := p.slots[name]; local {
				continue
			}
			ps, ok := parent.slots[name]
			if !ok {
				return nil, fmt.Errorf("runtime: %w: subgraph %q reads %q, which no enclosing scope defines", ErrInvalidModel, g.Name, name)
			}
			s := p.newSlot(name, parent.types[ps])
			p.consts[s] = parent.consts[ps]
			p.outer = append(p.outer, outerRef{slot: s, parent: ps})
		}
	}

	order, err := topoOrder(g, p.slots)
	if err != nil {
		return nil, err
	}
	for _, n := range order {
		domain := normDomain(n.Domain)
		opset := m.OpsetImports[domain]
		on := &ops.Node{Node: n, Schema: ops.LookupSchema(domain, n.OpType, opset), Opset: opset, Graph: g, Model: m}
		st, err := p.compileNode(m, cfg, on)
		if err != nil {
			return nil, err
		}
		p.steps = append(p.steps, st)
	}

	for _, vi := range g.Outputs {
		s, ok := p.slots[vi.Name]
		if !ok {
			return nil, fmt.Errorf("runtime: %w: graph output %q is never computed", ErrInvalidModel, vi.Name)
		}
		p.outputs = append(p.outputs, s)
	}
	if cfg.optimize {
		p.optimize()
	}
	if err := p.chooseKernels(cfg.allow()); err != nil {
		return nil, err
	}
	p.planFrees()
	p.aliased = make([]bool, len(p.names))
	for _, st := range p.steps {
		for _, s := range st.out {
			if s >= 0 && st.aliases {
				p.aliased[s] = true
			}
		}
	}
	if parent == nil {
		p.planMemory()
	}
	p.planCounting()
	return p, nil
}

// chooseKernels asks the backends, by priority, for a kernel for every step
// that runs (not folded).
func (p *plan) chooseKernels(allow func(string) bool) error {
	for _, st := range p.steps {
		if st.folded {
			continue
		}
		if err := st.chooseKernel(allow); err != nil {
			return err
		}
	}
	return nil
}

// chooseKernel turns a panic in a kernel factory (a bug) into an error
// naming the node.
func (st *step) chooseKernel(allow func(string) bool) (err error) {
	n := st.node
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("runtime: %v (opset %d): %w: panic (a bug in onyx): %v", n.Node, n.Opset, ErrInvalidModel, r)
		}
	}()
	k, backend, err := ops.SelectKernel(n, allow)
	if err != nil {
		return fmt.Errorf("runtime: %v (opset %d): %w", n.Node, n.Opset, err)
	}
	st.kernel, st.backend = k, backend
	_, st.aliases = k.(ops.Aliaser)
	if o, ok := k.(ops.Overwriter); ok {
		st.overwrites = o.Overwrites()
	}
	return nil
}

// compileNode compiles n's subgraphs, validates n, infers its outputs and
// folds it if it is constant. A panic in an inference function (a bug)
// becomes an error naming the node.
func (p *plan) compileNode(m *ir.Model, cfg *config, n *ops.Node) (st *step, err error) {
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
		s := p.slots[name] // topoOrder checked that it exists
		st.in[i] = s
		n.In[i] = p.types[s]
	}
	for _, a := range n.Attrs {
		if a.Type == ir.AttrGraphs {
			return nil, fmt.Errorf("runtime: %v: %w: attribute %q: lists of graphs are not supported", n.Node, ErrUnsupportedOp, a.Name)
		}
		if a.Graph == nil {
			continue
		}
		var inTypes []ops.TypeShape
		if n.Schema.GraphInputs != nil {
			inTypes = n.Schema.GraphInputs(n, a.Name)
		}
		sub, err := compileGraph(m, a.Graph, cfg, p, inTypes)
		if err != nil {
			return nil, fmt.Errorf("runtime: %v: subgraph %q: %w", n.Node, a.Name, err)
		}
		if st.subplans == nil {
			st.subplans = map[string]*plan{}
		}
		st.subplans[a.Name] = sub
	}
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("runtime: %v (opset %d): %w: %w", n.Node, n.Opset, ErrInvalidModel, err)
	}
	out, err := n.Schema.Infer(n)
	if err != nil {
		return nil, fmt.Errorf("runtime: %v (opset %d): %w", n.Node, n.Opset, wrapInvalid(err))
	}
	if len(out) < len(n.Outputs) {
		return nil, fmt.Errorf("runtime: %v: inference gave %d outputs for %d", n.Node, len(out), len(n.Outputs))
	}
	n.Out = out[:len(n.Outputs)]
	st.maxBytes = cfg.limits.MaxTensorBytes
	if err := checkShapes(n, n.Out, st.maxBytes); err != nil {
		return nil, err
	}
	st.out = make([]int, len(n.Outputs))
	st.static = true
	for i, name := range n.Outputs {
		st.out[i] = -1
		if name == "" {
			continue
		}
		o := n.Out[i]
		st.out[i] = p.newSlot(name, ops.TypeShape{DType: o.DType, Shape: o.Shape, Type: o.Type})
		if o.Shape == nil || !o.Shape.Known() {
			st.static = false
		}
	}
	if err := p.fold(st); err != nil {
		return nil, err
	}
	return st, nil
}

// fold evaluates st at compile time when all its inputs are constants, the
// op is deterministic and the result is small. Shape's and Size's inference
// may supply their values without any input data.
func (p *plan) fold(st *step) error {
	n := st.node
	if n.Schema.NonDeterministic || len(n.Outputs) == 0 || st.subplans != nil {
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
		work := int64(0)
		for i := range n.Outputs {
			if dims, ok := n.Out[i].ConcreteShape(); ok {
				c, _ := tensor.NumElements(dims)
				if c > maxFoldElements {
					return nil
				}
				work += int64(c)
			}
		}
		for i, s := range st.in {
			if s >= 0 && n.In[i].Value.Kind() == tensor.KindTensor {
				work += int64(n.In[i].Value.Len())
			}
		}
		if work > *p.foldLeft {
			return nil
		}
		*p.foldLeft -= work
		var err error
		if vals, err = evalConst(n, st); err != nil {
			return fmt.Errorf("runtime: %v: folding constants: %w", n.Node, wrapInvalid(err))
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

// evalConst runs n on its constant inputs with the best kernel.
func evalConst(n *ops.Node, st *step) ([]*tensor.Tensor, error) {
	k, _, err := ops.SelectKernel(n, nil)
	if err != nil {
		return nil, err
	}
	in := make([]*tensor.Tensor, len(st.in))
	for i, s := range st.in {
		if s >= 0 {
			in[i] = n.In[i].Value
		}
	}
	out := make([]*tensor.Tensor, len(n.Outputs))
	if _, alias := k.(ops.Aliaser); !alias {
		if err := ops.AllocOutputs(n, n.Out, out); err != nil {
			return nil, err
		}
	}
	if err := k.Run(&ops.ExecContext{Ctx: context.Background(), Threads: 1}, in, out); err != nil {
		return nil, err
	}
	for i, t := range out {
		if t == nil && n.HasOut(i) {
			return nil, fmt.Errorf("%w: output %d not produced", ErrKernel, i)
		}
	}
	return out, nil
}

// planFrees records, for each step, the slots it reads last, so that Run can
// drop intermediate tensors as soon as they are dead. A step reads its
// inputs and the enclosing values its subgraphs import.
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
		for _, sp := range st.subplans {
			for _, o := range sp.outer {
				last[o.parent] = i
			}
		}
	}
	keep := map[int]bool{}
	for _, s := range p.outputs {
		keep[s] = true
	}
	for _, o := range p.outer {
		keep[o.slot] = true
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
	return fmt.Errorf("%w: %w", ErrInvalidModel, err)
}

func kindName(k ir.TypeKind) string {
	switch k {
	case ir.KindSequence:
		return tensor.KindSequence.String()
	case ir.KindOptional:
		return tensor.KindOptional.String()
	}
	return tensor.KindTensor.String()
}
