package ops

import (
	"errors"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// redShape builds a shape from ints (known), strings (symbolic) and -1
// (unknown).
func redShape(dims ...any) ir.Shape {
	s := ir.Shape{}
	for _, d := range dims {
		switch d := d.(type) {
		case int:
			if d < 0 {
				s = append(s, ir.UnknownDim)
			} else {
				s = append(s, ir.DimOf(int64(d)))
			}
		case string:
			s = append(s, ir.SymDim(d))
		}
	}
	return s
}

func redAxesIn(v ...int64) TypeShape { return Known(tensor.Must(tensor.FromSlice(v, len(v)))) }

func redWant(t *testing.T, what string, got []TypeShape, err error, dt tensor.DType, want ir.Shape) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if got[0].DType != dt || (got[0].Shape == nil) != (want == nil) || got[0].Shape.String() != want.String() {
		t.Errorf("%s: got %v, want %v[%v]", what, got[0], dt, want)
	}
}

func TestRedSchemaVersions(t *testing.T) {
	for _, c := range []struct {
		op        string
		opset     int64
		since     int64
		axesInput bool
	}{
		{"ReduceSum", 6, 1, false}, {"ReduceSum", 11, 11, false}, {"ReduceSum", 12, 11, false},
		{"ReduceSum", 13, 13, true}, {"ReduceSum", 22, 13, true},
		{"ReduceMean", 13, 13, false}, {"ReduceMean", 17, 13, false}, {"ReduceMean", 18, 18, true},
		{"ReduceMax", 12, 12, false}, {"ReduceMax", 19, 18, true}, {"ReduceMax", 20, 20, true},
		{"ReduceLogSumExp", 18, 18, true}, {"ReduceL2", 10, 1, false},
	} {
		s := LookupSchema("", c.op, c.opset)
		if s == nil || s.Since != c.since {
			t.Errorf("%s at %d: schema %+v, want since %d", c.op, c.opset, s, c.since)
			continue
		}
		if got := s.Attr("axes") == nil; got != c.axesInput || (s.MaxInputs == 2) != c.axesInput {
			t.Errorf("%s at %d: axes input = %v, want %v", c.op, c.opset, got, c.axesInput)
		}
		if d := s.Attr("keepdims"); d == nil || d.Default != int64(1) {
			t.Errorf("%s at %d: keepdims default %v", c.op, c.opset, d)
		}
	}
	for _, c := range []struct {
		op           string
		opset, since int64
	}{
		{"Softmax", 6, 1}, {"Softmax", 12, 11}, {"Softmax", 13, 13}, {"LogSoftmax", 22, 13}, {"Hardmax", 11, 11},
		{"ArgMax", 11, 11}, {"ArgMax", 12, 12}, {"ArgMin", 22, 13}, {"CumSum", 13, 11}, {"CumSum", 14, 14},
		{"TopK", 9, 1}, {"TopK", 10, 10}, {"TopK", 22, 11},
	} {
		if s := LookupSchema("", c.op, c.opset); s == nil || s.Since != c.since {
			t.Errorf("%s at %d: schema %+v, want since %d", c.op, c.opset, s, c.since)
		}
	}
	if d := LookupSchema("", "Softmax", 11).Attr("axis"); d.Default != int64(1) {
		t.Errorf("Softmax-11 axis default %v, want 1", d.Default)
	}
	if d := LookupSchema("", "Softmax", 13).Attr("axis"); d.Default != int64(-1) {
		t.Errorf("Softmax-13 axis default %v, want -1", d.Default)
	}
}

