package generic

// Resize and Upsample. Every resized axis gets a table, built once per call:
// for each output coordinate, the input coordinate it maps to (per
// coordinate_transformation_mode), turned into taps, i.e. input indices and
// weights (one tap for nearest, two for linear, four for cubic, more when
// antialiasing stretches the filter), or an "extrapolate" mark for
// tf_crop_and_resize outside the input. Nearest is then a gather through the
// tables, for any element type. Linear and cubic are separable: they run one
// pass per resized axis (shrinking axes first), each a weighted sum of input
// rows, computing in float32 (float64 for float64 and integer inputs).
// Out-of-range taps read the edge element (or get weight 0 with
// exclude_outside, the others being renormalised), as the ONNX reference
// implementation does.

import (
	"math"
	"sort"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("Resize", rszFactory)
	register("Upsample", rszFactory)
}

// rszAxis is the resampling table of one axis.
type rszAxis struct {
	in, out, taps int
	idx           []int     // out*taps input indices
	w             []float64 // out*taps weights; nil for nearest
	ext           []bool    // output j is the extrapolation value; nil if none is
	identity      bool      // output j is input j, for every j
}

// rszRunner resizes x into y with the given per-axis tables.
type rszRunner func(x, y *tensor.Tensor, tabs []rszAxis)

type rszKernel struct {
	a   *ops.ResizeAttrs
	dt  tensor.DType
	run rszRunner
}

func rszFactory(n *ops.Node) (ops.Kernel, error) {
	a, err := ops.ParseResizeAttrs(n)
	if err != nil {
		return nil, err
	}
	dt := n.In[0].DType
	k := &rszKernel{a: a, dt: dt}
	if a.Mode == "nearest" {
		k.run = rszNearestFor(dt, a.Extrapolation)
	} else {
		k.run = rszInterpFor(dt, a.Extrapolation)
	}
	if k.run == nil {
		return nil, nil
	}
	return k, nil
}

// Run resizes in[0].
func (k *rszKernel) Run(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	x := in[0]
	g, err := k.a.Geometry(x.Shape(), in)
	if err != nil {
		return err
	}
	for ax, d := range x.Shape() {
		if d == 0 && g.Out[ax] > 0 {
			return ops.Errorf("Resize: cannot resize empty axis %d to %d", ax, g.Out[ax])
		}
	}
	y, err := redOutput(out, 0, k.dt, g.Out)
	if err != nil {
		return err
	}
	if y.Len() == 0 {
		return nil
	}
	tabs := make([]rszAxis, x.Rank())
	for ax := range tabs {
		tabs[ax] = rszTable(k.a, x.Shape()[ax], g, ax)
	}
	k.run(x, y, tabs)
	return nil
}

// rszCoord maps output coordinate xr of an axis of length in resized to
// out with scale, to an input coordinate. As in the spec and the ONNX
// reference implementation, the resized length is the fractional
// scale*in for align_corners, pytorch_half_pixel and half_pixel_symmetric
// (it is the integer out when sizes are given), and the integer out for
// tf_crop_and_resize.
func rszCoord(mode string, xr float64, in, out int, scale, roiStart, roiEnd float64) float64 {
	fin, fout := float64(in), scale*float64(in)
	switch mode {
	case "half_pixel":
		return (xr+0.5)/scale - 0.5
	case "half_pixel_symmetric":
		adj := float64(out) / fout
		center := fin / 2
		return center*(1-adj) + (xr+0.5)/scale - 0.5
	case "pytorch_half_pixel":
		if fout > 1 {
			return (xr+0.5)/scale - 0.5
		}
		return 0
	case "align_corners":
		if fout != 1 {
			return xr * (fin - 1) / (fout - 1)
		}
		return 0
	case "tf_half_pixel_for_nn":
		return (xr + 0.5) / scale
	case "tf_crop_and_resize":
		if out > 1 {
			return roiStart*(fin-1) + xr*(roiEnd-roiStart)*(fin-1)/float64(out-1)
		}
		return 0.5 * (roiStart + roiEnd) * (fin - 1)
	}
	return xr / scale // asymmetric
}

