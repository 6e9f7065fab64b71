package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/onyxml/onyx/tensor"
)

func TestDataSplitAndNPY(t *testing.T) {
	x := tensor.Must(tensor.FromSlice([]float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 5, 2))
	y := tensor.Must(tensor.FromSlice([]int64{0, 1, 2, 3, 4}, 5))
	d := &Dataset{X: x, Y: y}
	tr, val, err := d.Split(0.4)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 3 || val.Len() != 2 || tensor.Data[float32](val.X)[0] != 6 || tensor.Data[int64](val.Y)[1] != 4 {
		t.Errorf("split: %v %v / %v %v", tr.X, tr.Y, val.X, val.Y)
	}
	tensor.Data[float32](val.X)[0] = -1
	if tensor.Data[float32](x)[6] != 6 {
		t.Error("Slice shares memory with the dataset")
	}
	for _, f := range []float64{0, 1, 0.1} {
		if _, _, err := d.Split(f); err == nil {
			t.Errorf("split %v accepted", f)
		}
	}
	if _, err := d.Slice(3, 6); err == nil {
		t.Error("slice past the end accepted")
	}
	path := filepath.Join(t.TempDir(), "x.npy")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := tensor.WriteNPY(f, x); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, err := LoadNPY(path)
	if err != nil || !tensor.SameShape(got.Shape(), []int{5, 2}) || tensor.Data[float32](got)[9] != 9 {
		t.Errorf("LoadNPY: %v %v", got, err)
	}
	os.WriteFile(path, []byte("garbage"), 0o644)
	if _, err := LoadNPY(path); err == nil {
		t.Error("garbage .npy accepted")
	}
}
