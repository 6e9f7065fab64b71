package ops

import (
	"context"
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// AllocOutputs fills every nil out[i] of a requested output whose inferred
// shape is fully known with a zeroed tensor, and leaves the others nil.
func AllocOutputs(n *Node, inferred []TypeShape, out []*tensor.Tensor) error {
	for i := range out {
		if out[i] != nil || !n.HasOut(i) || i >= len(inferred) {
			continue
		}
		dims, ok := inferred[i].ConcreteShape()
		if !ok || !inferred[i].IsTensor() || !inferred[i].DType.Supported() {
			continue
		}
		t, err := tensor.New(inferred[i].DType, dims...)
		if err != nil {
			return err
		}
		out[i] = t
	}
	return nil
}

// Eval runs one node on concrete inputs with the highest-priority kernel
// that accepts it (allow filters backends; nil accepts all). It infers the
// output shapes, allocates outputs and runs the kernel. It is the slow,
// simple path: for tests, constant folding, and tools.
func Eval(ctx context.Context, node *ir.Node, opset int64, inputs []*tensor.Tensor, allow func(string) bool) ([]*tensor.Tensor, error) {
	s := LookupSchema(node.Domain, node.OpType, opset)
	if s == nil {
		return nil, fmt.Errorf("%w: %s opset %d", ErrUnsupportedOp, node.OpType, opset)
	}
	n := &Node{Node: node, Schema: s, Opset: opset, In: make([]TypeShape, len(node.Inputs))}
	if len(inputs) != len(node.Inputs) {
		return nil, fmt.Errorf("%w: %v: %d inputs given for %d", ErrInvalidNode, node, len(inputs), len(node.Inputs))
	}
	for i, t := range inputs {
		if t == nil {
			n.In[i] = TypeShape{Absent: true}
		} else {
			n.In[i] = Known(t)
		}
	}
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("%v: %w", node, err)
	}
	outTS, err := s.Infer(n)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", node, err)
	}
	n.Out = outTS
	k, _, err := SelectKernel(n, allow)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", node, err)
	}
	out := make([]*tensor.Tensor, len(node.Outputs))
	if _, alias := k.(Aliaser); !alias {
		if err := AllocOutputs(n, outTS, out); err != nil {
			return nil, fmt.Errorf("%v: %w", node, err)
		}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := k.Run(&ExecContext{Ctx: ctx, Threads: 1}, inputs, out); err != nil {
		return nil, fmt.Errorf("%v: %w", node, err)
	}
	for i, t := range out {
		if t == nil && n.HasOut(i) {
			return nil, fmt.Errorf("%v: kernel produced no output %d", node, i)
		}
	}
	return out, nil
}
