package ops

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func shpMustInfer(t *testing.T, op string, opset int64, nOut int, in []TypeShape, attrs ...*ir.Attribute) []TypeShape {
	t.Helper()
	out, err := testInfer("", op, opset, nOut, in, attrs...)
	if err != nil {
		t.Fatalf("%s opset %d: %v", op, opset, err)
	}
	return out
}

func shpF(s string) TypeShape { return Ranked(tensor.Float32, testShape(s)) }

// shpV returns a known int64 1-D value.
func shpV(v ...int64) TypeShape { return Known(tensor.Must(tensor.FromSlice(v, len(v)))) }

var shpAbsent = TypeShape{Absent: true}

func shpWantShape(t *testing.T, what string, got TypeShape, dt tensor.DType, want string) {
	t.Helper()
	if got.DType != dt {
		t.Errorf("%s: dtype %v, want %v", what, got.DType, dt)
	}
	if want == "nil" {
		if got.Shape != nil {
			t.Errorf("%s: shape %v, want unknown rank", what, got.Shape)
		}
		return
	}
	if got.Shape == nil || got.Shape.String() != testShape(want).String() || (want == "" && len(got.Shape) != 0) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape, testShape(want))
	}
}

func shpWantErr(t *testing.T, what string, err error, target error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
	} else if target != nil && !errors.Is(err, target) {
		t.Errorf("%s: error %v does not wrap %v", what, err, target)
	}
}

func TestShpInferShapeAndSize(t *testing.T) {
	out := shpMustInfer(t, "Shape", 13, 1, []TypeShape{shpF("batch,3,224,224")})
	shpWantShape(t, "Shape symbolic", out[0], tensor.Int64, "4")
	if out[0].Value != nil {
		t.Errorf("Shape of a symbolic shape has a value %v", out[0].Value)
	}
	out = shpMustInfer(t, "Shape", 13, 1, []TypeShape{shpF("2,3,4")})
	if v, _ := out[0].Value.Int64s(); len(v) != 3 || v[0] != 2 || v[1] != 3 || v[2] != 4 {
		t.Errorf("Shape value %v, want [2 3 4]", out[0].Value)
	}
	// Opset 15 start/end: the value is known as soon as the sliced dims are.
	for _, c := range []struct {
		start, end int64
		hasEnd     bool
		want       []int64
	}{
		{1, 0, false, []int64{3, 4}},
		{-1, 0, false, []int64{4}},
		{0, -1, true, nil}, // batch is symbolic
		{1, 2, true, []int64{3}},
		{-10, 10, true, nil},
		{2, 1, true, []int64{}},
		{5, 0, false, []int64{}},
	} {
		attrs := []*ir.Attribute{attrInt("start", c.start)}
		if c.hasEnd {
			attrs = append(attrs, attrInt("end", c.end))
		}
		out = shpMustInfer(t, "Shape", 15, 1, []TypeShape{shpF("batch,3,4")}, attrs...)
		v := out[0].Value
		if c.want == nil {
			if v != nil {
				t.Errorf("Shape start %d end %d: value %v, want none", c.start, c.end, v)
			}
			continue
		}
		got, _ := v.Int64s()
		if v == nil || len(got) != len(c.want) || out[0].Shape[0].Value != int64(len(c.want)) {
			t.Errorf("Shape start %d end %d: %v, want %v", c.start, c.end, v, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("Shape start %d end %d: %v, want %v", c.start, c.end, got, c.want)
			}
		}
	}
	out = shpMustInfer(t, "Shape", 15, 1, []TypeShape{Unranked(tensor.Float32)})
	shpWantShape(t, "Shape unranked", out[0], tensor.Int64, "?")

	out = shpMustInfer(t, "Size", 13, 1, []TypeShape{shpF("2,3,4")})
	if out[0].Value == nil || tensor.Data[int64](out[0].Value)[0] != 24 || len(out[0].Shape) != 0 {
		t.Errorf("Size: %v", out[0])
	}
	out = shpMustInfer(t, "Size", 13, 1, []TypeShape{shpF("batch,0,4")})
	if out[0].Value == nil || tensor.Data[int64](out[0].Value)[0] != 0 {
		t.Errorf("Size of a zero dim: %v, want value 0", out[0].Value)
	}
	out = shpMustInfer(t, "Size", 13, 1, []TypeShape{shpF("batch,3")})
	if out[0].Value != nil {
		t.Errorf("Size of a symbolic shape has a value")
	}
}

