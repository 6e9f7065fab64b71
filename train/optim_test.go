package train

import (
	"math"
	"testing"

	"github.com/onyxml/onyx/tensor"
)

// The reference values below were computed once with PyTorch 1.13
// (torch.optim in float64) from p = [1, -2, 0.5] and the gradients of
// optimGrads, three steps.
var optimGrads = [][]float64{{0.1, -0.2, 0.3}, {0.4, 0, -0.5}, {-0.3, 0.2, 0.1}}

func optimRun(t *testing.T, o Optimizer, dt tensor.DType) []float64 {
	t.Helper()
	p := tensor.Must(tensor.FromSlice([]float64{1, -2, 0.5}, 3))
	if dt == tensor.Float32 {
		p = tensor.Must(tensor.FromSlice([]float32{1, -2, 0.5}, 3))
	}
	for _, g := range optimGrads {
		gt := tensor.Must(tensor.FromSlice(g, 3))
		if dt == tensor.Float32 {
			gt = tensor.Must(tensor.FromSlice([]float32{float32(g[0]), float32(g[1]), float32(g[2])}, 3))
		}
		if err := o.Step([]Param{{Name: "p", Value: p, Grad: gt}}); err != nil {
			t.Fatal(err)
		}
	}
	v, _ := p.Float64s()
	return v
}

func TestOptimAgainstPyTorch(t *testing.T) {
	sgdm := NewSGD(0.1, 0.9)
	sgdm.WeightDecay = 0.01
	sgdn := NewSGD(0.1, 0.9)
	sgdn.WeightDecay, sgdn.Nesterov = 0.01, true
	adam := func() Optimizer { a := NewAdam(0.01); a.WeightDecay = 0.01; return a }
	adamw := func() Optimizer { a := NewAdamW(0.01); a.WeightDecay = 0.1; return a }
	cases := []struct {
		name string
		mk   func() Optimizer
		want []float64
	}{
		{"sgd", func() Optimizer { return NewSGD(0.1, 0) }, []float64{0.98, -2.0, 0.51}},
		{"sgd-momentum-wd", func() Optimizer { s := *sgdm; return &s }, []float64{0.921372789, -1.954665578, 0.5009613694999999}},
		{"sgd-nesterov-wd", func() Optimizer { s := *sgdn; return &s }, []float64{0.906422212551, -1.9533556251020001, 0.5094406848005}},
		{"adam-wd", adam, []float64{0.9789908261746314, -1.982298638906533, 0.4938359999219132}},
		{"adamw", adamw, []float64{0.9764209861415688, -1.9781907841055175, 0.4926102539084632}},
	}
	for _, c := range cases {
		for dt, tol := range map[tensor.DType]float64{tensor.Float64: 1e-12, tensor.Float32: 1e-6} {
			got := optimRun(t, c.mk(), dt)
			for i := range got {
				if math.Abs(got[i]-c.want[i]) > tol {
					t.Errorf("%s %v: p = %v, want %v", c.name, dt, got, c.want)
					break
				}
			}
		}
	}
}

// TestOptimHandComputed checks the first two Adam steps by hand: with bias
// correction the first step moves every weight by lr*sign(g) (|g| >> eps).
func TestOptimHandComputed(t *testing.T) {
	a := NewAdam(0.5)
	p := tensor.Must(tensor.FromSlice([]float64{3, 3}, 2))
	g := tensor.Must(tensor.FromSlice([]float64{2, -7}, 2))
	if err := a.Step([]Param{{"w", p, g}}); err != nil {
		t.Fatal(err)
	}
	if d := tensor.Data[float64](p); math.Abs(d[0]-2.5) > 1e-7 || math.Abs(d[1]-3.5) > 1e-7 {
		t.Fatalf("Adam step 1: %v, want [2.5 3.5]", d)
	}
	// Step 2 with the same gradient: m = g, v = g², so again lr*sign(g).
	if err := a.Step([]Param{{"w", p, g}}); err != nil {
		t.Fatal(err)
	}
	if d := tensor.Data[float64](p); math.Abs(d[0]-2) > 1e-7 || math.Abs(d[1]-4) > 1e-7 {
		t.Fatalf("Adam step 2: %v, want [2 4]", d)
	}
	// State round trip: a copy restored elsewhere continues identically.
	b := NewAdam(0.5)
	if err := b.SetState(a.State()); err != nil {
		t.Fatal(err)
	}
	p2 := p.Clone()
	_ = a.Step([]Param{{"w", p, g}})
	_ = b.Step([]Param{{"w", p2, g}})
	if tensor.Data[float64](p)[0] != tensor.Data[float64](p2)[0] {
		t.Errorf("restored state diverges: %v vs %v", p, p2)
	}
}

func TestOptimErrors(t *testing.T) {
	p := tensor.Must(tensor.FromSlice([]float32{1, 2}, 2))
	bad := []Param{
		{"a", p, tensor.Must(tensor.FromSlice([]float32{1}, 1))},
		{"b", p, tensor.Must(tensor.FromSlice([]float64{1, 2}, 2))},
		{"c", tensor.Must(tensor.FromSlice([]int64{1, 2}, 2)), tensor.Must(tensor.FromSlice([]int64{1, 2}, 2))},
		{"d", p, nil},
	}
	for _, o := range []Optimizer{NewSGD(0.1, 0.9), NewAdam(0.1)} {
		for _, b := range bad {
			if err := o.Step([]Param{b}); err == nil {
				t.Errorf("%T accepted parameter %s", o, b.Name)
			}
		}
	}
	s := NewSGD(0.1, 0)
	s.Nesterov = true
	if err := s.Step(nil); err == nil {
		t.Error("Nesterov without momentum accepted")
	}
	a := NewAdam(0.1)
	a.Beta1 = 1
	if err := a.Step(nil); err == nil {
		t.Error("beta1 = 1 accepted")
	}
}

func TestOptimSchedules(t *testing.T) {
	step := []float64{0.1, 0.1, 0.05, 0.05, 0.025, 0.025}
	cos := []float64{0.1, 0.08681980515339464, 0.05500000000000001, 0.023180194846605363, 0.01, 0.023180194846605363}
	for e := range 6 {
		if got := (StepLR{StepSize: 2, Gamma: 0.5}).LR(0.1, e); math.Abs(got-step[e]) > 1e-15 {
			t.Errorf("StepLR epoch %d: %v, want %v", e, got, step[e])
		}
		if got := (CosineLR{TMax: 4, Min: 0.01}).LR(0.1, e); math.Abs(got-cos[e]) > 1e-12 {
			t.Errorf("CosineLR epoch %d: %v, want %v", e, got, cos[e])
		}
	}
}
