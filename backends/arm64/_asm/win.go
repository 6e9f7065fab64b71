package main

// The NEON routines of kern's depthwise and pooling drivers, written to
// ../window_kernels_arm64.s and .go: the 3x3 depthwise planes (kern's
// dw3x3Go, stride 1 and 2), the sliding-window planes (kern's dwWindowGo,
// poolMaxGo and poolAvgGo, stride 1 and 2, on padded planes only: the ISA
// sets PaddedWindows) and the plane sum (kern's sumGo). Four output
// columns per vector; a last vector of fewer columns is computed whole and
// stored (and its residual loaded) lane by lane, so nothing outside y and
// res is touched.

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"strings"
)

// Layouts of kern.WinArgs and kern.DWArgs (backends/internal/kern/dw.go);
// kern's TestWinArgsLayout checks them.
var winFields = []struct {
	name string
	off  int
}{
	{"x", 0}, {"y", 8}, {"w", 16}, {"res", 24}, {"h", 32}, {"wd", 40}, {"oh", 48}, {"ow", 56},
	{"kh", 64}, {"kw", 72}, {"padT", 80}, {"padL", 88}, {"fastLo", 96}, {"fastHi", 104},
	{"flags", 112}, {"bias", 120}, {"lo", 124}, {"hi", 128},
}

var dwFields = []struct {
	name string
	off  int
}{
	{"p", 0}, {"x", 8}, {"y", 16}, {"w", 24}, {"res", 32}, {"h", 40}, {"wd", 48}, {"wp", 56},
	{"padT", 64}, {"padL", 72}, {"oh", 80}, {"ow", 88}, {"flags", 96}, {"bias", 104}, {"lo", 108}, {"hi", 112},
}

const (
	opFMUL  = 0x6E20DC00 // FMUL Vd.4S, Vn.4S, Vm.4S
	opFADDP = 0x6E20D400 // FADDP Vd.4S, Vn.4S, Vm.4S
	opLD2   = 0x4C408800 // LD2 {Vt.4S, Vt+1.4S}, [Xn]
)

// ld2 encodes LD2 {Vt.4S, Vt+1.4S}, [Xn].
func ld2(t, n int) uint32 { return opLD2 | uint32(n)<<5 | uint32(t) }

// The window kinds.
const (
	winDW  = "DW"
	winMax = "Max"
	winAvg = "Avg"
)

func winName(kind string, s int) string {
	if kind == winDW {
		return fmt.Sprintf("dwF32NEONS%d", s)
	}
	return fmt.Sprintf("pool%sF32NEONS%d", kind, s)
}

func dw3x3Name(s int) string { return fmt.Sprintf("dw3x3F32NEONS%d", s) }

func winAsmFile() []byte {
	var g gen
	g.header()
	g.p("// Offsets of the kern.WinArgs fields.")
	for _, f := range winFields {
		g.p("#define win_%s %d", f.name, f.off)
	}
	g.p("")
	g.p("// Offsets of the kern.DWArgs fields.")
	for _, f := range dwFields {
		g.p("#define dw_%s %d", f.name, f.off)
	}
	g.p("")
	g.p("// Flags (kern's winFlag*), as bit numbers.")
	g.p("#define FLAGBIT_RES 0")
	g.p("#define FLAGBIT_CLAMP 1")
	g.p("")
	g.p("// FZ (flush to zero, bit 24) of FPCR.")
	g.p("#define FPCR_FZ (1<<24)")
	g.p("")
	g.p("// General-purpose registers, the same in every routine.")
	for _, r := range [][2]string{
		{"ARGS", "R0"}, {"W_PTR", "R1"}, {"ROW", "R2"}, {"Y_PTR", "R3"}, {"RES_PTR", "R4"}, {"WD", "R5"},
		{"OH_LEFT", "R6"}, {"OW", "R7"}, {"FLAGS", "R8"}, {"ROW_STEP", "R9"}, {"COL", "R10"}, {"COLS_LEFT", "R11"},
		{"TMP", "R12"}, {"TAP_ROW", "R13"}, {"KY_LEFT", "R14"}, {"TAP", "R15"}, {"OLD_FPCR", "R16"}, {"TMP2", "R17"},
		{"KX_LEFT", "R19"}, {"KH", "R20"}, {"KW", "R21"}, {"W_BASE", "R22"},
	} {
		g.p("#define %s %s", r[0], r[1])
	}
	g.p("")
	g.p("// Vector registers: V0..V8 the 3x3 weights, V9 the accumulator's start")
	g.p("// (bias, -Inf or 0), V10 and V11 the clamp's lo and hi, V12 the")
	g.p("// accumulator, V13..V17 taps, weights and operands.")
	for _, s := range []int{1, 2} {
		g.dw3x3(s)
	}
	for _, kind := range []string{winDW, winMax, winAvg} {
		for _, s := range []int{1, 2} {
			g.window(kind, s)
		}
	}
	g.sum()
	return g.buf.Bytes()
}

