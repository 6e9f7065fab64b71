//go:build amd64 && !noasm

#include "textflag.h"

// Offsets of the kern.WinArgs fields.
#define win_x 0
#define win_y 8
#define win_w 16
#define win_res 24
#define win_h 32
#define win_wd 40
#define win_oh 48
#define win_ow 56
#define win_kh 64
#define win_kw 72
#define win_padT 80
#define win_padL 88
#define win_fastLo 96
#define win_fastHi 104
#define win_flags 112
#define win_bias 120
#define win_lo 124
#define win_hi 128

// Lane indices, and the offset of the second 8 lanes of a stride-2 load.
DATA ·dwIota+0(SB)/4, $0
DATA ·dwIota+4(SB)/4, $1
DATA ·dwIota+8(SB)/4, $2
DATA ·dwIota+12(SB)/4, $3
DATA ·dwIota+16(SB)/4, $4
DATA ·dwIota+20(SB)/4, $5
DATA ·dwIota+24(SB)/4, $6
DATA ·dwIota+28(SB)/4, $7
GLOBL ·dwIota(SB), RODATA|NOPTR, $32

DATA ·dwEight+0(SB)/4, $8
DATA ·dwEight+4(SB)/4, $8
DATA ·dwEight+8(SB)/4, $8
DATA ·dwEight+12(SB)/4, $8
DATA ·dwEight+16(SB)/4, $8
DATA ·dwEight+20(SB)/4, $8
DATA ·dwEight+24(SB)/4, $8
DATA ·dwEight+28(SB)/4, $8
GLOBL ·dwEight(SB), RODATA|NOPTR, $32

// -Inf as a float32.
DATA ·dwNegInf+0(SB)/4, $0xff800000
GLOBL ·dwNegInf(SB), RODATA|NOPTR, $4

// func dwF32AVX2S1(args *kern.WinArgs)
// Requires: AVX, AVX2, FMA3
#define WIN_FUNC ·dwF32AVX2S1
#define WIN_DW
#include "dw_window_amd64.h"
#undef WIN_FUNC

// func dwF32AVX2S2(args *kern.WinArgs)
// Requires: AVX, AVX2, FMA3
#define WIN_FUNC ·dwF32AVX2S2
#define WIN_S2
#include "dw_window_amd64.h"
#undef WIN_FUNC
#undef WIN_S2
#undef WIN_DW

// Offsets of the kern.DWArgs fields.
#define dw_p 0
#define dw_x 8
#define dw_y 16
#define dw_w 24
#define dw_res 32
#define dw_h 40
#define dw_wd 48
#define dw_wp 56
#define dw_padT 64
#define dw_padL 72
#define dw_oh 80
#define dw_ow 88
#define dw_flags 96
#define dw_bias 104
#define dw_lo 108
#define dw_hi 112

// func dwCopyF32AVX2(args *kern.DWArgs)
//
// Copies the h x wd input plane x into the padded plane p (rows of wp
// floats) at row padT, column padL; the lanes of a row's last vector past
// wd are stored as zeros (the caller leaves room: wp >= padL + wd rounded
// up to 8).
// Requires: AVX, AVX2
TEXT ·dwCopyF32AVX2(SB), NOSPLIT, $0-8
	MOVQ         args+0(FP), DI
	MOVQ         dw_x(DI), SI
	MOVQ         dw_padT(DI), AX
	IMULQ        dw_wp(DI), AX
	ADDQ         dw_padL(DI), AX
	MOVQ         dw_p(DI), DX
	LEAQ         (DX)(AX*4), DX              // &p[padT][padL]
	MOVQ         dw_wp(DI), R8
	SHLQ         $2, R8
	MOVQ         dw_wd(DI), R9
	SHLQ         $2, R9
	MOVQ         dw_wd(DI), AX
	ANDQ         $7, AX
	VMOVQ        AX, X0
	VPBROADCASTD X0, Y0
	VPCMPGTD     ·dwIota(SB), Y0, Y15        // the lanes of a last partial vector
	MOVQ         dw_h(DI), CX

crow:
	TESTQ CX, CX                             // for each row {
	JZ    cdone
	MOVQ  dw_wd(DI), BX
	XORQ  AX, AX

