package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
	"github.com/onyxml/onyx/testcase"
)

// maxRandomBytes bounds the size of one random input, so that a mistyped
// --shape fails cleanly instead of exhausting memory.
const maxRandomBytes int64 = 1 << 31

// previewLen is how many leading elements of each output are shown.
const previewLen = 8

// topK is how many classes the class ranking shows.
const topK = 5

// maxRankedRows is how many rows of an [N, C] output are ranked.
const maxRankedRows = 32

// runInputJSON describes one input of `onyx run --json`.
type runInputJSON struct {
	Name   string `json:"name"`
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	Source string `json:"source"` // a file name, "random" or "bundled"
}

// classJSON is one entry of a top-k ranking.
type classJSON struct {
	Class int     `json:"class"`
	Label string  `json:"label,omitempty"`
	Prob  float64 `json:"prob"`
}

// rowJSON ranks the classes of one row of an [N, C] output.
type rowJSON struct {
	Row int         `json:"row"`
	Top []classJSON `json:"top"`
	// TrueClass, TrueLabel and Correct are set for the bundled images.
	TrueClass *int   `json:"true_class,omitempty"`
	TrueLabel string `json:"true_label,omitempty"`
	Correct   *bool  `json:"correct,omitempty"`
}

// runOutputJSON describes one output of `onyx run --json`.
type runOutputJSON struct {
	Name    string      `json:"name"`
	DType   string      `json:"dtype"`
	Shape   []int       `json:"shape"`
	Preview []any       `json:"preview"`         // the first elements; non-finite floats as strings
	Top     []classJSON `json:"top,omitempty"`   // for a [C] or [1, C] output
	Rows    []rowJSON   `json:"rows,omitempty"`  // for an [N, C] output, N > 1: its first maxRankedRows rows
	Files   []string    `json:"files,omitempty"` // written by --out
}

// accuracyJSON counts the bundled images the bundled model classifies right.
type accuracyJSON struct {
	Correct int `json:"correct"`
	Total   int `json:"total"`
}

// runJSON is `onyx run --json` output.
type runJSON struct {
	Model       string          `json:"model"`
	Bundled     bool            `json:"bundled"`
	Description string          `json:"description,omitempty"`
	Inputs      []runInputJSON  `json:"inputs"`
	Outputs     []runOutputJSON `json:"outputs"`
	LoadMS      float64         `json:"load_ms"`
	CompileMS   float64         `json:"compile_ms"`
	RunMS       float64         `json:"run_ms"`
	// MaxAbsErr and CheckPassed compare a bundled run with its expected output.
	MaxAbsErr   *float64 `json:"max_abs_err,omitempty"`
	CheckPassed *bool    `json:"check_passed,omitempty"`
	// Accuracy scores a bundled run's predictions against the true classes.
	Accuracy *accuracyJSON `json:"accuracy,omitempty"`
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "[MODEL]", stderr)
	var inputs, shapes, dims multiFlag
	fs.Var(&inputs, "input", "an input from a file: NAME=FILE.pb (TensorProto) or NAME=FILE.npy; NAME= optional for one input; repeatable")
	random := fs.Bool("random", false, "fill inputs not given by --input with random values (floats uniform in [0,1), ints in [0,10))")
	seed := fs.Uint64("seed", 1, "seed of --random")
	fs.Var(&shapes, "shape", "fix an input's shape: NAME=1x3x224x224 (NAME= optional for one input); repeatable")
	fs.Var(&dims, "dim", "fix a symbolic dimension: NAME=SIZE, e.g. batch=1; repeatable")
	outDir := fs.String("out", "", "write each output to DIR/<name>.pb and DIR/<name>.npy")
	threads := fs.Int("threads", 1, "threads the session may use")
	asJSON := fs.Bool("json", false, "print one JSON object")
	timeout := fs.Duration("timeout", 0, "time limit of the run (0: none)")
	pos, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 1 {
		return usageError(fs, stderr, fmt.Sprintf("want at most one MODEL, got %d arguments", len(pos)))
	}
	if *threads < 1 {
		return usageError(fs, stderr, fmt.Sprintf("--threads %d: need at least 1", *threads))
	}
	if *timeout < 0 {
		return usageError(fs, stderr, "--timeout must not be negative")
	}
	dimOpts, err := dimOptions(dims)
	if err != nil {
		return usageError(fs, stderr, err.Error())
	}
	r := &runner{
		inputs: inputs, shapes: shapes, random: *random, seed: *seed, outDir: *outDir,
		opts:    append([]runtime.Option{runtime.WithThreads(*threads)}, dimOpts...),
		timeout: *timeout,
	}
	if len(pos) == 1 {
		r.path = pos[0]
	}
	res, err := r.run()
	if err != nil {
		return fail(stderr, "run", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return fail(stderr, "run", err)
		}
	} else {
		printRun(stdout, res)
	}
	if res.CheckPassed != nil && !*res.CheckPassed {
		fmt.Fprintf(stderr, "onyx run: the bundled model's output differs from the expected output (max_abs_err=%.3g)\n", *res.MaxAbsErr)
		return exitFail
	}
	return exitOK
}

