package kern

// The SGEMM: packing, cache blocking and the epilogue, around an ISA's
// micro-kernel. Blocking: a KC x NC block of packed B (NC/NR panels) stays
// in L2 while every strip of the packed MC x KC block of A streams over it;
// one strip of A (MR x KC) stays in L1 while the kernel runs over the
// panels.

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/onyxml/onyx/internal/keep"
)

// GemmArgs is what a micro-kernel reads: one strip of r (<= MR) rows of C
// over n columns, and how to finish it. Its layout is fixed: the assembly
// uses the offsets its generator lists, and TestGemmArgsLayout checks them.
// Strides are in bytes.
//
// The kernel computes, for i < r and j < n,
//
//	s := sum over p < k of a[p*MR+i] * B(p, j)
//	v := alpha*s
//	if flags&gemmFlagC != 0 { v += beta*C[i][j] }
//	if flags&gemmFlagRowBias != 0 { v += rowBias[i] }
//	if flags&gemmFlagColBias != 0 { v += colBias[j] }
//	if flags&gemmFlagRes != 0 { v += res[i][j] }
//	if flags&gemmFlagClamp != 0 { v = min(max(v, lo), hi) } // NaN stays NaN
//	C[i][j] = v
//
// where B(p, j) is the float32 at b + (j/NR)*bPanel + p*bRow + (j%NR)*4,
// C[i][j] at c + i*ldc + j*4 and res[i][j] at res + i*ldRes + j*4. B's
// panels are read whole (NR columns), so the last one must be readable and
// finite (zero-padded) up to NR columns; C, res and colBias are touched only
// at j < n. (Kernels without ISA.GemmTails take n a multiple of NR only.)
type GemmArgs struct {
	a       *float32 // packed A strip: MR floats per k step
	b       *float32 // B's first panel
	c       *float32 // C[0][0]
	k       int      // depth (>= 0)
	n       int      // columns (>= 1)
	bPanel  int      // bytes from one panel of B to the next
	bRow    int      // bytes from one row (k step) of a panel to the next
	ldc     int      // bytes between rows of C
	flags   int      // gemmFlag*
	rowBias *float32 // r values
	colBias *float32 // n values
	res     *float32 // res[0][0]
	ldRes   int      // bytes between rows of res
	mask    *int32   // ISA.LaneMasks: NR lane masks (-1 keep, 0 skip) for a last panel of n%NR columns
	alpha   float32
	beta    float32
	lo, hi  float32
}

// Epilogue flags of GemmArgs.
const (
	gemmFlagC       = 1
	gemmFlagRowBias = 2
	gemmFlagColBias = 4
	gemmFlagRes     = 8
	gemmFlagClamp   = 16
)

// laneMasks[16-t:] starts with the lane masks of a 16-column panel of
// which the first t columns are kept (ISA.LaneMasks).
var laneMasks = [32]int32{
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
}

// gemmKernelGo is the micro-kernel in Go, for a strip of r rows of an MR x
// NR tiling: the definition the assembly kernels are tested against, and
// the kernel of an ISA without one (Go).
func gemmKernelGo(mr, nr, r int, p *GemmArgs) {
	at := func(base *float32, off int) *float32 {
		return (*float32)(unsafe.Add(unsafe.Pointer(base), off))
	}
	for j0 := 0; j0 < p.n; j0 += nr {
		panel := at(p.b, j0/nr*p.bPanel)
		for i := range r {
			for j := j0; j < min(j0+nr, p.n); j++ {
				var s float32
				for q := range p.k {
					s += *at(p.a, (q*mr+i)*4) * *at(panel, q*p.bRow+(j-j0)*4)
				}
				v := p.alpha * s
				c := at(p.c, i*p.ldc+j*4)
				if p.flags&gemmFlagC != 0 {
					v += p.beta * *c
				}
				if p.flags&gemmFlagRowBias != 0 {
					v += *at(p.rowBias, i*4)
				}
				if p.flags&gemmFlagColBias != 0 {
					v += *at(p.colBias, j*4)
				}
				if p.flags&gemmFlagRes != 0 {
					v += *at(p.res, i*p.ldRes+j*4)
				}
				if p.flags&gemmFlagClamp != 0 && v == v {
					v = min(max(v, p.lo), p.hi)
				}
				*c = v
			}
		}
	}
}

