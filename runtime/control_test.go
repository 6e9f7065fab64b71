package runtime_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

func f32Type(dims ...int) *ir.Type {
	return &ir.Type{DType: tensor.Float32, Shape: ir.ShapeOf(dims...)}
}

// ifModel: y = If(c) { x + w } else { x * w }, where both branches read the
// outer values x and w (w an initializer).
func ifModel() *ir.Model {
	w := tensor.Must(tensor.FromSlice([]float32{10, 20}, 2))
	branch := func(op string) *ir.Graph {
		return &ir.Graph{
			Name:    op,
			Nodes:   []*ir.Node{{OpType: op, Inputs: []string{"x", "w"}, Outputs: []string{op + "_out"}}},
			Outputs: []*ir.ValueInfo{{Name: op + "_out", Type: f32Type(2)}},
		}
	}
	return &ir.Model{
		IRVersion:    8,
		OpsetImports: map[string]int64{"": 13},
		Graph: &ir.Graph{
			Nodes: []*ir.Node{{OpType: "If", Inputs: []string{"c"}, Outputs: []string{"y"}, Attrs: []*ir.Attribute{
				{Name: "then_branch", Type: ir.AttrGraph, Graph: branch("Add")},
				{Name: "else_branch", Type: ir.AttrGraph, Graph: branch("Mul")},
			}}},
			Inputs: []*ir.ValueInfo{
				{Name: "c", Type: &ir.Type{DType: tensor.Bool, Shape: ir.Shape{}}},
				{Name: "x", Type: f32Type(2)},
			},
			Outputs:      []*ir.ValueInfo{{Name: "y"}},
			Initializers: []*ir.Initializer{{Name: "w", Tensor: w}},
		},
	}
}

func TestIfReadsOuterScope(t *testing.T) {
	s, err := runtime.NewSession(ifModel())
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.Must(tensor.FromSlice([]float32{1, 2}, 2))
	for _, c := range []struct {
		cond bool
		want []float32
	}{{true, []float32{11, 22}}, {false, []float32{10, 40}}} {
		out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"c": tensor.Scalar(c.cond), "x": x})
		if err != nil {
			t.Fatal(err)
		}
		got := tensor.Data[float32](out["y"])
		if got[0] != c.want[0] || got[1] != c.want[1] {
			t.Errorf("cond %v: y = %v, want %v", c.cond, got, c.want)
		}
	}
}

// loopModel: a Loop with no trip count whose body keeps cond true and adds
// one to a carried value: it only ends when its context does.
func loopModel() *ir.Model {
	body := &ir.Graph{
		Name: "body",
		Nodes: []*ir.Node{
			{OpType: "Identity", Inputs: []string{"cond_in"}, Outputs: []string{"cond_out"}},
			{OpType: "Add", Inputs: []string{"v_in", "one"}, Outputs: []string{"v_out"}},
		},
		Inputs: []*ir.ValueInfo{
			{Name: "i", Type: &ir.Type{DType: tensor.Int64, Shape: ir.Shape{}}},
			{Name: "cond_in", Type: &ir.Type{DType: tensor.Bool, Shape: ir.Shape{}}},
			{Name: "v_in"}, // untyped: the runtime takes the type from the Loop's input
		},
		Outputs: []*ir.ValueInfo{{Name: "cond_out"}, {Name: "v_out"}},
	}
	return &ir.Model{
		IRVersion:    8,
		OpsetImports: map[string]int64{"": 13},
		Graph: &ir.Graph{
			Nodes: []*ir.Node{{OpType: "Loop", Inputs: []string{"", "c", "v"}, Outputs: []string{"v_final"},
				Attrs: []*ir.Attribute{{Name: "body", Type: ir.AttrGraph, Graph: body}}}},
			Inputs: []*ir.ValueInfo{
				{Name: "c", Type: &ir.Type{DType: tensor.Bool, Shape: ir.Shape{}}},
				{Name: "v", Type: f32Type(1)},
			},
			Outputs:      []*ir.ValueInfo{{Name: "v_final"}},
			Initializers: []*ir.Initializer{{Name: "one", Tensor: tensor.Must(tensor.FromSlice([]float32{1}, 1))}},
		},
	}
}

func TestLoopEndsWithItsContext(t *testing.T) {
	s, err := runtime.NewSession(loopModel())
	if err != nil {
		t.Fatal(err)
	}
	v := tensor.Must(tensor.FromSlice([]float32{0}, 1))
	// With cond false the body never runs.
	out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"c": tensor.Scalar(false), "v": v})
	if err != nil || tensor.Data[float32](out["v_final"])[0] != 0 {
		t.Fatalf("cond false: %v, %v", out, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = s.Run(ctx, map[string]*tensor.Tensor{"c": tensor.Scalar(true), "v": v})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("endless loop: err = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the loop took %v to notice its deadline", d)
	}
}

func TestSubgraphReadingUndefinedValue(t *testing.T) {
	m := ifModel()
	m.Graph.Nodes[0].Attrs[0].Graph.Nodes[0].Inputs[1] = "nowhere"
	if _, err := runtime.NewSession(m); !errors.Is(err, runtime.ErrInvalidModel) {
		t.Fatalf("err = %v, want ErrInvalidModel", err)
	}
}
