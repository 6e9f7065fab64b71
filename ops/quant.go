package ops

// Schemas of the quantisation operators: QuantizeLinear, DequantizeLinear,
// DynamicQuantizeLinear, QLinearConv, QLinearMatMul, ConvInteger and
// MatMulInteger, and the helpers their shape inference and kernels share
// (QuantLayout, the output types of QuantizeLinear and DequantizeLinear).
//
// Quantised types are the 8- and 16-bit integers. The float8, 4-bit and
// 2-bit types of newer opsets have no tensor storage here: a node that
// uses them fails inference with an error that names the type.

import (
	"errors"
	"fmt"
	"strings"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// qntONNXTypeNames names the ONNX element types that tensor.DType does not
// store, for error messages.
var qntONNXTypeNames = map[tensor.DType]string{
	17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz",
	21: "uint4", 22: "int4", 23: "float4e2m1", 24: "float8e8m0", 25: "uint2", 26: "int2",
}

// qntTypeName returns the ONNX name of dt for messages.
func qntTypeName(dt tensor.DType) string {
	if s, ok := qntONNXTypeNames[dt]; ok {
		return s
	}
	return dt.String()
}

// qntCheckQuantType returns an error unless dt is a quantised type the
// kernels handle (uint8, int8, uint16, int16); float8 and 4-bit types get
// an explicit "not supported" error.
func qntCheckQuantType(dt tensor.DType, what string) error {
	switch dt {
	case tensor.Uint8, tensor.Int8, tensor.Uint16, tensor.Int16:
		return nil
	}
	if _, ok := qntONNXTypeNames[dt]; ok {
		return fmt.Errorf("%w: %s type %s is not supported", ErrUnsupportedOp, what, qntTypeName(dt))
	}
	return Errorf("%s has type %s, want uint8, int8, uint16 or int16", what, qntTypeName(dt))
}

// QuantKind is the granularity of a quantisation scale.
type QuantKind int

// The granularities: one scale for the whole tensor, one per index of the
// quantisation axis, or one per block of Block consecutive indices of the
// axis (and per position in every other dim).
const (
	QuantPerTensor QuantKind = iota
	QuantPerAxis
	QuantBlocked
)

// QuantLayout maps the elements of a tensor being quantised or dequantised
// to the elements of its scale (and zero point). The tensor is viewed as
// Outer x Dim x Inner around the quantisation axis (per tensor: 1 x 1 x
// all elements).
type QuantLayout struct {
	Kind              QuantKind
	Outer, Dim, Inner int
	// Block is the block size of blocked quantisation.
	Block int
}

// ScaleBase returns the scale index of the element at (o, d, 0) and the
// step of the index along the Inner run (0, or 1 when blocked).
func (l QuantLayout) ScaleBase(o, d int) (base, step int) {
	switch l.Kind {
	case QuantPerAxis:
		return d, 0
	case QuantBlocked:
		blocks := (l.Dim + l.Block - 1) / l.Block
		return (o*blocks + d/l.Block) * l.Inner, 1
	}
	return 0, 0
}

// QuantLayoutOf returns the layout of a scale of shape scale for a tensor
// of shape x, with the node's axis and block_size attributes. A scale with
// one element and rank <= 1 is per tensor; otherwise a 1-D scale with
// block 0 is per axis (its length the axis' size), and with block > 0 the
// scale has x's rank and shape except on the axis, where it has
// ceil(size/block) elements.
func QuantLayoutOf(x, scale []int, axis, block int64) (QuantLayout, error) {
	nx, err := tensor.NumElements(x)
	if err != nil {
		return QuantLayout{}, err
	}
	ns, err := tensor.NumElements(scale)
	if err != nil {
		return QuantLayout{}, err
	}
	if ns == 1 && len(scale) <= 1 {
		return QuantLayout{Kind: QuantPerTensor, Outer: 1, Dim: 1, Inner: nx}, nil
	}
	if block < 0 {
		return QuantLayout{}, Errorf("block_size %d < 0", block)
	}
	ax, err := NormAxis(axis, len(x))
	if err != nil {
		return QuantLayout{}, err
	}
	l := QuantLayout{Outer: qntProd(x[:ax]), Dim: x[ax], Inner: qntProd(x[ax+1:])}
	if block == 0 {
		if len(scale) != 1 || scale[0] != x[ax] {
			return QuantLayout{}, fmt.Errorf("%w: scale shape %v is neither a scalar nor a 1-D tensor of the size %d of axis %d of input shape %v",
				ErrShapeMismatch, scale, x[ax], ax, x)
		}
		l.Kind = QuantPerAxis
		return l, nil
	}
	if block > int64(tensor.MaxElements) {
		return QuantLayout{}, Errorf("block_size %d out of range", block)
	}
	l.Kind, l.Block = QuantBlocked, int(block)
	if len(scale) != len(x) {
		return QuantLayout{}, fmt.Errorf("%w: blocked quantisation needs a scale of rank %d, got shape %v", ErrShapeMismatch, len(x), scale)
	}
	for i, d := range scale {
		want := x[i]
		if i == ax {
			want = (x[i] + l.Block - 1) / l.Block
		}
		if d != want {
			return QuantLayout{}, fmt.Errorf("%w: scale shape %v does not block input shape %v with block_size %d on axis %d",
				ErrShapeMismatch, scale, x, block, ax)
		}
	}
	return l, nil
}

// qntProd returns the product of dims that are already known to have a
// bounded product.
func qntProd(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

// qntCheckLayout validates the scale (input si) and zero point (input zi,
// if given) of a QuantizeLinear or DequantizeLinear node against input 0
// when their shapes are known.
func qntCheckLayout(n *Node, si, zi int) error {
	s := n.In[si].Shape
	if s != nil && len(s) > 1 && n.Opset < 21 {
		return Errorf("scale must be a scalar or 1-D before opset 21, got rank %d", len(s))
	}
	if n.HasIn(zi) {
		if z := n.In[zi].Shape; z != nil && s != nil {
			zs, ok1 := z.Ints()
			ss, ok2 := s.Ints()
			if ok1 && ok2 && qntNumel(zs) != qntNumel(ss) {
				return fmt.Errorf("%w: zero point shape [%v] differs from scale shape [%v]", ErrShapeMismatch, z, s)
			}
		}
	}
	xs, ok1 := n.In[0].ConcreteShape()
	ss, ok2 := n.In[si].ConcreteShape()
	if !ok1 || !ok2 {
		return nil
	}
	_, err := QuantLayoutOf(xs, ss, QuantAxis(n), n.AttrInt("block_size"))
	return err
}

// qntNumel returns the product of known, small dims (-1 on overflow).
func qntNumel(dims []int) int {
	n, err := tensor.NumElements(dims)
	if err != nil {
		return -1
	}
	return n
}

// QuantAxis returns the axis attribute of a QuantizeLinear or
// DequantizeLinear node (1 before opset 13, which has no axis).
func QuantAxis(n *Node) int64 {
	if n.Opset < 13 {
		return 1
	}
	return n.AttrInt("axis")
}

// QuantizeLinearType returns the output type of QuantizeLinear node n: the
// zero point's type, else output_dtype, else uint8.
func QuantizeLinearType(n *Node) (tensor.DType, error) {
	dt := tensor.Uint8
	od := tensor.DType(n.AttrInt("output_dtype"))
	if n.HasIn(2) {
		dt = n.In[2].DType
		if od != 0 && od != dt {
			return 0, Errorf("output_dtype %s differs from the zero point's type %s", qntTypeName(od), qntTypeName(dt))
		}
	} else if od != 0 {
		dt = od
	}
	return dt, qntCheckQuantType(dt, "QuantizeLinear output")
}

// QuantizePrecision returns the type whose precision QuantizeLinear node n
// divides in: the precision attribute if set, else the scale's type
// (float32 for an int32 scale).
func QuantizePrecision(n *Node) (tensor.DType, error) {
	p := tensor.DType(n.AttrInt("precision"))
	if p == 0 {
		p = n.In[1].DType
		if p == tensor.Int32 {
			p = tensor.Float64
		}
	}
	switch p {
	case tensor.Float32, tensor.Float16, tensor.BFloat16, tensor.Float64:
		return p, nil
	}
	return 0, Errorf("QuantizeLinear precision %s is not a float type", qntTypeName(p))
}

func qntInferQuantize(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, tensor.Float32, tensor.Float16, tensor.BFloat16, tensor.Int32); err != nil {
		return nil, err
	}
	if err := n.CheckDType(1, tensor.Float32, tensor.Float16, tensor.BFloat16, tensor.Int32); err != nil {
		if _, ok := qntONNXTypeNames[n.In[1].DType]; ok {
			return nil, fmt.Errorf("%w: scale type %s is not supported", ErrUnsupportedOp, qntTypeName(n.In[1].DType))
		}
		return nil, err
	}
	dt, err := QuantizeLinearType(n)
	if err != nil {
		return nil, err
	}
	if _, err := QuantizePrecision(n); err != nil {
		return nil, err
	}
	if err := qntCheckLayout(n, 1, 2); err != nil {
		return nil, err
	}
	return []TypeShape{{DType: dt, Shape: n.In[0].Shape}}, nil
}

// DequantizeLinearType returns the output type of DequantizeLinear node n:
// output_dtype if set, else the scale's type.
func DequantizeLinearType(n *Node) (tensor.DType, error) {
	dt := n.In[1].DType
	if od := tensor.DType(n.AttrInt("output_dtype")); od != 0 {
		dt = od
	}
	switch dt {
	case tensor.Float32, tensor.Float16, tensor.BFloat16:
		return dt, nil
	}
	if _, ok := qntONNXTypeNames[dt]; ok {
		return 0, fmt.Errorf("%w: DequantizeLinear output or scale type %s is not supported", ErrUnsupportedOp, qntTypeName(dt))
	}
	return 0, Errorf("DequantizeLinear output type %s is not float32, float16 or bfloat16", qntTypeName(dt))
}

func qntInferDequantize(n *Node) ([]TypeShape, error) {
	xt := n.In[0].DType
	if xt != tensor.Int32 {
		if err := qntCheckQuantType(xt, "DequantizeLinear input"); err != nil {
			if errors.Is(err, ErrInvalidNode) {
				return nil, Errorf("DequantizeLinear input has type %s, want uint8, int8, uint16, int16 or int32", qntTypeName(xt))
			}
			return nil, err
		}
	}
	if n.HasIn(2) && n.In[2].DType != xt {
		return nil, Errorf("zero point has type %s, input has %s", qntTypeName(n.In[2].DType), qntTypeName(xt))
	}
	if err := n.CheckDType(1, tensor.Float32, tensor.Float16, tensor.BFloat16); err != nil {
		if _, ok := qntONNXTypeNames[n.In[1].DType]; ok {
			return nil, fmt.Errorf("%w: scale type %s is not supported", ErrUnsupportedOp, qntTypeName(n.In[1].DType))
		}
		return nil, err
	}
	dt, err := DequantizeLinearType(n)
	if err != nil {
		return nil, err
	}
	if err := qntCheckLayout(n, 1, 2); err != nil {
		return nil, err
	}
	return []TypeShape{{DType: dt, Shape: n.In[0].Shape}}, nil
}

func qntInferDynamicQuantize(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, tensor.Float32); err != nil {
		return nil, err
	}
	return []TypeShape{{DType: tensor.Uint8, Shape: n.In[0].Shape}, Of(tensor.Float32), Of(tensor.Uint8)}, nil
}

