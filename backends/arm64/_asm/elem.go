package main

// The NEON activations the SGEMM micro-kernels do not apply themselves,
// written to ../elem_kernels_arm64.s and .go: LeakyRelu, HardSwish and
// Sigmoid in place over x[0:n] (kern's leakyReluGo, hardSwishGo and
// sigmoidGo), for the drivers' pass over each finished tile or plane. Each
// runs 4 vectors (16 values) per step, then one vector, then computes a
// last vector of 1..3 values whole, loaded and stored lane by lane, so
// nothing outside x[0:n] is read or written. They leave FPCR alone: the
// results are those of the Go definitions bit for bit (LeakyRelu,
// HardSwish) or to a few ulp (Sigmoid, whose exp is float32).

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"math"
	"strings"
)

// Encodings of the instructions the Go assembler does not take (those
// not already in gen.go and win.go); TestGenEncodings checks them.
const (
	opFDIV   = 0x6E20FC00 // FDIV Vd.4S, Vn.4S, Vm.4S
	opFMLA   = 0x4E20CC00 // FMLA Vd.4S, Vn.4S, Vm.4S
	opFMLS   = 0x4EA0CC00 // FMLS Vd.4S, Vn.4S, Vm.4S
	opADD    = 0x4EA08400 // ADD Vd.4S, Vn.4S, Vm.4S
	opBIT    = 0x6EA01C00 // BIT Vd.16B, Vn.16B, Vm.16B
	opFCMLT0 = 0x4EA0E800 // FCMLT Vd.4S, Vn.4S, #0.0
	opFNEG   = 0x6EA0F800 // FNEG Vd.4S, Vn.4S
	opFRINTM = 0x4E219800 // FRINTM Vd.4S, Vn.4S
	opFCVTZS = 0x4EA1B800 // FCVTZS Vd.4S, Vn.4S
	opSHL23  = 0x4F375400 // SHL Vd.4S, Vn.4S, #23
)

// vec2 encodes a two-register vector instruction.
func vec2(base uint32, d, n int) uint32 { return base | uint32(n)<<5 | uint32(d) }

// elemOp is one activation: its name, the Go definition it replaces, the
// constants it keeps in V16.. (name, float32 bits), and its body, the
// instructions computing one vector in place, given the vector's value
// register x and scratch registers a, b, c.
type elemOp struct {
	name, def, doc string
	alpha          bool // takes alpha float32 (in V16)
	consts         []elemConst
	body           func(x, a, b, c int) []elemIns
}

type elemConst struct {
	name string
	bits uint32
}

// elemIns is one instruction: a WORD with its assembly, or a Go assembler
// line (w 0).
type elemIns struct {
	w        uint32
	asm, cmt string
}

func f32c(name string, f float32) elemConst { return elemConst{name, math.Float32bits(f)} }

func i3(base uint32, mn string, d, n, m int, cmt string) elemIns {
	return elemIns{vec3(base, d, n, m), fmt.Sprintf("%s V%d.4S, V%d.4S, V%d.4S", mn, d, n, m), cmt}
}

func i2(base uint32, mn string, d, n int, cmt string) elemIns {
	return elemIns{vec2(base, d, n), fmt.Sprintf("%s V%d.4S, V%d.4S", mn, d, n), cmt}
}

func mov(d, n int, cmt string) elemIns {
	return elemIns{0, fmt.Sprintf("VORR V%d.B16, V%d.B16, V%d.B16", n, n, d), cmt}
}

// The constant registers.
const (
	cOne = 16 + iota
	cHalf
	cLog2e
	cLn2Hi
	cLn2Lo
	cExpHi
	cExpLo
	cP0
	cP1
	cP2
	cP3
	cP4
	cBias
)

