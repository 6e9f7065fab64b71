package train

// Fit: the training loop. The training graph (forward in training mode,
// loss, Backward) is built and compiled once per Fit, with the batch
// dimension fixed to the batch size; a second session over the inference
// graph (symbolic batch) evaluates the validation set.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// LossKind selects Fit's loss.
type LossKind int

// Losses for Fit.
const (
	// CrossEntropy: softmax cross-entropy of (N, C) logits against int64
	// class labels (N); accuracy is the argmax's.
	CrossEntropy LossKind = iota
	// MSE: mean squared error against float targets of the output's shape.
	MSE
	// BCEWithLogits: binary cross-entropy of logits against targets in
	// [0, 1]; accuracy counts logits on the target's side of 0.
	BCEWithLogits
)

// FitOptions configures Fit. The zero value trains one epoch with batches
// of 32, Adam (lr 1e-3) and cross-entropy.
type FitOptions struct {
	Epochs    int
	BatchSize int
	// Seed drives the shuffling and the Dropout masks.
	Seed uint64
	// NoShuffle keeps the samples in order.
	NoShuffle bool
	Optimizer Optimizer
	// Schedule, if set, gives the learning rate of each epoch from the
	// optimizer's initial rate.
	Schedule Schedule
	Loss     LossKind
	// Validation: Val, or else the last ValSplit fraction of the data.
	Val      *Dataset
	ValSplit float64
	// Callbacks run after every epoch.
	Callbacks []Callback
	// Progress receives a Keras-like progress line updated per batch when
	// it is a terminal, else one line per epoch. Nil means os.Stderr; use
	// io.Discard for silence.
	Progress io.Writer
	// Threads for the sessions (default 1).
	Threads int
	// CheckpointDir, if set, receives a checkpoint after every epoch;
	// Resume continues from the one there, if any.
	CheckpointDir string
	Resume        bool
}

// EpochStats is one epoch's record. Accuracies are NaN where they do not
// apply; validation values are NaN without a validation set.
type EpochStats struct {
	Epoch           int // 1-based
	LR              float64
	Loss, Acc       float64
	ValLoss, ValAcc float64
	Seconds         float64
}

// History is the record of a Fit.
type History struct {
	Epochs []EpochStats
	// Stopped reports that a callback ended the training early.
	Stopped bool
}

// ErrStopTraining may be returned by a callback to end the training
// without an error.
var ErrStopTraining = errors.New("stop training")

// dropMask is a Dropout of the forward graph replaced by a multiplication
// with a mask input that Fit draws, so that runs are reproducible.
type dropMask struct {
	input string
	shape []int
	ratio float64
}

// trainGraph is a compiled training step.
type trainGraph struct {
	sess   *runtime.Session
	res    *Result
	stats  []StatUpdate
	masks  []dropMask
	loss   string
	target string
	output string
	input  string
	batch  int
}

// buildTrainGraph returns the training step of net for batches of b.
func buildTrainGraph(net *Net, b int, kind LossKind, threads int) (*trainGraph, error) {
	c := cloneModel(net.Model)
	g := c.Graph
	for i, vi := range g.Inputs {
		if vi.Name == net.Input && vi.Type != nil && len(vi.Type.Shape) > 0 {
			v := *vi
			t := *vi.Type
			t.Shape = append(ir.Shape{ir.DimOf(int64(b))}, t.Shape[1:]...)
			v.Type = &t
			g.Inputs[i] = &v
		}
	}
	tg := &trainGraph{output: net.Output, input: net.Input, batch: b}
	if err := replaceDropouts(c, tg); err != nil {
		return nil, err
	}
	tm, stats, err := TrainingMode(c)
	if err != nil {
		return nil, err
	}
	tg.stats = stats
	tg.target = "fit_target"
	switch kind {
	case CrossEntropy:
		tg.loss, err = SoftmaxCrossEntropyLoss(tm, net.Output, tg.target)
	case MSE:
		tg.loss, err = MSELoss(tm, net.Output, tg.target)
	case BCEWithLogits:
		tg.loss, err = BCEWithLogitsLoss(tm, net.Output, tg.target)
	default:
		err = fmt.Errorf("train: unknown loss %d", kind)
	}
	if err != nil {
		return nil, err
	}
	if tg.res, err = Backward(tm, tg.loss, net.Params, nil); err != nil {
		return nil, err
	}
	if tg.sess, err = runtime.NewSession(tg.res.Model, runtime.WithThreads(max(threads, 1))); err != nil {
		return nil, fmt.Errorf("train: compiling the training graph: %w", err)
	}
	return tg, nil
}

