package onnx

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onyxml/onyx/onnx/onnxpb"
	"github.com/onyxml/onyx/tensor"
)

// onnxTestTensors holds the values of the tensors in testdata/tensors,
// written by onnx's Python helpers (make_tensor with and without raw).
func onnxTestTensors() map[string]*tensor.Tensor {
	m := tensor.Must
	return map[string]*tensor.Tensor{
		"float":      m(tensor.FromSlice([]float32{1.5, -2, 3.25, 0}, 2, 2)),
		"double":     m(tensor.FromSlice([]float64{math.Pi, -1e300, 5e-324}, 3)),
		"int8":       m(tensor.FromSlice([]int8{-128, 127, 0}, 3)),
		"int16":      m(tensor.FromSlice([]int16{-32768, 32767}, 2)),
		"int32":      m(tensor.FromSlice([]int32{math.MinInt32, math.MaxInt32, -1}, 1, 3)),
		"int64":      m(tensor.FromSlice([]int64{math.MinInt64, math.MaxInt64}, 2)),
		"uint8":      m(tensor.FromSlice([]uint8{0, 255}, 2)),
		"uint16":     m(tensor.FromSlice([]uint16{0, 65535}, 2)),
		"uint32":     m(tensor.FromSlice([]uint32{0, math.MaxUint32}, 2)),
		"uint64":     m(tensor.FromSlice([]uint64{0, math.MaxUint64}, 2)),
		"bool":       m(tensor.FromSlice([]bool{true, false, true}, 3)),
		"float16":    m(tensor.FromSlice([]tensor.F16{0x3c00, 0xb800, 0x7bff, 0x0001}, 2, 2)),
		"bfloat16":   m(tensor.FromSlice([]tensor.BF16{0x3f80, 0xc020, 0, 0x7f61}, 4)),
		"complex64":  m(tensor.FromSlice([]complex64{complex(1, -2), complex(0, 3.5)}, 2)),
		"complex128": m(tensor.FromSlice([]complex128{complex(-1, 2), 0}, 2)),
	}
}

func onnxSameTensor(a, b *tensor.Tensor) bool {
	return a.DType() == b.DType() && tensor.SameShape(a.Shape(), b.Shape()) && reflect.DeepEqual(a.Raw(), b.Raw())
}

