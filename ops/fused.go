package ops

import (
	"math"

	"github.com/onyxml/onyx/ir"
)

// OnyxDomain holds onyx's internal operators: the fused nodes the runtime's
// graph optimizer writes. Models never need to import it; the runtime adds
// it when it rewrites a graph.
const OnyxDomain = "ai.onyx"

// Activations a fused node may apply to its result, with their parameters
// in activation_params.
const (
	ActNone      = ""
	ActRelu      = "Relu"
	ActClip      = "Clip"      // params: min, max
	ActLeakyRelu = "LeakyRelu" // params: alpha
	ActHardSwish = "HardSwish"
	ActSigmoid   = "Sigmoid"
)

// Activation is a fused node's elementwise epilogue.
type Activation struct {
	Kind   string
	Params []float32
}

// ParseActivation reads the activation attributes of a fused node.
func ParseActivation(n *Node) (Activation, error) {
	a := Activation{Kind: n.AttrString("activation"), Params: n.AttrFloats("activation_params")}
	want := map[string]int{ActNone: 0, ActRelu: 0, ActClip: 2, ActLeakyRelu: 1, ActHardSwish: 0, ActSigmoid: 0}
	np, ok := want[a.Kind]
	if !ok {
		return a, Errorf("unknown fused activation %q", a.Kind)
	}
	if len(a.Params) != np {
		return a, Errorf("activation %s takes %d parameters, got %d", a.Kind, np, len(a.Params))
	}
	return a, nil
}

// Apply applies the activation to v. It is the reference every fused
// kernel's epilogue is tested against.
func (a Activation) Apply(v []float32) {
	switch a.Kind {
	case ActRelu:
		for i, x := range v {
			v[i] = max(x, 0)
		}
	case ActClip:
		lo, hi := a.Params[0], a.Params[1]
		for i, x := range v {
			v[i] = min(max(x, lo), hi)
		}
	case ActLeakyRelu:
		alpha := a.Params[0]
		for i, x := range v {
			if x < 0 {
				v[i] = alpha * x
			}
		}
	case ActHardSwish:
		for i, x := range v {
			v[i] = x * min(max(x/6+0.5, 0), 1)
		}
	case ActSigmoid:
		for i, x := range v {
			v[i] = float32(1 / (1 + math.Exp(-float64(x))))
		}
	}
}

// Unfused returns the view of a fused node as the standard op it extends
// (Conv or Gemm at the given opset): the same attributes, its first inputs
// and its output, with that op's schema (and so its attribute defaults).
func Unfused(n *Node, op string, opset int64, inputs int) *Node {
	base := *n.Node
	base.OpType, base.Domain = op, ""
	base.Inputs = n.Inputs[:min(inputs, len(n.Inputs))]
	v := &Node{Node: &base, Schema: LookupSchema("", op, opset), Opset: opset, Out: n.Out}
	if len(n.In) > 0 {
		v.In = n.In[:min(inputs, len(n.In))]
	}
	return v
}

func init() {
	fusedAttrs := []AttrDef{
		{Name: "activation", Type: ir.AttrString, Default: ""},
		{Name: "activation_params", Type: ir.AttrFloats},
	}
	RegisterSchema(&Schema{
		Domain: OnyxDomain, Name: "FusedConv", Since: 1,
		MinInputs: 2, MaxInputs: 4, MinOutputs: 1, MaxOutputs: 1,
		Attrs: fusedAttrs,
		Infer: func(n *Node) ([]TypeShape, error) {
			return inferFused(n, "Conv", 11, 3)
		},
		Doc: "Conv (opset 11+ attributes) + bias, then + Z (a residual input, optional), then an activation",
	})
	RegisterSchema(&Schema{
		Domain: OnyxDomain, Name: "FusedGemm", Since: 1,
		MinInputs: 2, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
		Attrs: fusedAttrs,
		Infer: func(n *Node) ([]TypeShape, error) {
			return inferFused(n, "Gemm", 13, 3)
		},
		Doc: "Gemm (opset 13 attributes), then an activation",
	})
}

func inferFused(n *Node, op string, opset int64, inputs int) ([]TypeShape, error) {
	if _, err := ParseActivation(n); err != nil {
		return nil, err
	}
	v := Unfused(n, op, opset, inputs)
	if err := v.Validate(); err != nil {
		return nil, err
	}
	out, err := v.Schema.Infer(v)
	if err != nil {
		return nil, err
	}
	if len(n.In) > inputs && !n.In[inputs].Absent { // the residual
		z := n.In[inputs]
		if z.DType != out[0].DType {
			return nil, Errorf("residual is %v, the result %v", z.DType, out[0].DType)
		}
		if z.Shape != nil && out[0].Shape != nil {
			if _, err := BroadcastShapes(out[0].Shape, z.Shape); err != nil || len(z.Shape) != len(out[0].Shape) {
				return nil, Errorf("residual %v does not match the result %v", z.Shape, out[0].Shape)
			}
		}
	}
	return out, nil
}
