// Package amd64 holds onyx's Go-assembly kernels for x86-64: an SGEMM with
// AVX-512 (12x32 tiles) and AVX2+FMA (6x16 tiles) micro-kernels, the Gemm,
// MatMul and FusedGemm kernels built on it, and convolutions for Conv and
// ai.onyx:FusedConv: 1x1 as a plain GEMM, Winograd F(2x2,3x3) for 3x3
// stride-1 layers, a pixel-major GEMM for small outputs, an implicit GEMM
// (no materialised im2col) for the rest, and a depthwise kernel; plus
// MaxPool, AveragePool, GlobalAveragePool and vectorised activations. Bias,
// residual and activation are applied before each output is stored; large
// layers split over ExecContext.ParallelFor. The depthwise, pooling and
// Winograd-transform code is AVX2 (also used under the avx512 tier).
//
// Importing the package registers its kernels with ops.RegisterKernel at
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
