package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/tensor"
	"github.com/onyxml/onyx/train"
)

// trainWriteIDX writes n 8x8 images of 3 classes (a bright row band per
// class) as split-{images-idx3,labels-idx1}-ubyte.gz in dir.
func trainWriteIDX(t *testing.T, dir, split string, n int) {
	t.Helper()
	img := tensor.Must(tensor.New(tensor.Uint8, n, 8, 8))
	lab := tensor.Must(tensor.New(tensor.Uint8, n))
	d, l := tensor.Data[uint8](img), tensor.Data[uint8](lab)
	for i := range n {
		k := (i*7 + i/5) % 3
		l[i] = uint8(k)
		for p := range 64 {
			v := (p*37 + i*11) % 70
			if r := p / 8; r >= 2*k+1 && r <= 2*k+2 {
				v += 170
			}
			d[i*64+p] = uint8(v)
		}
	}
	for kind, tt := range map[string]*tensor.Tensor{"images-idx3-ubyte": img, "labels-idx1-ubyte": lab} {
		var raw, z bytes.Buffer
		if err := train.WriteIDX(&raw, tt); err != nil {
			t.Fatal(err)
		}
		zw := gzip.NewWriter(&z)
		zw.Write(raw.Bytes())
		zw.Close()
		if err := os.WriteFile(filepath.Join(dir, split+"-"+kind+".gz"), z.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTrainCommand(t *testing.T) {
	dir := t.TempDir()
	trainWriteIDX(t, dir, "train", 120)
	trainWriteIDX(t, dir, "t10k", 30)
	out, plot, hist := filepath.Join(dir, "m.onnx"), filepath.Join(dir, "loss.png"), filepath.Join(dir, "h.csv")
	var stdout, stderr bytes.Buffer
	code := run([]string{"train", "--data", dir, "--epochs", "2", "--batch", "16", "--lr", "0.01", "--out", out,
		"--plot", plot, "--history", hist, "--checkpoint", filepath.Join(dir, "ck")}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "test accuracy") || strings.Count(stderr.String(), "Epoch ") != 2 {
		t.Errorf("stdout %q\nstderr %q", stdout.String(), stderr.String())
	}
	for _, f := range []string{out, plot, hist, filepath.Join(dir, "ck", train.CheckpointFile)} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	csv, _ := os.ReadFile(hist)
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 3 {
		t.Fatalf("history %q", csv)
	}
	loss := func(line string) float64 {
		v, err := strconv.ParseFloat(strings.Split(line, ",")[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if !(loss(lines[2]) < loss(lines[1])) {
		t.Errorf("loss did not decrease: %q", csv)
	}
	m, err := onnx.LoadFile(out)
	if err != nil || m.Graph.Inputs[0].Name != "image" || m.Opset("") != 13 {
		t.Fatalf("exported model: %v", err)
	}

	// Resuming the finished run trains no more epochs and still exports.
	stdout.Reset()
	if code := run([]string{"train", "--data", dir, "--epochs", "2", "--batch", "16", "--lr", "0.01", "--out", out,
		"--checkpoint", filepath.Join(dir, "ck"), "--resume"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("resume: exit %d: %s", code, stderr.String())
	}

	for _, args := range [][]string{
		{"train"},
		{"train", "--out", out, "--epochs", "0"},
		{"train", "--out", out, "--resume"},
	} {
		if code := run(args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%v: exit %d", args, code)
		}
	}
	if code := run([]string{"train", "--data", t.TempDir(), "--out", out}, &stdout, &stderr); code != exitFail {
		t.Errorf("empty data dir: exit %d", code)
	}
	if code := run([]string{"train", "--data", dir, "--out", out, "--optimizer", "nope"}, &stdout, &stderr); code != exitFail {
		t.Errorf("unknown optimizer: exit %d", code)
	}
}
