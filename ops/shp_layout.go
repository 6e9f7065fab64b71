package ops

// Schemas of the ops that rearrange elements: Concat, Split, Slice,
// Transpose, Expand, Tile, Pad, DepthToSpace, SpaceToDepth and Trilu.

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	shpRegister(Schema{
		Name: "Concat", MinInputs: 1, MaxInputs: -1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "axis", Type: ir.AttrInt, Default: int64(1)}},
		Infer: shpInferConcat,
		Doc:   "inputs joined along an axis",
	}, 1)
	shpRegister(Schema{
		Name: "Concat", MinInputs: 1, MaxInputs: -1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "axis", Type: ir.AttrInt, Required: true}},
		Infer: shpInferConcat,
		Doc:   "inputs joined along an axis",
	}, 4, 11, 13)

	shpRegister(Schema{
		Name: "Split", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: -1,
		Attrs: []AttrDef{
			{Name: "axis", Type: ir.AttrInt, Default: int64(0)},
			{Name: "split", Type: ir.AttrInts},
		},
		Infer: shpInferSplit,
		Doc:   "a tensor cut along an axis into parts of the given (or equal) sizes",
	}, 2, 11)
	shpRegister(Schema{
		Name: "Split", MinInputs: 1, MaxInputs: 2, MinOutputs: 1, MaxOutputs: -1,
		Attrs: []AttrDef{{Name: "axis", Type: ir.AttrInt, Default: int64(0)}},
		Infer: shpInferSplit,
		Doc:   "a tensor cut along an axis into parts of the given (or equal) sizes",
	}, 13)
	shpRegister(Schema{
		Name: "Split", MinInputs: 1, MaxInputs: 2, MinOutputs: 1, MaxOutputs: -1,
		Attrs: []AttrDef{
			{Name: "axis", Type: ir.AttrInt, Default: int64(0)},
			{Name: "num_outputs", Type: ir.AttrInt},
		},
		Infer: shpInferSplit,
		Doc:   "a tensor cut along an axis into parts of the given sizes or into num_outputs parts",
	}, 18)

	shpRegister(Schema{
		Name: "Slice", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{
			{Name: "starts", Type: ir.AttrInts, Required: true},
			{Name: "ends", Type: ir.AttrInts, Required: true},
			{Name: "axes", Type: ir.AttrInts},
		},
		Infer: shpInferSlice,
		Doc:   "a sub-tensor [starts, ends) along the given axes",
	}, 1)
	shpRegister(Schema{
		Name: "Slice", MinInputs: 3, MaxInputs: 5, MinOutputs: 1, MaxOutputs: 1,
		Infer: shpInferSlice,
		Doc:   "a strided sub-tensor [starts, ends) along the given axes",
	}, 10, 11, 13)

	shpRegister(Schema{
		Name: "Transpose", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "perm", Type: ir.AttrInts}},
		Infer: shpInferTranspose,
		Doc:   "a tensor with its axes permuted (reversed by default)",
	}, 1, 13, 21)

	shpRegister(Schema{
		Name: "Expand", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Infer: shpInferExpand,
		Doc:   "a tensor broadcast to a shape",
	}, 8, 13)

	shpRegister(Schema{
		Name: "Tile", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Infer: shpInferTile,
		Doc:   "a tensor repeated along each axis",
	}, 6, 13)

	shpRegister(Schema{
		Name: "Pad", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{
			{Name: "pads", Type: ir.AttrInts, Required: true},
			{Name: "mode", Type: ir.AttrString, Default: "constant"},
			{Name: "value", Type: ir.AttrFloat, Default: float32(0)},
		},
		Infer: shpInferPad,
		Doc:   "a tensor padded (or cropped, by negative pads) at both ends of each axis",
	}, 2)
	shpRegister(Schema{
		Name: "Pad", MinInputs: 2, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "mode", Type: ir.AttrString, Default: "constant"}},
		Infer: shpInferPad,
		Doc:   "a tensor padded (or cropped, by negative pads) at both ends of each axis",
	}, 11, 13)
	shpRegister(Schema{
		Name: "Pad", MinInputs: 2, MaxInputs: 4, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "mode", Type: ir.AttrString, Default: "constant"}},
		Infer: shpInferPad,
		Doc:   "a tensor padded (or cropped, by negative pads) at both ends of the given axes",
	}, 18, 19, 21)

	shpRegister(Schema{
		Name: "DepthToSpace", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "blocksize", Type: ir.AttrInt, Required: true}},
		Infer: shpInferDepthToSpace,
		Doc:   "channels moved into blocksize x blocksize spatial blocks (DCR order)",
	}, 1)
	shpRegister(Schema{
		Name: "DepthToSpace", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{
			{Name: "blocksize", Type: ir.AttrInt, Required: true},
			{Name: "mode", Type: ir.AttrString, Default: "DCR"},
		},
		Infer: shpInferDepthToSpace,
		Doc:   "channels moved into blocksize x blocksize spatial blocks (DCR or CRD order)",
	}, 11, 13)
	shpRegister(Schema{
		Name: "SpaceToDepth", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "blocksize", Type: ir.AttrInt, Required: true}},
		Infer: shpInferSpaceToDepth,
		Doc:   "blocksize x blocksize spatial blocks moved into channels",
	}, 1, 13)

	shpRegister(Schema{
		Name: "Trilu", MinInputs: 1, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "upper", Type: ir.AttrInt, Default: int64(1)}},
		Infer: shpInferTrilu,
		Doc:   "the upper or lower triangle of each matrix, zero elsewhere",
	}, 14)
}

