package train

// Losses as graph builders: each appends the nodes of a scalar loss to a
// model's graph, so that Backward can differentiate it like any value.

import (
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// lossBuilder appends the nodes of one loss to m's graph.
type lossBuilder struct {
	m     *ir.Model
	names *namer
	types map[string]ops.TypeShape
	id    int
}

func newLossBuilder(m *ir.Model, need int64, what string) (*lossBuilder, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("train: %w: no graph", ErrInvalidGraph)
	}
	if v := m.Opset(""); v < need {
		return nil, fmt.Errorf("train: %w: %s needs opset %d or later, the model imports %d", ErrInvalidGraph, what, need, v)
	}
	order, err := topoOrder(m.Graph)
	if err != nil {
		return nil, err
	}
	return &lossBuilder{m: m, names: newNamer(m.Graph), types: inferTypes(m, m.Graph, order)}, nil
}

// floatValue returns the type of the float tensor value called name.
func (b *lossBuilder) floatValue(name, what string) (ops.TypeShape, error) {
	t, ok := b.types[name]
	if !ok || !hasValue(b.m.Graph, name) {
		return t, fmt.Errorf("train: %w: the graph has no value %q (%s)", ErrInvalidGraph, name, what)
	}
	if !t.DType.IsFloat() || !t.IsTensor() {
		return t, fmt.Errorf("train: %w: %s %q is %v, not a float tensor", ErrInvalidGraph, what, name, t)
	}
	return t, nil
}

// target returns the name of the target value: name itself if the graph
// has it, else a new graph input of type typ.
func (b *lossBuilder) target(name string, typ *ir.Type) string {
	if !hasValue(b.m.Graph, name) {
		b.m.Graph.Inputs = append(b.m.Graph.Inputs, &ir.ValueInfo{Name: name, Type: typ})
		b.names.used[name] = true
	}
	return name
}

// op appends a node with one output, named after hint.
func (b *lossBuilder) op(op string, inputs []string, hint string, attrs ...*ir.Attribute) string {
	out := b.names.fresh(hint)
	b.id++
	b.m.Graph.Nodes = append(b.m.Graph.Nodes, &ir.Node{Name: fmt.Sprintf("%s/%d/%s", hint, b.id, op),
		OpType: op, Inputs: inputs, Outputs: []string{out}, Attrs: attrs})
	return out
}

// mean appends ReduceMean over all axes to a scalar and makes it a graph
// output.
func (b *lossBuilder) mean(x string, dt tensor.DType, hint string) string {
	loss := b.op("ReduceMean", []string{x}, hint, attrInt("keepdims", 0))
	b.m.Graph.Outputs = append(b.m.Graph.Outputs, &ir.ValueInfo{Name: loss, Type: tensorType(dt, ir.Shape{})})
	return loss
}

// MSELoss appends the mean squared error mean((pred - target)^2), over all
// elements, to m's graph (m is modified) and returns the name of the loss,
// a float scalar that is also made a graph output. If the graph has no
// value called target, it becomes a new graph input of pred's type.
func MSELoss(m *ir.Model, pred, target string) (string, error) {
	b, err := newLossBuilder(m, minOpset, "MSELoss")
	if err != nil {
		return "", err
	}
	t, err := b.floatValue(pred, "prediction")
	if err != nil {
		return "", err
	}
	target = b.target(target, tensorType(t.DType, t.Shape))
	d := b.op("Sub", []string{pred, target}, "mse_diff")
	return b.mean(b.op("Mul", []string{d, d}, "mse_sq"), t.DType, "mse_loss"), nil
}

// SoftmaxCrossEntropyLoss appends the mean cross-entropy between
// softmax(logits) along axis 1 and integer class labels (ONNX's
// SoftmaxCrossEntropyLoss, opset 12+) to m's graph and returns the name of
// the loss, a float scalar made a graph output. logits is (N, C) or (N, C,
// d1, ...); if the graph has no value called labels, it becomes a new
// int64 graph input of shape (N, d1, ...).
func SoftmaxCrossEntropyLoss(m *ir.Model, logits, labels string) (string, error) {
	b, err := newLossBuilder(m, 12, "SoftmaxCrossEntropyLoss")
	if err != nil {
		return "", err
	}
	t, err := b.floatValue(logits, "logits")
	if err != nil {
		return "", err
	}
	if t.Shape != nil && len(t.Shape) < 2 {
		return "", fmt.Errorf("train: %w: logits %q has shape %v, want (N, C, ...)", ErrInvalidGraph, logits, t.Shape)
	}
	var ls ir.Shape
	if t.Shape != nil {
		ls = append(ir.Shape{t.Shape[0]}, t.Shape[2:]...)
	}
	labels = b.target(labels, tensorType(tensor.Int64, ls))
	loss := b.op("SoftmaxCrossEntropyLoss", []string{logits, labels}, "ce_loss", attrString("reduction", "mean"))
	b.m.Graph.Outputs = append(b.m.Graph.Outputs, &ir.ValueInfo{Name: loss, Type: tensorType(t.DType, ir.Shape{})})
	return loss, nil
}

// BCEWithLogitsLoss appends the mean binary cross-entropy between
// sigmoid(logits) and targets in [0, 1], in the numerically stable form
// mean(softplus(x) - x*t) (softplus(x) = max(x, 0) + log(1 + exp(-|x|)),
// which never overflows), to m's graph and returns the name of the loss, a
// float scalar made a graph output. If the graph has no value called
// target, it becomes a new graph input of logits' type.
func BCEWithLogitsLoss(m *ir.Model, logits, target string) (string, error) {
	b, err := newLossBuilder(m, minOpset, "BCEWithLogitsLoss")
	if err != nil {
		return "", err
	}
	t, err := b.floatValue(logits, "logits")
	if err != nil {
		return "", err
	}
	target = b.target(target, tensorType(t.DType, t.Shape))
	sp := b.op("Softplus", []string{logits}, "bce_softplus")
	xt := b.op("Mul", []string{logits, target}, "bce_xt")
	return b.mean(b.op("Sub", []string{sp, xt}, "bce_terms"), t.DType, "bce_loss"), nil
}
