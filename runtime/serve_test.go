package runtime_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// resnet18 loads resnet18 and its test input from $ONYX_MODEL_ZOO, or
// skips the test.
func resnet18(t *testing.T) (*ir.Model, *tensor.Tensor) {
	t.Helper()
	zoo := os.Getenv("ONYX_MODEL_ZOO")
	if zoo == "" {
		t.Skip("ONYX_MODEL_ZOO is not set")
	}
	m, err := onnx.LoadFile(filepath.Join(zoo, "resnet18", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := onnx.ReadTensorFile(filepath.Join(zoo, "resnet18", "test_data_set_0", "input_0.pb"))
	if err != nil {
		t.Fatal(err)
	}
	return m, x
}

// skipIfSlow skips a resnet18 stress test where one Run takes over 2 s
// (under an emulator such as qemu, where these tests would take minutes).
func skipIfSlow(t *testing.T, one time.Duration) {
	t.Helper()
	if one > 2*time.Second {
		t.Skipf("a resnet18 Run takes %v here (an emulator?): too slow for this test", one.Round(time.Millisecond))
	}
}

// firstRun runs s (resnet18) on x and returns the feed, the output's name,
// its values and the time the Run took; it skips the test if that is slow.
func firstRun(t *testing.T, s *runtime.Session, x *tensor.Tensor) (map[string]*tensor.Tensor, string, []float32, time.Duration) {
	t.Helper()
	feed := map[string]*tensor.Tensor{s.Inputs()[0].Name: x}
	out := s.Outputs()[0].Name
	start := time.Now()
	res, err := s.Run(context.Background(), feed)
	if err != nil {
		t.Fatal(err)
	}
	one := time.Since(start)
	skipIfSlow(t, one)
	return feed, out, tensor.Data[float32](res[out]), one
}

// variants returns k different inputs: x with each element scaled by a
// per-variant factor and shifted by noise.
func variants(x *tensor.Tensor, k int) []*tensor.Tensor {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]*tensor.Tensor, k)
	for i := range out {
		v := x.Clone()
		d := tensor.Data[float32](v)
		for j := range d {
			d[j] = d[j]*(1+float32(i)/8) + float32(r.NormFloat64())*0.1
		}
		out[i] = v
	}
	return out
}

// serveThreads is 2, so that the sessions' worker pool is shared by the
// concurrent Runs too.
const serveThreads = 2

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(a[i] != a[i] && b[i] != b[i]) {
			return false
		}
	}
	return true
}

// servingRuns is how many Runs each of the 16 goroutines makes: as many as
// fit in about 5 s of CPU given the time of one Run (so the test stays
// short with generic kernels, under qemu or the race detector), at least 2
// and at most 200; ONYX_SERVE_RUNS=N forces N.
func servingRuns(t *testing.T, one time.Duration) int {
	if s := os.Getenv("ONYX_SERVE_RUNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("ONYX_SERVE_RUNS=%q: want a positive integer", s)
		}
		return n
	}
	return int(min(max(5*time.Second/(16*one), 2), 200))
}

// TestServeResNet18 runs one Session (see serveThreads) from 16 goroutines on different inputs: every result must be
// bit-identical to the sequential result for the same input.
func TestServeResNet18(t *testing.T) {
	m, x := resnet18(t)
	s, err := runtime.NewSession(m, runtime.WithThreads(serveThreads))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in, out := s.Inputs()[0].Name, s.Outputs()[0].Name
	inputs := variants(x, 8)
	want := make([][]float32, len(inputs))
	start := time.Now()
	for i, v := range inputs {
		res, err := s.Run(context.Background(), map[string]*tensor.Tensor{in: v})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = tensor.Data[float32](res[out])
		if i == 0 {
			skipIfSlow(t, time.Since(start))
		}
	}
	if sameBits(want[0], want[1]) {
		t.Fatal("different inputs give the same output")
	}
	const goroutines = 16
	runs := servingRuns(t, time.Since(start)/time.Duration(len(inputs)))
	start = time.Now()
	inParallel(t, goroutines, runs, func(g, r int) error {
		i := (g + r) % len(inputs)
		res, err := s.Run(context.Background(), map[string]*tensor.Tensor{in: inputs[i]})
		if err == nil && !sameBits(tensor.Data[float32](res[out]), want[i]) {
			err = errors.New("a concurrent Run differs from the sequential one")
		}
		return err
	})
	t.Logf("%d goroutines x %d Runs in %v", goroutines, runs, time.Since(start).Round(time.Millisecond))
}

