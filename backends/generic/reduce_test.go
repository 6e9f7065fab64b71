package generic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// Test helpers shared by the reduce, softmax, select and resize tests.

func redRandF32(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.Must(tensor.New(tensor.Float32, shape...))
	for i := range tensor.Data[float32](t) {
		tensor.Data[float32](t)[i] = float32(r.NormFloat64())
	}
	return t
}

func redF32(shape []int, v ...float32) *tensor.Tensor {
	return tensor.Must(tensor.FromSlice(v, shape...))
}

func redI64(v ...int64) *tensor.Tensor {
	return tensor.Must(tensor.FromSlice(v, len(v)))
}

// redClose reports whether got matches want within atol + rtol*|want|
// (NaNs and infinities must match exactly).
func redClose(got, want []float64, atol, rtol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d values, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		switch {
		case math.IsNaN(w) || math.IsInf(w, 0):
			if !(math.IsNaN(w) && math.IsNaN(g)) && g != w {
				return fmt.Errorf("[%d] = %v, want %v", i, g, w)
			}
		case math.Abs(g-w) > atol+rtol*math.Abs(w):
			return fmt.Errorf("[%d] = %v, want %v", i, g, w)
		}
	}
	return nil
}

func redCheck(t *testing.T, what string, got *tensor.Tensor, wantShape []int, want []float64, atol float64) {
	t.Helper()
	if !tensor.SameShape(got.Shape(), wantShape) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape(), wantShape)
		return
	}
	g, err := got.Float64s()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := redClose(g, want, atol, 1e-5); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// redNaive reduces x by the definition: it gathers, for every output
// index, the list of input values whose kept coordinates match, and
// applies op to the list in float64.
func redNaive(op string, x []float64, shape []int, mask []bool, keep bool) ([]int, []float64) {
	outShape := ops.ReduceShape(shape, mask, keep)
	n, _ := tensor.NumElements(outShape)
	lists := make([][]float64, n)
	idx := make([]int, len(shape))
	for _, v := range x {
		o := 0
		for d := range shape {
			switch {
			case !mask[d]:
				o = o*shape[d] + idx[d]
			}
		}
		lists[o] = append(lists[o], v)
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	out := make([]float64, n)
	for i, l := range lists {
		out[i] = redDefinition(op, l)
	}
	return outShape, out
}

func redDefinition(op string, l []float64) float64 {
	var s float64
	switch op {
	case "ReduceSum":
		for _, v := range l {
			s += v
		}
	case "ReduceMean":
		for _, v := range l {
			s += v
		}
		s /= float64(len(l))
	case "ReduceMax":
		s = math.Inf(-1)
		for _, v := range l {
			s = math.Max(s, v)
		}
	case "ReduceMin":
		s = math.Inf(1)
		for _, v := range l {
			s = math.Min(s, v)
		}
	case "ReduceProd":
		s = 1
		for _, v := range l {
			s *= v
		}
	case "ReduceL1":
		for _, v := range l {
			s += math.Abs(v)
		}
	case "ReduceL2":
		for _, v := range l {
			s += v * v
		}
		s = math.Sqrt(s)
	case "ReduceLogSum":
		for _, v := range l {
			s += v
		}
		s = math.Log(s)
	case "ReduceLogSumExp":
		for _, v := range l {
			s += math.Exp(v)
		}
		s = math.Log(s)
	case "ReduceSumSquare":
		for _, v := range l {
			s += v * v
		}
	}
	return s
}

// TestRedAgainstNaive compares every Reduce op, at an attribute opset and
// an input opset, against the definition on random shapes and axes.
func TestRedAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	shapes := [][]int{{}, {5}, {3, 4}, {2, 3, 4}, {2, 1, 3, 5}, {3, 2, 2, 3, 2}, {1, 7, 1}}
	for _, op := range ops.ReduceOps {
		for _, shape := range shapes {
			for trial := range 6 {
				x := redRandF32(r, shape...)
				xs := tensor.Data[float32](x)
				if op == "ReduceLogSum" {
					for i := range xs {
						xs[i] = float32(math.Abs(float64(xs[i]))) + 0.1
					}
				}
				var axes []int64
				mask := make([]bool, len(shape))
				for d := range shape {
					if r.Intn(2) == 0 {
						a := int64(d)
						if r.Intn(2) == 0 {
							a -= int64(len(shape)) // negative axes
						}
						axes = append(axes, a)
						mask[d] = true
					}
				}
				r.Shuffle(len(axes), func(i, j int) { axes[i], axes[j] = axes[j], axes[i] })
				if len(axes) == 0 {
					for d := range mask {
						mask[d] = true
					}
				}
				keep := trial%2 == 0
				x64, _ := x.Float64s()
				wantShape, want := redNaive(op, x64, shape, mask, keep)
				keepAttr := attrInt("keepdims", map[bool]int64{true: 1, false: 0}[keep])
				what := fmt.Sprintf("%s %v axes %v keep %v", op, shape, axes, keep)

				oldOpset := int64(11)
				got, err := evalNode("", op, oldOpset, 1, []*tensor.Tensor{x}, keepAttr, attrInts("axes", axes...))
				if err != nil {
					t.Fatalf("%s opset 11: %v", what, err)
				}
				redCheck(t, what+" opset 11", got[0], wantShape, want, 1e-5)

				got, err = evalNode("", op, 18, 1, []*tensor.Tensor{x, redI64(axes...)}, keepAttr)
				if err != nil {
					t.Fatalf("%s opset 18: %v", what, err)
				}
				redCheck(t, what+" opset 18", got[0], wantShape, want, 1e-5)
			}
		}
	}
}

