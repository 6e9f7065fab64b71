package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
	"github.com/onyxml/onyx/testcase"
)

// The CLI tests use their own operator, onyx.clitest:Double (y = 2x for
// float32 and int64), registered through the public plugin API, so that
// they do not depend on which standard operators exist yet.
const cliTestDomain = "onyx.clitest"

func init() {
	ops.RegisterSchema(&ops.Schema{
		Domain: cliTestDomain, Name: "Double", Since: 1,
		MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Infer: func(n *ops.Node) ([]ops.TypeShape, error) {
			if err := n.CheckDType(0, tensor.Float32, tensor.Int64); err != nil {
				return nil, err
			}
			return ops.SameAsInput(n)
		},
	})
	ops.RegisterKernel(ops.KernelDef{
		Domain: cliTestDomain, Op: "Double", Backend: "clitest", Priority: ops.PriorityUser,
		New: func(n *ops.Node) (ops.Kernel, error) {
			return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
				if out[0] == nil {
					t, err := tensor.New(in[0].DType(), in[0].Shape()...)
					if err != nil {
						return err
					}
					out[0] = t
				}
				switch in[0].DType() {
				case tensor.Float32:
					for i, v := range tensor.Data[float32](in[0]) {
						tensor.Data[float32](out[0])[i] = 2 * v
					}
				case tensor.Int64:
					for i, v := range tensor.Data[int64](in[0]) {
						tensor.Data[int64](out[0])[i] = 2 * v
					}
				}
				return nil
			}), nil
		},
	})
}

// cliRun runs the CLI in-process and returns its exit status and outputs.
func cliRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// doubleModel returns a model y = Double(x) with x float32 of shape xShape,
// and a second input z when twoInputs (y2 = Double(z)).
func doubleModel(xShape ir.Shape, twoInputs bool) *ir.Model {
	g := &ir.Graph{
		Name: "double",
		Nodes: []*ir.Node{{Name: "dbl", OpType: "Double", Domain: cliTestDomain,
			Inputs: []string{"x"}, Outputs: []string{"y"}}},
		Inputs:  []*ir.ValueInfo{{Name: "x", Type: &ir.Type{DType: tensor.Float32, Shape: xShape}}},
		Outputs: []*ir.ValueInfo{{Name: "y", Type: &ir.Type{DType: tensor.Float32, Shape: xShape}}},
	}
	if twoInputs {
		g.Nodes = append(g.Nodes, &ir.Node{Name: "dbl2", OpType: "Double", Domain: cliTestDomain,
			Inputs: []string{"z"}, Outputs: []string{"y2"}})
		g.Inputs = append(g.Inputs, &ir.ValueInfo{Name: "z", Type: &ir.Type{DType: tensor.Float32, Shape: ir.ShapeOf(2)}})
		g.Outputs = append(g.Outputs, &ir.ValueInfo{Name: "y2", Type: &ir.Type{DType: tensor.Float32, Shape: ir.ShapeOf(2)}})
	}
	return &ir.Model{
		IRVersion:    8,
		OpsetImports: map[string]int64{"": 13, cliTestDomain: 1},
		ProducerName: "onyx-cli-test", ProducerVersion: "1",
		Graph: g,
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeModel(t *testing.T, path string, m *ir.Model) {
	t.Helper()
	b, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b)
}

func writeTensor(t *testing.T, path string, x *tensor.Tensor) {
	t.Helper()
	b, err := onnx.EncodeTensor(x, "")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b)
}

func f32(t *testing.T, data []float32, shape ...int) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromSlice(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// makeCase writes a test case for doubleModel into dir; the expected output
// is 2x, or 2x+1 when wrong.
func makeCase(t *testing.T, dir string, wrong bool) {
	t.Helper()
	writeModel(t, filepath.Join(dir, "model.onnx"), doubleModel(ir.ShapeOf(2, 3), false))
	in := []float32{1, -2, 3.5, 0, 1e-3, -7}
	want := make([]float32, len(in))
	for i, v := range in {
		want[i] = 2 * v
		if wrong {
			want[i]++
		}
	}
	writeTensor(t, filepath.Join(dir, "test_data_set_0", "input_0.pb"), f32(t, in, 2, 3))
	writeTensor(t, filepath.Join(dir, "test_data_set_0", "output_0.pb"), f32(t, want, 2, 3))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// testSummary is the last line of `onyx test` with passed and failed cases
// on the kernel tier in use.
func testSummary(passed, failed int) string {
	return fmt.Sprintf("%d passed, %d failed (kernels: %s)", passed, failed, sysTierInUse())
}

// checkOneLineError checks a failed command's stderr: one line, no panic.
func checkOneLineError(t *testing.T, code int, stderr string, wantSubstr string) {
	t.Helper()
	if code != exitFail {
		t.Errorf("exit status %d, want %d (stderr %q)", code, exitFail, stderr)
	}
	if n := strings.Count(stderr, "\n"); n != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr has %d lines, want one: %q", n, stderr)
	}
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
		t.Errorf("stderr shows a panic: %q", stderr)
	}
	if wantSubstr != "" && !strings.Contains(stderr, wantSubstr) {
		t.Errorf("stderr %q does not mention %q", stderr, wantSubstr)
	}
}

func TestOnyxCLIHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		code, out, _ := cliRun(t, args...)
		if code != exitOK {
			t.Errorf("%v: exit %d", args, code)
		}
		for _, c := range []string{"test", "run", "info", "summary", "version", "help"} {
			if !regexp.MustCompile(`(?m)^  ` + c + ` +\S`).MatchString(out) {
				t.Errorf("%v: no line for %q in\n%s", args, c, out)
			}
		}
	}
	code, out, _ := cliRun(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "onyx "+version) || strings.Count(out, "\n") != 1 {
		t.Errorf("version: exit %d, output %q", code, out)
	}
	code, _, errOut := cliRun(t, "help", "run")
	if code != exitOK || !strings.Contains(errOut, "-random") {
		t.Errorf("help run: exit %d, usage %q", code, errOut)
	}
	if code, _, _ := cliRun(t, "run", "-h"); code != exitOK {
		t.Errorf("run -h: exit %d, want 0", code)
	}
}

func TestOnyxCLIUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"help", "frobnicate"},
		{"test"},
		{"test", "--atol", "x", "dir"},
		{"test", "--threads", "0", "dir"},
		{"test", "--rtol", "-1", "dir"},
		{"run", "--bogus"},
		{"run", "a.onnx", "b.onnx"},
		{"run", "--threads", "0"},
		{"run", "--dim", "batch"},
		{"info"},
		{"info", "a.onnx", "b.onnx"},
		{"summary"},
		{"summary", "m.onnx", "--dim", "n=-1"},
		{"version", "extra"},
	} {
		code, out, _ := cliRun(t, args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
		if out != "" {
			t.Errorf("%q: wrote %q to stdout, want nothing", args, out)
		}
	}
}

func TestOnyxCLIParseArgsInterspersed(t *testing.T) {
	fs := newFlagSet("x", "", &bytes.Buffer{})
	var in multiFlag
	fs.Var(&in, "input", "")
	j := fs.Bool("json", false, "")
	pos, code := parseArgs(fs, []string{"m.onnx", "--input", "x=a.pb", "b", "--json", "--input=c.npy", "--", "--d"})
	if code >= 0 {
		t.Fatalf("parseArgs: code %d", code)
	}
	if got, want := strings.Join(pos, "|"), "m.onnx|b|--d"; got != want {
		t.Errorf("positionals %q, want %q", got, want)
	}
	if got, want := strings.Join(in, "|"), "x=a.pb|c.npy"; got != want || !*j {
		t.Errorf("inputs %q json %v, want %q true", got, *j, want)
	}
}

func TestOnyxCLIParseDims(t *testing.T) {
	for s, want := range map[string]string{"1x3x224x224": "[1 3 224 224]", "2,5": "[2 5]", "7": "[7]", "": "[]", "scalar": "[]", "0x4": "[0 4]"} {
		d, err := parseDims(s)
		if err != nil || fmt.Sprint(d) != want {
			t.Errorf("parseDims(%q) = %v, %v; want %s", s, d, err, want)
		}
	}
	for _, s := range []string{"1x", "ax3", "-1x3", "1x3x", "1.5"} {
		if _, err := parseDims(s); err == nil {
			t.Errorf("parseDims(%q): no error", s)
		}
	}
}

func TestOnyxCLITestCommand(t *testing.T) {
	root := t.TempDir()
	good, bad := filepath.Join(root, "good_case"), filepath.Join(root, "bad_case")
	makeCase(t, good, false)
	makeCase(t, bad, true)

	code, out, errOut := cliRun(t, "test", good)
	if code != exitOK {
		t.Fatalf("test good: exit %d\n%s%s", code, out, errOut)
	}
	if want := "ok good_case max_abs_err=0\n" + testSummary(1, 0) + "\n"; out != want {
		t.Errorf("test good: output %q, want %q", out, want)
	}

	code, out, _ = cliRun(t, "test", bad)
	if code != exitFail {
		t.Errorf("test bad: exit %d, want 1", code)
	}
	if got := lastLine(out); got != testSummary(0, 1) {
		t.Errorf("test bad: last line %q", got)
	}
	if !regexp.MustCompile(`(?m)^FAIL bad_case: .*mismatch`).MatchString(out) {
		t.Errorf("test bad: no FAIL line with the reason in %q", out)
	}

	// A folder of cases expands to them, in order; flags may follow.
	code, out, _ = cliRun(t, "test", root, "--atol", "1e-5")
	if code != exitFail || !strings.HasPrefix(out, "FAIL bad_case") || !strings.Contains(out, "\nok good_case") || lastLine(out) != testSummary(1, 1) {
		t.Errorf("test root: exit %d, output %q", code, out)
	}
	// A large tolerance lets the wrong case pass.
	code, out, _ = cliRun(t, "test", "--atol", "1.5", bad)
	if code != exitOK || !strings.HasPrefix(out, "ok bad_case max_abs_err=1\n") {
		t.Errorf("test --atol 1.5: exit %d, output %q", code, out)
	}

	// Missing folders and folders that are not cases fail, one line each.
	missing := filepath.Join(root, "nope")
	empty := t.TempDir()
	code, out, _ = cliRun(t, "test", missing, empty, good)
	if code != exitFail || lastLine(out) != testSummary(1, 2) || strings.Count(out, "\n") != 4 {
		t.Errorf("test missing: exit %d, output %q", code, out)
	}

	// --json: one object, still exit 1 on failures.
	code, out, _ = cliRun(t, "test", "--json", good, bad)
	if code != exitFail {
		t.Errorf("test --json: exit %d, want 1", code)
	}
	var rep testReportJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("test --json: %v in %q", err, out)
	}
	if rep.Passed != 1 || rep.Failed != 1 || len(rep.Cases) != 2 {
		t.Fatalf("test --json: %+v", rep)
	}
	c0, c1 := rep.Cases[0], rep.Cases[1]
	if c0.Name != "good_case" || !c0.Pass || c0.Error != "" || c0.MaxAbsErr == nil || *c0.MaxAbsErr != 0 || c0.Dir != good {
		t.Errorf("test --json: case 0 %+v", c0)
	}
	if c1.Name != "bad_case" || c1.Pass || c1.Error == "" || c1.MaxAbsErr == nil || *c1.MaxAbsErr != 1 {
		t.Errorf("test --json: case 1 %+v", c1)
	}
	for _, key := range []string{`"name"`, `"dir"`, `"pass"`, `"max_abs_err"`, `"error"`, `"compile_ms"`, `"run_ms"`, `"passed"`, `"failed"`, `"cases"`, `"kernels"`} {
		if !strings.Contains(out, key) {
			t.Errorf("test --json: no key %s", key)
		}
	}
}

