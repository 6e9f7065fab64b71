//go:build amd64 && !noasm

#include "textflag.h"

// Offsets of the kern.WinoInArgs fields.
#define wi_x 0
#define wi_v 8
#define wi_cin 16
#define wi_plane 24
#define wi_wp 32
#define wi_groups 40
#define wi_th0 48
#define wi_tw0 56
#define wi_tilesWp 64
#define wi_vs 72
#define wi_panel 80
#define wi_nr 88

// WINO_ROW loads columns 2t+0..3 of 8 tiles t from the input row at src
// into c0..c3, lanes in the tile order 0 1 4 5 2 3 6 7. Y12..Y15 scratch.
#define WINO_ROW(src, c0, c1, c2, c3) \
	VMOVUPS (src), Y12 \
	VMOVUPS 32(src), Y13 \
	VMOVUPS 8(src), Y14 \
	VMOVUPS 40(src), Y15 \
	VSHUFPS $0x88, Y13, Y12, c0 \
	VSHUFPS $0xDD, Y13, Y12, c1 \
	VSHUFPS $0x88, Y15, Y14, c2 \
	VSHUFPS $0xDD, Y15, Y14, c3

// WINO_COLS stores the column transform of a transformed row e0..e3
// (e0-e2, e1+e2, e2-e1, e1-e3) at DX, DX+R9, DX+2*R9, DX+3*R9, and
// advances DX by 4*R9 (R9: bytes between the V_xi). Y12 scratch.
#define WINO_COLS(e0, e1, e2, e3) \
	VSUBPS  e2, e0, Y12 \
	VMOVUPS Y12, (DX) \
	ADDQ    R9, DX \
	VADDPS  e2, e1, Y12 \
	VMOVUPS Y12, (DX) \
	ADDQ    R9, DX \
	VSUBPS  e1, e2, Y12 \
	VMOVUPS Y12, (DX) \
	ADDQ    R9, DX \
	VSUBPS  e3, e1, Y12 \
	VMOVUPS Y12, (DX) \
	ADDQ    R9, DX

// func winoInF32AVX2(args *kern.WinoInArgs)
//
// See kern's winoInGo for the loop it replaces.
// Requires: AVX, AVX2
TEXT ·winoInF32AVX2(SB), NOSPLIT, $0-8
	MOVQ args+0(FP), DI
	MOVQ wi_wp(DI), R10                      // input row stride
	MOVQ wi_vs(DI), R9                       // V_xi stride
	MOVQ wi_th0(DI), R11                     // th
	MOVQ wi_tw0(DI), R12                     // tw
	MOVQ wi_groups(DI), R13
	XORQ R14, R14                            // g

wigroup:
	TESTQ R13, R13                           // for each group of 8 tiles {
	JZ    widone
	MOVQ  R11, AX
	IMULQ R10, AX
	SHLQ  $1, AX
	LEAQ  (AX)(R12*8), AX
	ADDQ  wi_x(DI), AX
	MOVQ  AX, SI                             // &x[c=0][2*th][2*tw]
	MOVQ  R14, AX
	SHLQ  $3, AX
	XORQ  DX, DX
	MOVQ  wi_nr(DI), CX
	DIVQ  CX                                 // panel, lane of tile 8g
	IMULQ wi_panel(DI), AX
	LEAQ  (AX)(DX*4), AX
	ADDQ  wi_v(DI), AX
	MOVQ  AX, R15                            // &V_0[c=0][8g]
	MOVQ  wi_cin(DI), BX

