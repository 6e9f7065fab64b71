package ops

import (
	"errors"
	"math"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// elemInfer validates and infers a one-output node of op at opset.
func elemInfer(op string, opset int64, in []TypeShape, attrs ...*ir.Attribute) ([]TypeShape, error) {
	return testInfer("", op, opset, 1, in, attrs...)
}

func elemSym(dims ...any) ir.Shape {
	s := make(ir.Shape, len(dims))
	for i, d := range dims {
		switch d := d.(type) {
		case int:
			s[i] = ir.DimOf(int64(d))
		case string:
			s[i] = ir.SymDim(d)
		default:
			s[i] = ir.UnknownDim
		}
	}
	return s
}

// TestElemSchemaVersions checks the registered version ranges.
func TestElemSchemaVersions(t *testing.T) {
	for _, c := range []struct {
		op           string
		opset        int64
		since, until int64 // since 0: no schema
	}{
		{"Abs", 5, 0, 0},
		{"Abs", 6, 6, 12},
		{"Abs", 13, 13, 0},
		{"Abs", 22, 13, 0},
		{"Add", 6, 6, 6},
		{"Add", 7, 7, 12},
		{"Add", 14, 14, 0},
		{"Relu", 14, 14, 0},
		{"Relu", 13, 13, 13},
		{"And", 6, 1, 6},
		{"And", 7, 7, 0},
		{"Pow", 6, 1, 6},
		{"Pow", 12, 12, 12},
		{"Pow", 18, 15, 0},
		{"Softplus", 6, 1, 21},
		{"Softplus", 22, 22, 0},
		{"Clip", 10, 6, 10},
		{"Clip", 11, 11, 11},
		{"Clip", 13, 13, 0},
		{"Min", 7, 6, 7},
		{"Min", 8, 8, 11},
		{"Equal", 19, 19, 0},
		{"Not", 22, 1, 0},
		{"Gelu", 19, 0, 0},
		{"Gelu", 20, 20, 0},
		{"Cast", 5, 0, 0},
		{"Cast", 6, 6, 8},
		{"Cast", 22, 21, 22},
		{"CastLike", 15, 15, 18},
		{"Where", 9, 9, 15},
		{"Mod", 9, 0, 0},
		{"BitShift", 11, 11, 0},
		{"BitwiseAnd", 18, 18, 0},
		{"Celu", 12, 12, 27},
		{"IsInf", 10, 10, 19},
		{"PRelu", 8, 7, 8},
	} {
		s := LookupSchema("", c.op, c.opset)
		switch {
		case c.since == 0 && s != nil:
			t.Errorf("%s opset %d: schema since %d, want none", c.op, c.opset, s.Since)
		case c.since != 0 && s == nil:
			t.Errorf("%s opset %d: no schema", c.op, c.opset)
		case s != nil && (s.Since != c.since || s.Until != c.until):
			t.Errorf("%s opset %d: [%d, %d], want [%d, %d]", c.op, c.opset, s.Since, s.Until, c.since, c.until)
		}
	}
}

// TestElemSchemaDefaults checks the attribute defaults against Operators.md.
func TestElemSchemaDefaults(t *testing.T) {
	for _, c := range []struct {
		op    string
		opset int64
		attr  string
		want  any
	}{
		{"LeakyRelu", 16, "alpha", float32(0.01)},
		{"Elu", 6, "alpha", float32(1)},
		{"Selu", 6, "alpha", float32(1.67326319217681884765625)},
		{"Selu", 22, "gamma", float32(1.05070102214813232421875)},
		{"Celu", 12, "alpha", float32(1)},
		{"HardSigmoid", 6, "alpha", float32(0.2)},
		{"HardSigmoid", 22, "beta", float32(0.5)},
		{"ThresholdedRelu", 10, "alpha", float32(1)},
		{"IsInf", 10, "detect_negative", int64(1)},
		{"IsInf", 20, "detect_positive", int64(1)},
		{"Gelu", 20, "approximate", "none"},
		{"Mod", 13, "fmod", int64(0)},
		{"Clip", 6, "min", float32(-math.MaxFloat32)},
		{"Clip", 6, "max", float32(math.MaxFloat32)},
		{"Add", 6, "broadcast", int64(0)},
		{"Cast", 19, "saturate", int64(1)},
		{"CastLike", 21, "saturate", int64(1)},
	} {
		s := LookupSchema("", c.op, c.opset)
		if s == nil {
			t.Fatalf("%s %d: no schema", c.op, c.opset)
		}
		a := s.Attr(c.attr)
		if a == nil {
			t.Errorf("%s %d: no attribute %s", c.op, c.opset, c.attr)
			continue
		}
		if a.Default != c.want {
			t.Errorf("%s %d %s: default %v (%T), want %v", c.op, c.opset, c.attr, a.Default, a.Default, c.want)
		}
	}
	for _, c := range []struct {
		op    string
		opset int64
		attr  string
	}{{"Clip", 11, "min"}, {"Add", 7, "broadcast"}, {"Cast", 13, "saturate"}, {"Equal", 7, "axis"}} {
		if LookupSchema("", c.op, c.opset).Attr(c.attr) != nil {
			t.Errorf("%s %d has attribute %s", c.op, c.opset, c.attr)
		}
	}
	if a := LookupSchema("", "BitShift", 11).Attr("direction"); a == nil || !a.Required {
		t.Errorf("BitShift direction must be required")
	}
	if a := LookupSchema("", "Cast", 13).Attr("to"); a == nil || !a.Required {
		t.Errorf("Cast to must be required")
	}
}

// TestElemInferBroadcast checks broadcast inference with known, symbolic
// and unknown dims, and its errors.
func TestElemInferBroadcast(t *testing.T) {
	f := tensor.Float32
	for _, c := range []struct {
		a, b ir.Shape
		want string
	}{
		{elemSym(3, 1), elemSym(1, 4), "3x4"},
		{elemSym(2, 3, 4), elemSym(4), "2x3x4"},
		{elemSym(), elemSym(5), "5"},
		{elemSym(), elemSym(), "scalar"},
		{elemSym("N", 3), elemSym(1, 3), "Nx3"},
		{elemSym("N", 1), elemSym(4), "Nx4"},
		{elemSym(nil, 3), elemSym(2, 1), "2x3"},
		{elemSym(1, nil), elemSym(nil, 1), "?x?"},
	} {
		out, err := elemInfer("Add", 14, []TypeShape{Ranked(f, c.a), Ranked(f, c.b)})
		if err != nil {
			t.Fatalf("%v + %v: %v", c.a, c.b, err)
		}
		if got := out[0].Shape.String(); got != c.want || out[0].DType != f {
			t.Errorf("%v + %v = %v %v, want %s", c.a, c.b, out[0].DType, got, c.want)
		}
	}
	out, err := elemInfer("Mul", 14, []TypeShape{Unranked(f), Of(f, 3)})
	if err != nil || out[0].Shape != nil {
		t.Errorf("unknown rank: %v %v", out, err)
	}
	if _, err := elemInfer("Add", 14, []TypeShape{Of(f, 3), Of(f, 4)}); !errors.Is(err, ErrShapeMismatch) {
		t.Errorf("[3]+[4]: %v, want ErrShapeMismatch", err)
	}
	if _, err := elemInfer("Add", 14, []TypeShape{Of(f, 3), Of(tensor.Int64, 3)}); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("float32+int64: %v, want ErrInvalidNode", err)
	}
	if _, err := elemInfer("Add", 14, []TypeShape{Of(tensor.Bool, 3), Of(tensor.Bool, 3)}); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("bool+bool: %v, want ErrInvalidNode", err)
	}
	if _, err := elemInfer("Add", 14, []TypeShape{Of(f, 3)}); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("one input: %v, want ErrInvalidNode", err)
	}
}

