package ops

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// Resize (opsets 10, 11, 13, 18, 19) and its deprecated predecessor
// Upsample (7, 9). Both compute every output element from a neighbourhood
// of input elements found by mapping output coordinates back to input
// coordinates, one axis at a time. Upsample and Resize-10 map with
// x / scale ("asymmetric") and, for nearest, truncate (Resize-10 rounds up
// when it shrinks an axis, as onnxruntime does).

// Nearest modes. ResizeNearestSimple is the internal mode of Upsample and
// Resize-10.
const (
	ResizeNearestRoundPreferFloor = "round_prefer_floor"
	ResizeNearestRoundPreferCeil  = "round_prefer_ceil"
	ResizeNearestFloor            = "floor"
	ResizeNearestCeil             = "ceil"
	ResizeNearestSimple           = "simple"
)

// ResizeAttrs is a Resize or Upsample node's parsed and checked attributes,
// with where to find its inputs. Inputs absent from a version have index -1.
type ResizeAttrs struct {
	Mode           string // "nearest", "linear" or "cubic"
	CoordMode      string // coordinate_transformation_mode
	NearestMode    string
	CubicCoeffA    float64
	ExcludeOutside bool
	Extrapolation  float64
	Antialias      bool
	Axes           []int64 // opset 18+: the axes roi, scales and sizes refer to; nil: all
	KeepAspect     string  // "stretch", "not_larger" or "not_smaller"
	Upsample       bool    // Upsample: scales must be >= 1
	ScalesAttr     []float32

	RoiIn, ScalesIn, SizesIn int
}

// ResizeGeometry is what a Resize computes from its input shape, roi,
// scales and sizes: per input axis, the output size, the scale used to map
// coordinates, and the region of interest (start, end) in normalised input
// coordinates (0 and 1 unless tf_crop_and_resize has a roi).
type ResizeGeometry struct {
	Out      []int
	Scale    []float64
	RoiStart []float64
	RoiEnd   []float64
}

var rszModes = map[string]bool{"nearest": true, "linear": true, "cubic": true}

var rszCoordModes = map[string]int64{ // mode -> first opset
	"half_pixel": 11, "asymmetric": 11, "align_corners": 11, "pytorch_half_pixel": 11,
	"tf_crop_and_resize": 11, "tf_half_pixel_for_nn": 11, "half_pixel_symmetric": 19,
}

var rszNearestModes = map[string]bool{
	ResizeNearestRoundPreferFloor: true, ResizeNearestRoundPreferCeil: true,
	ResizeNearestFloor: true, ResizeNearestCeil: true,
}

// ParseResizeAttrs reads and checks the attributes of a Resize or Upsample
// node.
func ParseResizeAttrs(n *Node) (*ResizeAttrs, error) {
	a := &ResizeAttrs{
		Mode: n.AttrString("mode"), CoordMode: "asymmetric", NearestMode: ResizeNearestSimple,
		CubicCoeffA: -0.75, KeepAspect: "stretch",
		RoiIn: -1, ScalesIn: -1, SizesIn: -1,
	}
	switch {
	case n.OpType == "Upsample":
		a.Upsample = true
		if n.Schema.Attr("scales") != nil {
			a.ScalesAttr = n.AttrFloats("scales")
		} else {
			a.ScalesIn = 1
		}
	case n.Schema.Since == 10:
		a.ScalesIn = 1
	default:
		a.RoiIn, a.ScalesIn, a.SizesIn = 1, 2, 3
		a.CoordMode = n.AttrString("coordinate_transformation_mode")
		a.NearestMode = n.AttrString("nearest_mode")
		a.CubicCoeffA = float64(n.AttrFloat("cubic_coeff_a"))
		a.ExcludeOutside = n.AttrInt("exclude_outside") != 0
		a.Extrapolation = float64(n.AttrFloat("extrapolation_value"))
		if since, ok := rszCoordModes[a.CoordMode]; !ok || since > n.Opset {
			return nil, Errorf("unknown coordinate_transformation_mode %q", a.CoordMode)
		}
		if !rszNearestModes[a.NearestMode] {
			return nil, Errorf("unknown nearest_mode %q", a.NearestMode)
		}
	}
	if n.Schema.Attr("antialias") != nil {
		a.Antialias = n.AttrInt("antialias") != 0
		a.Axes = n.AttrInts("axes")
		a.KeepAspect = n.AttrString("keep_aspect_ratio_policy")
		switch a.KeepAspect {
		case "stretch", "not_larger", "not_smaller":
		default:
			return nil, Errorf("unknown keep_aspect_ratio_policy %q", a.KeepAspect)
		}
	}
	// Upsample and Resize-10 take "bilinear" too, as onnxruntime does.
	if a.Mode == "bilinear" && a.RoiIn < 0 {
		a.Mode = "linear"
	}
	if !rszModes[a.Mode] || (a.Mode == "cubic" && a.RoiIn < 0) {
		return nil, Errorf("unknown mode %q", a.Mode)
	}
	return a, nil
}

