package ops

// Schemas of the neural-network operators: convolutions, pooling,
// normalisations, Gemm and MatMul, and the sliding-window geometry that
// their shape inference and their kernels share (SpatialWindow).

import (
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// Auto-padding modes of the auto_pad attribute.
const (
	AutoPadNotSet    = "NOTSET"
	AutoPadSameUpper = "SAME_UPPER"
	AutoPadSameLower = "SAME_LOWER"
	AutoPadValid     = "VALID"
)

// nnMaxWindowValue bounds kernel sizes, strides, dilations and pads, so that
// window arithmetic on them (products of two) cannot overflow an int.
const nnMaxWindowValue = 1 << 30 // fits int on 32-bit targets

// SpatialWindow is the sliding-window geometry of a Conv, ConvTranspose or
// pooling node over the spatial dims of an N x C x D1 x ... x Dn tensor: the
// window attributes, validated, with their defaults filled in. Its methods
// compute output sizes and the effective pads per spatial dim, exactly as
// Operators.md defines them; shape inference and kernels both use it so that
// they cannot disagree.
type SpatialWindow struct {
	// Kernel holds the window size per spatial dim; -1 where it is not known
	// (a Conv whose weight shape is symbolic).
	Kernel    []int
	Strides   []int
	Dilations []int
	// Pads holds the explicit pads, begin values then end values (all 0 when
	// the node sets none). It is ignored unless AutoPad is NOTSET.
	Pads     []int
	AutoPad  string
	CeilMode bool
	// OutputPadding and OutputShape are ConvTranspose's attributes
	// (OutputShape nil when not set).
	OutputPadding []int
	OutputShape   []int
}

// Rank returns the number of spatial dims.
func (w *SpatialWindow) Rank() int { return len(w.Kernel) }

// nnIntsAttr reads an ints attribute that must have count values in [lo, hi],
// or be absent or empty (then every value is def).
func nnIntsAttr(n *Node, name string, count int, lo, hi int64, def int) ([]int, error) {
	v := n.AttrInts(name)
	out := make([]int, count)
	if len(v) == 0 {
		for i := range out {
			out[i] = def
		}
		return out, nil
	}
	if len(v) != count {
		return nil, Errorf("attribute %s has %d values, want %d", name, len(v), count)
	}
	for i, x := range v {
		if x < lo || x > hi {
			return nil, Errorf("attribute %s = %v: value %d out of range [%d, %d]", name, v, x, lo, hi)
		}
		out[i] = int(x)
	}
	return out, nil
}

// ParseSpatialWindow reads and validates a node's window attributes
// (strides, dilations, pads, auto_pad, ceil_mode, and for schemas that
// declare them output_padding and output_shape) for a window of the given
// kernel size (one value per spatial dim, -1 where unknown). The caller
// supplies the kernel: kernel_shape, or for convolutions W's spatial dims.
func ParseSpatialWindow(n *Node, kernel []int) (*SpatialWindow, error) {
	r := len(kernel)
	if r < 1 {
		return nil, Errorf("no spatial dimensions")
	}
	w := &SpatialWindow{Kernel: append([]int(nil), kernel...)}
	for i, k := range kernel {
		if k == 0 || k > nnMaxWindowValue || k < -1 {
			return nil, Errorf("kernel size %d out of range on spatial axis %d", k, i)
		}
	}
	var err error
	if w.Strides, err = nnIntsAttr(n, "strides", r, 1, nnMaxWindowValue, 1); err != nil {
		return nil, err
	}
	if w.Dilations, err = nnIntsAttr(n, "dilations", r, 1, nnMaxWindowValue, 1); err != nil {
		return nil, err
	}
	if w.Pads, err = nnIntsAttr(n, "pads", 2*r, 0, nnMaxWindowValue, 0); err != nil {
		return nil, err
	}
	w.AutoPad = n.AttrString("auto_pad")
	switch w.AutoPad {
	case "", AutoPadNotSet:
		w.AutoPad = AutoPadNotSet
	case AutoPadSameUpper, AutoPadSameLower, AutoPadValid:
	default:
		return nil, Errorf("auto_pad %q is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", w.AutoPad)
	}
	switch c := n.AttrInt("ceil_mode"); c {
	case 0:
	case 1:
		w.CeilMode = true
	default:
		return nil, Errorf("ceil_mode %d is not 0 or 1", c)
	}
	if n.Schema == nil || n.Schema.Attr("output_padding") != nil {
		if w.OutputPadding, err = nnIntsAttr(n, "output_padding", r, 0, nnMaxWindowValue, 0); err != nil {
			return nil, err
		}
		if oshape := n.AttrInts("output_shape"); len(oshape) > 0 {
			// Some exporters include the batch and channel dims: keep the spatial ones.
			if len(oshape) == r+2 {
				oshape = oshape[2:]
			}
			if len(oshape) != r {
				return nil, Errorf("attribute output_shape has %d values, want %d", len(oshape), r)
			}
			w.OutputShape = make([]int, r)
			for i, v := range oshape {
				if v < 1 || v > tensor.MaxElements {
					return nil, Errorf("attribute output_shape = %v: value %d out of range", oshape, v)
				}
				w.OutputShape[i] = int(v)
			}
		}
	}
	return w, nil
}

// Effective returns the extent of the dilated window on spatial dim i:
// (kernel-1)*dilation + 1.
func (w *SpatialWindow) Effective(i int) int {
	return (w.Kernel[i]-1)*w.Dilations[i] + 1
}

// checkDim rejects a negative input size and a dilated window whose extent
// would overflow.
func (w *SpatialWindow) checkDim(i, in int) error {
	if in < 0 || in > tensor.MaxElements {
		return fmt.Errorf("%w: input size %d on spatial axis %d", ErrShapeMismatch, in, i)
	}
	if k := w.Kernel[i]; k < 1 || k-1 > tensor.MaxElements/w.Dilations[i] {
		return fmt.Errorf("%w: window of size %d with dilation %d on spatial axis %d", ErrShapeMismatch, k, w.Dilations[i], i)
	}
	return nil
}

// OutDim returns, for spatial dim i of a Conv or pooling window over an
// input of size in, the output size and the pads actually applied at the
// beginning and end of the axis. It returns an ErrShapeMismatch error when
// the window does not fit in the padded input.
func (w *SpatialWindow) OutDim(i, in int) (out, padBegin, padEnd int, err error) {
	if err := w.checkDim(i, in); err != nil {
		return 0, 0, 0, err
	}
	k, s := w.Effective(i), w.Strides[i]
	switch w.AutoPad {
	case AutoPadValid:
		if in < k {
			return 0, 0, 0, fmt.Errorf("%w: window of extent %d larger than input size %d on spatial axis %d", ErrShapeMismatch, k, in, i)
		}
		return (in-k)/s + 1, 0, 0, nil
	case AutoPadSameUpper, AutoPadSameLower:
		out = (in + s - 1) / s
		total := max(0, (out-1)*s+k-in)
		padBegin = total / 2
		if w.AutoPad == AutoPadSameLower {
			padBegin = total - total/2
		}
		return out, padBegin, total - padBegin, nil
	}
	padBegin, padEnd = w.Pads[i], w.Pads[i+len(w.Kernel)]
	span := in + padBegin + padEnd - k
	if span < 0 {
		return 0, 0, 0, fmt.Errorf("%w: window of extent %d larger than padded input size %d on spatial axis %d", ErrShapeMismatch, k, in+padBegin+padEnd, i)
	}
	out = span/s + 1
	if w.CeilMode && span%s != 0 {
		out++
		// The last window must start inside the input or the left padding.
		if (out-1)*s >= in+padBegin {
			out--
		}
	}
	return out, padBegin, padEnd, nil
}

// TransposedOutDim is OutDim for ConvTranspose: the output size of spatial
// dim i for an input of size in, and the pads removed from the full
// transposed-convolution output at the beginning and end of the axis. Pads
// may be negative when output_shape asks for more than the full output; the
// extra positions only receive the bias.
func (w *SpatialWindow) TransposedOutDim(i, in int) (out, padBegin, padEnd int, err error) {
	if err := w.checkDim(i, in); err != nil {
		return 0, 0, 0, err
	}
	s := w.Strides[i]
	if in > 0 && in-1 > tensor.MaxElements/s {
		return 0, 0, 0, fmt.Errorf("%w: ConvTranspose output too large on spatial axis %d", ErrShapeMismatch, i)
	}
	full := s*max(in-1, 0) + w.OutputPadding[i] + w.Effective(i)
	if in == 0 {
		full = 0
	}
	target := -1
	switch {
	case w.OutputShape != nil:
		target = w.OutputShape[i]
	case w.AutoPad == AutoPadSameUpper || w.AutoPad == AutoPadSameLower:
		target = in * s
	case w.AutoPad == AutoPadValid:
		return full, 0, 0, nil
	}
	if target >= 0 {
		total := max(0, full-target)
		if w.AutoPad == AutoPadSameUpper {
			padBegin = total / 2
		} else {
			padBegin = total - total/2
		}
		padEnd = full - target - padBegin
		return target, padBegin, padEnd, nil
	}
	padBegin, padEnd = w.Pads[i], w.Pads[i+len(w.Kernel)]
	out = full - padBegin - padEnd
	if out < 1 && in > 0 {
		return 0, 0, 0, fmt.Errorf("%w: pads %d+%d remove the whole ConvTranspose output of size %d on spatial axis %d", ErrShapeMismatch, padBegin, padEnd, full, i)
	}
	return max(out, 0), padBegin, padEnd, nil
}

// nnFloatTypes are the element types of the float-only NN operators.
var nnFloatTypes = []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16}