func TestOnyxCLITestCommandTimeout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "case")
	makeCase(t, dir, false)
	code, out, _ := cliRun(t, "test", "--timeout", "1ns", dir)
	if code != exitFail || !strings.HasPrefix(out, "FAIL case: timed out after 1ns") || lastLine(out) != testSummary(0, 1) {
		t.Errorf("test --timeout 1ns: exit %d, output %q", code, out)
	}
}

func TestOnyxCLITestCommandBadFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "case")
	makeCase(t, dir, false)
	writeFile(t, filepath.Join(dir, "test_data_set_0", "output_0.pb"), []byte{0xff, 0xff, 0xff})
	code, out, _ := cliRun(t, "test", dir)
	if code != exitFail || lastLine(out) != testSummary(0, 1) || !strings.HasPrefix(out, "FAIL case: ") {
		t.Errorf("corrupt output file: exit %d, output %q", code, out)
	}
	writeFile(t, filepath.Join(dir, "model.onnx"), []byte("not a model"))
	code, out, _ = cliRun(t, "test", dir)
	if code != exitFail || lastLine(out) != testSummary(0, 1) {
		t.Errorf("corrupt model: exit %d, output %q", code, out)
	}
}

// modelFile writes m to a temporary model.onnx and returns its path.
func modelFile(t *testing.T, m *ir.Model) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "model.onnx")
	writeModel(t, p, m)
	return p
}

func TestOnyxCLIRunInputs(t *testing.T) {
	dir := t.TempDir()
	model := modelFile(t, doubleModel(ir.ShapeOf(2, 2), false))
	x := filepath.Join(dir, "x.pb")
	writeTensor(t, x, f32(t, []float32{1, 2, 3, 4}, 2, 2))
	xnpy := filepath.Join(dir, "x.npy")
	var npy bytes.Buffer
	if err := tensor.WriteNPY(&npy, f32(t, []float32{-1, 0.5, 8, 0}, 2, 2)); err != nil {
		t.Fatal(err)
	}
	writeFile(t, xnpy, npy.Bytes())

	// NAME= given, flags after the model.
	code, out, errOut := cliRun(t, "run", model, "--input", "x="+x)
	if code != exitOK {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"output y: float32[2x2]", "values: [2 4 6 8]", "latency: load "} {
		if !strings.Contains(out, want) {
			t.Errorf("run: no %q in\n%s", want, out)
		}
	}
	// NAME= omitted for a one-input model; .npy input; JSON; --out.
	outDir := filepath.Join(dir, "out")
	code, out, errOut = cliRun(t, "run", "--json", "--input", xnpy, model, "--out", outDir)
	if code != exitOK {
		t.Fatalf("run npy: exit %d: %s", code, errOut)
	}
	var res runJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("run --json: %v in %q", err, out)
	}
	if len(res.Outputs) != 1 || fmt.Sprint(res.Outputs[0].Preview) != "[-2 1 16 0]" || fmt.Sprint(res.Outputs[0].Shape) != "[2 2]" {
		t.Errorf("run --json outputs: %+v", res.Outputs)
	}
	if len(res.Inputs) != 1 || res.Inputs[0].Source != xnpy {
		t.Errorf("run --json inputs: %+v", res.Inputs)
	}
	got, err := onnx.ReadTensorFile(filepath.Join(outDir, "y.pb"))
	if err != nil || fmt.Sprint(tensor.Data[float32](got)) != "[-2 1 16 0]" {
		t.Errorf("--out y.pb: %v, %v", got, err)
	}
	f, err := os.Open(filepath.Join(outDir, "y.npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := tensor.ReadNPY(f); err != nil || fmt.Sprint(tensor.Data[float32](got)) != "[-2 1 16 0]" || fmt.Sprint(got.Shape()) != "[2 2]" {
		t.Errorf("--out y.npy: %v, %v", got, err)
	}
}