func TestShpInferReshape(t *testing.T) {
	for _, c := range []struct {
		in        string
		shape     []int64
		allowZero int64
		want      string
	}{
		{"batch,seq,768", []int64{0, 0, 12, 64}, 0, "batch,seq,12,64"},
		{"batch,seq,12,64", []int64{0, 0, -1}, 0, "batch,seq,768"},
		{"batch,3,4", []int64{-1, 12}, 0, "batch,12"},
		{"batch,3,4", []int64{0, -1}, 0, "batch,12"},
		{"batch,3,4", []int64{-1}, 0, "?"},
		{"batch,3,4", []int64{3, -1}, 0, "3,?"},
		{"batch,seq,4", []int64{-1, 4}, 0, "?,4"},
		{"2,3,4", []int64{4, -1}, 0, "4,6"},
		{"2,3,4", []int64{0, 0, -1}, 0, "2,3,4"},
		{"2,0,4", []int64{-1, 4}, 0, "0,4"},
		{"2,0,4", []int64{0, 0, 4}, 1, "0,0,4"},
		{"2,3,4", []int64{}, 0, "nil"}, // error below
		{"1", []int64{}, 0, ""},
		{"?,3", []int64{0, 3}, 0, "?,3"},
		{"batch,0", []int64{-1, 2}, 0, "0,2"},
	} {
		out, err := testInfer("", "Reshape", 14, 1, []TypeShape{shpF(c.in), shpV(c.shape...)}, attrInt("allowzero", c.allowZero))
		if c.want == "nil" {
			shpWantErr(t, "Reshape "+c.in, err, ErrShapeMismatch)
			continue
		}
		if err != nil {
			t.Errorf("Reshape %s to %v: %v", c.in, c.shape, err)
			continue
		}
		shpWantShape(t, "Reshape "+c.in, out[0], tensor.Float32, c.want)
	}
	// Unknown shape values: the rank comes from the shape input's length.
	out := shpMustInfer(t, "Reshape", 13, 1, []TypeShape{shpF("batch,3"), Ranked(tensor.Int64, testShape("3"))})
	shpWantShape(t, "Reshape unknown values", out[0], tensor.Float32, "?,?,?")
	out = shpMustInfer(t, "Reshape", 13, 1, []TypeShape{shpF("batch,3"), Ranked(tensor.Int64, testShape("?"))})
	shpWantShape(t, "Reshape unknown length", out[0], tensor.Float32, "nil")
	// Opset 5-13 has no allowzero: 0 always copies.
	out = shpMustInfer(t, "Reshape", 13, 1, []TypeShape{shpF("2,0,4"), shpV(0, 0, 4)})
	shpWantShape(t, "Reshape opset 13", out[0], tensor.Float32, "2,0,4")
	// Opset 1: the shape attribute.
	out = shpMustInfer(t, "Reshape", 4, 1, []TypeShape{shpF("2,6")}, attrInts("shape", 3, -1))
	shpWantShape(t, "Reshape opset 4", out[0], tensor.Float32, "3,4")

	for _, c := range []struct {
		what      string
		in        string
		shape     []int64
		allowZero int64
		target    error
	}{
		{"two -1", "2,3", []int64{-1, -1}, 0, ErrInvalidNode},
		{"-2", "2,3", []int64{-2, 3}, 0, ErrInvalidNode},
		{"count", "2,3", []int64{4, 2}, 0, ErrShapeMismatch},
		{"not divisible", "2,3", []int64{4, -1}, 0, ErrShapeMismatch},
		{"copy past rank", "6", []int64{1, 0}, 0, ErrInvalidNode},
		{"0 and -1 with allowzero", "2,3", []int64{0, -1}, 1, ErrInvalidNode},
		{"two -1 symbolic", "batch,3", []int64{-1, -1}, 0, ErrInvalidNode},
		{"symbolic not divisible", "batch,3", []int64{0, 2, -1}, 0, ErrShapeMismatch},
		{"huge dim", "2", []int64{1 << 50}, 0, ErrInvalidNode},
	} {
		_, err := testInfer("", "Reshape", 14, 1, []TypeShape{shpF(c.in), shpV(c.shape...)}, attrInt("allowzero", c.allowZero))
		shpWantErr(t, "Reshape "+c.what, err, c.target)
	}
	if _, err := testInfer("", "Reshape", 13, 1, []TypeShape{shpF("2"), Ranked(tensor.Int32, testShape("1"))}); err == nil {
		t.Errorf("Reshape with an int32 shape: no error")
	}
}

func TestShpInferFlattenSqueezeUnsqueeze(t *testing.T) {
	for _, c := range []struct {
		in   string
		axis int64
		want string
	}{
		{"batch,3,4", 1, "batch,12"},
		{"batch,3,4", 0, "1,?"},
		{"batch,3,4", 3, "?,1"},
		{"batch,3,4", -1, "?,4"},
		{"2,3,4", -2, "2,12"},
		{"", 0, "1,1"},
		{"2,0,4", 2, "0,4"},
	} {
		out := shpMustInfer(t, "Flatten", 13, 1, []TypeShape{shpF(c.in)}, attrInt("axis", c.axis))
		shpWantShape(t, "Flatten "+c.in, out[0], tensor.Float32, c.want)
	}
	_, err := testInfer("", "Flatten", 13, 1, []TypeShape{shpF("2,3")}, attrInt("axis", 3))
	shpWantErr(t, "Flatten axis 3 of rank 2", err, ErrInvalidNode)
	out := shpMustInfer(t, "Flatten", 13, 1, []TypeShape{Unranked(tensor.Float32)})
	shpWantShape(t, "Flatten unranked", out[0], tensor.Float32, "?,?")

	// Squeeze: attribute before 13, input from 13.
	out = shpMustInfer(t, "Squeeze", 11, 1, []TypeShape{shpF("batch,1,3,1")}, attrInts("axes", -1, 1))
	shpWantShape(t, "Squeeze 11", out[0], tensor.Float32, "batch,3")
	out = shpMustInfer(t, "Squeeze", 13, 1, []TypeShape{shpF("batch,1,3,1"), shpV(1)})
	shpWantShape(t, "Squeeze 13", out[0], tensor.Float32, "batch,3,1")
	out = shpMustInfer(t, "Squeeze", 13, 1, []TypeShape{shpF("1,3,1")})
	shpWantShape(t, "Squeeze all", out[0], tensor.Float32, "3")
	out = shpMustInfer(t, "Squeeze", 13, 1, []TypeShape{shpF("1,1")})
	shpWantShape(t, "Squeeze to scalar", out[0], tensor.Float32, "")
	out = shpMustInfer(t, "Squeeze", 13, 1, []TypeShape{shpF("batch,1")})
	shpWantShape(t, "Squeeze all with a symbolic dim", out[0], tensor.Float32, "nil")
	out = shpMustInfer(t, "Squeeze", 13, 1, []TypeShape{shpF("batch,1,1"), Ranked(tensor.Int64, testShape("2"))})
	shpWantShape(t, "Squeeze unknown axes", out[0], tensor.Float32, "?")
	_, err = testInfer("", "Squeeze", 13, 1, []TypeShape{shpF("2,3"), shpV(0)})
	shpWantErr(t, "Squeeze a dim of 2", err, ErrInvalidNode)
	_, err = testInfer("", "Squeeze", 13, 1, []TypeShape{shpF("1,3"), shpV(2)})
	shpWantErr(t, "Squeeze axis out of range", err, ErrInvalidNode)
	_, err = testInfer("", "Squeeze", 13, 1, []TypeShape{shpF("1,3"), shpV(0, -2)})
	shpWantErr(t, "Squeeze repeated axis", err, ErrInvalidNode)

	out = shpMustInfer(t, "Unsqueeze", 13, 1, []TypeShape{shpF("batch,3"), shpV(0, -1)})
	shpWantShape(t, "Unsqueeze", out[0], tensor.Float32, "1,batch,3,1")
	out = shpMustInfer(t, "Unsqueeze", 11, 1, []TypeShape{shpF("batch,3")}, attrInts("axes", 1))
	shpWantShape(t, "Unsqueeze 11", out[0], tensor.Float32, "batch,1,3")
	out = shpMustInfer(t, "Unsqueeze", 13, 1, []TypeShape{shpF(""), shpV(0)})
	shpWantShape(t, "Unsqueeze scalar", out[0], tensor.Float32, "1")
	out = shpMustInfer(t, "Unsqueeze", 13, 1, []TypeShape{shpF("3,4"), shpV(3, 1)})
	shpWantShape(t, "Unsqueeze unsorted", out[0], tensor.Float32, "3,1,4,1")
	out = shpMustInfer(t, "Unsqueeze", 13, 1, []TypeShape{shpF("batch"), Ranked(tensor.Int64, testShape("2"))})
	shpWantShape(t, "Unsqueeze unknown axes", out[0], tensor.Float32, "?,?,?")
	_, err = testInfer("", "Unsqueeze", 13, 1, []TypeShape{shpF("3"), shpV(0, 0)})
	shpWantErr(t, "Unsqueeze duplicate", err, ErrInvalidNode)
	_, err = testInfer("", "Unsqueeze", 13, 1, []TypeShape{shpF("3"), shpV(2)})
	shpWantErr(t, "Unsqueeze out of range", err, ErrInvalidNode)
	_, err = testInfer("", "Unsqueeze", 13, 1, []TypeShape{shpF("3")})
	shpWantErr(t, "Unsqueeze 13 without axes", err, ErrInvalidNode)
}

