package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ops"
)

// TestElemActivate runs each ISA's activations against ops.Activation's
// reference on lengths around the vector width, with NaN guards, special
// values and arguments over the whole exp range.
func TestElemActivate(t *testing.T) {
	r := rand.New(rand.NewPCG(81, 82))
	inf := float32(math.Inf(1))
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.NaN()), inf, -inf, 6, -3, 3, -6, 87, -87, 88.5, -88.5,
		100, -100, 1e-30, -1e-30, 1e-40, 20, -20, 0.5, -0.5}
	for _, c := range []struct {
		act ops.Activation
		ep  Epilogue
		tol float64
	}{
		{ops.Activation{Kind: ops.ActLeakyRelu, Params: []float32{0.1}}, Epilogue{Act: ActLeakyRelu, ActAlpha: 0.1}, 0},
		{ops.Activation{Kind: ops.ActLeakyRelu, Params: []float32{-2.5}}, Epilogue{Act: ActLeakyRelu, ActAlpha: -2.5}, 0},
		{ops.Activation{Kind: ops.ActHardSwish}, Epilogue{Act: ActHardSwish}, 0},
		{ops.Activation{Kind: ops.ActSigmoid}, Epilogue{Act: ActSigmoid}, 4e-7},
		{ops.Activation{Kind: ops.ActRelu}, Epilogue{Act: ActRelu}, 0},
		{ops.Activation{Kind: ops.ActClip, Params: []float32{-0.5, 2}}, Epilogue{Act: ActClip, Min: -0.5, Max: 2}, 0},
	} {
		for _, g := range testISAs(t) {
			for n := 0; n <= 41; n++ {
				for _, scale := range []float32{1, 8, 100} {
					x, all := gemmGuarded(n, 9)
					for i := range x {
						x[i] = scale * (2*r.Float32() - 1)
						if i%5 == 3 {
							x[i] = special[r.IntN(len(special))]
						}
					}
					want := append([]float32(nil), x...)
					c.act.Apply(want)
					g.activate(x, &c.ep)
					what := fmt.Sprintf("%s %s n=%d", g.Name, c.act.Kind, n)
					if _, ok := gemmGuardWritten(all, 9); ok {
						t.Fatalf("%s: wrote into the guard", what)
					}
					for i := range x {
						v, w := float64(x[i]), float64(want[i])
						if math.IsNaN(w) || math.IsNaN(v) {
							if math.IsNaN(w) != math.IsNaN(v) {
								t.Errorf("%s: f(%g) = %g, want %g", what, want[i], v, w)
							}
							continue
						}
						if v != w && !(math.Abs(v-w) <= c.tol*math.Max(math.Abs(w), 1e-30)+1e-38) {
							t.Errorf("%s: x[%d] = %g, want %g", what, i, v, w)
						}
					}
				}
			}
		}
	}
}

// BenchmarkElemActivate measures the activation passes of each ISA (Go's
// are the loops the assembly replaces), in ns per value.
func BenchmarkElemActivate(b *testing.B) {
	r := rand.New(rand.NewPCG(83, 84))
	x := gemmRandSlice(r, 1<<14)
	for _, ep := range []Epilogue{{Act: ActLeakyRelu, ActAlpha: 0.1}, {Act: ActHardSwish}, {Act: ActSigmoid}} {
		for _, g := range testISAs(b) {
			b.Run(fmt.Sprintf("%d/%s", ep.Act, g.Name), func(b *testing.B) {
				for b.Loop() {
					g.activate(x, &ep)
					for i := range x[:64] {
						x[i] = float32(i%7) - 3 // keep the values from drifting
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(x)), "ns/value")
			})
		}
	}
}
