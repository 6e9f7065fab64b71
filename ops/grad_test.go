package ops

import (
	"errors"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// grInfer runs the inference of op (domain, opset 1) on the given inputs.
func grInfer(domain, op string, nOut int, in []TypeShape, attrs ...*ir.Attribute) ([]TypeShape, error) {
	return testInfer(domain, op, 1, nOut, in, attrs...)
}

func grShapeTS(dims ...int64) TypeShape {
	return Known(tensor.Must(tensor.FromSlice(dims, len(dims))))
}

// TestGradSchemas checks the inference of the gradient ops: output shapes
// from shape inputs (known, or only their length), like-input outputs,
// and errors for types and shapes that do not fit.
func TestGradSchemas(t *testing.T) {
	f32 := func(dims ...int) TypeShape { return Of(tensor.Float32, dims...) }
	sym := Ranked(tensor.Float32, ir.Shape{ir.SymDim("N"), ir.DimOf(4), ir.DimOf(3), ir.DimOf(3)})
	out, err := grInfer(GradDomain, "ConvGradInput", 1, []TypeShape{sym, f32(4, 2, 3, 3), grShapeTS(2, 2, 5, 5)})
	if err != nil || out[0].Shape.String() != "2x2x5x5" {
		t.Errorf("ConvGradInput with a known shape: %v %v", out, err)
	}
	out, err = grInfer(GradDomain, "ConvGradInput", 1, []TypeShape{sym, f32(4, 2, 3, 3), Of(tensor.Int64, 4)})
	if err != nil || out[0].Shape.String() != "N"+"x?x?x?" {
		t.Errorf("ConvGradInput with a shape of known length: %v %v", out, err)
	}
	out, err = grInfer(GradDomain, "ConvGradWeight", 1, []TypeShape{f32(1, 4, 3, 3), f32(1, 2, 5, 5), {DType: tensor.Int64}})
	if err != nil || out[0].Shape != nil {
		t.Errorf("ConvGradWeight with an unknown shape: %v %v", out, err)
	}
	out, err = grInfer(GradDomain, "AveragePoolGrad", 1, []TypeShape{f32(1, 2, 2, 2), grShapeTS(1, 2, 4, 4)},
		&ir.Attribute{Name: "kernel_shape", Type: ir.AttrInts, Ints: []int64{2, 2}})
	if err != nil || out[0].Shape.String() != "1x2x4x4" {
		t.Errorf("AveragePoolGrad: %v %v", out, err)
	}
	out, err = grInfer(GradDomain, "BatchNormalizationGrad", 3, []TypeShape{f32(2, 3), f32(2, 3), Of(tensor.Float16, 3), f32(3), f32(3)})
	if err != nil || out[0].Shape.String() != "2x3" || out[1].DType != tensor.Float16 || out[2].Shape.String() != "3" {
		t.Errorf("BatchNormalizationGrad: %v %v", out, err)
	}
	out, err = grInfer(GradDomain, "ReduceSumTo", 1, []TypeShape{f32(2, 3), grShapeTS(1, 3)})
	if err != nil || out[0].Shape.String() != "1x3" {
		t.Errorf("ReduceSumTo: %v %v", out, err)
	}
	out, err = grInfer(TrainingDomain, "Gradient", 2, []TypeShape{f32(2), Of(tensor.Float64), f32(1)},
		&ir.Attribute{Name: "xs", Type: ir.AttrStrings, Strings: []string{"a", "b"}},
		&ir.Attribute{Name: "zs", Type: ir.AttrStrings, Strings: []string{"c"}},
		&ir.Attribute{Name: "y", Type: ir.AttrString, String: "y"})
	if err != nil || out[0].Shape.String() != "2" || out[1].DType != tensor.Float64 {
		t.Errorf("Gradient: %v %v", out, err)
	}

	xs := &ir.Attribute{Name: "xs", Type: ir.AttrStrings, Strings: []string{"a"}}
	y := &ir.Attribute{Name: "y", Type: ir.AttrString, String: "y"}
	for name, f := range map[string]func() error{
		"ConvGradInput int dY": func() error {
			_, err := grInfer(GradDomain, "ConvGradInput", 1, []TypeShape{Of(tensor.Int32, 1, 1, 1), Of(tensor.Int32, 1, 1, 1), grShapeTS(1, 1, 3)})
			return err
		},
		"ConvGradInput float shape": func() error {
			_, err := grInfer(GradDomain, "ConvGradInput", 1, []TypeShape{f32(1, 1, 1), f32(1, 1, 1), f32(3)})
			return err
		},
		"ConvGradInput negative dim": func() error {
			_, err := grInfer(GradDomain, "ConvGradInput", 1, []TypeShape{f32(1, 1, 1), f32(1, 1, 1), grShapeTS(1, -1, 3)})
			return err
		},
		"ConvGradWeight rank 2": func() error {
			_, err := grInfer(GradDomain, "ConvGradWeight", 1, []TypeShape{f32(1, 1), f32(1, 1), grShapeTS(1, 1)})
			return err
		},
		"ConvGradWeight mixed types": func() error {
			_, err := grInfer(GradDomain, "ConvGradWeight", 1, []TypeShape{f32(1, 1, 1), Of(tensor.Float64, 1, 1, 1), grShapeTS(1, 1, 1)})
			return err
		},
		"ReduceSumTo no broadcast": func() error {
			_, err := grInfer(GradDomain, "ReduceSumTo", 1, []TypeShape{f32(2, 3), grShapeTS(2)})
			return err
		},
		"ReduceSumTo higher rank": func() error {
			_, err := grInfer(GradDomain, "ReduceSumTo", 1, []TypeShape{f32(3), grShapeTS(1, 3)})
			return err
		},
		"BatchNormalizationGrad no mean": func() error {
			_, err := grInfer(GradDomain, "BatchNormalizationGrad", 1, []TypeShape{f32(2, 3), f32(2, 3), f32(3)})
			return err
		},
		"DropoutGrad int training_mode": func() error {
			_, err := grInfer(GradDomain, "DropoutGrad", 1, []TypeShape{f32(2), Of(tensor.Bool, 2), f32(), Of(tensor.Int64)})
			return err
		},
		"loss grad bad reduction": func() error {
			_, err := grInfer(GradDomain, "SoftmaxCrossEntropyLossGrad", 1, []TypeShape{f32(), f32(2, 3), Of(tensor.Int64, 2)},
				&ir.Attribute{Name: "reduction", Type: ir.AttrString, String: "max"})
			return err
		},
		"loss grad float labels": func() error {
			_, err := grInfer(GradDomain, "NegativeLogLikelihoodLossGrad", 1, []TypeShape{f32(), f32(2, 3), f32(2)})
			return err
		},
		"Gradient input count": func() error {
			_, err := grInfer(TrainingDomain, "Gradient", 1, []TypeShape{f32(2), f32(2)}, xs, y)
			return err
		},
		"Gradient output count": func() error {
			_, err := grInfer(TrainingDomain, "Gradient", 2, []TypeShape{f32(2)}, xs, y)
			return err
		},
		"Gradient int xs": func() error {
			_, err := grInfer(TrainingDomain, "Gradient", 1, []TypeShape{Of(tensor.Int64, 2)}, xs, y)
			return err
		},
		"Gradient no y": func() error {
			_, err := grInfer(TrainingDomain, "Gradient", 1, []TypeShape{f32(2)}, xs)
			return err
		},
	} {
		err := f()
		if !errors.Is(err, ErrInvalidNode) && !errors.Is(err, ErrShapeMismatch) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestGradIsRandomNode checks which nodes IsRandomNode reports.
func TestGradIsRandomNode(t *testing.T) {
	node := func(op string, inputs []string, attrs ...*ir.Attribute) *ir.Node {
		return &ir.Node{OpType: op, Inputs: inputs, Attrs: attrs}
	}
	isTest := func(v int64) *ir.Attribute { return &ir.Attribute{Name: "is_test", Type: ir.AttrInt, Int: v} }
	for _, tc := range []struct {
		n     *ir.Node
		opset int64
		want  bool
	}{
		{node("RandomNormal", nil), 13, true},
		{node("Bernoulli", []string{"x"}), 15, true},
		{node("Relu", []string{"x"}), 13, false},
		{node("Dropout", []string{"x"}), 13, false},
		{node("Dropout", []string{"x", "r"}), 13, false},
		{node("Dropout", []string{"x", "", "t"}), 13, true},
		{node("Dropout", []string{"x", "r", ""}), 13, false},
		{node("Dropout", []string{"x"}), 10, false},
		// Before opset 12 Dropout is the identity, as in ONNX Runtime,
		// whatever is_test says.
		{node("Dropout", []string{"x"}), 6, false},
		{node("Dropout", []string{"x"}, isTest(0)), 6, false},
		{node("Dropout", []string{"x"}, isTest(1)), 6, false},
		{node("Nope", []string{"x"}), 13, false},
	} {
		if got := IsRandomNode(tc.n, tc.opset); got != tc.want {
			t.Errorf("IsRandomNode(%v %v, opset %d) = %v", tc.n, tc.n.Inputs, tc.opset, got)
		}
	}
}

// TestGradDropoutRatio checks DropoutRatio and DropoutTraining.
func TestGradDropoutRatio(t *testing.T) {
	mk := func(opset int64, attrs ...*ir.Attribute) *Node {
		s := LookupSchema("", "Dropout", opset)
		return &Node{Node: &ir.Node{OpType: "Dropout", Attrs: attrs}, Schema: s, Opset: opset}
	}
	ratio := &ir.Attribute{Name: "ratio", Type: ir.AttrFloat, Float: 0.25}
	if r, err := DropoutRatio(mk(10, ratio), nil); err != nil || r != 0.25 {
		t.Errorf("opset 10 ratio: %v %v", r, err)
	}
	if r, err := DropoutRatio(mk(13), nil); err != nil || r != 0.5 {
		t.Errorf("default ratio: %v %v", r, err)
	}
	if r, err := DropoutRatio(mk(13), tensor.Scalar(0.125)); err != nil || r != 0.125 {
		t.Errorf("ratio input: %v %v", r, err)
	}
	for _, bad := range []*tensor.Tensor{tensor.Scalar(1.0), tensor.Scalar(float32(-0.1)), tensor.Must(tensor.FromSlice([]float32{0.1, 0.2}, 2))} {
		if _, err := DropoutRatio(mk(13), bad); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("ratio %v: %v", bad, err)
		}
	}
	for _, tc := range []struct {
		n        *Node
		ratio    *tensor.Tensor
		training *tensor.Tensor
		want     bool
	}{
		{mk(13), nil, nil, false},
		{mk(13), nil, tensor.Scalar(false), false},
		{mk(13), nil, tensor.Scalar(true), true},
		{mk(13), tensor.Scalar(float32(0)), tensor.Scalar(true), false},
		{mk(10), nil, tensor.Scalar(true), false},
		{mk(6), nil, nil, false}, // the identity before opset 12, as in ONNX Runtime
		{mk(6, &ir.Attribute{Name: "ratio", Type: ir.AttrFloat, Float: 0}), nil, nil, false},
		{mk(6, &ir.Attribute{Name: "is_test", Type: ir.AttrInt, Int: 1}), nil, nil, false},
	} {
		if got, err := DropoutTraining(tc.n, tc.ratio, tc.training); err != nil || got != tc.want {
			t.Errorf("DropoutTraining(opset %d, %v, %v) = %v, %v", tc.n.Opset, tc.ratio, tc.training, got, err)
		}
	}
}
