package train

import (
	"errors"
	"io"
	"math"
	"path/filepath"
	"testing"

	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// TestExportRoundTrip trains the small CNN (BatchNorm, Dropout), exports it
// at opset 13 with new names and a dynamic batch, reloads the file and
// compares its outputs with the Net's evaluation graph.
func TestExportRoundTrip(t *testing.T) {
	net, err := fitSmallCNN().Build(11)
	if err != nil {
		t.Fatal(err)
	}
	data := fitBlobs(48, 3)
	if _, err := Fit(t.Context(), net, data, FitOptions{Epochs: 2, BatchSize: 8, Progress: io.Discard, Optimizer: NewAdam(0.01)}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cnn.onnx")
	if err := Export(net, path, ExportOptions{InputName: "images", OutputName: "logits"}); err != nil {
		t.Fatal(err)
	}
	m, err := onnx.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Opset("") != 13 || len(m.Graph.Inputs) != 1 || m.Graph.Inputs[0].Name != "images" || m.Graph.Outputs[0].Name != "logits" {
		t.Fatalf("exported opset %d, inputs %v, outputs %v", m.Opset(""), m.Graph.Inputs, m.Graph.Outputs)
	}
	if d := m.Graph.Inputs[0].Type.Shape[0]; d.Param != BatchDim {
		t.Errorf("batch dim %v, want symbolic", d)
	}
	for _, n := range m.Graph.Nodes {
		if n.OpType == "Dropout" || len(n.Outputs) != 1 {
			t.Errorf("exported node %v outputs %v", n, n.Outputs)
		}
	}
	s, err := runtime.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	eg, err := buildEvalGraph(net, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 5} {
		part, _ := data.Slice(0, n)
		got, err := s.Run(t.Context(), map[string]*tensor.Tensor{"images": part.X})
		if err != nil {
			t.Fatal(err)
		}
		feed := map[string]*tensor.Tensor{net.Input: part.X}
		for _, f := range eg.feeds {
			feed[f] = net.Model.Graph.Initializer(f)
		}
		want, err := eg.sess.Run(t.Context(), feed)
		if err != nil {
			t.Fatal(err)
		}
		a, b := tensor.Data[float32](got["logits"]), tensor.Data[float32](want[net.Output])
		if len(a) != n*3 || len(a) != len(b) {
			t.Fatalf("batch %d: %d vs %d outputs", n, len(a), len(b))
		}
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > 1e-4*(1+math.Abs(float64(b[i]))) {
				t.Fatalf("batch %d: output %d = %v, eval graph %v", n, i, a[i], b[i])
			}
		}
	}
	// Running statistics were trained and exported (not the initial 0/1).
	moved := false
	for _, in := range m.Graph.Initializers {
		if in.Tensor.Rank() == 1 && in.Tensor.Len() == 4 {
			for _, v := range tensor.Data[float32](in.Tensor) {
				moved = moved || (v != 0 && v != 1)
			}
		}
	}
	if !moved {
		t.Error("the exported BatchNorm statistics are the initial ones")
	}

	// A fixed batch, and an opset where BatchNormalization means something else.
	fm, err := ExportModel(net, ExportOptions{Batch: 4})
	if err != nil || fm.Graph.Inputs[0].Type.Shape[0].Value != 4 {
		t.Errorf("fixed batch: %v", err)
	}
	if _, err := ExportModel(net, ExportOptions{Opset: 8}); !errors.Is(err, ErrInvalidGraph) {
		t.Errorf("opset 8: %v", err)
	}
	if _, err := ExportModel(nil, ExportOptions{}); err == nil {
		t.Error("nil net exported")
	}
}
