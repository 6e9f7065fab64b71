//go:build arm64 && !noasm

#include "textflag.h"

// func gemmGetFPCR() uint64
TEXT ·gemmGetFPCR(SB), NOSPLIT, $0-8
	MRS  FPCR, R0
	MOVD R0, ret+0(FP)
	RET

// func gemmSetFPCR(x uint64)
TEXT ·gemmSetFPCR(SB), NOSPLIT, $0-8
	MOVD x+0(FP), R0
	MSR  R0, FPCR
	RET
