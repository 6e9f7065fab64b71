package kern

// 2-D convolution (Conv and ai.onyx:FusedConv) as an implicit GEMM on the
// SGEMM micro-kernels, without a materialised im2col.
//
// Per image and group, Y_g (Cout/g x OH*OW) = W_g (Cout/g x K) * B_g (K x
// OH*OW) with K = Cin/g*KH*KW: the weights are packed once, at kernel
// build, as the GEMM's A operand (or per Run when they are an input fed
// at run time, as training's parameters are); B is never stored whole: for a tile of
// output pixels (a few hundred columns) and a block of K, the packer
// (ISA.ConvPack) copies the taps straight from the input into the
// micro-kernel's panel layout, and every strip of W runs over the tile
// while it is in L2. Padding is handled by a zero-bordered copy of the
// input (one pass per image), so that every tap the packer reads exists.
// The bias, the residual (FusedConv's Z) and Relu/Clip are applied by the
// micro-kernel as it stores the tile; the other activations in a pass over
// the tile's rows while they are in cache. The output is written once.
//
// The factory picks, per node, with the input shape known at build:
//   - Winograd F(2x2, 3x3) for 3x3 stride-1 single-group convs where it
//     saves enough work (conv_wino.go);
//   - the pixel-major GEMM (pixels x Cout) for outputs of few pixels, where
//     the channel-major one would waste its last panel
//     (conv_pixmajor.go);
//   - the depthwise kernel for one input and one output channel per group
//     (dw.go);
//   - this channel-major implicit GEMM otherwise.
//
// With weights fed at run time, only the channel- and pixel-major GEMMs
// run (convNewFedWeights). It declines 1x1 stride-1 unpadded single-group
// convs with constant weights (plain GEMMs: kerConv1x1 in kernels.go) but
// those of few pixels, and anything that is not a float32 2-D convolution
// with weights of a known shape. Every kernel runs on any input shape at
// run time; the choice only affects speed. With several threads, a Run
// is cut into chunks (column tiles and output-channel parts, planes, tile
// blocks) of at least ~0.1 ms each, claimed by ec.ParallelFor.

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/internal/keep"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// Tiling of the implicit GEMM (see BenchmarkConv): a B tile of at most
// convTileBytes (kb x nb floats) stays in L2 while every strip of the
// weights runs over it; K is cut into blocks of at most convMaxKC.
const (
	convMaxKC     = 512
	convTileBytes = 256 << 10
	convMaxNB     = 1024
)

// convNode is what a Conv or FusedConv factory decides once: the geometry
// of the window, the weights packed per group, the constant bias, the
// fused epilogue.
type convNode struct {
	win                    *ops.SpatialWindow
	kh, kw, sh, sw, dh, dw int
	group                  int
	m, cg                  int // output channels, input channels per group
	hasBias                bool
	residual               bool // FusedConv's Z is given
	act                    kerAct
}

// convParse reads a Conv or FusedConv node: ok is false when the node is
// not a float32 2-D convolution whose weight shape is known and whose
// attributes the kernels take (the generic kernel then reports any
// error). w is the weights when they are constant, nil when they are fed
// at run time (training feeds its parameters).
func convParse(n *ops.Node, fused bool) (c *convNode, w *tensor.Tensor, ok bool) {
	c = &convNode{}
	base := n
	if fused {
		act, ok := kerFusedAct(n)
		if !ok {
			return nil, nil, false
		}
		c.act = act
		base = ops.Unfused(n, "Conv", 11, 3)
		if n.HasIn(3) {
			if len(n.In) < 4 || n.In[3].DType != tensor.Float32 {
				return nil, nil, false
			}
			c.residual = true
		}
	}
	if len(base.In) < 2 || !kerIsF32(base, 0, 1, 2) || len(n.Out) == 0 || n.Out[0].DType != tensor.Float32 {
		return nil, nil, false
	}
	if s := base.In[0].Shape; s != nil && len(s) != 4 {
		return nil, nil, false
	}
	var ws []int
	if w = base.InValue(1); w != nil {
		if w.DType() != tensor.Float32 || w.Rank() != 4 {
			return nil, nil, false
		}
		ws = w.Shape()
	} else if ws, ok = base.In[1].ConcreteShape(); !ok || len(ws) != 4 || base.In[1].Absent {
		return nil, nil, false
	}
	if !c.parseWindow(base, ws) {
		return nil, nil, false
	}
	if base.HasIn(2) {
		c.hasBias = true
		if bv := base.InValue(2); bv != nil && (bv.Rank() != 1 || bv.Len() != c.m) {
			return nil, nil, false
		}
	}
	return c, w, true
}

