package kern

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	_ "github.com/onyxml/onyx/backends/generic"
	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// Measured on the development machine (AMD EPYC, AVX2+FMA only, 2 shared
// vCPUs; go test -bench Gemm -benchtime 2s, best of several runs, the
// other vCPU often busy, so ±20%):
//
//	avx2 micro-kernel 6x16, k=128, in L1    86-88 GFLOP/s (the ymm FMA peak here)
//	avx2 256x256x256, B packed              70-79
//	avx2 512x512x512, B packed              69-76
//	avx2 1x1-conv shapes, A packed, B read in place:
//	     64x3136x64 77-80, 256x3136x64 77-83, 128x784x512 78-86,
//	     1024x196x256 70-81, 2048x49x512 57-64
//	naive (the generic backend's Gemm)      3.4-6 GFLOP/s
//
// The avx512 tier cannot run on that machine (TestGemmAVX512Emulated
// checks its kernels in an interpreter there); DESIGN.md's Xeon reached
// 173 GFLOP/s with an 8x32 kernel of the same structure.

// gemmBenchSizes are MxNxK problems: square ones, and the 1x1 convolutions
// of ResNet-50 as GEMMs (Cout x H*W x Cin).
var gemmBenchSizes = [][3]int{
	{64, 64, 64}, {256, 256, 256}, {512, 512, 512},
	{64, 3136, 64}, {256, 3136, 64}, {128, 784, 512}, {1024, 196, 256}, {2048, 49, 512}, {256, 196, 256}, {1024, 256, 256}, {1024, 192, 256},
}

func gemmReportFlops(b *testing.B, m, n, k int) {
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGemm measures each implementation: "micro" is one kernel call on
// a full tile strip with its operands in L1; MxNxK sizes run SgemmPackedB
// with B packed beforehand (the Gemm/MatMul kernel with constant weights),
// and "naive" the generic backend's Gemm kernel on the same problem.
func BenchmarkGemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, g := range testISAs(b) {
		b.Run(g.Name, func(b *testing.B) {
			if g == Go || g == goNEONLike {
				b.Skip("the Go kernel is the reference, not a contender")
			}
			b.Run("micro", func(b *testing.B) {
				const k = 128
				n := 2 * g.NR
				pa := g.PackA(g.MR, k, gemmRandSlice(r, g.MR*k), k, false)
				pb := g.PackB(k, n, gemmRandSlice(r, k*n), n, false)
				c := make([]float32, g.MR*n)
				ctx := getCtx()
				defer putCtx(ctx)
				ctx.args = GemmArgs{a: &pa.data[0], b: &pb.data[0], c: &c[0], k: k, n: n,
					bPanel: k * g.NR * 4, bRow: g.NR * 4, ldc: n * 4, alpha: 1}
				b.ReportAllocs()
				for b.Loop() {
					g.call(g.MR, ctx)
				}
				gemmReportFlops(b, g.MR, n, k)
			})
			for _, s := range gemmBenchSizes {
				m, n, k := s[0], s[1], s[2]
				// As the 1x1 Conv kernel runs: A (the weights) packed
				// once, B (the activations) packed per call.
				b.Run(fmt.Sprintf("packedA/%dx%dx%d", m, n, k), func(b *testing.B) {
					pa := g.PackA(m, k, gemmRandSlice(r, m*k), k, false)
					x := gemmRandSlice(r, k*n)
					c := make([]float32, m*n)
					b.ReportAllocs()
					for b.Loop() {
						g.run(m, n, k, gemmOpA{packed: pa}, gemmOpB{b: x, ldb: n}, c, n, nil)
					}
					gemmReportFlops(b, m, n, k)
				})
				b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
					a := gemmRandSlice(r, m*k)
					pb := g.PackB(k, n, gemmRandSlice(r, k*n), n, false)
					c := make([]float32, m*n)
					b.ReportAllocs()
					for b.Loop() {
						g.run(m, n, k, gemmOpA{a: a, lda: k}, gemmOpB{packed: pb}, c, n, nil)
					}
					gemmReportFlops(b, m, n, k)
				})
			}
		})
	}
	b.Run("naive", func(b *testing.B) {
		for _, s := range gemmBenchSizes[:2] {
			m, n, k := s[0], s[1], s[2]
			b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
				a := tensor.Must(tensor.FromSlice(gemmRandSlice(r, m*k), m, k))
				w := tensor.Must(tensor.FromSlice(gemmRandSlice(r, k*n), k, n))
				node := &ops.Node{Node: &ir.Node{OpType: "Gemm", Inputs: []string{"a", "w"}, Outputs: []string{"y"}},
					Schema: ops.LookupSchema("", "Gemm", 13), Opset: 13,
					In: []ops.TypeShape{ops.Known(a), ops.Known(w)}}
				kern, _, err := ops.SelectKernel(node, func(be string) bool { return be == "generic" })
				if err != nil {
					b.Fatal(err)
				}
				y := tensor.Must(tensor.New(tensor.Float32, m, n))
				ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
				for b.Loop() {
					if err := kern.Run(ec, []*tensor.Tensor{a, w}, []*tensor.Tensor{y}); err != nil {
						b.Fatal(err)
					}
				}
				gemmReportFlops(b, m, n, k)
			})
		}
	})
}

// BenchmarkGemmPackA measures packing a 144x256 block of a row-major A
// (per call for Gemm and MatMul) in ns per value.
func BenchmarkGemmPackA(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, mr := range []int{6, 12} {
		const m, k = 144, 256
		a := gemmRandSlice(r, m*k)
		dst := make([]float32, m*k)
		b.Run(fmt.Sprint("mr=", mr), func(b *testing.B) {
			for b.Loop() {
				gemmPackA(dst, mr, m, 0, k, a, k, false)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(m*k), "ns/value")
		})
	}
}