func TestShpInferConcatSplit(t *testing.T) {
	out := shpMustInfer(t, "Concat", 13, 1, []TypeShape{shpF("batch,3"), shpF("batch,4")}, attrInt("axis", -1))
	shpWantShape(t, "Concat", out[0], tensor.Float32, "batch,7")
	out = shpMustInfer(t, "Concat", 13, 1, []TypeShape{shpF("?,3"), shpF("2,seq")}, attrInt("axis", 0))
	shpWantShape(t, "Concat merge", out[0], tensor.Float32, "?,3")
	out = shpMustInfer(t, "Concat", 13, 1, []TypeShape{shpF("2,3"), Unranked(tensor.Float32)}, attrInt("axis", 1))
	shpWantShape(t, "Concat unranked", out[0], tensor.Float32, "2,?")
	out = shpMustInfer(t, "Concat", 13, 1, []TypeShape{shpF("batch,3")}, attrInt("axis", 0))
	shpWantShape(t, "Concat one", out[0], tensor.Float32, "batch,3")
	out = shpMustInfer(t, "Concat", 1, 1, []TypeShape{shpF("2,3"), shpF("2,0")})
	shpWantShape(t, "Concat opset 1 default axis", out[0], tensor.Float32, "2,3")
	_, err := testInfer("", "Concat", 13, 1, []TypeShape{shpF("2,3"), shpF("3,3")}, attrInt("axis", 1))
	shpWantErr(t, "Concat mismatched dims", err, ErrShapeMismatch)
	_, err = testInfer("", "Concat", 13, 1, []TypeShape{shpF("2,3"), shpF("2")}, attrInt("axis", 0))
	shpWantErr(t, "Concat mismatched ranks", err, ErrShapeMismatch)
	_, err = testInfer("", "Concat", 13, 1, []TypeShape{shpF(""), shpF("")}, attrInt("axis", 0))
	shpWantErr(t, "Concat scalars", err, ErrInvalidNode)
	_, err = testInfer("", "Concat", 13, 1, []TypeShape{shpF("2"), Of(tensor.Int64, 2)}, attrInt("axis", 0))
	shpWantErr(t, "Concat mixed types", err, ErrInvalidNode)
	_, err = testInfer("", "Concat", 13, 1, []TypeShape{shpF("2")})
	shpWantErr(t, "Concat without axis", err, ErrInvalidNode)

	out = shpMustInfer(t, "Split", 13, 3, []TypeShape{shpF("batch,6")}, attrInt("axis", 1))
	for i := range 3 {
		shpWantShape(t, "Split equal", out[i], tensor.Float32, "batch,2")
	}
	out = shpMustInfer(t, "Split", 13, 2, []TypeShape{shpF("batch,6"), shpV(1, 5)}, attrInt("axis", -1))
	shpWantShape(t, "Split 13 input", out[1], tensor.Float32, "batch,5")
	out = shpMustInfer(t, "Split", 11, 2, []TypeShape{shpF("6,batch")}, attrInts("split", 4, 2))
	shpWantShape(t, "Split 11 attribute", out[0], tensor.Float32, "4,batch")
	out = shpMustInfer(t, "Split", 18, 4, []TypeShape{shpF("7")}, attrInt("num_outputs", 4))
	for i, w := range []string{"2", "2", "2", "1"} {
		shpWantShape(t, "Split num_outputs", out[i], tensor.Float32, w)
	}
	out = shpMustInfer(t, "Split", 13, 2, []TypeShape{shpF("batch,6"), Ranked(tensor.Int64, testShape("2"))}, attrInt("axis", 1))
	shpWantShape(t, "Split unknown sizes", out[0], tensor.Float32, "batch,?")
	out = shpMustInfer(t, "Split", 13, 2, []TypeShape{shpF("batch,6")})
	shpWantShape(t, "Split symbolic axis", out[0], tensor.Float32, "?,6")
	_, err = testInfer("", "Split", 13, 2, []TypeShape{shpF("6"), shpV(2, 3)})
	shpWantErr(t, "Split sizes not adding up", err, ErrShapeMismatch)
	_, err = testInfer("", "Split", 13, 2, []TypeShape{shpF("5")})
	shpWantErr(t, "Split uneven", err, ErrShapeMismatch)
	_, err = testInfer("", "Split", 13, 3, []TypeShape{shpF("6"), shpV(3, 3)})
	shpWantErr(t, "Split sizes for too few outputs", err, ErrInvalidNode)
	_, err = testInfer("", "Split", 18, 3, []TypeShape{shpF("6")}, attrInt("num_outputs", 2))
	shpWantErr(t, "Split num_outputs mismatch", err, ErrInvalidNode)
	_, err = testInfer("", "Split", 18, 4, []TypeShape{shpF("5")}, attrInt("num_outputs", 4))
	shpWantErr(t, "Split 5 into 4 parts of 2", err, ErrShapeMismatch)
	_, err = testInfer("", "Split", 13, 2, []TypeShape{shpF("6"), shpV(-1, 7)})
	shpWantErr(t, "Split negative size", err, ErrInvalidNode)
}

