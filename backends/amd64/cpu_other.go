//go:build !amd64 || noasm

package amd64

// Tier returns the best kernel tier in use: "avx512", "avx2", or "" when
// none is (another GOARCH, the noasm build tag, a CPU without AVX2+FMA, or
// ONYX_CPU=generic).
func Tier() string { return "" }

// Features returns the CPU features the package's tiers depend on that the
// CPU reports (none here).
func Features() []string { return nil }
