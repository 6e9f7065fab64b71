package generic

// Kernels of the vision ops: MaxUnpool, GridSample, RoiAlign and
// NonMaxSuppression. Float16 and bfloat16 data go through float32
// (nnViaF32); GridSample, which also takes integer images, interpolates in
// float64 and casts the result back.

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("MaxUnpool", visNewMaxUnpool)
	register("GridSample", visNewGridSample)
	register("RoiAlign", visNewRoiAlign)
	register("NonMaxSuppression", visNewNMS)
}

func visNewMaxUnpool(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil || n.In[1].DType != tensor.Int64 {
		return nil, nil
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x, idx := in[0], in[1]
		if !tensor.SameShape(x.Shape(), idx.Shape()) {
			return fmt.Errorf("%w: MaxUnpool: X %v and indices %v differ", ops.ErrShapeMismatch, x.Shape(), idx.Shape())
		}
		var outShape []int64
		if len(in) > 2 && in[2] != nil {
			v, err := in[2].Int64s()
			if err != nil {
				return fmt.Errorf("%w: MaxUnpool output_shape: %w", ops.ErrInvalidNode, err)
			}
			outShape = v
		}
		// Indices are flat positions in the output the attributes define
		// (as MaxPool's are in its whole input). An output_shape only
		// changes the extent around them: each value keeps its coordinates,
		// which must lie inside the given shape.
		natural, err := ops.MaxUnpoolShape(n, x.Shape(), nil)
		if err != nil {
			return err
		}
		dims := natural
		if outShape != nil {
			if dims, err = ops.MaxUnpoolShape(n, x.Shape(), outShape); err != nil {
				return err
			}
		}
		y, err := shpOut(out, 0, dt, dims)
		if err != nil {
			return err
		}
		// Every position no index names is zero: the runtime's slot is
		// zeroed already, but a kernel must not rely on it being fresh.
		el.fill(y.Raw(), 0, y.Len(), el.zero())
		ids := tensor.Data[int64](idx)
		offs := make([]int, len(ids))
		total := int64(shpProd(natural))
		remap := !tensor.SameShape(natural, dims)
		for j, v := range ids {
			if v < 0 || v >= total {
				return fmt.Errorf("%w: MaxUnpool index %d out of range for an output of shape %v", ops.ErrInvalidNode, v, natural)
			}
			offs[j] = int(v)
			if remap {
				if offs[j], err = visRemapIndex(int(v), natural, dims); err != nil {
					return err
				}
			}
		}
		el.scatter(y.Raw(), x.Raw(), 0, offs, 1)
		return nil
	}), nil
}

// visRemapIndex maps flat position v in a tensor of shape from to the flat
// position of the same coordinates in a tensor of shape to, or returns an
// error when they fall outside it.
func visRemapIndex(v int, from, to []int) (int, error) {
	off, stride := 0, 1
	for a := len(from) - 1; a >= 0; a-- {
		c := v % from[a]
		v /= from[a]
		if c >= to[a] {
			return 0, fmt.Errorf("%w: MaxUnpool: a value at coordinate %d of axis %d does not fit output_shape %v", ops.ErrInvalidNode, c, a, to)
		}
		off += c * stride
		stride *= to[a]
	}
	return off, nil
}

// visReflect reflects coordinate v into [lo, hi] (given as twice their
// values, as the bounds are half-integers without align_corners), bouncing
// off both ends as often as needed.
func visReflect(v float64, twiceLo, twiceHi int) float64 {
	if twiceLo == twiceHi {
		return 0
	}
	lo, span := float64(twiceLo)/2, float64(twiceHi-twiceLo)/2
	v = math.Abs(v - lo)
	extra := math.Mod(v, span)
	if int64(math.Floor(v/span))%2 == 0 {
		return extra + lo
	}
	return span - extra + lo
}

// visGridGeom turns GridSample's normalized coordinates into input
// positions and applies the padding mode to positions.
type visGridGeom struct {
	ops.GridSampleParams
}

