//go:build amd64 && !noasm

#include "textflag.h"

// Offsets of the kern.ConvPackArgs fields.
#define pk_dst 0
#define pk_src 8
#define pk_dOff 16
#define pk_lanes 24
#define pk_kb 32
#define pk_groups 40
#define pk_subs 48
#define pk_rowStride 56
#define pk_panelStride 64
#define pk_subStride 72

// Offsets of the convLanes fields, and its size.
#define ln_off 0
#define ln_mask 32
#define ln_mode 64
#define ln_size 72

#define ARGS DI
#define PANEL R8
#define LANES R9
#define GROUPS R10
#define SUB R11
#define ROWSTR R12
#define SRC R13
#define DOFF R14
#define DST DX
#define ROWS CX
#define P BX
#define BASE SI

// func convPackF32AVX2(args *kern.ConvPackArgs)
//
// See kern's convPackGo for the loop it replaces.
// Requires: AVX, AVX2
TEXT ·convPackF32AVX2(SB), NOSPLIT, $0-8
	MOVQ args+0(FP), ARGS
	MOVQ pk_dst(ARGS), PANEL
	MOVQ pk_lanes(ARGS), LANES
	MOVQ pk_groups(ARGS), GROUPS
	XORQ SUB, SUB
	MOVQ pk_rowStride(ARGS), ROWSTR
	MOVQ pk_src(ARGS), SRC
	MOVQ pk_dOff(ARGS), DOFF

group:
	TESTQ GROUPS, GROUPS                     // for groups > 0 {
	JZ    done
	MOVQ  SUB, DST                           // dst = panel + sub*subStride
	IMULQ pk_subStride(ARGS), DST
	ADDQ  PANEL, DST
	MOVQ  pk_kb(ARGS), ROWS
	XORQ  P, P
	MOVQ  ln_mode(LANES), AX
	CMPQ  AX, $0
	JEQ   contig
	CMPQ  AX, $1
	JEQ   even
	CMPQ  AX, $2
	JEQ   gather

	// Zeros: columns past the end of the tile.
	VXORPS Y0, Y0, Y0

zloop:
	TESTQ   ROWS, ROWS
	JZ      next
	VMOVUPS Y0, (DST)
	ADDQ    ROWSTR, DST
	DECQ    ROWS
	JMP     zloop

	// Consecutive columns: dst[p][0:8] = src[dOff[p]+off0 : +8].
contig:
	MOVLQSX ln_off(LANES), AX
	LEAQ    (SRC)(AX*4), BASE

contig4:
	CMPQ    ROWS, $4
	JLT     contig1
	MOVLQSX (DOFF)(P*4), AX
	VMOVUPS (BASE)(AX*4), Y0
	MOVLQSX 4(DOFF)(P*4), AX
	VMOVUPS (BASE)(AX*4), Y1
	MOVLQSX 8(DOFF)(P*4), AX
	VMOVUPS (BASE)(AX*4), Y2
	MOVLQSX 12(DOFF)(P*4), AX
	VMOVUPS (BASE)(AX*4), Y3
	VMOVUPS Y0, (DST)
	VMOVUPS Y1, (DST)(ROWSTR*1)
	LEAQ    (DST)(ROWSTR*2), DST
	VMOVUPS Y2, (DST)
	VMOVUPS Y3, (DST)(ROWSTR*1)
	LEAQ    (DST)(ROWSTR*2), DST
	ADDQ    $4, P
	SUBQ    $4, ROWS
	JMP     contig4

contig1:
	TESTQ   ROWS, ROWS
	JZ      next
	MOVLQSX (DOFF)(P*4), AX
	VMOVUPS (BASE)(AX*4), Y0
	VMOVUPS Y0, (DST)
	ADDQ    ROWSTR, DST
	INCQ    P
	DECQ    ROWS
	JMP     contig1

	// Every other column: dst[p][l] = src[dOff[p]+off0+2l], from 16 floats.
even:
	MOVLQSX ln_off(LANES), AX
	LEAQ    (SRC)(AX*4), BASE

even2:
	CMPQ    ROWS, $2
	JLT     even1
	MOVLQSX (DOFF)(P*4), AX
	VMOVUPS (BASE)(AX*4), Y0
	VMOVUPS 32(BASE)(AX*4), Y1
	MOVLQSX 4(DOFF)(P*4), AX
	VMOVUPS (BASE)(AX*4), Y2
	VMOVUPS 32(BASE)(AX*4), Y3
	VSHUFPS $0x88, Y1, Y0, Y0                // a0 a2 b0 b2 | a4 a6 b4 b6
	VSHUFPS $0x88, Y3, Y2, Y2
	VPERMPD $0xD8, Y0, Y0                    // a0 a2 a4 a6 b0 b2 b4 b6
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS Y0, (DST)
	VMOVUPS Y2, (DST)(ROWSTR*1)
	LEAQ    (DST)(ROWSTR*2), DST
	ADDQ    $2, P
	SUBQ    $2, ROWS
	JMP     even2

