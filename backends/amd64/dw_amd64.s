//go:build amd64 && !noasm

#include "textflag.h"

// Offsets of the winArgs fields (dw_amd64.go).
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

// func dwF32AVX2S1(args *winArgs)
// Requires: AVX, AVX2, FMA3
#define WIN_FUNC ·dwF32AVX2S1
#define WIN_DW
#include "dw_window_amd64.h"
#undef WIN_FUNC

// func dwF32AVX2S2(args *winArgs)
// Requires: AVX, AVX2, FMA3
#define WIN_FUNC ·dwF32AVX2S2
#define WIN_S2
#include "dw_window_amd64.h"
#undef WIN_FUNC
#undef WIN_S2
#undef WIN_DW
