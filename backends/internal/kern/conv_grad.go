package kern

// The gradients of the 2-D convolution that package train emits for Conv
// (ai.onyx.training's ConvGradInput and ConvGradWeight, ops/grad.go), on
// the SGEMM. Per image and group, with K = C/g*kH*kW taps and P output
// pixels, the forward conv is Y_g (M/g x P) = W_g (M/g x K) * B_g (K x P),
// B_g = im2col(X_g); its gradients are
//
//	dW_g (M/g x K) = sum over images of dY_g * B_g^T
//	dX_g = col2im(W_g^T (K x M/g) * dY_g)
//
// ConvGradWeight never stores B_g^T: per block of pixels, ISA.ConvPack
// gathers it from the zero-bordered image straight into the SGEMM's B
// panels. It is the forward packer with the roles of its two offsets
// swapped: its rows (k steps) are the block's pixels, the contraction, and
// its lanes the K taps, dW's columns. The driver accumulates the block's
// product into dW (Beta 1).
//
// ConvGradInput at stride 1, with enough input channels per group, is
// the conv of dY by the flipped W^T, which the forward conv's implicit GEMM
// runs (runInputDirect). Otherwise it packs W_g^T once per Run; per image
// and group, the driver multiplies it by dY_g read in place, a tile of
// whole output rows at a time, and col2im adds each tap's row of the
// product into a zero-bordered plane of dX_g, whose interior is dX_g.
//
// Both take what the generic kernels take in 2-D float32, groups (and
// depthwise convs) included; the factories decline other ranks and types.
// With several threads, ConvGradInput's chunks are (image, group) pairs,
// which write disjoint parts of dX (the transposed conv: the forward
// conv's chunks); ConvGradWeight's are ranges of images, each summing into
// its own copy of dW, added up at the end (in a fixed order: a given
// thread count gives the same result on every Run).
//
// BenchmarkConvTrain, the second conv of onyx train's CNN (batch 64,
// 16->32 channels, 3x3, 14x14, 1 thread, AMD EPYC, shared): ConvGradInput
// 15-17 ms generic, 2.2-2.4 ms AVX2 or AVX-512; ConvGradWeight 17.6 ms
// generic, 2.1-2.3 ms AVX2 or AVX-512 (the forward Conv: 13.1 ms generic,
// 1.7-1.9 ms).

