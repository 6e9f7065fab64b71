package train

// In-memory datasets: samples along the first axis of two tensors.

import (
	"fmt"
	"os"

	"github.com/onyxml/onyx/tensor"
)

// Dataset holds N samples: X of shape (N, ...) (the model's input type,
// usually float32) and Y of shape (N) int64 class labels (cross-entropy)
// or (N, ...) float targets (MSE, BCE).
type Dataset struct {
	X, Y *tensor.Tensor
}

// Len returns the number of samples.
func (d *Dataset) Len() int {
	if d == nil || d.X == nil || d.X.Rank() == 0 {
		return 0
	}
	return d.X.Shape()[0]
}

// check validates that X and Y hold the same number of samples.
func (d *Dataset) check(what string) error {
	if d == nil || d.X == nil || d.Y == nil {
		return fmt.Errorf("train: %s dataset has no X or no Y", what)
	}
	if d.X.Rank() == 0 || d.Y.Rank() == 0 || d.X.Shape()[0] != d.Y.Shape()[0] {
		return fmt.Errorf("train: %s dataset: X is %v and Y is %v, want the same first dimension", what, d.X.Shape(), d.Y.Shape())
	}
	if d.X.Shape()[0] == 0 {
		return fmt.Errorf("train: %s dataset is empty", what)
	}
	return nil
}

// Slice returns the samples [lo, hi) as a new dataset sharing no memory
// with d.
func (d *Dataset) Slice(lo, hi int) (*Dataset, error) {
	if lo < 0 || hi > d.Len() || lo > hi {
		return nil, fmt.Errorf("train: slice [%d, %d) of %d samples", lo, hi, d.Len())
	}
	idx := make([]int, hi-lo)
	for i := range idx {
		idx[i] = lo + i
	}
	x, err := gatherRows(d.X, idx)
	if err != nil {
		return nil, err
	}
	y, err := gatherRows(d.Y, idx)
	if err != nil {
		return nil, err
	}
	return &Dataset{X: x, Y: y}, nil
}

// Split returns the first (1-frac) of the samples and the last frac (at
// least one sample each), like Keras's validation_split.
func (d *Dataset) Split(frac float64) (train, val *Dataset, err error) {
	n := d.Len()
	nv := int(float64(n) * frac)
	if frac <= 0 || frac >= 1 || nv < 1 || nv >= n {
		return nil, nil, fmt.Errorf("train: validation split %v of %d samples", frac, n)
	}
	if train, err = d.Slice(0, n-nv); err != nil {
		return nil, nil, err
	}
	val, err = d.Slice(n-nv, n)
	return train, val, err
}

// gatherRows returns the rows idx of t (along axis 0) as a new tensor.
func gatherRows(t *tensor.Tensor, idx []int) (*tensor.Tensor, error) {
	shape := append([]int{len(idx)}, t.Shape()[1:]...)
	out, err := tensor.New(t.DType(), shape...)
	if err != nil {
		return nil, err
	}
	row := 1
	for _, d := range t.Shape()[1:] {
		row *= d
	}
	for i, j := range idx {
		src, err := t.View(j*row, t.Shape()[1:]...)
		if err != nil {
			return nil, err
		}
		dst, err := out.View(i*row, t.Shape()[1:]...)
		if err != nil {
			return nil, err
		}
		if err := dst.CopyFrom(src); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// LoadNPY reads a tensor from a .npy file (tensor.ReadNPY).
func LoadNPY(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := tensor.ReadNPY(f)
	if err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	return t, nil
}
