package tensor

import "fmt"

// Kind tells a plain tensor from ONNX's container values. Sequences and
// optionals travel through the same *Tensor slots as tensors, so that every
// kernel keeps one signature; only the kernels of sequence and optional
// operators (and If, Loop, Scan) ever see them.
type Kind uint8

// Value kinds.
const (
	KindTensor   Kind = iota
	KindSequence      // an ordered list of tensors of one element type
	KindOptional      // zero or one value (a tensor or a sequence)
)

func (k Kind) String() string {
	switch k {
	case KindSequence:
		return "sequence"
	case KindOptional:
		return "optional"
	}
	return "tensor"
}

// NewSequence returns a sequence of the given tensors, whose element type is
// elem (Undefined when not known, e.g. for an empty sequence of unknown type).
func NewSequence(elem DType, items []*Tensor) *Tensor {
	return &Tensor{kind: KindSequence, dtype: elem, data: append([]*Tensor{}, items...)}
}

// NewOptional returns an optional holding v, or an empty optional when v is
// nil. elem is the element type of the tensors it (may) hold.
func NewOptional(elem DType, v *Tensor) *Tensor {
	o := &Tensor{kind: KindOptional, dtype: elem, data: []*Tensor{}}
	if v != nil {
		o.data = []*Tensor{v}
	}
	return o
}

// Kind returns the kind of value t holds.
func (t *Tensor) Kind() Kind { return t.kind }

// Items returns the elements of a sequence, or the zero or one value of an
// optional. It returns nil for a plain tensor. The caller must not modify
// the slice.
func (t *Tensor) Items() []*Tensor {
	items, _ := t.data.([]*Tensor)
	return items
}

func (t *Tensor) containerString() string {
	return fmt.Sprintf("%v<%v>[%d]", t.kind, t.dtype, len(t.Items()))
}
