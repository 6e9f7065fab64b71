package ops

import (
	"errors"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func rszF32(v ...float32) TypeShape { return Known(tensor.Must(tensor.FromSlice(v, len(v)))) }

var rszAbsent = TypeShape{Absent: true}

func TestRszSchemaVersions(t *testing.T) {
	for _, c := range []struct {
		op           string
		opset, since int64
	}{
		{"Resize", 10, 10}, {"Resize", 12, 11}, {"Resize", 17, 13}, {"Resize", 18, 18}, {"Resize", 22, 19},
		{"Upsample", 7, 7}, {"Upsample", 8, 7}, {"Upsample", 9, 9},
	} {
		if s := LookupSchema("", c.op, c.opset); s == nil || s.Since != c.since {
			t.Errorf("%s at %d: %+v, want since %d", c.op, c.opset, s, c.since)
		}
	}
	if s := LookupSchema("", "Upsample", 10); s != nil {
		t.Errorf("Upsample-10 is deprecated, got %+v", s)
	}
	s := LookupSchema("", "Resize", 19)
	for name, want := range map[string]any{"mode": "nearest", "coordinate_transformation_mode": "half_pixel",
		"nearest_mode": "round_prefer_floor", "cubic_coeff_a": float32(-0.75), "keep_aspect_ratio_policy": "stretch"} {
		if d := s.Attr(name); d == nil || d.Default != want {
			t.Errorf("Resize-19 %s default %v, want %v", name, d, want)
		}
	}
}

func TestRszInfer(t *testing.T) {
	f := tensor.Float32
	x := Ranked(f, redShape("N", 3, 4, 6))
	k := Of(f, 1, 3, 4, 6)
	cases := []struct {
		what  string
		op    string
		opset int64
		in    []TypeShape
		attrs []*ir.Attribute
		want  ir.Shape
	}{
		{"known scales", "Resize", 13, []TypeShape{k, rszAbsent, rszF32(1, 1, 0.5, 1.5)}, nil, redShape(1, 3, 2, 9)},
		{"floor of scales", "Resize", 13, []TypeShape{Of(f, 2, 4, 3, 5), rszAbsent, rszF32(1, 1.1, 1.3, 1.9)}, nil, redShape(2, 4, 3, 9)},
		{"symbolic batch, scale 1", "Resize", 13, []TypeShape{x, rszAbsent, rszF32(1, 1, 2, 2)}, nil, redShape("N", 3, 8, 12)},
		{"known sizes", "Resize", 13, []TypeShape{x, rszAbsent, rszAbsent, redAxesIn(1, 3, 5, 7)}, nil, redShape(1, 3, 5, 7)},
		{"unknown scales", "Resize", 13, []TypeShape{x, rszAbsent, Of(f, 4)}, nil, redShape(-1, -1, -1, -1)},
		{"opset 11, empty scales", "Resize", 11, []TypeShape{x, rszF32(), rszF32(), redAxesIn(2, 3, 5, 7)}, nil, redShape(2, 3, 5, 7)},
		{"opset 18 axes", "Resize", 18, []TypeShape{x, rszAbsent, rszF32(2, 3)}, []*ir.Attribute{attrInts("axes", -2, -1)}, redShape("N", 3, 8, 18)},
		{"opset 18 axes sizes", "Resize", 18, []TypeShape{x, rszAbsent, rszAbsent, redAxesIn(10)}, []*ir.Attribute{attrInts("axes", 2)}, redShape("N", 3, 10, 6)},
		{"not_larger", "Resize", 18, []TypeShape{k, rszAbsent, rszAbsent, redAxesIn(8, 8)},
			[]*ir.Attribute{attrInts("axes", 2, 3), attrStr("keep_aspect_ratio_policy", "not_larger")}, redShape(1, 3, 5, 8)},
		{"not_smaller", "Resize", 18, []TypeShape{k, rszAbsent, rszAbsent, redAxesIn(8, 8)},
			[]*ir.Attribute{attrInts("axes", 2, 3), attrStr("keep_aspect_ratio_policy", "not_smaller")}, redShape(1, 3, 8, 12)},
		{"resize-10", "Resize", 10, []TypeShape{k, rszF32(1, 1, 2, 2)}, nil, redShape(1, 3, 8, 12)},
		{"upsample-9", "Upsample", 9, []TypeShape{k, rszF32(1, 1, 2, 3)}, nil, redShape(1, 3, 8, 18)},
		{"upsample-7", "Upsample", 7, []TypeShape{x}, []*ir.Attribute{{Name: "scales", Type: ir.AttrFloats, Floats: []float32{1, 1, 2, 2}}}, redShape("N", 3, 8, 12)},
		{"unknown rank", "Resize", 13, []TypeShape{Unranked(f), rszAbsent, rszF32(2)}, nil, nil},
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
		{"scales and sizes", "Resize", 13, []TypeShape{x, rszAbsent, rszF32(1, 1, 2, 2), redAxesIn(1, 3, 8, 12)}, nil},
		{"scales and sizes, values unknown", "Resize", 13, []TypeShape{x, rszAbsent, Of(f, 4), Of(tensor.Int64, 4)}, nil},
		{"neither", "Resize", 13, []TypeShape{x}, nil},
		{"neither, empty", "Resize", 11, []TypeShape{x, rszF32(), rszF32()}, nil},
		{"scales length", "Resize", 13, []TypeShape{k, rszAbsent, rszF32(2, 2)}, nil},
		{"zero scale", "Resize", 13, []TypeShape{k, rszAbsent, rszF32(1, 1, 0, 2)}, nil},
		{"upsample shrink", "Upsample", 9, []TypeShape{k, rszF32(1, 1, 0.5, 2)}, nil},
		{"bad mode", "Resize", 13, []TypeShape{k, rszAbsent, rszF32(1, 1, 2, 2)}, []*ir.Attribute{attrStr("mode", "area")}},
		{"cubic resize-10", "Resize", 10, []TypeShape{k, rszF32(1, 1, 2, 2)}, []*ir.Attribute{attrStr("mode", "cubic")}},
		{"linear strings", "Resize", 13, []TypeShape{Of(tensor.String, 2), rszAbsent, rszF32(2)}, []*ir.Attribute{attrStr("mode", "linear")}},
		{"axes out of range", "Resize", 18, []TypeShape{x, rszAbsent, rszF32(2)}, []*ir.Attribute{attrInts("axes", 4)}},
		{"scales not float", "Resize", 13, []TypeShape{k, rszAbsent, redAxesIn(1, 1, 2, 2)}, nil},
	} {
		if _, err := testInfer("", c.op, c.opset, 1, c.in, c.attrs...); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("%s: err = %v, want ErrInvalidNode", c.what, err)
		}
	}
	if _, err := testInfer("", "Resize", 13, 1, []TypeShape{k, rszAbsent, rszF32(1, 1, 1e30, 1e30)}); !errors.Is(err, ErrShapeMismatch) {
		t.Errorf("huge scales: err = %v, want ErrShapeMismatch", err)
	}
}

