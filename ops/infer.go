package ops

import (
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// SameAsInput is an Infer function: output 0 has input 0's type and shape.
func SameAsInput(n *Node) ([]TypeShape, error) {
	return []TypeShape{{DType: n.In[0].DType, Shape: n.In[0].Shape}}, nil
}

// BroadcastShapes broadcasts symbolic shapes (numpy rules). A nil shape
// (unknown rank) makes the result nil. Two different symbolic names are
// assumed equal (they must be, for a valid model) and the first is kept.
func BroadcastShapes(shapes ...ir.Shape) (ir.Shape, error) {
	rank := 0
	for _, s := range shapes {
		if s == nil {
			return nil, nil
		}
		rank = max(rank, len(s))
	}
	out := make(ir.Shape, rank)
	for i := range out {
		out[i] = ir.DimOf(1)
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			o := &out[off+i]
			switch {
			case d.Known() && d.Value == 1:
			case o.Known() && o.Value == 1:
				*o = d
			case d.Known() && o.Known():
				if d.Value != o.Value {
					return nil, fmt.Errorf("%w: cannot broadcast %v", ErrShapeMismatch, shapes)
				}
			case d.Known():
				*o = d // a concrete size beats a symbol
			case !o.Known() && o.Param == "" && d.Param != "":
				*o = d
			}
		}
	}
	return out, nil
}

// Broadcast is an Infer function for elementwise ops: the output has the
// dtype of input 0 and the broadcast shape of all given inputs.
func Broadcast(n *Node) ([]TypeShape, error) {
	shapes := make([]ir.Shape, 0, len(n.In))
	for _, in := range n.In {
		if !in.Absent {
			shapes = append(shapes, in.Shape)
		}
	}
	s, err := BroadcastShapes(shapes...)
	if err != nil {
		return nil, err
	}
	return []TypeShape{{DType: n.In[0].DType, Shape: s}}, nil
}

// BroadcastBool is Broadcast with a bool output (comparisons).
func BroadcastBool(n *Node) ([]TypeShape, error) {
	out, err := Broadcast(n)
	if err != nil {
		return nil, err
	}
	out[0].DType = tensor.Bool
	return out, nil
}

// NormAxis maps a possibly negative axis into [0, rank) or returns an
// ErrInvalidNode error naming the attribute.
func NormAxis(axis int64, rank int) (int, error) {
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}

// ConcreteShape returns ts's dims as ints when all are known.
func (ts TypeShape) ConcreteShape() ([]int, bool) {
	if ts.Shape == nil {
		return nil, false
	}
	return ts.Shape.Ints()
}

// Rank returns the rank, or -1 when unknown.
func (ts TypeShape) Rank() int {
	if ts.Shape == nil {
		return -1
	}
	return len(ts.Shape)
}

// CheckDType returns an ErrInvalidNode error unless input i's dtype is one
// of allowed.
func (n *Node) CheckDType(i int, allowed ...tensor.DType) error {
	dt := n.In[i].DType
	for _, a := range allowed {
		if dt == a {
			return nil
		}
	}
	return Errorf("input %d has type %v, want one of %v", i, dt, allowed)
}