import (
	"fmt"

	"github.com/onyxml/onyx/internal/keep"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// convGradColBytes bounds ConvGradInput's column tile (K x whole output
// rows), which col2im reads back while it is in L2.
const convGradColBytes = 256 << 10

// convGradKernel is ConvGradInput (weight false) or ConvGradWeight.
type convGradKernel struct {
	*convNode
	g      *ISA
	weight bool
	kdim   int         // K = cg*kh*kw
	mg     int         // output channels per group
	tr     *convKernel // ConvGradInput at stride 1: the transposed conv (runInputDirect)
}

// convGradDirectMinC is the fewest input channels per group for which
// ConvGradInput at stride 1 runs as the transposed conv (runInputDirect)
// rather than through col2im: the transposed conv packs its B operand
// (K' = Cout/g*kh*kw rows per pixel) for only C/g rows of output. Measured
// with BenchmarkConvTrain (batch 64, 3x3, Cout 32, 14x14, AVX2 and
// AVX-512, 1 thread, two runs), transposed conv against col2im: C 3: 1.3
// ms against 0.5; C 8: 1.8-2.1 against 1.3-1.5; C 16: 2.1-2.4 against
// 2.2-2.7; 64 -> 64 channels at 28x28 (batch 8): 4.8 against 7.4.
const convGradDirectMinC = 16

// convGradForceCol2im lets tests run ConvGradInput through col2im where
// the factory would run the transposed conv.
var convGradForceCol2im = false

// convGradNew builds ConvGradInput (weight false: inputs dY, W and X's
// shape) or ConvGradWeight (inputs dY, X and W's shape) for float32 2-D
// convs whose weight shape is known at build: W's for ConvGradInput, the
// output's (from the constant shape input) for ConvGradWeight.
func convGradNew(g *ISA, n *ops.Node, weight bool) (ops.Kernel, error) {
	if len(n.In) < 3 || len(n.Out) == 0 || n.Out[0].DType != tensor.Float32 {
		return nil, nil
	}
	for i := range 2 {
		if in := n.In[i]; in.Absent || in.DType != tensor.Float32 || (in.Shape != nil && len(in.Shape) != 4) {
			return nil, nil
		}
	}
	ws, ok := n.In[1].ConcreteShape()
	if weight {
		ws, ok = n.Out[0].ConcreteShape()
	}
	if !ok || len(ws) != 4 {
		return nil, nil
	}
	c := &convNode{}
	if !c.parseWindow(n, ws) {
		return nil, nil
	}
	k := &convGradKernel{convNode: c, g: g, weight: weight, kdim: c.cg * c.kh * c.kw, mg: c.m / c.group}
	if !weight && c.sh == 1 && c.sw == 1 && c.cg >= convGradDirectMinC && !convGradForceCol2im {
		// dX is the conv of dY by the flipped W^T (runInputDirect).
		tc := &convNode{kh: c.kh, kw: c.kw, sh: 1, sw: 1, dh: c.dh, dw: c.dw, group: c.group, m: c.cg * c.group, cg: k.mg}
		k.tr = &convKernel{convNode: tc, g: g, kdim: k.mg * c.kh * c.kw, mg: c.cg, fed: true, ep: Epilogue{Alpha: 1}}
		if dims, ok := n.Out[0].ConcreteShape(); ok && len(dims) == 4 {
			k.tr.pixel = convPixelMajorBetter(dims[2]*dims[3], g.MR, g.NR) != (convForceLayout == convLayoutFlip)
		}
	}
	return k, nil
}

// Overwrites reports that the kernel writes every output element.
func (k *convGradKernel) Overwrites() bool { return true }

// convShapeIn reads a shape input of the gradient ops into s: four
// non-negative int64 dims of a valid element count.
func convShapeIn(s *[4]int, t *tensor.Tensor, what string) error {
	if t == nil || t.DType() != tensor.Int64 || t.Rank() != 1 || t.Len() != 4 {
		return fmt.Errorf("%w: %s must be 4 int64 dims for a 2-D conv", ops.ErrShapeMismatch, what)
	}
	for i, d := range tensor.Data[int64](t) {
		if d < 0 || d > tensor.MaxElements {
			return fmt.Errorf("%w: %s has a dim out of range", ops.ErrShapeMismatch, what)
		}
		s[i] = int(d)
	}
	if _, err := tensor.NumElements(s[:]); err != nil {
		return fmt.Errorf("%w: %s: %w", ops.ErrShapeMismatch, what, err)
	}
	return nil
}

// gradIO validates a Run's shapes: X's (xs), W's (ws) against the node's,
// and dY's against the conv's output; it returns the conv's geometry.
func (k *convGradKernel) gradIO(op string, xs []int, ws [4]int, dy *tensor.Tensor) (convIO, error) {
	if ws != [4]int{k.m, k.cg, k.kh, k.kw} {
		return convIO{}, fmt.Errorf("%w: %s: weights of shape %v for a kernel built for %v", ops.ErrShapeMismatch, op, ws, [4]int{k.m, k.cg, k.kh, k.kw})
	}
	io, err := k.convShape(xs)
	if err != nil {
		return io, err
	}
	if dy == nil || dy.DType() != tensor.Float32 || !tensor.SameShape(dy.Shape(), []int{io.n, k.m, io.oh, io.ow}) {
		return io, fmt.Errorf("%w: %s: dY is not the float32 output %v of the conv", ops.ErrShapeMismatch, op, []int{io.n, k.m, io.oh, io.ow})
	}
	plane := io.hp * io.wp
	if io.c > (1<<31-1)/max(plane, 1) || io.c*plane > (1<<31-1)-64 {
		return io, fmt.Errorf("%w: %s: input %v too large for the %s kernel (offsets are 32-bit)", ops.ErrShapeMismatch, op, xs, k.g.Name)
	}
	return io, nil
}

func (k *convGradKernel) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	if k.weight {
		return k.runWeight(ec, in, out)
	}
	return k.runInput(ec, in, out)
}

