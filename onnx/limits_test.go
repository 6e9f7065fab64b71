package onnx

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onyxml/onyx/onnx/onnxpb"
	"github.com/onyxml/onyx/tensor"
)

// onnxSparseF32 is a sparse float32 initializer of shape dims with one
// value, 1 at index 0.
func onnxSparseF32(name string, dims ...int64) *onnxpb.SparseTensorProto {
	return &onnxpb.SparseTensorProto{
		Dims:    dims,
		Values:  &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(tensor.Float32)), Dims: []int64{1}, FloatData: []float32{1}},
		Indices: &onnxpb.TensorProto{DataType: proto.Int32(int32(tensor.Int64)), Dims: []int64{1}, Int64Data: []int64{0}},
	}
}

// TestOnnxSparseLimitIsPerModel: many small sparse tensors may not add up
// to more than the dense limit (each alone under it).
func TestOnnxSparseLimitIsPerModel(t *testing.T) {
	defer func(v int64) { sparseDenseLimit = v }(sparseDenseLimit)
	sparseDenseLimit = 1 << 20
	mp := onnxModelProto()
	for _, name := range []string{"a", "b", "c"} {
		mp.Graph.SparseInitializer = append(mp.Graph.SparseInitializer, onnxSparseF32(name, 100_000)) // 400 kB dense each
	}
	b, _ := proto.Marshal(mp)
	_, err := Decode(b)
	if !errors.Is(err, ErrTooLarge) || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `sparse initializer "c"`) {
		t.Fatalf("three sparse tensors over the limit together: %v", err)
	}
	mp.Graph.SparseInitializer = mp.Graph.SparseInitializer[:2]
	b, _ = proto.Marshal(mp)
	if _, err := Decode(b); err != nil {
		t.Fatalf("two under the limit: %v", err)
	}
}

// TestOnnxWithMaxBytes bounds the data of inline, external and sparse
// tensors, in total.
func TestOnnxWithMaxBytes(t *testing.T) {
	raw := func(name string, n int) *onnxpb.TensorProto {
		return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(tensor.Float32)), Dims: []int64{int64(n)}, RawData: make([]byte, 4*n)}
	}
	mp := onnxModelProto()
	mp.Graph.Initializer = []*onnxpb.TensorProto{raw("w1", 100), raw("w2", 100)}
	b, _ := proto.Marshal(mp)
	if _, err := Decode(b, WithMaxBytes(800)); err != nil {
		t.Fatalf("800 bytes under a limit of 800: %v", err)
	}
	if _, err := Decode(b, WithMaxBytes(799)); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), `tensor "w2"`) {
		t.Fatalf("800 bytes over a limit of 799: %v", err)
	}
	mp.Graph.Initializer = nil
	mp.Graph.SparseInitializer = []*onnxpb.SparseTensorProto{onnxSparseF32("s", 1000)}
	b, _ = proto.Marshal(mp)
	if _, err := Decode(b, WithMaxBytes(1000)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a sparse tensor of 4000 bytes dense: %v", err)
	}
	// External data is refused before the file is read.
	dir := t.TempDir()
	onnxWrite(t, filepath.Join(dir, "w.bin"), onnxF32Bytes(1, 2, 3, 4))
	onnxWrite(t, filepath.Join(dir, "model.onnx"), onnxExtModel(t, onnxExtTensor("w", []int64{4}, "location", "w.bin")))
	if _, err := LoadFile(filepath.Join(dir, "model.onnx"), WithMaxBytes(8)); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), `tensor "w"`) {
		t.Fatalf("external data over the limit: %v", err)
	}
	if _, err := LoadFile(filepath.Join(dir, "model.onnx"), WithMaxBytes(16)); err != nil {
		t.Fatalf("external data at the limit: %v", err)
	}
}

// TestOnnxDimBelowMinusOne: -1 in a value's shape is read as unknown (old
// exporters wrote it), anything lower is an error naming the value.
func TestOnnxDimBelowMinusOne(t *testing.T) {
	for _, d := range []int64{-1, -2, -5, -1 << 62} {
		mp := onnxModelProto()
		mp.Graph.Output = []*onnxpb.ValueInfoProto{{Name: proto.String("y"), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
			TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(1), Shape: &onnxpb.TensorShapeProto{
				Dim: []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}}}}}}}}}
		b, _ := proto.Marshal(mp)
		_, err := Decode(b)
		switch {
		case d == -1 && err != nil:
			t.Errorf("dim -1: %v", err)
		case d < -1 && (!errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), `output "y": dim 0 is`)):
			t.Errorf("dim %d: %v", d, err)
		}
	}
}
