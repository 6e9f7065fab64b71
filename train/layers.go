package train

// A small layer API that builds IR: a Sequential of PyTorch-like layers
// becomes an inference ir.Model whose parameters are initializers,
// initialised as PyTorch does from a seeded RNG.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// LayersOpset is the default-domain opset of the models Sequential builds
// (BatchNormalization has its training mode from 14, Dropout its
// training_mode input from 12).
const LayersOpset = 15

// BatchDim is the name of the symbolic batch dimension of built models.
const BatchDim = "N"

// Net is a trainable model: an inference graph whose trainable parameters
// are initializers. Fit updates those initializers (and the
// BatchNormalization running statistics) in place.
type Net struct {
	Model *ir.Model
	// Input and Output name the graph input (batch first) and the output
	// (logits or predictions) that the loss reads.
	Input, Output string
	// Params names the trainable initializers.
	Params []string
}

// Layer is one layer of a Sequential.
type Layer interface {
	// addTo appends the layer's nodes reading x, of per-sample shape in,
	// and returns its output and per-sample output shape.
	addTo(b *layerBuilder, x string, in []int) (string, []int, error)
}

// Sequential is a stack of layers applied in order to inputs of per-sample
// shape InputShape (without the batch dimension).
type Sequential struct {
	InputShape []int
	Layers     []Layer
}

// layerBuilder accumulates the graph of a Sequential.
type layerBuilder struct {
	g     *ir.Graph
	rng   *rand.Rand
	names *namer
	idx   int
	// params lists the trainable initializers.
	params []string
}

func (b *layerBuilder) init(hint string, t *tensor.Tensor, trainable bool) string {
	name := b.names.fresh(fmt.Sprintf("l%d_%s", b.idx, hint))
	b.g.Initializers = append(b.g.Initializers, &ir.Initializer{Name: name, Tensor: t})
	if trainable {
		b.params = append(b.params, name)
	}
	return name
}

func (b *layerBuilder) op(op string, inputs []string, attrs ...*ir.Attribute) string {
	out := b.names.fresh(fmt.Sprintf("l%d_%s", b.idx, op))
	b.g.Nodes = append(b.g.Nodes, &ir.Node{Name: out, OpType: op, Inputs: inputs, Outputs: []string{out}, Attrs: attrs})
	return out
}

// uniform returns a float32 tensor of shape drawn from U(-bound, bound).
func (b *layerBuilder) uniform(bound float64, shape ...int) (*tensor.Tensor, error) {
	t, err := tensor.New(tensor.Float32, shape...)
	if err != nil {
		return nil, err
	}
	for i, d := 0, tensor.Data[float32](t); i < len(d); i++ {
		d[i] = float32((2*b.rng.Float64() - 1) * bound)
	}
	return t, nil
}

func filled(v float32, shape ...int) *tensor.Tensor {
	t := tensor.Must(tensor.New(tensor.Float32, shape...))
	for i, d := 0, tensor.Data[float32](t); i < len(d); i++ {
		d[i] = v
	}
	return t
}

// Build returns the inference model of s: one float32 input "input" of
// shape (N, InputShape...) with N symbolic (BatchDim), one output
// "output", parameters initialised from seed with PyTorch's defaults
// (Kaiming uniform: weights and biases in ±1/sqrt(fan_in); BatchNorm scale
// 1, bias 0, running mean 0, variance 1).
func (s *Sequential) Build(seed uint64) (*Net, error) {
	if len(s.InputShape) == 0 || slices.ContainsFunc(s.InputShape, func(d int) bool { return d <= 0 }) {
		return nil, fmt.Errorf("train: %w: Sequential input shape %v", ErrInvalidGraph, s.InputShape)
	}
	if len(s.Layers) == 0 {
		return nil, fmt.Errorf("train: %w: Sequential has no layers", ErrInvalidGraph)
	}
	g := &ir.Graph{Name: "sequential"}
	shape := append(ir.Shape{ir.SymDim(BatchDim)}, ir.ShapeOf(s.InputShape...)...)
	g.Inputs = []*ir.ValueInfo{{Name: "input", Type: tensorType(tensor.Float32, shape)}}
	b := &layerBuilder{g: g, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), names: newNamer(g)}
	b.names.used["output"] = true
	x, in := "input", append([]int(nil), s.InputShape...)
	for i, l := range s.Layers {
		b.idx = i
		var err error
		if x, in, err = l.addTo(b, x, in); err != nil {
			return nil, fmt.Errorf("train: layer %d (%T): %w", i, l, err)
		}
	}
	// The last layer's output is renamed "output".
	last := g.Nodes[len(g.Nodes)-1]
	if last.Outputs[0] != x {
		return nil, fmt.Errorf("train: %w: the last layer must emit a node", ErrInvalidGraph)
	}
	last.Outputs[0] = "output"
	g.Outputs = []*ir.ValueInfo{{Name: "output", Type: tensorType(tensor.Float32, append(ir.Shape{ir.SymDim(BatchDim)}, ir.ShapeOf(in...)...))}}
	m := &ir.Model{IRVersion: 8, OpsetImports: map[string]int64{"": LayersOpset}, ProducerName: "onyx", Graph: g}
	return &Net{Model: m, Input: "input", Output: "output", Params: b.params}, nil
}

func layerErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidGraph}, a...)...)
}

// convOut is the output size of a convolution or pooling window.
func convOut(in, k, stride, pad int) int { return (in+2*pad-k)/stride + 1 }

// Conv2D is a 2-D convolution over (C, H, W) inputs (PyTorch's nn.Conv2d):
// square kernel, stride (default 1) and zero padding on every side.
type Conv2D struct {
	In, Out, Kernel int
	Stride, Pad     int
	NoBias          bool
}

func (l Conv2D) addTo(b *layerBuilder, x string, in []int) (string, []int, error) {
	stride := max(l.Stride, 1)
	if len(in) != 3 || in[0] != l.In || l.Out <= 0 || l.Kernel <= 0 || l.Pad < 0 {
		return "", nil, layerErr("Conv2D(%d->%d, k%d) on input %v", l.In, l.Out, l.Kernel, in)
	}
	oh, ow := convOut(in[1], l.Kernel, stride, l.Pad), convOut(in[2], l.Kernel, stride, l.Pad)
	if oh <= 0 || ow <= 0 {
		return "", nil, layerErr("Conv2D kernel %d larger than the padded input %v", l.Kernel, in)
	}
	fanIn := l.In * l.Kernel * l.Kernel
	bound := 1 / math.Sqrt(float64(fanIn))
	w, err := b.uniform(bound, l.Out, l.In, l.Kernel, l.Kernel)
	if err != nil {
		return "", nil, err
	}
	inputs := []string{x, b.init("weight", w, true)}
	if !l.NoBias {
		bias, err := b.uniform(bound, l.Out)
		if err != nil {
			return "", nil, err
		}
		inputs = append(inputs, b.init("bias", bias, true))
	}
	p := int64(l.Pad)
	y := b.op("Conv", inputs, attrInts("kernel_shape", int64(l.Kernel), int64(l.Kernel)),
		attrInts("strides", int64(stride), int64(stride)), attrInts("pads", p, p, p, p))
	return y, []int{l.Out, oh, ow}, nil
}

// Linear is a fully connected layer y = x·Wᵀ + b on (N, In) inputs
// (PyTorch's nn.Linear), emitted as Gemm with transB = 1.
type Linear struct {
	In, Out int
	NoBias  bool
}

func (l Linear) addTo(b *layerBuilder, x string, in []int) (string, []int, error) {
	if len(in) != 1 || in[0] != l.In || l.Out <= 0 {
		return "", nil, layerErr("Linear(%d->%d) on input %v (Flatten first)", l.In, l.Out, in)
	}
	bound := 1 / math.Sqrt(float64(l.In))
	w, err := b.uniform(bound, l.Out, l.In)
	if err != nil {
		return "", nil, err
	}
	inputs := []string{x, b.init("weight", w, true)}
	if !l.NoBias {
		bias, err := b.uniform(bound, l.Out)
		if err != nil {
			return "", nil, err
		}
		inputs = append(inputs, b.init("bias", bias, true))
	}
	return b.op("Gemm", inputs, attrInt("transB", 1)), []int{l.Out}, nil
}

// BatchNorm2D normalizes each channel of (C, H, W) inputs (PyTorch's
// nn.BatchNorm2d). Momentum is PyTorch's (default 0.1: running = 0.9*running
// + 0.1*batch), Eps defaults to 1e-5.
type BatchNorm2D struct {
	C        int
	Momentum float64
	Eps      float64
}

func (l BatchNorm2D) addTo(b *layerBuilder, x string, in []int) (string, []int, error) {
	if len(in) != 3 || in[0] != l.C {
		return "", nil, layerErr("BatchNorm2D(%d) on input %v", l.C, in)
	}
	mom, eps := l.Momentum, l.Eps
	if mom == 0 {
		mom = 0.1
	}
	if eps == 0 {
		eps = 1e-5
	}
	if mom < 0 || mom > 1 || eps < 0 {
		return "", nil, layerErr("BatchNorm2D momentum %v, eps %v", mom, eps)
	}
	inputs := []string{x, b.init("scale", filled(1, l.C), true), b.init("bias", filled(0, l.C), true),
		b.init("running_mean", filled(0, l.C), false), b.init("running_var", filled(1, l.C), false)}
	return b.op("BatchNormalization", inputs, attrFloat("epsilon", float32(eps)), attrFloat("momentum", float32(1-mom))), in, nil
}

// Dropout zeroes each element with probability P during training (scaling
// the others by 1/(1-P)) and is the identity at inference.
type Dropout struct{ P float64 }

