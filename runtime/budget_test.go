package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// The run-time budget: tensors made outside the arena count against
// MaxTotalBytes from when they are made until the runtime drops them.

func shapeInput(name string) *ir.ValueInfo {
	return &ir.ValueInfo{Name: name, Type: &ir.Type{DType: tensor.Int64, Shape: ir.ShapeOf(1)}}
}

func shapeOf(n int64) *tensor.Tensor { return tensor.Must(tensor.FromSlice([]int64{n}, 1)) }

func scalarF32(v float32) *tensor.Tensor { return tensor.Must(tensor.FromSlice([]float32{v}, 1)) }

// wideModel makes k float32[n] tensors with ConstantOfShape (c0 filled with
// 0, c1 with 1, ...; n an input, so their shape is known only at run time)
// and sums them: all k are alive at once.
func wideModel(k int) *ir.Model {
	g := &ir.Graph{Inputs: []*ir.ValueInfo{shapeInput("n")}, Outputs: []*ir.ValueInfo{{Name: "y"}}}
	var terms []string
	for i := range k {
		c := fmt.Sprintf("c%d", i)
		g.Nodes = append(g.Nodes, &ir.Node{Name: c, OpType: "ConstantOfShape", Inputs: []string{"n"}, Outputs: []string{c},
			Attrs: []*ir.Attribute{{Name: "value", Type: ir.AttrTensor, Tensor: scalarF32(float32(i))}}})
		terms = append(terms, c)
	}
	g.Nodes = append(g.Nodes, &ir.Node{Name: "sum", OpType: "Sum", Inputs: terms, Outputs: []string{"y"}})
	return &ir.Model{IRVersion: 8, OpsetImports: map[string]int64{"": 13}, Graph: g}
}

func checkFilled(t *testing.T, y *tensor.Tensor, n int, want float32) {
	t.Helper()
	if !tensor.SameShape(y.Shape(), []int{n}) {
		t.Fatalf("shape %v, want [%d]", y.Shape(), n)
	}
	for i, v := range tensor.Data[float32](y) {
		if v != want {
			t.Fatalf("y[%d] = %v, want %v", i, v, want)
		}
	}
}

// TestBudgetManyLiveTensors: eight 4 KiB tensors alive at once do not fit
// in 16 KiB (the fifth is refused, before it is allocated), but fit in
// 64 KiB; a smaller input fits in 16 KiB, and the Session stays usable.
func TestBudgetManyLiveTensors(t *testing.T) {
	m := wideModel(8)
	small, err := runtime.NewSession(m, runtime.WithLimits(runtime.Limits{MaxTotalBytes: 16 << 10}))
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	if a := small.ArenaBytes(); a != 0 {
		t.Fatalf("arena of %d bytes: the test needs every tensor outside it", a)
	}
	_, err = small.Run(context.Background(), map[string]*tensor.Tensor{"n": shapeOf(1024)})
	if !errors.Is(err, runtime.ErrLimit) || !strings.Contains(err.Error(), `ConstantOfShape "c4": output "c4"`) {
		t.Fatalf("eight 4 KiB tensors in a 16 KiB budget: %v", err)
	}
	if !strings.Contains(err.Error(), "MaxTotalBytes (16384") {
		t.Errorf("the error does not name the limit: %v", err)
	}
	t.Log(err)
	// Same Session: 1 KiB tensors (9 KiB with the sum) fit.
	out, err := small.Run(context.Background(), map[string]*tensor.Tensor{"n": shapeOf(256)})
	if err != nil {
		t.Fatalf("the Run after a refused one: %v", err)
	}
	checkFilled(t, out["y"], 256, 28)

	large, err := runtime.NewSession(m, runtime.WithLimits(runtime.Limits{MaxTotalBytes: 64 << 10}))
	if err != nil {
		t.Fatal(err)
	}
	defer large.Close()
	out, err = large.Run(context.Background(), map[string]*tensor.Tensor{"n": shapeOf(1024)})
	if err != nil {
		t.Fatal(err)
	}
	checkFilled(t, out["y"], 1024, 28)
}

// dynChainModel is y = Neg(Neg(...Neg(ConstantOfShape(n, 1)))) with k Negs:
// each tensor is dropped once the next is made.
func dynChainModel(k int) *ir.Model {
	g := &ir.Graph{Inputs: []*ir.ValueInfo{shapeInput("n")},
		Nodes: []*ir.Node{{Name: "c", OpType: "ConstantOfShape", Inputs: []string{"n"}, Outputs: []string{"v0"},
			Attrs: []*ir.Attribute{{Name: "value", Type: ir.AttrTensor, Tensor: scalarF32(1)}}}}}
	for i := range k {
		g.Nodes = append(g.Nodes, &ir.Node{Name: fmt.Sprintf("neg%d", i), OpType: "Neg",
			Inputs: []string{fmt.Sprintf("v%d", i)}, Outputs: []string{fmt.Sprintf("v%d", i+1)}})
	}
	g.Outputs = []*ir.ValueInfo{{Name: fmt.Sprintf("v%d", k)}}
	return &ir.Model{IRVersion: 8, OpsetImports: map[string]int64{"": 13}, Graph: g}
}

