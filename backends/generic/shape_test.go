package generic

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// shpTen returns a tensor of the given shape holding v (not copied).
func shpTen[T tensor.Elem](shape []int, v ...T) *tensor.Tensor {
	return tensor.Must(tensor.FromSlice(v, shape...))
}

// shpI64 returns a 1-D int64 tensor.
func shpI64(v ...int64) *tensor.Tensor { return shpTen([]int{len(v)}, v...) }

// shpIota returns a float32 tensor of shape holding 0, 1, 2, ...
func shpIota(shape ...int) *tensor.Tensor {
	x := tensor.Must(tensor.New(tensor.Float32, shape...))
	for i := range tensor.Data[float32](x) {
		tensor.Data[float32](x)[i] = float32(i)
	}
	return x
}

// shpAs converts a float32 tensor to dt (strings as their decimal form).
func shpAs(x *tensor.Tensor, dt tensor.DType) *tensor.Tensor {
	y := tensor.Must(tensor.New(dt, x.Shape()...))
	el := shpElemsOf(dt)
	for i, v := range tensor.Data[float32](x) {
		var e any
		if dt == tensor.String {
			e = fmt.Sprint(v)
		} else {
			e = shpNumber(dt, float64(v))
		}
		el.fill(y.Raw(), i, 1, e)
	}
	return y
}

// shpEq fails t unless got has want's dtype, shape and (exactly) elements.
func shpEq(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no output", what)
	}
	if got.DType() != want.DType() || !tensor.SameShape(got.Shape(), want.Shape()) || !reflect.DeepEqual(got.Raw(), want.Raw()) {
		t.Fatalf("%s:\ngot  %v %v\nwant %v %v", what, got, got.Raw(), want, want.Raw())
	}
}

// shpFails fails t unless running the node fails with an error wrapping
// target (any error when target is nil).
func shpFails(t *testing.T, what string, target error, op string, opset int64, nOut int, in []*tensor.Tensor, attrs ...*ir.Attribute) {
	t.Helper()
	_, err := evalNode("", op, opset, nOut, in, attrs...)
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	if target != nil && !errors.Is(err, target) {
		t.Fatalf("%s: error %v does not wrap %v", what, err, target)
	}
}

// shpSameData reports whether a and b share their backing array.
func shpSameData(a, b *tensor.Tensor) bool {
	if a.Len() == 0 || b.Len() == 0 {
		return a.Len() == b.Len()
	}
	return reflect.ValueOf(a.Raw()).Pointer() == reflect.ValueOf(b.Raw()).Pointer()
}

// shpAllTypes are the dtypes copying ops must handle.
var shpAllTypes = []tensor.DType{
	tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16, tensor.Int8, tensor.Int16,
	tensor.Int32, tensor.Int64, tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64,
	tensor.Bool, tensor.String, tensor.Complex64, tensor.Complex128,
}

func TestShpElemsStrided(t *testing.T) {
	// A 3-D transpose through the layout, against direct indexing.
	x := shpIota(2, 3, 4)
	y := tensor.Must(tensor.New(tensor.Float32, 4, 2, 3))
	var l shpLayout
	l.reset(3)
	copy(l.dims, []int{4, 2, 3})
	copy(l.src, []int{1, 12, 4})
	l.setDst()
	shpCopyBox(shpElemsOf(tensor.Float32), y, x, 0, 0, &l)
	xd, yd := tensor.Data[float32](x), tensor.Data[float32](y)
	for k := range 4 {
		for i := range 2 {
			for j := range 3 {
				if yd[k*6+i*3+j] != xd[i*12+j*4+k] {
					t.Fatalf("y[%d,%d,%d] = %v, want %v", k, i, j, yd[k*6+i*3+j], xd[i*12+j*4+k])
				}
			}
		}
	}
	// simplify merges contiguous dims and drops ones.
	l.reset(4)
	copy(l.dims, []int{2, 1, 3, 4})
	copy(l.src, []int{12, 99, 4, 1})
	l.setDst()
	if !l.simplify() || len(l.dims) != 1 || l.dims[0] != 24 {
		t.Fatalf("simplify: dims %v strides %v %v", l.dims, l.dst, l.src)
	}
	l.reset(2)
	copy(l.dims, []int{2, 0})
	if l.simplify() {
		t.Fatalf("simplify of an empty box reports non-empty")
	}
	// Ranks past the inline buffer still work.
	big := make([]int, shpMaxInline+2)
	for i := range big {
		big[i] = 1
	}
	big[0], big[len(big)-1] = 2, 3
	x = shpIota(big...)
	perm := make([]int64, len(big))
	for i := range perm {
		perm[i] = int64(len(big) - 1 - i)
	}
	got := mustEval(t, "Transpose", 13, 1, []*tensor.Tensor{x}, attrInts("perm", perm...))[0]
	wantShape := make([]int, len(big))
	for i := range wantShape {
		wantShape[i] = 1
	}
	wantShape[0], wantShape[len(big)-1] = 3, 2
	want := shpTen(wantShape, float32(0), 3, 1, 4, 2, 5)
	shpEq(t, "Transpose of rank 18", got, want)
}

