package kern

// The pixel-major variant of the implicit-GEMM convolution, for outputs of
// few pixels (7x7 in ResNet's last stage): there the channel-major GEMM
// (Cout x pixels) wastes most of its last NR-wide panel (49 pixels are 4
// panels of 16, 77% used) and packs the row-crossing panels with gathers.
// Transposed, C' (pixels x Cout) = im2col^T (pixels x K) * W^T (K x Cout):
// the pixels fill MR-row strips (49 = 8 strips of 6 and one of 1, 91%)
// and the output channels whole panels; W^T is packed once, im2col^T per
// image by the same packer (strips of MR pixels, k-major), the SGEMM driver
// runs it with the bias as a column bias, and a last pass writes C' back
// channel-major with the residual and the activation.
//
// Measured with BenchmarkConv (AMD EPYC, AVX2, 1 thread, min of 5):
// resnet18's layer4 3x3 conv (512x512, 7x7) 4.33 ms channel-major, 3.44 ms
// pixel-major (the same conv on an 8x8 input, whole panels, 3.8 ms).

import (
	"github.com/onyxml/onyx/internal/keep"
	"github.com/onyxml/onyx/ops"
)

// convPixelMajorBetter reports whether the pixel-major GEMM uses its tiles
// better than the channel-major one for ohw output pixels, with a margin
// for its transposing pass.
func convPixelMajorBetter(ohw, mr, nr int) bool {
	if ohw <= 0 {
		return false
	}
	direct := float64(ohw) / float64((ohw+nr-1)/nr*nr)
	pixel := float64(ohw) / float64((ohw+mr-1)/mr*mr)
	return pixel*0.95 > direct+0.05
}

// convLaneSetupT classifies the pixels of the pixel-major layout: strip s
// holds pixels [s*mr, s*mr+mr), covered by subs lane groups of 8 that start
// subStride/4 pixels apart (for mr 12: pixels 0-7 and 4-11, the overlap
// written twice with the same values; for mr 6: pixels 0-7, the last two
// spilling into the next k step, which the packer overwrites after).
// Pixels past ohw read as zero.
func convLaneSetupT(lanes []convLanes, ohw, mr, ow, sh, sw, wp, maxD, limit int) (groups, subs, subStride int) {
	subs = (mr + 7) / 8
	step := 0
	if subs > 1 {
		step = (mr - 8) / (subs - 1)
	}
	strips := (ohw + mr - 1) / mr
	for s := range strips {
		for q := range subs {
			ln := &lanes[groups]
			groups++
			base := s*mr + q*step
			valid := 0
			for l := range 8 {
				if j := base + l; j < ohw {
					ln.off[l], ln.mask[l] = int32(j/ow*sh*wp+j%ow*sw), -1
					valid++
				} else {
					ln.off[l], ln.mask[l] = 0, 0
				}
			}
			convClassify(ln, valid, maxD, limit)
		}
	}
	return groups, subs, step * 4
}

// convPixRun is a pixel-major Run's state for its parallel part, pooled
// with run bound once.
type convPixRun struct {
	k      *convKernel
	io     *convIO
	grp    int
	pb     *PackedB  // the group's W^T
	cT     []float32 // C': ohw x mg
	pa     PackedA   // im2col^T of the image's group
	aBuf   []float32 // pa's data
	cBuf   []float32 // cT's
	views  []PackedB // per chunk: its columns of W^T (here, not on the stack: the driver leaks them)
	cols   int       // output channels per chunk (a multiple of NR)
	chunks int
	run    func(int)
}

var convPixRunPool = keep.List[convPixRun]{New: func() *convPixRun {
	r := &convPixRun{}
	r.run = func(i int) { r.chunk(i) }
	return r
}}

// runPixelMajor computes group grp of the current image of io.
func (k *convKernel) runPixelMajor(ec *ops.ExecContext, io *convIO, grp int, pb *PackedB, r *convPixRun) {
	g := k.g
	mr := g.MR
	plane := io.hp * io.wp
	src := io.src[grp*k.cg*plane : (grp+1)*k.cg*plane]
	strips := (io.ohw + mr - 1) / mr

	// Pack im2col^T: strips of mr pixels over the whole depth (+8 floats
	// for the spill of a last group narrower than 8).
	r.aBuf = convGrow(r.aBuf, strips*k.kdim*mr+8)
	t := convTilePool.Get()
	if t == nil {
		t = &convTile{}
	}
	defer convTilePool.Put(t)
	if need := strips * ((mr + 7) / 8); len(t.lanes) < need {
		t.lanes = make([]convLanes, need)
	}
	groups, subs, subStride := convLaneSetupT(t.lanes, io.ohw, mr, io.ow, k.sh, k.sw, io.wp, int(r0dOff(io)), len(src))
	ctx := getCtx()
	ctx.pack = ConvPackArgs{kb: k.kdim, groups: groups, subs: subs, rowStride: mr * 4, panelStride: k.kdim * mr * 4, subStride: subStride}
	g.convPack(&ctx.pack, src, io.dOff, t.lanes[:groups], r.aBuf)
	putCtx(ctx)

	r.cBuf = convGrow(r.cBuf, io.ohw*k.mg)
	r.k, r.io, r.grp, r.pb, r.cT = k, io, grp, pb, r.cBuf
	r.pa = PackedA{m: io.ohw, k: k.kdim, impl: g, data: r.aBuf}
	r.cols, r.chunks = k.mg, 1
	if ec != nil && ec.Pool != nil && ec.Threads > 1 {
		flops := 2 * io.ohw * k.mg * k.kdim
		if want := min(flops/convMinChunkFlops, 4*ec.Threads); want > 1 {
			panels := (k.mg + g.NR - 1) / g.NR
			r.cols = (panels + want - 1) / want * g.NR
			r.chunks = (k.mg + r.cols - 1) / r.cols
		}
	}
	if len(r.views) < r.chunks {
		r.views = make([]PackedB, r.chunks)
	}
	if r.chunks > 1 {
		ec.ParallelFor(r.chunks, r.run)
	} else {
		r.chunk(0)
	}
	r.k, r.io, r.pb, r.cT, r.pa.data = nil, nil, nil, nil, nil
}