func TestShpInferSlice(t *testing.T) {
	maxI64 := int64(math.MaxInt64)
	for _, c := range []struct {
		in                          string
		starts, ends, axes, steps   []int64
		want                        string
		noAxes, noSteps, wantErrors bool
	}{
		{in: "batch,10", starts: []int64{2}, ends: []int64{maxI64}, axes: []int64{1}, want: "batch,8"},
		{in: "batch,10", starts: []int64{0}, ends: []int64{maxI64}, axes: []int64{0}, want: "batch,10"},
		{in: "batch,10", starts: []int64{0}, ends: []int64{3}, axes: []int64{0}, want: "?,10"},
		{in: "20,10,5", starts: []int64{0, 0}, ends: []int64{3, 10}, axes: []int64{0, 1}, steps: []int64{1, 1}, want: "3,10,5"},
		{in: "20,10,5", starts: []int64{0, 0, 3}, ends: []int64{-1, 1000, 1}, noAxes: true, noSteps: true, want: "19,10,0"},
		{in: "20,10,5", starts: []int64{20, 10, 4}, ends: []int64{0, 0, 1}, noAxes: true, steps: []int64{-1, -3, -2}, want: "19,3,2"},
		{in: "20,10,5", starts: []int64{1000}, ends: []int64{1000}, axes: []int64{1}, want: "20,0,5"},
		{in: "20,10,5", starts: []int64{-1}, ends: []int64{math.MinInt64}, axes: []int64{-1}, steps: []int64{-1}, want: "20,10,5"},
		{in: "20,10,5", starts: []int64{0}, ends: []int64{-1}, axes: []int64{-2}, steps: []int64{maxI64}, want: "20,1,5"},
		{in: "20,10,5", starts: []int64{9}, ends: []int64{-100}, axes: []int64{1}, steps: []int64{math.MinInt64}, want: "20,1,5"},
		{in: "20,10,5", starts: []int64{0}, ends: []int64{3}, axes: []int64{1}, steps: []int64{0}, wantErrors: true},
		{in: "20,10,5", starts: []int64{0}, ends: []int64{3}, axes: []int64{3}, wantErrors: true},
		{in: "20,10,5", starts: []int64{0, 0}, ends: []int64{3, 3}, axes: []int64{1, -2}, wantErrors: true},
		{in: "20,10,5", starts: []int64{0, 0}, ends: []int64{3}, axes: []int64{1, 2}, wantErrors: true},
	} {
		in := []TypeShape{shpF(c.in), shpV(c.starts...), shpV(c.ends...)}
		switch {
		case !c.noAxes:
			in = append(in, shpV(c.axes...))
		case c.steps != nil:
			in = append(in, shpAbsent)
		}
		if !c.noSteps && c.steps != nil {
			in = append(in, shpV(c.steps...))
		}
		out, err := testInfer("", "Slice", 13, 1, in)
		if c.wantErrors {
			shpWantErr(t, "Slice "+c.in, err, ErrInvalidNode)
			continue
		}
		if err != nil {
			t.Errorf("Slice %+v: %v", c, err)
			continue
		}
		shpWantShape(t, "Slice", out[0], tensor.Float32, c.want)
	}
	// Unknown starts: the sliced axes become unknown, the others stay.
	out := shpMustInfer(t, "Slice", 13, 1, []TypeShape{shpF("batch,10,5"), Of(tensor.Int64, 1), Of(tensor.Int64, 1), shpV(1)})
	shpWantShape(t, "Slice unknown starts", out[0], tensor.Float32, "batch,?,5")
	out = shpMustInfer(t, "Slice", 13, 1, []TypeShape{shpF("batch,10,5"), Of(tensor.Int64, 2), Of(tensor.Int64, 2)})
	shpWantShape(t, "Slice unknown starts, no axes", out[0], tensor.Float32, "?,?,5")
	out = shpMustInfer(t, "Slice", 13, 1, []TypeShape{shpF("batch,10,5"), shpV(0), shpV(1), Of(tensor.Int64, 1)})
	shpWantShape(t, "Slice unknown axes", out[0], tensor.Float32, "?,?,?")
	// int32 indices, and opset 1 attributes.
	i32 := func(v ...int32) TypeShape { return Known(tensor.Must(tensor.FromSlice(v, len(v)))) }
	out = shpMustInfer(t, "Slice", 13, 1, []TypeShape{shpF("4,6"), i32(1), i32(-1), i32(1)})
	shpWantShape(t, "Slice int32", out[0], tensor.Float32, "4,4")
	out = shpMustInfer(t, "Slice", 9, 1, []TypeShape{shpF("4,6")}, attrInts("starts", 1, 0), attrInts("ends", 3, 100))
	shpWantShape(t, "Slice opset 9", out[0], tensor.Float32, "2,6")
	out = shpMustInfer(t, "Slice", 9, 1, []TypeShape{shpF("4,6")}, attrInts("starts", -2), attrInts("ends", 100), attrInts("axes", 1))
	shpWantShape(t, "Slice opset 9 axes", out[0], tensor.Float32, "4,2")
	_, err := testInfer("", "Slice", 13, 1, []TypeShape{shpF("4,6"), i32(1), shpV(2)})
	shpWantErr(t, "Slice mixed index types", err, ErrInvalidNode)
}

func TestShpSliceBounds(t *testing.T) {
	// Compare with a naive walk that applies the spec's clamping.
	naive := func(dim, start, end, step int64) (int64, int64) {
		if start < 0 {
			start += dim
		}
		if end < 0 {
			end += dim
		}
		var first, count int64 = -1, 0
		if step > 0 {
			start, end = min(max(start, 0), dim), min(max(end, 0), dim)
			for i := start; i < end; i += step {
				if count == 0 {
					first = i
				}
				count++
			}
		} else {
			start, end = min(max(start, 0), dim-1), min(max(end, -1), dim-1)
			for i := start; i > end; i += step {
				if count == 0 {
					first = i
				}
				count++
			}
		}
		return first, count
	}
	for dim := int64(0); dim <= 6; dim++ {
		for start := int64(-9); start <= 9; start++ {
			for end := int64(-9); end <= 9; end++ {
				for _, step := range []int64{-7, -3, -2, -1, 1, 2, 3, 7} {
					f, c := SliceBounds(dim, start, end, step)
					nf, nc := naive(dim, start, end, step)
					if c != nc || (c > 0 && f != nf) {
						t.Fatalf("SliceBounds(%d, %d, %d, %d) = %d, %d; want %d, %d", dim, start, end, step, f, c, nf, nc)
					}
				}
			}
		}
	}
}

