//go:build amd64 && !noasm

#include "textflag.h"

// Constants, 8 lanes each.
#define ELEM_CONST(name, bits) \
	DATA name+0(SB)/4, bits \
	DATA name+4(SB)/4, bits \
	DATA name+8(SB)/4, bits \
	DATA name+12(SB)/4, bits \
	DATA name+16(SB)/4, bits \
	DATA name+20(SB)/4, bits \
	DATA name+24(SB)/4, bits \
	DATA name+28(SB)/4, bits \
	GLOBL name(SB), RODATA|NOPTR, $32

ELEM_CONST(·elemOne, $0x3f800000)      // 1
ELEM_CONST(·elemHalf, $0x3f000000)     // 0.5
ELEM_CONST(·elemSix, $0x40c00000)      // 6
ELEM_CONST(·elemLog2e, $0x3fb8aa3b)    // log2(e)
ELEM_CONST(·elemLn2Hi, $0x3f318000)    // 0.693359375
ELEM_CONST(·elemLn2Lo, $0xb95e8083)    // -2.12194440e-4
ELEM_CONST(·elemExpHi, $0x42b0999a)    // 88.3
ELEM_CONST(·elemExpLo, $0xc2ae999a)    // -87.3
ELEM_CONST(·elemP0, $0x39506967)       // 1.9875691500e-4
ELEM_CONST(·elemP1, $0x3ab743ce)       // 1.3981999507e-3
ELEM_CONST(·elemP2, $0x3c088908)       // 8.3334519073e-3
ELEM_CONST(·elemP3, $0x3d2aa9c1)       // 4.1665795894e-2
ELEM_CONST(·elemP4, $0x3e2aaaaa)       // 1.6666665459e-1
ELEM_CONST(·elemP5, $0x3f000000)       // 5.0000001201e-1
ELEM_CONST(·elemBias, $127)            // the float32 exponent bias

// ELEM_LOOP runs OP (on Y0, in place) over x[0:n] 8 lanes at a time, the
// last partial vector with masked loads and stores. SI x, CX n.
#define ELEM_LOOP(OP) \
loop: \
	CMPQ    CX, $8 \
	JLT     tail \
	VMOVUPS (SI), Y0 \
	OP \
	VMOVUPS Y0, (SI) \
	ADDQ    $32, SI \
	SUBQ    $8, CX \
	JMP     loop \
tail: \
	TESTQ        CX, CX \
	JZ           done \
	VMOVQ        CX, X15 \
	VPBROADCASTD X15, Y15 \
	VPCMPGTD     ·dwIota(SB), Y15, Y15 \
	VMASKMOVPS   (SI), Y15, Y0 \
	OP \
	VMASKMOVPS   Y0, Y15, (SI) \
done: \
	VZEROUPPER \
	RET

// LEAKY: Y0 = Y0 < 0 ? alpha*Y0 : Y0 (alpha in Y14, zero in Y13).
#define LEAKY \
	VCMPPS    $1, Y13, Y0, Y1 \
	VMULPS    Y14, Y0, Y2 \
	VBLENDVPS Y1, Y2, Y0, Y0

// func elemLeakyReluF32AVX2(x *float32, n int, alpha float32)
//
//	for i, v := range x[:n] {
//		if v < 0 {
//			x[i] = alpha * v
//		}
//	}
//
// Requires: AVX, AVX2
TEXT ·elemLeakyReluF32AVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS alpha+16(FP), Y14
	VXORPS       Y13, Y13, Y13
	ELEM_LOOP(LEAKY)

// HARDSWISH: Y0 = Y0 * min(max(Y0/6 + 0.5, 0), 1), NaN in, NaN out.
#define HARDSWISH \
	VDIVPS ·elemSix(SB), Y0, Y1 \
	VADDPS ·elemHalf(SB), Y1, Y1 \
	VMAXPS Y1, Y13, Y1 \
	VMINPS Y1, Y12, Y1 \
	VMULPS Y1, Y0, Y0

// func elemHardSwishF32AVX2(x *float32, n int)
//
//	for i, v := range x[:n] {
//		x[i] = v * min(max(v/6+0.5, 0), 1)
//	}
//
// Requires: AVX, AVX2
TEXT ·elemHardSwishF32AVX2(SB), NOSPLIT, $0-16
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	VXORPS  Y13, Y13, Y13
	VMOVUPS ·elemOne(SB), Y12
	ELEM_LOOP(HARDSWISH)

// SIGMOID: Y0 = 1 / (1 + exp(-Y0)), exp in float32 (Cephes' expf: 2^k
// times a degree-6 polynomial on [-ln2/2, ln2/2], the argument clamped to
// [-87.3, 88.3]); NaN in, NaN out. Y1..Y3 scratch; Y12 one.
#define SIGMOID \
	VXORPS       Y1, Y1, Y1 \
	VSUBPS       Y0, Y1, Y0 \
	VMINPS       Y0, Y11, Y0 \
	VMAXPS       Y0, Y10, Y0 \
	VMULPS       ·elemLog2e(SB), Y0, Y1 \
	VADDPS       ·elemHalf(SB), Y1, Y1 \
	VROUNDPS     $1, Y1, Y1 \
	VFNMADD231PS ·elemLn2Hi(SB), Y1, Y0 \
	VFNMADD231PS ·elemLn2Lo(SB), Y1, Y0 \
	VMOVUPS      ·elemP0(SB), Y2 \
	VFMADD213PS  ·elemP1(SB), Y0, Y2 \
	VFMADD213PS  ·elemP2(SB), Y0, Y2 \
	VFMADD213PS  ·elemP3(SB), Y0, Y2 \
	VFMADD213PS  ·elemP4(SB), Y0, Y2 \
	VFMADD213PS  ·elemP5(SB), Y0, Y2 \
	VMULPS       Y0, Y0, Y3 \
	VFMADD213PS  Y0, Y3, Y2 \
	VADDPS       Y12, Y2, Y2 \
	VCVTPS2DQ    Y1, Y1 \
	VPADDD       ·elemBias(SB), Y1, Y1 \
	VPSLLD       $23, Y1, Y1 \
	VMULPS       Y1, Y2, Y2 \
	VADDPS       Y12, Y2, Y2 \
	VDIVPS       Y2, Y12, Y0

// func elemSigmoidF32AVX2(x *float32, n int)
//
//	for i, v := range x[:n] {
//		x[i] = 1 / (1 + exp(-v))
//	}
//
// with exp in float32 (a relative error of a few ulp).
// Requires: AVX, AVX2, FMA3
TEXT ·elemSigmoidF32AVX2(SB), NOSPLIT, $0-16
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	VMOVUPS ·elemOne(SB), Y12
	VMOVUPS ·elemExpHi(SB), Y11
	VMOVUPS ·elemExpLo(SB), Y10
	ELEM_LOOP(SIGMOID)
