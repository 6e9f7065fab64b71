//go:build amd64 && !noasm

package amd64

import "github.com/onyxml/onyx/backends/internal/kern"

// dwF32AVX2S1 computes one plane of a depthwise convolution with stride 1
// (dwF32AVX2S2: stride 2): kern's dwWindowGo (ISA.DWS1, DWS2), 8 output
// columns per vector (masked at the plane's edges, unmasked in [fastLo,
// fastHi)), with MXCSR's FTZ and DAZ set for the duration of the call.
// Requires: AVX, AVX2, FMA3
//
//go:noescape
func dwF32AVX2S1(args *kern.WinArgs)

// dwF32AVX2S2 is dwF32AVX2S1 with stride 2.
// Requires: AVX, AVX2, FMA3
//
//go:noescape
func dwF32AVX2S2(args *kern.WinArgs)

// dwCopyF32AVX2 copies an input plane into the zero-bordered padded plane:
// kern's dwCopyGo (ISA.DWCopy).
// Requires: AVX, AVX2
//
//go:noescape
func dwCopyF32AVX2(args *kern.DWArgs)

// dw3x3F32AVX2S1 computes one plane of a 3x3 depthwise convolution with
// stride 1 from the padded plane: kern's dw3x3Go (ISA.DW3x3S1), the 9
// weights in registers, 8 output columns per vector, two rows at a time
// (see the loop in dw_amd64.s), with MXCSR's FTZ and DAZ set for the
// duration of the call.
// Requires: AVX, AVX2, FMA3
//
//go:noescape
func dw3x3F32AVX2S1(args *kern.DWArgs)

// dw3x3F32AVX2S2 is dw3x3F32AVX2S1 with stride 2 (ISA.DW3x3S2).
// Requires: AVX, AVX2, FMA3
//
//go:noescape
func dw3x3F32AVX2S2(args *kern.DWArgs)