// gemmCtx is the argument memory of one driver call: what the ISA's
// routines read, pooled, for arguments passed through a func value escape
// to the heap.
type gemmCtx struct {
	args GemmArgs
	tail GemmArgs // a narrower last panel's (ISA.call)
	pack ConvPackArgs
	tr   ConvTrArgs
	win  WinArgs
	dw   DWArgs
	wIn  WinoInArgs
	wOut WinoOutArgs
	tile [2*maxMR*maxNR + maxNR]float32 // C, residual and column bias of a last panel
}

var gemmCtxPool = keep.List[gemmCtx]{New: func() *gemmCtx { return new(gemmCtx) }}

func getCtx() *gemmCtx { return gemmCtxPool.Get() }

func putCtx(c *gemmCtx) { gemmCtxPool.Put(c) }

// call runs g's micro-kernel on a strip of rows rows with ctx.args; a last
// panel of fewer than NR columns goes through ctx.tile when the kernel
// takes whole panels only.
func (g *ISA) call(rows int, ctx *gemmCtx) {
	a := &ctx.args
	nt := a.n % g.NR
	if nt == 0 || g.GemmTails {
		if nt != 0 && g.LaneMasks {
			a.mask = &laneMasks[16-nt]
		}
		g.Gemm[rows](a)
		return
	}
	if nMain := a.n - nt; nMain > 0 {
		n := a.n
		a.n = nMain
		g.Gemm[rows](a)
		a.n = n
	}
	g.tailStrip(rows, nt, a.n-nt, ctx)
}

// tailStrip computes the last nt (< NR) columns of ctx.args's strip, which
// start nMain columns in, through a scratch tile of NR columns.
func (g *ISA) tailStrip(rows, nt, nMain int, ctx *gemmCtx) {
	nr := g.NR
	t := &ctx.tail
	*t = ctx.args
	tc := ctx.tile[:rows*nr]
	tres := ctx.tile[maxMR*maxNR:][:rows*nr]
	tcb := ctx.tile[2*maxMR*maxNR:][:nr]
	if nMain > 0 && t.k > 0 {
		t.b = f32At(t.b, nMain/nr*t.bPanel)
	}
	c, ldc := f32At(t.c, nMain*4), t.ldc
	if t.flags&gemmFlagC != 0 {
		for r := range rows {
			copy(tc[r*nr:r*nr+nt], unsafe.Slice(f32At(c, r*ldc), nt))
		}
	}
	if t.flags&gemmFlagRes != 0 {
		res := f32At(t.res, nMain*4)
		for r := range rows {
			copy(tres[r*nr:r*nr+nt], unsafe.Slice(f32At(res, r*t.ldRes), nt))
		}
		t.res, t.ldRes = &tres[0], nr*4
	}
	if t.flags&gemmFlagColBias != 0 {
		copy(tcb[:nt], unsafe.Slice(f32At(t.colBias, nMain*4), nt))
		t.colBias = &tcb[0]
	}
	t.c, t.ldc, t.n = &tc[0], nr*4, nr
	g.Gemm[rows](t)
	for r := range rows {
		copy(unsafe.Slice(f32At(c, r*ldc), nt), tc[r*nr:r*nr+nt])
	}
}

// f32At returns the float32 off bytes after p.
func f32At(p *float32, off int) *float32 {
	return (*float32)(unsafe.Add(unsafe.Pointer(p), off))
}

// Activation is a function an Epilogue applies to every output element.
type Activation int

// The activations. ActRelu and ActClip run inside the micro-kernel; the
// others in a pass over each finished tile while it is in cache.
const (
	ActNone      Activation = iota
	ActRelu                 // max(v, 0)
	ActClip                 // min(max(v, Min), Max)
	ActLeakyRelu            // v if v >= 0, else Alpha*v (ActAlpha)
	ActSigmoid              // 1 / (1 + exp(-v))
	ActHardSwish            // v * max(0, min(1, v/6 + 1/2))
)

