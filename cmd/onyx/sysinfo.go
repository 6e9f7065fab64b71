package main

import (
	"os"
	goruntime "runtime"
	"runtime/debug"
	"strings"

	"github.com/klauspost/cpuid/v2"

	"github.com/onyxml/onyx/ops"
)

// System facts that `onyx bench`, `onyx profile` and `onyx cpu` report. The
// peak resident set size is per OS, in sysinfo_<os>.go.

// sysFeature is a CPU feature that matters to onyx's kernels, under the name
// cpuid gives it.
type sysFeature struct {
	id   cpuid.FeatureID
	why  string // what onyx does with it
	arch string // "amd64" or "arm64"
}

// sysFeatures lists the ISA features onyx's tiers use or may use, x86 first.
// FPHP and ASIMDHP are arm64's scalar and vector FP16 arithmetic.
var sysFeatures = []sysFeature{
	{cpuid.SSE42, "baseline x86-64-v2", "amd64"},
	{cpuid.AVX, "256-bit vectors", "amd64"},
	{cpuid.AVX2, "avx2 tier", "amd64"},
	{cpuid.FMA3, "avx2 tier (fused multiply-add)", "amd64"},
	{cpuid.F16C, "float16 conversion", "amd64"},
	{cpuid.AVX512F, "avx512 tier", "amd64"},
	{cpuid.AVX512BW, "avx512 tier", "amd64"},
	{cpuid.AVX512VL, "avx512 tier", "amd64"},
	{cpuid.AVX512VNNI, "int8 dot products", "amd64"},
	{cpuid.AVX512BF16, "bfloat16 dot products", "amd64"},
	{cpuid.AVX512FP16, "float16 arithmetic", "amd64"},
	{cpuid.AVXVNNI, "int8 dot products (VEX)", "amd64"},
	{cpuid.AMXTILE, "matrix tiles", "amd64"},
	{cpuid.ASIMD, "neon tier", "arm64"},
	{cpuid.ASIMDDP, "int8 dot products", "arm64"},
	{cpuid.FPHP, "float16 scalar arithmetic", "arm64"},
	{cpuid.ASIMDHP, "float16 vector arithmetic", "arm64"},
	{cpuid.BF16, "bfloat16", "arm64"},
	{cpuid.I8MM, "int8 matrix multiply", "arm64"},
	{cpuid.SVE, "scalable vectors", "arm64"},
}

// sysRelevantFeatures returns the features of sysFeatures for the machine's
// architecture (both lists on other architectures).
func sysRelevantFeatures() []sysFeature {
	var out []sysFeature
	for _, f := range sysFeatures {
		if f.arch == goruntime.GOARCH || goruntime.GOARCH != "amd64" && goruntime.GOARCH != "arm64" {
			out = append(out, f)
		}
	}
	return out
}

// sysPresentFeatures returns the names of the relevant features the CPU (and
// OS) support, in sysFeatures order.
func sysPresentFeatures() []string {
	out := []string{}
	for _, f := range sysRelevantFeatures() {
		if cpuid.CPU.Supports(f.id) {
			out = append(out, f.id.String())
		}
	}
	return out
}

// sysTierOrder lists onyx's CPU tiers, best first.
var sysTierOrder = []string{"avx512", "avx2", "neon", "generic"}

// sysTierFeatures are the features each tier needs (as backends/amd64 checks
// them; neon needs Advanced SIMD).
var sysTierFeatures = map[string][]cpuid.FeatureID{
	"avx512":  {cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL},
	"avx2":    {cpuid.AVX, cpuid.AVX2, cpuid.FMA3},
	"neon":    {cpuid.ASIMD},
	"generic": nil,
}

// sysTierSupported reports whether the CPU has what tier needs.
func sysTierSupported(tier string) bool {
	f, ok := sysTierFeatures[tier]
	return ok && cpuid.CPU.Supports(f...)
}

// sysTierRegistered reports whether a backend of that name registered
// kernels in this binary.
func sysTierRegistered(tier string) bool {
	for _, b := range ops.Backends() {
		if b == tier {
			return true
		}
	}
	return false
}

// sysTiersAvailable returns the tiers this binary can use on this CPU, best
// first: built in (registered) and supported by the CPU.
func sysTiersAvailable() []string {
	var out []string
	for _, t := range sysTierOrder {
		if t == "generic" || sysTierSupported(t) && sysTierRegistered(t) {
			out = append(out, t)
		}
	}
	return out
}

// sysTierInUse returns the best available tier that ONYX_CPU (a
// comma-separated list of tiers, as the runtime reads it) allows; "generic"
// when it allows none.
func sysTierInUse() string {
	allowed := map[string]bool{}
	env := strings.TrimSpace(os.Getenv("ONYX_CPU"))
	for _, t := range strings.Split(env, ",") {
		allowed[strings.TrimSpace(t)] = true
	}
	for _, t := range sysTiersAvailable() {
		if env == "" || allowed[t] {
			return t
		}
	}
	return "generic"
}

// sysTierRank orders backends by speed for reports: onyx's tiers by
// sysTierOrder, any other (a user's) backend just above generic.
func sysTierRank(backend string) int {
	for i, t := range sysTierOrder {
		if t == backend {
			return 2 * (len(sysTierOrder) - i) // generic 2, neon 4, ...
		}
	}
	return 3
}

// sysGOAMD64 returns the GOAMD64 level the binary was built for (v1..v4):
// from the build settings, else the environment, else Go's default v1. It
// returns "" off amd64.
func sysGOAMD64() string {
	if goruntime.GOARCH != "amd64" {
		return ""
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOAMD64" && s.Value != "" {
				return s.Value
			}
		}
	}
	if v := os.Getenv("GOAMD64"); v != "" {
		return v
	}
	return "v1"
}

// sysCPUName returns the CPU's brand name, or the architecture when cpuid
// does not know it.
func sysCPUName() string {
	if n := strings.TrimSpace(cpuid.CPU.BrandName); n != "" {
		return n
	}
	return "unknown " + goruntime.GOARCH + " CPU"
}
