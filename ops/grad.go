package ops

// Schemas of the gradient operators: ONNX's Gradient (domain
// ai.onnx.preview.training), and the internal ops that package train emits
// into backward graphs (domain ai.onyx.training), each the adjoint of a
// forward op whose gradient the standard operators do not express well.
// Also IsRandomNode, which says which nodes draw random numbers.

import (
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// GradDomain is the domain of onyx's internal gradient operators, which
// package train emits into backward graphs (opset 1).
const GradDomain = "ai.onyx.training"

// IsRandomNode reports whether node n, in a model importing its domain at
// opset, draws random numbers, so that its outputs differ between
// implementations (and between Runs without a seed): a node whose schema is
// NonDeterministic, or a Dropout that may run in training mode (opset 12+
// with a training_mode input, or opset 6 with is_test = 0).
func IsRandomNode(n *ir.Node, opset int64) bool {
	s := LookupSchema(n.Domain, n.OpType, opset)
	if s == nil {
		return false
	}
	if s.NonDeterministic {
		return true
	}
	if normDomain(n.Domain) != "" || n.OpType != "Dropout" {
		return false
	}
	return opset >= 12 && len(n.Inputs) > 2 && n.Inputs[2] != ""
}

// DropoutRatio returns the ratio of Dropout node n: its ratio attribute
// before opset 12, else the value of its ratio input (nil when omitted,
// which means 0.5). A ratio outside [0, 1) is an error.
func DropoutRatio(n *Node, ratio *tensor.Tensor) (float64, error) {
	r := 0.5
	switch {
	case n.Opset < 12:
		r = float64(n.AttrFloat("ratio"))
	case ratio != nil:
		v, err := ratio.Float64s()
		if err != nil || len(v) != 1 {
			return 0, Errorf("dropout: ratio must be a float scalar, got %v", ratio)
		}
		r = v[0]
	}
	if !(r >= 0 && r < 1) {
		return 0, Errorf("dropout: ratio %v is not in [0, 1)", r)
	}
	return r, nil
}

// grFloatIn checks that input i (if given) is a float tensor of input 0's
// dtype.
func grFloatIn(n *Node, idx ...int) error {
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return err
	}
	return nnSameDType(n, idx...)
}

// grShapeInput returns the shape that input i (a 1-D int64 tensor of dims)
// describes: concrete when its value is known, else unknown dims of the
// right rank when its length is known, else nil.
func grShapeInput(n *Node, i int) (ir.Shape, error) {
	if err := n.CheckDType(i, tensor.Int64); err != nil {
		return nil, err
	}
	if v := n.InValue(i); v != nil {
		dims, err := v.Int64s()
		if err != nil || v.Rank() != 1 {
			return nil, Errorf("input %d must be a 1-D int64 shape, got %v", i, v)
		}
		s := make(ir.Shape, len(dims))
		for j, d := range dims {
			if d < 0 || d > tensor.MaxElements {
				return nil, fmt.Errorf("%w: input %d: shape %v has a dim out of range", ErrShapeMismatch, i, dims)
			}
			s[j] = ir.DimOf(d)
		}
		return s, nil
	}
	sh := n.In[i].Shape
	if len(sh) == 1 && sh[0].Known() && sh[0].Value <= 64 {
		s := make(ir.Shape, sh[0].Value)
		for j := range s {
			s[j] = ir.UnknownDim
		}
		return s, nil
	}
	return nil, nil
}

// grInferFromShape is the Infer of ConvGradInput, ConvGradWeight and
// AveragePoolGrad: the output has input 0's dtype and the shape that input
// shapeIn holds.
func grInferFromShape(shapeIn int, sameType ...int) func(n *Node) ([]TypeShape, error) {
	return func(n *Node) ([]TypeShape, error) {
		if err := grFloatIn(n, sameType...); err != nil {
			return nil, err
		}
		s, err := grShapeInput(n, shapeIn)
		if err != nil {
			return nil, err
		}
		if s != nil && len(s) < 3 {
			return nil, fmt.Errorf("%w: %s: shape %v has rank < 3", ErrShapeMismatch, n.OpType, s)
		}
		if s != nil && n.OpType == "ConvGradInput" {
			// The batch of dX is dY's; the channels follow from W and group.
			if d := nnDim(n.In[0].Shape, 0); d.Param != "" && !s[0].Known() {
				s[0] = d
			}
		}
		if r := n.In[0].Rank(); s != nil && r >= 0 && r != len(s) {
			return nil, fmt.Errorf("%w: %s: dY has rank %d, the shape %d", ErrShapeMismatch, n.OpType, r, len(s))
		}
		return []TypeShape{Ranked(n.In[0].DType, s)}, nil
	}
}

