package train

// The emitter: builds the nodes of a backward graph in the model's opset,
// with named constants, and remembers the types it knows of the values it
// creates (so that later rules can decide statically, e.g. which axes a
// broadcast gradient sums over).

import (
	"fmt"
	"math"
	"strconv"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// minOpset is the oldest default-domain opset whose models Backward
// extends: the gradients use Where, Expand and broadcasting Sum (opsets 8
// and 9).
const minOpset = 9

// emitter appends nodes and initializers to a graph.
type emitter struct {
	m      *ir.Model
	g      *ir.Graph
	opset  int64 // the default domain's
	types  map[string]ops.TypeShape
	names  *namer
	consts map[string]string // constant key -> initializer name
	shapes map[string]string // value -> the name of its shape
	nodeID int
}

func newEmitter(m *ir.Model, types map[string]ops.TypeShape) *emitter {
	return &emitter{m: m, g: m.Graph, opset: m.Opset(""), types: types, names: newNamer(m.Graph),
		consts: map[string]string{}, shapes: map[string]string{}}
}

// Attribute constructors.

func attrInt(name string, v int64) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrInt, Int: v}
}

func attrInts(name string, v ...int64) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrInts, Ints: append([]int64{}, v...)}
}

func attrFloat(name string, v float32) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrFloat, Float: v}
}

func attrString(name, v string) *ir.Attribute {
	return &ir.Attribute{Name: name, Type: ir.AttrString, String: v}
}

// node appends a node of op (in domain) with the given inputs and nOut
// fresh outputs named after hint, and returns the output names.
func (e *emitter) node(domain, op string, inputs []string, nOut int, hint string, attrs ...*ir.Attribute) []string {
	outs := make([]string, nOut)
	for i := range outs {
		h := hint
		if nOut > 1 {
			h = hint + "_" + strconv.Itoa(i)
		}
		outs[i] = e.names.fresh(h)
	}
	e.nodeWith(domain, op, inputs, outs, attrs...)
	return outs
}

// nodeWith appends a node with the given (already reserved) output names.
func (e *emitter) nodeWith(domain, op string, inputs, outs []string, attrs ...*ir.Attribute) {
	e.nodeID++
	var kept []*ir.Attribute
	for _, a := range attrs {
		if a != nil {
			kept = append(kept, a)
		}
	}
	e.g.Nodes = append(e.g.Nodes, &ir.Node{
		Name: "grad/" + strconv.Itoa(e.nodeID) + "/" + op, OpType: op, Domain: domain,
		Inputs: append([]string(nil), inputs...), Outputs: outs, Attrs: kept,
	})
}

// op appends a default-domain op with one output.
func (e *emitter) op(op string, inputs []string, attrs ...*ir.Attribute) string {
	return e.node("", op, inputs, 1, "grad_"+op, attrs...)[0]
}

// gradOp appends one of onyx's gradient ops (domain ai.onyx.training).
func (e *emitter) gradOp(op string, inputs []string, nOut int, attrs ...*ir.Attribute) []string {
	e.m.OpsetImports[ops.GradDomain] = 1
	return e.node(ops.GradDomain, op, inputs, nOut, "grad_"+op, attrs...)
}

// setType records what is known of an emitted value.
func (e *emitter) setType(name string, dt tensor.DType, s ir.Shape) string {
	e.types[name] = ops.TypeShape{DType: dt, Shape: s}
	return name
}

// typeOf returns what is known of a value (zero when nothing is).
func (e *emitter) typeOf(name string) ops.TypeShape { return e.types[name] }

// constant adds t as an initializer (once per key) and returns its name.
func (e *emitter) constant(key string, t *tensor.Tensor, hint string) string {
	if name, ok := e.consts[key]; ok {
		return name
	}
	name := e.names.fresh(hint)
	e.g.Initializers = append(e.g.Initializers, &ir.Initializer{Name: name, Tensor: t})
	e.types[name] = ops.Known(t)
	e.consts[key] = name
	return name
}

// scalar returns a constant scalar of float type dt.
func (e *emitter) scalar(dt tensor.DType, v float64) string {
	key := fmt.Sprintf("s/%v/%x", dt, math.Float64bits(v))
	return e.constant(key, floatScalar(dt, v), "grad_c")
}

// floatScalar returns a rank-0 tensor of float type dt holding v.
func floatScalar(dt tensor.DType, v float64) *tensor.Tensor {
	switch dt {
	case tensor.Float64:
		return tensor.Scalar(v)
	case tensor.Float16:
		return tensor.Scalar(tensor.NewF16(float32(v)))
	case tensor.BFloat16:
		return tensor.Scalar(tensor.NewBF16(float32(v)))
	}
	return tensor.Scalar(float32(v))
}

// ints returns a constant 1-D int64 tensor.
func (e *emitter) ints(v ...int64) string {
	key := fmt.Sprint("i/", v)
	return e.constant(key, tensor.Must(tensor.FromSlice(append([]int64{}, v...), len(v))), "grad_i")
}

// boolScalar returns a constant bool scalar.
func (e *emitter) boolScalar(v bool) string {
	return e.constant(fmt.Sprint("b/", v), tensor.Scalar(v), "grad_b")
}

