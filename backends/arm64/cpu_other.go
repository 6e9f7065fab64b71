//go:build !arm64 || noasm

package arm64

// Tier returns the kernel tier in use: "neon", or "" when none is (another
// GOARCH, the noasm build tag, a CPU without ASIMD, or ONYX_CPU not naming
// neon).
func Tier() string { return "" }

// Features returns the CPU features the package's tiers depend on that the
// CPU reports (none here).
func Features() []string { return nil }