// runner holds one `onyx run`'s settings.
type runner struct {
	path    string // "" for the bundled model
	inputs  []string
	shapes  []string
	random  bool
	seed    uint64
	outDir  string
	opts    []runtime.Option
	timeout time.Duration
}

func (r *runner) run() (*runJSON, error) {
	res := &runJSON{Model: r.path, Inputs: []runInputJSON{}, Outputs: []runOutputJSON{}}
	t0 := time.Now()
	var m *ir.Model
	var err error
	if r.path == "" {
		res.Bundled, res.Model, res.Description = true, "bundled:"+bundledName, bundledDescription
		m, err = bundledModel()
	} else {
		m, err = onnx.LoadFile(r.path)
	}
	if err != nil {
		return nil, err
	}
	if m.Graph == nil {
		return nil, fmt.Errorf("%s: the model has no graph", res.Model)
	}
	res.LoadMS = ms(time.Since(t0))
	if err := applyShapes(m, r.shapes); err != nil {
		return nil, err
	}

	t1 := time.Now()
	s, err := runtime.NewSession(m, r.opts...)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	res.CompileMS = ms(time.Since(t1))

	feed, sources, err := r.feed(s)
	if err != nil {
		return nil, err
	}
	for _, in := range s.Inputs() {
		t := feed[in.Name]
		res.Inputs = append(res.Inputs, runInputJSON{Name: in.Name, DType: t.DType().String(), Shape: t.Shape(), Source: sources[in.Name]})
	}

	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if r.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
	}
	defer cancel()
	t2 := time.Now()
	outs, err := s.Run(ctx, feed)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("timed out after %v: %w", r.timeout, err)
		}
		return nil, err
	}
	res.RunMS = ms(time.Since(t2))

	if r.outDir != "" {
		if err := os.MkdirAll(r.outDir, 0o755); err != nil {
			return nil, err
		}
	}
	used := map[string]bool{}
	for _, o := range s.Outputs() {
		t := outs[o.Name]
		if t == nil {
			return nil, fmt.Errorf("the run produced no output %q", o.Name)
		}
		ro := runOutputJSON{Name: o.Name, DType: t.DType().String(), Shape: t.Shape(), Preview: preview(t, previewLen)}
		var labels []string
		if res.Bundled {
			labels = bundledLabels
		}
		ro.Top = topClasses(t, labels, topK)
		ro.Rows = rowClasses(t, labels, topK, maxRankedRows)
		if r.outDir != "" {
			base := uniqueName(sanitizeName(o.Name), used)
			if ro.Files, err = writeOutput(r.outDir, base, o.Name, t); err != nil {
				return nil, err
			}
		}
		res.Outputs = append(res.Outputs, ro)
	}
	if res.Bundled && sources[s.Inputs()[0].Name] == "bundled" {
		want, err := bundledOutput()
		if err != nil {
			return nil, err
		}
		e, cerr := testcase.Compare(outs[s.Outputs()[0].Name], want, testcase.DefaultTolerance)
		ok := cerr == nil
		res.MaxAbsErr, res.CheckPassed = &e, &ok
		res.Accuracy = scoreBundledRows(res.Outputs[0].Rows, bundledTrueClasses, bundledLabels)
	}
	return res, nil
}