// grInferLike returns an Infer giving every output the type and shape of
// the input listed for it.
func grInferLike(check func(n *Node) error, like ...int) func(n *Node) ([]TypeShape, error) {
	return func(n *Node) ([]TypeShape, error) {
		if err := check(n); err != nil {
			return nil, err
		}
		out := make([]TypeShape, len(like))
		for i, j := range like {
			if j < len(n.In) && !n.In[j].Absent {
				out[i] = TypeShape{DType: n.In[j].DType, Shape: n.In[j].Shape}
			}
		}
		return out, nil
	}
}

func grInferReduceSumTo(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return nil, err
	}
	s, err := grShapeInput(n, 1)
	if err != nil {
		return nil, err
	}
	if g := n.In[0].Shape; s != nil && g != nil {
		if len(s) > len(g) {
			return nil, fmt.Errorf("%w: ReduceSumTo: shape %v has a higher rank than the input's %v", ErrShapeMismatch, s, g)
		}
		off := len(g) - len(s)
		for i, d := range s {
			if gd := g[off+i]; d.Known() && gd.Known() && d.Value != 1 && d.Value != gd.Value {
				return nil, fmt.Errorf("%w: ReduceSumTo: %v does not broadcast to %v", ErrShapeMismatch, s, g)
			}
		}
	}
	return []TypeShape{Ranked(n.In[0].DType, s)}, nil
}

func grInferGradient(n *Node) ([]TypeShape, error) {
	xs, zs := n.AttrStrings("xs"), n.AttrStrings("zs")
	if len(xs) == 0 {
		return nil, Errorf("Gradient: xs is empty")
	}
	if n.AttrString("y") == "" {
		return nil, Errorf("Gradient: y is empty")
	}
	if len(n.Inputs) != len(xs)+len(zs) {
		return nil, Errorf("Gradient has %d inputs for %d xs and %d zs", len(n.Inputs), len(xs), len(zs))
	}
	if len(n.Outputs) > len(xs) {
		return nil, Errorf("Gradient has %d outputs for %d xs", len(n.Outputs), len(xs))
	}
	out := make([]TypeShape, len(n.Outputs))
	for i := range out {
		if err := n.CheckDType(i, tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16); err != nil {
			return nil, err
		}
		out[i] = TypeShape{DType: n.In[i].DType, Shape: n.In[i].Shape}
	}
	return out, nil
}

