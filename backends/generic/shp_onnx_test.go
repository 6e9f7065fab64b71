package generic

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// shpONNXOps are the ops whose official ONNX node tests TestShpONNXNodeCases
// runs (single-node models only).
var shpONNXOps = map[string]bool{
	"Concat": true, "Split": true, "Slice": true, "Reshape": true, "Flatten": true,
	"Transpose": true, "Squeeze": true, "Unsqueeze": true, "Expand": true, "Tile": true,
	"Pad": true, "Gather": true, "GatherElements": true, "GatherND": true, "Scatter": true,
	"ScatterElements": true, "ScatterND": true, "Shape": true, "Size": true, "Constant": true,
	"ConstantOfShape": true, "Identity": true, "Dropout": true, "Range": true, "EyeLike": true,
	"Trilu": true, "DepthToSpace": true, "SpaceToDepth": true, "OneHot": true,
}

// shpONNXRandom lists the cases whose outputs are random (training-mode
// Dropout draws its mask from onyx's generator, not numpy's): only their
// outputs' shapes and types are checked.
var shpONNXRandom = map[string]bool{
	"test_training_dropout":              true,
	"test_training_dropout_default":      true,
	"test_training_dropout_default_mask": true,
	"test_training_dropout_mask":         true,
}

// TestShpONNXNodeCases runs the official ONNX node tests of the shape,
// layout and indexing ops through the generic kernels (skipped when the test
// data is not installed).
func TestShpONNXNodeCases(t *testing.T) {
	cases := onnxCases{
		match: func(name string) bool {
			return strings.HasPrefix(name, "test_") && !strings.HasSuffix(name, "_expanded")
		},
		model: func(_ string, m *ir.Model) bool {
			if len(m.Graph.Nodes) != 1 || !shpONNXOps[m.Graph.Nodes[0].OpType] {
				return false
			}
			// Sequences and optionals are not tensors.
			return len(m.Graph.Inputs) == 0 || m.Graph.Inputs[0].Type == nil || m.Graph.Inputs[0].Type.Kind == 0
		},
		check: func(t *testing.T, name, what string, got, want *tensor.Tensor) {
			t.Helper()
			if !shpONNXRandom[name] {
				shpCheck(t, what, got, want)
			} else if got == nil || got.DType() != want.DType() || !tensor.SameShape(got.Shape(), want.Shape()) {
				t.Fatalf("%s: got %v, want the type and shape of %v", what, got, want)
			}
		},
	}
	ran := cases.run(t)
	if ran == 0 {
		t.Skip("no node tests found")
	}
	t.Logf("%d cases", ran)
}

// shpCheck fails t unless got equals want: dtype, shape and elements
// (numbers within 1e-6 relative, NaN matching NaN).
func shpCheck(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no result", what)
	}
	if got.DType() != want.DType() || !tensor.SameShape(got.Shape(), want.Shape()) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
	switch want.DType() {
	case tensor.String, tensor.Complex64, tensor.Complex128:
		if fmt.Sprint(got.Raw()) != fmt.Sprint(want.Raw()) {
			t.Fatalf("%s: got %v, want %v", what, got.Raw(), want.Raw())
		}
		return
	}
	g, err := got.Float64s()
	if err != nil {
		t.Fatal(err)
	}
	w, _ := want.Float64s()
	for i := range w {
		if g[i] == w[i] || math.IsNaN(g[i]) && math.IsNaN(w[i]) {
			continue
		}
		if !(math.Abs(g[i]-w[i]) <= 1e-6*max(1, math.Abs(w[i]))) {
			t.Fatalf("%s: element %d = %v, want %v\ngot  %v\nwant %v", what, i, g[i], w[i], got, want)
		}
	}
}
