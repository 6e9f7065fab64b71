// Command gen writes the NEON kernels of package arm64: the SGEMM
// micro-kernels, ../sgemm_kernels_arm64.s (the assembly) and
// ../sgemm_kernels_arm64.go (the Go declarations and the table by row
// count), and the depthwise and pooling routines,
// ../window_kernels_arm64.{s,go} (win.go), and the activations,
// ../elem_kernels_arm64.{s,go} (elem.go), and the conv packer,
// ../conv_kernels_arm64.{s,go} (conv.go), and the Winograd transforms,
// ../conv_wino_arm64.{s,go} (wino.go).
//
// Run it with `go generate` in backends/arm64 (or `go run .` here). It has no
// dependencies. The Go assembler lacks NEON's by-element FMLA and FMUL and
// the vector FADD, FMAX and FMIN, so gen encodes those itself and emits them
// as WORD directives, each with a comment giving the instruction it encodes
// (TestGenEncodings checks the encoder against llvm-mc's output).
//
// One kernel per row count r (1..8) computes an r-row strip of C over n
// columns (n a multiple of 8): it loops over 8-wide panels of B, keeps an
// r x 8 tile of accumulators (V16..V31, two per row) in registers over the
// whole depth k, and finishes the tile (scale, beta*C, biases, residual,
// clamp) before storing it once.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"strings"
)

// The tile: MR rows of A (packed MR floats per k step) by NR columns of B.
const (
	mr = 8
	nr = 8
)

// Layout of kern.GemmArgs (backends/internal/kern/sgemm.go); kern's
// TestGemmArgsLayout checks it.
var argFields = []struct {
	name string
	off  int
}{
	{"a", 0}, {"b", 8}, {"c", 16}, {"k", 24}, {"n", 32}, {"bPanel", 40}, {"bRow", 48},
	{"ldc", 56}, {"flags", 64}, {"rowBias", 72}, {"colBias", 80}, {"res", 88}, {"ldRes", 96},
	{"mask", 104}, {"alpha", 112}, {"beta", 116}, {"lo", 120}, {"hi", 124},
}

// Epilogue flags (gemmFlag* in backends/internal/kern/sgemm.go), as bit
// numbers for TBZ.
var flags = []struct {
	name string
	bit  int
}{
	{"C", 0}, {"RowBias", 1}, {"ColBias", 2}, {"Res", 3}, {"Clamp", 4},
}

// Encoders of the instructions the Go assembler does not take. d, n, m
// are vector register numbers (0..31); all operate on 4 single-precision
// lanes (.4S).

// fmlaElem encodes FMLA Vd.4S, Vn.4S, Vm.S[idx].
func fmlaElem(d, n, m, idx int) uint32 {
	return 0x4F801000 | uint32(idx&1)<<21 | uint32(m)<<16 | uint32(idx>>1)<<11 | uint32(n)<<5 | uint32(d)
}

// fmulElem encodes FMUL Vd.4S, Vn.4S, Vm.S[idx].
func fmulElem(d, n, m, idx int) uint32 {
	return 0x4F809000 | uint32(idx&1)<<21 | uint32(m)<<16 | uint32(idx>>1)<<11 | uint32(n)<<5 | uint32(d)
}

// vec3 encodes a three-register vector instruction from its base opcode.
func vec3(base uint32, d, n, m int) uint32 {
	return base | uint32(m)<<16 | uint32(n)<<5 | uint32(d)
}

const (
	opFADD = 0x4E20D400 // FADD Vd.4S, Vn.4S, Vm.4S
	opFMAX = 0x4E20F400 // FMAX Vd.4S, Vn.4S, Vm.4S
	opFMIN = 0x4EA0F400 // FMIN Vd.4S, Vn.4S, Vm.4S
)

// acc returns the accumulator register number of row i, vector v.
func acc(i, v int) int { return 16 + 2*i + v }

type gen struct {
	buf bytes.Buffer
}

func (g *gen) p(format string, args ...any) {
	fmt.Fprintf(&g.buf, format, args...)
	g.buf.WriteByte('\n')
}

// in emits one instruction line with an optional comment.
func (g *gen) in(ins, comment string) {
	if comment != "" {
		g.p("\t%-44s // %s", ins, comment)
	} else {
		g.p("\t%s", ins)
	}
}

// word emits an encoded instruction with its assembly and a comment.
func (g *gen) word(w uint32, asm, comment string) {
	s := asm
	if comment != "" {
		s += "; " + comment
	}
	g.in(fmt.Sprintf("WORD $0x%08x", w), s)
}

