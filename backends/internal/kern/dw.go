package kern

// Depthwise 2-D convolution (one input and one output channel per group,
// as in MobileNets), for Conv and ai.onyx:FusedConv: memory-bound, so one
// pass per NCHW plane in an ISA's routines, one vector of output columns
// at a time, one FMA per tap, the bias, residual and Relu/Clip applied before the single store
// (other activations in a pass over the plane while it is in cache).

import (
	"math"
	"unsafe"

	"github.com/onyxml/onyx/internal/keep"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// WinArgs is what the sliding-window routines (the depthwise conv and the
// pools) read for one plane. Its layout is fixed: the assembly uses its
// offsets (TestWinArgsLayout).
type WinArgs struct {
	x      *float32 // the input plane, h x wd
	y      *float32 // the output plane, oh x ow
	w      *float32 // dw: the kh x kw weights
	res    *float32 // dw: the residual plane (flags&winFlagRes); avg: the oh x ow reciprocal counts
	h, wd  int
	oh, ow int
	kh, kw int
	padT   int
	padL   int
	fastLo int // output columns ox0 (multiples of 8) in [fastLo, fastHi) have
	fastHi int // every tap of their 8 lanes inside the input row
	flags  int // winFlag*
	bias   float32
	lo, hi float32 // the clamp (flags&winFlagClamp)
	_      float32
}

// Flags of WinArgs.
const (
	winFlagRes   = 1
	winFlagClamp = 2
)

// dwWindowGo computes one plane of a depthwise convolution with stride s
// (ISA.DWS1, DWS2), dilation 1:
//
//	for oy := range oh {
//		for ox := range ow {
//			v := bias
//			for ky := range kh {
//				for kx := range kw {
//					iy, ix := oy*s-padT+ky, ox*s-padL+kx
//					if 0 <= iy && iy < h && 0 <= ix && ix < wd {
//						v += x[iy*wd+ix] * w[ky*kw+kx]
//					}
//				}
//			}
//			if flags&winFlagRes != 0 { v += res[oy*ow+ox] }
//			if flags&winFlagClamp != 0 { v = min(max(v, lo), hi) } // NaN stays NaN
//			y[oy*ow+ox] = v
//		}
//	}
//
// The caller computes fastLo and fastHi with winFastRange (assembly may
// use them; this loop does not). Assembly sets the CPU's flush-to-zero
// mode for the duration of the call.
func dwWindowGo(a *WinArgs, s int) {
	for oy := range a.oh {
		for ox := range a.ow {
			v := a.bias
			for ky := range a.kh {
				iy := oy*s - a.padT + ky
				if iy < 0 || iy >= a.h {
					continue
				}
				for kx := range a.kw {
					if ix := ox*s - a.padL + kx; 0 <= ix && ix < a.wd {
						v += *f32At(a.x, 4*(iy*a.wd+ix)) * *f32At(a.w, 4*(ky*a.kw+kx))
					}
				}
			}
			o := 4 * (oy*a.ow + ox)
			if a.flags&winFlagRes != 0 {
				v += *f32At(a.res, o)
			}
			if a.flags&winFlagClamp != 0 && v == v {
				v = min(max(v, a.lo), a.hi)
			}
			*f32At(a.y, o) = v
		}
	}
}

// winFastRange returns the output columns [lo, hi) (multiples of 8) whose
// 8 lanes read only inside the input row: with stride s, lane l of tap kx
// reads column (ox0+l)*s-padL+kx, and a stride-2 vector loads 16 floats.
func winFastRange(ow, wd, kw, s, padL int) (lo, hi int) {
	lo, hi = 0, 0
	found := false
	for ox0 := 0; ox0+8 <= ow; ox0 += 8 {
		first := ox0*s - padL
		last := first + 7 + kw - 1 // stride 1
		if s == 2 {
			last = first + kw - 1 + 15
		}
		if first < 0 || last >= wd {
			if found {
				break
			}
			continue
		}
		if !found {
			lo, found = ox0, true
		}
		hi = ox0 + 8
	}
	return lo, hi
}

// The sliding-window kernels, for winCall.
const (
	winDWS1 = iota
	winDWS2
	winMaxS1
	winMaxS2
	winAvgS1
	winAvgS2
)

// winCall runs g's sliding-window routine f for one plane, telling the
// race detector what it touches.
func (g *ISA) winCall(f int, a *WinArgs, x, y, w, res []float32) {
	gemmRaceRead(x)
	gemmRaceRead(w)
	gemmRaceRead(res)
	gemmRaceWrite(y)
	switch f {
	case winDWS1:
		g.DWS1(a)
	case winDWS2:
		g.DWS2(a)
	default:
		g.poolCall(f, a)
	}
}

// DWArgs is what the padded-plane depthwise routines (ISA.DWCopy,
// DW3x3S1, DW3x3S2) read. Its layout is fixed: the assembly uses its
// offsets (TestWinArgsLayout).
type DWArgs struct {
	p      *float32 // the padded plane: zero borders, rows of wp floats
	x      *float32 // the input plane, h x wd
	y      *float32 // the output plane, oh x ow
	w      *float32 // the kh x kw weights
	res    *float32 // the residual plane (flags&winFlagRes)
	h, wd  int
	wp     int
	padT   int
	padL   int
	oh, ow int
	flags  int // winFlag*
	bias   float32
	lo, hi float32 // the clamp (flags&winFlagClamp)
	_      float32
}

// dwCopyGo copies the input plane x (h x wd) into the padded plane p at
// row padT, column padL (ISA.DWCopy):
//
//	for iy := range h {
//		copy(p[(padT+iy)*wp+padL:][:wd], x[iy*wd:(iy+1)*wd])
//	}
//
// and zeroes p[(padT+iy)*wp+padL+wd:][:ceil8(wd)-wd] (the caller leaves
// room: wp >= padL + wd rounded up to 8).
func dwCopyGo(a *DWArgs) {
	for iy := range a.h {
		row := unsafe.Slice(f32At(a.p, 4*((a.padT+iy)*a.wp+a.padL)), ceil8(a.wd))
		copy(row, unsafe.Slice(f32At(a.x, 4*iy*a.wd), a.wd))
		clear(row[a.wd:])
	}
}

// dw3x3Go computes one plane of a 3x3 depthwise convolution with stride s
// from the padded plane p (ISA.DW3x3S1, DW3x3S2):
//
//	for oy := range oh {
//		for ox := range ow {
//			v := bias
//			for ky := range 3 {
//				for kx := range 3 {
//					v += p[(oy*s+ky)*wp+ox*s+kx] * w[ky*3+kx]
//				}
//			}
//			if flags&winFlagRes != 0 { v += res[oy*ow+ox] }
//			if flags&winFlagClamp != 0 { v = min(max(v, lo), hi) } // NaN stays NaN
//			y[oy*ow+ox] = v
//		}
//	}
//
// Rows of p hold wp >= s*ceil8(ow)+2 floats, p has s*(oh-1)+3 rows (and
// the zero borders of the conv's padding). Assembly may store the last
// vector of a row whole when the plane has room for it: its lanes past ow
// land in the next rows, which are computed (and stored) after it; and it
// sets the CPU's flush-to-zero mode for the duration of the call.
func dw3x3Go(a *DWArgs, s int) {
	w := unsafe.Slice(a.w, 9)
	for oy := range a.oh {
		for ox := range a.ow {
			v := a.bias
			for ky := range 3 {
				row := f32At(a.p, 4*((oy*s+ky)*a.wp+ox*s))
				for kx := range 3 {
					v += *f32At(row, 4*kx) * w[ky*3+kx]
				}
			}
			o := 4 * (oy*a.ow + ox)
			if a.flags&winFlagRes != 0 {
				v += *f32At(a.res, o)
			}
			if a.flags&winFlagClamp != 0 && v == v {
				v = min(max(v, a.lo), a.hi)
			}
			*f32At(a.y, o) = v
		}
	}
}

// dwKernel is the depthwise convolution. Each plane is first copied into
// a zero-bordered scratch plane (ISA.DWCopy, in L1/L2), so that the
// compute loops read every tap without bounds checks or masks: 3x3
// windows with the weights in registers (ISA.DW3x3S1, DW3x3S2), others
// with the sliding-window routine (ISA.DWS1, DWS2) over the padded plane.
type dwKernel struct {
	*convNode
	g  *ISA
	w  []float32 // m planes of kh x kw
	ep Epilogue  // the activation
}

// dwNew returns the depthwise kernel for c, or nil when its window is not
// one the routines take (stride 1 or 2 on both axes, dilation 1).
func dwNew(g *ISA, c *convNode, w *tensor.Tensor) ops.Kernel {
	for i := range 2 {
		if c.win.Dilations[i] != 1 || (c.win.Strides[i] != 1 && c.win.Strides[i] != 2) {
			return nil
		}
	}
	if c.sh != c.sw || c.kh > 16 || c.kw > 16 {
		return nil
	}
	k := &dwKernel{convNode: c, g: g, w: tensor.Data[float32](w)}
	k.ep = Epilogue{Alpha: 1}
	c.act.apply(&k.ep)
	return k
}

// Overwrites reports that the kernel writes every output element.
func (k *dwKernel) Overwrites() bool { return true }

// dwMinChunk is the least number of multiply-adds worth a chunk of planes
// on another thread (about 0.1 ms).
const dwMinChunk = 1 << 20

// dwGeom is the padded plane of a Run: hp rows of wp floats.
type dwGeom struct {
	hp, wp int
}

func ceil8(n int) int { return (n + 7) &^ 7 }

// geom sizes the padded plane for io: every tap of every computed vector
// (the last one rounded up to 8 columns) inside it.
func (k *dwKernel) geom(io *convIO) dwGeom {
	s := k.sw
	padB := max(0, s*(io.oh-1)+k.kh-io.padT-io.h)
	return dwGeom{
		hp: max(io.padT+io.h+padB, s*(io.oh-1)+k.kh),
		wp: max(io.padL+ceil8(io.w), s*ceil8(io.ow)+k.kw+16),
	}
}

func (k *dwKernel) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	io, err := k.runIO(in, out)
	if err != nil {
		return err
	}
	planes := io.n * io.c
	if planes == 0 || io.ohw == 0 {
		return nil
	}
	work := planes * io.ohw * k.kh * k.kw
	if ec == nil || ec.Pool == nil || ec.Threads < 2 || work < 2*dwMinChunk {
		k.planes(&io, 0, planes)
		return nil
	}
	r := winRunPool.Get()
	r.dw, r.io = k, io
	r.chunks = min(work/dwMinChunk, 4*ec.Threads, planes)
	ec.ParallelFor(r.chunks, r.run)
	r.dw, r.io = nil, convIO{}
	winRunPool.Put(r)
	return nil
}

