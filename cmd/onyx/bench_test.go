package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/runtime"
)

// benchNaiveQuantile is the type-7 quantile by its definition: the order
// statistic at 1-based rank 1+p*(n-1), interpolated.
func benchNaiveQuantile(x []float64, p float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	r := 1 + p*float64(len(s)-1) // 1-based rank
	lo := math.Floor(r)
	if int(lo) >= len(s) {
		return s[len(s)-1]
	}
	return s[int(lo)-1] + (r-lo)*(s[int(lo)]-s[int(lo)-1])
}

func TestOnyxBenchStats(t *testing.T) {
	ms := func(v ...float64) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x * float64(time.Millisecond))
		}
		return d
	}
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
			t.Errorf("%s = %.12g, want %.12g", name, got, want)
		}
	}
	// Hand-computed: 4, 1, 3, 2 ms.
	s := benchSummarize(ms(4, 1, 3, 2))
	near("min", s.Min, 1)
	near("max", s.Max, 4)
	near("median", s.Median, 2.5)
	near("p90", s.P90, 3.7) // rank 1+0.9*3 = 3.7: 3 + 0.7*(4-3)
	near("p99", s.P99, 3.97)
	near("mean", s.Mean, 2.5)
	near("stddev", s.StdDev, math.Sqrt(5.0/3)) // sum of squares 5 over n-1 = 3
	near("cv", s.CV, math.Sqrt(5.0/3)/2.5)

	// One run: no spread.
	s = benchSummarize(ms(7))
	for name, v := range map[string]float64{"min": s.Min, "median": s.Median, "p99": s.P99, "max": s.Max, "mean": s.Mean} {
		near(name, v, 7)
	}
	near("stddev of one", s.StdDev, 0)
	near("cv of one", s.CV, 0)

	// Odd count: the median is the middle value.
	near("median of 3", benchSummarize(ms(10, 30, 20)).Median, 20)

	// Random samples against the definitions.
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{2, 3, 10, 11, 100, 1001} {
		x := make([]float64, n)
		d := make([]time.Duration, n)
		for i := range x {
			d[i] = time.Duration(rng.Int64N(int64(50 * time.Millisecond)))
			x[i] = float64(d[i]) / 1e6
		}
		s := benchSummarize(d)
		var sum float64
		for _, v := range x {
			sum += v
		}
		mean := sum / float64(n)
		var ss float64
		for _, v := range x {
			ss += (v - mean) * (v - mean)
		}
		near("mean", s.Mean, mean)
		near("stddev", s.StdDev, math.Sqrt(ss/float64(n-1)))
		near("min", s.Min, slices.Min(x))
		near("max", s.Max, slices.Max(x))
		for _, q := range []struct {
			p   float64
			got float64
		}{{0.5, s.Median}, {0.9, s.P90}, {0.99, s.P99}} {
			near("quantile", q.got, benchNaiveQuantile(x, q.p))
		}
		if !(s.Min <= s.Median && s.Median <= s.P90 && s.P90 <= s.P99 && s.P99 <= s.Max) {
			t.Errorf("n=%d: percentiles out of order: %+v", n, s)
		}
	}
}

func TestOnyxBenchRunCount(t *testing.T) {
	for _, c := range []struct {
		target, est time.Duration
		want        int
	}{
		{3 * time.Second, 0, benchMaxRuns},
		{3 * time.Second, time.Second, benchMinRuns},
		{3 * time.Second, 10 * time.Second, benchMinRuns},
		{3 * time.Second, time.Millisecond, 3000},
		{3 * time.Second, 7 * time.Millisecond, 428},
		{3 * time.Second, time.Nanosecond, benchMaxRuns},
	} {
		if got := benchRunCount(c.target, c.est); got != c.want {
			t.Errorf("benchRunCount(%v, %v) = %d, want %d", c.target, c.est, got, c.want)
		}
	}
}

