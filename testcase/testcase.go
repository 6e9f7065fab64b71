// Package testcase loads and runs ONNX test cases: a folder holding
// model.onnx and test_data_set_N/ folders of input_K.pb and output_K.pb
// TensorProto files, the layout of ONNX's backend tests and of onyx's model
// zoo. It is what `onyx test` and onyx's conformance tests run.
package testcase

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
	_ "github.com/onyxml/onyx/train" // the Gradient operator's kernel
)

// ErrMismatch reports outputs that differ from the expected ones.
var ErrMismatch = errors.New("output mismatch")

// Case is a loaded test case.
type Case struct {
	Name  string // the folder's base name
	Dir   string
	Model *ir.Model
	Sets  []DataSet
}

// DataSet is one test_data_set_N folder: inputs and expected outputs in the
// order of the model's inputs (initializers excluded) and outputs.
type DataSet struct {
	Name    string
	Inputs  []*tensor.Tensor
	Outputs []*tensor.Tensor
}

// ZooEnv names the environment variable that points the tests and
// benchmarks at a folder of test cases (a model zoo), one folder a case.
const ZooEnv = "ONYX_MODEL_ZOO"

// ZooCases returns the case folders (those holding a model.onnx) of the
// zoo $ONYX_MODEL_ZOO names, sorted; an empty result when it is unset, and
// an error when it is set but holds no case.
func ZooCases() ([]string, error) {
	zoo := os.Getenv(ZooEnv)
	if zoo == "" {
		return nil, nil
	}
	models, _ := filepath.Glob(filepath.Join(zoo, "*", "model.onnx"))
	if len(models) == 0 {
		return nil, fmt.Errorf("%s=%s holds no */model.onnx", ZooEnv, zoo)
	}
	dirs := make([]string, len(models))
	for i, m := range models {
		dirs[i] = filepath.Dir(m)
	}
	return dirs, nil
}

// Load reads the case in dir. It fails if there is no model.onnx or no
// test_data_set_* folder, or if any file does not decode.
func Load(dir string) (*Case, error) {
	c := &Case{Name: filepath.Base(filepath.Clean(dir)), Dir: dir}
	m, err := onnx.LoadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return nil, err
	}
	c.Model = m
	sets, err := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if err != nil {
		return nil, err
	}
	sort.Strings(sets)
	inTypes, outTypes := valueTypes(m)
	for _, sd := range sets {
		if fi, err := os.Stat(sd); err != nil || !fi.IsDir() {
			continue
		}
		ds := DataSet{Name: filepath.Base(sd)}
		if ds.Inputs, err = readNumbered(sd, "input", inTypes); err != nil {
			return nil, err
		}
		if ds.Outputs, err = readNumbered(sd, "output", outTypes); err != nil {
			return nil, err
		}
		c.Sets = append(c.Sets, ds)
	}
	if len(c.Sets) == 0 {
		return nil, fmt.Errorf("testcase: %s: no test_data_set_* folder", dir)
	}
	return c, nil
}

// valueTypes returns the declared types of m's inputs (initializers
// excluded) and outputs, in order.
func valueTypes(m *ir.Model) (ins, outs []*ir.Type) {
	inits := map[string]bool{}
	for _, in := range m.Graph.Initializers {
		inits[in.Name] = true
	}
	for _, vi := range m.Graph.Inputs {
		if !inits[vi.Name] {
			ins = append(ins, vi.Type)
		}
	}
	for _, vi := range m.Graph.Outputs {
		outs = append(outs, vi.Type)
	}
	return ins, outs
}

// readNumbered reads prefix_0.pb, prefix_1.pb, ...: each a TensorProto, or
// the SequenceProto or OptionalProto its declared type (types[i]) calls for.
func readNumbered(dir, prefix string, types []*ir.Type) ([]*tensor.Tensor, error) {
	files, err := filepath.Glob(filepath.Join(dir, prefix+"_*.pb"))
	if err != nil {
		return nil, err
	}
	out := make([]*tensor.Tensor, len(files))
	for _, f := range files {
		base := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), prefix+"_"), ".pb")
		i, err := strconv.Atoi(base)
		if err != nil || i < 0 || i >= len(files) {
			return nil, fmt.Errorf("testcase: %s: unexpected file name (want %s_0.pb .. %s_%d.pb)", f, prefix, prefix, len(files)-1)
		}
		var typ *ir.Type
		if i < len(types) {
			typ = types[i]
		}
		if out[i], err = onnx.ReadValueFile(f, typ); err != nil {
			return nil, err
		}
		out[i] = asBFloat16(out[i], typ)
	}
	return out, nil
}

