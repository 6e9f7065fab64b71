package ops

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// Elementwise operators: unary math, activations, broadcasting binary and
// variadic arithmetic, comparisons, logical ops, Where, Cast and CastLike.
//
// Each op is registered once per version in the spec's history that
// matters for opsets 6 and later (the version in force at opset 6, then
// every later one), so Schema.Since and Until follow Operators.md. Versions
// that only widened the type constraint share one Infer; it accepts the
// type set of the latest version. Versions whose semantics differ get their
// own Infer: the legacy "broadcast"/"axis" attributes of Add, Sub, Mul, Div
// (before 7), Pow, And, Or, Xor, Equal, Less and Greater (before 7); Clip's
// attributes (before 11) versus its optional inputs; Min, Max, Sum and
// Mean's equal shapes (before 8); PRelu's per-channel 1-D slope (before 7).

// Type sets of the elementwise ops.
var (
	elemFloatTypes  = []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16}
	elemSIntTypes   = []tensor.DType{tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64}
	elemUIntTypes   = []tensor.DType{tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64}
	elemIntTypes    = elemCat(elemSIntTypes, elemUIntTypes)
	elemNumTypes    = elemCat(elemFloatTypes, elemIntTypes)
	elemSignedTypes = elemCat(elemFloatTypes, elemSIntTypes)
	elemBoolTypes   = []tensor.DType{tensor.Bool}
	elemEqualTypes  = elemCat(elemNumTypes, []tensor.DType{tensor.Bool, tensor.String})
	elemPReluTypes  = elemCat(elemFloatTypes, []tensor.DType{tensor.Int32, tensor.Int64, tensor.Uint32, tensor.Uint64})
	elemPowBase     = elemCat(elemFloatTypes, []tensor.DType{tensor.Int32, tensor.Int64})
)

func elemCat(a, b []tensor.DType) []tensor.DType {
	return append(append([]tensor.DType(nil), a...), b...)
}

// Selu's default constants, as Operators.md gives them.
const (
	SeluAlpha = 1.67326319217681884765625
	SeluGamma = 1.05070102214813232421875
)

// elemVersions keeps the versions of an op's history that apply to opsets
// >= 6: the last one at or before 6, and all later ones.
func elemVersions(all ...int64) []int64 {
	var out []int64
	for i, v := range all {
		if v >= 6 || i+1 == len(all) || all[i+1] > 6 {
			out = append(out, v)
		}
	}
	return out
}

// elemRegister registers base once per version (ascending; see
// elemVersions). tweak, when not nil, adjusts the copy for a version
// (attributes or Infer that changed).
func elemRegister(base Schema, versions []int64, tweak func(s *Schema, since int64)) {
	registerVersions(elemVersions(versions...), func(v int64) *Schema {
		s := base
		s.Attrs = append([]AttrDef(nil), base.Attrs...)
		if tweak != nil {
			tweak(&s, v)
		}
		return &s
	})
}

// elemCheckTypes returns an error unless every given input has one of the
// allowed types. An Undefined dtype (not yet known) passes.
func elemCheckTypes(n *Node, allowed []tensor.DType, inputs ...int) error {
	for _, i := range inputs {
		if i >= len(n.In) || n.In[i].Absent || n.In[i].DType == tensor.Undefined {
			continue
		}
		if err := n.CheckDType(i, allowed...); err != nil {
			return err
		}
	}
	return nil
}

// elemSameTypes returns an error unless all given inputs (absent ones
// aside) have the same dtype.
func elemSameTypes(n *Node, inputs ...int) error {
	first := -1
	for _, i := range inputs {
		if i >= len(n.In) || n.In[i].Absent || n.In[i].DType == tensor.Undefined {
			continue
		}
		if first < 0 {
			first = i
			continue
		}
		if n.In[i].DType != n.In[first].DType {
			return Errorf("input %d has type %v but input %d has %v; they must be equal",
				i, n.In[i].DType, first, n.In[first].DType)
		}
	}
	return nil
}

// elemAll lists the indices 0..k-1.
func elemAll(k int) []int {
	s := make([]int, k)
	for i := range s {
		s[i] = i
	}
	return s
}