func init() {
	win := []AttrDef{nnAutoPad, nnDilations, nnKernelShapeOpt, nnPads, nnStrides}
	convAttrs := append([]AttrDef{nnGroup}, win...)
	poolAttrs := []AttrDef{nnAutoPad, nnKernelShapeReq, nnPads, nnStrides, nnCeilMode, nnDilations,
		nnA("storage_order", ir.AttrInt, int64(0))}
	avgAttrs := []AttrDef{nnAutoPad, nnKernelShapeReq, nnPads, nnStrides, nnCeilMode, nnDilations,
		nnA("count_include_pad", ir.AttrInt, int64(0))}
	lossAttrs := []AttrDef{nnA("ignore_index", ir.AttrInt, nil), nnA("reduction", ir.AttrString, LossReduceMean)}
	lossCheck := func(n *Node) error {
		if _, err := LossReduction(n); err != nil {
			return err
		}
		if err := grFloatIn(n, 1, 3); err != nil {
			return err
		}
		return n.CheckDType(2, tensor.Int32, tensor.Int64)
	}
	for _, s := range []*Schema{
		{
			Name: "ConvGradInput", MinInputs: 3, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1, Attrs: convAttrs,
			Infer: grInferFromShape(2, 1),
			Doc:   "the gradient of Conv's input X: ConvGradInput(dY, W, shape of X) with Conv's attributes",
		},
		{
			Name: "ConvGradWeight", MinInputs: 3, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1, Attrs: convAttrs,
			Infer: grInferFromShape(2, 1),
			Doc:   "the gradient of Conv's weight W: ConvGradWeight(dY, X, shape of W) with Conv's attributes",
		},
		{
			Name: "MaxPoolGrad", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1, Attrs: poolAttrs,
			Infer: grInferLike(func(n *Node) error { return grFloatIn(n, 1) }, 1),
			Doc:   "the gradient of MaxPool: MaxPoolGrad(dY, X) routes each dY element to its window's (first) maximum in X",
		},
		{
			Name: "AveragePoolGrad", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1, Attrs: avgAttrs,
			Infer: grInferFromShape(1),
			Doc:   "the gradient of AveragePool: AveragePoolGrad(dY, shape of X) spreads each dY element over its window",
		},
		{
			Name: "BatchNormalizationGrad", MinInputs: 3, MaxInputs: 5, MinOutputs: 1, MaxOutputs: 3,
			Attrs: []AttrDef{nnEpsilon, nnA("training_mode", ir.AttrInt, int64(0))},
			Infer: grInferLike(func(n *Node) error {
				if err := grFloatIn(n, 1); err != nil {
					return err
				}
				if n.AttrInt("training_mode") == 0 && (!n.HasIn(3) || !n.HasIn(4)) {
					return Errorf("BatchNormalizationGrad needs mean and var unless training_mode = 1")
				}
				return nil
			}, 1, 2, 2),
			Doc: "the gradients of BatchNormalization: (dX, dScale, dB) = BatchNormalizationGrad(dY, X, scale, mean, var)",
		},
		{
			Name: "DropoutGrad", MinInputs: 2, MaxInputs: 4, MinOutputs: 1, MaxOutputs: 1,
			Infer: grInferLike(func(n *Node) error {
				if err := n.CheckDType(0, nnFloatTypes...); err != nil {
					return err
				}
				if n.HasIn(3) {
					return n.CheckDType(3, tensor.Bool)
				}
				return nil
			}, 0),
			Doc: "the gradient of Dropout: DropoutGrad(dY, mask, ratio, training_mode) is dY * mask / (1 - ratio) in training mode, else dY",
		},
		{
			Name: "SoftmaxCrossEntropyLossGrad", MinInputs: 3, MaxInputs: 4, MinOutputs: 1, MaxOutputs: 1, Attrs: lossAttrs,
			Infer: grInferLike(lossCheck, 1),
			Doc:   "the gradient of SoftmaxCrossEntropyLoss's scores: Grad(dLoss, scores, labels, weights)",
		},
		{
			Name: "NegativeLogLikelihoodLossGrad", MinInputs: 3, MaxInputs: 4, MinOutputs: 1, MaxOutputs: 1, Attrs: lossAttrs,
			Infer: grInferLike(lossCheck, 1),
			Doc:   "the gradient of NegativeLogLikelihoodLoss's input: Grad(dLoss, input, target, weights)",
		},
		{
			Name: "ReduceSumTo", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
			Infer: grInferReduceSumTo,
			Doc:   "ReduceSumTo(G, shape) sums G over the axes along which shape broadcasts to G's shape",
		},
	} {
		s.Domain, s.Since = GradDomain, 1
		RegisterSchema(s)
	}
	RegisterSchema(&Schema{
		Domain: TrainingDomain, Name: "Gradient", Since: 1,
		MinInputs: 1, MaxInputs: -1, MinOutputs: 1, MaxOutputs: -1,
		Attrs: []AttrDef{
			{Name: "xs", Type: ir.AttrStrings, Required: true},
			{Name: "y", Type: ir.AttrString, Required: true},
			{Name: "zs", Type: ir.AttrStrings},
		},
		Infer: grInferGradient,
		Doc:   "the gradients of the graph value y with respect to xs, at the given values of xs and zs",
	})
}