func TestShpShapeSize(t *testing.T) {
	x := shpIota(2, 3, 4)
	shpEq(t, "Shape", mustEval(t, "Shape", 13, 1, []*tensor.Tensor{x})[0], shpI64(2, 3, 4))
	shpEq(t, "Shape start -2", mustEval(t, "Shape", 15, 1, []*tensor.Tensor{x}, attrInt("start", -2))[0], shpI64(3, 4))
	shpEq(t, "Shape end 1", mustEval(t, "Shape", 15, 1, []*tensor.Tensor{x}, attrInt("end", 1))[0], shpI64(2))
	shpEq(t, "Shape start > end", mustEval(t, "Shape", 15, 1, []*tensor.Tensor{x}, attrInt("start", 2), attrInt("end", 1))[0], shpI64())
	shpEq(t, "Shape of a scalar", mustEval(t, "Shape", 13, 1, []*tensor.Tensor{tensor.Scalar("s")})[0], shpI64())
	shpEq(t, "Shape of an empty tensor", mustEval(t, "Shape", 13, 1, []*tensor.Tensor{shpIota(0, 5)})[0], shpI64(0, 5))
	shpEq(t, "Size", mustEval(t, "Size", 13, 1, []*tensor.Tensor{x})[0], tensor.Scalar(int64(24)))
	shpEq(t, "Size of a scalar", mustEval(t, "Size", 13, 1, []*tensor.Tensor{tensor.Scalar(true)})[0], tensor.Scalar(int64(1)))
	shpEq(t, "Size of an empty tensor", mustEval(t, "Size", 13, 1, []*tensor.Tensor{shpIota(3, 0)})[0], tensor.Scalar(int64(0)))
}

func TestShpReshape(t *testing.T) {
	x := shpIota(2, 3, 4)
	for _, c := range []struct {
		shape     []int64
		allowZero int64
		want      []int
	}{
		{[]int64{4, -1}, 0, []int{4, 6}},
		{[]int64{0, -1}, 0, []int{2, 12}},
		{[]int64{0, 0, 2, 2}, 0, []int{2, 3, 2, 2}},
		{[]int64{-1}, 0, []int{24}},
		{[]int64{2, 3, 4}, 1, []int{2, 3, 4}},
		{[]int64{1, 1, 24, 1}, 0, []int{1, 1, 24, 1}},
	} {
		y := mustEval(t, "Reshape", 14, 1, []*tensor.Tensor{x, shpI64(c.shape...)}, attrInt("allowzero", c.allowZero))[0]
		if !tensor.SameShape(y.Shape(), c.want) || !shpSameData(x, y) || !reflect.DeepEqual(y.Raw(), x.Raw()) {
			t.Errorf("Reshape to %v: got %v, want shape %v sharing the input's data", c.shape, y, c.want)
		}
	}
	s := shpTen([]int{1}, "a")
	shpEq(t, "Reshape to a scalar", mustEval(t, "Reshape", 14, 1, []*tensor.Tensor{s, shpI64()})[0], tensor.Scalar("a"))
	e := shpIota(0, 4)
	shpEq(t, "Reshape empty with -1", mustEval(t, "Reshape", 14, 1, []*tensor.Tensor{e, shpI64(-1, 2)})[0], shpIota(0, 2))
	shpEq(t, "Reshape allowzero", mustEval(t, "Reshape", 14, 1, []*tensor.Tensor{e, shpI64(4, 0)}, attrInt("allowzero", 1))[0], shpIota(4, 0))
	shpEq(t, "Reshape opset 1", mustEval(t, "Reshape", 1, 1, []*tensor.Tensor{x}, attrInts("shape", 6, 4))[0], shpIota(6, 4))

	shpFails(t, "Reshape count", ops.ErrShapeMismatch, "Reshape", 14, 1, []*tensor.Tensor{x, shpI64(5, 5)})
	shpFails(t, "Reshape two -1", ops.ErrInvalidNode, "Reshape", 14, 1, []*tensor.Tensor{x, shpI64(-1, -1)})
	shpFails(t, "Reshape -1 not dividing", ops.ErrShapeMismatch, "Reshape", 14, 1, []*tensor.Tensor{x, shpI64(5, -1)})
	shpFails(t, "Reshape ambiguous -1", ops.ErrShapeMismatch, "Reshape", 14, 1, []*tensor.Tensor{e, shpI64(0, -1)})
	shpFails(t, "Reshape copy past rank", ops.ErrInvalidNode, "Reshape", 14, 1, []*tensor.Tensor{x, shpI64(0, 0, 0, 0)})
	shpFails(t, "Reshape 0 and -1 with allowzero", ops.ErrInvalidNode, "Reshape", 14, 1, []*tensor.Tensor{e, shpI64(0, -1)}, attrInt("allowzero", 1))
	shpFails(t, "Reshape huge", ops.ErrInvalidNode, "Reshape", 14, 1, []*tensor.Tensor{x, shpI64(1<<41, 1<<41)})

	// The kernel alone, with shapes only known at run time.
	k := shpKernel(t, "Reshape", 14, []ops.TypeShape{ops.Ranked(tensor.Float32, nil), {DType: tensor.Int64}}, 1)
	out := make([]*tensor.Tensor, 1)
	if err := k.Run(&ops.ExecContext{}, []*tensor.Tensor{x, shpI64(3, 8)}, out); err != nil || !tensor.SameShape(out[0].Shape(), []int{3, 8}) {
		t.Fatalf("Reshape kernel: %v %v", out[0], err)
	}
	if err := k.Run(&ops.ExecContext{}, []*tensor.Tensor{x, shpI64(3, 7)}, out); !errors.Is(err, ops.ErrShapeMismatch) {
		t.Fatalf("Reshape kernel with a bad shape: %v", err)
	}
}