// nnMatTypes are the element types of Gemm and MatMul.
var nnMatTypes = []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16,
	tensor.Int32, tensor.Int64, tensor.Uint32, tensor.Uint64}

// nnSameDType checks that every given input has input 0's dtype.
func nnSameDType(n *Node, idx ...int) error {
	for _, i := range idx {
		if i < len(n.In) && !n.In[i].Absent && n.In[i].DType != n.In[0].DType {
			return Errorf("input %d has type %v, input 0 has %v", i, n.In[i].DType, n.In[0].DType)
		}
	}
	return nil
}

// nnDim returns dim i of s, or an unknown dim when s is nil.
func nnDim(s ir.Shape, i int) ir.Dim {
	if s == nil || i >= len(s) {
		return ir.UnknownDim
	}
	return s[i]
}

// nnCheckDimEq returns a shape error if a and b are both known and differ.
func nnCheckDimEq(a, b ir.Dim, what string) error {
	if a.Known() && b.Known() && a.Value != b.Value {
		return fmt.Errorf("%w: %s: %d vs %d", ErrShapeMismatch, what, a.Value, b.Value)
	}
	return nil
}

// nnSpatialRank returns the spatial rank from the first ranked of the given
// shapes (rank minus 2), or -1 when none is ranked.
func nnSpatialRank(shapes ...ir.Shape) int {
	for _, s := range shapes {
		if s != nil {
			return len(s) - 2
		}
	}
	return -1
}