// parseWindow sets c's channels and window from the attributes of n, a
// Conv or one of its gradients, for weights of shape ws (M x C/group x kH
// x kW); it reports false for attributes the kernels do not take.
func (c *convNode) parseWindow(n *ops.Node, ws []int) bool {
	c.m, c.cg, c.kh, c.kw = ws[0], ws[1], ws[2], ws[3]
	g := n.AttrInt("group")
	if c.m <= 0 || c.cg <= 0 || c.kh <= 0 || c.kw <= 0 || g < 1 || int64(c.m)%g != 0 {
		return false
	}
	c.group = int(g)
	if ks := n.AttrInts("kernel_shape"); len(ks) > 0 && (len(ks) != 2 || ks[0] != int64(c.kh) || ks[1] != int64(c.kw)) {
		return false
	}
	win, err := ops.ParseSpatialWindow(n, []int{c.kh, c.kw})
	if err != nil {
		return false
	}
	c.win = win
	c.sh, c.sw, c.dh, c.dw = win.Strides[0], win.Strides[1], win.Dilations[0], win.Dilations[1]
	return true
}

// isPointwise reports whether the conv is a plain GEMM per image: a 1x1
// window, stride 1, no padding, one group.
func (c *convNode) isPointwise() bool {
	if c.group != 1 || c.kh != 1 || c.kw != 1 || c.sh != 1 || c.sw != 1 {
		return false
	}
	if c.win.AutoPad != ops.AutoPadNotSet {
		return true // a 1x1 stride-1 window needs no padding
	}
	for _, p := range c.win.Pads {
		if p != 0 {
			return false
		}
	}
	return true
}

// isDepthwise reports whether every group has one input and one output
// channel.
func (c *convNode) isDepthwise() bool {
	return c.group > 1 && c.cg == 1 && c.m == c.group
}

// isWinograd reports whether the Winograd kernel can run the conv: 3x3,
// stride 1, dilation 1, one group.
func (c *convNode) isWinograd() bool {
	return c.kh == 3 && c.kw == 3 && c.sh == 1 && c.sw == 1 && c.dh == 1 && c.dw == 1 && c.group == 1
}

// convForceWino lets tests flip the factory's choice of Winograd for the
// convs it can run, so that both kernels run on every geometry.
var convForceWino = convWinoAuto

const (
	convWinoAuto = iota
	convWinoFlip
)

// convForceLayout lets tests flip the factory's choice between the
// channel-major and the pixel-major GEMM (convLayoutFlip), so that both
// run on every geometry.
var convForceLayout = convLayoutAuto

const (
	convLayoutAuto = iota
	convLayoutFlip
)