// TestRedDTypes runs the ops on every supported dtype against the float64
// definition on small integer values (exact in every type).
func TestRedDTypes(t *testing.T) {
	shape := []int{2, 3, 2}
	vals := []float64{1, 2, 3, 4, 2, 1, 3, 3, 1, 2, 4, 1}
	mask := []bool{false, true, false}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16,
		tensor.Int32, tensor.Int64, tensor.Uint32, tensor.Uint64} {
		x := redFromF64(dt, shape, vals)
		for _, op := range []string{"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
			"ReduceL1", "ReduceSumSquare"} {
			got, err := evalNode("", op, 18, 1, []*tensor.Tensor{x, redI64(1)})
			if err != nil {
				t.Fatalf("%s %v: %v", op, dt, err)
			}
			if got[0].DType() != dt {
				t.Errorf("%s %v: output dtype %v", op, dt, got[0].DType())
			}
			ws, want := redNaive(op, vals, shape, mask, true)
			if op == "ReduceMean" && dt.IsInt() {
				for i := range want {
					want[i] = math.Trunc(want[i])
				}
			}
			atol := 1e-6
			if dt == tensor.Float16 || dt == tensor.BFloat16 {
				atol = 1e-2
			}
			redCheck(t, fmt.Sprintf("%s %v", op, dt), got[0], ws, want, atol)
		}
	}
	// int8/uint8 Max and Min from opset 12; bool from 20.
	for _, dt := range []tensor.DType{tensor.Int8, tensor.Uint8} {
		x := redFromF64(dt, shape, vals)
		for _, op := range []string{"ReduceMax", "ReduceMin"} {
			got, err := evalNode("", op, 12, 1, []*tensor.Tensor{x}, attrInts("axes", 1))
			if err != nil {
				t.Fatalf("%s %v: %v", op, dt, err)
			}
			ws, want := redNaive(op, vals, shape, mask, true)
			redCheck(t, fmt.Sprintf("%s %v", op, dt), got[0], ws, want, 0)
		}
		if _, err := evalNode("", "ReduceMax", 11, 1, []*tensor.Tensor{x}); !errors.Is(err, ops.ErrInvalidNode) {
			t.Errorf("ReduceMax %v at opset 11: err = %v, want ErrInvalidNode", dt, err)
		}
	}
	b := tensor.Must(tensor.FromSlice([]bool{true, true, true, false, false, true, false, false}, 4, 2))
	for op, want := range map[string][]float64{"ReduceMax": {1, 1, 1, 0}, "ReduceMin": {1, 0, 0, 0}} {
		got, err := evalNode("", op, 20, 1, []*tensor.Tensor{b, redI64(1)}, attrInt("keepdims", 0))
		if err != nil {
			t.Fatalf("%s bool: %v", op, err)
		}
		redCheck(t, op+" bool", got[0], []int{4}, want, 0)
	}
}

