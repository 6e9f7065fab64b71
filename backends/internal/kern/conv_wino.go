package kern

// Winograd F(2x2, 3x3) for 3x3 stride-1 single-group convolutions (most of
// ResNet's and SqueezeNet's layers): each 2x2 output tile is
// A^T [(G g G^T) . (B^T d B)] A for its 4x4 input tile d, so the 36
// multiply-adds per tile and channel pair become 16, done as 16 GEMMs (one
// per position xi of the 4x4 transform):
//
//	M_xi (Cout x tiles) = U_xi (Cout x Cin) * V_xi (Cin x tiles)
//
// U = G g G^T is computed once, at kernel build, and packed as the SGEMM's
// A operands; the input transform (ISA.WinoIn) writes V straight in
// the B panel layout, and the output transform applies the bias, the
// residual and Relu/Clip as it writes each 2x2 tile. Tiles are taken 8 at a
// time along a tile row (a tile row is padded to a multiple of 8, and the
// tile count to a multiple of NR: the extra tiles read the zero border and
// are not stored), in blocks whose V and M stay in L2.
//
// F(2x2, 3x3) keeps float32 accuracy (its transforms only add, subtract and
// halve); larger tiles (F(4x4, 3x3)) would not. The factory picks it when
// it does at most 0.7x the direct GEMM's multiply-adds (winoSuits):
// ResNet's 56x56 to 14x14 stages and SqueezeNet's expand3x3, not 7x7.
//
// Measured with BenchmarkConv (AMD EPYC, AVX2, 1 thread, min of 5), direct
// implicit GEMM -> Winograd: resnet18 layer1 (64ch, 56x56) 2.95 -> 1.89 ms,
// layer2 (128ch, 28x28) 2.90 -> 1.71 ms, layer3 (256ch, 14x14) 3.08 -> 1.78
// ms; squeezenet expand3x3 (16->64, 55x55) 0.76 -> 0.58 ms. End to end,
// resnet18 50.7 -> 38.6 ms (ORT 43.9 ms), squeezenet1_1 10.9 -> 9.4 ms.

