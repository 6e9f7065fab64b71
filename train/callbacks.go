package train

// Callbacks run after each epoch, the progress display, and the history as
// CSV.

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Callback is called by Fit after every epoch with the history so far (the
// last entry is the epoch just done). Returning ErrStopTraining ends the
// training after this epoch; another error aborts Fit.
type Callback interface {
	EpochEnd(net *Net, h *History) error
}

// CallbackFunc adapts a function to Callback.
type CallbackFunc func(net *Net, h *History) error

// EpochEnd calls f.
func (f CallbackFunc) EpochEnd(net *Net, h *History) error { return f(net, h) }

// EarlyStopping stops the training when Monitor ("val_loss" by default;
// also "loss", "acc", "val_acc") has not improved by more than MinDelta
// for Patience epochs. It keeps no state of its own (it reads the
// history), so it behaves the same in a resumed run.
type EarlyStopping struct {
	Monitor  string
	Patience int
	MinDelta float64
}

// EpochEnd implements Callback.
func (e EarlyStopping) EpochEnd(_ *Net, h *History) error {
	mon := e.Monitor
	if mon == "" {
		mon = "val_loss"
	}
	higher := strings.HasSuffix(mon, "acc")
	best, bestAt := math.NaN(), -1
	for i, s := range h.Epochs {
		v, err := s.metric(mon)
		if err != nil {
			return err
		}
		if math.IsNaN(v) {
			continue
		}
		if bestAt < 0 || (higher && v > best+e.MinDelta) || (!higher && v < best-e.MinDelta) {
			best, bestAt = v, i
		}
	}
	if bestAt >= 0 && len(h.Epochs)-1-bestAt >= max(e.Patience, 1) {
		return ErrStopTraining
	}
	return nil
}

func (s EpochStats) metric(name string) (float64, error) {
	switch name {
	case "loss":
		return s.Loss, nil
	case "acc":
		return s.Acc, nil
	case "val_loss":
		return s.ValLoss, nil
	case "val_acc":
		return s.ValAcc, nil
	}
	return 0, fmt.Errorf("train: unknown metric %q (loss, acc, val_loss, val_acc)", name)
}

// WriteCSV writes the history as CSV: a header line, then one line per
// epoch (epoch, lr, loss, acc, val_loss, val_acc, seconds); NaN fields are
// empty.
func (h *History) WriteCSV(w io.Writer) error {
	var b strings.Builder
	b.WriteString("epoch,lr,loss,acc,val_loss,val_acc,seconds\n")
	f := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', 8, 64)
	}
	for _, s := range h.Epochs {
		fmt.Fprintf(&b, "%d,%s,%s,%s,%s,%s,%s\n", s.Epoch, f(s.LR), f(s.Loss), f(s.Acc), f(s.ValLoss), f(s.ValAcc), f(s.Seconds))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCSVFile writes the history to the CSV file path.
func (h *History) WriteCSVFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := h.WriteCSV(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// progress prints Fit's progress: on a terminal a Keras-like bar redrawn
// at most 10 times a second, else one line per epoch.
type progress struct {
	w      io.Writer
	tty    bool
	steps  int
	epoch  string
	began  time.Time
	drawn  time.Time
	silent bool
}

func newProgress(w io.Writer, steps int) *progress {
	p := &progress{w: w, steps: steps, silent: w == io.Discard}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) start(epoch, epochs int) {
	p.epoch = fmt.Sprintf("Epoch %d/%d", epoch, epochs)
	p.began = time.Now()
	p.drawn = time.Time{}
}

func metricText(name string, v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return fmt.Sprintf(" - %s: %.4f", name, v)
}

func (p *progress) step(i int, loss, acc float64) {
	if !p.tty || p.silent {
		return
	}
	now := time.Now()
	if i != p.steps && now.Sub(p.drawn) < 100*time.Millisecond {
		return
	}
	p.drawn = now
	const width = 30
	done := width * i / max(p.steps, 1)
	bar := strings.Repeat("=", done)
	if done < width {
		bar += ">" + strings.Repeat(".", width-done-1)
	}
	el := now.Sub(p.began)
	eta := time.Duration(float64(el) / float64(i) * float64(p.steps-i)).Round(time.Second)
	fmt.Fprintf(p.w, "\r%s %d/%d [%s] ETA %v%s%s\x1b[K", p.epoch, i, p.steps, bar, eta, metricText("loss", loss), metricText("acc", acc))
}

func (p *progress) end(s EpochStats) {
	if p.silent {
		return
	}
	line := fmt.Sprintf("%s - %.1fs%s%s%s%s - lr %.3g", p.epoch, s.Seconds, metricText("loss", s.Loss), metricText("acc", s.Acc),
		metricText("val_loss", s.ValLoss), metricText("val_acc", s.ValAcc), s.LR)
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K\n", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}
