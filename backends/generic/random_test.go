package generic

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// rndStats returns the mean and (population) variance of t's elements.
func rndStats(t *testing.T, x *tensor.Tensor) (mean, variance float64) {
	t.Helper()
	v, err := x.Float64s()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range v {
		mean += e
	}
	mean /= float64(len(v))
	for _, e := range v {
		variance += (e - mean) * (e - mean)
	}
	return mean, variance / float64(len(v))
}

// rndWithin fails unless |got-want| <= tol.
func rndWithin(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.5g, want %.5g ± %.3g", what, got, want, tol)
	}
}

func TestRndUniformDistribution(t *testing.T) {
	const n = 200000
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16} {
		for _, lh := range [][2]float32{{0, 1}, {-3, 5}, {2, 2.5}} {
			lo, hi := float64(lh[0]), float64(lh[1])
			what := fmt.Sprintf("%v [%v, %v)", dt, lo, hi)
			out, err := evalNode("", "RandomUniform", 22, 1, nil, attrInts("shape", 400, n/400), attrInt("dtype", int64(dt)),
				attrFloat("low", lh[0]), attrFloat("high", lh[1]), attrFloat("seed", 3))
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			y := out[0]
			if y.DType() != dt || !tensor.SameShape(y.Shape(), []int{400, n / 400}) {
				t.Fatalf("%s: got %v%v", what, y.DType(), y.Shape())
			}
			v, _ := y.Float64s()
			maxV := hi
			if dt == tensor.Float16 || dt == tensor.BFloat16 {
				maxV = hi + 0.02*math.Abs(hi) // rounding may reach high
			}
			for _, e := range v {
				if e < lo || e > maxV || (e == hi && maxV == hi) {
					t.Fatalf("%s: value %v out of range", what, e)
				}
			}
			// The mean of n uniforms has standard deviation w/sqrt(12n).
			w := hi - lo
			mean, variance := rndStats(t, y)
			tolM := 6*w/math.Sqrt(12*n) + 0.01*w*boolF(dt == tensor.BFloat16)
			rndWithin(t, what+" mean", mean, (lo+hi)/2, tolM)
			rndWithin(t, what+" variance", variance, w*w/12, 0.02*w*w/12+0.02*w*w*boolF(dt == tensor.BFloat16))
		}
	}
}

func boolF(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestRndNormalDistribution(t *testing.T) {
	const n = 200000
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16} {
		for _, ms := range [][2]float32{{0, 1}, {10, 0.5}, {-2, 3}} {
			what := fmt.Sprintf("%v N(%v, %v²)", dt, ms[0], ms[1])
			out, err := evalNode("", "RandomNormal", 1, 1, nil, attrInts("shape", n), attrInt("dtype", int64(dt)),
				attrFloat("mean", ms[0]), attrFloat("scale", ms[1]), attrFloat("seed", 11))
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			mean, variance := rndStats(t, out[0])
			s := float64(ms[1])
			tol := 6 * s / math.Sqrt(n)
			if dt == tensor.Float16 {
				tol += 0.005 * math.Abs(float64(ms[0]))
			}
			rndWithin(t, what+" mean", mean, float64(ms[0]), tol)
			// The sample variance has standard deviation about s²·sqrt(2/n).
			rndWithin(t, what+" variance", variance, s*s, 6*s*s*math.Sqrt(2.0/n)+0.01*s*s)
			// About 68.3% within one standard deviation.
			v, _ := out[0].Float64s()
			in1 := 0
			for _, e := range v {
				if math.Abs(e-float64(ms[0])) <= s {
					in1++
				}
			}
			rndWithin(t, what+" P(|x-mean| <= scale)", float64(in1)/n, 0.6827, 0.01)
		}
	}
}

func TestRndSeeds(t *testing.T) {
	draw := func(attrs ...*ir.Attribute) []float32 {
		t.Helper()
		out, err := evalNode("", "RandomNormal", 22, 1, nil, append(attrs, attrInts("shape", 2, 8))...)
		if err != nil {
			t.Fatal(err)
		}
		return tensor.Data[float32](out[0])
	}
	same := func(a, b []float32) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	if a, b := draw(attrFloat("seed", 1.5)), draw(attrFloat("seed", 1.5)); !same(a, b) {
		t.Errorf("same seed, different values: %v %v", a, b)
	}
	if a, b := draw(attrFloat("seed", 1.5)), draw(attrFloat("seed", 2.5)); same(a, b) {
		t.Errorf("different seeds, same values: %v", a)
	}
	if a, b := draw(), draw(); same(a, b) {
		t.Errorf("unseeded runs gave the same values: %v", a)
	}
}