// nnKernelShape returns the kernel: kernel_shape if set, else the spatial
// dims of the weight shape (-1 where unknown).
func nnKernelShape(n *Node, rank int, w ir.Shape) ([]int, error) {
	if ks := n.AttrInts("kernel_shape"); len(ks) > 0 {
		if len(ks) != rank {
			return nil, Errorf("kernel_shape %v has %d values for %d spatial dims", ks, len(ks), rank)
		}
		k := make([]int, rank)
		for i, v := range ks {
			if v < 1 || v > nnMaxWindowValue {
				return nil, Errorf("kernel_shape %v: value %d out of range", ks, v)
			}
			k[i] = int(v)
			if w != nil {
				if err := nnCheckDimEq(w[i+2], ir.DimOf(v), "kernel_shape vs weight shape"); err != nil {
					return nil, err
				}
			}
		}
		return k, nil
	}
	k := make([]int, rank)
	for i := range k {
		k[i] = -1
		if d := nnDim(w, i+2); d.Known() {
			if d.Value < 1 {
				return nil, fmt.Errorf("%w: weight has an empty spatial dim", ErrShapeMismatch)
			}
			k[i] = int(d.Value)
		}
	}
	return k, nil
}

// nnSpatialOut fills the spatial dims of out from the input's, using f per
// known dim.
func nnSpatialOut(out ir.Shape, x ir.Shape, w *SpatialWindow, f func(i, in int) (int, int, int, error)) error {
	for i := range w.Kernel {
		out[i+2] = ir.UnknownDim
		d := nnDim(x, i+2)
		if !d.Known() || w.Kernel[i] < 0 {
			continue
		}
		o, _, _, err := f(i, int(d.Value))
		if err != nil {
			return err
		}
		out[i+2] = ir.DimOf(int64(o))
	}
	return nil
}

func inferConv(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return nil, err
	}
	if err := nnSameDType(n, 1, 2); err != nil {
		return nil, err
	}
	x, wt := n.In[0].Shape, n.In[1].Shape
	group := n.AttrInt("group")
	if group < 1 {
		return nil, Errorf("group %d < 1", group)
	}
	r := nnSpatialRank(x, wt)
	if r < 0 {
		if ks := n.AttrInts("kernel_shape"); len(ks) > 0 {
			r = len(ks)
		} else {
			return []TypeShape{Unranked(n.In[0].DType)}, nil
		}
	}
	if r < 1 {
		return nil, Errorf("Conv input must have rank >= 3, got %d", r+2)
	}
	if (x != nil && len(x) != r+2) || (wt != nil && len(wt) != r+2) {
		return nil, fmt.Errorf("%w: Conv input rank %d and weight rank %d differ", ErrShapeMismatch, len(x), len(wt))
	}
	m, c := nnDim(wt, 0), nnDim(x, 1)
	if wc := nnDim(wt, 1); wc.Known() && c.Known() && wc.Value*group != c.Value {
		return nil, fmt.Errorf("%w: Conv input has %d channels, weight expects %d x group %d", ErrShapeMismatch, c.Value, wc.Value, group)
	}
	if c.Known() && c.Value%group != 0 {
		return nil, fmt.Errorf("%w: Conv input channels %d not divisible by group %d", ErrShapeMismatch, c.Value, group)
	}
	if m.Known() && m.Value%group != 0 {
		return nil, fmt.Errorf("%w: Conv feature maps %d not divisible by group %d", ErrShapeMismatch, m.Value, group)
	}
	if n.HasIn(2) && !n.In[2].Absent {
		if b := n.In[2].Shape; b != nil {
			if len(b) != 1 {
				return nil, fmt.Errorf("%w: Conv bias must be 1-D, got rank %d", ErrShapeMismatch, len(b))
			}
			if err := nnCheckDimEq(b[0], m, "Conv bias size vs feature maps"); err != nil {
				return nil, err
			}
		}
	}
	kernel, err := nnKernelShape(n, r, wt)
	if err != nil {
		return nil, err
	}
	w, err := ParseSpatialWindow(n, kernel)
	if err != nil {
		return nil, err
	}
	out := make(ir.Shape, r+2)
	out[0], out[1] = nnDim(x, 0), m
	if err := nnSpatialOut(out, x, w, w.OutDim); err != nil {
		return nil, err
	}
	return []TypeShape{Ranked(n.In[0].DType, out)}, nil
}