func (g *gen) label(l string) { g.p("%s:", l) }

func main() {
	outS := flag.String("s", "../sgemm_kernels_arm64.s", "assembly output")
	outGo := flag.String("go", "../sgemm_kernels_arm64.go", "Go declarations output")
	outWS := flag.String("ws", "../window_kernels_arm64.s", "window routines' assembly output")
	outWGo := flag.String("wgo", "../window_kernels_arm64.go", "window routines' Go declarations output")
	outES := flag.String("es", "../elem_kernels_arm64.s", "activations' assembly output")
	outEGo := flag.String("ego", "../elem_kernels_arm64.go", "activations' Go declarations output")
	outCS := flag.String("cs", "../conv_kernels_arm64.s", "conv packer's assembly output")
	outCGo := flag.String("cgo", "../conv_kernels_arm64.go", "conv packer's Go declarations output")
	outNS := flag.String("ns", "../conv_wino_arm64.s", "Winograd transforms' assembly output")
	outNGo := flag.String("ngo", "../conv_wino_arm64.go", "Winograd transforms' Go declarations output")
	flag.Parse()
	for _, f := range []struct {
		name string
		data []byte
	}{{*outS, asmFile()}, {*outGo, goDecls()}, {*outWS, winAsmFile()}, {*outWGo, winGoDecls()},
		{*outES, elemAsmFile()}, {*outEGo, elemGoDecls()},
		{*outCS, convAsmFile()}, {*outCGo, convGoDecls()},
		{*outNS, winoAsmFile()}, {*outNGo, winoGoDecls()}} {
		if err := os.WriteFile(f.name, f.data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// header starts a generated .s file: the notice, build tags and includes.
func (g *gen) header() {
	g.p("// Code generated by _asm/gen.go. DO NOT EDIT.")
	g.p("")
	g.p("//go:build arm64 && !noasm")
	g.p("")
	g.p("// Requires: ASIMD")
	g.p("")
	g.p("#include \"textflag.h\"")
	g.p("")
}

func asmFile() []byte {
	var g gen
	g.header()
	g.p("// Offsets of the kern.GemmArgs fields.")
	for _, f := range argFields {
		g.p("#define args_%s %d", f.name, f.off)
	}
	g.p("")
	g.p("// Epilogue flags (gemmFlag*), as bit numbers.")
	for _, f := range flags {
		g.p("#define FLAGBIT_%s %d", strings.ToUpper(f.name), f.bit)
	}
	g.p("")
	g.p("// FZ (flush to zero, bit 24) of FPCR.")
	g.p("#define FPCR_FZ (1<<24)")
	g.p("")
	g.p("// General-purpose registers, the same in every kernel.")
	for _, r := range [][2]string{
		{"ARGS", "R0"}, {"A_PTR", "R1"}, {"B_PTR", "R2"}, {"C_PTR", "R3"}, {"N_LEFT", "R4"},
		{"K_LEFT", "R5"}, {"LDC", "R6"}, {"COL_BIAS", "R7"}, {"RES_PTR", "R8"}, {"LD_RES", "R9"},
		{"FLAGS", "R10"}, {"B_PANEL", "R11"}, {"B_ROW", "R12"}, {"ROW", "R13"}, {"A_BASE", "R14"},
		{"B_BASE", "R15"}, {"OLD_FPCR", "R16"}, {"TMP", "R17"}, {"K", "R19"}, {"ROW_BIAS", "R20"},
	} {
		g.p("#define %s %s", r[0], r[1])
	}
	g.p("")
	g.p("// Vector registers: V0, V1 hold a k step of packed A (8 rows), V2, V3 a")
	g.p("// row of the B panel (8 columns), V4..V7 epilogue operands, V8 the")
	g.p("// scalars {alpha, beta, lo, hi}, V16..V31 the accumulators (row i in")
	g.p("// V(16+2i), V(17+2i)).")
	for r := mr; r >= 1; r-- {
		g.kernel(r)
	}
	return g.buf.Bytes()
}

func kernelName(r int) string { return fmt.Sprintf("gemmF32NEON_%dx%d", r, nr) }

// goFileStart writes the start of a generated .go file (notice, build tags,
// package clause and the given imports) to b and returns the printer of
// its following lines.
func goFileStart(b *bytes.Buffer, imports ...string) func(format string, args ...any) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	w("// Code generated by _asm/gen.go. DO NOT EDIT.")
	w("")
	w("//go:build arm64 && !noasm")
	w("")
	w("package arm64")
	w("")
	for _, imp := range imports {
		w("import %s", imp)
		w("")
	}
	return w
}

func goDecls() []byte {
	var b bytes.Buffer
	w := goFileStart(&b, `"github.com/onyxml/onyx/backends/internal/kern"`)
	for r := mr; r >= 1; r-- {
		n := kernelName(r)
		w("// %s computes a %d-row strip of C over args.n columns (a", n, r)
		w("// multiple of %d); see kern.GemmArgs and kern's gemmKernelGo for the", nr)
		w("// loop it replaces.")
		w("//")
		w("//go:noescape")
		w("func %s(args *kern.GemmArgs)", n)
		w("")
	}
	w("// gemmNEON holds the NEON kernels by row count (gemmNEON[r] computes r")
	w("// rows): the Gemm of the tier's kern.ISA.")
	w("var gemmNEON = []func(*kern.GemmArgs){nil,")
	for r := 1; r <= mr; r++ {
		w("%s,", kernelName(r))
	}
	w("}")
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	return src
}

// kernel writes the kernel of r rows.
func (g *gen) kernel(r int) {
	name := kernelName(r)
	L := func(s string) string { return fmt.Sprintf("r%d_%s", r, s) }
	v := func(n int) string { return fmt.Sprintf("V%d", n) }
	g.p("")
	g.p("// func %s(args *kern.GemmArgs)", name)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-8", name)
	g.in("MOVD args+0(FP), ARGS", "")
	g.in("MRS FPCR, OLD_FPCR", "set FZ, keep the caller's FPCR")
	g.in("ORR $FPCR_FZ, OLD_FPCR, TMP", "")
	g.in("MSR TMP, FPCR", "")
	g.in("MOVD args_a(ARGS), A_BASE", "")
	g.in("MOVD args_b(ARGS), B_BASE", "")
	g.in("MOVD args_c(ARGS), C_PTR", "")
	g.in("MOVD args_k(ARGS), K", "")
	g.in("MOVD args_n(ARGS), N_LEFT", "")
	g.in("MOVD args_bPanel(ARGS), B_PANEL", "")
	g.in("MOVD args_bRow(ARGS), B_ROW", "")
	g.in("MOVD args_ldc(ARGS), LDC", "")
	g.in("MOVD args_flags(ARGS), FLAGS", "")
	g.in("MOVD args_rowBias(ARGS), ROW_BIAS", "")
	g.in("MOVD args_colBias(ARGS), COL_BIAS", "")
	g.in("MOVD args_res(ARGS), RES_PTR", "")
	g.in("MOVD args_ldRes(ARGS), LD_RES", "")
	g.in("ADD $args_alpha, ARGS, TMP", "")
	g.in("VLD1 (TMP), [V8.S4]", "V8 = {alpha, beta, lo, hi}")
	g.label(L("panel"))
	g.in("// for each panel of 8 columns: acc = 0", "")
	for i := range r {
		for j := range 2 {
			g.in(fmt.Sprintf("VEOR %s.B16, %s.B16, %s.B16", v(acc(i, j)), v(acc(i, j)), v(acc(i, j))), "")
		}
	}
	g.in("MOVD A_BASE, A_PTR", "")
	g.in("MOVD B_BASE, B_PTR", "")
	g.in("MOVD K, K_LEFT", "")
	g.in(fmt.Sprintf("CBZ K_LEFT, %s", L("epilogue")), "if k == 0 { no products }")
	g.label(L("kloop"))
	g.in("VLD1.P 32(A_PTR), [V0.S4, V1.S4]", "a[p*8 : p*8+8]")
	g.in("VLD1 (B_PTR), [V2.S4, V3.S4]", "B(p, j0 : j0+8)")
	g.in("ADD B_ROW, B_PTR", "")
	for i := range r {
		for j := range 2 {
			d := acc(i, j)
			g.word(fmlaElem(d, 2+j, i/4, i%4),
				fmt.Sprintf("FMLA V%d.4S, V%d.4S, V%d.S[%d]", d, 2+j, i/4, i%4),
				fmt.Sprintf("acc[%d][%d:%d] += a[p*8+%d] * B(p, j0+%d : j0+%d)", i, 4*j, 4*j+4, i, 4*j, 4*j+4))
		}
	}
	g.in("SUBS $1, K_LEFT", "")
	g.in(fmt.Sprintf("BNE %s", L("kloop")), "")
	g.label(L("epilogue"))
	for i := range r {
		for j := range 2 {
			d := acc(i, j)
			g.word(fmulElem(d, d, 8, 0), fmt.Sprintf("FMUL V%d.4S, V%d.4S, V8.S[0]", d, d), "*= alpha")
		}
	}
	g.in(fmt.Sprintf("TBZ $FLAGBIT_C, FLAGS, %s", L("noC")), "if flags&gemmFlagC != 0 {")
	g.in("MOVD C_PTR, ROW", "")
	for i := range r {
		g.in("VLD1 (ROW), [V4.S4, V5.S4]", fmt.Sprintf("C[%d][j0 : j0+8]", i))
		if i < r-1 {
			g.in("ADD LDC, ROW", "")
		}
		for j := range 2 {
			d := acc(i, j)
			g.word(fmlaElem(d, 4+j, 8, 1), fmt.Sprintf("FMLA V%d.4S, V%d.4S, V8.S[1]", d, 4+j), "+= beta*C")
		}
	}
	g.label(L("noC"))
	g.in(fmt.Sprintf("TBZ $FLAGBIT_ROWBIAS, FLAGS, %s", L("noRowBias")), "if flags&gemmFlagRowBias != 0 {")
	g.in("MOVD ROW_BIAS, ROW", "")
	for i := range r {
		g.in("VLD1R.P 4(ROW), [V4.S4]", fmt.Sprintf("rowBias[%d] in every lane", i))
		for j := range 2 {
			d := acc(i, j)
			g.word(vec3(opFADD, d, d, 4), fmt.Sprintf("FADD V%d.4S, V%d.4S, V4.4S", d, d), "")
		}
	}
	g.label(L("noRowBias"))
	g.in(fmt.Sprintf("TBZ $FLAGBIT_COLBIAS, FLAGS, %s", L("noColBias")), "if flags&gemmFlagColBias != 0 {")
	g.in("VLD1.P 32(COL_BIAS), [V4.S4, V5.S4]", "colBias[j0 : j0+8]")
	for i := range r {
		for j := range 2 {
			d := acc(i, j)
			g.word(vec3(opFADD, d, d, 4+j), fmt.Sprintf("FADD V%d.4S, V%d.4S, V%d.4S", d, d, 4+j), "")
		}
	}
	g.label(L("noColBias"))
	g.in(fmt.Sprintf("TBZ $FLAGBIT_RES, FLAGS, %s", L("noRes")), "if flags&gemmFlagRes != 0 {")
	g.in("MOVD RES_PTR, ROW", "")
	for i := range r {
		g.in("VLD1 (ROW), [V4.S4, V5.S4]", fmt.Sprintf("res[%d][j0 : j0+8]", i))
		if i < r-1 {
			g.in("ADD LD_RES, ROW", "")
		}
		for j := range 2 {
			d := acc(i, j)
			g.word(vec3(opFADD, d, d, 4+j), fmt.Sprintf("FADD V%d.4S, V%d.4S, V%d.4S", d, d, 4+j), "")
		}
	}
	g.in("ADD $32, RES_PTR", "")
	g.label(L("noRes"))
	g.in(fmt.Sprintf("TBZ $FLAGBIT_CLAMP, FLAGS, %s", L("noClamp")), "if flags&gemmFlagClamp != 0 {")
	g.in("VDUP V8.S[2], V6.S4", "lo")
	g.in("VDUP V8.S[3], V7.S4", "hi")
	for i := range r {
		for j := range 2 {
			d := acc(i, j)
			g.word(vec3(opFMAX, d, d, 6), fmt.Sprintf("FMAX V%d.4S, V%d.4S, V6.4S", d, d), "NaN stays NaN")
			g.word(vec3(opFMIN, d, d, 7), fmt.Sprintf("FMIN V%d.4S, V%d.4S, V7.4S", d, d), "")
		}
	}
	g.label(L("noClamp"))
	g.in("MOVD C_PTR, ROW", "")
	for i := range r {
		g.in(fmt.Sprintf("VST1 [%s.S4, %s.S4], (ROW)", v(acc(i, 0)), v(acc(i, 1))), fmt.Sprintf("C[%d][j0 : j0+8] = acc[%d]", i, i))
		if i < r-1 {
			g.in("ADD LDC, ROW", "")
		}
	}
	g.in("ADD $32, C_PTR", "next panel")
	g.in("ADD B_PANEL, B_BASE", "")
	g.in("SUBS $8, N_LEFT", "")
	g.in(fmt.Sprintf("BNE %s", L("panel")), "")
	g.in("MSR OLD_FPCR, FPCR", "restore FPCR")
	g.in("RET", "")
}
