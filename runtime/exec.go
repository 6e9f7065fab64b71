package runtime

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// env is what one Run carries through the plans it executes.
type env struct {
	ctx  context.Context
	cfg  *config
	pool *pool
	// prof, when not nil, receives the time spent in each step of the main
	// plan (indexed like plan.steps; subgraph time counts in their node).
	prof []time.Duration
	// alone: this Run leaves the pool's workers out (pool.pick).
	alone bool
	// budget counts the bytes the Run holds outside its arena.
	budget *budget
}

// run executes the main graph on the caller's inputs and hands each output
// to emit (a tensor the caller may keep only during the call).
func (p *plan) run(caller *env, inputs map[string]*tensor.Tensor, emit func(name string, t *tensor.Tensor)) error {
	rs := p.states.Get()
	if rs == nil {
		rs = p.newRunState()
	}
	defer func() {
		clear(rs.vals) // drop references to the caller's inputs and dead tensors
		if rs.budget.used.Load() != 0 {
			clear(rs.held) // the outputs, or what a failed Run held
			rs.budget.used.Store(0)
		}
		rs.env = env{}
		p.states.Put(rs)
	}()
	// The Run's env lives in rs, so that the caller's does not escape to
	// the heap.
	rs.env = *caller
	e := &rs.env
	e.budget = &rs.budget
	vals := rs.vals
	copy(vals, p.consts)
	if err := p.bindInputs(vals, inputs); err != nil {
		return err
	}
	var start time.Time
	if e.pool != nil {
		e.alone = !e.pool.pick()
		start = time.Now()
	}
	if err := p.execSteps(e, vals, rs.held, e.prof, rs); err != nil {
		return err
	}
	if e.pool != nil {
		e.pool.record(!e.alone, time.Since(start))
	}
	for _, s := range p.outputs {
		emit(p.names[s], vals[s])
	}
	return nil
}

// ownedOutput reports whether the caller may keep slot s's tensor as it is:
// not a constant of the model, not one of the caller's inputs, not a view
// (which may share memory with anything), not arena memory that the next
// Run reuses.
func (p *plan) ownedOutput(s int) bool {
	if p.consts[s] != nil || p.isInput(s) || p.aliased[s] {
		return false
	}
	return p.mem == nil || p.mem.offset[s] < 0
}

// runSub executes a subgraph plan with its formal inputs, reading enclosing
// values from parent, and returns its outputs in order. What the subgraph
// made stops counting against the Run's budget when it returns: the kernel
// that called it counts what it keeps (ops.Budget).
func (p *plan) runSub(e *env, parent []*tensor.Tensor, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if len(inputs) > len(p.inputs) {
		return nil, fmt.Errorf("runtime: %w: subgraph takes %d inputs, got %d", ErrKernel, len(p.inputs), len(inputs))
	}
	vals := make([]*tensor.Tensor, len(p.names))
	held := make([]int64, len(p.names))
	defer e.budget.releaseAll(held)
	copy(vals, p.consts)
	for _, o := range p.outer {
		vals[o.slot] = parent[o.parent]
	}
	for i, t := range inputs {
		vals[p.inputs[i].slot] = t
	}
	if err := p.execSteps(e, vals, held, nil, nil); err != nil {
		return nil, err
	}
	out := make([]*tensor.Tensor, len(p.outputs))
	for i, s := range p.outputs {
		if vals[s] == nil {
			return nil, fmt.Errorf("runtime: %w: subgraph output %q was not computed", ErrKernel, p.names[s])
		}
		out[i] = vals[s]
	}
	return out, nil
}

// execSteps runs every step that was not folded, checking the context
// between them; with prof it records each step's time. held[s] is what
// slot s counts against e.budget.
// rs, for the main plan, holds the arena and per-step slices to reuse.
func (p *plan) execSteps(e *env, vals []*tensor.Tensor, held []int64, prof []time.Duration, rs *runState) error {
	var ec *ops.ExecContext
	if rs != nil {
		ec = &rs.ec
		*ec = ops.ExecContext{Ctx: e.ctx, Threads: e.cfg.threads, Budget: e.budget}
	} else {
		ec = &ops.ExecContext{Ctx: e.ctx, Threads: e.cfg.threads, Budget: e.budget}
	}
	if e.pool != nil && !e.alone {
		ec.Pool = e.pool
	}
	for i, st := range p.steps {
		if st.folded {
			continue
		}
		if err := e.ctx.Err(); err != nil {
			return err
		}
		sec := ec
		if st.subplans != nil {
			sec = &ops.ExecContext{Ctx: e.ctx, Threads: e.cfg.threads, Pool: ec.Pool, Budget: e.budget,
				RunGraph: func(attr string, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
					sp := st.subplans[attr]
					if sp == nil {
						return nil, fmt.Errorf("runtime: %w: %v has no graph attribute %q", ErrKernel, st.node.Node, attr)
					}
					return sp.runSub(e, vals, inputs)
				}}
		}
		var start time.Time
		if prof != nil {
			start = time.Now()
		}
		if err := st.exec(sec, e.budget, vals, held, rs, i); err != nil {
			return err
		}
		if prof != nil {
			prof[i] += time.Since(start)
		}
		for _, s := range st.free {
			vals[s] = nil
		}
		for _, s := range st.release {
			e.budget.Release(held[s])
			held[s] = 0
		}
	}
	return nil
}

func (p *plan) isInput(slot int) bool {
	for _, in := range p.inputs {
		if in.slot == slot {
			return true
		}
	}
	return false
}