// convNew builds the kernel of a Conv (fused false) or FusedConv node.
func convNew(g *ISA, n *ops.Node, fused bool) (ops.Kernel, error) {
	c, w, ok := convParse(n, fused)
	if !ok {
		return nil, nil
	}
	if w == nil {
		return convNewFedWeights(g, n, c), nil
	}
	switch {
	case c.isDepthwise():
		if k := dwNew(g, c, w); k != nil {
			return k, nil
		}
		return nil, nil
	case c.isPointwise():
		// A plain GEMM per image (kerConv1x1 in kernels.go), but
		// for few pixels, where the pixel-major GEMM uses its tiles
		// better: 23% faster on mobilenet_v2's 7x7 960->160 pointwise
		// conv, 26% on 320->1280 (BenchmarkConv, interleaved runs).
		if dims, ok := n.In[0].ConcreteShape(); !ok || len(dims) != 4 || !convPixelMajorBetter(dims[2]*dims[3], g.MR, g.NR) {
			return nil, nil
		}
	}
	wd := tensor.Data[float32](w)
	if c.isWinograd() {
		// Winograd where it saves enough work (conv_wino.go).
		if dims, ok := n.In[0].ConcreteShape(); ok && len(dims) == 4 {
			if io, err := c.convShape(dims); err == nil && winoSuits(io.oh, io.ow, c.cg, c.m, g.NR) != (convForceWino == convWinoFlip) {
				return winoNew(g, c, wd), nil
			}
		}
	}
	k := &convKernel{convNode: c, g: g, kdim: c.cg * c.kh * c.kw, mg: c.m / c.group}
	for grp := range c.group {
		k.pa = append(k.pa, g.PackA(k.mg, k.kdim, wd[grp*k.mg*k.kdim:], k.kdim, false))
	}
	k.ep = Epilogue{Alpha: 1}
	c.act.apply(&k.ep)
	// Few output pixels: the pixel-major GEMM (conv_pixmajor.go),
	// with W^T packed instead.
	if dims, ok := n.In[0].ConcreteShape(); ok && len(dims) == 4 {
		if io, err := c.convShape(dims); err == nil && convPixelMajorBetter(io.ohw, g.MR, g.NR) != (convForceLayout == convLayoutFlip) {
			k.pa, k.pixel = nil, true
			for grp := range c.group {
				k.pbT = append(k.pbT, g.PackB(k.kdim, k.mg, wd[grp*k.mg*k.kdim:], k.kdim, true))
			}
		}
	}
	return k, nil
}

// convNewFedWeights builds the implicit-GEMM kernel of a conv whose
// weights are an input fed at run time (training feeds its parameters):
// each Run packs them into pooled scratch (packWeights), M*K values
// against the M*K multiply-adds of every output pixel. Depthwise convs
// are left to the generic kernel's direct loop (the implicit GEMM would
// use one row of each MR-row strip), and Winograd, whose weight
// transform is built once, is not used.
func convNewFedWeights(g *ISA, n *ops.Node, c *convNode) ops.Kernel {
	if c.isDepthwise() {
		return nil
	}
	k := &convKernel{convNode: c, g: g, kdim: c.cg * c.kh * c.kw, mg: c.m / c.group, fed: true}
	k.ep = Epilogue{Alpha: 1}
	c.act.apply(&k.ep)
	if dims, ok := n.In[0].ConcreteShape(); ok && len(dims) == 4 {
		if io, err := c.convShape(dims); err == nil && convPixelMajorBetter(io.ohw, g.MR, g.NR) != (convForceLayout == convLayoutFlip) {
			k.pixel = true
		}
	}
	return k
}

// convKernel is the implicit-GEMM convolution.
type convKernel struct {
	*convNode
	g     *ISA
	kdim  int        // K = cg*kh*kw
	mg    int        // output channels per group
	pa    []*PackedA // per group: its mg x K weights
	pbT   []*PackedB // or, for the pixel-major GEMM, their K x mg transposes
	pixel bool       // the pixel-major GEMM
	fed   bool       // the weights are input 1 of each Run, packed per Run
	ep    Epilogue   // the activation (for the pass over finished tiles)
}

// packWeights packs the weights of a Run (input 1, fed) into r's scratch
// as the GEMM's operand per group, and points r.pa or r.pbT at them.
func (k *convKernel) packWeights(r *convRun, w *tensor.Tensor) error {
	if w == nil || w.DType() != tensor.Float32 || !tensor.SameShape(w.Shape(), []int{k.m, k.cg, k.kh, k.kw}) {
		var s []int
		if w != nil {
			s = w.Shape()
		}
		return fmt.Errorf("%w: Conv weights of shape %v for a kernel built for %v", ops.ErrShapeMismatch, s, []int{k.m, k.cg, k.kh, k.kw})
	}
	k.packWeightData(r, tensor.Data[float32](w))
	return nil
}