c32:
	CMPQ    BX, $32
	JLT     c8
	VMOVUPS (SI)(AX*1), Y0
	VMOVUPS 32(SI)(AX*1), Y1
	VMOVUPS 64(SI)(AX*1), Y2
	VMOVUPS 96(SI)(AX*1), Y3
	VMOVUPS Y0, (DX)(AX*1)
	VMOVUPS Y1, 32(DX)(AX*1)
	VMOVUPS Y2, 64(DX)(AX*1)
	VMOVUPS Y3, 96(DX)(AX*1)
	ADDQ    $128, AX
	SUBQ    $32, BX
	JMP     c32

c8:
	CMPQ    BX, $8
	JLT     ctail
	VMOVUPS (SI)(AX*1), Y0
	VMOVUPS Y0, (DX)(AX*1)
	ADDQ    $32, AX
	SUBQ    $8, BX
	JMP     c8

ctail:
	TESTQ      BX, BX
	JZ         cnext
	VMASKMOVPS (SI)(AX*1), Y15, Y0
	VMOVUPS    Y0, (DX)(AX*1)

cnext:
	ADDQ R9, SI
	ADDQ R8, DX
	DECQ CX
	JMP  crow

cdone:
	VZEROUPPER
	RET

// DW3X3_EPILOGUE finishes the accumulator Y0 of output columns at byte
// offset AX: + residual, clamp; Y1 is scratch.
#define DW3X3_EPILOGUE \
	TESTQ  $1, R12 \
	JZ     2(PC) \
	VADDPS (R11)(AX*1), Y0, Y0 \
	TESTQ  $2, R12 \
	JZ     3(PC) \
	VMAXPS Y0, Y14, Y0 \
	VMINPS Y0, Y15, Y0

// DW3X3_TAIL finishes and stores the last R9 (< 8) columns of Y0 at byte
// offset AX, with masks.
#define DW3X3_TAIL \
	VMOVQ        R9, X1 \
	VPBROADCASTD X1, Y1 \
	VPCMPGTD     ·dwIota(SB), Y1, Y1 \
	TESTQ        $1, R12 \
	JZ           3(PC) \
	VMASKMOVPS   (R11)(AX*1), Y1, Y2 \
	VADDPS       Y2, Y0, Y0 \
	TESTQ        $2, R12 \
	JZ           3(PC) \
	VMAXPS       Y0, Y14, Y0 \
	VMINPS       Y0, Y15, Y0 \
	VMASKMOVPS   Y0, Y1, (DX)(AX*1)

// DW3X3_SETUP loads the weights into Y4..Y12, the bias, the clamp bounds,
// and the loop registers; sets FTZ and DAZ.
#define DW3X3_SETUP \
	MOVQ         args+0(FP), DI \
	STMXCSR      mxcsr-8(SP) \
	MOVL         mxcsr-8(SP), AX \
	ORL          $0x8040, AX \
	MOVL         AX, ftz-4(SP) \
	LDMXCSR      ftz-4(SP) \
	MOVQ         dw_w(DI), AX \
	VBROADCASTSS 0(AX), Y4 \
	VBROADCASTSS 4(AX), Y5 \
	VBROADCASTSS 8(AX), Y6 \
	VBROADCASTSS 12(AX), Y7 \
	VBROADCASTSS 16(AX), Y8 \
	VBROADCASTSS 20(AX), Y9 \
	VBROADCASTSS 24(AX), Y10 \
	VBROADCASTSS 28(AX), Y11 \
	VBROADCASTSS 32(AX), Y12 \
	VBROADCASTSS dw_bias(DI), Y13 \
	VBROADCASTSS dw_lo(DI), Y14 \
	VBROADCASTSS dw_hi(DI), Y15 \
	MOVQ         dw_wp(DI), R8 \
	SHLQ         $2, R8 \
	MOVQ         dw_p(DI), R10 \
	MOVQ         dw_y(DI), DX \
	MOVQ         dw_res(DI), R11 \
	MOVQ         dw_flags(DI), R12 \
	MOVQ         dw_oh(DI), R13

