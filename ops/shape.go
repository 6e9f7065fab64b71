package ops

// Schemas of the shape and constant ops: Shape, Size, Reshape, Flatten,
// Squeeze, Unsqueeze, Identity, Dropout, Constant, ConstantOfShape, Range
// and EyeLike. The layout ops (Concat, Split, Slice, Transpose, Expand, Tile,
// Pad, DepthToSpace, SpaceToDepth, Trilu) are in shp_layout.go and the
// indexing ops (Gather*, Scatter*, OneHot) in shp_index.go.
//
// These ops are the shape arithmetic of exported models (Shape -> Gather ->
// Unsqueeze -> Concat -> Reshape), so their inference keeps symbolic dims
// wherever they can be derived, and Shape and Size give their values as soon
// as the dims they read are known, so that the runtime can fold the rest.

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// shpRegister registers s once per version in since (ascending).
func shpRegister(s Schema, since ...int64) {
	registerVersions(since, func(int64) *Schema { c := s; return &c })
}

// shpHasIn reports whether input i is present (listed, named and not absent).
func shpHasIn(n *Node, i int) bool {
	return n.HasIn(i) && i < len(n.In) && !n.In[i].Absent
}

// shpOutputs returns one TypeShape per node output, each set to ts.
func shpOutputs(n *Node, ts TypeShape) []TypeShape {
	out := make([]TypeShape, max(len(n.Outputs), 1))
	for i := range out {
		out[i] = ts
	}
	return out
}

// shpUnknownDims returns a shape of rank r with nothing known.
func shpUnknownDims(r int) ir.Shape {
	s := make(ir.Shape, r)
	for i := range s {
		s[i] = ir.UnknownDim
	}
	return s
}

// shpMulDims returns the product of ds: known when every dim is known (or
// one is a known 0), the one symbolic dim when all others are known 1s, and
// unknown otherwise (also on overflow, which the kernel reports).
func shpMulDims(ds ir.Shape) ir.Dim {
	for _, d := range ds {
		if d.Known() && d.Value == 0 {
			return ir.DimOf(0)
		}
	}
	prod := int64(1)
	var other ir.Dim
	others := 0
	for _, d := range ds {
		if !d.Known() {
			other = d
			others++
			continue
		}
		if d.Value > tensor.MaxElements/prod {
			return ir.UnknownDim
		}
		prod *= d.Value
	}
	switch {
	case others == 0:
		return ir.DimOf(prod)
	case others == 1 && prod == 1:
		return other
	}
	return ir.UnknownDim
}

// shpMergeDim returns what two dims that must be equal say together, or an
// error if they are known and differ.
func shpMergeDim(a, b ir.Dim) (ir.Dim, error) {
	switch {
	case a.Known() && b.Known():
		if a.Value != b.Value {
			return a, fmt.Errorf("%w: dims %v and %v differ", ErrShapeMismatch, a, b)
		}
		return a, nil
	case a.Known():
		return a, nil
	case b.Known():
		return b, nil
	case a.Param != "":
		return a, nil
	}
	return b, nil
}

// shpInt64Value returns a 1-D int64 tensor holding v.
func shpInt64Value(v []int64) *tensor.Tensor {
	return tensor.Must(tensor.FromSlice(v, len(v)))
}

// shpAxes normalizes axes against rank and rejects repeats.
func shpAxes(axes []int64, rank int) ([]int, error) {
	out := make([]int, len(axes))
	seen := make([]bool, rank)
	for i, a := range axes {
		ax, err := NormAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, Errorf("axis %d repeated in %v", a, axes)
		}
		seen[ax] = true
		out[i] = ax
	}
	return out, nil
}

// shpAnyType is every dtype onyx stores, for ops that only move elements.
var shpAnyType = []tensor.DType{
	tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16,
	tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64,
	tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64,
	tensor.Bool, tensor.String, tensor.Complex64, tensor.Complex128,
}

// shpCheckIndexType checks that input i holds int32 or int64 indices.
func shpCheckIndexType(n *Node, i int) error {
	if !shpHasIn(n, i) {
		return nil
	}
	return n.CheckDType(i, tensor.Int32, tensor.Int64)
}