// scoreBundledRows marks each ranked row right or wrong against the true
// classes and counts the right ones; nil if the rows do not match them.
func scoreBundledRows(rows []rowJSON, truth []int, labels []string) *accuracyJSON {
	if len(rows) != len(truth) {
		return nil
	}
	acc := &accuracyJSON{Total: len(rows)}
	for i := range rows {
		r := &rows[i]
		c := truth[i]
		ok := len(r.Top) > 0 && r.Top[0].Class == c
		r.TrueClass, r.Correct = &c, &ok
		if c < len(labels) {
			r.TrueLabel = labels[c]
		}
		if ok {
			acc.Correct++
		}
	}
	return acc
}

// feed builds the inputs of s from --input files, the bundled sample and
// --random, and says where each came from.
func (r *runner) feed(s *runtime.Session) (map[string]*tensor.Tensor, map[string]string, error) {
	ins := s.Inputs()
	names := make([]string, len(ins))
	for i, in := range ins {
		names[i] = in.Name
	}
	feed := map[string]*tensor.Tensor{}
	sources := map[string]string{}
	for _, spec := range r.inputs {
		name, file := splitAssign(spec, names)
		if name == "" {
			if i := strings.LastIndexByte(spec, '='); i > 0 && !isFile(spec) {
				return nil, nil, fmt.Errorf("--input %s: the model has no input %q (inputs: %s)", spec, spec[:i], strings.Join(names, ", "))
			}
			if len(names) != 1 {
				return nil, nil, fmt.Errorf("--input %s: the model has %d inputs (%s); write NAME=FILE", spec, len(names), strings.Join(names, ", "))
			}
			name = names[0]
		}
		if _, dup := feed[name]; dup {
			return nil, nil, fmt.Errorf("--input: input %q given twice", name)
		}
		t, err := readTensorFile(file)
		if err != nil {
			return nil, nil, fmt.Errorf("--input %s: %w", spec, err)
		}
		feed[name], sources[name] = t, file
	}
	if r.path == "" && len(r.inputs) == 0 && !r.random && len(ins) == 1 {
		t, err := bundledInput()
		if err != nil {
			return nil, nil, err
		}
		feed[ins[0].Name], sources[ins[0].Name] = t, "bundled"
	}
	if r.random {
		rng := rand.New(rand.NewPCG(r.seed, r.seed^0x9e3779b97f4a7c15))
		for _, in := range ins {
			if feed[in.Name] != nil {
				continue
			}
			if in.Shape == nil {
				return nil, nil, fmt.Errorf("input %q has an unknown rank; give its shape with --shape %s=DIMS", in.Name, in.Name)
			}
			dims := make([]int, len(in.Shape))
			for i, d := range in.Shape {
				dims[i] = 1 // symbolic or unknown dims not fixed by --shape or --dim
				if d.Known() {
					dims[i] = int(d.Value)
				}
			}
			t, err := randomTensor(in.DType, dims, rng)
			if err != nil {
				return nil, nil, fmt.Errorf("input %q: %w", in.Name, err)
			}
			feed[in.Name], sources[in.Name] = t, "random"
		}
	}
	var missing []string
	for _, in := range ins {
		if feed[in.Name] == nil {
			missing = append(missing, fmt.Sprintf("%q (%v)", in.Name, in))
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("missing input %s: give --input NAME=FILE or --random", strings.Join(missing, ", "))
	}
	return feed, sources, nil
}

// readTensorFile reads a TensorProto .pb file or a NumPy .npy file. The
// caller names the file in errors.
func readTensorFile(path string) (*tensor.Tensor, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".pb":
		return onnx.ReadTensorFile(path)
	case ".npy":
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return tensor.ReadNPY(bufio.NewReader(f))
	}
	return nil, errors.New("unknown file type (want .pb for a TensorProto or .npy)")
}