// bindInputs checks inputs against the declared types and shapes (symbolic
// dims must agree across inputs) and stores them in their slots.
func (p *plan) bindInputs(vals []*tensor.Tensor, inputs map[string]*tensor.Tensor) error {
	for name := range inputs {
		if _, ok := p.slots[name]; !ok || !p.isInput(p.slots[name]) {
			return fmt.Errorf("runtime: %w: the model has no input %q (inputs: %v)", ErrInvalidInput, name, p.inputNames())
		}
	}
	syms := map[string]int{}
	for _, in := range p.inputs {
		t, ok := inputs[in.name]
		if !ok || t == nil {
			return fmt.Errorf("runtime: %w: input %q (%v) is missing", ErrInvalidInput, in.name, in.ts)
		}
		if err := checkInput(in, t, syms); err != nil {
			return err
		}
		vals[in.slot] = t
	}
	return nil
}

func checkInput(in planInput, t *tensor.Tensor, syms map[string]int) error {
	if want := in.ts.Type; want != nil {
		if t.Kind().String() != kindName(want.Kind) {
			return fmt.Errorf("runtime: %w: input %q is a %v, want %v", ErrInvalidInput, in.name, t.Kind(), want)
		}
		return nil
	}
	if t.Kind() != tensor.KindTensor {
		return fmt.Errorf("runtime: %w: input %q is a %v, want a tensor", ErrInvalidInput, in.name, t.Kind())
	}
	if t.DType() != in.ts.DType {
		return fmt.Errorf("runtime: %w: input %q is %v, want %v", ErrInvalidInput, in.name, t.DType(), in.ts.DType)
	}
	if in.ts.Shape == nil {
		return nil
	}
	shape := t.Shape()
	if len(shape) != len(in.ts.Shape) {
		return fmt.Errorf("runtime: %w: input %q has shape %v, want %v", ErrShapeMismatch, in.name, shape, in.ts.Shape)
	}
	for i, d := range in.ts.Shape {
		switch {
		case d.Known() && int64(shape[i]) != d.Value:
			return fmt.Errorf("runtime: %w: input %q has shape %v, want %v", ErrShapeMismatch, in.name, shape, in.ts.Shape)
		case d.Param != "":
			if v, seen := syms[d.Param]; seen && v != shape[i] {
				return fmt.Errorf("runtime: %w: input %q dim %d (%s) is %d, but %s is %d elsewhere", ErrShapeMismatch, in.name, i, d.Param, shape[i], d.Param, v)
			}
			syms[d.Param] = shape[i]
		}
	}
	return nil
}

func (p *plan) inputNames() []string {
	n := make([]string, len(p.inputs))
	for i, in := range p.inputs {
		n[i] = in.name
	}
	return n
}

// exec runs step i: it gathers inputs, places the outputs (in the arena
// when planned, else allocated when their shapes are known, inferring them
// on the actual inputs when they were not known at compile time, and
// counted against b first), runs the kernel and stores its outputs.
func (st *step) exec(ec *ops.ExecContext, b *budget, vals []*tensor.Tensor, held []int64, rs *runState, i int) (err error) {
	n := st.node
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("runtime: %v: %w: panic (a bug in onyx): %v\n%s", n.Node, ErrKernel, r, debug.Stack())
		}
	}()
	var in, out []*tensor.Tensor
	if rs != nil {
		in, out = rs.in[i], rs.out[i]
		clear(out)
	} else {
		in, out = make([]*tensor.Tensor, len(st.in)), make([]*tensor.Tensor, len(st.out))
	}
	for j, s := range st.in {
		in[j] = nil
		if s >= 0 {
			in[j] = vals[s]
		}
	}
	if st.aliases && rs != nil && rs.planned != nil && len(st.out) == 1 && st.out[0] >= 0 {
		// A view planned at its input's place (memPlan.isView): nothing to
		// run, as long as the input is the planned tensor.
		if v := rs.planned[st.out[0]]; v != nil && in[0] == rs.planned[st.in[0]] {
			vals[st.out[0]] = v
			return nil
		}
	}
	if !st.aliases {
		if rs != nil && rs.planned != nil {
			for j, s := range st.out {
				if s >= 0 && rs.planned[s] != nil {
					out[j] = rs.planned[s]
					if !st.overwrites {
						out[j].Zero()
					}
				}
			}
		}
		inferred := n.Out
		if !st.static {
			rn := *n
			rn.In = make([]ops.TypeShape, len(in))
			for j, t := range in {
				if t == nil {
					rn.In[j] = ops.TypeShape{Absent: true}
				} else {
					rn.In[j] = ops.Known(t)
				}
			}
			if inferred, err = n.Schema.Infer(&rn); err != nil {
				return fmt.Errorf("runtime: %v: %w", n.Node, err)
			}
			if err := checkShapes(n, inferred, st.maxBytes); err != nil {
				return err
			}
		}
		if st.counts {
			if err := st.reserveOutputs(b, held, inferred, out); err != nil {
				return err
			}
		}
		if err := ops.AllocOutputs(n, inferred, out); err != nil {
			return fmt.Errorf("runtime: %v: %w", n.Node, err)
		}
	}
	if err := st.kernel.Run(ec, in, out); err != nil {
		return fmt.Errorf("runtime: %v: %w", n.Node, err)
	}
	if err := ec.Ctx.Err(); err != nil {
		return err // the kernel may have skipped chunks (ParallelFor)
	}
	if !st.static {
		if err := checkTensors(n, out, st.maxBytes); err != nil {
			return err
		}
	}
	if st.counts {
		var planned []*tensor.Tensor
		if rs != nil {
			planned = rs.planned
		}
		if err := st.settleOutputs(b, held, out, planned); err != nil {
			return err
		}
	}
	for j, s := range st.out {
		if s < 0 {
			continue
		}
		if out[j] == nil {
			return fmt.Errorf("runtime: %v: %w: output %d not produced", n.Node, ErrKernel, j)
		}
		vals[s] = out[j]
	}
	return nil
}
