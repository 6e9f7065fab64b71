package train

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// Sentinel errors; errors from this package wrap them (test with errors.Is).
var (
	// ErrNoGradient: an operator on the path from a differentiated value
	// to y has no gradient rule (or none for the way the node uses it).
	ErrNoGradient = errors.New("no gradient rule")
	// ErrInvalidGraph: the request does not fit the graph (an unknown
	// value, a y that is not a float tensor, an opset too old...).
	ErrInvalidGraph = errors.New("invalid training graph")
)

// Options configures Backward. The zero value is the usual setting.
type Options struct {
	// Seed names the gradient of y to start from: an existing value, or a
	// new graph input (of y's type) that Backward adds. Empty means a
	// tensor of ones shaped like y, so that for a non-scalar y the
	// gradients are those of the sum of its elements.
	Seed string
	// KeepInitializers keeps the differentiated values that are
	// initializers as initializers (constants of the compiled session)
	// instead of turning them into graph inputs.
	KeepInitializers bool
}

// Result is a model extended with its backward pass.
type Result struct {
	// Model holds the forward graph (its outputs unchanged and first), the
	// backward nodes, and one more graph output per differentiated value:
	// its gradient, of its type and shape.
	Model *ir.Model
	// Wrt holds the differentiated values, as given to Backward, and Grads
	// the name of the gradient output of each, in the same order.
	Wrt, Grads []string
	// Params holds the initial values of the wrt values that were
	// initializers and are now graph inputs: feed them (or their updated
	// values) on every Run.
	Params map[string]*tensor.Tensor
	// Seed is the name of the graph input Options.Seed added, if any.
	Seed string
}

// Grad returns the name of the gradient output of the wrt value x, or "".
func (r *Result) Grad(x string) string {
	if i := slices.Index(r.Wrt, x); i >= 0 && i < len(r.Grads) {
		return r.Grads[i]
	}
	return ""
}

// Backward returns m extended with the gradients of the value y with
// respect to each value named in wrt (graph inputs, initializers, or
// intermediate values), by reverse-mode differentiation: every node on a
// path from a wrt value to y contributes the nodes its gradient rule emits,
// in reverse order, and the gradients of a value used several times are
// summed. m is not modified.
//
// Values of integer or bool type, and the outputs of Shape, Size,
// Constant and other non-differentiable operators, carry no gradient. An
// operator on the path with no rule gives an error wrapping ErrNoGradient
// that names the node. A wrt value that y does not depend on gets a zero
// gradient.
func Backward(m *ir.Model, y string, wrt []string, opt *Options) (*Result, error) {
	if opt == nil {
		opt = &Options{}
	}
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("train: %w: no graph", ErrInvalidGraph)
	}
	if v := m.Opset(""); v < minOpset {
		return nil, fmt.Errorf("train: %w: the model imports opset %d; gradients need opset %d or later", ErrInvalidGraph, v, minOpset)
	}
	if len(wrt) == 0 {
		return nil, fmt.Errorf("train: %w: nothing to differentiate with respect to", ErrInvalidGraph)
	}
	for i, x := range wrt {
		if slices.Contains(wrt[:i], x) {
			return nil, fmt.Errorf("train: %w: %q listed twice in wrt", ErrInvalidGraph, x)
		}
	}
	c := cloneModel(m)
	res := &Result{Model: c, Wrt: append([]string(nil), wrt...), Params: map[string]*tensor.Tensor{}}
	g := c.Graph
	if !opt.KeepInitializers {
		for _, x := range wrt {
			if t := promoteToInput(g, x); t != nil {
				res.Params[x] = t
			}
		}
	}
	for _, x := range append([]string{y}, wrt...) {
		if x == "" || !hasValue(g, x) {
			return nil, fmt.Errorf("train: %w: the graph has no value %q", ErrInvalidGraph, x)
		}
	}
	order, err := topoOrder(g)
	if err != nil {
		return nil, err
	}
	types := inferTypes(c, g, order)
	e := newEmitter(c, types)
	b := &backward{e: e, order: order, wrt: wrt, grads: map[string][]string{}}
	b.markActive()
	if err := b.checkRules(y); err != nil {
		return nil, err
	}
	if dt := types[y].DType; !dt.IsFloat() || !types[y].IsTensor() {
		return nil, fmt.Errorf("train: %w: y %q is %v, not a float tensor", ErrInvalidGraph, y, types[y])
	}
	for _, x := range wrt {
		if dt := types[x].DType; !dt.IsFloat() || !types[x].IsTensor() {
			return nil, fmt.Errorf("train: %w: %q is %v, not a float tensor", ErrInvalidGraph, x, types[x])
		}
	}
	seed := opt.Seed
	switch {
	case seed == "":
		seed = e.filled(y, types[y].DType, 1)
	case !hasValue(g, seed):
		g.Inputs = append(g.Inputs, &ir.ValueInfo{Name: seed, Type: tensorType(types[y].DType, types[y].Shape)})
		e.names.used[seed] = true
		e.types[seed] = ops.TypeShape{DType: types[y].DType, Shape: types[y].Shape}
		res.Seed = seed
	}
	b.grads[y] = []string{seed}
	if err := b.run(); err != nil {
		return nil, err
	}
	for _, x := range wrt {
		gx := b.total(x)
		if gx == "" {
			gx = e.filled(x, types[x].DType, 0)
		}
		name := e.names.fresh(x + "_grad")
		e.nodeWith("", "Identity", []string{gx}, []string{name})
		g.Outputs = append(g.Outputs, &ir.ValueInfo{Name: name, Type: tensorType(types[x].DType, types[x].Shape)})
		res.Grads = append(res.Grads, name)
	}
	return res, nil
}