// shpSameTypes checks that every present input in [from, to) has input
// from's dtype.
func shpSameTypes(n *Node, from, to int) error {
	dt := n.In[from].DType
	for i := from + 1; i < to && i < len(n.In); i++ {
		if !n.In[i].Absent && n.In[i].DType != dt {
			return Errorf("inputs %d and %d have types %v and %v; they must match", from, i, dt, n.In[i].DType)
		}
	}
	return nil
}

func shpInferConcat(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	if err := shpSameTypes(n, 0, len(n.In)); err != nil {
		return nil, err
	}
	var out ir.Shape
	for i, in := range n.In {
		if in.Absent {
			return nil, Errorf("concat: input %d is empty", i)
		}
		if in.Shape == nil {
			continue
		}
		if out == nil {
			out = append(ir.Shape{}, in.Shape...)
		} else if len(in.Shape) != len(out) {
			return nil, fmt.Errorf("%w: concat: inputs have ranks %d and %d", ErrShapeMismatch, len(out), len(in.Shape))
		}
	}
	if out == nil {
		return []TypeShape{Unranked(dt)}, nil
	}
	axis, err := NormAxis(n.AttrInt("axis"), len(out))
	if err != nil {
		return nil, err
	}
	sum := int64(0)
	for _, in := range n.In {
		if in.Shape == nil {
			sum = -1
			continue
		}
		for d := range out {
			if d == axis {
				continue
			}
			m, err := shpMergeDim(out[d], in.Shape[d])
			if err != nil {
				return nil, fmt.Errorf("concat: axis %d: %w", d, err)
			}
			out[d] = m
		}
		if a := in.Shape[axis]; a.Known() && sum >= 0 {
			sum += a.Value
		} else {
			sum = -1
		}
	}
	out[axis] = ir.UnknownDim
	if sum >= 0 {
		out[axis] = ir.DimOf(sum)
	} else if len(n.In) == 1 {
		out[axis] = n.In[0].Shape[axis]
	}
	return []TypeShape{Ranked(dt, out)}, nil
}

// shpSplitList returns the split sizes Split node n lists (the attribute
// before opset 13, input 1 from then on), whether it lists any, and
// whether they are known.
func shpSplitList(n *Node) (split []int64, given, known bool) {
	if n.Opset < 13 {
		if !n.HasAttr("split") {
			return nil, false, true
		}
		return n.AttrInts("split"), true, true
	}
	if !shpHasIn(n, 1) {
		return nil, false, true
	}
	split, known = n.InInts(1)
	return split, true, known
}