func TestShpInferLayout(t *testing.T) {
	out := shpMustInfer(t, "Transpose", 13, 1, []TypeShape{shpF("batch,3,4")})
	shpWantShape(t, "Transpose default", out[0], tensor.Float32, "4,3,batch")
	out = shpMustInfer(t, "Transpose", 13, 1, []TypeShape{shpF("batch,3,4")}, attrInts("perm", 0, 2, 1))
	shpWantShape(t, "Transpose perm", out[0], tensor.Float32, "batch,4,3")
	out = shpMustInfer(t, "Transpose", 13, 1, []TypeShape{shpF("")})
	shpWantShape(t, "Transpose scalar", out[0], tensor.Float32, "")
	for _, p := range [][]int64{{0, 1}, {0, 0, 1}, {0, 1, 3}, {0, 1, -1}} {
		_, err := testInfer("", "Transpose", 13, 1, []TypeShape{shpF("2,3,4")}, attrInts("perm", p...))
		shpWantErr(t, "Transpose bad perm", err, ErrInvalidNode)
	}

	out = shpMustInfer(t, "Expand", 13, 1, []TypeShape{shpF("3,1"), shpV(2, 1, 4)})
	shpWantShape(t, "Expand", out[0], tensor.Float32, "2,3,4")
	out = shpMustInfer(t, "Expand", 13, 1, []TypeShape{shpF("batch,1"), shpV(1, 1)})
	shpWantShape(t, "Expand keeps", out[0], tensor.Float32, "batch,1")
	out = shpMustInfer(t, "Expand", 13, 1, []TypeShape{shpF("batch,1"), Ranked(tensor.Int64, testShape("3"))})
	shpWantShape(t, "Expand unknown", out[0], tensor.Float32, "?,?,?")
	_, err := testInfer("", "Expand", 13, 1, []TypeShape{shpF("3,2"), shpV(3, 4)})
	shpWantErr(t, "Expand incompatible", err, ErrShapeMismatch)
	_, err = testInfer("", "Expand", 13, 1, []TypeShape{shpF("3"), shpV(-1)})
	shpWantErr(t, "Expand negative", err, ErrInvalidNode)

	out = shpMustInfer(t, "Tile", 13, 1, []TypeShape{shpF("batch,2,5"), shpV(1, 3, 0)})
	shpWantShape(t, "Tile", out[0], tensor.Float32, "batch,6,0")
	_, err = testInfer("", "Tile", 13, 1, []TypeShape{shpF("2,2"), shpV(1)})
	shpWantErr(t, "Tile wrong length", err, ErrInvalidNode)
	_, err = testInfer("", "Tile", 13, 1, []TypeShape{shpF("2"), shpV(-1)})
	shpWantErr(t, "Tile negative", err, ErrInvalidNode)

	out = shpMustInfer(t, "Pad", 13, 1, []TypeShape{shpF("batch,3,4"), shpV(0, 1, -1, 0, 1, 2)})
	shpWantShape(t, "Pad", out[0], tensor.Float32, "batch,5,5")
	out = shpMustInfer(t, "Pad", 18, 1, []TypeShape{shpF("batch,3,4"), shpV(2, 2), shpAbsent, shpV(-1)})
	shpWantShape(t, "Pad axes", out[0], tensor.Float32, "batch,3,8")
	out = shpMustInfer(t, "Pad", 2, 1, []TypeShape{shpF("3,4")}, attrInts("pads", 1, 1, 1, 1), attrStr("mode", "reflect"))
	shpWantShape(t, "Pad 2", out[0], tensor.Float32, "5,6")
	_, err = testInfer("", "Pad", 13, 1, []TypeShape{shpF("3,4"), shpV(0, -3, 0, -2)})
	shpWantErr(t, "Pad crop too much", err, ErrShapeMismatch)
	_, err = testInfer("", "Pad", 13, 1, []TypeShape{shpF("3,4"), shpV(0, 1)})
	shpWantErr(t, "Pad wrong length", err, ErrInvalidNode)
	_, err = testInfer("", "Pad", 13, 1, []TypeShape{shpF("3,4"), shpV(0, 0, 0, 0)}, attrStr("mode", "mirror"))
	shpWantErr(t, "Pad unknown mode", err, ErrInvalidNode)
	_, err = testInfer("", "Pad", 18, 1, []TypeShape{shpF("3,4"), shpV(0, 0, 0, 0)}, attrStr("mode", "wrap"))
	shpWantErr(t, "Pad wrap before 19", err, ErrInvalidNode)
	_, err = testInfer("", "Pad", 19, 1, []TypeShape{shpF("0,4"), shpV(1, 0, 0, 0)}, attrStr("mode", "edge"))
	shpWantErr(t, "Pad edge of an empty axis", err, ErrShapeMismatch)

	out = shpMustInfer(t, "DepthToSpace", 13, 1, []TypeShape{shpF("batch,8,3,h")}, attrInt("blocksize", 2), attrStr("mode", "CRD"))
	shpWantShape(t, "DepthToSpace", out[0], tensor.Float32, "batch,2,6,?")
	_, err = testInfer("", "DepthToSpace", 13, 1, []TypeShape{shpF("1,6,3,3")}, attrInt("blocksize", 2))
	shpWantErr(t, "DepthToSpace channels", err, ErrShapeMismatch)
	_, err = testInfer("", "DepthToSpace", 13, 1, []TypeShape{shpF("1,8,3,3")}, attrInt("blocksize", 0))
	shpWantErr(t, "DepthToSpace blocksize 0", err, ErrInvalidNode)
	_, err = testInfer("", "DepthToSpace", 13, 1, []TypeShape{shpF("1,8,3,3")}, attrInt("blocksize", 2), attrStr("mode", "RDC"))
	shpWantErr(t, "DepthToSpace mode", err, ErrInvalidNode)
	out = shpMustInfer(t, "SpaceToDepth", 13, 1, []TypeShape{shpF("batch,3,4,6")}, attrInt("blocksize", 2))
	shpWantShape(t, "SpaceToDepth", out[0], tensor.Float32, "batch,12,2,3")
	_, err = testInfer("", "SpaceToDepth", 13, 1, []TypeShape{shpF("1,3,4,5")}, attrInt("blocksize", 2))
	shpWantErr(t, "SpaceToDepth width", err, ErrShapeMismatch)
	_, err = testInfer("", "SpaceToDepth", 13, 1, []TypeShape{shpF("1,3,4")}, attrInt("blocksize", 2))
	shpWantErr(t, "SpaceToDepth rank", err, ErrInvalidNode)

	out = shpMustInfer(t, "Trilu", 14, 1, []TypeShape{shpF("batch,3,4"), shpAbsent})
	shpWantShape(t, "Trilu", out[0], tensor.Float32, "batch,3,4")
	_, err = testInfer("", "Trilu", 14, 1, []TypeShape{shpF("4")})
	shpWantErr(t, "Trilu rank 1", err, ErrInvalidNode)
}

