//go:build amd64 && !noasm

package amd64

import (
	"slices"
	"testing"
)

func TestCPUAllows(t *testing.T) {
	for _, c := range []struct {
		env          string
		avx512, avx2 bool
	}{
		{"", true, true},
		{"generic", false, false},
		{"avx2", false, true},
		{" avx512 ", true, false},
		{"avx512,avx2", true, true},
		{"neon", false, false},
	} {
		t.Setenv("ONYX_CPU", c.env)
		if got := cpuAllows("avx512"); got != c.avx512 {
			t.Errorf("ONYX_CPU=%q: avx512 allowed %v, want %v", c.env, got, c.avx512)
		}
		if got := cpuAllows("avx2"); got != c.avx2 {
			t.Errorf("ONYX_CPU=%q: avx2 allowed %v, want %v", c.env, got, c.avx2)
		}
	}
}

func TestCPUTier(t *testing.T) {
	gemmSetDuringTest(t, &useAVX512, false)
	gemmSetDuringTest(t, &useAVX2, false)
	if Tier() != "" || gemmBest() != gemmGo {
		t.Errorf("no tier: Tier() = %q, best %s", Tier(), gemmBest().name)
	}
	useAVX2 = true
	if Tier() != "avx2" || gemmBest() != gemmAVX2 {
		t.Errorf("avx2: Tier() = %q, best %s", Tier(), gemmBest().name)
	}
	useAVX512 = true
	if Tier() != "avx512" || gemmBest() != gemmAVX512 {
		t.Errorf("avx512: Tier() = %q, best %s", Tier(), gemmBest().name)
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
