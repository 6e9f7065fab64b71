package main

// The NEON packer of kern's implicit-GEMM and pixel-major convolutions,
// written to ../conv_kernels_arm64.s and .go: kern's convPackGo
// (ISA.ConvPack), one group of 8 columns at a time and, for each of its kb
// rows, 8 floats by the group's mode: one 8-float load (consecutive
// columns), two LD2 de-interleaving loads (even columns), 8 scalar loads
// masked to zero (a gather), or zeros. Rows are stored whole, in
// convPackGo's order, so overlapping groups (the pixel-major layout) end
// as they do in Go. And the pixel-major path's transposer, kern's
// convTransposeGo (ISA.ConvTranspose), in 4x4 blocks.

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
)

// Layouts of kern.ConvPackArgs and kern.convLanes (conv_pack.go); kern's
// TestConvPackLayout checks them.
var packFields = []struct {
	name string
	off  int
}{
	{"dst", 0}, {"src", 8}, {"dOff", 16}, {"lanes", 24}, {"kb", 32}, {"groups", 40},
	{"subs", 48}, {"rowStride", 56}, {"panelStride", 64}, {"subStride", 72},
}

const (
	lanesOff    = 0  // convLanes.off
	lanesMask   = 32 // convLanes.mask
	lanesMode   = 64 // convLanes.mode
	lanesSizeof = 72
)

func convAsmFile() []byte {
	var g gen
	g.header()
	g.p("// Offsets of the kern.ConvPackArgs fields.")
	for _, f := range packFields {
		g.p("#define pack_%s %d", f.name, f.off)
	}
	g.p("")
	g.p("// kern.convLanes: its fields' offsets and size, and its modes.")
	g.p("#define lanes_off %d", lanesOff)
	g.p("#define lanes_mask %d", lanesMask)
	g.p("#define lanes_mode %d", lanesMode)
	g.p("#define lanes_sizeof %d", lanesSizeof)
	g.p("#define MODE_CONTIG 0")
	g.p("#define MODE_EVEN 1")
	g.p("#define MODE_GATHER 2")
	g.p("")
	g.p("// General-purpose registers. L0..L7: a gathered group's lanes, src +")
	g.p("// 4*off[l]; L0 is also BASE, src + 4*off[0], for the other modes.")
	for _, r := range [][2]string{
		{"ARGS", "R0"}, {"DST_G", "R1"}, {"SRC", "R2"}, {"DOFF_BASE", "R3"}, {"LANE", "R4"}, {"KB", "R5"},
		{"GROUPS_LEFT", "R6"}, {"N_SUBS", "R7"}, {"ROW_STRIDE", "R8"}, {"PANEL_STRIDE", "R9"},
		{"SUB_STRIDE", "R10"}, {"SUB", "R11"}, {"PANEL_BASE", "R12"}, {"P_LEFT", "R13"}, {"DOFF", "R14"},
		{"ROW", "R15"}, {"D", "R16"}, {"TMP", "R17"}, {"BASE", "R19"},
		{"L0", "R19"}, {"L1", "R20"}, {"L2", "R21"}, {"L3", "R22"}, {"L4", "R23"}, {"L5", "R24"}, {"L6", "R25"}, {"L7", "R26"},
	} {
		g.p("#define %s %s", r[0], r[1])
	}
	g.p("")
	g.p("// Vector registers: V0, V1 a row of the group (8 floats), V2 the odd")
	g.p("// half of the second LD2, V6, V7 a gathered group's lane masks.")
	g.convPack()
	g.p("")
	g.p("// Offsets of the kern.ConvTrArgs fields.")
	for _, f := range trFields {
		g.p("#define tr_%s %d", f.name, f.off)
	}
	g.p("")
	g.p("// Flags (kern's winFlag*), as bit numbers.")
	g.p("#define FLAGBIT_RES 0")
	g.p("#define FLAGBIT_CLAMP 1")
	g.convTranspose()
	return g.buf.Bytes()
}