func inferConvTranspose(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return nil, err
	}
	if err := nnSameDType(n, 1, 2); err != nil {
		return nil, err
	}
	x, wt := n.In[0].Shape, n.In[1].Shape
	group := n.AttrInt("group")
	if group < 1 {
		return nil, Errorf("group %d < 1", group)
	}
	r := nnSpatialRank(x, wt)
	if r < 0 {
		if ks := n.AttrInts("kernel_shape"); len(ks) > 0 {
			r = len(ks)
		} else {
			return []TypeShape{Unranked(n.In[0].DType)}, nil
		}
	}
	if r < 1 {
		return nil, Errorf("ConvTranspose input must have rank >= 3, got %d", r+2)
	}
	if (x != nil && len(x) != r+2) || (wt != nil && len(wt) != r+2) {
		return nil, fmt.Errorf("%w: ConvTranspose input rank %d and weight rank %d differ", ErrShapeMismatch, len(x), len(wt))
	}
	c := nnDim(x, 1)
	if err := nnCheckDimEq(c, nnDim(wt, 0), "ConvTranspose input channels vs weight dim 0"); err != nil {
		return nil, err
	}
	if c.Known() && c.Value%group != 0 {
		return nil, fmt.Errorf("%w: ConvTranspose input channels %d not divisible by group %d", ErrShapeMismatch, c.Value, group)
	}
	m := ir.UnknownDim
	if d := nnDim(wt, 1); d.Known() {
		m = ir.DimOf(d.Value * group)
	}
	if n.HasIn(2) && !n.In[2].Absent {
		if b := n.In[2].Shape; b != nil {
			if len(b) != 1 {
				return nil, fmt.Errorf("%w: ConvTranspose bias must be 1-D, got rank %d", ErrShapeMismatch, len(b))
			}
			if err := nnCheckDimEq(b[0], m, "ConvTranspose bias size vs output channels"); err != nil {
				return nil, err
			}
		}
	}
	kernel, err := nnKernelShape(n, r, wt)
	if err != nil {
		return nil, err
	}
	w, err := ParseSpatialWindow(n, kernel)
	if err != nil {
		return nil, err
	}
	out := make(ir.Shape, r+2)
	out[0], out[1] = nnDim(x, 0), m
	if err := nnSpatialOut(out, x, w, w.TransposedOutDim); err != nil {
		return nil, err
	}
	if w.OutputShape != nil { // known even when the input's spatial dims are not
		for i, v := range w.OutputShape {
			out[i+2] = ir.DimOf(int64(v))
		}
	}
	return []TypeShape{Ranked(n.In[0].DType, out)}, nil
}

// nnPoolWindow parses a pooling node's window: kernel_shape (required) and
// the other window attributes, checking them against X's rank.
func nnPoolWindow(n *Node) (*SpatialWindow, error) {
	ks := n.AttrInts("kernel_shape")
	if len(ks) == 0 {
		return nil, Errorf("kernel_shape is required")
	}
	x := n.In[0].Shape
	if x != nil && len(x) != len(ks)+2 {
		return nil, fmt.Errorf("%w: input rank %d does not match kernel_shape %v", ErrShapeMismatch, len(x), ks)
	}
	k := make([]int, len(ks))
	for i, v := range ks {
		if v < 1 || v > nnMaxWindowValue {
			return nil, Errorf("kernel_shape %v: value %d out of range", ks, v)
		}
		k[i] = int(v)
	}
	return ParseSpatialWindow(n, k)
}

// nnPoolTypes returns the dtypes a pooling op accepts.
func nnPoolTypes(n *Node) []tensor.DType {
	if n.OpType == "MaxPool" && n.Opset >= 12 {
		return append(append([]tensor.DType(nil), nnFloatTypes...), tensor.Int8, tensor.Uint8)
	}
	return nnFloatTypes
}