func winGoDecls() []byte {
	var b bytes.Buffer
	w := goFileStart(&b, `"github.com/onyxml/onyx/backends/internal/kern"`)
	for _, s := range []int{1, 2} {
		w("// %s computes one plane of a 3x3 depthwise convolution with", dw3x3Name(s))
		w("// stride %d from the padded plane: kern's dw3x3Go (ISA.DW3x3S%d), 4 output", s, s)
		w("// columns per vector, FPCR.FZ set for the duration of the call.")
		w("//")
		w("//go:noescape")
		w("func %s(args *kern.DWArgs)", dw3x3Name(s))
		w("")
	}
	for _, kind := range []string{winDW, winMax, winAvg} {
		for _, s := range []int{1, 2} {
			def := map[string]string{winDW: "dwWindowGo", winMax: "poolMaxGo", winAvg: "poolAvgGo"}[kind]
			field := map[string]string{winDW: "DWS", winMax: "MaxS", winAvg: "AvgS"}[kind]
			w("// %s computes one plane of kern's %s with stride %d", winName(kind, s), def, s)
			w("// (ISA.%s%d) on a padded plane (ISA.PaddedWindows: padT and padL 0,", field, s)
			w("// every tap inside x), 4 output columns per vector, FPCR.FZ set for the")
			w("// duration of the call.")
			w("//")
			w("//go:noescape")
			w("func %s(args *kern.WinArgs)", winName(kind, s))
			w("")
		}
	}
	w("// sumF32NEON returns the sum of x[0:n] (n >= 0; x may be nil when n is 0),")
	w("// in 16 lanes, then 4, then one by one: kern's sumGo (ISA.Sum).")
	w("//")
	w("//go:noescape")
	w("func sumF32NEON(x *float32, n int) float32")
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	return src
}

// fz sets FPCR.FZ, keeping the caller's FPCR in OLD_FPCR.
func (g *gen) fz() {
	g.in("MRS FPCR, OLD_FPCR", "set FZ, keep the caller's FPCR")
	g.in("ORR $FPCR_FZ, OLD_FPCR, TMP2", "")
	g.in("MSR TMP2, FPCR", "")
}

// op3 emits a three-register .4S instruction.
func (g *gen) op3(base uint32, mnemonic string, d, n, m int, comment string) {
	g.word(vec3(base, d, n, m), fmt.Sprintf("%s V%d.4S, V%d.4S, V%d.4S", mnemonic, d, n, m), comment)
}

// laneLoad zeroes V(v) and loads its lanes [0, left) (left a register
// holding 1..3) from ptr, then places L("loaded"); what, if not empty,
// names the lanes in the comments.
func (g *gen) laneLoad(v int, ptr, left, what string, L func(string) string) {
	g.in(fmt.Sprintf("VEOR V%d.B16, V%d.B16, V%d.B16", v, v, v), "")
	for l := range 3 {
		if l > 0 {
			g.in(fmt.Sprintf("CMP $%d, %s", l+1, left), "")
			g.in(fmt.Sprintf("BLT %s", L("loaded")), "")
		}
		cmt := ""
		if what != "" {
			cmt = fmt.Sprintf("%s lane %d", what, l)
		}
		g.in(fmt.Sprintf("MOVWU %d(%s), TMP", 4*l, ptr), "")
		g.in(fmt.Sprintf("VMOV TMP, V%d.S[%d]", v, l), cmt)
	}
	g.label(L("loaded"))
}

