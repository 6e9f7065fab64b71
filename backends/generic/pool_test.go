package generic

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// nnPoolCase is one pooling configuration.
type nnPoolCase struct {
	op       string // MaxPool, AveragePool, LpPool
	n, c     int
	in, k    []int
	s, d     []int
	pads     []int
	autoPad  string
	ceil     bool
	countPad bool
	colMajor bool
	p        int
}

func (c nnPoolCase) String() string {
	return fmt.Sprintf("%s n%d c%d in%v k%v s%v d%v pads%v %s ceil=%v countPad=%v colMajor=%v p%d",
		c.op, c.n, c.c, c.in, c.k, c.s, c.d, c.pads, c.autoPad, c.ceil, c.countPad, c.colMajor, c.p)
}

func (c nnPoolCase) attrs() []*ir.Attribute {
	a := []*ir.Attribute{nnAInts("kernel_shape", c.k...), nnAInts("strides", c.s...), nnAInts("dilations", c.d...)}
	if c.autoPad != "" {
		a = append(a, attrStr("auto_pad", c.autoPad))
	} else {
		a = append(a, nnAInts("pads", c.pads...))
	}
	if c.ceil {
		a = append(a, attrInt("ceil_mode", 1))
	}
	switch c.op {
	case "AveragePool":
		if c.countPad {
			a = append(a, attrInt("count_include_pad", 1))
		}
	case "MaxPool":
		if c.colMajor {
			a = append(a, attrInt("storage_order", 1))
		}
	case "LpPool":
		a = append(a, attrInt("p", int64(c.p)))
	}
	return a
}

// nnPoolOutGeom computes output sizes and pads from the spec's formulas.
func nnPoolOutGeom(c nnPoolCase) (out, pb, pe []int) {
	r := len(c.in)
	out, pb, pe = make([]int, r), make([]int, r), make([]int, r)
	for i := range r {
		ext := (c.k[i]-1)*c.d[i] + 1
		switch c.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			out[i], pb[i], pe[i] = nnSamePads(c.in[i], ext, c.s[i], c.autoPad == "SAME_UPPER")
		case "VALID":
			out[i] = (c.in[i]-ext)/c.s[i] + 1
		default:
			pb[i], pe[i] = c.pads[i], c.pads[i+r]
			span := c.in[i] + pb[i] + pe[i] - ext
			if c.ceil {
				out[i] = int(math.Ceil(float64(span)/float64(c.s[i]))) + 1
				// Windows starting in the right padding are dropped.
				if (out[i]-1)*c.s[i] >= c.in[i]+pb[i] {
					out[i]--
				}
			} else {
				out[i] = span/c.s[i] + 1
			}
		}
	}
	return out, pb, pe
}

// nnNaivePool pools x straight from the definition, in float64, and
// returns the output shape, values, and MaxPool's indices.
func nnNaivePool(c nnPoolCase, x []float64) ([]int, []float64, []int64) {
	out, pb, pe := nnPoolOutGeom(c)
	xs := append([]int{c.n, c.c}, c.in...)
	ys := append([]int{c.n, c.c}, out...)
	y := make([]float64, nnNumel(ys))
	idx := make([]int64, len(y))
	kn := nnNumel(c.k)
	for yi := range y {
		id := nnUnravel(yi, ys)
		o := id[2:]
		var sum float64
		valid, inPad := 0, 0
		best, bestAt := math.Inf(-1), int64(-1)
		for ki := range kn {
			kk := nnUnravel(ki, c.k)
			pos := make([]int, len(o))
			ok, okPad := true, true
			for d := range o {
				pos[d] = o[d]*c.s[d] - pb[d] + kk[d]*c.d[d]
				ok = ok && pos[d] >= 0 && pos[d] < c.in[d]
				okPad = okPad && pos[d] >= -pb[d] && pos[d] < c.in[d]+pe[d]
			}
			if okPad {
				inPad++
			}
			if !ok {
				continue
			}
			valid++
			v := x[nnRavel(append([]int{id[0], id[1]}, pos...), xs)]
			switch c.op {
			case "MaxPool":
				if bestAt < 0 || v > best {
					best = v
					sp := nnRavel(pos, c.in)
					if c.colMajor {
						sp = 0
						for d := len(pos) - 1; d >= 0; d-- {
							sp = sp*c.in[d] + pos[d]
						}
					}
					bestAt = int64((id[0]*c.c+id[1])*nnNumel(c.in) + sp)
				}
			case "AveragePool":
				sum += v
			case "LpPool":
				sum += math.Pow(math.Abs(v), float64(c.p))
			}
		}
		switch c.op {
		case "MaxPool":
			y[yi], idx[yi] = best, bestAt
		case "AveragePool":
			if c.countPad {
				y[yi] = sum / float64(inPad)
			} else {
				y[yi] = sum / float64(valid)
			}
		case "LpPool":
			y[yi] = math.Pow(sum, 1/float64(c.p))
		}
	}
	return ys, y, idx
}

