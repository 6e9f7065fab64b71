package generic

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// smNaive computes op on x by the definition. legacy: rows are the input
// flattened to 2-D at axis; else rows run along axis alone.
func smNaive(op string, x []float64, shape []int, axis int, legacy bool) []float64 {
	st := tensor.Strides(shape)
	y := make([]float64, len(x))
	done := make([]bool, len(x))
	for start := range x {
		if done[start] {
			continue
		}
		// The row through start: every element agreeing with start on the
		// coordinates outside the row's axes.
		var row []int
		for e := range x {
			same := true
			for d := range shape {
				inRow := d == axis || (legacy && d > axis)
				if !inRow && (e/st[d])%shape[d] != (start/st[d])%shape[d] {
					same = false
				}
			}
			if same {
				row = append(row, e)
			}
		}
		var s float64
		for _, e := range row {
			s += math.Exp(x[e])
		}
		first := row[0]
		for _, e := range row {
			if x[e] > x[first] {
				first = e
			}
		}
		for _, e := range row {
			done[e] = true
			switch op {
			case "Softmax":
				y[e] = math.Exp(x[e]) / s
			case "LogSoftmax":
				y[e] = x[e] - math.Log(s)
			case "Hardmax":
				if e == first {
					y[e] = 1
				}
			}
		}
	}
	return y
}

func TestSmAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for _, shape := range [][]int{{5}, {3, 4}, {2, 3, 4}, {2, 1, 3, 2}} {
		x := redRandF32(r, shape...)
		x64, _ := x.Float64s()
		for _, op := range ops.SoftmaxOps {
			for axis := -len(shape); axis < len(shape); axis++ {
				norm := axis
				if norm < 0 {
					norm += len(shape)
				}
				for _, opset := range []int64{11, 13} {
					got, err := evalNode("", op, opset, 1, []*tensor.Tensor{x}, attrInt("axis", int64(axis)))
					if err != nil {
						t.Fatalf("%s opset %d axis %d: %v", op, opset, axis, err)
					}
					want := smNaive(op, x64, shape, norm, opset < 13)
					redCheck(t, fmt.Sprintf("%s %v opset %d axis %d", op, shape, opset, axis), got[0], shape, want, 1e-6)
				}
			}
		}
	}
}

// TestSmSemantics pins the difference between the two semantics on a 3-D
// input, and the default axes (1 before 13, -1 from 13).
func TestSmSemantics(t *testing.T) {
	x := redF32([]int{1, 2, 2}, 0, 0, 0, 0)
	got11, err := evalNode("", "Softmax", 11, 1, []*tensor.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	got13, err := evalNode("", "Softmax", 13, 1, []*tensor.Tensor{x}, attrInt("axis", 1))
	if err != nil {
		t.Fatal(err)
	}
	// Opset 11, axis 1: one row of 4 elements; opset 13: rows of 2.
	redCheck(t, "opset 11", got11[0], []int{1, 2, 2}, []float64{0.25, 0.25, 0.25, 0.25}, 1e-7)
	redCheck(t, "opset 13", got13[0], []int{1, 2, 2}, []float64{0.5, 0.5, 0.5, 0.5}, 1e-7)

	y := redF32([]int{2, 3}, 1, 2, 3, 0, 0, 0)
	got, err := evalNode("", "Softmax", 13, 1, []*tensor.Tensor{y})
	if err != nil {
		t.Fatal(err)
	}
	redCheck(t, "softmax [1 2 3]", got[0], []int{2, 3},
		[]float64{0.09003057, 0.24472847, 0.66524096, 1.0 / 3, 1.0 / 3, 1.0 / 3}, 1e-7)
	got, err = evalNode("", "Hardmax", 13, 1, []*tensor.Tensor{redF32([]int{2, 3}, 1, 3, 3, 2, 2, 2)})
	if err != nil {
		t.Fatal(err)
	}
	redCheck(t, "hardmax ties", got[0], []int{2, 3}, []float64{0, 1, 0, 1, 0, 0}, 0)
	// Stable for large inputs.
	got, err = evalNode("", "LogSoftmax", 13, 1, []*tensor.Tensor{redF32([]int{3}, 10000, 10001, 10002)})
	if err != nil {
		t.Fatal(err)
	}
	redCheck(t, "logsoftmax large", got[0], []int{3}, []float64{-2.40760596, -1.40760596, -0.40760596}, 1e-4)
	got, err = evalNode("", "Softmax", 13, 1, []*tensor.Tensor{redF32([]int{2}, 1e30, -1e30)})
	if err != nil {
		t.Fatal(err)
	}
	redCheck(t, "softmax huge", got[0], []int{2}, []float64{1, 0}, 0)
}

func TestSmDTypes(t *testing.T) {
	vals := []float64{1, 2, 3, 0.5, -1, 2}
	want := smNaive("Softmax", vals, []int{2, 3}, 1, false)
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float16, tensor.BFloat16} {
		got, err := evalNode("", "Softmax", 13, 1, []*tensor.Tensor{redFromF64(dt, []int{2, 3}, vals)})
		if err != nil {
			t.Fatalf("%v: %v", dt, err)
		}
		if got[0].DType() != dt {
			t.Errorf("%v: output %v", dt, got[0].DType())
		}
		atol := 1e-12
		if dt != tensor.Float64 {
			atol = 1e-2
		}
		redCheck(t, dt.String(), got[0], []int{2, 3}, want, atol)
	}
}

func TestSmErrors(t *testing.T) {
	x := redF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	for _, c := range []struct {
		op    string
		opset int64
		in    *tensor.Tensor
		axis  int64
	}{
		{"Softmax", 13, x, 2}, {"Softmax", 11, x, -3}, {"LogSoftmax", 13, x, 5}, {"Hardmax", 9, x, 2},
		{"Softmax", 13, tensor.Must(tensor.FromSlice([]int32{1, 2}, 2)), 0},
		{"Softmax", 11, tensor.Scalar(float32(1)), 1},
	} {
		_, err := evalNode("", c.op, c.opset, 1, []*tensor.Tensor{c.in}, attrInt("axis", c.axis))
		if !errors.Is(err, ops.ErrInvalidNode) {
			t.Errorf("%s opset %d %v axis %d: err = %v, want ErrInvalidNode", c.op, c.opset, c.in, c.axis, err)
		}
	}
}
