package ops

// Schemas of the vision ops: MaxUnpool, GridSample, RoiAlign and
// NonMaxSuppression, with the attribute parsing their kernels share
// (GridSampleParams, RoiAlignParams, MaxUnpoolShape).

import (
	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	registerVersions([]int64{9, 11, 22}, func(int64) *Schema {
		return &Schema{Name: "MaxUnpool", MinInputs: 2, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
			Attrs: []AttrDef{nnKernelShapeReq, nnPads, nnStrides},
			Infer: visInferMaxUnpool, Doc: "scatters pooled values back to the positions MaxPool's indices name"}
	})
	registerVersions([]int64{16, 20, 22}, func(v int64) *Schema {
		mode, doc := "linear", "samples X at the normalized positions of a grid (N-D; linear, nearest or cubic)"
		if v == 16 {
			mode, doc = "bilinear", "samples a 4-D X at the normalized positions of a grid (bilinear, nearest or bicubic)"
		}
		return &Schema{Name: "GridSample", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
			Attrs: []AttrDef{
				{Name: "align_corners", Type: ir.AttrInt, Default: int64(0)},
				{Name: "mode", Type: ir.AttrString, Default: mode},
				{Name: "padding_mode", Type: ir.AttrString, Default: "zeros"},
			},
			Infer: visInferGridSample, Doc: doc}
	})
	registerVersions([]int64{10, 16, 22}, func(v int64) *Schema {
		attrs := []AttrDef{
			{Name: "mode", Type: ir.AttrString, Default: "avg"},
			{Name: "output_height", Type: ir.AttrInt, Default: int64(1)},
			{Name: "output_width", Type: ir.AttrInt, Default: int64(1)},
			{Name: "sampling_ratio", Type: ir.AttrInt, Default: int64(0)},
			{Name: "spatial_scale", Type: ir.AttrFloat, Default: float32(1)},
		}
		if v >= 16 {
			attrs = append(attrs, AttrDef{Name: "coordinate_transformation_mode", Type: ir.AttrString, Default: "half_pixel"})
		}
		return &Schema{Name: "RoiAlign", MinInputs: 3, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
			Attrs: attrs, Infer: visInferRoiAlign, Doc: "bilinear RoI pooling of a feature map (Mask R-CNN)"}
	})
	registerVersions([]int64{10, 11}, func(int64) *Schema {
		return &Schema{Name: "NonMaxSuppression", MinInputs: 2, MaxInputs: 5, MinOutputs: 1, MaxOutputs: 1,
			Attrs: []AttrDef{{Name: "center_point_box", Type: ir.AttrInt, Default: int64(0)}},
			Infer: visInferNMS, Doc: "greedy per-class selection of high-scoring boxes that overlap little"}
	})
}

// visUnpoolWindow reads MaxUnpool's kernel_shape, strides and pads.
func visUnpoolWindow(n *Node) (*SpatialWindow, error) {
	kernel := n.AttrInts("kernel_shape")
	ks := make([]int, len(kernel))
	for i, k := range kernel {
		if k < 1 || k > nnMaxWindowValue {
			return nil, Errorf("kernel_shape %v: size %d out of range", kernel, k)
		}
		ks[i] = int(k)
	}
	return ParseSpatialWindow(n, ks)
}

// visUnpoolDim returns MaxUnpool's output size on spatial axis i for an
// input of size in: (in-1)*stride - pad_begin - pad_end + kernel.
func visUnpoolDim(w *SpatialWindow, i, in int) (int, error) {
	r := w.Rank()
	if in < 0 || in > tensor.MaxElements/w.Strides[i] {
		return 0, Errorf("MaxUnpool input size %d out of range on spatial axis %d", in, i)
	}
	d := (in-1)*w.Strides[i] - w.Pads[i] - w.Pads[i+r] + w.Kernel[i]
	if d < 0 {
		return 0, Errorf("pads %d+%d leave no output on spatial axis %d", w.Pads[i], w.Pads[i+r], i)
	}
	return d, nil
}

