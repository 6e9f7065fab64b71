package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

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
