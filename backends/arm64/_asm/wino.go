package main

// The NEON transforms of kern's Winograd F(2x2, 3x3) convolution, written
// to ../conv_wino_arm64.s and .go: the input transform (kern's winoInGo,
// ISA.WinoIn) and the output transform with its epilogue (kern's
// winoOutGo, ISA.WinoOut). A group's 8 tiles are two vectors of 4 in
// their natural order (the tier's WinoLanes is 0..7): LD2 splits an input
// row into the even and odd columns that start the tiles, and ZIP1/ZIP2
// interleave the output columns back. They compute the Go definitions'
// adds and subtracts in the same order, so their results are those of Go
// bit for bit, and they leave FPCR alone (there are no products to flush).

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
)

// Layouts of kern.WinoInArgs and kern.WinoOutArgs (conv_wino.go); kern's
// TestWinoLayout checks them.
var (
	winoInFields = []struct {
		name string
		off  int
	}{
		{"x", 0}, {"v", 8}, {"cin", 16}, {"plane", 24}, {"wp", 32}, {"groups", 40},
		{"th0", 48}, {"tw0", 56}, {"tilesWp", 64}, {"vs", 72}, {"panel", 80}, {"nr", 88},
	}
	winoOutFields = []struct {
		name string
		off  int
	}{
		{"m", 0}, {"y", 8}, {"res", 16}, {"bias", 24}, {"cout", 32}, {"ms", 40}, {"ldm", 48},
		{"groups", 56}, {"th0", 64}, {"tw0", 72}, {"tilesWp", 80}, {"oh", 88}, {"ow", 96},
		{"ohw4", 104}, {"ow4", 112}, {"flags", 120}, {"lo", 128}, {"hi", 132},
	}
)

const opFSUB = 0x4EA0D400 // FSUB Vd.4S, Vn.4S, Vm.4S

func winoAsmFile() []byte {
	var g gen
	g.header()
	g.p("// Offsets of the kern.WinoInArgs fields.")
	for _, f := range winoInFields {
		g.p("#define wi_%s %d", f.name, f.off)
	}
	g.p("")
	g.p("// Offsets of the kern.WinoOutArgs fields.")
	for _, f := range winoOutFields {
		g.p("#define wo_%s %d", f.name, f.off)
	}
	g.p("")
	g.p("// Flags (kern's winFlag*), as bit numbers.")
	g.p("#define FLAGBIT_RES 0")
	g.p("#define FLAGBIT_CLAMP 1")
	g.winoIn()
	g.winoOut()
	return g.buf.Bytes()
}

func winoGoDecls() []byte {
	var b bytes.Buffer
	w := goFileStart(&b, `"github.com/onyxml/onyx/backends/internal/kern"`)
	w("// winoInF32NEON is the Winograd F(2x2, 3x3) input transform of a block")
	w("// of tiles: kern's winoInGo (ISA.WinoIn) with its preconditions, in the")
	w("// lane order winoLanesNEON, a group's 8 tiles as two vectors of 4 (LD2")
	w("// splits each input row into the even and odd columns), bit for bit.")
	w("//")
	w("//go:noescape")
	w("func winoInF32NEON(args *kern.WinoInArgs)")
	w("")
	w("// winoOutF32NEON is the output transform of a block with the bias, the")
	w("// residual and the clamp: kern's winoOutGo (ISA.WinoOut) with its")
	w("// preconditions, in the lane order winoLanesNEON, bit for bit; tiles")
	w("// past the right edge are stored 4 columns, then 1, at a time, so")
	w("// nothing outside the output plane is read or written.")
	w("//")
	w("//go:noescape")
	w("func winoOutF32NEON(args *kern.WinoOutArgs)")
	w("")
	w("// winoLanesNEON is the lane order of the transforms: the natural one.")
	w("var winoLanesNEON = [8]int{0, 1, 2, 3, 4, 5, 6, 7}")
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	return src
}

// regs defines the register names of one routine and returns the func
// that undefines them after it (the routines of a file name their
// registers alike).
func (g *gen) regs(names [][2]string) func() {
	for _, r := range names {
		g.p("#define %s %s", r[0], r[1])
	}
	return func() {
		g.p("")
		for _, r := range names {
			g.p("#undef %s", r[0])
		}
	}
}

