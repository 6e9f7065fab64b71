package generic

// Conv and ConvTranspose for any number of spatial dims, in NCHW layout.
//
// Conv lowers each (image, group) to a GEMM: W_g (M/g x C/g*k) times the
// im2col matrix of the input (C/g*k x output positions), built a tile of
// columns at a time so that the scratch buffer stays bounded. A 1x1,
// stride-1, unpadded conv is a plain GEMM on the input; a depthwise conv
// (one input and one output channel per group) accumulates tap by tap
// without a scratch buffer. ConvTranspose is the adjoint: W_g^T times the
// input gives a column matrix that col2im scatters into the output.

import (
	"fmt"

	"github.com/onyxml/onyx/internal/keep"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("Conv", nnNewConv)
	register("ConvTranspose", nnNewConvTranspose)
}

// nnColBudget bounds the elements of an im2col/col2im tile (4 MiB of
// float32: the tile and the weights of a layer stay in L2-sized chunks); a
// tile has at least nnColMinTile columns (or all of them), so the scratch
// is never more than nnColMinTile times a weight row.
const (
	nnColBudget  = 1 << 20
	nnColMinTile = 8
)

// nnConvGeom is the geometry of one convolution: a grid of "columns" (the
// conv's output positions, or the transposed conv's input positions), each
// of which meets, for every kernel position, one element of the "target"
// grid (the conv's input, or the transposed conv's output) at coordinate
// col*stride - padBegin + kpos*dilation, or none when that lies outside.
type nnConvGeom struct {
	r         int
	cols      []int
	tgt       []int
	tgtStride []int
	strides   []int
	dil       []int
	padBegin  []int
	colSp     int // product of cols
	tgtSp     int // product of tgt
	kSp       int // kernel positions
	kpos      [][]int
}

func nnNewConvGeom(cols, tgt []int, w *ops.SpatialWindow, padBegin []int) *nnConvGeom {
	g := &nnConvGeom{r: len(cols), cols: cols, tgt: tgt, tgtStride: tensor.Strides(tgt),
		strides: w.Strides, dil: w.Dilations, padBegin: padBegin,
		colSp: nnNumel(cols), tgtSp: nnNumel(tgt), kSp: nnNumel(w.Kernel)}
	g.kpos = make([][]int, g.kSp)
	flat := make([]int, g.kSp*g.r)
	cur := make([]int, g.r)
	for i := range g.kpos {
		g.kpos[i] = flat[i*g.r : (i+1)*g.r]
		copy(g.kpos[i], cur)
		for d := g.r - 1; d >= 0; d-- {
			if cur[d]++; cur[d] < w.Kernel[d] {
				break
			}
			cur[d] = 0
		}
	}
	return g
}

// runs calls f once for every run of consecutive columns of [j0, j0+nb)
// that share one row of the column grid (all coordinates but the last),
// for kernel position kpos. For t in [lo, hi) column j0+jOff+t meets the
// target element at flat offset base + t*strides[r-1]; the other columns
// of the run meet none. When none does, lo = hi = base = 0. o is scratch of
// length r.
func (g *nnConvGeom) runs(kpos []int, j0, nb int, o []int, f func(jOff, run, base, lo, hi int)) {
	L := g.r - 1
	j := j0
	for d := L; d >= 0; d-- {
		o[d] = j % g.cols[d]
		j /= g.cols[d]
	}
	j, end := j0, j0+nb
	sL, tL := g.strides[L], g.tgt[L]
	for j < end {
		run := min(g.cols[L]-o[L], end-j)
		base, valid := 0, true
		for d := range L {
			c := o[d]*g.strides[d] - g.padBegin[d] + kpos[d]*g.dil[d]
			if c < 0 || c >= g.tgt[d] {
				valid = false
				break
			}
			base += c * g.tgtStride[d]
		}
		lo, hi := 0, 0
		if valid {
			c0 := o[L]*sL - g.padBegin[L] + kpos[L]*g.dil[L]
			if c0 < 0 {
				lo = (-c0 + sL - 1) / sL
			}
			if tL > c0 {
				hi = min(run, (tL-c0+sL-1)/sL)
			}
			base += c0
		}
		if lo >= hi {
			lo, hi, base = 0, 0, 0 // no valid column; keep base+lo a valid index
		}
		f(j-j0, run, base, lo, hi)
		j += run
		o[L] += run
		if o[L] == g.cols[L] {
			o[L] = 0
			for d := L - 1; d >= 0; d-- {
				if o[d]++; o[d] < g.cols[d] {
					break
				}
				o[d] = 0
			}
		}
	}
}