func TestRedInferReduce(t *testing.T) {
	f := tensor.Float32
	x := Ranked(f, redShape("N", 3, -1, 5))
	cases := []struct {
		what  string
		op    string
		opset int64
		in    []TypeShape
		attrs []*ir.Attribute
		want  ir.Shape
	}{
		{"all, keep", "ReduceSum", 11, []TypeShape{x}, nil, redShape(1, 1, 1, 1)},
		{"all, no keep", "ReduceMean", 11, []TypeShape{x}, []*ir.Attribute{attrInt("keepdims", 0)}, redShape()},
		{"attr axes", "ReduceMax", 13, []TypeShape{x}, []*ir.Attribute{attrInts("axes", 1, -1)}, redShape("N", 1, -1, 1)},
		{"attr axes, no keep", "ReduceMax", 13, []TypeShape{x}, []*ir.Attribute{attrInts("axes", 1, -1), attrInt("keepdims", 0)}, redShape("N", -1)},
		{"input axes", "ReduceSum", 13, []TypeShape{x, redAxesIn(0)}, []*ir.Attribute{attrInt("keepdims", 0)}, redShape(3, -1, 5)},
		{"empty axes input", "ReduceSum", 13, []TypeShape{x, redAxesIn()}, nil, redShape(1, 1, 1, 1)},
		{"noop", "ReduceSum", 13, []TypeShape{x}, []*ir.Attribute{attrInt("noop_with_empty_axes", 1)}, redShape("N", 3, -1, 5)},
		{"noop empty input", "ReduceL1", 18, []TypeShape{x, redAxesIn()}, []*ir.Attribute{attrInt("noop_with_empty_axes", 1)}, redShape("N", 3, -1, 5)},
		{"unknown axes, keep", "ReduceSum", 13, []TypeShape{Ranked(f, redShape("N", 1, 4)), Of(tensor.Int64, 1)}, nil, redShape(-1, 1, -1)},
		{"unknown axes, no keep, known count", "ReduceSum", 13, []TypeShape{x, Of(tensor.Int64, 2)}, []*ir.Attribute{attrInt("keepdims", 0)}, redShape(-1, -1)},
		{"unknown axes, no keep", "ReduceSum", 13, []TypeShape{x, Ranked(tensor.Int64, redShape("k"))}, []*ir.Attribute{attrInt("keepdims", 0)}, nil},
		{"unknown rank", "ReduceProd", 13, []TypeShape{Unranked(f)}, nil, nil},
		{"scalar", "ReduceSum", 13, []TypeShape{Of(f)}, nil, redShape()},
	}
	for _, c := range cases {
		got, err := testInfer("", c.op, c.opset, 1, c.in, c.attrs...)
		redWant(t, c.what, got, err, f, c.want)
	}
	for _, c := range []struct {
		what  string
		op    string
		opset int64
		in    []TypeShape
		attrs []*ir.Attribute
	}{
		{"axis out of range", "ReduceSum", 11, []TypeShape{x}, []*ir.Attribute{attrInts("axes", 4)}},
		{"negative axis out of range", "ReduceSum", 13, []TypeShape{x, redAxesIn(-5)}, nil},
		{"repeated axis", "ReduceMin", 18, []TypeShape{x, redAxesIn(1, -3)}, nil},
		{"int32 axes", "ReduceMin", 18, []TypeShape{x, Of(tensor.Int32, 1)}, nil},
		{"bool data", "ReduceSum", 13, []TypeShape{Of(tensor.Bool, 2)}, nil},
		{"bool max before 20", "ReduceMax", 18, []TypeShape{Of(tensor.Bool, 2)}, nil},
		{"int8 max before 12", "ReduceMax", 11, []TypeShape{Of(tensor.Int8, 2)}, nil},
		{"bfloat16 before 13", "ReduceMean", 11, []TypeShape{Of(tensor.BFloat16, 2)}, nil},
		{"axes input at opset 11", "ReduceMean", 11, []TypeShape{x, redAxesIn(0)}, nil},
		{"too many axes", "ReduceSum", 13, []TypeShape{Of(f, 2), Of(tensor.Int64, 3)}, []*ir.Attribute{attrInt("keepdims", 0)}},
	} {
		if _, err := testInfer("", c.op, c.opset, 1, c.in, c.attrs...); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("%s: err = %v, want ErrInvalidNode", c.what, err)
		}
	}
	if got, err := testInfer("", "ReduceMax", 20, 1, []TypeShape{Of(tensor.Bool, 2, 3)}); err != nil || got[0].DType != tensor.Bool {
		t.Errorf("bool ReduceMax-20: %v, %v", got, err)
	}
}