// packWeightData packs weights wd (m x cg x kh x kw) into r's scratch as
// the GEMM's operand per group, and points r.pa or r.pbT at them.
func (k *convKernel) packWeightData(r *convRun, wd []float32) {
	g, size := k.g, k.mg*k.kdim
	if len(r.fedPtr) < k.group {
		r.fedA, r.fedB = make([]PackedA, k.group), make([]PackedB, k.group)
		r.fedPtr, r.fedPtrB = make([]*PackedA, k.group), make([]*PackedB, k.group)
	}
	if k.pixel {
		per := ((k.mg+g.NR-1)/g.NR*g.NR*k.kdim + 15) &^ 15
		r.fedBuf = convGrow(r.fedBuf, k.group*per)
		for grp := range k.group {
			pb := &r.fedB[grp]
			*pb = PackedB{k: k.kdim, n: k.mg, impl: g, data: r.fedBuf[grp*per : (grp+1)*per]}
			gemmPackB(pb.data, k.kdim, k.mg, g.NR, wd[grp*size:(grp+1)*size], k.kdim, true)
			r.fedPtrB[grp] = pb
		}
		r.pbT = r.fedPtrB[:k.group]
		return
	}
	per := ((k.mg+g.MR-1)/g.MR*g.MR*k.kdim + 15) &^ 15
	r.fedBuf = convGrow(r.fedBuf, k.group*per)
	for grp := range k.group {
		pa := &r.fedA[grp]
		*pa = PackedA{m: k.mg, k: k.kdim, impl: g, data: r.fedBuf[grp*per : (grp+1)*per]}
		gemmPackA(pa.data, g.MR, k.mg, 0, k.kdim, wd[grp*size:(grp+1)*size], k.kdim, false)
		r.fedPtr[grp] = pa
	}
	r.pa = r.fedPtr[:k.group]
}

// Overwrites reports that the kernel writes every output element.
func (k *convKernel) Overwrites() bool { return true }

// convIO is what one Run works on, shared by its chunks.
type convIO struct {
	n, c, h, w   int // input
	oh, ow, ohw  int
	padT, padL   int
	hp, wp       int // the plane the offsets refer to (padded or not)
	x            []float32
	y, z, bias   []float32
	img          int       // the image in progress
	src          []float32 // its input: x's image, or the padded copy
	dOff         []int32   // per row of K: offset of its tap in a group's src
	nb, kc       int       // tile columns, K block
	tiles, parts int       // column tiles and output-channel parts per group
	partRows     int       // rows of an output-channel part (a multiple of MR)
}

// convShape validates x against the node and returns the output geometry.
func (c *convNode) convShape(xs []int) (io convIO, err error) {
	if len(xs) != 4 || xs[1] != c.cg*c.group {
		return io, fmt.Errorf("%w: Conv input %v for weights of %d input channels per group, group %d", ops.ErrShapeMismatch, xs, c.cg, c.group)
	}
	io.n, io.c, io.h, io.w = xs[0], xs[1], xs[2], xs[3]
	var padB, padR int
	if io.oh, io.padT, padB, err = c.win.OutDim(0, io.h); err != nil {
		return io, err
	}
	if io.ow, io.padL, padR, err = c.win.OutDim(1, io.w); err != nil {
		return io, err
	}
	io.ohw = io.oh * io.ow
	io.hp, io.wp = io.h+io.padT+padB, io.w+io.padL+padR
	return io, nil
}

// runIO checks a Run's input, output, bias and residual against the node
// and returns their geometry and data.
func (c *convNode) runIO(in, out []*tensor.Tensor) (convIO, error) {
	io, err := c.convShape(in[0].Shape())
	if err != nil {
		return io, err
	}
	return io, c.convInputs(in, out, &io)
}