func TestOnyxCLIRunRandom(t *testing.T) {
	model := modelFile(t, doubleModel(ir.Shape{ir.SymDim("batch"), ir.DimOf(3)}, true))
	run1 := func(args ...string) runJSON {
		t.Helper()
		code, out, errOut := cliRun(t, append([]string{"run", model, "--json"}, args...)...)
		if code != exitOK {
			t.Fatalf("run %v: exit %d: %s", args, code, errOut)
		}
		var res runJSON
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b, c := run1("--random", "--seed", "7"), run1("--random", "--seed", "7"), run1("--random", "--seed", "8")
	if fmt.Sprint(a.Outputs) != fmt.Sprint(b.Outputs) {
		t.Errorf("same seed, different outputs: %v vs %v", a.Outputs, b.Outputs)
	}
	if fmt.Sprint(a.Outputs) == fmt.Sprint(c.Outputs) {
		t.Errorf("different seeds, same outputs: %v", a.Outputs)
	}
	// Symbolic dims default to 1; values are 2*U[0,1).
	if fmt.Sprint(a.Outputs[0].Shape) != "[1 3]" || fmt.Sprint(a.Outputs[1].Shape) != "[2]" {
		t.Errorf("random shapes: %+v", a.Outputs)
	}
	for _, o := range a.Outputs {
		for _, v := range o.Preview {
			if f, ok := v.(float64); !ok || f < 0 || f >= 2 {
				t.Errorf("output %s value %v outside [0,2)", o.Name, v)
			}
		}
	}
	// --shape fixes the symbolic dim, and --dim does too.
	if d := run1("--random", "--shape", "x=4x3"); fmt.Sprint(d.Outputs[0].Shape) != "[4 3]" {
		t.Errorf("--shape x=4x3: %v", d.Outputs[0].Shape)
	}
	if d := run1("--random", "--dim", "batch=5"); fmt.Sprint(d.Outputs[0].Shape) != "[5 3]" {
		t.Errorf("--dim batch=5: %v", d.Outputs[0].Shape)
	}
	// Top-k for a [C] float output, here y2 of 2 classes.
	if len(a.Outputs[1].Top) != 2 || a.Outputs[1].Top[0].Prob < a.Outputs[1].Top[1].Prob {
		t.Errorf("top classes of y2: %+v", a.Outputs[1].Top)
	}
}

func TestOnyxCLIRunErrors(t *testing.T) {
	dir := t.TempDir()
	model := modelFile(t, doubleModel(ir.ShapeOf(2, 2), false))
	two := modelFile(t, doubleModel(ir.ShapeOf(2, 2), true))
	ok := filepath.Join(dir, "ok.pb")
	writeTensor(t, ok, f32(t, []float32{1, 2, 3, 4}, 2, 2))
	wrongShape := filepath.Join(dir, "shape.pb")
	writeTensor(t, wrongShape, f32(t, []float32{1, 2, 3}, 3))
	wrongType := filepath.Join(dir, "type.pb")
	writeTensor(t, wrongType, tensor.Must(tensor.FromSlice([]int64{1, 2, 3, 4}, 2, 2)))
	garbage := filepath.Join(dir, "garbage.pb")
	writeFile(t, garbage, []byte{0x0a, 0xff, 0xff, 0xff, 0x0f})
	txt := filepath.Join(dir, "x.txt")
	writeFile(t, txt, []byte("1 2 3 4"))
	badNpy := filepath.Join(dir, "bad.npy")
	writeFile(t, badNpy, []byte("\x93NUMPY\x01\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }"))

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{model}, `missing input "x"`},
		{[]string{two, "--input", "x=" + ok}, `missing input "z"`},
		{[]string{two, "--input", ok}, "write NAME=FILE"},
		{[]string{model, "--input", "w=" + ok}, `no input "w"`},
		{[]string{model, "--input", "x=" + ok, "--input", "x=" + ok}, "given twice"},
		{[]string{model, "--input", "x=" + wrongShape}, "shape"},
		{[]string{model, "--input", "x=" + wrongType}, "int64"},
		{[]string{model, "--input", "x=" + filepath.Join(dir, "nope.pb")}, "no such file"},
		{[]string{model, "--input", "x=" + garbage}, "garbage.pb"},
		{[]string{model, "--input", "x=" + txt}, "unknown file type"},
		{[]string{model, "--input", "x=" + badNpy}, "bad.npy"},
		{[]string{model, "--shape", "x=2x2x2", "--random"}, "rank"},
		{[]string{model, "--shape", "q=2x2", "--random"}, `no input "q"`},
		{[]string{model, "--shape", "x=1xq", "--random"}, "bad shape"},
		{[]string{model, "--shape", "x=100000x100000", "--random"}, ""},
		{[]string{filepath.Join(dir, "missing.onnx")}, "no such file"},
		{[]string{model, "--input", "x=" + ok, "--out", ok}, ""}, // --out names a file
	} {
		code, out, errOut := cliRun(t, append([]string{"run"}, tc.args...)...)
		t.Logf("run %q: %q", tc.args, errOut)
		checkOneLineError(t, code, errOut, tc.want)
		if out != "" {
			t.Errorf("run %q: stdout %q, want nothing", tc.args, out)
		}
	}
}