func nnRandPoolCase(r *rand.Rand, op string) nnPoolCase {
	rank := 1 + r.IntN(3)
	c := nnPoolCase{op: op, n: 1 + r.IntN(2), c: 1 + r.IntN(3), ceil: r.IntN(3) == 0, countPad: r.IntN(2) == 0, colMajor: r.IntN(2) == 0, p: 1 + r.IntN(3)}
	c.pads = make([]int, 2*rank)
	for i := range rank {
		c.k = append(c.k, 1+r.IntN(3))
		c.s = append(c.s, 1+r.IntN(3))
		c.d = append(c.d, 1+r.IntN(2))
		ext := (c.k[i]-1)*c.d[i] + 1
		c.pads[i], c.pads[i+rank] = r.IntN(ext), r.IntN(ext)
		c.in = append(c.in, ext+r.IntN(6))
		if r.IntN(4) == 0 {
			// As small as the padded window allows: some windows may hold
			// padding only (max -Inf with index -1, average NaN).
			c.in[i] = max(1, ext-c.pads[i]-c.pads[i+rank])
		}
	}
	if rank == 3 {
		c.in[0] = min(c.in[0], 5)
	}
	switch r.IntN(6) {
	case 0:
		c.autoPad = "SAME_UPPER"
	case 1:
		c.autoPad = "SAME_LOWER"
	case 2:
		c.autoPad = "VALID"
		for i := range rank {
			c.in[i] = max(c.in[i], (c.k[i]-1)*c.d[i]+1)
		}
	}
	return c
}

func nnRunPoolCase(t *testing.T, r *rand.Rand, c nnPoolCase, dt tensor.DType) {
	t.Helper()
	x := nnRandT(r, append([]int{c.n, c.c}, c.in...)...)
	var xin *tensor.Tensor
	switch dt {
	case tensor.Int8, tensor.Uint8:
		xin = tensor.Must(tensor.New(dt, x.Shape()...))
		for i := range tensor.Data[float32](x) {
			v := r.IntN(10)
			if dt == tensor.Int8 {
				tensor.Data[int8](xin)[i] = int8(v*25 - 128)
			} else {
				tensor.Data[uint8](xin)[i] = uint8(v * 25)
			}
		}
	default:
		xin = nnAsType(x, dt)
	}
	ys, want, idx := nnNaivePool(c, nnF64s(xin))
	nOut := 1
	if c.op == "MaxPool" {
		nOut = 2
	}
	out, err := evalNode("", c.op, 22, nOut, []*tensor.Tensor{xin}, c.attrs()...)
	if err != nil {
		t.Fatalf("%v: %v", c, err)
	}
	rtol, atol := 1e-5, 1e-5
	if dt == tensor.Float16 || dt == tensor.BFloat16 {
		rtol, atol = 1e-2, 1e-2
	}
	if out[0].DType() != dt {
		t.Fatalf("%v: dtype %v, want %v", c, out[0].DType(), dt)
	}
	nnCheckF64(t, c.String(), out[0], ys, want, rtol, atol)
	if c.op == "MaxPool" {
		got := tensor.Data[int64](out[1])
		for i := range idx {
			if got[i] != idx[i] {
				t.Fatalf("%v: index %d = %d, want %d", c, i, got[i], idx[i])
			}
		}
	}
}

func TestNNPoolRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, op := range []string{"MaxPool", "AveragePool", "LpPool"} {
		for range 300 {
			nnRunPoolCase(t, r, nnRandPoolCase(r, op), tensor.Float32)
		}
		for _, dt := range []tensor.DType{tensor.Float64, tensor.Float16, tensor.BFloat16} {
			for range 20 {
				nnRunPoolCase(t, r, nnRandPoolCase(r, op), dt)
			}
		}
	}
	for _, dt := range []tensor.DType{tensor.Int8, tensor.Uint8} {
		for range 50 {
			nnRunPoolCase(t, r, nnRandPoolCase(r, "MaxPool"), dt)
		}
	}
}

func TestNNPoolHandComputed(t *testing.T) {
	x16 := nnF32([]int{1, 1, 4, 4}, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)
	out := mustEval(t, "MaxPool", 12, 2, []*tensor.Tensor{x16}, nnAInts("kernel_shape", 2, 2), nnAInts("strides", 2, 2))
	nnCheckF64(t, "max 2x2", out[0], []int{1, 1, 2, 2}, []float64{6, 8, 14, 16}, 0, 0)
	if got := tensor.Data[int64](out[1]); fmt.Sprint(got) != "[5 7 13 15]" {
		t.Errorf("max 2x2 indices %v, want [5 7 13 15]", got)
	}
	// storage_order 1: the spatial index is h + w*H.
	out = mustEval(t, "MaxPool", 12, 2, []*tensor.Tensor{x16}, nnAInts("kernel_shape", 2, 2), nnAInts("strides", 2, 2), attrInt("storage_order", 1))
	if got := tensor.Data[int64](out[1]); fmt.Sprint(got) != "[5 13 7 15]" {
		t.Errorf("column-major indices %v, want [5 13 7 15]", got)
	}
	// ceil_mode: 3x3 windows, stride 2 on 4x4 -> 2x2, the last windows clipped.
	out = mustEval(t, "MaxPool", 12, 1, []*tensor.Tensor{x16}, nnAInts("kernel_shape", 3, 3), nnAInts("strides", 2, 2), attrInt("ceil_mode", 1))
	nnCheckF64(t, "max ceil", out[0], []int{1, 1, 2, 2}, []float64{11, 12, 15, 16}, 0, 0)
	out = mustEval(t, "AveragePool", 11, 1, []*tensor.Tensor{x16}, nnAInts("kernel_shape", 3, 3), nnAInts("strides", 2, 2), attrInt("ceil_mode", 1))
	nnCheckF64(t, "avg ceil", out[0], []int{1, 1, 2, 2}, []float64{6, 7.5, 12, 13.5}, 0, 0)
	// ceil_mode where the last window would start in the right padding:
	// in 5, k 2, s 2, pads 1+1: floor gives 3, ceil 4, but window 4 starts
	// at 6 - 1 = 5 >= 5, so 3.
	x5 := nnF32([]int{1, 1, 5}, 1, 2, 3, 4, 5)
	out = mustEval(t, "MaxPool", 12, 1, []*tensor.Tensor{x5}, nnAInts("kernel_shape", 2), nnAInts("strides", 2), nnAInts("pads", 1, 1), attrInt("ceil_mode", 1))
	nnCheckF64(t, "ceil start rule", out[0], []int{1, 1, 3}, []float64{1, 3, 5}, 0, 0)
	// count_include_pad.
	x3 := nnF32([]int{1, 1, 3}, 3, 6, 9)
	out = mustEval(t, "AveragePool", 11, 1, []*tensor.Tensor{x3}, nnAInts("kernel_shape", 3), nnAInts("pads", 1, 1))
	nnCheckF64(t, "avg exclude pad", out[0], []int{1, 1, 3}, []float64{4.5, 6, 7.5}, 0, 0)
	out = mustEval(t, "AveragePool", 11, 1, []*tensor.Tensor{x3}, nnAInts("kernel_shape", 3), nnAInts("pads", 1, 1), attrInt("count_include_pad", 1))
	nnCheckF64(t, "avg include pad", out[0], []int{1, 1, 3}, []float64{3, 6, 5}, 0, 0)
	// Dilation 2 (opset 19 AveragePool).
	out = mustEval(t, "AveragePool", 19, 1, []*tensor.Tensor{x5}, nnAInts("kernel_shape", 2), nnAInts("dilations", 2))
	nnCheckF64(t, "avg dilated", out[0], []int{1, 1, 3}, []float64{2, 3, 4}, 0, 0)
	// LpPool p=2 and the opset-1 float p.
	x34 := nnF32([]int{1, 1, 2}, 3, 4)
	out = mustEval(t, "LpPool", 18, 1, []*tensor.Tensor{x34}, nnAInts("kernel_shape", 2))
	nnCheckF64(t, "lp2", out[0], []int{1, 1, 1}, []float64{5}, 1e-6, 0)
	out = mustEval(t, "LpPool", 1, 1, []*tensor.Tensor{x34}, nnAInts("kernel_shape", 2), attrFloat("p", 1))
	nnCheckF64(t, "lp1 (opset 1)", out[0], []int{1, 1, 1}, []float64{7}, 1e-6, 0)
	// Global pools.
	x23 := nnF32([]int{1, 2, 3}, 1, 2, 3, -4, 0, 4)
	out = mustEval(t, "GlobalAveragePool", 1, 1, []*tensor.Tensor{x23})
	nnCheckF64(t, "gavg", out[0], []int{1, 2, 1}, []float64{2, 0}, 1e-6, 0)
	out = mustEval(t, "GlobalMaxPool", 1, 1, []*tensor.Tensor{x23})
	nnCheckF64(t, "gmax", out[0], []int{1, 2, 1}, []float64{3, 4}, 0, 0)
	out = mustEval(t, "GlobalLpPool", 2, 1, []*tensor.Tensor{x23}, attrInt("p", 1))
	nnCheckF64(t, "glp1", out[0], []int{1, 2, 1}, []float64{6, 8}, 1e-6, 0)
	out = mustEval(t, "GlobalLpPool", 22, 1, []*tensor.Tensor{x23})
	nnCheckF64(t, "glp2", out[0], []int{1, 2, 1}, []float64{math.Sqrt(14), math.Sqrt(32)}, 1e-6, 0)
	// NaN wins (as in PyTorch), with its index.
	nan := float32(math.NaN())
	for nOut := 1; nOut <= 2; nOut++ {
		out = mustEval(t, "MaxPool", 12, nOut, []*tensor.Tensor{nnF32([]int{1, 1, 6}, nan, 1, 2, nan, 3, 4)}, nnAInts("kernel_shape", 2), nnAInts("strides", 2))
		if v := tensor.Data[float32](out[0]); !math.IsNaN(float64(v[0])) || !math.IsNaN(float64(v[1])) || v[2] != 4 {
			t.Errorf("max with NaN = %v, want [NaN NaN 4]", v)
		}
		if nOut == 2 {
			if got := tensor.Data[int64](out[1]); fmt.Sprint(got) != "[0 3 5]" {
				t.Errorf("max with NaN: indices %v, want [0 3 5]", got)
			}
		}
	}
	out = mustEval(t, "GlobalMaxPool", 1, 1, []*tensor.Tensor{nnF32([]int{1, 1, 3}, 1, nan, 2)})
	if v := tensor.Data[float32](out[0]); !math.IsNaN(float64(v[0])) {
		t.Errorf("global max with NaN = %v, want NaN", v)
	}
}

func TestNNGlobalPoolRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, shape := range [][]int{{2, 3, 5, 4}, {1, 1, 7}, {2, 2, 2, 3, 2}, {3, 4}} {
		x := nnRandT(r, shape...)
		xv := nnF64s(x)
		planes := shape[0] * shape[1]
		sp := nnNumel(shape[2:])
		ys := append([]int{shape[0], shape[1]}, make([]int, len(shape)-2)...)
		for i := 2; i < len(ys); i++ {
			ys[i] = 1
		}
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16} {
			xin := nnAsType(x, dt)
			xv = nnF64s(xin)
			avg, mx, lp := make([]float64, planes), make([]float64, planes), make([]float64, planes)
			for p := range planes {
				mx[p] = math.Inf(-1)
				for _, v := range xv[p*sp : (p+1)*sp] {
					avg[p] += v / float64(sp)
					mx[p] = math.Max(mx[p], v)
					lp[p] += math.Abs(v * v * v)
				}
				lp[p] = math.Cbrt(lp[p])
			}
			tol := 1e-5
			if dt == tensor.Float16 {
				tol = 2e-3
			}
			nnCheckF64(t, "GlobalAveragePool", mustEval(t, "GlobalAveragePool", 22, 1, []*tensor.Tensor{xin})[0], ys, avg, tol, tol)
			nnCheckF64(t, "GlobalMaxPool", mustEval(t, "GlobalMaxPool", 22, 1, []*tensor.Tensor{xin})[0], ys, mx, tol, tol)
			nnCheckF64(t, "GlobalLpPool", mustEval(t, "GlobalLpPool", 22, 1, []*tensor.Tensor{xin}, attrInt("p", 3))[0], ys, lp, tol, tol)
		}
	}
}

