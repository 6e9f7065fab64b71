package onnx

import (
	"fmt"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx/onnxpb"
	"github.com/onyxml/onyx/tensor"
)

// maxValueDepth bounds the nesting of sequences and optionals in a value.
const maxValueDepth = 16

// DecodeValue decodes a serialised value of type typ: a TensorProto for a
// tensor (or a nil typ), a SequenceProto for a sequence, an OptionalProto
// for an optional (ONNX's onnx-data.proto messages, as test-case files hold
// them). Sequences and optionals become tensor.KindSequence and
// tensor.KindOptional values.
func DecodeValue(data []byte, typ *ir.Type) (*tensor.Tensor, error) {
	if typ == nil || typ.Kind == ir.KindTensor {
		return DecodeTensor(data)
	}
	switch typ.Kind {
	case ir.KindSequence:
		var sp onnxpb.SequenceProto
		if err := proto.Unmarshal(data, &sp); err != nil {
			return nil, public(errorf(ErrInvalidTensor, "decoding SequenceProto: %v", err))
		}
		t, err := sequenceFromProto(&sp, 0)
		return t, public(err)
	case ir.KindOptional:
		var op onnxpb.OptionalProto
		if err := proto.Unmarshal(data, &op); err != nil {
			return nil, public(errorf(ErrInvalidTensor, "decoding OptionalProto: %v", err))
		}
		t, err := optionalFromProto(&op, 0)
		return t, public(err)
	}
	return nil, public(errorf(ErrUnsupported, "values of type %v", typ))
}

// ReadValueFile reads a file holding one serialised value of type typ (see
// DecodeValue).
func ReadValueFile(path string, typ *ir.Type) (*tensor.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	t, err := DecodeValue(data, typ)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return t, nil
}

func sequenceFromProto(sp *onnxpb.SequenceProto, depth int) (*tensor.Tensor, error) {
	if depth > maxValueDepth {
		return nil, errorf(ErrInvalidTensor, "sequence %q nested deeper than %d", sp.GetName(), maxValueDepth)
	}
	switch onnxpb.SequenceProto_DataType(sp.GetElemType()) {
	case onnxpb.SequenceProto_TENSOR, onnxpb.SequenceProto_UNDEFINED:
		if len(sp.SequenceValues)+len(sp.OptionalValues)+len(sp.MapValues)+len(sp.SparseTensorValues) > 0 {
			return nil, errorf(ErrUnsupported, "sequence %q: only sequences of tensors are supported", sp.GetName())
		}
		items := make([]*tensor.Tensor, len(sp.TensorValues))
		elem := tensor.Undefined
		for i, tp := range sp.TensorValues {
			t, err := TensorFromProto(tp)
			if err != nil {
				return nil, err
			}
			if i > 0 && t.DType() != elem {
				return nil, errorf(ErrInvalidTensor, "sequence %q mixes %v and %v", sp.GetName(), elem, t.DType())
			}
			elem, items[i] = t.DType(), t
		}
		return tensor.NewSequence(elem, items), nil
	}
	return nil, errorf(ErrUnsupported, "sequence %q of element type %d", sp.GetName(), sp.GetElemType())
}

func optionalFromProto(op *onnxpb.OptionalProto, depth int) (*tensor.Tensor, error) {
	if depth > maxValueDepth {
		return nil, errorf(ErrInvalidTensor, "optional %q nested deeper than %d", op.GetName(), maxValueDepth)
	}
	switch onnxpb.OptionalProto_DataType(op.GetElemType()) {
	case onnxpb.OptionalProto_UNDEFINED:
		return tensor.NewOptional(tensor.Undefined, nil), nil
	case onnxpb.OptionalProto_TENSOR:
		if op.TensorValue == nil {
			return tensor.NewOptional(tensor.Undefined, nil), nil
		}
		t, err := TensorFromProto(op.TensorValue)
		if err != nil {
			return nil, err
		}
		return tensor.NewOptional(t.DType(), t), nil
	case onnxpb.OptionalProto_SEQUENCE:
		if op.SequenceValue == nil {
			return tensor.NewOptional(tensor.Undefined, nil), nil
		}
		s, err := sequenceFromProto(op.SequenceValue, depth+1)
		if err != nil {
			return nil, err
		}
		return tensor.NewOptional(s.DType(), s), nil
	}
	return nil, errorf(ErrUnsupported, "optional %q of element type %d", op.GetName(), op.GetElemType())
}
