//go:build amd64 && !noasm

package amd64

import (
	"slices"
	"testing"

	"github.com/onyxml/onyx/backends/internal/kern"
)

func TestCPUTier(t *testing.T) {
	set := func(p *bool, v bool) {
		old := *p
		*p = v
		t.Cleanup(func() { *p = old })
	}
	set(&useAVX512, false)
	set(&useAVX2, false)
	if Tier() != "" {
		t.Errorf("no tier: Tier() = %q", Tier())
	}
	useAVX2 = true
	if Tier() != "avx2" {
		t.Errorf("avx2: Tier() = %q", Tier())
	}
	useAVX512 = true
	if Tier() != "avx512" {
		t.Errorf("avx512: Tier() = %q", Tier())
	}
	f := Features()
	if hasAVX2 && !slices.Contains(f, "AVX2") {
		t.Errorf("Features() = %v lacks AVX2", f)
	}
	if hasAVX512 != slices.Contains(f, "AVX512F") {
		t.Errorf("Features() = %v, hasAVX512 %v", f, hasAVX512)
	}
	t.Logf("features %v", f)
}

// TestGemmMXCSR checks that the kernels flush denormals (FTZ/DAZ) inside
// and restore the caller's MXCSR on return. (Everything else about the
// kernels is tested by kern's tests, which run these tiers.)
func TestGemmMXCSR(t *testing.T) {
	for _, g := range []*kern.ISA{isaAVX512, isaAVX2} {
		if !g.Ready() {
			continue
		}
		const den = 1e-39 // a float32 denormal
		a := []float32{den, den}
		b := make([]float32, 2*16)
		for i := range b {
			b[i] = 1
		}
		c := make([]float32, 16)
		before := gemmGetMXCSR()
		// A caller's MXCSR with an unusual (harmless) bit: the precision
		// exception unmasked is not, but the sticky status bits are.
		gemmSetMXCSR(before | 0x20) // the precision-exception flag
		g.Sgemm(1, 16, 2, a, 2, false, b, 16, false, c, 16, nil)
		after := gemmGetMXCSR()
		gemmSetMXCSR(before)
		if after&^0x3f != (before|0x20)&^0x3f {
			t.Errorf("%s: MXCSR %#x after the call, want %#x (status bits aside)", g.Name, after, before|0x20)
		}
		if after&0x8040 != before&0x8040 {
			t.Errorf("%s: FTZ/DAZ not restored: %#x, was %#x", g.Name, after, before)
		}
		for j, v := range c {
			if v != 0 {
				t.Errorf("%s: C[%d] = %g with denormal inputs, want 0 (DAZ)", g.Name, j, v)
				break
			}
		}
		// Go arithmetic sees denormals again.
		if y := a[0] * b[0]; y == 0 {
			t.Errorf("%s: denormals still flushed after the call", g.Name)
		}
	}
}
