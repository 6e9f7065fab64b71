package train

// Loss and accuracy curves of a History as a PNG (or SVG) with gonum/plot.

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// SavePlot draws the history's loss (left panel) and accuracy (right
// panel, when there is one), training and validation, against the epoch,
// and saves the figure to path; the format follows the extension (.png,
// .svg, .pdf...).
func (h *History) SavePlot(path string) error {
	if len(h.Epochs) == 0 {
		return fmt.Errorf("train: no epochs to plot")
	}
	series := func(f func(EpochStats) float64) plotter.XYs {
		var xy plotter.XYs
		for _, e := range h.Epochs {
			if v := f(e); !math.IsNaN(v) && !math.IsInf(v, 0) {
				xy = append(xy, plotter.XY{X: float64(e.Epoch), Y: v})
			}
		}
		return xy
	}
	panel := func(title, ylabel string, train, val plotter.XYs) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "epoch"
		p.Y.Label.Text = ylabel
		p.Add(plotter.NewGrid())
		for i, s := range []struct {
			name string
			xy   plotter.XYs
			c    color.Color
		}{{"train", train, color.RGBA{R: 31, G: 119, B: 180, A: 255}}, {"validation", val, color.RGBA{R: 255, G: 127, B: 14, A: 255}}} {
			if len(s.xy) == 0 {
				continue
			}
			l, pts, err := plotter.NewLinePoints(s.xy)
			if err != nil {
				return nil, err
			}
			l.Color, pts.Color = s.c, s.c
			if i == 1 {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			}
			p.Add(l, pts)
			p.Legend.Add(s.name, l, pts)
		}
		p.Legend.Top = ylabel == "loss"
		return p, nil
	}
	lp, err := panel("loss", "loss", series(func(e EpochStats) float64 { return e.Loss }), series(func(e EpochStats) float64 { return e.ValLoss }))
	if err != nil {
		return err
	}
	plots := []*plot.Plot{lp}
	accT, accV := series(func(e EpochStats) float64 { return e.Acc }), series(func(e EpochStats) float64 { return e.ValAcc })
	if len(accT)+len(accV) > 0 {
		ap, err := panel("accuracy", "accuracy", accT, accV)
		if err != nil {
			return err
		}
		plots = append(plots, ap)
	}
	w := vg.Length(len(plots)) * 5 * vg.Inch
	ht := 4 * vg.Inch
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	if ext == "" {
		ext = "png"
	}
	if len(plots) == 1 {
		return plots[0].Save(w, ht, path)
	}
	img := vgimg.New(w, ht)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 4, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	if ext != "png" {
		return fmt.Errorf("train: a two-panel plot is written as PNG, not %q", ext)
	}
	return savePNG(img, path)
}

// savePNG writes a vgimg canvas to path as PNG.
func savePNG(img *vgimg.Canvas, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
