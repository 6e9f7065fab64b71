package generic

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// rszCase is one Resize configuration for the naive implementation.
type rszCase struct {
	mode, coord, nearest string
	cubicA               float64
	exclude, antialias   bool
	extrap               float64
	roi                  []float64 // per axis start..., end...
}

// rszNaiveCoord is the spec's coordinate transformation, written out again.
func rszNaiveCoord(c rszCase, j, in, out, ax, rank int, scale float64) float64 {
	x := float64(j)
	lenResized := scale * float64(in)
	switch c.coord {
	case "asymmetric":
		return x / scale
	case "align_corners":
		if lenResized == 1 {
			return 0
		}
		return x * float64(in-1) / (lenResized - 1)
	case "pytorch_half_pixel":
		if lenResized <= 1 {
			return 0
		}
	case "half_pixel_symmetric":
		off := float64(in) / 2 * (1 - float64(out)/lenResized)
		return off + (x+0.5)/scale - 0.5
	case "tf_half_pixel_for_nn":
		return (x + 0.5) / scale
	case "tf_crop_and_resize":
		s, e := c.roi[ax], c.roi[rank+ax]
		if out == 1 {
			return 0.5 * (s + e) * float64(in-1)
		}
		return s*float64(in-1) + x*(e-s)*float64(in-1)/float64(out-1)
	}
	return (x+0.5)/scale - 0.5
}

// rszNaive1D interpolates values (one per input index along an axis) at
// input coordinate xo the way the ONNX reference implementation does: the
// n nearest indices of the edge-padded axis, weighted by the kernel.
func rszNaive1D(c rszCase, value func(i int) float64, in int, xo, scale float64) float64 {
	if c.coord == "tf_crop_and_resize" && (xo < 0 || xo > float64(in-1)) {
		return c.extrap
	}
	if c.mode == "nearest" {
		var r float64
		f := math.Floor(xo)
		switch c.nearest {
		case "round_prefer_ceil":
			r = math.Floor(xo + 0.5)
		case "floor":
			r = f
		case "ceil":
			r = math.Ceil(xo)
		case "simple":
			r = f
			if scale < 1 {
				r = math.Ceil(xo)
			}
		default:
			r = math.Ceil(xo - 0.5)
		}
		return value(int(min(max(r, 0), float64(in-1))))
	}
	ratio := xo - math.Floor(xo)
	if ratio == 0 {
		ratio = 1
	}
	s := 1.0
	if c.antialias && scale < 1 {
		s = scale
	}
	support := 1.0
	if c.mode == "cubic" {
		support = 2
	}
	start := int(math.Floor(-support/s)) + 1
	n := 2 - 2*start
	var coeffs []float64
	for i := start; i < start+n; i++ {
		d := math.Abs(float64(i)-ratio) * s
		if c.mode == "linear" {
			coeffs = append(coeffs, max(0, 1-d))
			continue
		}
		a := c.cubicA
		switch {
		case d <= 1:
			coeffs = append(coeffs, (a+2)*d*d*d-(a+3)*d*d+1)
		case d < 2:
			coeffs = append(coeffs, a*d*d*d-5*a*d*d+8*a*d-4*a)
		default:
			coeffs = append(coeffs, 0)
		}
	}
	// The n indices nearest to xo in the padded axis, ascending.
	pad := (n + 1) / 2
	var cand []int
	for i := -pad; i < in+pad; i++ {
		cand = append(cand, i)
	}
	sort.SliceStable(cand, func(a, b int) bool {
		da, db := math.Abs(xo-float64(cand[a])), math.Abs(xo-float64(cand[b]))
		return da < db || (da == db && cand[a] < cand[b])
	})
	idx := cand[:n]
	sort.Ints(idx)
	var sum float64
	for i := range coeffs {
		if c.exclude && (idx[i] < 0 || idx[i] >= in) {
			coeffs[i] = 0
		}
		sum += coeffs[i]
	}
	var v float64
	for i, w := range coeffs {
		if c.antialias || c.exclude {
			w /= sum
		}
		v += w * value(min(max(idx[i], 0), in-1))
	}
	return v
}