// visUnpoolGiven checks an output_shape value against the input's rank and
// returns it as ints.
func visUnpoolGiven(outShape []int64, rank int) ([]int, error) {
	if len(outShape) != rank {
		return nil, Errorf("output_shape %v has %d values, want %d", outShape, len(outShape), rank)
	}
	out := make([]int, rank)
	for i, v := range outShape {
		if v < 0 || v > tensor.MaxElements {
			return nil, Errorf("output_shape %v: dim %d out of range", outShape, v)
		}
		out[i] = int(v)
	}
	if _, err := tensor.NumElements(out); err != nil {
		return nil, Errorf("output_shape %v: %v", outShape, err)
	}
	return out, nil
}

// MaxUnpoolShape returns MaxUnpool's output shape for an input of shape xs:
// outShape when the node gives it (nil otherwise; it must keep xs's batch
// and channel dims), else the shape the attributes define, each spatial dim
// (in-1)*stride - pad_begin - pad_end + kernel.
func MaxUnpoolShape(n *Node, xs []int, outShape []int64) ([]int, error) {
	w, err := visUnpoolWindow(n)
	if err != nil {
		return nil, err
	}
	if len(xs) != w.Rank()+2 {
		return nil, Errorf("input has rank %d, want %d for kernel_shape %v", len(xs), w.Rank()+2, w.Kernel)
	}
	if outShape != nil {
		out, err := visUnpoolGiven(outShape, len(xs))
		if err != nil {
			return nil, err
		}
		if out[0] != xs[0] || out[1] != xs[1] {
			return nil, Errorf("output_shape %v does not keep the input's batch and channel dims %v", outShape, xs[:2])
		}
		return out, nil
	}
	out := append([]int(nil), xs...)
	for i := range w.Rank() {
		if out[i+2], err = visUnpoolDim(w, i, xs[i+2]); err != nil {
			return nil, err
		}
	}
	if _, err := tensor.NumElements(out); err != nil {
		return nil, Errorf("MaxUnpool output %v: %v", out, err)
	}
	return out, nil
}

func visInferMaxUnpool(n *Node) ([]TypeShape, error) {
	x, idx := n.In[0], n.In[1]
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return nil, err
	}
	if err := n.CheckDType(1, tensor.Int64); err != nil {
		return nil, err
	}
	w, err := visUnpoolWindow(n)
	if err != nil {
		return nil, err
	}
	rank := w.Rank() + 2
	for i, t := range []TypeShape{x, idx} {
		if r := t.Rank(); r >= 0 && r != rank {
			return nil, Errorf("input %d has rank %d, want %d for kernel_shape %v", i, r, rank, w.Kernel)
		}
	}
	out := shpUnknownDims(rank)
	if x.Rank() == rank {
		copy(out, x.Shape)
		if idx.Rank() == rank {
			for i := range rank {
				if out[i], err = shpMergeDim(x.Shape[i], idx.Shape[i]); err != nil {
					return nil, err
				}
			}
		}
	}
	if shpHasIn(n, 2) {
		if err := n.CheckDType(2, tensor.Int64); err != nil {
			return nil, err
		}
		for i := 2; i < rank; i++ {
			out[i] = ir.UnknownDim
		}
		if v, ok := n.InInts(2); ok {
			given, err := visUnpoolGiven(v, rank)
			if err != nil {
				return nil, err
			}
			for i, d := range given {
				if out[i], err = shpMergeDim(out[i], ir.DimOf(int64(d))); err != nil {
					return nil, Errorf("output_shape %v does not keep the input's batch and channel dims", v)
				}
			}
		}
		return []TypeShape{Ranked(x.DType, out)}, nil
	}
	for i := range w.Rank() {
		if d := out[i+2]; d.Known() {
			v, err := visUnpoolDim(w, i, int(d.Value))
			if err != nil {
				return nil, err
			}
			out[i+2] = ir.DimOf(int64(v))
		} else {
			out[i+2] = ir.UnknownDim
		}
	}
	if dims, ok := out.Ints(); ok {
		if _, err := tensor.NumElements(dims); err != nil {
			return nil, Errorf("MaxUnpool output %v: %v", dims, err)
		}
	}
	return []TypeShape{Ranked(x.DType, out)}, nil
}

// GridSample interpolation modes, as GridSampleParams normalizes them
// (opset 16's bilinear and bicubic are Linear and Cubic).
const (
	GridLinear  = "linear"
	GridNearest = "nearest"
	GridCubic   = "cubic"
)