func init() {
	shpRegister(Schema{
		Name: "Shape", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Infer: shpInferShape,
		Doc:   "the shape of a tensor as a 1-D int64 tensor",
	}, 1, 13)
	shpRegister(Schema{
		Name: "Shape", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{
			{Name: "start", Type: ir.AttrInt, Default: int64(0)},
			{Name: "end", Type: ir.AttrInt},
		},
		Infer: shpInferShape,
		Doc:   "a slice [start, end) of the shape of a tensor as a 1-D int64 tensor",
	}, 15, 19, 21)
	shpRegister(Schema{
		Name: "Size", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Infer: shpInferSize,
		Doc:   "the number of elements of a tensor as an int64 scalar",
	}, 1, 13, 19, 21)

	shpRegister(Schema{
		Name: "Reshape", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "shape", Type: ir.AttrInts, Required: true}},
		Infer: shpInferReshape,
		Doc:   "the same data with the shape given by an attribute",
	}, 1)
	shpRegister(Schema{
		Name: "Reshape", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Infer: shpInferReshape,
		Doc:   "the same data with a new shape (0 copies a dim, -1 infers one)",
	}, 5, 13)
	shpRegister(Schema{
		Name: "Reshape", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "allowzero", Type: ir.AttrInt, Default: int64(0)}},
		Infer: shpInferReshape,
		Doc:   "the same data with a new shape (0 copies a dim unless allowzero, -1 infers one)",
	}, 14, 19, 21)

	shpRegister(Schema{
		Name: "Flatten", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "axis", Type: ir.AttrInt, Default: int64(1)}},
		Infer: shpInferFlatten,
		Doc:   "the same data as a matrix [prod(dims[:axis]), prod(dims[axis:])]",
	}, 1, 9, 11, 13, 21)

	shpRegister(Schema{
		Name: "Squeeze", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "axes", Type: ir.AttrInts}},
		Infer: shpInferSqueeze,
		Doc:   "the same data without the given (or all) size-1 dims",
	}, 1, 11)
	shpRegister(Schema{
		Name: "Squeeze", MinInputs: 1, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Infer: shpInferSqueeze,
		Doc:   "the same data without the given (or all) size-1 dims",
	}, 13, 21)
	shpRegister(Schema{
		Name: "Unsqueeze", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "axes", Type: ir.AttrInts, Required: true}},
		Infer: shpInferUnsqueeze,
		Doc:   "the same data with size-1 dims inserted at the given output axes",
	}, 1, 11)
	shpRegister(Schema{
		Name: "Unsqueeze", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Infer: shpInferUnsqueeze,
		Doc:   "the same data with size-1 dims inserted at the given output axes",
	}, 13, 21)

	shpRegister(Schema{
		Name: "Identity", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Infer: shpInferIdentity,
		Doc:   "its input",
	}, 1, 13, 14, 16, 19, 21)

	shpRegister(Schema{
		Name: "Dropout", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 2,
		Attrs: []AttrDef{
			{Name: "is_test", Type: ir.AttrInt, Default: int64(0)},
			{Name: "ratio", Type: ir.AttrFloat, Default: float32(0.5)},
		},
		Infer: shpInferDropout,
		Doc:   "its input with is_test set; with is_test = 0 (the default), training-mode dropout",
	}, 6)
	shpRegister(Schema{
		Name: "Dropout", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 2,
		Attrs: []AttrDef{{Name: "ratio", Type: ir.AttrFloat, Default: float32(0.5)}},
		Infer: shpInferDropout,
		Doc:   "its input, at inference (the optional mask is all ones)",
	}, 7, 10)
	shpRegister(Schema{
		Name: "Dropout", MinInputs: 1, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 2,
		Attrs: []AttrDef{{Name: "seed", Type: ir.AttrInt}},
		Infer: shpInferDropout,
		Doc:   "its input at inference; in training mode, its input with a random mask applied and scaled by 1/(1-ratio)",
	}, 12, 13, 22)

	constAttrs := []AttrDef{
		{Name: "value", Type: ir.AttrTensor},
		{Name: "sparse_value", Type: ir.AttrSparseTensor},
		{Name: "value_float", Type: ir.AttrFloat},
		{Name: "value_floats", Type: ir.AttrFloats},
		{Name: "value_int", Type: ir.AttrInt},
		{Name: "value_ints", Type: ir.AttrInts},
		{Name: "value_string", Type: ir.AttrString},
		{Name: "value_strings", Type: ir.AttrStrings},
	}
	shpRegister(Schema{
		Name: "Constant", MinInputs: 0, MaxInputs: 0, MinOutputs: 1, MaxOutputs: 1,
		Attrs: constAttrs[:1],
		Infer: shpInferConstant,
		Doc:   "a constant tensor",
	}, 1, 9)
	shpRegister(Schema{
		Name: "Constant", MinInputs: 0, MaxInputs: 0, MinOutputs: 1, MaxOutputs: 1,
		Attrs: constAttrs[:2],
		Infer: shpInferConstant,
		Doc:   "a constant tensor",
	}, 11)
	shpRegister(Schema{
		Name: "Constant", MinInputs: 0, MaxInputs: 0, MinOutputs: 1, MaxOutputs: 1,
		Attrs: constAttrs,
		Infer: shpInferConstant,
		Doc:   "a constant tensor",
	}, 12, 13, 19, 21)

	shpRegister(Schema{
		Name: "ConstantOfShape", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "value", Type: ir.AttrTensor}},
		Infer: shpInferConstantOfShape,
		Doc:   "a tensor of the given shape filled with one value (float32 0 by default)",
	}, 9, 20, 21)

	shpRegister(Schema{
		Name: "Range", MinInputs: 3, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
		Infer: shpInferRange,
		Doc:   "start, start+delta, ... up to limit (exclusive)",
	}, 11)

	shpRegister(Schema{
		Name: "EyeLike", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{
			{Name: "dtype", Type: ir.AttrInt},
			{Name: "k", Type: ir.AttrInt, Default: int64(0)},
		},
		Infer: shpInferEyeLike,
		Doc:   "a matrix of the input's shape with ones on diagonal k",
	}, 9, 22)
}