// winoRow loads the columns 2t+0..3 of a group's 8 tiles t from the input
// row at ROW into V(base)..V(base+7): LD2 from ROW and ROW+32 gives
// columns 2t and 2t+1 (tiles 0..3, then 4..7), from ROW8 = ROW+8 and
// ROW8+32 columns 2t+2 and 2t+3. Column j of the tiles 4h..4h+3 lands in
// winoCol(base, j, h).
func (g *gen) winoRow(base int, what string) {
	g.in("ADD $8, ROW, ROW8", "")
	g.in(fmt.Sprintf("VLD2.P 32(ROW), [V%d.S4, V%d.S4]", base, base+1), what+": columns 2t, 2t+1 of tiles 0..3")
	g.in(fmt.Sprintf("VLD2 (ROW), [V%d.S4, V%d.S4]", base+2, base+3), "tiles 4..7")
	g.in(fmt.Sprintf("VLD2.P 32(ROW8), [V%d.S4, V%d.S4]", base+4, base+5), "columns 2t+2, 2t+3 of tiles 0..3")
	g.in(fmt.Sprintf("VLD2 (ROW8), [V%d.S4, V%d.S4]", base+6, base+7), "tiles 4..7")
}

// winoCol is the register of column j (0..3) of tiles 4h..4h+3 in a row
// loaded by winoRow at base.
func winoCol(base, j, h int) int { return base + 4*(j/2) + 2*h + j%2 }

// winoCols writes the column transform of the transformed row at base,
// V[i][*] = e0-e2, e1+e2, e2-e1, e1-e3, each 8 tiles (V24..V31) stored
// at D, which then steps by VS to the next V_xi.
func (g *gen) winoCols(base, i int) {
	ops := []struct {
		op     uint32
		mn     string
		a, b   int
		define string
	}{
		{opFSUB, "FSUB", 0, 2, "e0 - e2"}, {opFADD, "FADD", 1, 2, "e1 + e2"},
		{opFSUB, "FSUB", 2, 1, "e2 - e1"}, {opFSUB, "FSUB", 1, 3, "e1 - e3"},
	}
	for j, o := range ops {
		t := 24 + 2*j
		for h := range 2 {
			cmt := ""
			if h == 0 {
				cmt = fmt.Sprintf("V[%d][%d] = %s", i, j, o.define)
			}
			g.op3(o.op, o.mn, t+h, winoCol(base, o.a, h), winoCol(base, o.b, h), cmt)
		}
		g.in(fmt.Sprintf("VST1.P [V%d.S4, V%d.S4], (VPTR)(VS)", t, t+1), fmt.Sprintf("V_%d[c][8g : 8g+8]", 4*i+j))
	}
}