// GridSampleParams are a GridSample node's attributes, checked.
type GridSampleParams struct {
	Mode         string // GridLinear, GridNearest or GridCubic
	Padding      string // "zeros", "border" or "reflection"
	AlignCorners bool
}

// GridSampleAttrs reads and checks a GridSample node's attributes: the mode
// names of its opset (bilinear/bicubic at 16, linear/cubic from 20).
func GridSampleAttrs(n *Node) (GridSampleParams, error) {
	var p GridSampleParams
	switch m := n.AttrString("mode"); {
	case m == "nearest":
		p.Mode = GridNearest
	case (m == "bilinear" && n.Opset < 20) || (m == "linear" && n.Opset >= 20):
		p.Mode = GridLinear
	case (m == "bicubic" && n.Opset < 20) || (m == "cubic" && n.Opset >= 20):
		p.Mode = GridCubic
	default:
		return p, Errorf("GridSample mode %q is not supported at opset %d", m, n.Opset)
	}
	switch p.Padding = n.AttrString("padding_mode"); p.Padding {
	case "zeros", "border", "reflection":
	default:
		return p, Errorf("GridSample padding_mode %q is not zeros, border or reflection", p.Padding)
	}
	switch a := n.AttrInt("align_corners"); a {
	case 0, 1:
		p.AlignCorners = a == 1
	default:
		return p, Errorf("align_corners = %d, want 0 or 1", a)
	}
	return p, nil
}

func visInferGridSample(n *Node) ([]TypeShape, error) {
	x, g := n.In[0], n.In[1]
	if err := n.CheckDType(0, shpAnyType...); err != nil {
		return nil, err
	}
	if err := n.CheckDType(1, nnFloatTypes...); err != nil {
		return nil, err
	}
	if _, err := GridSampleAttrs(n); err != nil {
		return nil, err
	}
	r := x.Rank()
	if r < 0 {
		r = g.Rank()
	}
	switch {
	case r < 0:
		return []TypeShape{Unranked(x.DType)}, nil
	case n.Opset < 20 && r != 4:
		return nil, Errorf("GridSample-16 needs 4-D X and grid, got rank %d", r)
	case r < 3:
		return nil, Errorf("GridSample needs X and grid of rank 3 or more, got rank %d", r)
	}
	if x.Rank() >= 0 && g.Rank() >= 0 && x.Rank() != g.Rank() {
		return nil, Errorf("X has rank %d and grid rank %d, want equal ranks", x.Rank(), g.Rank())
	}
	out := shpUnknownDims(r)
	if g.Rank() == r {
		last := g.Shape[r-1]
		if last.Known() && last.Value != int64(r-2) {
			return nil, Errorf("grid's last dim is %d, want %d (the number of spatial dims)", last.Value, r-2)
		}
		out[0] = g.Shape[0]
		copy(out[2:], g.Shape[1:r-1])
	}
	if x.Rank() == r {
		d, err := shpMergeDim(x.Shape[0], out[0])
		if err != nil {
			return nil, err
		}
		out[0], out[1] = d, x.Shape[1]
	}
	return []TypeShape{Ranked(x.DType, out)}, nil
}

// RoiAlignParams are a RoiAlign node's attributes, checked.
type RoiAlignParams struct {
	Max                 bool // mode "max" (else "avg")
	OutH, OutW          int
	SamplingRatio       int // 0: adaptive
	SpatialScale        float32
	HalfPixel           bool // coordinate_transformation_mode half_pixel (opset 16+ default)
	MinRoiOne           bool // output_half_pixel: RoIs are at least 1x1
	CoordinateTransform string
}