// shapeOf returns a value holding x's shape: a constant when it is known,
// else a Shape node (one per x).
func (e *emitter) shapeOf(x string) string {
	if dims, ok := e.typeOf(x).ConcreteShape(); ok {
		v := make([]int64, len(dims))
		for i, d := range dims {
			v[i] = int64(d)
		}
		return e.ints(v...)
	}
	if s, ok := e.shapes[x]; ok {
		return s
	}
	s := e.op("Shape", []string{x})
	e.shapes[x] = s
	return s
}

// Opset-dependent forms of the ops whose axes moved from attributes to
// inputs in opset 13.

func (e *emitter) reduceSum(x string, axes []int64, keep bool) string {
	k := int64(0)
	if keep {
		k = 1
	}
	if e.opset >= 13 {
		return e.op("ReduceSum", []string{x, e.ints(axes...)}, attrInt("keepdims", k))
	}
	return e.op("ReduceSum", []string{x}, attrInts("axes", axes...), attrInt("keepdims", k))
}

func (e *emitter) unsqueeze(x string, axes ...int64) string {
	if e.opset >= 13 {
		return e.op("Unsqueeze", []string{x, e.ints(axes...)})
	}
	return e.op("Unsqueeze", []string{x}, attrInts("axes", axes...))
}

// split cuts x along axis into parts of the given sizes.
func (e *emitter) split(x string, axis int64, sizes []int64, n int) ([]string, error) {
	if e.opset < 13 {
		return e.node("", "Split", []string{x}, n, "grad_Split", attrInt("axis", axis), attrInts("split", sizes...)), nil
	}
	return e.node("", "Split", []string{x, e.ints(sizes...)}, n, "grad_Split", attrInt("axis", axis)), nil
}

func (e *emitter) reshape(x, shape string) string { return e.op("Reshape", []string{x, shape}) }

func (e *emitter) mul(a, b string) string { return e.op("Mul", []string{a, b}) }
func (e *emitter) add(a, b string) string { return e.op("Add", []string{a, b}) }
func (e *emitter) sub(a, b string) string { return e.op("Sub", []string{a, b}) }
func (e *emitter) div(a, b string) string { return e.op("Div", []string{a, b}) }
func (e *emitter) neg(a string) string    { return e.op("Neg", []string{a}) }

// sum adds the values (at least one) with one Sum node.
func (e *emitter) sum(vals []string) string {
	if len(vals) == 1 {
		return vals[0]
	}
	return e.op("Sum", vals)
}

// expandTo broadcasts x to the shape of like.
func (e *emitter) expandTo(x, like string) string {
	return e.op("Expand", []string{x, e.shapeOf(like)})
}

// filled returns a tensor shaped like `like` holding v in every element.
func (e *emitter) filled(like string, dt tensor.DType, v float64) string {
	t := e.typeOf(like)
	return e.setType(e.expandTo(e.scalar(dt, v), like), dt, t.Shape)
}

// sameDim reports whether two dims are provably equal: both known and
// equal. Equal symbols are not proof, since shape inference names the
// broadcast of two different symbols after one of them (assuming a valid
// model has them equal), while at run time one may be 1.
func sameDim(a, b ir.Dim) bool {
	return a.Known() && b.Known() && a.Value == b.Value
}

// sumAxes returns the axes of a value of shape gs along which a value of
// shape ts was broadcast to it, or ok false when that cannot be decided
// from what is known of the shapes.
func sumAxes(gs, ts ir.Shape) (axes []int64, ok bool) {
	if gs == nil || ts == nil || len(ts) > len(gs) {
		return nil, false
	}
	d := len(gs) - len(ts)
	for i := range d {
		axes = append(axes, int64(i))
	}
	for i, t := range ts {
		g := gs[d+i]
		switch {
		case sameDim(t, g):
		case t.Known() && t.Value == 1:
			axes = append(axes, int64(d+i))
		default:
			return nil, false
		}
	}
	return axes, true
}

// sumTo reduces g, a gradient of shape gs, to the shape of target (a
// value that was broadcast to gs): ReduceSum over the broadcast axes and a
// Reshape when the rank differs, or ReduceSumTo when the axes are only
// known at run time.
func (e *emitter) sumTo(g string, gs ir.Shape, target string) string {
	t := e.typeOf(target)
	axes, ok := sumAxes(gs, t.Shape)
	if !ok {
		return e.setType(e.gradOp("ReduceSumTo", []string{g, e.shapeOf(target)}, 1)[0], t.DType, t.Shape)
	}
	if len(axes) == 0 {
		return g
	}
	r := e.reduceSum(g, axes, true)
	if len(gs) != len(t.Shape) {
		r = e.reshape(r, e.shapeOf(target))
	}
	return e.setType(r, t.DType, t.Shape)
}

// count returns a scalar of float type dt holding numel(big)/numel(small):
// a constant when both shapes are known, else computed from Size.
func (e *emitter) count(big, small string, dt tensor.DType) string {
	b, bok := e.typeOf(big).ConcreteShape()
	s, sok := e.typeOf(small).ConcreteShape()
	if bok && sok {
		nb, ns := 1, 1
		for _, d := range b {
			nb *= d
		}
		for _, d := range s {
			ns *= d
		}
		if ns > 0 {
			return e.scalar(dt, float64(nb)/float64(ns))
		}
	}
	q := e.op("Div", []string{e.op("Size", []string{big}), e.op("Size", []string{small})})
	return e.op("Cast", []string{q}, attrInt("to", int64(dt)))
}
