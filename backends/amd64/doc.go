// Package amd64 will hold onyx's Go-assembly kernels for x86-64 (AVX2+FMA and
// AVX-512), registered only when cpuid reports the features they need.
//
// It builds on every GOARCH (to nothing off amd64, or with the noasm build
// tag), so importing it is always safe.
package amd64