// im2col fills col (rows: channel-major then kernel position; nb columns)
// with x's elements (c channels of the target grid) for columns
// [j0, j0+nb); padding reads as zero.
func nnIm2col[T nnFloat](g *nnConvGeom, x []T, c int, col []T, j0, nb int, o []int) {
	sL := g.strides[g.r-1]
	row := 0
	for ch := range c {
		xc := x[ch*g.tgtSp : (ch+1)*g.tgtSp]
		for _, kp := range g.kpos {
			dst := col[row*nb : (row+1)*nb]
			g.runs(kp, j0, nb, o, func(jOff, run, base, lo, hi int) {
				d := dst[jOff : jOff+run]
				clear(d[:lo])
				clear(d[hi:])
				if sL == 1 {
					copy(d[lo:hi], xc[base+lo:base+hi])
					return
				}
				for t := lo; t < hi; t++ {
					d[t] = xc[base+t*sL]
				}
			})
			row++
		}
	}
}

// nnCol2im adds col (rows: output channel-major then kernel position; nb
// columns for columns [j0, j0+nb)) into y (m channels of the target grid).
func nnCol2im[T nnFloat](g *nnConvGeom, col []T, m int, y []T, j0, nb int, o []int) {
	sL := g.strides[g.r-1]
	row := 0
	for ch := range m {
		yc := y[ch*g.tgtSp : (ch+1)*g.tgtSp]
		for _, kp := range g.kpos {
			src := col[row*nb : (row+1)*nb]
			g.runs(kp, j0, nb, o, func(jOff, run, base, lo, hi int) {
				s := src[jOff : jOff+run]
				for t := lo; t < hi; t++ {
					yc[base+t*sL] += s[t]
				}
			})
			row++
		}
	}
}

// Scratch buffers kept across Runs (free lists: a GC does not empty them).
var (
	nnScratchF32 keep.List[[]float32]
	nnScratchF64 keep.List[[]float64]
)

// nnScratchList returns the free list of []T.
func nnScratchList[T nnFloat]() *keep.List[[]T] {
	if p, ok := any(&nnScratchF64).(*keep.List[[]T]); ok {
		return p
	}
	return any(&nnScratchF32).(*keep.List[[]T])
}

// nnGetScratch returns a kept buffer of n elements (contents undefined).
func nnGetScratch[T nnFloat](n int) *[]T {
	if v := nnScratchList[T]().Get(); v != nil {
		if cap(*v) >= n {
			*v = (*v)[:n]
			return v
		}
	}
	s := make([]T, n)
	return &s
}

func nnPutScratch[T nnFloat](s *[]T) { nnScratchList[T]().Put(s) }

// nnCtxErr returns the run's context error, if any.
func nnCtxErr(ec *ops.ExecContext) error {
	if ec != nil && ec.Ctx != nil {
		return ec.Ctx.Err()
	}
	return nil
}

// nnConvNode holds what a Conv or ConvTranspose factory decides once.
type nnConvNode struct {
	transposed bool
	group      int
	win        *ops.SpatialWindow // nil if the rank was unknown at build time
	ks         []int64            // kernel_shape attribute, if set
	node       *ops.Node
}

func nnNewConvNode(n *ops.Node, transposed bool) (*nnConvNode, error) {
	c := &nnConvNode{transposed: transposed, group: int(n.AttrInt("group")), ks: n.AttrInts("kernel_shape"), node: n}
	if n.AttrInt("group") < 1 || n.AttrInt("group") > 1<<31 {
		return nil, ops.Errorf("group %d out of range", n.AttrInt("group"))
	}
	if r := n.In[0].Rank(); r >= 3 {
		k := make([]int, r-2)
		for i := range k {
			k[i] = -1
		}
		w, err := ops.ParseSpatialWindow(n, k)
		if err != nil {
			return nil, err
		}
		c.win = w
	}
	return c, nil
}

