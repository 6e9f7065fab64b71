package runtime

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func (p *plan) run(ctx context.Context, cfg *config, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	vals := make([]*tensor.Tensor, len(p.names))
	copy(vals, p.consts)
	if err := p.bindInputs(vals, inputs); err != nil {
		return nil, err
	}
	ec := &ops.ExecContext{Ctx: ctx, Threads: cfg.threads}
	for _, st := range p.steps {
		if st.folded {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := st.exec(ec, vals); err != nil {
			return nil, err
		}
		for _, s := range st.free {
			vals[s] = nil
		}
	}
	out := make(map[string]*tensor.Tensor, len(p.outputs))
	for _, s := range p.outputs {
		t := vals[s]
		if p.consts[s] != nil || p.isInput(s) {
			t = t.Clone() // never hand out the model's own constants or the caller's input
		}
		out[p.names[s]] = t
	}
	return out, nil
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
		found := false
		for _, in := range p.inputs {
			found = found || in.name == name
		}
		if !found {
			return fmt.Errorf("runtime: %w: the model has no input %q (inputs: %v)", ErrInvalidInput, name, p.inputNames())
		}
	}
	syms := map[string]int{}
	for _, in := range p.inputs {
		t, ok := inputs[in.name]
		if !ok || t == nil {
			return fmt.Errorf("runtime: %w: input %q (%v) is missing", ErrInvalidInput, in.name, in.ts)
		}
		if t.DType() != in.ts.DType {
			return fmt.Errorf("runtime: %w: input %q is %v, want %v", ErrInvalidInput, in.name, t.DType(), in.ts.DType)
		}
		if in.ts.Shape != nil {
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
		}
		vals[in.slot] = t
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

// exec runs one step: it gathers inputs, allocates the outputs whose shapes
// are known (inferring them on the actual inputs when they were not known at
// compile time), runs the kernel and stores its outputs.
func (st *step) exec(ec *ops.ExecContext, vals []*tensor.Tensor) (err error) {
	n := st.node
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("runtime: %v: %w: panic (a bug in onyx): %v\n%s", n.Node, ErrKernel, r, debug.Stack())
		}
	}()
	in := make([]*tensor.Tensor, len(st.in))
	for i, s := range st.in {
		if s >= 0 {
			in[i] = vals[s]
		}
	}
	out := make([]*tensor.Tensor, len(st.out))
	if !st.aliases {
		inferred := n.Out
		if !st.static {
			rn := *n
			rn.In = make([]ops.TypeShape, len(in))
			for i, t := range in {
				if t == nil {
					rn.In[i] = ops.TypeShape{Absent: true}
				} else {
					rn.In[i] = ops.Known(t)
				}
			}
			if inferred, err = n.Schema.Infer(&rn); err != nil {
				return fmt.Errorf("runtime: %v: %w", n.Node, err)
			}
		}
		if err := ops.AllocOutputs(n, inferred, out); err != nil {
			return fmt.Errorf("runtime: %v: %w", n.Node, err)
		}
	}
	if err := st.kernel.Run(ec, in, out); err != nil {
		return fmt.Errorf("runtime: %v: %w", n.Node, err)
	}
	for i, s := range st.out {
		if s < 0 {
			continue
		}
		if out[i] == nil {
			return fmt.Errorf("runtime: %v: %w: output %d not produced", n.Node, ErrKernel, i)
		}
		vals[s] = out[i]
	}
	return nil
}