// convInputs checks and returns the output, bias and residual of a Run.
func (c *convNode) convInputs(in, out []*tensor.Tensor, io *convIO) error {
	y, err := kerOut(out, 0, []int{io.n, c.m, io.oh, io.ow})
	if err != nil {
		return err
	}
	io.x, io.y = tensor.Data[float32](in[0]), tensor.Data[float32](y)
	io.bias, io.z = nil, nil
	if c.hasBias && len(in) > 2 && in[2] != nil {
		b := in[2]
		if b.DType() != tensor.Float32 || b.Rank() != 1 || b.Len() != c.m {
			return fmt.Errorf("%w: Conv bias %v%v for %d feature maps", ops.ErrShapeMismatch, b.DType(), b.Shape(), c.m)
		}
		io.bias = tensor.Data[float32](b)
	}
	if c.residual && len(in) > 3 && in[3] != nil {
		z := in[3]
		if z.DType() != tensor.Float32 || !tensor.SameShape(z.Shape(), y.Shape()) {
			return fmt.Errorf("%w: FusedConv residual %v%v for an output %v", ops.ErrShapeMismatch, z.DType(), z.Shape(), y.Shape())
		}
		io.z = tensor.Data[float32](z)
	}
	return nil
}

// convRun is one Run in progress: its shapes and scratch, pooled so that a
// Run allocates nothing in steady state. run is bound once to chunk, so
// handing it to ParallelFor allocates nothing either.
type convRun struct {
	k    *convKernel
	io   convIO
	pad  []float32 // the padded image
	dOff []int32
	pa   []*PackedA // the weights: k's, or the Run's (fed)
	pbT  []*PackedB
	run  func(int)

	// Fed weights, packed per Run (wFlip: ConvGradInput's, flipped
	// and transposed, before packing).
	wFlip   []float32
	fedBuf  []float32
	fedA    []PackedA
	fedB    []PackedB
	fedPtr  []*PackedA
	fedPtrB []*PackedB
}

var convRunPool = keep.List[convRun]{New: func() *convRun {
	r := &convRun{}
	r.run = func(i int) { r.chunk(i) }
	return r
}}

// convTile is one worker's scratch: a packed B tile and its lane groups.
type convTile struct {
	b     []float32
	lanes []convLanes
}

var convTilePool keep.List[convTile]

func (k *convKernel) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	io, err := k.runIO(in, out)
	if err != nil {
		return err
	}
	if io.n == 0 || io.ohw == 0 {
		return nil
	}
	if plane := io.hp * io.wp; io.c > (1<<31-1)/plane || io.c*plane > (1<<31-1)-64 {
		return fmt.Errorf("%w: Conv input %v too large for the %s kernel (offsets are 32-bit)", ops.ErrShapeMismatch, in[0].Shape(), k.g.Name)
	}
	r := convRunPool.Get()
	defer convRunPool.Put(r)
	r.k, r.io = k, io
	r.pa, r.pbT = k.pa, k.pbT
	if k.fed {
		if err := k.packWeights(r, in[1]); err != nil {
			return err
		}
	}
	k.exec(ec, r)
	return nil
}

// exec runs the conv of r.io (whose input, output, bias and residual are
// set and checked) with the weights of r.pa or r.pbT, and clears r.
func (k *convKernel) exec(ec *ops.ExecContext, r *convRun) {
	io := r.io
	padded := io.hp != io.h || io.wp != io.w
	plane := io.hp * io.wp
	if padded {
		r.pad = convGrow(r.pad, io.c*plane)
	}
	r.dOff = convTapOffsets(r.dOff, k.convNode, plane, io.wp)
	r.io.dOff = r.dOff
	k.tiling(&r.io, ec)
	chunks := k.group * r.io.tiles * r.io.parts
	for img := range io.n {
		r.io.img = img
		xi := io.x[img*io.c*io.h*io.w : (img+1)*io.c*io.h*io.w]
		if padded {
			convPadImage(r.pad, xi, io.c, io.h, io.w, io.hp, io.wp, io.padT, io.padL)
			r.io.src = r.pad
		} else {
			r.io.src = xi
		}
		if k.pixel {
			pr := convPixRunPool.Get()
			for grp := range k.group {
				k.runPixelMajor(ec, &r.io, grp, r.pbT[grp], pr)
			}
			convPixRunPool.Put(pr)
			continue
		}
		if chunks > 1 && ec != nil && ec.Pool != nil && ec.Threads > 1 {
			ec.ParallelFor(chunks, r.run)
		} else {
			ec.SerialFor(chunks, r.run)
		}
	}
	r.k, r.io, r.pa, r.pbT = nil, convIO{}, nil, nil
}

