package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/testcase"
)

// testGrace is how long `onyx test` waits, after a case's timeout, for the
// run to notice its cancelled context before reporting the case as timed out
// and moving on.
const testGrace = 2 * time.Second

// testCaseJSON is one case in `onyx test --json` output.
type testCaseJSON struct {
	Name      string   `json:"name"`
	Dir       string   `json:"dir"`
	Pass      bool     `json:"pass"`
	MaxAbsErr *float64 `json:"max_abs_err"` // null when not finite
	Error     string   `json:"error"`
	CompileMS float64  `json:"compile_ms"`
	RunMS     float64  `json:"run_ms"`
}

// testReportJSON is the whole `onyx test --json` output.
type testReportJSON struct {
	Cases   []testCaseJSON `json:"cases"`
	Passed  int            `json:"passed"`
	Failed  int            `json:"failed"`
	Kernels string         `json:"kernels"` // the kernel tier the sessions preferred
}

func cmdTest(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("test", "CASE_DIR...", stderr)
	atol := fs.Float64("atol", testcase.DefaultTolerance.Atol, "absolute tolerance")
	rtol := fs.Float64("rtol", testcase.DefaultTolerance.Rtol, "relative tolerance: |got-want| <= atol + rtol*|want|")
	asJSON := fs.Bool("json", false, "print one JSON object instead of lines")
	threads := fs.Int("threads", 1, "threads per session")
	timeout := fs.Duration("timeout", 60*time.Second, "time limit per case (0: none)")
	cpu := fs.String("cpu", "", "kernel tier: generic, avx2, avx512 or neon (default: ONYX_CPU, else the best the CPU has)")
	dirs, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(dirs) == 0 {
		return usageError(fs, stderr, "no CASE_DIR given")
	}
	if *threads < 1 {
		return usageError(fs, stderr, fmt.Sprintf("--threads %d: need at least 1", *threads))
	}
	if *atol < 0 || *rtol < 0 || math.IsNaN(*atol) || math.IsNaN(*rtol) {
		return usageError(fs, stderr, "--atol and --rtol must be non-negative numbers")
	}
	if *timeout < 0 {
		return usageError(fs, stderr, "--timeout must not be negative")
	}
	if *cpu != "" && !slices.Contains(benchTierNames, *cpu) {
		return usageError(fs, stderr, fmt.Sprintf("--cpu %q: want one of %s", *cpu, strings.Join(benchTierNames, ", ")))
	}
	tol := testcase.Tolerance{Atol: *atol, Rtol: *rtol}
	opts := []runtime.Option{runtime.WithThreads(*threads)}
	var report testReportJSON
	report.Kernels = sysTierInUse()
	if *cpu != "" {
		o, err := tierOption(*cpu)
		if err != nil {
			return fail(stderr, "test", err)
		}
		opts = append(opts, o)
		report.Kernels = *cpu
	}
	report.Cases = []testCaseJSON{}
	for _, dir := range expandCaseDirs(dirs) {
		res := runTestCase(dir, tol, *timeout, opts)
		jc := testCaseJSON{
			Name: res.Name, Dir: res.Dir, Pass: res.Pass,
			CompileMS: ms(res.Compile), RunMS: ms(res.Run),
		}
		if !math.IsNaN(res.MaxAbsErr) && !math.IsInf(res.MaxAbsErr, 0) {
			e := res.MaxAbsErr
			jc.MaxAbsErr = &e
		}
		if res.Err != nil {
			jc.Error = oneLine(res.Err.Error())
		}
		if res.Pass {
			report.Passed++
		} else {
			report.Failed++
		}
		report.Cases = append(report.Cases, jc)
		if !*asJSON {
			if res.Pass {
				if res.ShapesOnly {
					fmt.Fprintf(stdout, "ok %s (random outputs: shapes and dtypes checked)\n", res.Name)
				} else {
					fmt.Fprintf(stdout, "ok %s max_abs_err=%.3g\n", res.Name, res.MaxAbsErr)
				}
			} else {
				fmt.Fprintf(stdout, "FAIL %s: %s\n", res.Name, jc.Error)
			}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return fail(stderr, "test", err)
		}
	} else {
		fmt.Fprintf(stdout, "%d passed, %d failed (kernels: %s)\n", report.Passed, report.Failed, report.Kernels)
	}
	if report.Failed > 0 {
		return exitFail
	}
	return exitOK
}

// expandCaseDirs replaces each argument that has no model.onnx but has
// subfolders that do by those subfolders (sorted). Other arguments are kept
// as they are, so that loading them reports why they are not a case.
func expandCaseDirs(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		if isFile(filepath.Join(d, "model.onnx")) {
			out = append(out, d)
			continue
		}
		entries, err := os.ReadDir(d)
		if err != nil {
			out = append(out, d)
			continue
		}
		var sub []string
		for _, e := range entries {
			p := filepath.Join(d, e.Name())
			if e.IsDir() && isFile(filepath.Join(p, "model.onnx")) {
				sub = append(sub, p)
			}
		}
		if len(sub) == 0 {
			out = append(out, d)
			continue
		}
		sort.Strings(sub)
		out = append(out, sub...)
	}
	return out
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// runTestCase loads and runs the case in dir within timeout. A run that does
// not return within timeout plus testGrace is reported as timed out (it may
// still be finishing in the background).
func runTestCase(dir string, tol testcase.Tolerance, timeout time.Duration, opts []runtime.Option) testcase.Result {
	name := filepath.Base(filepath.Clean(dir))
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()
	done := make(chan testcase.Result, 1)
	go func() {
		c, err := testcase.Load(dir)
		if err != nil {
			done <- testcase.Result{Name: name, Dir: dir, Err: err}
			return
		}
		res := testcase.Run(ctx, c, tol, opts...)
		if res.Err != nil && ctx.Err() != nil {
			res.Err = fmt.Errorf("timed out after %v: %w", timeout, res.Err)
		}
		done <- res
	}()
	select {
	case res := <-done:
		return res
	case <-ctx.Done():
	}
	select {
	case res := <-done:
		return res
	case <-time.After(testGrace):
		return testcase.Result{Name: name, Dir: dir, Err: fmt.Errorf("timed out after %v", timeout)}
	}
}

// ms converts d to milliseconds.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
