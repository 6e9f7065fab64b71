package generic

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func TestRedArgMaxMin(t *testing.T) {
	x := redF32([]int{2, 3}, 1, 5, 5, 7, 2, 7)
	cases := []struct {
		op        string
		opset     int64
		attrs     []*ir.Attribute
		wantShape []int
		want      []float64
	}{
		{"ArgMax", 13, nil, []int{1, 3}, []float64{1, 0, 1}},
		{"ArgMax", 13, []*ir.Attribute{attrInt("axis", 1)}, []int{2, 1}, []float64{1, 0}},
		{"ArgMax", 13, []*ir.Attribute{attrInt("axis", -1), attrInt("select_last_index", 1)}, []int{2, 1}, []float64{2, 2}},
		{"ArgMax", 11, []*ir.Attribute{attrInt("axis", 1), attrInt("keepdims", 0)}, []int{2}, []float64{1, 0}},
		{"ArgMin", 12, []*ir.Attribute{attrInt("axis", 1), attrInt("keepdims", 0)}, []int{2}, []float64{0, 1}},
		{"ArgMin", 13, []*ir.Attribute{attrInt("axis", 0), attrInt("keepdims", 0)}, []int{3}, []float64{0, 1, 0}},
		{"ArgMin", 13, []*ir.Attribute{attrInt("axis", 0), attrInt("select_last_index", 1)}, []int{1, 3}, []float64{0, 1, 0}},
	}
	for _, c := range cases {
		got, err := evalNode("", c.op, c.opset, 1, []*tensor.Tensor{x}, c.attrs...)
		if err != nil {
			t.Fatalf("%s %v: %v", c.op, c.attrs, err)
		}
		if got[0].DType() != tensor.Int64 {
			t.Errorf("%s: output %v, want int64", c.op, got[0].DType())
		}
		redCheck(t, fmt.Sprintf("%s opset %d", c.op, c.opset), got[0], c.wantShape, c.want, 0)
	}
	// Every dtype, against the float32 answer.
	vals := []float64{3, 1, 4, 1, 5, 9, 2, 6}
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float16, tensor.BFloat16, tensor.Int8, tensor.Uint8,
		tensor.Int16, tensor.Uint16, tensor.Int32, tensor.Uint32, tensor.Int64, tensor.Uint64} {
		for _, op := range []string{"ArgMax", "ArgMin"} {
			got, err := evalNode("", op, 13, 1, []*tensor.Tensor{redFromF64(dt, []int{2, 4}, vals)}, attrInt("axis", 1))
			if err != nil {
				t.Fatalf("%s %v: %v", op, dt, err)
			}
			want := []float64{2, 1} // rows [3 1 4 1] and [5 9 2 6]
			if op == "ArgMin" {
				want = []float64{1, 2}
			}
			redCheck(t, fmt.Sprintf("%s %v", op, dt), got[0], []int{2, 1}, want, 0)
		}
	}
	// Errors: axis out of range, empty axis.
	for _, in := range []struct {
		x    *tensor.Tensor
		axis int64
	}{{x, 2}, {x, -3}, {redF32([]int{2, 0}), 1}} {
		if _, err := evalNode("", "ArgMax", 13, 1, []*tensor.Tensor{in.x}, attrInt("axis", in.axis)); !errors.Is(err, ops.ErrInvalidNode) {
			t.Errorf("ArgMax %v axis %d: err = %v, want ErrInvalidNode", in.x, in.axis, err)
		}
	}
}

func TestRedCumSum(t *testing.T) {
	x := redF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	cases := []struct {
		axis      *tensor.Tensor
		exclusive int64
		reverse   int64
		want      []float64
	}{
		{tensor.Scalar(int64(1)), 0, 0, []float64{1, 3, 6, 4, 9, 15}},
		{tensor.Scalar(int32(-1)), 1, 0, []float64{0, 1, 3, 0, 4, 9}},
		{tensor.Scalar(int64(1)), 0, 1, []float64{6, 5, 3, 15, 11, 6}},
		{tensor.Scalar(int64(1)), 1, 1, []float64{5, 3, 0, 11, 6, 0}},
		{tensor.Scalar(int64(0)), 0, 0, []float64{1, 2, 3, 5, 7, 9}},
		{redI64(0), 1, 1, []float64{4, 5, 6, 0, 0, 0}},
	}
	for _, c := range cases {
		got, err := evalNode("", "CumSum", 14, 1, []*tensor.Tensor{x, c.axis},
			attrInt("exclusive", c.exclusive), attrInt("reverse", c.reverse))
		if err != nil {
			t.Fatal(err)
		}
		redCheck(t, fmt.Sprintf("CumSum axis %v excl %d rev %d", c.axis, c.exclusive, c.reverse), got[0], []int{2, 3}, c.want, 0)
	}
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float16, tensor.BFloat16, tensor.Int32, tensor.Int64, tensor.Uint32, tensor.Uint64} {
		got, err := evalNode("", "CumSum", 14, 1, []*tensor.Tensor{redFromF64(dt, []int{4}, []float64{1, 2, 3, 4}), tensor.Scalar(int64(0))})
		if err != nil {
			t.Fatalf("%v: %v", dt, err)
		}
		redCheck(t, "CumSum "+dt.String(), got[0], []int{4}, []float64{1, 3, 6, 10}, 0)
	}
	for _, axis := range []*tensor.Tensor{tensor.Scalar(int64(2)), redI64(0, 1), tensor.Scalar(float32(0))} {
		if _, err := evalNode("", "CumSum", 14, 1, []*tensor.Tensor{x, axis}); !errors.Is(err, ops.ErrInvalidNode) {
			t.Errorf("CumSum axis %v: err = %v, want ErrInvalidNode", axis, err)
		}
	}
}