// ShapeBounds returns the range [start, end) of dims that Shape node n
// (opset 15+: attributes start and end) reports for an input of rank r,
// clamped to [0, r] as the spec says.
func ShapeBounds(n *Node, r int) (start, end int) {
	s, e := int64(0), int64(r)
	if n.Opset >= 15 {
		s = n.AttrInt("start")
		if n.HasAttr("end") {
			e = n.AttrInt("end")
		}
	}
	clamp := func(v int64) int {
		if v < 0 {
			v += int64(r)
		}
		return int(min(max(v, 0), int64(r)))
	}
	start, end = clamp(s), clamp(e)
	if end < start {
		end = start
	}
	return start, end
}

func shpInferShape(n *Node) ([]TypeShape, error) {
	in := n.In[0].Shape
	if in == nil {
		return []TypeShape{Ranked(tensor.Int64, ir.Shape{ir.UnknownDim})}, nil
	}
	start, end := ShapeBounds(n, len(in))
	out := Of(tensor.Int64, end-start)
	if dims, ok := in[start:end].Ints(); ok {
		v := make([]int64, len(dims))
		for i, d := range dims {
			v[i] = int64(d)
		}
		out.Value = shpInt64Value(v)
	}
	return []TypeShape{out}, nil
}

func shpInferSize(n *Node) ([]TypeShape, error) {
	out := Of(tensor.Int64)
	if s := n.In[0].Shape; s != nil {
		if d := shpMulDims(s); d.Known() {
			out.Value = tensor.Scalar(d.Value)
		}
	}
	return []TypeShape{out}, nil
}