// unnormalize maps g in [-1, 1] to a position on an axis of the given size:
// the corner pixels' centers with align_corners, their outer edges without.
func (p visGridGeom) unnormalize(g float64, size int) float64 {
	if p.AlignCorners {
		return (g + 1) / 2 * float64(size-1)
	}
	return ((g+1)*float64(size) - 1) / 2
}

// pad maps position v on an axis of the given size by the padding mode:
// border clamps it into the axis, reflection reflects it off the axis'
// ends (its corner centers with align_corners, its edges without) and then
// clamps; zeros leaves it, to be read as 0 when outside.
func (p visGridGeom) pad(v float64, size int) float64 {
	switch p.Padding {
	case "border":
		return min(max(v, 0), float64(size-1))
	case "reflection":
		if p.AlignCorners {
			v = visReflect(v, 0, 2*(size-1))
		} else {
			v = visReflect(v, -1, 2*size-1)
		}
		return min(max(v, 0), float64(size-1))
	}
	return v
}

// visCubic returns the cubic convolution weights (A = -0.75) of the four
// taps at offsets -1, 0, 1, 2 from floor(position), for fraction t.
func visCubic(t float64) [4]float64 {
	const a = -0.75
	near := func(x float64) float64 { return ((a+2)*x-(a+3))*x*x + 1 }
	far := func(x float64) float64 { return ((a*x-5*a)*x+8*a)*x - 4*a }
	return [4]float64{far(t + 1), near(t), near(1 - t), far(2 - t)}
}

// visMaxGridTaps bounds the taps one GridSample output reads (nt^r for r
// spatial dims), so that a high-rank input cannot make a run allocate or
// loop without bound: cubic interpolation works up to 8 spatial dims,
// linear up to 16.
const visMaxGridTaps = 1 << 16

// tapsPerAxis returns how many input positions the mode reads per axis.
func (p visGridGeom) tapsPerAxis() int {
	switch p.Mode {
	case ops.GridLinear:
		return 2
	case ops.GridCubic:
		return 4
	}
	return 1
}

// visTaps computes, for one axis of the given size and one unnormalized
// position u, the input indices (-1: outside, reads 0) and weights of the
// taps the mode reads.
func (p visGridGeom) taps(u float64, size int, idx []int, w []float64) {
	at := func(v float64) int {
		if v != v || v < 0 || v > float64(size-1) {
			return -1
		}
		return int(v)
	}
	switch p.Mode {
	case ops.GridNearest:
		idx[0], w[0] = at(math.RoundToEven(p.pad(u, size))), 1
	case ops.GridLinear:
		u = p.pad(u, size)
		f := math.Floor(u)
		idx[0], w[0] = at(f), 1-(u-f)
		idx[1], w[1] = at(f+1), u-f
	case ops.GridCubic:
		f := math.Floor(u)
		cw := visCubic(u - f)
		for k := range 4 {
			// Each tap is padded as a position, as torch's bicubic does.
			idx[k], w[k] = at(p.pad(f+float64(k-1), size)), cw[k]
		}
	}
}

// visFromF64 returns the conversion of interpolated values into T: plain
// for floats, toward zero and saturating for integers (as Cast).
func visFromF64[T tensor.Numeric]() func(float64) T {
	var z T
	var f any
	switch any(z).(type) {
	case int8:
		f = elemF2Int[int8]
	case int16:
		f = elemF2Int[int16]
	case int32:
		f = elemF2Int[int32]
	case int64:
		f = elemF2Int[int64]
	case uint8:
		f = elemF2Int[uint8]
	case uint16:
		f = elemF2Int[uint16]
	case uint32:
		f = elemF2Int[uint32]
	case uint64:
		f = elemF2Int[uint64]
	default:
		return func(v float64) T { return T(v) }
	}
	return f.(func(float64) T)
}