// elemUnaryInfer: the output has the input's type and shape; the input type
// must be one of allowed.
func elemUnaryInfer(allowed []tensor.DType) func(*Node) ([]TypeShape, error) {
	return func(n *Node) ([]TypeShape, error) {
		if err := elemCheckTypes(n, allowed, 0); err != nil {
			return nil, err
		}
		return SameAsInput(n)
	}
}

// elemUnaryBoolInfer: a bool output of the input's shape.
func elemUnaryBoolInfer(allowed []tensor.DType) func(*Node) ([]TypeShape, error) {
	return func(n *Node) ([]TypeShape, error) {
		if err := elemCheckTypes(n, allowed, 0); err != nil {
			return nil, err
		}
		return []TypeShape{{DType: tensor.Bool, Shape: n.In[0].Shape}}, nil
	}
}

// elemBroadcastInfer: all inputs of one type in allowed, broadcast
// multidirectionally; the output has that type (or Bool when boolOut).
func elemBroadcastInfer(allowed []tensor.DType, boolOut bool) func(*Node) ([]TypeShape, error) {
	return func(n *Node) ([]TypeShape, error) {
		all := elemAll(len(n.In))
		if err := elemCheckTypes(n, allowed, all...); err != nil {
			return nil, err
		}
		if err := elemSameTypes(n, all...); err != nil {
			return nil, err
		}
		if boolOut {
			return BroadcastBool(n)
		}
		return Broadcast(n)
	}
}

// elemEqualShapesInfer: all inputs of one type in allowed and of equal
// shapes (Min, Max, Sum, Mean before version 8). A known size 1 against
// another size is an error here, unlike with broadcasting.
func elemEqualShapesInfer(allowed []tensor.DType) func(*Node) ([]TypeShape, error) {
	return func(n *Node) ([]TypeShape, error) {
		all := elemAll(len(n.In))
		if err := elemCheckTypes(n, allowed, all...); err != nil {
			return nil, err
		}
		if err := elemSameTypes(n, all...); err != nil {
			return nil, err
		}
		out, err := Broadcast(n)
		if err != nil {
			return nil, err
		}
		for _, in := range n.In {
			if in.Shape == nil || out[0].Shape == nil {
				continue
			}
			if len(in.Shape) != len(out[0].Shape) {
				return nil, elemShapeErr("inputs must have equal shapes (no broadcasting before opset 8)")
			}
			for i, d := range in.Shape {
				o := out[0].Shape[i]
				if d.Known() && o.Known() && d.Value != o.Value {
					return nil, elemShapeErr("inputs must have equal shapes (no broadcasting before opset 8)")
				}
			}
		}
		return out, nil
	}
}

// elemShapeErr returns an error wrapping ErrShapeMismatch.
func elemShapeErr(msg string) error { return fmt.Errorf("%w: %s", ErrShapeMismatch, msg) }

// Legacy broadcasting (Add, Sub, Mul, Div before 7; Pow, And, Or, Xor,
// Equal, Less, Greater version 1): with broadcast=0 the shapes must be
// equal; with broadcast=1, B's shape must match a contiguous run of A's
// dims starting at "axis" (by default, A's trailing dims), each of B's dims
// equal to A's or 1. The output has A's shape.

// elemLegacyAttrs are the attributes of legacy broadcasting.
var elemLegacyAttrs = []AttrDef{
	{Name: "broadcast", Type: ir.AttrInt, Default: int64(0)},
	{Name: "axis", Type: ir.AttrInt},
}

// LegacyBroadcastShape returns, for a node using legacy broadcasting
// (an op version with the "broadcast" attribute), the shape B is read with
// after aligning it to A (rank of A, 1 where B has no dim), or nil and no
// error when the node uses the multidirectional rule. bShape must be
// compatible with aShape per the node's attributes, else an error wrapping
// ErrShapeMismatch is returned.
func LegacyBroadcastShape(n *Node, aShape, bShape []int) ([]int, error) {
	if n.Schema == nil || n.Schema.Attr("broadcast") == nil {
		return nil, nil
	}
	as := ir.ShapeOf(aShape...)
	bs := ir.ShapeOf(bShape...)
	axis, err := elemLegacyAxis(n, as, bs)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(aShape))
	for i := range out {
		out[i] = 1
		if j := i - axis; j >= 0 && j < len(bShape) {
			out[i] = bShape[j]
		}
	}
	return out, nil
}

