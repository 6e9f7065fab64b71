package kern

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
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
	{"resnet18/layer4-8x8", 512, 512, 8, 3, 1, 1, 1},
	{"resnet18/downsample4", 256, 512, 14, 1, 2, 0, 1},
	{"squeezenet/conv1", 3, 64, 224, 3, 2, 0, 1},
	{"squeezenet/expand3x3.3", 16, 64, 55, 3, 1, 1, 1},
	{"squeezenet/expand3x3.7", 32, 128, 27, 3, 1, 1, 1},
	{"squeezenet/expand3x3.12", 64, 256, 13, 3, 1, 1, 1},
	{"mobilenet/conv1", 3, 32, 224, 3, 2, 1, 1},
	{"mobilenet/pw7-960-160", 960, 160, 7, 1, 1, 0, 1},
	{"mobilenet/pw7-160-960", 160, 960, 7, 1, 1, 0, 1},
	{"mobilenet/pw7-320-1280", 320, 1280, 7, 1, 1, 0, 1},
	{"mobilenet/pw14-96-576", 96, 576, 14, 1, 1, 0, 1},
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
		for _, be := range benchBackends(b) {
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/threads=%d", s.name, be, threads), func(b *testing.B) {
					k, out := c.benchKernel(b, be)
					ec := &ops.ExecContext{Ctx: context.Background(), Threads: threads}
					if threads > 1 {
						ec.Pool = convBenchPool(threads)
					}
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

// benchBackends are the backends the benchmarks compare: generic and each
// tier of testISAs that has kernels in the registry (not the Go tiers,
// which exist for the tests only).
func benchBackends(b *testing.B) []string {
	out := []string{"generic"}
	for _, g := range testISAs(b) {
		if slices.Contains(ops.Backends(), g.Name) {
			out = append(out, g.Name)
		}
	}
	return out
}

// benchKernel builds c's kernel on the backend (the inputs constant) and
// an output tensor of its shape.
func (c convNodeCase) benchKernel(b *testing.B, backend string) (ops.Kernel, []*tensor.Tensor) {
	b.Helper()
	n, err := c.build(true)
	if err != nil {
		b.Fatal(err)
	}
	k, _, err := ops.SelectKernel(n, func(x string) bool { return x == backend })
	if err != nil {
		b.Fatal(err)
	}
	dims, _ := n.Out[0].ConcreteShape()
	return k, []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float32, dims...))}
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

// BenchmarkPool runs the pool kernels of the zoo models, each tier's and
// generic.
func BenchmarkPool(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range []struct {
		name string
		c    convNodeCase
	}{
		{"resnet18/maxpool", poolCase("MaxPool", 12, kerRand(r, 1, 64, 112, 112), kerAttrInts("kernel_shape", 3, 3),
			kerAttrInts("strides", 2, 2), kerAttrInts("pads", 1, 1, 1, 1))},
		{"squeezenet/maxpool1", poolCase("MaxPool", 12, kerRand(r, 1, 64, 111, 111), kerAttrInts("kernel_shape", 3, 3),
			kerAttrInts("strides", 2, 2), kerAttrInt("ceil_mode", 1))},
		{"squeezenet/maxpool2", poolCase("MaxPool", 12, kerRand(r, 1, 128, 55, 55), kerAttrInts("kernel_shape", 3, 3),
			kerAttrInts("strides", 2, 2), kerAttrInt("ceil_mode", 1))},
		{"avgpool3x3", poolCase("AveragePool", 11, kerRand(r, 1, 64, 56, 56), kerAttrInts("kernel_shape", 3, 3),
			kerAttrInts("pads", 1, 1, 1, 1))},
		{"squeezenet/gap", poolCase("GlobalAveragePool", 1, kerRand(r, 1, 1000, 13, 13))},
	} {
		for _, be := range benchBackends(b) {
			b.Run(s.name+"/"+be, func(b *testing.B) {
				k, out := s.c.benchKernel(b, be)
				ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
				b.ReportAllocs()
				for b.Loop() {
					if err := k.Run(ec, s.c.in, out); err != nil {
						b.Fatal(err)
					}
				}
				b.SetBytes(int64(4 * (s.c.in[0].Len() + out[0].Len())))
			})
		}
	}
}

