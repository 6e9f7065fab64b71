package generic

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/ops"
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

const shpONNXDir = "/usr/share/libonnx-testdata/data/node"

var shpONNXName = regexp.MustCompile(`^test_`)

// TestShpONNXNodeCases runs the official ONNX node tests of the shape,
// layout and indexing ops through the generic kernels (skipped when the test
// data is not installed).
func TestShpONNXNodeCases(t *testing.T) {
	entries, err := os.ReadDir(shpONNXDir)
	if err != nil {
		t.Skipf("ONNX node tests not installed: %v", err)
	}
	ran := 0
	for _, e := range entries {
		name := e.Name()
		if !shpONNXName.MatchString(name) || strings.HasSuffix(name, "_expanded") {
			continue
		}
		dir := filepath.Join(shpONNXDir, name)
		m, err := onnx.LoadFile(filepath.Join(dir, "model.onnx"))
		if err != nil || len(m.Graph.Nodes) != 1 || !shpONNXOps[m.Graph.Nodes[0].OpType] {
			continue
		}
		if len(m.Graph.Inputs) > 0 && m.Graph.Inputs[0].Type != nil && m.Graph.Inputs[0].Type.Kind != 0 {
			continue // sequences and optionals are not tensors
		}
		ran++
		t.Run(name, func(t *testing.T) {
			node := m.Graph.Nodes[0]
			random := shpONNXRandom[name]
			sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
			for _, set := range sets {
				inputs := make([]*tensor.Tensor, len(node.Inputs))
				k := 0
				for i, in := range node.Inputs {
					if in == "" {
						continue
					}
					x, err := onnx.ReadTensorFile(filepath.Join(set, fmt.Sprintf("input_%d.pb", k)))
					if err != nil {
						t.Fatalf("input %d: %v", i, err)
					}
					inputs[i] = x
					k++
				}
				got, err := ops.Eval(t.Context(), node, m.Opset(node.Domain), inputs, func(b string) bool { return b == Name })
				if err != nil {
					t.Fatalf("opset %d: %v", m.Opset(node.Domain), err)
				}
				for j, o := range m.Graph.Outputs {
					want, err := onnx.ReadTensorFile(filepath.Join(set, fmt.Sprintf("output_%d.pb", j)))
					if err != nil {
						t.Fatalf("output %d: %v", j, err)
					}
					for i, name := range node.Outputs {
						switch {
						case name != o.Name:
						case random:
							if got[i] == nil || got[i].DType() != want.DType() || !tensor.SameShape(got[i].Shape(), want.Shape()) {
								t.Fatalf("output %q: got %v, want the type and shape of %v", name, got[i], want)
							}
						default:
							shpCheck(t, fmt.Sprintf("output %q", name), got[i], want)
						}
					}
				}
			}
		})
	}
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