func TestOnyxBenchfmtName(t *testing.T) {
	for _, c := range []struct {
		model          string
		threads, procs int
		want           string
	}{
		{"resnet18", 1, 2, "BenchmarkOnyx/resnet18/threads=1-2"},
		{"my model/v2", 4, 8, "BenchmarkOnyx/my_model_v2/threads=4-8"},
		{"tab\tname\n", 1, 1, "BenchmarkOnyx/tab_name_/threads=1-1"},
		{"", 2, 2, "BenchmarkOnyx/model/threads=2-2"},
	} {
		if got := benchfmtName(c.model, c.threads, c.procs); got != c.want {
			t.Errorf("benchfmtName(%q) = %q, want %q", c.model, got, c.want)
		}
	}
}

func TestOnyxBenchBackends(t *testing.T) {
	node := func(domain, op string) *ir.Node { return &ir.Node{Domain: domain, OpType: op} }
	nodes := []runtime.NodeInfo{
		{Node: node("", "Conv"), Backend: "avx2"},
		{Node: node("", "Conv"), Backend: "avx2"},
		{Node: node("", "Conv"), Backend: "generic"},
		{Node: node(ops.OnyxDomain, "FusedConv"), Backend: "avx512"},
		{Node: node("", "Relu"), Backend: "avx512"}, // not a hot op: does not set the tier
		{Node: node("", "Relu"), Backend: "generic"},
		{Node: node("", "Shape"), Backend: "generic", Folded: true},
	}
	counts, tier := benchBackends(nodes)
	if tier != "avx512" {
		t.Errorf("tier %q, want avx512 (a FusedConv)", tier)
	}
	want := map[string]map[string]int{
		"Conv":              {"avx2": 2, "generic": 1},
		"ai.onyx:FusedConv": {"avx512": 1},
		"Relu":              {"avx512": 1, "generic": 1},
	}
	if got, _ := json.Marshal(counts); string(got) != string(must(json.Marshal(want))) {
		t.Errorf("counts %s, want %s", got, must(json.Marshal(want)))
	}
	lines := benchBackendLines(counts)
	wantLines := []string{"Conv: avx2 x2, generic x1", "ai.onyx:FusedConv: avx512 x1", "Relu: avx512 x1, generic x1"}
	if !slices.Equal(lines, wantLines) {
		t.Errorf("lines %q, want %q", lines, wantLines)
	}
	if _, tier := benchBackends(nodes[4:]); tier != "generic" {
		t.Errorf("tier without hot ops %q, want generic", tier)
	}
	if _, tier := benchBackends([]runtime.NodeInfo{{Node: node("", "MatMul"), Backend: "mine"}}); tier != "mine" {
		t.Errorf("tier of a user's MatMul backend %q, want mine", tier)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// benchCaseDir writes the bundled MNIST-shaped model and its input as a
// test case, and skips the test if its ops are not all implemented.
func benchCaseDir(t *testing.T) string {
	t.Helper()
	if ok, missing := bundledRunnable(t); !ok {
		t.Skipf("the bundled model's operators are not all implemented yet (%s)", missing)
	}
	dir := filepath.Join(t.TempDir(), "mnist")
	writeFile(t, filepath.Join(dir, "model.onnx"), bundledModelBytes)
	writeFile(t, filepath.Join(dir, "test_data_set_0", "input_0.pb"), bundledInputBytes)
	return dir
}

// benchRequiredJSON are the fields `onyx bench --json` promises.
var benchRequiredJSON = []string{"median_ms", "min_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms", "stddev_ms",
	"first_run_ms", "load_ms", "compile_ms", "runs", "allocs_per_run", "bytes_per_run", "peak_rss_bytes",
	"threads", "cpu", "features", "tier", "backends", "goarch", "goamd64"}

func TestOnyxBenchJSON(t *testing.T) {
	dir := benchCaseDir(t)
	code, out, errOut := cliRun(t, "bench", dir, "--runs", "4", "--warmup", "1", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	for _, k := range benchRequiredJSON {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, out)
		}
	}
	var r benchJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Runs != 4 || r.Warmup != 1 || r.Threads != 1 || r.Model != "mnist" {
		t.Errorf("runs %d warmup %d threads %d model %q, want 4 1 1 mnist", r.Runs, r.Warmup, r.Threads, r.Model)
	}
	if !(0 < r.MinMS && r.MinMS <= r.MedianMS && r.MedianMS <= r.P90MS && r.P90MS <= r.P99MS && r.P99MS <= r.MaxMS) {
		t.Errorf("latencies out of order: min %v median %v p90 %v p99 %v max %v", r.MinMS, r.MedianMS, r.P90MS, r.P99MS, r.MaxMS)
	}
	if r.MeanMS < r.MinMS || r.MeanMS > r.MaxMS || r.StddevMS < 0 || r.FirstRunMS <= 0 || r.LoadMS <= 0 || r.CompileMS <= 0 {
		t.Errorf("implausible times: %+v", r)
	}
	// RunInto reusing its outputs may allocate nothing at all.
	if r.RunsPerSec <= 0 || r.BytesPerRun < 0 || r.AllocsPerRun < 0 {
		t.Errorf("throughput %v, bytes/run %v, allocs/run %v: want a positive throughput, no negative counts", r.RunsPerSec, r.BytesPerRun, r.AllocsPerRun)
	}
	if goruntime.GOOS == "linux" && r.PeakRSSBytes < 1<<20 {
		t.Errorf("peak RSS %d on Linux, want at least 1 MiB", r.PeakRSSBytes)
	}
	if len(r.Inputs) != 1 || r.Inputs[0].Source != filepath.Join("test_data_set_0", "input_0.pb") || dimsString(r.Inputs[0].Shape) != "8x1x28x28" {
		t.Errorf("inputs %+v, want the case's input_0.pb of 8x1x28x28 (the bundled images)", r.Inputs)
	}
	if r.GOARCH != goruntime.GOARCH || r.GOOS != goruntime.GOOS || r.GoVersion != goruntime.Version() {
		t.Errorf("goos/goarch/go %s/%s/%s", r.GOOS, r.GOARCH, r.GoVersion)
	}
	if (goruntime.GOARCH == "amd64") != (r.GOAMD64 != "") {
		t.Errorf("goamd64 %q on %s", r.GOAMD64, goruntime.GOARCH)
	}
	total := 0
	for _, bk := range r.Backends {
		for _, n := range bk {
			total += n
		}
	}
	if total == 0 || r.Backends["Gemm"] == nil && r.Backends["ai.onyx:FusedGemm"] == nil {
		t.Errorf("backends %v: want the Gemm counted", r.Backends)
	}
	if sysTierRank(r.Tier) < sysTierRank("generic") || r.CPU == "" || r.Features == nil {
		t.Errorf("tier %q cpu %q features %v", r.Tier, r.CPU, r.Features)
	}

	// The model file alone (no case): random inputs, named after its folder.
	code, out, errOut = cliRun(t, "bench", "--json", "--runs=2", "--warmup=0", filepath.Join(dir, "model.onnx"))
	if code != exitOK {
		t.Fatalf("model file: exit %d: %s", code, errOut)
	}
	r = benchJSON{}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Model != "mnist" || len(r.Inputs) != 1 || r.Inputs[0].Source != "random" || r.Runs != 2 {
		t.Errorf("model file: model %q inputs %+v runs %d", r.Model, r.Inputs, r.Runs)
	}
}

func TestOnyxBenchTextAndBenchfmt(t *testing.T) {
	p := filepath.Join(t.TempDir(), "double.onnx")
	writeModel(t, p, doubleModel(ir.ShapeOf(2, 3), false))
	code, out, errOut := cliRun(t, "bench", p, "--runs", "5")
	if code != exitOK {
		t.Fatalf("text: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"model:      double (" + p + ")", "input:      x float32[2x3] from random",
		"latency:    min ", " median ", " p90 ", " p99 ", "runs:       5 timed, after 2 warmup", "throughput: ",
		"allocs/run", "peak RSS", "tier:       generic", "backends:   onyx.clitest:Double: clitest x1", "GOMAXPROCS"} {
		if !strings.Contains(out, want) {
			t.Errorf("text: no %q in\n%s", want, out)
		}
	}

	code, out, errOut = cliRun(t, "bench", "--format", "benchfmt", "--runs", "7", "--threads", "2", p)
	if code != exitOK {
		t.Fatalf("benchfmt: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header := map[string]string{}
	var bench []string
	for _, l := range lines {
		if strings.HasPrefix(l, "Benchmark") {
			bench = append(bench, l)
			continue
		}
		k, v, ok := strings.Cut(l, ": ")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			t.Errorf("benchfmt: %q is neither a configuration line nor a result", l)
		}
		header[k] = v
	}
	if header["goos"] != goruntime.GOOS || header["goarch"] != goruntime.GOARCH || header["cpu"] == "" {
		t.Errorf("benchfmt header %v", header)
	}
	re := regexp.MustCompile(`^BenchmarkOnyx/double/threads=2-(\d+) 7 (\d+) ns/op (\d+) allocs/op (\d+) B/op$`)
	if len(bench) != 1 || !re.MatchString(bench[0]) {
		t.Fatalf("benchfmt result lines %q, want one matching %s", bench, re)
	}
	sub := re.FindStringSubmatch(bench[0])
	if sub[1] != strconv.Itoa(goruntime.GOMAXPROCS(0)) {
		t.Errorf("benchfmt line %q: want GOMAXPROCS %d as the -N suffix", bench[0], goruntime.GOMAXPROCS(0))
	}
	if sub[2] == "0" {
		t.Errorf("benchfmt line %q: 0 ns/op", bench[0])
	}
}

func TestOnyxBenchRandomInputs(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sym.onnx")
	writeModel(t, p, doubleModel(ir.Shape{{Param: "n"}, {Value: 3}}, false))
	for _, c := range []struct {
		args  []string
		shape string
		fixed int
	}{
		{nil, "1x3", 1},
		{[]string{"--dim", "n=4"}, "4x3", 1},
		{[]string{"--shape", "x=5x3"}, "5x3", 0}, // --shape fixed it already
	} {
		args := append([]string{"bench", p, "--json", "--runs", "1", "--warmup", "0"}, c.args...)
		code, out, errOut := cliRun(t, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", c.args, code, errOut)
		}
		var r benchJSON
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Inputs) != 1 || dimsString(r.Inputs[0].Shape) != c.shape || r.Inputs[0].Source != "random" || r.FixedInputDims != c.fixed {
			t.Errorf("%v: inputs %+v fixed %d, want random %s, %d dims fixed", c.args, r.Inputs, r.FixedInputDims, c.shape, c.fixed)
		}
	}

	// --input overrides a case's data; the rest comes from the case.
	dir := filepath.Join(t.TempDir(), "two")
	writeModel(t, filepath.Join(dir, "model.onnx"), doubleModel(ir.ShapeOf(2), true))
	writeTensor(t, filepath.Join(dir, "test_data_set_0", "input_0.pb"), f32(t, []float32{1, 2}, 2))
	writeTensor(t, filepath.Join(dir, "test_data_set_0", "input_1.pb"), f32(t, []float32{3, 4}, 2))
	z := filepath.Join(t.TempDir(), "z.pb")
	writeTensor(t, z, f32(t, []float32{5, 6}, 2))
	code, out, errOut := cliRun(t, "bench", dir, "--json", "--runs", "1", "--input", "z="+z)
	if code != exitOK {
		t.Fatalf("two inputs: exit %d: %s", code, errOut)
	}
	var r benchJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Inputs) != 2 || r.Inputs[0].Source != filepath.Join("test_data_set_0", "input_0.pb") || r.Inputs[1].Source != z {
		t.Errorf("two inputs: %+v", r.Inputs)
	}
}

func TestOnyxBenchErrors(t *testing.T) {
	p := filepath.Join(t.TempDir(), "double.onnx")
	writeModel(t, p, doubleModel(ir.ShapeOf(2, 3), true))
	for _, args := range [][]string{
		{"bench"},
		{"bench", p, p},
		{"bench", p, "--threads", "0"},
		{"bench", p, "--runs", "-1"},
		{"bench", p, "--warmup", "-2"},
		{"bench", p, "--time", "0s"},
		{"bench", p, "--format", "xml"},
		{"bench", p, "--json", "--format", "benchfmt"},
		{"bench", p, "--cpu", "sse"},
		{"bench", p, "--dim", "n"},
		{"bench", p, "--no-such-flag"},
	} {
		code, _, errOut := cliRun(t, args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d (stderr %q)", args, code, exitUsage, errOut)
		}
		if strings.Contains(errOut, "panic") {
			t.Errorf("%q: %s", args, errOut)
		}
	}
	corrupt := filepath.Join(t.TempDir(), "corrupt.onnx")
	writeFile(t, corrupt, []byte("not a model"))
	empty := t.TempDir() // a folder without model.onnx
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", filepath.Join(t.TempDir(), "missing.onnx")}, "missing.onnx"},
		{[]string{"bench", empty}, "model.onnx"},
		{[]string{"bench", corrupt}, ""},
		{[]string{"bench", p, "--input", "nope=x.pb"}, `no input "nope"`},
		{[]string{"bench", p, "--input", "x.pb"}, "2 inputs"},
		{[]string{"bench", p, "--input", "x=" + filepath.Join(t.TempDir(), "absent.pb")}, "absent.pb"},
		{[]string{"bench", p, "--shape", "x=2x3x4"}, "rank"},
		{[]string{"profile", filepath.Join(t.TempDir(), "missing.onnx")}, "missing.onnx"},
	} {
		code, _, errOut := cliRun(t, c.args...)
		checkOneLineError(t, code, errOut, c.want)
	}
	// A tier this machine lacks fails (exit 1) rather than silently
	// measuring another.
	for _, tier := range benchTierNames {
		if !slices.Contains(sysTiersAvailable(), tier) {
			code, _, errOut := cliRun(t, "bench", p, "--cpu", tier)
			checkOneLineError(t, code, errOut, "not available")
			break
		}
	}
}

