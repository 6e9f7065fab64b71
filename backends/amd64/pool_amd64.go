//go:build amd64 && !noasm

package amd64

// MaxPool, AveragePool (2-D, stride 1 or 2, no dilation; MaxPool without
// its Indices output) and GlobalAveragePool on float32, in AVX2 assembly:
// the pools run the depthwise kernel's sliding window (dw_window_amd64.h)
// with max or sum as the tap; AveragePool multiplies each sum by a plane of
// reciprocal window counts, computed once per Run, which covers
// count_include_pad and ceil_mode alike. Everything else is declined to the
// generic kernels.

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	if !hasAVX2 {
		return
	}
	// The kernels are AVX2; they serve the avx512 tier as well, under its
	// name, so that forcing either tier keeps them.
	for _, tier := range []struct {
		name string
		ok   bool
	}{{"avx512", useAVX512}, {"avx2", useAVX2}} {
		if !tier.ok {
			continue
		}
		for _, op := range []string{"MaxPool", "AveragePool"} {
			ops.RegisterKernel(ops.KernelDef{Op: op, Backend: tier.name, Priority: ops.PriorityArch,
				New: func(n *ops.Node) (ops.Kernel, error) { return poolNew(n), nil }})
		}
		ops.RegisterKernel(ops.KernelDef{Op: "GlobalAveragePool", Backend: tier.name, Priority: ops.PriorityArch,
			New: func(n *ops.Node) (ops.Kernel, error) { return poolNewGlobalAvg(n), nil }})
	}
}

// poolMaxF32AVX2S1 computes one plane of a max pool with stride 1
// (S2: stride 2):
//
//	for oy := range oh {
//		for ox := range ow {
//			v := float32(math.Inf(-1))
//			for ky := range kh {
//				for kx := range kw {
//					iy, ix := oy*S-padT+ky, ox*S-padL+kx
//					if 0 <= iy && iy < h && 0 <= ix && ix < wd {
//						v = max(v, x[iy*wd+ix]) // a NaN wins
//					}
//				}
//			}
//			y[oy*ow+ox] = v
//		}
//	}
//
// The caller computes fastLo and fastHi with winFastRange.
// Requires: AVX, AVX2
//
//go:noescape
func poolMaxF32AVX2S1(args *winArgs)

// poolMaxF32AVX2S2 is poolMaxF32AVX2S1 with stride 2.
// Requires: AVX, AVX2
//
//go:noescape
func poolMaxF32AVX2S2(args *winArgs)

// poolAvgF32AVX2S1 computes one plane of an average pool with stride 1
// (S2: stride 2): the max pool's loop with v := 0, v += x[iy*wd+ix], and
// y[oy*ow+ox] = v * res[oy*ow+ox] (res: the reciprocal window counts),
// with MXCSR's FTZ and DAZ set for the duration of the call.
// Requires: AVX, AVX2
//
//go:noescape
func poolAvgF32AVX2S1(args *winArgs)

// poolAvgF32AVX2S2 is poolAvgF32AVX2S1 with stride 2.
// Requires: AVX, AVX2
//
//go:noescape
func poolAvgF32AVX2S2(args *winArgs)

// poolSumF32AVX2 returns the sum of x[0:n] (n >= 0; x may be nil when n is
// 0), in 32 lanes then 8 then one by one.
// Requires: AVX, AVX2
//
//go:noescape
func poolSumF32AVX2(x *float32, n int) float32

// poolCall runs the pool kernel f (winMax*, winAvg*) for one plane.
func poolCall(f int, a *winArgs) {
	switch f {
	case winMaxS1:
		poolMaxF32AVX2S1(a)
	case winMaxS2:
		poolMaxF32AVX2S2(a)
	case winAvgS1:
		poolAvgF32AVX2S1(a)
	case winAvgS2:
		poolAvgF32AVX2S2(a)
	default:
		panic("amd64: no such window kernel")
	}
}

// poolKernel is MaxPool or AveragePool.
type poolKernel struct {
	win      *ops.SpatialWindow
	avg      bool
	countPad bool // AveragePool's count_include_pad
	kh, kw   int
	s        int // the stride of both axes
}

// poolNew returns the kernel of a MaxPool or AveragePool node, or nil when
// it is not one the assembly takes.
func poolNew(n *ops.Node) ops.Kernel {
	if len(n.In) == 0 || n.In[0].DType != tensor.Float32 {
		return nil
	}
	if s := n.In[0].Shape; s != nil && len(s) != 4 {
		return nil
	}
	if n.OpType == "MaxPool" && n.HasOut(1) {
		return nil // the Indices
	}
	ks := n.AttrInts("kernel_shape")
	if len(ks) != 2 || ks[0] < 1 || ks[1] < 1 || ks[0] > 1<<16 || ks[1] > 1<<16 {
		return nil
	}
	win, err := ops.ParseSpatialWindow(n, []int{int(ks[0]), int(ks[1])})
	if err != nil {
		return nil // the generic kernel reports it
	}
	if win.Dilations[0] != 1 || win.Dilations[1] != 1 || win.Strides[0] != win.Strides[1] || win.Strides[0] > 2 {
		return nil
	}
	k := &poolKernel{win: win, avg: n.OpType == "AveragePool", kh: int(ks[0]), kw: int(ks[1]), s: win.Strides[0]}
	if k.avg {
		c := n.AttrInt("count_include_pad")
		if c != 0 && c != 1 {
			return nil
		}
		k.countPad = c == 1
	}
	return k
}