// elemLegacyAxis checks a legacy-broadcasting node's shapes and returns
// the axis of A at which B's dims start.
func elemLegacyAxis(n *Node, a, b ir.Shape) (int, error) {
	if n.AttrInt("broadcast") == 0 {
		if a == nil || b == nil {
			return 0, nil
		}
		if len(a) != len(b) {
			return 0, elemShapeErr("broadcast=0 needs equal shapes, have " + a.String() + " and " + b.String())
		}
		for i := range a {
			if a[i].Known() && b[i].Known() && a[i].Value != b[i].Value {
				return 0, elemShapeErr("broadcast=0 needs equal shapes, have " + a.String() + " and " + b.String())
			}
		}
		return 0, nil
	}
	if a == nil || b == nil {
		return 0, nil
	}
	if len(b) > len(a) {
		return 0, elemShapeErr("B " + b.String() + " has a higher rank than A " + a.String())
	}
	axis := len(a) - len(b)
	if n.HasAttr("axis") {
		ax := n.AttrInt("axis")
		if ax < 0 {
			ax += int64(len(a))
		}
		if ax < 0 || ax+int64(len(b)) > int64(len(a)) {
			return 0, Errorf("axis %d does not fit B %v in A %v", n.AttrInt("axis"), b, a)
		}
		axis = int(ax)
	}
	for j, d := range b {
		o := a[axis+j]
		if d.Known() && o.Known() && d.Value != o.Value && d.Value != 1 {
			return 0, elemShapeErr("cannot broadcast B " + b.String() + " to A " + a.String())
		}
	}
	return axis, nil
}

// elemLegacyInfer is the Infer of a legacy-broadcasting binary op.
func elemLegacyInfer(allowed []tensor.DType, boolOut bool) func(*Node) ([]TypeShape, error) {
	return func(n *Node) ([]TypeShape, error) {
		if err := elemCheckTypes(n, allowed, 0, 1); err != nil {
			return nil, err
		}
		if err := elemSameTypes(n, 0, 1); err != nil {
			return nil, err
		}
		if _, err := elemLegacyAxis(n, n.In[0].Shape, n.In[1].Shape); err != nil {
			return nil, err
		}
		dt := n.In[0].DType
		if boolOut {
			dt = tensor.Bool
		}
		return []TypeShape{{DType: dt, Shape: n.In[0].Shape}}, nil
	}
}

// elemUnary describes a unary op: versions, types, attributes.
type elemUnary struct {
	name     string
	versions []int64
	types    []tensor.DType
	attrs    []AttrDef
	boolOut  bool
	doc      string
}

func elemFloatAttr(name string, def float32) AttrDef {
	return AttrDef{Name: name, Type: ir.AttrFloat, Default: def}
}

func elemIntAttr(name string, def int64) AttrDef {
	return AttrDef{Name: name, Type: ir.AttrInt, Default: def}
}

