//go:build amd64 && !noasm

#include "textflag.h"

// Offsets of the convPackArgs fields.
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

// func convPackF32AVX2(args *convPackArgs)
//
// See convPackGeneric for the loop it replaces.
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