func TestShpInferIndexing(t *testing.T) {
	i64 := func(s string) TypeShape { return Ranked(tensor.Int64, testShape(s)) }
	out := shpMustInfer(t, "Gather", 13, 1, []TypeShape{shpF("batch,5,7"), i64("2,3")}, attrInt("axis", 1))
	shpWantShape(t, "Gather", out[0], tensor.Float32, "batch,2,3,7")
	out = shpMustInfer(t, "Gather", 13, 1, []TypeShape{shpF("batch,5"), i64("")}, attrInt("axis", -1))
	shpWantShape(t, "Gather scalar index", out[0], tensor.Float32, "batch")
	_, err := testInfer("", "Gather", 13, 1, []TypeShape{shpF(""), i64("")})
	shpWantErr(t, "Gather from a scalar", err, ErrInvalidNode)
	_, err = testInfer("", "Gather", 13, 1, []TypeShape{shpF("3"), Of(tensor.Float32)})
	shpWantErr(t, "Gather float indices", err, ErrInvalidNode)
	_, err = testInfer("", "Gather", 13, 1, []TypeShape{shpF("3"), i64("")}, attrInt("axis", 1))
	shpWantErr(t, "Gather axis", err, ErrInvalidNode)

	out = shpMustInfer(t, "GatherElements", 13, 1, []TypeShape{shpF("3,4"), i64("3,2")}, attrInt("axis", 1))
	shpWantShape(t, "GatherElements", out[0], tensor.Float32, "3,2")
	_, err = testInfer("", "GatherElements", 13, 1, []TypeShape{shpF("3,4"), i64("3")})
	shpWantErr(t, "GatherElements rank", err, ErrShapeMismatch)
	_, err = testInfer("", "GatherElements", 13, 1, []TypeShape{shpF("3,4"), i64("3,5")})
	shpWantErr(t, "GatherElements larger", err, ErrShapeMismatch)

	for _, c := range []struct {
		data, idx string
		b         int64
		want      string
	}{
		{"2,2", "2,2", 0, "2"},
		{"2,2", "2,1", 0, "2,2"},
		{"2,2,2", "2,2", 0, "2,2"},
		{"2,2,2", "2,1,2", 0, "2,1,2"},
		{"2,2,2", "2,1", 1, "2,2"},
		{"batch,5,6", "batch,3,1", 1, "batch,3,6"},
	} {
		out := shpMustInfer(t, "GatherND", 13, 1, []TypeShape{shpF(c.data), i64(c.idx)}, attrInt("batch_dims", c.b))
		shpWantShape(t, "GatherND", out[0], tensor.Float32, c.want)
	}
	_, err = testInfer("", "GatherND", 13, 1, []TypeShape{shpF("2,2"), i64("1,3")})
	shpWantErr(t, "GatherND tuple too long", err, ErrInvalidNode)
	_, err = testInfer("", "GatherND", 13, 1, []TypeShape{shpF("2,2"), i64("2,1")}, attrInt("batch_dims", 2))
	shpWantErr(t, "GatherND batch_dims", err, ErrInvalidNode)
	_, err = testInfer("", "GatherND", 13, 1, []TypeShape{shpF("2,2"), i64("3,1")}, attrInt("batch_dims", 1))
	shpWantErr(t, "GatherND batch mismatch", err, ErrShapeMismatch)

	out = shpMustInfer(t, "ScatterElements", 18, 1, []TypeShape{shpF("batch,4"), i64("2,2"), shpF("2,2")}, attrStr("reduction", "max"))
	shpWantShape(t, "ScatterElements", out[0], tensor.Float32, "batch,4")
	_, err = testInfer("", "ScatterElements", 16, 1, []TypeShape{shpF("3,4"), i64("2,2"), shpF("2,2")}, attrStr("reduction", "max"))
	shpWantErr(t, "ScatterElements max before 18", err, ErrInvalidNode)
	_, err = testInfer("", "ScatterElements", 18, 1, []TypeShape{shpF("3,4"), i64("2,2"), shpF("2,3")})
	shpWantErr(t, "ScatterElements updates", err, ErrShapeMismatch)
	_, err = testInfer("", "ScatterElements", 18, 1, []TypeShape{shpF("3,4"), i64("2,2"), shpF("2,2")}, attrStr("reduction", "sum"))
	shpWantErr(t, "ScatterElements reduction", err, ErrInvalidNode)
	out = shpMustInfer(t, "Scatter", 10, 1, []TypeShape{shpF("3,4"), i64("2,2"), shpF("2,2")})
	shpWantShape(t, "Scatter", out[0], tensor.Float32, "3,4")
	out = shpMustInfer(t, "ScatterND", 16, 1, []TypeShape{shpF("4,4,4"), i64("2,1"), shpF("2,4,4")}, attrStr("reduction", "mul"))
	shpWantShape(t, "ScatterND", out[0], tensor.Float32, "4,4,4")
	_, err = testInfer("", "ScatterND", 16, 1, []TypeShape{shpF("4,4,4"), i64("2,1"), shpF("2,4")})
	shpWantErr(t, "ScatterND updates", err, ErrShapeMismatch)

	depth := Known(tensor.Scalar(int64(10)))
	vals := Ranked(tensor.Float32, testShape("2"))
	out = shpMustInfer(t, "OneHot", 11, 1, []TypeShape{i64("batch,3"), depth, vals})
	shpWantShape(t, "OneHot", out[0], tensor.Float32, "batch,3,10")
	out = shpMustInfer(t, "OneHot", 11, 1, []TypeShape{i64("batch,3"), Of(tensor.Float32), vals}, attrInt("axis", 0))
	shpWantShape(t, "OneHot unknown depth", out[0], tensor.Float32, "?,batch,3")
	_, err = testInfer("", "OneHot", 11, 1, []TypeShape{i64("3"), Known(tensor.Scalar(int64(0))), vals})
	shpWantErr(t, "OneHot depth 0", err, ErrInvalidNode)
	_, err = testInfer("", "OneHot", 11, 1, []TypeShape{i64("3"), depth, Ranked(tensor.Float32, testShape("3"))})
	shpWantErr(t, "OneHot values", err, ErrInvalidNode)
	_, err = testInfer("", "OneHot", 11, 1, []TypeShape{i64("3"), depth, vals}, attrInt("axis", 2))
	shpWantErr(t, "OneHot axis", err, ErrInvalidNode)
}