func TestRedInferAxisOps(t *testing.T) {
	f := tensor.Float32
	x := Ranked(f, redShape("N", 3, 5))
	got, err := testInfer("", "Softmax", 13, 1, []TypeShape{x})
	redWant(t, "Softmax", got, err, f, redShape("N", 3, 5))
	for _, c := range []struct {
		op    string
		opset int64
		axis  int64
	}{{"Softmax", 13, 3}, {"LogSoftmax", 11, -4}, {"Hardmax", 13, 7}} {
		if _, err := testInfer("", c.op, c.opset, 1, []TypeShape{x}, attrInt("axis", c.axis)); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("%s axis %d: err = %v, want ErrInvalidNode", c.op, c.axis, err)
		}
	}
	if _, err := testInfer("", "Softmax", 13, 1, []TypeShape{Of(tensor.Int32, 3)}); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("int Softmax: err = %v", err)
	}

	got, err = testInfer("", "ArgMax", 13, 1, []TypeShape{x}, attrInt("axis", -1))
	redWant(t, "ArgMax keep", got, err, tensor.Int64, redShape("N", 3, 1))
	got, err = testInfer("", "ArgMin", 11, 1, []TypeShape{x}, attrInt("keepdims", 0))
	redWant(t, "ArgMin no keep", got, err, tensor.Int64, redShape(3, 5))
	if _, err := testInfer("", "ArgMax", 13, 1, []TypeShape{x}, attrInt("axis", 3)); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("ArgMax axis 3: err = %v", err)
	}
	if _, err := testInfer("", "ArgMax", 13, 1, []TypeShape{Of(f, 2, 0)}, attrInt("axis", 1)); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("ArgMax over empty axis: err = %v", err)
	}

	got, err = testInfer("", "CumSum", 14, 1, []TypeShape{x, Known(tensor.Scalar(int32(-1)))})
	redWant(t, "CumSum", got, err, f, redShape("N", 3, 5))
	if _, err := testInfer("", "CumSum", 14, 1, []TypeShape{x, Known(tensor.Scalar(int64(3)))}); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("CumSum axis 3: err = %v", err)
	}

	got, err = testInfer("", "TopK", 11, 2, []TypeShape{x, redAxesIn(2)}, attrInt("axis", 1))
	redWant(t, "TopK", got, err, f, redShape("N", 2, 5))
	if err == nil {
		redWant(t, "TopK indices", got[1:], nil, tensor.Int64, redShape("N", 2, 5))
	}
	got, err = testInfer("", "TopK", 11, 2, []TypeShape{x, Of(tensor.Int64, 1)})
	redWant(t, "TopK unknown k", got, err, f, redShape("N", 3, -1))
	got, err = testInfer("", "TopK", 1, 2, []TypeShape{x}, attrInt("k", 4))
	redWant(t, "TopK-1", got, err, f, redShape("N", 3, 4))
	for _, c := range []struct {
		what  string
		opset int64
		in    []TypeShape
		attrs []*ir.Attribute
	}{
		{"k too large", 11, []TypeShape{x, redAxesIn(6)}, nil},
		{"k negative", 11, []TypeShape{x, redAxesIn(-1)}, nil},
		{"k two values", 11, []TypeShape{x, redAxesIn(1, 2)}, nil},
		{"k missing", 1, []TypeShape{x}, nil},
		{"int input at 10", 10, []TypeShape{Of(tensor.Int64, 4), redAxesIn(1)}, nil},
	} {
		if _, err := testInfer("", "TopK", c.opset, 2, c.in, c.attrs...); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("TopK %s: err = %v, want ErrInvalidNode", c.what, err)
		}
	}
}
