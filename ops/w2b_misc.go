package ops

// Schemas of Shrink (a numeric elementwise op with two float attributes)
// and Det (the determinants of a batch of square matrices).

import (
	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// w2bShrinkTypes are Shrink's element types.
var w2bShrinkTypes = []tensor.DType{
	tensor.Float32, tensor.Float64, tensor.Float16,
	tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64,
	tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64,
}

func init() {
	RegisterSchema(&Schema{Name: "Shrink", Since: 9, MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{
			{Name: "bias", Type: ir.AttrFloat, Default: float32(0)},
			{Name: "lambd", Type: ir.AttrFloat, Default: float32(0.5)},
		},
		Infer: w2bInferShrink,
		Doc:   "y = x+bias if x < -lambd, x-bias if x > lambd, else 0"})
	registerVersions([]int64{11, 22}, func(int64) *Schema {
		return &Schema{Name: "Det", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
			Infer: w2bInferDet, Doc: "the determinant of each trailing square matrix"}
	})
}

func w2bInferShrink(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, w2bShrinkTypes...); err != nil {
		return nil, err
	}
	return SameAsInput(n)
}

func w2bInferDet(n *Node) ([]TypeShape, error) {
	x := n.In[0]
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return nil, err
	}
	r := x.Rank()
	if r < 0 {
		return []TypeShape{Unranked(x.DType)}, nil
	}
	if r < 2 {
		return nil, Errorf("input has rank %d, want 2 or more", r)
	}
	if _, err := shpMergeDim(x.Shape[r-2], x.Shape[r-1]); err != nil {
		return nil, err
	}
	return []TypeShape{Ranked(x.DType, append(ir.Shape{}, x.Shape[:r-2]...))}, nil
}
