package train

// The kernel of ONNX's Gradient operator (ai.onnx.preview.training), which
// package train registers with ops.RegisterKernel like any plugin: at
// session build it cuts, from the graph holding the node, the subgraph that
// computes y from xs and zs, differentiates it with Backward, and compiles
// the result once; each Run feeds that session the node's inputs.

import (
	"context"
	"fmt"
	"slices"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// Backend is the backend name under which package train registers its
// kernels (the Gradient operator's).
const Backend = "train"

func init() {
	ops.RegisterKernel(ops.KernelDef{Domain: ops.TrainingDomain, Op: "Gradient", Backend: Backend,
		Priority: ops.PriorityGeneric, New: newGradientKernel})
}

// gradientKernel runs the compiled backward graph of one Gradient node.
type gradientKernel struct {
	sess   *runtime.Session
	inputs []string // xs then zs
	grads  []string // the session's gradient outputs, one per xs
}

func newGradientKernel(n *ops.Node) (ops.Kernel, error) {
	if n.Graph == nil || n.Model == nil {
		return nil, ops.Errorf("Gradient needs the graph it is part of (run it in a runtime Session)")
	}
	xs, zs, y := n.AttrStrings("xs"), n.AttrStrings("zs"), n.AttrString("y")
	inputs := append(append([]string(nil), xs...), zs...)
	if len(n.Inputs) != len(inputs) {
		return nil, ops.Errorf("Gradient has %d inputs for %d xs and %d zs", len(n.Inputs), len(xs), len(zs))
	}
	for i, s := range inputs {
		if s == "" || slices.Contains(inputs[:i], s) {
			return nil, ops.Errorf("Gradient: xs and zs must be distinct names, got %q twice or empty", s)
		}
	}
	sub, err := gradientSubgraph(n, inputs, y)
	if err != nil {
		return nil, err
	}
	res, err := Backward(sub, y, xs, &Options{KeepInitializers: true})
	if err != nil {
		return nil, ops.Errorf("Gradient of %q: %v", y, err)
	}
	sess, err := runtime.NewSession(res.Model)
	if err != nil {
		return nil, ops.Errorf("Gradient of %q: compiling the backward graph: %v", y, err)
	}
	return ops.Aliasing(&gradientKernel{sess: sess, inputs: inputs, grads: res.Grads}), nil
}

// gradientSubgraph returns a model whose graph computes y from the inputs
// (xs then zs, typed as the Gradient node's inputs): the nodes of n's graph
// that y depends on, cut at the inputs, with the initializers they read.
func gradientSubgraph(n *ops.Node, inputs []string, y string) (*ir.Model, error) {
	g := n.Graph
	producer := map[string]*ir.Node{}
	for _, node := range g.Nodes {
		if node == n.Node {
			continue
		}
		for _, o := range node.Outputs {
			if o != "" {
				producer[o] = node
			}
		}
	}
	inits := map[string]*ir.Initializer{}
	for _, in := range g.Initializers {
		inits[in.Name] = in
	}
	sg := &ir.Graph{Name: "gradient_of_" + y}
	for i, s := range inputs {
		t := n.In[i]
		sg.Inputs = append(sg.Inputs, &ir.ValueInfo{Name: s, Type: tensorType(t.DType, t.Shape)})
	}
	seen := map[string]bool{}
	taken := map[*ir.Node]bool{}
	stack := []string{y}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		switch {
		case slices.Contains(inputs, v):
		case producer[v] != nil:
			p := producer[v]
			if !taken[p] {
				taken[p] = true
				stack = append(stack, p.Inputs...)
			}
		case inits[v] != nil:
			sg.Initializers = append(sg.Initializers, inits[v])
		default:
			return nil, ops.Errorf("Gradient: y %q depends on %q, which is neither in xs nor in zs", y, v)
		}
	}
	for _, node := range g.Nodes { // keep the graph's order
		if taken[node] {
			sg.Nodes = append(sg.Nodes, node)
		}
	}
	sg.Outputs = []*ir.ValueInfo{{Name: y}}
	m := *n.Model
	m.Graph = sg
	m.Functions = nil
	return &m, nil
}

// Run feeds the inputs to the backward session and stores the gradients.
func (k *gradientKernel) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	feed := make(map[string]*tensor.Tensor, len(k.inputs))
	for i, name := range k.inputs {
		if i >= len(in) || in[i] == nil {
			return fmt.Errorf("%w: Gradient input %d (%q) is missing", ops.ErrInvalidNode, i, name)
		}
		feed[name] = in[i]
	}
	ctx := context.Background()
	if ec != nil && ec.Ctx != nil {
		ctx = ec.Ctx
	}
	res, err := k.sess.Run(ctx, feed)
	if err != nil {
		return err
	}
	for i := range out {
		if i < len(k.grads) {
			out[i] = res[k.grads[i]]
		}
	}
	return nil
}