// ReshapeDims returns the shape Reshape gives a tensor of shape in for the
// requested shape: 0 copies the input dim at the same index (or means 0 with
// allowZero), and at most one -1 takes whatever count is left. Errors wrap
// ErrInvalidNode (a malformed shape) or ErrShapeMismatch (a count that does
// not match).
func ReshapeDims(in []int, shape []int64, allowZero bool) ([]int, error) {
	total, err := tensor.NumElements(in)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(shape))
	neg, zero := -1, false
	for i, v := range shape {
		switch {
		case v == -1:
			if neg >= 0 {
				return nil, Errorf("reshape: more than one -1 in shape %v", shape)
			}
			neg = i
			out[i] = 1
		case v < -1 || v > tensor.MaxElements:
			return nil, Errorf("reshape: invalid dim %d in shape %v", v, shape)
		case v == 0 && !allowZero:
			if i >= len(in) {
				return nil, Errorf("reshape: shape %v copies dim %d of a rank-%d input", shape, i, len(in))
			}
			out[i] = in[i]
		default:
			zero = zero || v == 0
			out[i] = int(v)
		}
	}
	if neg >= 0 && zero {
		return nil, Errorf("reshape: shape %v has both 0 and -1 with allowzero", shape)
	}
	rest, err := tensor.NumElements(out)
	if err != nil {
		return nil, fmt.Errorf("%w: reshape: %w", ErrInvalidNode, err)
	}
	if neg >= 0 {
		if rest == 0 {
			return nil, fmt.Errorf("%w: reshape %v to %v: the -1 is ambiguous with a zero dim", ErrShapeMismatch, in, shape)
		}
		if total%rest != 0 {
			return nil, fmt.Errorf("%w: cannot reshape %v (%d elements) to %v", ErrShapeMismatch, in, total, shape)
		}
		out[neg] = total / rest
	} else if rest != total {
		return nil, fmt.Errorf("%w: cannot reshape %v (%d elements) to %v", ErrShapeMismatch, in, total, shape)
	}
	return out, nil
}

// shpReshapeTarget returns the shape values Reshape node n asks for (the
// attribute before opset 5, else input 1's value) and whether they are known.
func shpReshapeTarget(n *Node) ([]int64, bool) {
	if n.Opset < 5 {
		return n.AttrInts("shape"), true
	}
	return n.InInts(1)
}

func shpInferReshape(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	in := n.In[0].Shape
	allowZero := n.Opset >= 14 && n.AttrInt("allowzero") != 0
	shape, ok := shpReshapeTarget(n)
	if !ok {
		if n.Opset >= 5 {
			if err := n.CheckDType(1, tensor.Int64); err != nil {
				return nil, err
			}
			if s := n.In[1].Shape; len(s) == 1 && s[0].Known() {
				return []TypeShape{Ranked(dt, shpUnknownDims(int(s[0].Value)))}, nil
			}
		}
		return []TypeShape{Unranked(dt)}, nil
	}
	if dims, ok := in.Ints(); ok && in != nil {
		out, err := ReshapeDims(dims, shape, allowZero)
		if err != nil {
			return nil, err
		}
		return []TypeShape{Of(dt, out...)}, nil
	}
	out := make(ir.Shape, len(shape))
	neg, zero := -1, false
	for i, v := range shape {
		switch {
		case v == -1:
			if neg >= 0 {
				return nil, Errorf("reshape: more than one -1 in shape %v", shape)
			}
			neg = i
		case v < -1 || v > tensor.MaxElements:
			return nil, Errorf("reshape: invalid dim %d in shape %v", v, shape)
		case v == 0 && !allowZero:
			switch {
			case in == nil:
				out[i] = ir.UnknownDim
			case i >= len(in):
				return nil, Errorf("reshape: shape %v copies dim %d of a rank-%d input", shape, i, len(in))
			default:
				out[i] = in[i]
			}
		default:
			zero = zero || v == 0
			out[i] = ir.DimOf(v)
		}
	}
	if neg >= 0 {
		if zero {
			return nil, Errorf("reshape: shape %v has both 0 and -1 with allowzero", shape)
		}
		out[neg] = ir.UnknownDim
		if in != nil {
			d, err := shpSolveDim(in, out, neg)
			if err != nil {
				return nil, err
			}
			out[neg] = d
		}
	}
	return []TypeShape{Ranked(dt, out)}, nil
}

