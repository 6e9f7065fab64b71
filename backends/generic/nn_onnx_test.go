package generic

import (
	"math"
	"testing"

	"github.com/onyxml/onyx/tensor"
)

// TestNNONNXNodeCases runs the official ONNX node tests of the NN operators
// through the generic kernels (skipped when the test data is not installed).
func TestNNONNXNodeCases(t *testing.T) {
	onnxRunPrefixes(t, 1e-4, 1e-5, "test_conv_", "test_basic_conv_", "test_convtranspose",
		"test_maxpool_", "test_averagepool_", "test_lppool", "test_globalaveragepool", "test_globalmaxpool", "test_globallppool",
		"test_batchnorm_", "test_instancenorm_", "test_lrn", "test_lpnormalization",
		"test_gemm_", "test_matmul_")
}

func nnItoa(i int) string {
	const d = "0123456789"
	if i < 10 {
		return d[i : i+1]
	}
	return nnItoa(i/10) + d[i%10:i%10+1]
}

// nnCheckClose fails t unless got has want's dtype and shape and every
// element is within atol + rtol*|want| (NaNs must match NaNs).
func nnCheckClose(t *testing.T, what string, got, want *tensor.Tensor, rtol, atol float64) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no result", what)
	}
	if got.DType() != want.DType() || !tensor.SameShape(got.Shape(), want.Shape()) {
		t.Fatalf("%s: got %v%v, want %v%v", what, got.DType(), got.Shape(), want.DType(), want.Shape())
	}
	g, err := got.Float64s()
	if err != nil {
		t.Fatal(err)
	}
	w, _ := want.Float64s()
	bad := 0
	for i := range w {
		if math.IsNaN(w[i]) && math.IsNaN(g[i]) {
			continue
		}
		if math.IsInf(w[i], 0) && g[i] == w[i] {
			continue
		}
		if !(math.Abs(g[i]-w[i]) <= atol+rtol*math.Abs(w[i])) {
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