// backward is the state of one reverse pass.
type backward struct {
	e      *emitter
	order  []*ir.Node
	wrt    []string
	active map[string]bool     // values that depend on a wrt value
	grads  map[string][]string // value -> gradient contributions
}

// nonDiff lists default-domain ops whose float outputs carry no gradient
// (zero almost everywhere, or random, or not functions of their inputs'
// values).
var nonDiff = map[string]bool{
	"Floor": true, "Ceil": true, "Round": true, "Sign": true, "Hardmax": true,
	"RandomNormalLike": true, "RandomUniformLike": true, "Bernoulli": true,
	"EyeLike": true, "ConstantOfShape": true, "Shape": true, "Size": true,
}

// markActive finds the values that depend on a wrt value through float
// tensors.
func (b *backward) markActive() {
	b.active = map[string]bool{}
	for _, x := range b.wrt {
		b.active[x] = true
	}
	for _, n := range b.order {
		if n.Domain == "" && nonDiff[n.OpType] {
			continue
		}
		in := false
		for _, s := range n.Inputs {
			in = in || (s != "" && b.active[s])
		}
		if !in {
			continue
		}
		for _, o := range n.Outputs {
			// An output whose type inference could not tell is active too,
			// so that the node's rule (or its lack) decides, not silence.
			t, known := b.e.types[o]
			if o != "" && !b.active[o] && (!known || t.DType == tensor.Undefined && t.Type == nil || t.DType.IsFloat() && t.IsTensor()) {
				b.active[o] = true
			}
		}
	}
}

// checkRules finds, before anything is emitted, every node on a path from
// a wrt value to y whose operator has no gradient rule, and reports them all
// in one error naming the first such node.
func (b *backward) checkRules(y string) error {
	needed := map[string]bool{y: true}
	var first *ir.Node
	var missing []string
	for i := len(b.order) - 1; i >= 0; i-- {
		n := b.order[i]
		out := false
		for _, o := range n.Outputs {
			out = out || (o != "" && needed[o] && b.active[o])
		}
		if !out {
			continue
		}
		act := false
		for _, s := range n.Inputs {
			if s != "" && b.active[s] {
				needed[s], act = true, true
			}
		}
		if act && lookupRule(n.Domain, n.OpType) == nil {
			op := domainName(n.Domain) + ":" + n.OpType
			if !slices.Contains(missing, op) {
				missing = append(missing, op)
			}
			if first == nil {
				first = n
			}
		}
	}
	if first == nil {
		return nil
	}
	slices.Sort(missing)
	return fmt.Errorf("train: %v (%s opset %d): %w for %s (operators without one on the path to %q: %s)",
		first, domainName(first.Domain), b.e.m.Opset(first.Domain), ErrNoGradient, first.OpType, y, strings.Join(missing, ", "))
}

// total returns the summed gradient of v, or "" when none reached it.
func (b *backward) total(v string) string {
	gs := b.grads[v]
	switch len(gs) {
	case 0:
		return ""
	case 1:
		return gs[0]
	}
	t := b.e.typeOf(v)
	s := b.e.setType(b.e.sum(gs), t.DType, t.Shape)
	b.grads[v] = []string{s}
	return s
}

// run walks the nodes in reverse order, applying each one's rule.
func (b *backward) run() error {
	for i := len(b.order) - 1; i >= 0; i-- {
		n := b.order[i]
		need := make([]bool, len(n.Inputs))
		anyNeed := false
		for j, s := range n.Inputs {
			need[j] = s != "" && b.active[s] && !slices.Contains(n.Outputs, s)
			anyNeed = anyNeed || need[j]
		}
		if !anyNeed {
			continue
		}
		dy := make([]string, len(n.Outputs))
		anyDY := false
		for j, o := range n.Outputs {
			if o != "" && b.active[o] {
				dy[j] = b.total(o)
				anyDY = anyDY || dy[j] != ""
			}
		}
		if !anyDY {
			continue
		}
		if err := b.apply(n, dy, need); err != nil {
			return err
		}
	}
	return nil
}

