package ops

import (
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func TestVisionInferMaxUnpool(t *testing.T) {
	k22 := []*ir.Attribute{attrInts("kernel_shape", 2, 2), attrInts("strides", 2, 2)}
	i64 := func(s string) TypeShape { return selTS(tensor.Int64, s) }
	cases := []struct {
		name  string
		in    []TypeShape
		attrs []*ir.Attribute
		want  string
	}{
		{"2x2 stride 2", []TypeShape{nnF("1,1,2,2"), i64("1,1,2,2")}, k22, "1,1,4,4"},
		{"symbolic batch", []TypeShape{nnF("N,C,3,H"), i64("N,C,3,H")}, k22, "N,C,6,?"},
		{"indices know more", []TypeShape{nnF("N,C,?,?"), i64("N,C,3,5")}, k22, "N,C,6,10"},
		{"default stride", []TypeShape{nnF("1,2,5"), i64("1,2,5")}, []*ir.Attribute{attrInts("kernel_shape", 3)}, "1,2,7"},
		{"pads", []TypeShape{nnF("1,1,3,3"), i64("1,1,3,3")},
			append(k22, attrInts("pads", 1, 0, 1, 1)), "1,1,4,5"},
		{"unranked", []TypeShape{nnF("*"), i64("*")}, k22, "?,?,?,?"},
		{"output_shape value", []TypeShape{nnF("N,1,2,2"), i64("N,1,2,2"), Known(shpInt64Value([]int64{1, 1, 5, 5}))}, k22, "1,1,5,5"},
		{"output_shape unknown", []TypeShape{nnF("N,1,2,2"), i64("N,1,2,2"), i64("4")}, k22, "N,1,?,?"},
		{"output_shape absent", []TypeShape{nnF("1,1,2,2"), i64("1,1,2,2"), {Absent: true}}, k22, "1,1,4,4"},
	}
	for _, c := range cases {
		for _, opset := range []int64{9, 11, 22} {
			got, err := testInfer("", "MaxUnpool", opset, 1, c.in, c.attrs...)
			nnWantShapes(t, "MaxUnpool "+c.name, got, err, c.want)
		}
	}
	bad := []struct {
		name  string
		in    []TypeShape
		attrs []*ir.Attribute
	}{
		{"no kernel_shape", []TypeShape{nnF("1,1,2,2"), i64("1,1,2,2")}, nil},
		{"rank mismatch", []TypeShape{nnF("1,1,2"), i64("1,1,2")}, k22},
		{"indices rank", []TypeShape{nnF("1,1,2,2"), i64("1,2,2")}, k22},
		{"indices dims", []TypeShape{nnF("1,1,2,2"), i64("1,1,2,3")}, k22},
		{"int32 indices", []TypeShape{nnF("1,1,2,2"), selTS(tensor.Int32, "1,1,2,2")}, k22},
		{"int data", []TypeShape{selTS(tensor.Int64, "1,1,2,2"), i64("1,1,2,2")}, k22},
		{"zero kernel", []TypeShape{nnF("1,1,2,2"), i64("1,1,2,2")}, []*ir.Attribute{attrInts("kernel_shape", 0, 2)}},
		{"zero stride", []TypeShape{nnF("1,1,2,2"), i64("1,1,2,2")}, []*ir.Attribute{attrInts("kernel_shape", 2, 2), attrInts("strides", 0, 1)}},
		{"pads eat all", []TypeShape{nnF("1,1,1,1"), i64("1,1,1,1")}, append(k22, attrInts("pads", 2, 2, 2, 2))},
		{"output_shape length", []TypeShape{nnF("1,1,2,2"), i64("1,1,2,2"), Known(shpInt64Value([]int64{4, 4}))}, k22},
		{"output_shape batch", []TypeShape{nnF("1,1,2,2"), i64("1,1,2,2"), Known(shpInt64Value([]int64{2, 1, 4, 4}))}, k22},
		{"output_shape negative", []TypeShape{nnF("1,1,2,2"), i64("1,1,2,2"), Known(shpInt64Value([]int64{1, 1, -4, 4}))}, k22},
		{"huge", []TypeShape{nnF("1,1,1000000,1000000"), i64("1,1,1000000,1000000")}, k22},
	}
	for _, c := range bad {
		_, err := testInfer("", "MaxUnpool", 22, 1, c.in, c.attrs...)
		selWantInvalid(t, "MaxUnpool "+c.name, err)
	}
}

func TestVisionInferGridSample(t *testing.T) {
	cases := []struct {
		name  string
		opset int64
		x, g  string
		attrs []*ir.Attribute
		want  string
	}{
		{"4-D", 16, "N,C,H,W", "N,5,6,2", nil, "N,C,5,6"},
		{"batch from X", 16, "2,3,4,4", "?,5,6,2", []*ir.Attribute{attrStr("mode", "bicubic")}, "2,3,5,6"},
		{"grid unknown", 16, "2,3,4,4", "*", []*ir.Attribute{attrStr("mode", "nearest")}, "2,3,?,?"},
		{"X unknown", 20, "*", "N,7,1", []*ir.Attribute{attrStr("mode", "cubic")}, "N,?,7"},
		{"5-D", 20, "1,2,4,5,6", "1,3,3,3,3", []*ir.Attribute{attrStr("padding_mode", "reflection")}, "1,2,3,3,3"},
		{"3-D at 22", 22, "1,2,9", "1,4,1", []*ir.Attribute{attrStr("mode", "linear"), attrInt("align_corners", 1)}, "1,2,4"},
		{"both unknown", 22, "*", "*", nil, "*"},
	}
	for _, c := range cases {
		got, err := testInfer("", "GridSample", c.opset, 1, []TypeShape{nnF(c.x), nnF(c.g)}, c.attrs...)
		nnWantShapes(t, "GridSample "+c.name, got, err, c.want)
	}
	// Integer images are allowed; grids are float.
	got, err := testInfer("", "GridSample", 16, 1, []TypeShape{selTS(tensor.Uint8, "1,1,2,2"), selTS(tensor.Float64, "1,3,3,2")})
	nnWantShapes(t, "GridSample uint8", got, err, "1,1,3,3")
	bad := []struct {
		name  string
		opset int64
		x, g  TypeShape
		attrs []*ir.Attribute
	}{
		{"5-D at 16", 16, nnF("1,1,2,2,2"), nnF("1,2,2,2,3"), nil},
		{"2-D", 20, nnF("1,1"), nnF("1,1"), nil},
		{"rank mismatch", 20, nnF("1,1,4,4"), nnF("1,4,2"), nil},
		{"grid last dim", 16, nnF("1,1,4,4"), nnF("1,4,4,3"), nil},
		{"batch mismatch", 16, nnF("2,1,4,4"), nnF("3,4,4,2"), nil},
		{"int grid", 16, nnF("1,1,4,4"), selTS(tensor.Int64, "1,4,4,2"), nil},
		{"linear at 16", 16, nnF("1,1,4,4"), nnF("1,4,4,2"), []*ir.Attribute{attrStr("mode", "linear")}},
		{"bilinear at 20", 20, nnF("1,1,4,4"), nnF("1,4,4,2"), []*ir.Attribute{attrStr("mode", "bilinear")}},
		{"bicubic at 22", 22, nnF("1,1,4,4"), nnF("1,4,4,2"), []*ir.Attribute{attrStr("mode", "bicubic")}},
		{"padding", 16, nnF("1,1,4,4"), nnF("1,4,4,2"), []*ir.Attribute{attrStr("padding_mode", "wrap")}},
		{"align_corners 2", 16, nnF("1,1,4,4"), nnF("1,4,4,2"), []*ir.Attribute{attrInt("align_corners", 2)}},
	}
	for _, c := range bad {
		_, err := testInfer("", "GridSample", c.opset, 1, []TypeShape{c.x, c.g}, c.attrs...)
		selWantInvalid(t, "GridSample "+c.name, err)
	}
	if LookupSchema("", "GridSample", 16).Attr("mode").Default != "bilinear" || LookupSchema("", "GridSample", 20).Attr("mode").Default != "linear" {
		t.Error("GridSample mode defaults: want bilinear at 16, linear from 20")
	}
}

func TestVisionInferRoiAlign(t *testing.T) {
	bi := selTS(tensor.Int64, "R")
	got, err := testInfer("", "RoiAlign", 16, 1, []TypeShape{nnF("N,C,H,W"), nnF("R,4"), bi})
	nnWantShapes(t, "RoiAlign defaults", got, err, "R,C,1,1")
	got, err = testInfer("", "RoiAlign", 10, 1, []TypeShape{nnF("2,8,H,W"), nnF("?,4"), selTS(tensor.Int64, "5")},
		attrInt("output_height", 7), attrInt("output_width", 3))
	nnWantShapes(t, "RoiAlign 7x3", got, err, "5,8,7,3")
	got, err = testInfer("", "RoiAlign", 22, 1, []TypeShape{selTS(tensor.Float16, "*"), selTS(tensor.Float16, "*"), selTS(tensor.Int64, "*")})
	nnWantShapes(t, "RoiAlign unknown", got, err, "?,?,1,1")

	node := &Node{Node: &ir.Node{OpType: "RoiAlign"}, Schema: LookupSchema("", "RoiAlign", 10), Opset: 10}
	node.Attrs = []*ir.Attribute{attrStr("coordinate_transformation_mode", "half_pixel")}
	if p, err := RoiAlignAttrs(node); err != nil || p.HalfPixel || !p.MinRoiOne {
		t.Errorf("RoiAlign-10 must be output_half_pixel whatever the node says: %+v, %v", p, err)
	}
	node.Schema, node.Opset = LookupSchema("", "RoiAlign", 16), 16
	if p, err := RoiAlignAttrs(node); err != nil || !p.HalfPixel || p.MinRoiOne {
		t.Errorf("RoiAlign-16 half_pixel: %+v, %v", p, err)
	}
	node.Attrs = nil
	if p, err := RoiAlignAttrs(node); err != nil || !p.HalfPixel || p.Max || p.OutH != 1 || p.SpatialScale != 1 {
		t.Errorf("RoiAlign-16 defaults: %+v, %v", p, err)
	}

	x, rois := nnF("1,2,8,8"), nnF("3,4")
	bad := []struct {
		name  string
		in    []TypeShape
		attrs []*ir.Attribute
	}{
		{"mode", []TypeShape{x, rois, bi}, []*ir.Attribute{attrStr("mode", "min")}},
		{"ctm", []TypeShape{x, rois, bi}, []*ir.Attribute{attrStr("coordinate_transformation_mode", "asymmetric")}},
		{"height 0", []TypeShape{x, rois, bi}, []*ir.Attribute{attrInt("output_height", 0)}},
		{"negative sampling", []TypeShape{x, rois, bi}, []*ir.Attribute{attrInt("sampling_ratio", -1)}},
		{"X rank", []TypeShape{nnF("2,8,8"), rois, bi}, nil},
		{"rois width", []TypeShape{x, nnF("3,5"), bi}, nil},
		{"rois rank", []TypeShape{x, nnF("12"), bi}, nil},
		{"rois dtype", []TypeShape{x, selTS(tensor.Float64, "3,4"), bi}, nil},
		{"count mismatch", []TypeShape{x, rois, selTS(tensor.Int64, "2")}, nil},
		{"int32 indices", []TypeShape{x, rois, selTS(tensor.Int32, "3")}, nil},
		{"int X", []TypeShape{selTS(tensor.Int32, "1,2,8,8"), selTS(tensor.Int32, "3,4"), bi}, nil},
	}
	for _, c := range bad {
		_, err := testInfer("", "RoiAlign", 16, 1, c.in, c.attrs...)
		selWantInvalid(t, "RoiAlign "+c.name, err)
	}
}

func TestVisionInferNMS(t *testing.T) {
	boxes, scores := nnF("B,S,4"), nnF("B,C,S")
	for _, opset := range []int64{10, 11} {
		got, err := testInfer("", "NonMaxSuppression", opset, 1, []TypeShape{boxes, scores})
		nnWantShapes(t, "NMS 2 inputs", got, err, "?,3")
		got, err = testInfer("", "NonMaxSuppression", opset, 1, []TypeShape{boxes, scores, selTS(tensor.Int64, "1"), {Absent: true}, nnF("")},
			attrInt("center_point_box", 1))
		nnWantShapes(t, "NMS all inputs", got, err, "?,3")
		if err == nil && got[0].DType != tensor.Int64 {
			t.Errorf("NMS output %v, want int64", got[0].DType)
		}
	}
	bad := []struct {
		name  string
		in    []TypeShape
		attrs []*ir.Attribute
	}{
		{"center 2", []TypeShape{boxes, scores}, []*ir.Attribute{attrInt("center_point_box", 2)}},
		{"boxes width", []TypeShape{nnF("1,3,5"), nnF("1,1,3")}, nil},
		{"boxes rank", []TypeShape{nnF("3,4"), nnF("1,1,3")}, nil},
		{"scores rank", []TypeShape{nnF("1,3,4"), nnF("1,3")}, nil},
		{"batch mismatch", []TypeShape{nnF("2,3,4"), nnF("1,1,3")}, nil},
		{"spatial mismatch", []TypeShape{nnF("1,3,4"), nnF("1,1,4")}, nil},
		{"float64 boxes", []TypeShape{selTS(tensor.Float64, "1,3,4"), nnF("1,1,3")}, nil},
		{"int32 max", []TypeShape{boxes, scores, selTS(tensor.Int32, "1")}, nil},
		{"float64 iou", []TypeShape{boxes, scores, selTS(tensor.Int64, "1"), selTS(tensor.Float64, "1")}, nil},
	}
	for _, c := range bad {
		_, err := testInfer("", "NonMaxSuppression", 11, 1, c.in, c.attrs...)
		selWantInvalid(t, "NMS "+c.name, err)
	}
}