// shpSolveDim finds out[neg] such that out has as many elements as in,
// cancelling symbolic dims that appear on both sides.
func shpSolveDim(in, out ir.Shape, neg int) (ir.Dim, error) {
	inK, outK := int64(1), int64(1)
	inZero := false
	syms := map[string]int{}
	for _, d := range in {
		switch {
		case d.Known():
			if d.Value == 0 {
				inZero = true
				continue
			}
			if d.Value > tensor.MaxElements/inK {
				return ir.UnknownDim, nil
			}
			inK *= d.Value
		case d.Param != "":
			syms[d.Param]++
		default:
			return ir.UnknownDim, nil
		}
	}
	for i, d := range out {
		if i == neg {
			continue
		}
		switch {
		case d.Known():
			if d.Value == 0 {
				return ir.UnknownDim, nil // ambiguous; the kernel reports it
			}
			if d.Value > tensor.MaxElements/outK {
				return ir.UnknownDim, nil
			}
			outK *= d.Value
		case d.Param != "" && syms[d.Param] > 0:
			syms[d.Param]--
		default:
			return ir.UnknownDim, nil
		}
	}
	if inZero {
		return ir.DimOf(0), nil
	}
	var left []string
	for p, c := range syms {
		for range c {
			left = append(left, p)
		}
	}
	switch {
	case len(left) == 0:
		if inK%outK != 0 {
			return ir.UnknownDim, fmt.Errorf("%w: reshape: %v does not divide into %v", ErrShapeMismatch, in, out)
		}
		return ir.DimOf(inK / outK), nil
	case len(left) == 1 && inK == outK:
		return ir.SymDim(left[0]), nil
	}
	return ir.UnknownDim, nil
}

// shpFlattenAxis returns Flatten node n's axis for an input of rank r, in [0, r].
func shpFlattenAxis(n *Node, r int) (int, error) {
	a := n.AttrInt("axis")
	if a < -int64(r) || a > int64(r) {
		return 0, Errorf("flatten: axis %d out of range for rank %d", a, r)
	}
	if a < 0 {
		a += int64(r)
	}
	return int(a), nil
}

func shpInferFlatten(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	in := n.In[0].Shape
	if in == nil {
		return []TypeShape{Ranked(dt, shpUnknownDims(2))}, nil
	}
	a, err := shpFlattenAxis(n, len(in))
	if err != nil {
		return nil, err
	}
	return []TypeShape{Ranked(dt, ir.Shape{shpMulDims(in[:a]), shpMulDims(in[a:])})}, nil
}

// shpAxesOf returns the axes of a Squeeze or Unsqueeze node: the attribute
// before opset 13, input 1 from then on. given is false when there are none;
// known is false when they are given by an input of unknown value.
func shpAxesOf(n *Node) (axes []int64, given, known bool) {
	if n.Opset < 13 {
		if !n.HasAttr("axes") {
			return nil, false, true
		}
		return n.AttrInts("axes"), true, true
	}
	if !shpHasIn(n, 1) {
		return nil, false, true
	}
	axes, known = n.InInts(1)
	return axes, true, known
}

// shpAxesCount returns how many axes input 1 lists when only its shape is known.
func shpAxesCount(n *Node) (int, bool) {
	if n.Opset < 13 || !shpHasIn(n, 1) {
		return 0, false
	}
	s := n.In[1].Shape
	if len(s) == 1 && s[0].Known() {
		return int(s[0].Value), true
	}
	if s != nil && len(s) == 0 {
		return 1, true
	}
	return 0, false
}

func shpInferSqueeze(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	in := n.In[0].Shape
	if n.Opset >= 13 && shpHasIn(n, 1) {
		if err := n.CheckDType(1, tensor.Int64); err != nil {
			return nil, err
		}
	}
	axes, given, known := shpAxesOf(n)
	if in == nil {
		return []TypeShape{Unranked(dt)}, nil
	}
	if !known {
		if k, ok := shpAxesCount(n); ok && k <= len(in) {
			return []TypeShape{Ranked(dt, shpUnknownDims(len(in)-k))}, nil
		}
		return []TypeShape{Unranked(dt)}, nil
	}
	drop := make([]bool, len(in))
	if given {
		ax, err := shpAxes(axes, len(in))
		if err != nil {
			return nil, err
		}
		for _, a := range ax {
			if d := in[a]; d.Known() && d.Value != 1 {
				return nil, Errorf("squeeze: axis %d has size %d, not 1", a, d.Value)
			}
			drop[a] = true
		}
	} else {
		for i, d := range in {
			if !d.Known() {
				return []TypeShape{Unranked(dt)}, nil // can't tell which dims go
			}
			drop[i] = d.Value == 1
		}
	}
	out := ir.Shape{}
	for i, d := range in {
		if !drop[i] {
			out = append(out, d)
		}
	}
	return []TypeShape{Ranked(dt, out)}, nil
}

