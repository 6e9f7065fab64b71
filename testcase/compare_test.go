package testcase

import (
	"errors"
	"math"
	"testing"

	"github.com/onyxml/onyx/tensor"
)

func f32(v ...float32) *tensor.Tensor { return tensor.Must(tensor.FromSlice(v, len(v))) }

func TestCompare(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tol := Tolerance{Atol: 1e-5, Rtol: 1e-3}
	for _, c := range []struct {
		name      string
		got, want *tensor.Tensor
		ok        bool
	}{
		{"equal", f32(1, 2, 3), f32(1, 2, 3), true},
		{"within rtol", f32(1000.9), f32(1000), true},
		{"past rtol", f32(1001.1), f32(1000), false},
		{"within atol near zero", f32(9e-6), f32(0), true},
		{"past atol near zero", f32(2e-5), f32(0), false},
		{"nan equals nan", f32(nan, 1), f32(nan, 1), true},
		{"nan vs number", f32(nan), f32(1), false},
		{"number vs nan", f32(1), f32(nan), false},
		{"inf equal", f32(inf), f32(inf), true},
		{"inf sign", f32(-inf), f32(inf), false},
		{"shape", f32(1, 2), tensor.Must(tensor.FromSlice([]float32{1, 2}, 1, 2)), false},
		{"dtype", tensor.Must(tensor.FromSlice([]float64{1}, 1)), f32(1), false},
		{"strings", tensor.Must(tensor.FromSlice([]string{"a"}, 1)), tensor.Must(tensor.FromSlice([]string{"b"}, 1)), false},
		{"nil", nil, f32(1), false},
	} {
		_, err := Compare(c.got, c.want, tol)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrMismatch) {
			t.Errorf("%s: err %v does not wrap ErrMismatch", c.name, err)
		}
	}
	e, _ := Compare(f32(1, 2.5), f32(1, 2), Tolerance{Atol: 1})
	if e != 0.5 {
		t.Errorf("max abs err = %v, want 0.5", e)
	}
}

func TestCompareShapes(t *testing.T) {
	seq := func(items ...*tensor.Tensor) *tensor.Tensor { return tensor.NewSequence(tensor.Float32, items) }
	for _, c := range []struct {
		name      string
		got, want *tensor.Tensor
		ok        bool
	}{
		{"values ignored", f32(1, 2), f32(5, 6), true},
		{"shape", f32(1, 2), f32(1), false},
		{"dtype", tensor.Must(tensor.FromSlice([]float64{1}, 1)), f32(1), false},
		{"kind", seq(f32(1)), f32(1), false},
		{"items", seq(f32(1)), seq(f32(1), f32(2)), false},
		{"item shape", seq(f32(1, 2)), seq(f32(1)), false},
		{"nil", nil, f32(1), false},
	} {
		if _, err := CompareShapes(c.got, c.want, Tolerance{}); (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
	}
	// Compare looks inside containers too.
	if _, err := Compare(seq(f32(1)), seq(f32(2)), DefaultTolerance); !errors.Is(err, ErrMismatch) {
		t.Errorf("Compare of differing sequences: %v", err)
	}
}
