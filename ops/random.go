package ops

import (
	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// Schemas of the random ops: RandomUniform, RandomNormal, their -Like
// forms, Bernoulli and Multinomial. All are NonDeterministic, so the
// runtime never folds them into constants.

var (
	rndFloatTypes   = []tensor.DType{tensor.Float16, tensor.Float32, tensor.Float64}
	rndFloatTypes22 = []tensor.DType{tensor.Float16, tensor.Float32, tensor.Float64, tensor.BFloat16}
	rndBernoulliOut = []tensor.DType{tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64,
		tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64, tensor.Float16, tensor.Float32, tensor.Float64, tensor.Bool}
	rndBernoulliOut22 = append(append([]tensor.DType(nil), rndBernoulliOut...), tensor.BFloat16)
)

func init() {
	for _, v := range []struct {
		since, until int64
		types        []tensor.DType
	}{{1, 21, rndFloatTypes}, {22, 0, rndFloatTypes22}} {
		types := v.types
		for _, op := range []struct {
			name, a, b string
			da, db     float32
			doc        string
		}{
			{"RandomUniform", "low", "high", 0, 1, "uniformly in [low, high)"},
			{"RandomNormal", "mean", "scale", 0, 1, "from a normal distribution (mean, standard deviation scale)"},
		} {
			RegisterSchema(&Schema{
				Name: op.name, Since: v.since, Until: v.until,
				MinInputs: 0, MaxInputs: 0, MinOutputs: 1, MaxOutputs: 1,
				Attrs: []AttrDef{
					{Name: "dtype", Type: ir.AttrInt, Default: int64(tensor.Float32)},
					{Name: op.a, Type: ir.AttrFloat, Default: op.da},
					{Name: op.b, Type: ir.AttrFloat, Default: op.db},
					{Name: "seed", Type: ir.AttrFloat},
					{Name: "shape", Type: ir.AttrInts, Required: true},
				},
				Infer: func(n *Node) ([]TypeShape, error) {
					dt, err := rndOutType(n, types)
					if err != nil {
						return nil, err
					}
					dims, err := rndShape(n.AttrInts("shape"))
					if err != nil {
						return nil, err
					}
					return []TypeShape{Of(dt, dims...)}, nil
				},
				NonDeterministic: true,
				Doc:              op.name + " draws a tensor of the shape attribute " + op.doc + ".",
			})
			RegisterSchema(&Schema{
				Name: op.name + "Like", Since: v.since, Until: v.until,
				MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
				Attrs: []AttrDef{
					{Name: "dtype", Type: ir.AttrInt},
					{Name: op.a, Type: ir.AttrFloat, Default: op.da},
					{Name: op.b, Type: ir.AttrFloat, Default: op.db},
					{Name: "seed", Type: ir.AttrFloat},
				},
				Infer: func(n *Node) ([]TypeShape, error) {
					dt, err := rndOutType(n, types)
					if err != nil {
						return nil, err
					}
					return []TypeShape{{DType: dt, Shape: n.In[0].Shape}}, nil
				},
				NonDeterministic: true,
				Doc:              op.name + "Like draws a tensor of its input's shape " + op.doc + ".",
			})
		}
	}

	for _, v := range []struct {
		since, until int64
		in, out      []tensor.DType
	}{{15, 21, rndFloatTypes, rndBernoulliOut}, {22, 0, rndFloatTypes22, rndBernoulliOut22}} {
		in, outTypes := v.in, v.out
		RegisterSchema(&Schema{
			Name: "Bernoulli", Since: v.since, Until: v.until,
			MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
			Attrs: []AttrDef{
				{Name: "dtype", Type: ir.AttrInt},
				{Name: "seed", Type: ir.AttrFloat},
			},
			Infer: func(n *Node) ([]TypeShape, error) {
				if err := n.CheckDType(0, in...); err != nil {
					return nil, err
				}
				dt, err := rndOutType(n, outTypes)
				if err != nil {
					return nil, err
				}
				return []TypeShape{{DType: dt, Shape: n.In[0].Shape}}, nil
			},
			NonDeterministic: true,
			Doc:              "Bernoulli draws 1 with each input's probability, else 0.",
		})
	}

	for _, v := range []struct {
		since, until int64
		in           []tensor.DType
	}{{7, 21, rndFloatTypes}, {22, 0, rndFloatTypes22}} {
		in := v.in
		RegisterSchema(&Schema{
			Name: "Multinomial", Since: v.since, Until: v.until,
			MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
			Attrs: []AttrDef{
				{Name: "dtype", Type: ir.AttrInt, Default: int64(tensor.Int32)},
				{Name: "sample_size", Type: ir.AttrInt, Default: int64(1)},
				{Name: "seed", Type: ir.AttrFloat},
			},
			Infer: func(n *Node) ([]TypeShape, error) {
				if err := n.CheckDType(0, in...); err != nil {
					return nil, err
				}
				dt, err := rndOutType(n, []tensor.DType{tensor.Int32, tensor.Int64})
				if err != nil {
					return nil, err
				}
				k := n.AttrInt("sample_size")
				if k < 0 || k > tensor.MaxElements {
					return nil, Errorf("sample_size %d out of range", k)
				}
				batch := ir.UnknownDim
				if s := n.In[0].Shape; s != nil {
					if len(s) != 2 {
						return nil, Errorf("input of rank %d, want [batch_size, class_size]", len(s))
					}
					batch = s[0]
				}
				return []TypeShape{Ranked(dt, ir.Shape{batch, ir.DimOf(k)})}, nil
			},
			NonDeterministic: true,
			Doc:              "Multinomial draws sample_size class indices per row of unnormalized log-probabilities.",
		})
	}
}

// rndOutType returns the output dtype of a random op: its dtype attribute,
// or else its input's type, checked against allowed.
func rndOutType(n *Node, allowed []tensor.DType) (tensor.DType, error) {
	var dt tensor.DType
	switch {
	case n.HasAttr("dtype") || n.def("dtype") != nil:
		dt = tensor.DType(n.AttrInt("dtype"))
	case len(n.In) > 0:
		dt = n.In[0].DType
	}
	for _, a := range allowed {
		if dt == a {
			return dt, nil
		}
	}
	return 0, Errorf("output type %v, want one of %v", dt, allowed)
}

// rndShape checks a shape attribute: no negative dims and a bounded count.
func rndShape(shape []int64) ([]int, error) {
	dims := make([]int, len(shape))
	for i, d := range shape {
		if d < 0 || d > tensor.MaxElements {
			return nil, Errorf("shape %v has an invalid dim", shape)
		}
		dims[i] = int(d)
	}
	if _, err := tensor.NumElements(dims); err != nil {
		return nil, Errorf("shape %v: %v", shape, err)
	}
	return dims, nil
}