// visGridSampleRun samples x (N, C, D1..Dr) at grid (N, O1..Or, r).
func visGridSampleRun[T tensor.Numeric, G float32 | float64](p visGridGeom) ops.KernelFunc {
	conv := visFromF64[T]()
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		x, grid := in[0], in[1]
		xs, gs := x.Shape(), grid.Shape()
		rank := len(xs)
		r := rank - 2
		if r < 1 || len(gs) != rank || gs[0] != xs[0] || gs[rank-1] != r {
			return fmt.Errorf("%w: GridSample: X %v and grid %v, want grid [N, O1..Or, r] for X [N, C, D1..Dr]", ops.ErrShapeMismatch, xs, gs)
		}
		ydims := append([]int{xs[0], xs[1]}, gs[1:rank-1]...)
		y, err := shpOut(out, 0, x.DType(), ydims)
		if err != nil {
			return err
		}
		nb, nc := xs[0], xs[1]
		inSize, outSize := shpProd(xs[2:]), shpProd(gs[1:rank-1])
		if y.Len() == 0 {
			return nil
		}
		xd, gd, yd := tensor.Data[T](x), tensor.Data[G](grid), tensor.Data[T](y)
		nt := p.tapsPerAxis()
		ntaps := 1
		for range r {
			if ntaps *= nt; ntaps > visMaxGridTaps {
				return fmt.Errorf("%w: GridSample: %s interpolation over %d spatial dims reads more than %d taps per output", ops.ErrInvalidNode, p.Mode, r, visMaxGridTaps)
			}
		}
		// Per axis: tap indices and weights; then the combined taps.
		idx, wt := make([]int, r*nt), make([]float64, r*nt)
		tapOff, tapW := make([]int, 0, ntaps), make([]float64, 0, ntaps)
		sstr := tensor.Strides(xs[2:])
		odo := make([]int, r)
		for b := range nb {
			if err := nnCtxErr(ec); err != nil {
				return err
			}
			for q := range outSize {
				g := gd[(b*outSize+q)*r:][:r]
				for a := range r {
					// The grid lists coordinates innermost axis first.
					size := xs[2+a]
					p.taps(p.unnormalize(float64(g[r-1-a]), size), size, idx[a*nt:(a+1)*nt], wt[a*nt:(a+1)*nt])
				}
				tapOff, tapW = tapOff[:0], tapW[:0]
				clear(odo)
				for {
					off, w := 0, 1.0
					for a, k := range odo {
						i := idx[a*nt+k]
						if i < 0 {
							w = 0
							break
						}
						off += i * sstr[a]
						w *= wt[a*nt+k]
					}
					if w != 0 {
						tapOff, tapW = append(tapOff, off), append(tapW, w)
					}
					a := r - 1
					for ; a >= 0; a-- {
						if odo[a]++; odo[a] < nt {
							break
						}
						odo[a] = 0
					}
					if a < 0 {
						break
					}
				}
				for c := range nc {
					src := xd[(b*nc+c)*inSize:][:inSize]
					var s float64
					for t, off := range tapOff {
						s += tapW[t] * float64(src[off])
					}
					yd[(b*nc+c)*outSize+q] = conv(s)
				}
			}
		}
		return nil
	}
}

// visGridSampleFor picks the GridSample kernel for image type T and the
// grid's type.
func visGridSampleFor[T tensor.Numeric](gdt tensor.DType, p visGridGeom) ops.KernelFunc {
	if gdt == tensor.Float64 {
		return visGridSampleRun[T, float64](p)
	}
	return visGridSampleRun[T, float32](p)
}

func visNewGridSample(n *ops.Node) (ops.Kernel, error) {
	attrs, err := ops.GridSampleAttrs(n)
	if err != nil {
		return nil, err
	}
	p := visGridGeom{attrs}
	gdt := n.In[1].DType
	if !gdt.IsFloat() {
		return nil, nil
	}
	if nnIsHalf(gdt) {
		gdt = tensor.Float32 // nnViaF32 widens it
	}
	var k ops.KernelFunc
	switch dt := n.In[0].DType; dt {
	case tensor.Float32, tensor.Float16, tensor.BFloat16:
		k = visGridSampleFor[float32](gdt, p)
	case tensor.Float64:
		k = visGridSampleFor[float64](gdt, p)
	case tensor.Int8:
		k = visGridSampleFor[int8](gdt, p)
	case tensor.Int16:
		k = visGridSampleFor[int16](gdt, p)
	case tensor.Int32:
		k = visGridSampleFor[int32](gdt, p)
	case tensor.Int64:
		k = visGridSampleFor[int64](gdt, p)
	case tensor.Uint8:
		k = visGridSampleFor[uint8](gdt, p)
	case tensor.Uint16:
		k = visGridSampleFor[uint16](gdt, p)
	case tensor.Uint32:
		k = visGridSampleFor[uint32](gdt, p)
	case tensor.Uint64:
		k = visGridSampleFor[uint64](gdt, p)
	default:
		return nil, nil
	}
	if nnIsHalf(n.In[0].DType) || nnIsHalf(n.In[1].DType) {
		return nnViaF32(k, []int{0}, nnOutTypes(n)), nil
	}
	return k, nil
}