// qnt8Bit checks that input i is uint8 or int8 and, when given, that input
// zi (its zero point) has the same type.
func qnt8Bit(n *Node, i, zi int, what string) error {
	dt := n.In[i].DType
	if dt != tensor.Uint8 && dt != tensor.Int8 {
		if _, ok := qntONNXTypeNames[dt]; ok {
			return fmt.Errorf("%w: %s type %s is not supported", ErrUnsupportedOp, what, qntTypeName(dt))
		}
		return Errorf("%s has type %s, want uint8 or int8", what, qntTypeName(dt))
	}
	if zi >= 0 && n.HasIn(zi) && n.In[zi].DType != dt {
		return Errorf("%s has type %s but its zero point has %s", what, dt, qntTypeName(n.In[zi].DType))
	}
	return nil
}

// qntCheckCount checks that input i, when its shape is known, has one of
// the given element counts (negative counts are unknown and accepted).
func qntCheckCount(n *Node, i int, what string, counts ...int64) error {
	if !n.HasIn(i) {
		return nil
	}
	s, ok := n.In[i].ConcreteShape()
	if !ok {
		return nil
	}
	c := int64(qntNumel(s))
	var want []string
	for _, w := range counts {
		if w < 0 || c == w {
			return nil
		}
		if len(want) == 0 || want[len(want)-1] != fmt.Sprint(w) {
			want = append(want, fmt.Sprint(w))
		}
	}
	return fmt.Errorf("%w: %s has shape %v, want %s element(s)", ErrShapeMismatch, what, s, strings.Join(want, " or "))
}

