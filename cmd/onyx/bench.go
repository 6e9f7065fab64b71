package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gonum.org/v1/gonum/stat"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// Bench defaults and bounds.
const (
	benchMinRuns    = 10      // fewest timed runs when --runs is 0
	benchMaxRuns    = 1000000 // most timed runs when --runs is 0
	benchNoisyCV    = 0.05    // a coefficient of variation above this is "noisy"
	benchDefaultDur = 3 * time.Second
)

// benchHotOps are the ops that dominate CNN and transformer time: `onyx
// bench` lists their backends first and takes its tier from them.
var benchHotOps = map[string]bool{"Conv": true, "ConvTranspose": true, "Gemm": true, "MatMul": true}

// benchFusedOps maps onyx's fused ops (ai.onyx domain) to the standard op
// they compute before their epilogue.
var benchFusedOps = map[string]string{"FusedConv": "Conv", "FusedGemm": "Gemm"}

// benchBaseOp returns the standard op type a node computes: its own, or for
// a fused node the op it extends ("" for other domains' ops).
func benchBaseOp(n *ir.Node) string {
	switch n.Domain {
	case "", "ai.onnx":
		return n.OpType
	case ops.OnyxDomain:
		return benchFusedOps[n.OpType]
	}
	return ""
}

// benchIsHot reports whether a qualified op type (as qualifiedOp writes
// it) is one of benchHotOps or a fused form of one.
func benchIsHot(qualified string) bool {
	n := &ir.Node{OpType: qualified}
	if dom, op, ok := strings.Cut(qualified, ":"); ok {
		n.Domain, n.OpType = dom, op
	}
	return benchHotOps[benchBaseOp(n)]
}

// benchTierNames are the values of --cpu.
var benchTierNames = []string{"generic", "avx2", "avx512", "neon"}

// benchSetup holds the flags that `onyx bench` and `onyx profile` share.
type benchSetup struct {
	path    string
	inputs  multiFlag // --input NAME=FILE
	shapes  multiFlag // --shape NAME=DIMS
	dims    multiFlag // --dim NAME=SIZE
	seed    uint64
	threads int
	cpu     string // --cpu: a tier, or "" for ONYX_CPU or the best
}

// benchFlags declares on fs the flags that `onyx bench` and `onyx profile`
// share.
func benchFlags(fs *flag.FlagSet, b *benchSetup) {
	fs.Var(&b.inputs, "input", "an input from a file: NAME=FILE.pb (TensorProto) or NAME=FILE.npy; NAME= optional for one input; repeatable (default: a CASE_DIR's test_data_set_0, else random values)")
	fs.Var(&b.shapes, "shape", "fix an input's shape: NAME=1x3x224x224 (NAME= optional for one input); repeatable (default: symbolic dims 1)")
	fs.Var(&b.dims, "dim", "fix a symbolic dimension: NAME=SIZE, e.g. batch=1; repeatable")
	fs.Uint64Var(&b.seed, "seed", 1, "seed of the random inputs")
	fs.IntVar(&b.threads, "threads", 1, "threads the session may use")
	fs.StringVar(&b.cpu, "cpu", "", "kernel tier: generic, avx2, avx512 or neon (default: ONYX_CPU, else the best the CPU has)")
}

// check validates the shared flags after parsing: a usage error message, or
// "".
func (b *benchSetup) check(pos []string) string {
	if len(pos) != 1 {
		return fmt.Sprintf("want exactly one MODEL or CASE_DIR, got %d arguments", len(pos))
	}
	b.path = pos[0]
	if b.threads < 1 {
		return fmt.Sprintf("--threads %d: need at least 1", b.threads)
	}
	if b.cpu != "" && !slices.Contains(benchTierNames, b.cpu) {
		return fmt.Sprintf("--cpu %q: want one of %s", b.cpu, strings.Join(benchTierNames, ", "))
	}
	if _, err := benchDimSizes(b.dims); err != nil {
		return err.Error()
	}
	return ""
}

// options returns the session options of the flags. It fails if --cpu names
// a tier this binary or CPU does not have.
func (b *benchSetup) options() ([]runtime.Option, error) {
	opts := []runtime.Option{runtime.WithThreads(b.threads)}
	if b.cpu != "" {
		o, err := tierOption(b.cpu)
		if err != nil {
			return nil, err
		}
		opts = append(opts, o)
	}
	dimOpts, err := dimOptions(b.dims)
	if err != nil {
		return nil, err
	}
	return append(opts, dimOpts...), nil
}

