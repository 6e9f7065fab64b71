package ops

import (
	"errors"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// qntTS is a TypeShape of dtype dt and shape s (testShape syntax).
func qntTS(dt tensor.DType, s string) TypeShape { return TypeShape{DType: dt, Shape: testShape(s)} }

// qntWant checks the dtype and shape of output i.
func qntWant(t *testing.T, what string, got []TypeShape, err error, i int, dt tensor.DType, shape string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(got) <= i {
		t.Fatalf("%s: %d outputs", what, len(got))
	}
	if got[i].DType != dt || nnShapeStr(got[i].Shape) != shape {
		t.Errorf("%s: output %d is %v[%s], want %v[%s]", what, i, got[i].DType, nnShapeStr(got[i].Shape), dt, shape)
	}
}

func TestQntInferQuantize(t *testing.T) {
	f32, u8, i8 := tensor.Float32, tensor.Uint8, tensor.Int8
	got, err := testInfer("", "QuantizeLinear", 10, 1, []TypeShape{qntTS(f32, "N,3,?"), qntTS(f32, "")})
	qntWant(t, "no zero point", got, err, 0, u8, "N,3,?")
	got, err = testInfer("", "QuantizeLinear", 13, 1, []TypeShape{qntTS(f32, "N,3,4"), qntTS(f32, "3"), qntTS(i8, "3")})
	qntWant(t, "per axis", got, err, 0, i8, "N,3,4")
	got, err = testInfer("", "QuantizeLinear", 21, 1, []TypeShape{qntTS(tensor.Float16, "2,8"), qntTS(tensor.Float16, "2,4")},
		attrInt("block_size", 2), attrInt("output_dtype", int64(tensor.Int16)))
	qntWant(t, "blocked, output_dtype", got, err, 0, tensor.Int16, "2,8")
	got, err = testInfer("", "QuantizeLinear", 21, 1, []TypeShape{qntTS(tensor.Int32, "*"), qntTS(f32, "*"), qntTS(tensor.Uint16, "*")})
	qntWant(t, "unknown ranks", got, err, 0, tensor.Uint16, "*")

	for _, c := range []struct {
		name  string
		opset int64
		in    []TypeShape
		attrs []*ir.Attribute
		unsup bool
	}{
		{"scale length", 13, []TypeShape{qntTS(f32, "2,3"), qntTS(f32, "2")}, nil, false},
		{"zero point shape", 13, []TypeShape{qntTS(f32, "2,3"), qntTS(f32, "3"), qntTS(u8, "2")}, nil, false},
		{"blocked scale", 21, []TypeShape{qntTS(f32, "2,8"), qntTS(f32, "2,3")}, []*ir.Attribute{attrInt("block_size", 2)}, false},
		{"rank 2 scale at 19", 19, []TypeShape{qntTS(f32, "2,8"), qntTS(f32, "2,4")}, []*ir.Attribute{attrInt("block_size", 2)}, false},
		{"float8 zero point", 19, []TypeShape{qntTS(f32, "2"), qntTS(f32, ""), qntTS(tensor.DType(17), "")}, nil, true},
		{"uint4 output_dtype", 21, []TypeShape{qntTS(f32, "2"), qntTS(f32, "")}, []*ir.Attribute{attrInt("output_dtype", 21)}, true},
		{"float8e8m0 scale", 24, []TypeShape{qntTS(f32, "2"), qntTS(tensor.DType(24), "")}, nil, true},
		{"bool input", 13, []TypeShape{qntTS(tensor.Bool, "2"), qntTS(f32, "")}, nil, false},
		{"float64 scale", 13, []TypeShape{qntTS(f32, "2"), qntTS(tensor.Float64, "")}, nil, false},
	} {
		_, err := testInfer("", "QuantizeLinear", c.opset, 1, c.in, c.attrs...)
		qntWantErr(t, c.name, err, c.unsup)
	}
}

// qntWantErr checks that err wraps ErrUnsupportedOp (unsup) or one of
// ErrInvalidNode and ErrShapeMismatch.
func qntWantErr(t *testing.T, what string, err error, unsup bool) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: no error", what)
	case unsup && !errors.Is(err, ErrUnsupportedOp):
		t.Errorf("%s: %v does not wrap ErrUnsupportedOp", what, err)
	case !unsup && !errors.Is(err, ErrInvalidNode) && !errors.Is(err, ErrShapeMismatch):
		t.Errorf("%s: %v wraps neither ErrInvalidNode nor ErrShapeMismatch", what, err)
	default:
		t.Logf("%s: %v", what, err)
	}
}