wichan:
	TESTQ BX, BX                             // for each channel {
	JZ    winext
	MOVQ  R15, DX
	MOVQ  SI, AX
	WINO_ROW(AX, Y0, Y1, Y2, Y3)             // d0
	LEAQ  (SI)(R10*2), AX
	WINO_ROW(AX, Y4, Y5, Y6, Y7)             // d2
	VSUBPS Y4, Y0, Y0                        // e0 = d0 - d2
	VSUBPS Y5, Y1, Y1
	VSUBPS Y6, Y2, Y2
	VSUBPS Y7, Y3, Y3
	WINO_COLS(Y0, Y1, Y2, Y3)                // V[0][*]
	LEAQ  (SI)(R10*1), AX
	WINO_ROW(AX, Y8, Y9, Y10, Y11)           // d1
	VADDPS Y4, Y8, Y0                        // e1 = d1 + d2
	VADDPS Y5, Y9, Y1
	VADDPS Y6, Y10, Y2
	VADDPS Y7, Y11, Y3
	VSUBPS Y8, Y4, Y4                        // e2 = d2 - d1
	VSUBPS Y9, Y5, Y5
	VSUBPS Y10, Y6, Y6
	VSUBPS Y11, Y7, Y7
	WINO_COLS(Y0, Y1, Y2, Y3)                // V[1][*]
	WINO_COLS(Y4, Y5, Y6, Y7)                // V[2][*]
	LEAQ  (AX)(R10*2), AX
	WINO_ROW(AX, Y0, Y1, Y2, Y3)             // d3
	VSUBPS Y0, Y8, Y8                        // e3 = d1 - d3
	VSUBPS Y1, Y9, Y9
	VSUBPS Y2, Y10, Y10
	VSUBPS Y3, Y11, Y11
	WINO_COLS(Y8, Y9, Y10, Y11)              // V[3][*]
	ADDQ  wi_plane(DI), SI
	MOVQ  wi_nr(DI), AX
	LEAQ  (R15)(AX*4), R15
	DECQ  BX
	JMP   wichan

winext:
	INCQ R14
	DECQ R13
	ADDQ $8, R12
	CMPQ R12, wi_tilesWp(DI)
	JLT  wigroup
	XORQ R12, R12
	INCQ R11
	JMP  wigroup

widone:
	VZEROUPPER
	RET

// Offsets of the kern.WinoOutArgs fields.
#define wo_m 0
#define wo_y 8
#define wo_res 16
#define wo_bias 24
#define wo_cout 32
#define wo_ms 40
#define wo_ldm 48
#define wo_groups 56
#define wo_th0 64
#define wo_tw0 72
#define wo_tilesWp 80
#define wo_oh 88
#define wo_ow 96
#define wo_ohw4 104
#define wo_ow4 112
#define wo_flags 120
#define wo_lo 128
#define wo_hi 132

// WO_ROWS sums the 4 M values of column j (at AX, AX+R11, ... with R11
// 4*ms) into r0 (m0+m1+m2) and r1 (m1-m2-m3). CX scratch.
#define WO_ROWS(r0, r1) \
	LEAQ    (AX)(R11*2), CX \
	VMOVUPS (AX), r0 \
	VADDPS  (AX)(R11*1), r0, r0 \
	VADDPS  (CX), r0, r0 \
	VMOVUPS (AX)(R11*1), r1 \
	VSUBPS  (CX), r1, r1 \
	VSUBPS  (CX)(R11*1), r1, r1 \
	ADDQ    R9, AX

// WO_FULL finishes and stores 16 output columns (lo, hi) at byte offset
// off of the channel: + residual, clamp.
#define WO_FULL(lo, hi, off) \
	MOVQ  wo_flags(DI), DX \
	TESTQ $1, DX \
	JZ    3(PC) \
	VADDPS (R12)(off*1), lo, lo \
	VADDPS 32(R12)(off*1), hi, hi \
	TESTQ $2, DX \
	JZ    5(PC) \
	VMAXPS lo, Y4, lo \
	VMAXPS hi, Y4, hi \
	VMINPS lo, Y5, lo \
	VMINPS hi, Y5, hi \
	VMOVUPS lo, (R10)(off*1) \
	VMOVUPS hi, 32(R10)(off*1)

// WO_PART is WO_FULL for the right edge: lanes masked by Y12 (lo), Y13 (hi).
#define WO_PART(lo, hi, off) \
	MOVQ  wo_flags(DI), DX \
	TESTQ $1, DX \
	JZ    5(PC) \
	VMASKMOVPS (R12)(off*1), Y12, Y6 \
	VADDPS     Y6, lo, lo \
	VMASKMOVPS 32(R12)(off*1), Y13, Y6 \
	VADDPS     Y6, hi, hi \
	TESTQ $2, DX \
	JZ    5(PC) \
	VMAXPS lo, Y4, lo \
	VMAXPS hi, Y4, hi \
	VMINPS lo, Y5, lo \
	VMINPS hi, Y5, hi \
	VMASKMOVPS lo, Y12, (R10)(off*1) \
	VMASKMOVPS hi, Y13, 32(R10)(off*1)

// func winoOutF32AVX2(args *kern.WinoOutArgs)
//
// See kern's winoOutGo for the loop it replaces.
// Requires: AVX, AVX2
TEXT ·winoOutF32AVX2(SB), NOSPLIT, $0-8
	MOVQ args+0(FP), DI
	MOVQ wo_ms(DI), R9
	MOVQ R9, R11
	SHLQ $2, R11                             // 4*ms
	MOVQ wo_cout(DI), BX
	MOVQ wo_m(DI), R8
	MOVQ wo_y(DI), R10
	MOVQ wo_res(DI), R12
	MOVQ wo_bias(DI), SI