// winoIn writes winoInF32NEON: per group of 8 tiles and channel, the rows
// d0, d2 (then e0 = d0-d2 in V0..V7, stored), d1 (e1 = d1+d2 in V0..V7,
// e2 = d2-d1 in V8..V15), d3 (e3 = d1-d3 in V16..V23).
func (g *gen) winoIn() {
	const name = "winoInF32NEON"
	L := func(l string) string { return "wi_" + l }
	g.p("")
	g.p("// Registers of winoInF32NEON.")
	undef := g.regs([][2]string{
		{"ARGS", "R0"}, {"SRC", "R1"}, {"DST", "R2"}, {"C_LEFT", "R3"}, {"PLANE", "R4"}, {"WP", "R5"},
		{"VS", "R6"}, {"NR4", "R7"}, {"TH", "R8"}, {"TW", "R9"}, {"G_LEFT", "R10"}, {"LANE", "R11"},
		{"PANEL_BASE", "R12"}, {"ROW", "R13"}, {"ROW8", "R14"}, {"VPTR", "R15"}, {"TMP", "R16"}, {"X", "R17"},
		{"NR", "R19"}, {"TILES_WP", "R20"}, {"PANEL", "R21"}, {"CIN", "R22"},
	})
	defer undef()
	g.p("")
	g.p("// func %s(args *kern.WinoInArgs)", name)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-8", name)
	g.in("MOVD args+0(FP), ARGS", "")
	g.in("MOVD wi_x(ARGS), X", "")
	g.in("MOVD wi_v(ARGS), PANEL_BASE", "V_0's panel of group 0")
	g.in("MOVD wi_cin(ARGS), CIN", "")
	g.in("MOVD wi_plane(ARGS), PLANE", "")
	g.in("MOVD wi_wp(ARGS), WP", "")
	g.in("MOVD wi_groups(ARGS), G_LEFT", "")
	g.in("MOVD wi_th0(ARGS), TH", "")
	g.in("MOVD wi_tw0(ARGS), TW", "")
	g.in("MOVD wi_tilesWp(ARGS), TILES_WP", "")
	g.in("MOVD wi_vs(ARGS), VS", "")
	g.in("MOVD wi_panel(ARGS), PANEL", "")
	g.in("MOVD wi_nr(ARGS), NR", "")
	g.in("LSL $2, NR, NR4", "")
	g.in("MOVD ZR, LANE", "8g % nr")
	g.in(fmt.Sprintf("CBZ G_LEFT, %s", L("done")), "")
	g.in(fmt.Sprintf("CBZ CIN, %s", L("done")), "")
	g.label(L("group"))
	g.in("// for each group g of 8 tiles:", "")
	g.in("MUL TH, WP, TMP", "")
	g.in("ADD TMP<<1, X, SRC", "x[c=0][2th][...]")
	g.in("ADD TW<<3, SRC", "x[c=0][2th][2tw]")
	g.in("ADD LANE<<2, PANEL_BASE, DST", "V_0[c=0][8g]")
	g.in("MOVD CIN, C_LEFT", "")
	g.label(L("chan"))
	g.in("// for each channel c:", "")
	g.in("MOVD DST, VPTR", "")
	g.in("MOVD SRC, ROW", "")
	g.winoRow(0, "d0")
	g.in("ADD WP<<1, SRC, ROW", "")
	g.winoRow(8, "d2")
	for k := range 8 {
		cmt := ""
		if k == 0 {
			cmt = "e0 = d0 - d2"
		}
		g.op3(opFSUB, "FSUB", k, k, 8+k, cmt)
	}
	g.winoCols(0, 0)
	g.in("ADD WP, SRC, ROW", "")
	g.winoRow(16, "d1")
	for k := range 8 {
		cmt := ""
		if k == 0 {
			cmt = "e1 = d1 + d2"
		}
		g.op3(opFADD, "FADD", k, 16+k, 8+k, cmt)
	}
	for k := range 8 {
		cmt := ""
		if k == 0 {
			cmt = "e2 = d2 - d1"
		}
		g.op3(opFSUB, "FSUB", 8+k, 8+k, 16+k, cmt)
	}
	g.winoCols(0, 1)
	g.winoCols(8, 2)
	g.in("ADD WP<<1, SRC, ROW", "")
	g.in("ADD WP, ROW", "")
	g.winoRow(0, "d3")
	for k := range 8 {
		cmt := ""
		if k == 0 {
			cmt = "e3 = d1 - d3"
		}
		g.op3(opFSUB, "FSUB", 16+k, 16+k, k, cmt)
	}
	g.winoCols(16, 3)
	g.in("ADD PLANE, SRC", "the next channel")
	g.in("ADD NR4, DST", "")
	g.in("SUBS $1, C_LEFT", "")
	g.in(fmt.Sprintf("BNE %s", L("chan")), "")
	g.in("ADD $8, LANE", "the next group: in the same panel")
	g.in("CMP NR, LANE", "")
	g.in(fmt.Sprintf("BNE %s", L("samePanel")), "")
	g.in("MOVD ZR, LANE", "or the next one")
	g.in("ADD PANEL, PANEL_BASE", "")
	g.label(L("samePanel"))
	g.winoNextGroup(L)
	g.label(L("done"))
	g.in("RET", "")
}

// winoOutRows writes the row transform of M: rows 0 and 1 of the 4x4
// m of each tile (r0 = m0+m1+m2 in V8..V15, r1 = m1-m2-m3 in V16..V23,
// column j of tiles 4h..4h+3 in V(base+2j+h)), loading M_xi from MPTR, which
// steps by MS.
func (g *gen) winoOutRows() {
	load := func(base, i int) {
		for j := range 4 {
			g.in(fmt.Sprintf("VLD1.P (MPTR)(MS), [V%d.S4, V%d.S4]", base+2*j, base+2*j+1), fmt.Sprintf("m%d%d: M_%d[co][8g : 8g+8]", i, j, 4*i+j))
		}
	}
	each := func(op uint32, mn string, d, n, m int, cmt string) {
		for k := range 8 {
			c := ""
			if k == 0 {
				c = cmt
			}
			g.op3(op, mn, d+k, n+k, m+k, c)
		}
	}
	load(8, 0)
	load(16, 1)
	each(opFADD, "FADD", 8, 8, 16, "r0 = m0 + m1")
	load(0, 2)
	each(opFADD, "FADD", 8, 8, 0, "r0 += m2")
	each(opFSUB, "FSUB", 16, 16, 0, "r1 = m1 - m2")
	load(0, 3)
	each(opFSUB, "FSUB", 16, 16, 0, "r1 -= m3")
}