// randomTensor returns a tensor of the given type and shape filled from rng:
// floats uniform in [0,1), integers in [0,10), bools fair.
func randomTensor(dt tensor.DType, dims []int, rng *rand.Rand) (*tensor.Tensor, error) {
	n, err := tensor.NumElements(dims)
	if err != nil {
		return nil, err
	}
	if size := dt.Size(); size == 0 || int64(n) > maxRandomBytes/int64(size) {
		if size == 0 || dt == tensor.Complex64 || dt == tensor.Complex128 {
			return nil, fmt.Errorf("--random does not generate %v tensors", dt)
		}
		return nil, fmt.Errorf("shape %v of %v is over the --random limit of %d bytes", dims, dt, maxRandomBytes)
	}
	t, err := tensor.New(dt, dims...)
	if err != nil {
		return nil, err
	}
	switch dt {
	case tensor.Float32:
		for i, d := 0, tensor.Data[float32](t); i < len(d); i++ {
			d[i] = rng.Float32()
		}
	case tensor.Float64:
		for i, d := 0, tensor.Data[float64](t); i < len(d); i++ {
			d[i] = rng.Float64()
		}
	case tensor.Float16:
		for i, d := 0, tensor.Data[tensor.F16](t); i < len(d); i++ {
			d[i] = tensor.NewF16(rng.Float32())
		}
	case tensor.BFloat16:
		for i, d := 0, tensor.Data[tensor.BF16](t); i < len(d); i++ {
			d[i] = tensor.NewBF16(rng.Float32())
		}
	case tensor.Bool:
		for i, d := 0, tensor.Data[bool](t); i < len(d); i++ {
			d[i] = rng.IntN(2) == 1
		}
	case tensor.Int8:
		fillSmallInts(tensor.Data[int8](t), rng)
	case tensor.Int16:
		fillSmallInts(tensor.Data[int16](t), rng)
	case tensor.Int32:
		fillSmallInts(tensor.Data[int32](t), rng)
	case tensor.Int64:
		fillSmallInts(tensor.Data[int64](t), rng)
	case tensor.Uint8:
		fillSmallInts(tensor.Data[uint8](t), rng)
	case tensor.Uint16:
		fillSmallInts(tensor.Data[uint16](t), rng)
	case tensor.Uint32:
		fillSmallInts(tensor.Data[uint32](t), rng)
	case tensor.Uint64:
		fillSmallInts(tensor.Data[uint64](t), rng)
	default:
		return nil, fmt.Errorf("--random does not generate %v tensors", dt)
	}
	return t, nil
}

func fillSmallInts[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](d []T, rng *rand.Rand) {
	for i := range d {
		d[i] = T(rng.IntN(10))
	}
}

// preview returns up to n leading elements of t as JSON-friendly values
// (non-finite floats as strings).
func preview(t *tensor.Tensor, n int) []any {
	k := min(n, t.Len())
	out := make([]any, 0, k)
	switch t.DType() {
	case tensor.Bool:
		for _, v := range tensor.Data[bool](t)[:k] {
			out = append(out, v)
		}
		return out
	case tensor.String:
		for _, v := range tensor.Data[string](t)[:k] {
			out = append(out, v)
		}
		return out
	case tensor.Int64, tensor.Int32, tensor.Int16, tensor.Int8, tensor.Uint8, tensor.Uint16, tensor.Uint32:
		if v, err := t.Int64s(); err == nil {
			for _, x := range v[:k] {
				out = append(out, x)
			}
			return out
		}
	}
	v, err := t.Float64s()
	if err != nil {
		return out
	}
	for _, x := range v[:k] {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			out = append(out, fmt.Sprint(x))
		} else {
			out = append(out, x)
		}
	}
	return out
}

// topClasses ranks the classes of a float output of shape [C] or [1, C] with
// C > 1 (see rankClasses). It returns nil for other outputs.
func topClasses(t *tensor.Tensor, labels []string, k int) []classJSON {
	shape := t.Shape()
	if !t.DType().IsFloat() || !(len(shape) == 1 || len(shape) == 2 && shape[0] == 1) {
		return nil
	}
	v, err := t.Float64s()
	if err != nil || len(v) < 2 {
		return nil
	}
	return rankClasses(v, labels, k)
}

