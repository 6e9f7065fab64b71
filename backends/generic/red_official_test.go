package generic

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// redOfficialDir holds Debian's libonnx-testdata node tests.
const redOfficialDir = "/usr/share/libonnx-testdata/data/node"

// redOfficialCases matches the official node tests of the ops in
// reduce.go, softmax.go, red_select.go and resize.go.
var redOfficialCases = regexp.MustCompile(`^test_(reduce_|softmax_|logsoftmax_|hardmax_|argmax_|argmin_|cumsum_|top_k|resize_|upsample_)`)

// redRunCase evaluates the model of one test case node by node through
// ops.Eval on the generic kernels and compares every output of
// test_data_set_0 with atol 1e-5, rtol 1e-3.
func redRunCase(dir string) error {
	m, err := onnx.LoadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return err
	}
	g := m.Graph
	vals := map[string]*tensor.Tensor{}
	for _, in := range g.Initializers {
		vals[in.Name] = in.Tensor
	}
	var inputs []string
	for _, vi := range g.Inputs {
		if _, init := vals[vi.Name]; !init {
			inputs = append(inputs, vi.Name)
		}
	}
	data := filepath.Join(dir, "test_data_set_0")
	for i, name := range inputs {
		t, err := onnx.ReadTensorFile(filepath.Join(data, fmt.Sprintf("input_%d.pb", i)))
		if err != nil {
			return err
		}
		vals[name] = t
	}
	for _, n := range g.Nodes {
		if n.OpType == "Constant" {
			vals[n.Outputs[0]] = n.Attr("value").Tensor
			continue
		}
		in := make([]*tensor.Tensor, len(n.Inputs))
		for i, name := range n.Inputs {
			if name != "" {
				in[i] = vals[name]
			}
		}
		out, err := ops.Eval(nil, n, m.Opset(n.Domain), in, func(b string) bool { return b == Name })
		if err != nil {
			return err
		}
		for i, name := range n.Outputs {
			vals[name] = out[i]
		}
	}
	for i, vi := range g.Outputs {
		want, err := onnx.ReadTensorFile(filepath.Join(data, fmt.Sprintf("output_%d.pb", i)))
		if err != nil {
			return err
		}
		got := vals[vi.Name]
		if got == nil {
			return fmt.Errorf("output %q not computed", vi.Name)
		}
		if got.DType() != want.DType() || !tensor.SameShape(got.Shape(), want.Shape()) {
			return fmt.Errorf("output %q is %v%v, want %v%v", vi.Name, got.DType(), got.Shape(), want.DType(), want.Shape())
		}
		gv, err := got.Float64s()
		if err != nil {
			return err
		}
		wv, _ := want.Float64s()
		if err := redClose(gv, wv, 1e-5, 1e-3); err != nil {
			return fmt.Errorf("output %q: %v", vi.Name, err)
		}
	}
	return nil
}

// TestRedOfficial runs the official ONNX node tests of this file's ops.
func TestRedOfficial(t *testing.T) {
	entries, err := os.ReadDir(redOfficialDir)
	if err != nil {
		t.Skipf("no ONNX node tests: %v", err)
	}
	var names []string
	for _, e := range entries {
		if redOfficialCases.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if err := redRunCase(filepath.Join(redOfficialDir, name)); err != nil {
				t.Error(err)
			}
		})
	}
}