var elemUnaryOps = []elemUnary{
	{name: "Abs", versions: []int64{1, 6, 13}, types: elemNumTypes, doc: "Abs returns |x|."},
	{name: "Neg", versions: []int64{1, 6, 13}, types: elemSignedTypes, doc: "Neg returns -x."},
	{name: "Sqrt", versions: []int64{1, 6, 13}, types: elemFloatTypes, doc: "Sqrt returns the square root."},
	{name: "Exp", versions: []int64{1, 6, 13}, types: elemFloatTypes, doc: "Exp returns e^x."},
	{name: "Log", versions: []int64{1, 6, 13}, types: elemFloatTypes, doc: "Log returns the natural logarithm."},
	{name: "Reciprocal", versions: []int64{1, 6, 13}, types: elemFloatTypes, doc: "Reciprocal returns 1/x."},
	{name: "Floor", versions: []int64{1, 6, 13}, types: elemFloatTypes, doc: "Floor rounds down."},
	{name: "Ceil", versions: []int64{1, 6, 13}, types: elemFloatTypes, doc: "Ceil rounds up."},
	{name: "Round", versions: []int64{11, 22}, types: elemFloatTypes, doc: "Round rounds half to even."},
	{name: "Erf", versions: []int64{9, 13}, types: elemNumTypes, doc: "Erf is the error function."},
	{name: "Sign", versions: []int64{9, 13}, types: elemNumTypes, doc: "Sign returns -1, 0 or 1."},
	{name: "Sin", versions: []int64{7, 22}, types: elemFloatTypes, doc: "Sin is the sine."},
	{name: "Cos", versions: []int64{7, 22}, types: elemFloatTypes, doc: "Cos is the cosine."},
	{name: "Tan", versions: []int64{7, 22}, types: elemFloatTypes, doc: "Tan is the tangent."},
	{name: "Asin", versions: []int64{7, 22}, types: elemFloatTypes, doc: "Asin is the arcsine."},
	{name: "Acos", versions: []int64{7, 22}, types: elemFloatTypes, doc: "Acos is the arccosine."},
	{name: "Atan", versions: []int64{7, 22}, types: elemFloatTypes, doc: "Atan is the arctangent."},
	{name: "Sinh", versions: []int64{9, 22}, types: elemFloatTypes, doc: "Sinh is the hyperbolic sine."},
	{name: "Cosh", versions: []int64{9, 22}, types: elemFloatTypes, doc: "Cosh is the hyperbolic cosine."},
	{name: "Asinh", versions: []int64{9, 22}, types: elemFloatTypes, doc: "Asinh is the inverse hyperbolic sine."},
	{name: "Acosh", versions: []int64{9, 22}, types: elemFloatTypes, doc: "Acosh is the inverse hyperbolic cosine."},
	{name: "Atanh", versions: []int64{9, 22}, types: elemFloatTypes, doc: "Atanh is the inverse hyperbolic tangent."},
	{name: "IsNaN", versions: []int64{9, 13, 20}, types: elemFloatTypes, boolOut: true, doc: "IsNaN maps NaN to true."},
	{name: "IsInf", versions: []int64{10, 20}, types: elemFloatTypes, boolOut: true,
		attrs: []AttrDef{elemIntAttr("detect_negative", 1), elemIntAttr("detect_positive", 1)},
		doc:   "IsInf maps infinities (of the detected signs) to true."},
	{name: "Not", versions: []int64{1}, types: elemBoolTypes, doc: "Not is logical negation."},
	{name: "BitwiseNot", versions: []int64{18}, types: elemIntTypes, doc: "BitwiseNot flips every bit."},

	{name: "Relu", versions: []int64{1, 6, 13, 14}, types: elemSignedTypes, doc: "Relu returns max(x, 0)."},
	{name: "LeakyRelu", versions: []int64{1, 6, 16}, types: elemFloatTypes,
		attrs: []AttrDef{elemFloatAttr("alpha", 0.01)}, doc: "LeakyRelu returns x, or alpha*x for x < 0."},
	{name: "Elu", versions: []int64{1, 6, 22}, types: elemFloatTypes,
		attrs: []AttrDef{elemFloatAttr("alpha", 1)}, doc: "Elu returns x, or alpha*(e^x-1) for x < 0."},
	{name: "Selu", versions: []int64{1, 6, 22}, types: elemFloatTypes,
		attrs: []AttrDef{elemFloatAttr("alpha", SeluAlpha), elemFloatAttr("gamma", SeluGamma)},
		doc:   "Selu returns gamma*x, or gamma*alpha*(e^x-1) for x <= 0."},
	{name: "Celu", versions: []int64{12, 28}, types: elemFloatTypes,
		attrs: []AttrDef{elemFloatAttr("alpha", 1)}, doc: "Celu returns max(0,x) + min(0, alpha*(e^(x/alpha)-1))."},
	{name: "Sigmoid", versions: []int64{1, 6, 13}, types: elemFloatTypes, doc: "Sigmoid returns 1/(1+e^-x)."},
	{name: "HardSigmoid", versions: []int64{1, 6, 22}, types: elemFloatTypes,
		attrs: []AttrDef{elemFloatAttr("alpha", 0.2), elemFloatAttr("beta", 0.5)},
		doc:   "HardSigmoid returns max(0, min(1, alpha*x+beta))."},
	{name: "HardSwish", versions: []int64{14, 22}, types: elemFloatTypes, doc: "HardSwish returns x*max(0, min(1, x/6+1/2))."},
	{name: "Tanh", versions: []int64{1, 6, 13}, types: elemFloatTypes, doc: "Tanh is the hyperbolic tangent."},
	{name: "Softplus", versions: []int64{1, 22}, types: elemFloatTypes, doc: "Softplus returns ln(e^x+1)."},
	{name: "Softsign", versions: []int64{1, 22}, types: elemFloatTypes, doc: "Softsign returns x/(1+|x|)."},
	{name: "Mish", versions: []int64{18, 22}, types: elemFloatTypes, doc: "Mish returns x*tanh(softplus(x))."},
	{name: "Gelu", versions: []int64{20}, types: elemFloatTypes,
		attrs: []AttrDef{{Name: "approximate", Type: ir.AttrString, Default: "none"}},
		doc:   "Gelu returns x*Phi(x), exactly or with the tanh approximation."},
	{name: "ThresholdedRelu", versions: []int64{10, 22}, types: elemFloatTypes,
		attrs: []AttrDef{elemFloatAttr("alpha", 1)}, doc: "ThresholdedRelu returns x for x > alpha, else 0."},
}

