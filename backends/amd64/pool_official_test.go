//go:build amd64 && !noasm

package amd64_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/onyxml/onyx/backends/amd64"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/testcase"
)

// TestPoolOfficialNodeCases runs the ONNX backend node tests of the pools
// and convolutions with only this package's tier and generic allowed, and
// checks that they pass and which run an amd64 kernel.
func TestPoolOfficialNodeCases(t *testing.T) {
	tier := amd64.Tier()
	if tier == "" {
		t.Skip("no amd64 tier in use")
	}
	const root = "/usr/share/libonnx-testdata/data/node"
	var dirs []string
	for _, pat := range []string{"test_maxpool*", "test_averagepool*", "test_globalaveragepool*", "test_conv_*", "test_basic_conv_*"} {
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
		if err != nil {
			continue
		}
		for _, n := range s.Nodes() {
			if n.Backend == tier {
				ours++
				t.Logf("%s: %s kernel", filepath.Base(dir), tier)
				break
			}
		}
		s.Close()
	}
	t.Logf("%d of %d cases passed; %d ran a %s kernel", passed, len(dirs), ours, tier)
}
