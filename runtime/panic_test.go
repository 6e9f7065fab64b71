package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// A kernel that panics when its last input element is negative stands for
// a bug in a kernel.
func init() {
	ops.RegisterSchema(&ops.Schema{Domain: "com.example", Name: "Fragile", Since: 1,
		MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1, Infer: ops.SameAsInput})
	ops.RegisterKernel(ops.KernelDef{Domain: "com.example", Op: "Fragile", Backend: "example", Priority: ops.PriorityUser,
		New: func(n *ops.Node) (ops.Kernel, error) {
			return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
				x := tensor.Data[float32](in[0])
				if x[len(x)-1] < 0 {
					var nilSlice []float32
					_ = nilSlice[3] // index out of range: a bug
				}
				copy(tensor.Data[float32](out[0]), x)
				return nil
			}), nil
		}})
}

// FragileParallel does the same in chunks of a parallel loop (one per
// element), so that the panic happens on a worker thread too.
func init() {
	ops.RegisterSchema(&ops.Schema{Domain: "com.example", Name: "FragileParallel", Since: 1,
		MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1, Infer: ops.SameAsInput})
	ops.RegisterKernel(ops.KernelDef{Domain: "com.example", Op: "FragileParallel", Backend: "example", Priority: ops.PriorityUser,
		New: func(n *ops.Node) (ops.Kernel, error) {
			return ops.KernelFunc(func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
				x, y := tensor.Data[float32](in[0]), tensor.Data[float32](out[0])
				ec.ParallelFor(len(x), func(i int) {
					time.Sleep(10 * time.Microsecond) // time for a worker to join
					if x[i] < 0 {
						var nilSlice []float32
						_ = nilSlice[i+3] // index out of range: a bug
					}
					y[i] = x[i]
				})
				return nil
			}), nil
		}})
}

func TestKernelPanicBecomesError(t *testing.T) {
	for _, op := range []string{"Fragile", "FragileParallel"} {
		for _, threads := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/threads=%d", op, threads), func(t *testing.T) { testKernelPanic(t, op, threads) })
		}
	}
}

func testKernelPanic(t *testing.T, op string, threads int) {
	m := affineModel(1)
	m.Graph.Nodes = []*ir.Node{{Name: "fragile_node", OpType: op, Domain: "com.example", Inputs: []string{"x"}, Outputs: []string{"y"}}}
	s, err := runtime.NewSession(m, runtime.WithThreads(threads))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	x := make([]float32, 200)
	x[199] = -1 // with 2 threads, the last chunk runs on the caller or a worker
	bad := tensor.Must(tensor.FromSlice(x, 200))
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