// TestBudgetFreedTensorsAreReleased: a chain of 101 dynamic 4 KiB tensors
// (404 KiB in all) runs in 8 KiB, since no more than two are alive at
// once; 1 byte less refuses the first Neg.
func TestBudgetFreedTensorsAreReleased(t *testing.T) {
	const k, n = 100, 1024
	m := dynChainModel(k)
	feed := map[string]*tensor.Tensor{"n": shapeOf(n)}
	s, err := runtime.NewSession(m, runtime.WithLimits(runtime.Limits{MaxTotalBytes: 2 * 4 * n}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 3 { // and again: each Run starts from an empty budget
		out, err := s.Run(context.Background(), feed)
		if err != nil {
			t.Fatal(err)
		}
		checkFilled(t, out[fmt.Sprintf("v%d", k)], n, 1)
	}
	tight, err := runtime.NewSession(m, runtime.WithLimits(runtime.Limits{MaxTotalBytes: 2*4*n - 1}))
	if err != nil {
		t.Fatal(err)
	}
	defer tight.Close()
	if _, err := tight.Run(context.Background(), feed); !errors.Is(err, runtime.ErrLimit) || !strings.Contains(err.Error(), `Neg "neg0"`) {
		t.Fatalf("two 4 KiB tensors in 8 KiB - 1: %v", err)
	}
}

// TestBudgetPerRun: concurrent Runs of one Session each have the whole
// budget (run with -race).
func TestBudgetPerRun(t *testing.T) {
	const n = 1024
	s, err := runtime.NewSession(dynChainModel(20), runtime.WithLimits(runtime.Limits{MaxTotalBytes: 2 * 4 * n}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inParallel(t, 8, 40, func(g, r int) error {
		_, err := s.Run(context.Background(), map[string]*tensor.Tensor{"n": shapeOf(n)})
		return err
	})
}

// scanLoopModel: a Loop of m iterations (an input) whose body outputs the
// outer float32[1024] x as a scan output ys and adds one to a carried
// count: ys is m copies of x.
func scanLoopModel() *ir.Model {
	scalar := func(dt tensor.DType) *ir.Type { return &ir.Type{DType: dt, Shape: ir.Shape{}} }
	body := &ir.Graph{
		Name: "body",
		Nodes: []*ir.Node{
			{Name: "keep_going", OpType: "Identity", Inputs: []string{"cond_in"}, Outputs: []string{"cond_out"}},
			{Name: "count", OpType: "Add", Inputs: []string{"k_in", "one"}, Outputs: []string{"k_out"}},
			{Name: "item", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}},
		},
		Inputs:  []*ir.ValueInfo{{Name: "i", Type: scalar(tensor.Int64)}, {Name: "cond_in", Type: scalar(tensor.Bool)}, {Name: "k_in"}},
		Outputs: []*ir.ValueInfo{{Name: "cond_out"}, {Name: "k_out"}, {Name: "y"}},
	}
	return &ir.Model{IRVersion: 8, OpsetImports: map[string]int64{"": 13}, Graph: &ir.Graph{
		Nodes: []*ir.Node{{Name: "loop", OpType: "Loop", Inputs: []string{"m", "true", "zero"}, Outputs: []string{"k", "ys"},
			Attrs: []*ir.Attribute{{Name: "body", Type: ir.AttrGraph, Graph: body}}}},
		Inputs:  []*ir.ValueInfo{{Name: "m", Type: scalar(tensor.Int64)}, {Name: "x", Type: f32Type(1024)}},
		Outputs: []*ir.ValueInfo{{Name: "k"}, {Name: "ys"}},
		Initializers: []*ir.Initializer{
			{Name: "true", Tensor: tensor.Scalar(true)},
			{Name: "zero", Tensor: tensor.Scalar(int64(0))},
			{Name: "one", Tensor: tensor.Scalar(int64(1))},
		},
	}}
}

// TestBudgetLoopScanOutput: a Loop of 2^40 iterations whose scan output
// grows by 4 KiB per iteration stops, at the iteration that passes
// MaxTensorBytes or MaxTotalBytes, with ErrLimit; the Session then runs a
// short Loop right.
func TestBudgetLoopScanOutput(t *testing.T) {
	x := tensor.Must(tensor.New(tensor.Float32, 1024))
	for i := range tensor.Data[float32](x) {
		tensor.Data[float32](x)[i] = float32(i)
	}
	for _, c := range []struct {
		name string
		lim  runtime.Limits
		want string
	}{
		// 11 items of 4 KiB are 45056 bytes, over 40 KiB.
		{"MaxTensorBytes", runtime.Limits{MaxTensorBytes: 40 << 10},
			`Loop "loop": iteration 10: scan output "ys" (11 items of float32[1024]): over a session limit: 45056 bytes, over MaxTensorBytes (40960`},
		// Ten items fill 40 KiB (the initializers and the carried count
		// take 25 bytes); the body's eleventh does not fit beside them.
		{"MaxTotalBytes", runtime.Limits{MaxTotalBytes: 40<<10 + 64},
			`Loop "loop": iteration 10: runtime: Relu "item": output "y": over a session limit: 4096 bytes more`},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := runtime.NewSession(scanLoopModel(), runtime.WithLimits(c.lim))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			start := time.Now()
			_, err = s.Run(context.Background(), map[string]*tensor.Tensor{"m": tensor.Scalar(int64(1) << 40), "x": x})
			if !errors.Is(err, runtime.ErrLimit) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want ErrLimit and %q", err, c.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the Loop took %v to stop", d)
			}
			out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"m": tensor.Scalar(int64(3)), "x": x})
			if err != nil {
				t.Fatalf("the Run after a refused one: %v", err)
			}
			ys := out["ys"]
			if k := tensor.Data[int64](out["k"])[0]; k != 3 || !tensor.SameShape(ys.Shape(), []int{3, 1024}) {
				t.Fatalf("k = %d, ys %v; want 3, [3 1024]", k, ys.Shape())
			}
			for i, v := range tensor.Data[float32](ys) {
				if v != float32(i%1024) {
					t.Fatalf("ys[%d] = %v, want %v", i, v, i%1024)
				}
			}
		})
	}
}