// Epilogue says how an Sgemm finishes each element of C from the dot
// product s of its row of A and column of B:
//
//	v := Alpha*s
//	if Beta != 0 { v += Beta*C[i][j] } // C's previous contents, not read when Beta is 0
//	if RowBias != nil { v += RowBias[i] }
//	if ColBias != nil { v += ColBias[j] }
//	if Residual != nil { v += Residual[i*LdResidual+j] }
//	C[i][j] = Act(v)
//
// A nil *Epilogue means Alpha = 1 and nothing else. NaN stays NaN through
// every activation.
type Epilogue struct {
	Alpha, Beta float32
	RowBias     []float32 // m values, or nil
	ColBias     []float32 // n values, or nil
	Residual    []float32 // m x n with row stride LdResidual, or nil
	LdResidual  int
	Act         Activation
	Min, Max    float32 // ActClip's bounds
	ActAlpha    float32 // ActLeakyRelu's slope for v < 0
}

var gemmPlainEpilogue = Epilogue{Alpha: 1}

// PackedA is an m x k matrix packed as the left operand of Sgemm: strips of
// MR rows, k-major (MR floats per k step), 64-byte aligned, the last strip
// zero-padded. It is read-only once made, so safe for concurrent use.
type PackedA struct {
	m, k int
	impl *ISA
	data []float32
}

// PackedB is a k x n matrix packed as the right operand of Sgemm: panels of
// NR columns, k-major (NR floats per k step), 64-byte aligned, the last
// panel zero-padded. It is read-only once made, so safe for concurrent use.
type PackedB struct {
	k, n int
	impl *ISA
	data []float32
}

// Dims returns the matrix's size, m x k.
func (p *PackedA) Dims() (m, k int) { return p.m, p.k }

// Dims returns the matrix's size, k x n.
func (p *PackedB) Dims() (k, n int) { return p.k, p.n }

// Tier returns the implementation the matrix is packed for.
func (p *PackedB) Tier() string { return p.impl.Name }

// Tier returns the implementation the matrix is packed for.
func (p *PackedA) Tier() string { return p.impl.Name }

// gemmAligned returns a slice of n float32s starting on a 64-byte boundary.
func gemmAligned(n int) []float32 {
	buf := make([]float32, n+16)
	off := int((64 - uintptr(unsafe.Pointer(unsafe.SliceData(buf)))%64) % 64 / 4)
	return buf[off : off+n : off+n]
}

// gemmCheck panics unless x holds a rows x cols matrix with row stride ld.
// The kernels validate shapes before they get here: a failure is a bug.
func gemmCheck(what string, x []float32, rows, cols, ld int) {
	if rows < 0 || cols < 0 || ld < max(cols, 1) {
		panic(fmt.Sprintf("kern: %s: bad size %dx%d with stride %d", what, rows, cols, ld))
	}
	if rows > 0 && cols > 0 && len(x) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("kern: %s: %d values for %dx%d with stride %d", what, len(x), rows, cols, ld))
	}
}

// checkOp is gemmCheck for op(X) of size rows x cols, stored transposed when
// trans.
func gemmCheckOp(what string, x []float32, rows, cols, ld int, trans bool) {
	if trans {
		rows, cols = cols, rows
	}
	gemmCheck(what, x, rows, cols, ld)
}

// PackB packs op(B), a k x n matrix, for SgemmPackedB with g's tile:
// op(B)[p][j] is b[p*ldb+j], or b[j*ldb+p] when transB.
func (g *ISA) PackB(k, n int, b []float32, ldb int, transB bool) *PackedB {
	gemmCheckOp("PackB", b, k, n, ldb, transB)
	nr := g.NR
	np := (n + nr - 1) / nr
	pb := &PackedB{k: k, n: n, impl: g, data: gemmAligned(np * k * nr)}
	gemmPackB(pb.data, k, n, nr, b, ldb, transB)
	return pb
}

// gemmPackB writes op(B) (k x n) into dst as panels of nr columns over the
// whole depth: op(B)[p][j] goes to dst[(j/nr)*k*nr + p*nr + j%nr]. The
// padding columns of the last panel are zeroed.
func gemmPackB(dst []float32, k, n, nr int, b []float32, ldb int, transB bool) {
	for j0 := 0; j0 < n; j0 += nr {
		cols := min(nr, n-j0)
		panel := dst[j0/nr*k*nr : (j0/nr+1)*k*nr]
		if !transB {
			for p := range k {
				row := panel[p*nr : p*nr+nr]
				copy(row, b[p*ldb+j0:p*ldb+j0+cols])
				clear(row[cols:])
			}
			continue
		}
		if cols < nr {
			clear(panel)
		}
		for j := range cols {
			col := b[(j0+j)*ldb : (j0+j)*ldb+k]
			for p, v := range col {
				panel[p*nr+j] = v
			}
		}
	}
}

