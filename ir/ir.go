// Package ir is onyx's in-memory graph: a Model holding a Graph of Nodes that
// read and write named values, with initializers as tensors. It mirrors the
// ONNX IR (see IR.md in the ONNX spec) without depending on protobuf: the
// onnx package converts to and from the wire format, the runtime compiles it,
// and the train package builds and extends it.
package ir

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/onyxml/onyx/tensor"
)

// DefaultDomain is the ONNX operator set's domain, written "" (ONNX also
// accepts "ai.onnx", which the loader normalises to "").
const DefaultDomain = ""

// Model is a loaded or built model.
type Model struct {
	IRVersion       int64
	OpsetImports    map[string]int64 // domain ("" for ai.onnx) -> opset version
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	Metadata        map[string]string
	Graph           *Graph
	Functions       []*Function
}

// Function is a model-local function (IR version 8+), kept so that models
// round-trip; the runtime expands calls to it.
type Function struct {
	Name, Domain  string
	Inputs        []string
	Outputs       []string
	Attributes    []string
	Nodes         []*Node
	OpsetImports  map[string]int64
	DocString     string
	AttributeDefs []*Attribute
}

// Opset returns the version of domain the model imports, or 0.
func (m *Model) Opset(domain string) int64 {
	if domain == "ai.onnx" {
		domain = ""
	}
	return m.OpsetImports[domain]
}

// Graph is a list of nodes in topological order over named values.
type Graph struct {
	Name         string
	Nodes        []*Node
	Inputs       []*ValueInfo // may include initializers (IR < 4)
	Outputs      []*ValueInfo
	ValueInfo    []*ValueInfo // optional type annotations of intermediate values
	Initializers []*Initializer
	DocString    string
}

// Initializer is a named constant tensor of a graph.
type Initializer struct {
	Name   string
	Tensor *tensor.Tensor
	Doc    string
}

// Initializer returns the initializer called name, or nil.
func (g *Graph) Initializer(name string) *tensor.Tensor {
	for _, in := range g.Initializers {
		if in.Name == name {
			return in.Tensor
		}
	}
	return nil
}

// Node is one operator application.
type Node struct {
	Name      string
	OpType    string
	Domain    string // "" for ai.onnx
	Inputs    []string
	Outputs   []string // "" marks an omitted optional input or output
	Attrs     []*Attribute
	DocString string
}

// String names the node for error messages: `Conv "conv1"`.
func (n *Node) String() string {
	op := n.OpType
	if n.Domain != "" {
		op = n.Domain + "." + op
	}
	if n.Name == "" {
		if len(n.Outputs) > 0 {
			return fmt.Sprintf("%s (output %q)", op, n.Outputs[0])
		}
		return op
	}
	return fmt.Sprintf("%s %q", op, n.Name)
}