// rszPresent reports whether input i of n is given with a non-empty value
// or a shape that is not known to be empty.
func rszPresent(n *Node, i int) bool {
	if i < 0 || !n.HasIn(i) || i >= len(n.In) || n.In[i].Absent {
		return false
	}
	if v := n.In[i].Value; v != nil {
		return v.Len() > 0
	}
	s := n.In[i].Shape
	return !(len(s) == 1 && s[0].Known() && s[0].Value == 0)
}

// rszInput returns input i of the inputs if it is given and not empty.
func rszInput(in []*tensor.Tensor, i int) *tensor.Tensor {
	if i < 0 || i >= len(in) || in[i] == nil || in[i].Len() == 0 {
		return nil
	}
	return in[i]
}

// axesFor normalises the Axes attribute for rank (all axes when unset).
func (a *ResizeAttrs) axesFor(rank int) ([]int, error) {
	if a.Axes == nil {
		ax := make([]int, rank)
		for i := range ax {
			ax[i] = i
		}
		return ax, nil
	}
	seen := make([]bool, rank)
	ax := make([]int, len(a.Axes))
	for i, v := range a.Axes {
		x, err := NormAxis(v, rank)
		if err != nil {
			return nil, err
		}
		if seen[x] {
			return nil, Errorf("axis %d repeated in axes %v", v, a.Axes)
		}
		seen[x] = true
		ax[i] = x
	}
	return ax, nil
}

// rszMaxDim bounds an output dim computed from a scale before it is
// converted to int.
const rszMaxDim = float64(tensor.MaxElements)