// SplitSizes returns the size of each output of Split node n along an axis
// of length dim, given its split list (given is false when the node has
// none): the list itself, or num_outputs parts of ceil(dim/num_outputs) with
// a smaller last one (opset 18), or equal parts, one per output (also for an
// empty list).
func SplitSizes(n *Node, dim int64, split []int64, given bool) ([]int64, error) {
	outs := len(n.Outputs)
	if len(split) == 0 {
		given = false // an empty split input means equal parts, as in ORT
	}
	if given {
		if len(split) != outs {
			return nil, Errorf("split: %d sizes for %d outputs", len(split), outs)
		}
		if n.Opset >= 18 && n.HasAttr("num_outputs") {
			return nil, Errorf("split: both split and num_outputs are set")
		}
		sum := int64(0)
		for _, s := range split {
			if s < 0 || s > tensor.MaxElements {
				return nil, Errorf("split: invalid size %d in %v", s, split)
			}
			sum += s
		}
		if sum != dim {
			return nil, fmt.Errorf("%w: split: sizes %v do not add up to %d", ErrShapeMismatch, split, dim)
		}
		return split, nil
	}
	sizes := make([]int64, outs)
	if n.Opset >= 18 && n.HasAttr("num_outputs") {
		k := n.AttrInt("num_outputs")
		if k < 1 || k != int64(outs) {
			return nil, Errorf("split: num_outputs is %d for %d outputs", k, outs)
		}
		chunk := (dim + k - 1) / k
		last := dim - chunk*(k-1)
		if last < 0 {
			return nil, fmt.Errorf("%w: split: cannot cut %d into %d parts of %d", ErrShapeMismatch, dim, k, chunk)
		}
		for i := range sizes {
			sizes[i] = chunk
		}
		sizes[outs-1] = last
		return sizes, nil
	}
	if dim%int64(outs) != 0 {
		return nil, fmt.Errorf("%w: split: %d does not divide into %d equal parts", ErrShapeMismatch, dim, outs)
	}
	for i := range sizes {
		sizes[i] = dim / int64(outs)
	}
	return sizes, nil
}

func shpInferSplit(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	in := n.In[0].Shape
	if n.Opset >= 13 && shpHasIn(n, 1) {
		if err := n.CheckDType(1, tensor.Int64); err != nil {
			return nil, err
		}
	}
	if len(n.Outputs) == 0 {
		return nil, Errorf("split: no outputs")
	}
	if in == nil {
		return shpOutputs(n, Unranked(dt)), nil
	}
	axis, err := NormAxis(n.AttrInt("axis"), len(in))
	if err != nil {
		return nil, err
	}
	split, given, known := shpSplitList(n)
	var sizes []int64
	if d := in[axis]; d.Known() && known {
		if sizes, err = SplitSizes(n, d.Value, split, given); err != nil {
			return nil, err
		}
	} else if given && known && len(split) > 0 {
		if len(split) != len(n.Outputs) {
			return nil, Errorf("split: %d sizes for %d outputs", len(split), len(n.Outputs))
		}
		sizes = split
	}
	out := make([]TypeShape, len(n.Outputs))
	for i := range out {
		s := append(ir.Shape{}, in...)
		s[axis] = ir.UnknownDim
		if sizes != nil {
			s[axis] = ir.DimOf(sizes[i])
		} else if len(out) == 1 {
			s[axis] = in[axis]
		}
		out[i] = Ranked(dt, s)
	}
	return out, nil
}

// SliceBounds applies Slice's clamping rules to one axis of length dim and
// returns the first index read and the number of elements read with the
// given (non-zero) step.
func SliceBounds(dim, start, end, step int64) (first, count int64) {
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	if step > 0 {
		start = min(max(start, 0), dim)
		end = min(max(end, 0), dim)
		if end <= start {
			return start, 0
		}
		return start, (end-start-1)/step + 1
	}
	start = min(max(start, 0), dim-1)
	end = min(max(end, -1), dim-1)
	if start <= end {
		return max(start, 0), 0
	}
	return start, int64(uint64(start-end-1)/uint64(-step)) + 1 // -step may be 2^63
}

// SliceArgs is what a Slice node asks for: per listed axis, its start, end
// and step.
type SliceArgs struct {
	Axes               []int // normalized
	Starts, Ends, Step []int64
}

