package ops

import (
	"errors"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func TestTrnInfer(t *testing.T) {
	r, tt := Of(tensor.Float32), Of(tensor.Int64)
	x1 := Ranked(tensor.Float32, testShape("N,3"))
	x2 := Of(tensor.Float64, 5)
	mom := []*ir.Attribute{attrFloat("alpha", 0.9), attrFloat("beta", 0.1), attrStr("mode", "nesterov"), attrFloat("norm_coefficient", 0)}
	for _, c := range []struct {
		op    string
		in    []TypeShape
		attrs []*ir.Attribute
		want  []TypeShape
	}{
		{"Adagrad", []TypeShape{r, tt, x1, x1, x1}, nil, []TypeShape{x1, x1}},
		// Unknown shapes of G and states are accepted; the outputs of
		// each tensor take the best known of its inputs' shapes.
		{"Adagrad", []TypeShape{r, tt, Unranked(tensor.Float32), Ranked(tensor.Float64, testShape("?")), x1, x2,
			Ranked(tensor.Float32, testShape("?,?")), Ranked(tensor.Float64, testShape("?"))}, nil,
			[]TypeShape{x1, x2, x1, x2}},
		{"Momentum", []TypeShape{r, tt, Ranked(tensor.Float32, testShape("?,4")), Ranked(tensor.Float32, testShape("N,?")),
			Ranked(tensor.Float32, testShape("2,?"))}, mom,
			[]TypeShape{Ranked(tensor.Float32, testShape("2,4")), Ranked(tensor.Float32, testShape("2,4"))}},
		{"Momentum", []TypeShape{Of(tensor.Float64, 1), tt, x2, x2, x2}, mom, []TypeShape{x2, x2}},
		{"Adam", []TypeShape{r, Ranked(tensor.Int64, testShape("")), x2, x1, x2, x1, x2, x1, x2, x1}, nil,
			[]TypeShape{x2, x1, x2, x1, x2, x1}},
	} {
		l, _ := TrainingLayout(c.op)
		k := (len(c.in) - 2) / l.In
		out, err := testInfer(TrainingDomain, c.op, 1, k*len(l.OutFrom), c.in, c.attrs...)
		if err != nil {
			t.Fatalf("%s %v: %v", c.op, c.in, err)
		}
		if len(out) != len(c.want) {
			t.Fatalf("%s: %d outputs, want %d", c.op, len(out), len(c.want))
		}
		for i := range out {
			testWant(t, c.op, out[i], c.want[i])
		}
	}
	// The schemas live in the training domain only, at opset 1.
	for _, op := range []string{"Adagrad", "Momentum", "Adam"} {
		if s := LookupSchema(TrainingDomain, op, 1); s == nil || s.Domain != TrainingDomain {
			t.Errorf("%s: schema %v", op, s)
		}
		if LookupSchema("", op, 22) != nil {
			t.Errorf("%s in the default domain", op)
		}
	}
}

func TestTrnInferErrors(t *testing.T) {
	r, tt, x := Of(tensor.Float32), Of(tensor.Int64), Of(tensor.Float32, 2)
	mom := []*ir.Attribute{attrFloat("alpha", 0.9), attrFloat("beta", 0.1), attrStr("mode", "standard"), attrFloat("norm_coefficient", 0)}
	for _, c := range []struct {
		name  string
		op    string
		nOut  int
		in    []TypeShape
		attrs []*ir.Attribute
	}{
		{"too few inputs", "Adagrad", 2, []TypeShape{r, tt}, nil},
		{"4 inputs", "Adagrad", 2, []TypeShape{r, tt, x, x}, nil},
		{"adam groups", "Adam", 3, []TypeShape{r, tt, x, x, x, x, x}, nil},
		{"outputs", "Momentum", 3, []TypeShape{r, tt, x, x, x}, mom},
		{"R int", "Adagrad", 2, []TypeShape{Of(tensor.Int64), tt, x, x, x}, nil},
		{"R shape", "Adagrad", 2, []TypeShape{Of(tensor.Float32, 2), tt, x, x, x}, nil},
		{"T float", "Adagrad", 2, []TypeShape{r, Of(tensor.Float32), x, x, x}, nil},
		{"T shape", "Adagrad", 2, []TypeShape{r, Of(tensor.Int64, 1, 2), x, x, x}, nil},
		{"X int", "Adagrad", 2, []TypeShape{r, tt, Of(tensor.Int32, 2), Of(tensor.Int32, 2), Of(tensor.Int32, 2)}, nil},
		{"G dtype", "Adagrad", 2, []TypeShape{r, tt, x, Of(tensor.Float64, 2), x}, nil},
		{"G absent", "Adagrad", 2, []TypeShape{r, tt, x, {Absent: true}, x}, nil},
		{"mode", "Momentum", 2, []TypeShape{r, tt, x, x, x}, append([]*ir.Attribute{attrStr("mode", "fast")}, mom...)},
		{"momentum attrs", "Momentum", 2, []TypeShape{r, tt, x, x, x}, mom[:3]},
	} {
		if _, err := testInfer(TrainingDomain, c.op, 1, c.nOut, c.in, c.attrs...); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("%s: err = %v, want ErrInvalidNode", c.name, err)
		}
	}
	_, err := testInfer(TrainingDomain, "Adam", 1, 3, []TypeShape{r, tt, x, Of(tensor.Float32, 3), x, x})
	if !errors.Is(err, ErrShapeMismatch) {
		t.Errorf("G shape: err = %v, want ErrShapeMismatch", err)
	}
	_, err = testInfer(TrainingDomain, "Adam", 1, 3, []TypeShape{r, tt, x, x, x, Of(tensor.Float32, 2, 1)})
	if !errors.Is(err, ErrShapeMismatch) {
		t.Errorf("H rank: err = %v, want ErrShapeMismatch", err)
	}
}

func TestTrnCount(t *testing.T) {
	n := &Node{Node: &ir.Node{OpType: "Adam", Inputs: make([]string, 10), Outputs: make([]string, 6)}}
	if k, err := TrainingCount(n); k != 2 || err != nil {
		t.Errorf("TrainingCount = %d, %v; want 2", k, err)
	}
	n.OpType = "Relu"
	if _, err := TrainingCount(n); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("Relu: err = %v", err)
	}
}
