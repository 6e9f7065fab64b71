package ops

// Schemas of the indexing ops: Gather, GatherElements, GatherND,
// ScatterElements (and the deprecated Scatter), ScatterND and OneHot.

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	shpRegister(Schema{
		Name: "Gather", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "axis", Type: ir.AttrInt, Default: int64(0)}},
		Infer: shpInferGather,
		Doc:   "slices of data along an axis, picked by indices",
	}, 1, 11, 13)
	shpRegister(Schema{
		Name: "GatherElements", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "axis", Type: ir.AttrInt, Default: int64(0)}},
		Infer: shpInferGatherElements,
		Doc:   "elements of data picked along an axis by same-rank indices",
	}, 11, 13)
	shpRegister(Schema{
		Name: "GatherND", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Infer: shpInferGatherND,
		Doc:   "slices of data picked by index tuples",
	}, 11)
	shpRegister(Schema{
		Name: "GatherND", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "batch_dims", Type: ir.AttrInt, Default: int64(0)}},
		Infer: shpInferGatherND,
		Doc:   "slices of data picked by index tuples, per batch",
	}, 12, 13)

	shpRegister(Schema{
		Name: "Scatter", MinInputs: 3, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "axis", Type: ir.AttrInt, Default: int64(0)}},
		Infer: shpInferScatterElements,
		Doc:   "data with elements along an axis replaced by updates (deprecated: ScatterElements)",
	}, 9, 11)
	shpRegister(Schema{
		Name: "ScatterElements", MinInputs: 3, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "axis", Type: ir.AttrInt, Default: int64(0)}},
		Infer: shpInferScatterElements,
		Doc:   "data with elements along an axis replaced by updates",
	}, 11, 13)
	shpRegister(Schema{
		Name: "ScatterElements", MinInputs: 3, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{
			{Name: "axis", Type: ir.AttrInt, Default: int64(0)},
			{Name: "reduction", Type: ir.AttrString, Default: "none"},
		},
		Infer: shpInferScatterElements,
		Doc:   "data with elements along an axis replaced by (or reduced with) updates",
	}, 16, 18)
	shpRegister(Schema{
		Name: "ScatterND", MinInputs: 3, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
		Infer: shpInferScatterND,
		Doc:   "data with slices picked by index tuples replaced by updates",
	}, 11, 13)
	shpRegister(Schema{
		Name: "ScatterND", MinInputs: 3, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "reduction", Type: ir.AttrString, Default: "none"}},
		Infer: shpInferScatterND,
		Doc:   "data with slices picked by index tuples replaced by (or reduced with) updates",
	}, 16, 18)

	shpRegister(Schema{
		Name: "OneHot", MinInputs: 3, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "axis", Type: ir.AttrInt, Default: int64(-1)}},
		Infer: shpInferOneHot,
		Doc:   "indices expanded into one-hot vectors of [off_value, on_value]",
	}, 9, 11)
}

func shpInferGather(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	if err := shpCheckIndexType(n, 1); err != nil {
		return nil, err
	}
	data, idx := n.In[0].Shape, n.In[1].Shape
	if data != nil && len(data) == 0 {
		return nil, Errorf("gather: data must have rank 1 or more")
	}
	if data == nil || idx == nil {
		return []TypeShape{Unranked(dt)}, nil
	}
	axis, err := NormAxis(n.AttrInt("axis"), len(data))
	if err != nil {
		return nil, err
	}
	out := make(ir.Shape, 0, len(data)-1+len(idx))
	out = append(out, data[:axis]...)
	out = append(out, idx...)
	out = append(out, data[axis+1:]...)
	return []TypeShape{Ranked(dt, out)}, nil
}

