package generic

// MaxPool, AveragePool, LpPool and their Global variants, for any number of
// spatial dims. The valid taps of each window are computed once per output
// position (they are the same for every image and channel) and then reduced
// over every (image, channel) plane.

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("MaxPool", nnNewMaxPool)
	register("AveragePool", nnNewAveragePool)
	register("LpPool", nnNewLpPool)
	register("GlobalAveragePool", nnNewGlobalPool)
	register("GlobalMaxPool", nnNewGlobalPool)
	register("GlobalLpPool", nnNewGlobalPool)
}

// nnPoolGeom is the window geometry of one pooling run.
type nnPoolGeom struct {
	r            int
	in, out      []int
	inStride     []int
	colStride    []int // column-major strides of the input (MaxPool storage_order 1)
	dil          []int
	planes       int // N * C
	inSp, outSp  int
	start        [][]int // per dim, per output index: input coordinate of tap 0
	lo, hi       [][]int // per dim, per output index: valid taps are [lo, hi)
	hiPad        [][]int // per dim, per output index: taps inside the padded input are [0, hiPad)
	needColIndex bool
}

// nnPoolSetup validates x's shape against the window and computes the
// geometry and the output shape.
func nnPoolSetup(w *ops.SpatialWindow, xs []int) (*nnPoolGeom, []int, error) {
	r := w.Rank()
	if len(xs) != r+2 {
		return nil, nil, fmt.Errorf("%w: pooling input shape %v for a %d-D window", ops.ErrShapeMismatch, xs, r)
	}
	g := &nnPoolGeom{r: r, in: xs[2:], out: make([]int, r), inStride: tensor.Strides(xs[2:]),
		dil: w.Dilations, planes: xs[0] * xs[1], inSp: nnNumel(xs[2:])}
	g.colStride = make([]int, r)
	acc := 1
	for d := range r {
		g.colStride[d] = acc
		acc *= g.in[d]
	}
	g.start, g.lo, g.hi, g.hiPad = make([][]int, r), make([][]int, r), make([][]int, r), make([][]int, r)
	for d := range r {
		o, pb, pe, err := w.OutDim(d, g.in[d])
		if err != nil {
			return nil, nil, err
		}
		g.out[d] = o
		k, s, dl, in := w.Kernel[d], w.Strides[d], w.Dilations[d], g.in[d]
		g.start[d], g.lo[d], g.hi[d], g.hiPad[d] = make([]int, o), make([]int, o), make([]int, o), make([]int, o)
		for i := range o {
			st := i*s - pb
			lo := 0
			if st < 0 {
				lo = (-st + dl - 1) / dl
			}
			hi := 0
			if in > st {
				hi = min(k, (in-st+dl-1)/dl)
			}
			g.start[d][i], g.lo[d][i], g.hi[d][i] = st, min(lo, hi), hi
			g.hiPad[d][i] = max(0, min(k, (in+pe-st+dl-1)/dl))
		}
	}
	g.outSp = nnNumel(g.out)
	return g, append([]int{xs[0], xs[1]}, g.out...), nil
}

// forEachWindow calls f for every output position (in row-major order) with
// the flat input offsets of its valid taps, their column-major offsets when
// needColIndex is set, and the number of taps inside the padded input.
func (g *nnPoolGeom) forEachWindow(f func(pos int, offs, colOffs []int, padCount int)) {
	if g.outSp == 0 {
		return
	}
	r, L := g.r, g.r-1
	o := make([]int, r)
	kc := make([]int, r)
	var offs, colOffs []int
	for pos := range g.outSp {
		offs, colOffs = offs[:0], colOffs[:0]
		padCount := 1
		empty := false
		for d := range r {
			padCount *= g.hiPad[d][o[d]]
			kc[d] = g.lo[d][o[d]]
			empty = empty || kc[d] >= g.hi[d][o[d]]
		}
		for !empty {
			base, colBase := 0, 0
			for d := range L {
				c := g.start[d][o[d]] + kc[d]*g.dil[d]
				base += c * g.inStride[d]
				colBase += c * g.colStride[d]
			}
			for k := g.lo[L][o[L]]; k < g.hi[L][o[L]]; k++ {
				c := g.start[L][o[L]] + k*g.dil[L]
				offs = append(offs, base+c)
				if g.needColIndex {
					colOffs = append(colOffs, colBase+c*g.colStride[L])
				}
			}
			d := L - 1
			for ; d >= 0; d-- {
				if kc[d]++; kc[d] < g.hi[d][o[d]] {
					break
				}
				kc[d] = g.lo[d][o[d]]
			}
			empty = d < 0
		}
		f(pos, offs, colOffs, padCount)
		for d := L; d >= 0; d-- {
			if o[d]++; o[d] < g.out[d] {
				break
			}
			o[d] = 0
		}
	}
}