func inferPool(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, nnPoolTypes(n)...); err != nil {
		return nil, err
	}
	w, err := nnPoolWindow(n)
	if err != nil {
		return nil, err
	}
	if n.OpType == "MaxPool" {
		if so := n.AttrInt("storage_order"); so != 0 && so != 1 {
			return nil, Errorf("storage_order %d is not 0 or 1", so)
		}
	}
	if n.OpType == "AveragePool" {
		if c := n.AttrInt("count_include_pad"); c != 0 && c != 1 {
			return nil, Errorf("count_include_pad %d is not 0 or 1", c)
		}
	}
	if n.OpType == "LpPool" {
		if err := nnCheckP(n); err != nil {
			return nil, err
		}
	}
	x := n.In[0].Shape
	out := make(ir.Shape, w.Rank()+2)
	out[0], out[1] = nnDim(x, 0), nnDim(x, 1)
	if err := nnSpatialOut(out, x, w, w.OutDim); err != nil {
		return nil, err
	}
	res := []TypeShape{Ranked(n.In[0].DType, out)}
	if n.OpType == "MaxPool" {
		res = append(res, Ranked(tensor.Int64, out))
	}
	return res, nil
}

// NNPowerP returns the p of an LpPool, GlobalLpPool or LpNormalization
// node: a float attribute in opset 1 of the pools, an int otherwise.
func NNPowerP(n *Node) float64 {
	if a := n.Attr("p"); a != nil && a.Type == ir.AttrFloat {
		return float64(a.Float)
	}
	if n.Schema != nil {
		if d := n.Schema.Attr("p"); d != nil && d.Type == ir.AttrFloat {
			return float64(n.AttrFloat("p"))
		}
	}
	return float64(n.AttrInt("p"))
}

func nnCheckP(n *Node) error {
	if p := NNPowerP(n); !(p > 0) || p > 1e6 {
		return Errorf("p = %v must be positive", p)
	}
	return nil
}

func inferGlobalPool(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return nil, err
	}
	if n.OpType == "GlobalLpPool" {
		if err := nnCheckP(n); err != nil {
			return nil, err
		}
	}
	x := n.In[0].Shape
	if x == nil {
		return []TypeShape{Unranked(n.In[0].DType)}, nil
	}
	if len(x) < 2 {
		return nil, fmt.Errorf("%w: %s input must have rank >= 2, got %d", ErrShapeMismatch, n.OpType, len(x))
	}
	out := make(ir.Shape, len(x))
	copy(out, x[:2])
	for i := 2; i < len(out); i++ {
		out[i] = ir.DimOf(1)
	}
	return []TypeShape{Ranked(n.In[0].DType, out)}, nil
}

// nnCheckParamShape checks that input i is a vector of c elements (or, for
// BatchNormalization with spatial=0, c may cover the non-batch dims).
func nnCheckParamShape(n *Node, i int, c ir.Dim, what string) error {
	if !n.HasIn(i) || n.In[i].Absent {
		return nil
	}
	s := n.In[i].Shape
	if s == nil {
		return nil
	}
	if len(s) != 1 {
		return fmt.Errorf("%w: %s %s must be 1-D, got shape %v", ErrShapeMismatch, n.OpType, what, s)
	}
	return nnCheckDimEq(s[0], c, n.OpType+" "+what+" size vs channels")
}

// nnKnownProduct returns the product of s's dims if they are all known (and
// the product is a valid element count).
func nnKnownProduct(s ir.Shape) (int64, bool) {
	p := int64(1)
	for _, d := range s {
		if !d.Known() || (d.Value > 0 && p > tensor.MaxElements/d.Value) {
			return 0, false
		}
		p *= d.Value
	}
	return p, true
}

// BatchNormSpatial reports whether a BatchNormalization node normalises
// per channel (true; the only mode since opset 9) or per activation
// (spatial = 0 in opsets 1 to 8, where the parameters cover C x D1 x ...).
func BatchNormSpatial(n *Node) bool {
	if n.Schema != nil && n.Schema.Attr("spatial") != nil {
		return n.AttrInt("spatial") != 0
	}
	return true
}

// BatchNormTraining reports whether a BatchNormalization node runs in
// training mode (training_mode = 1, opset 14 and later).
func BatchNormTraining(n *Node) bool {
	return n.Schema != nil && n.Schema.Attr("training_mode") != nil && n.AttrInt("training_mode") != 0
}