// Geometry computes the output shape, scales and roi of a resize of an
// input of shape in. inputs are the node's inputs (the X slot is not read);
// empty roi, scales or sizes tensors count as absent.
func (a *ResizeAttrs) Geometry(in []int, inputs []*tensor.Tensor) (*ResizeGeometry, error) {
	rank := len(in)
	axes, err := a.axesFor(rank)
	if err != nil {
		return nil, err
	}
	g := &ResizeGeometry{Out: append([]int(nil), in...), Scale: make([]float64, rank),
		RoiStart: make([]float64, rank), RoiEnd: make([]float64, rank)}
	for i := range g.Scale {
		g.Scale[i], g.RoiEnd[i] = 1, 1
	}
	scalesT, sizesT := rszInput(inputs, a.ScalesIn), rszInput(inputs, a.SizesIn)
	var scales []float32
	switch {
	case scalesT != nil && sizesT != nil:
		return nil, Errorf("Resize: both scales and sizes are given; exactly one is allowed")
	case a.ScalesAttr != nil:
		scales = a.ScalesAttr
	case scalesT != nil:
		if scalesT.DType() != tensor.Float32 || scalesT.Rank() != 1 {
			return nil, Errorf("Resize: scales must be a 1-D float32 tensor, got %v", scalesT)
		}
		scales = tensor.Data[float32](scalesT)
	case sizesT == nil:
		return nil, Errorf("Resize: neither scales nor sizes is given")
	}
	if a.CoordMode == "tf_crop_and_resize" {
		if roi := rszInput(inputs, a.RoiIn); roi != nil {
			r, err := roi.Float64s()
			if err != nil || !roi.DType().IsFloat() || len(r) != 2*len(axes) {
				return nil, Errorf("Resize: roi must hold 2*%d floats, got %v", len(axes), roi)
			}
			for i, ax := range axes {
				g.RoiStart[ax], g.RoiEnd[ax] = r[i], r[len(axes)+i]
			}
		}
	}
	if scales != nil {
		if len(scales) != len(axes) {
			return nil, Errorf("Resize: %d scales for %d axes", len(scales), len(axes))
		}
		for i, ax := range axes {
			s := scales[i]
			if !(s > 0) || math.IsInf(float64(s), 0) || (a.Upsample && s < 1) {
				return nil, Errorf("Resize: invalid scale %v for axis %d", s, ax)
			}
			// float32 arithmetic, as ONNX's shape inference and onnxruntime do.
			d := math.Floor(float64(float32(in[ax]) * s))
			if d > rszMaxDim {
				return nil, fmt.Errorf("%w: Resize output dim %v too large", ErrShapeMismatch, d)
			}
			g.Out[ax], g.Scale[ax] = int(d), float64(s)
		}
		return g, nil
	}
	if sizesT.DType() != tensor.Int64 || sizesT.Rank() != 1 {
		return nil, Errorf("Resize: sizes must be a 1-D int64 tensor, got %v", sizesT)
	}
	sizes := tensor.Data[int64](sizesT)
	if len(sizes) != len(axes) {
		return nil, Errorf("Resize: %d sizes for %d axes", len(sizes), len(axes))
	}
	for i, ax := range axes {
		if sizes[i] < 0 || sizes[i] > tensor.MaxElements {
			return nil, Errorf("Resize: invalid size %d for axis %d", sizes[i], ax)
		}
	}
	if a.KeepAspect == "stretch" {
		for i, ax := range axes {
			g.Out[ax] = int(sizes[i])
			if in[ax] > 0 {
				g.Scale[ax] = float64(sizes[i]) / float64(in[ax])
			}
		}
		return g, nil
	}
	scale := math.Inf(1)
	if a.KeepAspect == "not_smaller" {
		scale = math.Inf(-1)
	}
	for i, ax := range axes {
		if in[ax] == 0 {
			return nil, Errorf("Resize: keep_aspect_ratio_policy on an empty axis %d", ax)
		}
		s := float64(sizes[i]) / float64(in[ax])
		if a.KeepAspect == "not_larger" {
			scale = min(scale, s)
		} else {
			scale = max(scale, s)
		}
	}
	for _, ax := range axes {
		d := math.Floor(scale*float64(in[ax]) + 0.5)
		if d > rszMaxDim {
			return nil, fmt.Errorf("%w: Resize output dim %v too large", ErrShapeMismatch, d)
		}
		g.Out[ax], g.Scale[ax] = int(d), scale
	}
	return g, nil
}

func init() {
	common := []AttrDef{
		{Name: "coordinate_transformation_mode", Type: ir.AttrString, Default: "half_pixel"},
		{Name: "cubic_coeff_a", Type: ir.AttrFloat, Default: float32(-0.75)},
		{Name: "exclude_outside", Type: ir.AttrInt, Default: int64(0)},
		{Name: "extrapolation_value", Type: ir.AttrFloat, Default: float32(0)},
		{Name: "mode", Type: ir.AttrString, Default: "nearest"},
		{Name: "nearest_mode", Type: ir.AttrString, Default: ResizeNearestRoundPreferFloor},
	}
	v18 := append(append([]AttrDef(nil), common...),
		AttrDef{Name: "antialias", Type: ir.AttrInt, Default: int64(0)},
		AttrDef{Name: "axes", Type: ir.AttrInts},
		AttrDef{Name: "keep_aspect_ratio_policy", Type: ir.AttrString, Default: "stretch"})
	modeOnly := []AttrDef{{Name: "mode", Type: ir.AttrString, Default: "nearest"}}
	for _, s := range []*Schema{
		{Name: "Resize", Since: 10, Until: 10, MinInputs: 2, MaxInputs: 2, Attrs: modeOnly},
		{Name: "Resize", Since: 11, Until: 12, MinInputs: 3, MaxInputs: 4, Attrs: common},
		{Name: "Resize", Since: 13, Until: 17, MinInputs: 1, MaxInputs: 4, Attrs: common},
		{Name: "Resize", Since: 18, Until: 18, MinInputs: 1, MaxInputs: 4, Attrs: v18},
		{Name: "Resize", Since: 19, MinInputs: 1, MaxInputs: 4, Attrs: v18},
		{Name: "Upsample", Since: 7, Until: 8, MinInputs: 1, MaxInputs: 1,
			Attrs: append(modeOnly, AttrDef{Name: "scales", Type: ir.AttrFloats, Required: true})},
		{Name: "Upsample", Since: 9, Until: 9, MinInputs: 2, MaxInputs: 2, Attrs: modeOnly},
	} {
		s.MinOutputs, s.MaxOutputs = 1, 1
		s.Infer = rszInfer
		s.Doc = s.Name + " resizes a tensor by nearest, linear or cubic interpolation."
		RegisterSchema(s)
	}
}

