package ops

import (
	"fmt"
	"sort"
	"sync"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// TypeShape is what inference knows of one value: its type, its shape
// (nil when the rank is unknown), and its contents when they are known
// (an initializer, a constant, or at run time the actual tensor).
type TypeShape struct {
	DType tensor.DType
	Shape ir.Shape
	Value *tensor.Tensor
	// Absent marks an omitted optional input ("" in the node).
	Absent bool
	// Type is set for a sequence or optional value (nil for a tensor); then
	// DType is the element type of the tensors it holds and Shape is nil.
	Type *ir.Type
}

// Known returns a TypeShape for a concrete value, with the value.
func Known(t *tensor.Tensor) TypeShape {
	if t.Kind() != tensor.KindTensor {
		return TypeShape{DType: t.DType(), Value: t, Type: ValueType(t)}
	}
	return TypeShape{DType: t.DType(), Shape: ir.ShapeOf(t.Shape()...), Value: t}
}

// ValueType returns the ir.Type of a concrete value: for a sequence or
// optional, with its element type (and the first element's shape when it
// is a tensor).
func ValueType(t *tensor.Tensor) *ir.Type {
	switch t.Kind() {
	case tensor.KindSequence, tensor.KindOptional:
		kind := ir.KindSequence
		if t.Kind() == tensor.KindOptional {
			kind = ir.KindOptional
		}
		elem := &ir.Type{Kind: ir.KindTensor, DType: t.DType()}
		if items := t.Items(); len(items) > 0 {
			elem = ValueType(items[0])
			if t.Kind() == tensor.KindSequence && elem.Kind == ir.KindTensor {
				elem.Shape = nil // sequence elements may differ in shape
			}
		}
		return &ir.Type{Kind: kind, Elem: elem}
	}
	return &ir.Type{Kind: ir.KindTensor, DType: t.DType(), Shape: ir.ShapeOf(t.Shape()...)}
}

// FromType returns what an ir.Type says of a value: for a tensor, its dtype
// and shape; for a container, the container type with its innermost tensor
// element type as DType.
func FromType(t *ir.Type) TypeShape {
	if t == nil {
		return TypeShape{}
	}
	if t.Kind == ir.KindTensor || t.Kind == ir.KindSparseTensor {
		return TypeShape{DType: t.DType, Shape: t.Shape}
	}
	ts := TypeShape{Type: t}
	for e := t.Elem; e != nil; e = e.Elem {
		if e.Kind == ir.KindTensor {
			ts.DType = e.DType
			break
		}
	}
	return ts
}

// IsTensor reports whether the value is a plain tensor (not a sequence or
// optional).
func (ts TypeShape) IsTensor() bool { return ts.Type == nil }

// Of returns a TypeShape with the given dtype and known dims, no value.
func Of(dt tensor.DType, dims ...int) TypeShape {
	return TypeShape{DType: dt, Shape: ir.ShapeOf(dims...)}
}

// Ranked returns a TypeShape with the given dtype and shape.
func Ranked(dt tensor.DType, s ir.Shape) TypeShape { return TypeShape{DType: dt, Shape: s} }

// Unranked returns a TypeShape with the given dtype and an unknown shape.
func Unranked(dt tensor.DType) TypeShape { return TypeShape{DType: dt} }

func (ts TypeShape) String() string {
	if ts.Absent {
		return "absent"
	}
	if ts.Type != nil {
		return ts.Type.String()
	}
	if ts.Shape == nil {
		return ts.DType.String() + "[?]"
	}
	return ts.DType.String() + "[" + ts.Shape.String() + "]"
}

// AttrDef declares one attribute: its name, type, and default. Default is
// nil when the attribute has none; otherwise it is an int64, float32,
// string, []int64, []float32 or []string matching Type.
type AttrDef struct {
	Name     string
	Type     ir.AttrType
	Default  any
	Required bool
}

// Schema is one operator's definition over opset versions [Since, Until]
// (Until 0: still current).
type Schema struct {
	Domain string // "" for ai.onnx
	Name   string
	Since  int64
	Until  int64

	MinInputs, MaxInputs   int // MaxInputs < 0: variadic
	MinOutputs, MaxOutputs int
	Attrs                  []AttrDef

	// Infer returns one TypeShape per node output (entries for omitted
	// outputs are ignored). It must accept symbolic and unknown dims, and
	// use input values (TypeShape.Value) when present: at run time every
	// input has its value.
	Infer func(n *Node) ([]TypeShape, error)

	// GraphInputs, for ops with graph attributes, says what the op passes
	// to the graph attr's formal inputs; it fills in types a model leaves
	// undeclared there. Nil when the op has no subgraph.
	GraphInputs func(n *Node, attr string) []TypeShape

	// NonDeterministic marks random ops, which are never constant-folded.
	NonDeterministic bool
	// Doc is a one-line description.
	Doc string
}

// Attr returns the declaration of the attribute called name, or nil.
func (s *Schema) Attr(name string) *AttrDef {
	for i := range s.Attrs {
		if s.Attrs[i].Name == name {
			return &s.Attrs[i]
		}
	}
	return nil
}

type opKey struct{ domain, name string }

var (
	schemaMu sync.RWMutex
	schemas  = map[opKey][]*Schema{} // sorted by Since
)

func normDomain(d string) string {
	if d == "ai.onnx" {
		return ""
	}
	return d
}

// RegisterSchema adds s. It panics on a nil Infer, an empty name, or an
// overlapping version range for the same (domain, name): those are
// programming errors in an init function.
func RegisterSchema(s *Schema) {
	if s == nil || s.Name == "" || s.Infer == nil || s.Since < 1 {
		panic(fmt.Sprintf("ops: RegisterSchema: incomplete schema %+v", s))
	}
	s.Domain = normDomain(s.Domain)
	schemaMu.Lock()
	defer schemaMu.Unlock()
	k := opKey{s.Domain, s.Name}
	for _, o := range schemas[k] {
		if o.Since == s.Since {
			panic(fmt.Sprintf("ops: RegisterSchema: duplicate %s since %d", s.Name, s.Since))
		}
	}
	l := append(schemas[k], s)
	sort.Slice(l, func(i, j int) bool { return l[i].Since < l[j].Since })
	schemas[k] = l
}

// registerVersions registers mk(v) for each version v of versions
// (ascending), each schema valid from v until the next version (the last
// one without an end).
func registerVersions(versions []int64, mk func(since int64) *Schema) {
	for i, v := range versions {
		s := mk(v)
		s.Since, s.Until = v, 0
		if i+1 < len(versions) {
			s.Until = versions[i+1] - 1
		}
		RegisterSchema(s)
	}
}

// LookupSchema returns the schema for op in domain at the given opset
// version: the one with the largest Since <= opset, if its Until allows.
func LookupSchema(domain, op string, opset int64) *Schema {
	schemaMu.RLock()
	defer schemaMu.RUnlock()
	l := schemas[opKey{normDomain(domain), op}]
	for i := len(l) - 1; i >= 0; i-- {
		s := l[i]
		if s.Since <= opset {
			if s.Until != 0 && opset > s.Until {
				return nil
			}
			return s
		}
	}
	return nil
}

// Schemas returns every registered schema, sorted by domain, name and Since.
func Schemas() []*Schema {
	schemaMu.RLock()
	defer schemaMu.RUnlock()
	var out []*Schema
	for _, l := range schemas {
		out = append(out, l...)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Domain != b.Domain {
			return a.Domain < b.Domain
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Since < b.Since
	})
	return out
}