// tierOption is the session option of --cpu TIER; it fails if this binary
// or CPU does not have the tier.
func tierOption(tier string) (runtime.Option, error) {
	if avail := sysTiersAvailable(); !slices.Contains(avail, tier) {
		return nil, fmt.Errorf("--cpu %s: that tier is not available on this machine (available: %s)", tier, strings.Join(avail, ", "))
	}
	return runtime.WithBackends(tier), nil
}

// benchDimSizes parses --dim NAME=SIZE flags.
func benchDimSizes(specs []string) (map[string]int, error) {
	sizes := map[string]int{}
	for _, spec := range specs {
		name, v, ok := strings.Cut(spec, "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || name == "" || err != nil || n < 0 {
			return nil, fmt.Errorf("--dim %s: want NAME=SIZE with SIZE a non-negative integer", spec)
		}
		sizes[name] = n
	}
	return sizes, nil
}

// benchModel is a loaded model with the inputs it will run on.
type benchModel struct {
	name    string // for reports: the case folder's or the model file's name
	file    string // the .onnx file
	model   *ir.Model
	load    time.Duration // reading and decoding the file
	feed    map[string]*tensor.Tensor
	inputs  []runInputJSON // in the graph's order
	fixDims int            // symbolic or unknown input dims fixed to the fed sizes
}

// benchLoad loads b.path (a model file, or a test-case folder whose
// model.onnx runs on test_data_set_0's inputs) and builds its inputs: from
// --input files, then the case's files, then random values. The model's
// symbolic or unknown input dims are then fixed to the fed sizes, so that
// compilation sees the shapes it will run (as --shape would).
func benchLoad(b *benchSetup) (*benchModel, error) {
	fi, err := os.Stat(b.path)
	if err != nil {
		return nil, err
	}
	bm := &benchModel{file: b.path}
	caseDir := ""
	if fi.IsDir() {
		bm.file = filepath.Join(b.path, "model.onnx")
		caseDir = filepath.Join(b.path, "test_data_set_0")
		bm.name = filepath.Base(filepath.Clean(b.path))
	} else {
		base := filepath.Base(b.path)
		bm.name = strings.TrimSuffix(base, filepath.Ext(base))
		if bm.name == "model" { // zoo layout: name the model by its folder
			if dir := filepath.Base(filepath.Dir(filepath.Clean(b.path))); dir != "." && dir != string(filepath.Separator) {
				bm.name = dir
			}
		}
	}
	t0 := time.Now()
	m, err := onnx.LoadFile(bm.file)
	if err != nil {
		return nil, err
	}
	bm.load = time.Since(t0)
	if m.Graph == nil {
		return nil, fmt.Errorf("%s: the model has no graph", bm.file)
	}
	bm.model = m
	if err := applyShapes(m, b.shapes); err != nil {
		return nil, err
	}
	sizes, err := benchDimSizes(b.dims)
	if err != nil {
		return nil, err
	}
	if err := bm.buildFeed(b, caseDir, sizes); err != nil {
		return nil, err
	}
	bm.fixInputShapes()
	return bm, nil
}