// TestBudgetLoopCarriedValues: a Loop whose carried sequence grows by a
// 4 KiB tensor per iteration stops with ErrLimit once it is over the limit.
func TestBudgetLoopCarriedValues(t *testing.T) {
	scalar := func(dt tensor.DType) *ir.Type { return &ir.Type{DType: dt, Shape: ir.Shape{}} }
	body := &ir.Graph{
		Name: "body",
		Nodes: []*ir.Node{
			{OpType: "Identity", Inputs: []string{"cond_in"}, Outputs: []string{"cond_out"}},
			{Name: "append", OpType: "SequenceInsert", Inputs: []string{"seq_in", "x"}, Outputs: []string{"seq_out"}},
		},
		Inputs:  []*ir.ValueInfo{{Name: "i", Type: scalar(tensor.Int64)}, {Name: "cond_in", Type: scalar(tensor.Bool)}, {Name: "seq_in"}},
		Outputs: []*ir.ValueInfo{{Name: "cond_out"}, {Name: "seq_out"}},
	}
	m := &ir.Model{IRVersion: 8, OpsetImports: map[string]int64{"": 13}, Graph: &ir.Graph{
		Nodes: []*ir.Node{
			{Name: "empty", OpType: "SequenceEmpty", Outputs: []string{"seq0"},
				Attrs: []*ir.Attribute{{Name: "dtype", Type: ir.AttrInt, Int: int64(tensor.Float32)}}},
			{Name: "loop", OpType: "Loop", Inputs: []string{"m", "true", "seq0"}, Outputs: []string{"seq"},
				Attrs: []*ir.Attribute{{Name: "body", Type: ir.AttrGraph, Graph: body}}},
			{Name: "len", OpType: "SequenceLength", Inputs: []string{"seq"}, Outputs: []string{"n"}},
		},
		Inputs:       []*ir.ValueInfo{{Name: "m", Type: scalar(tensor.Int64)}, {Name: "x", Type: f32Type(1024)}},
		Outputs:      []*ir.ValueInfo{{Name: "n"}},
		Initializers: []*ir.Initializer{{Name: "true", Tensor: tensor.Scalar(true)}},
	}}
	s, err := runtime.NewSession(m, runtime.WithLimits(runtime.Limits{MaxTotalBytes: 1 << 20}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	x := tensor.Must(tensor.New(tensor.Float32, 1024))
	_, err = s.Run(context.Background(), map[string]*tensor.Tensor{"m": tensor.Scalar(int64(1) << 40), "x": x})
	if !errors.Is(err, runtime.ErrLimit) || !strings.Contains(err.Error(), `Loop "loop": iteration `) {
		t.Fatalf("a growing sequence: %v", err)
	}
	t.Log(err)
	out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"m": tensor.Scalar(int64(10)), "x": x})
	if err != nil || tensor.Data[int64](out["n"])[0] != 10 {
		t.Fatalf("ten iterations: %v, %v", out, err)
	}
}