func shpInferUnsqueeze(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	in := n.In[0].Shape
	if n.Opset >= 13 {
		if err := n.CheckDType(1, tensor.Int64); err != nil {
			return nil, err
		}
	}
	axes, _, known := shpAxesOf(n)
	if in == nil {
		return []TypeShape{Unranked(dt)}, nil
	}
	if !known {
		if k, ok := shpAxesCount(n); ok {
			return []TypeShape{Ranked(dt, shpUnknownDims(len(in)+k))}, nil
		}
		return []TypeShape{Unranked(dt)}, nil
	}
	r := len(in) + len(axes)
	ax, err := shpAxes(axes, r)
	if err != nil {
		return nil, err
	}
	out := make(ir.Shape, r)
	ones := make([]bool, r)
	for _, a := range ax {
		ones[a] = true
	}
	j := 0
	for i := range out {
		if ones[i] {
			out[i] = ir.DimOf(1)
		} else {
			out[i] = in[j]
			j++
		}
	}
	return []TypeShape{Ranked(dt, out)}, nil
}

func shpInferIdentity(n *Node) ([]TypeShape, error) {
	return []TypeShape{n.In[0]}, nil
}

// DropoutTraining reports whether Dropout node n runs in training mode with
// a non-zero ratio, given its actual ratio and training_mode inputs (nil
// when omitted): from opset 12 when training_mode is true, in opset 6 when
// is_test is 0 (its default). Opsets 7 to 11 always run in inference mode.
func DropoutTraining(n *Node, ratio, training *tensor.Tensor) (bool, error) {
	if n.Opset < 12 {
		// Opset 6's is_test defaults to 0 (training), but exported models
		// leave it unset for inference; like ONNX Runtime, onyx runs Dropout
		// before opset 12 as the identity. Training asks for masks with
		// opset 12's training_mode input (train.TrainingMode does).
		return false, nil
	}
	if training == nil {
		return false, nil
	}
	if training.DType() != tensor.Bool || training.Len() != 1 {
		return false, Errorf("dropout: training_mode must be a bool scalar, got %v", training)
	}
	if !tensor.Data[bool](training)[0] {
		return false, nil
	}
	r, err := DropoutRatio(n, ratio)
	if err != nil {
		return false, err
	}
	return r != 0, nil
}

func shpInferDropout(n *Node) ([]TypeShape, error) {
	x := n.In[0]
	if err := n.CheckDType(0, tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16); err != nil {
		return nil, err
	}
	var ratio float64
	switch {
	case n.Opset < 12:
		ratio = float64(n.AttrFloat("ratio"))
	case shpHasIn(n, 1):
		if v := n.InValue(1); v != nil {
			r, err := v.Float64s()
			if err != nil || len(r) != 1 {
				return nil, Errorf("dropout: ratio must be a float scalar, got %v", v)
			}
			ratio = r[0]
		}
	}
	if ratio < 0 || ratio >= 1 || math.IsNaN(ratio) {
		return nil, Errorf("dropout: ratio %v is not in [0, 1)", ratio)
	}
	// train: the node may run in training mode, so Y is not X.
	train, err := DropoutTraining(n, nil, nil)
	if err != nil {
		return nil, err
	}
	if shpHasIn(n, 2) {
		if err := n.CheckDType(2, tensor.Bool); err != nil {
			return nil, err
		}
		train = true
		if v := n.InValue(2); v != nil {
			var r *tensor.Tensor
			if shpHasIn(n, 1) {
				r = n.InValue(1)
				if r == nil {
					r = tensor.Scalar(float32(0.5)) // unknown: assume it is not 0
				}
			}
			if train, err = DropoutTraining(n, r, v); err != nil {
				return nil, err
			}
		}
	}
	y := TypeShape{DType: x.DType, Shape: x.Shape}
	if !train {
		y.Value = x.Value
	}
	maskType := tensor.Bool
	if n.Opset < 10 {
		maskType = x.DType
	}
	out := []TypeShape{y, Ranked(maskType, x.Shape)}
	return out[:max(len(n.Outputs), 1)], nil
}