func shpInferGatherElements(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	if err := shpCheckIndexType(n, 1); err != nil {
		return nil, err
	}
	data, idx := n.In[0].Shape, n.In[1].Shape
	if data != nil && len(data) == 0 {
		return nil, Errorf("gatherelements: data must have rank 1 or more")
	}
	if data != nil && idx != nil {
		if len(data) != len(idx) {
			return nil, fmt.Errorf("%w: gatherelements: data has rank %d, indices %d", ErrShapeMismatch, len(data), len(idx))
		}
		axis, err := NormAxis(n.AttrInt("axis"), len(data))
		if err != nil {
			return nil, err
		}
		for i := range data {
			if i != axis && data[i].Known() && idx[i].Known() && idx[i].Value > data[i].Value {
				return nil, fmt.Errorf("%w: gatherelements: indices %v exceed data %v on axis %d", ErrShapeMismatch, idx, data, i)
			}
		}
	}
	return []TypeShape{Ranked(dt, idx)}, nil
}

func shpInferGatherND(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	if err := shpCheckIndexType(n, 1); err != nil {
		return nil, err
	}
	data, idx := n.In[0].Shape, n.In[1].Shape
	b := int(n.AttrInt("batch_dims"))
	if b < 0 {
		return nil, Errorf("gathernd: negative batch_dims %d", b)
	}
	if (data != nil && len(data) <= b) || (idx != nil && len(idx) <= b) {
		return nil, Errorf("gathernd: batch_dims %d must be less than the ranks of data %v and indices %v", b, data, idx)
	}
	if data == nil || idx == nil || !idx[len(idx)-1].Known() {
		return []TypeShape{Unranked(dt)}, nil
	}
	k := int(idx[len(idx)-1].Value)
	if k > len(data)-b {
		return nil, Errorf("gathernd: index tuples of %d for data of rank %d with %d batch dims", k, len(data), b)
	}
	out := make(ir.Shape, 0, len(idx)-1+len(data)-b-k)
	for i := range b {
		d, err := shpMergeDim(data[i], idx[i])
		if err != nil {
			return nil, fmt.Errorf("gathernd: batch dim %d: %w", i, err)
		}
		out = append(out, d)
	}
	out = append(out, idx[b:len(idx)-1]...)
	out = append(out, data[b+k:]...)
	return []TypeShape{Ranked(dt, out)}, nil
}

// ScatterReduction returns the reduction of a ScatterElements or ScatterND
// node: "none", "add", "mul" (opset 16) or "max", "min" (opset 18).
func ScatterReduction(n *Node) (string, error) {
	if n.Opset < 16 || n.OpType == "Scatter" {
		return "none", nil
	}
	r := n.AttrString("reduction")
	switch r {
	case "none", "add", "mul":
	case "max", "min":
		if n.Opset < 18 {
			return r, Errorf("scatter: reduction %q needs opset 18", r)
		}
	default:
		return r, Errorf("scatter: unknown reduction %q", r)
	}
	return r, nil
}

func shpInferScatterElements(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	if err := shpCheckIndexType(n, 1); err != nil {
		return nil, err
	}
	if err := shpSameTypes(n, 0, 1); err != nil {
		return nil, err
	}
	if n.In[2].DType != dt {
		return nil, Errorf("scatter: updates are %v, data %v", n.In[2].DType, dt)
	}
	if _, err := ScatterReduction(n); err != nil {
		return nil, err
	}
	data, idx, upd := n.In[0].Shape, n.In[1].Shape, n.In[2].Shape
	if data != nil && len(data) == 0 {
		return nil, Errorf("scatter: data must have rank 1 or more")
	}
	if idx != nil && upd != nil {
		if len(idx) != len(upd) {
			return nil, fmt.Errorf("%w: scatter: indices %v and updates %v differ", ErrShapeMismatch, idx, upd)
		}
		for i := range idx {
			if _, err := shpMergeDim(idx[i], upd[i]); err != nil {
				return nil, fmt.Errorf("scatter: indices %v and updates %v: %w", idx, upd, err)
			}
		}
	}
	if data != nil && idx != nil {
		if len(data) != len(idx) {
			return nil, fmt.Errorf("%w: scatter: data has rank %d, indices %d", ErrShapeMismatch, len(data), len(idx))
		}
		axis, err := NormAxis(n.AttrInt("axis"), len(data))
		if err != nil {
			return nil, err
		}
		for i := range data {
			if i != axis && data[i].Known() && idx[i].Known() && idx[i].Value > data[i].Value {
				return nil, fmt.Errorf("%w: scatter: indices %v exceed data %v on axis %d", ErrShapeMismatch, idx, data, i)
			}
		}
	}
	return []TypeShape{Ranked(dt, data)}, nil
}