// nnPoolWindowOf parses a pooling node's window in the factory.
func nnPoolWindowOf(n *ops.Node) (*ops.SpatialWindow, error) {
	ks := n.AttrInts("kernel_shape")
	if len(ks) == 0 {
		return nil, ops.Errorf("kernel_shape is required")
	}
	k := make([]int, len(ks))
	for i, v := range ks {
		if v < 1 || v > 1<<31 {
			return nil, ops.Errorf("kernel_shape %v: value %d out of range", ks, v)
		}
		k[i] = int(v)
	}
	return ops.ParseSpatialWindow(n, k)
}

// nnMaxElem is the set of types MaxPool handles.
type nnMaxElem interface {
	float32 | float64 | int8 | uint8
}

// nnLowest returns the value a max over nothing yields: -Inf for floats,
// the minimum for integers.
func nnLowest[T nnMaxElem]() T {
	var z T
	switch any(z).(type) {
	case float32:
		return T(float32(math.Inf(-1)))
	case float64:
		return T(math.Inf(-1))
	case int8:
		v := int8(math.MinInt8)
		return T(v)
	}
	return 0
}

func nnNewMaxPool(n *ops.Node) (ops.Kernel, error) {
	w, err := nnPoolWindowOf(n)
	if err != nil {
		return nil, err
	}
	colMajor, wantIdx := n.AttrInt("storage_order") == 1, n.HasOut(1)
	switch dt := n.In[0].DType; dt {
	case tensor.Float32:
		return nnMaxPoolRun[float32](w, colMajor, wantIdx), nil
	case tensor.Float64:
		return nnMaxPoolRun[float64](w, colMajor, wantIdx), nil
	case tensor.Int8:
		return nnMaxPoolRun[int8](w, colMajor, wantIdx), nil
	case tensor.Uint8:
		return nnMaxPoolRun[uint8](w, colMajor, wantIdx), nil
	case tensor.Float16, tensor.BFloat16:
		return nnViaF32(nnMaxPoolRun[float32](w, colMajor, wantIdx), []int{0}, []tensor.DType{dt, tensor.Int64}), nil
	}
	return nil, nil
}

// nnMaxPoolRun: Y is the largest element of each window (a NaN wins, as in
// PyTorch and numpy; a window with no element in the input gives -Inf or
// the type's minimum, and index -1); Indices, if requested, is the flat
// index of that element in X, with the spatial part in row-major order, or
// column-major when storage_order is 1.
func nnMaxPoolRun[T nnMaxElem](w *ops.SpatialWindow, colMajor, wantIdx bool) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		g, ys, err := nnPoolSetup(w, x.Shape())
		if err != nil {
			return err
		}
		y, err := nnOut(out, 0, x.DType(), ys)
		if err != nil {
			return err
		}
		var idx []int64
		if wantIdx && len(out) > 1 {
			it, err := nnOut(out, 1, tensor.Int64, ys)
			if err != nil {
				return err
			}
			idx = tensor.Data[int64](it)
		}
		g.needColIndex = colMajor && idx != nil
		xd, yd := tensor.Data[T](x), tensor.Data[T](y)
		lowest := nnLowest[T]()
		g.forEachWindow(func(pos int, offs, colOffs []int, _ int) {
			if len(offs) == 0 {
				for p := range g.planes {
					yd[p*g.outSp+pos] = lowest
					if idx != nil {
						idx[p*g.outSp+pos] = -1
					}
				}
				return
			}
			for p := range g.planes {
				xp := xd[p*g.inSp : (p+1)*g.inSp]
				if idx == nil {
					best := xp[offs[0]]
					for _, off := range offs[1:] {
						best = max(best, xp[off]) // NaN wins, as in PyTorch
					}
					yd[p*g.outSp+pos] = best
					continue
				}
				best, bi := xp[offs[0]], 0
				for t, off := range offs[1:] {
					if v := xp[off]; v > best || (v != v && best == best) {
						best, bi = v, t+1
					}
				}
				yd[p*g.outSp+pos] = best
				if colMajor {
					idx[p*g.outSp+pos] = int64(p*g.inSp + colOffs[bi])
				} else {
					idx[p*g.outSp+pos] = int64(p*g.inSp + offs[bi])
				}
			}
		})
		return nil
	}
}

// nnFloatPool builds a float pooling kernel for the node's dtype.
func nnFloatPool(n *ops.Node, f32, f64 ops.KernelFunc) ops.Kernel {
	switch dt := n.In[0].DType; dt {
	case tensor.Float32:
		return f32
	case tensor.Float64:
		return f64
	case tensor.Float16, tensor.BFloat16:
		return nnViaF32(f32, []int{0}, []tensor.DType{dt})
	}
	return nil
}

func nnNewAveragePool(n *ops.Node) (ops.Kernel, error) {
	w, err := nnPoolWindowOf(n)
	if err != nil {
		return nil, err
	}
	incl := n.AttrInt("count_include_pad") != 0
	return nnFloatPool(n, nnAvgPoolRun[float32](w, incl), nnAvgPoolRun[float64](w, incl)), nil
}