// ConstantValue returns the tensor Constant node n produces. The sparse_value
// attribute is not supported and gives an error.
func ConstantValue(n *Node) (*tensor.Tensor, error) {
	var t *tensor.Tensor
	set := 0
	for _, a := range n.Attrs {
		var v *tensor.Tensor
		switch a.Name {
		case "value":
			v = a.Tensor
			if v == nil {
				return nil, Errorf("constant: attribute value holds no tensor")
			}
		case "sparse_value":
			return nil, Errorf("constant: sparse_value is not supported; store the constant as a dense tensor")
		case "value_float":
			v = tensor.Scalar(a.Float)
		case "value_floats":
			v = tensor.Must(tensor.FromSlice(append([]float32{}, a.Floats...), len(a.Floats)))
		case "value_int":
			v = tensor.Scalar(a.Int)
		case "value_ints":
			v = shpInt64Value(append([]int64{}, a.Ints...))
		case "value_string":
			v = tensor.Scalar(a.String)
		case "value_strings":
			v = tensor.Must(tensor.FromSlice(append([]string{}, a.Strings...), len(a.Strings)))
		default:
			continue
		}
		if n.Schema != nil && n.Schema.Attr(a.Name) == nil {
			return nil, Errorf("constant: attribute %s needs opset 12 or later", a.Name)
		}
		t = v
		set++
	}
	if set != 1 {
		return nil, Errorf("constant: exactly one value attribute must be set, got %d", set)
	}
	return t, nil
}

func shpInferConstant(n *Node) ([]TypeShape, error) {
	t, err := ConstantValue(n)
	if err != nil {
		return nil, err
	}
	return []TypeShape{Known(t)}, nil
}

// ConstantOfShapeValue returns the one-element tensor ConstantOfShape node n
// fills its output with: its value attribute, or a float32 zero.
func ConstantOfShapeValue(n *Node) (*tensor.Tensor, error) {
	v := n.AttrTensor("value")
	if v == nil {
		return tensor.Scalar(float32(0)), nil
	}
	if v.Len() != 1 {
		return nil, Errorf("constantofshape: value must hold one element, has shape %v", v.Shape())
	}
	if v.DType() == tensor.String {
		return nil, Errorf("constantofshape: value must be numeric or bool, not string")
	}
	return v, nil
}

func shpInferConstantOfShape(n *Node) ([]TypeShape, error) {
	v, err := ConstantOfShapeValue(n)
	if err != nil {
		return nil, err
	}
	dt := v.DType()
	if err := n.CheckDType(0, tensor.Int64); err != nil {
		return nil, err
	}
	if s := n.In[0].Shape; s != nil && len(s) != 1 {
		return nil, Errorf("constantofshape: input must be 1-D, has shape %v", s)
	}
	shape, ok := n.InInts(0)
	if !ok {
		if s := n.In[0].Shape; len(s) == 1 && s[0].Known() {
			return []TypeShape{Ranked(dt, shpUnknownDims(int(s[0].Value)))}, nil
		}
		return []TypeShape{Unranked(dt)}, nil
	}
	dims := make([]int, len(shape))
	for i, d := range shape {
		if d < 0 || d > tensor.MaxElements {
			return nil, Errorf("constantofshape: invalid dim %d in %v", d, shape)
		}
		dims[i] = int(d)
	}
	if _, err := tensor.NumElements(dims); err != nil {
		return nil, fmt.Errorf("%w: constantofshape: %w", ErrInvalidNode, err)
	}
	return []TypeShape{Of(dt, dims...)}, nil
}