// TestCloseWhileServing closes a Session that 8 goroutines are using: the
// Runs in flight finish with correct results, Close returns only after
// them, and every later Run returns ErrClosed.
func TestCloseWhileServing(t *testing.T) {
	m, x := resnet18(t)
	s, err := runtime.NewSession(m, runtime.WithThreads(serveThreads))
	if err != nil {
		t.Fatal(err)
	}
	feed, out, want, _ := firstRun(t, s, x)
	var (
		wg       sync.WaitGroup
		ok       atomic.Int64
		started  = make(chan struct{}, 8)
		errsSeen = make(chan error, 8)
	)
	for range 8 {
		wg.Go(func() {
			started <- struct{}{}
			for {
				res, err := s.Run(context.Background(), feed)
				switch {
				case errors.Is(err, runtime.ErrClosed):
					return
				case err != nil:
					errsSeen <- err
					return
				case !sameBits(tensor.Data[float32](res[out]), want):
					errsSeen <- errors.New("a Run during Close gave a wrong result")
					return
				}
				ok.Add(1)
			}
		})
	}
	for range 8 {
		<-started
	}
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(context.Background(), feed); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Run after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	wg.Wait()
	close(errsSeen)
	for err := range errsSeen {
		t.Error(err)
	}
	t.Logf("%d Runs completed around Close", ok.Load())
}

// TestCloseWaitsForRun blocks a Run inside a kernel and checks that Close
// does not return until the Run has.
func TestCloseWaitsForRun(t *testing.T) {
	gateIn, gateOut := make(chan struct{}), make(chan struct{})
	ops.RegisterSchema(&ops.Schema{Domain: "com.example.gate", Name: "Gate", Since: 1,
		MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1, Infer: ops.SameAsInput})
	ops.RegisterKernel(ops.KernelDef{Domain: "com.example.gate", Op: "Gate", Backend: "example", Priority: ops.PriorityUser,
		New: func(n *ops.Node) (ops.Kernel, error) {
			return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
				gateIn <- struct{}{}
				<-gateOut
				out[0].CopyFrom(in[0])
				return nil
			}), nil
		}})
	m := &ir.Model{IRVersion: 8, OpsetImports: map[string]int64{"": 13, "com.example.gate": 1}, Graph: &ir.Graph{
		Nodes:   []*ir.Node{{Name: "gate", OpType: "Gate", Domain: "com.example.gate", Inputs: []string{"x"}, Outputs: []string{"y"}}},
		Inputs:  []*ir.ValueInfo{{Name: "x", Type: f32Type(2)}},
		Outputs: []*ir.ValueInfo{{Name: "y"}},
	}}
	s, err := runtime.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.Must(tensor.FromSlice([]float32{1, 2}, 2))
	runErr := make(chan error, 1)
	go func() {
		_, err := s.Run(context.Background(), map[string]*tensor.Tensor{"x": x})
		runErr <- err
	}()
	<-gateIn // the Run is inside the kernel
	closeDone := make(chan struct{})
	go func() {
		s.Close()
		close(closeDone)
	}()
	select {
	case <-closeDone:
		t.Fatal("Close returned while a Run was in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(gateOut)
	<-closeDone
	if err := <-runErr; err != nil {
		t.Fatalf("the Run in flight during Close: %v", err)
	}
}

// TestCancelResNet18 cancels Runs of resnet18 (1 thread) at random points
// and measures how long each takes to return after the cancel: the context
// is checked between nodes, so the bound is one node. The test asserts a
// generous bound only; the maximum it logs is the measurement. After each
// cancelled Run, a full Run must still give the right output.
func TestCancelResNet18(t *testing.T) {
	m, x := resnet18(t)
	s, err := runtime.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	feed, out, want, full := firstRun(t, s, x)
	// 50 cancel points, fewer where a Run is slow (generic kernels, qemu,
	// the race detector): each costs up to two Runs.
	points := int(min(max(3*time.Second/(2*full), 5), 50))
	r := rand.New(rand.NewPCG(3, 4))
	var worst time.Duration
	cancelled := 0
	for range points {
		ctx, cancel := context.WithCancel(context.Background())
		var cancelAt time.Time
		timer := time.AfterFunc(time.Duration(r.Int64N(int64(full))), func() {
			cancelAt = time.Now()
			cancel()
		})
		_, err := s.Run(ctx, feed)
		returned := time.Now()
		if timer.Stop() {
			cancel() // the Run beat the timer
			continue
		}
		if err == nil {
			continue // the cancel came after the last node
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("a cancelled Run returned %v, want context.Canceled", err)
		}
		cancelled++
		worst = max(worst, returned.Sub(cancelAt))
		res, err := s.Run(context.Background(), feed)
		if err != nil || !sameBits(tensor.Data[float32](res[out]), want) {
			t.Fatalf("the Run after a cancelled one: %v (or a different output)", err)
		}
	}
	t.Logf("a Run takes %v; %d of %d Runs cancelled; slowest return after cancel: %v", full.Round(time.Microsecond), cancelled, points, worst)
	if worst > full+time.Second {
		t.Errorf("a cancelled Run took %v to return", worst)
	}
	// A deadline that expires mid-Run gives DeadlineExceeded.
	ctx, cancel := context.WithTimeout(context.Background(), full/3)
	defer cancel()
	if _, err := s.Run(ctx, feed); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run past its deadline: %v", err)
	}
}