func redFromF64(dt tensor.DType, shape []int, vals []float64) *tensor.Tensor {
	x := tensor.Must(tensor.New(dt, shape...))
	for i, v := range vals {
		switch d := x.Raw().(type) {
		case []float32:
			d[i] = float32(v)
		case []float64:
			d[i] = v
		case []tensor.F16:
			d[i] = tensor.NewF16(float32(v))
		case []tensor.BF16:
			d[i] = tensor.NewBF16(float32(v))
		case []int8:
			d[i] = int8(v)
		case []uint8:
			d[i] = uint8(v)
		case []int16:
			d[i] = int16(v)
		case []uint16:
			d[i] = uint16(v)
		case []int32:
			d[i] = int32(v)
		case []uint32:
			d[i] = uint32(v)
		case []int64:
			d[i] = int64(v)
		case []uint64:
			d[i] = uint64(v)
		}
	}
	return x
}

// TestRedHandComputed checks small cases worked out by hand.
func TestRedHandComputed(t *testing.T) {
	x := redF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	cases := []struct {
		op        string
		opset     int64
		in        []*tensor.Tensor
		attrs     []*ir.Attribute
		wantShape []int
		want      []float64
	}{
		{"ReduceSum", 13, []*tensor.Tensor{x}, nil, []int{1, 1}, []float64{21}},
		{"ReduceSum", 13, []*tensor.Tensor{x, redI64(0)}, nil, []int{1, 3}, []float64{5, 7, 9}},
		{"ReduceSum", 13, []*tensor.Tensor{x, redI64(-1)}, []*ir.Attribute{attrInt("keepdims", 0)}, []int{2}, []float64{6, 15}},
		{"ReduceSum", 11, []*tensor.Tensor{x}, []*ir.Attribute{attrInts("axes", 1, 0), attrInt("keepdims", 0)}, []int{}, []float64{21}},
		{"ReduceMean", 18, []*tensor.Tensor{x, redI64(1)}, nil, []int{2, 1}, []float64{2, 5}},
		{"ReduceMax", 18, []*tensor.Tensor{x, redI64(0)}, nil, []int{1, 3}, []float64{4, 5, 6}},
		{"ReduceMin", 13, []*tensor.Tensor{x}, []*ir.Attribute{attrInts("axes", 1)}, []int{2, 1}, []float64{1, 4}},
		{"ReduceProd", 13, []*tensor.Tensor{x}, nil, []int{1, 1}, []float64{720}},
		{"ReduceL1", 13, []*tensor.Tensor{redF32([]int{2}, -3, 4)}, nil, []int{1}, []float64{7}},
		{"ReduceL2", 13, []*tensor.Tensor{redF32([]int{2}, -3, 4)}, nil, []int{1}, []float64{5}},
		{"ReduceSumSquare", 13, []*tensor.Tensor{redF32([]int{2}, -3, 4)}, nil, []int{1}, []float64{25}},
		{"ReduceLogSum", 13, []*tensor.Tensor{redF32([]int{2}, 1, 2)}, nil, []int{1}, []float64{math.Log(3)}},
		{"ReduceLogSumExp", 13, []*tensor.Tensor{redF32([]int{2}, 1000, 1000)}, nil, []int{1}, []float64{1000 + math.Log(2)}},
		// noop_with_empty_axes: identity, but composite ops still map.
		{"ReduceSum", 13, []*tensor.Tensor{x, redI64()}, []*ir.Attribute{attrInt("noop_with_empty_axes", 1)}, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}},
		{"ReduceSum", 13, []*tensor.Tensor{x}, []*ir.Attribute{attrInt("noop_with_empty_axes", 1)}, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}},
		{"ReduceSumSquare", 18, []*tensor.Tensor{x, redI64()}, []*ir.Attribute{attrInt("noop_with_empty_axes", 1)}, []int{2, 3}, []float64{1, 4, 9, 16, 25, 36}},
		{"ReduceLogSum", 18, []*tensor.Tensor{x}, []*ir.Attribute{attrInt("noop_with_empty_axes", 1)}, []int{2, 3},
			[]float64{0, math.Log(2), math.Log(3), math.Log(4), math.Log(5), math.Log(6)}},
		// Empty axes input without noop reduces everything.
		{"ReduceSum", 13, []*tensor.Tensor{x, redI64()}, []*ir.Attribute{attrInt("keepdims", 0)}, []int{}, []float64{21}},
		// A rank-0 input.
		{"ReduceSum", 13, []*tensor.Tensor{tensor.Scalar(float32(7))}, nil, []int{}, []float64{7}},
		// Reductions over an empty set give the identity.
		{"ReduceSum", 13, []*tensor.Tensor{redF32([]int{0, 2}), redI64(0)}, nil, []int{1, 2}, []float64{0, 0}},
		{"ReduceProd", 13, []*tensor.Tensor{redF32([]int{0, 2})}, []*ir.Attribute{attrInts("axes", 0)}, []int{1, 2}, []float64{1, 1}},
		{"ReduceMax", 18, []*tensor.Tensor{redF32([]int{2, 0}), redI64(1)}, nil, []int{2, 1}, []float64{math.Inf(-1), math.Inf(-1)}},
		{"ReduceMin", 18, []*tensor.Tensor{redF32([]int{2, 0}), redI64(1)}, nil, []int{2, 1}, []float64{math.Inf(1), math.Inf(1)}},
		{"ReduceLogSumExp", 18, []*tensor.Tensor{redF32([]int{0})}, nil, []int{1}, []float64{math.Inf(-1)}},
		{"ReduceL2", 18, []*tensor.Tensor{redF32([]int{0})}, nil, []int{1}, []float64{0}},
		// Kept empty dims give an empty output.
		{"ReduceSum", 13, []*tensor.Tensor{redF32([]int{0, 2}), redI64(1)}, nil, []int{0, 1}, []float64{}},
		// NaN propagates through Max.
		{"ReduceMax", 13, []*tensor.Tensor{redF32([]int{3}, 1, float32(math.NaN()), 2)}, nil, []int{1}, []float64{math.NaN()}},
	}
	for _, c := range cases {
		what := fmt.Sprintf("%s opset %d %v", c.op, c.opset, c.attrs)
		got, err := evalNode("", c.op, c.opset, 1, c.in, c.attrs...)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			continue
		}
		redCheck(t, what, got[0], c.wantShape, c.want, 1e-4)
	}
	// Integer identities for an empty Max/Min.
	e := tensor.Must(tensor.New(tensor.Int32, 0))
	got, err := evalNode("", "ReduceMax", 13, 1, []*tensor.Tensor{e})
	if err != nil || tensor.Data[int32](got[0])[0] != math.MinInt32 {
		t.Errorf("ReduceMax of empty int32 = %v, %v; want MinInt32", got, err)
	}
	got, err = evalNode("", "ReduceMin", 13, 1, []*tensor.Tensor{tensor.Must(tensor.New(tensor.Uint64, 0))})
	if err != nil || tensor.Data[uint64](got[0])[0] != math.MaxUint64 {
		t.Errorf("ReduceMin of empty uint64 = %v, %v; want MaxUint64", got, err)
	}
}