// tailStore stores lanes [0, COLS_LEFT) (1..3) of V12 at Y_PTR and
// advances Y_PTR and RES_PTR past them.
func (g *gen) tailStore(L func(string) string) {
	for l := range 3 {
		if l > 0 {
			g.in(fmt.Sprintf("CMP $%d, COLS_LEFT", l+1), "")
			g.in(fmt.Sprintf("BLT %s", L("stored")), "")
		}
		g.in(fmt.Sprintf("VMOV V12.S[%d], TMP", l), "")
		g.in(fmt.Sprintf("MOVW TMP, %d(Y_PTR)", 4*l), fmt.Sprintf("y lane %d", l))
	}
	g.label(L("stored"))
	g.in("LSL $2, COLS_LEFT, TMP", "")
	g.in("ADD TMP, Y_PTR", "")
	g.in("ADD TMP, RES_PTR", "")
}

// finish applies the epilogue of kind to the accumulator V12 and stores
// it: whole (then advances COL by step bytes and loops to col), or, for
// a last vector of fewer than 4 columns, lane by lane.
func (g *gen) finish(kind string, step int, L func(string) string) {
	g.in("CMP $4, COLS_LEFT", "")
	g.in(fmt.Sprintf("BLT %s", L("tail")), "")
	for _, tail := range []bool{false, true} {
		T := func(s string) string {
			if tail {
				return L("t" + s)
			}
			return L("f" + s)
		}
		if tail {
			g.label(L("tail"))
		}
		load := func() {
			if tail {
				g.laneLoad(13, "RES_PTR", "COLS_LEFT", "res", T)
			} else {
				g.in("VLD1 (RES_PTR), [V13.S4]", "")
			}
		}
		switch kind {
		case winAvg:
			load()
			g.op3(opFMUL, "FMUL", 12, 12, 13, "*= the window's reciprocal count")
		case winDW:
			g.in(fmt.Sprintf("TBZ $FLAGBIT_RES, FLAGS, %s", T("noRes")), "if flags&winFlagRes != 0 {")
			load()
			g.op3(opFADD, "FADD", 12, 12, 13, "+= res")
			g.label(T("noRes"))
			g.in(fmt.Sprintf("TBZ $FLAGBIT_CLAMP, FLAGS, %s", T("noClamp")), "if flags&winFlagClamp != 0 {")
			g.op3(opFMAX, "FMAX", 12, 12, 10, "NaN stays NaN")
			g.op3(opFMIN, "FMIN", 12, 12, 11, "")
			g.label(T("noClamp"))
		}
		if tail {
			g.tailStore(T)
			g.in(fmt.Sprintf("B %s", L("rowend")), "")
		} else {
			g.in("VST1.P [V12.S4], 16(Y_PTR)", "")
			g.in("ADD $16, RES_PTR", "")
			g.in(fmt.Sprintf("ADD $%d, COL", step), "")
			g.in("SUB $4, COLS_LEFT", "")
			g.in(fmt.Sprintf("B %s", L("col")), "")
		}
	}
}

