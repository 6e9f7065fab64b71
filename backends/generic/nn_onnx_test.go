package generic

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// nnONNXNodeDir holds Debian's copy of the official ONNX backend node tests.
const nnONNXNodeDir = "/usr/share/libonnx-testdata/data/node"

// nnONNXPrefixes select the node tests of the NN operators.
var nnONNXPrefixes = []string{
	"test_conv_", "test_basic_conv_", "test_convtranspose",
	"test_maxpool_", "test_averagepool_", "test_lppool", "test_globalaveragepool", "test_globalmaxpool", "test_globallppool",
	"test_batchnorm_", "test_instancenorm_", "test_lrn", "test_lpnormalization",
	"test_gemm_", "test_matmul_",
}

// TestNNONNXNodeCases runs the official ONNX node tests of the NN operators
// through the generic kernels (skipped when the test data is not installed).
func TestNNONNXNodeCases(t *testing.T) {
	entries, err := os.ReadDir(nnONNXNodeDir)
	if err != nil {
		t.Skipf("ONNX node tests not installed: %v", err)
	}
	ran := 0
	for _, e := range entries {
		name := e.Name()
		match := false
		for _, p := range nnONNXPrefixes {
			match = match || strings.HasPrefix(name, p)
		}
		if !match {
			continue
		}
		ran++
		t.Run(name, func(t *testing.T) { nnRunONNXCase(t, filepath.Join(nnONNXNodeDir, name)) })
	}
	if ran == 0 {
		t.Skip("no NN node tests found")
	}
}

func nnRunONNXCase(t *testing.T, dir string) {
	m, err := onnx.LoadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if len(m.Graph.Nodes) != 1 {
		t.Skipf("%d nodes", len(m.Graph.Nodes))
	}
	node := m.Graph.Nodes[0]
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	for _, set := range sets {
		var inputs []*tensor.Tensor
		for i := range node.Inputs {
			if node.Inputs[i] == "" {
				inputs = append(inputs, nil)
				continue
			}
			x, err := onnx.ReadTensorFile(filepath.Join(set, "input_"+nnItoa(i)+".pb"))
			if err != nil {
				t.Fatalf("input %d: %v", i, err)
			}
			inputs = append(inputs, x)
		}
		got, err := ops.Eval(context.Background(), node, m.Opset(node.Domain), inputs, func(b string) bool { return b == Name })
		if err != nil {
			t.Fatalf("eval: %v", err)
		}
		for i := range node.Outputs {
			want, err := onnx.ReadTensorFile(filepath.Join(set, "output_"+nnItoa(i)+".pb"))
			if err != nil {
				t.Fatalf("output %d: %v", i, err)
			}
			nnCheckClose(t, "output "+nnItoa(i), got[i], want, 1e-4, 1e-5)
		}
	}
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