// DW3X3_S1 accumulates the 9 taps of 8 output columns at input byte
// offset AX of rows SI, BX, CX into Y0 (starting from the bias).
#define DW3X3_S1 \
	VMOVAPS     Y13, Y0 \
	VFMADD231PS (SI)(AX*1), Y4, Y0 \
	VFMADD231PS 4(SI)(AX*1), Y5, Y0 \
	VFMADD231PS 8(SI)(AX*1), Y6, Y0 \
	VFMADD231PS (BX)(AX*1), Y7, Y0 \
	VFMADD231PS 4(BX)(AX*1), Y8, Y0 \
	VFMADD231PS 8(BX)(AX*1), Y9, Y0 \
	VFMADD231PS (CX)(AX*1), Y10, Y0 \
	VFMADD231PS 4(CX)(AX*1), Y11, Y0 \
	VFMADD231PS 8(CX)(AX*1), Y12, Y0

// DW3X3_S1X2 accumulates the taps of 8 output columns at byte offset AX
// of two output rows, from input rows SI, BX, CX, R14, into Y0 (row oy)
// and Y1 (row oy+1). Y2 scratch.
#define DW3X3_S1X2 \
	VMOVAPS     Y13, Y0 \
	VMOVAPS     Y13, Y1 \
	VFMADD231PS (SI)(AX*1), Y4, Y0 \
	VFMADD231PS 4(SI)(AX*1), Y5, Y0 \
	VFMADD231PS 8(SI)(AX*1), Y6, Y0 \
	VMOVUPS     (BX)(AX*1), Y2 \
	VFMADD231PS Y2, Y7, Y0 \
	VFMADD231PS Y2, Y4, Y1 \
	VMOVUPS     4(BX)(AX*1), Y2 \
	VFMADD231PS Y2, Y8, Y0 \
	VFMADD231PS Y2, Y5, Y1 \
	VMOVUPS     8(BX)(AX*1), Y2 \
	VFMADD231PS Y2, Y9, Y0 \
	VFMADD231PS Y2, Y6, Y1 \
	VMOVUPS     (CX)(AX*1), Y2 \
	VFMADD231PS Y2, Y10, Y0 \
	VFMADD231PS Y2, Y7, Y1 \
	VMOVUPS     4(CX)(AX*1), Y2 \
	VFMADD231PS Y2, Y11, Y0 \
	VFMADD231PS Y2, Y8, Y1 \
	VMOVUPS     8(CX)(AX*1), Y2 \
	VFMADD231PS Y2, Y12, Y0 \
	VFMADD231PS Y2, Y9, Y1 \
	VFMADD231PS (R14)(AX*1), Y10, Y1 \
	VFMADD231PS 4(R14)(AX*1), Y11, Y1 \
	VFMADD231PS 8(R14)(AX*1), Y12, Y1

// DW3X3_PAIR_EPILOGUE finishes acc at byte offset AX: + the residual at
// res, clamp (the flags read from the arguments).
#define DW3X3_PAIR_EPILOGUE(acc, res) \
	TESTQ  $1, dw_flags(DI) \
	JZ     2(PC) \
	VADDPS (res)(AX*1), acc, acc \
	TESTQ  $2, dw_flags(DI) \
	JZ     3(PC) \
	VMAXPS acc, Y14, acc \
	VMINPS acc, Y15, acc

// DW3X3_PAIR_TAIL finishes and stores the partial last vector of row
// oy+row (acc, at byte offset AX of out, residual res): whole when the plane
// holds 8 floats from there (the lanes past ow land in rows stored after
// it), with masks otherwise. Y2, Y3, R15 scratch.
#define DW3X3_PAIR_TAIL(acc, out, res, row) \
	MOVQ         R13, R15 \
	SUBQ         $row, R15 \
	IMULQ        dw_ow(DI), R15 \
	SHLQ         $2, R15 \
	SUBQ         AX, R15 \
	CMPQ         R15, $32 \
	JLT          10(PC) \
	DW3X3_PAIR_EPILOGUE(acc, res) \
	VMOVUPS      acc, (out)(AX*1) \
	JMP          17(PC) \
	MOVQ         dw_ow(DI), R15 \
	SHLQ         $2, R15 \
	SUBQ         AX, R15 \
	SHRQ         $2, R15 \
	VMOVQ        R15, X3 \
	VPBROADCASTD X3, Y3 \
	VPCMPGTD     ·dwIota(SB), Y3, Y3 \
	TESTQ        $1, dw_flags(DI) \
	JZ           3(PC) \
	VMASKMOVPS   (res)(AX*1), Y3, Y2 \
	VADDPS       Y2, acc, acc \
	TESTQ        $2, dw_flags(DI) \
	JZ           3(PC) \
	VMAXPS       acc, Y14, acc \
	VMINPS       acc, Y15, acc \
	VMASKMOVPS   acc, Y3, (out)(AX*1)

