package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// A kernel that panics on negative input stands for a bug in a kernel.
func init() {
	ops.RegisterSchema(&ops.Schema{Domain: "com.example", Name: "Fragile", Since: 1,
		MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1, Infer: ops.SameAsInput})
	ops.RegisterKernel(ops.KernelDef{Domain: "com.example", Op: "Fragile", Backend: "example", Priority: ops.PriorityUser,
		New: func(n *ops.Node) (ops.Kernel, error) {
			return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
				x := tensor.Data[float32](in[0])
				if x[0] < 0 {
					var nilSlice []float32
					_ = nilSlice[3] // index out of range: a bug
				}
				copy(tensor.Data[float32](out[0]), x)
				return nil
			}), nil
		}})
}

func TestKernelPanicBecomesError(t *testing.T) {
	m := affineModel(1)
	m.Graph.Nodes = []*ir.Node{{Name: "fragile_node", OpType: "Fragile", Domain: "com.example", Inputs: []string{"x"}, Outputs: []string{"y"}}}
	s, err := runtime.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	bad := tensor.Must(tensor.FromSlice([]float32{-1, 2, 3}, 3))
	_, err = s.Run(context.Background(), map[string]*tensor.Tensor{"x": bad})
	if !errors.Is(err, runtime.ErrKernel) || !strings.Contains(err.Error(), "fragile_node") {
		t.Fatalf("err = %v, want ErrKernel naming the node", err)
	}
	good := tensor.Must(tensor.FromSlice([]float32{1, 2, 3}, 3))
	out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"x": good})
	if err != nil || tensor.Data[float32](out["y"])[2] != 3 {
		t.Fatalf("the session is not usable after a kernel panic: %v, %v", out, err)
	}
}