func TestRndLike(t *testing.T) {
	x := tensor.Must(tensor.New(tensor.Float64, 3, 0, 2))
	for _, op := range []string{"RandomUniformLike", "RandomNormalLike"} {
		out, err := evalNode("", op, 1, 1, []*tensor.Tensor{x})
		if err != nil {
			t.Fatal(err)
		}
		if y := out[0]; y.DType() != tensor.Float64 || !tensor.SameShape(y.Shape(), []int{3, 0, 2}) {
			t.Errorf("%s: got %v%v", op, y.DType(), y.Shape())
		}
		// dtype given: any input type will do.
		xi := w2dT([]int64{1, 2, 3, 4, 5, 6}, 2, 3)
		out, err = evalNode("", op, 22, 1, []*tensor.Tensor{xi}, attrInt("dtype", int64(tensor.BFloat16)), attrFloat("seed", 0))
		if err != nil {
			t.Fatal(err)
		}
		if y := out[0]; y.DType() != tensor.BFloat16 || !tensor.SameShape(y.Shape(), []int{2, 3}) {
			t.Errorf("%s: got %v%v", op, y.DType(), y.Shape())
		}
		// An integer input without dtype, and bfloat16 before opset 22.
		if _, err := evalNode("", op, 22, 1, []*tensor.Tensor{xi}); !errors.Is(err, ops.ErrInvalidNode) {
			t.Errorf("%s on int64 without dtype: err = %v", op, err)
		}
		if _, err := evalNode("", op, 21, 1, []*tensor.Tensor{xi}, attrInt("dtype", int64(tensor.BFloat16))); !errors.Is(err, ops.ErrInvalidNode) {
			t.Errorf("%s bfloat16 at opset 21: err = %v", op, err)
		}
	}
	// Scalars.
	out, err := evalNode("", "RandomUniformLike", 22, 1, []*tensor.Tensor{tensor.Scalar(float32(0))}, attrFloat("low", 5), attrFloat("high", 6))
	if err != nil {
		t.Fatal(err)
	}
	if y := tensor.Data[float32](out[0]); out[0].Rank() != 0 || y[0] < 5 || y[0] >= 6 {
		t.Errorf("scalar: %v", out[0])
	}
}

func TestRndErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		op    string
		attrs []*ir.Attribute
	}{
		{"no shape", "RandomUniform", nil},
		{"negative dim", "RandomNormal", []*ir.Attribute{attrInts("shape", 2, -1)}},
		{"huge", "RandomNormal", []*ir.Attribute{attrInts("shape", 1<<30, 1<<30, 1<<30)}},
		{"int dtype", "RandomUniform", []*ir.Attribute{attrInts("shape", 2), attrInt("dtype", int64(tensor.Int32))}},
		{"bad dtype", "RandomUniform", []*ir.Attribute{attrInts("shape", 2), attrInt("dtype", 99)}},
		{"low > high", "RandomUniform", []*ir.Attribute{attrInts("shape", 2), attrFloat("low", 2), attrFloat("high", 1)}},
		{"shape type", "RandomUniform", []*ir.Attribute{attrInt("shape", 2)}},
	} {
		if _, err := evalNode("", c.op, 22, 1, nil, c.attrs...); !errors.Is(err, ops.ErrInvalidNode) {
			t.Errorf("%s: err = %v, want ErrInvalidNode", c.name, err)
		}
	}
	// low == high is a constant.
	out, err := evalNode("", "RandomUniform", 22, 1, nil, attrInts("shape", 3), attrFloat("low", 2), attrFloat("high", 2))
	if err != nil {
		t.Fatal(err)
	}
	w2dCheck(t, "low == high", out[0], []float32{2, 2, 2}, 3)
}

func TestRndNonDeterministic(t *testing.T) {
	for _, op := range []string{"RandomUniform", "RandomNormal", "RandomUniformLike", "RandomNormalLike", "Bernoulli", "Multinomial"} {
		for _, opset := range []int64{15, 22} {
			s := ops.LookupSchema("", op, opset)
			if s == nil || !s.NonDeterministic {
				t.Errorf("%s opset %d: schema %v is not NonDeterministic", op, opset, s)
			}
		}
	}
}

