package ops

import (
	"errors"
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// Sentinel errors. Errors from inference and kernel factories wrap one of
// these (with the node named by the runtime).
var (
	// ErrUnsupportedOp: no schema or no kernel for an (domain, op, opset).
	ErrUnsupportedOp = errors.New("unsupported operator")
	// ErrInvalidNode: a node breaks its schema (arity, attribute types,
	// input types or shapes the op does not accept).
	ErrInvalidNode = errors.New("invalid node")
	// ErrShapeMismatch: input shapes that do not fit together.
	ErrShapeMismatch = errors.New("shape mismatch")
)

// Node is a node as inference and kernel factories see it: the IR node, the
// schema chosen for the model's opset, and what is known of its inputs (and,
// for kernel factories, of its outputs).
type Node struct {
	*ir.Node
	Schema *Schema
	Opset  int64 // the version of Node.Domain the model imports
	In     []TypeShape
	Out    []TypeShape
	// Graph is the graph holding the node and Model the model being
	// compiled, when the runtime builds the node (both nil in Eval). Ops
	// that look beyond their inputs, such as ai.onnx.preview.training's
	// Gradient, read them in their kernel factory.
	Graph *ir.Graph
	Model *ir.Model
}

// Errorf returns an error wrapping ErrInvalidNode with the message.
func Errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidNode, fmt.Sprintf(format, args...))
}

// NumIn returns the number of inputs the node lists (including omitted ones).
func (n *Node) NumIn() int { return len(n.Inputs) }

// HasIn reports whether input i is given (listed and not "").
func (n *Node) HasIn(i int) bool { return i < len(n.Inputs) && n.Inputs[i] != "" }

// HasOut reports whether output i is requested.
func (n *Node) HasOut(i int) bool { return i < len(n.Outputs) && n.Outputs[i] != "" }

// InValue returns input i's value if it is known, else nil.
func (n *Node) InValue(i int) *tensor.Tensor {
	if i < len(n.In) && !n.In[i].Absent {
		return n.In[i].Value
	}
	return nil
}

// InInts returns input i's contents as int64s if they are known.
func (n *Node) InInts(i int) ([]int64, bool) {
	v := n.InValue(i)
	if v == nil {
		return nil, false
	}
	s, err := v.Int64s()
	return s, err == nil
}

// HasAttr reports whether the node sets the attribute (defaults aside).
func (n *Node) HasAttr(name string) bool { return n.Attr(name) != nil }

func (n *Node) def(name string) any {
	if n.Schema != nil {
		if d := n.Schema.Attr(name); d != nil {
			return d.Default
		}
	}
	return nil
}

// AttrInt returns the int attribute name, or its schema default, or 0.
func (n *Node) AttrInt(name string) int64 {
	if a := n.Attr(name); a != nil {
		return a.Int
	}
	v, _ := n.def(name).(int64)
	return v
}

// AttrFloat returns the float attribute name, or its schema default, or 0.
func (n *Node) AttrFloat(name string) float32 {
	if a := n.Attr(name); a != nil {
		return a.Float
	}
	v, _ := n.def(name).(float32)
	return v
}

// AttrString returns the string attribute name, or its default, or "".
func (n *Node) AttrString(name string) string {
	if a := n.Attr(name); a != nil {
		return a.String
	}
	v, _ := n.def(name).(string)
	return v
}

// AttrInts returns the ints attribute name, or its default, or nil.
func (n *Node) AttrInts(name string) []int64 {
	if a := n.Attr(name); a != nil {
		return a.Ints
	}
	v, _ := n.def(name).([]int64)
	return v
}

// AttrFloats returns the floats attribute name, or its default, or nil.
func (n *Node) AttrFloats(name string) []float32 {
	if a := n.Attr(name); a != nil {
		return a.Floats
	}
	v, _ := n.def(name).([]float32)
	return v
}

// AttrStrings returns the strings attribute name, or its default, or nil.
func (n *Node) AttrStrings(name string) []string {
	if a := n.Attr(name); a != nil {
		return a.Strings
	}
	v, _ := n.def(name).([]string)
	return v
}

// AttrTensor returns the tensor attribute name, or nil.
func (n *Node) AttrTensor(name string) *tensor.Tensor {
	if a := n.Attr(name); a != nil {
		return a.Tensor
	}
	return nil
}

// AttrGraph returns the graph attribute name, or nil.
func (n *Node) AttrGraph(name string) *ir.Graph {
	if a := n.Attr(name); a != nil {
		return a.Graph
	}
	return nil
}

// Validate checks the node against its schema: input and output counts,
// declared attribute types, and required attributes.
func (n *Node) Validate() error {
	s := n.Schema
	if len(n.Inputs) < s.MinInputs || (s.MaxInputs >= 0 && len(n.Inputs) > s.MaxInputs) {
		return Errorf("%d inputs, want %s", len(n.Inputs), arity(s.MinInputs, s.MaxInputs))
	}
	if len(n.Outputs) < s.MinOutputs || (s.MaxOutputs >= 0 && len(n.Outputs) > s.MaxOutputs) {
		return Errorf("%d outputs, want %s", len(n.Outputs), arity(s.MinOutputs, s.MaxOutputs))
	}
	for i := 0; i < s.MinInputs && i < len(n.Inputs); i++ {
		if n.Inputs[i] == "" && s.MaxInputs >= 0 {
			return Errorf("required input %d is empty", i)
		}
	}
	for _, a := range n.Attrs {
		d := s.Attr(a.Name)
		if d == nil {
			continue // unknown attributes are ignored, as ORT does
		}
		if a.Type != d.Type && !(a.Type == ir.AttrUndefined && a.RefAttrName != "") {
			return Errorf("attribute %q is %v, want %v", a.Name, a.Type, d.Type)
		}
	}
	for _, d := range s.Attrs {
		if d.Required && n.Attr(d.Name) == nil {
			return Errorf("required attribute %q missing", d.Name)
		}
	}
	return nil
}

func arity(lo, hi int) string {
	switch {
	case hi < 0:
		return fmt.Sprintf("at least %d", lo)
	case lo == hi:
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d to %d", lo, hi)
}