even1:
	TESTQ   ROWS, ROWS
	JZ      next
	MOVLQSX (DOFF)(P*4), AX
	VMOVUPS (BASE)(AX*4), Y0
	VMOVUPS 32(BASE)(AX*4), Y1
	VSHUFPS $0x88, Y1, Y0, Y0
	VPERMPD $0xD8, Y0, Y0
	VMOVUPS Y0, (DST)
	JMP     next

	// Scattered columns: a masked gather per row.
gather:
	VMOVDQU ln_off(LANES), Y4                // the column offsets
	VMOVDQU ln_mask(LANES), Y5               // the columns of the tile

gather2:
	CMPQ       ROWS, $2
	JLT        gather1
	MOVLQSX    (DOFF)(P*4), AX
	LEAQ       (SRC)(AX*4), BASE
	MOVLQSX    4(DOFF)(P*4), AX
	LEAQ       (SRC)(AX*4), AX
	VMOVDQA    Y5, Y6
	VMOVDQA    Y5, Y7
	VXORPS     Y0, Y0, Y0
	VXORPS     Y1, Y1, Y1
	VGATHERDPS Y6, (BASE)(Y4*4), Y0
	VGATHERDPS Y7, (AX)(Y4*4), Y1
	VMOVUPS    Y0, (DST)
	VMOVUPS    Y1, (DST)(ROWSTR*1)
	LEAQ       (DST)(ROWSTR*2), DST
	ADDQ       $2, P
	SUBQ       $2, ROWS
	JMP        gather2

gather1:
	TESTQ      ROWS, ROWS
	JZ         next
	MOVLQSX    (DOFF)(P*4), AX
	LEAQ       (SRC)(AX*4), BASE
	VMOVDQA    Y5, Y6
	VXORPS     Y0, Y0, Y0
	VGATHERDPS Y6, (BASE)(Y4*4), Y0
	VMOVUPS    Y0, (DST)

next:
	ADDQ $ln_size, LANES                    // the next lane group
	DECQ GROUPS
	INCQ SUB
	CMPQ SUB, pk_subs(ARGS)
	JLT  group
	XORQ SUB, SUB                           // the next panel
	ADDQ pk_panelStride(ARGS), PANEL
	JMP  group

done:
	VZEROUPPER
	RET

// Offsets of the kern.ConvTrArgs fields.
#define tr_src 0
#define tr_dst 8
#define tr_res 16
#define tr_lds 24
#define tr_ldd 32
#define tr_rows 40
#define tr_cols 48
#define tr_flags 56
#define tr_lo 64
#define tr_hi 68

// func convTransposeF32AVX2(args *kern.ConvTrArgs)
//
// Writes the pixel-major block src (cols pixels x rows channels, rows of
// lds bytes) channel-major into dst (rows of ldd bytes), 8x8 at a time:
//
//	for c := range rows {
//		for p := range cols {
//			v := src[p][c]
//			if flags&winFlagRes != 0 { v += res[c][p] }
//			if flags&winFlagClamp != 0 { v = min(max(v, lo), hi) } // NaN stays NaN
//			dst[c][p] = v
//		}
//	}
//
// rows and cols are multiples of 8; res has dst's layout.
// Requires: AVX, AVX2
TEXT ·convTransposeF32AVX2(SB), NOSPLIT, $0-8
	MOVQ args+0(FP), DI
	MOVQ tr_lds(DI), R8
	MOVQ tr_ldd(DI), R9
	XORQ R10, R10                            // c

trrow:
	CMPQ R10, tr_rows(DI)                    // for c < rows; c += 8 {
	JGE  trdone
	XORQ R11, R11                            // p

