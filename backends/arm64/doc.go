// Package arm64 will hold onyx's Go-assembly NEON kernels for 64-bit ARM,
// registered only when cpuid reports ASIMD.
//
// It builds on every GOARCH (to nothing off arm64, or with the noasm build
// tag), so importing it is always safe.
package arm64
