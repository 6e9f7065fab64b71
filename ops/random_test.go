package ops

import (
	"errors"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func TestRndInfer(t *testing.T) {
	for _, c := range []struct {
		op    string
		opset int64
		in    []TypeShape
		attrs []*ir.Attribute
		want  TypeShape
	}{
		{"RandomUniform", 1, nil, []*ir.Attribute{attrInts("shape", 2, 3)}, Of(tensor.Float32, 2, 3)},
		{"RandomNormal", 22, nil, []*ir.Attribute{attrInts("shape"), attrInt("dtype", int64(tensor.BFloat16))}, Of(tensor.BFloat16)},
		{"RandomNormal", 1, nil, []*ir.Attribute{attrInts("shape", 0, 4), attrInt("dtype", int64(tensor.Float64))}, Of(tensor.Float64, 0, 4)},
		{"RandomUniformLike", 1, []TypeShape{Ranked(tensor.Float16, testShape("N,3"))}, nil, Ranked(tensor.Float16, testShape("N,3"))},
		{"RandomNormalLike", 22, []TypeShape{Unranked(tensor.String)}, []*ir.Attribute{attrInt("dtype", int64(tensor.Float32))}, Unranked(tensor.Float32)},
		{"Bernoulli", 15, []TypeShape{Ranked(tensor.Float32, testShape("B,?"))}, nil, Ranked(tensor.Float32, testShape("B,?"))},
		{"Bernoulli", 15, []TypeShape{Of(tensor.Float64, 4)}, []*ir.Attribute{attrInt("dtype", int64(tensor.Bool))}, Of(tensor.Bool, 4)},
		{"Bernoulli", 22, []TypeShape{Of(tensor.BFloat16, 4)}, []*ir.Attribute{attrInt("dtype", int64(tensor.Int8))}, Of(tensor.Int8, 4)},
		{"Multinomial", 7, []TypeShape{Ranked(tensor.Float32, testShape("N,10"))}, nil, Ranked(tensor.Int32, testShape("N,1"))},
		{"Multinomial", 22, []TypeShape{Unranked(tensor.Float64)}, []*ir.Attribute{attrInt("sample_size", 5), attrInt("dtype", int64(tensor.Int64))},
			Ranked(tensor.Int64, testShape("?,5"))},
	} {
		out, err := testInfer("", c.op, c.opset, 1, c.in, c.attrs...)
		if err != nil {
			t.Fatalf("%s %v: %v", c.op, c.attrs, err)
		}
		testWant(t, c.op, out[0], c.want)
	}
}

func TestRndInferErrors(t *testing.T) {
	f4 := []TypeShape{Of(tensor.Float32, 2, 2)}
	for _, c := range []struct {
		name  string
		op    string
		opset int64
		in    []TypeShape
		attrs []*ir.Attribute
	}{
		{"missing shape", "RandomUniform", 22, nil, nil},
		{"negative dim", "RandomUniform", 22, nil, []*ir.Attribute{attrInts("shape", -1)}},
		{"too many elements", "RandomUniform", 22, nil, []*ir.Attribute{attrInts("shape", 1<<40, 1<<40)}},
		{"int dtype", "RandomNormal", 22, nil, []*ir.Attribute{attrInts("shape", 1), attrInt("dtype", int64(tensor.Int64))}},
		{"bfloat16 at 21", "RandomNormal", 21, nil, []*ir.Attribute{attrInts("shape", 1), attrInt("dtype", int64(tensor.BFloat16))}},
		{"an input", "RandomNormal", 22, f4, []*ir.Attribute{attrInts("shape", 1)}},
		{"like int input", "RandomUniformLike", 22, []TypeShape{Of(tensor.Int32, 2)}, nil},
		{"like no input", "RandomUniformLike", 22, nil, nil},
		{"bernoulli int input", "Bernoulli", 22, []TypeShape{Of(tensor.Int32, 2)}, nil},
		{"bernoulli string out", "Bernoulli", 22, f4, []*ir.Attribute{attrInt("dtype", int64(tensor.String))}},
		{"multinomial rank 1", "Multinomial", 22, []TypeShape{Of(tensor.Float32, 2)}, nil},
		{"multinomial float out", "Multinomial", 22, f4, []*ir.Attribute{attrInt("dtype", int64(tensor.Float32))}},
		{"multinomial negative", "Multinomial", 22, f4, []*ir.Attribute{attrInt("sample_size", -2)}},
		{"multinomial seed type", "Multinomial", 22, f4, []*ir.Attribute{attrInt("seed", 2)}},
	} {
		if _, err := testInfer("", c.op, c.opset, 1, c.in, c.attrs...); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("%s: err = %v, want ErrInvalidNode", c.name, err)
		}
	}
	for _, op := range []string{"Bernoulli", "Multinomial"} {
		if LookupSchema("", op, 6) != nil {
			t.Errorf("%s exists at opset 6", op)
		}
	}
	if LookupSchema("", "Bernoulli", 14) != nil {
		t.Errorf("Bernoulli exists at opset 14")
	}
}