// winRun is a parallel Run of a sliding-window kernel in progress, pooled
// with run bound to chunk once, so that a Run allocates nothing.
type winRun struct {
	dw     *dwKernel
	pool   *poolKernel
	f      int
	a      WinArgs
	io     convIO
	chunks int
	run    func(int)
}

// winScratchPool recycles the sliding-window kernels' scratch planes (the
// depthwise padded planes, the pools' reciprocal counts), apart from the
// SGEMM's buffers of other sizes.
var winScratchPool keep.List[[]float32]

var winRunPool = keep.List[winRun]{New: func() *winRun {
	r := &winRun{}
	r.run = func(i int) { r.chunk(i) }
	return r
}}

// chunk runs the i-th of r.chunks runs of consecutive planes.
func (r *winRun) chunk(i int) {
	planes := r.io.n * r.io.c
	p0, p1 := i*planes/r.chunks, (i+1)*planes/r.chunks
	if r.dw != nil {
		r.dw.planes(&r.io, p0, p1)
		return
	}
	a := r.a
	r.pool.planes(r.f, &a, &r.io, p0, p1)
}

// planes computes planes [p0, p1) (image-major).
func (k *dwKernel) planes(io *convIO, p0, p1 int) {
	g := k.geom(io)
	buf := winScratchPool.Get()
	if buf == nil {
		buf = new([]float32)
	}
	defer winScratchPool.Put(buf)
	*buf = convGrow(*buf, g.hp*g.wp)
	pad := *buf
	clear(pad)
	ctx := getCtx()
	defer putCtx(ctx)
	a, wa := &ctx.dw, &ctx.win
	*a, *wa = DWArgs{}, WinArgs{}
	a.p = unsafe.SliceData(pad)
	a.h, a.wd, a.wp, a.padT, a.padL, a.oh, a.ow = io.h, io.w, g.wp, io.padT, io.padL, io.oh, io.ow
	if io.z != nil {
		a.flags |= winFlagRes
	}
	switch k.ep.Act {
	case ActRelu:
		a.flags |= winFlagClamp
		a.lo, a.hi = 0, float32(math.Inf(1))
	case ActClip:
		a.flags |= winFlagClamp
		a.lo, a.hi = k.ep.Min, k.ep.Max
	}
	// The sliding-window kernel for windows other than 3x3, over the
	// padded plane: no padding left, every full vector fast.
	f := winDWS1
	if k.sw == 2 {
		f = winDWS2
	}
	wa.x, wa.h, wa.wd, wa.oh, wa.ow, wa.kh, wa.kw = a.p, g.hp, g.wp, io.oh, io.ow, k.kh, k.kw
	wa.fastLo, wa.fastHi = 0, io.ow/8*8
	wa.flags, wa.lo, wa.hi = a.flags, a.lo, a.hi
	is3x3 := k.kh == 3 && k.kw == 3

	hw, ohw := io.h*io.w, io.ohw
	gemmRaceWrite(pad)
	for p := p0; p < p1; p++ {
		ch := p % io.c
		x := io.x[p*hw : (p+1)*hw]
		y := io.y[p*ohw : (p+1)*ohw]
		w := k.w[ch*k.kh*k.kw : (ch+1)*k.kh*k.kw]
		gemmRaceRead(x)
		gemmRaceRead(w)
		gemmRaceWrite(y)
		a.x, a.y, a.w = unsafe.SliceData(x), unsafe.SliceData(y), unsafe.SliceData(w)
		a.bias = 0
		if io.bias != nil {
			a.bias = io.bias[ch]
		}
		if io.z != nil {
			res := io.z[p*ohw : (p+1)*ohw]
			gemmRaceRead(res)
			a.res = unsafe.SliceData(res)
		}
		k.g.DWCopy(a)
		switch {
		case is3x3 && k.sw == 1:
			k.g.DW3x3S1(a)
		case is3x3:
			k.g.DW3x3S2(a)
		default:
			wa.y, wa.w, wa.res, wa.bias = a.y, a.w, a.res, a.bias
			k.g.winCall(f, wa, pad, y, w, nil)
		}
		if act := k.ep.Act; act != ActNone && act != ActRelu && act != ActClip {
			k.g.activate(y, &k.ep)
		}
	}
}