// visMaxRoiSamples bounds RoiAlign's sampling grid per bin and axis (the
// sampling_ratio attribute, or the adaptive count a RoI's size gives), so
// that a huge RoI or ratio cannot make a run take unbounded time. A RoI
// 4096 bins tall still samples every pixel.
const visMaxRoiSamples = 1 << 12

// visRoiSample is one bilinear sample of a RoI bin: four flat offsets into
// an H x W plane and their weights (all zero outside the plane).
type visRoiSample struct {
	off [4]int
	w   [4]float64
}

// visRoiBilinear computes the sample at (y, x) of an h x w plane as
// RoiAlign defines it: positions more than one pixel outside read 0, others
// are clamped into the plane.
func visRoiBilinear(y, x float64, h, w int) visRoiSample {
	var s visRoiSample
	if y < -1 || y > float64(h) || x < -1 || x > float64(w) || y != y || x != x {
		return s
	}
	y, x = max(y, 0), max(x, 0)
	yl, xl := int(y), int(x)
	yh, xh := yl+1, xl+1
	if yl >= h-1 {
		yl, yh, y = h-1, h-1, float64(h-1)
	}
	if xl >= w-1 {
		xl, xh, x = w-1, w-1, float64(w-1)
	}
	ly, lx := y-float64(yl), x-float64(xl)
	hy, hx := 1-ly, 1-lx
	s.off = [4]int{yl*w + xl, yl*w + xh, yh*w + xl, yh*w + xh}
	s.w = [4]float64{hy * hx, hy * lx, ly * hx, ly * lx}
	return s
}

// visRoiGrid returns the number of samples per bin along one axis.
func visRoiGrid(ratio int, extent float64, bins int) (int, error) {
	if ratio > visMaxRoiSamples {
		return 0, fmt.Errorf("%w: RoiAlign: sampling_ratio %d is over %d", ops.ErrInvalidNode, ratio, visMaxRoiSamples)
	}
	if ratio > 0 {
		return ratio, nil
	}
	g := math.Ceil(extent / float64(bins))
	if g != g || g > visMaxRoiSamples {
		return 0, fmt.Errorf("%w: RoiAlign: RoI extent %v needs too many adaptive samples", ops.ErrInvalidNode, extent)
	}
	return max(int(g), 0), nil
}

