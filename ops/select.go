package ops

// Schemas of the selection ops, whose outputs hold elements picked by the
// data: NonZero, Unique and Compress, and ReverseSequence, which reverses a
// data-given prefix of each sequence.
//
// NonZero, Unique and Compress have data-dependent output shapes. Their
// inference leaves those dims unknown even when the input values are known
// (at run time): the runtime then gives their kernels nil output slots and
// the kernels allocate the outputs they compute.

import (
	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	registerVersions([]int64{9, 13}, func(int64) *Schema {
		return &Schema{Name: "NonZero", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
			Infer: selInferNonZero, Doc: "the indices of the non-zero elements, one column per element"}
	})
	RegisterSchema(&Schema{Name: "Unique", Since: 11, MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 4,
		Attrs: []AttrDef{{Name: "axis", Type: ir.AttrInt}, {Name: "sorted", Type: ir.AttrInt, Default: int64(1)}},
		Infer: selInferUnique,
		Doc:   "the unique elements (or slices along an axis), with first indices, inverse indices and counts"})
	registerVersions([]int64{9, 11}, func(int64) *Schema {
		return &Schema{Name: "Compress", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
			Attrs: []AttrDef{{Name: "axis", Type: ir.AttrInt}},
			Infer: selInferCompress, Doc: "the slices along an axis (or elements) where a boolean condition is true"}
	})
	RegisterSchema(&Schema{Name: "ReverseSequence", Since: 10, MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{
			{Name: "batch_axis", Type: ir.AttrInt, Default: int64(1)},
			{Name: "time_axis", Type: ir.AttrInt, Default: int64(0)},
		},
		Infer: selInferReverseSequence,
		Doc:   "reverses the first sequence_lens[b] steps of each batch entry along the time axis"})
}

func selInferNonZero(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, shpAnyType...); err != nil {
		return nil, err
	}
	rows := ir.UnknownDim
	if r := n.In[0].Rank(); r >= 0 {
		rows = ir.DimOf(int64(r))
	}
	return []TypeShape{Ranked(tensor.Int64, ir.Shape{rows, ir.UnknownDim})}, nil
}

// UniqueAxis returns Unique's axis normalized against rank, or -1 when the
// node sets none (the input is flattened). It also checks the sorted
// attribute.
func UniqueAxis(n *Node, rank int) (int, error) {
	if s := n.AttrInt("sorted"); s != 0 && s != 1 {
		return 0, Errorf("sorted = %d, want 0 or 1", s)
	}
	if !n.HasAttr("axis") {
		return -1, nil
	}
	return NormAxis(n.AttrInt("axis"), rank)
}

func selInferUnique(n *Node) ([]TypeShape, error) {
	x := n.In[0]
	if err := n.CheckDType(0, shpAnyType...); err != nil {
		return nil, err
	}
	y := Unranked(x.DType)
	inv := Ranked(tensor.Int64, ir.Shape{ir.UnknownDim})
	if r := x.Rank(); r >= 0 {
		axis, err := UniqueAxis(n, r)
		if err != nil {
			return nil, err
		}
		if axis < 0 {
			y.Shape = ir.Shape{ir.UnknownDim}
			inv.Shape = ir.Shape{shpMulDims(x.Shape)}
		} else {
			y.Shape = append(ir.Shape(nil), x.Shape...)
			y.Shape[axis] = ir.UnknownDim
			inv.Shape = ir.Shape{x.Shape[axis]}
		}
	} else if !n.HasAttr("axis") {
		if _, err := UniqueAxis(n, 0); err != nil {
			return nil, err
		}
		y.Shape = ir.Shape{ir.UnknownDim}
	}
	list := Ranked(tensor.Int64, ir.Shape{ir.UnknownDim})
	return []TypeShape{y, list, inv, list}, nil
}

// CompressAxis returns Compress's axis normalized against rank, or -1 when
// the node sets none (the input is flattened). Negative axes are accepted
// at every opset, as they are since opset 11.
func CompressAxis(n *Node, rank int) (int, error) {
	if !n.HasAttr("axis") {
		return -1, nil
	}
	if rank < 1 {
		return 0, Errorf("Compress with an axis needs an input of rank 1 or more")
	}
	return NormAxis(n.AttrInt("axis"), rank)
}

func selInferCompress(n *Node) ([]TypeShape, error) {
	x, c := n.In[0], n.In[1]
	if err := n.CheckDType(0, shpAnyType...); err != nil {
		return nil, err
	}
	if err := n.CheckDType(1, tensor.Bool); err != nil {
		return nil, err
	}
	if r := c.Rank(); r > 1 {
		return nil, Errorf("condition has rank %d, want 1", r)
	}
	if !n.HasAttr("axis") {
		return []TypeShape{Ranked(x.DType, ir.Shape{ir.UnknownDim})}, nil
	}
	r := x.Rank()
	if r < 0 {
		return []TypeShape{Unranked(x.DType)}, nil
	}
	axis, err := CompressAxis(n, r)
	if err != nil {
		return nil, err
	}
	s := append(ir.Shape(nil), x.Shape...)
	s[axis] = ir.UnknownDim
	return []TypeShape{Ranked(x.DType, s)}, nil
}

// ReverseSequenceAxes returns ReverseSequence's batch and time axes, checked:
// each 0 or 1, and different.
func ReverseSequenceAxes(n *Node) (batch, time int, err error) {
	b, t := n.AttrInt("batch_axis"), n.AttrInt("time_axis")
	if (b != 0 && b != 1) || (t != 0 && t != 1) || b == t {
		return 0, 0, Errorf("batch_axis %d and time_axis %d must be 0 and 1 in some order", b, t)
	}
	return int(b), int(t), nil
}

func selInferReverseSequence(n *Node) ([]TypeShape, error) {
	x, l := n.In[0], n.In[1]
	if err := n.CheckDType(0, shpAnyType...); err != nil {
		return nil, err
	}
	if err := n.CheckDType(1, tensor.Int64); err != nil {
		return nil, err
	}
	batch, _, err := ReverseSequenceAxes(n)
	if err != nil {
		return nil, err
	}
	if r := x.Rank(); r >= 0 && r < 2 {
		return nil, Errorf("input has rank %d, want 2 or more", r)
	}
	if r := l.Rank(); r >= 0 && r != 1 {
		return nil, Errorf("sequence_lens has rank %d, want 1", r)
	}
	if x.Rank() >= 2 && l.Rank() == 1 {
		if _, err := shpMergeDim(x.Shape[batch], l.Shape[0]); err != nil {
			return nil, err
		}
	}
	return []TypeShape{Ranked(x.DType, x.Shape)}, nil
}
