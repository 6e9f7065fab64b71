//go:build unix

package onnx

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"
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