// elemBinary describes a broadcasting binary or variadic op.
type elemBinary struct {
	name     string
	versions []int64
	legacy   int64 // versions before this one use legacy broadcasting (0: none)
	types    []tensor.DType
	boolOut  bool
	attrs    []AttrDef
	doc      string
}

var elemBinaryOps = []elemBinary{
	{name: "Add", versions: []int64{1, 6, 7, 13, 14}, legacy: 7, types: elemNumTypes, doc: "Add returns A+B."},
	{name: "Sub", versions: []int64{1, 6, 7, 13, 14}, legacy: 7, types: elemNumTypes, doc: "Sub returns A-B."},
	{name: "Mul", versions: []int64{1, 6, 7, 13, 14}, legacy: 7, types: elemNumTypes, doc: "Mul returns A*B."},
	{name: "Div", versions: []int64{1, 6, 7, 13, 14}, legacy: 7, types: elemNumTypes,
		doc: "Div returns A/B; integer division truncates toward zero."},
	{name: "Mod", versions: []int64{10, 13}, types: elemNumTypes,
		attrs: []AttrDef{elemIntAttr("fmod", 0)},
		doc:   "Mod returns the remainder: with the divisor's sign (fmod=0, integers) or the dividend's (fmod=1)."},
	{name: "BitShift", versions: []int64{11}, types: elemUIntTypes,
		attrs: []AttrDef{{Name: "direction", Type: ir.AttrString, Required: true}},
		doc:   "BitShift shifts X left or right by Y bits."},
	{name: "BitwiseAnd", versions: []int64{18}, types: elemIntTypes, doc: "BitwiseAnd returns A&B."},
	{name: "BitwiseOr", versions: []int64{18}, types: elemIntTypes, doc: "BitwiseOr returns A|B."},
	{name: "BitwiseXor", versions: []int64{18}, types: elemIntTypes, doc: "BitwiseXor returns A^B."},
	{name: "Equal", versions: []int64{1, 7, 11, 13, 19}, legacy: 7, types: elemEqualTypes, boolOut: true,
		doc: "Equal returns A==B."},
	{name: "Less", versions: []int64{1, 7, 9, 13}, legacy: 7, types: elemNumTypes, boolOut: true, doc: "Less returns A<B."},
	{name: "LessOrEqual", versions: []int64{12, 16}, types: elemNumTypes, boolOut: true, doc: "LessOrEqual returns A<=B."},
	{name: "Greater", versions: []int64{1, 7, 9, 13}, legacy: 7, types: elemNumTypes, boolOut: true, doc: "Greater returns A>B."},
	{name: "GreaterOrEqual", versions: []int64{12, 16}, types: elemNumTypes, boolOut: true,
		doc: "GreaterOrEqual returns A>=B."},
	{name: "And", versions: []int64{1, 7}, legacy: 7, types: elemBoolTypes, boolOut: true, doc: "And returns A&&B."},
	{name: "Or", versions: []int64{1, 7}, legacy: 7, types: elemBoolTypes, boolOut: true, doc: "Or returns A||B."},
	{name: "Xor", versions: []int64{1, 7}, legacy: 7, types: elemBoolTypes, boolOut: true, doc: "Xor returns A!=B."},
}

