package generic

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// The one harness of this package's tests that run official ONNX backend
// node cases through ops.Eval on the generic kernels.

// onnxNodeDir holds Debian's copy of the official ONNX backend node tests.
const onnxNodeDir = "/usr/share/libonnx-testdata/data/node"

// onnxCase is one official test case: its model and one data set's inputs
// (for the graph inputs without initializers) and expected outputs.
type onnxCase struct {
	model *ir.Model
	in    []*tensor.Tensor
	want  []*tensor.Tensor
}

// onnxLoadCase loads the official case name with test_data_set_0, or skips
// t when the data is not installed.
func onnxLoadCase(t *testing.T, name string) *onnxCase {
	t.Helper()
	dir := filepath.Join(onnxNodeDir, name)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s not installed", dir)
	}
	m, err := onnx.LoadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	return onnxReadSet(t, m, filepath.Join(dir, "test_data_set_0"))
}

// onnxReadSet reads the inputs and expected outputs of m from the data set
// directory set: input files are numbered over the graph inputs that are
// not initializers, output files over the graph outputs.
func onnxReadSet(t *testing.T, m *ir.Model, set string) *onnxCase {
	t.Helper()
	c := &onnxCase{model: m}
	inits := map[string]bool{}
	for _, in := range m.Graph.Initializers {
		inits[in.Name] = true
	}
	for _, vi := range m.Graph.Inputs {
		if inits[vi.Name] {
			continue
		}
		x, err := onnx.ReadTensorFile(filepath.Join(set, fmt.Sprintf("input_%d.pb", len(c.in))))
		if err != nil {
			t.Fatalf("input %d: %v", len(c.in), err)
		}
		c.in = append(c.in, x)
	}
	for i := range m.Graph.Outputs {
		x, err := onnx.ReadTensorFile(filepath.Join(set, fmt.Sprintf("output_%d.pb", i)))
		if err != nil {
			t.Fatalf("output %d: %v", i, err)
		}
		c.want = append(c.want, x)
	}
	return c
}

// run evaluates the case's graph node by node through ops.Eval on the
// generic kernels and returns its outputs (nil for any not computed).
func (c *onnxCase) run(t *testing.T) ([]*tensor.Tensor, error) {
	g := c.model.Graph
	vals := map[string]*tensor.Tensor{}
	for _, in := range g.Initializers {
		vals[in.Name] = in.Tensor
	}
	k := 0
	for _, vi := range g.Inputs {
		if _, init := vals[vi.Name]; !init {
			vals[vi.Name] = c.in[k]
			k++
		}
	}
	for _, n := range g.Nodes {
		in := make([]*tensor.Tensor, len(n.Inputs))
		for i, name := range n.Inputs {
			if name != "" {
				in[i] = vals[name]
			}
		}
		out, err := ops.Eval(t.Context(), n, c.model.Opset(n.Domain), in, func(b string) bool { return b == Name })
		if err != nil {
			return nil, fmt.Errorf("%s (opset %d): %w", n.OpType, c.model.Opset(n.Domain), err)
		}
		for i, name := range n.Outputs {
			vals[name] = out[i]
		}
	}
	outs := make([]*tensor.Tensor, len(g.Outputs))
	for i, vi := range g.Outputs {
		outs[i] = vals[vi.Name]
	}
	return outs, nil
}

// onnxCases selects official node cases and says how to judge them.
type onnxCases struct {
	// match selects cases by name.
	match func(name string) bool
	// model, when set, further selects the matched cases by their model.
	model func(name string, m *ir.Model) bool
	// multiNode evaluates graphs of several nodes; otherwise those cases
	// are skipped.
	multiNode bool
	// check compares output i of case name with its expected value.
	check func(t *testing.T, name, what string, got, want *tensor.Tensor)
}

// onnxPrefixes matches case names that start with one of prefixes and do
// not end in "_expanded" (function bodies made of other ops).
func onnxPrefixes(prefixes ...string) func(string) bool {
	return func(name string) bool {
		return !strings.HasSuffix(name, "_expanded") &&
			slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(name, p) })
	}
}

// onnxClose is a check within atol + rtol*|want| (see nnCheckClose).
func onnxClose(rtol, atol float64) func(t *testing.T, name, what string, got, want *tensor.Tensor) {
	return func(t *testing.T, _, what string, got, want *tensor.Tensor) {
		t.Helper()
		nnCheckClose(t, what, got, want, rtol, atol)
	}
}

// run runs every selected case in onnxNodeDir as a subtest over all its
// data sets and returns how many it ran; it skips t when the test data is
// not installed.
func (o onnxCases) run(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir(onnxNodeDir)
	if err != nil {
		t.Skipf("ONNX node tests not installed: %v", err)
	}
	ran := 0
	for _, e := range entries {
		name := e.Name()
		if !o.match(name) {
			continue
		}
		dir := filepath.Join(onnxNodeDir, name)
		m, err := onnx.LoadFile(filepath.Join(dir, "model.onnx"))
		if err != nil {
			t.Errorf("%s: load: %v", name, err)
			continue
		}
		if o.model != nil && !o.model(name, m) {
			continue
		}
		ran++
		t.Run(name, func(t *testing.T) {
			if !o.multiNode && len(m.Graph.Nodes) != 1 {
				t.Skipf("%d nodes", len(m.Graph.Nodes))
			}
			sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
			if len(sets) == 0 {
				t.Fatal("no test data sets")
			}
			for _, set := range sets {
				c := onnxReadSet(t, m, set)
				got, err := c.run(t)
				if err != nil {
					t.Fatalf("%s: %v", filepath.Base(set), err)
				}
				for i, vi := range m.Graph.Outputs {
					o.check(t, name, fmt.Sprintf("%s output %d (%q)", filepath.Base(set), i, vi.Name), got[i], c.want[i])
				}
			}
		})
	}
	return ran
}

// onnxRunPrefixes runs the single-node cases whose names start with one of
// prefixes (see onnxPrefixes), comparing their outputs within atol +
// rtol*|want|; it skips t when there are none.
func onnxRunPrefixes(t *testing.T, rtol, atol float64, prefixes ...string) {
	t.Helper()
	if (onnxCases{match: onnxPrefixes(prefixes...), check: onnxClose(rtol, atol)}).run(t) == 0 {
		t.Skip("no matching node tests found")
	}
}
