package kern_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/onyxml/onyx/backends/amd64"
	"github.com/onyxml/onyx/backends/arm64"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
	"github.com/onyxml/onyx/testcase"
)

// archTier returns the best tier of the architecture package of this
// GOARCH in use, and the CPU features it reports.
func archTier() (string, []string) {
	if t := amd64.Tier(); t != "" {
		return t, amd64.Features()
	}
	return arm64.Tier(), arm64.Features()
}

// TestZooAgainstGeneric runs every test case under $ONYX_MODEL_ZOO twice,
// with the architecture's kernels (the best tier) and with the generic
// backend only, and checks that both pass the case's own data (atol 1e-4,
// rtol 1e-3) and agree within 1e-4. With -short (under an emulator, say)
// only the tier's session runs, against the case's data.
func TestZooAgainstGeneric(t *testing.T) {
	dirs, err := testcase.ZooCases()
	if err != nil {
		t.Fatal(err)
	}
	if dirs == nil {
		t.Skip("ONYX_MODEL_ZOO is not set: set it to a folder of test cases (such as ../shared/models)")
	}
	tier, features := archTier()
	if tier == "" {
		t.Skip("no amd64 or arm64 tier in use")
	}
	t.Logf("tier %s, CPU features %v", tier, features)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c, err := testcase.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			fast, err := runtime.NewSession(c.Model, runtime.WithBackends(tier))
			if err != nil {
				t.Fatal(err)
			}
			defer fast.Close()
			slow, err := runtime.NewSession(c.Model, runtime.WithBackends("generic"))
			if err != nil {
				t.Fatal(err)
			}
			defer slow.Close()
			used := map[string]int{}
			for _, n := range fast.Nodes() {
				if n.Backend == tier {
					used[n.Node.OpType]++
				}
			}
			for _, n := range slow.Nodes() {
				if n.Backend == tier {
					t.Errorf("the generic-only session runs %s on %s", n.Node.OpType, tier)
				}
			}
			for _, ds := range c.Sets {
				feed := map[string]*tensor.Tensor{}
				for i, in := range fast.Inputs() {
					feed[in.Name] = ds.Inputs[i]
				}
				t0 := time.Now()
				got, err := fast.Run(context.Background(), feed)
				tFast := time.Since(t0)
				if err != nil {
					t.Fatal(err)
				}
				for i, o := range fast.Outputs() {
					if _, err := testcase.Compare(got[o.Name], ds.Outputs[i], testcase.Tolerance{Atol: 1e-4, Rtol: 1e-3}); err != nil {
						t.Errorf("%s: output %q against the case's data: %v", ds.Name, o.Name, err)
					}
				}
				if testing.Short() {
					t.Logf("%s: %s kernels %v; run %v", ds.Name, tier, used, tFast)
					continue
				}
				t0 = time.Now()
				ref, err := slow.Run(context.Background(), feed)
				tSlow := time.Since(t0)
				if err != nil {
					t.Fatal(err)
				}
				var worst float64
				for _, o := range fast.Outputs() {
					g, err1 := got[o.Name].Float64s()
					r, err2 := ref[o.Name].Float64s()
					if err1 != nil || err2 != nil || len(g) != len(r) {
						t.Fatalf("%s: output %q: %v %v, %d vs %d values", ds.Name, o.Name, err1, err2, len(g), len(r))
					}
					for j := range g {
						worst = max(worst, math.Abs(g[j]-r[j]))
					}
				}
				if worst > 1e-4 {
					t.Errorf("%s: %s and generic differ by %g", ds.Name, tier, worst)
				}
				t.Logf("%s: %s kernels %v; max |%s - generic| = %.3g; run %v vs %v", ds.Name, tier, used, tier, worst, tFast, tSlow)
			}
		})
	}
}

// TestOfficialNodeCases runs the ONNX backend node tests of the operators
// kern implements (Debian's libonnx-testdata, when installed) with only the
// architecture's tier and generic allowed, and checks that they pass.
func TestOfficialNodeCases(t *testing.T) {
	tier, _ := archTier()
	if tier == "" {
		t.Skip("no amd64 or arm64 tier in use")
	}
	const root = "/usr/share/libonnx-testdata/data/node"
	var dirs []string
	for _, pat := range []string{"test_gemm*", "test_matmul*", "test_conv*", "test_basic_conv*",
		"test_maxpool*", "test_averagepool*", "test_globalaveragepool*"} {
		d, _ := filepath.Glob(filepath.Join(root, pat))
		dirs = append(dirs, d...)
	}
	if len(dirs) == 0 {
		t.Skip("no ONNX node test cases at " + root)
	}
	passed, ours := 0, 0
	for _, dir := range dirs {
		c, err := testcase.Load(dir)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(dir), err)
			continue
		}
		res := testcase.Run(context.Background(), c, testcase.DefaultTolerance, runtime.WithBackends(tier))
		if !res.Pass {
			t.Errorf("%s: %v", filepath.Base(dir), res.Err)
			continue
		}
		passed++
		s, err := runtime.NewSession(c.Model, runtime.WithBackends(tier))
		if err == nil {
			for _, n := range s.Nodes() {
				if n.Backend == tier {
					ours++
					break
				}
			}
			s.Close()
		}
	}
	t.Logf("%d of %d cases passed; %d ran a %s kernel", passed, len(dirs), ours, tier)
}