// rszNearest rounds an input coordinate to an index per nearest_mode.
func rszNearest(mode string, x, scale float64) float64 {
	switch mode {
	case ops.ResizeNearestRoundPreferFloor:
		if f := math.Floor(x); x == f+0.5 {
			return f
		}
		return math.Round(x)
	case ops.ResizeNearestRoundPreferCeil:
		if f := math.Floor(x); x == f+0.5 {
			return f + 1
		}
		return math.Round(x)
	case ops.ResizeNearestFloor:
		return math.Floor(x)
	case ops.ResizeNearestCeil:
		return math.Ceil(x)
	}
	// ops.ResizeNearestSimple (Upsample, Resize-10).
	if scale < 1 {
		return math.Ceil(x)
	}
	return math.Floor(x)
}

// rszCubic is the cubic convolution kernel with coefficient a at distance d.
func rszCubic(d, a float64) float64 {
	d = math.Abs(d)
	switch {
	case d <= 1:
		return ((a+2)*d-(a+3))*d*d + 1
	case d < 2:
		return ((a*d-5*a)*d+8*a)*d - 4*a
	}
	return 0
}

// rszTable builds the table of axis ax (of input length in).
func rszTable(a *ops.ResizeAttrs, in int, g *ops.ResizeGeometry, ax int) rszAxis {
	out, scale := g.Out[ax], g.Scale[ax]
	t := rszAxis{in: in, out: out, taps: 1}
	crop := a.CoordMode == "tf_crop_and_resize"
	clampIdx := func(p int) int { return min(max(p, 0), in-1) }
	var radius, s float64 // filter support and its stretch
	switch a.Mode {
	case "linear":
		radius = 1
	case "cubic":
		radius = 2
	}
	if a.Mode != "nearest" {
		s = 1
		if a.Antialias && scale < 1 {
			s = scale
		}
		t.taps = 2 * int(math.Ceil(radius/s))
		t.w = make([]float64, out*t.taps)
	}
	t.idx = make([]int, out*t.taps)
	for j := range out {
		xo := rszCoord(a.CoordMode, float64(j), in, out, scale, g.RoiStart[ax], g.RoiEnd[ax])
		if crop && (xo < 0 || xo > float64(in-1)) {
			if t.ext == nil {
				t.ext = make([]bool, out)
			}
			t.ext[j] = true
			continue
		}
		if a.Mode == "nearest" {
			r := rszNearest(a.NearestMode, xo, scale)
			t.idx[j] = int(min(max(r, 0), float64(in-1)))
			continue
		}
		start := int(math.Floor(xo)) - t.taps/2 + 1
		idx, w := t.idx[j*t.taps:(j+1)*t.taps], t.w[j*t.taps:(j+1)*t.taps]
		var sum float64
		for i := range idx {
			p := start + i
			d := (float64(p) - xo) * s
			if a.Mode == "linear" {
				w[i] = max(0, 1-math.Abs(d))
			} else {
				w[i] = rszCubic(d, a.CubicCoeffA)
			}
			if (p < 0 || p >= in) && a.ExcludeOutside {
				w[i] = 0
			}
			idx[i] = clampIdx(p)
			sum += w[i]
		}
		if (a.Antialias || a.ExcludeOutside) && sum != 0 {
			for i := range w {
				w[i] /= sum
			}
		}
	}
	t.identity = in == out && t.ext == nil
	for j := 0; j < out && t.identity; j++ {
		for i := range t.taps {
			p := j*t.taps + i
			if t.w == nil {
				t.identity = t.idx[p] == j
			} else if w := t.w[p]; (t.idx[p] == j && w != 1) || (t.idx[p] != j && w != 0) {
				t.identity = false
			}
		}
	}
	return t
}

