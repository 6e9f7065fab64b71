package generic

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// elemONNXCases selects the official ONNX node tests of the elementwise
// operators (single-node models only; "_expanded" variants are function
// bodies made of other ops).
var elemONNXCases = regexp.MustCompile(`^test_(` +
	`abs|neg|sqrt|exp|log|reciprocal|floor|ceil|round|erf|sign|sin|cos|tan|asin|acos|atan|` +
	`sinh|cosh|asinh|acosh|atanh|isnan|isinf|not|relu|leakyrelu|prelu|elu|selu|celu|sigmoid|` +
	`hardsigmoid|hardswish|tanh|softplus|softsign|mish|gelu|thresholdedrelu|clip|add|sub|mul|` +
	`div|pow|mod|bitshift|bitwise|min|max|sum|mean|equal|less|greater|and|or|xor|where|cast|castlike` +
	`)($|_)`)

// elemONNXSkip lists cases whose data is wrong, with the reason.
var elemONNXSkip = map[string]string{
	// The onnx 1.12 data store bfloat16 values as uint16 tensors.
	"test_cast_BFLOAT16_to_FLOAT":              "bf16 stored as uint16",
	"test_cast_FLOAT_to_BFLOAT16":              "bf16 stored as uint16",
	"test_castlike_BFLOAT16_to_FLOAT":          "bf16 stored as uint16",
	"test_castlike_BFLOAT16_to_FLOAT_expanded": "bf16 stored as uint16",
	"test_castlike_FLOAT_to_BFLOAT16":          "bf16 stored as uint16",
	"test_castlike_FLOAT_to_BFLOAT16_expanded": "bf16 stored as uint16",
}

// elemONNXDir holds Debian's copy of the official ONNX backend node tests.
const elemONNXDir = "/usr/share/libonnx-testdata/data/node"

// TestElemONNXNodeCases runs the official ONNX node tests of the
// elementwise operators through the generic kernels (skipped when the test
// data is not installed).
func TestElemONNXNodeCases(t *testing.T) {
	entries, err := os.ReadDir(elemONNXDir)
	if err != nil {
		t.Skipf("ONNX node tests not installed: %v", err)
	}
	ran := 0
	for _, e := range entries {
		name := e.Name()
		if !elemONNXCases.MatchString(name) {
			continue
		}
		m, err := onnx.LoadFile(filepath.Join(elemONNXDir, name, "model.onnx"))
		if err != nil {
			t.Errorf("%s: load: %v", name, err)
			continue
		}
		if elemONNXSkip[name] != "" {
			continue
		}
		if len(m.Graph.Nodes) != 1 || !elemONNXCases.MatchString("test_"+strings.ToLower(m.Graph.Nodes[0].OpType)) {
			continue // an expanded function body, or another op (test_logsoftmax_...)
		}
		ran++
		t.Run(name, func(t *testing.T) { elemRunONNXCase(t, filepath.Join(elemONNXDir, name), m) })
	}
	if ran == 0 {
		t.Skip("no elementwise node tests found")
	}
	t.Logf("%d cases", ran)
}

func elemRunONNXCase(t *testing.T, dir string, m *ir.Model) {
	node := m.Graph.Nodes[0]
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	for _, set := range sets {
		// Input files are numbered over the inputs given.
		inputs := make([]*tensor.Tensor, len(node.Inputs))
		k := 0
		for i := range node.Inputs {
			if node.Inputs[i] == "" {
				continue
			}
			x, err := onnx.ReadTensorFile(filepath.Join(set, fmt.Sprintf("input_%d.pb", k)))
			if err != nil {
				t.Fatalf("input %d: %v", i, err)
			}
			inputs[i] = x
			k++
		}
		got, err := ops.Eval(context.Background(), node, m.Opset(node.Domain), inputs, func(b string) bool { return b == Name })
		if err != nil {
			t.Fatalf("eval: %v", err)
		}
		for i := range node.Outputs {
			want, err := onnx.ReadTensorFile(filepath.Join(set, fmt.Sprintf("output_%d.pb", i)))
			if err != nil {
				t.Fatalf("output %d: %v", i, err)
			}
			elemCheck(t, fmt.Sprintf("output %d", i), got[i], want, 1e-5)
		}
	}
}

// elemCheck fails t unless got has want's dtype and shape and equal
// elements: strings and bools exactly, numbers within a relative tolerance
// tol (0: exactly; NaN matches NaN). Half types get a half-sized tolerance.
func elemCheck(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no result", what)
	}
	if got.DType() != want.DType() || !tensor.SameShape(got.Shape(), want.Shape()) {
		t.Fatalf("%s: got %v%v, want %v%v", what, got.DType(), got.Shape(), want.DType(), want.Shape())
	}
	if want.DType() == tensor.String {
		g, w := tensor.Data[string](got), tensor.Data[string](want)
		for i := range w {
			if g[i] != w[i] {
				t.Fatalf("%s: element %d = %q, want %q", what, i, g[i], w[i])
			}
		}
		return
	}
	switch want.DType() {
	case tensor.Float16:
		tol = max(tol, 1e-3)
	case tensor.BFloat16:
		tol = max(tol, 8e-3)
	}
	g, err := got.Float64s()
	if err != nil {
		t.Fatal(err)
	}
	w, _ := want.Float64s()
	bad := 0
	for i := range w {
		if math.IsNaN(w[i]) && math.IsNaN(g[i]) || g[i] == w[i] {
			continue
		}
		if !(math.Abs(g[i]-w[i]) <= tol*max(1, math.Abs(w[i]))) {
			if bad < 5 {
				t.Errorf("%s: element %d (of %v) = %v, want %v", what, i, want.Shape(), g[i], w[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d elements differ", what, bad, len(w))
	}
}
