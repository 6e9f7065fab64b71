package ops

import (
	"errors"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// selTS is a TypeShape of dtype dt and shape s (testShape syntax).
func selTS(dt tensor.DType, s string) TypeShape { return TypeShape{DType: dt, Shape: testShape(s)} }

// selWantInvalid checks that inference failed with an invalid-node or
// shape-mismatch error.
func selWantInvalid(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
	} else if !errors.Is(err, ErrInvalidNode) && !errors.Is(err, ErrShapeMismatch) {
		t.Errorf("%s: error %v wraps neither ErrInvalidNode nor ErrShapeMismatch", what, err)
	}
}

func TestSelectInferNonZero(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"N,3", "2,?"}, {"", "0,?"}, {"*", "?,?"}, {"2,0,4", "3,?"},
	} {
		for _, opset := range []int64{9, 13} {
			got, err := testInfer("", "NonZero", opset, 1, []TypeShape{selTS(tensor.Bool, c.in)})
			nnWantShapes(t, "NonZero "+c.in, got, err, c.want)
			if err == nil && got[0].DType != tensor.Int64 {
				t.Errorf("NonZero: output %v, want int64", got[0].DType)
			}
		}
	}
	// Even a known input leaves the count unknown: the kernel allocates.
	x := tensor.Must(tensor.FromSlice([]float32{0, 1, 2}, 3))
	got, err := testInfer("", "NonZero", 13, 1, []TypeShape{Known(x)})
	nnWantShapes(t, "NonZero known", got, err, "1,?")
}

func TestSelectInferUnique(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		attrs []*ir.Attribute
		want  []string
	}{
		{"flat", "3,4", nil, []string{"?", "?", "12", "?"}},
		{"flat symbolic", "N,4", nil, []string{"?", "?", "?", "?"}},
		{"flat symbolic x 1", "N,1", nil, []string{"?", "?", "N", "?"}},
		{"scalar", "", nil, []string{"?", "?", "1", "?"}},
		{"axis 1", "N,4,2", []*ir.Attribute{attrInt("axis", 1)}, []string{"N,?,2", "?", "4", "?"}},
		{"axis -1", "N,4,K", []*ir.Attribute{attrInt("axis", -1), attrInt("sorted", 0)}, []string{"N,4,?", "?", "K", "?"}},
		{"unranked flat", "*", nil, []string{"?", "?", "?", "?"}},
		{"unranked axis", "*", []*ir.Attribute{attrInt("axis", 0)}, []string{"*", "?", "?", "?"}},
	}
	for _, c := range cases {
		got, err := testInfer("", "Unique", 11, 4, []TypeShape{selTS(tensor.Float32, c.in)}, c.attrs...)
		nnWantShapes(t, "Unique "+c.name, got, err, c.want...)
		if err == nil {
			for i, want := range []tensor.DType{tensor.Float32, tensor.Int64, tensor.Int64, tensor.Int64} {
				if got[i].DType != want {
					t.Errorf("Unique %s: output %d is %v, want %v", c.name, i, got[i].DType, want)
				}
			}
		}
	}
	for _, c := range []struct {
		name  string
		in    string
		attrs []*ir.Attribute
	}{
		{"axis out of range", "3,4", []*ir.Attribute{attrInt("axis", 2)}},
		{"axis below range", "3,4", []*ir.Attribute{attrInt("axis", -3)}},
		{"axis of scalar", "", []*ir.Attribute{attrInt("axis", 0)}},
		{"sorted 2", "3", []*ir.Attribute{attrInt("sorted", 2)}},
		{"sorted -1 unranked", "*", []*ir.Attribute{attrInt("sorted", -1)}},
	} {
		_, err := testInfer("", "Unique", 11, 1, []TypeShape{selTS(tensor.Float32, c.in)}, c.attrs...)
		selWantInvalid(t, "Unique "+c.name, err)
	}
	if _, err := testInfer("", "Unique", 11, 5, []TypeShape{selTS(tensor.Float32, "3")}); err == nil {
		t.Error("Unique with 5 outputs: no error")
	}
	if s := LookupSchema("", "Unique", 10); s != nil {
		t.Error("Unique exists before opset 11")
	}
}

