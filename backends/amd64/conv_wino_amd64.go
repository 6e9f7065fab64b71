//go:build amd64 && !noasm

package amd64

import "github.com/onyxml/onyx/backends/internal/kern"

// winoInF32AVX2 is the Winograd F(2x2, 3x3) input transform of a block of
// tiles: kern's winoInGo (ISA.WinoIn), 8 tiles per vector (deinterleaved
// by VSHUFPS in the lane order kern's winoLanePerm gives).
// Requires: AVX, AVX2
//
//go:noescape
func winoInF32AVX2(args *kern.WinoInArgs)

// winoOutF32AVX2 is the output transform of a block with the bias, the
// residual and the clamp: kern's winoOutGo (ISA.WinoOut), 8 tiles per
// vector.
// Requires: AVX, AVX2
//
//go:noescape
func winoOutF32AVX2(args *kern.WinoOutArgs)
