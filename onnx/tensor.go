package onnx

import (
	"fmt"
	"math"
	"os"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/onyxml/onyx/onnx/onnxpb"
	"github.com/onyxml/onyx/tensor"
)

// TensorFromProto converts tp to a tensor. Data in external files is read
// only when an Option says where (WithExternalDataDir, WithExternalDataFS).
func TensorFromProto(tp *onnxpb.TensorProto, opts ...Option) (*tensor.Tensor, error) {
	l := newLoader(opts)
	defer l.close()
	t, err := l.tensor(tp)
	return t, public(err)
}

// DecodeTensor decodes a serialised TensorProto, such as the input_*.pb and
// output_*.pb files of ONNX test cases.
func DecodeTensor(data []byte) (*tensor.Tensor, error) {
	var tp onnxpb.TensorProto
	if err := proto.Unmarshal(data, &tp); err != nil {
		return nil, public(errorf(ErrInvalidTensor, "decoding TensorProto: %v", err))
	}
	return TensorFromProto(&tp)
}

// ReadTensorFile reads a file holding one serialised TensorProto.
func ReadTensorFile(path string) (*tensor.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	t, err := DecodeTensor(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return t, nil
}

// TensorToProto converts t to a TensorProto: numbers in raw_data
// (little-endian), strings in string_data. The caller sets the name.
func TensorToProto(t *tensor.Tensor) (*onnxpb.TensorProto, error) {
	tp, err := tensorToProto(t)
	return tp, public(err)
}

// EncodeTensor serialises t as a TensorProto called name.
func EncodeTensor(t *tensor.Tensor, name string) ([]byte, error) {
	tp, err := TensorToProto(t)
	if err != nil {
		return nil, err
	}
	if name != "" {
		tp.Name = proto.String(name)
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(tp)
}

func tensorToProto(t *tensor.Tensor) (*onnxpb.TensorProto, error) {
	if t == nil {
		return nil, errorf(ErrInvalidTensor, "nil tensor")
	}
	dt := t.DType()
	if !dt.Supported() || t.Raw() == nil {
		return nil, errorf(ErrUnsupported, "tensor of type %v", dt)
	}
	tp := &onnxpb.TensorProto{
		DataType: proto.Int32(int32(dt)),
		Dims:     make([]int64, t.Rank()),
	}
	for i, d := range t.Shape() {
		tp.Dims[i] = int64(d)
	}
	if dt == tensor.String {
		for _, s := range tensor.Data[string](t) {
			tp.StringData = append(tp.StringData, []byte(s))
		}
		return tp, nil
	}
	raw, err := tensor.AppendLE(make([]byte, 0, t.Len()*dt.Size()), t, 0, t.Len())
	if err != nil {
		return nil, errorf(ErrUnsupported, "%v", err)
	}
	tp.RawData = raw
	return tp, nil
}

// elemBytes is the memory of one element of dt (a string header for
// strings).
func elemBytes(dt tensor.DType) int {
	if dt == tensor.String {
		return 16
	}
	return dt.Size()
}

// tensorWhere names a TensorProto in error messages.
func tensorWhere(tp *onnxpb.TensorProto) string {
	if tp.GetName() == "" {
		return "tensor (unnamed)"
	}
	return fmt.Sprintf("tensor %q", tp.GetName())
}

// dataTypeName spells an ONNX data type for messages ("FLOAT8E4M3FN").
func dataTypeName(dt int32) string {
	return onnxpb.TensorProto_DataType(dt).String()
}

// protoShape validates dims and returns them as a shape with its element
// count.
func protoShape(dims []int64) ([]int, int, error) {
	shape := make([]int, len(dims))
	for i, d := range dims {
		if d < 0 || d > tensor.MaxElements {
			return nil, 0, fmt.Errorf("dimension %d is %d", i, d)
		}
		shape[i] = int(d)
	}
	n, err := tensor.NumElements(shape)
	if err != nil {
		return nil, 0, fmt.Errorf("dims %v: element count is over %d", dims, int64(tensor.MaxElements))
	}
	return shape, n, nil
}

// typedFields lists the typed data fields of tp that hold values.
func typedFields(tp *onnxpb.TensorProto) []string {
	var f []string
	if len(tp.FloatData) > 0 {
		f = append(f, "float_data")
	}
	if len(tp.Int32Data) > 0 {
		f = append(f, "int32_data")
	}
	if len(tp.StringData) > 0 {
		f = append(f, "string_data")
	}
	if len(tp.Int64Data) > 0 {
		f = append(f, "int64_data")
	}
	if len(tp.DoubleData) > 0 {
		f = append(f, "double_data")
	}
	if len(tp.Uint64Data) > 0 {
		f = append(f, "uint64_data")
	}
	return f
}

// typedField names the field that holds values of dt when raw_data is not
// used, per the ONNX IR.
func typedField(dt tensor.DType) string {
	switch dt {
	case tensor.Float32, tensor.Complex64:
		return "float_data"
	case tensor.Float64, tensor.Complex128:
		return "double_data"
	case tensor.Int64:
		return "int64_data"
	case tensor.Uint32, tensor.Uint64:
		return "uint64_data"
	case tensor.String:
		return "string_data"
	}
	return "int32_data"
}

// tensor converts tp, reading external data through l.
func (l *loader) tensor(tp *onnxpb.TensorProto) (*tensor.Tensor, error) {
	if tp == nil {
		return nil, errorf(ErrInvalidTensor, "missing tensor")
	}
	where := tensorWhere(tp)
	if tp.DataType == nil || tp.GetDataType() == 0 {
		return nil, errorf(ErrInvalidTensor, "%s: data_type is not set", where)
	}
	dt := tensor.DType(tp.GetDataType())
	if !dt.Supported() {
		return nil, errorf(ErrUnsupported, "%s: data type %s (%d)", where, dataTypeName(tp.GetDataType()), tp.GetDataType())
	}
	if tp.Segment != nil {
		return nil, errorf(ErrUnsupported, "%s: segmented tensors", where)
	}
	shape, n, err := protoShape(tp.Dims)
	if err != nil {
		return nil, errorf(ErrInvalidTensor, "%s: %v", where, err)
	}
	if err := l.reserve(where, int64(n)*int64(elemBytes(dt))); err != nil {
		return nil, err
	}
	fields := typedFields(tp)
	switch tp.GetDataLocation() {
	case onnxpb.TensorProto_DEFAULT:
	case onnxpb.TensorProto_EXTERNAL:
		if tp.RawData != nil || len(fields) > 0 {
			return nil, errorf(ErrInvalidTensor, "%s: external data_location but data inside the tensor too", where)
		}
		return l.external(tp, where, dt, shape, n)
	default:
		return nil, errorf(ErrInvalidTensor, "%s: unknown data_location %d", where, tp.GetDataLocation())
	}
	if len(tp.ExternalData) > 0 {
		return nil, errorf(ErrInvalidTensor, "%s: external_data keys without data_location EXTERNAL", where)
	}
	if tp.RawData != nil {
		if len(fields) > 0 {
			return nil, errorf(ErrInvalidTensor, "%s: data in both raw_data and %s", where, strings.Join(fields, ", "))
		}
		if dt == tensor.String {
			return nil, errorf(ErrInvalidTensor, "%s: string tensors cannot use raw_data", where)
		}
		want := int64(n) * int64(dt.Size())
		if int64(len(tp.RawData)) != want {
			return nil, errorf(ErrInvalidTensor, "%s: raw_data has %d bytes, %v%v needs %d", where, len(tp.RawData), dt, shape, want)
		}
		t, err := tensor.New(dt, shape...)
		if err != nil {
			return nil, errorf(ErrInvalidTensor, "%s: %v", where, err)
		}
		if err := tensor.DecodeLE(t, 0, tp.RawData); err != nil {
			return nil, errorf(ErrInvalidTensor, "%s: %v", where, err)
		}
		return t, nil
	}
	field := typedField(dt)
	for _, f := range fields {
		if f != field {
			return nil, errorf(ErrInvalidTensor, "%s: %v data must be in raw_data or %s, found %s", where, dt, field, f)
		}
	}
	return typedTensor(tp, where, dt, shape, n, field)
}

// typedTensor builds a tensor from the typed field that holds its values.
func typedTensor(tp *onnxpb.TensorProto, where string, dt tensor.DType, shape []int, n int, field string) (*tensor.Tensor, error) {
	count := func(have, per int) error {
		if have != n*per {
			return errorf(ErrInvalidTensor, "%s: %s has %d values, %v%v needs %d", where, field, have, dt, shape, n*per)
		}
		return nil
	}
	var (
		data any
		err  error
	)
	switch dt {
	case tensor.Float32:
		if err = count(len(tp.FloatData), 1); err == nil {
			data = append([]float32(nil), tp.FloatData...)
		}
	case tensor.Complex64:
		if err = count(len(tp.FloatData), 2); err == nil {
			d := make([]complex64, n)
			for i := range d {
				d[i] = complex(tp.FloatData[2*i], tp.FloatData[2*i+1])
			}
			data = d
		}
	case tensor.Float64:
		if err = count(len(tp.DoubleData), 1); err == nil {
			data = append([]float64(nil), tp.DoubleData...)
		}
	case tensor.Complex128:
		if err = count(len(tp.DoubleData), 2); err == nil {
			d := make([]complex128, n)
			for i := range d {
				d[i] = complex(tp.DoubleData[2*i], tp.DoubleData[2*i+1])
			}
			data = d
		}
	case tensor.Int64:
		if err = count(len(tp.Int64Data), 1); err == nil {
			data = append([]int64(nil), tp.Int64Data...)
		}
	case tensor.Uint64:
		if err = count(len(tp.Uint64Data), 1); err == nil {
			data = append([]uint64(nil), tp.Uint64Data...)
		}
	case tensor.Uint32:
		if err = count(len(tp.Uint64Data), 1); err == nil {
			data, err = narrowTyped[uint32](tp.Uint64Data, 0, math.MaxUint32, where, field)
		}
	case tensor.String:
		if err = count(len(tp.StringData), 1); err == nil {
			d := make([]string, n)
			for i, s := range tp.StringData {
				d[i] = string(s)
			}
			data = d
		}
	default:
		if err = count(len(tp.Int32Data), 1); err != nil {
			break
		}
		src := tp.Int32Data
		switch dt {
		case tensor.Int32:
			data = append([]int32(nil), src...)
		case tensor.Int8:
			data, err = narrowTyped[int8](src, math.MinInt8, math.MaxInt8, where, field)
		case tensor.Uint8:
			data, err = narrowTyped[uint8](src, 0, math.MaxUint8, where, field)
		case tensor.Int16:
			data, err = narrowTyped[int16](src, math.MinInt16, math.MaxInt16, where, field)
		case tensor.Uint16:
			data, err = narrowTyped[uint16](src, 0, math.MaxUint16, where, field)
		case tensor.Float16:
			// The bits of each value, zero- or sign-extended.
			data, err = narrowTyped[tensor.F16](src, math.MinInt16, math.MaxUint16, where, field)
		case tensor.BFloat16:
			data, err = narrowTyped[tensor.BF16](src, math.MinInt16, math.MaxUint16, where, field)
		case tensor.Bool:
			d := make([]bool, n)
			for i, v := range src {
				d[i] = v != 0
			}
			data = d
		default:
			err = errorf(ErrUnsupported, "%s: data type %v", where, dt)
		}
	}
	if err != nil {
		return nil, err
	}
	return wrapSlice(data, dt, shape, where)
}

// narrowTyped converts the values of a wide typed field to T, checking that
// each lies in [lo, hi].
func narrowTyped[T int8 | uint8 | int16 | uint16 | uint32 | tensor.F16 | tensor.BF16, S int32 | uint64](src []S, lo, hi int64, where, field string) ([]T, error) {
	d := make([]T, len(src))
	for i, v := range src {
		w := int64(v) // a uint64 over MaxInt64 becomes negative, below lo
		if w < lo || w > hi {
			return nil, errorf(ErrInvalidTensor, "%s: %s[%d] = %v is out of range", where, field, i, v)
		}
		d[i] = T(v)
	}
	return d, nil
}

// wrapSlice makes a tensor of a []T held in an any.
func wrapSlice(data any, dt tensor.DType, shape []int, where string) (*tensor.Tensor, error) {
	var (
		t   *tensor.Tensor
		err error
	)
	switch d := data.(type) {
	case []float32:
		t, err = tensor.FromSlice(d, shape...)
	case []float64:
		t, err = tensor.FromSlice(d, shape...)
	case []complex64:
		t, err = tensor.FromSlice(d, shape...)
	case []complex128:
		t, err = tensor.FromSlice(d, shape...)
	case []int8:
		t, err = tensor.FromSlice(d, shape...)
	case []int16:
		t, err = tensor.FromSlice(d, shape...)
	case []int32:
		t, err = tensor.FromSlice(d, shape...)
	case []int64:
		t, err = tensor.FromSlice(d, shape...)
	case []uint8:
		t, err = tensor.FromSlice(d, shape...)
	case []uint16:
		t, err = tensor.FromSlice(d, shape...)
	case []uint32:
		t, err = tensor.FromSlice(d, shape...)
	case []uint64:
		t, err = tensor.FromSlice(d, shape...)
	case []bool:
		t, err = tensor.FromSlice(d, shape...)
	case []string:
		t, err = tensor.FromSlice(d, shape...)
	case []tensor.F16:
		t, err = tensor.FromSlice(d, shape...)
	case []tensor.BF16:
		t, err = tensor.FromSlice(d, shape...)
	default:
		return nil, errorf(ErrUnsupported, "%s: data type %v", where, dt)
	}
	if err != nil {
		return nil, errorf(ErrInvalidTensor, "%s: %v", where, err)
	}
	return t, nil
}