// replaceDropouts turns every Dropout of m (in place: m is a clone) into
// Mul by a mask graph input of the Dropout's shape, which must be known.
func replaceDropouts(m *ir.Model, tg *trainGraph) error {
	g := m.Graph
	order, err := topoOrder(g)
	if err != nil {
		return err
	}
	ts := inferTypes(m, g, order)
	names := newNamer(g)
	for i, n := range g.Nodes {
		if n.OpType != "Dropout" || (n.Domain != "" && n.Domain != "ai.onnx") {
			continue
		}
		if len(n.Outputs) > 1 && n.Outputs[1] != "" {
			continue // the mask output is used: leave it to TrainingMode
		}
		ratio := 0.5
		if m.Opset("") >= 12 {
			if len(n.Inputs) > 2 && n.Inputs[2] != "" {
				continue // an explicit training_mode input: the caller's
			}
			if len(n.Inputs) > 1 && n.Inputs[1] != "" {
				r := g.Initializer(n.Inputs[1])
				if r == nil {
					continue
				}
				v, err := r.Float64s()
				if err != nil || len(v) != 1 {
					return fmt.Errorf("train: %w: %v: ratio is not a scalar", ErrInvalidGraph, n)
				}
				ratio = v[0]
			}
		} else if a := n.Attr("ratio"); a != nil {
			ratio = float64(a.Float)
		}
		t := ts[n.Inputs[0]]
		shape, ok := t.Shape.Ints()
		if !ok || t.Shape == nil || t.DType != tensor.Float32 || ratio < 0 || ratio >= 1 {
			continue
		}
		mask := names.fresh(n.Outputs[0] + "_mask")
		g.Inputs = append(g.Inputs, &ir.ValueInfo{Name: mask, Type: tensorType(tensor.Float32, t.Shape)})
		g.Nodes[i] = &ir.Node{Name: n.Name, OpType: "Mul", Inputs: []string{n.Inputs[0], mask}, Outputs: []string{n.Outputs[0]}}
		tg.masks = append(tg.masks, dropMask{input: mask, shape: shape, ratio: ratio})
	}
	return nil
}

// evalGraph runs the inference graph with the parameters and running
// statistics as inputs.
type evalGraph struct {
	sess  *runtime.Session
	feeds []string // params and statistics, fed from the net's initializers
}

func buildEvalGraph(net *Net, threads int) (*evalGraph, error) {
	c := cloneModel(net.Model)
	eg := &evalGraph{}
	for _, n := range c.Graph.Nodes {
		if n.OpType == "BatchNormalization" && len(n.Inputs) >= 5 {
			for _, s := range n.Inputs[3:5] {
				if promoteToInput(c.Graph, s) != nil {
					eg.feeds = append(eg.feeds, s)
				}
			}
		}
	}
	for _, p := range net.Params {
		if promoteToInput(c.Graph, p) != nil {
			eg.feeds = append(eg.feeds, p)
		}
	}
	var err error
	if eg.sess, err = runtime.NewSession(c, runtime.WithThreads(max(threads, 1))); err != nil {
		return nil, fmt.Errorf("train: compiling the evaluation graph: %w", err)
	}
	return eg, nil
}

// fitState is what a checkpoint restores.
type fitState struct {
	epoch   int // epochs done
	rng     *rand.PCG
	history History
}