var elemOps = []elemOp{
	{
		name: "elemLeakyReluF32NEON", def: "leakyReluGo (ISA.LeakyRelu)", alpha: true,
		doc: "//\tfor i, v := range x[:n] {\n//\t\tif v < 0 {\n//\t\t\tx[i] = alpha * v\n//\t\t}\n//\t}",
		body: func(x, a, b, _ int) []elemIns {
			return []elemIns{
				i3(opFMUL, "FMUL", a, x, 16, "alpha*v"),
				{vec2(opFCMLT0, b, x), fmt.Sprintf("FCMLT V%d.4S, V%d.4S, #0.0", b, x), "v < 0 (false for NaN)"},
				{vec3(opBIT, x, a, b), fmt.Sprintf("BIT V%d.16B, V%d.16B, V%d.16B", x, a, b), "where v < 0, alpha*v"},
			}
		},
	},
	{
		name: "elemHardSwishF32NEON", def: "hardSwishGo (ISA.HardSwish)",
		doc:    "//\tfor i, v := range x[:n] {\n//\t\tx[i] = v * min(max(v/6+0.5, 0), 1) // NaN stays NaN\n//\t}",
		consts: []elemConst{f32c("1", 1), f32c("0.5", 0.5), f32c("6", 6), f32c("0", 0)},
		body: func(x, a, _, _ int) []elemIns {
			return []elemIns{
				i3(opFDIV, "FDIV", a, x, cHalf+1, "v/6 (divided, as Go does)"),
				i3(opFADD, "FADD", a, a, cHalf, "+0.5"),
				i3(opFMAX, "FMAX", a, a, cHalf+2, "max(., 0), NaN stays NaN"),
				i3(opFMIN, "FMIN", a, a, cOne, "min(., 1)"),
				i3(opFMUL, "FMUL", x, x, a, "v * ."),
			}
		},
	},
	{
		name: "elemSigmoidF32NEON", def: "sigmoidGo (ISA.Sigmoid)",
		doc: "//\tfor i, v := range x[:n] {\n//\t\tx[i] = 1 / (1 + exp(-v))\n//\t}\n//\n" +
			"// with exp in float32 (Cephes' expf: 2^k times a degree-6 polynomial on\n" +
			"// [-ln2/2, ln2/2], a few ulp; the amd64 tier's algorithm), its argument\n" +
			"// clamped to [-87.3, 88.3] (so 0 below -88.3 and 1 above 87.3, the float32\n" +
			"// results there anyway but for denormals); NaN stays NaN.",
		consts: []elemConst{
			f32c("1", 1), f32c("0.5", 0.5), f32c("log2(e)", math.Log2E), f32c("ln2 high part", 0.693359375),
			f32c("ln2 low part", -2.12194440e-4), f32c("exp argument's upper clamp", 88.3),
			f32c("exp argument's lower clamp", -87.3),
			f32c("P0", 1.9875691500e-4), f32c("P1", 1.3981999507e-3), f32c("P2", 8.3334519073e-3),
			f32c("P3", 4.1665795894e-2), f32c("P4", 1.6666665459e-1), {"the float32 exponent bias", 127},
		},
		body: func(x, a, b, c int) []elemIns {
			return []elemIns{
				i2(opFNEG, "FNEG", x, x, "t = -v"),
				i3(opFMIN, "FMIN", x, x, cExpHi, "t = min(t, 88.3), NaN stays NaN"),
				i3(opFMAX, "FMAX", x, x, cExpLo, "t = max(t, -87.3)"),
				i3(opFMUL, "FMUL", a, x, cLog2e, ""),
				i3(opFADD, "FADD", a, a, cHalf, ""),
				i2(opFRINTM, "FRINTM", a, a, "k = floor(t*log2(e) + 0.5)"),
				i3(opFMLS, "FMLS", x, a, cLn2Hi, "r = t - k*ln2, in two parts"),
				i3(opFMLS, "FMLS", x, a, cLn2Lo, ""),
				mov(b, cP1, ""),
				i3(opFMLA, "FMLA", b, x, cP0, "p = P1 + r*P0"),
				mov(c, cP2, ""),
				i3(opFMLA, "FMLA", c, b, x, "p = P2 + r*p"),
				mov(b, cP3, ""),
				i3(opFMLA, "FMLA", b, c, x, "p = P3 + r*p"),
				mov(c, cP4, ""),
				i3(opFMLA, "FMLA", c, b, x, "p = P4 + r*p"),
				mov(b, cHalf, ""),
				i3(opFMLA, "FMLA", b, c, x, "p = P5 (0.5) + r*p"),
				i3(opFMUL, "FMUL", c, x, x, "r*r"),
				i3(opFMLA, "FMLA", x, b, c, "e = r + r*r*p"),
				i3(opFADD, "FADD", x, x, cOne, "e = 1 + r + r*r*p: exp(r)"),
				i2(opFCVTZS, "FCVTZS", a, a, "k as an integer (NaN: 0)"),
				i3(opADD, "ADD", a, a, cBias, ""),
				{vec2(opSHL23, a, a), fmt.Sprintf("SHL V%d.4S, V%d.4S, #23", a, a), "2^k"},
				i3(opFMUL, "FMUL", x, x, a, "exp(t) = 2^k * exp(r)"),
				i3(opFADD, "FADD", x, x, cOne, ""),
				i3(opFDIV, "FDIV", x, cOne, x, "1 / (1 + exp(-v))"),
			}
		},
	},
}