// PackA packs op(A), an m x k matrix, for SgemmPackedA with g's tile:
// op(A)[i][p] is a[i*lda+p], or a[p*lda+i] when transA.
func (g *ISA) PackA(m, k int, a []float32, lda int, transA bool) *PackedA {
	gemmCheckOp("PackA", a, m, k, lda, transA)
	ns := (m + g.MR - 1) / g.MR
	pa := &PackedA{m: m, k: k, impl: g, data: gemmAligned(ns * k * g.MR)}
	gemmPackA(pa.data, g.MR, m, 0, k, a, lda, transA)
	return pa
}

// gemmPackA writes rows 0..m-1 and depths p0..p0+kb-1 of op(A) into dst as
// strips of mr rows: op(A)[i][p0+p] goes to dst[(i/mr)*kb*mr + p*mr + i%mr].
// The padding rows of the last strip are zeroed.
func gemmPackA(dst []float32, mr, m, p0, kb int, a []float32, lda int, transA bool) {
	for i0 := 0; i0 < m; i0 += mr {
		rows := min(mr, m-i0)
		strip := dst[i0/mr*kb*mr : (i0/mr+1)*kb*mr]
		if rows < mr {
			clear(strip)
		}
		if transA {
			for p := range kb {
				copy(strip[p*mr:p*mr+rows], a[(p0+p)*lda+i0:])
			}
			continue
		}
		// Four rows side by side, then pairs, then single rows: 0.55-0.7
		// ns per value on the development machine, against 1.0 row by row
		// and 2.4 for all mr rows side by side (BenchmarkGemmPackA).
		i := 0
		for ; i+4 <= rows; i += 4 {
			r0 := a[(i0+i)*lda+p0 : (i0+i)*lda+p0+kb]
			r1 := a[(i0+i+1)*lda+p0:][:len(r0)]
			r2 := a[(i0+i+2)*lda+p0:][:len(r0)]
			r3 := a[(i0+i+3)*lda+p0:][:len(r0)]
			for p := range r0 {
				d := strip[p*mr+i : p*mr+i+4]
				d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
			}
		}
		for ; i+2 <= rows; i += 2 {
			r0 := a[(i0+i)*lda+p0 : (i0+i)*lda+p0+kb]
			r1 := a[(i0+i+1)*lda+p0:][:len(r0)]
			for p := range r0 {
				d := strip[p*mr+i : p*mr+i+2]
				d[0], d[1] = r0[p], r1[p]
			}
		}
		for ; i < rows; i++ {
			for p, v := range a[(i0+i)*lda+p0 : (i0+i)*lda+p0+kb] {
				strip[p*mr+i] = v
			}
		}
	}
}

// gemmPool recycles per-call packing buffers.
var gemmPool keep.List[[]float32]

// gemmScratch returns a 64-byte aligned buffer of at least n float32s from
// the pool; give it back with gemmRelease.
func gemmScratch(n int) *[]float32 {
	if p := gemmPool.Get(); p != nil {
		if cap(*p) >= n {
			*p = (*p)[:n]
			return p
		}
	}
	s := gemmAligned(max(n, 1024))[:n]
	return &s
}

func gemmRelease(p *[]float32) { gemmPool.Put(p) }

// Sgemm computes C = op(A)*op(B), finished by ep, for row-major float32
// matrices: op(A) is m x k (a[i*lda+p], or a[p*lda+i] when transA), op(B)
// is k x n (b[p*ldb+j], or b[j*ldb+p] when transB), C is m x n with row
// stride ldc. It packs both operands per call; pack a reused operand once
// with PackA or PackB instead.
func (g *ISA) Sgemm(m, n, k int, a []float32, lda int, transA bool, b []float32, ldb int, transB bool, c []float32, ldc int, ep *Epilogue) {
	gemmCheckOp("Sgemm A", a, m, k, lda, transA)
	gemmCheckOp("Sgemm B", b, k, n, ldb, transB)
	g.run(m, n, k, gemmOpA{a: a, lda: lda, trans: transA}, gemmOpB{b: b, ldb: ldb, trans: transB}, c, ldc, ep)
}

