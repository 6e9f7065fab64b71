//go:build amd64 && !noasm

package amd64

import "testing"

// BenchmarkPeak measures the core's FP32 arithmetic peak per tier: what
// BenchmarkGemm's micro-kernel rates are a fraction of. On Zen 4, AVX-512
// instructions run as two 256-bit halves, so both tiers have the same peak
// (32 FLOP a cycle); on Intel cores with two 512-bit FMA units the avx512
// peak is twice the avx2 one.
func BenchmarkPeak(b *testing.B) {
	const iters = 1 << 16
	for _, c := range []struct {
		name string
		ok   bool
		run  func(int)
		flop int
	}{
		{"avx512", hasAVX512, peakFMA512, 384},
		{"avx2", hasAVX2, peakFMA256, 192},
	} {
		b.Run(c.name, func(b *testing.B) {
			if !c.ok {
				b.Skipf("the CPU has no %s", c.name)
			}
			for b.Loop() {
				c.run(iters)
			}
			b.ReportMetric(float64(c.flop)*iters*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