// elemVariadicOps are Min, Max, Sum and Mean: one or more inputs, equal
// shapes before version 8, broadcasting from 8.
var elemVariadicOps = []elemBinary{
	{name: "Min", versions: []int64{1, 6, 8, 12, 13}, types: elemNumTypes, doc: "Min returns the elementwise minimum (NaN wins)."},
	{name: "Max", versions: []int64{1, 6, 8, 12, 13}, types: elemNumTypes, doc: "Max returns the elementwise maximum (NaN wins)."},
	{name: "Sum", versions: []int64{1, 6, 8, 13}, types: elemFloatTypes, doc: "Sum returns the elementwise sum."},
	{name: "Mean", versions: []int64{1, 6, 8, 13}, types: elemFloatTypes, doc: "Mean returns the elementwise mean."},
}

func init() {
	for _, u := range elemUnaryOps {
		infer := elemUnaryInfer(u.types)
		if u.boolOut {
			infer = elemUnaryBoolInfer(u.types)
		}
		switch u.name {
		case "Gelu":
			infer = elemGeluInfer(u.types)
		}
		elemRegister(Schema{
			Name: u.name, MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
			Attrs: u.attrs, Infer: infer, Doc: u.doc,
		}, u.versions, nil)
	}

	for _, b := range elemBinaryOps {
		b := b
		infer := elemBroadcastInfer(b.types, b.boolOut)
		switch b.name {
		case "Mod":
			infer = elemModInfer(b.types)
		case "BitShift":
			infer = elemBitShiftInfer(b.types)
		}
		elemRegister(Schema{
			Name: b.name, MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
			Attrs: b.attrs, Infer: infer, Doc: b.doc,
		}, b.versions, func(s *Schema, since int64) {
			if since < b.legacy {
				s.Attrs = append(s.Attrs, elemLegacyAttrs...)
				s.Infer = elemLegacyInfer(b.types, b.boolOut)
			}
		})
	}

	for _, b := range elemVariadicOps {
		b := b
		elemRegister(Schema{
			Name: b.name, MinInputs: 1, MaxInputs: -1, MinOutputs: 1, MaxOutputs: 1,
			Infer: elemBroadcastInfer(b.types, false), Doc: b.doc,
		}, b.versions, func(s *Schema, since int64) {
			if since < 8 {
				s.Infer = elemEqualShapesInfer(b.types)
			}
		})
	}

	elemRegister(Schema{
		Name: "Pow", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Infer: elemPowInfer, Doc: "Pow returns X^Y; the output has X's type.",
	}, []int64{1, 7, 12, 13, 15}, func(s *Schema, since int64) {
		if since < 7 {
			s.Attrs = append(s.Attrs, elemLegacyAttrs...)
			s.Infer = elemLegacyInfer(elemFloatTypes, false)
		}
	})

	elemRegister(Schema{
		Name: "PRelu", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Infer: elemPReluInfer, Doc: "PRelu returns x, or slope*x for x < 0; slope broadcasts to X.",
	}, []int64{1, 6, 7, 9, 16}, nil)

	elemRegister(Schema{
		Name: "Clip", MinInputs: 1, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
		Infer: elemClipInfer, Doc: "Clip limits the input to [min, max].",
	}, []int64{1, 6, 11, 12, 13}, func(s *Schema, since int64) {
		if since < 11 {
			s.MaxInputs = 1
			s.Attrs = []AttrDef{
				elemFloatAttr("min", -math.MaxFloat32),
				elemFloatAttr("max", math.MaxFloat32),
			}
		}
	})

	elemRegister(Schema{
		Name: "Where", MinInputs: 3, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
		Infer: elemWhereInfer, Doc: "Where picks X where the condition holds, else Y.",
	}, []int64{9, 16}, nil)

	elemRegister(Schema{
		Name: "Cast", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "to", Type: ir.AttrInt, Required: true}},
		Infer: elemCastInfer, Doc: "Cast converts the input to the type given by 'to'.",
	}, []int64{6, 9, 13, 19, 21, 23, 24, 25}, func(s *Schema, since int64) {
		if since >= 19 {
			s.Attrs = append(s.Attrs, elemIntAttr("saturate", 1))
		}
		if since >= 25 {
			s.Attrs = append(s.Attrs, AttrDef{Name: "round_mode", Type: ir.AttrString, Default: "up"})
		}
	})

	elemRegister(Schema{
		Name: "CastLike", MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Infer: elemCastLikeInfer, Doc: "CastLike converts input 0 to the type of input 1.",
	}, []int64{15, 19, 21, 23, 24, 25}, func(s *Schema, since int64) {
		if since >= 19 {
			s.Attrs = append(s.Attrs, elemIntAttr("saturate", 1))
		}
		if since >= 25 {
			s.Attrs = append(s.Attrs, AttrDef{Name: "round_mode", Type: ir.AttrString, Default: "up"})
		}
	})
}

