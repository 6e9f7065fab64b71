package generic

import (
	"testing"

	"github.com/onyxml/onyx/tensor"
)

// Test helpers of the string, random and training kernels' tests.

// w2dT wraps data as a tensor of the given shape (a vector when none).
func w2dT[T tensor.Elem](data []T, shape ...int) *tensor.Tensor {
	if shape == nil {
		shape = []int{len(data)}
	}
	return tensor.Must(tensor.FromSlice(data, shape...))
}

// w2dCheck fails t unless got has the dtype, shape and elements of want.
func w2dCheck[T tensor.Elem](t *testing.T, what string, got *tensor.Tensor, want []T, shape ...int) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no output", what)
	}
	if got.DType() != tensor.DTypeOf[T]() || !tensor.SameShape(got.Shape(), shape) {
		t.Fatalf("%s: got %v%v, want %v%v", what, got.DType(), got.Shape(), tensor.DTypeOf[T](), shape)
	}
	g := tensor.Data[T](got)
	for i := range want {
		if g[i] != want[i] {
			t.Fatalf("%s: got %v, want %v", what, g, want)
		}
	}
}