// TestOnnxTensorPythonFiles reads tensors serialised by onnx's Python
// helpers, from raw_data and from every typed field.
func TestOnnxTensorPythonFiles(t *testing.T) {
	for name, want := range onnxTestTensors() {
		for _, form := range []string{"typed", "raw"} {
			got, err := ReadTensorFile(filepath.Join("testdata", "tensors", form+"_"+name+".pb"))
			if err != nil {
				t.Errorf("%s %s: %v", form, name, err)
				continue
			}
			if !onnxSameTensor(got, want) {
				t.Errorf("%s %s: got %v, want %v", form, name, got, want)
			}
		}
	}
	for file, want := range map[string]*tensor.Tensor{
		"typed_string": tensor.Must(tensor.FromSlice([]string{"hello", "wörld"}, 2)),
		"scalar_float": tensor.Scalar(float32(7)),
		"empty_int64":  tensor.Must(tensor.New(tensor.Int64, 0, 3)),
	} {
		got, err := ReadTensorFile(filepath.Join("testdata", "tensors", file+".pb"))
		if err != nil || !onnxSameTensor(got, want) {
			t.Errorf("%s: got %v, %v; want %v", file, got, err, want)
		}
	}
	if _, err := ReadTensorFile(filepath.Join("testdata", "tensors", "missing.pb")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestOnnxTensorRoundTrip(t *testing.T) {
	all := onnxTestTensors()
	all["string"] = tensor.Must(tensor.FromSlice([]string{"", "a\x00b", "\xff"}, 3, 1))
	all["scalar"] = tensor.Scalar(int64(-5))
	all["empty"] = tensor.Must(tensor.New(tensor.Float16, 2, 0))
	all["empty_string"] = tensor.Must(tensor.New(tensor.String, 0))
	for name, x := range all {
		b, err := EncodeTensor(x, "name_"+name)
		if err != nil {
			t.Fatalf("%s: EncodeTensor: %v", name, err)
		}
		y, err := DecodeTensor(b)
		if err != nil {
			t.Fatalf("%s: DecodeTensor: %v", name, err)
		}
		if !onnxSameTensor(x, y) {
			t.Errorf("%s: round trip gives %v, want %v", name, y, x)
		}
		var tp onnxpb.TensorProto
		if err := proto.Unmarshal(b, &tp); err != nil || tp.GetName() != "name_"+name {
			t.Errorf("%s: name %q, %v", name, tp.GetName(), err)
		}
		// Numbers go in raw_data, strings in string_data.
		if x.DType() == tensor.String {
			if tp.RawData != nil || len(tp.StringData) != x.Len() {
				t.Errorf("%s: strings not in string_data", name)
			}
		} else if len(tp.RawData) != x.Len()*x.DType().Size() || len(typedFields(&tp)) != 0 {
			t.Errorf("%s: numbers not in raw_data", name)
		}
	}
	if _, err := TensorToProto(nil); !errors.Is(err, ErrInvalidTensor) {
		t.Errorf("TensorToProto(nil) = %v", err)
	}
	if _, err := TensorToProto(&tensor.Tensor{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("TensorToProto(zero Tensor) = %v", err)
	}
}

// onnxTP builds a TensorProto for the error cases.
func onnxTP(dt tensor.DType, dims ...int64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String("bad"), DataType: proto.Int32(int32(dt)), Dims: dims}
}

func TestOnnxTensorTypedFields(t *testing.T) {
	// Hand-built protos for the encodings Python's helpers do not cover.
	cases := []struct {
		name string
		tp   *onnxpb.TensorProto
		want *tensor.Tensor
	}{
		{"bool from any non-zero int32", func() *onnxpb.TensorProto {
			tp := onnxTP(tensor.Bool, 3)
			tp.Int32Data = []int32{0, 1, -3}
			return tp
		}(), tensor.Must(tensor.FromSlice([]bool{false, true, true}, 3))},
		{"float16 bits sign-extended", func() *onnxpb.TensorProto {
			tp := onnxTP(tensor.Float16, 2)
			tp.Int32Data = []int32{-16384, 0xc000} // both are the bits 0xc000 (-2)
			return tp
		}(), tensor.Must(tensor.FromSlice([]tensor.F16{0xc000, 0xc000}, 2))},
		{"no data for no elements", onnxTP(tensor.Float32, 3, 0), tensor.Must(tensor.New(tensor.Float32, 3, 0))},
		{"empty raw_data for no elements", func() *onnxpb.TensorProto {
			tp := onnxTP(tensor.Int64, 0)
			tp.RawData = []byte{}
			return tp
		}(), tensor.Must(tensor.New(tensor.Int64, 0))},
	}
	for _, c := range cases {
		got, err := TensorFromProto(c.tp)
		if err != nil || !onnxSameTensor(got, c.want) {
			t.Errorf("%s: got %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

func TestOnnxTensorErrors(t *testing.T) {
	type tc struct {
		name string
		tp   *onnxpb.TensorProto
		kind error
		msg  string // a substring of the message
	}
	with := func(tp *onnxpb.TensorProto, f func(*onnxpb.TensorProto)) *onnxpb.TensorProto {
		f(tp)
		return tp
	}
	cases := []tc{
		{"nil", nil, ErrInvalidTensor, "missing tensor"},
		{"no data_type", &onnxpb.TensorProto{Name: proto.String("bad")}, ErrInvalidTensor, `tensor "bad": data_type is not set`},
		{"float8", with(onnxTP(17, 1), func(tp *onnxpb.TensorProto) { tp.RawData = []byte{1} }), ErrUnsupported, "FLOAT8E4M3FN"},
		{"int4", onnxTP(22, 2), ErrUnsupported, "INT4"},
		{"unknown type", onnxTP(99, 1), ErrUnsupported, "99"},
		{"segment", with(onnxTP(tensor.Float32), func(tp *onnxpb.TensorProto) { tp.Segment = &onnxpb.TensorProto_Segment{} }), ErrUnsupported, "segment"},
		{"negative dim", onnxTP(tensor.Float32, 2, -1), ErrInvalidTensor, "dimension 1 is -1"},
		{"overflowing dims", onnxTP(tensor.Float32, 1<<20, 1<<20, 1<<20), ErrInvalidTensor, "element count"},
		{"huge dim", onnxTP(tensor.Float32, math.MaxInt64), ErrInvalidTensor, "dimension 0"},
		{"raw too short", with(onnxTP(tensor.Float32, 2, 2), func(tp *onnxpb.TensorProto) { tp.RawData = make([]byte, 12) }), ErrInvalidTensor, `tensor "bad": raw_data has 12 bytes, float32[2 2] needs 16`},
		{"raw too long", with(onnxTP(tensor.Int8, 2), func(tp *onnxpb.TensorProto) { tp.RawData = make([]byte, 3) }), ErrInvalidTensor, "raw_data has 3 bytes"},
		{"raw for a scalar", with(onnxTP(tensor.Float64), func(tp *onnxpb.TensorProto) { tp.RawData = []byte{} }), ErrInvalidTensor, "needs 8"},
		{"raw strings", with(onnxTP(tensor.String, 1), func(tp *onnxpb.TensorProto) { tp.RawData = []byte("a") }), ErrInvalidTensor, "string tensors cannot use raw_data"},
		{"raw and typed", with(onnxTP(tensor.Float32, 1), func(tp *onnxpb.TensorProto) {
			tp.RawData = make([]byte, 4)
			tp.FloatData = []float32{1}
		}), ErrInvalidTensor, "both raw_data and float_data"},
		{"no data", onnxTP(tensor.Float32, 3), ErrInvalidTensor, "float_data has 0 values, float32[3] needs 3"},
		{"typed count", with(onnxTP(tensor.Int64, 2), func(tp *onnxpb.TensorProto) { tp.Int64Data = []int64{1, 2, 3} }), ErrInvalidTensor, "int64_data has 3 values"},
		{"complex count", with(onnxTP(tensor.Complex64, 2), func(tp *onnxpb.TensorProto) { tp.FloatData = []float32{1, 2, 3} }), ErrInvalidTensor, "float_data has 3 values, complex64[2] needs 4"},
		{"wrong field", with(onnxTP(tensor.Int64, 1), func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{1} }), ErrInvalidTensor, "int64 data must be in raw_data or int64_data, found int32_data"},
		{"two fields", with(onnxTP(tensor.Float32, 1), func(tp *onnxpb.TensorProto) {
			tp.FloatData = []float32{1}
			tp.DoubleData = []float64{1}
		}), ErrInvalidTensor, "found double_data"},
		{"int8 out of range", with(onnxTP(tensor.Int8, 2), func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{1, 200} }), ErrInvalidTensor, "int32_data[1] = 200 is out of range"},
		{"uint8 negative", with(onnxTP(tensor.Uint8, 1), func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{-1} }), ErrInvalidTensor, "out of range"},
		{"uint16 out of range", with(onnxTP(tensor.Uint16, 1), func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{65536} }), ErrInvalidTensor, "out of range"},
		{"float16 out of range", with(onnxTP(tensor.Float16, 1), func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{1 << 20} }), ErrInvalidTensor, "out of range"},
		{"uint32 out of range", with(onnxTP(tensor.Uint32, 1), func(tp *onnxpb.TensorProto) { tp.Uint64Data = []uint64{1 << 32} }), ErrInvalidTensor, "uint64_data[0]"},
		{"uint32 huge", with(onnxTP(tensor.Uint32, 1), func(tp *onnxpb.TensorProto) { tp.Uint64Data = []uint64{math.MaxUint64} }), ErrInvalidTensor, "out of range"},
		{"external with raw", with(onnxTP(tensor.Float32, 1), func(tp *onnxpb.TensorProto) {
			tp.DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
			tp.RawData = make([]byte, 4)
		}), ErrInvalidTensor, "data inside the tensor too"},
		{"external keys without EXTERNAL", with(onnxTP(tensor.Float32, 1), func(tp *onnxpb.TensorProto) {
			tp.FloatData = []float32{1}
			tp.ExternalData = []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("w")}}
		}), ErrInvalidTensor, "without data_location EXTERNAL"},
		{"bad data_location", with(onnxTP(tensor.Float32, 1), func(tp *onnxpb.TensorProto) {
			tp.DataLocation = onnxpb.TensorProto_DataLocation(5).Enum()
		}), ErrInvalidTensor, "data_location 5"},
		{"external without a directory", with(onnxTP(tensor.Float32, 1), func(tp *onnxpb.TensorProto) {
			tp.DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
			tp.ExternalData = []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("w.bin")}}
		}), ErrExternalData, "no directory"},
	}
	for _, c := range cases {
		got, err := TensorFromProto(c.tp)
		if err == nil {
			t.Errorf("%s: got %v, want an error", c.name, got)
			continue
		}
		if !errors.Is(err, c.kind) {
			t.Errorf("%s: error %q does not wrap %v", c.name, err, c.kind)
		}
		if !strings.HasPrefix(err.Error(), "onnx: ") || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %q, want it to start with \"onnx: \" and contain %q", c.name, err, c.msg)
		}
	}
	if _, err := DecodeTensor([]byte{0x0a, 0xff}); !errors.Is(err, ErrInvalidTensor) || !errors.Is(err, ErrInvalidModel) {
		t.Errorf("DecodeTensor(garbage) = %v", err)
	}
}

// A tensor that claims 10^12 elements but carries 4 bytes must fail
// without allocating for the claim.
func TestOnnxTensorHugeClaim(t *testing.T) {
	for _, field := range []string{"raw", "float_data", "external"} {
		tp := onnxTP(tensor.Float32, 1000000, 1000000)
		var opts []Option
		switch field {
		case "raw":
			tp.RawData = make([]byte, 4)
		case "float_data":
			tp.FloatData = []float32{1}
		case "external":
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "w.bin"), make([]byte, 4), 0o644); err != nil {
				t.Fatal(err)
			}
			tp.DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
			tp.ExternalData = []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("w.bin")}}
			opts = append(opts, WithExternalDataDir(dir))
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := TensorFromProto(tp, opts...)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Fatalf("%s: no error", field)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
			t.Errorf("%s: allocated %d bytes before failing: %v", field, got, err)
		}
	}
}
