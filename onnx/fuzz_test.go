package onnx

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// onnxCheckDecode decodes data, which may be corrupt: Decode must return
// an error wrapping one of the package's sentinels, or a model that
// encodes and decodes back to itself.
func onnxCheckDecode(t *testing.T, data []byte) {
	t.Helper()
	m, err := Decode(data)
	if err != nil {
		if !errors.Is(err, ErrInvalidModel) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrExternalData) {
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		return
	}
	b, err := Encode(m)
	if err != nil {
		t.Fatalf("a decoded model does not encode: %v", err)
	}
	m2, err := Decode(b)
	if err != nil {
		t.Fatalf("a re-encoded model does not decode: %v", err)
	}
	if d := onnxModelDiff(m, m2); d != "" {
		t.Fatalf("re-encoded model differs at %s", d)
	}
}

func onnxSeeds(t testing.TB) [][]byte {
	py, err := os.ReadFile(filepath.Join("testdata", "python_model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	built, err := Encode(onnxBuiltModel())
	if err != nil {
		t.Fatal(err)
	}
	return [][]byte{py, built}
}

// TestOnnxCorrupt truncates real models at every length and flips bits at
// every byte: decoding must never panic.
func TestOnnxCorrupt(t *testing.T) {
	defer func(v int64) { sparseDenseLimit = v }(sparseDenseLimit)
	sparseDenseLimit = 1 << 20
	r := rand.New(rand.NewPCG(7, 8))
	for _, seed := range onnxSeeds(t) {
		for n := range len(seed) {
			onnxCheckDecode(t, seed[:n])
		}
		for i := range seed {
			b := append([]byte(nil), seed...)
			b[i] ^= 1 << r.IntN(8)
			onnxCheckDecode(t, b)
			b[i] = byte(r.Uint32())
			onnxCheckDecode(t, b)
		}
	}
}

// FuzzDecode checks that Decode never panics and that whatever it accepts
// round-trips through Encode.
func FuzzDecode(f *testing.F) {
	for _, s := range onnxSeeds(f) {
		f.Add(s)
	}
	// The crafted hostile models and a small CNN.
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "hostile", "*.onnx"))
	for _, file := range append(files, filepath.Join("..", "testdata", "dynamic_cnn", "model.onnx")) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		defer func(v int64) { sparseDenseLimit = v }(sparseDenseLimit)
		sparseDenseLimit = 1 << 20 // keep the fuzzer's memory small
		onnxCheckDecode(t, data)
	})
}

// FuzzDecodeTensor does the same for standalone tensors.
func FuzzDecodeTensor(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "tensors", "*.pb"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := DecodeTensor(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidTensor) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrExternalData) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		b, err := EncodeTensor(x, "")
		if err != nil {
			t.Fatal(err)
		}
		y, err := DecodeTensor(b)
		if err != nil {
			t.Fatal(err)
		}
		if d := onnxDiff("tensor", reflect.ValueOf(x), reflect.ValueOf(y)); d != "" {
			t.Fatalf("round trip differs: %s", d)
		}
	})
}