// TestBudgetScanOutput: Scan's scan outputs count as they grow too.
func TestBudgetScanOutput(t *testing.T) {
	body := &ir.Graph{
		Name:    "body",
		Nodes:   []*ir.Node{{Name: "wide", OpType: "Expand", Inputs: []string{"row", "shape"}, Outputs: []string{"y"}}},
		Inputs:  []*ir.ValueInfo{{Name: "row", Type: f32Type(1)}},
		Outputs: []*ir.ValueInfo{{Name: "y"}},
	}
	m := &ir.Model{IRVersion: 8, OpsetImports: map[string]int64{"": 13}, Graph: &ir.Graph{
		Nodes: []*ir.Node{{Name: "scan", OpType: "Scan", Inputs: []string{"xs"}, Outputs: []string{"ys"},
			Attrs: []*ir.Attribute{
				{Name: "body", Type: ir.AttrGraph, Graph: body},
				{Name: "num_scan_inputs", Type: ir.AttrInt, Int: 1},
			}}},
		Inputs:  []*ir.ValueInfo{{Name: "xs", Type: &ir.Type{DType: tensor.Float32, Shape: ir.Shape{ir.SymDim("steps"), ir.DimOf(1)}}}, shapeInput("shape")},
		Outputs: []*ir.ValueInfo{{Name: "ys"}},
	}}
	s, err := runtime.NewSession(m, runtime.WithLimits(runtime.Limits{MaxTensorBytes: 40 << 10}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	feed := map[string]*tensor.Tensor{"xs": tensor.Must(tensor.New(tensor.Float32, 100, 1)), "shape": shapeOf(1024)}
	_, err = s.Run(context.Background(), feed)
	if want := `Scan "scan": iteration 10: scan output "ys" (11 items of float32[1024])`; !errors.Is(err, runtime.ErrLimit) || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want ErrLimit and %q", err, want)
	}
	feed["xs"] = tensor.Must(tensor.New(tensor.Float32, 10, 1))
	out, err := s.Run(context.Background(), feed)
	if err != nil || !tensor.SameShape(out["ys"].Shape(), []int{10, 1024}) {
		t.Fatalf("ten steps: %v, %v", out, err)
	}
}

// TestBudgetStringContents: strings count with their contents, so a Loop
// that doubles a carried string stops at the limit instead of growing it
// until memory runs out.
func TestBudgetStringContents(t *testing.T) {
	scalar := func(dt tensor.DType) *ir.Type { return &ir.Type{DType: dt, Shape: ir.Shape{}} }
	body := &ir.Graph{
		Name: "body",
		Nodes: []*ir.Node{
			{OpType: "Identity", Inputs: []string{"cond_in"}, Outputs: []string{"cond_out"}},
			{Name: "double", OpType: "StringConcat", Inputs: []string{"s_in", "s_in"}, Outputs: []string{"s_out"}},
		},
		Inputs:  []*ir.ValueInfo{{Name: "i", Type: scalar(tensor.Int64)}, {Name: "cond_in", Type: scalar(tensor.Bool)}, {Name: "s_in"}},
		Outputs: []*ir.ValueInfo{{Name: "cond_out"}, {Name: "s_out"}},
	}
	m := &ir.Model{IRVersion: 8, OpsetImports: map[string]int64{"": 20}, Graph: &ir.Graph{
		Nodes: []*ir.Node{{Name: "loop", OpType: "Loop", Inputs: []string{"m", "true", "s"}, Outputs: []string{"y"},
			Attrs: []*ir.Attribute{{Name: "body", Type: ir.AttrGraph, Graph: body}}}},
		Inputs:       []*ir.ValueInfo{{Name: "m", Type: scalar(tensor.Int64)}, {Name: "s", Type: scalar(tensor.String)}},
		Outputs:      []*ir.ValueInfo{{Name: "y"}},
		Initializers: []*ir.Initializer{{Name: "true", Tensor: tensor.Scalar(true)}},
	}}
	s, err := runtime.NewSession(m, runtime.WithLimits(runtime.Limits{MaxTotalBytes: 1 << 20}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	feed := map[string]*tensor.Tensor{"m": tensor.Scalar(int64(100)), "s": tensor.Scalar("ab")}
	// After 18 doublings the string is 512 KiB: the carried one and its
	// double do not fit in 1 MiB.
	_, err = s.Run(context.Background(), feed)
	if want := `Loop "loop": iteration 18: runtime: StringConcat "double": output "s_out": over a session limit`; !errors.Is(err, runtime.ErrLimit) || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want ErrLimit and %q", err, want)
	}
	feed["m"] = tensor.Scalar(int64(3))
	out, err := s.Run(context.Background(), feed)
	if err != nil || tensor.Data[string](out["y"])[0] != strings.Repeat("ab", 8) {
		t.Fatalf("three doublings: %v, %v", out, err)
	}
}
