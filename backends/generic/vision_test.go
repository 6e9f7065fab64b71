package generic

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// visPositive returns a float32 tensor of random values in [0.1, 2.1).
func visPositive(r *rand.Rand, shape ...int) *tensor.Tensor {
	v := make([]float32, nnNumel(shape))
	for i := range v {
		v[i] = 0.1 + 2*r.Float32()
	}
	return tensor.Must(tensor.FromSlice(v, shape...))
}

func TestVisionMaxUnpoolRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	cases := []struct {
		shape           []int
		kernel, strides []int
	}{
		{[]int{2, 3, 4, 6}, []int{2, 2}, []int{2, 2}},
		{[]int{1, 2, 9}, []int{3}, []int{3}},
		{[]int{1, 1, 4, 4, 2}, []int{2, 2, 2}, []int{2, 2, 2}},
		{[]int{1, 2, 6, 6}, []int{3, 2}, []int{3, 2}},
	}
	for _, c := range cases {
		x := visPositive(r, c.shape...)
		pooled := mustEval(t, "MaxPool", 12, 2, []*tensor.Tensor{x}, nnAInts("kernel_shape", c.kernel...), nnAInts("strides", c.strides...))
		p, idx := pooled[0], pooled[1]
		for _, opset := range []int64{9, 11, 22} {
			for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16} {
				y := mustEval(t, "MaxUnpool", opset, 1, []*tensor.Tensor{nnAsType(p, dt), idx},
					nnAInts("kernel_shape", c.kernel...), nnAInts("strides", c.strides...))[0]
				if y.DType() != dt || !tensor.SameShape(y.Shape(), c.shape) {
					t.Fatalf("MaxUnpool %v: got %v%v, want %v%v", c.shape, y.DType(), y.Shape(), dt, c.shape)
				}
				// Each maximum is back at its place; everything else is 0.
				want := make([]float32, nnNumel(c.shape))
				pv := tensor.Data[float32](nnAsType(p, tensor.Float32))
				for j, i := range tensor.Data[int64](idx) {
					want[i] = pv[j]
				}
				nnCheckClose(t, "unpooled", y, nnAsType(nnF32(c.shape, want...), dt), 1e-3, 0)
			}
		}
		// Pooling the unpooled tensor gives the pooled values back.
		y := mustEval(t, "MaxUnpool", 11, 1, []*tensor.Tensor{p, idx}, nnAInts("kernel_shape", c.kernel...), nnAInts("strides", c.strides...))[0]
		again := mustEval(t, "MaxPool", 12, 1, []*tensor.Tensor{y}, nnAInts("kernel_shape", c.kernel...), nnAInts("strides", c.strides...))[0]
		nnCheckClose(t, "re-pooled", again, p, 0, 0)
	}
}

