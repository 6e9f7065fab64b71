// The sliding-window kernel body shared by the depthwise convolution
// (dw_amd64.s) and the pools (pool_amd64.s): one NCHW plane, one output row
// at a time, 8 output columns per vector. Before including it, define
//
//	WIN_FUNC    the function's symbol
//	WIN_S2      for stride 2 (else stride 1)
//	WIN_DW      acc = bias; acc += x * w[ky][kx] per tap; + residual, clamp
//	WIN_MAX     acc = -Inf; acc = max(acc, x) per tap (a NaN wins)
//	WIN_AVG     acc = 0; acc += x per tap; acc *= reciprocal count
//
// Kernel rows outside the input are skipped per output row. Columns: a
// vector whose taps are all inside its input row (ox0 in [fastLo, fastHi),
// computed by the caller) loads them directly; the others (the borders, the
// last partial vector) load with per-lane masks, so that padding reads as
// zero (as -Inf for max) and nothing outside the row is touched. The last
// partial vector is stored with a mask.
//
// Registers: DI args; R8 oy; DX the output row's byte offset; R9 ox0; R10
// the first valid input row; R11 its weights; R12 valid kernel rows; R14
// the input row stride in bytes; in the tap loops CX the input, AX the
// weights, BX kernel rows left, R13 kernel columns left, R15 the column's
// byte offset, SI the first tap's column q0.
// Y15 lane indices 0..7, Y14 the input width, Y13 -1, Y9 1 (int32 lanes);
// Y12 the bias (dw) or -Inf (max); Y11, Y10 the clamp bounds (dw); Y8 the
// NaN lanes (max); Y0 the accumulator.

TEXT WIN_FUNC(SB), NOSPLIT, $8-8
	MOVQ    args+0(FP), DI
	STMXCSR mxcsr-8(SP)                      // save the caller's MXCSR
	MOVL    mxcsr-8(SP), AX
	ORL     $0x8040, AX
	MOVL    AX, ftz-4(SP)
	LDMXCSR ftz-4(SP)                        // FTZ and DAZ

	VMOVDQU      ·dwIota(SB), Y15
	VPBROADCASTD win_wd(DI), Y14
	VPCMPEQD     Y13, Y13, Y13
	VPSRLD       $31, Y13, Y9
#ifdef WIN_DW
	VBROADCASTSS win_bias(DI), Y12
	VBROADCASTSS win_lo(DI), Y11
	VBROADCASTSS win_hi(DI), Y10
#endif
#ifdef WIN_MAX
	VBROADCASTSS ·dwNegInf(SB), Y12
#endif
	MOVQ win_wd(DI), R14
	SHLQ $2, R14
	XORQ R8, R8
	XORQ DX, DX

row:
	CMPQ R8, win_oh(DI)                      // for oy < oh {
	JGE  done
	MOVQ R8, AX
#ifdef WIN_S2
	SHLQ $1, AX
#endif
	SUBQ    win_padT(DI), AX                 // iy0 = oy*S - padT
	XORQ    BX, BX
	MOVQ    AX, CX
	NEGQ    CX
	CMPQ    CX, $0
	CMOVQGT CX, BX                           // kyLo = max(0, -iy0)
	MOVQ    win_h(DI), CX
	SUBQ    AX, CX
	MOVQ    win_kh(DI), R12
	CMPQ    CX, R12
	CMOVQLT CX, R12                          // kyHi = min(kh, h-iy0)
	SUBQ    BX, R12                          // valid kernel rows (may be <= 0)
	LEAQ    (AX)(BX*1), CX
	IMULQ   R14, CX
	ADDQ    win_x(DI), CX
	MOVQ    CX, R10                          // &x[iy0+kyLo][0]
#ifdef WIN_DW
	MOVQ    BX, CX
	IMULQ   win_kw(DI), CX
	MOVQ    win_w(DI), R11
	LEAQ    (R11)(CX*4), R11                 // &w[kyLo][0]
#endif
	XORQ R9, R9

vec:
	CMPQ R9, win_ow(DI)                      // for ox0 < ow; ox0 += 8 {
	JGE  rowend
#ifdef WIN_DW
	VMOVAPS Y12, Y0
	MOVQ    R11, AX
#endif
#ifdef WIN_MAX
	VMOVAPS Y12, Y0
	VXORPS  Y8, Y8, Y8
#endif
#ifdef WIN_AVG
	VXORPS Y0, Y0, Y0
#endif
	MOVQ R9, CX
#ifdef WIN_S2
	SHLQ $1, CX
#endif
	SUBQ win_padL(DI), CX                    // q0 = ox0*S - padL
	MOVQ CX, SI
	LEAQ (R10)(CX*4), CX                     // &x[iy0+kyLo][q0]
	MOVQ R12, BX
	CMPQ R9, win_fastLo(DI)
	JLT  slow
	CMPQ R9, win_fastHi(DI)
	JGE  slow

fky:
	CMPQ BX, $0                              // every tap inside the row
	JLE  finish
	XORQ R15, R15
	MOVQ win_kw(DI), R13

fkx:
#ifdef WIN_S2
	VMOVUPS (CX)(R15*1), Y1
	VMOVUPS 32(CX)(R15*1), Y2
	VSHUFPS $0x88, Y2, Y1, Y1
	VPERMPD $0xD8, Y1, Y1                    // x[q0+kx+2l], l < 8