// TestRedErrors checks that bad axes are errors, not panics.
func TestRedErrors(t *testing.T) {
	x := redF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	cases := []struct {
		op    string
		opset int64
		in    []*tensor.Tensor
		attrs []*ir.Attribute
	}{
		{"ReduceSum", 13, []*tensor.Tensor{x, redI64(2)}, nil},
		{"ReduceSum", 13, []*tensor.Tensor{x, redI64(-3)}, nil},
		{"ReduceSum", 13, []*tensor.Tensor{x, redI64(0, -2)}, nil},
		{"ReduceMean", 11, []*tensor.Tensor{x}, []*ir.Attribute{attrInts("axes", 5)}},
		{"ReduceMean", 18, []*tensor.Tensor{x, tensor.Must(tensor.FromSlice([]int32{0}, 1))}, nil},
		{"ReduceMean", 18, []*tensor.Tensor{x, tensor.Must(tensor.FromSlice([]int64{0}, 1, 1))}, nil},
		{"ReduceMean", 18, []*tensor.Tensor{x}, []*ir.Attribute{attrStr("keepdims", "yes")}},
		{"ReduceLogSum", 13, []*tensor.Tensor{tensor.Must(tensor.FromSlice([]bool{true}, 1))}, nil},
	}
	for _, c := range cases {
		_, err := evalNode("", c.op, c.opset, 1, c.in, c.attrs...)
		if !errors.Is(err, ops.ErrInvalidNode) {
			t.Errorf("%s opset %d %v: err = %v, want ErrInvalidNode", c.op, c.opset, c.in[1:], err)
		}
	}
}