func TestShpInferConstants(t *testing.T) {
	out := shpMustInfer(t, "Constant", 13, 1, nil, attrInts("value_ints", 1, 2, 3))
	if out[0].Value == nil || out[0].DType != tensor.Int64 || out[0].Shape.String() != "3" {
		t.Errorf("Constant value_ints: %v %v", out[0], out[0].Value)
	}
	out = shpMustInfer(t, "Constant", 13, 1, nil, &ir.Attribute{Name: "value_float", Type: ir.AttrFloat, Float: 2.5})
	if out[0].Value == nil || tensor.Data[float32](out[0].Value)[0] != 2.5 || len(out[0].Shape) != 0 {
		t.Errorf("Constant value_float: %v", out[0])
	}
	out = shpMustInfer(t, "Constant", 13, 1, nil, &ir.Attribute{Name: "value_strings", Type: ir.AttrStrings, Strings: []string{"a", "b"}})
	if out[0].DType != tensor.String || tensor.Data[string](out[0].Value)[1] != "b" {
		t.Errorf("Constant value_strings: %v", out[0])
	}
	v := tensor.Must(tensor.FromSlice([]bool{true, false}, 2))
	out = shpMustInfer(t, "Constant", 9, 1, nil, &ir.Attribute{Name: "value", Type: ir.AttrTensor, Tensor: v})
	if out[0].Value != v {
		t.Errorf("Constant value: %v", out[0])
	}
	_, err := testInfer("", "Constant", 13, 1, nil)
	shpWantErr(t, "Constant without value", err, ErrInvalidNode)
	_, err = testInfer("", "Constant", 13, 1, nil, attrInt("value_int", 1), attrInts("value_ints", 1))
	shpWantErr(t, "Constant with two values", err, ErrInvalidNode)
	_, err = testInfer("", "Constant", 13, 1, nil, &ir.Attribute{Name: "sparse_value", Type: ir.AttrSparseTensor})
	if err == nil || !strings.Contains(err.Error(), "sparse_value is not supported") {
		t.Errorf("Constant sparse_value: %v", err)
	}
	_, err = testInfer("", "Constant", 11, 1, nil, attrInt("value_int", 1))
	shpWantErr(t, "Constant value_int at opset 11", err, ErrInvalidNode)

	out = shpMustInfer(t, "ConstantOfShape", 9, 1, []TypeShape{shpV(2, 3)})
	shpWantShape(t, "ConstantOfShape default", out[0], tensor.Float32, "2,3")
	iv := tensor.Must(tensor.FromSlice([]int32{7}, 1))
	out = shpMustInfer(t, "ConstantOfShape", 20, 1, []TypeShape{shpV()}, &ir.Attribute{Name: "value", Type: ir.AttrTensor, Tensor: iv})
	shpWantShape(t, "ConstantOfShape int32 scalar", out[0], tensor.Int32, "")
	out = shpMustInfer(t, "ConstantOfShape", 20, 1, []TypeShape{Ranked(tensor.Int64, testShape("3"))})
	shpWantShape(t, "ConstantOfShape unknown", out[0], tensor.Float32, "?,?,?")
	_, err = testInfer("", "ConstantOfShape", 20, 1, []TypeShape{shpV(2, -1)})
	shpWantErr(t, "ConstantOfShape negative", err, ErrInvalidNode)
	_, err = testInfer("", "ConstantOfShape", 20, 1, []TypeShape{shpV(1<<30, 1<<30, 1<<30)})
	shpWantErr(t, "ConstantOfShape huge", err, ErrInvalidNode)
	two := tensor.Must(tensor.FromSlice([]float32{1, 2}, 2))
	_, err = testInfer("", "ConstantOfShape", 20, 1, []TypeShape{shpV(2)}, &ir.Attribute{Name: "value", Type: ir.AttrTensor, Tensor: two})
	shpWantErr(t, "ConstantOfShape two values", err, ErrInvalidNode)

	sc := func(v any) TypeShape {
		switch x := v.(type) {
		case int32:
			return Known(tensor.Scalar(x))
		case float32:
			return Known(tensor.Scalar(x))
		}
		return Known(tensor.Scalar(v.(int64)))
	}
	for _, c := range []struct {
		s, l, d any
		want    string
	}{
		{int32(3), int32(9), int32(3), "2"},
		{int32(10), int32(4), int32(-2), "3"},
		{int32(1), int32(1), int32(1), "0"},
		{int32(5), int32(1), int32(1), "0"},
		{float32(1), float32(5), float32(2), "2"},
		{float32(0), float32(1), float32(0.3), "4"},
		{int64(math.MinInt64), int64(math.MaxInt64), int64(1 << 62), "4"},
	} {
		out := shpMustInfer(t, "Range", 11, 1, []TypeShape{sc(c.s), sc(c.l), sc(c.d)})
		shpWantShape(t, "Range", out[0], out[0].DType, c.want)
	}
	_, err = testInfer("", "Range", 11, 1, []TypeShape{sc(int32(0)), sc(int32(5)), sc(int32(0))})
	shpWantErr(t, "Range delta 0", err, ErrInvalidNode)
	_, err = testInfer("", "Range", 11, 1, []TypeShape{sc(int64(0)), sc(int64(math.MaxInt64)), sc(int64(1))})
	shpWantErr(t, "Range too long", err, ErrInvalidNode)
	_, err = testInfer("", "Range", 11, 1, []TypeShape{sc(int32(0)), sc(int64(5)), sc(int32(1))})
	shpWantErr(t, "Range mixed types", err, ErrInvalidNode)
	out = shpMustInfer(t, "Range", 11, 1, []TypeShape{Of(tensor.Float32), sc(float32(5)), sc(float32(1))})
	shpWantShape(t, "Range unknown", out[0], tensor.Float32, "?")

	out = shpMustInfer(t, "EyeLike", 9, 1, []TypeShape{shpF("batch,4")}, attrInt("dtype", int64(tensor.Int32)))
	shpWantShape(t, "EyeLike", out[0], tensor.Int32, "batch,4")
	_, err = testInfer("", "EyeLike", 9, 1, []TypeShape{shpF("4")})
	shpWantErr(t, "EyeLike 1-D", err, ErrInvalidNode)
	_, err = testInfer("", "EyeLike", 9, 1, []TypeShape{shpF("4,4")}, attrInt("dtype", int64(tensor.String)))
	shpWantErr(t, "EyeLike string", err, ErrInvalidNode)
}