func TestRndBernoulli(t *testing.T) {
	const reps = 20000
	probs := []float64{0, 0.1, 0.5, 0.9, 1, -0.5, 1.5, math.NaN()}
	p := make([]float64, 0, len(probs)*reps)
	for range reps {
		p = append(p, probs...)
	}
	x := w2dT(p, reps, len(probs))
	out, err := evalNode("", "Bernoulli", 15, 1, []*tensor.Tensor{x}, attrFloat("seed", 5))
	if err != nil {
		t.Fatal(err)
	}
	y := out[0]
	if y.DType() != tensor.Float64 || !tensor.SameShape(y.Shape(), x.Shape()) {
		t.Fatalf("got %v%v", y.DType(), y.Shape())
	}
	d := tensor.Data[float64](y)
	for j, pj := range probs {
		ones := 0
		for r := range reps {
			switch d[r*len(probs)+j] {
			case 1:
				ones++
			case 0:
			default:
				t.Fatalf("value %v", d[r*len(probs)+j])
			}
		}
		want := math.Min(math.Max(pj, 0), 1)
		if math.IsNaN(pj) {
			want = 0
		}
		// 6 standard deviations of a binomial frequency.
		tol := 6*math.Sqrt(want*(1-want)/reps) + 1e-12
		rndWithin(t, fmt.Sprintf("frequency of 1 for p=%v", pj), float64(ones)/reps, want, tol)
	}
	// Output types.
	xf := w2dT([]float32{0, 1, 1, 0}, 2, 2)
	for _, c := range []struct {
		dt   tensor.DType
		want func(*tensor.Tensor) bool
	}{
		{tensor.Bool, func(y *tensor.Tensor) bool { d := tensor.Data[bool](y); return !d[0] && d[1] && d[2] && !d[3] }},
		{tensor.Int32, func(y *tensor.Tensor) bool { d := tensor.Data[int32](y); return d[0] == 0 && d[1] == 1 }},
		{tensor.Uint8, func(y *tensor.Tensor) bool { d := tensor.Data[uint8](y); return d[0] == 0 && d[1] == 1 }},
		{tensor.Float16, func(y *tensor.Tensor) bool {
			d := tensor.Data[tensor.F16](y)
			return d[0].Float32() == 0 && d[1].Float32() == 1
		}},
		{tensor.BFloat16, func(y *tensor.Tensor) bool { d := tensor.Data[tensor.BF16](y); return d[2].Float32() == 1 }},
		{tensor.Float32, func(y *tensor.Tensor) bool { d := tensor.Data[float32](y); return d[3] == 0 && d[2] == 1 }},
	} {
		out, err := evalNode("", "Bernoulli", 22, 1, []*tensor.Tensor{xf}, attrInt("dtype", int64(c.dt)))
		if err != nil {
			t.Fatalf("%v: %v", c.dt, err)
		}
		if y := out[0]; y.DType() != c.dt || !tensor.SameShape(y.Shape(), []int{2, 2}) || !c.want(y) {
			t.Errorf("dtype %v: got %v", c.dt, y)
		}
	}
	// Half input, default output type.
	xh := w2dT([]tensor.F16{tensor.NewF16(1), tensor.NewF16(0)})
	out, err = evalNode("", "Bernoulli", 15, 1, []*tensor.Tensor{xh})
	if err != nil {
		t.Fatal(err)
	}
	if d := tensor.Data[tensor.F16](out[0]); d[0].Float32() != 1 || d[1].Float32() != 0 {
		t.Errorf("float16: %v", out[0])
	}
	// Errors: integer input, string output, bfloat16 before opset 22.
	for _, c := range []struct {
		x     *tensor.Tensor
		opset int64
		attrs []*ir.Attribute
	}{
		{w2dT([]int32{1}), 22, nil},
		{xf, 22, []*ir.Attribute{attrInt("dtype", int64(tensor.String))}},
		{xf, 15, []*ir.Attribute{attrInt("dtype", int64(tensor.BFloat16))}},
	} {
		if _, err := evalNode("", "Bernoulli", c.opset, 1, []*tensor.Tensor{c.x}, c.attrs...); !errors.Is(err, ops.ErrInvalidNode) {
			t.Errorf("%v %v: err = %v", c.x, c.attrs, err)
		}
	}
}