// apply runs n's rule and records the gradients it returns.
func (b *backward) apply(n *ir.Node, dy []string, need []bool) error {
	opset := b.e.m.Opset(n.Domain)
	f := lookupRule(n.Domain, n.OpType)
	if f == nil {
		return fmt.Errorf("train: %v (%s opset %d): %w for %s", n, domainName(n.Domain), opset, ErrNoGradient, n.OpType)
	}
	c := &Context{e: b.e, dy: dy, need: need}
	c.node = &ops.Node{Node: n, Schema: ops.LookupSchema(n.Domain, n.OpType, opset), Opset: opset,
		Graph: b.e.g, Model: b.e.m}
	for _, s := range n.Inputs {
		t := ops.TypeShape{Absent: s == ""}
		if s != "" {
			t = b.e.typeOf(s)
		}
		c.node.In = append(c.node.In, t)
	}
	for _, s := range n.Outputs {
		c.node.Out = append(c.node.Out, b.e.typeOf(s))
	}
	grads, err := f(c)
	if err != nil {
		if errors.Is(err, ErrNoGradient) || errors.Is(err, ErrInvalidGraph) {
			return fmt.Errorf("train: %v (opset %d): %w", n, opset, err)
		}
		return fmt.Errorf("train: %v (opset %d): %w: %w", n, opset, ErrInvalidGraph, err)
	}
	for j, gj := range grads {
		if j < len(n.Inputs) && gj != "" && need[j] {
			b.grads[n.Inputs[j]] = append(b.grads[n.Inputs[j]], gj)
		}
	}
	return nil
}

func domainName(d string) string {
	if d == "" {
		return "ai.onnx"
	}
	return d
}

// GradFunc is a gradient rule: given the node (through c) and the
// gradients of its outputs, it emits nodes computing the gradients of its
// inputs and returns their names, one per input ("" for an input that gets
// none; only inputs for which c.Need is true are used).
type GradFunc func(c *Context) ([]string, error)

var (
	rulesMu sync.RWMutex
	rules   = map[[2]string]GradFunc{}
)

// RegisterGradient sets the gradient rule of op in domain ("" for the
// default ONNX domain), replacing onyx's own if there is one: the way a
// package that adds an operator makes it differentiable. It panics on an
// empty op or a nil rule.
func RegisterGradient(domain, op string, f GradFunc) {
	if op == "" || f == nil {
		panic("train: RegisterGradient: empty op or nil rule")
	}
	if domain == "ai.onnx" {
		domain = ""
	}
	rulesMu.Lock()
	defer rulesMu.Unlock()
	rules[[2]string{domain, op}] = f
}

func lookupRule(domain, op string) GradFunc {
	if domain == "ai.onnx" {
		domain = ""
	}
	rulesMu.RLock()
	defer rulesMu.RUnlock()
	return rules[[2]string{domain, op}]
}

// Context is what a gradient rule sees of one forward node, and how it
// emits the nodes of its gradient.
type Context struct {
	e    *emitter
	node *ops.Node
	dy   []string
	need []bool
}

// Node returns the forward node with its schema (attribute defaults),
// opset, and the types inferred for its inputs and outputs.
func (c *Context) Node() *ops.Node { return c.node }

// DY returns the name of the gradient of output i, or "" when none flows
// back into it.
func (c *Context) DY(i int) string {
	if i < len(c.dy) {
		return c.dy[i]
	}
	return ""
}

// Need reports whether input i needs a gradient.
func (c *Context) Need(i int) bool { return i < len(c.need) && c.need[i] }

// In returns the name of input i ("" when omitted).
func (c *Context) In(i int) string {
	if i < len(c.node.Inputs) {
		return c.node.Inputs[i]
	}
	return ""
}

// Out returns the name of output i ("" when omitted).
func (c *Context) Out(i int) string {
	if i < len(c.node.Outputs) {
		return c.node.Outputs[i]
	}
	return ""
}

// Emit appends a node of op in domain ("" for ONNX's default domain, which
// is emitted in the model's opset) and returns its nOut output names.
func (c *Context) Emit(domain, op string, inputs []string, nOut int, attrs ...*ir.Attribute) []string {
	if domain != "" && domain != "ai.onnx" {
		if _, ok := c.e.m.OpsetImports[domain]; !ok {
			c.e.m.OpsetImports[domain] = 1
		}
	}
	return c.e.node(domain, op, inputs, nOut, "grad_"+op, attrs...)
}

// Const adds t as an initializer and returns its name.
func (c *Context) Const(t *tensor.Tensor) string {
	c.e.nodeID++
	return c.e.constant(fmt.Sprint("user/", c.e.nodeID), t, "grad_const")
}

// SumTo reduces g, a gradient broadcast to the shape of output out, to the
// shape of input in (ReduceSum over the broadcast axes).
func (c *Context) SumTo(g string, out, in int) string {
	return c.e.sumTo(g, c.node.Out[out].Shape, c.In(in))
}

// errNoRule returns an ErrNoGradient error for an unsupported use of a node.
func errNoRule(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNoGradient, fmt.Sprintf(format, args...))
}