// SgemmPackedB is Sgemm with op(B) packed by PackB (k x n), with the ISA
// it was packed for.
func SgemmPackedB(m int, a []float32, lda int, transA bool, pb *PackedB, c []float32, ldc int, ep *Epilogue) {
	gemmCheckOp("SgemmPackedB A", a, m, pb.k, lda, transA)
	pb.impl.run(m, pb.n, pb.k, gemmOpA{a: a, lda: lda, trans: transA}, gemmOpB{packed: pb}, c, ldc, ep)
}

// SgemmPackedA is Sgemm with op(A) packed by PackA (m x k), with the ISA
// it was packed for.
func SgemmPackedA(pa *PackedA, n int, b []float32, ldb int, transB bool, c []float32, ldc int, ep *Epilogue) {
	gemmCheckOp("SgemmPackedA B", b, pa.k, n, ldb, transB)
	pa.impl.run(pa.m, n, pa.k, gemmOpA{packed: pa}, gemmOpB{b: b, ldb: ldb, trans: transB}, c, ldc, ep)
}

// gemmOpA is the left operand: packed, or a matrix to pack per call.
type gemmOpA struct {
	packed *PackedA
	a      []float32
	lda    int
	trans  bool
}

// gemmOpB is the right operand: packed, or a matrix to pack per call.
type gemmOpB struct {
	packed *PackedB
	b      []float32
	ldb    int
	trans  bool
}

