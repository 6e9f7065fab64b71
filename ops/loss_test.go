package ops

import (
	"errors"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func TestLossInfer(t *testing.T) {
	i64 := func(s string) TypeShape { return TypeShape{DType: tensor.Int64, Shape: testShape(s)} }
	red := func(r string) []*ir.Attribute { return []*ir.Attribute{attrStr("reduction", r)} }
	for _, op := range []string{"NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"} {
		for _, opset := range []int64{12, 13} {
			cases := []struct {
				name  string
				in    []TypeShape
				attrs []*ir.Attribute
				want  string
			}{
				{"NC mean", []TypeShape{nnF("N,C"), i64("N")}, nil, ""},
				{"NC none", []TypeShape{nnF("N,C"), i64("N")}, red("none"), "N"},
				{"NCd none", []TypeShape{nnF("N,C,4,5"), i64("N,4,5"), nnF("C")}, red("none"), "N,4,5"},
				{"dims from target", []TypeShape{nnF("N,C,?"), i64("N,7")}, red("none"), "N,7"},
				{"unknown input", []TypeShape{nnF("*"), i64("3,2")}, red("none"), "3,2"},
				{"sum", []TypeShape{nnF("N,C,2"), i64("N,2")}, red("sum"), ""},
			}
			for _, c := range cases {
				got, err := testInfer("", op, opset, 1, c.in, c.attrs...)
				nnWantShapes(t, op+" "+c.name, got, err, c.want)
			}
		}
	}
	got, err := testInfer("", "SoftmaxCrossEntropyLoss", 13, 2, []TypeShape{nnF("N,C,3"), i64("N,3")})
	nnWantShapes(t, "log_prob", got, err, "", "N,C,3")
	if LookupSchema("", "NegativeLogLikelihoodLoss", 22) == nil || LookupSchema("", "SoftmaxCrossEntropyLoss", 11) != nil {
		t.Error("loss opset ranges")
	}
	for _, c := range []struct {
		name  string
		in    []TypeShape
		attrs []*ir.Attribute
		want  error
	}{
		{"reduction", []TypeShape{nnF("N,C"), i64("N")}, red("max"), ErrInvalidNode},
		{"target rank", []TypeShape{nnF("N,C,2"), i64("N")}, nil, ErrShapeMismatch},
		{"target dims", []TypeShape{nnF("2,C,3"), i64("2,4")}, nil, ErrShapeMismatch},
		{"batch", []TypeShape{nnF("2,C"), i64("3")}, nil, ErrShapeMismatch},
		{"rank 1", []TypeShape{nnF("5"), i64("")}, nil, ErrShapeMismatch},
		{"weight size", []TypeShape{nnF("2,5"), i64("2"), nnF("4")}, nil, ErrShapeMismatch},
		{"weight rank", []TypeShape{nnF("2,5"), i64("2"), nnF("5,1")}, nil, ErrShapeMismatch},
		{"float target", []TypeShape{nnF("2,5"), nnF("2")}, nil, ErrInvalidNode},
		{"int input", []TypeShape{i64("2,5"), i64("2")}, nil, ErrInvalidNode},
		{"weight type", []TypeShape{nnF("2,5"), i64("2"), {DType: tensor.Float64, Shape: testShape("5")}}, nil, ErrInvalidNode},
	} {
		for _, op := range []string{"NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"} {
			_, err := testInfer("", op, 13, 1, c.in, c.attrs...)
			if !errors.Is(err, c.want) {
				t.Errorf("%s %s: got %v, want %v", op, c.name, err, c.want)
			}
		}
	}
}