// winoOutCols writes the column transform of r0 (V8..V15) and r1
// (V16..V23) with the bias (V29): Y[a][0] in V(4a+h) and Y[a][1] in
// V(4a+2+h) for tiles 4h..4h+3.
func (g *gen) winoOutCols() {
	for a, r := range []int{8, 16} {
		for h := range 2 {
			y0, y1 := 4*a+h, 4*a+2+h
			col := func(j int) int { return r + 2*j + h }
			g.op3(opFADD, "FADD", y0, col(0), col(1), fmt.Sprintf("Y[%d][0] = r%d0 + r%d1 + r%d2 + bias", a, a, a, a))
			g.op3(opFADD, "FADD", y0, y0, col(2), "")
			g.op3(opFADD, "FADD", y0, y0, 29, "")
			g.op3(opFSUB, "FSUB", y1, col(1), col(2), fmt.Sprintf("Y[%d][1] = r%d1 - r%d2 - r%d3 + bias", a, a, a, a))
			g.op3(opFSUB, "FSUB", y1, y1, col(3), "")
			g.op3(opFADD, "FADD", y1, y1, 29, "")
		}
	}
}

// winoZip interleaves the two columns of output row a (Y[a][0] in
// V(4a+h), Y[a][1] in V(4a+2+h)) into the row's 16 columns in
// V(z)..V(z+3).
func (g *gen) winoZip(a, z int) {
	for h := range 2 {
		e, o := 4*a+h, 4*a+2+h
		g.in(fmt.Sprintf("VZIP1 V%d.S4, V%d.S4, V%d.S4", o, e, z+2*h), fmt.Sprintf("row %d, columns %d..%d", a, 8*h, 8*h+3))
		g.in(fmt.Sprintf("VZIP2 V%d.S4, V%d.S4, V%d.S4", o, e, z+2*h+1), fmt.Sprintf("columns %d..%d", 8*h+4, 8*h+7))
	}
}

// winoClamp clamps V(z) to [lo, hi] (V30, V31): NaN stays NaN.
func (g *gen) winoClamp(z int) {
	g.op3(opFMAX, "FMAX", z, z, 30, "max(v, lo): NaN stays NaN")
	g.op3(opFMIN, "FMIN", z, z, 31, "min(v, hi)")
}

// winoRowFull finishes and stores a whole output row of 16 columns in
// V(z)..V(z+3) at YP: + the residual at RP, the clamp.
func (g *gen) winoRowFull(z int, L func(string) string) {
	g.in(fmt.Sprintf("TBZ $FLAGBIT_RES, FLAGS, %s", L("noRes")), "if flags&winFlagRes != 0 {")
	g.in("VLD1 (RP), [V16.S4, V17.S4, V18.S4, V19.S4]", "res[oy][2tw : 2tw+16]")
	for k := range 4 {
		g.op3(opFADD, "FADD", z+k, z+k, 16+k, "")
	}
	g.label(L("noRes"))
	g.in(fmt.Sprintf("TBZ $FLAGBIT_CLAMP, FLAGS, %s", L("noClamp")), "if flags&winFlagClamp != 0 {")
	for k := range 4 {
		g.winoClamp(z + k)
	}
	g.label(L("noClamp"))
	g.in(fmt.Sprintf("VST1 [V%d.S4, V%d.S4, V%d.S4, V%d.S4], (YP)", z, z+1, z+2, z+3), "y[oy][2tw : 2tw+16]")
}

