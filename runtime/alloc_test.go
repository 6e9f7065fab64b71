package runtime_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	goruntime "runtime"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
	"github.com/onyxml/onyx/testcase"
)

// allocsPerRun measures heap allocations of steady-state RunInto calls that
// reuse their output tensors.
// A garbage collection comes before each Run: scratch kept in a sync.Pool
// would be lost and allocated again (the Go runtime forces a collection
// every 2 minutes, whatever the program allocates).
func allocsPerRun(t *testing.T, s *runtime.Session, in map[string]*tensor.Tensor) float64 {
	t.Helper()
	out := map[string]*tensor.Tensor{}
	ctx := context.Background()
	if err := s.RunInto(ctx, in, out); err != nil {
		t.Fatal(err)
	}
	return testing.AllocsPerRun(5, func() {
		goruntime.GC()
		if err := s.RunInto(ctx, in, out); err != nil {
			t.Fatal(err)
		}
	})
}

func TestArenaPlanAndReuse(t *testing.T) {
	s, err := runtime.NewSession(fusableModel())
	if err != nil {
		t.Fatal(err)
	}
	if s.ArenaBytes() <= 0 {
		t.Errorf("ArenaBytes = %d, want the planned intermediates", s.ArenaBytes())
	}
	x := randT(rand.New(rand.NewPCG(5, 6)), 1, 3, 5, 5)
	in := map[string]*tensor.Tensor{"x": x}
	first, err := s.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	// Outputs handed out by Run are the caller's: another Run must not
	// change them, and reused arenas must give the same results.
	keep := first["y"].Clone()
	second, err := s.Run(context.Background(), map[string]*tensor.Tensor{"x": randT(rand.New(rand.NewPCG(7, 8)), 1, 3, 5, 5)})
	if err != nil {
		t.Fatal(err)
	}
	if tensor.Data[float32](first["y"])[0] != tensor.Data[float32](keep)[0] {
		t.Error("a later Run changed an earlier Run's output")
	}
	if tensor.Data[float32](second["y"])[0] == tensor.Data[float32](keep)[0] {
		t.Error("different inputs gave the same output")
	}
	again, _ := s.Run(context.Background(), in)
	for i, v := range tensor.Data[float32](again["y"]) {
		if v != tensor.Data[float32](keep)[i] {
			t.Fatalf("rerun differs at %d: %v vs %v", i, v, tensor.Data[float32](keep)[i])
		}
	}
	t.Logf("allocs per RunInto (generic kernels): %.0f", allocsPerRun(t, s, in))
}

// TestAllocsPerRunZoo checks that RunInto allocates nothing after the first
// Run on every model of $ONYX_MODEL_ZOO: intermediates live in the planned
// arena, views of them are planned too, and the kernels keep their scratch
// across Runs. Nodes on generic convolution or GEMM kernels (a CPU without
// a fast tier) may allocate, so the bound is 0 only when none runs there.
func TestAllocsPerRunZoo(t *testing.T) {
	dirs, err := testcase.ZooCases()
	if err != nil {
		t.Fatal(err)
	}
	if dirs == nil {
		t.Skip("ONYX_MODEL_ZOO is not set")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c, err := testcase.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			s, err := runtime.NewSession(c.Model)
			if err != nil {
				t.Fatal(err)
			}
			var onGeneric []string
			for _, n := range s.Nodes() {
				switch n.Node.OpType {
				case "Conv", "FusedConv", "Gemm", "MatMul", "FusedGemm":
					if !n.Folded && n.Backend == "generic" {
						onGeneric = append(onGeneric, n.Node.OpType)
					}
				}
			}
			in := map[string]*tensor.Tensor{}
			for i, v := range s.Inputs() {
				in[v.Name] = c.Sets[0].Inputs[i]
			}
			a := allocsPerRun(t, s, in)
			t.Logf("%.0f allocations per Run, arena %d bytes", a, s.ArenaBytes())
			if len(onGeneric) == 0 && a != 0 {
				t.Errorf("%.0f allocations per Run, want 0", a)
			}
		})
	}
}

// TestOutputsOfViewsAreCopied: an output made by a view (Flatten of a
// planned tensor) must not point into arena memory the next Run reuses.
func TestOutputsOfViewsAreCopied(t *testing.T) {
	m := &ir.Model{IRVersion: 8, OpsetImports: map[string]int64{"": 13}, Graph: &ir.Graph{
		Nodes: []*ir.Node{
			{OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"r"}},
			{OpType: "Flatten", Inputs: []string{"r"}, Outputs: []string{"y"}},
		},
		Inputs:  []*ir.ValueInfo{{Name: "x", Type: f32Type(2, 2)}},
		Outputs: []*ir.ValueInfo{{Name: "y"}},
	}}
	s, err := runtime.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	run := func(v float32) *tensor.Tensor {
		out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"x": tensor.Must(tensor.FromSlice([]float32{v, v, v, v}, 2, 2))})
		if err != nil {
			t.Fatal(err)
		}
		return out["y"]
	}
	first := run(1)
	run(2)
	if got := tensor.Data[float32](first)[0]; got != 1 {
		t.Errorf("the first Run's output became %v after a second Run", got)
	}
}

// TestViewsPlannedInArena: Flatten and Reshape of a planned tensor become
// views planned at its place, so a Run makes no tensor for them, and the
// results stay right when the arena is reused.
func TestViewsPlannedInArena(t *testing.T) {
	shape := tensor.Must(tensor.FromSlice([]int64{3, 4}, 2))
	m := &ir.Model{IRVersion: 8, OpsetImports: map[string]int64{"": 13}, Graph: &ir.Graph{
		Nodes: []*ir.Node{
			{OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"r"}},
			{OpType: "Flatten", Inputs: []string{"r"}, Outputs: []string{"f"}},
			{OpType: "Reshape", Inputs: []string{"f", "shape"}, Outputs: []string{"v"}},
			{OpType: "Neg", Inputs: []string{"v"}, Outputs: []string{"y"}},
		},
		Initializers: []*ir.Initializer{{Name: "shape", Tensor: shape}},
		Inputs:       []*ir.ValueInfo{{Name: "x", Type: f32Type(2, 2, 3)}},
		Outputs:      []*ir.ValueInfo{{Name: "y"}},
	}}
	s, err := runtime.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*tensor.Tensor{}
	for run := range 3 {
		x := randT(rand.New(rand.NewPCG(uint64(run), 9)), 2, 2, 3)
		if err := s.RunInto(context.Background(), map[string]*tensor.Tensor{"x": x}, out); err != nil {
			t.Fatal(err)
		}
		if got := out["y"].Shape(); !tensor.SameShape(got, []int{3, 4}) {
			t.Fatalf("shape %v", got)
		}
		for i, v := range tensor.Data[float32](x) {
			if want := -max(v, 0); tensor.Data[float32](out["y"])[i] != want {
				t.Fatalf("run %d: y[%d] = %v, want %v", run, i, tensor.Data[float32](out["y"])[i], want)
			}
		}
	}
	if a := allocsPerRun(t, s, map[string]*tensor.Tensor{"x": randT(rand.New(rand.NewPCG(1, 1)), 2, 2, 3)}); a != 0 {
		t.Errorf("%v allocations per Run", a)
	}
}