// Attr returns the attribute called name, or nil.
func (n *Node) Attr(name string) *Attribute {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// AttrType is the type of an attribute, with ONNX's AttributeProto numbers.
type AttrType int32

// Attribute types.
const (
	AttrUndefined     AttrType = 0
	AttrFloat         AttrType = 1
	AttrInt           AttrType = 2
	AttrString        AttrType = 3
	AttrTensor        AttrType = 4
	AttrGraph         AttrType = 5
	AttrSparseTensor  AttrType = 11
	AttrTypeProto     AttrType = 13
	AttrFloats        AttrType = 6
	AttrInts          AttrType = 7
	AttrStrings       AttrType = 8
	AttrTensors       AttrType = 9
	AttrGraphs        AttrType = 10
	AttrSparseTensors AttrType = 12
	AttrTypeProtos    AttrType = 14
)

func (t AttrType) String() string {
	switch t {
	case AttrFloat:
		return "float"
	case AttrInt:
		return "int"
	case AttrString:
		return "string"
	case AttrTensor:
		return "tensor"
	case AttrGraph:
		return "graph"
	case AttrFloats:
		return "floats"
	case AttrInts:
		return "ints"
	case AttrStrings:
		return "strings"
	case AttrTensors:
		return "tensors"
	case AttrGraphs:
		return "graphs"
	case AttrSparseTensor:
		return "sparse_tensor"
	case AttrSparseTensors:
		return "sparse_tensors"
	case AttrTypeProto:
		return "type_proto"
	case AttrTypeProtos:
		return "type_protos"
	}
	return "attr(" + strconv.Itoa(int(t)) + ")"
}

// Attribute is a named, typed constant of a node. Only the field matching
// Type is meaningful. Strings hold ONNX's bytes as Go strings.
type Attribute struct {
	Name       string
	Type       AttrType
	Float      float32
	Int        int64
	String     string
	Tensor     *tensor.Tensor
	Graph      *Graph
	Floats     []float32
	Ints       []int64
	Strings    []string
	Tensors    []*tensor.Tensor
	Graphs     []*Graph
	TypeProto  *Type
	TypeProtos []*Type
	// RefAttrName, inside a function body, names the caller's attribute
	// this one takes its value from.
	RefAttrName string
	DocString   string
}

// Dim is one dimension of a shape: a known size (Value >= 0), a symbolic
// size (Param != ""), or unknown (Value < 0 and Param == "").
type Dim struct {
	Value int64
	Param string
}

// Known reports whether the dimension has a concrete size.
func (d Dim) Known() bool { return d.Value >= 0 && d.Param == "" }

// DimOf returns a known dimension.
func DimOf(v int64) Dim { return Dim{Value: v} }

// SymDim returns a symbolic dimension.
func SymDim(name string) Dim { return Dim{Value: -1, Param: name} }

// UnknownDim is a dimension about which nothing is known.
var UnknownDim = Dim{Value: -1}

func (d Dim) String() string {
	switch {
	case d.Param != "":
		return d.Param
	case d.Value < 0:
		return "?"
	}
	return strconv.FormatInt(d.Value, 10)
}

// Shape is a list of dims. A nil Shape in a Type means the rank is unknown.
type Shape []Dim

// ShapeOf returns a fully known shape.
func ShapeOf(dims ...int) Shape {
	s := make(Shape, len(dims))
	for i, d := range dims {
		s[i] = DimOf(int64(d))
	}
	return s
}

// Known reports whether every dim is known.
func (s Shape) Known() bool {
	for _, d := range s {
		if !d.Known() {
			return false
		}
	}
	return true
}

// Ints returns the dims as ints; ok is false if any is not known.
func (s Shape) Ints() (dims []int, ok bool) {
	dims = make([]int, len(s))
	for i, d := range s {
		if !d.Known() {
			return nil, false
		}
		dims[i] = int(d.Value)
	}
	return dims, true
}

// String formats the shape as 1x3x224x224 (batch for symbolic, ? for unknown).
func (s Shape) String() string {
	if len(s) == 0 {
		return "scalar"
	}
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return strings.Join(parts, "x")
}

// TypeKind distinguishes tensors from ONNX's container types.
type TypeKind int

// Value kinds.
const (
	KindTensor TypeKind = iota
	KindSequence
	KindOptional
	KindMap
	KindSparseTensor
)

// Type is the type of a value: a tensor's element type and shape, or a
// sequence or optional of an element type.
type Type struct {
	Kind  TypeKind
	DType tensor.DType
	Shape Shape // nil: rank unknown
	Elem  *Type // element type of a sequence or optional; key/value for maps use Key
	Key   tensor.DType
}

func (t *Type) String() string {
	if t == nil {
		return "?"
	}
	switch t.Kind {
	case KindSequence:
		return "seq(" + t.Elem.String() + ")"
	case KindOptional:
		return "optional(" + t.Elem.String() + ")"
	case KindMap:
		return "map(" + t.Key.String() + "," + t.Elem.String() + ")"
	}
	if t.Shape == nil {
		return t.DType.String() + "[?]"
	}
	return t.DType.String() + "[" + t.Shape.String() + "]"
}

// ValueInfo names a value and gives its type.
type ValueInfo struct {
	Name      string
	Type      *Type
	DocString string
}
