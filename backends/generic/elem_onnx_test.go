package generic

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/onyxml/onyx/ir"
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

// TestElemONNXNodeCases runs the official ONNX node tests of the
// elementwise operators through the generic kernels (skipped when the test
// data is not installed).
func TestElemONNXNodeCases(t *testing.T) {
	cases := onnxCases{
		match: elemONNXCases.MatchString,
		model: func(name string, m *ir.Model) bool {
			// Not an expanded function body, nor another op
			// (test_logsoftmax_...).
			return elemONNXSkip[name] == "" && len(m.Graph.Nodes) == 1 &&
				elemONNXCases.MatchString("test_"+strings.ToLower(m.Graph.Nodes[0].OpType))
		},
		check: func(t *testing.T, _, what string, got, want *tensor.Tensor) {
			t.Helper()
			elemCheck(t, what, got, want, 1e-5)
		},
	}
	ran := cases.run(t)
	if ran == 0 {
		t.Skip("no elementwise node tests found")
	}
	t.Logf("%d cases", ran)
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