// tiling chooses the column tile, the K block and, for several threads,
// how the work of an image is cut into chunks.
func (k *convKernel) tiling(io *convIO, ec *ops.ExecContext) {
	nr, mr := k.g.NR, k.g.MR
	io.kc = k.kdim
	if blocks := (k.kdim + convMaxKC - 1) / convMaxKC; blocks > 1 {
		io.kc = (k.kdim + blocks - 1) / blocks
	}
	nb := convTileBytes / (4 * io.kc) / nr * nr
	nb = min(max(nb, nr), convMaxNB)
	if nb >= io.ohw {
		nb = io.ohw
	} else if t := (io.ohw + nb - 1) / nb; t > 1 {
		// Even tiles, in whole panels.
		nb = ((io.ohw+t-1)/t + nr - 1) / nr * nr
	}
	io.nb = nb
	io.tiles = (io.ohw + nb - 1) / nb
	io.parts, io.partRows = 1, (k.mg+mr-1)/mr*mr
	if ec == nil || ec.Pool == nil || ec.Threads < 2 {
		return
	}
	// Chunks of at least convMinChunkFlops each; with fewer column tiles
	// than that allows, the output channels are cut too (each part packs
	// its own copy of the tile).
	flops := 2 * k.mg * k.kdim * io.ohw * k.group
	want := min(flops/convMinChunkFlops, 4*ec.Threads)
	if have := k.group * io.tiles; want > have {
		strips := (k.mg + mr - 1) / mr
		parts := min((want+have-1)/have, strips)
		io.partRows = (strips + parts - 1) / parts * mr
		io.parts = (k.mg + io.partRows - 1) / io.partRows
	}
}

// convMinChunkFlops is the least work worth a chunk of its own on another
// thread: about 0.1 ms.
const convMinChunkFlops = 4 << 20