func TestVisionMaxUnpoolShapes(t *testing.T) {
	x := nnF32([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	idx := selInts([]int{1, 1, 2, 2}, 0, 3, 8, 15)
	k := []*ir.Attribute{nnAInts("kernel_shape", 2, 2), nnAInts("strides", 2, 2)}
	y := mustEval(t, "MaxUnpool", 11, 1, []*tensor.Tensor{x, idx}, k...)[0]
	nnCheckClose(t, "4x4", y, nnF32([]int{1, 1, 4, 4}, 1, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 4), 0, 0)
	// output_shape 5x5: each value keeps its (row, column).
	y = mustEval(t, "MaxUnpool", 11, 1, []*tensor.Tensor{x, idx, selInts([]int{4}, 1, 1, 5, 5)}, k...)[0]
	nnCheckClose(t, "5x5", y, nnF32([]int{1, 1, 5, 5},
		1, 0, 0, 2, 0,
		0, 0, 0, 0, 0,
		3, 0, 0, 0, 0,
		0, 0, 0, 4, 0,
		0, 0, 0, 0, 0), 0, 0)
	// output_shape 4x3 holds values in columns 0..2 only.
	y = mustEval(t, "MaxUnpool", 11, 1, []*tensor.Tensor{x, selInts([]int{1, 1, 2, 2}, 0, 2, 8, 10), selInts([]int{4}, 1, 1, 4, 3)}, k...)[0]
	nnCheckClose(t, "4x3", y, nnF32([]int{1, 1, 4, 3}, 1, 0, 2, 0, 0, 0, 3, 0, 4, 0, 0, 0), 0, 0)
	// Pads shrink the output: (2-1)*2 - 2 + 2 = 2.
	y = mustEval(t, "MaxUnpool", 22, 1, []*tensor.Tensor{x, selInts([]int{1, 1, 2, 2}, 3, 2, 1, 0)},
		append(k, nnAInts("pads", 1, 1, 1, 1))...)[0]
	nnCheckClose(t, "pads", y, nnF32([]int{1, 1, 2, 2}, 4, 3, 2, 1), 0, 0)
	// Repeated indices: one of the values lands there, the rest stays 0.
	y = mustEval(t, "MaxUnpool", 11, 1, []*tensor.Tensor{x, selInts([]int{1, 1, 2, 2}, 5, 5, 5, 5)}, k...)[0]
	if got := tensor.Data[float32](y); got[5] == 0 || slices.ContainsFunc(append(append([]float32(nil), got[:5]...), got[6:]...), func(v float32) bool { return v != 0 }) {
		t.Errorf("repeated indices: %v", got)
	}

	for _, c := range []struct {
		name string
		in   []*tensor.Tensor
	}{
		{"index too large", []*tensor.Tensor{x, selInts([]int{1, 1, 2, 2}, 0, 3, 8, 16)}},
		{"negative index", []*tensor.Tensor{x, selInts([]int{1, 1, 2, 2}, 0, -3, 8, 15)}},
		{"indices shape", []*tensor.Tensor{x, selInts([]int{1, 1, 1, 4}, 0, 3, 8, 15)}},
		{"output_shape too small", []*tensor.Tensor{x, idx, selInts([]int{4}, 1, 1, 4, 3)}},
		{"output_shape rank", []*tensor.Tensor{x, idx, selInts([]int{2}, 4, 4)}},
		{"output_shape channels", []*tensor.Tensor{x, idx, selInts([]int{4}, 1, 2, 4, 4)}},
	} {
		_, err := evalNode("", "MaxUnpool", 11, 1, c.in, k...)
		selWantErr(t, "MaxUnpool "+c.name, err)
	}
	_, err := evalNode("", "MaxUnpool", 11, 1, []*tensor.Tensor{x, idx}, nnAInts("kernel_shape", 2))
	selWantErr(t, "MaxUnpool kernel rank", err)
}

// visGridRef is GridSample over 2-D images written from the operator's
// definition the other way round from the kernel: the padding mode is
// applied to the integer pixel indices each interpolation tap reads
// (reflection by repeated mirroring), not to the sampling position.
type visGridRef struct {
	mode, padding string
	align         bool
}

func (g visGridRef) denorm(v float64, size int) float64 {
	if g.align {
		return (v + 1) * float64(size-1) / 2
	}
	return ((v+1)*float64(size) - 1) / 2
}

// pixel returns image[c][i][j] under the padding mode.
func (g visGridRef) pixel(img []float64, h, w, i, j int) float64 {
	fix := func(k, size int) (int, bool) {
		switch g.padding {
		case "zeros":
			return k, k >= 0 && k < size
		case "border":
			return min(max(k, 0), size-1), true
		}
		lo, hi := -0.5, float64(size)-0.5
		if g.align {
			lo, hi = 0, float64(size-1)
		}
		v := float64(k)
		for hi > lo && (v < lo || v > hi) {
			if v < lo {
				v = 2*lo - v
			} else {
				v = 2*hi - v
			}
		}
		if hi <= lo {
			v = 0
		}
		return min(max(int(math.Round(v)), 0), size-1), true
	}
	i, iok := fix(i, h)
	j, jok := fix(j, w)
	if !iok || !jok {
		return 0
	}
	return img[i*w+j]
}

// cubic is the cubic convolution kernel with a = -0.75 at distance d.
func visKeys(d float64) float64 {
	const a = -0.75
	d = math.Abs(d)
	switch {
	case d <= 1:
		return (a+2)*d*d*d - (a+3)*d*d + 1
	case d < 2:
		return a*d*d*d - 5*a*d*d + 8*a*d - 4*a
	}
	return 0
}

func (g visGridRef) sample(img []float64, h, w int, gx, gy float64) float64 {
	x, y := g.denorm(gx, w), g.denorm(gy, h)
	switch g.mode {
	case "nearest":
		return g.pixel(img, h, w, int(math.RoundToEven(y)), int(math.RoundToEven(x)))
	case "linear":
		x0, y0 := math.Floor(x), math.Floor(y)
		s := 0.0
		for dy := range 2 {
			for dx := range 2 {
				wy := 1 - math.Abs(y-(y0+float64(dy)))
				wx := 1 - math.Abs(x-(x0+float64(dx)))
				s += wy * wx * g.pixel(img, h, w, int(y0)+dy, int(x0)+dx)
			}
		}
		return s
	}
	x0, y0 := math.Floor(x), math.Floor(y)
	s := 0.0
	for dy := -1; dy <= 2; dy++ {
		for dx := -1; dx <= 2; dx++ {
			wy := visKeys(y - (y0 + float64(dy)))
			wx := visKeys(x - (x0 + float64(dx)))
			s += wy * wx * g.pixel(img, h, w, int(y0)+dy, int(x0)+dx)
		}
	}
	return s
}

// run samples x [N, C, H, W] at grid [N, Ho, Wo, 2].
func (g visGridRef) run(x []float64, xs []int, grid []float64, gs []int) []float64 {
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	ho, wo := gs[1], gs[2]
	out := make([]float64, n*c*ho*wo)
	for b := range n {
		for ch := range c {
			img := x[(b*c+ch)*h*w:][:h*w]
			for i := range ho {
				for j := range wo {
					p := grid[((b*ho+i)*wo+j)*2:]
					out[((b*c+ch)*ho+i)*wo+j] = g.sample(img, h, w, p[0], p[1])
				}
			}
		}
	}
	return out
}

// visUniform returns a float32 tensor uniform in [lo, hi).
func visUniform(r *rand.Rand, lo, hi float64, shape ...int) *tensor.Tensor {
	v := make([]float32, nnNumel(shape))
	for i := range v {
		v[i] = float32(lo + (hi-lo)*r.Float64())
	}
	return tensor.Must(tensor.FromSlice(v, shape...))
}

func TestVisionGridSample2D(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	names16 := map[string]string{"linear": "bilinear", "nearest": "nearest", "cubic": "bicubic"}
	for _, mode := range []string{"linear", "nearest", "cubic"} {
		for _, padding := range []string{"zeros", "border", "reflection"} {
			for _, align := range []int64{0, 1} {
				for trial := range 3 {
					xs := []int{1 + trial%2, 2, 1 + r.IntN(5), 1 + r.IntN(6)}
					gs := []int{xs[0], 1 + r.IntN(4), 1 + r.IntN(5), 2}
					x := nnRandT(r, xs...)
					grid := visUniform(r, -1.6, 1.6, gs...)
					ref := visGridRef{mode, padding, align == 1}
					want := ref.run(nnF64s(x), xs, nnF64s(grid), gs)
					wantT := nnF32([]int{xs[0], xs[1], gs[1], gs[2]}, selF32s(want)...)
					attrs := []*ir.Attribute{attrStr("padding_mode", padding), attrInt("align_corners", align)}
					what := mode + "/" + padding + "/align " + nnItoa(int(align))
					got := mustEval(t, "GridSample", 16, 1, []*tensor.Tensor{x, grid}, append(attrs, attrStr("mode", names16[mode]))...)[0]
					nnCheckClose(t, "GridSample-16 "+what, got, wantT, 1e-4, 1e-5)
					for _, opset := range []int64{20, 22} {
						got = mustEval(t, "GridSample", opset, 1, []*tensor.Tensor{x, grid}, append(attrs, attrStr("mode", mode))...)[0]
						nnCheckClose(t, "GridSample "+what, got, wantT, 1e-4, 1e-5)
					}
					// float64 throughout, and a float64 grid for float32 data.
					got = mustEval(t, "GridSample", 20, 1, []*tensor.Tensor{nnAsType(x, tensor.Float64), nnAsType(grid, tensor.Float64)}, append(attrs, attrStr("mode", mode))...)[0]
					nnCheckClose(t, "GridSample f64 "+what, got, nnF64T(wantT.Shape(), want), 1e-9, 1e-9)
					got = mustEval(t, "GridSample", 20, 1, []*tensor.Tensor{x, nnAsType(grid, tensor.Float64)}, append(attrs, attrStr("mode", mode))...)[0]
					nnCheckClose(t, "GridSample f64 grid "+what, got, wantT, 1e-4, 1e-5)
				}
			}
		}
	}
}

func TestVisionGridSampleHalfAndInts(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	x := nnRandT(r, 1, 2, 5, 4)
	grid := visUniform(r, -1.2, 1.2, 1, 3, 3, 2)
	for _, dt := range []tensor.DType{tensor.Float16, tensor.BFloat16} {
		xh, gh := nnAsType(x, dt), nnAsType(grid, dt)
		want := visGridRef{"linear", "zeros", false}.run(nnF64s(xh), x.Shape(), nnF64s(gh), grid.Shape())
		got := mustEval(t, "GridSample", 22, 1, []*tensor.Tensor{xh, gh})[0]
		nnCheckClose(t, "GridSample "+dt.String(), got, nnAsType(nnF32([]int{1, 2, 3, 3}, selF32s(want)...), dt), 1e-2, 1e-2)
		// Half grid, float32 image.
		got = mustEval(t, "GridSample", 22, 1, []*tensor.Tensor{x, gh})[0]
		want = visGridRef{"linear", "zeros", false}.run(nnF64s(x), x.Shape(), nnF64s(gh), grid.Shape())
		nnCheckClose(t, "GridSample f32 image, "+dt.String()+" grid", got, nnF32([]int{1, 2, 3, 3}, selF32s(want)...), 1e-4, 1e-5)
	}
	// Integer images: interpolated in float, then cast toward zero.
	xi := selRandSmallInts(r, []int{1, 1, 4, 4}, 200)
	for _, dt := range []tensor.DType{tensor.Uint8, tensor.Int32, tensor.Int64} {
		for _, mode := range []string{"nearest", "bilinear", "bicubic"} {
			want := visGridRef{map[string]string{"bilinear": "linear", "bicubic": "cubic"}[mode], "border", true}
			if mode == "nearest" {
				want.mode = "nearest"
			}
			w := want.run(nnF64s(xi), xi.Shape(), nnF64s(grid), grid.Shape())
			got := mustEval(t, "GridSample", 16, 1, []*tensor.Tensor{selAsDType(xi, dt), grid},
				attrStr("mode", mode), attrStr("padding_mode", "border"), attrInt("align_corners", 1))[0]
			if got.DType() != dt {
				t.Fatalf("GridSample %v: output %v", dt, got.DType())
			}
			gv := nnF64s(got)
			for i, v := range w {
				lo, hi := 0.0, 255.0
				if dt != tensor.Uint8 {
					lo, hi = -1e18, 1e18
				}
				if e := math.Max(lo, math.Min(hi, math.Trunc(v))); gv[i] != e {
					t.Errorf("GridSample %v %s: element %d = %v, want trunc(%v) = %v", dt, mode, i, gv[i], v, e)
				}
			}
		}
	}
}

func TestVisionGridSampleND(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	// Trilinear interpolation reproduces a linear function exactly inside
	// the volume: f(z, y, x) = 1 + 2z - y + 0.5x per channel offset.
	xs := []int{2, 2, 3, 4, 5}
	vol := make([]float64, nnNumel(xs))
	for i := range vol {
		c := nnUnravel(i, xs)
		vol[i] = float64(c[1]) + 1 + 2*float64(c[2]) - float64(c[3]) + 0.5*float64(c[4])
	}
	for _, align := range []int64{0, 1} {
		gs := []int{2, 2, 3, 2, 3}
		grid := make([]float64, nnNumel(gs))
		want := make([]float64, 0)
		var pos [][3]float64
		for i := 0; i < len(grid); i += 3 {
			// Positions well inside: [0, size-1] on each axis.
			var p [3]float64
			for k := range 3 {
				size := xs[4-k]
				u := r.Float64() * float64(size-1)
				p[k] = u
				if align == 1 {
					grid[i+k] = 2*u/float64(size-1) - 1
				} else {
					grid[i+k] = (2*u+1)/float64(size) - 1
				}
			}
			pos = append(pos, p)
		}
		for b := range 2 {
			for c := range 2 {
				for q := range 12 {
					p := pos[b*12+q]
					want = append(want, float64(c)+1+2*p[2]-p[1]+0.5*p[0])
				}
			}
		}
		got := mustEval(t, "GridSample", 20, 1, []*tensor.Tensor{nnF64T(xs, vol), nnF64T(gs, grid)}, attrInt("align_corners", align))[0]
		nnCheckClose(t, "trilinear of a linear function", got, nnF64T([]int{2, 2, 2, 3, 2}, want), 1e-12, 1e-12)
	}
	// A volume of depth 1 with align_corners samples its only plane: 3-D
	// sampling equals 2-D sampling, in every mode and padding; likewise
	// 1-D sampling equals 2-D sampling of a single row.
	for _, mode := range []string{"linear", "nearest", "cubic"} {
		for _, padding := range []string{"zeros", "border", "reflection"} {
			x := nnRandT(r, 1, 2, 4, 5)
			grid2 := visUniform(r, -1.3, 1.3, 1, 3, 2, 2)
			attrs := []*ir.Attribute{attrStr("mode", mode), attrStr("padding_mode", padding), attrInt("align_corners", 1)}
			want := mustEval(t, "GridSample", 20, 1, []*tensor.Tensor{x, grid2}, attrs...)[0]
			x3 := tensor.Must(x.Reshape(1, 2, 1, 4, 5))
			g2 := tensor.Data[float32](grid2)
			g3 := make([]float32, 0, len(g2)/2*3)
			for i := 0; i < len(g2); i += 2 {
				g3 = append(g3, g2[i], g2[i+1], float32(r.Float64()*4-2))
			}
			got := mustEval(t, "GridSample", 20, 1, []*tensor.Tensor{x3, nnF32([]int{1, 1, 3, 2, 3}, g3...)}, attrs...)[0]
			nnCheckClose(t, "3-D of depth 1 "+mode+"/"+padding, got, tensor.Must(want.Reshape(1, 2, 1, 3, 2)), 1e-5, 1e-6)

			row := nnRandT(r, 1, 2, 6)
			g1 := visUniform(r, -1.3, 1.3, 1, 5, 1)
			got = mustEval(t, "GridSample", 22, 1, []*tensor.Tensor{row, g1}, attrs...)[0]
			g1v := tensor.Data[float32](g1)
			g12 := make([]float32, 0, 10)
			for _, v := range g1v {
				g12 = append(g12, v, float32(r.Float64()*2-1))
			}
			want = mustEval(t, "GridSample", 22, 1, []*tensor.Tensor{tensor.Must(row.Reshape(1, 2, 1, 6)), nnF32([]int{1, 1, 5, 2}, g12...)}, attrs...)[0]
			nnCheckClose(t, "1-D "+mode+"/"+padding, got, tensor.Must(want.Reshape(1, 2, 5)), 1e-5, 1e-6)
		}
	}
}

func TestVisionGridSampleEdges(t *testing.T) {
	// Empty outputs and a 1x1 image.
	x := nnF32([]int{1, 1, 1, 1}, 7)
	out := mustEval(t, "GridSample", 16, 1, []*tensor.Tensor{x, tensor.Must(tensor.New(tensor.Float32, 1, 0, 3, 2))})[0]
	if !tensor.SameShape(out.Shape(), []int{1, 1, 0, 3}) {
		t.Errorf("empty grid: output %v", out.Shape())
	}
	g := nnF32([]int{1, 1, 3, 2}, 0, 0, 5, -5, float32(math.NaN()), 0)
	out = mustEval(t, "GridSample", 16, 1, []*tensor.Tensor{x, g}, attrStr("padding_mode", "border"))[0]
	if got := tensor.Data[float32](out); got[0] != 7 || got[1] != 7 {
		t.Errorf("1x1 border: %v", got)
	}
	out = mustEval(t, "GridSample", 16, 1, []*tensor.Tensor{x, g}, attrStr("padding_mode", "reflection"), attrInt("align_corners", 1))[0]
	if got := tensor.Data[float32](out); got[0] != 7 || got[1] != 7 {
		t.Errorf("1x1 reflection: %v", got)
	}
	// Errors: bad attributes, mismatched shapes (also straight to the
	// kernel, bypassing inference).
	x = nnF32([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	g = nnF32([]int{1, 1, 1, 2}, 0, 0)
	for _, attrs := range [][]*ir.Attribute{
		{attrStr("mode", "area")}, {attrStr("padding_mode", "circular")}, {attrInt("align_corners", -1)},
	} {
		_, err := evalNode("", "GridSample", 16, 1, []*tensor.Tensor{x, g}, attrs...)
		selWantErr(t, "GridSample attrs", err)
	}
	_, err := evalNode("", "GridSample", 16, 1, []*tensor.Tensor{x, nnF32([]int{2, 1, 1, 2}, 0, 0, 0, 0)})
	selWantErr(t, "GridSample batch mismatch", err)
	n := &ops.Node{Node: nnNode("GridSample", []bool{true, true}, 1), Schema: ops.LookupSchema("", "GridSample", 20), Opset: 20,
		In: []ops.TypeShape{ops.Unranked(tensor.Float32), ops.Unranked(tensor.Float32)}}
	k, err := visNewGridSample(n)
	if err != nil || k == nil {
		t.Fatalf("factory: %v, %v", k, err)
	}
	for _, gr := range []*tensor.Tensor{nnF32([]int{1, 1, 2}, 0, 0), nnF32([]int{1, 1, 1, 3}, 0, 0, 0), nnF32([]int{2, 1, 1, 2}, 0, 0, 0, 0)} {
		err = k.Run(&ops.ExecContext{Ctx: context.Background(), Threads: 1}, []*tensor.Tensor{x, gr}, make([]*tensor.Tensor, 1))
		selWantErr(t, "GridSample kernel shapes", err)
	}
	// Cubic sampling over 9 spatial dims would read 4^9 taps per output.
	big := make([]int, 11)
	for i := range big {
		big[i] = 1
	}
	gbig := append(append([]int(nil), big[:10]...), 9)
	_, err = evalNode("", "GridSample", 20, 1, []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float32, big...)), tensor.Must(tensor.New(tensor.Float32, gbig...))},
		attrStr("mode", "cubic"))
	selWantErr(t, "GridSample 9-D cubic", err)
	// Strings are a GridSample type the kernels do not interpolate.
	n.In[0] = ops.Unranked(tensor.String)
	if k, err := visNewGridSample(n); k != nil || err != nil {
		t.Errorf("string GridSample: %v, %v; want a decline", k, err)
	}
}

// visLinearMap returns an N x C x H x W map with f_c(y, x) = (c+1)(0.5 + 0.75y
// - 0.25x) per batch entry b shifted by 10b.
func visLinearMap(n, c, h, w int) ([]float32, func(b, ch int, y, x float64) float64) {
	f := func(b, ch int, y, x float64) float64 { return 10*float64(b) + float64(ch+1)*(0.5+0.75*y-0.25*x) }
	v := make([]float32, n*c*h*w)
	for i := range v {
		p := nnUnravel(i, []int{n, c, h, w})
		v[i] = float32(f(p[0], p[1], float64(p[2]), float64(p[3])))
	}
	return v, f
}

func TestVisionRoiAlignLinear(t *testing.T) {
	// Averaging bilinear samples of a linear map gives the map's value at
	// the mean sample position: the bin's center, as long as every sample
	// lies inside the map.
	const n, c, h, w = 2, 3, 12, 10
	data, f := visLinearMap(n, c, h, w)
	x := nnF32([]int{n, c, h, w}, data...)
	r := rand.New(rand.NewPCG(29, 30))
	for _, ctm := range []string{"half_pixel", "output_half_pixel"} {
		for _, scale := range []float32{1, 0.5} {
			for _, sr := range []int64{0, 1, 2, 3} {
				const nr, oh, ow = 4, 3, 2
				rois := make([]float32, 0, nr*4)
				bidx := make([]int64, nr)
				for i := range nr {
					// RoIs in image coordinates that map inside [1, size-2].
					x1 := 1 + r.Float64()*3
					y1 := 1 + r.Float64()*4
					x2 := x1 + 1.5 + r.Float64()*(float64(w-3)-x1-1.5)
					y2 := y1 + 1.5 + r.Float64()*(float64(h-3)-y1-1.5)
					off := 0.0
					if ctm == "half_pixel" {
						off = 0.5
					}
					s := float64(scale)
					rois = append(rois, float32((x1+off)/s), float32((y1+off)/s), float32((x2+off)/s), float32((y2+off)/s))
					bidx[i] = int64(r.IntN(n))
				}
				want := make([]float32, 0, nr*c*oh*ow)
				for i := range nr {
					off := 0.0
					if ctm == "half_pixel" {
						off = 0.5
					}
					s := float64(scale)
					x1, y1 := float64(rois[4*i])*s-off, float64(rois[4*i+1])*s-off
					bw, bh := (float64(rois[4*i+2])*s-off-x1)/ow, (float64(rois[4*i+3])*s-off-y1)/oh
					for ch := range c {
						for ph := range oh {
							for pw := range ow {
								want = append(want, float32(f(int(bidx[i]), ch, y1+(float64(ph)+0.5)*bh, x1+(float64(pw)+0.5)*bw)))
							}
						}
					}
				}
				attrs := []*ir.Attribute{attrStr("coordinate_transformation_mode", ctm), attrFloat("spatial_scale", scale),
					attrInt("sampling_ratio", sr), attrInt("output_height", oh), attrInt("output_width", ow)}
				in := []*tensor.Tensor{x, nnF32([]int{nr, 4}, rois...), selInts([]int{nr}, bidx...)}
				wantT := nnF32([]int{nr, c, oh, ow}, want...)
				for _, opset := range []int64{16, 22} {
					got := mustEval(t, "RoiAlign", opset, 1, in, attrs...)[0]
					nnCheckClose(t, "RoiAlign "+ctm, got, wantT, 1e-4, 1e-4)
				}
				if ctm == "output_half_pixel" {
					// Opset 10 has no coordinate_transformation_mode and
					// behaves as output_half_pixel.
					got := mustEval(t, "RoiAlign", 10, 1, in, attrs[1:]...)[0]
					nnCheckClose(t, "RoiAlign-10", got, wantT, 1e-4, 1e-4)
				}
				got := mustEval(t, "RoiAlign", 16, 1, []*tensor.Tensor{nnAsType(x, tensor.Float64), nnAsType(in[1], tensor.Float64), in[2]}, attrs...)[0]
				nnCheckClose(t, "RoiAlign f64", got, nnAsType(wantT, tensor.Float64), 1e-5, 1e-5)
				got = mustEval(t, "RoiAlign", 22, 1, []*tensor.Tensor{nnAsType(x, tensor.Float16), nnAsType(in[1], tensor.Float16), in[2]}, attrs...)[0]
				if got.DType() != tensor.Float16 {
					t.Fatalf("RoiAlign f16: output %v", got.DType())
				}
				// Loose: the RoIs themselves are rounded to float16.
				nnCheckClose(t, "RoiAlign f16", got, nnAsType(wantT, tensor.Float16), 2e-2, 5e-2)
			}
		}
	}
}

func TestVisionRoiAlignEdges(t *testing.T) {
	const h, w = 6, 5
	ones := make([]float32, 2*h*w)
	for i := range ones {
		ones[i] = 2
	}
	x := nnF32([]int{1, 2, h, w}, ones...)
	bi := selInts([]int{3}, 0, 0, 0)
	// A constant map: RoIs whose samples all fall within one pixel of the
	// map read the constant (positions in [-1, 0) are clamped to 0); a RoI
	// far outside reads 0; output_half_pixel makes a point RoI 1x1.
	rois := nnF32([]int{3, 4}, -0.9, -0.9, 4.9, 5.9, 100, 100, 104, 104, 2, 2, 2, 2)
	out := mustEval(t, "RoiAlign", 16, 1, []*tensor.Tensor{x, rois, bi}, attrStr("coordinate_transformation_mode", "output_half_pixel"),
		attrInt("output_height", 2), attrInt("output_width", 2))[0]
	got := tensor.Data[float32](out)
	for i, v := range got {
		want := float32(2)
		if i/8 == 1 {
			want = 0
		}
		if math.Abs(float64(v-want)) > 1e-6 {
			t.Errorf("constant map: element %d = %v, want %v", i, v, want)
		}
	}
	// Max mode with one sample per bin at pixel centers reads the pixels.
	data, f := visLinearMap(1, 1, h, w)
	lin := nnF32([]int{1, 1, h, w}, data...)
	// half_pixel: RoI [0.5, 0.5, 4.5, 4.5] starts at 0 with bins of 2: the
	// bin centers 1 and 3 are pixel positions.
	out = mustEval(t, "RoiAlign", 16, 1, []*tensor.Tensor{lin, nnF32([]int{1, 4}, 0.5, 0.5, 4.5, 4.5), selInts([]int{1}, 0)},
		attrStr("mode", "max"), attrInt("sampling_ratio", 1), attrInt("output_height", 2), attrInt("output_width", 2))[0]
	want := nnF32([]int{1, 1, 2, 2}, float32(f(0, 0, 1, 1)), float32(f(0, 0, 1, 3)), float32(f(0, 0, 3, 1)), float32(f(0, 0, 3, 3)))
	nnCheckClose(t, "max at pixels", out, want, 1e-6, 1e-6)
	// With more samples, max mode is at least the largest pixel-exact
	// sample and never more than the largest pixel in the bin.
	out = mustEval(t, "RoiAlign", 16, 1, []*tensor.Tensor{lin, nnF32([]int{1, 4}, 0.5, 0.5, 4.5, 4.5), selInts([]int{1}, 0)},
		attrStr("mode", "max"), attrInt("sampling_ratio", 4))[0]
	if v := float64(tensor.Data[float32](out)[0]); v > f(0, 0, 4, 0)+1e-6 || v <= 0 {
		t.Errorf("max over a 4x4 bin: %v (largest pixel %v)", v, f(0, 0, 4, 0))
	}

	// Errors.
	for _, c := range []struct {
		name string
		in   []*tensor.Tensor
	}{
		{"batch index", []*tensor.Tensor{x, nnF32([]int{1, 4}, 0, 0, 1, 1), selInts([]int{1}, 1)}},
		{"negative batch index", []*tensor.Tensor{x, nnF32([]int{1, 4}, 0, 0, 1, 1), selInts([]int{1}, -1)}},
		{"rois width", []*tensor.Tensor{x, nnF32([]int{1, 3}, 0, 0, 1), selInts([]int{1}, 0)}},
		{"count", []*tensor.Tensor{x, nnF32([]int{1, 4}, 0, 0, 1, 1), selInts([]int{2}, 0, 0)}},
		{"huge adaptive RoI", []*tensor.Tensor{x, nnF32([]int{1, 4}, 0, 0, 1e30, 1), selInts([]int{1}, 0)}},
		{"NaN RoI", []*tensor.Tensor{x, nnF32([]int{1, 4}, 0, 0, float32(math.NaN()), 1), selInts([]int{1}, 0)}},
	} {
		_, err := evalNode("", "RoiAlign", 16, 1, c.in)
		selWantErr(t, "RoiAlign "+c.name, err)
	}
	_, err := evalNode("", "RoiAlign", 16, 1, []*tensor.Tensor{x, nnF32([]int{1, 4}, 0, 0, 1, 1), selInts([]int{1}, 0)}, attrStr("mode", "sum"))
	selWantErr(t, "RoiAlign mode", err)
	_, err = evalNode("", "RoiAlign", 16, 1, []*tensor.Tensor{x, nnF32([]int{1, 4}, 0, 0, 1, 1), selInts([]int{1}, 0)}, attrInt("sampling_ratio", 1<<20))
	selWantErr(t, "RoiAlign sampling_ratio", err)
	// No RoIs.
	out = mustEval(t, "RoiAlign", 16, 1, []*tensor.Tensor{x, tensor.Must(tensor.New(tensor.Float32, 0, 4)), tensor.Must(tensor.New(tensor.Int64, 0))})[0]
	if !tensor.SameShape(out.Shape(), []int{0, 2, 1, 1}) {
		t.Errorf("no RoIs: %v", out.Shape())
	}
}

// visNMSNaive is NonMaxSuppression by its definition: per batch and class,
// repeatedly take the best remaining box (highest score, then lowest
// index) whose score passes the threshold, and drop every remaining box
// overlapping it by IoU > iouThr, until maxOut are taken.
func visNMSNaive(boxes, scores []float32, nb, nc, ns int, center bool, maxOut int, iouThr, scoreThr float64) []int64 {
	corners := func(b []float32) (y0, x0, y1, x1 float64) {
		if center {
			return float64(b[1]) - float64(b[3])/2, float64(b[0]) - float64(b[2])/2, float64(b[1]) + float64(b[3])/2, float64(b[0]) + float64(b[2])/2
		}
		return math.Min(float64(b[0]), float64(b[2])), math.Min(float64(b[1]), float64(b[3])), math.Max(float64(b[0]), float64(b[2])), math.Max(float64(b[1]), float64(b[3]))
	}
	iou := func(a, b []float32) float64 {
		ay0, ax0, ay1, ax1 := corners(a)
		by0, bx0, by1, bx1 := corners(b)
		ia := math.Max(0, math.Min(ay1, by1)-math.Max(ay0, by0)) * math.Max(0, math.Min(ax1, bx1)-math.Max(ax0, bx0))
		ua := (ay1-ay0)*(ax1-ax0) + (by1-by0)*(bx1-bx0) - ia
		if (ay1-ay0)*(ax1-ax0) <= 0 || (by1-by0)*(bx1-bx0) <= 0 || ia <= 0 {
			return 0
		}
		return ia / ua
	}
	var out []int64
	for b := range nb {
		for c := range nc {
			alive := make([]bool, ns)
			for i := range alive {
				alive[i] = float64(scores[(b*nc+c)*ns+i]) > scoreThr
			}
			for taken := 0; taken < maxOut; taken++ {
				best := -1
				for i := range ns {
					if alive[i] && (best < 0 || scores[(b*nc+c)*ns+i] > scores[(b*nc+c)*ns+best]) {
						best = i
					}
				}
				if best < 0 {
					break
				}
				out = append(out, int64(b), int64(c), int64(best))
				alive[best] = false
				for i := range ns {
					if alive[i] && iou(boxes[(b*ns+best)*4:][:4], boxes[(b*ns+i)*4:][:4]) > iouThr {
						alive[i] = false
					}
				}
			}
		}
	}
	return out
}

func TestVisionNMSRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for trial := range 80 {
		nb, nc, ns := 1+r.IntN(2), 1+r.IntN(3), r.IntN(12)
		boxes := make([]float32, nb*ns*4)
		for i := range boxes {
			boxes[i] = float32(r.IntN(12)) / 2 // many overlaps, some flipped or empty boxes
		}
		scores := make([]float32, nb*nc*ns)
		for i := range scores {
			scores[i] = float32(r.IntN(8)) / 8 // ties
		}
		center := trial%3 == 0
		maxOut := r.IntN(ns + 2)
		iouThr := []float64{0, 0.1, 0.3, 0.5, 1}[r.IntN(5)]
		scoreThr := []float64{math.Inf(-1), 0, 0.25, 0.5}[r.IntN(4)]
		in := []*tensor.Tensor{nnF32([]int{nb, ns, 4}, boxes...), nnF32([]int{nb, nc, ns}, scores...), selInts(nil, int64(maxOut)),
			tensor.Scalar(float32(iouThr)), nil}
		if !math.IsInf(scoreThr, -1) {
			in[4] = nnF32([]int{1}, float32(scoreThr))
		}
		attrs := []*ir.Attribute{attrInt("center_point_box", int64(map[bool]int{true: 1}[center]))}
		want := visNMSNaive(boxes, scores, nb, nc, ns, center, maxOut, iouThr, scoreThr)
		for _, opset := range []int64{10, 11} {
			got := mustEval(t, "NonMaxSuppression", opset, 1, in, attrs...)[0]
			selWantInts(t, "NMS", got, []int{len(want) / 3, 3}, want...)
		}
	}
}