// convGradRun is one Run in progress, pooled, with run bound once to its
// chunk function.
type convGradRun struct {
	k        *convGradKernel
	io       convIO
	shape    [4]int    // the shape input: X's or W's
	dy, x    []float32 // dY; X (ConvGradWeight)
	dx, dw   []float32 // the output
	dOff     []int32   // per row of K: offset of its tap in a group's padded plane
	wt       []PackedA // ConvGradInput: per group, W_g^T (K x mg)
	wtBuf    []float32
	rows     int // ConvGradInput: output rows per column tile
	lanes    []convLanes
	kb       int       // ConvGradWeight: pixels per block
	parts    int       // ConvGradWeight: image ranges (1: each chunk an image, into dW)
	acc      []float32 // ConvGradWeight: the sums of parts 1.. (parts-1 copies of dW)
	runInput func(int)
	runW     func(int)
}

var convGradRunPool = keep.List[convGradRun]{New: func() *convGradRun {
	r := &convGradRun{}
	r.runInput = func(i int) { r.inputChunk(i) }
	r.runW = func(i int) { r.weightChunk(i) }
	return r
}}

// convGradTile is one chunk's scratch.
type convGradTile struct {
	col  []float32 // ConvGradInput: a column tile
	pad  []float32 // the zero-bordered planes of a group
	b    []float32 // ConvGradWeight: a block of B^T, packed
	pOff []int32   // ConvGradWeight: the block's pixel offsets
	pb   PackedB   // b, as the driver takes it (here: the driver leaks it)
}

var convGradTilePool = keep.List[convGradTile]{New: func() *convGradTile { return &convGradTile{} }}

// setup fills the parts of r that both gradients use: the tap offsets.
func (r *convGradRun) setup(k *convGradKernel, io convIO) {
	r.k, r.io = k, io
	r.dOff = convTapOffsets(r.dOff, k.convNode, io.hp*io.wp, io.wp)
}

func (r *convGradRun) release() {
	r.k, r.io, r.dy, r.x, r.dx, r.dw = nil, convIO{}, nil, nil, nil, nil
	for i := range r.wt {
		r.wt[i].data = nil
	}
}

// runInput computes ConvGradInput: inputs dY, W and X's shape.
func (k *convGradKernel) runInput(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	dy, w := in[0], in[1]
	r := convGradRunPool.Get()
	defer convGradRunPool.Put(r)
	defer r.release()
	if err := convShapeIn(&r.shape, in[2], "ConvGradInput shape of X"); err != nil {
		return err
	}
	if w == nil || w.DType() != tensor.Float32 || w.Rank() != 4 {
		return fmt.Errorf("%w: ConvGradInput weights must be 4-D float32", ops.ErrShapeMismatch)
	}
	io, err := k.gradIO("ConvGradInput", r.shape[:], [4]int(w.Shape()), dy)
	if err != nil {
		return err
	}
	dx, err := kerOut(out, 0, r.shape[:])
	if err != nil {
		return err
	}
	dxd := tensor.Data[float32](dx)
	if io.n == 0 || io.ohw == 0 || io.h*io.w == 0 {
		clear(dxd)
		return nil
	}
	if k.tr != nil && k.runInputDirect(ec, io, dy, w, dxd) {
		return nil
	}
	g := k.g
	r.setup(k, io)
	r.dy, r.dx = tensor.Data[float32](dy), dxd
	// W_g^T, K x mg, per group.
	wd := tensor.Data[float32](w)
	per := ((k.kdim+g.MR-1)/g.MR*g.MR*k.mg + 15) &^ 15
	r.wtBuf = convGrow(r.wtBuf, k.group*per)
	if len(r.wt) < k.group {
		r.wt = make([]PackedA, k.group)
	}
	size := k.mg * k.kdim
	for grp := range k.group {
		r.wt[grp] = PackedA{m: k.kdim, k: k.mg, impl: g, data: r.wtBuf[grp*per : (grp+1)*per]}
		gemmPackA(r.wt[grp].data, g.MR, k.kdim, 0, k.mg, wd[grp*size:(grp+1)*size], k.kdim, true)
	}
	r.rows = min(io.oh, max(1, convGradColBytes/4/(k.kdim*io.ow)))
	chunks := io.n * k.group
	if chunks > 1 && ec != nil && ec.Pool != nil && ec.Threads > 1 && 2*size*io.ohw*chunks >= 2*convMinChunkFlops {
		ec.ParallelFor(chunks, r.runInput)
	} else {
		ec.SerialFor(chunks, r.runInput)
	}
	return nil
}