import (
	"unsafe"

	"github.com/onyxml/onyx/internal/keep"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// WinoInArgs is what ISA.WinoIn reads (layout checked by TestWinoLayout).
type WinoInArgs struct {
	x       *float32 // the padded image: its first channel, row 0, column 0
	v       *float32 // the block's V: xi 0, panel 0, channel 0
	cin     int      // channels
	plane   int      // bytes from one input channel to the next
	wp      int      // bytes from one input row to the next
	groups  int      // groups of 8 tiles in the block
	th0     int      // the tile row of the block's first tile
	tw0     int      // its tile column (a multiple of 8)
	tilesWp int      // tiles per tile row (a multiple of 8)
	vs      int      // bytes from one V_xi to the next
	panel   int      // bytes from one panel of a V_xi to the next: cin*NR*4
	nr      int      // NR
}

// WinoOutArgs is what ISA.WinoOut reads (layout checked by
// TestWinoLayout).
type WinoOutArgs struct {
	m       *float32 // the block's M: xi 0, output channel 0, tile 0
	y       *float32 // the output image: channel 0 of the group
	res     *float32 // the residual image (flags&winFlagRes)
	bias    *float32 // cout biases, or nil
	cout    int      // output channels
	ms      int      // bytes from one M_xi to the next
	ldm     int      // bytes from one row (output channel) of M_xi to the next
	groups  int      // groups of 8 tiles in the block
	th0     int      // the tile row of the block's first tile
	tw0     int      // its tile column (a multiple of 8)
	tilesWp int      // tiles per tile row
	oh, ow  int      // the output plane
	ohw4    int      // bytes from one output channel to the next
	ow4     int      // bytes from one output row to the next
	flags   int      // winFlagRes, winFlagClamp
	lo, hi  float32  // the clamp
}

// winoLanePerm is the default lane order of a group's 8 tiles in V and M
// (ISA.WinoLanes): the order in which AVX2's VSHUFPS deinterleaves the
// tiles' even and odd columns.
var winoLanePerm = [8]int{0, 1, 4, 5, 2, 3, 6, 7}

// winoLanesOK reports whether p is a permutation of 0..7.
func winoLanesOK(p [8]int) bool {
	var seen [8]bool
	for _, t := range p {
		if t < 0 || t >= 8 || seen[t] {
			return false
		}
		seen[t] = true
	}
	return true
}

// winoInGo is the input transform of a block of tiles (ISA.WinoIn): for
// each group g of 8 tiles (tile t = th*tilesWp+tw, from (th0, tw0) on) and
// each channel c, with d the 4x4 input tile at row 2*th, column 2*tw of
// channel c, it stores V = B^T d B:
//
//	e0, e1, e2, e3 = d0-d2, d1+d2, d2-d1, d1-d3 // rows
//	V[i][0], V[i][1], V[i][2], V[i][3] = ei0-ei2, ei1+ei2, ei2-ei1, ei1-ei3
//
// as V_xi[c][t] (xi = 4i+j) at v + xi*vs + (8g/NR)*panel + c*NR*4 +
// (8g%NR)*4, the 8 tiles in the lane order lanes (lane l holds tile
// 8g+lanes[l]: the ISA's WinoLanes, which winoOutGo undoes).
func winoInGo(a *WinoInArgs, lanes *[8]int) {
	th, tw := a.th0, a.tw0
	for g := range a.groups {
		for c := range a.cin {
			base := c*a.plane/4 + 2*th*a.wp/4 + 2*tw
			for lane, tile := range lanes {
				var d [4][4]float32
				for r := range 4 {
					for q := range 4 {
						d[r][q] = *f32At(a.x, 4*(base+r*a.wp/4+2*tile+q))
					}
				}
				var e [4][4]float32
				for q := range 4 {
					e[0][q], e[1][q], e[2][q], e[3][q] = d[0][q]-d[2][q], d[1][q]+d[2][q], d[2][q]-d[1][q], d[1][q]-d[3][q]
				}
				for i := range 4 {
					vv := [4]float32{e[i][0] - e[i][2], e[i][1] + e[i][2], e[i][2] - e[i][1], e[i][1] - e[i][3]}
					for j := range 4 {
						off := (4*i+j)*a.vs/4 + 8*g/a.nr*a.panel/4 + c*a.nr + 8*g%a.nr + lane
						*f32At(a.v, 4*off) = vv[j]
					}
				}
			}
		}
		if tw += 8; tw == a.tilesWp {
			tw, th = 0, th+1
		}
	}
}

// winoOutGo is the output transform of a block (ISA.WinoOut): for each
// output channel and group of 8 tiles, with m the 4x4 values M_xi[co][t]
// (tile t in the lane order lanes, as winoInGo wrote V), it computes
// Y = A^T m A + bias,
//
//	r0, r1 = m0+m1+m2, m1-m2-m3 // rows
//	Y[a][0], Y[a][1] = ra0+ra1+ra2, ra1-ra2-ra3
//
// adds the residual, clamps, and stores the 2x2 tile at row 2*th, column
// 2*tw of the output, the parts outside oh x ow left out.
func winoOutGo(a *WinoOutArgs, lanes *[8]int) {
	for co := range a.cout {
		th, tw := a.th0, a.tw0
		for g := range a.groups {
			for lane, tile := range lanes {
				var mm [4][4]float32
				for i := range 4 {
					for j := range 4 {
						mm[i][j] = *f32At(a.m, 4*((4*i+j)*a.ms/4+co*a.ldm/4+8*g+lane))
					}
				}
				var r [2][4]float32
				for j := range 4 {
					r[0][j], r[1][j] = mm[0][j]+mm[1][j]+mm[2][j], mm[1][j]-mm[2][j]-mm[3][j]
				}
				for i := range 2 {
					for j := range 2 {
						v := r[i][0] + r[i][1] + r[i][2]
						if j == 1 {
							v = r[i][1] - r[i][2] - r[i][3]
						}
						if a.bias != nil {
							v += *f32At(a.bias, 4*co)
						}
						oy, ox := 2*th+i, 2*(tw+tile)+j
						if oy >= a.oh || ox >= a.ow {
							continue
						}
						off := co*a.ohw4/4 + oy*a.ow4/4 + ox
						if a.flags&winFlagRes != 0 {
							v += *f32At(a.res, 4*off)
						}
						if a.flags&winFlagClamp != 0 && v == v {
							v = min(max(v, a.lo), a.hi)
						}
						*f32At(a.y, 4*off) = v
					}
				}
			}
			if tw += 8; tw == a.tilesWp {
				tw, th = 0, th+1
			}
		}
	}
}

// winoWeights returns U = G g G^T for the m x c 3x3 weights w, as 16
// matrices U_xi (m x c, row-major), xi = 4i+j.
func winoWeights(w []float32, m, c int) [16][]float32 {
	var u [16][]float32
	for xi := range u {
		u[xi] = make([]float32, m*c)
	}
	for o := range m {
		for i := range c {
			g := w[(o*c+i)*9 : (o*c+i)*9+9]
			// G g: 4x3, in float64.
			var gg [4][3]float64
			for q := range 3 {
				g0, g1, g2 := float64(g[q]), float64(g[3+q]), float64(g[6+q])
				gg[0][q], gg[1][q], gg[2][q], gg[3][q] = g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2
			}
			for r := range 4 {
				a, b, cc := gg[r][0], gg[r][1], gg[r][2]
				row := [4]float64{a, (a + b + cc) / 2, (a - b + cc) / 2, cc}
				for q := range 4 {
					u[4*r+q][o*c+i] = float32(row[q])
				}
			}
		}
	}
	return u
}

// winoSuits reports whether Winograd does fewer multiply-adds than the
// direct GEMM by a margin (tiles padded to whole groups of 8 along a row
// and to whole panels included) for an oh x ow output with c input and m
// output channels.
func winoSuits(oh, ow, c, m, nr int) bool {
	if oh < 2 || ow < 2 || c < 8 || m < 8 {
		return false
	}
	tiles := winoTiles(oh, ow, nr)
	return 16*tiles*10 <= 9*oh*ow*7 // <= 0.7x the direct work
}

// winoTiles returns the tiles of an oh x ow output as computed: tile rows
// of ceil8(ceil(ow/2)) tiles, the total rounded up to whole panels of nr.
func winoTiles(oh, ow, nr int) int {
	t := (oh + 1) / 2 * ceil8((ow+1)/2)
	return (t + nr - 1) / nr * nr
}

// winoKernel is the Winograd convolution.
type winoKernel struct {
	*convNode
	g  *ISA
	u  [16]*PackedA // U_xi, m x cg
	ep Epilogue
}

// winoNew returns the Winograd kernel for c (3x3, stride 1, dilation 1,
// one group) with weights w.
func winoNew(g *ISA, c *convNode, w []float32) *winoKernel {
	k := &winoKernel{convNode: c, g: g}
	u := winoWeights(w, c.m, c.cg)
	for xi := range u {
		k.u[xi] = g.PackA(c.m, c.cg, u[xi], c.cg, false)
	}
	k.ep = Epilogue{Alpha: 1}
	c.act.apply(&k.ep)
	return k
}

// Overwrites reports that the kernel writes every output element.
func (k *winoKernel) Overwrites() bool { return true }

// winoBlockBytes bounds a block's V and M (its tiles' transforms), so that
// they stay in L2 while its 16 GEMMs run; it grows with the weights, which
// are read once per block.
const winoBlockBytes = 512 << 10

// winoRun is a Run in progress, pooled with run bound once.
type winoRun struct {
	k       *winoKernel
	io      convIO
	pad     []float32
	tilesWp int
	tiles   int // all tiles (a multiple of NR)
	nt      int // tiles per block (a multiple of NR)
	blocks  int
	run     func(int)
}

var winoRunPool = keep.List[winoRun]{New: func() *winoRun {
	r := &winoRun{}
	r.run = func(i int) { r.block(i) }
	return r
}}

// winoScratch is one worker's V and M.
type winoScratch struct {
	v, m []float32
}

var winoScratchPool keep.List[winoScratch]

func (k *winoKernel) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	io, err := k.runIO(in, out)
	if err != nil {
		return err
	}
	if io.n == 0 || io.ohw == 0 {
		return nil
	}
	g := k.g
	r := winoRunPool.Get()
	defer winoRunPool.Put(r)
	r.k = k
	r.tilesWp = ceil8((io.ow + 1) / 2)
	r.tiles = winoTiles(io.oh, io.ow, g.NR)
	// The padded image covers every tile's 4x4 input, the extra tiles'
	// included.
	io.hp = max(io.padT+io.h, 2*((r.tiles+r.tilesWp-1)/r.tilesWp)+2)
	io.wp = max(io.padL+io.w, 2*r.tilesWp+2)
	r.pad = convGrow(r.pad, io.c*io.hp*io.wp)
	budget := max(winoBlockBytes, 16*k.m*k.cg*4/2)
	r.nt = budget / (64 * (k.cg + k.m)) / g.NR * g.NR
	r.nt = min(max(r.nt, g.NR), r.tiles)
	r.blocks = (r.tiles + r.nt - 1) / r.nt
	r.io = io
	for img := range io.n {
		r.io.img = img
		xi := io.x[img*io.c*io.h*io.w : (img+1)*io.c*io.h*io.w]
		convPadImage(r.pad, xi, io.c, io.h, io.w, io.hp, io.wp, io.padT, io.padL)
		r.io.src = r.pad
		flops := 2 * 16 * k.m * k.cg * r.tiles
		if r.blocks > 1 && ec != nil && ec.Pool != nil && ec.Threads > 1 && flops >= 2*convMinChunkFlops {
			ec.ParallelFor(r.blocks, r.run)
		} else {
			ec.SerialFor(r.blocks, r.run)
		}
		if act := k.ep.Act; act != ActNone && act != ActRelu && act != ActClip {
			g.activate(io.y[img*k.m*io.ohw:(img+1)*k.m*io.ohw], &k.ep)
		}
	}
	r.k, r.io = nil, convIO{}
	return nil
}