// nnAvgPoolRun: Y is the mean of each window's elements; padding counts as
// zeros when countPad is set (taps past the padding, which ceil_mode may
// add, never count).
func nnAvgPoolRun[T nnFloat](w *ops.SpatialWindow, countPad bool) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		g, ys, err := nnPoolSetup(w, x.Shape())
		if err != nil {
			return err
		}
		y, err := nnOut(out, 0, x.DType(), ys)
		if err != nil {
			return err
		}
		xd, yd := tensor.Data[T](x), tensor.Data[T](y)
		g.forEachWindow(func(pos int, offs, _ []int, padCount int) {
			cnt := float64(len(offs))
			if countPad {
				cnt = float64(padCount)
			}
			for p := range g.planes {
				xp := xd[p*g.inSp : (p+1)*g.inSp]
				var s float64
				for _, off := range offs {
					s += float64(xp[off])
				}
				yd[p*g.outSp+pos] = T(s / cnt)
			}
		})
		return nil
	}
}

func nnNewLpPool(n *ops.Node) (ops.Kernel, error) {
	w, err := nnPoolWindowOf(n)
	if err != nil {
		return nil, err
	}
	p := ops.NNPowerP(n)
	if !(p > 0) {
		return nil, ops.Errorf("p = %v must be positive", p)
	}
	return nnFloatPool(n, nnLpPoolRun[float32](w, p), nnLpPoolRun[float64](w, p)), nil
}

// nnLpAcc returns |v|^p, with the common p computed without math.Pow.
func nnLpAcc(v, p float64) float64 {
	switch p {
	case 1:
		return math.Abs(v)
	case 2:
		return v * v
	}
	return math.Pow(math.Abs(v), p)
}

// nnLpRoot returns s^(1/p).
func nnLpRoot(s, p float64) float64 {
	switch p {
	case 1:
		return s
	case 2:
		return math.Sqrt(s)
	}
	return math.Pow(s, 1/p)
}

// nnLpPoolRun: Y is the Lp norm of each window (padding adds nothing).
func nnLpPoolRun[T nnFloat](w *ops.SpatialWindow, pw float64) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		g, ys, err := nnPoolSetup(w, x.Shape())
		if err != nil {
			return err
		}
		y, err := nnOut(out, 0, x.DType(), ys)
		if err != nil {
			return err
		}
		xd, yd := tensor.Data[T](x), tensor.Data[T](y)
		g.forEachWindow(func(pos int, offs, _ []int, _ int) {
			for p := range g.planes {
				xp := xd[p*g.inSp : (p+1)*g.inSp]
				var s float64
				for _, off := range offs {
					s += nnLpAcc(float64(xp[off]), pw)
				}
				yd[p*g.outSp+pos] = T(nnLpRoot(s, pw))
			}
		})
		return nil
	}
}

// Global pooling: one output per (image, channel) plane.
const (
	nnGlobalAvg = iota
	nnGlobalMax
	nnGlobalLp
)

func nnNewGlobalPool(n *ops.Node) (ops.Kernel, error) {
	kind, p := nnGlobalAvg, 0.0
	switch n.OpType {
	case "GlobalMaxPool":
		kind = nnGlobalMax
	case "GlobalLpPool":
		kind, p = nnGlobalLp, ops.NNPowerP(n)
		if !(p > 0) {
			return nil, ops.Errorf("p = %v must be positive", p)
		}
	}
	return nnFloatPool(n, nnGlobalPoolRun[float32](kind, p), nnGlobalPoolRun[float64](kind, p)), nil
}

func nnGlobalPoolRun[T nnFloat](kind int, pw float64) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		if len(xs) < 2 {
			return fmt.Errorf("%w: global pooling input shape %v has rank < 2", ops.ErrShapeMismatch, xs)
		}
		ys := make([]int, len(xs))
		ys[0], ys[1] = xs[0], xs[1]
		for i := 2; i < len(ys); i++ {
			ys[i] = 1
		}
		y, err := nnOut(out, 0, x.DType(), ys)
		if err != nil {
			return err
		}
		sp := nnNumel(xs[2:])
		xd, yd := tensor.Data[T](x), tensor.Data[T](y)
		for p := range yd {
			xp := xd[p*sp : (p+1)*sp]
			switch kind {
			case nnGlobalMax:
				best := T(math.Inf(-1))
				for _, v := range xp {
					best = max(best, v) // NaN wins
				}
				yd[p] = best
			case nnGlobalLp:
				var s float64
				for _, v := range xp {
					s += nnLpAcc(float64(v), pw)
				}
				yd[p] = T(nnLpRoot(s, pw))
			default:
				var s float64
				for _, v := range xp {
					s += float64(v)
				}
				yd[p] = T(s / float64(sp))
			}
		}
		return nil
	}
}