// rszNaive resizes x by recursive 1-D interpolation over the axes, outer
// first, for every output element independently.
func rszNaive(c rszCase, x []float64, shape, out []int, scales []float64) []float64 {
	rank := len(shape)
	st := tensor.Strides(shape)
	n, _ := tensor.NumElements(out)
	y := make([]float64, n)
	oidx := make([]int, rank)
	var at func(d, base int) float64
	at = func(d, base int) float64 {
		if d == rank {
			return x[base]
		}
		xo := rszNaiveCoord(c, oidx[d], shape[d], out[d], d, rank, scales[d])
		return rszNaive1D(c, func(i int) float64 { return at(d+1, base+i*st[d]) }, shape[d], xo, scales[d])
	}
	for i := range y {
		rem := i
		for d := rank - 1; d >= 0; d-- {
			oidx[d] = rem % out[d]
			rem /= out[d]
		}
		y[i] = at(0, 0)
	}
	return y
}

// TestRszAgainstNaive sweeps modes, coordinate modes, scales and sizes on
// random inputs against rszNaive.
func TestRszAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	coords := []string{"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel",
		"tf_crop_and_resize", "half_pixel_symmetric", "tf_half_pixel_for_nn"}
	nearests := []string{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}
	scaleChoices := []float32{0.5, 0.6, 0.8, 1, 1.5, 2, 2.5, 3}
	for trial := range 400 {
		rank := 1 + r.Intn(4)
		shape := make([]int, rank)
		for d := range shape {
			shape[d] = 1 + r.Intn(5)
		}
		c := rszCase{
			mode:    []string{"nearest", "linear", "cubic"}[r.Intn(3)],
			coord:   coords[r.Intn(len(coords))],
			nearest: nearests[r.Intn(len(nearests))],
			cubicA:  []float64{-0.75, -0.5}[r.Intn(2)],
			exclude: r.Intn(3) == 0, antialias: r.Intn(3) == 0,
			extrap: 7,
		}
		if c.coord == "tf_half_pixel_for_nn" && c.mode != "nearest" {
			c.coord = "half_pixel"
		}
		x := redRandF32(r, shape...)
		x64, _ := x.Float64s()
		attrs := []*ir.Attribute{
			attrStr("mode", c.mode), attrStr("coordinate_transformation_mode", c.coord),
			attrStr("nearest_mode", c.nearest), attrFloat("cubic_coeff_a", float32(c.cubicA)),
			attrInt("exclude_outside", map[bool]int64{true: 1}[c.exclude]),
			attrInt("antialias", map[bool]int64{true: 1}[c.antialias]),
			attrFloat("extrapolation_value", float32(c.extrap)),
		}
		in := []*tensor.Tensor{x, nil, nil, nil}
		if c.coord == "tf_crop_and_resize" {
			roi := make([]float32, 2*rank)
			for d := range rank {
				roi[d], roi[rank+d] = float32(r.Float64()*0.6-0.2), float32(0.5+r.Float64()*0.7)
				c.roi = append(c.roi, 0)
			}
			c.roi = append(c.roi, make([]float64, rank)...)
			for i, v := range roi {
				c.roi[i] = float64(v)
			}
			in[1] = redF32([]int{2 * rank}, roi...)
		}
		out := make([]int, rank)
		scales := make([]float64, rank)
		if r.Intn(2) == 0 {
			sc := make([]float32, rank)
			for d := range rank {
				sc[d] = scaleChoices[r.Intn(len(scaleChoices))]
				out[d] = int(math.Floor(float64(float32(shape[d]) * sc[d])))
				scales[d] = float64(sc[d])
			}
			in[2] = redF32([]int{rank}, sc...)
		} else {
			sz := make([]int64, rank)
			for d := range rank {
				out[d] = 1 + r.Intn(7)
				sz[d] = int64(out[d])
				scales[d] = float64(out[d]) / float64(shape[d])
			}
			in[3] = redI64(sz...)
		}
		what := fmt.Sprintf("trial %d: %v -> %v %+v", trial, shape, out, c)
		got, err := evalNode("", "Resize", 19, 1, in, attrs...)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		redCheck(t, what, got[0], out, rszNaive(c, x64, shape, out, scales), 1e-5)
	}
}