func TestShpInferIdentityDropout(t *testing.T) {
	v := tensor.Must(tensor.FromSlice([]float32{1, 2}, 2))
	out := shpMustInfer(t, "Identity", 16, 1, []TypeShape{Known(v)})
	if out[0].Value != v {
		t.Errorf("Identity does not pass the value through")
	}
	out = shpMustInfer(t, "Dropout", 7, 2, []TypeShape{shpF("batch,3")})
	shpWantShape(t, "Dropout 7 mask", out[1], tensor.Float32, "batch,3")
	out = shpMustInfer(t, "Dropout", 10, 2, []TypeShape{shpF("batch,3")})
	shpWantShape(t, "Dropout 10 mask", out[1], tensor.Bool, "batch,3")
	out = shpMustInfer(t, "Dropout", 13, 1, []TypeShape{shpF("batch,3")})
	if len(out) != 1 {
		t.Errorf("Dropout with one output: %d results", len(out))
	}
	train := Known(tensor.Scalar(true))
	out = shpMustInfer(t, "Dropout", 13, 2, []TypeShape{shpF("2"), Known(tensor.Scalar(float32(0))), train})
	shpWantShape(t, "Dropout training ratio 0", out[0], tensor.Float32, "2")
	// Training mode: Y is random, so its value is never passed through.
	for _, ratio := range []TypeShape{Known(tensor.Scalar(float32(0.5))), shpAbsent, {DType: tensor.Float32}} {
		out = shpMustInfer(t, "Dropout", 13, 2, []TypeShape{Known(v), ratio, train})
		shpWantShape(t, "Dropout training", out[0], tensor.Float32, "2")
		if out[0].Value != nil {
			t.Errorf("Dropout training (ratio %v) passes the value through", ratio)
		}
	}
	out = shpMustInfer(t, "Dropout", 13, 1, []TypeShape{Known(v), shpAbsent, {DType: tensor.Bool}})
	if out[0].Value != nil {
		t.Errorf("Dropout with an unknown training_mode passes the value through")
	}
	out = shpMustInfer(t, "Dropout", 6, 1, []TypeShape{Known(v)})
	if out[0].Value == nil {
		t.Errorf("Dropout 6 (the identity before opset 12, as in ONNX Runtime) does not pass the value through")
	}
	_, err := testInfer("", "Dropout", 13, 2, []TypeShape{shpF("2"), shpAbsent, Known(tensor.Scalar(int64(1)))})
	shpWantErr(t, "Dropout training_mode not bool", err, ErrInvalidNode)
	_, err = testInfer("", "Dropout", 13, 1, []TypeShape{shpF("2"), Known(tensor.Scalar(float32(1)))})
	shpWantErr(t, "Dropout ratio 1", err, ErrInvalidNode)
	_, err = testInfer("", "Dropout", 13, 1, []TypeShape{Of(tensor.Int64, 2)})
	shpWantErr(t, "Dropout int", err, ErrInvalidNode)
}

// TestShpSchemaVersions checks that each opset picks the schema whose
// attributes it defines.
func TestShpSchemaVersions(t *testing.T) {
	for _, c := range []struct {
		op     string
		opset  int64
		attr   string
		has    bool
		absent bool // no schema at all
	}{
		{op: "Split", opset: 2, attr: "split", has: true},
		{op: "Split", opset: 12, attr: "split", has: true},
		{op: "Split", opset: 13, attr: "split"},
		{op: "Split", opset: 17, attr: "num_outputs"},
		{op: "Split", opset: 18, attr: "num_outputs", has: true},
		{op: "Split", opset: 1, absent: true},
		{op: "Squeeze", opset: 12, attr: "axes", has: true},
		{op: "Squeeze", opset: 13, attr: "axes"},
		{op: "Unsqueeze", opset: 11, attr: "axes", has: true},
		{op: "Unsqueeze", opset: 22, attr: "axes"},
		{op: "Pad", opset: 10, attr: "pads", has: true},
		{op: "Pad", opset: 11, attr: "pads"},
		{op: "Pad", opset: 22, attr: "mode", has: true},
		{op: "Slice", opset: 9, attr: "starts", has: true},
		{op: "Slice", opset: 10, attr: "starts"},
		{op: "Reshape", opset: 13, attr: "allowzero"},
		{op: "Reshape", opset: 14, attr: "allowzero", has: true},
		{op: "Reshape", opset: 22, attr: "allowzero", has: true},
		{op: "Shape", opset: 14, attr: "start"},
		{op: "Shape", opset: 15, attr: "start", has: true},
		{op: "ScatterElements", opset: 15, attr: "reduction"},
		{op: "ScatterElements", opset: 16, attr: "reduction", has: true},
		{op: "ScatterND", opset: 18, attr: "reduction", has: true},
		{op: "GatherND", opset: 11, attr: "batch_dims"},
		{op: "GatherND", opset: 12, attr: "batch_dims", has: true},
		{op: "Dropout", opset: 6, attr: "is_test", has: true},
		{op: "Dropout", opset: 12, attr: "ratio"},
		{op: "Constant", opset: 11, attr: "value_float"},
		{op: "Constant", opset: 12, attr: "value_float", has: true},
		{op: "DepthToSpace", opset: 10, attr: "mode"},
		{op: "DepthToSpace", opset: 11, attr: "mode", has: true},
		{op: "Tile", opset: 5, absent: true},
		{op: "Expand", opset: 7, absent: true},
		{op: "Trilu", opset: 13, absent: true},
	} {
		s := LookupSchema("", c.op, c.opset)
		if c.absent {
			if s != nil {
				t.Errorf("%s opset %d: schema since %d, want none", c.op, c.opset, s.Since)
			}
			continue
		}
		if s == nil {
			t.Errorf("%s opset %d: no schema", c.op, c.opset)
			continue
		}
		if (s.Attr(c.attr) != nil) != c.has {
			t.Errorf("%s opset %d (schema %d-%d): has attribute %s = %v, want %v", c.op, c.opset, s.Since, s.Until, c.attr, !c.has, c.has)
		}
	}
}
