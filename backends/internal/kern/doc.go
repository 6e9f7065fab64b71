// Package kern holds the architecture-neutral half of onyx's fast
// kernels: the SGEMM driver (packing, cache blocking, column tails, the
// Epilogue with bias, residual and activation), the kernels built on it
// for Gemm, MatMul, Conv (1x1 as a plain GEMM, Winograd F(2x2,3x3), an
// implicit GEMM channel- or pixel-major, which also takes weights fed at
// run time, depthwise), the conv's gradients that package train emits
// (ConvGradInput, ConvGradWeight), the runtime's FusedGemm and FusedConv,
// and the MaxPool, AveragePool and GlobalAveragePool kernels, all parameterised by an ISA: a table of one
// instruction set's micro-kernels, tile sizes and inner routines, with
// the Go definition of every routine a table leaves out.
//
// backends/amd64 and backends/arm64 hold only CPU detection, their
// assembly, their ISA tables and the call to Register; Register adds the
// kernels to the ops registry under the ISA's name. kern's tests run every
// registered ISA (and Go) against the generic backend.
package kern