func inferBatchNorm(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return nil, err
	}
	for i := 1; i < 5; i++ {
		if err := n.CheckDType(i, nnFloatTypes...); err != nil {
			return nil, err
		}
	}
	if n.Opset < 15 {
		if err := nnSameDType(n, 1, 2, 3, 4); err != nil {
			return nil, err
		}
	} else {
		// Opset 15: scale and B share a type; mean and var share one.
		if n.In[1].DType != n.In[2].DType || n.In[3].DType != n.In[4].DType {
			return nil, Errorf("scale/B types %v/%v or mean/var types %v/%v differ", n.In[1].DType, n.In[2].DType, n.In[3].DType, n.In[4].DType)
		}
	}
	training := BatchNormTraining(n)
	if tm := n.AttrInt("training_mode"); tm != 0 && tm != 1 {
		return nil, Errorf("training_mode %d is not 0 or 1", tm)
	}
	extra := false
	for i := 1; i < len(n.Outputs); i++ {
		extra = extra || n.HasOut(i)
	}
	if extra && !training {
		if n.Opset >= 14 {
			return nil, Errorf("BatchNormalization outputs running_mean and running_var need training_mode=1")
		}
		return nil, fmt.Errorf("%w: BatchNormalization training outputs (opset %d < 14)", ErrUnsupportedOp, n.Opset)
	}
	x := n.In[0].Shape
	if x != nil && len(x) == 0 {
		return nil, fmt.Errorf("%w: BatchNormalization input must have rank >= 1", ErrShapeMismatch)
	}
	c := nnDim(x, 1) // a 1-D input is N with one channel
	if len(x) == 1 {
		c = ir.DimOf(1)
	}
	params := []string{"scale", "B", "mean", "var"}
	switch {
	case BatchNormSpatial(n):
		for i, what := range params {
			if err := nnCheckParamShape(n, i+1, c, what); err != nil {
				return nil, err
			}
		}
	case x != nil:
		// spatial = 0: one parameter per activation, C x D1 x ... x Dn.
		want, ok := nnKnownProduct(x[1:])
		for i, what := range params {
			got, gok := nnKnownProduct(n.In[i+1].Shape)
			if ok && gok && n.In[i+1].Shape != nil && got != want {
				return nil, fmt.Errorf("%w: BatchNormalization (spatial=0) %s has %d values, want %d", ErrShapeMismatch, what, got, want)
			}
		}
		c = ir.UnknownDim
		if ok {
			c = ir.DimOf(want)
		}
	}
	res := []TypeShape{Ranked(n.In[0].DType, x)}
	if training {
		st := Ranked(n.In[3].DType, ir.Shape{c})
		res = append(res, st, st)
	}
	return res, nil
}

func inferInstanceNorm(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return nil, err
	}
	if err := nnSameDType(n, 1, 2); err != nil {
		return nil, err
	}
	x := n.In[0].Shape
	if x != nil && len(x) < 2 {
		return nil, fmt.Errorf("%w: InstanceNormalization input must have rank >= 2, got %d", ErrShapeMismatch, len(x))
	}
	c := nnDim(x, 1)
	for i, what := range []string{"scale", "B"} {
		if err := nnCheckParamShape(n, i+1, c, what); err != nil {
			return nil, err
		}
	}
	return SameAsInput(n)
}

func inferLRN(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return nil, err
	}
	if s := n.AttrInt("size"); s < 1 || s > nnMaxWindowValue {
		return nil, Errorf("LRN size %d must be positive", s)
	}
	if x := n.In[0].Shape; x != nil && len(x) < 2 {
		return nil, fmt.Errorf("%w: LRN input must have rank >= 2, got %d", ErrShapeMismatch, len(x))
	}
	return SameAsInput(n)
}

func inferLpNorm(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return nil, err
	}
	if p := n.AttrInt("p"); p != 1 && p != 2 {
		return nil, Errorf("LpNormalization p = %d, want 1 or 2", p)
	}
	if r := n.In[0].Rank(); r >= 0 {
		if r == 0 {
			return nil, fmt.Errorf("%w: LpNormalization of a scalar", ErrShapeMismatch)
		}
		if _, err := NormAxis(n.AttrInt("axis"), r); err != nil {
			return nil, err
		}
	}
	return SameAsInput(n)
}