// TestRszGeometry checks the scales the kernels map coordinates with.
func TestRszGeometry(t *testing.T) {
	n := &Node{Node: &ir.Node{OpType: "Resize", Attrs: []*ir.Attribute{
		attrStr("coordinate_transformation_mode", "tf_crop_and_resize"), attrInts("axes", 1),
		attrStr("keep_aspect_ratio_policy", "stretch")}}, Schema: LookupSchema("", "Resize", 19), Opset: 19}
	a, err := ParseResizeAttrs(n)
	if err != nil {
		t.Fatal(err)
	}
	roi := tensor.Must(tensor.FromSlice([]float32{0.25, 0.75}, 2))
	sizes := tensor.Must(tensor.FromSlice([]int64{6}, 1))
	g, err := a.Geometry([]int{2, 4}, []*tensor.Tensor{nil, roi, nil, sizes})
	if err != nil {
		t.Fatal(err)
	}
	if g.Out[0] != 2 || g.Out[1] != 6 || g.Scale[0] != 1 || g.Scale[1] != 1.5 ||
		g.RoiStart[0] != 0 || g.RoiEnd[0] != 1 || g.RoiStart[1] != 0.25 || g.RoiEnd[1] != 0.75 {
		t.Errorf("geometry %+v", g)
	}
}