// rszNearestFor returns the nearest-neighbour runner for dt.
func rszNearestFor(dt tensor.DType, ev float64) rszRunner {
	switch dt {
	case tensor.Float32:
		return rszNearestTyped(float32(ev))
	case tensor.Float64:
		return rszNearestTyped(ev)
	case tensor.Float16:
		return rszNearestTyped(tensor.NewF16(float32(ev)))
	case tensor.BFloat16:
		return rszNearestTyped(tensor.NewBF16(float32(ev)))
	case tensor.Int8:
		return rszNearestTyped(int8(ev))
	case tensor.Int16:
		return rszNearestTyped(int16(ev))
	case tensor.Int32:
		return rszNearestTyped(int32(ev))
	case tensor.Int64:
		return rszNearestTyped(int64(ev))
	case tensor.Uint8:
		return rszNearestTyped(uint8(ev))
	case tensor.Uint16:
		return rszNearestTyped(uint16(ev))
	case tensor.Uint32:
		return rszNearestTyped(uint32(ev))
	case tensor.Uint64:
		return rszNearestTyped(uint64(ev))
	case tensor.Bool:
		return rszNearestTyped(ev != 0)
	case tensor.String:
		return rszNearestTyped("")
	case tensor.Complex64:
		return rszNearestTyped(complex64(complex(ev, 0)))
	case tensor.Complex128:
		return rszNearestTyped(complex(ev, 0))
	}
	return nil
}

func rszNearestTyped[E tensor.Elem](ev E) rszRunner {
	return func(x, y *tensor.Tensor, tabs []rszAxis) {
		xs, ys := tensor.Data[E](x), tensor.Data[E](y)
		if len(tabs) == 0 {
			ys[0] = xs[0]
			return
		}
		block := make([]int, len(tabs)) // output elements per step of each axis
		block[len(tabs)-1] = 1
		for d := len(tabs) - 2; d >= 0; d-- {
			block[d] = block[d+1] * tabs[d+1].out
		}
		rszGather(0, 0, 0, xs, ys, tensor.Strides(x.Shape()), block, tabs, ev)
	}
}

// rszGather fills the output block of axis d starting at pos from the
// input block at base, and returns the position after it.
func rszGather[E tensor.Elem](d, base, pos int, x, y []E, strides, block []int, tabs []rszAxis, ev E) int {
	t := &tabs[d]
	if d == len(tabs)-1 {
		row, st := y[pos:pos+t.out], strides[d]
		for j, i := range t.idx {
			if t.ext != nil && t.ext[j] {
				row[j] = ev
			} else {
				row[j] = x[base+i*st]
			}
		}
		return pos + t.out
	}
	for j := range t.out {
		if t.ext != nil && t.ext[j] {
			for i := range block[d] {
				y[pos+i] = ev
			}
			pos += block[d]
			continue
		}
		pos = rszGather(d+1, base+t.idx[j]*strides[d], pos, x, y, strides, block, tabs, ev)
	}
	return pos
}

// rszInterpFor returns the linear/cubic runner for dt, or nil.
func rszInterpFor(dt tensor.DType, ev float64) rszRunner {
	switch dt {
	case tensor.Float32:
		return func(x, y *tensor.Tensor, tabs []rszAxis) {
			rszPasses(tensor.Data[float32](x), x.Shape(), tabs, float32(ev), tensor.Data[float32](y))
		}
	case tensor.Float64:
		return func(x, y *tensor.Tensor, tabs []rszAxis) {
			rszPasses(tensor.Data[float64](x), x.Shape(), tabs, ev, tensor.Data[float64](y))
		}
	case tensor.Float16:
		return rszInterpHalf[tensor.F16](float32(ev))
	case tensor.BFloat16:
		return rszInterpHalf[tensor.BF16](float32(ev))
	case tensor.Int8:
		return rszInterpInt[int8](ev)
	case tensor.Int16:
		return rszInterpInt[int16](ev)
	case tensor.Int32:
		return rszInterpInt[int32](ev)
	case tensor.Int64:
		return rszInterpInt[int64](ev)
	case tensor.Uint8:
		return rszInterpInt[uint8](ev)
	case tensor.Uint16:
		return rszInterpInt[uint16](ev)
	case tensor.Uint32:
		return rszInterpInt[uint32](ev)
	case tensor.Uint64:
		return rszInterpInt[uint64](ev)
	}
	return nil
}

