package train

import (
	"errors"
	"math"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// grLossValue runs m and returns the scalar value of loss.
func grLossValue(t *testing.T, m *ir.Model, loss string, feeds map[string]*tensor.Tensor) float64 {
	t.Helper()
	s, err := runtime.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	v, err := grRun(t, s, feeds)[loss].Float64s()
	if err != nil || len(v) != 1 {
		t.Fatalf("loss %v", v)
	}
	return v[0]
}

// TestGradLossBuilders checks each loss builder's value against a direct
// computation and its gradient against central differences.
func TestGradLossBuilders(t *testing.T) {
	t.Run("mse", func(t *testing.T) {
		b := newGrGraph(13)
		p := b.op("Tanh", []string{b.input("x", b.rand(-1, 1, 3, 2))})
		loss, err := MSELoss(b.m, p, "target")
		if err != nil {
			t.Fatal(err)
		}
		tg := b.rand(-1, 1, 3, 2)
		b.feeds["target"] = tg
		var want float64
		for i, x := range tensor.Data[float64](b.feeds["x"]) {
			d := math.Tanh(x) - tensor.Data[float64](tg)[i]
			want += d * d / 6
		}
		if got := grLossValue(t, b.m, loss, b.feeds); math.Abs(got-want) > 1e-12 {
			t.Errorf("MSE %v, want %v", got, want)
		}
		grCheck(t, b, loss, []string{"x", "target"}, 1e-6, 1e-5)
	})
	t.Run("softmax-cross-entropy", func(t *testing.T) {
		b := newGrGraph(13)
		x := b.input("x", b.rand(-3, 3, 4, 5))
		logits := b.op("Mul", []string{x, b.init("k", tensor.Scalar(2.0))})
		loss, err := SoftmaxCrossEntropyLoss(b.m, logits, "labels")
		if err != nil {
			t.Fatal(err)
		}
		labels := tensor.Must(tensor.FromSlice([]int64{0, 4, 2, 2}, 4))
		b.feeds["labels"] = labels
		var want float64
		xv := tensor.Data[float64](b.feeds["x"])
		for n := range 4 {
			var s float64
			for c := range 5 {
				s += math.Exp(2 * xv[n*5+c])
			}
			want += (math.Log(s) - 2*xv[n*5+int(tensor.Data[int64](labels)[n])]) / 4
		}
		if got := grLossValue(t, b.m, loss, b.feeds); math.Abs(got-want) > 1e-12 {
			t.Errorf("cross-entropy %v, want %v", got, want)
		}
		grCheck(t, b, loss, []string{"x"}, 1e-6, 1e-5)
	})
	t.Run("bce-with-logits", func(t *testing.T) {
		b := newGrGraph(13)
		x := b.input("x", b.rand(-3, 3, 2, 3))
		loss, err := BCEWithLogitsLoss(b.m, x, "target")
		if err != nil {
			t.Fatal(err)
		}
		tg := b.rand(0, 1, 2, 3)
		b.feeds["target"] = tg
		var want float64
		for i, v := range tensor.Data[float64](b.feeds["x"]) {
			p, y := 1/(1+math.Exp(-v)), tensor.Data[float64](tg)[i]
			want -= (y*math.Log(p) + (1-y)*math.Log(1-p)) / 6
		}
		if got := grLossValue(t, b.m, loss, b.feeds); math.Abs(got-want) > 1e-12 {
			t.Errorf("BCE %v, want %v", got, want)
		}
		grCheck(t, b, loss, []string{"x", "target"}, 1e-6, 1e-5)
	})
	t.Run("bce-stable", func(t *testing.T) {
		// Large logits: the naive log(sigmoid) form overflows, this one
		// gives the exact limits.
		b := newGrGraph(13)
		x := b.input("x", tensor.Must(tensor.FromSlice([]float32{1000, -1000}, 2)))
		loss, err := BCEWithLogitsLoss(b.m, x, "target")
		if err != nil {
			t.Fatal(err)
		}
		b.feeds["target"] = tensor.Must(tensor.FromSlice([]float32{0, 1}, 2))
		if got := grLossValue(t, b.m, loss, b.feeds); got != 1000 {
			t.Errorf("BCE of saturated logits %v, want 1000", got)
		}
		res, err := Backward(b.m, loss, []string{"x"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := runtime.NewSession(res.Model)
		if err != nil {
			t.Fatal(err)
		}
		g := tensor.Data[float32](grRun(t, s, b.feeds)[res.Grads[0]])
		if g[0] != 0.5 || g[1] != -0.5 {
			t.Errorf("gradient of saturated logits %v, want [0.5 -0.5]", g)
		}
	})
	t.Run("errors", func(t *testing.T) {
		b := newGrGraph(11)
		x := b.input("x", b.rand(-1, 1, 2, 3))
		if _, err := SoftmaxCrossEntropyLoss(b.m, x, "l"); !errors.Is(err, ErrInvalidGraph) {
			t.Errorf("cross-entropy at opset 11: %v", err)
		}
		if _, err := MSELoss(b.m, "nope", "t"); !errors.Is(err, ErrInvalidGraph) {
			t.Errorf("MSE of a missing value: %v", err)
		}
		s := b.op("Shape", []string{x})
		if _, err := BCEWithLogitsLoss(b.m, s, "t"); !errors.Is(err, ErrInvalidGraph) {
			t.Errorf("BCE of an int value: %v", err)
		}
		if _, err := MSELoss(nil, "x", "t"); !errors.Is(err, ErrInvalidGraph) {
			t.Errorf("MSE of no model: %v", err)
		}
		b = newGrGraph(13)
		if _, err := SoftmaxCrossEntropyLoss(b.m, b.input("v", b.rand(-1, 1, 3)), "l"); !errors.Is(err, ErrInvalidGraph) {
			t.Errorf("cross-entropy of 1-D logits: %v", err)
		}
	})
}
