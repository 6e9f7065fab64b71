package ops

import (
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// Schemas of the optimizer ops of the ai.onnx.preview.training domain:
// Adagrad, Momentum and Adam. Each takes a learning rate R, an update count
// T, and then k optimized tensors X_1..X_k followed by their gradients and
// by each kind of optimizer state, all grouped by kind; it returns the new
// X_1..X_k and then the new states, grouped the same way.

// TrainingDomain is the domain of ONNX's preview training operators.
const TrainingDomain = "ai.onnx.preview.training"

// TrainingGroups describes the variadic layout of an optimizer op: after R
// and T, In groups of k inputs (X, G, then the states), and Out groups of
// k outputs; output group j holds the new value of input group OutFrom[j].
type TrainingGroups struct {
	In      int
	OutFrom []int
}

// trnLayouts gives each optimizer op's layout.
var trnLayouts = map[string]TrainingGroups{
	"Adagrad":  {In: 3, OutFrom: []int{0, 2}},    // X, G, H -> X, H
	"Momentum": {In: 3, OutFrom: []int{0, 2}},    // X, G, V -> X, V
	"Adam":     {In: 4, OutFrom: []int{0, 2, 3}}, // X, G, V, H -> X, V, H
}

// TrainingLayout returns the layout of the optimizer op called op.
func TrainingLayout(op string) (TrainingGroups, bool) {
	l, ok := trnLayouts[op]
	return l, ok
}

// TrainingCount returns k, the number of tensors n (an optimizer op)
// updates, checking its input and output counts against its layout.
func TrainingCount(n *Node) (int, error) {
	l, ok := TrainingLayout(n.OpType)
	if !ok {
		return 0, Errorf("%s is not an optimizer op", n.OpType)
	}
	in := len(n.Inputs) - 2
	if in < l.In || in%l.In != 0 {
		return 0, Errorf("%s: %d inputs after R and T, want a positive multiple of %d", n.OpType, in, l.In)
	}
	k := in / l.In
	if len(n.Outputs) != k*len(l.OutFrom) {
		return 0, Errorf("%s: %d outputs for %d optimized tensors, want %d", n.OpType, len(n.Outputs), k, k*len(l.OutFrom))
	}
	return k, nil
}

func init() {
	float := func(name string, def float32) AttrDef {
		return AttrDef{Name: name, Type: ir.AttrFloat, Default: def}
	}
	required := func(name string, t ir.AttrType) AttrDef {
		return AttrDef{Name: name, Type: t, Required: true}
	}
	for _, s := range []*Schema{
		{
			Name: "Adagrad",
			Attrs: []AttrDef{
				float("decay_factor", 0), float("epsilon", 0), float("norm_coefficient", 0),
			},
			Doc: "Adagrad updates tensors by their gradients scaled by accumulated squared gradients.",
		},
		{
			Name: "Momentum",
			Attrs: []AttrDef{
				required("alpha", ir.AttrFloat), required("beta", ir.AttrFloat),
				required("mode", ir.AttrString), required("norm_coefficient", ir.AttrFloat),
			},
			Doc: "Momentum updates tensors by SGD with standard or Nesterov momentum.",
		},
		{
			Name: "Adam",
			Attrs: []AttrDef{
				float("alpha", 0.9), float("beta", 0.999), float("epsilon", 0),
				float("norm_coefficient", 0), float("norm_coefficient_post", 0),
			},
			Doc: "Adam updates tensors by their averaged gradients over their averaged squared gradients.",
		},
	} {
		s.Domain, s.Since = TrainingDomain, 1
		s.MinInputs, s.MaxInputs, s.MinOutputs, s.MaxOutputs = 3, -1, 1, -1
		s.Infer = trnInfer
		RegisterSchema(s)
	}
}

// trnInfer checks an optimizer node and gives each output the type and
// shape of the input it updates.
func trnInfer(n *Node) ([]TypeShape, error) {
	k, err := TrainingCount(n)
	if err != nil {
		return nil, err
	}
	if n.OpType == "Momentum" {
		if m := n.AttrString("mode"); m != "standard" && m != "nesterov" {
			return nil, Errorf("Momentum mode %q, want standard or nesterov", m)
		}
	}
	if err := n.CheckDType(0, tensor.Float32, tensor.Float64); err != nil {
		return nil, err
	}
	if err := n.CheckDType(1, tensor.Int64); err != nil {
		return nil, err
	}
	for i := range 2 {
		if dims, ok := n.In[i].ConcreteShape(); ok {
			if c, _ := tensor.NumElements(dims); c != 1 {
				return nil, Errorf("%s: input %d has shape %v, want a scalar", n.OpType, i, dims)
			}
		}
	}
	l, _ := TrainingLayout(n.OpType)
	// shapes[t]: what X_t, its gradient and its states say of their shape.
	shapes := make([]ir.Shape, k)
	for t := range k {
		x := n.In[2+t]
		if err := n.CheckDType(2+t, tensor.Float32, tensor.Float64); err != nil {
			return nil, err
		}
		shapes[t] = x.Shape
		for g := 1; g < l.In; g++ {
			o := n.In[2+g*k+t]
			if o.Absent || o.DType != x.DType {
				return nil, Errorf("%s: input %d is %v, want %v like input %d", n.OpType, 2+g*k+t, o, x.DType, 2+t)
			}
			if !trnSameShape(x.Shape, o.Shape) {
				return nil, fmt.Errorf("%w: %s: input %d has shape [%v], input %d [%v]", ErrShapeMismatch, n.OpType, 2+g*k+t, o.Shape, 2+t, x.Shape)
			}
			shapes[t] = trnMergeShape(shapes[t], o.Shape)
		}
	}
	out := make([]TypeShape, 0, len(n.Outputs))
	for range l.OutFrom {
		for t := range k {
			out = append(out, TypeShape{DType: n.In[2+t].DType, Shape: shapes[t]})
		}
	}
	return out, nil
}

// trnMergeShape combines two shapes that trnSameShape accepts, keeping the
// better known of each dim.
func trnMergeShape(a, b ir.Shape) ir.Shape {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	m := append(ir.Shape{}, a...)
	for i, d := range b {
		if !m[i].Known() && (d.Known() || m[i].Param == "") {
			m[i] = d
		}
	}
	return m
}

// trnSameShape reports whether two shapes may be equal: unknown ranks and
// dims match anything.
func trnSameShape(a, b ir.Shape) bool {
	if a == nil || b == nil {
		return true
	}
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Known() && b[i].Known() && a[i].Value != b[i].Value {
			return false
		}
	}
	return true
}