// TestOnyxCLICorruptModels feeds truncated and bit-flipped models to every
// command that reads a model: each must exit 0 or 1 with a one-line error,
// never panic.
func TestOnyxCLICorruptModels(t *testing.T) {
	dir := t.TempDir()
	var models [][]byte
	for _, n := range []int{0, 1, 10, 100, len(bundledModelBytes) / 2, len(bundledModelBytes) - 1} {
		models = append(models, bundledModelBytes[:n])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 60 {
		b := bytes.Clone(bundledModelBytes)
		for range 1 + rng.IntN(3) {
			i := rng.IntN(len(b))
			// Bias toward the header and graph structure, where flips break most.
			if rng.IntN(2) == 0 {
				i = rng.IntN(min(len(b), 2048))
			}
			b[i] ^= 1 << rng.IntN(8)
		}
		models = append(models, b)
	}
	small, err := onnx.Encode(doubleModel(ir.ShapeOf(2, 2), false))
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(small) {
		b := bytes.Clone(small)
		b[i] ^= 0x80
		models = append(models, b, small[:i])
	}
	p := filepath.Join(dir, "model.onnx")
	failures := 0
	for i, b := range models {
		writeFile(t, p, b)
		for _, args := range [][]string{{"info", p}, {"info", "--json", p}, {"summary", p}, {"run", p, "--random"}} {
			code, _, errOut := cliRun(t, args...)
			if code == exitOK {
				continue
			}
			failures++
			if code != exitFail || strings.Count(errOut, "\n") != 1 || strings.Contains(errOut, "panic") {
				t.Errorf("model %d, %v: exit %d, stderr %q", i, args[0], code, errOut)
			}
		}
	}
	if failures == 0 {
		t.Error("no corrupt model failed")
	}
}

func TestOnyxCLIInfo(t *testing.T) {
	m := doubleModel(ir.Shape{ir.SymDim("batch"), ir.DimOf(3)}, false)
	m.Graph.Initializers = []*ir.Initializer{{Name: "w", Tensor: f32(t, make([]float32, 12), 3, 4)}}
	m.Graph.Nodes = append(m.Graph.Nodes, &ir.Node{OpType: "Double", Domain: cliTestDomain, Inputs: []string{"w"}, Outputs: []string{"w2"}},
		&ir.Node{OpType: "NoSuchOp", Inputs: []string{"y"}, Outputs: []string{"q"}})
	m.Graph.Outputs = append(m.Graph.Outputs, &ir.ValueInfo{Name: "q", Type: &ir.Type{DType: tensor.Float32}})
	p := modelFile(t, m)
	code, out, errOut := cliRun(t, "info", p)
	if code != exitOK {
		t.Fatalf("info: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"ir_version:  8", "ai.onnx 13", "onyx.clitest 1", "producer:    onyx-cli-test 1", "graph:       double",
		"x: float32[batchx3]", "q: float32[?]", "parameters:  12 (48 B) in 1 initializers",
		"unsupported: 1: ai.onnx:NoSuchOp:13",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("info: no %q in\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^  onyx\.clitest:Double +2\n  NoSuchOp +1\n`).MatchString(out) {
		t.Errorf("info: op histogram not sorted by count in\n%s", out)
	}
	code, out, _ = cliRun(t, "info", p, "--json")
	var info infoJSON
	if err := json.Unmarshal([]byte(out), &info); code != exitOK || err != nil {
		t.Fatalf("info --json: exit %d, %v", code, err)
	}
	if info.Params != 12 || info.ParamBytes != 48 || len(info.Ops) != 2 || info.Ops[0].Count != 2 ||
		fmt.Sprint(info.Unsupported) != "[ai.onnx:NoSuchOp:13]" || fmt.Sprint(info.Inputs[0].Dims) != "[batch 3]" || info.Inputs[0].DType != "float32" {
		t.Errorf("info --json: %+v", info)
	}
	// A model that cannot run is still described, and info does not fail.
	if _, err := runtime.NewSession(m); !errors.Is(err, runtime.ErrUnsupportedOp) {
		t.Errorf("NewSession: %v, want unsupported", err)
	}
}

func TestOnyxCLISummarySmall(t *testing.T) {
	p := modelFile(t, doubleModel(ir.Shape{ir.SymDim("batch"), ir.DimOf(3)}, false))
	code, out, errOut := cliRun(t, "summary", p, "--shape", "x=2x3")
	if code != exitOK {
		t.Fatalf("summary: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"onyx.clitest:Double (dbl)", "2x3", "Total params: 0", "Total MACs: 0", "Input size (MB): 0.00"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary: no %q in\n%s", want, out)
		}
	}
	code, out, _ = cliRun(t, "summary", p)
	if code != exitOK || !strings.Contains(out, "batchx3") {
		t.Errorf("summary without --shape: exit %d\n%s", code, out)
	}
}

// bundledRunnable reports whether this build has kernels for every
// operator of the bundled model, and if not, which are missing.
func bundledRunnable(t *testing.T) (bool, string) {
	m, err := bundledModel()
	if err != nil {
		t.Fatal(err)
	}
	info := modelInfo("bundled", m)
	return len(info.Unsupported) == 0, strings.Join(info.Unsupported, ", ")
}

func TestOnyxCLIBundled(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fashion_mnist.onnx")
	writeFile(t, p, bundledModelBytes)
	code, out, errOut := cliRun(t, "info", p)
	if code != exitOK {
		t.Fatalf("info bundled: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"image: float32[Nx1x28x28]", "logits: float32[Nx10]", "parameters:  20,682", "Conv                     2", "BatchNormalization       2", "producer:    onyx"} {
		if !strings.Contains(out, want) {
			t.Errorf("info bundled: no %q in\n%s", want, out)
		}
	}

	if ok, missing := bundledRunnable(t); !ok {
		code, _, errOut := cliRun(t, "run")
		checkOneLineError(t, code, errOut, "unsupported operator")
		t.Skipf("the bundled model's operators are not all implemented yet (%s): run and summary checked only for a clean error", missing)
	}
	code, out, errOut = cliRun(t, "run")
	if code != exitOK {
		t.Fatalf("run bundled: exit %d: %s", code, errOut)
	}
	// The first 8 Fashion-MNIST test images are labelled 9 2 1 1 6 1 4 6,
	// and the trained model gets all of them right.
	for _, want := range []string{
		"model: bundled:fashion_mnist_cnn", "onyx trained itself", "onyx train --epochs 12 --cosine --seed 1", "test accuracy 91.69%",
		"input  image: float32[8x1x28x28] from bundled", "output logits: float32[8x10]",
		"\nimage 0: Ankle boot (p=1.00)  true: Ankle boot  ok\n",
		"\nimage 1: Pullover (p=1.00)  true: Pullover  ok\n",
		"\nimage 2: Trouser (p=1.00)  true: Trouser  ok\n",
		"\nimage 3: Trouser (p=1.00)  true: Trouser  ok\n",
		"\nimage 4: Shirt (p=0.91)  true: Shirt  ok\n",
		"\nimage 5: Trouser (p=1.00)  true: Trouser  ok\n",
		"\nimage 6: Coat (p=0.98)  true: Coat  ok\n",
		"\nimage 7: Shirt (p=0.97)  true: Shirt  ok\n",
		"\naccuracy on the bundled images: 8/8\n",
		"check: matches the bundled expected output, max_abs_err=", "latency: load",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("run bundled: no %q in\n%s", want, out)
		}
	}
	for _, bad := range []string{"untrained", "WRONG", "top-1 per row"} {
		if strings.Contains(out, bad) {
			t.Errorf("run bundled: %q in\n%s", bad, out)
		}
	}
	code, out, _ = cliRun(t, "run", "--json")
	var res runJSON
	if err := json.Unmarshal([]byte(out), &res); code != exitOK || err != nil || res.CheckPassed == nil || !*res.CheckPassed || *res.MaxAbsErr > 1e-5 {
		t.Fatalf("run bundled --json: exit %d, %v, %+v", code, err, res)
	}
	if res.Accuracy == nil || *res.Accuracy != (accuracyJSON{Correct: 8, Total: 8}) {
		t.Errorf("run bundled --json: accuracy %+v, want 8/8", res.Accuracy)
	}
	// The JSON rows against the bundled expected logits' argmax, computed
	// here directly.
	want, err := bundledOutput()
	if err != nil {
		t.Fatal(err)
	}
	logits := tensor.Data[float32](want)
	if rows := res.Outputs[0].Rows; len(rows) != 8 || len(logits) != 80 {
		t.Fatalf("run bundled --json: %d rows, %d expected logits", len(rows), len(logits))
	}
	for i, r := range res.Outputs[0].Rows {
		best := 0
		for c := 1; c < 10; c++ {
			if logits[i*10+c] > logits[i*10+best] {
				best = c
			}
		}
		if r.Row != i || len(r.Top) != topK || r.Top[0].Class != best || r.Top[0].Label != bundledLabels[best] ||
			r.TrueClass == nil || *r.TrueClass != bundledTrueClasses[i] || r.TrueLabel != bundledLabels[bundledTrueClasses[i]] ||
			r.Correct == nil || *r.Correct != (best == bundledTrueClasses[i]) {
			t.Errorf("run bundled --json row %d: %+v, want top class %d", i, r, best)
		}
	}
	// The bundled model on other inputs: no true classes, no accuracy, the
	// generic per-row ranking with the class names.
	in := filepath.Join(t.TempDir(), "in.pb")
	writeFile(t, in, bundledInputBytes)
	code, out, errOut = cliRun(t, "run", "--input", in)
	if code != exitOK || strings.Contains(out, "accuracy on") || strings.Contains(out, "check:") ||
		!strings.Contains(out, "\n    row 0: class 9 \"Ankle boot\"  p=0.9959\n") || !strings.Contains(out, "\n    row 6: class 4 \"Coat\"  p=0.98") {
		t.Errorf("run bundled model on --input: exit %d: %s\n%s", code, errOut, out)
	}
	// --random with the symbolic batch at 1: a [1,10] output, ranked top-5.
	code, out, errOut = cliRun(t, "run", "--random")
	if code != exitOK || !strings.Contains(out, "output logits: float32[1x10]") || !strings.Contains(out, "top-5:") || strings.Contains(out, "accuracy on") {
		t.Errorf("run bundled --random: exit %d: %s\n%s", code, errOut, out)
	}

	code, out, errOut = cliRun(t, "summary", p, "--dim", "N=1")
	if code != exitOK {
		t.Fatalf("summary bundled: exit %d: %s", code, errOut)
	}
	// Conv 3x3 pad 1: 16*1*9+16 params, 16*28*28 outputs * 1*9 MACs; the
	// second: 32*16*9+32 params, 32*14*14 * 16*9 MACs; BatchNormalization
	// 4 per channel; Gemm 10*1568+10 params, 10*1568 MACs.
	for _, want := range []string{
		`(?m)^ *1  Conv \(l0_Conv\) +1x16x28x28 +160 +112896$`,
		`(?m)^ *2  BatchNormalization \(l1_BatchNormalization\) +1x16x28x28 +64 +--$`,
		`(?m)^ *5  Conv \(l4_Conv\) +1x32x14x14 +4640 +903168$`,
		`(?m)^ *9  Flatten \(l8_Flatten\) +1x1568 +-- +--$`,
		`(?m)^10  Gemm \(l10_Gemm\) +1x10 +15690 +15680$`,
		`Total params: 20,682 `, `Total MACs: 1\.03 M`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("summary bundled: no %q in\n%s", want, out)
		}
	}
}

func TestOnyxCLIBundledScoring(t *testing.T) {
	// A made-up run whose second image is misclassified.
	rows := []rowJSON{
		{Row: 0, Top: []classJSON{{Class: 9, Label: "Ankle boot", Prob: 0.95}}},
		{Row: 1, Top: []classJSON{{Class: 0, Label: "T-shirt/top", Prob: 0.5}}},
	}
	if acc := scoreBundledRows(rows, []int{9}, bundledLabels); acc != nil {
		t.Errorf("rows and true classes of different lengths scored %+v", acc)
	}
	acc := scoreBundledRows(rows, []int{9, 6}, bundledLabels)
	if acc == nil || *acc != (accuracyJSON{Correct: 1, Total: 2}) || !*rows[0].Correct || *rows[1].Correct || rows[1].TrueLabel != "Shirt" || *rows[1].TrueClass != 6 {
		t.Fatalf("scoring: %+v, rows %+v", acc, rows)
	}
	res := &runJSON{Model: "bundled:x", Bundled: true, Accuracy: acc,
		Outputs: []runOutputJSON{{Name: "logits", DType: "float32", Shape: []int{2, 10}, Rows: rows}}}
	var b bytes.Buffer
	printRun(&b, res)
	for _, want := range []string{"\nimage 0: Ankle boot (p=0.95)  true: Ankle boot  ok\n", "\nimage 1: T-shirt/top (p=0.50)  true: Shirt  WRONG\n", "\naccuracy on the bundled images: 1/2\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}

func TestOnyxCLIRunRows(t *testing.T) {
	dir := t.TempDir()
	model := modelFile(t, doubleModel(ir.Shape{ir.SymDim("n"), ir.DimOf(3)}, false))
	// y = 2x; row 1 ties classes 0 and 2 (the lower ranks first).
	x := filepath.Join(dir, "x.pb")
	writeTensor(t, x, f32(t, []float32{0, 1, 2, 1, 0, 1, -5, 3, 0}, 3, 3))
	code, out, errOut := cliRun(t, "run", model, "--input", x)
	if code != exitOK {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	// Softmax of 2x: row 0 [0 2 4] -> e^4/(1+e^2+e^4) = 0.8668; row 1
	// [2 0 2] -> e^2/(2e^2+1) = 0.4683; row 2 [-10 6 0] -> 0.9975.
	for _, want := range []string{"  top-1 per row:\n", "    row 0: class 2  p=0.8668\n", "    row 1: class 0  p=0.4683\n", "    row 2: class 1  p=0.9975\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("run: no %q in\n%s", want, out)
		}
	}
	code, out, _ = cliRun(t, "run", model, "--input", x, "--json")
	var res runJSON
	if err := json.Unmarshal([]byte(out), &res); code != exitOK || err != nil || len(res.Outputs) != 1 {
		t.Fatalf("run --json: exit %d, %v\n%s", code, err, out)
	}
	rows := res.Outputs[0].Rows
	if len(rows) != 3 || res.Outputs[0].Top != nil || res.Accuracy != nil {
		t.Fatalf("run --json: %+v", res.Outputs[0])
	}
	if got := fmt.Sprint(rows[1].Top[0].Class, rows[1].Top[1].Class, rows[1].Top[2].Class); got != "0 2 1" || len(rows[1].Top) != 3 || rows[1].Correct != nil {
		t.Errorf("row 1 ranking %s, want 0 2 1: %+v", got, rows[1])
	}
	// More rows than maxRankedRows: the first ones ranked, the rest counted.
	code, out, errOut = cliRun(t, "run", model, "--random", "--dim", fmt.Sprintf("n=%d", maxRankedRows+5))
	if code != exitOK || !strings.Contains(out, fmt.Sprintf("    row %d: class", maxRankedRows-1)) || strings.Contains(out, fmt.Sprintf("    row %d: class", maxRankedRows)) ||
		!strings.Contains(out, fmt.Sprintf("... (%d rows, the first %d shown)", maxRankedRows+5, maxRankedRows)) {
		t.Errorf("run %d rows: exit %d: %s\n%s", maxRankedRows+5, code, errOut, out)
	}
	// Not [N,C] with N, C > 1: no rows.
	for _, shape := range [][]int{{1, 3}, {3, 1}, {3}, {2, 2, 2}} {
		n, _ := tensor.NumElements(shape)
		if r := rowClasses(f32(t, make([]float32, n), shape...), nil, topK, maxRankedRows); r != nil {
			t.Errorf("rowClasses of %v: %+v, want nil", shape, r)
		}
	}
	i64, err := tensor.FromSlice([]int64{1, 2, 3, 4}, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r := rowClasses(i64, nil, topK, maxRankedRows); r != nil {
		t.Errorf("rowClasses of int64: %+v, want nil", r)
	}
}

func TestOnyxCLIRankClasses(t *testing.T) {
	// rankClasses against a naive ranking: softmax, then a full stable sort.
	naive := func(v []float64, k int) []classJSON {
		sum, isProb := 0.0, true
		for _, x := range v {
			sum += x
			isProb = isProb && 0 <= x && x <= 1
		}
		if isProb && math.Abs(sum-1) < 1e-3 { // already probabilities
			v = slices.Clone(v)
			for i := range v {
				v[i] = math.Log(v[i]) // so that the softmax below gives v back
			}
		}
		hi := v[0]
		for _, x := range v {
			hi = max(hi, x)
		}
		p := make([]float64, len(v))
		total := 0.0
		for i, x := range v {
			p[i] = math.Exp(x - hi)
			total += p[i]
		}
		idx := make([]int, len(v))
		for i := range idx {
			idx[i] = i
			p[i] /= total
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(p[b], p[a]) })
		var out []classJSON
		for _, i := range idx[:min(k, len(v))] {
			out = append(out, classJSON{Class: i, Prob: p[i]})
		}
		return out
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		n := 2 + rng.IntN(30)
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(rng.IntN(7)) - 3 // small integers: many ties
		}
		k := 1 + rng.IntN(8)
		got, want := rankClasses(v, nil, k), naive(v, k)
		if len(got) != len(want) {
			t.Fatalf("trial %d: %d classes, want %d", trial, len(got), len(want))
		}
		for i := range got {
			if got[i].Class != want[i].Class || math.Abs(got[i].Prob-want[i].Prob) > 1e-12 {
				t.Fatalf("trial %d %v k=%d: %+v, want %+v", trial, v, k, got, want)
			}
		}
	}
	// Probabilities are ranked as they are; labels attach by index; NaN last.
	got := rankClasses([]float64{0.2, 0.5, 0.3}, []string{"a", "b"}, 5)
	if fmt.Sprint(got) != "[{1 b 0.5} {2  0.3} {0 a 0.2}]" {
		t.Errorf("probabilities: %v", got)
	}
	got = rankClasses([]float64{math.NaN(), 0, 0}, nil, 3)
	if len(got) != 3 || got[0].Class != 1 || got[0].Prob != 0.5 || got[1].Class != 2 || got[2].Class != 0 || got[2].Prob != -1 {
		t.Errorf("NaN: %+v", got)
	}
}

// zooDir returns $ONYX_MODEL_ZOO or skips the test.
func zooDir(t *testing.T) string {
	d := os.Getenv("ONYX_MODEL_ZOO")
	if d == "" {
		t.Skip("ONYX_MODEL_ZOO is not set: set it to a folder of ONNX test cases (such as ../shared/models) to run the zoo checks")
	}
	return d
}

func TestOnyxCLIZooQuizConvSummary(t *testing.T) {
	p := filepath.Join(zooDir(t), "quiz_conv", "model.onnx")
	if !isFile(p) {
		t.Skipf("%s is not in the zoo", p)
	}
	code, out, errOut := cliRun(t, "summary", p)
	if code != exitOK && strings.Contains(errOut, "unsupported operator") {
		t.Skipf("quiz_conv cannot compile yet: %s", errOut)
	}
	if code != exitOK {
		t.Fatalf("summary quiz_conv: exit %d: %s", code, errOut)
	}
	t.Log("\n" + out)
	row := regexp.MustCompile(`(?m)^\s*1\s+Conv \S.*\s1x10x128x128\s+760\s+(\d+)$`).FindStringSubmatch(out)
	if row == nil {
		t.Fatalf("summary quiz_conv: no Conv row with output 1x10x128x128 and 760 params in\n%s", out)
	}
	if want := fmt.Sprint(10 * 128 * 128 * 3 * 5 * 5); row[1] != want {
		t.Errorf("quiz_conv MACs %s, want %s", row[1], want)
	}
	if !strings.Contains(out, "Total params: 760\n") {
		t.Errorf("summary quiz_conv: total params not 760 in\n%s", out)
	}
}

// TestOnyxCLIZooInfoAndTest runs `onyx info` on two zoo models and `onyx
// test` on the whole zoo with the best kernel tier of the machine (neon on
// arm64, also under qemu): every case must pass.
func TestOnyxCLIZooInfoAndTest(t *testing.T) {
	zoo := zooDir(t)
	for _, name := range []string{"mnist_cnn", "quiz_conv"} {
		model := filepath.Join(zoo, name, "model.onnx")
		if !isFile(model) {
			continue
		}
		if code, out, errOut := cliRun(t, "info", model); code != exitOK || !strings.Contains(out, "ir_version:") {
			t.Errorf("info %s: exit %d: %s", name, code, errOut)
		}
	}
	cases, err := testcase.ZooCases()
	if err != nil {
		t.Fatal(err)
	}
	tier := sysTiersAvailable()[0]
	code, out, errOut := cliRun(t, "test", "--cpu", tier, "--timeout", "10m", zoo)
	t.Logf("onyx test --cpu %s %s:\n%s", tier, zoo, out)
	if want := fmt.Sprintf("%d passed, 0 failed (kernels: %s)\n", len(cases), tier); code != exitOK || !strings.HasSuffix(out, want) {
		t.Errorf("onyx test %s: exit %d, want the summary %q:\n%s%s", zoo, code, want, out, errOut)
	}
}
