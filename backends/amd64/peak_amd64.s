//go:build amd64 && !noasm

#include "textflag.h"

// The peak FP32 rate of a core: twelve independent chains of fused
// multiply-adds, more than latency x throughput (4 cycles x 2 per cycle on
// current cores) needs to keep both FMA units busy. Nothing is loaded or
// stored, so the rate is the arithmetic limit the SGEMM micro-kernels are
// measured against (BenchmarkPeak).

#define N CX

// func peakFMA512(n int)
//
// Runs n iterations of 12 VFMADD231PS on ZMM registers: 384 FLOP each.
TEXT ·peakFMA512(SB), NOSPLIT, $0-8
	MOVQ        n+0(FP), N
	VXORPS      Z0, Z0, Z0
	VMOVAPS     Z0, Z1
	VMOVAPS     Z0, Z2
	VMOVAPS     Z0, Z3
	VMOVAPS     Z0, Z4
	VMOVAPS     Z0, Z5
	VMOVAPS     Z0, Z6
	VMOVAPS     Z0, Z7
	VMOVAPS     Z0, Z8
	VMOVAPS     Z0, Z9
	VMOVAPS     Z0, Z10
	VMOVAPS     Z0, Z11
	VMOVAPS     Z0, Z12
	VMOVAPS     Z0, Z13

loop512:
	// for i := range 12 { acc[i] += x * y }
	VFMADD231PS Z12, Z13, Z0
	VFMADD231PS Z12, Z13, Z1
	VFMADD231PS Z12, Z13, Z2
	VFMADD231PS Z12, Z13, Z3
	VFMADD231PS Z12, Z13, Z4
	VFMADD231PS Z12, Z13, Z5
	VFMADD231PS Z12, Z13, Z6
	VFMADD231PS Z12, Z13, Z7
	VFMADD231PS Z12, Z13, Z8
	VFMADD231PS Z12, Z13, Z9
	VFMADD231PS Z12, Z13, Z10
	VFMADD231PS Z12, Z13, Z11
	DECQ        N
	JNZ         loop512
	VZEROUPPER
	RET

// func peakFMA256(n int)
//
// Runs n iterations of 12 VFMADD231PS on YMM registers: 192 FLOP each.
TEXT ·peakFMA256(SB), NOSPLIT, $0-8
	MOVQ        n+0(FP), N
	VXORPS      Y0, Y0, Y0
	VMOVAPS     Y0, Y1
	VMOVAPS     Y0, Y2
	VMOVAPS     Y0, Y3
	VMOVAPS     Y0, Y4
	VMOVAPS     Y0, Y5
	VMOVAPS     Y0, Y6
	VMOVAPS     Y0, Y7
	VMOVAPS     Y0, Y8
	VMOVAPS     Y0, Y9
	VMOVAPS     Y0, Y10
	VMOVAPS     Y0, Y11
	VMOVAPS     Y0, Y12
	VMOVAPS     Y0, Y13

loop256:
	// for i := range 12 { acc[i] += x * y }
	VFMADD231PS Y12, Y13, Y0
	VFMADD231PS Y12, Y13, Y1
	VFMADD231PS Y12, Y13, Y2
	VFMADD231PS Y12, Y13, Y3
	VFMADD231PS Y12, Y13, Y4
	VFMADD231PS Y12, Y13, Y5
	VFMADD231PS Y12, Y13, Y6
	VFMADD231PS Y12, Y13, Y7
	VFMADD231PS Y12, Y13, Y8
	VFMADD231PS Y12, Y13, Y9
	VFMADD231PS Y12, Y13, Y10
	VFMADD231PS Y12, Y13, Y11
	DECQ        N
	JNZ         loop256
	VZEROUPPER
	RET
