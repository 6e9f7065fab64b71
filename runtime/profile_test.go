package runtime_test

import (
	"context"
	"testing"

	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

func TestRunProfiled(t *testing.T) {
	s, err := runtime.NewSession(ifModel(), runtime.WithThreads(2))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	x := tensor.Must(tensor.FromSlice([]float32{1, 2}, 2))
	out, times, err := s.RunProfiled(context.Background(), map[string]*tensor.Tensor{"c": tensor.Scalar(true), "x": x})
	if err != nil {
		t.Fatal(err)
	}
	if got := tensor.Data[float32](out["y"]); got[0] != 11 {
		t.Errorf("y = %v", got)
	}
	if len(times) != 1 || times[0].Node.OpType != "If" || times[0].Time <= 0 {
		t.Errorf("times = %+v, want one If with a positive time", times)
	}
}