// buildFeed fills bm.feed and bm.inputs.
func (bm *benchModel) buildFeed(b *benchSetup, caseDir string, sizes map[string]int) error {
	ins := graphInputs(bm.model)
	names := valueNames(ins)
	bm.feed = map[string]*tensor.Tensor{}
	sources := map[string]string{}
	for _, spec := range b.inputs {
		name, file := splitAssign(spec, names)
		if name == "" {
			if i := strings.LastIndexByte(spec, '='); i > 0 && !isFile(spec) {
				return fmt.Errorf("--input %s: the model has no input %q (inputs: %s)", spec, spec[:i], strings.Join(names, ", "))
			}
			if len(names) != 1 {
				return fmt.Errorf("--input %s: the model has %d inputs (%s); write NAME=FILE", spec, len(names), strings.Join(names, ", "))
			}
			name = names[0]
		}
		if _, dup := bm.feed[name]; dup {
			return fmt.Errorf("--input: input %q given twice", name)
		}
		t, err := readTensorFile(file)
		if err != nil {
			return fmt.Errorf("--input %s: %w", spec, err)
		}
		bm.feed[name], sources[name] = t, file
	}
	if caseDir != "" {
		for i, vi := range ins {
			f := filepath.Join(caseDir, fmt.Sprintf("input_%d.pb", i))
			if bm.feed[vi.Name] != nil || !isFile(f) {
				continue
			}
			t, err := onnx.ReadValueFile(f, vi.Type)
			if err != nil {
				return err
			}
			bm.feed[vi.Name], sources[vi.Name] = t, filepath.Join(filepath.Base(caseDir), filepath.Base(f))
		}
	}
	rng := rand.New(rand.NewPCG(b.seed, b.seed^0x9e3779b97f4a7c15))
	for _, vi := range ins {
		if bm.feed[vi.Name] != nil {
			continue
		}
		if vi.Type == nil || vi.Type.Kind != ir.KindTensor {
			return fmt.Errorf("input %q is not a tensor (%v): give it with --input %s=FILE", vi.Name, vi.Type, vi.Name)
		}
		if vi.Type.Shape == nil {
			return fmt.Errorf("input %q has an unknown rank; give its shape with --shape %s=DIMS", vi.Name, vi.Name)
		}
		dims := make([]int, len(vi.Type.Shape))
		for i, d := range vi.Type.Shape {
			switch size, named := sizes[d.Param]; {
			case d.Known():
				dims[i] = int(d.Value)
			case d.Param != "" && named:
				dims[i] = size
			default:
				dims[i] = 1
			}
		}
		t, err := randomTensor(vi.Type.DType, dims, rng)
		if err != nil {
			return fmt.Errorf("input %q: %w", vi.Name, err)
		}
		bm.feed[vi.Name], sources[vi.Name] = t, "random"
	}
	bm.inputs = make([]runInputJSON, len(ins))
	for i, vi := range ins {
		t := bm.feed[vi.Name]
		bm.inputs[i] = runInputJSON{Name: vi.Name, DType: t.DType().String(), Shape: t.Shape(), Source: sources[vi.Name]}
	}
	return nil
}

// fixInputShapes sets the symbolic and unknown dims of the model's tensor
// inputs to the sizes fed, where the ranks agree. Known dims are kept, so
// that a wrong input still fails as it would in a deployment.
func (bm *benchModel) fixInputShapes() {
	for _, vi := range graphInputs(bm.model) {
		t := bm.feed[vi.Name]
		if vi.Type == nil || vi.Type.Kind != ir.KindTensor || t == nil || t.Kind() != tensor.KindTensor {
			continue
		}
		shape := t.Shape()
		if vi.Type.Shape != nil && len(vi.Type.Shape) != len(shape) {
			continue
		}
		fixed := make(ir.Shape, len(shape))
		for i, n := range shape {
			fixed[i] = ir.Dim{Value: int64(n)}
			if vi.Type.Shape != nil && vi.Type.Shape[i].Known() {
				fixed[i] = vi.Type.Shape[i]
			} else {
				bm.fixDims++
			}
		}
		typ := *vi.Type
		typ.Shape = fixed
		vi.Type = &typ
	}
}

// benchStats summarises run times, in milliseconds.
type benchStats struct {
	Min, Median, P90, P99, Max float64
	Mean, StdDev               float64 // StdDev: the sample standard deviation
	CV                         float64 // StdDev/Mean
}

// benchSummarize computes benchStats of the times (at least one).
// Percentiles interpolate linearly between the order statistics at rank
// p*(n-1) (numpy's and R's default, type 7), so that the median of an even
// count is the mean of the middle two.
func benchSummarize(times []time.Duration) benchStats {
	x := make([]float64, len(times))
	for i, d := range times {
		x[i] = durMS(d)
	}
	sort.Float64s(x)
	var s benchStats
	s.Min, s.Max = x[0], x[len(x)-1]
	s.Median = benchQuantile(x, 0.5)
	s.P90 = benchQuantile(x, 0.9)
	s.P99 = benchQuantile(x, 0.99)
	if len(x) > 1 {
		s.Mean, s.StdDev = stat.MeanStdDev(x, nil)
	} else {
		s.Mean = x[0]
	}
	if s.Mean > 0 {
		s.CV = s.StdDev / s.Mean
	}
	return s
}

// benchQuantile returns the p-quantile of the sorted, non-empty x (type 7).
func benchQuantile(x []float64, p float64) float64 {
	h := p * float64(len(x)-1)
	lo := int(math.Floor(h))
	if lo >= len(x)-1 {
		return x[len(x)-1]
	}
	return x[lo] + (h-float64(lo))*(x[lo+1]-x[lo])
}