// qntConvShape infers a quantised convolution's output shape with Conv's
// rules, from the input x, the weight w and the bias b (b < 0: none).
func qntConvShape(n *Node, x, w, b int) (ir.Shape, error) {
	irn := *n.Node
	irn.Inputs = []string{n.Inputs[x], n.Inputs[w]}
	m := *n
	m.Node = &irn
	m.In = []TypeShape{Ranked(tensor.Float32, n.In[x].Shape), Ranked(tensor.Float32, n.In[w].Shape)}
	if b >= 0 && n.HasIn(b) {
		irn.Inputs = append(irn.Inputs, n.Inputs[b])
		m.In = append(m.In, Ranked(tensor.Float32, n.In[b].Shape))
	}
	out, err := inferConv(&m)
	if err != nil {
		return nil, err
	}
	return out[0].Shape, nil
}

func qntInferQLinearConv(n *Node) ([]TypeShape, error) {
	if err := qnt8Bit(n, 0, 2, "QLinearConv x"); err != nil {
		return nil, err
	}
	if err := qnt8Bit(n, 3, 5, "QLinearConv w"); err != nil {
		return nil, err
	}
	if err := qnt8Bit(n, 7, -1, "QLinearConv y_zero_point"); err != nil {
		return nil, err
	}
	for _, i := range []int{1, 4, 6} {
		if err := n.CheckDType(i, tensor.Float32); err != nil {
			return nil, err
		}
	}
	if n.HasIn(8) {
		if err := n.CheckDType(8, tensor.Int32); err != nil {
			return nil, err
		}
	}
	m := int64(nnDim(n.In[3].Shape, 0).Value)
	for _, c := range []struct {
		i    int
		what string
		m    int64
	}{{1, "x_scale", 1}, {2, "x_zero_point", 1}, {4, "w_scale", m}, {5, "w_zero_point", m}, {6, "y_scale", 1}, {7, "y_zero_point", 1}} {
		if err := qntCheckCount(n, c.i, c.what, 1, c.m); err != nil {
			return nil, err
		}
	}
	s, err := qntConvShape(n, 0, 3, 8)
	if err != nil {
		return nil, err
	}
	return []TypeShape{Ranked(n.In[7].DType, s)}, nil
}