func (g *gen) convPack() {
	const name = "convPackF32NEON"
	L := func(l string) string { return "pack_" + l }
	g.p("")
	g.p("// func %s(args *kern.ConvPackArgs)", name)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-8", name)
	g.in("MOVD args+0(FP), ARGS", "")
	g.in("MOVD pack_dst(ARGS), DST_G", "")
	g.in("MOVD pack_src(ARGS), SRC", "")
	g.in("MOVD pack_dOff(ARGS), DOFF_BASE", "")
	g.in("MOVD pack_lanes(ARGS), LANE", "")
	g.in("MOVD pack_kb(ARGS), KB", "")
	g.in("MOVD pack_groups(ARGS), GROUPS_LEFT", "")
	g.in("MOVD pack_subs(ARGS), N_SUBS", "")
	g.in("MOVD pack_rowStride(ARGS), ROW_STRIDE", "")
	g.in("MOVD pack_panelStride(ARGS), PANEL_STRIDE", "")
	g.in("MOVD pack_subStride(ARGS), SUB_STRIDE", "")
	g.in(fmt.Sprintf("CBZ KB, %s", L("done")), "")
	g.in(fmt.Sprintf("CBZ GROUPS_LEFT, %s", L("done")), "")
	g.in("MOVD DST_G, PANEL_BASE", "")
	g.in("MOVD ZR, SUB", "")
	g.label(L("group"))
	g.in("// for g := range groups: rows p of dst at panel*panelStride + sub*subStride", "")
	g.in("MOVD DOFF_BASE, DOFF", "")
	g.in("MOVD KB, P_LEFT", "")
	g.in("MOVD DST_G, ROW", "")
	g.in("MOVW lanes_off(LANE), BASE", "off[0], sign-extended")
	g.in("ADD BASE<<2, SRC, BASE", "")
	g.in("MOVD lanes_mode(LANE), TMP", "")
	g.in("CMP $MODE_CONTIG, TMP", "")
	g.in(fmt.Sprintf("BEQ %s", L("contig")), "")
	g.in("CMP $MODE_EVEN, TMP", "")
	g.in(fmt.Sprintf("BEQ %s", L("even")), "")
	g.in("CMP $MODE_GATHER, TMP", "")
	g.in(fmt.Sprintf("BEQ %s", L("gather")), "")

	g.in("VEOR V0.B16, V0.B16, V0.B16", "zeros: every lane past the last column")
	g.in("VEOR V1.B16, V1.B16, V1.B16", "")
	g.label(L("zero"))
	g.in("VST1 [V0.S4, V1.S4], (ROW)", "")
	g.in("ADD ROW_STRIDE, ROW", "")
	g.in("SUBS $1, P_LEFT", "")
	g.in(fmt.Sprintf("BNE %s", L("zero")), "")
	g.in(fmt.Sprintf("B %s", L("next")), "")

	g.label(L("contig"))
	g.in("MOVW.P 4(DOFF), D", "dOff[p]")
	g.in("ADD D<<2, BASE, TMP", "")
	g.in("VLD1 (TMP), [V0.S4, V1.S4]", "src[dOff[p]+off[0] : +8]")
	g.in("VST1 [V0.S4, V1.S4], (ROW)", "")
	g.in("ADD ROW_STRIDE, ROW", "")
	g.in("SUBS $1, P_LEFT", "")
	g.in(fmt.Sprintf("BNE %s", L("contig")), "")
	g.in(fmt.Sprintf("B %s", L("next")), "")

	g.label(L("even"))
	g.in("MOVW.P 4(DOFF), D", "dOff[p]")
	g.in("ADD D<<2, BASE, TMP", "")
	g.word(ld2(0, 17), "LD2 {V0.4S, V1.4S}, [X17]", "V0 = src[d+0, 2, 4, 6]")
	g.in("ADD $32, TMP", "")
	g.word(ld2(1, 17), "LD2 {V1.4S, V2.4S}, [X17]", "V1 = src[d+8, 10, 12, 14]")
	g.in("VST1 [V0.S4, V1.S4], (ROW)", "")
	g.in("ADD ROW_STRIDE, ROW", "")
	g.in("SUBS $1, P_LEFT", "")
	g.in(fmt.Sprintf("BNE %s", L("even")), "")
	g.in(fmt.Sprintf("B %s", L("next")), "")

	g.label(L("gather"))
	g.in("ADD $lanes_mask, LANE, TMP", "")
	g.in("VLD1 (TMP), [V6.S4, V7.S4]", "mask: -1 or 0 per lane")
	for l := 1; l < 8; l++ {
		g.in(fmt.Sprintf("MOVW lanes_off+%d(LANE), L%d", 4*l, l), fmt.Sprintf("off[%d]", l))
		g.in(fmt.Sprintf("ADD L%d<<2, SRC, L%d", l, l), "")
	}
	g.label(L("gatherRow"))
	g.in("MOVW.P 4(DOFF), D", "dOff[p]")
	g.in("LSL $2, D", "")
	for l := range 8 {
		g.in(fmt.Sprintf("MOVWU (L%d)(D), TMP", l), fmt.Sprintf("src[dOff[p]+off[%d]] (a masked lane reads src[dOff[p]], inside src)", l))
		g.in(fmt.Sprintf("VMOV TMP, V%d.S[%d]", l/4, l%4), "")
	}
	for v := range 2 {
		g.in(fmt.Sprintf("VAND V%d.B16, V%d.B16, V%d.B16", 6+v, v, v), "masked lanes: 0")
	}
	g.in("VST1 [V0.S4, V1.S4], (ROW)", "")
	g.in("ADD ROW_STRIDE, ROW", "")
	g.in("SUBS $1, P_LEFT", "")
	g.in(fmt.Sprintf("BNE %s", L("gatherRow")), "")

	g.label(L("next"))
	g.in("ADD $lanes_sizeof, LANE", "")
	g.in("ADD $1, SUB", "")
	g.in("CMP N_SUBS, SUB", "")
	g.in(fmt.Sprintf("BNE %s", L("samePanel")), "")
	g.in("MOVD ZR, SUB", "the next panel")
	g.in("ADD PANEL_STRIDE, PANEL_BASE", "")
	g.in("MOVD PANEL_BASE, DST_G", "")
	g.in(fmt.Sprintf("B %s", L("count")), "")
	g.label(L("samePanel"))
	g.in("ADD SUB_STRIDE, DST_G", "")
	g.label(L("count"))
	g.in("SUBS $1, GROUPS_LEFT", "")
	g.in(fmt.Sprintf("BNE %s", L("group")), "")
	g.label(L("done"))
	g.in("RET", "")
}