// winoRowPart finishes and stores the first K (1..15) columns of an
// output row in V(z)..V(z+3) at YP (+ the residual at RP, the clamp):
// 4 columns at a time from V(z), shifting V(z+1)..V(z+3) down, then the
// last 1..3 lane by lane.
func (g *gen) winoRowPart(z int, L func(string) string) {
	g.in("MOVD YP, YQ", "")
	g.in("MOVD RP, RQ", "")
	g.in("MOVD K, KL", "")
	g.label(L("vec"))
	g.in("CMP $4, KL", "for KL >= 4: 4 columns")
	g.in(fmt.Sprintf("BLT %s", L("lanes")), "")
	g.in(fmt.Sprintf("TBZ $FLAGBIT_RES, FLAGS, %s", L("vNoRes")), "")
	g.in("VLD1.P 16(RQ), [V16.S4]", "")
	g.op3(opFADD, "FADD", z, z, 16, "+= res")
	g.label(L("vNoRes"))
	g.in(fmt.Sprintf("TBZ $FLAGBIT_CLAMP, FLAGS, %s", L("vNoClamp")), "")
	g.winoClamp(z)
	g.label(L("vNoClamp"))
	g.in(fmt.Sprintf("VST1.P [V%d.S4], 16(YQ)", z), "")
	for k := range 3 {
		g.in(fmt.Sprintf("VMOV V%d.B16, V%d.B16", z+k+1, z+k), "")
	}
	g.in("SUB $4, KL", "")
	g.in(fmt.Sprintf("B %s", L("vec")), "")
	g.label(L("lanes"))
	g.in(fmt.Sprintf("CBZ KL, %s", L("done")), "the last 1..3 columns")
	g.in(fmt.Sprintf("TBZ $FLAGBIT_RES, FLAGS, %s", L("lNoRes")), "")
	for l := range 3 {
		if l > 0 {
			g.in(fmt.Sprintf("CMP $%d, KL", l+1), "")
			g.in(fmt.Sprintf("BLT %s", L("loaded")), "")
		}
		g.in(fmt.Sprintf("VLD1.P 4(RQ), V16.S[%d]", l), "")
	}
	g.label(L("loaded"))
	g.op3(opFADD, "FADD", z, z, 16, "+= res (the lanes past KL are not stored)")
	g.label(L("lNoRes"))
	g.in(fmt.Sprintf("TBZ $FLAGBIT_CLAMP, FLAGS, %s", L("lNoClamp")), "")
	g.winoClamp(z)
	g.label(L("lNoClamp"))
	for l := range 3 {
		if l > 0 {
			g.in(fmt.Sprintf("CMP $%d, KL", l+1), "")
			g.in(fmt.Sprintf("BLT %s", L("done")), "")
		}
		g.in(fmt.Sprintf("VST1.P V%d.S[%d], 4(YQ)", z, l), "")
	}
	g.label(L("done"))
}

