//go:build amd64 && !noasm

package amd64

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// convBenchShapes are convolutions of the zoo models: Cin, Cout, H=W of
// the input, kernel, stride, pad, group.
var convBenchShapes = []struct {
	name                          string
	cin, cout, hw, k, s, pad, grp int
}{
	{"resnet18/conv1", 3, 64, 224, 7, 2, 3, 1},
	{"resnet18/layer1", 64, 64, 56, 3, 1, 1, 1},
	{"resnet18/layer2.0.conv1", 64, 128, 56, 3, 2, 1, 1},
	{"resnet18/layer2", 128, 128, 28, 3, 1, 1, 1},
	{"resnet18/layer3", 256, 256, 14, 3, 1, 1, 1},
	{"resnet18/layer4", 512, 512, 7, 3, 1, 1, 1},
	{"resnet18/downsample4", 256, 512, 14, 1, 2, 0, 1},
	{"squeezenet/conv1", 3, 64, 224, 3, 2, 0, 1},
	{"squeezenet/expand3x3.3", 16, 64, 55, 3, 1, 1, 1},
	{"squeezenet/expand3x3.7", 32, 128, 27, 3, 1, 1, 1},
	{"squeezenet/expand3x3.12", 64, 256, 13, 3, 1, 1, 1},
	{"mobilenet/conv1", 3, 32, 224, 3, 2, 1, 1},
	{"mobilenet/dw112", 32, 32, 112, 3, 1, 1, 32},
	{"mobilenet/dw112s2", 96, 96, 112, 3, 2, 1, 96},
	{"mobilenet/dw56", 144, 144, 56, 3, 1, 1, 144},
	{"mobilenet/dw14", 576, 576, 14, 3, 1, 1, 576},
	{"mobilenet/dw7", 960, 960, 7, 3, 1, 1, 960},
}

// BenchmarkConv runs the Conv kernels (with a Relu, as in the models) of
// each tier and of the generic backend on the zoo's shapes.
func BenchmarkConv(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range convBenchShapes {
		x := kerRand(r, 1, s.cin, s.hw, s.hw)
		w := kerRand(r, s.cout, s.cin/s.grp, s.k, s.k)
		bias := kerRand(r, s.cout)
		p := int64(s.pad)
		c := convMake(x, w, bias, nil, "Relu", nil, kerAttrInts("pads", p, p, p, p),
			kerAttrInts("strides", int64(s.s), int64(s.s)), kerAttrInt("group", int64(s.grp)))
		oh := (s.hw+2*s.pad-s.k)/s.s + 1
		flops := 2 * float64(s.cout) * float64(s.cin/s.grp*s.k*s.k) * float64(oh*oh)
		backends := []string{"generic"}
		for _, g := range gemmTestImpls(b) {
			if g != gemmGo {
				backends = append(backends, g.name)
			}
		}
		for _, be := range backends {
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/threads=%d", s.name, be, threads), func(b *testing.B) {
					n, err := c.build(true)
					if err != nil {
						b.Fatal(err)
					}
					k, _, err := ops.SelectKernel(n, func(x string) bool { return x == be })
					if err != nil {
						b.Fatal(err)
					}
					dims, _ := n.Out[0].ConcreteShape()
					y := tensor.Must(tensor.New(tensor.Float32, dims...))
					ec := &ops.ExecContext{Ctx: context.Background(), Threads: threads}
					if threads > 1 {
						ec.Pool = convBenchPool(threads)
					}
					out := []*tensor.Tensor{y}
					b.ReportAllocs()
					for b.Loop() {
						if err := k.Run(ec, c.in, out); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// convBenchPool is a simple fork-join pool for the benchmarks: n-1
// goroutines and the caller claim chunks from a counter.
type convBenchPool int

func (p convBenchPool) For(n int, fn func(int)) {
	done := make(chan struct{}, int(p))
	var next = make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	work := func() {
		for i := range next {
			fn(i)
		}
	}
	for range int(p) - 1 {
		go func() { work(); done <- struct{}{} }()
	}
	work()
	for range int(p) - 1 {
		<-done
	}
}

var _ = ir.AttrInt