func elemGeluInfer(allowed []tensor.DType) func(*Node) ([]TypeShape, error) {
	return func(n *Node) ([]TypeShape, error) {
		switch a := n.AttrString("approximate"); a {
		case "none", "tanh":
		default:
			return nil, Errorf("Gelu approximate %q, want \"none\" or \"tanh\"", a)
		}
		return elemUnaryInfer(allowed)(n)
	}
}

func elemModInfer(allowed []tensor.DType) func(*Node) ([]TypeShape, error) {
	bin := elemBroadcastInfer(allowed, false)
	return func(n *Node) ([]TypeShape, error) {
		switch f := n.AttrInt("fmod"); f {
		case 0:
			if n.In[0].DType.IsFloat() {
				return nil, Errorf("Mod with fmod=0 is for integers; %v needs fmod=1", n.In[0].DType)
			}
		case 1:
		default:
			return nil, Errorf("Mod fmod=%d, want 0 or 1", f)
		}
		return bin(n)
	}
}

func elemBitShiftInfer(allowed []tensor.DType) func(*Node) ([]TypeShape, error) {
	bin := elemBroadcastInfer(allowed, false)
	return func(n *Node) ([]TypeShape, error) {
		switch d := n.AttrString("direction"); d {
		case "LEFT", "RIGHT":
		default:
			return nil, Errorf("BitShift direction %q, want \"LEFT\" or \"RIGHT\"", d)
		}
		return bin(n)
	}
}

// elemPowInfer: X's type is the output's; Y may be any numeric type.
func elemPowInfer(n *Node) ([]TypeShape, error) {
	if err := elemCheckTypes(n, elemPowBase, 0); err != nil {
		return nil, err
	}
	if err := elemCheckTypes(n, elemNumTypes, 1); err != nil {
		return nil, err
	}
	return Broadcast(n)
}

// UnidirectionalShape checks that shape b broadcasts to a (numpy rules,
// only b's dims stretch) and returns a. Unknown dims pass.
func UnidirectionalShape(a, b ir.Shape) (ir.Shape, error) {
	if a == nil || b == nil {
		return a, nil
	}
	if len(b) > len(a) {
		return nil, elemShapeErr("cannot broadcast " + b.String() + " to " + a.String())
	}
	off := len(a) - len(b)
	for i, d := range b {
		o := a[off+i]
		if d.Known() && d.Value != 1 && o.Known() && o.Value != d.Value {
			return nil, elemShapeErr("cannot broadcast " + b.String() + " to " + a.String())
		}
	}
	return a, nil
}