// Overwrites reports that the kernel writes every output element.
func (k *poolKernel) Overwrites() bool { return true }

func (k *poolKernel) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	xs := in[0].Shape()
	if len(xs) != 4 {
		return fmt.Errorf("%w: pooling input shape %v for a 2-D window", ops.ErrShapeMismatch, xs)
	}
	var io convIO
	var padB, padR int
	var err error
	io.n, io.c, io.h, io.w = xs[0], xs[1], xs[2], xs[3]
	if io.oh, io.padT, padB, err = k.win.OutDim(0, io.h); err != nil {
		return err
	}
	if io.ow, io.padL, padR, err = k.win.OutDim(1, io.w); err != nil {
		return err
	}
	io.ohw = io.oh * io.ow
	y, err := kerOut(out, 0, []int{io.n, io.c, io.oh, io.ow})
	if err != nil {
		return err
	}
	io.x, io.y = tensor.Data[float32](in[0]), tensor.Data[float32](y)
	planes := io.n * io.c
	if planes == 0 || io.ohw == 0 {
		return nil
	}
	var a winArgs
	a.h, a.wd, a.oh, a.ow, a.kh, a.kw, a.padT, a.padL = io.h, io.w, io.oh, io.ow, k.kh, k.kw, io.padT, io.padL
	a.fastLo, a.fastHi = winFastRange(io.ow, io.w, k.kw, k.s, io.padL)
	f := winMaxS1
	var recip *[]float32
	if k.avg {
		f = winAvgS1
		recip, _ = winScratchPool.Get().(*[]float32)
		if recip == nil {
			recip = new([]float32)
		}
		defer winScratchPool.Put(recip)
		*recip = convGrow(*recip, io.ohw)
		k.recips(*recip, &io, padB, padR)
		io.z = *recip
	}
	if k.s == 2 {
		f++
	}
	work := planes * io.ohw * k.kh * k.kw
	if ec == nil || ec.Pool == nil || ec.Threads < 2 || work < 2*dwMinChunk {
		k.planes(f, &a, &io, 0, planes)
		return nil
	}
	r := winRunPool.Get().(*winRun)
	r.pool, r.f, r.a, r.io = k, f, a, io
	r.chunks = min(work/dwMinChunk, 4*ec.Threads, planes)
	ec.ParallelFor(r.chunks, r.run)
	r.pool, r.io = nil, convIO{}
	winRunPool.Put(r)
	return nil
}

// recips fills r (oh x ow) with the reciprocal of each window's count: the
// taps inside the input, or with count_include_pad those inside the
// padded input (never those past it, which ceil_mode may add). An empty
// window gets +Inf, so that its average is 0*Inf = NaN, as 0/0 in the
// generic kernel.
func (k *poolKernel) recips(r []float32, io *convIO, padB, padR int) {
	count := func(o, s, kk, in, pb, pe int) int {
		st := o*s - pb
		if k.countPad {
			return max(0, min(kk, in+pe-st))
		}
		lo := max(0, -st)
		hi := max(0, min(kk, in-st))
		return max(0, hi-lo)
	}
	for oy := range io.oh {
		ch := count(oy, k.s, k.kh, io.h, io.padT, padB)
		for ox := range io.ow {
			cw := count(ox, k.s, k.kw, io.w, io.padL, padR)
			if c := ch * cw; c > 0 {
				r[oy*io.ow+ox] = float32(1 / float64(c))
			} else {
				r[oy*io.ow+ox] = float32(math.Inf(1))
			}
		}
	}
}

// planes runs planes [p0, p1) with a's geometry.
func (k *poolKernel) planes(f int, a *winArgs, io *convIO, p0, p1 int) {
	hw, ohw := io.h*io.w, io.ohw
	if io.z != nil {
		a.res = unsafe.SliceData(io.z)
	}
	for p := p0; p < p1; p++ {
		x := io.x[p*hw : (p+1)*hw]
		y := io.y[p*ohw : (p+1)*ohw]
		a.x, a.y = unsafe.SliceData(x), unsafe.SliceData(y)
		winCall(f, a, x, y, nil, io.z)
	}
}

// poolGlobalAvg is GlobalAveragePool on float32: the mean of each (image,
// channel) plane over all its spatial dims.
type poolGlobalAvg struct{}

func poolNewGlobalAvg(n *ops.Node) ops.Kernel {
	if len(n.In) == 0 || n.In[0].DType != tensor.Float32 {
		return nil
	}
	return poolGlobalAvg{}
}

// Overwrites reports that the kernel writes every output element.
func (poolGlobalAvg) Overwrites() bool { return true }

func (poolGlobalAvg) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	xs := in[0].Shape()
	if len(xs) < 2 {
		return fmt.Errorf("%w: global pooling input shape %v has rank < 2", ops.ErrShapeMismatch, xs)
	}
	var ysBuf [8]int
	ys := append(ysBuf[:0], xs[0], xs[1])
	sp := 1
	for _, d := range xs[2:] {
		ys = append(ys, 1)
		sp *= d
	}
	y, err := kerOut(out, 0, ys)
	if err != nil {
		return err
	}
	xd, yd := tensor.Data[float32](in[0]), tensor.Data[float32](y)
	gemmRaceRead(xd)
	for p := range yd {
		var s float32
		if sp > 0 {
			s = poolSumF32AVX2(&xd[p*sp], sp)
		}
		yd[p] = s / float32(sp) // 0/0 = NaN for empty planes, as in generic
	}
	return nil
}