// chunk computes one (group, column tile, output-channel part) of the
// current image.
func (r *convRun) chunk(i int) {
	k, io := r.k, &r.io
	part := i % io.parts
	i /= io.parts
	tile := i % io.tiles
	grp := i / io.tiles
	j0 := tile * io.nb
	nb := min(io.nb, io.ohw-j0)
	m0 := part * io.partRows
	m1 := min(m0+io.partRows, k.mg)

	g := k.g
	nr, mr := g.NR, g.MR
	panels := (nb + nr - 1) / nr
	t := convTilePool.Get()
	if t == nil {
		t = &convTile{}
	}
	defer convTilePool.Put(t)
	t.b = convGrow(t.b, panels*nr*io.kc)
	if need := panels * nr / 8; len(t.lanes) < need {
		t.lanes = make([]convLanes, need)
	}

	plane := io.hp * io.wp
	src := io.src[grp*k.cg*plane : (grp+1)*k.cg*plane]
	maxD := int(r.dOff[k.kdim-1])
	groups := convLaneSetup(t.lanes, j0, nb, nr, io.ow, k.sh, k.sw, io.wp, maxD, len(src))

	ep := &k.ep
	kernelAct := ep.Act == ActRelu || ep.Act == ActClip
	ctx := getCtx()
	defer putCtx(ctx)
	args := &ctx.args
	*args = GemmArgs{}
	args.alpha, args.beta = 1, 1
	args.n = nb
	args.ldc = io.ohw * 4
	args.ldRes = io.ohw * 4
	args.bRow = nr * 4
	switch ep.Act {
	case ActRelu:
		args.lo, args.hi = 0, convInf
	case ActClip:
		args.lo, args.hi = ep.Min, ep.Max
	}
	outBase := (io.img*k.m + grp*k.mg) * io.ohw
	pa := r.pa[grp]
	for p0 := 0; p0 < k.kdim; p0 += io.kc {
		kb := min(io.kc, k.kdim-p0)
		first, last := p0 == 0, p0+kb >= k.kdim
		ctx.pack = ConvPackArgs{kb: kb, groups: groups, subs: nr / 8, rowStride: nr * 4, panelStride: kb * nr * 4, subStride: 32}
		g.convPack(&ctx.pack, src, r.dOff[p0:p0+kb], t.lanes[:groups], t.b)
		args.k = kb
		args.b = &t.b[0]
		args.bPanel = kb * nr * 4
		args.flags = 0
		if !first {
			args.flags |= gemmFlagC
		} else if io.bias != nil {
			args.flags |= gemmFlagRowBias
		}
		if last {
			if io.z != nil {
				args.flags |= gemmFlagRes
			}
			if kernelAct {
				args.flags |= gemmFlagClamp
			}
		}
		for s := m0; s < m1; s += mr {
			rows := min(mr, m1-s)
			args.a = &pa.data[s*k.kdim+p0*mr]
			off := outBase + s*io.ohw + j0
			args.c = &io.y[off]
			if io.bias != nil {
				args.rowBias = &io.bias[grp*k.mg+s]
			}
			if io.z != nil {
				args.res = &io.z[off]
			}
			g.call(rows, ctx)
			if last && !kernelAct && ep.Act != ActNone {
				for q := range rows {
					o := off + q*io.ohw
					g.activate(io.y[o:o+nb], ep)
				}
			}
		}
	}
}

// convInf is +Inf, Relu's upper bound.
var convInf = float32(math.Inf(1))

// convGrow returns a 64-byte aligned buffer of n float32s, reusing b when
// it is large enough (its contents are then undefined).
func convGrow(b []float32, n int) []float32 {
	if cap(b) >= n {
		return b[:n]
	}
	return gemmAligned(n)
}

// convGrowInt32 is convGrow for int32s (not aligned).
func convGrowInt32(b []int32, n int) []int32 {
	if cap(b) >= n {
		return b[:n]
	}
	return make([]int32, n)
}

// convPadImage copies c planes of h x w from x into dst as planes of hp x
// wp with padT zero rows on top and padL zero columns on the left (and
// zeros everywhere else outside the copy).
func convPadImage(dst, x []float32, c, h, w, hp, wp, padT, padL int) {
	for ch := range c {
		d := dst[ch*hp*wp : (ch+1)*hp*wp]
		s := x[ch*h*w : (ch+1)*h*w]
		clear(d[:padT*wp+padL])
		for y := range h {
			row := d[(padT+y)*wp+padL:]
			copy(row[:w], s[y*w:(y+1)*w])
			// The right padding of this row and the left of the next.
			end := min(wp-w, len(row)-w)
			clear(row[w : w+end])
		}
		clear(d[min((padT+h)*wp+padL, len(d)):])
	}
}

// convTapOffsets returns, in dst grown to cg*kh*kw, the offset of each row
// of the conv's K (input channel, kernel row, kernel column) in a padded
// image of planes of plane elements and rows of wp.
func convTapOffsets(dst []int32, c *convNode, plane, wp int) []int32 {
	dst = convGrowInt32(dst, c.cg*c.kh*c.kw)
	p := 0
	for ci := range c.cg {
		for ky := range c.kh {
			for kx := range c.kw {
				dst[p] = int32(ci*plane + ky*c.dh*wp + kx*c.dw)
				p++
			}
		}
	}
	return dst
}