// runInputDirect computes dX at stride 1 as a conv, without col2im:
//
//	dX[ci][y][x] = sum over co, ky, kx of W[co][ci][ky][kx] * dY[co][y+padT-ky*dh][x+padL-kx*dw]
//
// is the conv of dY (zero outside) by W' (C x M/g x kh x kw, per group)
// with W'[ci][co][ky][kx] = W[co][ci][kh-1-ky][kw-1-kx], padded by
// (kh-1)*dh - padT on top, and so on for the other sides: the implicit
// GEMM of the forward conv runs it, W' packed per Run. It reports false,
// having done nothing, when a side's padding exceeds the window's extent
// (the transposed conv would need negative padding).
func (k *convGradKernel) runInputDirect(ec *ops.ExecContext, io convIO, dy, w *tensor.Tensor, dx []float32) bool {
	padB, padR := io.hp-io.h-io.padT, io.wp-io.w-io.padL
	ey, ex := (k.kh-1)*k.dh, (k.kw-1)*k.dw
	if io.padT > ey || padB > ey || io.padL > ex || padR > ex {
		return false
	}
	t := k.tr
	tio := convIO{n: io.n, c: k.m, h: io.oh, w: io.ow, oh: io.h, ow: io.w, ohw: io.h * io.w,
		padT: ey - io.padT, padL: ex - io.padL, x: tensor.Data[float32](dy), y: dx}
	tio.hp, tio.wp = io.oh+ey-io.padT+ey-padB, io.ow+ex-io.padL+ex-padR
	if plane := tio.hp * tio.wp; tio.c > (1<<31-1)/plane || tio.c*plane > (1<<31-1)-64 {
		return false
	}
	r := convRunPool.Get()
	defer convRunPool.Put(r)
	r.k, r.io = t, tio
	// W' (C x mg x kh x kw), then packed.
	wd := tensor.Data[float32](w)
	r.wFlip = convGrow(r.wFlip, len(wd))
	khw := k.kh * k.kw
	for grp := range k.group {
		for co := range k.mg {
			for ci := range k.cg {
				src := wd[((grp*k.mg+co)*k.cg+ci)*khw:][:khw]
				dst := r.wFlip[((grp*k.cg+ci)*k.mg+co)*khw:][:khw]
				for i, v := range src {
					dst[khw-1-i] = v
				}
			}
		}
	}
	t.packWeightData(r, r.wFlip)
	t.exec(ec, r)
	return true
}