// durMS converts d to milliseconds without rounding.
func durMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchJSON is `onyx bench --json` output.
type benchJSON struct {
	Model          string                    `json:"model"`
	File           string                    `json:"file"`
	Inputs         []runInputJSON            `json:"inputs"`
	LoadMS         float64                   `json:"load_ms"`
	CompileMS      float64                   `json:"compile_ms"`
	FirstRunMS     float64                   `json:"first_run_ms"`
	Warmup         int                       `json:"warmup"`
	Runs           int                       `json:"runs"`
	MinMS          float64                   `json:"min_ms"`
	MedianMS       float64                   `json:"median_ms"`
	P90MS          float64                   `json:"p90_ms"`
	P99MS          float64                   `json:"p99_ms"`
	MaxMS          float64                   `json:"max_ms"`
	MeanMS         float64                   `json:"mean_ms"`
	StddevMS       float64                   `json:"stddev_ms"`
	CV             float64                   `json:"cv"`
	Noisy          bool                      `json:"noisy"`
	RunsPerSec     float64                   `json:"runs_per_s"`
	AllocsPerRun   float64                   `json:"allocs_per_run"`
	BytesPerRun    float64                   `json:"bytes_per_run"`
	PeakRSSBytes   int64                     `json:"peak_rss_bytes"`
	Threads        int                       `json:"threads"`
	GOMAXPROCS     int                       `json:"gomaxprocs"`
	CPU            string                    `json:"cpu"`
	Features       []string                  `json:"features"`
	Tier           string                    `json:"tier"`
	Backends       map[string]map[string]int `json:"backends"`
	GOOS           string                    `json:"goos"`
	GOARCH         string                    `json:"goarch"`
	GOAMD64        string                    `json:"goamd64"`
	GoVersion      string                    `json:"go_version"`
	OnyxVersion    string                    `json:"onyx_version"`
	FixedInputDims int                       `json:"fixed_input_dims,omitempty"`
}

// benchRunCfg is how many runs `onyx bench` makes.
type benchRunCfg struct {
	warmup int
	runs   int           // 0: enough for target, at least benchMinRuns
	target time.Duration // the timed runs' total when runs is 0
}

func cmdBench(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench", "MODEL|CASE_DIR", stderr)
	var b benchSetup
	benchFlags(fs, &b)
	runs := fs.Int("runs", 0, "timed runs (0: enough for --time, at least 10)")
	warmup := fs.Int("warmup", 2, "untimed runs after the first run")
	target := fs.Duration("time", benchDefaultDur, "how long the timed runs should take in all when --runs is 0")
	asJSON := fs.Bool("json", false, "print one JSON object (same as --format json)")
	format := fs.String("format", "text", "output: text, json, or benchfmt (Go benchmark lines for benchstat)")
	pos, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if msg := b.check(pos); msg != "" {
		return usageError(fs, stderr, msg)
	}
	switch {
	case *runs < 0 || *warmup < 0:
		return usageError(fs, stderr, "--runs and --warmup must not be negative")
	case *target <= 0:
		return usageError(fs, stderr, "--time must be positive")
	case *format != "text" && *format != "json" && *format != "benchfmt":
		return usageError(fs, stderr, fmt.Sprintf("--format %q: want text, json or benchfmt", *format))
	case *asJSON && *format == "benchfmt":
		return usageError(fs, stderr, "--json and --format benchfmt exclude each other")
	}
	if *asJSON {
		*format = "json"
	}
	res, err := benchRun(&b, benchRunCfg{warmup: *warmup, runs: *runs, target: *target})
	if err != nil {
		return fail(stderr, "bench", err)
	}
	if res.Noisy {
		fmt.Fprintf(stderr, "onyx bench: noisy: run times vary by %.1f%% (stddev/mean) over %d runs (min %.3f ms, max %.3f ms); "+
			"other programs may be competing for the CPU: compare medians, or run again\n",
			100*res.CV, res.Runs, res.MinMS, res.MaxMS)
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return fail(stderr, "bench", err)
		}
	case "benchfmt":
		printBenchfmt(stdout, res)
	default:
		printBench(stdout, res)
	}
	return exitOK
}