#else
	VMOVUPS (CX)(R15*1), Y1                  // x[q0+kx+l], l < 8
#endif
#ifdef WIN_DW
	VBROADCASTSS (AX), Y2
	VFMADD231PS  Y2, Y1, Y0
	ADDQ         $4, AX
#endif
#ifdef WIN_MAX
	VCMPPS $3, Y1, Y1, Y2
	VORPS  Y2, Y8, Y8
	VMAXPS Y1, Y0, Y0
#endif
#ifdef WIN_AVG
	VADDPS Y1, Y0, Y0
#endif
	ADDQ $4, R15
	DECQ R13
	JNZ  fkx
	ADDQ R14, CX
	DECQ BX
	JMP  fky

slow:
	VMOVQ        SI, X3
	VPBROADCASTD X3, Y3
	VPADDD       Y15, Y3, Y3                 // positions of lanes 0..7 for kx = 0
#ifdef WIN_S2
	VPADDD ·dwEight(SB), Y3, Y4              // lanes 8..15
#endif

sky:
	CMPQ    BX, $0
	JLE     finish
	XORQ    R15, R15
	MOVQ    win_kw(DI), R13
	VMOVDQA Y3, Y5
#ifdef WIN_S2
	VMOVDQA Y4, Y6
#endif

skx:
	VPCMPGTD   Y13, Y5, Y1                   // pos >= 0
	VPCMPGTD   Y5, Y14, Y2                   // pos < w
	VPAND      Y2, Y1, Y1
	VMASKMOVPS (CX)(R15*1), Y1, Y2
#ifdef WIN_MAX
	VBLENDVPS Y1, Y2, Y12, Y2                // masked lanes: -Inf
#endif
#ifdef WIN_S2
	VPCMPGTD   Y13, Y6, Y1
	VPCMPGTD   Y6, Y14, Y7
	VPAND      Y7, Y1, Y1
	VMASKMOVPS 32(CX)(R15*1), Y1, Y7
#ifdef WIN_MAX
	VBLENDVPS Y1, Y7, Y12, Y7
#endif
	VSHUFPS $0x88, Y7, Y2, Y2
	VPERMPD $0xD8, Y2, Y2
	VPADDD  Y9, Y6, Y6
#endif
	VPADDD Y9, Y5, Y5
#ifdef WIN_DW
	VBROADCASTSS (AX), Y1
	VFMADD231PS  Y1, Y2, Y0
	ADDQ         $4, AX
#endif
#ifdef WIN_MAX
	VCMPPS $3, Y2, Y2, Y1
	VORPS  Y1, Y8, Y8
	VMAXPS Y2, Y0, Y0
#endif
#ifdef WIN_AVG
	VADDPS Y2, Y0, Y0
#endif
	ADDQ $4, R15
	DECQ R13
	JNZ  skx
	ADDQ R14, CX
	DECQ BX
	JMP  sky

finish:
#ifdef WIN_MAX
	VORPS Y8, Y0, Y0                         // NaN lanes
#endif
	LEAQ (DX)(R9*4), SI                      // byte offset of y[oy][ox0]
	MOVQ win_ow(DI), CX
	SUBQ R9, CX
	CMPQ CX, $8
	JGE  full
	VMOVQ        CX, X1                      // a partial vector: lanes < ow-ox0
	VPBROADCASTD X1, Y1
	VPCMPGTD     Y15, Y1, Y1
#ifdef WIN_DW
	MOVQ  win_flags(DI), AX
	TESTQ $1, AX
	JZ    tclamp
	MOVQ       win_res(DI), BX
	VMASKMOVPS (BX)(SI*1), Y1, Y2
	VADDPS     Y2, Y0, Y0

tclamp:
	TESTQ $2, AX
	JZ    tstore
	VMAXPS Y0, Y11, Y0                       // NaN stays NaN
	VMINPS Y0, Y10, Y0

tstore:
#endif
#ifdef WIN_AVG
	MOVQ       win_res(DI), BX
	VMASKMOVPS (BX)(SI*1), Y1, Y2
	VMULPS     Y2, Y0, Y0
#endif
	MOVQ       win_y(DI), BX
	VMASKMOVPS Y0, Y1, (BX)(SI*1)
	JMP        next

full:
#ifdef WIN_DW
	MOVQ  win_flags(DI), AX
	TESTQ $1, AX
	JZ    fclamp
	MOVQ   win_res(DI), BX
	VADDPS (BX)(SI*1), Y0, Y0

fclamp:
	TESTQ $2, AX
	JZ    fstore
	VMAXPS Y0, Y11, Y0
	VMINPS Y0, Y10, Y0

fstore:
#endif
#ifdef WIN_AVG
	MOVQ   win_res(DI), BX
	VMULPS (BX)(SI*1), Y0, Y0
#endif
	MOVQ    win_y(DI), BX
	VMOVUPS Y0, (BX)(SI*1)

next:
	ADDQ $8, R9
	JMP  vec

rowend:
	MOVQ win_ow(DI), AX
	LEAQ (DX)(AX*4), DX
	INCQ R8
	JMP  row

done:
	VZEROUPPER
	LDMXCSR mxcsr-8(SP)
	RET
