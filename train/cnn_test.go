package train

import (
	"errors"
	"math"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// grSmallCNN builds Conv-BatchNormalization-Relu-MaxPool-Flatten-Gemm
// logits for a batch of 2 images of 2x6x6 and 3 classes.
func grSmallCNN(b *grGraph) string {
	x := b.input("x", b.rand(-1, 1, 2, 2, 6, 6))
	h := b.op("Conv", []string{x, b.init("conv_w", b.rand(-0.5, 0.5, 4, 2, 3, 3)), b.init("conv_b", b.rand(-0.1, 0.1, 4))},
		attrInts("pads", 1, 1, 1, 1))
	b.node("BatchNormalization", []string{h, b.init("bn_scale", b.rand(0.5, 1.5, 4)), b.init("bn_bias", b.rand(-0.5, 0.5, 4)),
		b.init("bn_mean", b.rand(-0.1, 0.1, 4)), b.init("bn_var", b.rand(0.5, 1.5, 4))}, []string{"bn"}, attrFloat("momentum", 0.8))
	h = b.op("Relu", []string{"bn"})
	h = b.op("MaxPool", []string{h}, attrInts("kernel_shape", 2, 2), attrInts("strides", 2, 2))
	h = b.op("Flatten", []string{h})
	return b.op("Gemm", []string{h, b.init("fc_w", b.rand(-0.3, 0.3, 3, 36)), b.init("fc_b", b.rand(-0.1, 0.1, 3))},
		attrInt("transB", 1))
}

// TestGradSmallCNN checks the whole chain end to end: a small CNN in
// training mode (batch statistics) under a softmax cross-entropy loss,
// every parameter's gradient against central differences, and the
// running statistics outputs.
func TestGradSmallCNN(t *testing.T) {
	b := newGrGraph(15)
	logits := grSmallCNN(b)
	tm, stats, err := TrainingMode(b.m)
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 2 || stats[0].Input != "bn_mean" || stats[1].Input != "bn_var" || stats[0].Init == nil {
		t.Fatalf("stats %+v", stats)
	}
	b.m = tm
	for _, s := range stats {
		b.feeds[s.Input] = s.Init
	}
	loss, err := SoftmaxCrossEntropyLoss(b.m, logits, "labels")
	if err != nil {
		t.Fatal(err)
	}
	b.feeds["labels"] = tensor.Must(tensor.FromSlice([]int64{2, 0}, 2))
	params := []string{"conv_w", "conv_b", "bn_scale", "bn_bias", "fc_w", "fc_b", "x"}
	res := grCheck(t, b, loss, params, 1e-6, 1e-5)

	// The updated running statistics: momentum*old + (1-momentum)*batch.
	s, err := runtime.NewSession(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	feeds := map[string]*tensor.Tensor{}
	for k, v := range b.feeds {
		feeds[k] = v
	}
	for k, v := range res.Params {
		feeds[k] = v
	}
	out := grRun(t, s, feeds)
	conv, err := ops.Eval(t.Context(), b.m.Graph.Nodes[0], 15, []*tensor.Tensor{feeds["x"], feeds["conv_w"], feeds["conv_b"]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cv := tensor.Data[float64](conv[0])
	for c := range 4 {
		var sum, sq float64
		for n := range 2 {
			for _, v := range cv[(n*4+c)*36 : (n*4+c+1)*36] {
				sum += v
				sq += v * v
			}
		}
		mean := sum / 72
		vr := sq/72 - mean*mean
		mom := float64(float32(0.8)) // the attribute is a float32
		wantM := mom*tensor.Data[float64](stats[0].Init)[c] + (1-mom)*mean
		wantV := mom*tensor.Data[float64](stats[1].Init)[c] + (1-mom)*vr
		gotM, gotV := tensor.Data[float64](out[stats[0].Output])[c], tensor.Data[float64](out[stats[1].Output])[c]
		if math.Abs(gotM-wantM) > 1e-9 || math.Abs(gotV-wantV) > 1e-9 {
			t.Errorf("channel %d: running mean/var %v/%v, want %v/%v", c, gotM, gotV, wantM, wantV)
		}
	}
}

// TestGradTrainingMode checks TrainingMode's rewrites and its errors.
func TestGradTrainingMode(t *testing.T) {
	b := newGrGraph(15)
	x := b.input("x", b.rand(-1, 1, 2, 3))
	y := b.op("Dropout", []string{x})
	y2 := b.op("Dropout", []string{y, b.init("r", tensor.Scalar(float32(0.2))), b.input("tm", tensor.Scalar(false))})
	b.output(y2)
	tm, stats, err := TrainingMode(b.m)
	if err != nil || len(stats) != 0 {
		t.Fatalf("TrainingMode: %v %v", stats, err)
	}
	if len(b.m.Graph.Nodes[0].Inputs) != 1 {
		t.Errorf("TrainingMode modified its input")
	}
	d0, d1 := tm.Graph.Nodes[0], tm.Graph.Nodes[1]
	if len(d0.Inputs) != 3 || d0.Inputs[2] == "" || d1.Inputs[2] != "tm" {
		t.Errorf("Dropout inputs %v and %v", d0.Inputs, d1.Inputs)
	}
	s, err := runtime.NewSession(tm)
	if err != nil {
		t.Fatal(err)
	}
	out := grRun(t, s, b.feeds)[y2]
	zeros := 0
	for _, v := range tensor.Data[float64](out) {
		if v == 0 {
			zeros++
		}
	}
	if zeros == 0 {
		t.Errorf("training-mode Dropout with ratio 0.5 zeroed nothing: %v", out)
	}

	for name, m := range map[string]*ir.Model{
		"bn-opset13": func() *ir.Model {
			b := newGrGraph(13)
			b.node("BatchNormalization", []string{b.input("x", b.rand(0, 1, 2, 2)), "s", "b", "m", "v"}, []string{"y"})
			return b.m
		}(),
		"dropout-opset11": func() *ir.Model {
			b := newGrGraph(11)
			b.op("Dropout", []string{b.input("x", b.rand(0, 1, 2, 2))})
			return b.m
		}(),
	} {
		if _, _, err := TrainingMode(m); !errors.Is(err, ErrInvalidGraph) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := TrainingMode(nil); !errors.Is(err, ErrInvalidGraph) {
		t.Errorf("nil model: %v", err)
	}
}
