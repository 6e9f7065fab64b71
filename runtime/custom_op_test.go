package runtime_test

import (
	"context"
	"errors"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// This file plays the part of a third-party package: it registers a custom
// operator (com.example:Affine, y = a*x + b) and its kernel through the
// public plugin API only.
func init() {
	ops.RegisterSchema(&ops.Schema{
		Domain: "com.example", Name: "Affine", Since: 1,
		MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []ops.AttrDef{
			{Name: "a", Type: ir.AttrFloat, Default: float32(1)},
			{Name: "b", Type: ir.AttrFloat, Default: float32(0)},
		},
		Infer: func(n *ops.Node) ([]ops.TypeShape, error) {
			if err := n.CheckDType(0, tensor.Float32); err != nil {
				return nil, err
			}
			return ops.SameAsInput(n)
		},
	})
	ops.RegisterKernel(ops.KernelDef{
		Domain: "com.example", Op: "Affine", Backend: "example", Priority: ops.PriorityUser,
		New: func(n *ops.Node) (ops.Kernel, error) {
			a, b := n.AttrFloat("a"), n.AttrFloat("b") // read once, at compile
			return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
				x, y := tensor.Data[float32](in[0]), tensor.Data[float32](out[0])
				for i, v := range x {
					y[i] = a*v + b
				}
				return nil
			}), nil
		},
	})
}

func affineModel(opset int64) *ir.Model {
	return &ir.Model{
		IRVersion:    8,
		OpsetImports: map[string]int64{"": 13, "com.example": opset},
		Graph: &ir.Graph{
			Nodes: []*ir.Node{{OpType: "Affine", Domain: "com.example", Inputs: []string{"x"}, Outputs: []string{"y"},
				Attrs: []*ir.Attribute{{Name: "a", Type: ir.AttrFloat, Float: 2}}}},
			Inputs:  []*ir.ValueInfo{{Name: "x", Type: &ir.Type{DType: tensor.Float32, Shape: ir.Shape{ir.SymDim("n")}}}},
			Outputs: []*ir.ValueInfo{{Name: "y"}},
		},
	}
}

func TestCustomOpFromOutsidePackage(t *testing.T) {
	s, err := runtime.NewSession(affineModel(1))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	x := tensor.Must(tensor.FromSlice([]float32{1, -2, 3}, 3))
	out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	got := tensor.Data[float32](out["y"])
	want := []float32{2, -4, 6}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("y = %v, want %v", got, want)
		}
	}
	if o := s.Outputs(); len(o) != 1 || o[0].Shape.String() != "n" {
		t.Errorf("Outputs() = %v, want y with symbolic dim n", o)
	}
	if b := s.Nodes()[0].Backend; b != "example" {
		t.Errorf("backend = %q, want example", b)
	}
	// ONYX_CPU forcing onyx's tiers must not switch a user's backend off.
	t.Setenv("ONYX_CPU", "generic")
	if _, err := runtime.NewSession(affineModel(1)); err != nil {
		t.Errorf("with ONYX_CPU=generic: %v", err)
	}
}

func TestUnsupportedOpsListedTogether(t *testing.T) {
	m := affineModel(1)
	m.Graph.Nodes = append(m.Graph.Nodes,
		&ir.Node{OpType: "NoSuchOp", Inputs: []string{"y"}, Outputs: []string{"z"}},
		&ir.Node{OpType: "Other", Domain: "com.nowhere", Inputs: []string{"z"}, Outputs: []string{"w"}},
		&ir.Node{OpType: "NoSuchOp", Inputs: []string{"w"}, Outputs: []string{"v"}})
	m.OpsetImports["com.nowhere"] = 3
	m.Graph.Outputs = []*ir.ValueInfo{{Name: "v"}}
	_, err := runtime.NewSession(m)
	var ue *runtime.UnsupportedError
	if !errors.As(err, &ue) || !errors.Is(err, runtime.ErrUnsupportedOp) {
		t.Fatalf("err = %v, want an UnsupportedError", err)
	}
	if len(ue.Ops) != 2 || ue.Ops[0].Op != "NoSuchOp" || ue.Ops[1].Domain != "com.nowhere" || ue.Ops[1].Opset != 3 {
		t.Errorf("missing ops = %v", ue.Ops)
	}
}

func TestRunInputErrors(t *testing.T) {
	s, err := runtime.NewSession(affineModel(1), runtime.WithDim("n", 3))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	good := tensor.Must(tensor.FromSlice([]float32{1, 2, 3}, 3))
	for name, in := range map[string]map[string]*tensor.Tensor{
		"missing":     {},
		"nil":         {"x": nil},
		"unknown":     {"x": good, "q": good},
		"wrong dtype": {"x": tensor.Must(tensor.FromSlice([]int64{1, 2, 3}, 3))},
		"wrong shape": {"x": tensor.Must(tensor.FromSlice([]float32{1, 2}, 2))},
		"wrong rank":  {"x": tensor.Must(tensor.FromSlice([]float32{1, 2, 3}, 1, 3))},
	} {
		if _, err := s.Run(ctx, in); err == nil {
			t.Errorf("%s: Run succeeded", name)
		} else if !errors.Is(err, runtime.ErrInvalidInput) && !errors.Is(err, runtime.ErrShapeMismatch) {
			t.Errorf("%s: err = %v, want ErrInvalidInput or ErrShapeMismatch", name, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Run(cctx, map[string]*tensor.Tensor{"x": good}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Run: err = %v", err)
	}
	s.Close()
	if _, err := s.Run(ctx, map[string]*tensor.Tensor{"x": good}); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Run after Close: err = %v", err)
	}
}

func TestInvalidGraphs(t *testing.T) {
	cycle := affineModel(1)
	cycle.Graph.Nodes = []*ir.Node{
		{OpType: "Affine", Domain: "com.example", Inputs: []string{"b"}, Outputs: []string{"a"}},
		{OpType: "Affine", Domain: "com.example", Inputs: []string{"a"}, Outputs: []string{"b"}},
	}
	undefined := affineModel(1)
	undefined.Graph.Nodes[0].Inputs = []string{"nowhere"}
	badAttr := affineModel(1)
	badAttr.Graph.Nodes[0].Attrs[0] = &ir.Attribute{Name: "a", Type: ir.AttrInt, Int: 2}
	noOutput := affineModel(1)
	noOutput.Graph.Outputs = []*ir.ValueInfo{{Name: "ghost"}}
	for name, m := range map[string]*ir.Model{"cycle": cycle, "undefined": undefined, "attr type": badAttr, "no output": noOutput} {
		if _, err := runtime.NewSession(m); !errors.Is(err, runtime.ErrInvalidModel) {
			t.Errorf("%s: err = %v, want ErrInvalidModel", name, err)
		}
	}
}