// TestRszHandComputed checks small cases worked out by hand, across the
// versions of Resize and Upsample.
func TestRszHandComputed(t *testing.T) {
	row := redF32([]int{2}, 0, 10)
	sq := redF32([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	five := redF32([]int{5}, 0, 1, 2, 3, 4)
	cases := []struct {
		name      string
		op        string
		opset     int64
		in        []*tensor.Tensor
		attrs     []*ir.Attribute
		wantShape []int
		want      []float64
	}{
		{"nearest half_pixel", "Resize", 13, []*tensor.Tensor{sq, nil, redF32([]int{4}, 1, 1, 2, 2)}, nil,
			[]int{1, 1, 4, 4}, []float64{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}},
		{"linear half_pixel", "Resize", 13, []*tensor.Tensor{row, nil, redF32([]int{1}, 2)},
			[]*ir.Attribute{attrStr("mode", "linear")}, []int{4}, []float64{0, 2.5, 7.5, 10}},
		{"linear asymmetric", "Resize", 11, []*tensor.Tensor{row, redF32([]int{0}), redF32([]int{1}, 2)},
			[]*ir.Attribute{attrStr("mode", "linear"), attrStr("coordinate_transformation_mode", "asymmetric")},
			[]int{4}, []float64{0, 5, 10, 10}},
		{"linear align_corners sizes", "Resize", 13, []*tensor.Tensor{row, nil, nil, redI64(3)},
			[]*ir.Attribute{attrStr("mode", "linear"), attrStr("coordinate_transformation_mode", "align_corners")},
			[]int{3}, []float64{0, 5, 10}},
		{"opset 11 empty scales with sizes", "Resize", 11, []*tensor.Tensor{row, redF32([]int{0}), redF32([]int{0}), redI64(1)},
			[]*ir.Attribute{attrStr("mode", "linear")}, []int{1}, []float64{5}},
		// Resize-10 and Upsample: x/scale, truncated; Resize-10 rounds up when shrinking.
		{"resize-10 nearest down", "Resize", 10, []*tensor.Tensor{five, redF32([]int{1}, 0.6)}, nil, []int{3}, []float64{0, 2, 4}},
		{"resize-10 linear up", "Resize", 10, []*tensor.Tensor{row, redF32([]int{1}, 2)},
			[]*ir.Attribute{attrStr("mode", "linear")}, []int{4}, []float64{0, 5, 10, 10}},
		{"upsample-9 nearest", "Upsample", 9, []*tensor.Tensor{sq, redF32([]int{4}, 1, 1, 2, 3)}, nil, []int{1, 1, 4, 6},
			[]float64{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}},
		{"upsample-7 attr", "Upsample", 7, []*tensor.Tensor{row},
			[]*ir.Attribute{attrStr("mode", "linear"), {Name: "scales", Type: ir.AttrFloats, Floats: []float32{2}}},
			[]int{4}, []float64{0, 5, 10, 10}},
		// Opset 18: axes and keep_aspect_ratio_policy (2x4 image, box 4x4).
		{"axes not_larger", "Resize", 18, []*tensor.Tensor{redF32([]int{1, 2, 4}, 1, 2, 3, 4, 5, 6, 7, 8), nil, nil, redI64(4, 4)},
			[]*ir.Attribute{attrInts("axes", 1, 2), attrStr("keep_aspect_ratio_policy", "not_larger")},
			[]int{1, 2, 4}, []float64{1, 2, 3, 4, 5, 6, 7, 8}},
		{"axes not_smaller", "Resize", 18, []*tensor.Tensor{redF32([]int{1, 2, 1}, 1, 2), nil, nil, redI64(3, 3)},
			[]*ir.Attribute{attrInts("axes", -2, -1), attrStr("keep_aspect_ratio_policy", "not_smaller")},
			[]int{1, 6, 3}, []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2}},
		{"axes scales", "Resize", 18, []*tensor.Tensor{redF32([]int{2, 2}, 1, 2, 3, 4), nil, redF32([]int{1}, 2)},
			[]*ir.Attribute{attrInts("axes", 1)}, []int{2, 4}, []float64{1, 1, 2, 2, 3, 3, 4, 4}},
		// tf_crop_and_resize: roi [0.5, 1.5] of [0, 10] with 3 outputs: 5, 10, out of range.
		{"crop extrapolation", "Resize", 13, []*tensor.Tensor{row, redF32([]int{2}, 0.5, 1.5), nil, redI64(3)},
			[]*ir.Attribute{attrStr("mode", "linear"), attrStr("coordinate_transformation_mode", "tf_crop_and_resize"),
				attrFloat("extrapolation_value", -1)}, []int{3}, []float64{5, 10, -1}},
		// A no-op resize returns the input.
		{"identity", "Resize", 13, []*tensor.Tensor{sq, nil, redF32([]int{4}, 1, 1, 1, 1)},
			[]*ir.Attribute{attrStr("mode", "cubic")}, []int{1, 1, 2, 2}, []float64{1, 2, 3, 4}},
		// Shrinking to nothing.
		{"to empty", "Resize", 13, []*tensor.Tensor{row, nil, redF32([]int{1}, 0.4)}, nil, []int{0}, []float64{}},
	}
	for _, c := range cases {
		got, err := evalNode("", c.op, c.opset, 1, c.in, c.attrs...)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		redCheck(t, c.name, got[0], c.wantShape, c.want, 1e-5)
	}
}

// TestRszDTypes resizes integers (rounded, saturated), halves, and, with
// nearest, types without arithmetic.
func TestRszDTypes(t *testing.T) {
	up := []*ir.Attribute{attrStr("mode", "linear"), attrStr("coordinate_transformation_mode", "asymmetric")}
	sc := redF32([]int{1}, 4)
	got, err := evalNode("", "Resize", 13, 1, []*tensor.Tensor{tensor.Must(tensor.FromSlice([]uint8{0, 255}, 2)), nil, sc}, up...)
	if err != nil {
		t.Fatal(err)
	}
	// 0, 63.75, 127.5, 191.25, 255...
	redCheck(t, "uint8 linear", got[0], []int{8}, []float64{0, 64, 128, 191, 255, 255, 255, 255}, 0)
	got, err = evalNode("", "Resize", 13, 1, []*tensor.Tensor{tensor.Must(tensor.FromSlice([]int8{-128, 127}, 2)), nil, nil, redI64(3)},
		attrStr("mode", "cubic"), attrStr("coordinate_transformation_mode", "align_corners"))
	if err != nil {
		t.Fatal(err)
	}
	if d := tensor.Data[int8](got[0]); d[0] != -128 || d[2] != 127 {
		t.Errorf("int8 cubic: %v", d)
	}
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float16, tensor.BFloat16, tensor.Int32, tensor.Int64} {
		got, err := evalNode("", "Resize", 13, 1, []*tensor.Tensor{redFromF64(dt, []int{2}, []float64{0, 8}), nil, sc}, up...)
		if err != nil {
			t.Fatalf("%v: %v", dt, err)
		}
		redCheck(t, dt.String(), got[0], []int{8}, []float64{0, 2, 4, 6, 8, 8, 8, 8}, 0)
	}
	b := tensor.Must(tensor.FromSlice([]bool{true, false}, 2))
	got, err = evalNode("", "Resize", 13, 1, []*tensor.Tensor{b, nil, redF32([]int{1}, 2)})
	if err != nil {
		t.Fatal(err)
	}
	if d := tensor.Data[bool](got[0]); len(d) != 4 || !d[0] || !d[1] || d[2] || d[3] {
		t.Errorf("bool nearest: %v", d)
	}
	s := tensor.Must(tensor.FromSlice([]string{"a", "b"}, 2))
	got, err = evalNode("", "Resize", 13, 1, []*tensor.Tensor{s, nil, nil, redI64(3)}, attrStr("nearest_mode", "floor"))
	if err != nil {
		t.Fatal(err)
	}
	if d := tensor.Data[string](got[0]); fmt.Sprint(d) != "[a a b]" {
		t.Errorf("string nearest: %v", d)
	}
	if _, err := evalNode("", "Resize", 13, 1, []*tensor.Tensor{b, nil, sc}, up...); !errors.Is(err, ops.ErrInvalidNode) {
		t.Errorf("linear bool: err = %v, want ErrInvalidNode", err)
	}
}

