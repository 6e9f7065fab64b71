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

// func poolMaxF32AVX2S1(args *kern.WinArgs)
// Requires: AVX, AVX2
#define WIN_FUNC ·poolMaxF32AVX2S1
#define WIN_MAX
#include "dw_window_amd64.h"
#undef WIN_FUNC

// func poolMaxF32AVX2S2(args *kern.WinArgs)
// Requires: AVX, AVX2
#define WIN_FUNC ·poolMaxF32AVX2S2
#define WIN_S2
#include "dw_window_amd64.h"
#undef WIN_FUNC
#undef WIN_S2
#undef WIN_MAX

// func poolAvgF32AVX2S1(args *kern.WinArgs)
// Requires: AVX, AVX2
#define WIN_FUNC ·poolAvgF32AVX2S1
#define WIN_AVG
#include "dw_window_amd64.h"
#undef WIN_FUNC

// func poolAvgF32AVX2S2(args *kern.WinArgs)
// Requires: AVX, AVX2
#define WIN_FUNC ·poolAvgF32AVX2S2
#define WIN_S2
#include "dw_window_amd64.h"
#undef WIN_FUNC
#undef WIN_S2
#undef WIN_AVG

// func poolSumF32AVX2(x *float32, n int) float32
//
// Returns the sum of x[0:n], in 4x8 lanes then 8 lanes then one by one.
// Requires: AVX, AVX2
TEXT ·poolSumF32AVX2(SB), NOSPLIT, $0-20
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

sum32:
	CMPQ   CX, $32
	JLT    sum8
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	ADDQ   $128, SI
	SUBQ   $32, CX
	JMP    sum32

sum8:
	CMPQ   CX, $8
	JLT    reduce
	VADDPS (SI), Y0, Y0
	ADDQ   $32, SI
	SUBQ   $8, CX
	JMP    sum8

reduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0

sum1:
	TESTQ CX, CX
	JZ    done
	VADDSS (SI), X0, X0
	ADDQ   $4, SI
	DECQ   CX
	JMP    sum1

done:
	VZEROUPPER
	MOVSS X0, ret+16(FP)
	RET