func TestQntInferDequantize(t *testing.T) {
	f32, u8 := tensor.Float32, tensor.Uint8
	got, err := testInfer("", "DequantizeLinear", 10, 1, []TypeShape{qntTS(u8, "N,4"), qntTS(f32, ""), qntTS(u8, "")})
	qntWant(t, "float32", got, err, 0, f32, "N,4")
	got, err = testInfer("", "DequantizeLinear", 19, 1, []TypeShape{qntTS(tensor.Int32, "5"), qntTS(tensor.Float16, "")})
	qntWant(t, "float16 scale", got, err, 0, tensor.Float16, "5")
	got, err = testInfer("", "DequantizeLinear", 23, 1, []TypeShape{qntTS(tensor.Int16, "2,6"), qntTS(f32, "2,2")},
		attrInt("block_size", 3), attrInt("output_dtype", int64(tensor.BFloat16)))
	qntWant(t, "output_dtype", got, err, 0, tensor.BFloat16, "2,6")
	for _, c := range []struct {
		name  string
		opset int64
		in    []TypeShape
		attrs []*ir.Attribute
		unsup bool
	}{
		{"float input", 13, []TypeShape{qntTS(f32, "2"), qntTS(f32, "")}, nil, false},
		{"zero point type", 13, []TypeShape{qntTS(u8, "2"), qntTS(f32, ""), qntTS(tensor.Int8, "")}, nil, false},
		{"int scale", 13, []TypeShape{qntTS(u8, "2"), qntTS(tensor.Int32, "")}, nil, false},
		{"float8 input", 19, []TypeShape{qntTS(tensor.DType(19), "2"), qntTS(f32, "")}, nil, true},
		{"axis out of range", 13, []TypeShape{qntTS(u8, "2,3"), qntTS(f32, "3")}, []*ir.Attribute{attrInt("axis", 3)}, false},
	} {
		_, err := testInfer("", "DequantizeLinear", c.opset, 1, c.in, c.attrs...)
		qntWantErr(t, c.name, err, c.unsup)
	}
}