// RoiAlignAttrs reads and checks a RoiAlign node's attributes. Before
// opset 16 the node has no coordinate_transformation_mode and behaves as
// output_half_pixel.
func RoiAlignAttrs(n *Node) (RoiAlignParams, error) {
	var p RoiAlignParams
	switch m := n.AttrString("mode"); m {
	case "avg":
	case "max":
		p.Max = true
	default:
		return p, Errorf("RoiAlign mode %q is not avg or max", m)
	}
	oh, ow := n.AttrInt("output_height"), n.AttrInt("output_width")
	if oh < 1 || ow < 1 || oh > nnMaxWindowValue || ow > nnMaxWindowValue {
		return p, Errorf("output_height %d and output_width %d must be positive", oh, ow)
	}
	p.OutH, p.OutW = int(oh), int(ow)
	sr := n.AttrInt("sampling_ratio")
	if sr < 0 || sr > nnMaxWindowValue {
		return p, Errorf("sampling_ratio %d out of range", sr)
	}
	p.SamplingRatio = int(sr)
	p.SpatialScale = n.AttrFloat("spatial_scale")
	p.CoordinateTransform = "output_half_pixel"
	if n.Schema != nil && n.Schema.Attr("coordinate_transformation_mode") != nil {
		p.CoordinateTransform = n.AttrString("coordinate_transformation_mode")
	}
	switch p.CoordinateTransform {
	case "half_pixel":
		p.HalfPixel = true
	case "output_half_pixel":
		p.MinRoiOne = true
	default:
		return p, Errorf("coordinate_transformation_mode %q is not half_pixel or output_half_pixel", p.CoordinateTransform)
	}
	return p, nil
}

func visInferRoiAlign(n *Node) ([]TypeShape, error) {
	x, rois, bi := n.In[0], n.In[1], n.In[2]
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return nil, err
	}
	if rois.DType != x.DType {
		return nil, Errorf("rois are %v, want %v like X", rois.DType, x.DType)
	}
	if err := n.CheckDType(2, tensor.Int64); err != nil {
		return nil, err
	}
	p, err := RoiAlignAttrs(n)
	if err != nil {
		return nil, err
	}
	if r := x.Rank(); r >= 0 && r != 4 {
		return nil, Errorf("X has rank %d, want 4", r)
	}
	if r := rois.Rank(); r >= 0 && r != 2 {
		return nil, Errorf("rois have rank %d, want 2", r)
	}
	if r := bi.Rank(); r >= 0 && r != 1 {
		return nil, Errorf("batch_indices have rank %d, want 1", r)
	}
	out := ir.Shape{ir.UnknownDim, ir.UnknownDim, ir.DimOf(int64(p.OutH)), ir.DimOf(int64(p.OutW))}
	if rois.Rank() == 2 {
		if d := rois.Shape[1]; d.Known() && d.Value != 4 {
			return nil, Errorf("rois have %d coordinates each, want 4", d.Value)
		}
		out[0] = rois.Shape[0]
	}
	if bi.Rank() == 1 {
		if out[0], err = shpMergeDim(out[0], bi.Shape[0]); err != nil {
			return nil, err
		}
	}
	if x.Rank() == 4 {
		out[1] = x.Shape[1]
	}
	return []TypeShape{Ranked(x.DType, out)}, nil
}

func visInferNMS(n *Node) ([]TypeShape, error) {
	boxes, scores := n.In[0], n.In[1]
	if err := n.CheckDType(0, tensor.Float32); err != nil {
		return nil, err
	}
	if err := n.CheckDType(1, tensor.Float32); err != nil {
		return nil, err
	}
	if c := n.AttrInt("center_point_box"); c != 0 && c != 1 {
		return nil, Errorf("center_point_box = %d, want 0 or 1", c)
	}
	if shpHasIn(n, 2) {
		if err := n.CheckDType(2, tensor.Int64); err != nil {
			return nil, err
		}
	}
	for i := 3; i < 5; i++ {
		if shpHasIn(n, i) {
			if err := n.CheckDType(i, tensor.Float32); err != nil {
				return nil, err
			}
		}
	}
	if r := boxes.Rank(); r >= 0 && r != 3 {
		return nil, Errorf("boxes have rank %d, want 3", r)
	}
	if r := scores.Rank(); r >= 0 && r != 3 {
		return nil, Errorf("scores have rank %d, want 3", r)
	}
	if boxes.Rank() == 3 {
		if d := boxes.Shape[2]; d.Known() && d.Value != 4 {
			return nil, Errorf("boxes have %d coordinates each, want 4", d.Value)
		}
		if scores.Rank() == 3 {
			if _, err := shpMergeDim(boxes.Shape[0], scores.Shape[0]); err != nil {
				return nil, err
			}
			if _, err := shpMergeDim(boxes.Shape[1], scores.Shape[2]); err != nil {
				return nil, err
			}
		}
	}
	return []TypeShape{Ranked(tensor.Int64, ir.Shape{ir.UnknownDim, ir.DimOf(3)})}, nil
}
