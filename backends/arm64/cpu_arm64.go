//go:build arm64 && !noasm

package arm64

import (
	"github.com/klauspost/cpuid/v2"

	"github.com/onyxml/onyx/backends/internal/kern"
)

// The tier, decided once at init: by what the CPU supports and by ONYX_CPU.
// The "// Requires:" line of the
// assembly names the same feature.
var (
	// hasASIMD: whether the CPU has Advanced SIMD, whatever ONYX_CPU says.
	hasASIMD = cpuid.CPU.Supports(cpuid.ASIMD)
	// useNEON: the neon tier.
	useNEON = hasASIMD && kern.CPUAllows("neon")
)

// Tier returns the kernel tier in use: "neon", or "" when none is (a CPU
// without ASIMD, or ONYX_CPU not naming neon).
func Tier() string {
	if useNEON {
		return "neon"
	}
	return ""
}

// cpuFeatureIDs are the features Features reports on.
var cpuFeatureIDs = []cpuid.FeatureID{cpuid.ASIMD, cpuid.ASIMDDP, cpuid.ASIMDHP, cpuid.FPHP}

// Features returns the CPU features the package's tiers depend on (or will)
// that the CPU supports, whatever ONYX_CPU says: a subset of ASIMD,
// ASIMDDP, ASIMDHP, FPHP.
func Features() []string {
	var out []string
	for _, f := range cpuFeatureIDs {
		if cpuid.CPU.Supports(f) {
			out = append(out, f.String())
		}
	}
	return out
}