// run computes C = op(A)*op(B) finished by ep with g's kernels. The
// operands were checked; run checks C and the epilogue's slices.
func (g *ISA) run(m, n, k int, opA gemmOpA, opB gemmOpB, c []float32, ldc int, ep *Epilogue) {
	if ep == nil {
		ep = &gemmPlainEpilogue
	}
	gemmCheck("Sgemm C", c, m, n, ldc)
	if ep.RowBias != nil && len(ep.RowBias) < m {
		panic(fmt.Sprintf("kern: Sgemm: %d row biases for %d rows", len(ep.RowBias), m))
	}
	if ep.ColBias != nil && len(ep.ColBias) < n {
		panic(fmt.Sprintf("kern: Sgemm: %d column biases for %d columns", len(ep.ColBias), n))
	}
	if ep.Residual != nil {
		gemmCheck("Sgemm residual", ep.Residual, m, n, ep.LdResidual)
	}
	if m == 0 || n == 0 {
		return
	}
	if (opA.packed != nil && opA.packed.impl != g) || (opB.packed != nil && opB.packed.impl != g) {
		panic("kern: Sgemm: operands packed for different implementations")
	}
	if !g.Ready() {
		panic(fmt.Sprintf("kern: Sgemm: the %s implementation is not available on this CPU", g.Name))
	}
	gemmRaceRead(opA.a)
	gemmRaceRead(opB.b)
	gemmRaceRead(ep.RowBias)
	gemmRaceRead(ep.ColBias)
	gemmRaceRead(ep.Residual)
	gemmRaceWrite(c[:(m-1)*ldc+n])

	mr, nr := g.MR, g.NR
	// B is read in place when it is row-major (direct): the kernels take any
	// row stride. Only the last n%nr columns are then packed (zero-padded),
	// for the kernel reads whole panels. Measured against packing all of B
	// per call (BenchmarkGemm/avx2/packedA): 64x3136x64 +24%, 128x784x512
	// +13%, no loss elsewhere.
	pb := opB.packed
	direct := pb == nil && !opB.trans
	nFull := n // columns read through pb or in place; the rest from tail
	var tail []float32
	if direct {
		nFull = n / nr * nr
		if t := n - nFull; t > 0 && k > 0 {
			buf := gemmScratch(k * nr)
			defer gemmRelease(buf)
			tail = *buf
			gemmPackB(tail, k, t, nr, opB.b[nFull:], opB.ldb, false)
		}
	} else if pb == nil {
		np := (n + nr - 1) / nr
		buf := gemmScratch(np * k * nr)
		defer gemmRelease(buf)
		pb = &PackedB{k: k, n: n, impl: g, data: *buf}
		gemmPackB(pb.data, k, n, nr, opB.b, opB.ldb, opB.trans)
	}
	var abuf *[]float32
	if opA.packed == nil {
		abuf = gemmScratch(min(g.MC, (m+mr-1)/mr*mr) * max(min(g.KC, k), 1))
		defer gemmRelease(abuf)
	}

	ctx := getCtx()
	defer putCtx(ctx)
	args := &ctx.args
	*args = GemmArgs{}
	args.alpha = ep.Alpha
	args.ldc = ldc * 4
	args.ldRes = ep.LdResidual * 4
	kernelAct := ep.Act == ActRelu || ep.Act == ActClip
	for p0 := 0; p0 < k || (k == 0 && p0 == 0); p0 += g.KC {
		kb := min(g.KC, k-p0)
		first, last := p0 == 0, p0+kb >= k
		args.k = kb
		args.flags = 0
		args.beta = 1
		if !first {
			args.flags |= gemmFlagC
		} else {
			if ep.Beta != 0 {
				args.flags |= gemmFlagC
				args.beta = ep.Beta
			}
			if ep.RowBias != nil {
				args.flags |= gemmFlagRowBias
			}
			if ep.ColBias != nil {
				args.flags |= gemmFlagColBias
			}
		}
		if last {
			if ep.Residual != nil {
				args.flags |= gemmFlagRes
			}
			switch ep.Act {
			case ActRelu:
				args.flags |= gemmFlagClamp
				args.lo, args.hi = 0, float32(math.Inf(1))
			case ActClip:
				args.flags |= gemmFlagClamp
				args.lo, args.hi = ep.Min, ep.Max
			}
		}
		for i0 := 0; i0 < m; i0 += g.MC {
			mb := min(g.MC, m-i0)
			// The block's strips: strip s starts at aBase[s*aStrip].
			var aBase []float32
			var aStrip int
			if opA.packed != nil {
				aBase, aStrip = opA.packed.data[i0*k+p0*mr:], k*mr
			} else {
				aBase, aStrip = *abuf, kb*mr
				if kb > 0 {
					gemmPackA(aBase, mr, mb, p0, kb, opA.a[gemmOffA(i0, opA):], opA.lda, opA.trans)
				}
			}
			for j0 := 0; j0 < n; {
				var nb int
				switch {
				case direct && j0 < nFull:
					nb = min(g.NC, nFull-j0)
					args.bRow, args.bPanel = opB.ldb*4, nr*4
					if kb > 0 {
						args.b = &opB.b[p0*opB.ldb+j0]
					}
				case direct:
					nb = n - j0
					args.bRow, args.bPanel = nr*4, k*nr*4
					if kb > 0 {
						args.b = &tail[p0*nr]
					}
				default:
					nb = min(g.NC, n-j0)
					args.bRow, args.bPanel = nr*4, k*nr*4
					if kb > 0 {
						args.b = &pb.data[j0*k+p0*nr]
					}
				}
				args.n = nb
				if ep.ColBias != nil {
					args.colBias = &ep.ColBias[j0]
				}
				for s := 0; s*mr < mb; s++ {
					i := i0 + s*mr
					rows := min(mr, mb-s*mr)
					if kb > 0 {
						args.a = &aBase[s*aStrip]
					} else {
						args.a, args.b = &gemmNothing[0], &gemmNothing[0]
					}
					args.c = &c[i*ldc+j0]
					if ep.RowBias != nil {
						args.rowBias = &ep.RowBias[i]
					}
					if ep.Residual != nil {
						args.res = &ep.Residual[i*ep.LdResidual+j0]
					}
					g.call(rows, ctx)
					if last && !kernelAct && ep.Act != ActNone {
						for r := range rows {
							g.activate(c[(i+r)*ldc+j0:(i+r)*ldc+j0+nb], ep)
						}
					}
				}
				j0 += nb
			}
		}
		if k == 0 {
			break
		}
	}
}

// gemmNothing stands for the operands of a product with k == 0, which the
// kernels do not read.
var gemmNothing [16]float32

// gemmOffA returns the offset in a of op(A)[i0][0].
func gemmOffA(i0 int, op gemmOpA) int {
	if op.trans {
		return i0
	}
	return i0 * op.lda
}