func TestSelectInferCompress(t *testing.T) {
	cond := selTS(tensor.Bool, "?")
	for _, c := range []struct {
		name  string
		in    string
		attrs []*ir.Attribute
		want  string
	}{
		{"no axis", "3,N", nil, "?"},
		{"axis 1", "3,N", []*ir.Attribute{attrInt("axis", 1)}, "3,?"},
		{"axis -2", "3,N", []*ir.Attribute{attrInt("axis", -2)}, "?,N"},
		{"unranked", "*", []*ir.Attribute{attrInt("axis", 0)}, "*"},
		{"unranked flat", "*", nil, "?"},
	} {
		for _, opset := range []int64{9, 11} {
			got, err := testInfer("", "Compress", opset, 1, []TypeShape{selTS(tensor.Int32, c.in), cond}, c.attrs...)
			nnWantShapes(t, "Compress "+c.name, got, err, c.want)
		}
	}
	for _, c := range []struct {
		name    string
		in, c   TypeShape
		attrs   []*ir.Attribute
		wantErr bool
	}{
		{"axis out of range", selTS(tensor.Float32, "3,4"), cond, []*ir.Attribute{attrInt("axis", 2)}, true},
		{"axis of scalar", selTS(tensor.Float32, ""), cond, []*ir.Attribute{attrInt("axis", 0)}, true},
		{"int condition", selTS(tensor.Float32, "3"), selTS(tensor.Int64, "3"), nil, true},
		{"2-D condition", selTS(tensor.Float32, "3"), selTS(tensor.Bool, "1,3"), nil, true},
	} {
		_, err := testInfer("", "Compress", 11, 1, []TypeShape{c.in, c.c}, c.attrs...)
		selWantInvalid(t, "Compress "+c.name, err)
	}
}

func TestSelectInferReverseSequence(t *testing.T) {
	lens := selTS(tensor.Int64, "B")
	got, err := testInfer("", "ReverseSequence", 10, 1, []TypeShape{selTS(tensor.String, "T,B,5"), lens})
	nnWantShapes(t, "time-major", got, err, "T,B,5")
	got, err = testInfer("", "ReverseSequence", 10, 1, []TypeShape{selTS(tensor.Float32, "4,T"), selTS(tensor.Int64, "4")},
		attrInt("batch_axis", 0), attrInt("time_axis", 1))
	nnWantShapes(t, "batch-major", got, err, "4,T")
	for _, c := range []struct {
		name  string
		x, l  TypeShape
		attrs []*ir.Attribute
	}{
		{"same axes", selTS(tensor.Float32, "3,4"), selTS(tensor.Int64, "4"), []*ir.Attribute{attrInt("batch_axis", 0), attrInt("time_axis", 0)}},
		{"axis 2", selTS(tensor.Float32, "3,4,5"), selTS(tensor.Int64, "5"), []*ir.Attribute{attrInt("batch_axis", 2)}},
		{"rank 1", selTS(tensor.Float32, "3"), selTS(tensor.Int64, "3"), nil},
		{"lens rank 2", selTS(tensor.Float32, "3,4"), selTS(tensor.Int64, "4,1"), nil},
		{"lens int32", selTS(tensor.Float32, "3,4"), selTS(tensor.Int32, "4"), nil},
		{"batch mismatch", selTS(tensor.Float32, "3,4"), selTS(tensor.Int64, "3"), nil},
	} {
		_, err := testInfer("", "ReverseSequence", 10, 1, []TypeShape{c.x, c.l}, c.attrs...)
		selWantInvalid(t, "ReverseSequence "+c.name, err)
	}
}
