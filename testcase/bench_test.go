package testcase_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	_ "github.com/onyxml/onyx/backends/amd64" // the fast kernels, as the onyx command uses them
	_ "github.com/onyxml/onyx/backends/arm64"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
	"github.com/onyxml/onyx/testcase"
)

// BenchmarkZoo times Session.Run on every test case under $ONYX_MODEL_ZOO
// (a folder of <model>/model.onnx + test_data_set_0, such as
// ../shared/models), one sub-benchmark per model, on its first data set.
// Compilation happens once per model, outside the timing. The kernels are
// the best the CPU has, unless ONYX_CPU=generic|avx2|avx512|neon says
// otherwise; ONYX_THREADS sets the session's threads (default 1). Compare
// runs with benchstat, e.g.
//
//	ONYX_MODEL_ZOO=../shared/models go test ./testcase -run '^$' -bench Zoo -count 6 | tee new.txt
func BenchmarkZoo(b *testing.B) {
	dirs, err := testcase.ZooCases()
	if err != nil {
		b.Fatal(err)
	}
	if dirs == nil {
		b.Skip("ONYX_MODEL_ZOO is not set: set it to a folder of test cases (such as ../shared/models)")
	}
	threads := 1
	if s := os.Getenv("ONYX_THREADS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("ONYX_THREADS=%q: want a positive integer", s)
		}
		threads = n
	}
	for _, dir := range dirs {
		b.Run(filepath.Base(dir), func(b *testing.B) {
			c, err := testcase.Load(dir)
			if err != nil {
				b.Fatal(err)
			}
			s, err := runtime.NewSession(c.Model, runtime.WithThreads(threads))
			if err != nil {
				b.Skipf("not supported yet: %v", err)
			}
			defer s.Close()
			feed := map[string]*tensor.Tensor{}
			for i, in := range s.Inputs() {
				if i < len(c.Sets[0].Inputs) {
					feed[in.Name] = c.Sets[0].Inputs[i]
				}
			}
			ctx := context.Background()
			// One run outside the timing: the first run of a session pays
			// for first-touch page faults that later runs do not.
			if _, err := s.Run(ctx, feed); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Run(ctx, feed); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/op")
		})
	}
}