func TestNNPoolErrors(t *testing.T) {
	x := tensor.Must(tensor.New(tensor.Float32, 1, 2, 5, 5))
	cases := []struct {
		name  string
		op    string
		opset int64
		x     *tensor.Tensor
		attrs []*ir.Attribute
	}{
		{"no kernel_shape", "MaxPool", 12, x, nil},
		{"kernel rank", "MaxPool", 12, x, []*ir.Attribute{nnAInts("kernel_shape", 2)}},
		{"kernel larger than input", "MaxPool", 12, x, []*ir.Attribute{nnAInts("kernel_shape", 6, 2)}},
		{"kernel larger than padded input", "AveragePool", 11, x, []*ir.Attribute{nnAInts("kernel_shape", 8, 2), nnAInts("pads", 1, 0, 1, 0)}},
		{"VALID kernel larger", "AveragePool", 11, x, []*ir.Attribute{nnAInts("kernel_shape", 6, 2), attrStr("auto_pad", "VALID")}},
		{"negative pads", "MaxPool", 12, x, []*ir.Attribute{nnAInts("kernel_shape", 2, 2), nnAInts("pads", 0, -1, 0, 0)}},
		{"zero stride", "LpPool", 18, x, []*ir.Attribute{nnAInts("kernel_shape", 2, 2), nnAInts("strides", 1, 0)}},
		{"zero kernel", "MaxPool", 12, x, []*ir.Attribute{nnAInts("kernel_shape", 0, 2)}},
		{"storage_order 2", "MaxPool", 12, x, []*ir.Attribute{nnAInts("kernel_shape", 2, 2), attrInt("storage_order", 2)}},
		{"ceil_mode 2", "MaxPool", 12, x, []*ir.Attribute{nnAInts("kernel_shape", 2, 2), attrInt("ceil_mode", 2)}},
		{"LpPool p 0", "LpPool", 18, x, []*ir.Attribute{nnAInts("kernel_shape", 2, 2), attrInt("p", 0)}},
		{"int8 AveragePool", "AveragePool", 19, tensor.Must(tensor.New(tensor.Int8, 1, 1, 3, 3)), []*ir.Attribute{nnAInts("kernel_shape", 2, 2)}},
		{"int8 MaxPool before 12", "MaxPool", 11, tensor.Must(tensor.New(tensor.Int8, 1, 1, 3, 3)), []*ir.Attribute{nnAInts("kernel_shape", 2, 2)}},
		{"global on rank 1", "GlobalAveragePool", 1, tensor.Must(tensor.New(tensor.Float32, 3)), nil},
		{"GlobalLpPool p -1", "GlobalLpPool", 2, x, []*ir.Attribute{attrInt("p", -1)}},
	}
	for _, c := range cases {
		_, err := evalNode("", c.op, c.opset, 1, []*tensor.Tensor{c.x}, c.attrs...)
		t.Logf("%s: %v", c.name, err)
		if err == nil {
			t.Errorf("%s: no error", c.name)
		} else if !errors.Is(err, ops.ErrInvalidNode) && !errors.Is(err, ops.ErrShapeMismatch) {
			t.Errorf("%s: error %v wraps neither ErrInvalidNode nor ErrShapeMismatch", c.name, err)
		}
	}
}

func BenchmarkNNPool(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x := nnRandT(r, 1, 64, 112, 112)
	for _, op := range []string{"MaxPool", "AveragePool"} {
		b.Run("generic/"+op+"_3x3s2", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := evalNode("", op, 19, 1, []*tensor.Tensor{x}, nnAInts("kernel_shape", 3, 3), nnAInts("strides", 2, 2), nnAInts("pads", 1, 1, 1, 1)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