// benchRun loads, compiles and times the model.
func benchRun(b *benchSetup, rc benchRunCfg) (*benchJSON, error) {
	opts, err := b.options()
	if err != nil {
		return nil, err
	}
	bm, err := benchLoad(b)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	s, err := runtime.NewSession(bm.model, opts...)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	compile := time.Since(t0)

	res := &benchJSON{
		Model: bm.name, File: bm.file, Inputs: bm.inputs,
		LoadMS: durMS(bm.load), CompileMS: durMS(compile), Warmup: rc.warmup,
		Threads: b.threads, GOMAXPROCS: goruntime.GOMAXPROCS(0),
		CPU: sysCPUName(), Features: sysPresentFeatures(),
		GOOS: goruntime.GOOS, GOARCH: goruntime.GOARCH, GOAMD64: sysGOAMD64(),
		GoVersion: goruntime.Version(), OnyxVersion: version + vcsSuffix(),
		FixedInputDims: bm.fixDims,
	}
	res.Backends, res.Tier = benchBackends(s.Nodes())

	// RunInto reusing the outputs, as a server in steady state would: the
	// allocations counted are the runtime's own.
	ctx := context.Background()
	out := map[string]*tensor.Tensor{}
	one := func() (time.Duration, error) {
		t := time.Now()
		err := s.RunInto(ctx, bm.feed, out)
		return time.Since(t), err
	}
	first, err := one()
	if err != nil {
		return nil, err
	}
	res.FirstRunMS = durMS(first)
	est := first
	for i := 0; i < rc.warmup; i++ {
		d, err := one()
		if err != nil {
			return nil, err
		}
		est = min(est, d)
	}
	n := rc.runs
	if n == 0 {
		n = benchRunCount(rc.target, est)
	}
	times := make([]time.Duration, n)
	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	start := time.Now()
	for i := range times {
		d, err := one()
		if err != nil {
			return nil, err
		}
		times[i] = d
	}
	wall := time.Since(start)
	goruntime.ReadMemStats(&after)

	st := benchSummarize(times)
	res.Runs = n
	res.MinMS, res.MedianMS, res.P90MS, res.P99MS, res.MaxMS = st.Min, st.Median, st.P90, st.P99, st.Max
	res.MeanMS, res.StddevMS, res.CV = st.Mean, st.StdDev, st.CV
	res.Noisy = n > 1 && st.CV > benchNoisyCV
	if wall > 0 {
		res.RunsPerSec = float64(n) / wall.Seconds()
	}
	res.AllocsPerRun = float64(after.Mallocs-before.Mallocs) / float64(n)
	res.BytesPerRun = float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
	res.PeakRSSBytes = sysPeakRSS()
	return res, nil
}

// benchRunCount returns how many runs of about est fill target, within
// [benchMinRuns, benchMaxRuns].
func benchRunCount(target, est time.Duration) int {
	if est <= 0 {
		return benchMaxRuns
	}
	n := int64(target / est)
	return int(min(max(n, benchMinRuns), benchMaxRuns))
}

// benchBackends counts the nodes each backend runs, per op type (folded
// nodes excluded), and returns the best backend among the hot ops' (Conv,
// ConvTranspose, Gemm, MatMul), or "generic".
func benchBackends(nodes []runtime.NodeInfo) (map[string]map[string]int, string) {
	counts := map[string]map[string]int{}
	tier := "generic"
	for _, ni := range nodes {
		if ni.Folded {
			continue
		}
		op := qualifiedOp(ni.Node.Domain, ni.Node.OpType)
		backend := ni.Backend
		if backend == "" {
			backend = "?"
		}
		if counts[op] == nil {
			counts[op] = map[string]int{}
		}
		counts[op][backend]++
		if benchIsHot(op) && sysTierRank(backend) > sysTierRank(tier) {
			tier = backend
		}
	}
	return counts, tier
}

// benchBackendLines formats the backend counts one op a line: "Conv: avx512
// x20, generic x1", the hot ops first, then by node count.
func benchBackendLines(counts map[string]map[string]int) []string {
	type opCount struct {
		op    string
		total int
		hot   bool
	}
	var list []opCount
	for op, m := range counts {
		t := 0
		for _, c := range m {
			t += c
		}
		list = append(list, opCount{op, t, benchIsHot(op)})
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.hot != b.hot {
			return a.hot
		}
		if a.total != b.total {
			return a.total > b.total
		}
		return a.op < b.op
	})
	lines := make([]string, len(list))
	for i, oc := range list {
		m := counts[oc.op]
		backends := sortedKeys(m)
		sort.SliceStable(backends, func(x, y int) bool {
			if m[backends[x]] != m[backends[y]] {
				return m[backends[x]] > m[backends[y]]
			}
			return sysTierRank(backends[x]) > sysTierRank(backends[y])
		})
		parts := make([]string, len(backends))
		for k, bk := range backends {
			parts[k] = fmt.Sprintf("%s x%d", bk, m[bk])
		}
		lines[i] = oc.op + ": " + strings.Join(parts, ", ")
	}
	return lines
}

