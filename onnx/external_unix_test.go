//go:build unix

package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/onyxml/onyx/tensor"
)

// A FIFO named as external data must be refused, not block the loader.
func TestOnnxExternalFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	onnxWrite(t, filepath.Join(dir, "model.onnx"), onnxExtModel(t, onnxExtTensor("w", []int64{1}, "location", "fifo")))
	done := make(chan error, 1)
	go func() {
		_, err := LoadFile(filepath.Join(dir, "model.onnx"))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrExternalData) {
			t.Errorf("LoadFile with a FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("LoadFile blocked on a FIFO")
	}
}

// A hard link inside the model's directory is read like any file there
// (see the package comment).
func TestOnnxExternalHardLink(t *testing.T) {
	dir := t.TempDir()
	onnxWrite(t, filepath.Join(dir, "w.bin"), onnxF32Bytes(1, 2, 3, 4))
	if err := os.Link(filepath.Join(dir, "w.bin"), filepath.Join(dir, "hard.bin")); err != nil {
		t.Skipf("link: %v", err)
	}
	onnxWrite(t, filepath.Join(dir, "model.onnx"), onnxExtModel(t, onnxExtTensor("w", []int64{4}, "location", "hard.bin")))
	m, err := LoadFile(filepath.Join(dir, "model.onnx"))
	if err != nil || !reflect.DeepEqual(tensor.Data[float32](m.Graph.Initializer("w")), []float32{1, 2, 3, 4}) {
		t.Fatalf("external data through a hard link: %v", err)
	}
}