// TestElemInferTypes checks output types and type errors of op families.
func TestElemInferTypes(t *testing.T) {
	f, i64, b, s := tensor.Float32, tensor.Int64, tensor.Bool, tensor.String
	ok := []struct {
		op    string
		opset int64
		in    []tensor.DType
		out   tensor.DType
		attrs []*ir.Attribute
	}{
		{"Less", 13, []tensor.DType{f, f}, b, nil},
		{"Equal", 19, []tensor.DType{s, s}, b, nil},
		{"Equal", 13, []tensor.DType{b, b}, b, nil},
		{"And", 7, []tensor.DType{b, b}, b, nil},
		{"Not", 1, []tensor.DType{b}, b, nil},
		{"IsNaN", 13, []tensor.DType{f}, b, nil},
		{"IsInf", 20, []tensor.DType{tensor.Float64}, b, nil},
		{"Pow", 15, []tensor.DType{f, i64}, f, nil},
		{"Pow", 15, []tensor.DType{tensor.Int32, f}, tensor.Int32, nil},
		{"Relu", 14, []tensor.DType{tensor.Int8}, tensor.Int8, nil},
		{"Abs", 13, []tensor.DType{tensor.Uint16}, tensor.Uint16, nil},
		{"Where", 16, []tensor.DType{b, s, s}, s, nil},
		{"Mod", 13, []tensor.DType{i64, i64}, i64, nil},
		{"Mod", 13, []tensor.DType{f, f}, f, []*ir.Attribute{{Name: "fmod", Type: ir.AttrInt, Int: 1}}},
		{"BitShift", 11, []tensor.DType{tensor.Uint8, tensor.Uint8}, tensor.Uint8,
			[]*ir.Attribute{{Name: "direction", Type: ir.AttrString, String: "RIGHT"}}},
		{"Cast", 13, []tensor.DType{s}, tensor.Float16, []*ir.Attribute{{Name: "to", Type: ir.AttrInt, Int: 10}}},
		{"CastLike", 15, []tensor.DType{f, tensor.BFloat16}, tensor.BFloat16, nil},
		{"Sum", 13, []tensor.DType{f, f, f, f}, f, nil},
		{"Max", 13, []tensor.DType{tensor.Uint8}, tensor.Uint8, nil},
		{"Gelu", 20, []tensor.DType{f}, f, []*ir.Attribute{{Name: "approximate", Type: ir.AttrString, String: "tanh"}}},
	}
	for _, c := range ok {
		var in []TypeShape
		for _, d := range c.in {
			in = append(in, Of(d, 2, 3))
		}
		out, err := elemInfer(c.op, c.opset, in, c.attrs...)
		if err != nil {
			t.Errorf("%s %v: %v", c.op, c.in, err)
			continue
		}
		if out[0].DType != c.out || out[0].Shape.String() != "2x3" {
			t.Errorf("%s %v: %v, want %v[2x3]", c.op, c.in, out[0], c.out)
		}
	}
	bad := []struct {
		op    string
		opset int64
		in    []tensor.DType
		attrs []*ir.Attribute
	}{
		{"Sqrt", 13, []tensor.DType{i64}, nil},
		{"Neg", 13, []tensor.DType{tensor.Uint32}, nil},
		{"Not", 1, []tensor.DType{f}, nil},
		{"Less", 13, []tensor.DType{s, s}, nil},
		{"Less", 13, []tensor.DType{f, tensor.Float64}, nil},
		{"And", 7, []tensor.DType{f, f}, nil},
		{"Where", 16, []tensor.DType{f, f, f}, nil},
		{"Where", 16, []tensor.DType{b, f, i64}, nil},
		{"Pow", 15, []tensor.DType{tensor.Int8, f}, nil},
		{"Pow", 15, []tensor.DType{f, b}, nil},
		{"Mod", 13, []tensor.DType{f, f}, nil},
		{"Mod", 13, []tensor.DType{i64, i64}, []*ir.Attribute{{Name: "fmod", Type: ir.AttrInt, Int: 2}}},
		{"BitShift", 11, []tensor.DType{tensor.Uint8, tensor.Uint8}, []*ir.Attribute{{Name: "direction", Type: ir.AttrString, String: "UP"}}},
		{"BitShift", 11, []tensor.DType{tensor.Uint8, tensor.Uint8}, nil},
		{"BitShift", 11, []tensor.DType{i64, i64}, []*ir.Attribute{{Name: "direction", Type: ir.AttrString, String: "LEFT"}}},
		{"BitwiseAnd", 18, []tensor.DType{f, f}, nil},
		{"Sum", 13, []tensor.DType{i64, i64}, nil},
		{"Max", 13, []tensor.DType{f, f, i64}, nil},
		{"Gelu", 20, []tensor.DType{f}, []*ir.Attribute{{Name: "approximate", Type: ir.AttrString, String: "erf"}}},
		{"Cast", 13, []tensor.DType{f}, []*ir.Attribute{{Name: "to", Type: ir.AttrInt, Int: 0}}},
		{"Cast", 13, []tensor.DType{f}, []*ir.Attribute{{Name: "to", Type: ir.AttrInt, Int: 14}}},
		{"Cast", 13, []tensor.DType{f}, []*ir.Attribute{{Name: "to", Type: ir.AttrInt, Int: 99}}},
		{"Cast", 13, []tensor.DType{f}, nil},
		{"LeakyRelu", 16, []tensor.DType{f}, []*ir.Attribute{{Name: "alpha", Type: ir.AttrInt, Int: 1}}},
		{"Clip", 13, []tensor.DType{f, i64}, nil},
		{"Clip", 6, []tensor.DType{i64}, nil},
		{"PRelu", 16, []tensor.DType{f, tensor.Float64}, nil},
	}
	for _, c := range bad {
		var in []TypeShape
		for _, d := range c.in {
			in = append(in, Of(d, 2, 3))
		}
		if _, err := elemInfer(c.op, c.opset, in, c.attrs...); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("%s %v %v: err %v, want ErrInvalidNode", c.op, c.in, c.attrs, err)
		}
	}
}