func inferGemm(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, nnMatTypes...); err != nil {
		return nil, err
	}
	if err := nnSameDType(n, 1, 2); err != nil {
		return nil, err
	}
	a, b := n.In[0].Shape, n.In[1].Shape
	if (a != nil && len(a) != 2) || (b != nil && len(b) != 2) {
		return nil, fmt.Errorf("%w: Gemm inputs must be 2-D, got ranks %d and %d", ErrShapeMismatch, len(a), len(b))
	}
	ta, tb := n.AttrInt("transA") != 0, n.AttrInt("transB") != 0
	m, ka := nnDim(a, 0), nnDim(a, 1)
	if ta {
		m, ka = ka, m
	}
	kb, nn := nnDim(b, 0), nnDim(b, 1)
	if tb {
		kb, nn = nn, kb
	}
	if err := nnCheckDimEq(ka, kb, "Gemm inner dimensions"); err != nil {
		return nil, err
	}
	out := ir.Shape{m, nn}
	if n.HasIn(2) && !n.In[2].Absent {
		if c := n.In[2].Shape; c != nil {
			if len(c) > 2 {
				return nil, fmt.Errorf("%w: Gemm C has rank %d > 2", ErrShapeMismatch, len(c))
			}
			// Unidirectional broadcast of C to (M, N).
			for i, d := range c {
				o := out[2-len(c)+i]
				if d.Known() && d.Value != 1 {
					if err := nnCheckDimEq(d, o, "Gemm C broadcast to (M, N)"); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return []TypeShape{Ranked(n.In[0].DType, out)}, nil
}

// MatMulShapes returns the numpy matmul output shape of operands of shapes
// a and b (either may be 1-D), broadcasting the batch dims.
func MatMulShapes(a, b ir.Shape) (ir.Shape, error) {
	if a == nil || b == nil {
		return nil, nil
	}
	if len(a) == 0 || len(b) == 0 {
		return nil, fmt.Errorf("%w: MatMul of a scalar", ErrShapeMismatch)
	}
	aa, bb := a, b
	if len(a) == 1 {
		aa = ir.Shape{ir.DimOf(1), a[0]}
	}
	if len(b) == 1 {
		bb = ir.Shape{b[0], ir.DimOf(1)}
	}
	if err := nnCheckDimEq(aa[len(aa)-1], bb[len(bb)-2], "MatMul inner dimensions"); err != nil {
		return nil, err
	}
	batch, err := BroadcastShapes(aa[:len(aa)-2], bb[:len(bb)-2])
	if err != nil {
		return nil, fmt.Errorf("%w: MatMul batch dims of %v and %v do not broadcast", ErrShapeMismatch, a, b)
	}
	out := append(ir.Shape{}, batch...)
	if len(a) > 1 {
		out = append(out, aa[len(aa)-2])
	}
	if len(b) > 1 {
		out = append(out, bb[len(bb)-1])
	}
	return out, nil
}

func inferMatMul(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, nnMatTypes...); err != nil {
		return nil, err
	}
	if err := nnSameDType(n, 1); err != nil {
		return nil, err
	}
	s, err := MatMulShapes(n.In[0].Shape, n.In[1].Shape)
	if err != nil {
		return nil, err
	}
	return []TypeShape{Ranked(n.In[0].DType, s)}, nil
}

// Attribute declarations shared by several schemas.
func nnA(name string, t ir.AttrType, def any) AttrDef {
	return AttrDef{Name: name, Type: t, Default: def}
}

var (
	nnAutoPad        = nnA("auto_pad", ir.AttrString, AutoPadNotSet)
	nnDilations      = nnA("dilations", ir.AttrInts, nil)
	nnGroup          = nnA("group", ir.AttrInt, int64(1))
	nnKernelShapeOpt = nnA("kernel_shape", ir.AttrInts, nil)
	nnKernelShapeReq = AttrDef{Name: "kernel_shape", Type: ir.AttrInts, Required: true}
	nnPads           = nnA("pads", ir.AttrInts, nil)
	nnStrides        = nnA("strides", ir.AttrInts, nil)
	nnCeilMode       = nnA("ceil_mode", ir.AttrInt, int64(0))
	nnEpsilon        = nnA("epsilon", ir.AttrFloat, float32(1e-5))
	nnMomentum       = nnA("momentum", ir.AttrFloat, float32(0.9))
	nnConsumed       = nnA("consumed_inputs", ir.AttrInts, nil)
)

func init() {
	registerVersions([]int64{1, 11, 22}, func(int64) *Schema {
		return &Schema{Name: "Conv", MinInputs: 2, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
			Attrs: []AttrDef{nnAutoPad, nnDilations, nnGroup, nnKernelShapeOpt, nnPads, nnStrides},
			Infer: inferConv, Doc: "N-D convolution with groups, dilations, strides and padding"}
	})
	registerVersions([]int64{1, 11, 22}, func(int64) *Schema {
		return &Schema{Name: "ConvTranspose", MinInputs: 2, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
			Attrs: []AttrDef{nnAutoPad, nnDilations, nnGroup, nnKernelShapeOpt,
				nnA("output_padding", ir.AttrInts, nil), nnA("output_shape", ir.AttrInts, nil), nnPads, nnStrides},
			Infer: inferConvTranspose, Doc: "N-D transposed convolution"}
	})
	registerVersions([]int64{1, 8, 10, 11, 12, 22}, func(v int64) *Schema {
		attrs := []AttrDef{nnAutoPad, nnKernelShapeReq, nnPads, nnStrides}
		maxOut := 1
		if v >= 8 {
			attrs = append(attrs, nnA("storage_order", ir.AttrInt, int64(0)))
			maxOut = 2
		}
		if v >= 10 {
			attrs = append(attrs, nnCeilMode, nnDilations)
		}
		return &Schema{Name: "MaxPool", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: maxOut,
			Attrs: attrs, Infer: inferPool, Doc: "N-D max pooling, optionally with argmax indices"}
	})
	registerVersions([]int64{1, 7, 10, 11, 19, 22}, func(v int64) *Schema {
		attrs := []AttrDef{nnAutoPad, nnKernelShapeReq, nnPads, nnStrides}
		if v >= 7 {
			attrs = append(attrs, nnA("count_include_pad", ir.AttrInt, int64(0)))
		}
		if v >= 10 {
			attrs = append(attrs, nnCeilMode)
		}
		if v >= 19 {
			attrs = append(attrs, nnDilations)
		}
		return &Schema{Name: "AveragePool", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
			Attrs: attrs, Infer: inferPool, Doc: "N-D average pooling"}
	})
	registerVersions([]int64{1, 2, 11, 18, 22}, func(v int64) *Schema {
		attrs := []AttrDef{nnAutoPad, nnKernelShapeReq, nnPads, nnStrides}
		if v == 1 {
			attrs = append(attrs, nnA("p", ir.AttrFloat, float32(2)))
		} else {
			attrs = append(attrs, nnA("p", ir.AttrInt, int64(2)))
		}
		if v >= 18 {
			attrs = append(attrs, nnCeilMode, nnDilations)
		}
		return &Schema{Name: "LpPool", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
			Attrs: attrs, Infer: inferPool, Doc: "N-D Lp-norm pooling"}
	})
	for _, op := range []string{"GlobalAveragePool", "GlobalMaxPool"} {
		registerVersions([]int64{1, 22}, func(int64) *Schema {
			return &Schema{Name: op, MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
				Infer: inferGlobalPool, Doc: "pooling over all spatial dims"}
		})
	}
	registerVersions([]int64{1, 2, 22}, func(v int64) *Schema {
		p := nnA("p", ir.AttrInt, int64(2))
		if v == 1 {
			p = nnA("p", ir.AttrFloat, float32(2))
		}
		return &Schema{Name: "GlobalLpPool", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
			Attrs: []AttrDef{p}, Infer: inferGlobalPool, Doc: "Lp-norm pooling over all spatial dims"}
	})
	registerVersions([]int64{1, 6, 7, 9, 14, 15}, func(v int64) *Schema {
		var attrs []AttrDef
		maxOut := 5
		switch {
		case v == 1:
			attrs = []AttrDef{nnConsumed, nnEpsilon, nnA("is_test", ir.AttrInt, int64(0)), nnMomentum, nnA("spatial", ir.AttrInt, int64(1))}
		case v == 6:
			attrs = []AttrDef{nnEpsilon, nnA("is_test", ir.AttrInt, int64(0)), nnMomentum, nnA("spatial", ir.AttrInt, int64(1))}
		case v == 7:
			attrs = []AttrDef{nnEpsilon, nnMomentum, nnA("spatial", ir.AttrInt, int64(1))}
		case v == 9:
			attrs = []AttrDef{nnEpsilon, nnMomentum}
		default:
			attrs = []AttrDef{nnEpsilon, nnMomentum, nnA("training_mode", ir.AttrInt, int64(0))}
			maxOut = 3
		}
		return &Schema{Name: "BatchNormalization", MinInputs: 5, MaxInputs: 5, MinOutputs: 1, MaxOutputs: maxOut,
			Attrs: attrs, Infer: inferBatchNorm, Doc: "batch normalisation (inference, and training mode since 14)"}
	})
	registerVersions([]int64{1, 6, 22}, func(v int64) *Schema {
		attrs := []AttrDef{nnEpsilon}
		if v == 1 {
			attrs = append(attrs, nnConsumed)
		}
		return &Schema{Name: "InstanceNormalization", MinInputs: 3, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
			Attrs: attrs, Infer: inferInstanceNorm, Doc: "per-instance, per-channel normalisation"}
	})
	registerVersions([]int64{1, 13}, func(int64) *Schema {
		return &Schema{Name: "LRN", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
			Attrs: []AttrDef{nnA("alpha", ir.AttrFloat, float32(1e-4)), nnA("beta", ir.AttrFloat, float32(0.75)),
				nnA("bias", ir.AttrFloat, float32(1)), {Name: "size", Type: ir.AttrInt, Required: true}},
			Infer: inferLRN, Doc: "local response normalisation across channels"}
	})
	registerVersions([]int64{1, 22}, func(int64) *Schema {
		return &Schema{Name: "LpNormalization", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
			Attrs: []AttrDef{nnA("axis", ir.AttrInt, int64(-1)), nnA("p", ir.AttrInt, int64(2))},
			Infer: inferLpNorm, Doc: "L1 or L2 normalisation along an axis"}
	})
	registerVersions([]int64{1, 6, 7, 9, 11, 13}, func(v int64) *Schema {
		attrs := []AttrDef{nnA("alpha", ir.AttrFloat, float32(1)), nnA("beta", ir.AttrFloat, float32(1)),
			nnA("transA", ir.AttrInt, int64(0)), nnA("transB", ir.AttrInt, int64(0))}
		if v < 7 {
			attrs = append(attrs, nnA("broadcast", ir.AttrInt, int64(0)))
		}
		minIn := 3
		if v >= 11 {
			minIn = 2
		}
		return &Schema{Name: "Gemm", MinInputs: minIn, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
			Attrs: attrs, Infer: inferGemm, Doc: "Y = alpha * A' * B' + beta * C"}
	})
	registerVersions([]int64{1, 9, 13}, func(int64) *Schema {
		return &Schema{Name: "MatMul", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
			Infer: inferMatMul, Doc: "numpy.matmul: batched matrix product with broadcasting"}
	})
}