// inputChunk computes dX for one (image, group).
func (r *convGradRun) inputChunk(i int) {
	k, io := r.k, &r.io
	g := k.g
	img, grp := i/k.group, i%k.group
	t := convGradTilePool.Get()
	defer convGradTilePool.Put(t)
	hw, plane := io.h*io.w, io.hp*io.wp
	dxg := r.dx[(img*io.c+grp*k.cg)*hw : (img*io.c+(grp+1)*k.cg)*hw]
	padded := io.hp != io.h || io.wp != io.w
	dxp := dxg
	if padded {
		t.pad = convGrow(t.pad, k.cg*plane)
		dxp = t.pad
	}
	clear(dxp)
	dyg := r.dy[(img*k.m+grp*k.mg)*io.ohw : (img*k.m+(grp+1)*k.mg)*io.ohw]
	t.col = convGrow(t.col, k.kdim*r.rows*io.ow)
	for oy0 := 0; oy0 < io.oh; oy0 += r.rows {
		rows := min(r.rows, io.oh-oy0)
		nb := rows * io.ow
		col := t.col[:k.kdim*nb]
		g.run(k.kdim, nb, k.mg, gemmOpA{packed: &r.wt[grp]}, gemmOpB{b: dyg[oy0*io.ow:], ldb: io.ohw}, col, nb, nil)
		convCol2im(dxp, col, r.dOff, oy0, rows, io.ow, k.sh*io.wp, k.sw)
	}
	if padded {
		for ci := range k.cg {
			src := dxp[ci*plane+io.padT*io.wp+io.padL:]
			dst := dxg[ci*hw : (ci+1)*hw]
			for y := range io.h {
				copy(dst[y*io.w:(y+1)*io.w], src[y*io.wp:])
			}
		}
	}
}

// convCol2im adds col, K rows of rows*ow columns (output pixels from row
// oy0 on), into dxp: column (y, x) of row p goes to dxp[dOff[p] +
// (oy0+y)*rowStep + x*sw].
func convCol2im(dxp, col []float32, dOff []int32, oy0, rows, ow, rowStep, sw int) {
	nb := rows * ow
	for p, d := range dOff {
		src := col[p*nb : (p+1)*nb]
		for y := range rows {
			s := src[y*ow : (y+1)*ow]
			o := int(d) + (oy0+y)*rowStep
			if sw == 1 {
				dst := dxp[o : o+ow]
				for x, v := range s {
					dst[x] += v
				}
				continue
			}
			dst := dxp[o : o+(ow-1)*sw+1]
			for x, v := range s {
				dst[x*sw] += v
			}
		}
	}
}

// convGradAccum is the epilogue that adds the product to C.
var convGradAccum = Epilogue{Alpha: 1, Beta: 1}

// runWeight computes ConvGradWeight: inputs dY, X and W's shape.
func (k *convGradKernel) runWeight(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	dy, x := in[0], in[1]
	r := convGradRunPool.Get()
	defer convGradRunPool.Put(r)
	defer r.release()
	if err := convShapeIn(&r.shape, in[2], "ConvGradWeight shape of W"); err != nil {
		return err
	}
	if x == nil || x.DType() != tensor.Float32 || x.Rank() != 4 {
		return fmt.Errorf("%w: ConvGradWeight input X must be 4-D float32", ops.ErrShapeMismatch)
	}
	io, err := k.gradIO("ConvGradWeight", x.Shape(), r.shape, dy)
	if err != nil {
		return err
	}
	dw, err := kerOut(out, 0, r.shape[:])
	if err != nil {
		return err
	}
	dwd := tensor.Data[float32](dw)
	clear(dwd)
	if io.n == 0 || io.ohw == 0 {
		return nil
	}
	g := k.g
	r.setup(k, io)
	r.dy, r.x, r.dw = tensor.Data[float32](dy), tensor.Data[float32](x), dwd
	// The lanes: dW's columns (the taps), in whole panels, the last one
	// zero-padded.
	nr := g.NR
	kpad := (k.kdim + nr - 1) / nr * nr
	if len(r.lanes) < kpad/8 {
		r.lanes = make([]convLanes, kpad/8)
	}
	maxD := (io.oh-1)*k.sh*io.wp + (io.ow-1)*k.sw // the largest pixel offset
	for q := range kpad / 8 {
		ln := &r.lanes[q]
		valid := min(8, max(k.kdim-q*8, 0))
		for l := range 8 {
			if l < valid {
				ln.off[l], ln.mask[l] = r.dOff[q*8+l], -1
			} else {
				ln.off[l], ln.mask[l] = 0, 0
			}
		}
		convClassify(ln, valid, maxD, k.cg*io.hp*io.wp)
	}
	// Blocks of pixels whose B^T stays in L2, evenly cut.
	kb := min(max(convTileBytes/(4*kpad), 16), g.KC)
	if blocks := (io.ohw + kb - 1) / kb; blocks > 1 {
		kb = (io.ohw + blocks - 1) / blocks
	}
	r.kb = min(kb, io.ohw)
	r.parts = 1
	if ec != nil && ec.Pool != nil && ec.Threads > 1 {
		flops := 2 * k.m * k.kdim * io.ohw * io.n
		r.parts = max(1, min(io.n, 2*ec.Threads, flops/convMinChunkFlops))
	}
	if r.parts == 1 {
		ec.SerialFor(io.n, r.runW)
		return nil
	}
	size := k.m * k.kdim
	r.acc = convGrow(r.acc, (r.parts-1)*size)
	clear(r.acc)
	ec.ParallelFor(r.parts, r.runW)
	for p := range r.parts - 1 {
		for i, v := range r.acc[p*size : (p+1)*size] {
			dwd[i] += v
		}
	}
	return nil
}