// redNaiveTopK selects by repeated linear scans: the largest (smallest)
// remaining value, lowest index first.
func redNaiveTopK(row []float64, k int, largest bool) ([]float64, []int64) {
	used := make([]bool, len(row))
	var vals []float64
	var idx []int64
	for range k {
		best := -1
		for j, v := range row {
			if used[j] {
				continue
			}
			if best < 0 || (largest && v > row[best]) || (!largest && v < row[best]) {
				best = j
			}
		}
		used[best] = true
		vals = append(vals, row[best])
		idx = append(idx, int64(best))
	}
	return vals, idx
}

func TestRedTopK(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	// Small integers, so that there are many ties.
	shape := []int{3, 7, 2}
	x := tensor.Must(tensor.New(tensor.Float32, shape...))
	for i := range tensor.Data[float32](x) {
		tensor.Data[float32](x)[i] = float32(r.Intn(4))
	}
	x64, _ := x.Float64s()
	for _, largest := range []int64{1, 0} {
		for _, k := range []int64{0, 1, 3, 7} {
			got, err := evalNode("", "TopK", 11, 2, []*tensor.Tensor{x, redI64(k)}, attrInt("axis", -2), attrInt("largest", largest))
			if err != nil {
				t.Fatalf("k %d: %v", k, err)
			}
			wv := make([]float64, 3*int(k)*2)
			wi := make([]float64, len(wv))
			for o := range 3 {
				for i := range 2 {
					row := make([]float64, 7)
					for j := range row {
						row[j] = x64[(o*7+j)*2+i]
					}
					v, ix := redNaiveTopK(row, int(k), largest == 1)
					for j := range v {
						wv[(o*int(k)+j)*2+i] = v[j]
						wi[(o*int(k)+j)*2+i] = float64(ix[j])
					}
				}
			}
			ws := []int{3, int(k), 2}
			redCheck(t, fmt.Sprintf("TopK values k %d largest %d", k, largest), got[0], ws, wv, 0)
			redCheck(t, fmt.Sprintf("TopK indices k %d largest %d", k, largest), got[1], ws, wi, 0)
		}
	}
	// Opset 1: k attribute; opset 10: k input; both largest.
	got, err := evalNode("", "TopK", 1, 2, []*tensor.Tensor{redF32([]int{4}, 1, 4, 2, 4)}, attrInt("k", 2))
	if err != nil {
		t.Fatal(err)
	}
	redCheck(t, "TopK-1", got[0], []int{2}, []float64{4, 4}, 0)
	redCheck(t, "TopK-1 indices", got[1], []int{2}, []float64{1, 3}, 0)
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float16, tensor.BFloat16, tensor.Int32, tensor.Int64, tensor.Uint8} {
		got, err := evalNode("", "TopK", 24, 2, []*tensor.Tensor{redFromF64(dt, []int{5}, []float64{3, 1, 4, 1, 5}), redI64(3)}, attrInt("largest", 0))
		if err != nil {
			t.Fatalf("%v: %v", dt, err)
		}
		redCheck(t, "TopK "+dt.String(), got[0], []int{3}, []float64{1, 1, 3}, 0)
		redCheck(t, "TopK indices "+dt.String(), got[1], []int{3}, []float64{1, 3, 0}, 0)
	}
	// NaN is the largest.
	got, err = evalNode("", "TopK", 11, 2, []*tensor.Tensor{redF32([]int{3}, 1, float32(math.NaN()), 2), redI64(2)})
	if err != nil {
		t.Fatal(err)
	}
	redCheck(t, "TopK NaN", got[1], []int{2}, []float64{1, 2}, 0)
	// Errors: k too large, negative, not one element; bad axis.
	xx := redF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	for _, c := range []struct {
		k    *tensor.Tensor
		axis int64
	}{{redI64(4), -1}, {redI64(-1), -1}, {redI64(1, 2), -1}, {redI64(1), 2}} {
		if _, err := evalNode("", "TopK", 11, 2, []*tensor.Tensor{xx, c.k}, attrInt("axis", c.axis)); !errors.Is(err, ops.ErrInvalidNode) {
			t.Errorf("TopK k %v axis %d: err = %v, want ErrInvalidNode", c.k, c.axis, err)
		}
	}
}