wochan:
	TESTQ BX, BX                             // for each output channel {
	JZ    wodone
	VXORPS Y15, Y15, Y15
	TESTQ SI, SI
	JZ    2(PC)
	VBROADCASTSS (SI), Y15                   // its bias
	MOVQ  wo_th0(DI), R13
	MOVQ  wo_tw0(DI), R14
	MOVQ  wo_groups(DI), R15

wogroup:
	TESTQ R15, R15                           // for each group of 8 tiles {
	JZ    wochanend
	MOVQ  R13, AX
	SHLQ  $1, AX
	CMPQ  AX, wo_oh(DI)
	JGE   wonext                             // tiles below the output
	MOVQ  R8, AX
	WO_ROWS(Y0, Y4)
	WO_ROWS(Y1, Y5)
	WO_ROWS(Y2, Y6)
	WO_ROWS(Y3, Y7)
	VADDPS Y1, Y0, Y8                        // Y00 = r00 + r01 + r02
	VADDPS Y2, Y8, Y8
	VSUBPS Y2, Y1, Y9                        // Y01 = r01 - r02 - r03
	VSUBPS Y3, Y9, Y9
	VADDPS Y5, Y4, Y10                       // Y10 = r10 + r11 + r12
	VADDPS Y6, Y10, Y10
	VSUBPS Y6, Y5, Y11                       // Y11 = r11 - r12 - r13
	VSUBPS Y7, Y11, Y11
	VADDPS Y15, Y8, Y8
	VADDPS Y15, Y9, Y9
	VADDPS Y15, Y10, Y10
	VADDPS Y15, Y11, Y11
	VUNPCKLPS Y9, Y8, Y0                     // row 2th, columns 2tw..2tw+7
	VUNPCKHPS Y9, Y8, Y1                     // columns 2tw+8..2tw+15
	VUNPCKLPS Y11, Y10, Y2                   // row 2th+1
	VUNPCKHPS Y11, Y10, Y3
	VBROADCASTSS wo_lo(DI), Y4
	VBROADCASTSS wo_hi(DI), Y5
	MOVQ  R13, AX                            // SI' = byte offset of y[2th][2tw]
	SHLQ  $1, AX
	IMULQ wo_ow4(DI), AX
	LEAQ  (AX)(R14*8), CX
	MOVQ  wo_ow(DI), AX                      // columns left
	SUBQ  R14, AX
	SUBQ  R14, AX
	CMPQ  AX, $16
	JLT   wopart
	WO_FULL(Y0, Y1, CX)
	MOVQ  R13, AX                            // the second row, if in the output
	SHLQ  $1, AX
	INCQ  AX
	CMPQ  AX, wo_oh(DI)
	JGE   wonext
	ADDQ  wo_ow4(DI), CX
	WO_FULL(Y2, Y3, CX)
	JMP   wonext

wopart:
	VMOVQ        AX, X12
	VPBROADCASTD X12, Y12
	VPCMPGTD     ·dwIota(SB), Y12, Y12       // columns 0..7 left
	SUBQ         $8, AX
	VMOVQ        AX, X13
	VPBROADCASTD X13, Y13
	VPCMPGTD     ·dwIota(SB), Y13, Y13       // columns 8..15 left
	WO_PART(Y0, Y1, CX)
	MOVQ  R13, AX
	SHLQ  $1, AX
	INCQ  AX
	CMPQ  AX, wo_oh(DI)
	JGE   wonext
	ADDQ  wo_ow4(DI), CX
	WO_PART(Y2, Y3, CX)

wonext:
	ADDQ $32, R8
	DECQ R15
	ADDQ $8, R14
	CMPQ R14, wo_tilesWp(DI)
	JLT  wogroup
	XORQ R14, R14
	INCQ R13
	JMP  wogroup

wochanend:
	MOVQ wo_groups(DI), AX                   // back to this channel's M row, then the next
	SHLQ $5, AX
	SUBQ AX, R8
	ADDQ wo_ldm(DI), R8
	ADDQ wo_ohw4(DI), R10
	ADDQ wo_ohw4(DI), R12
	TESTQ SI, SI
	JZ    2(PC)
	ADDQ  $4, SI
	DECQ BX
	JMP  wochan

wodone:
	VZEROUPPER
	RET
