package ops

import (
	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// Schemas of the ops that normalise or select along one axis: Softmax,
// LogSoftmax, Hardmax, ArgMax, ArgMin, CumSum and TopK.

var (
	redFloatTypes   = []tensor.DType{tensor.Float16, tensor.Float32, tensor.Float64}
	redFloatTypes13 = []tensor.DType{tensor.Float16, tensor.Float32, tensor.Float64, tensor.BFloat16}
	redIntTypes     = []tensor.DType{tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64,
		tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64}
	redNumericTypes   = append(append([]tensor.DType(nil), redIntTypes...), redFloatTypes...)
	redNumericTypes13 = append(append([]tensor.DType(nil), redIntTypes...), redFloatTypes13...)
)

// SoftmaxOps lists the ops that share Softmax's axis semantics.
var SoftmaxOps = []string{"Softmax", "LogSoftmax", "Hardmax"}

func init() {
	for _, op := range SoftmaxOps {
		for _, v := range []struct {
			since, until, axis int64
			types              []tensor.DType
		}{{1, 10, 1, redFloatTypes}, {11, 12, 1, redFloatTypes}, {13, 0, -1, redFloatTypes13}} {
			types := v.types
			RegisterSchema(&Schema{
				Name: op, Since: v.since, Until: v.until,
				MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
				Attrs: []AttrDef{{Name: "axis", Type: ir.AttrInt, Default: v.axis}},
				Infer: func(n *Node) ([]TypeShape, error) {
					if err := n.CheckDType(0, types...); err != nil {
						return nil, err
					}
					if r := n.In[0].Rank(); r >= 0 {
						if _, err := NormAxis(n.AttrInt("axis"), r); err != nil {
							return nil, err
						}
					}
					return SameAsInput(n)
				},
				Doc: op + " along an axis (before opset 13: over the input flattened to 2-D at axis).",
			})
		}
	}

	for _, op := range []string{"ArgMax", "ArgMin"} {
		for _, v := range []struct {
			since, until int64
			last         bool
			types        []tensor.DType
		}{{1, 10, false, redNumericTypes}, {11, 11, false, redNumericTypes},
			{12, 12, true, redNumericTypes}, {13, 0, true, redNumericTypes13}} {
			attrs := []AttrDef{
				{Name: "axis", Type: ir.AttrInt, Default: int64(0)},
				{Name: "keepdims", Type: ir.AttrInt, Default: int64(1)},
			}
			if v.last {
				attrs = append(attrs, AttrDef{Name: "select_last_index", Type: ir.AttrInt, Default: int64(0)})
			}
			RegisterSchema(&Schema{
				Name: op, Since: v.since, Until: v.until,
				MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
				Attrs: attrs, Infer: redArgInfer(v.types),
				Doc: op + " returns int64 indices of the extreme elements along an axis.",
			})
		}
	}

	for _, v := range []struct {
		since, until int64
		types        []tensor.DType
	}{
		{11, 13, []tensor.DType{tensor.Uint32, tensor.Uint64, tensor.Int32, tensor.Int64, tensor.Float32, tensor.Float64}},
		{14, 0, redTypes13},
	} {
		types := v.types
		RegisterSchema(&Schema{
			Name: "CumSum", Since: v.since, Until: v.until,
			MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
			Attrs: []AttrDef{
				{Name: "exclusive", Type: ir.AttrInt, Default: int64(0)},
				{Name: "reverse", Type: ir.AttrInt, Default: int64(0)},
			},
			Infer: func(n *Node) ([]TypeShape, error) {
				if err := n.CheckDType(0, types...); err != nil {
					return nil, err
				}
				if err := n.CheckDType(1, tensor.Int32, tensor.Int64); err != nil {
					return nil, err
				}
				if r := n.In[0].Rank(); r >= 0 && n.InValue(1) != nil {
					if _, err := CumSumAxis(n.InValue(1), r); err != nil {
						return nil, err
					}
				}
				return SameAsInput(n)
			},
			Doc: "CumSum is the running sum along an axis (optionally exclusive or reversed).",
		})
	}

	topkTypes24 := append(append([]tensor.DType(nil), redIntTypes...), redFloatTypes13...)
	for _, v := range []struct {
		since, until int64
		kInput, opts bool
		types        []tensor.DType
	}{
		{1, 9, false, false, redFloatTypes}, {10, 10, true, false, redFloatTypes},
		{11, 23, true, true, redNumericTypes}, {24, 0, true, true, topkTypes24},
	} {
		s := &Schema{
			Name: "TopK", Since: v.since, Until: v.until,
			MinInputs: 1, MaxInputs: 1, MinOutputs: 2, MaxOutputs: 2,
			Attrs: []AttrDef{{Name: "axis", Type: ir.AttrInt, Default: int64(-1)}},
			Infer: redTopKInfer(v.types),
			Doc:   "TopK returns the k largest (or smallest) elements along an axis and their indices.",
		}
		if v.kInput {
			s.MinInputs, s.MaxInputs = 2, 2
		} else {
			s.Attrs = append(s.Attrs, AttrDef{Name: "k", Type: ir.AttrInt, Required: true})
		}
		if v.opts {
			s.Attrs = append(s.Attrs,
				AttrDef{Name: "largest", Type: ir.AttrInt, Default: int64(1)},
				AttrDef{Name: "sorted", Type: ir.AttrInt, Default: int64(1)})
		}
		RegisterSchema(s)
	}
}

// redArgInfer infers ArgMax and ArgMin: the input shape with the axis
// reduced (kept as 1 with keepdims), as int64.
func redArgInfer(types []tensor.DType) func(n *Node) ([]TypeShape, error) {
	return func(n *Node) ([]TypeShape, error) {
		if err := n.CheckDType(0, types...); err != nil {
			return nil, err
		}
		in := n.In[0]
		if in.Shape == nil {
			return []TypeShape{Unranked(tensor.Int64)}, nil
		}
		ax, err := NormAxis(n.AttrInt("axis"), len(in.Shape))
		if err != nil {
			return nil, err
		}
		if d := in.Shape[ax]; d.Known() && d.Value == 0 {
			return nil, Errorf("%s over axis %d of size 0", n.OpType, ax)
		}
		keep := n.AttrInt("keepdims") != 0
		out := make(ir.Shape, 0, len(in.Shape))
		for i, d := range in.Shape {
			switch {
			case i != ax:
				out = append(out, d)
			case keep:
				out = append(out, ir.DimOf(1))
			}
		}
		return []TypeShape{Ranked(tensor.Int64, out)}, nil
	}
}

// CumSumAxis reads CumSum's axis input (a scalar or a one-element 1-D
// int32/int64 tensor) and normalises it for rank.
func CumSumAxis(axis *tensor.Tensor, rank int) (int, error) {
	v, err := axis.Int64s()
	if err != nil || len(v) != 1 || axis.Rank() > 1 {
		return 0, Errorf("CumSum axis must be a scalar integer, got %v", axis)
	}
	return NormAxis(v[0], rank)
}

// TopKParam returns TopK's k: the "k" attribute before opset 10, else the
// value of input 1 (a one-element int64 tensor), nil when not yet known.
// ok is false when k is not known.
func TopKParam(n *Node, kIn *tensor.Tensor) (k int64, ok bool, err error) {
	if n.Schema.Attr("k") != nil {
		k = n.AttrInt("k")
	} else {
		if kIn == nil {
			return 0, false, nil
		}
		v, err := kIn.Int64s()
		if err != nil || len(v) != 1 || kIn.Rank() > 1 {
			return 0, false, Errorf("TopK k must be a one-element int64 tensor, got %v", kIn)
		}
		k = v[0]
	}
	if k < 0 {
		return 0, false, Errorf("TopK k = %d is negative", k)
	}
	return k, true, nil
}

func redTopKInfer(types []tensor.DType) func(n *Node) ([]TypeShape, error) {
	return func(n *Node) ([]TypeShape, error) {
		if err := n.CheckDType(0, types...); err != nil {
			return nil, err
		}
		if n.NumIn() > 1 {
			if err := n.CheckDType(1, tensor.Int64); err != nil {
				return nil, err
			}
		}
		in := n.In[0]
		if in.Shape == nil {
			return []TypeShape{Unranked(in.DType), Unranked(tensor.Int64)}, nil
		}
		ax, err := NormAxis(n.AttrInt("axis"), len(in.Shape))
		if err != nil {
			return nil, err
		}
		k, ok, err := TopKParam(n, n.InValue(1))
		if err != nil {
			return nil, err
		}
		out := append(ir.Shape(nil), in.Shape...)
		out[ax] = ir.UnknownDim
		if ok {
			if d := in.Shape[ax]; d.Known() && k > d.Value {
				return nil, Errorf("TopK k = %d is larger than axis %d of size %d", k, ax, d.Value)
			}
			out[ax] = ir.DimOf(k)
		}
		return []TypeShape{Ranked(in.DType, out), Ranked(tensor.Int64, out)}, nil
	}
}