func TestQntInferOthers(t *testing.T) {
	f32, u8, i8, i32 := tensor.Float32, tensor.Uint8, tensor.Int8, tensor.Int32
	got, err := testInfer("", "DynamicQuantizeLinear", 11, 3, []TypeShape{qntTS(f32, "B,7")})
	qntWant(t, "dynamic y", got, err, 0, u8, "B,7")
	qntWant(t, "dynamic scale", got, err, 1, f32, "")
	qntWant(t, "dynamic zero point", got, err, 2, u8, "")

	conv := []TypeShape{qntTS(u8, "N,3,8,8"), qntTS(f32, ""), qntTS(u8, ""), qntTS(i8, "4,3,3,3"), qntTS(f32, "4"), qntTS(i8, "4"),
		qntTS(f32, ""), qntTS(i8, "")}
	got, err = testInfer("", "QLinearConv", 10, 1, conv, attrInts("pads", 1, 1, 1, 1), attrInts("strides", 2, 2))
	qntWant(t, "QLinearConv", got, err, 0, i8, "N,4,4,4")
	got, err = testInfer("", "QLinearConv", 10, 1, append(append([]TypeShape(nil), conv...), qntTS(i32, "4")))
	qntWant(t, "QLinearConv with bias", got, err, 0, i8, "N,4,6,6")
	got, err = testInfer("", "ConvInteger", 10, 1, []TypeShape{qntTS(i8, "1,2,5,5"), qntTS(u8, "6,1,2,2"), qntTS(i8, ""), qntTS(u8, "6")},
		attrInt("group", 2))
	qntWant(t, "ConvInteger", got, err, 0, i32, "1,6,4,4")
	got, err = testInfer("", "ConvInteger", 10, 1, []TypeShape{qntTS(u8, "*"), qntTS(u8, "*")})
	qntWant(t, "ConvInteger unknown", got, err, 0, i32, "*")
	got, err = testInfer("", "MatMulInteger", 10, 1, []TypeShape{qntTS(u8, "B,4,8"), qntTS(i8, "8,3"), qntTS(u8, "B,4,1")})
	qntWant(t, "MatMulInteger", got, err, 0, i32, "B,4,3")
	mm := []TypeShape{qntTS(u8, "2,4"), qntTS(tensor.Float16, ""), qntTS(u8, ""), qntTS(i8, "4,3"), qntTS(tensor.Float16, ""), qntTS(i8, ""),
		qntTS(tensor.Float16, ""), qntTS(u8, "")}
	got, err = testInfer("", "QLinearMatMul", 21, 1, mm)
	qntWant(t, "QLinearMatMul", got, err, 0, u8, "2,3")
	_, err = testInfer("", "QLinearMatMul", 10, 1, mm)
	qntWantErr(t, "QLinearMatMul float16 scales at 10", err, false)
	for _, c := range []struct {
		name string
		op   string
		in   []TypeShape
	}{
		{"conv weight channels", "ConvInteger", []TypeShape{qntTS(u8, "1,3,5,5"), qntTS(u8, "2,2,3,3")}},
		{"conv w_zero_point count", "ConvInteger", []TypeShape{qntTS(u8, "1,3,5,5"), qntTS(u8, "2,3,3,3"), qntTS(u8, ""), qntTS(u8, "3")}},
		{"conv int16", "ConvInteger", []TypeShape{qntTS(tensor.Int16, "1,3,5,5"), qntTS(u8, "2,3,3,3")}},
		{"qlinearconv y_scale count", "QLinearConv", []TypeShape{qntTS(u8, "N,3,8,8"), qntTS(f32, ""), qntTS(u8, ""), qntTS(i8, "4,3,3,3"),
			qntTS(f32, "4"), qntTS(i8, "4"), qntTS(f32, "2"), qntTS(i8, "")}},
		{"matmul inner", "MatMulInteger", []TypeShape{qntTS(u8, "2,4"), qntTS(u8, "3,2")}},
		{"matmul zero point type", "MatMulInteger", []TypeShape{qntTS(u8, "2,4"), qntTS(u8, "4,2"), qntTS(i8, "")}},
	} {
		_, err := testInfer("", c.op, 10, 1, c.in)
		qntWantErr(t, c.name, err, false)
	}
}

func TestQntLayout(t *testing.T) {
	l, err := QuantLayoutOf([]int{2, 3, 4}, []int{}, 1, 0)
	if err != nil || l.Kind != QuantPerTensor || l.Inner != 24 {
		t.Errorf("per tensor: %+v %v", l, err)
	}
	l, err = QuantLayoutOf([]int{2, 3, 4}, []int{3}, -2, 0)
	if err != nil || l.Kind != QuantPerAxis || l.Outer != 2 || l.Dim != 3 || l.Inner != 4 {
		t.Errorf("per axis: %+v %v", l, err)
	}
	if b, s := l.ScaleBase(1, 2); b != 2 || s != 0 {
		t.Errorf("per axis ScaleBase(1, 2) = %d, %d", b, s)
	}
	l, err = QuantLayoutOf([]int{2, 5, 4}, []int{2, 2, 4}, 1, 3)
	if err != nil || l.Kind != QuantBlocked || l.Block != 3 {
		t.Fatalf("blocked: %+v %v", l, err)
	}
	// Element (1, 4, i) uses scale (1, 1, i): flat 1*8 + 1*4 + i.
	if b, s := l.ScaleBase(1, 4); b != 12 || s != 1 {
		t.Errorf("blocked ScaleBase(1, 4) = %d, %d", b, s)
	}
	for _, c := range []struct {
		x, s         []int
		axis, blocks int64
	}{
		{[]int{2, 3}, []int{2}, 1, 0},
		{[]int{2, 3}, []int{2, 3}, 1, 0},
		{[]int{2, 5}, []int{2, 3}, 1, 3},
		{[]int{2, 5}, []int{1, 3}, 1, 2},
		{[]int{2, 5}, []int{2, 3}, 1, -1},
		{[]int{}, []int{2}, 0, 0},
	} {
		if _, err := QuantLayoutOf(c.x, c.s, c.axis, c.blocks); err == nil {
			t.Errorf("QuantLayoutOf(%v, %v, %d, %d): no error", c.x, c.s, c.axis, c.blocks)
		}
	}
}