func rszInterpHalf[H redHalf](ev float32) rszRunner {
	return func(x, y *tensor.Tensor, tabs []rszAxis) {
		redFromF32(tensor.Data[H](y), rszPasses(redToF32(tensor.Data[H](x)), x.Shape(), tabs, ev, nil))
	}
}

// rszInterpInt interpolates integers in float64, rounding the results to
// the nearest integer (halves away from zero) and saturating.
func rszInterpInt[T tensor.Numeric](ev float64) rszRunner {
	return func(x, y *tensor.Tensor, tabs []rszAxis) {
		xs := tensor.Data[T](x)
		xf := make([]float64, len(xs))
		for i, v := range xs {
			xf[i] = float64(v)
		}
		lo, hi := redLimits[T]()
		flo, fhi := float64(lo), float64(hi)
		ys := tensor.Data[T](y)
		for i, v := range rszPasses(xf, x.Shape(), tabs, ev, nil) {
			v = math.Round(v)
			switch {
			case v <= flo:
				ys[i] = lo
			case v >= fhi:
				ys[i] = hi
			default:
				ys[i] = T(v)
			}
		}
	}
}

// rszPasses resamples x (of shape) one non-identity axis at a time, the
// most shrinking first, and returns the result. The last pass writes into
// final when it is not nil (which then is the result); otherwise the
// result may be x itself, when no axis changes.
func rszPasses[C float32 | float64](x []C, shape []int, tabs []rszAxis, ev C, final []C) []C {
	var order []int
	for ax := range tabs {
		if !tabs[ax].identity {
			order = append(order, ax)
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := &tabs[order[i]], &tabs[order[j]]
		return a.out*b.in < b.out*a.in
	})
	cur := x
	curShape := append([]int(nil), shape...)
	if len(order) == 0 && final != nil {
		copy(final, x)
		return final
	}
	for pass, ax := range order {
		t := &tabs[ax]
		outer, inner := 1, 1
		for d, n := range curShape {
			switch {
			case d < ax:
				outer *= n
			case d > ax:
				inner *= n
			}
		}
		var next []C
		if pass == len(order)-1 && final != nil {
			next = final
		} else {
			next = make([]C, outer*t.out*inner)
		}
		w := make([]C, len(t.w))
		for i, v := range t.w {
			w[i] = C(v)
		}
		for o := range outer {
			src := cur[o*t.in*inner : (o+1)*t.in*inner]
			dst := next[o*t.out*inner : (o+1)*t.out*inner]
			if inner == 1 {
				rszDotRow(t, w, src, dst, ev)
			} else {
				rszAxpyRows(t, w, inner, src, dst, ev)
			}
		}
		cur = next
		curShape[ax] = t.out
	}
	return cur
}

// rszDotRow resamples one contiguous row: dst[j] = sum of w*src[idx].
func rszDotRow[C float32 | float64](t *rszAxis, w, src, dst []C, ev C) {
	n := t.taps
	for j := range dst {
		if t.ext != nil && t.ext[j] {
			dst[j] = ev
			continue
		}
		var acc C
		for tp, i := range t.idx[j*n : (j+1)*n] {
			acc += w[j*n+tp] * src[i]
		}
		dst[j] = acc
	}
}

// rszAxpyRows resamples rows of inner elements: dst row j is the weighted
// sum of the src rows idx.
func rszAxpyRows[C float32 | float64](t *rszAxis, w []C, inner int, src, dst []C, ev C) {
	n := t.taps
	for j := range t.out {
		d := dst[j*inner : (j+1)*inner]
		if t.ext != nil && t.ext[j] {
			for i := range d {
				d[i] = ev
			}
			continue
		}
		clear(d)
		for tp, r := range t.idx[j*n : (j+1)*n] {
			wt := w[j*n+tp]
			if wt == 0 {
				continue
			}
			for i, v := range src[r*inner : (r+1)*inner] {
				d[i] += wt * v
			}
		}
	}
}