// RangeCount returns the number of elements Range gives for its three
// scalar inputs: max(ceil((limit-start)/delta), 0). Integer types are
// computed exactly; a zero delta or a count over tensor.MaxElements is an
// error.
func RangeCount(start, limit, delta *tensor.Tensor) (int, error) {
	for _, t := range []*tensor.Tensor{start, limit, delta} {
		if t.Len() != 1 || t.DType() != start.DType() {
			return 0, Errorf("range: start, limit and delta must be scalars of one type, got %v %v %v", start, limit, delta)
		}
	}
	var n float64
	if start.DType().IsInt() {
		v := make([]int64, 3)
		for i, t := range []*tensor.Tensor{start, limit, delta} {
			s, err := t.Int64s()
			if err != nil {
				return 0, err
			}
			v[i] = s[0]
		}
		if v[2] == 0 {
			return 0, Errorf("range: delta is 0")
		}
		// Values come from types up to 64 bits: the difference fits a float64
		// closely enough to bound it, and is exact when it is small.
		span := float64(v[1]) - float64(v[0])
		if math.Abs(span) < 1<<52 {
			d, s := v[2], v[1]-v[0]
			if (s > 0) != (d > 0) || s == 0 {
				return 0, nil
			}
			if d < 0 {
				s, d = -s, -d
			}
			c := (s + d - 1) / d
			if c > tensor.MaxElements {
				return 0, Errorf("range: %d elements is too many", c)
			}
			return int(c), nil
		}
		n = math.Ceil(span / float64(v[2]))
	} else {
		v := make([]float64, 3)
		for i, t := range []*tensor.Tensor{start, limit, delta} {
			s, err := t.Float64s()
			if err != nil {
				return 0, Errorf("range: %v", err)
			}
			v[i] = s[0]
		}
		if v[2] == 0 {
			return 0, Errorf("range: delta is 0")
		}
		n = math.Ceil((v[1] - v[0]) / v[2])
	}
	if math.IsNaN(n) || n > tensor.MaxElements {
		return 0, Errorf("range: cannot make %v elements", n)
	}
	return int(max(n, 0)), nil
}

func shpInferRange(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	if err := n.CheckDType(0, tensor.Float32, tensor.Float64, tensor.Int16, tensor.Int32, tensor.Int64, tensor.Float16, tensor.BFloat16); err != nil {
		return nil, err
	}
	for i := 1; i < 3; i++ {
		if n.In[i].DType != dt {
			return nil, Errorf("range: inputs have types %v, %v and %v; they must match", dt, n.In[1].DType, n.In[2].DType)
		}
	}
	for i := range 3 {
		if s := n.In[i].Shape; s != nil && len(s) > 1 {
			return nil, Errorf("range: input %d must be a scalar, has shape %v", i, s)
		}
	}
	s, l, d := n.InValue(0), n.InValue(1), n.InValue(2)
	if s == nil || l == nil || d == nil {
		return []TypeShape{Ranked(dt, ir.Shape{ir.UnknownDim})}, nil
	}
	c, err := RangeCount(s, l, d)
	if err != nil {
		return nil, err
	}
	return []TypeShape{Of(dt, c)}, nil
}

// EyeLikeType returns the output dtype of EyeLike node n.
func EyeLikeType(n *Node) (tensor.DType, error) {
	dt := n.In[0].DType
	if n.HasAttr("dtype") {
		dt = tensor.DType(n.AttrInt("dtype"))
	}
	if !dt.Supported() || dt == tensor.String || dt == tensor.Complex64 || dt == tensor.Complex128 {
		return dt, Errorf("eyelike: output type %v is not supported", dt)
	}
	return dt, nil
}

func shpInferEyeLike(n *Node) ([]TypeShape, error) {
	dt, err := EyeLikeType(n)
	if err != nil {
		return nil, err
	}
	s := n.In[0].Shape
	if s == nil {
		return []TypeShape{Ranked(dt, shpUnknownDims(2))}, nil
	}
	if len(s) != 2 {
		return nil, Errorf("eyelike: input must be 2-D, has shape %v", s)
	}
	return []TypeShape{Ranked(dt, s)}, nil
}