func (l Dropout) addTo(b *layerBuilder, x string, in []int) (string, []int, error) {
	if l.P < 0 || l.P >= 1 {
		return "", nil, layerErr("Dropout probability %v", l.P)
	}
	ratio := b.init("ratio", tensor.Scalar(float32(l.P)), false)
	return b.op("Dropout", []string{x, ratio}), in, nil
}

// MaxPool2D takes the maximum over Kernel×Kernel windows (stride defaults
// to Kernel, as in PyTorch).
type MaxPool2D struct{ Kernel, Stride int }

// AvgPool2D averages over Kernel×Kernel windows (stride defaults to Kernel).
type AvgPool2D struct{ Kernel, Stride int }

func pool(b *layerBuilder, op string, kernel, stride int, x string, in []int) (string, []int, error) {
	if stride == 0 {
		stride = kernel
	}
	if len(in) != 3 || kernel <= 0 || stride <= 0 || kernel > in[1] || kernel > in[2] {
		return "", nil, layerErr("%s(k%d, s%d) on input %v", op, kernel, stride, in)
	}
	k, s := int64(kernel), int64(stride)
	y := b.op(op, []string{x}, attrInts("kernel_shape", k, k), attrInts("strides", s, s))
	return y, []int{in[0], convOut(in[1], kernel, stride, 0), convOut(in[2], kernel, stride, 0)}, nil
}

func (l MaxPool2D) addTo(b *layerBuilder, x string, in []int) (string, []int, error) {
	return pool(b, "MaxPool", l.Kernel, l.Stride, x, in)
}

func (l AvgPool2D) addTo(b *layerBuilder, x string, in []int) (string, []int, error) {
	return pool(b, "AveragePool", l.Kernel, l.Stride, x, in)
}

// Flatten reshapes each sample to a vector.
type Flatten struct{}

func (Flatten) addTo(b *layerBuilder, x string, in []int) (string, []int, error) {
	n := 1
	for _, d := range in {
		n *= d
	}
	return b.op("Flatten", []string{x}, attrInt("axis", 1)), []int{n}, nil
}

// ReLU is max(x, 0).
type ReLU struct{}

// LeakyReLU is x for x >= 0 and Alpha*x otherwise (Alpha 0 means 0.01).
type LeakyReLU struct{ Alpha float64 }

// Sigmoid is 1/(1+exp(-x)).
type Sigmoid struct{}

// Tanh is the hyperbolic tangent.
type Tanh struct{}

func (ReLU) addTo(b *layerBuilder, x string, in []int) (string, []int, error) {
	return b.op("Relu", []string{x}), in, nil
}

func (l LeakyReLU) addTo(b *layerBuilder, x string, in []int) (string, []int, error) {
	a := l.Alpha
	if a == 0 {
		a = 0.01
	}
	return b.op("LeakyRelu", []string{x}, attrFloat("alpha", float32(a))), in, nil
}

func (Sigmoid) addTo(b *layerBuilder, x string, in []int) (string, []int, error) {
	return b.op("Sigmoid", []string{x}), in, nil
}

func (Tanh) addTo(b *layerBuilder, x string, in []int) (string, []int, error) {
	return b.op("Tanh", []string{x}), in, nil
}

// NetFromModel wraps an imported model for fine-tuning: input and output
// name the graph input and the output the loss reads, params the
// initializers to train. With params nil, every float initializer is
// trained except BatchNormalization's running statistics and the
// initializers that feed shape-like inputs (anything that is not float).
func NetFromModel(m *ir.Model, input, output string, params []string) (*Net, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("train: %w: no graph", ErrInvalidGraph)
	}
	g := m.Graph
	if !hasValue(g, input) || !hasValue(g, output) {
		return nil, fmt.Errorf("train: %w: the model has no value %q or %q", ErrInvalidGraph, input, output)
	}
	if params == nil {
		stats := map[string]bool{}
		for _, n := range g.Nodes {
			switch {
			case n.OpType == "BatchNormalization" && len(n.Inputs) >= 5:
				stats[n.Inputs[3]], stats[n.Inputs[4]] = true, true
			case n.OpType == "Dropout" && len(n.Inputs) >= 2:
				stats[n.Inputs[1]] = true
			}
		}
		for _, in := range g.Initializers {
			if in.Tensor != nil && in.Tensor.DType().IsFloat() && in.Tensor.Rank() > 0 && !stats[in.Name] {
				params = append(params, in.Name)
			}
		}
	}
	for _, p := range params {
		t := g.Initializer(p)
		if t == nil {
			return nil, fmt.Errorf("train: %w: parameter %q is not an initializer", ErrInvalidGraph, p)
		}
		if dt := t.DType(); dt != tensor.Float32 && dt != tensor.Float64 {
			return nil, fmt.Errorf("train: %w: parameter %q is %v (float32 or float64 only)", ErrInvalidGraph, p, dt)
		}
	}
	if len(params) == 0 {
		return nil, fmt.Errorf("train: %w: no parameters to train", ErrInvalidGraph)
	}
	return &Net{Model: m, Input: input, Output: output, Params: params}, nil
}
