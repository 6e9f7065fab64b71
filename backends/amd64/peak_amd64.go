//go:build amd64 && !noasm

package amd64

// peakFMA512 runs n iterations of 12 independent VFMADD231PS on ZMM
// registers (384 FLOP each), with nothing loaded or stored: the core's
// arithmetic peak for the avx512 tier. Requires AVX512F.
//
//go:noescape
func peakFMA512(n int)

// peakFMA256 is peakFMA512 on YMM registers (192 FLOP an iteration), the
// avx2 tier's peak. Requires AVX2 and FMA3.
//
//go:noescape
func peakFMA256(n int)