// BenchmarkConvPack measures the activation packer in ns per packed value
// for tiles of each lane mode.
func BenchmarkConvPack(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range []struct {
		name               string
		ow, sh, sw, wp, kb int
	}{
		{"contig/56", 56, 1, 1, 58, 576}, {"contig/14", 14, 1, 1, 16, 576},
		{"even/112", 112, 2, 2, 230, 147}, {"even/111", 111, 2, 2, 225, 27}, {"gather/7", 7, 1, 1, 9, 576},
	} {
		for _, g := range testISAs(b) {
			b.Run(g.Name+"/"+s.name, func(b *testing.B) {
				const nb = 256
				nr := g.NR
				src := gemmRandSlice(r, 8*s.wp*s.wp+64)
				dOff := make([]int32, s.kb)
				for p := range dOff {
					dOff[p] = int32(p / 9 * s.wp * s.wp / 8)
				}
				lanes := make([]convLanes, nb/8)
				groups := convLaneSetup(lanes, 0, nb, nr, s.ow, s.sh, s.sw, s.wp, int(dOff[s.kb-1]), len(src))
				dst := make([]float32, nb*s.kb)
				args := ConvPackArgs{kb: s.kb, groups: groups, subs: nr / 8, rowStride: nr * 4, panelStride: s.kb * nr * 4, subStride: 32}
				for b.Loop() {
					g.convPack(&args, src, dOff, lanes, dst)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(nb*s.kb), "ns/value")
			})
		}
	}
}

// BenchmarkWinoTransforms runs each tier's Winograd input and output
// transforms (bias and Relu) alone over one image of the zoo's Winograd
// shapes, in the driver's blocks; the Go tier is the baseline. Bytes are
// those of V (in) or M (out).
func BenchmarkWinoTransforms(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range convBenchShapes {
		if s.k != 3 || s.s != 1 || s.grp != 1 || !winoSuits(s.hw, s.hw, s.cin, s.cout, 8) {
			continue
		}
		for _, g := range testISAs(b) {
			oh, ow := s.hw, s.hw
			tilesWp := ceil8((ow + 1) / 2)
			tiles := winoTiles(oh, ow, g.NR)
			nt := max(winoBlockBytes, 16*s.cout*s.cin*4/2) / (64 * (s.cin + s.cout)) / g.NR * g.NR
			nt = min(max(nt, g.NR), tiles)
			hp, wp := 2*((tiles+tilesWp-1)/tilesWp)+2, 2*tilesWp+2
			x := gemmRandSlice(r, s.cin*hp*wp)
			v := make([]float32, 16*s.cin*nt)
			m := gemmRandSlice(r, 16*s.cout*nt)
			y := make([]float32, s.cout*oh*ow)
			bias := gemmRandSlice(r, s.cout)
			in, out := &WinoInArgs{}, &WinoOutArgs{} // reused: calls through the table make them escape
			blocks := func(f func(t0, n int)) {
				for t0 := 0; t0 < tiles; t0 += nt {
					f(t0, min(nt, tiles-t0))
				}
			}
			b.Run(fmt.Sprintf("%s/in/%s", s.name, g.Name), func(b *testing.B) {
				b.SetBytes(int64(16 * s.cin * tiles * 4))
				b.ReportAllocs()
				for b.Loop() {
					blocks(func(t0, n int) {
						*in = WinoInArgs{x: &x[0], v: &v[0], cin: s.cin, plane: hp * wp * 4, wp: wp * 4, groups: n / 8,
							th0: t0 / tilesWp, tw0: t0 % tilesWp, tilesWp: tilesWp, vs: s.cin * n * 4, panel: s.cin * g.NR * 4, nr: g.NR}
						g.WinoIn(in)
					})
				}
			})
			b.Run(fmt.Sprintf("%s/out/%s", s.name, g.Name), func(b *testing.B) {
				b.SetBytes(int64(16 * s.cout * tiles * 4))
				b.ReportAllocs()
				for b.Loop() {
					blocks(func(t0, n int) {
						*out = WinoOutArgs{m: &m[0], y: &y[0], bias: &bias[0], cout: s.cout, ms: s.cout * n * 4, ldm: n * 4,
							groups: n / 8, th0: t0 / tilesWp, tw0: t0 % tilesWp, tilesWp: tilesWp, oh: oh, ow: ow,
							ohw4: oh * ow * 4, ow4: ow * 4, flags: winFlagClamp, lo: 0, hi: convInf}
						g.WinoOut(out)
					})
				}
			})
		}
	}
}