// TestRszErrors checks that invalid nodes and inputs are errors, not panics.
func TestRszErrors(t *testing.T) {
	x := redF32([]int{1, 2}, 1, 2)
	sc := redF32([]int{2}, 1, 2)
	sz := redI64(1, 4)
	cases := []struct {
		name  string
		op    string
		opset int64
		in    []*tensor.Tensor
		attrs []*ir.Attribute
	}{
		{"scales and sizes", "Resize", 13, []*tensor.Tensor{x, nil, sc, sz}, nil},
		{"neither", "Resize", 13, []*tensor.Tensor{x}, nil},
		{"neither, empty", "Resize", 11, []*tensor.Tensor{x, redF32([]int{0}), redF32([]int{0})}, nil},
		{"scales length", "Resize", 13, []*tensor.Tensor{x, nil, redF32([]int{1}, 2)}, nil},
		{"sizes length", "Resize", 13, []*tensor.Tensor{x, nil, nil, redI64(3)}, nil},
		{"negative scale", "Resize", 13, []*tensor.Tensor{x, nil, redF32([]int{2}, 1, -2)}, nil},
		{"NaN scale", "Resize", 13, []*tensor.Tensor{x, nil, redF32([]int{2}, 1, float32(math.NaN()))}, nil},
		{"huge scale", "Resize", 13, []*tensor.Tensor{x, nil, redF32([]int{2}, 1e30, 1e30)}, nil},
		{"huge sizes", "Resize", 13, []*tensor.Tensor{x, nil, nil, redI64(1<<40, 1<<40)}, nil},
		{"negative size", "Resize", 13, []*tensor.Tensor{x, nil, nil, redI64(1, -4)}, nil},
		{"int sizes", "Resize", 13, []*tensor.Tensor{x, nil, nil, tensor.Must(tensor.FromSlice([]int32{1, 4}, 2))}, nil},
		{"bad mode", "Resize", 13, []*tensor.Tensor{x, nil, sc}, []*ir.Attribute{attrStr("mode", "area")}},
		{"bad coord mode", "Resize", 13, []*tensor.Tensor{x, nil, sc}, []*ir.Attribute{attrStr("coordinate_transformation_mode", "middle")}},
		{"symmetric before 19", "Resize", 18, []*tensor.Tensor{x, nil, sc}, []*ir.Attribute{attrStr("coordinate_transformation_mode", "half_pixel_symmetric")}},
		{"bad nearest mode", "Resize", 13, []*tensor.Tensor{x, nil, sc}, []*ir.Attribute{attrStr("nearest_mode", "round")}},
		{"bad policy", "Resize", 18, []*tensor.Tensor{x, nil, nil, sz}, []*ir.Attribute{attrStr("keep_aspect_ratio_policy", "fit")}},
		{"bad axes", "Resize", 18, []*tensor.Tensor{x, nil, redF32([]int{1}, 2)}, []*ir.Attribute{attrInts("axes", 2)}},
		{"repeated axes", "Resize", 18, []*tensor.Tensor{x, nil, sc}, []*ir.Attribute{attrInts("axes", 1, -1)}},
		{"roi length", "Resize", 13, []*tensor.Tensor{x, redF32([]int{2}, 0, 1), nil, sz},
			[]*ir.Attribute{attrStr("coordinate_transformation_mode", "tf_crop_and_resize")}},
		{"cubic in resize-10", "Resize", 10, []*tensor.Tensor{x, sc}, []*ir.Attribute{attrStr("mode", "cubic")}},
		{"upsample shrinks", "Upsample", 9, []*tensor.Tensor{x, redF32([]int{2}, 1, 0.5)}, nil},
		{"empty axis to non-empty", "Resize", 13, []*tensor.Tensor{redF32([]int{0}), nil, nil, redI64(3)}, nil},
	}
	for _, c := range cases {
		_, err := evalNode("", c.op, c.opset, 1, c.in, c.attrs...)
		if !errors.Is(err, ops.ErrInvalidNode) && !errors.Is(err, ops.ErrShapeMismatch) && !errors.Is(err, tensor.ErrShape) {
			t.Errorf("%s: err = %v, want ErrInvalidNode, ErrShapeMismatch or tensor.ErrShape", c.name, err)
		}
	}
}

func BenchmarkRszBilinear(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	x := redRandF32(r, 1, 32, 64, 64)
	for _, mode := range []string{"nearest", "linear", "cubic"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := evalNode("", "Resize", 13, 1, []*tensor.Tensor{x, nil, redF32([]int{4}, 1, 1, 2, 2)},
					attrStr("mode", mode)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
