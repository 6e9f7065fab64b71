package ops

import (
	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// The Reduce* family. Every member has the same shape rule: the reduced axes
// (all of them when none are given, none when noop_with_empty_axes is set
// and none are given) become 1 with keepdims, or disappear without it.
// Until ReduceSum-13 and the others' version 18 the axes are an attribute;
// from then on they are an optional int64 input.

// redVersion is one version of a Reduce op: since when, and what changed.
type redVersion struct {
	since     int64
	axesInput bool           // axes is input 1 (else the "axes" attribute)
	types     []tensor.DType // the T constraint of this version
}

var (
	redTypesBase = []tensor.DType{tensor.Uint32, tensor.Uint64, tensor.Int32, tensor.Int64,
		tensor.Float16, tensor.Float32, tensor.Float64}
	redTypes13   = append(append([]tensor.DType(nil), redTypesBase...), tensor.BFloat16)
	redTypesMM12 = append(append([]tensor.DType(nil), redTypesBase...), tensor.Int8, tensor.Uint8)
	redTypesMM13 = append(append([]tensor.DType(nil), redTypesMM12...), tensor.BFloat16)
	redTypesMM20 = append(append([]tensor.DType(nil), redTypesMM13...), tensor.Bool)
)

// redVersionsFor returns the version history of one Reduce op.
func redVersionsFor(op string) []redVersion {
	switch op {
	case "ReduceSum":
		return []redVersion{{1, false, redTypesBase}, {11, false, redTypesBase}, {13, true, redTypes13}}
	case "ReduceMax", "ReduceMin":
		return []redVersion{{1, false, redTypesBase}, {11, false, redTypesBase}, {12, false, redTypesMM12},
			{13, false, redTypesMM13}, {18, true, redTypesMM13}, {20, true, redTypesMM20}}
	}
	return []redVersion{{1, false, redTypesBase}, {11, false, redTypesBase}, {13, false, redTypes13}, {18, true, redTypes13}}
}

// ReduceOps lists the Reduce* operators, which share one schema shape and
// one kernel engine.
var ReduceOps = []string{"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
	"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"}

func init() {
	for _, op := range ReduceOps {
		vs := redVersionsFor(op)
		for i, v := range vs {
			var until int64
			if i+1 < len(vs) {
				until = vs[i+1].since - 1
			}
			s := &Schema{
				Name: op, Since: v.since, Until: until,
				MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
				Attrs: []AttrDef{{Name: "keepdims", Type: ir.AttrInt, Default: int64(1)}},
				Infer: redInfer(v.types),
				Doc:   op + " reduces the input over the given axes.",
			}
			if v.axesInput {
				s.MaxInputs = 2
				s.Attrs = append(s.Attrs, AttrDef{Name: "noop_with_empty_axes", Type: ir.AttrInt, Default: int64(0)})
			} else {
				s.Attrs = append(s.Attrs, AttrDef{Name: "axes", Type: ir.AttrInts})
			}
			RegisterSchema(s)
		}
	}
}

// ReduceAxesFromInput reports whether n (a Reduce* node) takes its axes
// from input 1 rather than from the "axes" attribute.
func ReduceAxesFromInput(n *Node) bool { return n.Schema.Attr("axes") == nil }

// ReduceAxes returns, for each of rank axes, whether the Reduce* node n
// reduces it. axes is the value of the axes input (nil when it is omitted);
// it is ignored for versions that take axes as an attribute. Out-of-range
// and repeated axes are errors.
func ReduceAxes(n *Node, rank int, axes *tensor.Tensor) ([]bool, error) {
	var list []int64
	noop := false
	if ReduceAxesFromInput(n) {
		noop = n.AttrInt("noop_with_empty_axes") != 0
		if axes != nil {
			if axes.Rank() > 1 {
				return nil, Errorf("axes must be a 1-D tensor, got shape %v", axes.Shape())
			}
			v, err := axes.Int64s()
			if err != nil {
				return nil, Errorf("axes: %v", err)
			}
			list = v
		}
	} else {
		list = n.AttrInts("axes")
	}
	return ReduceAxesMask(list, rank, noop)
}

// ReduceAxesMask turns a list of possibly negative axes into a mask of rank
// entries; an empty list means every axis, or none when noop is set.
// Out-of-range and repeated axes are errors.
func ReduceAxesMask(list []int64, rank int, noop bool) ([]bool, error) {
	mask := make([]bool, rank)
	if len(list) == 0 {
		if !noop {
			for i := range mask {
				mask[i] = true
			}
		}
		return mask, nil
	}
	for _, a := range list {
		ax, err := NormAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if mask[ax] {
			return nil, Errorf("axis %d repeated in axes %v", a, list)
		}
		mask[ax] = true
	}
	return mask, nil
}

// ReduceShape returns the output dims of a reduction of shape over mask.
func ReduceShape(shape []int, mask []bool, keepdims bool) []int {
	out := make([]int, 0, len(shape))
	for i, d := range shape {
		switch {
		case !mask[i]:
			out = append(out, d)
		case keepdims:
			out = append(out, 1)
		}
	}
	return out
}

func redInfer(types []tensor.DType) func(n *Node) ([]TypeShape, error) {
	return func(n *Node) ([]TypeShape, error) {
		if err := n.CheckDType(0, types...); err != nil {
			return nil, err
		}
		in := n.In[0]
		keep := n.AttrInt("keepdims") != 0
		if in.Shape == nil {
			return []TypeShape{Unranked(in.DType)}, nil
		}
		rank := len(in.Shape)
		var axes *tensor.Tensor
		if ReduceAxesFromInput(n) && n.HasIn(1) {
			if n.In[1].DType != tensor.Int64 {
				return nil, Errorf("axes must be int64, got %v", n.In[1].DType)
			}
			axes = n.InValue(1)
			if axes == nil {
				return redInferUnknownAxes(n, keep)
			}
		}
		mask, err := ReduceAxes(n, rank, axes)
		if err != nil {
			return nil, err
		}
		out := make(ir.Shape, 0, rank)
		for i, d := range in.Shape {
			switch {
			case !mask[i]:
				out = append(out, d)
			case keep:
				out = append(out, ir.DimOf(1))
			}
		}
		return []TypeShape{Ranked(in.DType, out)}, nil
	}
}

// redInferUnknownAxes infers a reduction whose axes input is not known
// yet: with keepdims the rank stays and dims other than 1 become unknown;
// without, only the rank may be known (from the length of axes).
func redInferUnknownAxes(n *Node, keep bool) ([]TypeShape, error) {
	in := n.In[0]
	if keep {
		out := make(ir.Shape, len(in.Shape))
		for i, d := range in.Shape {
			if d.Known() && d.Value == 1 {
				out[i] = d
			} else {
				out[i] = ir.UnknownDim
			}
		}
		return []TypeShape{Ranked(in.DType, out)}, nil
	}
	ax := n.In[1].Shape
	if len(ax) == 1 && ax[0].Known() && ax[0].Value > 0 {
		k := int(ax[0].Value)
		if k > len(in.Shape) {
			return nil, Errorf("%d axes for rank %d", k, len(in.Shape))
		}
		out := make(ir.Shape, len(in.Shape)-k)
		for i := range out {
			out[i] = ir.UnknownDim
		}
		return []TypeShape{Ranked(in.DType, out)}, nil
	}
	return []TypeShape{Unranked(in.DType)}, nil
}