// dw3x3 writes the 3x3 depthwise plane of stride s: for each output row,
// the taps of 4 columns from the 3 rows of the padded plane p, the 9
// weights in V0..V8.
func (g *gen) dw3x3(s int) {
	name := dw3x3Name(s)
	L := func(l string) string { return fmt.Sprintf("dw3x3s%d_%s", s, l) }
	g.p("")
	g.p("// func %s(args *kern.DWArgs)", name)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-8", name)
	g.in("MOVD args+0(FP), ARGS", "")
	g.fz()
	g.in("MOVD dw_w(ARGS), W_PTR", "")
	for i := range 9 {
		g.in(fmt.Sprintf("VLD1R.P 4(W_PTR), [V%d.S4]", i), fmt.Sprintf("w[%d] in every lane", i))
	}
	for _, f := range [][2]string{{"bias", "V9"}, {"lo", "V10"}, {"hi", "V11"}} {
		g.in(fmt.Sprintf("ADD $dw_%s, ARGS, TMP", f[0]), "")
		g.in(fmt.Sprintf("VLD1R (TMP), [%s.S4]", f[1]), f[0])
	}
	g.in("MOVD dw_p(ARGS), ROW", "the first tap row of output row 0")
	g.in("MOVD dw_y(ARGS), Y_PTR", "")
	g.in("MOVD dw_res(ARGS), RES_PTR", "")
	g.in("MOVD dw_wp(ARGS), WD", "")
	g.in("LSL $2, WD", "bytes per padded row")
	g.in(fmt.Sprintf("LSL $%d, WD, ROW_STEP", s-1), "s rows")
	g.in("MOVD dw_oh(ARGS), OH_LEFT", "")
	g.in("MOVD dw_ow(ARGS), OW", "")
	g.in("MOVD dw_flags(ARGS), FLAGS", "")
	g.planeLoopHead(L)
	g.in("VORR V9.B16, V9.B16, V12.B16", "acc = bias")
	g.in("MOVD COL, TAP_ROW", "")
	for ky := range 3 {
		if s == 1 {
			g.in("VLD1 (TAP_ROW), [V13.S4]", fmt.Sprintf("row %d, columns ox+0..3", ky))
			g.in("ADD $4, TAP_ROW, TAP", "")
			g.in("VLD1 (TAP), [V14.S4]", "columns ox+1..4")
			g.in("ADD $8, TAP_ROW, TAP", "")
			g.in("VLD1 (TAP), [V15.S4]", "columns ox+2..5")
		} else {
			g.word(ld2(13, 13), "LD2 {V13.4S, V14.4S}, [X13]", fmt.Sprintf("row %d: columns 2ox+0,2,4,6 and 2ox+1,3,5,7", ky))
			g.in("ADD $8, TAP_ROW, TAP", "")
			g.word(ld2(15, 15), "LD2 {V15.4S, V16.4S}, [X15]", "columns 2ox+2,4,6,8")
		}
		for kx := range 3 {
			g.in(fmt.Sprintf("VFMLA V%d.S4, V%d.S4, V12.S4", 3*ky+kx, 13+kx), fmt.Sprintf("acc += w[%d] * tap", 3*ky+kx))
		}
		if ky < 2 {
			g.in("ADD WD, TAP_ROW", "")
		}
	}
	g.finish(winDW, 16*s, L)
	g.planeLoopEnd(L)
}

// window writes the sliding-window plane of kind and stride s over a
// padded plane: every output vector loops over the kh x kw taps.
func (g *gen) window(kind string, s int) {
	name := winName(kind, s)
	L := func(l string) string { return fmt.Sprintf("%s_%s", strings.ToLower(name), l) }
	g.p("")
	g.p("// func %s(args *kern.WinArgs)", name)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-8", name)
	g.in("MOVD args+0(FP), ARGS", "")
	g.fz()
	switch kind {
	case winDW:
		for _, f := range [][2]string{{"bias", "V9"}, {"lo", "V10"}, {"hi", "V11"}} {
			g.in(fmt.Sprintf("ADD $win_%s, ARGS, TMP", f[0]), "")
			g.in(fmt.Sprintf("VLD1R (TMP), [%s.S4]", f[1]), f[0])
		}
		g.in("MOVD win_w(ARGS), W_BASE", "")
	case winMax:
		g.in("MOVW $0xff800000, TMP", "-Inf")
		g.in("VDUP TMP, V9.S4", "")
	case winAvg:
		g.in("VEOR V9.B16, V9.B16, V9.B16", "0")
	}
	g.in("MOVD win_x(ARGS), ROW", "the first tap row of output row 0")
	g.in("MOVD win_y(ARGS), Y_PTR", "")
	g.in("MOVD win_res(ARGS), RES_PTR", "")
	g.in("MOVD win_wd(ARGS), WD", "")
	g.in("LSL $2, WD", "bytes per row")
	g.in(fmt.Sprintf("LSL $%d, WD, ROW_STEP", s-1), "s rows")
	g.in("MOVD win_oh(ARGS), OH_LEFT", "")
	g.in("MOVD win_ow(ARGS), OW", "")
	g.in("MOVD win_kh(ARGS), KH", "")
	g.in("MOVD win_kw(ARGS), KW", "")
	g.in("MOVD win_flags(ARGS), FLAGS", "")
	g.planeLoopHead(L)
	g.in("VORR V9.B16, V9.B16, V12.B16", "acc = start")
	if kind == winDW {
		g.in("MOVD W_BASE, W_PTR", "")
	}
	g.in("MOVD COL, TAP_ROW", "")
	g.in("MOVD KH, KY_LEFT", "")
	g.label(L("ky"))
	g.in("MOVD TAP_ROW, TAP", "")
	g.in("MOVD KW, KX_LEFT", "")
	g.label(L("kx"))
	if s == 1 {
		g.in("VLD1 (TAP), [V13.S4]", "columns ox+kx+0..3")
	} else {
		g.word(ld2(13, 15), "LD2 {V13.4S, V14.4S}, [X15]", "columns 2ox+kx+0,2,4,6 in V13")
	}
	switch kind {
	case winDW:
		g.in("VLD1R.P 4(W_PTR), [V17.S4]", "w[ky*kw+kx]")
		g.in("VFMLA V17.S4, V13.S4, V12.S4", "acc += w * tap")
	case winMax:
		g.op3(opFMAX, "FMAX", 12, 12, 13, "a NaN wins")
	case winAvg:
		g.op3(opFADD, "FADD", 12, 12, 13, "")
	}
	g.in("ADD $4, TAP", "")
	g.in("SUBS $1, KX_LEFT", "")
	g.in(fmt.Sprintf("BNE %s", L("kx")), "")
	g.in("ADD WD, TAP_ROW", "")
	g.in("SUBS $1, KY_LEFT", "")
	g.in(fmt.Sprintf("BNE %s", L("ky")), "")
	g.finish(kind, 16*s, L)
	g.planeLoopEnd(L)
}