// r0dOff returns the largest row offset of io's K.
func r0dOff(io *convIO) int32 { return io.dOff[len(io.dOff)-1] }

// chunk computes output channels [i*cols, (i+1)*cols) of the group.
func (r *convPixRun) chunk(i int) {
	k, io := r.k, r.io
	g := k.g
	c0 := i * r.cols
	c1 := min(c0+r.cols, k.mg)
	pb := r.pb
	view := &r.views[i]
	*view = PackedB{k: k.kdim, n: c1 - c0, impl: g, data: pb.data[c0*k.kdim:]}
	ep := Epilogue{Alpha: 1}
	if io.bias != nil {
		ep.ColBias = io.bias[r.grp*k.mg+c0 : r.grp*k.mg+c1]
	}
	g.run(io.ohw, c1-c0, k.kdim, gemmOpA{packed: &r.pa}, gemmOpB{packed: view}, r.cT[c0:], k.mg, &ep)
	// Back to channel-major, with the residual and the activation.
	base := (io.img*k.m + r.grp*k.mg) * io.ohw
	var z []float32
	if io.z != nil {
		z = io.z[base:]
	}
	g.convUntranspose(io.y[base:], r.cT, z, io.ohw, k.mg, c0, c1, &k.ep)
}

// ConvTrArgs is what ISA.ConvTranspose reads (layout checked by
// the Test*Layout tests).
type ConvTrArgs struct {
	src, dst, res *float32
	lds, ldd      int // row strides in bytes
	rows, cols    int // output channels, pixels: multiples of 8
	flags         int // winFlagRes, winFlagClamp
	lo, hi        float32
}

// convTransposeGo writes the pixel-major block src (cols pixels x rows
// channels, rows of lds bytes) channel-major into dst (rows of ldd bytes),
// with the residual and the clamp (ISA.ConvTranspose):
//
//	for c := range rows {
//		for p := range cols {
//			v := src[p][c]
//			if flags&winFlagRes != 0 { v += res[c][p] }
//			if flags&winFlagClamp != 0 { v = min(max(v, lo), hi) } // NaN stays NaN
//			dst[c][p] = v
//		}
//	}
//
// rows and cols are multiples of 8; res has dst's layout.
func convTransposeGo(a *ConvTrArgs) {
	for c := range a.rows {
		for p := range a.cols {
			v := *f32At(a.src, p*a.lds+4*c)
			o := c*a.ldd + 4*p
			if a.flags&winFlagRes != 0 {
				v += *f32At(a.res, o)
			}
			if a.flags&winFlagClamp != 0 && v == v {
				v = min(max(v, a.lo), a.hi)
			}
			*f32At(a.dst, o) = v
		}
	}
}

// convUntranspose writes output channels [c0, c1) of the pixel-major cT
// (ohw x ldc) channel-major into y (rows of ohw), adding z (y's layout, or
// nil) and applying ep's activation: 8x8 blocks with g's routine, the
// edges in Go.
func (g *ISA) convUntranspose(y, cT, z []float32, ohw, ldc, c0, c1 int, ep *Epilogue) {
	ctx := getCtx()
	defer putCtx(ctx)
	a := &ctx.tr
	*a = ConvTrArgs{}
	a.lds, a.ldd = ldc*4, ohw*4
	a.rows, a.cols = (c1-c0)/8*8, ohw/8*8
	if z != nil {
		a.flags |= winFlagRes
	}
	switch ep.Act {
	case ActRelu:
		a.flags |= winFlagClamp
		a.lo, a.hi = 0, convInf
	case ActClip:
		a.flags |= winFlagClamp
		a.lo, a.hi = ep.Min, ep.Max
	}
	if a.rows > 0 && a.cols > 0 {
		a.src, a.dst = &cT[c0], &y[c0*ohw]
		if z != nil {
			a.res = &z[c0*ohw]
		}
		gemmRaceRead(cT[c0 : (a.cols-1)*ldc+c0+a.rows])
		gemmRaceWrite(y[c0*ohw : (c0+a.rows)*ohw])
		if z != nil {
			gemmRaceRead(z[c0*ohw : (c0+a.rows)*ohw])
		}
		g.ConvTranspose(a)
	}
	// The edges: channels past the last multiple of 8, then pixels.
	edge := func(co, p0 int) {
		row := y[co*ohw : (co+1)*ohw]
		for p := p0; p < ohw; p++ {
			v := cT[p*ldc+co]
			if z != nil {
				v += z[co*ohw+p]
			}
			if a.flags&winFlagClamp != 0 {
				v = min(max(v, a.lo), a.hi)
			}
			row[p] = v
		}
	}
	for co := c0; co < c1; co++ {
		if co < c0+a.rows {
			edge(co, a.cols)
		} else {
			edge(co, 0)
		}
	}
	if ep.Act != ActNone && ep.Act != ActRelu && ep.Act != ActClip {
		g.activate(y[c0*ohw:c1*ohw], ep)
	}
}
