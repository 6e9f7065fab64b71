package onnx

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx/onnxpb"
	"github.com/onyxml/onyx/tensor"
)

func mustProto(t *testing.T, x *tensor.Tensor) *onnxpb.TensorProto {
	t.Helper()
	tp, err := TensorToProto(x)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

func TestDecodeValueSequenceAndOptional(t *testing.T) {
	a := tensor.Must(tensor.FromSlice([]float32{1, 2}, 2))
	b := tensor.Must(tensor.FromSlice([]float32{3}, 1))
	seqType := &ir.Type{Kind: ir.KindSequence, Elem: &ir.Type{DType: tensor.Float32}}
	optType := &ir.Type{Kind: ir.KindOptional, Elem: seqType}

	sp := &onnxpb.SequenceProto{ElemType: proto.Int32(int32(onnxpb.SequenceProto_TENSOR)),
		TensorValues: []*onnxpb.TensorProto{mustProto(t, a), mustProto(t, b)}}
	data, _ := proto.Marshal(sp)
	s, err := DecodeValue(data, seqType)
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind() != tensor.KindSequence || len(s.Items()) != 2 || s.DType() != tensor.Float32 ||
		tensor.Data[float32](s.Items()[1])[0] != 3 {
		t.Fatalf("sequence = %v", s)
	}

	op := &onnxpb.OptionalProto{ElemType: proto.Int32(int32(onnxpb.OptionalProto_SEQUENCE)), SequenceValue: sp}
	data, _ = proto.Marshal(op)
	o, err := DecodeValue(data, optType)
	if err != nil {
		t.Fatal(err)
	}
	if o.Kind() != tensor.KindOptional || len(o.Items()) != 1 || o.Items()[0].Kind() != tensor.KindSequence {
		t.Fatalf("optional = %v", o)
	}

	data, _ = proto.Marshal(&onnxpb.OptionalProto{ElemType: proto.Int32(int32(onnxpb.OptionalProto_TENSOR))})
	if e, err := DecodeValue(data, optType); err != nil || len(e.Items()) != 0 {
		t.Fatalf("empty optional = %v, %v", e, err)
	}

	// Errors, not panics: mixed element types, garbage, unsupported kinds.
	mixed := &onnxpb.SequenceProto{TensorValues: []*onnxpb.TensorProto{mustProto(t, a),
		mustProto(t, tensor.Must(tensor.FromSlice([]int64{1}, 1)))}}
	data, _ = proto.Marshal(mixed)
	if _, err := DecodeValue(data, seqType); !errors.Is(err, ErrInvalidTensor) {
		t.Errorf("mixed sequence: err = %v", err)
	}
	if _, err := DecodeValue([]byte{0xff, 0xff, 0xff}, seqType); err == nil {
		t.Error("garbage sequence decoded")
	}
	maps := &onnxpb.SequenceProto{ElemType: proto.Int32(int32(onnxpb.SequenceProto_MAP)), MapValues: []*onnxpb.MapProto{{}}}
	data, _ = proto.Marshal(maps)
	if _, err := DecodeValue(data, seqType); !errors.Is(err, ErrUnsupported) {
		t.Errorf("sequence of maps: err = %v", err)
	}
	if _, err := DecodeValue(nil, &ir.Type{Kind: ir.KindMap}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("map: err = %v", err)
	}
}