// rowClasses ranks the classes of each of the first maxRows rows of a float
// output of shape [N, C] with N > 1 and C > 1 (see rankClasses). It returns
// nil for other outputs.
func rowClasses(t *tensor.Tensor, labels []string, k, maxRows int) []rowJSON {
	shape := t.Shape()
	if !t.DType().IsFloat() || len(shape) != 2 || shape[0] < 2 || shape[1] < 2 {
		return nil
	}
	v, err := t.Float64s()
	if err != nil {
		return nil
	}
	n, c := min(shape[0], maxRows), shape[1]
	rows := make([]rowJSON, n)
	for i := range rows {
		rows[i] = rowJSON{Row: i, Top: rankClasses(v[i*c:(i+1)*c], labels, k)}
	}
	return rows
}

// rankClasses returns the k most likely classes of one vector of scores v
// (len(v) > 1): ranked by its values if they already are probabilities (in
// [0,1], summing to 1), else by their softmax over the non-NaN scores. NaN
// ranks last, with probability -1.
func rankClasses(v []float64, labels []string, k int) []classJSON {
	probs := make([]float64, len(v))
	isProb, sum := true, 0.0
	for _, x := range v {
		isProb = isProb && x >= 0 && x <= 1
		sum += x
	}
	if isProb && math.Abs(sum-1) < 1e-3 {
		copy(probs, v)
	} else {
		hi := math.Inf(-1)
		for _, x := range v {
			if x > hi {
				hi = x
			}
		}
		total := 0.0
		for i, x := range v {
			probs[i] = math.Exp(x - hi)
			if !math.IsNaN(probs[i]) { // a NaN score stays NaN, the others still sum to 1
				total += probs[i]
			}
		}
		for i := range probs {
			probs[i] /= total
		}
	}
	key := func(i int) float64 {
		if math.IsNaN(probs[i]) {
			return math.Inf(-1)
		}
		return probs[i]
	}
	// Keep the k best indices in order (stable: ties keep the lower class),
	// in O(len(v)*k) rather than sorting every class.
	k = min(k, len(v))
	best := make([]int, 0, k)
	for i := range probs {
		if len(best) == k && !(key(i) > key(best[k-1])) {
			continue
		}
		if len(best) < k {
			best = append(best, i)
		} else {
			best[k-1] = i
		}
		for j := len(best) - 1; j > 0 && key(best[j]) > key(best[j-1]); j-- {
			best[j], best[j-1] = best[j-1], best[j]
		}
	}
	out := make([]classJSON, 0, k)
	for _, i := range best {
		c := classJSON{Class: i, Prob: probs[i]}
		if math.IsNaN(c.Prob) {
			c.Prob = -1 // JSON has no NaN; a probability is never negative
		}
		if i < len(labels) {
			c.Label = labels[i]
		}
		out = append(out, c)
	}
	return out
}

// sanitizeName turns a value name into a file name: letters, digits, '.',
// '_' and '-' kept, anything else '_'.
func sanitizeName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	s := strings.TrimLeft(string(b), ".")
	if s == "" {
		s = "output"
	}
	return s
}

// uniqueName returns base, or base_2, base_3... if already used, and marks
// the result used. Names are compared case-insensitively, since some file
// systems are.
func uniqueName(base string, used map[string]bool) string {
	name := base
	for i := 2; used[strings.ToLower(name)]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	used[strings.ToLower(name)] = true
	return name
}

// writeOutput writes t to dir/base.pb (a TensorProto called name) and
// dir/base.npy (except for string and bfloat16 tensors, which .npy cannot
// hold), and returns the paths written.
func writeOutput(dir, base, name string, t *tensor.Tensor) ([]string, error) {
	var files []string
	b, err := onnx.EncodeTensor(t, name)
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, base+".pb")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		return nil, err
	}
	files = append(files, p)
	if t.DType() == tensor.String || t.DType() == tensor.BFloat16 {
		return files, nil // .npy has no plain dtype for these
	}
	p = filepath.Join(dir, base+".npy")
	f, err := os.Create(p)
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriter(f)
	err = tensor.WriteNPY(w, t)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return append(files, p), nil
}

