package generic

import (
	"regexp"
	"testing"

	"github.com/onyxml/onyx/tensor"
)

// redOfficialCases matches the official node tests of the ops in
// reduce.go, softmax.go, red_select.go and resize.go.
var redOfficialCases = regexp.MustCompile(`^test_(reduce_|softmax_|logsoftmax_|hardmax_|argmax_|argmin_|cumsum_|top_k|resize_|upsample_)`)

// TestRedOfficial runs the official ONNX node tests of this file's ops,
// graphs of several nodes included, comparing every output with atol 1e-5,
// rtol 1e-3.
func TestRedOfficial(t *testing.T) {
	onnxCases{
		match:     redOfficialCases.MatchString,
		multiNode: true,
		check: func(t *testing.T, _, what string, got, want *tensor.Tensor) {
			t.Helper()
			if got == nil {
				t.Fatalf("%s: not computed", what)
			}
			if got.DType() != want.DType() || !tensor.SameShape(got.Shape(), want.Shape()) {
				t.Fatalf("%s is %v%v, want %v%v", what, got.DType(), got.Shape(), want.DType(), want.Shape())
			}
			gv, err := got.Float64s()
			if err != nil {
				t.Fatal(err)
			}
			wv, _ := want.Float64s()
			if err := redClose(gv, wv, 1e-5, 1e-3); err != nil {
				t.Errorf("%s: %v", what, err)
			}
		},
	}.run(t)
}
