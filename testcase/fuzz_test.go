package testcase

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzCaseSeeds are test cases whose model and first data set seed
// FuzzLoad: onyx's dynamic_cnn and, where libonnx-testdata is installed,
// ONNX backend tests with sequence and optional values.
var fuzzCaseSeeds = []string{
	"../testdata/dynamic_cnn",
	"/usr/share/libonnx-testdata/data/node/test_identity_sequence",
	"/usr/share/libonnx-testdata/data/node/test_optional_get_element_sequence",
	"/usr/share/libonnx-testdata/data/node/test_optional_has_element_empty",
	"/usr/share/libonnx-testdata/data/node/test_sequence_insert_at_back",
	"/usr/share/libonnx-testdata/data/node/test_reversesequence_batch",
	"/usr/share/libonnx-testdata/data/node/test_cast_FLOAT_to_BFLOAT16",
}

// FuzzLoad writes a case folder (model.onnx and test_data_set_0 with one
// input and one output file) and loads it as `onyx test` does: Load must
// never panic, and its errors must say where they come from.
func FuzzLoad(f *testing.F) {
	for _, dir := range fuzzCaseSeeds {
		model, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			f.Fatal(err)
		}
		in, _ := os.ReadFile(filepath.Join(dir, "test_data_set_0", "input_0.pb"))
		out, _ := os.ReadFile(filepath.Join(dir, "test_data_set_0", "output_0.pb"))
		f.Add(model, in, out)
	}
	f.Fuzz(func(t *testing.T, model, in, out []byte) {
		dir := t.TempDir()
		set := filepath.Join(dir, "test_data_set_0")
		if err := os.Mkdir(set, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{filepath.Join(dir, "model.onnx"): model,
			filepath.Join(set, "input_0.pb"): in, filepath.Join(set, "output_0.pb"): out} {
			if err := os.WriteFile(name, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c, err := Load(dir)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "onnx: ") && !strings.HasPrefix(msg, "testcase: ") {
				t.Fatalf("error without its package: %v", err)
			}
			return
		}
		if len(c.Sets) != 1 || len(c.Sets[0].Inputs) != 1 || len(c.Sets[0].Outputs) != 1 {
			t.Fatalf("loaded %d sets, want 1 with one input and one output", len(c.Sets))
		}
	})
}