func rszInfer(n *Node) ([]TypeShape, error) {
	a, err := ParseResizeAttrs(n)
	if err != nil {
		return nil, err
	}
	x := n.In[0]
	if !x.DType.Supported() {
		return nil, Errorf("unsupported input type %v", x.DType)
	}
	if a.Mode != "nearest" && !(x.DType.IsFloat() || x.DType.IsInt()) {
		return nil, Errorf("%s interpolation of %v", a.Mode, x.DType)
	}
	hasScales := a.ScalesAttr != nil || rszPresent(n, a.ScalesIn)
	hasSizes := rszPresent(n, a.SizesIn)
	if hasScales && hasSizes {
		return nil, Errorf("both scales and sizes are given; exactly one is allowed")
	}
	if !hasScales && !hasSizes {
		return nil, Errorf("neither scales nor sizes is given")
	}
	if x.Shape == nil {
		return []TypeShape{Unranked(x.DType)}, nil
	}
	rank := len(x.Shape)
	axes, err := a.axesFor(rank)
	if err != nil {
		return nil, err
	}
	out := append(ir.Shape(nil), x.Shape...)
	if dims, ok := x.Shape.Ints(); ok {
		inputs := make([]*tensor.Tensor, len(n.In))
		known := true
		for i := 1; i < len(n.In); i++ {
			if !n.HasIn(i) || n.In[i].Absent {
				continue
			}
			inputs[i] = n.In[i].Value
			if inputs[i] == nil && (i == a.ScalesIn || i == a.SizesIn) {
				known = false
			}
		}
		if known {
			g, err := a.Geometry(dims, inputs)
			if err != nil {
				return nil, err
			}
			return []TypeShape{Of(x.DType, g.Out...)}, nil
		}
	}
	// Partly known: axes whose scale is known to be 1, or whose size is
	// known under "stretch", are still known.
	for _, ax := range axes {
		out[ax] = ir.UnknownDim
	}
	switch {
	case hasScales:
		scales := a.ScalesAttr
		if scales == nil {
			if v := n.InValue(a.ScalesIn); v != nil && v.DType() == tensor.Float32 {
				scales = tensor.Data[float32](v)
			}
		}
		if len(scales) == len(axes) {
			for i, ax := range axes {
				switch d := x.Shape[ax]; {
				case scales[i] == 1:
					out[ax] = d
				case d.Known() && scales[i] > 0:
					if f := math.Floor(float64(float32(d.Value) * scales[i])); f <= rszMaxDim {
						out[ax] = ir.DimOf(int64(f))
					}
				}
			}
		}
	case a.KeepAspect == "stretch":
		if v := n.InValue(a.SizesIn); v != nil && v.DType() == tensor.Int64 {
			if s := tensor.Data[int64](v); len(s) == len(axes) {
				for i, ax := range axes {
					if s[i] >= 0 {
						out[ax] = ir.DimOf(s[i])
					}
				}
			}
		}
	}
	return []TypeShape{Ranked(x.DType, out)}, nil
}