// SliceParams returns the slicing Slice node n asks for on an input of rank
// r: from the attributes before opset 10, else from the given input values
// (axes and steps may be nil when omitted). It checks lengths, axes and
// steps.
func SliceParams(n *Node, r int, starts, ends, axes, steps []int64) (SliceArgs, error) {
	if n.Opset < 10 {
		starts, ends, axes, steps = n.AttrInts("starts"), n.AttrInts("ends"), n.AttrInts("axes"), nil
		if !n.HasAttr("axes") {
			axes = nil
		}
	}
	k := len(starts)
	if len(ends) != k {
		return SliceArgs{}, Errorf("slice: %d starts and %d ends", k, len(ends))
	}
	if axes == nil {
		if k > r {
			return SliceArgs{}, Errorf("slice: %d starts for rank %d", k, r)
		}
		axes = make([]int64, k)
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	if len(axes) != k {
		return SliceArgs{}, Errorf("slice: %d axes for %d starts", len(axes), k)
	}
	if steps == nil {
		steps = make([]int64, k)
		for i := range steps {
			steps[i] = 1
		}
	}
	if len(steps) != k {
		return SliceArgs{}, Errorf("slice: %d steps for %d starts", len(steps), k)
	}
	for _, s := range steps {
		if s == 0 {
			return SliceArgs{}, Errorf("slice: step 0")
		}
	}
	ax, err := shpAxes(axes, r)
	if err != nil {
		return SliceArgs{}, err
	}
	return SliceArgs{Axes: ax, Starts: starts, Ends: ends, Step: steps}, nil
}

func shpInferSlice(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	in := n.In[0].Shape
	var vals [4][]int64
	known := true
	if n.Opset >= 10 {
		for i := 1; i < 5; i++ {
			if !shpHasIn(n, i) {
				continue
			}
			if err := shpCheckIndexType(n, i); err != nil {
				return nil, err
			}
			if n.In[i].DType != n.In[1].DType {
				return nil, Errorf("slice: starts is %v but input %d is %v", n.In[1].DType, i, n.In[i].DType)
			}
			v, ok := n.InInts(i)
			if !ok {
				known = false
			} else if v == nil {
				v = []int64{}
			}
			vals[i-1] = v
		}
	}
	if in == nil {
		return []TypeShape{Unranked(dt)}, nil
	}
	if !known {
		out := append(ir.Shape{}, in...)
		if axes := vals[2]; axes != nil || !shpHasIn(n, 3) {
			if axes == nil { // the first len(starts) axes
				k := len(in)
				if s := n.In[1].Shape; len(s) == 1 && s[0].Known() {
					k = min(int(s[0].Value), k)
				}
				for i := range k {
					out[i] = ir.UnknownDim
				}
			}
			for _, a := range axes {
				ax, err := NormAxis(a, len(in))
				if err != nil {
					return nil, err
				}
				out[ax] = ir.UnknownDim
			}
		} else {
			out = shpUnknownDims(len(in))
		}
		return []TypeShape{Ranked(dt, out)}, nil
	}
	p, err := SliceParams(n, len(in), vals[0], vals[1], vals[2], vals[3])
	if err != nil {
		return nil, err
	}
	out := append(ir.Shape{}, in...)
	for i, a := range p.Axes {
		d := in[a]
		start, end, step := p.Starts[i], p.Ends[i], p.Step[i]
		switch {
		case d.Known():
			_, c := SliceBounds(d.Value, start, end, step)
			out[a] = ir.DimOf(c)
		case step == 1 && start == 0 && end >= math.MaxInt32:
			// x[0:] of a symbolic dim keeps it
		default:
			out[a] = ir.UnknownDim
		}
	}
	return []TypeShape{Ranked(dt, out)}, nil
}

// TransposePerm returns Transpose node n's permutation for rank r (the
// attribute, or the reversed axes), checked to be a permutation.
func TransposePerm(n *Node, r int) ([]int, error) {
	perm := make([]int, r)
	if !n.HasAttr("perm") {
		for i := range perm {
			perm[i] = r - 1 - i
		}
		return perm, nil
	}
	p := n.AttrInts("perm")
	if len(p) != r {
		return nil, Errorf("transpose: perm %v for rank %d", p, r)
	}
	seen := make([]bool, r)
	for i, a := range p {
		if a < 0 || a >= int64(r) || seen[a] {
			return nil, Errorf("transpose: perm %v is not a permutation of 0..%d", p, r-1)
		}
		seen[a] = true
		perm[i] = int(a)
	}
	return perm, nil
}

func shpInferTranspose(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	in := n.In[0].Shape
	if in == nil {
		if n.HasAttr("perm") {
			return []TypeShape{Ranked(dt, shpUnknownDims(len(n.AttrInts("perm"))))}, nil
		}
		return []TypeShape{Unranked(dt)}, nil
	}
	perm, err := TransposePerm(n, len(in))
	if err != nil {
		return nil, err
	}
	out := make(ir.Shape, len(in))
	for i, p := range perm {
		out[i] = in[p]
	}
	return []TypeShape{Ranked(dt, out)}, nil
}

// shpShapeValue returns input i as dims (checked non-negative) when known.
func shpShapeValue(n *Node, i int, what string) ([]int, bool, error) {
	v, ok := n.InInts(i)
	if !ok {
		return nil, false, nil
	}
	dims := make([]int, len(v))
	for j, d := range v {
		if d < 0 || d > tensor.MaxElements {
			return nil, false, Errorf("%s: invalid dim %d in %v", what, d, v)
		}
		dims[j] = int(d)
	}
	return dims, true, nil
}

func shpInferExpand(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	in := n.In[0].Shape
	if err := n.CheckDType(1, tensor.Int64); err != nil {
		return nil, err
	}
	shape, ok, err := shpShapeValue(n, 1, "expand")
	if err != nil {
		return nil, err
	}
	if !ok {
		if s := n.In[1].Shape; in != nil && len(s) == 1 && s[0].Known() {
			return []TypeShape{Ranked(dt, shpUnknownDims(max(len(in), int(s[0].Value))))}, nil
		}
		return []TypeShape{Unranked(dt)}, nil
	}
	if in == nil {
		return []TypeShape{Ranked(dt, shpUnknownDims(len(shape)))}, nil
	}
	out, err := BroadcastShapes(in, ir.ShapeOf(shape...))
	if err != nil {
		return nil, fmt.Errorf("expand: %w", err)
	}
	return []TypeShape{Ranked(dt, out)}, nil
}

func shpInferTile(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	in := n.In[0].Shape
	if err := n.CheckDType(1, tensor.Int64); err != nil {
		return nil, err
	}
	if in == nil {
		return []TypeShape{Unranked(dt)}, nil
	}
	reps, ok := n.InInts(1)
	if !ok {
		return []TypeShape{Ranked(dt, shpUnknownDims(len(in)))}, nil
	}
	if len(reps) != len(in) {
		return nil, Errorf("tile: %d repeats for rank %d", len(reps), len(in))
	}
	out := make(ir.Shape, len(in))
	for i, r := range reps {
		if r < 0 {
			return nil, Errorf("tile: negative repeat %d", r)
		}
		out[i] = shpMulDims(ir.Shape{in[i], ir.DimOf(r)})
	}
	return []TypeShape{Ranked(dt, out)}, nil
}

// PadMode returns Pad node n's mode, checked.
func PadMode(n *Node) (string, error) {
	m := n.AttrString("mode")
	switch m {
	case "constant", "reflect", "edge":
	case "wrap":
		if n.Opset < 19 {
			return m, Errorf("pad: mode wrap needs opset 19")
		}
	default:
		return m, Errorf("pad: unknown mode %q", m)
	}
	return m, nil
}

// PadAmounts returns the pads Pad node n adds before and after each of r
// axes (negative ones crop), from its pads and axes (the attribute before
// opset 11; axes nil means all axes).
func PadAmounts(n *Node, r int, pads, axes []int64) (before, after []int64, err error) {
	if n.Opset < 11 {
		pads, axes = n.AttrInts("pads"), nil
	}
	var ax []int
	if axes == nil {
		ax = make([]int, r)
		for i := range ax {
			ax[i] = i
		}
	} else if ax, err = shpAxes(axes, r); err != nil {
		return nil, nil, err
	}
	if len(pads) != 2*len(ax) {
		return nil, nil, Errorf("pad: %d pads for %d axes", len(pads), len(ax))
	}
	before, after = make([]int64, r), make([]int64, r)
	for i, a := range ax {
		b, e := pads[i], pads[i+len(ax)]
		if b < -tensor.MaxElements || b > tensor.MaxElements || e < -tensor.MaxElements || e > tensor.MaxElements {
			return nil, nil, Errorf("pad: invalid pads %v", pads)
		}
		before[a], after[a] = b, e
	}
	return before, after, nil
}

func shpInferPad(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	in := n.In[0].Shape
	mode, err := PadMode(n)
	if err != nil {
		return nil, err
	}
	var pads, axes []int64
	known := true
	if n.Opset >= 11 {
		if err := n.CheckDType(1, tensor.Int64); err != nil {
			return nil, err
		}
		if shpHasIn(n, 2) {
			if n.In[2].DType != dt {
				return nil, Errorf("pad: constant_value is %v, data is %v", n.In[2].DType, dt)
			}
			if v := n.InValue(2); v != nil && v.Len() != 1 {
				return nil, Errorf("pad: constant_value must hold one element, has shape %v", v.Shape())
			}
		}
		pads, known = n.InInts(1)
		if shpHasIn(n, 3) {
			if err := shpCheckIndexType(n, 3); err != nil {
				return nil, err
			}
			var ok bool
			if axes, ok = n.InInts(3); !ok {
				known = false
			} else if axes == nil {
				axes = []int64{}
			}
		}
	}
	if in == nil {
		return []TypeShape{Unranked(dt)}, nil
	}
	if !known {
		return []TypeShape{Ranked(dt, shpUnknownDims(len(in)))}, nil
	}
	before, after, err := PadAmounts(n, len(in), pads, axes)
	if err != nil {
		return nil, err
	}
	out := make(ir.Shape, len(in))
	for i, d := range in {
		p := before[i] + after[i]
		switch {
		case !d.Known():
			out[i] = ir.UnknownDim
			if p == 0 && before[i] == 0 {
				out[i] = d
			}
		case d.Value+p < 0 || (d.Value+min(before[i], 0)+min(after[i], 0) < 0):
			return nil, fmt.Errorf("%w: pad: pads %d, %d crop more than dim %d of size %d", ErrShapeMismatch, before[i], after[i], i, d.Value)
		case mode != "constant" && d.Value+min(before[i], 0)+min(after[i], 0) == 0 && p > 0:
			return nil, fmt.Errorf("%w: pad: mode %s cannot pad an empty axis %d", ErrShapeMismatch, mode, i)
		default:
			out[i] = ir.DimOf(d.Value + p)
		}
	}
	return []TypeShape{Ranked(dt, out)}, nil
}

// shpBlock4 checks a DepthToSpace/SpaceToDepth node and returns its input
// shape (nil if unknown) and blocksize.
func shpBlock4(n *Node) (ir.Shape, int64, error) {
	b := n.AttrInt("blocksize")
	if b < 1 || b > math.MaxInt32 {
		return nil, 0, Errorf("blocksize %d must be positive", b)
	}
	in := n.In[0].Shape
	if in != nil && len(in) != 4 {
		return nil, 0, Errorf("input must be 4-D, has shape %v", in)
	}
	return in, b, nil
}

// DepthToSpaceMode returns DepthToSpace node n's mode: "DCR" or "CRD".
func DepthToSpaceMode(n *Node) (string, error) {
	if n.Opset < 11 {
		return "DCR", nil
	}
	m := n.AttrString("mode")
	if m != "DCR" && m != "CRD" {
		return m, Errorf("depthtospace: unknown mode %q", m)
	}
	return m, nil
}

func shpInferDepthToSpace(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	if _, err := DepthToSpaceMode(n); err != nil {
		return nil, err
	}
	in, b, err := shpBlock4(n)
	if err != nil || in == nil {
		return []TypeShape{Ranked(dt, shpUnknownDims(4))}, err
	}
	out := ir.Shape{in[0], ir.UnknownDim, shpMulDims(ir.Shape{in[2], ir.DimOf(b)}), shpMulDims(ir.Shape{in[3], ir.DimOf(b)})}
	if c := in[1]; c.Known() {
		if c.Value%(b*b) != 0 {
			return nil, fmt.Errorf("%w: depthtospace: %d channels do not divide by blocksize^2 = %d", ErrShapeMismatch, c.Value, b*b)
		}
		out[1] = ir.DimOf(c.Value / (b * b))
	}
	return []TypeShape{Ranked(dt, out)}, nil
}

func shpInferSpaceToDepth(n *Node) ([]TypeShape, error) {
	dt := n.In[0].DType
	in, b, err := shpBlock4(n)
	if err != nil || in == nil {
		return []TypeShape{Ranked(dt, shpUnknownDims(4))}, err
	}
	out := ir.Shape{in[0], shpMulDims(ir.Shape{in[1], ir.DimOf(b * b)}), ir.UnknownDim, ir.UnknownDim}
	for i := 2; i < 4; i++ {
		if d := in[i]; d.Known() {
			if d.Value%b != 0 {
				return nil, fmt.Errorf("%w: spacetodepth: dim %d (%d) does not divide by blocksize %d", ErrShapeMismatch, i, d.Value, b)
			}
			out[i] = ir.DimOf(d.Value / b)
		}
	}
	return []TypeShape{Ranked(dt, out)}, nil
}

func shpInferTrilu(n *Node) ([]TypeShape, error) {
	in := n.In[0]
	if in.Shape != nil && len(in.Shape) < 2 {
		return nil, Errorf("trilu: input must have rank 2 or more, has shape %v", in.Shape)
	}
	if shpHasIn(n, 1) {
		if err := n.CheckDType(1, tensor.Int64); err != nil {
			return nil, err
		}
		if v := n.InValue(1); v != nil && v.Len() != 1 {
			return nil, Errorf("trilu: k must be a scalar, has shape %v", v.Shape())
		}
	}
	return []TypeShape{Ranked(in.DType, in.Shape)}, nil
}
