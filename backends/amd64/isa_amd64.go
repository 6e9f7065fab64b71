//go:build amd64 && !noasm

package amd64

// The tiers as kern.ISA tables: the micro-kernels of
// sgemm_kernels_amd64.s with their tiles and blocking, and the AVX2
// routines of the convolution, pooling and activation drivers (the avx512
// tier uses them too).

import "github.com/onyxml/onyx/backends/internal/kern"

// Blocking: see kern.ISA. Measured on an AMD EPYC (AVX2 only; L1d 32 KiB
// and L2 1 MiB per core) with kern's BenchmarkGemm: see the notes in
// backends/internal/kern/sgemm_bench_test.go.
var (
	isaAVX512 = &kern.ISA{Name: "avx512", MR: 12, NR: 32, KC: 256, MC: 144, NC: 512,
		Ready: func() bool { return hasAVX512 }, Gemm: gemmAVX512, GemmTails: true}
	isaAVX2 = &kern.ISA{Name: "avx2", MR: 6, NR: 16, KC: 256, MC: 144, NC: 512,
		Ready: func() bool { return hasAVX2 }, Gemm: gemmAVX2, GemmTails: true, LaneMasks: true}
)

// withAVX2Routines sets g's inner routines to the AVX2 ones.
func withAVX2Routines(g *kern.ISA) {
	g.ConvPack, g.ConvTranspose = convPackF32AVX2, convTransposeF32AVX2
	g.WinoIn, g.WinoOut = winoInF32AVX2, winoOutF32AVX2
	g.DWCopy, g.DW3x3S1, g.DW3x3S2 = dwCopyF32AVX2, dw3x3F32AVX2S1, dw3x3F32AVX2S2
	g.DWS1, g.DWS2 = dwF32AVX2S1, dwF32AVX2S2
	g.MaxS1, g.MaxS2, g.AvgS1, g.AvgS2 = poolMaxF32AVX2S1, poolMaxF32AVX2S2, poolAvgF32AVX2S1, poolAvgF32AVX2S2
	g.Sum = poolSumF32AVX2
	g.LeakyRelu, g.HardSwish, g.Sigmoid = elemLeakyReluF32AVX2, elemHardSwishF32AVX2, elemSigmoidF32AVX2
}

func init() {
	// Both tiers register when the CPU has them, the better first, so that
	// ONYX_CPU and runtime.WithBackends can choose avx2 on an AVX-512
	// machine; a tier ONYX_CPU leaves out gets no ops kernels, one the CPU
	// lacks is only declared (kern's tests emulate the AVX-512 kernels).
	for _, g := range []*kern.ISA{isaAVX512, isaAVX2} {
		if hasAVX2 {
			withAVX2Routines(g)
		}
		kern.Register(g, kern.CPUAllows(g.Name))
	}
}