// elemBody emits op's body over the vectors V0..V(u-1), their
// instructions interleaved step by step; vector i's scratch registers are
// V(4+i), V(8+i), V(12+i).
func (g *gen) elemBody(op elemOp, u int) {
	var bodies [][]elemIns
	for i := range u {
		bodies = append(bodies, op.body(i, 4+i, 8+i, 12+i))
	}
	for s := range bodies[0] {
		for i := range u {
			in := bodies[i][s]
			cmt := in.cmt
			if i > 0 {
				cmt = ""
			}
			if in.w == 0 {
				g.in(in.asm, cmt)
			} else {
				g.word(in.w, in.asm, cmt)
			}
		}
	}
}

func (g *gen) elem(op elemOp) {
	L := func(l string) string { return op.name + "_" + l }
	g.p("")
	if op.alpha {
		g.p("// func %s(x *float32, n int, alpha float32)", op.name)
		g.p("TEXT ·%s(SB), NOSPLIT, $0-20", op.name)
	} else {
		g.p("// func %s(x *float32, n int)", op.name)
		g.p("TEXT ·%s(SB), NOSPLIT, $0-16", op.name)
	}
	g.in("MOVD x+0(FP), X_PTR", "")
	g.in("MOVD n+8(FP), N_LEFT", "")
	if op.alpha {
		g.in("FMOVS alpha+16(FP), F16", "")
		g.in("VDUP V16.S[0], V16.S4", "alpha in every lane")
	}
	for i, c := range op.consts {
		g.in(fmt.Sprintf("MOVW $0x%08x, TMP", c.bits), "")
		g.in(fmt.Sprintf("VDUP TMP, V%d.S4", 16+i), c.name)
	}
	for _, b := range []struct {
		n          int
		next, regs string
	}{{16, "by4", "V0.S4, V1.S4, V2.S4, V3.S4"}, {4, "tail", "V0.S4"}} {
		self := L(fmt.Sprintf("by%d", b.n))
		g.label(self)
		g.in(fmt.Sprintf("CMP $%d, N_LEFT", b.n), "")
		g.in(fmt.Sprintf("BLT %s", L(b.next)), "")
		g.in(fmt.Sprintf("VLD1 (X_PTR), [%s]", b.regs), fmt.Sprintf("x[i : i+%d]", b.n))
		g.elemBody(op, b.n/4)
		g.in(fmt.Sprintf("VST1.P [%s], %d(X_PTR)", b.regs, 4*b.n), "")
		g.in(fmt.Sprintf("SUB $%d, N_LEFT", b.n), "")
		g.in(fmt.Sprintf("B %s", self), "")
	}
	g.label(L("tail"))
	g.in(fmt.Sprintf("CBZ N_LEFT, %s", L("done")), "x[i : n], 1..3 values, lane by lane")
	g.laneLoad(0, "X_PTR", "N_LEFT", "", L)
	g.elemBody(op, 1)
	for l := range 3 {
		if l > 0 {
			g.in(fmt.Sprintf("CMP $%d, N_LEFT", l+1), "")
			g.in(fmt.Sprintf("BLT %s", L("done")), "")
		}
		g.in(fmt.Sprintf("VMOV V0.S[%d], TMP", l), "")
		g.in(fmt.Sprintf("MOVW TMP, %d(X_PTR)", 4*l), "")
	}
	g.label(L("done"))
	g.in("RET", "")
}

func elemAsmFile() []byte {
	var g gen
	g.header()
	g.p("#define X_PTR R0")
	g.p("#define N_LEFT R1")
	g.p("#define TMP R2")
	g.p("")
	g.p("// Vector registers: V0..V3 four vectors of x, V4..V15 their scratch")
	g.p("// (vector i: V(4+i), V(8+i), V(12+i)), V16.. the constants.")
	for _, op := range elemOps {
		g.elem(op)
	}
	return g.buf.Bytes()
}

func elemGoDecls() []byte {
	var b bytes.Buffer
	w := goFileStart(&b)
	for _, op := range elemOps {
		w("// %s replaces kern's %s: in place, 16 values per", op.name, op.def)
		w("// step, the last 1..3 lane by lane (nothing outside x[0:n] is touched;")
		w("// n >= 0, x may be nil when n is 0):")
		w("//")
		w("%s", op.doc)
		w("//")
		w("//go:noescape")
		if op.alpha {
			w("func %s(x *float32, n int, alpha float32)", op.name)
		} else {
			w("func %s(x *float32, n int)", op.name)
		}
		w("")
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatal(err, "\n", strings.TrimSpace(b.String()))
	}
	return src
}