// func dw3x3F32AVX2S1(args *kern.DWArgs)
//
// One plane of a 3x3 depthwise convolution with stride 1 on the padded
// plane p (zero borders, rows of wp >= ow rounded up to 8, plus 2, floats;
// oh+2 rows):
//
//	for oy := range oh {
//		for ox := range ow {
//			v := bias
//			for ky := range 3 {
//				for kx := range 3 {
//					v += p[(oy+ky)*wp+ox+kx] * w[ky*3+kx]
//				}
//			}
//			if flags&winFlagRes != 0 { v += res[oy*ow+ox] }
//			if flags&winFlagClamp != 0 { v = min(max(v, lo), hi) } // NaN stays NaN
//			y[oy*ow+ox] = v
//		}
//	}
//
// with MXCSR's FTZ and DAZ set for the duration of the call. The last
// vector of a row is stored whole when the plane has room for it: its
// lanes past ow land in the next rows, which are computed (and stored)
// after it.
// Requires: AVX, AVX2, FMA3
TEXT ·dw3x3F32AVX2S1(SB), NOSPLIT, $8-8
	DW3X3_SETUP
	MOVQ R10, SI

s1pairs:
	CMPQ R13, $2                             // two output rows at a time:
	JLT  s1single                            // 4 input rows, 12 loads for 18 FMAs
	LEAQ (SI)(R8*1), BX
	LEAQ (BX)(R8*1), CX
	LEAQ (CX)(R8*1), R14
	MOVQ dw_ow(DI), R15
	SHLQ $2, R15
	LEAQ (DX)(R15*1), R10                    // output row oy+1
	LEAQ (R11)(R15*1), R12                   // its residual
	MOVQ dw_ow(DI), AX
	TESTQ $7, AX
	JZ   s1pfull
	ANDQ $-8, AX                             // the partial vector first: its lanes
	SHLQ $2, AX                              // past ow spill into row oy+1's head,
	DW3X3_S1X2                               // which the full vectors store after
	DW3X3_PAIR_TAIL(Y0, DX, R11, 0)
	DW3X3_PAIR_TAIL(Y1, R10, R12, 1)

s1pfull:
	XORQ AX, AX
	MOVQ dw_ow(DI), R9
	ANDQ $-8, R9

s1ploop:
	TESTQ R9, R9
	JZ    s1pnext
	DW3X3_S1X2
	DW3X3_PAIR_EPILOGUE(Y0, R11)
	VMOVUPS Y0, (DX)(AX*1)
	DW3X3_PAIR_EPILOGUE(Y1, R12)
	VMOVUPS Y1, (R10)(AX*1)
	ADDQ    $32, AX
	SUBQ    $8, R9
	JMP     s1ploop

s1pnext:
	LEAQ (SI)(R8*2), SI
	MOVQ dw_ow(DI), R15
	SHLQ $3, R15
	ADDQ R15, DX
	ADDQ R15, R11
	SUBQ $2, R13
	JMP  s1pairs

s1single:
	MOVQ SI, R10                             // the last row, if oh is odd
	MOVQ dw_flags(DI), R12

s1row:
	TESTQ R13, R13                           // for oy < oh {
	JZ    s1done
	MOVQ  R10, SI                            // input rows oy, oy+1, oy+2
	LEAQ  (R10)(R8*1), BX
	LEAQ  (BX)(R8*1), CX
	XORQ  AX, AX
	MOVQ  dw_ow(DI), R9

s1vec:
	CMPQ R9, $8                              // for 8 columns at a time {
	JLT  s1tail
	DW3X3_S1
	DW3X3_EPILOGUE
	VMOVUPS Y0, (DX)(AX*1)
	ADDQ    $32, AX
	SUBQ    $8, R9
	JMP     s1vec

