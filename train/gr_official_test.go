package train_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/onyxml/onyx/testcase"
)

// TestGradOfficialGradientCases runs the ONNX test cases of the Gradient
// operator (Debian's libonnx-testdata, or ONNX_TESTDATA) through the
// runtime, as `onyx test` does.
func TestGradOfficialGradientCases(t *testing.T) {
	root := os.Getenv("ONNX_TESTDATA")
	if root == "" {
		root = "/usr/share/libonnx-testdata/data"
	}
	ran := 0
	for _, name := range []string{"test_gradient_of_add", "test_gradient_of_add_and_mul"} {
		dir := filepath.Join(root, "simple", name)
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		ran++
		c, err := testcase.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if res := testcase.Run(t.Context(), c, testcase.DefaultTolerance); !res.Pass {
			t.Errorf("%s: %v", name, res.Err)
		}
	}
	if ran == 0 {
		t.Skip("no ONNX test data (install libonnx-testdata or set ONNX_TESTDATA)")
	}
}