// block computes tiles [b*nt, (b+1)*nt) of the current image.
func (r *winoRun) block(b int) {
	k, io := r.k, &r.io
	g := k.g
	nr, mr := g.NR, g.MR
	t0 := b * r.nt
	nt := min(r.nt, r.tiles-t0)
	s := winoScratchPool.Get()
	if s == nil {
		s = &winoScratch{}
	}
	defer winoScratchPool.Put(s)
	s.v = convGrow(s.v, 16*k.cg*nt)
	s.m = convGrow(s.m, 16*k.m*nt)

	// The input transform, straight into the B panels of V_xi.
	ctx := getCtx()
	defer putCtx(ctx)
	in := &ctx.wIn
	*in = WinoInArgs{x: unsafe.SliceData(r.pad), v: unsafe.SliceData(s.v), cin: k.cg,
		plane: io.hp * io.wp * 4, wp: io.wp * 4, groups: nt / 8, th0: t0 / r.tilesWp, tw0: t0 % r.tilesWp,
		tilesWp: r.tilesWp, vs: k.cg * nt * 4, panel: k.cg * nr * 4, nr: nr}
	gemmRaceRead(r.pad)
	gemmRaceWrite(s.v)
	g.WinoIn(in)

	// The 16 GEMMs, M_xi = U_xi V_xi, K cut in blocks of convMaxKC.
	args := &ctx.args
	*args = GemmArgs{}
	args.alpha, args.beta = 1, 1
	args.n = nt
	args.ldc = nt * 4
	args.bRow = nr * 4
	args.bPanel = k.cg * nr * 4
	for xi := range 16 {
		u := k.u[xi]
		v := s.v[xi*k.cg*nt:]
		mx := s.m[xi*k.m*nt:]
		for p0 := 0; p0 < k.cg; p0 += convMaxKC {
			kb := min(convMaxKC, k.cg-p0)
			args.k = kb
			args.b = &v[p0*nr]
			args.flags = 0
			if p0 > 0 {
				args.flags = gemmFlagC
			}
			for s0 := 0; s0 < k.m; s0 += mr {
				args.a = &u.data[s0*k.cg+p0*mr]
				args.c = &mx[s0*nt]
				g.call(min(mr, k.m-s0), ctx)
			}
		}
	}

	// The output transform with the epilogue.
	base := io.img * k.m * io.ohw
	out := &ctx.wOut
	*out = WinoOutArgs{m: unsafe.SliceData(s.m), y: &io.y[base], cout: k.m, ms: k.m * nt * 4, ldm: nt * 4,
		groups: nt / 8, th0: t0 / r.tilesWp, tw0: t0 % r.tilesWp, tilesWp: r.tilesWp,
		oh: io.oh, ow: io.ow, ohw4: io.ohw * 4, ow4: io.ow * 4}
	if io.bias != nil {
		out.bias = unsafe.SliceData(io.bias)
	}
	if io.z != nil {
		out.res = &io.z[base]
		out.flags |= winFlagRes
		gemmRaceRead(io.z[base : base+k.m*io.ohw])
	}
	switch k.ep.Act {
	case ActRelu:
		out.flags |= winFlagClamp
		out.lo, out.hi = 0, convInf
	case ActClip:
		out.flags |= winFlagClamp
		out.lo, out.hi = k.ep.Min, k.ep.Max
	}
	gemmRaceRead(s.m)
	winoRaceWrite(io.y[base:base+k.m*io.ohw], k.m, io.oh, io.ow, r.tilesWp, t0, nt)
	g.WinoOut(out)
}

