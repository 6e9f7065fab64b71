//go:build arm64 && !noasm

package arm64

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGemm times C = A*B with B packed once (as for constant weights)
// on the neon tier, on the Go micro-kernel of the same tiling ("go"), and
// on a naive triple loop ("naive"), reporting GFLOP/s.
//
// Under qemu-aarch64-static on the development machine (AMD EPYC, 2 vCPUs
// shared with other jobs; emulated, so only indicative of real ARM cores):
// 64x64x64 neon 0.12 GFLOP/s, go 0.083, naive 0.067; 128x128x128 neon 0.15,
// go 0.11, naive 0.076: a neon/go time ratio of about 0.7. qemu runs each
// NEON float lane through a soft-float helper, so the vector code gains
// little there; real cores should show a much larger ratio.
func BenchmarkGemm(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range [][3]int{{64, 64, 64}, {128, 128, 128}, {64, 3136, 64}} {
		m, n, k := s[0], s[1], s[2]
		a, bb := gemmRandSlice(r, m*k), gemmRandSlice(r, k*n)
		c := make([]float32, m*n)
		flops := 2 * float64(m) * float64(n) * float64(k)
		impls := []*gemmImpl{gemmGo}
		if hasASIMD {
			gemmSetDuringTest(b, &useNEON, true)
			impls = []*gemmImpl{gemmNEON, gemmGo}
		}
		for _, g := range impls {
			pb := g.packB(k, n, bb, n, false)
			b.Run(fmt.Sprintf("%s/%dx%dx%d", g.name, m, n, k), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					g.run(m, n, k, gemmOpA{a: a, lda: k}, gemmOpB{packed: pb}, c, n, nil)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		b.Run(fmt.Sprintf("naive/%dx%dx%d", m, n, k), func(b *testing.B) {
			for b.Loop() {
				for i := range m {
					for j := range n {
						var sum float32
						for p := range k {
							sum += a[i*k+p] * bb[p*n+j]
						}
						c[i*n+j] = sum
					}
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