// shpKernel builds op's generic kernel for a node with the given input
// types, as a session would at compile time.
func shpKernel(t *testing.T, op string, opset int64, in []ops.TypeShape, nOut int, attrs ...*ir.Attribute) ops.Kernel {
	t.Helper()
	node := &ir.Node{OpType: op, Attrs: attrs}
	for i := range in {
		node.Inputs = append(node.Inputs, fmt.Sprintf("x%d", i))
	}
	for i := range nOut {
		node.Outputs = append(node.Outputs, fmt.Sprintf("y%d", i))
	}
	n := &ops.Node{Node: node, Schema: ops.LookupSchema("", op, opset), Opset: opset, In: in}
	k := genericKernel(t, n)
	return k
}

func TestShpFlattenSqueezeUnsqueeze(t *testing.T) {
	x := shpAs(shpIota(2, 3, 4), tensor.String)
	for axis, want := range map[int64][]int{0: {1, 24}, 1: {2, 12}, 2: {6, 4}, 3: {24, 1}, -1: {6, 4}, -2: {2, 12}, -3: {1, 24}} {
		y := mustEval(t, "Flatten", 13, 1, []*tensor.Tensor{x}, attrInt("axis", axis))[0]
		if !tensor.SameShape(y.Shape(), want) || !shpSameData(x, y) {
			t.Errorf("Flatten axis %d: %v, want shape %v sharing data", axis, y, want)
		}
	}
	shpEq(t, "Flatten default", mustEval(t, "Flatten", 13, 1, []*tensor.Tensor{shpIota(2, 0, 3)})[0], shpIota(2, 0))
	shpEq(t, "Flatten scalar", mustEval(t, "Flatten", 13, 1, []*tensor.Tensor{tensor.Scalar(int8(7))}, attrInt("axis", 0))[0], shpTen([]int{1, 1}, int8(7)))
	shpFails(t, "Flatten axis 4", ops.ErrInvalidNode, "Flatten", 13, 1, []*tensor.Tensor{x}, attrInt("axis", 4))

	b := shpTen([]int{1, 3, 1}, true, false, true)
	y := mustEval(t, "Squeeze", 13, 1, []*tensor.Tensor{b})[0]
	shpEq(t, "Squeeze all", y, shpTen([]int{3}, true, false, true))
	if !shpSameData(b, y) {
		t.Errorf("Squeeze copies")
	}
	shpEq(t, "Squeeze -1", mustEval(t, "Squeeze", 13, 1, []*tensor.Tensor{b, shpI64(-1)})[0], shpTen([]int{1, 3}, true, false, true))
	shpEq(t, "Squeeze 11", mustEval(t, "Squeeze", 11, 1, []*tensor.Tensor{b}, attrInts("axes", 0))[0], shpTen([]int{3, 1}, true, false, true))
	shpEq(t, "Squeeze to scalar", mustEval(t, "Squeeze", 13, 1, []*tensor.Tensor{shpTen([]int{1, 1}, 5.0)})[0], tensor.Scalar(5.0))
	shpEq(t, "Squeeze empty", mustEval(t, "Squeeze", 13, 1, []*tensor.Tensor{shpIota(1, 0), shpI64(0)})[0], shpIota(0))
	shpFails(t, "Squeeze dim 3", ops.ErrInvalidNode, "Squeeze", 13, 1, []*tensor.Tensor{b, shpI64(1)})
	shpFails(t, "Squeeze axis 3", ops.ErrInvalidNode, "Squeeze", 13, 1, []*tensor.Tensor{b, shpI64(3)})

	u := mustEval(t, "Unsqueeze", 13, 1, []*tensor.Tensor{b, shpI64(-1, 0)})[0]
	shpEq(t, "Unsqueeze", u, shpTen([]int{1, 1, 3, 1, 1}, true, false, true))
	if !shpSameData(b, u) {
		t.Errorf("Unsqueeze copies")
	}
	shpEq(t, "Unsqueeze scalar", mustEval(t, "Unsqueeze", 13, 1, []*tensor.Tensor{tensor.Scalar(int64(3)), shpI64(0)})[0], shpI64(3))
	shpEq(t, "Unsqueeze 1", mustEval(t, "Unsqueeze", 1, 1, []*tensor.Tensor{shpIota(2)}, attrInts("axes", 1))[0], shpIota(2, 1))
	shpFails(t, "Unsqueeze repeated", ops.ErrInvalidNode, "Unsqueeze", 13, 1, []*tensor.Tensor{b, shpI64(0, -5)})
	shpFails(t, "Unsqueeze out of range", ops.ErrInvalidNode, "Unsqueeze", 13, 1, []*tensor.Tensor{b, shpI64(5)})
}