func visRoiAlignRun[T nnFloat](p ops.RoiAlignParams) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		x, rois, bidx := in[0], in[1], in[2]
		xs := x.Shape()
		if len(xs) != 4 || rois.Rank() != 2 || rois.Shape()[1] != 4 || bidx.Rank() != 1 || bidx.Shape()[0] != rois.Shape()[0] {
			return fmt.Errorf("%w: RoiAlign: X %v, rois %v, batch_indices %v, want [N,C,H,W], [R,4], [R]", ops.ErrShapeMismatch, xs, rois.Shape(), bidx.Shape())
		}
		nr, nc, h, w := rois.Shape()[0], xs[1], xs[2], xs[3]
		y, err := shpOut(out, 0, x.DType(), []int{nr, nc, p.OutH, p.OutW})
		if err != nil {
			return err
		}
		xd, rd, bd, yd := tensor.Data[T](x), tensor.Data[T](rois), tensor.Data[int64](bidx), tensor.Data[T](y)
		plane, bins := h*w, p.OutH*p.OutW
		offset, scale := 0.0, float64(p.SpatialScale)
		if p.HalfPixel {
			offset = 0.5
		}
		acc := make([]float64, nc)
		for r := range nr {
			if err := nnCtxErr(ec); err != nil {
				return err
			}
			b := bd[r]
			if b < 0 || b >= int64(xs[0]) {
				return fmt.Errorf("%w: RoiAlign: batch index %d out of range [0, %d)", ops.ErrInvalidNode, b, xs[0])
			}
			box := rd[r*4 : r*4+4]
			x1, y1 := float64(box[0])*scale-offset, float64(box[1])*scale-offset
			rw, rh := float64(box[2])*scale-offset-x1, float64(box[3])*scale-offset-y1
			if p.MinRoiOne {
				rw, rh = max(rw, 1), max(rh, 1)
			}
			bh, bw := rh/float64(p.OutH), rw/float64(p.OutW)
			gh, err := visRoiGrid(p.SamplingRatio, rh, p.OutH)
			if err != nil {
				return err
			}
			gw, err := visRoiGrid(p.SamplingRatio, rw, p.OutW)
			if err != nil {
				return err
			}
			count := float64(max(gh*gw, 1))
			base := xd[int(b)*nc*plane:][:nc*plane]
			for ph := range p.OutH {
				if err := nnCtxErr(ec); err != nil {
					return err
				}
				for pw := range p.OutW {
					for c := range acc {
						acc[c] = 0
					}
					for iy := range gh {
						sy := y1 + float64(ph)*bh + (float64(iy)+0.5)*bh/float64(gh)
						for ix := range gw {
							sx := x1 + float64(pw)*bw + (float64(ix)+0.5)*bw/float64(gw)
							s := visRoiBilinear(sy, sx, h, w)
							first := iy == 0 && ix == 0
							for c := range acc {
								v := base[c*plane:][:plane]
								if !p.Max {
									acc[c] += s.w[0]*float64(v[s.off[0]]) + s.w[1]*float64(v[s.off[1]]) +
										s.w[2]*float64(v[s.off[2]]) + s.w[3]*float64(v[s.off[3]])
									continue
								}
								// Max mode takes the largest weighted corner
								// value over the samples, as onnxruntime does.
								m := max(s.w[0]*float64(v[s.off[0]]), s.w[1]*float64(v[s.off[1]]),
									s.w[2]*float64(v[s.off[2]]), s.w[3]*float64(v[s.off[3]]))
								if first || m > acc[c] {
									acc[c] = m
								}
							}
						}
					}
					for c, v := range acc {
						if !p.Max {
							v /= count
						}
						yd[(r*nc+c)*bins+ph*p.OutW+pw] = T(v)
					}
				}
			}
		}
		return nil
	}
}

func visNewRoiAlign(n *ops.Node) (ops.Kernel, error) {
	p, err := ops.RoiAlignAttrs(n)
	if err != nil {
		return nil, err
	}
	if _, err := visRoiGrid(p.SamplingRatio, 0, 1); err != nil {
		return nil, err
	}
	if n.In[1].DType != n.In[0].DType || n.In[2].DType != tensor.Int64 {
		return nil, nil
	}
	switch dt := n.In[0].DType; dt {
	case tensor.Float32:
		return visRoiAlignRun[float32](p), nil
	case tensor.Float64:
		return visRoiAlignRun[float64](p), nil
	case tensor.Float16, tensor.BFloat16:
		return nnViaF32(visRoiAlignRun[float32](p), []int{0}, nnOutTypes(n)), nil
	}
	return nil, nil
}

// visBox is a box as NonMaxSuppression compares them: its extent on both
// axes, low end first.
type visBox struct{ y0, x0, y1, x1 float64 }

// visBoxOf reads box data in the node's format: [y1, x1, y2, x2] with any
// two opposite corners, or [x_center, y_center, width, height].
func visBoxOf(b []float32, center bool) visBox {
	if center {
		xc, yc, w, h := float64(b[0]), float64(b[1]), float64(b[2]), float64(b[3])
		return visBox{yc - h/2, xc - w/2, yc + h/2, xc + w/2}
	}
	y0, x0, y1, x1 := float64(b[0]), float64(b[1]), float64(b[2]), float64(b[3])
	return visBox{min(y0, y1), min(x0, x1), max(y0, y1), max(x0, x1)}
}