// sum writes sumF32NEON.
func (g *gen) sum() {
	L := func(l string) string { return "sum_" + l }
	g.p("")
	g.p("// func sumF32NEON(x *float32, n int) float32")
	g.p("TEXT ·sumF32NEON(SB), NOSPLIT, $0-20")
	g.in("MOVD x+0(FP), R0", "")
	g.in("MOVD n+8(FP), R1", "")
	for i := range 4 {
		g.in(fmt.Sprintf("VEOR V%d.B16, V%d.B16, V%d.B16", i, i, i), "")
	}
	g.label(L("by16"))
	g.in("CMP $16, R1", "")
	g.in(fmt.Sprintf("BLT %s", L("by4")), "")
	g.in("VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]", "")
	for i := range 4 {
		g.op3(opFADD, "FADD", i, i, 4+i, "")
	}
	g.in("SUB $16, R1", "")
	g.in(fmt.Sprintf("B %s", L("by16")), "")
	g.label(L("by4"))
	g.in("CMP $4, R1", "")
	g.in(fmt.Sprintf("BLT %s", L("reduce")), "")
	g.in("VLD1.P 16(R0), [V4.S4]", "")
	g.op3(opFADD, "FADD", 0, 0, 4, "")
	g.in("SUB $4, R1", "")
	g.in(fmt.Sprintf("B %s", L("by4")), "")
	g.label(L("reduce"))
	g.op3(opFADD, "FADD", 0, 0, 1, "")
	g.op3(opFADD, "FADD", 2, 2, 3, "")
	g.op3(opFADD, "FADD", 0, 0, 2, "")
	g.op3(opFADDP, "FADDP", 0, 0, 0, "")
	g.op3(opFADDP, "FADDP", 0, 0, 0, "every lane: the sum of the 16")
	g.label(L("one"))
	g.in(fmt.Sprintf("CBZ R1, %s", L("done")), "")
	g.in("FMOVS.P 4(R0), F4", "")
	g.in("FADDS F4, F0, F0", "")
	g.in("SUB $1, R1", "")
	g.in(fmt.Sprintf("B %s", L("one")), "")
	g.label(L("done"))
	g.in("FMOVS F0, ret+16(FP)", "")
	g.in("RET", "")
}

// planeLoopHead opens the loops of a plane kernel over output rows
// (OH_LEFT of them, from ROW) and vectors of columns (OW from COL); the
// vector's code follows, then finish and planeLoopEnd.
func (g *gen) planeLoopHead(L func(string) string) {
	g.in(fmt.Sprintf("CBZ OH_LEFT, %s", L("done")), "")
	g.label(L("row"))
	g.in("MOVD ROW, COL", "")
	g.in("MOVD OW, COLS_LEFT", "")
	g.label(L("col"))
	g.in(fmt.Sprintf("CBZ COLS_LEFT, %s", L("rowend")), "")
}

// planeLoopEnd closes planeLoopHead's row loop (ROW_STEP bytes a row),
// restores FPCR and returns.
func (g *gen) planeLoopEnd(L func(string) string) {
	g.label(L("rowend"))
	g.in("ADD ROW_STEP, ROW", "")
	g.in("SUBS $1, OH_LEFT", "")
	g.in(fmt.Sprintf("BNE %s", L("row")), "")
	g.label(L("done"))
	g.in("MSR OLD_FPCR, FPCR", "restore FPCR")
	g.in("RET", "")
}
