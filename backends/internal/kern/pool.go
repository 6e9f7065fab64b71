package kern

// MaxPool, AveragePool (2-D, stride 1 or 2, no dilation; MaxPool without
// its Indices output) and GlobalAveragePool on float32, on an ISA's
// routines: the pools run the depthwise kernel's sliding window with max
// or sum as the tap; AveragePool multiplies each sum by a plane of
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

// poolMaxGo computes one plane of a max pool with stride s (ISA.MaxS1,
// MaxS2):
//
//	for oy := range oh {
//		for ox := range ow {
//			v := float32(math.Inf(-1))
//			for ky := range kh {
//				for kx := range kw {
//					iy, ix := oy*s-padT+ky, ox*s-padL+kx
//					if 0 <= iy && iy < h && 0 <= ix && ix < wd {
//						v = max(v, x[iy*wd+ix]) // a NaN wins
//					}
//				}
//			}
//			y[oy*ow+ox] = v
//		}
//	}
//
// The caller computes fastLo and fastHi with winFastRange (assembly may
// use them; this loop does not).
func poolMaxGo(a *WinArgs, s int) {
	winLoop(a, s, func(v, x float32) float32 { return max(v, x) }, float32(math.Inf(-1)))
}

// poolAvgGo computes one plane of an average pool with stride s
// (ISA.AvgS1, AvgS2): poolMaxGo's loop with v := 0, v += x[iy*wd+ix], and
// y[oy*ow+ox] = v * res[oy*ow+ox] (res: the reciprocal window counts).
func poolAvgGo(a *WinArgs, s int) {
	winLoop(a, s, func(v, x float32) float32 { return v + x }, 0)
	for i := range a.oh * a.ow {
		y := f32At(a.y, 4*i)
		*y *= *f32At(a.res, 4*i)
	}
}

// winLoop runs the sliding window of a with stride s, reducing the taps
// inside the input with f from v0, into y.
func winLoop(a *WinArgs, s int, f func(v, x float32) float32, v0 float32) {
	for oy := range a.oh {
		for ox := range a.ow {
			v := v0
			for ky := range a.kh {
				iy := oy*s - a.padT + ky
				if iy < 0 || iy >= a.h {
					continue
				}
				for kx := range a.kw {
					if ix := ox*s - a.padL + kx; 0 <= ix && ix < a.wd {
						v = f(v, *f32At(a.x, 4*(iy*a.wd+ix)))
					}
				}
			}
			*f32At(a.y, 4*(oy*a.ow+ox)) = v
		}
	}
}

// sumGo returns the sum of x[0:n] (n >= 0; x may be nil when n is 0), in
// float32, in 8 interleaved partial sums as the vector kernels add.
func sumGo(x *float32, n int) float32 {
	if n == 0 {
		return 0
	}
	var acc [8]float32
	xs := unsafe.Slice(x, n)
	i := 0
	for ; i+8 <= n; i += 8 {
		for l := range 8 {
			acc[l] += xs[i+l]
		}
	}
	var s float32
	for _, v := range acc {
		s += v
	}
	for ; i < n; i++ {
		s += xs[i]
	}
	return s
}

// poolCall runs the pool routine f (winMax*, winAvg*) of g for one plane.
func (g *ISA) poolCall(f int, a *WinArgs) {
	switch f {
	case winMaxS1:
		g.MaxS1(a)
	case winMaxS2:
		g.MaxS2(a)
	case winAvgS1:
		g.AvgS1(a)
	case winAvgS2:
		g.AvgS2(a)
	default:
		panic("kern: no such window kernel")
	}
}

// poolKernel is MaxPool or AveragePool.
type poolKernel struct {
	g        *ISA
	win      *ops.SpatialWindow
	avg      bool
	countPad bool // AveragePool's count_include_pad
	kh, kw   int
	s        int // the stride of both axes
}

// poolNew returns the kernel of a MaxPool or AveragePool node, or nil when
// it is not one the kernels take.
func poolNew(g *ISA, n *ops.Node) (ops.Kernel, error) {
	if k := poolParse(n); k != nil {
		k.g = g
		return k, nil
	}
	return nil, nil
}

// poolParse reads a MaxPool or AveragePool node, or returns nil.
func poolParse(n *ops.Node) *poolKernel {
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
	var a WinArgs
	a.h, a.wd, a.oh, a.ow, a.kh, a.kw, a.padT, a.padL = io.h, io.w, io.oh, io.ow, k.kh, k.kw, io.padT, io.padL
	a.fastLo, a.fastHi = winFastRange(io.ow, io.w, k.kw, k.s, io.padL)
	f := winMaxS1
	var recip *[]float32
	if k.avg {
		f = winAvgS1
		recip = winScratchPool.Get()
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
	r := winRunPool.Get()
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
func (k *poolKernel) planes(f int, geom *WinArgs, io *convIO, p0, p1 int) {
	ctx := getCtx()
	defer putCtx(ctx)
	a := &ctx.win
	*a = *geom
	hw, ohw := io.h*io.w, io.ohw
	if io.z != nil {
		a.res = unsafe.SliceData(io.z)
	}
	var pad []float32
	if k.g.PaddedWindows {
		// A plane with the padding (and room for whole vectors) around
		// the input, bordered with the reduction's identity.
		s := k.s
		hp := max(a.padT+io.h, s*(io.oh-1)+k.kh)
		wp := max(a.padL+io.w, s*ceil8(io.ow)+k.kw+16)
		buf := winScratchPool.Get()
		if buf == nil {
			buf = new([]float32)
		}
		defer winScratchPool.Put(buf)
		*buf = convGrow(*buf, hp*wp)
		pad = *buf
		fill := float32(0)
		if !k.avg {
			fill = float32(math.Inf(-1))
		}
		for i := range pad {
			pad[i] = fill
		}
		a.x, a.h, a.wd, a.padT, a.padL = unsafe.SliceData(pad), hp, wp, 0, 0
		a.fastLo, a.fastHi = 0, io.ow/8*8
	}
	for p := p0; p < p1; p++ {
		x := io.x[p*hw : (p+1)*hw]
		y := io.y[p*ohw : (p+1)*ohw]
		a.y = unsafe.SliceData(y)
		if pad == nil {
			a.x = unsafe.SliceData(x)
			k.g.winCall(f, a, x, y, nil, io.z)
			continue
		}
		for iy := range io.h {
			copy(pad[(geom.padT+iy)*a.wd+geom.padL:][:io.w], x[iy*io.w:])
		}
		k.g.winCall(f, a, pad, y, nil, io.z)
	}
}

// poolGlobalAvg is GlobalAveragePool on float32: the mean of each (image,
// channel) plane over all its spatial dims.
type poolGlobalAvg struct{ g *ISA }

func poolNewGlobalAvg(g *ISA, n *ops.Node) (ops.Kernel, error) {
	if len(n.In) == 0 || n.In[0].DType != tensor.Float32 {
		return nil, nil
	}
	return poolGlobalAvg{g}, nil
}

// Overwrites reports that the kernel writes every output element.
func (poolGlobalAvg) Overwrites() bool { return true }

func (k poolGlobalAvg) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
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
			s = k.g.Sum(&xd[p*sp], sp)
		}
		yd[p] = s / float32(sp) // 0/0 = NaN for empty planes, as in generic
	}
	return nil
}
