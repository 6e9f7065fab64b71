//go:build amd64 && !noasm

#include "textflag.h"

// func gemmGetMXCSR() uint32
TEXT ·gemmGetMXCSR(SB), NOSPLIT, $0-4
	STMXCSR ret+0(FP)
	RET

// func gemmSetMXCSR(x uint32)
TEXT ·gemmSetMXCSR(SB), NOSPLIT, $0-4
	LDMXCSR x+0(FP)
	RET