// Layout of kern.ConvTrArgs (conv_pixmajor.go); TestConvPackLayout checks it.
var trFields = []struct {
	name string
	off  int
}{
	{"src", 0}, {"dst", 8}, {"res", 16}, {"lds", 24}, {"ldd", 32}, {"rows", 40}, {"cols", 48},
	{"flags", 56}, {"lo", 64}, {"hi", 68},
}

const (
	opTRN1S = 0x4E802800 // TRN1 Vd.4S, Vn.4S, Vm.4S
	opTRN2S = 0x4E806800 // TRN2 Vd.4S, Vn.4S, Vm.4S
	opTRN1D = 0x4EC02800 // TRN1 Vd.2D, Vn.2D, Vm.2D
	opTRN2D = 0x4EC06800 // TRN2 Vd.2D, Vn.2D, Vm.2D
)

// convTranspose writes kern's convTransposeGo as 4x4 blocks: 4 pixels'
// 4 channels loaded, transposed with TRN1/TRN2 (V0..V3 to V16..V19 through
// V4..V7), the residual added and the clamp applied, and stored as 4
// channels' 4 pixels; rows and cols are multiples of 8, so of 4.
func (g *gen) convTranspose() {
	const name = "convTransposeF32NEON"
	L := func(l string) string { return "tr_" + l }
	g.p("")
	g.p("// Registers of convTransposeF32NEON.")
	for _, r := range [][2]string{
		{"SRC_COL", "R1"}, {"DST_ROW", "R2"}, {"RES_ROW", "R3"}, {"LDS", "R4"}, {"LDD", "R5"},
		{"C_LEFT", "R6"}, {"COLS", "R7"}, {"TR_FLAGS", "R8"}, {"S_PTR", "R9"}, {"D_PTR", "R10"},
		{"R_PTR", "R11"}, {"P_LEFT2", "R12"}, {"PTR", "R13"}, {"LDS4", "R14"}, {"LDD4", "R15"},
	} {
		g.p("#define %s %s", r[0], r[1])
	}
	g.p("")
	g.p("// func %s(args *kern.ConvTrArgs)", name)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-8", name)
	g.in("MOVD args+0(FP), ARGS", "")
	g.in("MOVD tr_src(ARGS), SRC_COL", "")
	g.in("MOVD tr_dst(ARGS), DST_ROW", "")
	g.in("MOVD tr_res(ARGS), RES_ROW", "")
	g.in("MOVD tr_lds(ARGS), LDS", "")
	g.in("MOVD tr_ldd(ARGS), LDD", "")
	g.in("MOVD tr_rows(ARGS), C_LEFT", "")
	g.in("MOVD tr_cols(ARGS), COLS", "")
	g.in("MOVD tr_flags(ARGS), TR_FLAGS", "")
	g.in("ADD $tr_lo, ARGS, PTR", "")
	g.in("VLD1R (PTR), [V20.S4]", "lo")
	g.in("ADD $tr_hi, ARGS, PTR", "")
	g.in("VLD1R (PTR), [V21.S4]", "hi")
	g.in("LSL $2, LDS, LDS4", "4 pixel rows of src")
	g.in("LSL $2, LDD, LDD4", "4 channel rows of dst")
	g.in(fmt.Sprintf("CBZ C_LEFT, %s", L("done")), "")
	g.in(fmt.Sprintf("CBZ COLS, %s", L("done")), "")
	g.label(L("chans"))
	g.in("// for c := 0; c < rows; c += 4", "")
	g.in("MOVD SRC_COL, S_PTR", "src[0][c]")
	g.in("MOVD DST_ROW, D_PTR", "dst[c][0]")
	g.in("MOVD RES_ROW, R_PTR", "res[c][0]")
	g.in("MOVD COLS, P_LEFT2", "")
	g.label(L("pixels"))
	g.in("// for p := 0; p < cols; p += 4", "")
	g.in("MOVD S_PTR, PTR", "")
	for i := range 4 {
		g.in(fmt.Sprintf("VLD1 (PTR), [V%d.S4]", i), fmt.Sprintf("src[p+%d][c : c+4]", i))
		if i < 3 {
			g.in("ADD LDS, PTR", "")
		}
	}
	t := func(op uint32, mn, arr string, d, n, m int, cmt string) {
		g.word(vec3(op, d, n, m), fmt.Sprintf("%s V%d.%s, V%d.%s, V%d.%s", mn, d, arr, n, arr, m, arr), cmt)
	}
	t(opTRN1S, "TRN1", "4S", 4, 0, 1, "p0c0 p1c0 p0c2 p1c2")
	t(opTRN2S, "TRN2", "4S", 5, 0, 1, "p0c1 p1c1 p0c3 p1c3")
	t(opTRN1S, "TRN1", "4S", 6, 2, 3, "p2c0 p3c0 p2c2 p3c2")
	t(opTRN2S, "TRN2", "4S", 7, 2, 3, "p2c1 p3c1 p2c3 p3c3")
	t(opTRN1D, "TRN1", "2D", 16, 4, 6, "channel c+0, pixels p..p+3")
	t(opTRN1D, "TRN1", "2D", 17, 5, 7, "channel c+1")
	t(opTRN2D, "TRN2", "2D", 18, 4, 6, "channel c+2")
	t(opTRN2D, "TRN2", "2D", 19, 5, 7, "channel c+3")
	g.in(fmt.Sprintf("TBZ $FLAGBIT_RES, TR_FLAGS, %s", L("noRes")), "if flags&winFlagRes != 0 {")
	g.in("MOVD R_PTR, PTR", "")
	for i := range 4 {
		g.in(fmt.Sprintf("VLD1 (PTR), [V%d.S4]", 22+i), fmt.Sprintf("res[c+%d][p : p+4]", i))
		if i < 3 {
			g.in("ADD LDD, PTR", "")
		}
	}
	for i := range 4 {
		g.op3(opFADD, "FADD", 16+i, 16+i, 22+i, "")
	}
	g.label(L("noRes"))
	g.in(fmt.Sprintf("TBZ $FLAGBIT_CLAMP, TR_FLAGS, %s", L("noClamp")), "if flags&winFlagClamp != 0 {")
	for i := range 4 {
		g.op3(opFMAX, "FMAX", 16+i, 16+i, 20, "NaN stays NaN")
		g.op3(opFMIN, "FMIN", 16+i, 16+i, 21, "")
	}
	g.label(L("noClamp"))
	g.in("MOVD D_PTR, PTR", "")
	for i := range 4 {
		g.in(fmt.Sprintf("VST1 [V%d.S4], (PTR)", 16+i), fmt.Sprintf("dst[c+%d][p : p+4]", i))
		if i < 3 {
			g.in("ADD LDD, PTR", "")
		}
	}
	g.in("ADD LDS4, S_PTR", "")
	g.in("ADD $16, D_PTR", "")
	g.in("ADD $16, R_PTR", "")
	g.in("SUBS $4, P_LEFT2", "")
	g.in(fmt.Sprintf("BNE %s", L("pixels")), "")
	g.in("ADD $16, SRC_COL", "")
	g.in("ADD LDD4, DST_ROW", "")
	g.in("ADD LDD4, RES_ROW", "")
	g.in("SUBS $4, C_LEFT", "")
	g.in(fmt.Sprintf("BNE %s", L("chans")), "")
	g.label(L("done"))
	g.in("RET", "")
}

func convGoDecls() []byte {
	var b bytes.Buffer
	w := goFileStart(&b, `"github.com/onyxml/onyx/backends/internal/kern"`)
	w("// convPackF32NEON packs a B tile of the implicit-GEMM and pixel-major")
	w("// convolutions: kern's convPackGo (ISA.ConvPack), with its")
	w("// preconditions, 8 floats per group and row, by the group's mode (one")
	w("// load, two de-interleaving loads, a masked gather, or zeros).")
	w("//")
	w("//go:noescape")
	w("func convPackF32NEON(args *kern.ConvPackArgs)")
	w("")
	w("// convTransposeF32NEON writes a pixel-major block channel-major with the")
	w("// residual and the clamp: kern's convTransposeGo (ISA.ConvTranspose),")
	w("// with its preconditions (rows and cols multiples of 8), in 4x4 blocks")
	w("// transposed in registers.")
	w("//")
	w("//go:noescape")
	w("func convTransposeF32NEON(args *kern.ConvTrArgs)")
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	return src
}
