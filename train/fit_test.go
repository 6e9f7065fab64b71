package train

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/onyxml/onyx/tensor"
)

// fitBlobs returns n 1x6x6 images of 3 classes: class k has a bright
// 2-row band at rows 2k..2k+1, plus noise.
func fitBlobs(n int, seed uint64) *Dataset {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n*36)
	y := make([]int64, n)
	for i := range n {
		k := r.IntN(3)
		y[i] = int64(k)
		for p := range 36 {
			v := float32(r.NormFloat64() * 0.3)
			if p/6 == 2*k || p/6 == 2*k+1 {
				v += 1
			}
			x[i*36+p] = v
		}
	}
	return &Dataset{X: tensor.Must(tensor.FromSlice(x, n, 1, 6, 6)), Y: tensor.Must(tensor.FromSlice(y, n))}
}

func fitSmallCNN() *Sequential {
	return &Sequential{InputShape: []int{1, 6, 6}, Layers: []Layer{
		Conv2D{In: 1, Out: 4, Kernel: 3, Pad: 1}, BatchNorm2D{C: 4}, ReLU{}, MaxPool2D{Kernel: 2},
		Flatten{}, Dropout{P: 0.2}, Linear{In: 36, Out: 3},
	}}
}

func fitParams(net *Net) []float32 {
	var all []float32
	for _, in := range net.Model.Graph.Initializers {
		if in.Tensor.DType() == tensor.Float32 && in.Tensor.Rank() > 0 {
			all = append(all, tensor.Data[float32](in.Tensor)...)
		}
	}
	return all
}