func TestRndMultinomial(t *testing.T) {
	const samples = 100000
	inf := math.Inf(1)
	rows := [][]float64{
		{0, 0, 0, 0},
		{math.Log(0.1), math.Log(0.2), math.Log(0.7), math.Inf(-1)},
		{1000, 1000 + math.Log(3), -1000, math.NaN()},
		{inf, 0, inf, 5},
	}
	want := [][]float64{
		{0.25, 0.25, 0.25, 0.25},
		{0.1, 0.2, 0.7, 0},
		{0.25, 0.75, 0, 0},
		{0.5, 0, 0.5, 0},
	}
	var flat []float64
	for _, r := range rows {
		flat = append(flat, r...)
	}
	for _, dt := range []tensor.DType{tensor.Int32, tensor.Int64} {
		out, err := evalNode("", "Multinomial", 7, 1, []*tensor.Tensor{w2dT(flat, 4, 4)},
			attrInt("sample_size", samples), attrInt("dtype", int64(dt)), attrFloat("seed", 2))
		if err != nil {
			t.Fatal(err)
		}
		y := out[0]
		if y.DType() != dt || !tensor.SameShape(y.Shape(), []int{4, samples}) {
			t.Fatalf("got %v%v", y.DType(), y.Shape())
		}
		idx, _ := y.Int64s()
		for b := range rows {
			freq := make([]float64, 4)
			for _, c := range idx[b*samples : (b+1)*samples] {
				if c < 0 || c > 3 {
					t.Fatalf("row %d: class %d", b, c)
				}
				freq[c]++
			}
			for c := range freq {
				f, w := freq[c]/samples, want[b][c]
				rndWithin(t, fmt.Sprintf("%v row %d class %d frequency", dt, b, c), f, w, 6*math.Sqrt(w*(1-w)/samples)+1e-12)
			}
		}
	}
	// Default dtype int32, sample_size 1, float16 input.
	xh := w2dT([]tensor.F16{tensor.NewF16(0), tensor.NewF16(-70000)}, 1, 2)
	out, err := evalNode("", "Multinomial", 22, 1, []*tensor.Tensor{xh})
	if err != nil {
		t.Fatal(err)
	}
	w2dCheck(t, "float16 default", out[0], []int32{0}, 1, 1)
	// sample_size 0 and an empty batch.
	out, err = evalNode("", "Multinomial", 22, 1, []*tensor.Tensor{w2dT([]float32{1, 2}, 1, 2)}, attrInt("sample_size", 0))
	if err != nil {
		t.Fatal(err)
	}
	w2dCheck(t, "no samples", out[0], []int32{}, 1, 0)
	out, err = evalNode("", "Multinomial", 22, 1, []*tensor.Tensor{w2dT([]float32{}, 0, 3)}, attrInt("sample_size", 4))
	if err != nil {
		t.Fatal(err)
	}
	w2dCheck(t, "empty batch", out[0], []int32{}, 0, 4)
	for _, c := range []struct {
		name  string
		x     *tensor.Tensor
		attrs []*ir.Attribute
	}{
		{"rank 1", w2dT([]float32{1, 2}), nil},
		{"rank 3", w2dT([]float32{1, 2}, 1, 1, 2), nil},
		{"no classes", w2dT([]float32{}, 2, 0), nil},
		{"all -inf", w2dT([]float64{math.Inf(-1), math.NaN()}, 1, 2), nil},
		{"negative sample_size", w2dT([]float32{1, 2}, 1, 2), []*ir.Attribute{attrInt("sample_size", -1)}},
		{"float dtype", w2dT([]float32{1, 2}, 1, 2), []*ir.Attribute{attrInt("dtype", int64(tensor.Float32))}},
		{"int input", w2dT([]int64{1, 2}, 1, 2), nil},
	} {
		if _, err := evalNode("", "Multinomial", 22, 1, []*tensor.Tensor{c.x}, c.attrs...); !errors.Is(err, ops.ErrInvalidNode) && !errors.Is(err, ops.ErrShapeMismatch) {
			t.Errorf("%s: err = %v, want an invalid-node or shape error", c.name, err)
		}
	}
}

func TestRndSearch(t *testing.T) {
	cum := []float64{0, 1, 1, 3, 3}
	for _, c := range []struct {
		u    float64
		want int
	}{{0, 1}, {0.5, 1}, {1, 3}, {2.9, 3}} {
		if got := rndSearch(cum, c.u); got != c.want {
			t.Errorf("rndSearch(%v, %v) = %d, want %d", cum, c.u, got, c.want)
		}
	}
}

func TestRndOfficialShapes(t *testing.T) {
	// The official Bernoulli tests cannot match values (they were drawn by
	// numpy); the outputs must have the expected types and shapes, and
	// hold only 0 and 1.
	for _, name := range []string{"test_bernoulli", "test_bernoulli_double", "test_bernoulli_seed",
		"test_bernoulli_expanded", "test_bernoulli_double_expanded", "test_bernoulli_seed_expanded"} {
		t.Run(name, func(t *testing.T) {
			c := onnxLoadCase(t, name)
			got, err := c.run(t)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range c.want {
				g := got[i]
				if g.DType() != w.DType() || !tensor.SameShape(g.Shape(), w.Shape()) {
					t.Fatalf("output %d: got %v%v, want %v%v", i, g.DType(), g.Shape(), w.DType(), w.Shape())
				}
				v, _ := g.Float64s()
				for _, e := range v {
					if e != 0 && e != 1 {
						t.Fatalf("output %d holds %v", i, e)
					}
				}
			}
		})
	}
}