s1tail:
	TESTQ R9, R9
	JZ    s1next
	DW3X3_S1
	MOVQ  R13, R15                           // bytes from this vector to the plane's end
	IMULQ dw_ow(DI), R15
	SHLQ  $2, R15
	SUBQ  AX, R15
	CMPQ  R15, $32
	JLT   s1last
	DW3X3_EPILOGUE                           // the lanes past ow spill into
	VMOVUPS Y0, (DX)(AX*1)                   // the next rows, which overwrite them
	JMP     s1next

s1last:
	DW3X3_TAIL

s1next:
	ADDQ R8, R10
	MOVQ dw_ow(DI), AX
	SHLQ $2, AX
	ADDQ AX, DX
	ADDQ AX, R11
	DECQ R13
	JMP  s1row

s1done:
	VZEROUPPER
	LDMXCSR mxcsr-8(SP)
	RET

// DW3X3_S2ROW accumulates into Y0 the 3 taps of kernel row r (weights
// w0, w1, w2) for 8 output columns at input byte offset R14, in the lane
// order of VSHUFPS (0 1 4 5 2 3 6 7): the evens, the odds, the evens from
// two columns on.
#define DW3X3_S2ROW(r, w0, w1, w2) \
	VMOVUPS     (r)(R14*1), Y1 \
	VMOVUPS     32(r)(R14*1), Y2 \
	VSHUFPS     $0x88, Y2, Y1, Y3 \
	VFMADD231PS Y3, w0, Y0 \
	VSHUFPS     $0xDD, Y2, Y1, Y3 \
	VFMADD231PS Y3, w1, Y0 \
	VMOVUPS     8(r)(R14*1), Y1 \
	VMOVUPS     40(r)(R14*1), Y2 \
	VSHUFPS     $0x88, Y2, Y1, Y3 \
	VFMADD231PS Y3, w2, Y0

#define DW3X3_S2 \
	VMOVAPS Y13, Y0 \
	DW3X3_S2ROW(SI, Y4, Y5, Y6) \
	DW3X3_S2ROW(BX, Y7, Y8, Y9) \
	DW3X3_S2ROW(CX, Y10, Y11, Y12) \
	VPERMPD $0xD8, Y0, Y0

// func dw3x3F32AVX2S2(args *kern.DWArgs)
//
// dw3x3F32AVX2S1 with stride 2: p[(2*oy+ky)*wp+2*ox+kx]; rows of wp >= 2*(ow
// rounded up to 8) + 2 floats, 2*oh+1 rows.
// Requires: AVX, AVX2, FMA3
TEXT ·dw3x3F32AVX2S2(SB), NOSPLIT, $8-8
	DW3X3_SETUP

s2row:
	TESTQ R13, R13
	JZ    s2done
	MOVQ  R10, SI
	LEAQ  (R10)(R8*1), BX
	LEAQ  (BX)(R8*1), CX
	XORQ  AX, AX
	XORQ  R14, R14
	MOVQ  dw_ow(DI), R9

s2vec:
	CMPQ R9, $8
	JLT  s2tail
	DW3X3_S2
	DW3X3_EPILOGUE
	VMOVUPS Y0, (DX)(AX*1)
	ADDQ    $32, AX
	ADDQ    $64, R14
	SUBQ    $8, R9
	JMP     s2vec

s2tail:
	TESTQ R9, R9
	JZ    s2next
	DW3X3_S2
	MOVQ  R13, R15                           // bytes from this vector to the plane's end
	IMULQ dw_ow(DI), R15
	SHLQ  $2, R15
	SUBQ  AX, R15
	CMPQ  R15, $32
	JLT   s2last
	DW3X3_EPILOGUE
	VMOVUPS Y0, (DX)(AX*1)
	JMP     s2next

s2last:
	DW3X3_TAIL

s2next:
	LEAQ (R10)(R8*2), R10
	MOVQ dw_ow(DI), AX
	SHLQ $2, AX
	ADDQ AX, DX
	ADDQ AX, R11
	DECQ R13
	JMP  s2row

s2done:
	VZEROUPPER
	LDMXCSR mxcsr-8(SP)
	RET