// window returns the window for weights of shape ws, validating the
// input and weight shapes against each other.
func (c *nnConvNode) window(xs, ws []int, nb int) (*ops.SpatialWindow, error) {
	op := "Conv"
	if c.transposed {
		op = "ConvTranspose"
	}
	if len(xs) < 3 || len(ws) != len(xs) {
		return nil, fmt.Errorf("%w: %s input shape %v and weight shape %v", ops.ErrShapeMismatch, op, xs, ws)
	}
	g := c.group
	var m int
	if c.transposed {
		if ws[0] != xs[1] || xs[1]%g != 0 {
			return nil, fmt.Errorf("%w: %s input shape %v, weight shape %v, group %d", ops.ErrShapeMismatch, op, xs, ws, g)
		}
		m = ws[1] * g
	} else {
		if ws[1]*g != xs[1] || ws[0]%g != 0 {
			return nil, fmt.Errorf("%w: %s input shape %v, weight shape %v, group %d", ops.ErrShapeMismatch, op, xs, ws, g)
		}
		m = ws[0]
	}
	if nb >= 0 && nb != m {
		return nil, fmt.Errorf("%w: %s bias has %d elements for %d output channels", ops.ErrShapeMismatch, op, nb, m)
	}
	r := len(xs) - 2
	if len(c.ks) > 0 {
		if len(c.ks) != r {
			return nil, ops.Errorf("kernel_shape %v for %d spatial dims", c.ks, r)
		}
		for i, k := range c.ks {
			if int64(ws[i+2]) != k {
				return nil, fmt.Errorf("%w: kernel_shape %v vs weight shape %v", ops.ErrShapeMismatch, c.ks, ws)
			}
		}
	}
	for _, k := range ws[2:] {
		if k < 1 {
			return nil, fmt.Errorf("%w: %s weight shape %v has an empty kernel", ops.ErrShapeMismatch, op, ws)
		}
	}
	var w ops.SpatialWindow
	if c.win != nil && c.win.Rank() == r {
		w = *c.win
	} else {
		p, err := ops.ParseSpatialWindow(c.node, ws[2:])
		if err != nil {
			return nil, err
		}
		w = *p
	}
	w.Kernel = ws[2:]
	return &w, nil
}

func nnNewConv(n *ops.Node) (ops.Kernel, error) {
	c, err := nnNewConvNode(n, false)
	if err != nil {
		return nil, err
	}
	switch dt := n.In[0].DType; dt {
	case tensor.Float32:
		return ops.KernelFunc(nnConvRun[float32](c)), nil
	case tensor.Float64:
		return ops.KernelFunc(nnConvRun[float64](c)), nil
	case tensor.Float16, tensor.BFloat16:
		return nnViaF32(ops.KernelFunc(nnConvRun[float32](c)), []int{0}, []tensor.DType{dt}), nil
	}
	return nil, nil
}

func nnNewConvTranspose(n *ops.Node) (ops.Kernel, error) {
	c, err := nnNewConvNode(n, true)
	if err != nil {
		return nil, err
	}
	switch dt := n.In[0].DType; dt {
	case tensor.Float32:
		return ops.KernelFunc(nnConvTransposeRun[float32](c)), nil
	case tensor.Float64:
		return ops.KernelFunc(nnConvTransposeRun[float64](c)), nil
	case tensor.Float16, tensor.BFloat16:
		return nnViaF32(ops.KernelFunc(nnConvTransposeRun[float32](c)), []int{0}, []tensor.DType{dt}), nil
	}
	return nil, nil
}

// nnBias returns input 2's data, or nil, and its length (-1 if absent).
func nnBias[T nnFloat](in []*tensor.Tensor) ([]T, int) {
	if len(in) > 2 && in[2] != nil {
		b := tensor.Data[T](in[2])
		return b, len(b)
	}
	return nil, -1
}

