package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/onyxml/onyx/tensor"
	"github.com/onyxml/onyx/train"
)

// cmdTrain trains onyx's built-in CNN on an MNIST-format dataset and
// exports it to ONNX.
func cmdTrain(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("train", "", stderr)
	data := fs.String("data", "/usr/share/datasets/fashion-mnist", "directory with train-/t10k-{images-idx3,labels-idx1}-ubyte[.gz]")
	epochs := fs.Int("epochs", 5, "epochs")
	out := fs.String("out", "", "write the trained inference model to this .onnx file (required)")
	plotPath := fs.String("plot", "", "write loss/accuracy curves to this PNG")
	histPath := fs.String("history", "", "write the per-epoch history to this CSV file")
	batch := fs.Int("batch", 64, "batch size (the last partial batch of an epoch is dropped)")
	lr := fs.Float64("lr", 1e-3, "learning rate")
	optName := fs.String("optimizer", "adam", "adam, adamw or sgd (momentum 0.9)")
	cosine := fs.Bool("cosine", false, "cosine-anneal the learning rate over the epochs")
	seed := fs.Uint64("seed", 1, "seed for the initial weights, shuffling and dropout")
	threads := fs.Int("threads", 1, "kernel threads")
	limit := fs.Int("limit", 0, "train on the first N training samples only (0: all)")
	valSplit := fs.Float64("val-split", 0.1, "fraction of the training samples held out for validation (0: none)")
	opset := fs.Int64("opset", 13, "opset of the exported model")
	ckpt := fs.String("checkpoint", "", "save a checkpoint in this directory after every epoch")
	resume := fs.Bool("resume", false, "continue from the checkpoint in --checkpoint")
	patience := fs.Int("patience", 0, "stop when the validation loss has not improved for N epochs (0: never)")
	pos, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 0 || *out == "" || *epochs <= 0 || *batch <= 0 || *lr <= 0 || *limit < 0 || *valSplit < 0 || *valSplit >= 1 || (*resume && *ckpt == "") {
		fmt.Fprintln(stderr, "onyx train: need --out, positive --epochs/--batch/--lr, --val-split in [0, 1), and --checkpoint with --resume")
		fs.Usage()
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := runTrain(ctx, trainArgs{data: *data, epochs: *epochs, out: *out, plot: *plotPath, history: *histPath,
		batch: *batch, lr: *lr, opt: *optName, cosine: *cosine, seed: *seed, threads: *threads, limit: *limit,
		valSplit: *valSplit, opset: *opset, ckpt: *ckpt, resume: *resume, patience: *patience}, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "onyx train:", err)
		return exitFail
	}
	return exitOK
}

type trainArgs struct {
	data, out, plot, history, opt, ckpt string
	epochs, batch, threads, limit       int
	patience                            int
	lr, valSplit                        float64
	cosine, resume                      bool
	seed                                uint64
	opset                               int64
}

// trainCNN is the built-in model: two Conv-BN-ReLU-MaxPool blocks, then
// Dropout and a Linear classifier.
func trainCNN(h, w, classes int) *train.Sequential {
	return &train.Sequential{InputShape: []int{1, h, w}, Layers: []train.Layer{
		train.Conv2D{In: 1, Out: 16, Kernel: 3, Pad: 1}, train.BatchNorm2D{C: 16}, train.ReLU{}, train.MaxPool2D{Kernel: 2},
		train.Conv2D{In: 16, Out: 32, Kernel: 3, Pad: 1}, train.BatchNorm2D{C: 32}, train.ReLU{}, train.MaxPool2D{Kernel: 2},
		train.Flatten{}, train.Dropout{P: 0.25}, train.Linear{In: 32 * (h / 4) * (w / 4), Out: classes},
	}}
}

func runTrain(ctx context.Context, a trainArgs, stdout, stderr io.Writer) error {
	tr, err := train.LoadMNIST(a.data, "train")
	if err != nil {
		return err
	}
	test, err := train.LoadMNIST(a.data, "t10k")
	if err != nil {
		return err
	}
	if a.limit > 0 && a.limit < tr.Len() {
		if tr, err = tr.Slice(0, a.limit); err != nil {
			return err
		}
	}
	s := tr.X.Shape()
	if s[2] < 4 || s[3] < 4 {
		return fmt.Errorf("images of %dx%d are too small for the built-in CNN", s[2], s[3])
	}
	classes := 0
	for _, y := range tensor.Data[int64](tr.Y) {
		classes = max(classes, int(y)+1)
	}
	net, err := trainCNN(s[2], s[3], classes).Build(a.seed)
	if err != nil {
		return err
	}
	var opt train.Optimizer
	switch a.opt {
	case "adam":
		opt = train.NewAdam(a.lr)
	case "adamw":
		opt = train.NewAdamW(a.lr)
	case "sgd":
		opt = train.NewSGD(a.lr, 0.9)
	default:
		return fmt.Errorf("unknown optimizer %q (adam, adamw, sgd)", a.opt)
	}
	fo := train.FitOptions{Epochs: a.epochs, BatchSize: a.batch, Seed: a.seed, Optimizer: opt, ValSplit: a.valSplit,
		Progress: stderr, Threads: a.threads, CheckpointDir: a.ckpt, Resume: a.resume}
	if a.cosine {
		fo.Schedule = train.CosineLR{TMax: a.epochs}
	}
	if a.patience > 0 && a.valSplit > 0 {
		fo.Callbacks = append(fo.Callbacks, train.EarlyStopping{Patience: a.patience})
	}
	fmt.Fprintf(stderr, "training on %d samples of %dx%d (%d classes), %d test samples\n", tr.Len(), s[2], s[3], classes, test.Len())
	start := time.Now()
	h, err := train.Fit(ctx, net, tr, fo)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if err := train.Export(net, a.out, train.ExportOptions{Opset: a.opset, InputName: "image", OutputName: "logits"}); err != nil {
		return err
	}
	if a.history != "" {
		if err := h.WriteCSVFile(a.history); err != nil {
			return err
		}
	}
	if a.plot != "" {
		if err := h.SavePlot(a.plot); err != nil {
			return err
		}
	}
	loss, acc, err := train.Evaluate(ctx, net, test, train.CrossEntropy, 256, a.threads)
	if err != nil {
		return err
	}
	if len(h.Epochs) == 0 {
		return fmt.Errorf("no epoch was trained")
	}
	last := h.Epochs[len(h.Epochs)-1]
	fmt.Fprintf(stdout, "epochs %d  train loss %.4f  train acc %.4f  test loss %.4f  test accuracy %.4f  (%.1fs)\n",
		len(h.Epochs), last.Loss, last.Acc, loss, acc, elapsed.Seconds())
	fmt.Fprintf(stdout, "wrote %s\n", a.out)
	return nil
}
