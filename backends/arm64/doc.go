// Package arm64 holds onyx's Go-assembly NEON kernels for 64-bit ARM: 8x8
// SGEMM micro-kernels, under the Gemm, MatMul, Conv (every path: 1x1,
// Winograd, implicit GEMM, pixel-major) and FusedGemm/FusedConv kernels of
// backends/internal/kern, whose drivers it shares with backends/amd64; this
// package holds the CPU detection, the assembly and the neon tier's
// kern.ISA table.
//
// Importing the package registers the kernels with ops.RegisterKernel at
// ops.PriorityArch, under the backend name "neon", when cpuid reports ASIMD
// (checked once, with github.com/klauspost/cpuid/v2). ONYX_CPU (read once,
// at init) keeps the package from using the tier unless it names "neon";
// the runtime applies the same variable when it picks kernels.
//
// The package builds on every GOARCH, so importing it is always safe: off
// arm64, or with the noasm build tag, it registers nothing and Tier returns
// "".
package arm64

// The NEON micro-kernels are generated (on any host) by _asm/gen.go.
//go:generate sh -c "cd _asm && go run ."