// asBFloat16 reinterprets a uint16 tensor as bfloat16 when the model
// declares bfloat16: older ONNX test data stores bfloat16 values that way.
func asBFloat16(t *tensor.Tensor, typ *ir.Type) *tensor.Tensor {
	if typ == nil || typ.Kind != ir.KindTensor || typ.DType != tensor.BFloat16 || t.DType() != tensor.Uint16 {
		return t
	}
	src := tensor.Data[uint16](t)
	dst := make([]tensor.BF16, len(src))
	for i, v := range src {
		dst[i] = tensor.BF16(v)
	}
	return tensor.Must(tensor.FromSlice(dst, t.Shape()...))
}

// Tolerance bounds elementwise differences: |got-want| <= Atol + Rtol*|want|.
type Tolerance struct {
	Atol, Rtol float64
}

// DefaultTolerance is onyx test's default.
var DefaultTolerance = Tolerance{Atol: 1e-5, Rtol: 1e-3}

// Result is the outcome of running one case.
type Result struct {
	Name      string
	Dir       string
	Pass      bool
	MaxAbsErr float64
	Err       error // why it failed
	Compile   time.Duration
	Run       time.Duration // summed over data sets
	// ShapesOnly: the model has random operators, so only the outputs'
	// kinds, dtypes and shapes were compared, not their values.
	ShapesOnly bool
}

// Run compiles c's model once and runs each data set, comparing every output.
func Run(ctx context.Context, c *Case, tol Tolerance, opts ...runtime.Option) (res Result) {
	res = Result{Name: c.Name, Dir: c.Dir}
	t0 := time.Now()
	s, err := runtime.NewSession(c.Model, opts...)
	res.Compile = time.Since(t0)
	if err != nil {
		res.Err = err
		return res
	}
	defer s.Close()
	res.ShapesOnly = hasRandomOps(c.Model, c.Model.Graph)
	ins, outs := s.Inputs(), s.Outputs()
	for _, ds := range c.Sets {
		if len(ds.Inputs) != len(ins) {
			res.Err = fmt.Errorf("%s: %d input files for %d model inputs", ds.Name, len(ds.Inputs), len(ins))
			return res
		}
		if len(ds.Outputs) != len(outs) {
			res.Err = fmt.Errorf("%s: %d output files for %d model outputs", ds.Name, len(ds.Outputs), len(outs))
			return res
		}
		feed := make(map[string]*tensor.Tensor, len(ins))
		for i, in := range ins {
			feed[in.Name] = ds.Inputs[i]
		}
		t1 := time.Now()
		got, err := s.Run(ctx, feed)
		res.Run += time.Since(t1)
		if err != nil {
			res.Err = err
			return res
		}
		for i, o := range outs {
			cmp := Compare
			if res.ShapesOnly {
				cmp = CompareShapes
			}
			e, err := cmp(got[o.Name], ds.Outputs[i], tol)
			res.MaxAbsErr = math.Max(res.MaxAbsErr, e)
			if err != nil {
				res.Err = fmt.Errorf("%s: output %q: %w", ds.Name, o.Name, err)
				return res
			}
		}
	}
	res.Pass = true
	return res
}

// hasRandomOps reports whether g (or a subgraph) has a node drawing random
// numbers (ops.IsRandomNode: random operators, training-mode Dropout).
func hasRandomOps(m *ir.Model, g *ir.Graph) bool {
	for _, n := range g.Nodes {
		if ops.IsRandomNode(n, m.Opset(n.Domain)) {
			return true
		}
		for _, a := range n.Attrs {
			if a.Graph != nil && hasRandomOps(m, a.Graph) {
				return true
			}
		}
	}
	return false
}

