// Package amd64 holds onyx's Go-assembly kernels for x86-64: SGEMM
// micro-kernels with AVX-512 (12x32 tiles) and AVX2+FMA (6x16 tiles), and
// the AVX2 routines of the convolutions (the implicit GEMM's packer and
// transposer, the Winograd transforms, the depthwise planes), of the pools
// and of the activations. The drivers around them, shared with
// backends/arm64, are in backends/internal/kern; this package holds the
// CPU detection, the assembly and the two tiers' kern.ISA tables.
//
// Importing the package registers the kernels with ops.RegisterKernel at
// ops.PriorityArch, under the backend names "avx512" and "avx2", for the
// tiers the CPU supports (checked once, with github.com/klauspost/cpuid/v2).
// ONYX_CPU=generic|avx2|avx512 (read once, at init) keeps the package from
// using a tier the variable does not name; the runtime applies the same
// variable when it picks kernels.
//
// The package builds on every GOARCH, so importing it is always safe: off
// amd64, or with the noasm build tag, it registers nothing and Tier returns
// "".
package amd64

// The SGEMM micro-kernels are generated (on any host) by _asm/gen.go.
//go:generate sh -c "cd _asm && go run . -s ../sgemm_kernels_amd64.s -go ../sgemm_kernels_amd64.go"
