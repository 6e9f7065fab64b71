//go:build amd64 && !noasm

package amd64

import "github.com/onyxml/onyx/backends/internal/kern"

// convPackF32AVX2 packs a B tile of the implicit-GEMM convolution: kern's
// convPackGo (ISA.ConvPack), 8 columns per vector (a load for
// consecutive columns, two loads and a shuffle for even ones, a gather
// otherwise).
// Requires: AVX, AVX2
//
//go:noescape
func convPackF32AVX2(args *kern.ConvPackArgs)

// convTransposeF32AVX2 writes a pixel-major block channel-major with the
// residual and the clamp: kern's convTransposeGo (ISA.ConvTranspose), 8x8
// at a time.
// Requires: AVX, AVX2
//
//go:noescape
func convTransposeF32AVX2(args *kern.ConvTrArgs)