func shpInferScatterND(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	if err := shpCheckIndexType(n, 1); err != nil {
		return nil, err
	}
	if n.In[2].DType != dt {
		return nil, Errorf("scatternd: updates are %v, data %v", n.In[2].DType, dt)
	}
	if _, err := ScatterReduction(n); err != nil {
		return nil, err
	}
	data, idx, upd := n.In[0].Shape, n.In[1].Shape, n.In[2].Shape
	if data != nil && len(data) == 0 {
		return nil, Errorf("scatternd: data must have rank 1 or more")
	}
	if idx != nil && len(idx) == 0 {
		return nil, Errorf("scatternd: indices must have rank 1 or more")
	}
	if data != nil && idx != nil && upd != nil && idx[len(idx)-1].Known() {
		k := int(idx[len(idx)-1].Value)
		if k > len(data) {
			return nil, Errorf("scatternd: index tuples of %d for data of rank %d", k, len(data))
		}
		want := append(append(ir.Shape{}, idx[:len(idx)-1]...), data[k:]...)
		if len(want) != len(upd) {
			return nil, fmt.Errorf("%w: scatternd: updates %v, want %v", ErrShapeMismatch, upd, want)
		}
		for i := range want {
			if _, err := shpMergeDim(want[i], upd[i]); err != nil {
				return nil, fmt.Errorf("scatternd: updates %v, want %v: %w", upd, want, err)
			}
		}
	}
	return []TypeShape{Ranked(dt, data)}, nil
}

// OneHotDepth returns the depth a OneHot node reads from its depth input
// (any numeric type, cast to int64), checked to be positive.
func OneHotDepth(t *tensor.Tensor) (int64, error) {
	if t.Len() != 1 {
		return 0, Errorf("onehot: depth must hold one element, has shape %v", t.Shape())
	}
	if s, err := t.Int64s(); err == nil {
		if s[0] < 1 || s[0] > tensor.MaxElements {
			return 0, Errorf("onehot: invalid depth %d", s[0])
		}
		return s[0], nil
	}
	v, err := t.Float64s()
	if err != nil {
		return 0, Errorf("onehot: depth: %v", err)
	}
	d := math.Trunc(v[0])
	if !(d >= 1 && d <= tensor.MaxElements) {
		return 0, Errorf("onehot: invalid depth %v", v[0])
	}
	return int64(d), nil
}

func shpInferOneHot(n *Node) ([]TypeShape, error) {
	for i := range 2 {
		dt := n.In[i].DType
		if !dt.IsInt() && !dt.IsFloat() {
			return nil, Errorf("onehot: input %d has type %v, want a numeric type", i, dt)
		}
	}
	dt := n.In[2].DType
	if v := n.In[2].Shape; v != nil && (len(v) != 1 || (v[0].Known() && v[0].Value != 2)) {
		return nil, Errorf("onehot: values must have shape [2], has %v", v)
	}
	idx := n.In[0].Shape
	if idx == nil {
		return []TypeShape{Unranked(dt)}, nil
	}
	axis, err := NormAxis(n.AttrInt("axis"), len(idx)+1)
	if err != nil {
		return nil, err
	}
	depth := ir.UnknownDim
	if v := n.InValue(1); v != nil {
		d, err := OneHotDepth(v)
		if err != nil {
			return nil, err
		}
		depth = ir.DimOf(d)
	}
	out := make(ir.Shape, 0, len(idx)+1)
	out = append(out, idx[:axis]...)
	out = append(out, depth)
	out = append(out, idx[axis:]...)
	return []TypeShape{Ranked(dt, out)}, nil
}