// visIoU returns the intersection over union of two boxes (0 when either
// has no area).
func visIoU(a, b visBox) float64 {
	areaA, areaB := (a.y1-a.y0)*(a.x1-a.x0), (b.y1-b.y0)*(b.x1-b.x0)
	if areaA <= 0 || areaB <= 0 {
		return 0
	}
	ih, iw := min(a.y1, b.y1)-max(a.y0, b.y0), min(a.x1, b.x1)-max(a.x0, b.x0)
	if ih <= 0 || iw <= 0 {
		return 0
	}
	inter := ih * iw
	return inter / (areaA + areaB - inter)
}

// visScalarInput returns the first element of an optional scalar input as
// float64, or def when it is absent or empty.
func visScalarInput(in []*tensor.Tensor, i int, def float64) (float64, error) {
	if i >= len(in) || in[i] == nil || in[i].Len() == 0 {
		return def, nil
	}
	v, err := in[i].Float64s()
	if err != nil {
		return 0, fmt.Errorf("%w: input %d: %w", ops.ErrInvalidNode, i, err)
	}
	return v[0], nil
}

func visNewNMS(n *ops.Node) (ops.Kernel, error) {
	if n.In[0].DType != tensor.Float32 || n.In[1].DType != tensor.Float32 {
		return nil, nil
	}
	center := n.AttrInt("center_point_box") == 1
	return ops.KernelFunc(func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		boxes, scores := in[0], in[1]
		bs, ss := boxes.Shape(), scores.Shape()
		if len(bs) != 3 || bs[2] != 4 || len(ss) != 3 || ss[0] != bs[0] || ss[2] != bs[1] {
			return fmt.Errorf("%w: NonMaxSuppression: boxes %v and scores %v, want [B, S, 4] and [B, C, S]", ops.ErrShapeMismatch, bs, ss)
		}
		maxOut := int64(0)
		if len(in) > 2 && in[2] != nil && in[2].Len() > 0 {
			v, err := in[2].Int64s()
			if err != nil {
				return fmt.Errorf("%w: max_output_boxes_per_class: %w", ops.ErrInvalidNode, err)
			}
			maxOut = max(v[0], 0)
		}
		iouThr, err := visScalarInput(in, 3, 0)
		if err != nil {
			return err
		}
		if !(iouThr >= 0 && iouThr <= 1) {
			return fmt.Errorf("%w: NonMaxSuppression: iou_threshold %v is not in [0, 1]", ops.ErrInvalidNode, iouThr)
		}
		scoreThr, err := visScalarInput(in, 4, math.Inf(-1))
		if err != nil {
			return err
		}
		nb, ncls, ns := bs[0], ss[1], bs[1]
		bd, sd := tensor.Data[float32](boxes), tensor.Data[float32](scores)
		var sel []int64
		var cand, kept []int
		if maxOut > 0 {
			for b := range nb {
				if err := nnCtxErr(ec); err != nil {
					return err
				}
				bx := make([]visBox, ns)
				for i := range bx {
					bx[i] = visBoxOf(bd[(b*ns+i)*4:][:4], center)
				}
				for c := range ncls {
					sc := sd[(b*ncls+c)*ns:][:ns]
					cand = cand[:0]
					for i, s := range sc {
						if float64(s) > scoreThr {
							cand = append(cand, i)
						}
					}
					// Highest score first; equal scores in box order.
					slices.SortStableFunc(cand, func(i, j int) int { return cmp.Compare(sc[j], sc[i]) })
					kept = kept[:0]
					for _, i := range cand {
						if int64(len(kept)) >= maxOut {
							break
						}
						ok := true
						for _, j := range kept {
							if visIoU(bx[i], bx[j]) > iouThr {
								ok = false
								break
							}
						}
						if ok {
							kept = append(kept, i)
							sel = append(sel, int64(b), int64(c), int64(i))
						}
					}
				}
			}
		}
		y, err := shpOut(out, 0, tensor.Int64, []int{len(sel) / 3, 3})
		if err != nil {
			return err
		}
		copy(tensor.Data[int64](y), sel)
		return nil
	}), nil
}
