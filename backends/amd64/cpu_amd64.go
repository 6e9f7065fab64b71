//go:build amd64 && !noasm

package amd64

import (
	"github.com/klauspost/cpuid/v2"

	"github.com/onyxml/onyx/backends/internal/kern"
)

// The tiers, decided once at init: by what the CPU (and the OS, which must
// save the vector registers) supports, and by ONYX_CPU. The "// Requires:" lines of the assembly name
// the same features.
var (
	// hasAVX512 and hasAVX2: what the CPU and OS support, whatever ONYX_CPU
	// says.
	hasAVX512 = cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL)
	hasAVX2   = cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3)

	// useAVX512: the avx512 tier. Its SGEMM kernels use AVX512F only; BW and
	// VL are required of the tier for the kernels that will need them.
	useAVX512 = hasAVX512 && kern.CPUAllows("avx512")
	// useAVX2: the avx2 tier (AVX2 and FMA3 on 256-bit registers).
	useAVX2 = hasAVX2 && kern.CPUAllows("avx2")
)

// Tier returns the best kernel tier in use: "avx512", "avx2", or "" when
// none is (a CPU without AVX2+FMA, or ONYX_CPU naming neither).
func Tier() string {
	switch {
	case useAVX512:
		return "avx512"
	case useAVX2:
		return "avx2"
	}
	return ""
}

// cpuFeatureIDs are the features Features reports on.
var cpuFeatureIDs = []cpuid.FeatureID{
	cpuid.AVX, cpuid.FMA3, cpuid.AVX2, cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512VNNI,
}

// Features returns the CPU features the package's tiers depend on that the
// CPU (and OS) support, whatever ONYX_CPU says: a subset of AVX, FMA3,
// AVX2, AVX512F, AVX512BW, AVX512VL, AVX512VNNI.
func Features() []string {
	var out []string
	for _, f := range cpuFeatureIDs {
		if cpuid.CPU.Supports(f) {
			out = append(out, f.String())
		}
	}
	return out
}
