package train

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestPlotHistory(t *testing.T) {
	h := &History{}
	for i, l := range []float64{1.2, 0.8, 0.5} {
		h.Epochs = append(h.Epochs, EpochStats{Epoch: i + 1, Loss: l, Acc: 1 - l/2, ValLoss: l + 0.1, ValAcc: math.NaN()})
	}
	dir := t.TempDir()
	for _, name := range []string{"two.png"} {
		path := filepath.Join(dir, name)
		if err := h.SavePlot(path); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 500 {
			t.Errorf("%s: %v %v", name, err, img)
		}
	}
	// Loss only (MSE): one panel, SVG allowed.
	for i := range h.Epochs {
		h.Epochs[i].Acc = math.NaN()
	}
	if err := h.SavePlot(filepath.Join(dir, "loss.svg")); err != nil {
		t.Error(err)
	}
	if err := (&History{}).SavePlot(filepath.Join(dir, "none.png")); err == nil {
		t.Error("empty history plotted")
	}
}
