package ops

import (
	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	shpRegister(Schema{
		Name: "SequenceEmpty", MinInputs: 0, MaxInputs: 0, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "dtype", Type: ir.AttrInt, Default: int64(tensor.Float32)}},
		Infer: func(n *Node) ([]TypeShape, error) {
			dt := tensor.DType(n.AttrInt("dtype"))
			if !dt.Supported() {
				return nil, Errorf("SequenceEmpty: unsupported dtype %v", dt)
			}
			return []TypeShape{SequenceOf(dt)}, nil
		},
		Doc: "an empty sequence",
	}, 11)
	shpRegister(Schema{
		Name: "SequenceConstruct", MinInputs: 1, MaxInputs: -1, MinOutputs: 1, MaxOutputs: 1,
		Infer: func(n *Node) ([]TypeShape, error) {
			for i, in := range n.In {
				if !in.IsTensor() || in.DType != n.In[0].DType {
					return nil, Errorf("SequenceConstruct: input %d is %v, want a %v tensor", i, in, n.In[0].DType)
				}
			}
			return []TypeShape{SequenceOf(n.In[0].DType)}, nil
		},
		Doc: "a sequence of its inputs",
	}, 11)
	shpRegister(Schema{
		Name: "SequenceInsert", MinInputs: 2, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
		Infer: func(n *Node) ([]TypeShape, error) {
			if err := seqCheck(n, 0); err != nil {
				return nil, err
			}
			dt := n.In[0].DType
			if dt == tensor.Undefined {
				dt = n.In[1].DType
			}
			if !n.In[1].IsTensor() || n.In[1].DType != dt {
				return nil, Errorf("SequenceInsert: inserting %v into a sequence of %v", n.In[1], dt)
			}
			return []TypeShape{SequenceOf(dt)}, nil
		},
		Doc: "the sequence with a tensor inserted at a position (default: the end)",
	}, 11)
	shpRegister(Schema{
		Name: "SequenceAt", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Infer: func(n *Node) ([]TypeShape, error) {
			if err := seqCheck(n, 0); err != nil {
				return nil, err
			}
			return []TypeShape{{DType: n.In[0].DType}}, nil
		},
		Doc: "the tensor at a position of the sequence",
	}, 11)
	shpRegister(Schema{
		Name: "SequenceErase", MinInputs: 1, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Infer: func(n *Node) ([]TypeShape, error) {
			if err := seqCheck(n, 0); err != nil {
				return nil, err
			}
			return []TypeShape{SequenceOf(n.In[0].DType)}, nil
		},
		Doc: "the sequence without the tensor at a position (default: the last)",
	}, 11)
	shpRegister(Schema{
		Name: "SequenceLength", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Infer: func(n *Node) ([]TypeShape, error) {
			if err := seqCheck(n, 0); err != nil {
				return nil, err
			}
			return []TypeShape{Of(tensor.Int64)}, nil
		},
		Doc: "the number of tensors in the sequence, as an int64 scalar",
	}, 11)
	shpRegister(Schema{
		Name: "SplitToSequence", MinInputs: 1, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{
			{Name: "axis", Type: ir.AttrInt, Default: int64(0)},
			{Name: "keepdims", Type: ir.AttrInt, Default: int64(1)},
		},
		Infer: func(n *Node) ([]TypeShape, error) {
			if !n.In[0].IsTensor() {
				return nil, Errorf("SplitToSequence: input is %v, want a tensor", n.In[0])
			}
			if r := n.In[0].Rank(); r >= 0 {
				if _, err := NormAxis(n.AttrInt("axis"), r); err != nil {
					return nil, err
				}
			}
			return []TypeShape{SequenceOf(n.In[0].DType)}, nil
		},
		Doc: "the input split along an axis into a sequence",
	}, 11)
	shpRegister(Schema{
		Name: "ConcatFromSequence", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{
			{Name: "axis", Type: ir.AttrInt, Required: true},
			{Name: "new_axis", Type: ir.AttrInt, Default: int64(0)},
		},
		Infer: func(n *Node) ([]TypeShape, error) {
			if err := seqCheck(n, 0); err != nil {
				return nil, err
			}
			return []TypeShape{{DType: n.In[0].DType}}, nil
		},
		Doc: "the sequence's tensors concatenated (or stacked, with new_axis) along an axis",
	}, 11)

	shpRegister(Schema{
		Name: "Optional", MinInputs: 0, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "type", Type: ir.AttrTypeProto}},
		Infer: func(n *Node) ([]TypeShape, error) {
			var elem *ir.Type
			switch {
			case n.HasIn(0) && !n.In[0].Absent:
				elem = n.In[0].Type
				if elem == nil {
					elem = &ir.Type{Kind: ir.KindTensor, DType: n.In[0].DType, Shape: n.In[0].Shape}
				}
			case n.Attr("type") != nil && n.Attr("type").TypeProto != nil:
				elem = n.Attr("type").TypeProto
			default:
				return nil, Errorf("Optional: neither an input nor a type attribute")
			}
			return []TypeShape{FromType(&ir.Type{Kind: ir.KindOptional, Elem: elem})}, nil
		},
		Doc: "an optional holding its input, or an empty optional of the given type",
	}, 15)
	shpRegister(Schema{
		Name: "OptionalHasElement", MinInputs: 0, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Infer: func(n *Node) ([]TypeShape, error) {
			return []TypeShape{Of(tensor.Bool)}, nil
		},
		Doc: "whether an optional holds a value (true for a tensor or sequence; false for none)",
	}, 15)
	shpRegister(Schema{
		Name: "OptionalGetElement", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Infer: func(n *Node) ([]TypeShape, error) {
			t := n.In[0].Type
			if t == nil || t.Kind != ir.KindOptional {
				return []TypeShape{n.In[0]}, nil // a tensor or a sequence is returned as it is
			}
			if t.Elem == nil {
				return []TypeShape{{DType: n.In[0].DType}}, nil
			}
			return []TypeShape{FromType(t.Elem)}, nil
		},
		Doc: "the value an optional holds (an error if it is empty)",
	}, 15)
}

// seqCheck returns an error unless input i is a sequence.
func seqCheck(n *Node, i int) error {
	t := n.In[i].Type
	if t == nil || t.Kind != ir.KindSequence {
		return Errorf("%s: input %d is %v, want a sequence", n.OpType, i, n.In[i])
	}
	return nil
}
