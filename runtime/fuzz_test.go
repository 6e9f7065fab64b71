package runtime_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// fuzzLimits keep each compilation of a fuzzed model small.
var fuzzLimits = runtime.Limits{MaxTensorBytes: 1 << 20, MaxTotalBytes: 16 << 20, MaxGraphDepth: 16, MaxNodes: 10000}

// fuzzSeeds returns small models: the crafted hostile ones, onyx's test
// models and, where the libonnx-testdata package is installed, the ONNX
// backend tests' node models under 2 KB (one per operator and variant).
func fuzzSeeds(f *testing.F) [][]byte {
	files, _ := filepath.Glob(filepath.Join(hostileDir, "*.onnx"))
	files = append(files, "../testdata/dynamic_cnn/model.onnx", "../onnx/testdata/python_model.onnx")
	node, _ := filepath.Glob("/usr/share/libonnx-testdata/data/node/*/model.onnx")
	for _, file := range node {
		if fi, err := os.Stat(file); err == nil && fi.Size() < 2048 {
			files = append(files, file)
		}
	}
	var seeds [][]byte
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// FuzzCompile decodes a model and compiles it (validation, shape inference,
// constant folding, graph rewrites, kernel choice, memory planning): that
// must never panic, hang or allocate beyond the limits, and an error must
// wrap one of the package's sentinels and not be a recovered panic.
func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := onnx.Decode(data)
		if err != nil {
			return // FuzzDecode's business
		}
		start := time.Now()
		s, err := runtime.NewSession(m, runtime.WithLimits(fuzzLimits))
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("compilation took %v", d)
		}
		if err != nil {
			checkCompileError(t, err)
			return
		}
		s.Close()
	})
}

func checkCompileError(t *testing.T, err error) {
	t.Helper()
	if strings.Contains(err.Error(), "panic") {
		t.Fatalf("compilation panicked: %v", err)
	}
	for _, want := range []error{runtime.ErrInvalidModel, runtime.ErrUnsupportedOp, runtime.ErrShapeMismatch, runtime.ErrLimit,
		ops.ErrInvalidNode, tensor.ErrShape} {
		if errors.Is(err, want) {
			return
		}
	}
	t.Fatalf("error wraps no sentinel: %v", err)
}