func qntInferConvInteger(n *Node) ([]TypeShape, error) {
	if err := qnt8Bit(n, 0, 2, "ConvInteger x"); err != nil {
		return nil, err
	}
	if err := qnt8Bit(n, 1, 3, "ConvInteger w"); err != nil {
		return nil, err
	}
	if err := qntCheckCount(n, 2, "x_zero_point", 1); err != nil {
		return nil, err
	}
	if err := qntCheckCount(n, 3, "w_zero_point", 1, int64(nnDim(n.In[1].Shape, 0).Value)); err != nil {
		return nil, err
	}
	s, err := qntConvShape(n, 0, 1, -1)
	if err != nil {
		return nil, err
	}
	return []TypeShape{Ranked(tensor.Int32, s)}, nil
}

func qntInferMatMulInteger(n *Node) ([]TypeShape, error) {
	if err := qnt8Bit(n, 0, 2, "MatMulInteger A"); err != nil {
		return nil, err
	}
	if err := qnt8Bit(n, 1, 3, "MatMulInteger B"); err != nil {
		return nil, err
	}
	s, err := MatMulShapes(n.In[0].Shape, n.In[1].Shape)
	if err != nil {
		return nil, err
	}
	return []TypeShape{Ranked(tensor.Int32, s)}, nil
}