// Fit trains net on data (net's initializers are updated in place, the
// BatchNormalization running statistics included) and returns the
// history.
//
// Samples are shuffled every epoch (unless NoShuffle) with a PCG generator
// seeded by Seed, which also draws the Dropout masks (Dropouts become a
// multiplication by a mask input, so a run is reproducible). The batch
// dimension of the training graph is fixed to the batch size: the last
// partial batch of an epoch is dropped (as PyTorch's drop_last), and the
// batch size is reduced to the dataset's size when it is larger. The
// validation set is evaluated whole, in batches, with the inference graph.
//
// With CheckpointDir set, the weights, running statistics, optimizer
// state, epoch, RNG state and history are saved after every epoch; with
// Resume, a Fit continues from that checkpoint and ends at the same
// weights as an uninterrupted run with the same seed and options.
func Fit(ctx context.Context, net *Net, data *Dataset, opt FitOptions) (*History, error) {
	if net == nil || net.Model == nil || net.Model.Graph == nil || len(net.Params) == 0 {
		return nil, fmt.Errorf("train: %w: Fit needs a Net with parameters", ErrInvalidGraph)
	}
	if err := data.check("training"); err != nil {
		return nil, err
	}
	if opt.Epochs <= 0 {
		opt.Epochs = 1
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 32
	}
	if opt.Optimizer == nil {
		opt.Optimizer = NewAdam(1e-3)
	}
	if opt.Progress == nil {
		opt.Progress = os.Stderr
	}
	val := opt.Val
	if val == nil && opt.ValSplit > 0 {
		var err error
		if data, val, err = data.Split(opt.ValSplit); err != nil {
			return nil, err
		}
	}
	if val != nil {
		if err := val.check("validation"); err != nil {
			return nil, err
		}
	}
	n := data.Len()
	b := min(opt.BatchSize, n)
	steps := n / b
	tg, err := buildTrainGraph(net, b, opt.Loss, opt.Threads)
	if err != nil {
		return nil, err
	}
	defer tg.sess.Close()
	var eg *evalGraph
	if val != nil {
		if eg, err = buildEvalGraph(net, opt.Threads); err != nil {
			return nil, err
		}
		defer eg.sess.Close()
	}

	g := net.Model.Graph
	params := make([]Param, len(net.Params))
	for i, p := range net.Params {
		params[i] = Param{Name: p, Value: tg.res.Params[p]}
		if params[i].Value == nil {
			return nil, fmt.Errorf("train: %w: parameter %q is not an initializer", ErrInvalidGraph, p)
		}
	}
	stats := map[string]*tensor.Tensor{}
	for _, s := range tg.stats {
		stats[s.Input] = s.Init
	}
	baseLR := opt.Optimizer.LR()
	st := &fitState{rng: rand.NewPCG(opt.Seed, opt.Seed^0xda3e39cb94b95bdb)}
	if opt.CheckpointDir != "" && opt.Resume {
		if err := loadCheckpoint(opt.CheckpointDir, params, tg.stats, opt.Optimizer, st); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	rng := rand.New(st.rng)
	prog := newProgress(opt.Progress, steps)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for epoch := st.epoch; epoch < opt.Epochs; epoch++ {
		start := time.Now()
		lr := baseLR
		if opt.Schedule != nil {
			lr = opt.Schedule.LR(baseLR, epoch)
		}
		opt.Optimizer.SetLR(lr)
		for i := range perm {
			perm[i] = i
		}
		if !opt.NoShuffle {
			rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		}
		prog.start(epoch+1, opt.Epochs)
		var lossSum float64
		var correct, counted int
		for s := range steps {
			if err := ctx.Err(); err != nil {
				return &st.history, err
			}
			idx := perm[s*b : (s+1)*b]
			feed := map[string]*tensor.Tensor{}
			if feed[tg.input], err = gatherRows(data.X, idx); err != nil {
				return nil, err
			}
			if feed[tg.target], err = gatherRows(data.Y, idx); err != nil {
				return nil, err
			}
			for _, p := range params {
				feed[p.Name] = p.Value
			}
			for k, v := range stats {
				feed[k] = v
			}
			for _, m := range tg.masks {
				if feed[m.input], err = drawMask(rng, m); err != nil {
					return nil, err
				}
			}
			out, err := tg.sess.Run(ctx, feed)
			if err != nil {
				return &st.history, fmt.Errorf("train: epoch %d step %d: %w", epoch+1, s+1, err)
			}
			lv, err := out[tg.loss].Float64s()
			if err != nil || len(lv) != 1 {
				return &st.history, fmt.Errorf("train: the loss is not a scalar")
			}
			if math.IsNaN(lv[0]) || math.IsInf(lv[0], 0) {
				return &st.history, fmt.Errorf("train: epoch %d step %d: the loss is %v (lower the learning rate?)", epoch+1, s+1, lv[0])
			}
			lossSum += lv[0]
			if c, k, ok := countCorrect(opt.Loss, out[tg.output], feed[tg.target]); ok {
				correct += c
				counted += k
			}
			for i := range params {
				params[i].Grad = out[tg.res.Grads[i]]
			}
			if err := opt.Optimizer.Step(params); err != nil {
				return &st.history, err
			}
			for _, s := range tg.stats {
				stats[s.Input] = out[s.Output]
			}
			prog.step(s+1, lossSum/float64(s+1), ratio(correct, counted))
		}
		writeStats(g, stats)
		es := EpochStats{Epoch: epoch + 1, LR: lr, Loss: lossSum / float64(max(steps, 1)), Acc: ratio(correct, counted),
			ValLoss: math.NaN(), ValAcc: math.NaN()}
		if eg != nil {
			if es.ValLoss, es.ValAcc, err = evaluate(ctx, eg, net, val, b, opt.Loss); err != nil {
				return &st.history, err
			}
		}
		es.Seconds = time.Since(start).Seconds()
		st.history.Epochs = append(st.history.Epochs, es)
		st.epoch = epoch + 1
		prog.end(es)
		stop := false
		for _, cb := range opt.Callbacks {
			if err := cb.EpochEnd(net, &st.history); errors.Is(err, ErrStopTraining) {
				stop = true
			} else if err != nil {
				return &st.history, err
			}
		}
		if opt.CheckpointDir != "" {
			if err := saveCheckpoint(opt.CheckpointDir, params, tg.stats, stats, opt.Optimizer, st); err != nil {
				return &st.history, err
			}
		}
		if stop {
			st.history.Stopped = true
			break
		}
	}
	return &st.history, nil
}

// writeStats copies the running statistics into the model's initializers.
func writeStats(g *ir.Graph, stats map[string]*tensor.Tensor) {
	for _, in := range g.Initializers {
		if v := stats[in.Name]; v != nil && v != in.Tensor {
			if in.Tensor.CopyFrom(v) != nil {
				in.Tensor = v.Clone()
			}
		}
	}
	// Statistics that were not initializers (graph inputs) have nowhere
	// to go in the model; they are kept in the checkpoint only.
	for name, v := range stats {
		if g.Initializer(name) == nil {
			g.Initializers = append(g.Initializers, &ir.Initializer{Name: name, Tensor: v.Clone()})
		}
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// drawMask returns a Dropout mask: 0 with probability ratio, else
// 1/(1-ratio).
func drawMask(rng *rand.Rand, m dropMask) (*tensor.Tensor, error) {
	t, err := tensor.New(tensor.Float32, m.shape...)
	if err != nil {
		return nil, err
	}
	keep := float32(1 / (1 - m.ratio))
	for i, d := 0, tensor.Data[float32](t); i < len(d); i++ {
		if rng.Float64() >= m.ratio {
			d[i] = keep
		}
	}
	return t, nil
}

// countCorrect counts the correct predictions of a batch (ok false when
// accuracy does not apply).
func countCorrect(kind LossKind, out, target *tensor.Tensor) (correct, total int, ok bool) {
	o, err := out.Float64s()
	if err != nil {
		return 0, 0, false
	}
	switch kind {
	case CrossEntropy:
		labels, err := target.Int64s()
		if err != nil || out.Rank() != 2 || len(labels) != out.Shape()[0] {
			return 0, 0, false
		}
		c := out.Shape()[1]
		for i, l := range labels {
			row := o[i*c : (i+1)*c]
			best := 0
			for j := range row {
				if row[j] > row[best] {
					best = j
				}
			}
			if int64(best) == l {
				correct++
			}
		}
		return correct, len(labels), true
	case BCEWithLogits:
		t, err := target.Float64s()
		if err != nil || len(t) != len(o) {
			return 0, 0, false
		}
		for i := range o {
			if (o[i] >= 0) == (t[i] >= 0.5) {
				correct++
			}
		}
		return correct, len(o), true
	}
	return 0, 0, false
}

// batchLoss returns the summed per-sample loss of a batch and the number
// of terms (the mean is sum/terms).
func batchLoss(kind LossKind, out, target *tensor.Tensor) (sum float64, terms int, err error) {
	o, err := out.Float64s()
	if err != nil {
		return 0, 0, err
	}
	switch kind {
	case CrossEntropy:
		labels, err := target.Int64s()
		if err != nil || out.Rank() != 2 || len(labels) != out.Shape()[0] {
			return 0, 0, fmt.Errorf("train: cross-entropy of %v against labels %v", out.Shape(), target.Shape())
		}
		c := out.Shape()[1]
		for i, l := range labels {
			if l < 0 || l >= int64(c) {
				return 0, 0, fmt.Errorf("train: label %d out of range [0, %d)", l, c)
			}
			row := o[i*c : (i+1)*c]
			mx := math.Inf(-1)
			for _, v := range row {
				mx = math.Max(mx, v)
			}
			var s float64
			for _, v := range row {
				s += math.Exp(v - mx)
			}
			sum += mx + math.Log(s) - row[l]
		}
		return sum, len(labels), nil
	default:
		t, err := target.Float64s()
		if err != nil || len(t) != len(o) {
			return 0, 0, fmt.Errorf("train: loss of %v against targets %v", out.Shape(), target.Shape())
		}
		for i := range o {
			if kind == MSE {
				d := o[i] - t[i]
				sum += d * d
			} else {
				x := o[i]
				sum += math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) - x*t[i]
			}
		}
		return sum, len(o), nil
	}
}

// evaluate returns the mean loss and the accuracy of net on d, in batches
// of b, with the inference graph.
func evaluate(ctx context.Context, eg *evalGraph, net *Net, d *Dataset, b int, kind LossKind) (loss, acc float64, err error) {
	g := net.Model.Graph
	var sum float64
	var terms, correct, counted int
	n := d.Len()
	for lo := 0; lo < n; lo += b {
		hi := min(lo+b, n)
		part, err := d.Slice(lo, hi)
		if err != nil {
			return 0, 0, err
		}
		feed := map[string]*tensor.Tensor{net.Input: part.X}
		for _, f := range eg.feeds {
			feed[f] = g.Initializer(f)
		}
		out, err := eg.sess.Run(ctx, feed)
		if err != nil {
			return 0, 0, fmt.Errorf("train: evaluation: %w", err)
		}
		s, k, err := batchLoss(kind, out[net.Output], part.Y)
		if err != nil {
			return 0, 0, err
		}
		sum += s
		terms += k
		if c, k, ok := countCorrect(kind, out[net.Output], part.Y); ok {
			correct += c
			counted += k
		}
	}
	return sum / float64(terms), ratio(correct, counted), nil
}

// Evaluate returns net's mean loss and accuracy (NaN for MSE) on d, with
// the inference graph in batches of batch.
func Evaluate(ctx context.Context, net *Net, d *Dataset, kind LossKind, batch, threads int) (loss, acc float64, err error) {
	if err := d.check("evaluation"); err != nil {
		return 0, 0, err
	}
	eg, err := buildEvalGraph(net, threads)
	if err != nil {
		return 0, 0, err
	}
	defer eg.sess.Close()
	return evaluate(ctx, eg, net, d, max(batch, 1), kind)
}