func TestOnyxBenchCPUFlag(t *testing.T) {
	dir := benchCaseDir(t)
	code, out, errOut := cliRun(t, "bench", dir, "--cpu", "generic", "--runs", "2", "--warmup", "0", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r benchJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Tier != "generic" {
		t.Errorf("--cpu generic: tier %q", r.Tier)
	}
	for op, m := range r.Backends {
		for b := range m {
			if b != "generic" {
				t.Errorf("--cpu generic: %s runs on %s", op, b)
			}
		}
	}
	if best := sysTiersAvailable()[0]; best != "generic" {
		code, out, errOut := cliRun(t, "bench", dir, "--cpu", best, "--runs", "2", "--warmup", "0", "--json")
		if code != exitOK {
			t.Fatalf("--cpu %s: exit %d: %s", best, code, errOut)
		}
		r = benchJSON{}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		if r.Tier != best {
			t.Errorf("--cpu %s: tier %q (backends %v)", best, r.Tier, r.Backends)
		}
	}
}

func TestOnyxBenchHelp(t *testing.T) {
	code, _, errOut := cliRun(t, "bench", "-h")
	if code != exitOK || !strings.Contains(errOut, "Usage: onyx bench") || !strings.Contains(errOut, "-format") {
		t.Errorf("bench -h: exit %d, %s", code, errOut)
	}
	for _, cmd := range []string{"bench", "profile", "cpu"} {
		code, out, _ := cliRun(t, "help")
		if code != exitOK || !strings.Contains(out, "  "+cmd+" ") {
			t.Errorf("help: exit %d, %s not listed in\n%s", code, cmd, out)
		}
		if code, _, errOut := cliRun(t, "help", cmd); code != exitOK || !strings.Contains(errOut, "Usage: onyx "+cmd) {
			t.Errorf("help %s: exit %d, %s", cmd, code, errOut)
		}
	}
}