func qntInferQLinearMatMul(n *Node) ([]TypeShape, error) {
	if err := qnt8Bit(n, 0, 2, "QLinearMatMul a"); err != nil {
		return nil, err
	}
	if err := qnt8Bit(n, 3, 5, "QLinearMatMul b"); err != nil {
		return nil, err
	}
	if err := qnt8Bit(n, 7, -1, "QLinearMatMul y_zero_point"); err != nil {
		return nil, err
	}
	scaleTypes := []tensor.DType{tensor.Float32}
	if n.Opset >= 21 {
		scaleTypes = append(scaleTypes, tensor.Float16, tensor.BFloat16)
	}
	for _, i := range []int{1, 4, 6} {
		if err := n.CheckDType(i, scaleTypes...); err != nil {
			return nil, err
		}
	}
	if err := qntCheckCount(n, 6, "y_scale", 1); err != nil {
		return nil, err
	}
	if err := qntCheckCount(n, 7, "y_zero_point", 1); err != nil {
		return nil, err
	}
	s, err := MatMulShapes(n.In[0].Shape, n.In[3].Shape)
	if err != nil {
		return nil, err
	}
	return []TypeShape{Ranked(n.In[7].DType, s)}, nil
}

// qntA declares an attribute with a default.
func qntA(name string, t ir.AttrType, def any) AttrDef {
	return AttrDef{Name: name, Type: t, Default: def}
}

func init() {
	axis := qntA("axis", ir.AttrInt, int64(1))
	block := qntA("block_size", ir.AttrInt, int64(0))
	outDT := qntA("output_dtype", ir.AttrInt, int64(0))
	saturate := qntA("saturate", ir.AttrInt, int64(1))
	precision := qntA("precision", ir.AttrInt, int64(0))
	registerVersions([]int64{10, 13, 19, 21, 23, 24, 25}, func(v int64) *Schema {
		var attrs []AttrDef
		switch {
		case v >= 25:
			attrs = []AttrDef{axis, block, outDT, precision, saturate}
		case v >= 21:
			attrs = []AttrDef{axis, block, outDT, saturate}
		case v >= 19:
			attrs = []AttrDef{axis, saturate}
		case v >= 13:
			attrs = []AttrDef{axis}
		}
		return &Schema{Name: "QuantizeLinear", MinInputs: 2, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
			Attrs: attrs, Infer: qntInferQuantize,
			Doc: "y = saturate(round_half_even(x / y_scale) + y_zero_point), per tensor, axis or block"}
	})
	registerVersions([]int64{10, 13, 19, 21, 23, 24, 25}, func(v int64) *Schema {
		var attrs []AttrDef
		switch {
		case v >= 23:
			attrs = []AttrDef{axis, block, outDT}
		case v >= 21:
			attrs = []AttrDef{axis, block}
		case v >= 13:
			attrs = []AttrDef{axis}
		}
		return &Schema{Name: "DequantizeLinear", MinInputs: 2, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
			Attrs: attrs, Infer: qntInferDequantize,
			Doc: "y = (x - x_zero_point) * x_scale, per tensor, axis or block"}
	})
	RegisterSchema(&Schema{Name: "DynamicQuantizeLinear", Since: 11, MinInputs: 1, MaxInputs: 1, MinOutputs: 3, MaxOutputs: 3,
		Infer: qntInferDynamicQuantize, Doc: "uint8 quantisation with a scale and zero point computed from the input's range"})
	RegisterSchema(&Schema{Name: "QLinearConv", Since: 10, MinInputs: 8, MaxInputs: 9, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{nnAutoPad, nnDilations, nnGroup, nnKernelShapeOpt, nnPads, nnStrides},
		Infer: qntInferQLinearConv, Doc: "convolution of quantised tensors with a requantised output"})
	RegisterSchema(&Schema{Name: "ConvInteger", Since: 10, MinInputs: 2, MaxInputs: 4, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{nnAutoPad, nnDilations, nnGroup, nnKernelShapeOpt, nnPads, nnStrides},
		Infer: qntInferConvInteger, Doc: "convolution of 8-bit integers with zero points, int32 output"})
	RegisterSchema(&Schema{Name: "MatMulInteger", Since: 10, MinInputs: 2, MaxInputs: 4, MinOutputs: 1, MaxOutputs: 1,
		Infer: qntInferMatMulInteger, Doc: "numpy.matmul of 8-bit integers with zero points, int32 output"})
	registerVersions([]int64{10, 21}, func(int64) *Schema {
		return &Schema{Name: "QLinearMatMul", MinInputs: 8, MaxInputs: 8, MinOutputs: 1, MaxOutputs: 1,
			Infer: qntInferQLinearMatMul, Doc: "numpy.matmul of quantised tensors with a requantised output"}
	})
}