func printRun(w io.Writer, res *runJSON) {
	fmt.Fprintf(w, "model: %s\n", res.Model)
	if res.Description != "" {
		fmt.Fprintf(w, "       %s\n", res.Description)
	}
	for _, in := range res.Inputs {
		fmt.Fprintf(w, "input  %s: %s[%s] from %s\n", in.Name, in.DType, dimsString(in.Shape), in.Source)
	}
	for _, o := range res.Outputs {
		fmt.Fprintf(w, "output %s: %s[%s]\n", o.Name, o.DType, dimsString(o.Shape))
		fmt.Fprintf(w, "  values: %s\n", previewString(o.Preview, productOf(o.Shape)))
		if len(o.Top) > 0 {
			fmt.Fprintf(w, "  top-%d:\n", len(o.Top))
			for i, c := range o.Top {
				label := ""
				if c.Label != "" {
					label = fmt.Sprintf(" %q", c.Label)
				}
				fmt.Fprintf(w, "    %d. class %d%s  p=%.4f\n", i+1, c.Class, label, c.Prob)
			}
		}
		if len(o.Rows) > 0 && o.Rows[0].Correct == nil {
			fmt.Fprintf(w, "  top-1 per row:\n")
			for _, r := range o.Rows {
				c := r.Top[0]
				label := ""
				if c.Label != "" {
					label = fmt.Sprintf(" %q", c.Label)
				}
				fmt.Fprintf(w, "    row %d: class %d%s  p=%.4f\n", r.Row, c.Class, label, c.Prob)
			}
			if len(o.Shape) > 0 && o.Shape[0] > len(o.Rows) {
				fmt.Fprintf(w, "    ... (%d rows, the first %d shown)\n", o.Shape[0], len(o.Rows))
			}
		}
		for _, f := range o.Files {
			fmt.Fprintf(w, "  wrote %s\n", f)
		}
	}
	if res.Accuracy != nil {
		for _, r := range res.Outputs[0].Rows {
			c, verdict := r.Top[0], "ok"
			if !*r.Correct {
				verdict = "WRONG"
			}
			fmt.Fprintf(w, "image %d: %s (p=%.2f)  true: %s  %s\n", r.Row, c.Label, c.Prob, r.TrueLabel, verdict)
		}
		fmt.Fprintf(w, "accuracy on the bundled images: %d/%d\n", res.Accuracy.Correct, res.Accuracy.Total)
	}
	if res.MaxAbsErr != nil {
		verdict := "matches"
		if !*res.CheckPassed {
			verdict = "DIFFERS from"
		}
		fmt.Fprintf(w, "check: %s the bundled expected output, max_abs_err=%.3g\n", verdict, *res.MaxAbsErr)
	}
	fmt.Fprintf(w, "latency: load %.3f ms, compile %.3f ms, run %.3f ms\n", res.LoadMS, res.CompileMS, res.RunMS)
}

func dimsString(d []int) string {
	if len(d) == 0 {
		return "scalar"
	}
	parts := make([]string, len(d))
	for i, v := range d {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, "x")
}

func productOf(d []int) int {
	n := 1
	for _, v := range d {
		n *= v
	}
	return n
}

func previewString(vals []any, total int) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case float64:
			parts[i] = fmt.Sprintf("%.4g", x)
		case string:
			parts[i] = x
		default:
			parts[i] = fmt.Sprint(x)
		}
	}
	s := "[" + strings.Join(parts, " ")
	if total > len(vals) {
		s += fmt.Sprintf(" ... (%d values)", total)
	}
	return s + "]"
}

// errNoBundledInput is returned when the bundled data cannot be decoded,
// which means the binary was built wrongly.
var errNoBundledInput = errors.New("the bundled model's data is missing or corrupt")