// PReluSlopeShape returns the shape a PRelu node reads its slope with:
// before version 7 a 1-D slope of more than one element holds one value
// per channel (X's dim 1), so it is aligned to that axis; otherwise the
// slope broadcasts unidirectionally as it is.
func PReluSlopeShape(n *Node, x, slope []int) []int {
	if n.Schema == nil || n.Schema.Since >= 7 || len(slope) != 1 || slope[0] == 1 || len(x) < 2 {
		return slope
	}
	out := make([]int, len(x))
	for i := range out {
		out[i] = 1
	}
	out[1] = slope[0]
	return out
}

func elemPReluInfer(n *Node) ([]TypeShape, error) {
	if err := elemCheckTypes(n, elemPReluTypes, 0, 1); err != nil {
		return nil, err
	}
	if err := elemSameTypes(n, 0, 1); err != nil {
		return nil, err
	}
	slope := n.In[1].Shape
	if x := n.In[0].Shape; n.Schema.Since < 7 && x != nil && len(x) >= 2 && len(slope) == 1 &&
		!(slope[0].Known() && slope[0].Value == 1) {
		// Per-channel slope (before version 7).
		if slope[0].Known() && x[1].Known() && slope[0].Value != x[1].Value {
			return nil, elemShapeErr("PRelu slope " + slope.String() + " does not match the channels of " + x.String())
		}
		return []TypeShape{{DType: n.In[0].DType, Shape: x}}, nil
	}
	s, err := UnidirectionalShape(n.In[0].Shape, slope)
	if err != nil {
		return nil, err
	}
	return []TypeShape{{DType: n.In[0].DType, Shape: s}}, nil
}

// elemClipInfer checks Clip's optional bounds: of the input's type, and
// holding one element.
func elemClipInfer(n *Node) ([]TypeShape, error) {
	types := elemNumTypes
	if n.Schema != nil && n.Schema.Since < 11 {
		types = elemFloatTypes
	}
	if err := elemCheckTypes(n, types, 0); err != nil {
		return nil, err
	}
	if err := elemSameTypes(n, 0, 1, 2); err != nil {
		return nil, err
	}
	for i := 1; i < len(n.In); i++ {
		in := n.In[i]
		if in.Absent || in.Shape == nil {
			continue
		}
		for _, d := range in.Shape {
			if d.Known() && d.Value != 1 {
				return nil, Errorf("Clip bound %d has shape %v, want a scalar", i, in.Shape)
			}
		}
	}
	return SameAsInput(n)
}

func elemWhereInfer(n *Node) ([]TypeShape, error) {
	if err := elemCheckTypes(n, elemBoolTypes, 0); err != nil {
		return nil, err
	}
	if err := elemSameTypes(n, 1, 2); err != nil {
		return nil, err
	}
	s, err := BroadcastShapes(n.In[0].Shape, n.In[1].Shape, n.In[2].Shape)
	if err != nil {
		return nil, err
	}
	return []TypeShape{{DType: n.In[1].DType, Shape: s}}, nil
}

// CastTarget returns the dtype a Cast node converts to, or an error when
// its "to" attribute names no tensor type. The type may still be one no
// kernel stores (float8 and smaller): kernels decline those.
func CastTarget(n *Node) (tensor.DType, error) {
	to := n.AttrInt("to")
	if to <= 0 || to > 26 || to == int64(tensor.Complex64) || to == int64(tensor.Complex128) {
		return tensor.Undefined, Errorf("Cast to=%d is not a type Cast supports", to)
	}
	return tensor.DType(to), nil
}

func elemCastInfer(n *Node) ([]TypeShape, error) {
	to, err := CastTarget(n)
	if err != nil {
		return nil, err
	}
	if d := n.In[0].DType; d == tensor.Complex64 || d == tensor.Complex128 {
		return nil, Errorf("Cast from %v is not supported", d)
	}
	return []TypeShape{{DType: to, Shape: n.In[0].Shape}}, nil
}

func elemCastLikeInfer(n *Node) ([]TypeShape, error) {
	for i := range 2 {
		if d := n.In[i].DType; d == tensor.Complex64 || d == tensor.Complex128 {
			return nil, Errorf("CastLike with %v is not supported", d)
		}
	}
	return []TypeShape{{DType: n.In[1].DType, Shape: n.In[0].Shape}}, nil
}