// winoOut writes winoOutF32NEON: for each output channel and group of 8
// tiles, the 16 M_xi loaded and transformed (winoOutRows, winoOutCols),
// the two output rows interleaved (row 0 in V24..V27, row 1 in V12..V15)
// and stored whole or, at the right edge, in part; tiles below the output
// are skipped, and the second row of the last tile row when oh is odd.
func (g *gen) winoOut() {
	const name = "winoOutF32NEON"
	L := func(l string) string { return "wo_" + l }
	g.p("")
	g.p("// Registers of winoOutF32NEON.")
	undef := g.regs([][2]string{
		{"ARGS", "R0"}, {"M_CH", "R1"}, {"MG", "R2"}, {"MPTR", "R3"}, {"MS", "R4"}, {"Y_CH", "R5"}, {"R_CH", "R6"},
		{"BIAS", "R7"}, {"CO_LEFT", "R8"}, {"TH", "R9"}, {"TW", "R10"}, {"G_LEFT", "R11"}, {"YP", "R12"},
		{"RP", "R13"}, {"K", "R14"}, {"OY", "R15"}, {"TMP", "R16"}, {"YQ", "R17"}, {"RQ", "R19"},
		{"KL", "R20"}, {"OH", "R21"}, {"OW", "R22"}, {"OW4", "R23"}, {"TILES_WP", "R24"}, {"FLAGS", "R25"},
	})
	defer undef()
	g.p("")
	g.p("// Vector registers: V0..V7 M rows, then Y; V8..V15 r0, V16..V23 r1,")
	g.p("// then the residual; V24..V27 and V12..V15 the output rows; V29 the")
	g.p("// bias, V30, V31 the clamp's lo and hi.")
	g.p("")
	g.p("// func %s(args *kern.WinoOutArgs)", name)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-8", name)
	g.in("MOVD args+0(FP), ARGS", "")
	g.in("MOVD wo_m(ARGS), M_CH", "")
	g.in("MOVD wo_y(ARGS), Y_CH", "")
	g.in("MOVD wo_res(ARGS), R_CH", "")
	g.in("MOVD wo_bias(ARGS), BIAS", "")
	g.in("MOVD wo_cout(ARGS), CO_LEFT", "")
	g.in("MOVD wo_ms(ARGS), MS", "")
	g.in("MOVD wo_oh(ARGS), OH", "")
	g.in("MOVD wo_ow(ARGS), OW", "")
	g.in("MOVD wo_ow4(ARGS), OW4", "")
	g.in("MOVD wo_tilesWp(ARGS), TILES_WP", "")
	g.in("MOVD wo_flags(ARGS), FLAGS", "")
	g.in("ADD $wo_lo, ARGS, TMP", "")
	g.in("VLD1R (TMP), [V30.S4]", "lo")
	g.in("ADD $wo_hi, ARGS, TMP", "")
	g.in("VLD1R (TMP), [V31.S4]", "hi")
	g.in("MOVW $0x80000000, TMP", "-0: v + -0 is v, -0 included")
	g.in("VDUP TMP, V29.S4", "the bias when there is none")
	g.in(fmt.Sprintf("CBZ CO_LEFT, %s", L("done")), "")
	g.label(L("chan"))
	g.in("// for each output channel co:", "")
	g.in(fmt.Sprintf("CBZ BIAS, %s", L("noBias")), "")
	g.in("VLD1R.P 4(BIAS), [V29.S4]", "bias[co]")
	g.label(L("noBias"))
	g.in("MOVD M_CH, MG", "")
	g.in("MOVD wo_th0(ARGS), TH", "")
	g.in("MOVD wo_tw0(ARGS), TW", "")
	g.in("MOVD wo_groups(ARGS), G_LEFT", "")
	g.in(fmt.Sprintf("CBZ G_LEFT, %s", L("chanEnd")), "")
	g.label(L("group"))
	g.in("// for each group g of 8 tiles:", "")
	g.in("LSL $1, TH, OY", "")
	g.in("CMP OH, OY", "")
	g.in(fmt.Sprintf("BGE %s", L("next")), "tiles below the output")
	g.in("MOVD MG, MPTR", "")
	g.winoOutRows()
	g.winoOutCols()
	g.winoZip(0, 24)
	g.winoZip(1, 12)
	g.in("MUL OY, OW4, TMP", "")
	g.in("ADD TW<<3, TMP", "byte offset of y[2th][2tw]")
	g.in("ADD TMP, Y_CH, YP", "")
	g.in("ADD TMP, R_CH, RP", "")
	g.in("SUB TW<<1, OW, K", "columns left: 1.. (tw < ceil(ow/2))")
	g.in("ADD $1, OY", "the second row")
	g.in("CMP $16, K", "")
	g.in(fmt.Sprintf("BLT %s", L("part")), "")
	g.winoRowFull(24, func(s string) string { return L("f0" + s) })
	g.in("CMP OH, OY", "")
	g.in(fmt.Sprintf("BGE %s", L("next")), "")
	g.in("ADD OW4, YP", "")
	g.in("ADD OW4, RP", "")
	g.winoRowFull(12, func(s string) string { return L("f1" + s) })
	g.in(fmt.Sprintf("B %s", L("next")), "")
	g.label(L("part"))
	g.winoRowPart(24, func(s string) string { return L("p0" + s) })
	g.in("CMP OH, OY", "")
	g.in(fmt.Sprintf("BGE %s", L("next")), "")
	g.in("ADD OW4, YP", "")
	g.in("ADD OW4, RP", "")
	g.winoRowPart(12, func(s string) string { return L("p1" + s) })
	g.label(L("next"))
	g.in("ADD $32, MG", "the next group's tiles in M")
	g.winoNextGroup(L)
	g.label(L("chanEnd"))
	g.in("MOVD wo_ldm(ARGS), TMP", "the next channel")
	g.in("ADD TMP, M_CH", "")
	g.in("MOVD wo_ohw4(ARGS), TMP", "")
	g.in("ADD TMP, Y_CH", "")
	g.in("ADD TMP, R_CH", "")
	g.in("SUBS $1, CO_LEFT", "")
	g.in(fmt.Sprintf("BNE %s", L("chan")), "")
	g.label(L("done"))
	g.in("RET", "")
}

// winoNextGroup moves (TH, TW) to the next group of 8 tiles and loops to
// L("group") while G_LEFT groups remain.
func (g *gen) winoNextGroup(L func(string) string) {
	g.in("ADD $8, TW", "tw += 8")
	g.in("CMP TILES_WP, TW", "")
	g.in(fmt.Sprintf("BNE %s", L("sameRow")), "")
	g.in("MOVD ZR, TW", "tw, th = 0, th+1")
	g.in("ADD $1, TH", "")
	g.label(L("sameRow"))
	g.in("SUBS $1, G_LEFT", "")
	g.in(fmt.Sprintf("BNE %s", L("group")), "")
}
