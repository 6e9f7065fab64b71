package testcase_test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/onyxml/onyx/testcase"
)

// The official ONNX backend tests, from Debian's libonnx-testdata.
const defaultTestData = "/usr/share/libonnx-testdata/data"

// passList holds the cases known to pass, one "suite/case" per line; a case
// listed there that fails is a regression. The list only grows: run
//
//	go test ./testcase -run Conformance -update-passlist
//
// after making more cases pass.
const passList = "../testdata/conformance/passing.txt"

var updatePassList = flag.Bool("update-passlist", false, "rewrite "+passList+" with the cases that pass now")

// conformanceSuites are the libonnx-testdata folders the suite runs.
var conformanceSuites = []string{"node", "pytorch-converted", "pytorch-operator", "simple"}

func TestConformance(t *testing.T) {
	root := os.Getenv("ONNX_TESTDATA")
	if root == "" {
		root = defaultTestData
	}
	if _, err := os.Stat(filepath.Join(root, "node")); err != nil {
		t.Skipf("ONNX backend test data not found at %s (install Debian's libonnx-testdata or set ONNX_TESTDATA): %v", root, err)
	}
	expected, err := readPassList(passList)
	if err != nil {
		t.Fatal(err)
	}
	passing := map[string]bool{}
	counts := map[string][2]int{}
	for _, suite := range conformanceSuites {
		dirs, _ := filepath.Glob(filepath.Join(root, suite, "*"))
		sort.Strings(dirs)
		for _, dir := range dirs {
			id := suite + "/" + filepath.Base(dir)
			res := runCase(dir, 30*time.Second)
			c := counts[suite]
			if res.Pass {
				passing[id] = true
				c[0]++
			} else {
				c[1]++
				if expected[id] {
					t.Errorf("regression: %s: %v", id, res.Err)
				}
			}
			counts[suite] = c
		}
	}
	for _, suite := range conformanceSuites {
		t.Logf("%-18s %d passed, %d failed", suite, counts[suite][0], counts[suite][1])
	}
	var newly []string
	for id := range passing {
		if !expected[id] {
			newly = append(newly, id)
		}
	}
	sort.Strings(newly)
	if len(newly) > 0 {
		t.Logf("%d cases pass that %s does not list yet: %v", len(newly), passList, newly)
	}
	if *updatePassList {
		for id := range expected {
			if !passing[id] {
				t.Fatalf("refusing to update %s: listed case %s fails", passList, id)
			}
		}
		if err := writePassList(passList, passing); err != nil {
			t.Fatal(err)
		}
	}
}

func runCase(dir string, timeout time.Duration) testcase.Result {
	c, err := testcase.Load(dir)
	if err != nil {
		return testcase.Result{Name: filepath.Base(dir), Err: err}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return testcase.Run(ctx, c, testcase.DefaultTolerance)
}

func readPassList(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	set := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			set[line] = true
		}
	}
	return set, sc.Err()
}

func writePassList(path string, set map[string]bool) error {
	ids := make([]string, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b strings.Builder
	fmt.Fprintf(&b, "# ONNX backend test cases (libonnx-testdata) that onyx passes; a failure of any is a regression.\n")
	fmt.Fprintf(&b, "# Regenerate with: go test ./testcase -run Conformance -update-passlist\n")
	for _, id := range ids {
		b.WriteString(id + "\n")
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// TestModelZoo runs every test case under $ONYX_MODEL_ZOO (CI points it at
// ../shared/models: real CNNs exported from PyTorch).
func TestModelZoo(t *testing.T) {
	dirs, err := testcase.ZooCases()
	if err != nil {
		t.Fatal(err)
	}
	if dirs == nil {
		t.Skip("ONYX_MODEL_ZOO is not set: no model zoo to run (CI sets it to ../shared/models)")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c, err := testcase.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			res := testcase.Run(context.Background(), c, testcase.Tolerance{Atol: 1e-4, Rtol: 1e-3})
			if !res.Pass {
				t.Fatal(res.Err)
			}
			t.Logf("max_abs_err=%.3g compile=%v run=%v", res.MaxAbsErr, res.Compile, res.Run)
		})
	}
}
