//go:build amd64 && !noasm

package amd64

// Depthwise 2-D convolution (one input and one output channel per group,
// as in MobileNets), for Conv and ai.onyx:FusedConv: memory-bound, so one
// pass per NCHW plane in assembly, 8 output columns per vector, one FMA per
// tap, the bias, residual and Relu/Clip applied before the single store
// (other activations in a pass over the plane while it is in cache).

import (
	"math"
	"sync"
	"unsafe"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// winArgs is what the sliding-window kernels (dw_window_amd64.h: the
// depthwise conv and the pools) read for one plane. Its layout is fixed:
// the assembly uses the offsets listed in dw_amd64.s (TestWinArgsLayout).
type winArgs struct {
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

// Flags of winArgs.
const (
	winFlagRes   = 1
	winFlagClamp = 2
)

// dwF32AVX2S1 computes one plane of a depthwise convolution with stride 1
// (dwF32AVX2S2: stride 2), dilation 1:
//
//	for oy := range oh {
//		for ox := range ow {
//			v := bias
//			for ky := range kh {
//				for kx := range kw {
//					iy, ix := oy*S-padT+ky, ox*S-padL+kx
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
// with MXCSR's FTZ and DAZ set for the duration of the call. The caller
// computes fastLo and fastHi with winFastRange.
// Requires: AVX, AVX2, FMA3
//
//go:noescape
func dwF32AVX2S1(args *winArgs)

// dwF32AVX2S2 is dwF32AVX2S1 with stride 2.
// Requires: AVX, AVX2, FMA3
//
//go:noescape
func dwF32AVX2S2(args *winArgs)

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

// winCall runs sliding-window kernel f for one plane, telling the race
// detector what it touches. (A switch, not a func value, keeps a on the
// caller's stack.)
func winCall(f int, a *winArgs, x, y, w, res []float32) {
	gemmRaceRead(x)
	gemmRaceRead(w)
	gemmRaceRead(res)
	gemmRaceWrite(y)
	switch f {
	case winDWS1:
		dwF32AVX2S1(a)
	case winDWS2:
		dwF32AVX2S2(a)
	default:
		poolCall(f, a)
	}
}

// dwKernel is the depthwise convolution.
type dwKernel struct {
	*convNode
	w  []float32 // m planes of kh x kw
	ep Epilogue  // the activation
}

// dwNew returns the depthwise kernel for c, or nil when its window is not
// one the assembly takes (stride 1 or 2, dilation 1).
func dwNew(c *convNode, w *tensor.Tensor) ops.Kernel {
	for i := range 2 {
		if c.win.Dilations[i] != 1 || (c.win.Strides[i] != 1 && c.win.Strides[i] != 2) {
			return nil
		}
	}
	if c.sh != c.sw || c.kh > 16 || c.kw > 16 {
		return nil
	}
	k := &dwKernel{convNode: c, w: tensor.Data[float32](w)}
	k.ep = Epilogue{Alpha: 1}
	c.act.apply(&k.ep)
	return k
}

// Overwrites reports that the kernel writes every output element.
func (k *dwKernel) Overwrites() bool { return true }

// dwMinChunk is the least number of multiply-adds worth a chunk of planes
// on another thread (about 0.1 ms).
const dwMinChunk = 1 << 20

func (k *dwKernel) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	io, err := k.convShape(in[0].Shape())
	if err != nil {
		return err
	}
	if err := k.convInputs(in, out, &io); err != nil {
		return err
	}
	planes := io.n * io.c
	if planes == 0 || io.ohw == 0 {
		return nil
	}
	var a winArgs
	a.h, a.wd, a.oh, a.ow, a.kh, a.kw, a.padT, a.padL = io.h, io.w, io.oh, io.ow, k.kh, k.kw, io.padT, io.padL
	a.fastLo, a.fastHi = winFastRange(io.ow, io.w, k.kw, k.sw, io.padL)
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
	f := winDWS1
	if k.sw == 2 {
		f = winDWS2
	}
	work := planes * io.ohw * k.kh * k.kw
	if ec == nil || ec.Pool == nil || ec.Threads < 2 || work < 2*dwMinChunk {
		k.planes(f, &a, &io, 0, planes)
		return nil
	}
	r := winRunPool.Get().(*winRun)
	r.dw, r.f, r.a, r.io = k, f, a, io
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
	a      winArgs
	io     convIO
	chunks int
	run    func(int)
}

var winRunPool = sync.Pool{New: func() any {
	r := &winRun{}
	r.run = func(i int) { r.chunk(i) }
	return r
}}

// chunk runs the i-th of r.chunks runs of consecutive planes.
func (r *winRun) chunk(i int) {
	planes := r.io.n * r.io.c
	a := r.a
	p0, p1 := i*planes/r.chunks, (i+1)*planes/r.chunks
	if r.dw != nil {
		r.dw.planes(r.f, &a, &r.io, p0, p1)
	} else {
		r.pool.planes(r.f, &a, &r.io, p0, p1)
	}
}

// planes runs planes [p0, p1) (image-major) with a's geometry.
func (k *dwKernel) planes(f int, a *winArgs, io *convIO, p0, p1 int) {
	hw, ohw := io.h*io.w, io.ohw
	for p := p0; p < p1; p++ {
		ch := p % io.c
		x := io.x[p*hw : (p+1)*hw]
		y := io.y[p*ohw : (p+1)*ohw]
		w := k.w[ch*k.kh*k.kw : (ch+1)*k.kh*k.kw]
		a.x, a.y, a.w = unsafe.SliceData(x), unsafe.SliceData(y), unsafe.SliceData(w)
		a.bias = 0
		if io.bias != nil {
			a.bias = io.bias[ch]
		}
		var res []float32
		if io.z != nil {
			res = io.z[p*ohw : (p+1)*ohw]
			a.res = unsafe.SliceData(res)
		}
		winCall(f, a, x, y, w, res)
		if act := k.ep.Act; act != ActNone && act != ActRelu && act != ActClip {
			gemmActivate(y, &k.ep)
		}
	}
}