// weightChunk adds to dW the terms of image i (one part), or of part i's
// images into its own sum.
func (r *convGradRun) weightChunk(i int) {
	k, io := r.k, &r.io
	img0, img1, dw := i, i+1, r.dw
	if r.parts > 1 {
		img0, img1 = i*io.n/r.parts, (i+1)*io.n/r.parts
		if i > 0 {
			size := k.m * k.kdim
			dw = r.acc[(i-1)*size : i*size]
		}
	}
	g := k.g
	nr := g.NR
	kpad := (k.kdim + nr - 1) / nr * nr
	t := convGradTilePool.Get()
	defer convGradTilePool.Put(t)
	hw, plane := io.h*io.w, io.hp*io.wp
	padded := io.hp != io.h || io.wp != io.w
	t.b = convGrow(t.b, kpad*r.kb)
	t.pOff = convGrowInt32(t.pOff, r.kb)
	ctx := getCtx()
	defer putCtx(ctx)
	for img := img0; img < img1; img++ {
		for grp := range k.group {
			src := r.x[(img*io.c+grp*k.cg)*hw : (img*io.c+(grp+1)*k.cg)*hw]
			if padded {
				t.pad = convGrow(t.pad, k.cg*plane)
				convPadImage(t.pad, src, k.cg, io.h, io.w, io.hp, io.wp, io.padT, io.padL)
				src = t.pad
			}
			dyg := r.dy[(img*k.m+grp*k.mg)*io.ohw : (img*k.m+(grp+1)*k.mg)*io.ohw]
			dwg := dw[grp*k.mg*k.kdim : (grp+1)*k.mg*k.kdim]
			for j0 := 0; j0 < io.ohw; j0 += r.kb {
				nb := min(r.kb, io.ohw-j0)
				oy, ox := j0/io.ow, j0%io.ow
				for j := range nb {
					t.pOff[j] = int32(oy*k.sh*io.wp + ox*k.sw)
					if ox++; ox == io.ow {
						ox, oy = 0, oy+1
					}
				}
				ctx.pack = ConvPackArgs{kb: nb, groups: kpad / 8, subs: nr / 8, rowStride: nr * 4, panelStride: nb * nr * 4, subStride: 32}
				g.convPack(&ctx.pack, src, t.pOff[:nb], r.lanes[:kpad/8], t.b)
				t.pb = PackedB{k: nb, n: k.kdim, impl: g, data: t.b[:kpad*nb]}
				g.run(k.mg, k.kdim, nb, gemmOpA{a: dyg[j0:], lda: io.ohw}, gemmOpB{packed: &t.pb}, dwg, k.kdim, &convGradAccum)
			}
		}
	}
	t.pb.data = nil
}