// TestElemInferSpecial covers PRelu, Clip bounds, Where, legacy
// broadcasting and the equal-shape rule of early Min/Max/Sum/Mean.
func TestElemInferSpecial(t *testing.T) {
	f := tensor.Float32
	// PRelu: slope broadcasts to X only.
	out, err := elemInfer("PRelu", 16, []TypeShape{Ranked(f, elemSym("N", 3, 4, 5)), Of(f, 3, 1, 1)})
	if err != nil || out[0].Shape.String() != "Nx3x4x5" {
		t.Errorf("PRelu: %v %v", out, err)
	}
	for _, slope := range [][]int{{2, 3, 4, 5}, {4}, {1, 1, 1, 1, 1}} {
		if _, err := elemInfer("PRelu", 16, []TypeShape{Of(f, 3, 4, 5), Of(f, slope...)}); !errors.Is(err, ErrShapeMismatch) {
			t.Errorf("PRelu slope %v: %v, want ErrShapeMismatch", slope, err)
		}
	}
	// Before version 7 a 1-D slope is per channel.
	if out, err := elemInfer("PRelu", 6, []TypeShape{Of(f, 2, 3, 4), Of(f, 3)}); err != nil || out[0].Shape.String() != "2x3x4" {
		t.Errorf("PRelu-6 per channel: %v %v", out, err)
	}
	if _, err := elemInfer("PRelu", 6, []TypeShape{Of(f, 2, 3, 4), Of(f, 4)}); !errors.Is(err, ErrShapeMismatch) {
		t.Errorf("PRelu-6 slope [4] for 3 channels: %v", err)
	}
	if _, err := elemInfer("PRelu", 7, []TypeShape{Of(f, 2, 3, 4), Of(f, 4)}); err != nil {
		t.Errorf("PRelu-7 slope [4]: %v", err)
	}
	// Clip: bounds are scalars (or one-element), absent ones allowed.
	if _, err := elemInfer("Clip", 13, []TypeShape{Of(f, 4), {Absent: true}, Of(f)}); err != nil {
		t.Errorf("Clip absent min: %v", err)
	}
	if out, err := elemInfer("Clip", 13, []TypeShape{Of(tensor.Int8, 4), Of(tensor.Int8), Of(tensor.Int8, 1)}); err != nil || out[0].DType != tensor.Int8 {
		t.Errorf("Clip int8: %v %v", out, err)
	}
	if _, err := elemInfer("Clip", 13, []TypeShape{Of(f, 4), Of(f, 2)}); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("Clip min [2]: %v, want ErrInvalidNode", err)
	}
	if _, err := elemInfer("Clip", 6, []TypeShape{Of(f, 4), Of(f)}); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("Clip-6 with inputs: %v, want ErrInvalidNode", err)
	}
	// Where broadcasts all three.
	out, err = elemInfer("Where", 16, []TypeShape{Of(tensor.Bool, 3, 1), Of(f, 1, 4), Of(f)})
	if err != nil || out[0].Shape.String() != "3x4" || out[0].DType != f {
		t.Errorf("Where: %v %v", out, err)
	}
	// Legacy broadcasting: B fits A at axis, or A's trailing dims.
	a := Of(f, 2, 3, 4, 5)
	for _, c := range []struct {
		b     []int
		attrs []*ir.Attribute
		ok    bool
	}{
		{[]int{2, 3, 4, 5}, nil, true},
		{[]int{5}, nil, false},
		{[]int{5}, []*ir.Attribute{{Name: "broadcast", Type: ir.AttrInt, Int: 1}}, true},
		{[]int{4, 5}, []*ir.Attribute{{Name: "broadcast", Type: ir.AttrInt, Int: 1}}, true},
		{[]int{3, 4}, []*ir.Attribute{{Name: "broadcast", Type: ir.AttrInt, Int: 1}, {Name: "axis", Type: ir.AttrInt, Int: 1}}, true},
		{[]int{2}, []*ir.Attribute{{Name: "broadcast", Type: ir.AttrInt, Int: 1}, {Name: "axis", Type: ir.AttrInt, Int: 0}}, true},
		{[]int{3, 4}, []*ir.Attribute{{Name: "broadcast", Type: ir.AttrInt, Int: 1}}, false},
		{[]int{3, 4}, []*ir.Attribute{{Name: "broadcast", Type: ir.AttrInt, Int: 1}, {Name: "axis", Type: ir.AttrInt, Int: 3}}, false},
		{[]int{}, []*ir.Attribute{{Name: "broadcast", Type: ir.AttrInt, Int: 1}}, true},
	} {
		out, err := elemInfer("Add", 6, []TypeShape{a, Of(f, c.b...)}, c.attrs...)
		if c.ok && (err != nil || out[0].Shape.String() != "2x3x4x5") {
			t.Errorf("Add-6 %v %v: %v %v", c.b, c.attrs, out, err)
		}
		if !c.ok && err == nil {
			t.Errorf("Add-6 %v %v: no error", c.b, c.attrs)
		}
	}
	// Min-6 needs equal shapes; Min-8 broadcasts.
	if _, err := elemInfer("Min", 6, []TypeShape{Of(f, 3, 4), Of(f, 4)}); !errors.Is(err, ErrShapeMismatch) {
		t.Errorf("Min-6 [3,4] [4]: %v, want ErrShapeMismatch", err)
	}
	if out, err := elemInfer("Min", 8, []TypeShape{Of(f, 3, 4), Of(f, 4), Of(f, 1, 1)}); err != nil || out[0].Shape.String() != "3x4" {
		t.Errorf("Min-8: %v %v", out, err)
	}
}

// TestElemLegacyBroadcastShape checks the aligned B shape.
func TestElemLegacyBroadcastShape(t *testing.T) {
	node := &ir.Node{OpType: "Mul", Inputs: []string{"a", "b"}, Outputs: []string{"y"},
		Attrs: []*ir.Attribute{{Name: "broadcast", Type: ir.AttrInt, Int: 1}, {Name: "axis", Type: ir.AttrInt, Int: 1}}}
	n := &Node{Node: node, Schema: LookupSchema("", "Mul", 6), Opset: 6}
	got, err := LegacyBroadcastShape(n, []int{2, 3, 4, 5}, []int{3, 4})
	if err != nil || !tensor.SameShape(got, []int{1, 3, 4, 1}) {
		t.Errorf("got %v %v, want [1 3 4 1]", got, err)
	}
	n.Schema = LookupSchema("", "Mul", 7)
	if got, err := LegacyBroadcastShape(n, []int{2, 3}, []int{3}); got != nil || err != nil {
		t.Errorf("Mul-7: %v %v, want nil", got, err)
	}
}
