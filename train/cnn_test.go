package train

import (
	"errors"
	"fmt"
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
	// 2×128 elements: an unseeded Dropout keeping or zeroing all of them has
	// probability 2^-255, and a zero count outside [64, 192] about 1e-12.
	x := b.input("x", b.rand(1, 2, 2, 128))
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
	in := tensor.Data[float64](b.feeds[x])
	for i, v := range tensor.Data[float64](out) {
		switch {
		case v == 0:
			zeros++
		case math.Abs(v-2*in[i]) > 1e-12:
			t.Fatalf("element %d kept as %v, want 2×%v (scaled by 1/(1-0.5))", i, v, in[i])
		}
	}
	if zeros < 64 || zeros > 192 {
		t.Errorf("training-mode Dropout with ratio 0.5 zeroed %d of 256 elements", zeros)
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

// TestGradConcurrentRuns runs one compiled backward graph (with a seeded
// training-mode Dropout) from several goroutines: every Run gives the
// serial result.
func TestGradConcurrentRuns(t *testing.T) {
	b := newGrGraph(15)
	logits := grSmallCNN(b)
	logits = b.op("Dropout", []string{logits, b.init("ratio", tensor.Scalar(0.25)), b.init("on", tensor.Scalar(true))}, attrInt("seed", 4))
	tm, stats, err := TrainingMode(b.m)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := SoftmaxCrossEntropyLoss(tm, logits, "labels")
	if err != nil {
		t.Fatal(err)
	}
	params := []string{"conv_w", "conv_b", "bn_scale", "bn_bias", "fc_w", "fc_b"}
	res, err := Backward(tm, loss, params, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := runtime.NewSession(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	feeds := map[string]*tensor.Tensor{"x": b.feeds["x"], "labels": tensor.Must(tensor.FromSlice([]int64{1, 2}, 2))}
	for k, v := range res.Params {
		feeds[k] = v
	}
	for _, st := range stats {
		feeds[st.Input] = st.Init
	}
	want := grRun(t, s, feeds)
	check := append(append([]string(nil), res.Grads...), loss)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			got, err := s.Run(t.Context(), feeds)
			if err == nil {
				for _, g := range check {
					if a, c := tensor.Data[float64](got[g]), tensor.Data[float64](want[g]); fmt.Sprint(a) != fmt.Sprint(c) {
						err = fmt.Errorf("%s differs between runs", g)
					}
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestGradHalfPrecision checks that a float16 and a bfloat16 graph (an MLP
// under a cross-entropy loss) get the gradients of the same graph in
// float64, within half precision.
func TestGradHalfPrecision(t *testing.T) {
	ref := newGrGraph(15)
	x, w1, w2 := ref.rand(-1, 1, 4, 5), ref.rand(-0.5, 0.5, 5, 6), ref.rand(-0.5, 0.5, 6, 3)
	labels := tensor.Must(tensor.FromSlice([]int64{0, 2, 1, 2}, 4))
	grads := func(dt tensor.DType) []*tensor.Tensor {
		b := newGrGraph(15)
		conv := func(v *tensor.Tensor) *tensor.Tensor {
			c, err := ops.Eval(t.Context(), &ir.Node{OpType: "Cast", Inputs: []string{"a"}, Outputs: []string{"b"},
				Attrs: []*ir.Attribute{attrInt("to", int64(dt))}}, 13, []*tensor.Tensor{v}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return c[0]
		}
		h := b.op("Relu", []string{b.op("MatMul", []string{b.input("x", conv(x)), b.init("w1", conv(w1))})})
		logits := b.op("Gemm", []string{h, b.init("w2", conv(w2)), b.init("b2", conv(ref.rand(0, 0, 3)))})
		loss, err := SoftmaxCrossEntropyLoss(b.m, logits, "labels")
		if err != nil {
			t.Fatal(err)
		}
		res, err := Backward(b.m, loss, []string{"w1", "w2", "b2", "x"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := runtime.NewSession(res.Model)
		if err != nil {
			t.Fatalf("%v: %v", dt, err)
		}
		feeds := map[string]*tensor.Tensor{"x": b.feeds["x"], "labels": labels}
		for k, v := range res.Params {
			feeds[k] = v
		}
		out := grRun(t, s, feeds)
		var g []*tensor.Tensor
		for _, name := range res.Grads {
			if out[name].DType() != dt {
				t.Fatalf("%v graph: gradient %s is %v", dt, name, out[name].DType())
			}
			g = append(g, out[name])
		}
		return g
	}
	want := grads(tensor.Float64)
	for dt, tol := range map[tensor.DType]float64{tensor.Float16: 1e-2, tensor.BFloat16: 5e-2, tensor.Float32: 1e-6} {
		for i, g := range grads(dt) {
			a, _ := g.Float64s()
			c, _ := want[i].Float64s()
			for j := range a {
				if math.Abs(a[j]-c[j]) > tol*(1+math.Abs(c[j])) {
					t.Errorf("%v: gradient %d element %d = %v, float64 gives %v", dt, i, j, a[j], c[j])
					break
				}
			}
		}
	}
}

// TestGradThroughFusablePatterns checks graphs the runtime's optimizer
// rewrites (Conv with a residual Add and Relu, MatMul followed by Add,
// Gemm with an activation): the backward graph reads the intermediate
// values, which must survive the fusions.
func TestGradThroughFusablePatterns(t *testing.T) {
	b := newGrGraph(15)
	x := b.input("x", b.rand(-1, 1, 2, 3, 5, 5))
	c := b.op("Conv", []string{x, b.init("w", b.rand(-0.5, 0.5, 3, 3, 3, 3)), b.init("cb", b.rand(-0.1, 0.1, 3))}, attrInts("pads", 1, 1, 1, 1))
	r := b.op("Relu", []string{b.op("Add", []string{c, x})})
	f := b.op("Flatten", []string{r})
	m := b.op("Add", []string{b.op("MatMul", []string{f, b.init("mw", b.rand(-0.2, 0.2, 75, 4))}), b.init("mb", b.rand(-0.1, 0.1, 4))})
	y := b.op("Sigmoid", []string{b.op("Gemm", []string{b.op("LeakyRelu", []string{m}), b.init("gw", b.rand(-0.5, 0.5, 4, 2)), b.init("gb", b.rand(-0.1, 0.1, 2))})})
	grCheck(t, b, b.weightedLoss(t, y), []string{"x", "w", "cb", "mw", "mb", "gw", "gb"}, 1e-6, 1e-5)
}
