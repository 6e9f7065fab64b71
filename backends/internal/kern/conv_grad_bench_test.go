package kern

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
)

// convTrainShapes are the convs of onyx train's CNN (Fashion-MNIST, batch
// 64) and a ResNet-like layer: batch, Cin, Cout, H=W, kernel, stride,
// pad.
var convTrainShapes = []struct {
	name                        string
	n, cin, cout, hw, k, s, pad int
}{
	{"train-cnn/conv1", 64, 1, 16, 28, 3, 1, 1},
	{"train-cnn/conv2", 64, 16, 32, 14, 3, 1, 1},
	{"resnet-like/28", 8, 64, 64, 28, 3, 1, 1},
	{"resnet-like/28s2", 8, 64, 128, 28, 3, 2, 1},
}

// BenchmarkConvTrain runs the kernels of a training step's convs on each
// tier and on the generic backend: the forward Conv with fed weights,
// ConvGradInput and ConvGradWeight, 1 thread.
func BenchmarkConvTrain(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range convTrainShapes {
		x := kerRand(r, s.n, s.cin, s.hw, s.hw)
		w := kerRand(r, s.cout, s.cin, s.k, s.k)
		p, st := int64(s.pad), int64(s.s)
		attrs := []*ir.Attribute{kerAttrInts("pads", p, p, p, p), kerAttrInts("strides", st, st)}
		fwd := convMake(x, w, kerRand(r, s.cout), nil, "", nil, attrs...)
		fwd.varying = []int{1, 2}
		gi, gw := convGradCases(b, r, x, w, attrs...)
		oh := (s.hw+2*s.pad-s.k)/s.s + 1
		flops := 2 * float64(s.n*s.cout*s.cin*s.k*s.k*oh*oh)
		for _, c := range []struct {
			op     string
			c      convNodeCase
			col2im bool
		}{{"Conv", fwd, false}, {"ConvGradInput", gi, false}, {"ConvGradInput-col2im", gi, true}, {"ConvGradWeight", gw, false}} {
			for _, be := range benchBackends(b) {
				if c.col2im && be == "generic" {
					continue
				}
				b.Run(fmt.Sprintf("%s/%s/%s", s.name, c.op, be), func(b *testing.B) {
					convGradForceCol2im = c.col2im
					k, out := c.c.benchKernel(b, be)
					convGradForceCol2im = false
					ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
					b.ReportAllocs()
					for b.Loop() {
						if err := k.Run(ec, c.c.in, out); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
