package ops

import (
	"errors"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func TestLayerNormInfer(t *testing.T) {
	cases := []struct {
		name  string
		in    []TypeShape
		attrs []*ir.Attribute
		want  []string
	}{
		{"default axis", []TypeShape{nnF("N,S,D"), nnF("D"), nnF("D")}, nil, []string{"N,S,D", "N,S,1", "N,S,1"}},
		{"axis 1", []TypeShape{nnF("2,3,4,5"), nnF("3,4,5")}, []*ir.Attribute{attrInt("axis", 1)}, []string{"2,3,4,5", "2,1,1,1", "2,1,1,1"}},
		{"axis -4", []TypeShape{nnF("2,3,4,5"), nnF("2,3,4,5")}, []*ir.Attribute{attrInt("axis", -4)}, []string{"2,3,4,5", "1,1,1,1", "1,1,1,1"}},
		{"broadcast scale", []TypeShape{nnF("2,3,4"), nnF("1,4"), nnF("1")}, []*ir.Attribute{attrInt("axis", 1)}, []string{"2,3,4", "2,1,1", "2,1,1"}},
		{"unknown rank", []TypeShape{nnF("*"), nnF("4")}, nil, []string{"*", "*", "*"}},
	}
	for _, c := range cases {
		got, err := testInfer("", "LayerNormalization", 17, 3, c.in, c.attrs...)
		nnWantShapes(t, c.name, got, err, c.want...)
		if err == nil && (got[1].DType != tensor.Float32 || got[2].DType != tensor.Float32) {
			t.Errorf("%s: stats dtypes %v %v", c.name, got[1].DType, got[2].DType)
		}
	}
	// stash_type sets the statistics' type.
	got, err := testInfer("", "LayerNormalization", 17, 3, []TypeShape{{DType: tensor.Float16, Shape: testShape("2,3")}, {DType: tensor.Float16, Shape: testShape("3")}},
		attrInt("stash_type", int64(tensor.BFloat16)))
	if err != nil || got[0].DType != tensor.Float16 || got[1].DType != tensor.BFloat16 {
		t.Fatalf("stash_type: %v %v", got, err)
	}
	for _, c := range []struct {
		name  string
		in    []TypeShape
		attrs []*ir.Attribute
		want  error
	}{
		{"axis out of range", []TypeShape{nnF("2,3"), nnF("3")}, []*ir.Attribute{attrInt("axis", 2)}, ErrInvalidNode},
		{"scale too wide", []TypeShape{nnF("2,3"), nnF("4")}, nil, ErrShapeMismatch},
		{"scale rank", []TypeShape{nnF("2,3"), nnF("1,2,3")}, nil, ErrShapeMismatch},
		{"bias shape", []TypeShape{nnF("2,3"), nnF("3"), nnF("2")}, nil, ErrShapeMismatch},
		{"scalar", []TypeShape{nnF(""), nnF("")}, nil, ErrShapeMismatch},
		{"stash int", []TypeShape{nnF("2,3"), nnF("3")}, []*ir.Attribute{attrInt("stash_type", int64(tensor.Int32))}, ErrInvalidNode},
		{"int X", []TypeShape{{DType: tensor.Int32, Shape: testShape("2,3")}, {DType: tensor.Int32, Shape: testShape("3")}}, nil, ErrInvalidNode},
		{"scale type", []TypeShape{nnF("2,3"), {DType: tensor.Float64, Shape: testShape("3")}}, nil, ErrInvalidNode},
	} {
		_, err := testInfer("", "LayerNormalization", 17, 1, c.in, c.attrs...)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if LookupSchema("", "LayerNormalization", 16) != nil {
		t.Error("LayerNormalization exists before opset 17")
	}
}

func TestMVNInfer(t *testing.T) {
	for _, opset := range []int64{9, 13} {
		got, err := testInfer("", "MeanVarianceNormalization", opset, 1, []TypeShape{nnF("N,C,H,W")})
		nnWantShapes(t, "default axes", got, err, "N,C,H,W")
	}
	got, err := testInfer("", "MeanVarianceNormalization", 13, 1, []TypeShape{nnF("3,4")}, attrInts("axes", -1))
	nnWantShapes(t, "axes -1", got, err, "3,4")
	for _, c := range []struct {
		name string
		in   TypeShape
		axes []int64
	}{
		{"default axes on rank 2", nnF("3,4"), nil},
		{"repeated", nnF("3,4"), []int64{1, -1}},
		{"out of range", nnF("3,4"), []int64{2}},
		{"int", TypeShape{DType: tensor.Int32, Shape: testShape("1,2,3,4")}, nil},
	} {
		var attrs []*ir.Attribute
		if c.axes != nil {
			attrs = append(attrs, attrInts("axes", c.axes...))
		}
		if _, err := testInfer("", "MeanVarianceNormalization", 13, 1, []TypeShape{c.in}, attrs...); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
