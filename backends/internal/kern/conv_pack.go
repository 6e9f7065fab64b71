package kern

// The activation packer of the implicit-GEMM convolution: it builds the
// SGEMM's B operand (K = input channel x kernel row x kernel column, by
// N = output pixels) tile by tile, straight from the (padded) input, in the
// panel layout the micro-kernels read (panels of NR columns, NR floats per
// k step).
//
// Every B element is src[dOff[p] + laneOff[j]]: dOff depends only on the
// row p (channel, kernel row and column), laneOff only on the column j
// (the output pixel's top-left tap). So the packer reads one table of row
// offsets and, per group of 8 columns, 8 column offsets classified once per
// tile: consecutive (a stride-1 run inside one output row: one vector load),
// even (a stride-2 run: two loads and a shuffle), scattered (a gather), or
// past the last column (zeros).

import "unsafe"

// Modes of a convLanes group.
const (
	convLanesContig = 0 // off[l] = off[0] + l
	convLanesEven   = 1 // off[l] = off[0] + 2l (the packer reads off[0]..off[0]+15)
	convLanesGather = 2 // any offsets, lanes with mask 0 read as zero
	convLanesZero   = 3 // all 8 lanes past the last column
)

// convLanes describes 8 consecutive columns of a B tile. Its layout is
// fixed: assembly reads it (TestConvPackLayout).
type convLanes struct {
	off  [8]int32 // per lane: offset in src of the column's first tap
	mask [8]int32 // per lane: -1 for a column of the tile, 0 for padding
	mode int64    // convLanes*
}

// ConvPackArgs is what ISA.ConvPack reads (layout checked by
// TestConvPackLayout).
type ConvPackArgs struct {
	dst         *float32   // the tile's first panel
	src         *float32   // the input the offsets are relative to
	dOff        *int32     // kb row offsets
	lanes       *convLanes // groups lane groups, in column order
	kb          int        // rows (k steps) to pack
	groups      int        // lane groups (8 columns each)
	subs        int        // lane groups per panel: NR/8
	rowStride   int        // bytes from one k step of a panel to the next: NR*4
	panelStride int        // bytes from one panel to the next: kb*NR*4
	subStride   int        // bytes from one lane group of a panel to the next: 32
}

// convPackGo packs a B tile (ISA.ConvPack):
//
//	for g := range groups {
//		panel, sub := g/subs, g%subs
//		for p := range kb {
//			for l := range 8 {
//				dst[panel*panelStride/4 + p*rowStride/4 + sub*subStride/4 + l] = B(p, g, l)
//			}
//		}
//	}
//
// where B(p, g, l) is src[dOff[p]+lanes[g].off[l]] (0 for a masked or zero
// lane). The caller guarantees every offset read is inside src, including
// the 16 floats an even group reads from each row. Groups may overlap the
// next group or row (the pixel-major layout, rowStride < 32): the stores
// go in the loop's order, so the later ones win.
func convPackGo(args *ConvPackArgs) {
	lanes := unsafe.Slice(args.lanes, args.groups)
	dOff := unsafe.Slice(args.dOff, args.kb)
	for g := range args.groups {
		panel, sub := g/args.subs, g%args.subs
		ln := &lanes[g]
		for p := range args.kb {
			row := (*[8]float32)(unsafe.Pointer(f32At(args.dst, panel*args.panelStride+p*args.rowStride+sub*args.subStride)))
			d := int(dOff[p])
			for l := range 8 {
				var v float32
				switch ln.mode {
				case convLanesContig:
					v = *f32At(args.src, 4*(d+int(ln.off[0])+l))
				case convLanesEven:
					v = *f32At(args.src, 4*(d+int(ln.off[0])+2*l))
				case convLanesGather:
					if ln.mask[l] != 0 {
						v = *f32At(args.src, 4*(d+int(ln.off[l])))
					}
				}
				row[l] = v
			}
		}
	}
}

// convPack packs with g's routine, after checking (cheaply) what the
// assembly cannot: that the offsets stay inside src.
func (g *ISA) convPack(args *ConvPackArgs, src []float32, dOff []int32, lanes []convLanes, dst []float32) {
	if args.kb <= 0 || args.groups <= 0 {
		return
	}
	np := (args.groups + args.subs - 1) / args.subs
	if len(dOff) < args.kb || len(lanes) < args.groups || len(dst)*4 < (np-1)*args.panelStride+(args.kb-1)*args.rowStride+(args.subs-1)*args.subStride+32 {
		panic("kern: convPack: buffers too small")
	}
	args.src = unsafe.SliceData(src)
	args.dOff = unsafe.SliceData(dOff)
	args.lanes = unsafe.SliceData(lanes)
	args.dst = unsafe.SliceData(dst)
	gemmRaceRead(src)
	gemmRaceWrite(dst)
	g.ConvPack(args)
}

// convLaneSetup classifies the columns [j0, j0+nb) of an output of width ow
// into lane groups (rounded up to whole panels of nr columns): column j is
// the output pixel (j/ow, j%ow), whose first tap is at src offset
// (j/ow)*sh*wp + (j%ow)*sw. An even group is used only when its 16-float
// reads stay below limit for every row offset up to maxD.
func convLaneSetup(lanes []convLanes, j0, nb, nr, ow, sh, sw, wp, maxD, limit int) int {
	groups := (nb + nr - 1) / nr * nr / 8
	oy, ox := j0/ow, j0%ow
	left := nb
	for g := range groups {
		ln := &lanes[g]
		valid := min(8, max(left, 0))
		left -= 8
		for l := range 8 {
			if l < valid {
				ln.off[l] = int32(oy*sh*wp + ox*sw)
				ln.mask[l] = -1
				if ox++; ox == ow {
					ox, oy = 0, oy+1
				}
			} else {
				ln.off[l], ln.mask[l] = 0, 0
			}
		}
		convClassify(ln, valid, maxD, limit)
	}
	return groups
}

// convClassify sets the mode of a lane group whose first valid lanes hold
// offsets (the others masked): consecutive or even offsets when all 8 are
// valid (even only if its 16-float reads stay below limit for row offsets
// up to maxD), a gather otherwise, zeros when none is valid.
func convClassify(ln *convLanes, valid, maxD, limit int) {
	switch {
	case valid == 0:
		ln.mode = convLanesZero
	case valid < 8:
		ln.mode = convLanesGather
	default:
		contig, even := true, true
		for l := 1; l < 8; l++ {
			d := ln.off[l] - ln.off[0]
			contig = contig && d == int32(l)
			even = even && d == int32(2*l)
		}
		switch {
		case contig:
			ln.mode = convLanesContig
		case even && int(ln.off[0])+maxD+16 <= limit:
			ln.mode = convLanesEven
		default:
			ln.mode = convLanesGather
		}
	}
}
