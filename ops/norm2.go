package ops

// Schemas of LayerNormalization and MeanVarianceNormalization.

import (
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// LayerNormStashType returns the element type of a LayerNormalization
// node's Mean and InvStdDev outputs (its stash_type attribute), which is
// also the precision of its statistics.
func LayerNormStashType(n *Node) (tensor.DType, error) {
	switch dt := tensor.DType(n.AttrInt("stash_type")); dt {
	case tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16:
		return dt, nil
	default:
		return 0, Errorf("stash_type %d is not a float type", n.AttrInt("stash_type"))
	}
}

// lnCheckBroadcast returns a shape error unless s (when ranked) broadcasts
// unidirectionally to x: no more dims, and each known dim 1 or x's.
func lnCheckBroadcast(s, x ir.Shape, what string) error {
	if s == nil || x == nil {
		return nil
	}
	if len(s) > len(x) {
		return fmt.Errorf("%w: LayerNormalization %s has rank %d > rank %d of X", ErrShapeMismatch, what, len(s), len(x))
	}
	off := len(x) - len(s)
	for i, d := range s {
		if d.Known() && d.Value == 1 {
			continue
		}
		if err := nnCheckDimEq(d, x[off+i], "LayerNormalization "+what+" broadcast to X"); err != nil {
			return err
		}
	}
	return nil
}

func inferLayerNorm(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return nil, err
	}
	if err := nnSameDType(n, 1, 2); err != nil {
		return nil, err
	}
	stash, err := LayerNormStashType(n)
	if err != nil {
		return nil, err
	}
	x := n.In[0].Shape
	for i, what := range []string{"Scale", "B"} {
		if n.HasIn(i + 1) {
			if err := lnCheckBroadcast(n.In[i+1].Shape, x, what); err != nil {
				return nil, err
			}
		}
	}
	res := []TypeShape{Ranked(n.In[0].DType, x), Unranked(stash), Unranked(stash)}
	if x != nil {
		if len(x) == 0 {
			return nil, fmt.Errorf("%w: LayerNormalization of a scalar", ErrShapeMismatch)
		}
		axis, err := NormAxis(n.AttrInt("axis"), len(x))
		if err != nil {
			return nil, err
		}
		st := make(ir.Shape, len(x))
		for i := range st {
			st[i] = ir.DimOf(1)
			if i < axis {
				st[i] = x[i]
			}
		}
		res[1].Shape, res[2].Shape = st, append(ir.Shape(nil), st...)
	}
	return res, nil
}

// MVNAxes returns a MeanVarianceNormalization node's axes attribute (raw)
// for an input of the given rank, normalised to [0, rank), or an error for
// an axis out of range or repeated.
func MVNAxes(raw []int64, rank int) ([]int, error) {
	axes := make([]int, len(raw))
	seen := make([]bool, rank)
	for i, a := range raw {
		ax, err := NormAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, Errorf("axes %v repeat axis %d", raw, a)
		}
		seen[ax] = true
		axes[i] = ax
	}
	return axes, nil
}

func inferMVN(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return nil, err
	}
	if r := n.In[0].Rank(); r >= 0 {
		if _, err := MVNAxes(n.AttrInts("axes"), r); err != nil {
			return nil, err
		}
	}
	return SameAsInput(n)
}

func init() {
	RegisterSchema(&Schema{Name: "LayerNormalization", Since: 17, MinInputs: 2, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 3,
		Attrs: []AttrDef{nnA("axis", ir.AttrInt, int64(-1)), nnEpsilon, nnA("stash_type", ir.AttrInt, int64(1))},
		Infer: inferLayerNorm, Doc: "normalisation over the trailing axes from axis on, then scale and bias"})
	registerVersions([]int64{9, 13}, func(int64) *Schema {
		return &Schema{Name: "MeanVarianceNormalization", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
			Attrs: []AttrDef{nnA("axes", ir.AttrInts, []int64{0, 2, 3})},
			Infer: inferMVN, Doc: "(X - mean) / std over the given axes"}
	})
}