trcol:
	CMPQ  R11, tr_cols(DI)                   // for p < cols; p += 8 {
	JGE   trnext
	MOVQ  R11, AX                            // &src[p][c]
	IMULQ R8, AX
	LEAQ  (AX)(R10*4), AX
	ADDQ  tr_src(DI), AX
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(R8*1), Y1
	LEAQ    (AX)(R8*2), AX
	VMOVUPS (AX), Y2
	VMOVUPS (AX)(R8*1), Y3
	LEAQ    (AX)(R8*2), AX
	VMOVUPS (AX), Y4
	VMOVUPS (AX)(R8*1), Y5
	LEAQ    (AX)(R8*2), AX
	VMOVUPS (AX), Y6
	VMOVUPS (AX)(R8*1), Y7
	VUNPCKLPS  Y1, Y0, Y8                    // the 8x8 transpose
	VUNPCKHPS  Y1, Y0, Y9
	VUNPCKLPS  Y3, Y2, Y10
	VUNPCKHPS  Y3, Y2, Y11
	VUNPCKLPS  Y5, Y4, Y12
	VUNPCKHPS  Y5, Y4, Y13
	VUNPCKLPS  Y7, Y6, Y14
	VUNPCKHPS  Y7, Y6, Y15
	VSHUFPS    $0x44, Y10, Y8, Y0
	VSHUFPS    $0xEE, Y10, Y8, Y1
	VSHUFPS    $0x44, Y11, Y9, Y2
	VSHUFPS    $0xEE, Y11, Y9, Y3
	VSHUFPS    $0x44, Y14, Y12, Y4
	VSHUFPS    $0xEE, Y14, Y12, Y5
	VSHUFPS    $0x44, Y15, Y13, Y6
	VSHUFPS    $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8             // channel c+0
	VPERM2F128 $0x20, Y5, Y1, Y9             // c+1
	VPERM2F128 $0x20, Y6, Y2, Y10            // c+2
	VPERM2F128 $0x20, Y7, Y3, Y11            // c+3
	VPERM2F128 $0x31, Y4, Y0, Y12            // c+4
	VPERM2F128 $0x31, Y5, Y1, Y13            // c+5
	VPERM2F128 $0x31, Y6, Y2, Y14            // c+6
	VPERM2F128 $0x31, Y7, Y3, Y15            // c+7
	MOVQ       R10, AX                       // byte offset of dst[c][p]
	IMULQ      R9, AX
	LEAQ       (AX)(R11*4), AX
	MOVQ       tr_flags(DI), DX
	TESTQ      $1, DX
	JZ         tradd
	MOVQ       tr_res(DI), CX
	ADDQ       AX, CX
	VADDPS     (CX), Y8, Y8
	VADDPS     (CX)(R9*1), Y9, Y9
	LEAQ       (CX)(R9*2), CX
	VADDPS     (CX), Y10, Y10
	VADDPS     (CX)(R9*1), Y11, Y11
	LEAQ       (CX)(R9*2), CX
	VADDPS     (CX), Y12, Y12
	VADDPS     (CX)(R9*1), Y13, Y13
	LEAQ       (CX)(R9*2), CX
	VADDPS     (CX), Y14, Y14
	VADDPS     (CX)(R9*1), Y15, Y15

tradd:
	TESTQ $2, DX
	JZ    trstore
	VBROADCASTSS tr_lo(DI), Y0
	VBROADCASTSS tr_hi(DI), Y1
	VMAXPS Y8, Y0, Y8
	VMAXPS Y9, Y0, Y9
	VMAXPS Y10, Y0, Y10
	VMAXPS Y11, Y0, Y11
	VMAXPS Y12, Y0, Y12
	VMAXPS Y13, Y0, Y13
	VMAXPS Y14, Y0, Y14
	VMAXPS Y15, Y0, Y15
	VMINPS Y8, Y1, Y8
	VMINPS Y9, Y1, Y9
	VMINPS Y10, Y1, Y10
	VMINPS Y11, Y1, Y11
	VMINPS Y12, Y1, Y12
	VMINPS Y13, Y1, Y13
	VMINPS Y14, Y1, Y14
	VMINPS Y15, Y1, Y15

trstore:
	ADDQ    tr_dst(DI), AX
	VMOVUPS Y8, (AX)
	VMOVUPS Y9, (AX)(R9*1)
	LEAQ    (AX)(R9*2), AX
	VMOVUPS Y10, (AX)
	VMOVUPS Y11, (AX)(R9*1)
	LEAQ    (AX)(R9*2), AX
	VMOVUPS Y12, (AX)
	VMOVUPS Y13, (AX)(R9*1)
	LEAQ    (AX)(R9*2), AX
	VMOVUPS Y14, (AX)
	VMOVUPS Y15, (AX)(R9*1)
	ADDQ    $8, R11
	JMP     trcol

trnext:
	ADDQ $8, R10
	JMP  trrow

trdone:
	VZEROUPPER
	RET
