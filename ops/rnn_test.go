package ops

import (
	"errors"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func TestRNNInferShapes(t *testing.T) {
	i32 := func(s string) TypeShape { return TypeShape{DType: tensor.Int32, Shape: testShape(s)} }
	absent := TypeShape{Absent: true}
	cases := []struct {
		name  string
		op    string
		opset int64
		in    []TypeShape
		attrs []*ir.Attribute
		want  []string
	}{
		{"RNN forward", "RNN", 14, []TypeShape{nnF("S,B,4"), nnF("1,5,4"), nnF("1,5,5")},
			[]*ir.Attribute{attrInt("hidden_size", 5)}, []string{"S,1,B,5", "1,B,5"}},
		{"GRU bidirectional", "GRU", 7, []TypeShape{nnF("7,2,3"), nnF("2,12,3"), nnF("2,12,4"), nnF("2,24")},
			[]*ir.Attribute{attrInt("hidden_size", 4), attrStr("direction", "bidirectional")}, []string{"7,2,2,4", "2,2,4"}},
		{"LSTM layout 1", "LSTM", 14, []TypeShape{nnF("B,S,3"), nnF("1,8,3"), nnF("1,8,2")},
			[]*ir.Attribute{attrInt("hidden_size", 2), attrInt("layout", 1)}, []string{"B,S,1,2", "B,1,2", "B,1,2"}},
		{"hidden size from R", "LSTM", 22, []TypeShape{nnF("S,B,3"), nnF("*"), nnF("1,12,3")},
			nil, []string{"S,1,B,3", "1,B,3", "1,B,3"}},
		{"hidden size from W", "GRU", 14, []TypeShape{nnF("S,B,3"), nnF("1,6,3"), nnF("*")},
			nil, []string{"S,1,B,2", "1,B,2"}},
		{"batch from sequence_lens", "RNN", 14, []TypeShape{nnF("*"), nnF("1,2,3"), nnF("1,2,2"), absent, i32("4")},
			nil, []string{"?,1,4,2", "1,4,2"}},
		{"all unknown", "RNN", 14, []TypeShape{nnF("*"), nnF("*"), nnF("*")},
			nil, []string{"?,1,?,?", "1,?,?"}},
		{"LSTM with every input", "LSTM", 7, []TypeShape{nnF("2,3,4"), nnF("1,8,4"), nnF("1,8,2"), nnF("1,16"), i32("3"), nnF("1,3,2"), nnF("1,3,2"), nnF("1,6")},
			[]*ir.Attribute{attrInt("hidden_size", 2)}, []string{"2,1,3,2", "1,3,2", "1,3,2"}},
	}
	for _, c := range cases {
		got, err := testInfer("", c.op, c.opset, len(c.want), c.in, c.attrs...)
		nnWantShapes(t, c.name, got, err, c.want...)
	}
}

func TestRNNInferErrors(t *testing.T) {
	cases := []struct {
		name  string
		op    string
		opset int64
		in    []TypeShape
		attrs []*ir.Attribute
		want  error
	}{
		{"W gates", "GRU", 14, []TypeShape{nnF("S,B,3"), nnF("1,8,3"), nnF("1,6,2")}, nil, ErrShapeMismatch},
		{"W directions", "RNN", 14, []TypeShape{nnF("S,B,3"), nnF("2,2,3"), nnF("1,2,2")}, nil, ErrShapeMismatch},
		{"input size", "RNN", 14, []TypeShape{nnF("S,B,3"), nnF("1,2,4"), nnF("1,2,2")}, nil, ErrShapeMismatch},
		{"B size", "RNN", 14, []TypeShape{nnF("S,B,3"), nnF("1,2,3"), nnF("1,2,2"), nnF("1,3")}, nil, ErrShapeMismatch},
		{"P size", "LSTM", 14, []TypeShape{nnF("S,B,3"), nnF("1,8,3"), nnF("1,8,2"), {Absent: true}, {Absent: true}, {Absent: true}, {Absent: true}, nnF("1,5")}, nil, ErrShapeMismatch},
		{"initial_h batch", "RNN", 14, []TypeShape{nnF("S,2,3"), nnF("1,2,3"), nnF("1,2,2"), {Absent: true}, {Absent: true}, nnF("1,3,2")}, nil, ErrShapeMismatch},
		{"X rank", "RNN", 14, []TypeShape{nnF("S,3"), nnF("1,2,3"), nnF("1,2,2")}, nil, ErrShapeMismatch},
		{"hidden_size vs R", "RNN", 14, []TypeShape{nnF("S,B,3"), nnF("1,2,3"), nnF("1,2,2")}, []*ir.Attribute{attrInt("hidden_size", 3)}, ErrShapeMismatch},
		{"direction", "RNN", 14, []TypeShape{nnF("S,B,3"), nnF("1,2,3"), nnF("1,2,2")}, []*ir.Attribute{attrStr("direction", "both")}, ErrInvalidNode},
		{"activations", "LSTM", 14, []TypeShape{nnF("S,B,3"), nnF("1,8,3"), nnF("1,8,2")}, []*ir.Attribute{attrStrs("activations", "Sigmoid", "Tanh")}, ErrInvalidNode},
		{"unknown activation", "RNN", 14, []TypeShape{nnF("S,B,3"), nnF("1,2,3"), nnF("1,2,2")}, []*ir.Attribute{attrStrs("activations", "Gelu")}, ErrInvalidNode},
		{"int X", "RNN", 14, []TypeShape{{DType: tensor.Int64, Shape: testShape("S,B,3")}, nnF("1,2,3"), nnF("1,2,2")}, nil, ErrInvalidNode},
		{"seq lens float", "RNN", 14, []TypeShape{nnF("S,B,3"), nnF("1,2,3"), nnF("1,2,2"), {Absent: true}, nnF("B")}, nil, ErrInvalidNode},
		{"layout", "RNN", 14, []TypeShape{nnF("S,B,3"), nnF("1,2,3"), nnF("1,2,2")}, []*ir.Attribute{attrInt("layout", 3)}, ErrInvalidNode},
	}
	for _, c := range cases {
		_, err := testInfer("", c.op, c.opset, 2, c.in, c.attrs...)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	// Layout is not an attribute before opset 14: ignored there.
	got, err := testInfer("", "RNN", 7, 2, []TypeShape{nnF("S,B,3"), nnF("1,2,3"), nnF("1,2,2")}, attrInt("layout", 1))
	nnWantShapes(t, "layout at opset 7", got, err, "S,1,B,2", "1,B,2")
}

func TestRNNParseAttrs(t *testing.T) {
	node := func(op string, attrs ...*ir.Attribute) *Node {
		return &Node{Node: &ir.Node{OpType: op, Attrs: attrs}, Schema: LookupSchema("", op, 14), Opset: 14}
	}
	a, err := ParseRNNAttrs(node("LSTM", attrStr("direction", "bidirectional"),
		attrStrs("activations", "hardsigmoid", "Tanh", "LeakyRelu", "Sigmoid", "Affine", "ScaledTanh"),
		&ir.Attribute{Name: "activation_alpha", Type: ir.AttrFloats, Floats: []float32{0.1, 0.2, 0.3}},
		&ir.Attribute{Name: "activation_beta", Type: ir.AttrFloats, Floats: []float32{0.4}}))
	if err != nil {
		t.Fatal(err)
	}
	// Alphas go to HardSigmoid, LeakyRelu, Affine (ScaledTanh keeps its
	// default 1); the one beta to HardSigmoid (Affine 0, ScaledTanh 1).
	want := []RNNActivation{{"HardSigmoid", 0.1, 0.4}, {"Tanh", 0, 0}, {"LeakyRelu", 0.2, 0},
		{"Sigmoid", 0, 0}, {"Affine", 0.3, 0}, {"ScaledTanh", 1, 1}}
	if len(a.Acts) != len(want) {
		t.Fatalf("acts %v", a.Acts)
	}
	for i := range want {
		if a.Acts[i] != want[i] {
			t.Errorf("act %d = %+v, want %+v", i, a.Acts[i], want[i])
		}
	}
	if a.Directions != 2 || a.Gates != 4 || a.HiddenSize != -1 {
		t.Errorf("attrs %+v", a)
	}
	// One direction's list serves both directions; defaults per op.
	a, err = ParseRNNAttrs(node("GRU", attrStr("direction", "bidirectional"), attrStrs("activations", "Relu", "Tanh")))
	if err != nil || len(a.Acts) != 4 || a.Acts[2].Name != "Relu" {
		t.Fatalf("%+v %v", a, err)
	}
	a, err = ParseRNNAttrs(node("RNN", attrStr("direction", "reverse")))
	if err != nil || len(a.Acts) != 1 || a.Acts[0].Name != "Tanh" || !a.Reverse {
		t.Fatalf("%+v %v", a, err)
	}
	a, err = ParseRNNAttrs(node("GRU", attrInt("linear_before_reset", 1), &ir.Attribute{Name: "clip", Type: ir.AttrFloat, Float: 2}))
	if err != nil || !a.LinearBeforeReset || a.Clip != 2 || a.Acts[0].Name != "Sigmoid" {
		t.Fatalf("%+v %v", a, err)
	}
	if _, err := ParseRNNAttrs(node("Conv")); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("Conv: %v", err)
	}
}
