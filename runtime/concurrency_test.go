package runtime_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// TestConcurrentRuns runs one Session from many goroutines with different
// inputs; each result must equal the sequential one (run with -race).
func TestConcurrentRuns(t *testing.T) {
	s, err := runtime.NewSession(ifModel())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run := func(i int) ([]float32, error) {
		x := tensor.Must(tensor.FromSlice([]float32{float32(i), float32(-i)}, 2))
		out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"c": tensor.Scalar(i%2 == 0), "x": x})
		if err != nil {
			return nil, err
		}
		return tensor.Data[float32](out["y"]), nil
	}
	const goroutines, runs = 8, 50
	want := make([][]float32, runs)
	for i := range want {
		if want[i], err = run(i); err != nil {
			t.Fatal(err)
		}
	}
	inParallel(t, goroutines, runs, func(g, r int) error {
		i := (r + g) % runs
		got, err := run(i)
		if err == nil && (got[0] != want[i][0] || got[1] != want[i][1]) {
			err = fmt.Errorf("run %d: %v, want %v", i, got, want[i])
		}
		return err
	})
}

// inParallel calls do(g, r) for r in [0, runs) on each of goroutines
// goroutines g, all at once; a goroutine stops at its first error, and the
// test fails with the errors.
func inParallel(t *testing.T, goroutines, runs int, do func(g, r int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for r := range runs {
				if err := do(g, r); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