func printBench(w io.Writer, r *benchJSON) {
	fmt.Fprintf(w, "model:      %s (%s)\n", r.Model, r.File)
	for _, in := range r.Inputs {
		fmt.Fprintf(w, "input:      %s %s[%s] from %s\n", in.Name, in.DType, dimsString(in.Shape), in.Source)
	}
	fmt.Fprintf(w, "cpu:        %s; features %s\n", r.CPU, strings.Join(r.Features, " "))
	arch := r.GOARCH
	if r.GOAMD64 != "" {
		arch += " GOAMD64=" + r.GOAMD64
	}
	fmt.Fprintf(w, "build:      onyx %s, %s %s/%s, GOMAXPROCS %d, threads %d\n", r.OnyxVersion, r.GoVersion, r.GOOS, arch, r.GOMAXPROCS, r.Threads)
	fmt.Fprintf(w, "tier:       %s\n", r.Tier)
	for i, l := range benchBackendLines(r.Backends) {
		label := ""
		if i == 0 {
			label = "backends:"
		}
		fmt.Fprintf(w, "%-11s %s\n", label, l)
	}
	fmt.Fprintf(w, "load:       %.3f ms\n", r.LoadMS)
	fmt.Fprintf(w, "compile:    %.3f ms\n", r.CompileMS)
	fmt.Fprintf(w, "first run:  %.3f ms\n", r.FirstRunMS)
	fmt.Fprintf(w, "runs:       %d timed, after %d warmup\n", r.Runs, r.Warmup)
	fmt.Fprintf(w, "latency:    min %.3f  median %.3f  p90 %.3f  p99 %.3f  max %.3f ms\n", r.MinMS, r.MedianMS, r.P90MS, r.P99MS, r.MaxMS)
	noisy := ""
	if r.Noisy {
		noisy = " (noisy)"
	}
	fmt.Fprintf(w, "mean:       %.3f ms ± %.3f ms (cv %.1f%%)%s\n", r.MeanMS, r.StddevMS, 100*r.CV, noisy)
	fmt.Fprintf(w, "throughput: %.2f runs/s\n", r.RunsPerSec)
	fmt.Fprintf(w, "memory:     %.1f allocs/run, %s/run, peak RSS %s\n", r.AllocsPerRun, benchBytes(r.BytesPerRun), benchBytes(float64(r.PeakRSSBytes)))
}

// benchBytes formats a byte count with a binary unit.
func benchBytes(b float64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.2f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.2f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

// printBenchfmt prints r in the Go benchmark format (golang.org/x/perf's
// benchfmt), so that benchstat compares runs and machines: configuration
// lines, then
//
//	BenchmarkOnyx/<model>/threads=N-<GOMAXPROCS> <runs> <ns> ns/op <allocs> allocs/op <bytes> B/op
//
// with the mean time per run, as `go test -bench` reports it.
func printBenchfmt(w io.Writer, r *benchJSON) {
	fmt.Fprintf(w, "goos: %s\n", r.GOOS)
	fmt.Fprintf(w, "goarch: %s\n", r.GOARCH)
	if r.GOAMD64 != "" {
		fmt.Fprintf(w, "goamd64: %s\n", r.GOAMD64)
	}
	fmt.Fprintf(w, "pkg: github.com/onyxml/onyx\n")
	fmt.Fprintf(w, "cpu: %s\n", r.CPU)
	fmt.Fprintf(w, "onyx: %s\n", r.OnyxVersion)
	fmt.Fprintf(w, "tier: %s\n", r.Tier)
	fmt.Fprintf(w, "%s %d %.0f ns/op %.0f allocs/op %.0f B/op\n", benchfmtName(r.Model, r.Threads, r.GOMAXPROCS),
		r.Runs, r.MeanMS*1e6, math.Floor(r.AllocsPerRun), math.Floor(r.BytesPerRun))
}

// benchfmtName returns the benchmark name of a model run: the model's name
// with white space and slashes replaced by '_' (so that it stays one
// sub-benchmark), the threads, and GOMAXPROCS as the -N suffix.
func benchfmtName(model string, threads, procs int) string {
	clean := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, model)
	if clean == "" {
		clean = "model"
	}
	return fmt.Sprintf("BenchmarkOnyx/%s/threads=%d-%d", clean, threads, procs)
}