// winoRaceWrite tells the race detector which pixels the output transform
// of tiles [t0, t0+nt) writes in each of the cout planes of y (oh×ow): the
// 2×2 blocks of those tiles, no more, so that the blocks of one image, run
// in parallel, do not appear to race.
func winoRaceWrite(y []float32, cout, oh, ow, tilesWp, t0, nt int) {
	if !raceOn {
		return
	}
	winoSpans(oh, ow, tilesWp, t0, nt, func(oy, x0, x1 int) {
		for co := range cout {
			off := co*oh*ow + oy*ow
			gemmRaceWrite(y[off+x0 : off+x1])
		}
	})
}

// winoSpans calls f(oy, x0, x1) for each output row segment [x0, x1) of
// row oy that tiles [t0, t0+nt) of an oh×ow output cover (tilesWp tiles
// per tile row, those past the right edge covering nothing).
func winoSpans(oh, ow, tilesWp, t0, nt int, f func(oy, x0, x1 int)) {
	for t := t0; t < t0+nt; {
		th, tw := t/tilesWp, t%tilesWp
		tws := min(tilesWp-tw, t0+nt-t) // tiles of this tile row in the block
		x0, x1 := 2*tw, min(2*(tw+tws), ow)
		for oy := 2 * th; oy < min(2*th+2, oh) && x0 < x1; oy++ {
			f(oy, x0, x1)
		}
		t += tws
	}
}