func TestFitSyntheticCNN(t *testing.T) {
	net, err := fitSmallCNN().Build(3)
	if err != nil {
		t.Fatal(err)
	}
	if len(net.Params) != 6 {
		t.Fatalf("params %v", net.Params)
	}
	data := fitBlobs(200, 7)
	var log bytes.Buffer
	h, err := Fit(t.Context(), net, data, FitOptions{Epochs: 4, BatchSize: 16, Seed: 1, Optimizer: NewAdam(0.01),
		ValSplit: 0.2, Progress: &log, Schedule: StepLR{StepSize: 2, Gamma: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Epochs) != 4 || strings.Count(log.String(), "\n") != 4 {
		t.Fatalf("history %+v, log %q", h, log.String())
	}
	first, last := h.Epochs[0], h.Epochs[3]
	if !(last.Loss < first.Loss) || last.ValAcc < 0.9 || h.Epochs[2].LR != 0.005 {
		t.Errorf("training did not progress: %+v", h.Epochs)
	}
	// The reported validation loss matches an independent evaluation.
	_, val, _ := data.Split(0.2)
	loss, acc, err := Evaluate(t.Context(), net, val, CrossEntropy, 7, 1)
	if err != nil || math.Abs(loss-last.ValLoss) > 1e-5 || acc != last.ValAcc {
		t.Errorf("Evaluate %v %v %v, history %v %v", loss, acc, err, last.ValLoss, last.ValAcc)
	}
	var csv bytes.Buffer
	if err := h.WriteCSV(&csv); err != nil || strings.Count(csv.String(), "\n") != 5 || !strings.HasPrefix(csv.String(), "epoch,lr,loss") {
		t.Errorf("CSV %q %v", csv.String(), err)
	}
}

// TestFitResume checks that a run interrupted after 2 epochs and resumed
// from its checkpoint ends at the same weights as an uninterrupted run.
func TestFitResume(t *testing.T) {
	data := fitBlobs(64, 9)
	run := func(epochs int, dir string, resume bool) *Net {
		net, err := fitSmallCNN().Build(5)
		if err != nil {
			t.Fatal(err)
		}
		opt := NewSGD(0.05, 0.9)
		opt.Nesterov = true
		_, err = Fit(t.Context(), net, data, FitOptions{Epochs: epochs, BatchSize: 10, Seed: 42, Optimizer: opt,
			Progress: io.Discard, CheckpointDir: dir, Resume: resume, Schedule: CosineLR{TMax: 4}})
		if err != nil {
			t.Fatal(err)
		}
		return net
	}
	want := fitParams(run(4, "", false))
	dir := t.TempDir()
	run(2, dir, false)
	got := fitParams(run(4, dir, true))
	if len(got) != len(want) {
		t.Fatalf("%d vs %d weights", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("weight %d: resumed %v, uninterrupted %v", i, got[i], want[i])
		}
	}
	// A different seed gives different weights (the check above is not vacuous).
	other := run(1, "", false)
	if fitParams(other)[0] == want[0] && fitParams(other)[len(want)-1] == want[len(want)-1] {
		t.Error("1 and 4 epochs gave the same weights")
	}
}

func TestFitEarlyStopping(t *testing.T) {
	net, err := fitSmallCNN().Build(1)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	stopAt2 := CallbackFunc(func(_ *Net, h *History) error {
		calls++
		if len(h.Epochs) == 2 {
			return ErrStopTraining
		}
		return nil
	})
	h, err := Fit(t.Context(), net, fitBlobs(40, 2), FitOptions{Epochs: 10, BatchSize: 8, Progress: io.Discard, Callbacks: []Callback{stopAt2}})
	if err != nil || len(h.Epochs) != 2 || !h.Stopped || calls != 2 {
		t.Fatalf("%+v %v", h, err)
	}
	// EarlyStopping on a made-up history: best at epoch 2, patience 2.
	hist := &History{}
	for _, v := range []float64{1, 0.5, 0.6, 0.55} {
		hist.Epochs = append(hist.Epochs, EpochStats{ValLoss: v})
		err := EarlyStopping{Patience: 2}.EpochEnd(nil, hist)
		if stop := errors.Is(err, ErrStopTraining); stop != (len(hist.Epochs) == 4) {
			t.Errorf("after %d epochs: %v", len(hist.Epochs), err)
		}
	}
	if err := (EarlyStopping{Monitor: "bogus"}).EpochEnd(nil, hist); err == nil || errors.Is(err, ErrStopTraining) {
		t.Errorf("unknown metric: %v", err)
	}
}

func TestFitErrors(t *testing.T) {
	if _, err := (&Sequential{InputShape: []int{1, 6, 6}, Layers: []Layer{Flatten{}, Linear{In: 35, Out: 2}}}).Build(1); !errors.Is(err, ErrInvalidGraph) {
		t.Errorf("Linear size mismatch: %v", err)
	}
	if _, err := (&Sequential{InputShape: []int{1, 6, 6}, Layers: []Layer{Conv2D{In: 2, Out: 2, Kernel: 3}}}).Build(1); !errors.Is(err, ErrInvalidGraph) {
		t.Errorf("Conv channels mismatch: %v", err)
	}
	if _, err := (&Sequential{InputShape: []int{1, 2, 2}, Layers: []Layer{MaxPool2D{Kernel: 3}}}).Build(1); !errors.Is(err, ErrInvalidGraph) {
		t.Errorf("pool too large: %v", err)
	}
	if _, err := (&Sequential{InputShape: []int{0}}).Build(1); err == nil {
		t.Error("empty shape accepted")
	}
	net, err := fitSmallCNN().Build(1)
	if err != nil {
		t.Fatal(err)
	}
	d := fitBlobs(10, 1)
	bad := &Dataset{X: d.X, Y: tensor.Must(tensor.FromSlice([]int64{1, 2}, 2))}
	if _, err := Fit(t.Context(), net, bad, FitOptions{Progress: io.Discard}); err == nil {
		t.Error("mismatched X and Y accepted")
	}
	if _, err := Fit(t.Context(), net, d, FitOptions{Progress: io.Discard, ValSplit: 0.01}); err == nil {
		t.Error("a validation split of no sample accepted")
	}
	labels := tensor.Data[int64](d.Y)
	labels[0] = 7
	if _, err := Fit(t.Context(), net, d, FitOptions{Progress: io.Discard, Val: d}); err == nil {
		t.Error("label out of range accepted")
	}
}

func TestFitFineTuneAndMSE(t *testing.T) {
	// A linear regression y = 2x - 1 from an "imported" model: Gemm with
	// initializers w, b, trained with SGD under MSE.
	b := newGrGraph(15)
	x := b.input("x", tensor.Must(tensor.New(tensor.Float32, 4, 1)))
	y := b.op("Gemm", []string{x, b.init("w", tensor.Must(tensor.FromSlice([]float32{0}, 1, 1))), b.init("b", tensor.Must(tensor.FromSlice([]float32{0}, 1)))})
	b.output(y)
	net, err := NetFromModel(b.m, "x", y, nil)
	if err != nil || len(net.Params) != 2 {
		t.Fatalf("%v %v", net, err)
	}
	xs := make([]float32, 32)
	ys := make([]float32, 32)
	for i := range xs {
		xs[i] = float32(i)/16 - 1
		ys[i] = 2*xs[i] - 1
	}
	data := &Dataset{X: tensor.Must(tensor.FromSlice(xs, 32, 1)), Y: tensor.Must(tensor.FromSlice(ys, 32, 1))}
	h, err := Fit(t.Context(), net, data, FitOptions{Epochs: 60, BatchSize: 8, Loss: MSE, Optimizer: NewSGD(0.2, 0.5), Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	w, bb := tensor.Data[float32](b.m.Graph.Initializer("w"))[0], tensor.Data[float32](b.m.Graph.Initializer("b"))[0]
	if math.Abs(float64(w)-2) > 1e-3 || math.Abs(float64(bb)+1) > 1e-3 || !math.IsNaN(h.Epochs[0].Acc) {
		t.Errorf("w = %v, b = %v, history %+v", w, bb, h.Epochs[len(h.Epochs)-1])
	}
	if _, err := NetFromModel(b.m, "x", y, []string{"nope"}); !errors.Is(err, ErrInvalidGraph) {
		t.Errorf("unknown parameter: %v", err)
	}
}