func TestVisionNMSEdges(t *testing.T) {
	boxes := nnF32([]int{1, 3, 4}, 0, 0, 1, 1, 0, 0.1, 1, 1.1, 0, 5, 1, 6)
	scores := nnF32([]int{1, 1, 3}, 0.9, 0.8, 0.7)
	nms := func(in ...*tensor.Tensor) *tensor.Tensor {
		t.Helper()
		return mustEval(t, "NonMaxSuppression", 11, 1, append([]*tensor.Tensor{boxes, scores}, in...))[0]
	}
	// Without max_output_boxes_per_class (or with 0 or less) nothing is selected.
	selWantInts(t, "2 inputs", nms(), []int{0, 3})
	selWantInts(t, "max 0", nms(selInts(nil, 0)), []int{0, 3})
	selWantInts(t, "max -1", nms(selInts([]int{1}, -1)), []int{0, 3})
	// iou_threshold defaults to 0: any overlap suppresses.
	selWantInts(t, "default iou", nms(selInts(nil, 10)), []int{2, 3}, 0, 0, 0, 0, 0, 2)
	selWantInts(t, "iou 0.9", nms(selInts(nil, 10), tensor.Scalar(float32(0.9))), []int{3, 3}, 0, 0, 0, 0, 0, 1, 0, 0, 2)
	// IoU exactly at the threshold keeps the box: boxes 0 and 1 of
	// [0,0,2,2] and [0,1,2,3] overlap by 1/3.
	eq := nnF32([]int{1, 2, 4}, 0, 0, 2, 2, 0, 1, 2, 3)
	got := mustEval(t, "NonMaxSuppression", 11, 1, []*tensor.Tensor{eq, nnF32([]int{1, 1, 2}, 1, 0.5), selInts(nil, 5), tensor.Scalar(float32(1.0 / 3))})[0]
	selWantInts(t, "IoU at threshold", got, []int{2, 3}, 0, 0, 0, 0, 0, 1)
	// Scores equal to score_threshold are dropped.
	selWantInts(t, "score threshold", nms(selInts(nil, 10), tensor.Scalar(float32(0.9)), tensor.Scalar(float32(0.8))), []int{1, 3}, 0, 0, 0)
	// Empty optional inputs read as absent.
	selWantInts(t, "empty iou", nms(selInts(nil, 10), tensor.Must(tensor.New(tensor.Float32, 0))), []int{2, 3}, 0, 0, 0, 0, 0, 2)
	// No boxes.
	got = mustEval(t, "NonMaxSuppression", 11, 1, []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float32, 2, 0, 4)),
		tensor.Must(tensor.New(tensor.Float32, 2, 3, 0)), selInts(nil, 10)})[0]
	selWantInts(t, "no boxes", got, []int{0, 3})
	// A huge limit allocates nothing more.
	selWantInts(t, "huge max", nms(selInts(nil, math.MaxInt64), tensor.Scalar(float32(0.5))), []int{2, 3}, 0, 0, 0, 0, 0, 2)

	for _, c := range []struct {
		name string
		in   []*tensor.Tensor
	}{
		{"iou above 1", []*tensor.Tensor{boxes, scores, selInts(nil, 1), tensor.Scalar(float32(1.5))}},
		{"iou negative", []*tensor.Tensor{boxes, scores, selInts(nil, 1), tensor.Scalar(float32(-0.1))}},
		{"iou NaN", []*tensor.Tensor{boxes, scores, selInts(nil, 1), tensor.Scalar(float32(math.NaN()))}},
		{"scores shape", []*tensor.Tensor{boxes, nnF32([]int{1, 1, 2}, 1, 2), selInts(nil, 1)}},
	} {
		_, err := evalNode("", "NonMaxSuppression", 11, 1, c.in)
		selWantErr(t, "NMS "+c.name, err)
	}
}
