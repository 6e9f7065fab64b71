package generic

import (
	"math"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func TestShpConstant(t *testing.T) {
	v := shpTen([]int{2, 2}, int16(1), 2, 3, 4)
	got := mustEval(t, "Constant", 13, 1, nil, attrTensor("value", v))[0]
	shpEq(t, "Constant value", got, v)
	if shpSameData(got, v) {
		t.Errorf("Constant returns its attribute's storage")
	}
	shpEq(t, "Constant value_float", mustEval(t, "Constant", 13, 1, nil, attrFloat("value_float", 1.5))[0], tensor.Scalar(float32(1.5)))
	shpEq(t, "Constant value_floats", mustEval(t, "Constant", 13, 1, nil, &ir.Attribute{Name: "value_floats", Type: ir.AttrFloats, Floats: []float32{1, 2}})[0], shpTen([]int{2}, float32(1), 2))
	shpEq(t, "Constant value_int", mustEval(t, "Constant", 13, 1, nil, attrInt("value_int", -3))[0], tensor.Scalar(int64(-3)))
	shpEq(t, "Constant value_ints", mustEval(t, "Constant", 13, 1, nil, attrInts("value_ints"))[0], shpI64())
	shpEq(t, "Constant value_string", mustEval(t, "Constant", 13, 1, nil, attrStr("value_string", "hi"))[0], tensor.Scalar("hi"))
	shpEq(t, "Constant value_strings", mustEval(t, "Constant", 13, 1, nil, &ir.Attribute{Name: "value_strings", Type: ir.AttrStrings, Strings: []string{"a", "b"}})[0], shpTen([]int{2}, "a", "b"))
	shpFails(t, "Constant without value", ops.ErrInvalidNode, "Constant", 13, 1, nil)
	shpFails(t, "Constant with two values", ops.ErrInvalidNode, "Constant", 13, 1, nil, attrInt("value_int", 1), attrFloat("value_float", 1))
	shpFails(t, "Constant sparse", ops.ErrInvalidNode, "Constant", 13, 1, nil, &ir.Attribute{Name: "sparse_value", Type: ir.AttrSparseTensor})
	shpFails(t, "Constant attribute type", ops.ErrInvalidNode, "Constant", 13, 1, nil, attrInt("value_floats", 1))
}

func TestShpConstantOfShape(t *testing.T) {
	shpEq(t, "ConstantOfShape default", mustEval(t, "ConstantOfShape", 9, 1, []*tensor.Tensor{shpI64(2, 1)})[0], tensor.Must(tensor.New(tensor.Float32, 2, 1)))
	for _, v := range []*tensor.Tensor{
		shpTen([]int{1}, int32(7)), shpTen([]int{1}, true), shpTen([]int{1}, tensor.NewF16(2.5)),
		shpTen([]int{1}, uint64(math.MaxUint64)), shpTen([]int{1}, 1.25),
	} {
		got := mustEval(t, "ConstantOfShape", 20, 1, []*tensor.Tensor{shpI64(3)}, attrTensor("value", v))[0]
		want := tensor.Must(tensor.New(v.DType(), 3))
		el := shpElemsOf(v.DType())
		el.fill(want.Raw(), 0, 3, el.at(v.Raw(), 0))
		shpEq(t, "ConstantOfShape "+v.DType().String(), got, want)
	}
	shpEq(t, "ConstantOfShape scalar", mustEval(t, "ConstantOfShape", 9, 1, []*tensor.Tensor{shpI64()}, attrTensor("value", shpTen([]int{1}, int64(5))))[0], tensor.Scalar(int64(5)))
	shpEq(t, "ConstantOfShape zero dim", mustEval(t, "ConstantOfShape", 9, 1, []*tensor.Tensor{shpI64(0, 3)})[0], shpIota(0, 3))
	shpFails(t, "ConstantOfShape negative", ops.ErrInvalidNode, "ConstantOfShape", 9, 1, []*tensor.Tensor{shpI64(-1)})
	shpFails(t, "ConstantOfShape huge", ops.ErrInvalidNode, "ConstantOfShape", 9, 1, []*tensor.Tensor{shpI64(1<<21, 1<<21, 1<<21)})
	shpFails(t, "ConstantOfShape 2-D shape", ops.ErrInvalidNode, "ConstantOfShape", 9, 1, []*tensor.Tensor{shpTen([]int{1, 1}, int64(2))})
	shpFails(t, "ConstantOfShape two values", ops.ErrInvalidNode, "ConstantOfShape", 9, 1, []*tensor.Tensor{shpI64(2)}, attrTensor("value", shpTen([]int{2}, float32(1), 2)))
}

func TestShpRange(t *testing.T) {
	shpEq(t, "Range int32", mustEval(t, "Range", 11, 1, []*tensor.Tensor{tensor.Scalar(int32(3)), tensor.Scalar(int32(9)), tensor.Scalar(int32(3))})[0], shpTen([]int{2}, int32(3), 6))
	shpEq(t, "Range negative delta", mustEval(t, "Range", 11, 1, []*tensor.Tensor{tensor.Scalar(int16(10)), tensor.Scalar(int16(4)), tensor.Scalar(int16(-2))})[0], shpTen([]int{3}, int16(10), 8, 6))
	shpEq(t, "Range empty", mustEval(t, "Range", 11, 1, []*tensor.Tensor{tensor.Scalar(int64(10)), tensor.Scalar(int64(4)), tensor.Scalar(int64(2))})[0], shpI64())
	shpEq(t, "Range float", mustEval(t, "Range", 11, 1, []*tensor.Tensor{tensor.Scalar(float32(1)), tensor.Scalar(float32(2)), tensor.Scalar(float32(0.25))})[0], shpTen([]int{4}, float32(1), 1.25, 1.5, 1.75))
	shpEq(t, "Range float64", mustEval(t, "Range", 11, 1, []*tensor.Tensor{tensor.Scalar(0.0), tensor.Scalar(-1.0), tensor.Scalar(-0.5)})[0], shpTen([]int{2}, 0.0, -0.5))
	got := mustEval(t, "Range", 11, 1, []*tensor.Tensor{tensor.Scalar(tensor.NewF16(0)), tensor.Scalar(tensor.NewF16(3)), tensor.Scalar(tensor.NewF16(1))})[0]
	shpEq(t, "Range float16", got, shpTen([]int{3}, tensor.NewF16(0), tensor.NewF16(1), tensor.NewF16(2)))
	big := int64(math.MaxInt64 - 2)
	shpEq(t, "Range near MaxInt64", mustEval(t, "Range", 11, 1, []*tensor.Tensor{tensor.Scalar(big), tensor.Scalar(int64(math.MaxInt64)), tensor.Scalar(int64(1))})[0], shpI64(big, big+1))
	shpFails(t, "Range delta 0", ops.ErrInvalidNode, "Range", 11, 1, []*tensor.Tensor{tensor.Scalar(int32(0)), tensor.Scalar(int32(3)), tensor.Scalar(int32(0))})
	shpFails(t, "Range NaN", ops.ErrInvalidNode, "Range", 11, 1, []*tensor.Tensor{tensor.Scalar(float32(0)), tensor.Scalar(float32(math.NaN())), tensor.Scalar(float32(1))})
	shpFails(t, "Range too long", ops.ErrInvalidNode, "Range", 11, 1, []*tensor.Tensor{tensor.Scalar(float32(0)), tensor.Scalar(float32(1e30)), tensor.Scalar(float32(1e-30))})
	shpFails(t, "Range uint8", ops.ErrInvalidNode, "Range", 11, 1, []*tensor.Tensor{tensor.Scalar(uint8(0)), tensor.Scalar(uint8(3)), tensor.Scalar(uint8(1))})
	shpFails(t, "Range not scalar", ops.ErrInvalidNode, "Range", 11, 1, []*tensor.Tensor{shpI64(0, 1), tensor.Scalar(int64(3)), tensor.Scalar(int64(1))})
}

func TestShpEyeLike(t *testing.T) {
	x := tensor.Must(tensor.New(tensor.Int32, 3, 4))
	shpEq(t, "EyeLike", mustEval(t, "EyeLike", 9, 1, []*tensor.Tensor{x})[0], shpTen([]int{3, 4}, int32(1), 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0))
	shpEq(t, "EyeLike k=1 float64", mustEval(t, "EyeLike", 9, 1, []*tensor.Tensor{x}, attrInt("k", 1), attrInt("dtype", int64(tensor.Float64)))[0],
		shpTen([]int{3, 4}, 0.0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1))
	shpEq(t, "EyeLike k=-2 bool", mustEval(t, "EyeLike", 22, 1, []*tensor.Tensor{x}, attrInt("k", -2), attrInt("dtype", int64(tensor.Bool)))[0],
		shpTen([]int{3, 4}, false, false, false, false, false, false, false, false, true, false, false, false))
	shpEq(t, "EyeLike k huge", mustEval(t, "EyeLike", 9, 1, []*tensor.Tensor{x}, attrInt("k", math.MaxInt64))[0], tensor.Must(tensor.New(tensor.Int32, 3, 4)))
	shpEq(t, "EyeLike empty", mustEval(t, "EyeLike", 9, 1, []*tensor.Tensor{shpIota(0, 2)})[0], shpIota(0, 2))
	shpFails(t, "EyeLike 3-D", ops.ErrInvalidNode, "EyeLike", 9, 1, []*tensor.Tensor{shpIota(1, 1, 1)})
	shpFails(t, "EyeLike string dtype", ops.ErrInvalidNode, "EyeLike", 9, 1, []*tensor.Tensor{x}, attrInt("dtype", int64(tensor.String)))
	shpFails(t, "EyeLike bad dtype", ops.ErrInvalidNode, "EyeLike", 9, 1, []*tensor.Tensor{x}, attrInt("dtype", 99))
}