func nnConvRun[T nnFloat](c *nnConvNode) func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		x, wt := in[0], in[1]
		bias, nb := nnBias[T](in)
		xs, ws := x.Shape(), wt.Shape()
		w, err := c.window(xs, ws, nb)
		if err != nil {
			return err
		}
		r := len(xs) - 2
		outDims := make([]int, r)
		padBegin := make([]int, r)
		pointwise := true
		for i := range r {
			o, pb, pe, err := w.OutDim(i, xs[i+2])
			if err != nil {
				return err
			}
			outDims[i], padBegin[i] = o, pb
			pointwise = pointwise && w.Kernel[i] == 1 && w.Strides[i] == 1 && pb == 0 && pe == 0
		}
		N, C, M, G := xs[0], xs[1], ws[0], c.group
		y, err := nnOut(out, 0, x.DType(), append([]int{N, M}, outDims...))
		if err != nil {
			return err
		}
		g := nnNewConvGeom(outDims, xs[2:], w, padBegin)
		Cg, Mg := C/G, M/G
		kdim := Cg * g.kSp
		xd, wd, yd := tensor.Data[T](x), tensor.Data[T](wt), tensor.Data[T](y)
		if g.colSp == 0 || M == 0 || N == 0 {
			return nil
		}
		// Bias (or zero) first; every path below accumulates into y.
		for i := range N * M {
			row := yd[i*g.colSp : (i+1)*g.colSp]
			if bias == nil {
				clear(row)
				continue
			}
			v := bias[i%M]
			for j := range row {
				row[j] = v
			}
		}
		if kdim == 0 {
			return nil
		}
		o := make([]int, r)
		depthwise := Cg == 1 && Mg == 1
		tile := g.colSp
		var col []T
		if !pointwise && !depthwise {
			tile = min(g.colSp, max(nnColMinTile, nnColBudget/kdim))
			buf := nnGetScratch[T](kdim * tile)
			defer nnPutScratch(buf)
			col = *buf
		}
		sL := g.strides[r-1]
		for n := range N {
			if err := nnCtxErr(ec); err != nil {
				return err
			}
			for gi := range G {
				xg := xd[(n*C+gi*Cg)*g.tgtSp : (n*C+(gi+1)*Cg)*g.tgtSp]
				yg := yd[(n*M+gi*Mg)*g.colSp : (n*M+(gi+1)*Mg)*g.colSp]
				wg := wd[gi*Mg*kdim : (gi+1)*Mg*kdim]
				switch {
				case pointwise:
					gemm(false, false, Mg, g.colSp, Cg, 1, wg, kdim, xg, g.tgtSp, 1, yg, g.colSp)
				case depthwise:
					for k, kp := range g.kpos {
						wv := wg[k]
						g.runs(kp, 0, g.colSp, o, func(jOff, run, base, lo, hi int) {
							yy := yg[jOff+lo : jOff+hi]
							if sL == 1 {
								xx := xg[base+lo : base+hi]
								xx = xx[:len(yy)]
								for t := range yy {
									yy[t] += wv * xx[t]
								}
								return
							}
							for t := range yy {
								yy[t] += wv * xg[base+(lo+t)*sL]
							}
						})
					}
				default:
					for j0 := 0; j0 < g.colSp; j0 += tile {
						nbc := min(tile, g.colSp-j0)
						nnIm2col(g, xg, Cg, col[:kdim*nbc], j0, nbc, o)
						gemm(false, false, Mg, nbc, kdim, 1, wg, kdim, col, nbc, 1, yg[j0:], g.colSp)
					}
				}
			}
		}
		return nil
	}
}

func nnConvTransposeRun[T nnFloat](c *nnConvNode) func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		x, wt := in[0], in[1]
		bias, nb := nnBias[T](in)
		xs, ws := x.Shape(), wt.Shape()
		w, err := c.window(xs, ws, nb)
		if err != nil {
			return err
		}
		r := len(xs) - 2
		outDims := make([]int, r)
		padBegin := make([]int, r)
		for i := range r {
			o, pb, _, err := w.TransposedOutDim(i, xs[i+2])
			if err != nil {
				return err
			}
			outDims[i], padBegin[i] = o, pb
		}
		N, C, G := xs[0], xs[1], c.group
		Mg := ws[1]
		M := Mg * G
		y, err := nnOut(out, 0, x.DType(), append([]int{N, M}, outDims...))
		if err != nil {
			return err
		}
		// Columns are the input positions; the target grid is the output.
		g := nnNewConvGeom(xs[2:], outDims, w, padBegin)
		Cg := C / G
		rows := Mg * g.kSp
		xd, wd, yd := tensor.Data[T](x), tensor.Data[T](wt), tensor.Data[T](y)
		if g.tgtSp == 0 || M == 0 || N == 0 {
			return nil
		}
		for i := range N * M {
			row := yd[i*g.tgtSp : (i+1)*g.tgtSp]
			if bias == nil {
				clear(row)
				continue
			}
			v := bias[i%M]
			for j := range row {
				row[j] = v
			}
		}
		if g.colSp == 0 || rows == 0 || Cg == 0 {
			return nil
		}
		tile := min(g.colSp, max(nnColMinTile, nnColBudget/rows))
		buf := nnGetScratch[T](rows * tile)
		defer nnPutScratch(buf)
		col := *buf
		o := make([]int, r)
		for n := range N {
			if err := nnCtxErr(ec); err != nil {
				return err
			}
			for gi := range G {
				xg := xd[(n*C+gi*Cg)*g.colSp : (n*C+(gi+1)*Cg)*g.colSp]
				yg := yd[(n*M+gi*Mg)*g.tgtSp : (n*M+(gi+1)*Mg)*g.tgtSp]
				wg := wd[gi*Cg*rows : (gi+1)*Cg*rows] // Cg x (Mg * kSp)
				for j0 := 0; j0 < g.colSp; j0 += tile {
					nbc := min(tile, g.colSp-j0)
					// col (rows x nbc) = wg^T * xg[:, j0:j0+nbc]
					gemm(true, false, rows, nbc, Cg, 1, wg, rows, xg[j0:], g.colSp, 0, col, nbc)
					nnCol2im(g, col[:rows*nbc], Mg, yg, j0, nbc, o)
				}
			}
		}
		return nil
	}
}