// CompareShapes checks only that got has want's kind, dtype and shape (and,
// for containers, item count): for outputs of random operators.
func CompareShapes(got, want *tensor.Tensor, _ Tolerance) (float64, error) {
	switch {
	case got == nil:
		return 0, fmt.Errorf("%w: no output", ErrMismatch)
	case got.Kind() != want.Kind():
		return 0, fmt.Errorf("%w: a %v, want a %v", ErrMismatch, got.Kind(), want.Kind())
	case got.Kind() != tensor.KindTensor:
		if len(got.Items()) != len(want.Items()) {
			return 0, fmt.Errorf("%w: %d items, want %d", ErrMismatch, len(got.Items()), len(want.Items()))
		}
		for i := range want.Items() {
			if _, err := CompareShapes(got.Items()[i], want.Items()[i], Tolerance{}); err != nil {
				return 0, fmt.Errorf("item %d: %w", i, err)
			}
		}
	case got.DType() != want.DType():
		return 0, fmt.Errorf("%w: dtype %v, want %v", ErrMismatch, got.DType(), want.DType())
	case !tensor.SameShape(got.Shape(), want.Shape()):
		return 0, fmt.Errorf("%w: shape %v, want %v", ErrMismatch, got.Shape(), want.Shape())
	}
	return 0, nil
}

// Compare checks got against want: same dtype and shape, and every element
// within tol (NaN equals NaN; infinities must match exactly; strings and
// bools exactly). It returns the largest absolute difference seen.
func Compare(got, want *tensor.Tensor, tol Tolerance) (float64, error) {
	if got == nil {
		return 0, fmt.Errorf("%w: no output", ErrMismatch)
	}
	if got.Kind() != want.Kind() {
		return 0, fmt.Errorf("%w: a %v, want a %v", ErrMismatch, got.Kind(), want.Kind())
	}
	if got.Kind() != tensor.KindTensor {
		g, w := got.Items(), want.Items()
		if len(g) != len(w) {
			return 0, fmt.Errorf("%w: %d items, want %d", ErrMismatch, len(g), len(w))
		}
		maxErr := 0.0
		for i := range w {
			e, err := Compare(g[i], w[i], tol)
			maxErr = math.Max(maxErr, e)
			if err != nil {
				return maxErr, fmt.Errorf("item %d: %w", i, err)
			}
		}
		return maxErr, nil
	}
	if got.DType() != want.DType() {
		return 0, fmt.Errorf("%w: dtype %v, want %v", ErrMismatch, got.DType(), want.DType())
	}
	if !tensor.SameShape(got.Shape(), want.Shape()) {
		return 0, fmt.Errorf("%w: shape %v, want %v", ErrMismatch, got.Shape(), want.Shape())
	}
	if got.DType() == tensor.String {
		g, w := tensor.Data[string](got), tensor.Data[string](want)
		for i := range w {
			if g[i] != w[i] {
				return 0, fmt.Errorf("%w: element %d is %q, want %q", ErrMismatch, i, g[i], w[i])
			}
		}
		return 0, nil
	}
	g, err := asFloat64(got)
	if err != nil {
		return 0, err
	}
	w, err := asFloat64(want)
	if err != nil {
		return 0, err
	}
	maxErr, bad := 0.0, -1
	for i := range w {
		gv, wv := g[i], w[i]
		if math.IsNaN(wv) || math.IsNaN(gv) {
			if math.IsNaN(wv) != math.IsNaN(gv) && bad < 0 {
				bad = i
			}
			continue
		}
		if math.IsInf(wv, 0) || math.IsInf(gv, 0) {
			if gv != wv && bad < 0 {
				bad = i
			}
			continue
		}
		d := math.Abs(gv - wv)
		maxErr = math.Max(maxErr, d)
		if d > tol.Atol+tol.Rtol*math.Abs(wv) && bad < 0 {
			bad = i
		}
	}
	if bad >= 0 {
		return maxErr, fmt.Errorf("%w: element %d is %v, want %v (max abs err %.3g)", ErrMismatch, bad, g[bad], w[bad], maxErr)
	}
	return maxErr, nil
}

func asFloat64(t *tensor.Tensor) ([]float64, error) {
	switch t.DType() {
	case tensor.Complex64:
		c := tensor.Data[complex64](t)
		out := make([]float64, 0, 2*len(c))
		for _, v := range c {
			out = append(out, float64(real(v)), float64(imag(v)))
		}
		return out, nil
	case tensor.Complex128:
		c := tensor.Data[complex128](t)
		out := make([]float64, 0, 2*len(c))
		for _, v := range c {
			out = append(out, real(v), imag(v))
		}
		return out, nil
	}
	return t.Float64s()
}