func TestShpIdentityDropout(t *testing.T) {
	for _, dt := range shpAllTypes {
		x := shpAs(shpIota(2, 3), dt)
		y := mustEval(t, "Identity", 16, 1, []*tensor.Tensor{x})[0]
		shpEq(t, "Identity "+dt.String(), y, x)
		if !shpSameData(x, y) {
			t.Errorf("Identity %v copies", dt)
		}
	}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16} {
		x := shpAs(shpIota(2, 3), dt)
		out := mustEval(t, "Dropout", 13, 2, []*tensor.Tensor{x, tensor.Scalar(float32(0.3)), tensor.Scalar(false)})
		shpEq(t, "Dropout "+dt.String(), out[0], x)
		if !shpSameData(x, out[0]) {
			t.Errorf("Dropout %v copies", dt)
		}
		shpEq(t, "Dropout mask", out[1], shpTen([]int{2, 3}, true, true, true, true, true, true))
		out = mustEval(t, "Dropout", 7, 2, []*tensor.Tensor{x})
		shpEq(t, "Dropout 7 mask", out[1], shpAs(shpTen([]int{2, 3}, float32(1), 1, 1, 1, 1, 1), dt))
	}
	x := shpIota(3)
	out := mustEval(t, "Dropout", 12, 2, []*tensor.Tensor{x, tensor.Scalar(0.0), tensor.Scalar(true)})
	shpEq(t, "Dropout training with ratio 0", out[0], x)
	shpEq(t, "Dropout 6 is_test", mustEval(t, "Dropout", 6, 1, []*tensor.Tensor{x}, attrInt("is_test", 1))[0], x)
	// Training mode (tested fully in grad_test.go): a bad ratio is an error.
	_, err := evalNode("", "Dropout", 13, 1, []*tensor.Tensor{x, tensor.Scalar(float32(1)), tensor.Scalar(true)})
	if !errors.Is(err, ops.ErrInvalidNode) {
		t.Errorf("Dropout training with ratio 1: %v", err)
	}
	k := shpKernel(t, "Dropout", 13, []ops.TypeShape{ops.Of(tensor.Float32, 3), {DType: tensor.Float32}, {DType: tensor.Bool}}, 1)
	out = make([]*tensor.Tensor, 1)
	if err := k.Run(&ops.ExecContext{}, []*tensor.Tensor{x, tensor.Scalar(float32(0.5)), tensor.Scalar(false)}, out); err != nil {
		t.Errorf("Dropout kernel in inference mode: %v", err)
	} else if !shpSameData(x, out[0]) {
		t.Errorf("Dropout kernel in inference mode copies")
	}
}