// TestRedPlan checks the decomposition into kept groups and reduced runs.
func TestRedPlan(t *testing.T) {
	p := newRedPlan([]int{2, 3, 4, 5}, []bool{false, false, true, true})
	if len(p.keptDims) != 1 || p.keptDims[0] != 6 || p.keptStrides[0] != 20 ||
		p.runLen != 20 || p.runStride != 1 || len(p.runOffs) != 1 || p.count != 20 {
		t.Errorf("NCHW over HW: %+v", p)
	}
	p = newRedPlan([]int{2, 3, 4, 5}, []bool{true, false, true, false})
	if p.count != 8 || p.runLen != 4 || p.runStride != 5 || len(p.runOffs) != 2 || p.runOffs[1] != 60 {
		t.Errorf("axes 0,2: %+v", p)
	}
	p = newRedPlan([]int{1, 3, 1}, []bool{true, false, true})
	if p.count != 1 || len(p.keptDims) != 1 || p.runLen != 1 {
		t.Errorf("size-1 reduced dims: %+v", p)
	}
}

func BenchmarkRedSum(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	x := redRandF32(r, 64, 256, 64)
	for _, c := range []struct {
		name string
		axes []int64
	}{{"last", []int64{2}}, {"middle", []int64{1}}, {"first", []int64{0}}, {"all", nil}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(x.Len() * 4))
			for b.Loop() {
				if _, err := evalNode("", "ReduceSum", 13, 1, []*tensor.Tensor{x, redI64(c.axes...)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestReduceStaticPlan: with the input shape and axes known at build, a
// Reduce kernel plans once and a Run allocates nothing; the result is the
// mean, and an input of another shape still runs (planned per call).
func TestReduceStaticPlan(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	x := tensor.Must(tensor.New(tensor.Float32, 2, 3, 4, 5))
	for i := range tensor.Data[float32](x) {
		tensor.Data[float32](x)[i] = r.Float32()
	}
	axes := tensor.Must(tensor.FromSlice([]int64{2, -1}, 2))
	node := &ir.Node{OpType: "ReduceMean", Inputs: []string{"x", "axes"}, Outputs: []string{"y"}}
	n := &ops.Node{Node: node, Schema: ops.LookupSchema("", "ReduceMean", 18), Opset: 18,
		In: []ops.TypeShape{ops.Of(tensor.Float32, 2, 3, 4, 5), ops.Known(axes)}}
	k := genericKernel(t, n)
	ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
	out := []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float32, 2, 3, 1, 1))}
	in := []*tensor.Tensor{x, axes}
	if allocs := testing.AllocsPerRun(20, func() {
		if err := k.Run(ec, in, out); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("%v allocations per Run", allocs)
	}
	xs := tensor.Data[float32](x)
	for i, got := range tensor.Data[float32](out[0]) {
		var s float64
		for _, v := range xs[i*20 : (i+1)*20] {
			s += float64(v)
		}
		if want := float32(s / 20); math.Abs(float64(got-want)) > 1e-6 {
			t.Errorf("mean %d = %v, want %v", i, got, want)
		}
	}
	// Another shape: planned at the call.
	x2 := tensor.Must(tensor.New(tensor.Float32, 1, 2, 2, 2))
	copy(tensor.Data[float32](x2), []float32{1, 2, 3, 4, 5, 6, 7, 8})
	out2 := []*tensor.Tensor{nil}
	if err := k.Run(ec, []*tensor.Tensor{x2, axes}, out2); err != nil {
		t.Fatal(err)
	}
	if got := tensor.Data[float32](out2[0]); fmt.Sprint(out2[0].Shape(), got) != "[1 2 1 1] [2.5 6.5]" {
		t.Errorf("other shape: %v %v", out2[0].Shape(), got)
	}
}
