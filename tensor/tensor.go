// Package tensor holds onyx's n-dimensional array: a DType, a shape and
// contiguous row-major data in a Go slice of the element type.
//
// Tensors are plain values: kernels read and write Data directly. A Tensor
// with an empty shape is a scalar holding one element; a shape with a zero
// dimension holds no elements.
package tensor

import (
	"errors"
	"fmt"
	"strings"
)

// ErrShape reports an invalid shape (a negative dimension, or an element
// count that overflows).
var ErrShape = errors.New("tensor: invalid shape")

// Tensor is a dense n-dimensional array in row-major order.
type Tensor struct {
	kind  Kind // KindTensor unless a sequence or optional (see container.go)
	dtype DType
	shape []int
	data  any // []float32, []int64, ..., []F16, []string
}

// MaxElements bounds the element count of one tensor (2^40 on 64-bit
// machines, 2^30 on 32-bit ones), so that shape arithmetic cannot overflow
// int.
const MaxElements = 1 << (40 - (1-^uint(0)>>63)*10)

// NumElements returns the product of shape, or an error wrapping ErrShape
// for a negative dimension or a product over MaxElements. A zero dimension
// makes the product zero, but the product of the other dimensions must still
// be within MaxElements (whatever their order), so that strides computed
// from any valid shape fit in an int.
func NumElements(shape []int) (int, error) {
	n, zero := 1, false
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("%w: negative dimension in %v", ErrShape, shape)
		}
		if d == 0 {
			zero = true
			continue
		}
		if n > MaxElements/d {
			return 0, fmt.Errorf("%w: %v has more than %d elements", ErrShape, shape, MaxElements)
		}
		n *= d
	}
	if zero {
		return 0, nil
	}
	return n, nil
}

// New returns a zero-filled tensor. It returns an error for an unsupported
// dtype or an invalid shape.
func New(dt DType, shape ...int) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	data, err := makeSlice(dt, n)
	if err != nil {
		return nil, err
	}
	return &Tensor{dtype: dt, shape: cloneShape(shape), data: data}, nil
}

// Must returns t and panics if err is not nil; for tests and literals.
func Must(t *Tensor, err error) *Tensor {
	if err != nil {
		panic(err)
	}
	return t
}

func makeSlice(dt DType, n int) (any, error) {
	switch dt {
	case Float32:
		return make([]float32, n), nil
	case Float64:
		return make([]float64, n), nil
	case Int8:
		return make([]int8, n), nil
	case Int16:
		return make([]int16, n), nil
	case Int32:
		return make([]int32, n), nil
	case Int64:
		return make([]int64, n), nil
	case Uint8:
		return make([]uint8, n), nil
	case Uint16:
		return make([]uint16, n), nil
	case Uint32:
		return make([]uint32, n), nil
	case Uint64:
		return make([]uint64, n), nil
	case Bool:
		return make([]bool, n), nil
	case String:
		return make([]string, n), nil
	case Float16:
		return make([]F16, n), nil
	case BFloat16:
		return make([]BF16, n), nil
	case Complex64:
		return make([]complex64, n), nil
	case Complex128:
		return make([]complex128, n), nil
	}
	return nil, fmt.Errorf("tensor: unsupported dtype %v", dt)
}

// FromSlice wraps data (not copied) as a tensor of the given shape. It
// returns an error if len(data) does not match the shape.
func FromSlice[T Elem](data []T, shape ...int) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n != len(data) {
		return nil, fmt.Errorf("%w: %d elements for shape %v", ErrShape, len(data), shape)
	}
	if data == nil {
		data = []T{}
	}
	return &Tensor{dtype: DTypeOf[T](), shape: cloneShape(shape), data: data}, nil
}

// Scalar returns a rank-0 tensor holding v.
func Scalar[T Elem](v T) *Tensor {
	return &Tensor{dtype: DTypeOf[T](), shape: []int{}, data: []T{v}}
}

// Data returns t's elements as a []T. It panics if T is not t's element type:
// that is a programming error, checked once where kernels are chosen.
func Data[T Elem](t *Tensor) []T { return t.data.([]T) }

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Shape returns the dimensions. The caller must not modify the slice.
func (t *Tensor) Shape() []int { return t.shape }

// Rank returns the number of dimensions.
func (t *Tensor) Rank() int { return len(t.shape) }

// Len returns the number of elements (of items, for a sequence or optional).
func (t *Tensor) Len() int { return lenOf(t.data) }

// StringHeaderBytes is what Bytes counts for each element of a String
// tensor on top of its contents: the size of a Go string header.
const StringHeaderBytes = 16

// Bytes returns the memory t's values take: the elements' size for a
// tensor (for strings, a header and the contents of each), the sum over
// the items for a sequence or optional. A view counts as if it owned its
// elements.
func (t *Tensor) Bytes() int64 {
	switch {
	case t.kind != KindTensor:
		var n int64
		for _, it := range t.Items() {
			if it != nil {
				n += it.Bytes()
			}
		}
		return n
	case t.dtype == String:
		s, _ := t.data.([]string)
		n := int64(len(s)) * StringHeaderBytes
		for _, v := range s {
			n += int64(len(v))
		}
		return n
	}
	return int64(t.Len()) * int64(t.dtype.Size())
}

// Raw returns the backing slice as an any (a []float32, []int64, ...).
func (t *Tensor) Raw() any { return t.data }

// Reshape returns a tensor sharing t's data with a new shape of the same
// element count.
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n != t.Len() {
		return nil, fmt.Errorf("%w: cannot reshape %v to %v", ErrShape, t.shape, shape)
	}
	return &Tensor{dtype: t.dtype, shape: cloneShape(shape), data: t.data}, nil
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	if t.kind != KindTensor {
		items := t.Items()
		c := &Tensor{kind: t.kind, dtype: t.dtype, data: make([]*Tensor, len(items))}
		for i, it := range items {
			c.data.([]*Tensor)[i] = it.Clone()
		}
		return c
	}
	c, _ := New(t.dtype, t.shape...)
	copyAny(c.data, t.data)
	return c
}

func lenOf(data any) int {
	switch d := data.(type) {
	case []float32:
		return len(d)
	case []float64:
		return len(d)
	case []int8:
		return len(d)
	case []int16:
		return len(d)
	case []int32:
		return len(d)
	case []int64:
		return len(d)
	case []uint8:
		return len(d)
	case []uint16:
		return len(d)
	case []uint32:
		return len(d)
	case []uint64:
		return len(d)
	case []bool:
		return len(d)
	case []string:
		return len(d)
	case []F16:
		return len(d)
	case []BF16:
		return len(d)
	case []complex64:
		return len(d)
	case []complex128:
		return len(d)
	case []*Tensor:
		return len(d)
	}
	return 0
}

// copyAny copies src into dst, which must be slices of the same type.
func copyAny(dst, src any) int {
	switch d := dst.(type) {
	case []float32:
		return copy(d, src.([]float32))
	case []float64:
		return copy(d, src.([]float64))
	case []int8:
		return copy(d, src.([]int8))
	case []int16:
		return copy(d, src.([]int16))
	case []int32:
		return copy(d, src.([]int32))
	case []int64:
		return copy(d, src.([]int64))
	case []uint8:
		return copy(d, src.([]uint8))
	case []uint16:
		return copy(d, src.([]uint16))
	case []uint32:
		return copy(d, src.([]uint32))
	case []uint64:
		return copy(d, src.([]uint64))
	case []bool:
		return copy(d, src.([]bool))
	case []string:
		return copy(d, src.([]string))
	case []F16:
		return copy(d, src.([]F16))
	case []BF16:
		return copy(d, src.([]BF16))
	case []complex64:
		return copy(d, src.([]complex64))
	case []complex128:
		return copy(d, src.([]complex128))
	}
	return 0
}

// CopyFrom copies src's elements into t. Both must have the same dtype and
// element count.
func (t *Tensor) CopyFrom(src *Tensor) error {
	if t.dtype != src.dtype || t.Len() != src.Len() {
		return fmt.Errorf("tensor: copy %v%v into %v%v", src.dtype, src.shape, t.dtype, t.shape)
	}
	copyAny(t.data, src.data)
	return nil
}

// Float64s returns t's elements converted to float64 (Bool as 0/1; String
// and complex types are not convertible and return an error). It is meant
// for comparisons and reporting, not for hot paths.
func (t *Tensor) Float64s() ([]float64, error) {
	out := make([]float64, t.Len())
	switch d := t.data.(type) {
	case []float32:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []float64:
		copy(out, d)
	case []int8:
		conv(out, d)
	case []int16:
		conv(out, d)
	case []int32:
		conv(out, d)
	case []int64:
		conv(out, d)
	case []uint8:
		conv(out, d)
	case []uint16:
		conv(out, d)
	case []uint32:
		conv(out, d)
	case []uint64:
		conv(out, d)
	case []bool:
		for i, v := range d {
			if v {
				out[i] = 1
			}
		}
	case []F16:
		for i, v := range d {
			out[i] = float64(v.Float32())
		}
	case []BF16:
		for i, v := range d {
			out[i] = float64(v.Float32())
		}
	default:
		return nil, fmt.Errorf("tensor: %v is not convertible to float64", t.dtype)
	}
	return out, nil
}

func conv[T Numeric](dst []float64, src []T) {
	for i, v := range src {
		dst[i] = float64(v)
	}
}

// Int64s returns the elements of an integer tensor as int64 (a copy). It is
// meant for shape-like tensors.
func (t *Tensor) Int64s() ([]int64, error) {
	switch d := t.data.(type) {
	case []int64:
		return append([]int64(nil), d...), nil
	case []int32:
		return widen(d), nil
	case []int16:
		return widen(d), nil
	case []int8:
		return widen(d), nil
	case []uint8:
		return widen(d), nil
	case []uint16:
		return widen(d), nil
	case []uint32:
		return widen(d), nil
	case []uint64:
		return widen(d), nil
	}
	return nil, fmt.Errorf("tensor: %v is not an integer type", t.dtype)
}

func widen[T int8 | int16 | int32 | uint8 | uint16 | uint32 | uint64](s []T) []int64 {
	out := make([]int64, len(s))
	for i, v := range s {
		out[i] = int64(v)
	}
	return out
}

// String formats t as dtype[shape] with up to 8 leading elements.
func (t *Tensor) String() string {
	if t.kind != KindTensor {
		return t.containerString()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%v%v", t.dtype, t.shape)
	n := t.Len()
	if n == 0 {
		return b.String()
	}
	b.WriteString("{")
	m := min(n, 8)
	switch d := t.data.(type) {
	case []F16:
		for i := range m {
			fmt.Fprint(&b, sep(i), d[i].Float32())
		}
	case []BF16:
		for i := range m {
			fmt.Fprint(&b, sep(i), d[i].Float32())
		}
	default:
		s := fmt.Sprint(d)
		s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
		f := strings.Fields(s)
		if len(f) > m {
			f = f[:m]
		}
		b.WriteString(strings.Join(f, " "))
	}
	if n > m {
		b.WriteString(" ...")
	}
	b.WriteString("}")
	return b.String()
}

func sep(i int) string {
	if i == 0 {
		return ""
	}
	return " "
}

// View returns a tensor of the given shape over t's elements starting at
// off, sharing t's memory (t is typically a flat arena).
func (t *Tensor) View(off int, shape ...int) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if t.kind != KindTensor || off < 0 || off+n > t.Len() {
		return nil, fmt.Errorf("%w: view of %d elements at %d in %v%v", ErrShape, n, off, t.dtype, t.shape)
	}
	return &Tensor{dtype: t.dtype, shape: cloneShape(shape), data: sliceAny(t.data, off, off+n)}, nil
}

func sliceAny(data any, lo, hi int) any {
	switch d := data.(type) {
	case []float32:
		return d[lo:hi:hi]
	case []float64:
		return d[lo:hi:hi]
	case []int8:
		return d[lo:hi:hi]
	case []int16:
		return d[lo:hi:hi]
	case []int32:
		return d[lo:hi:hi]
	case []int64:
		return d[lo:hi:hi]
	case []uint8:
		return d[lo:hi:hi]
	case []uint16:
		return d[lo:hi:hi]
	case []uint32:
		return d[lo:hi:hi]
	case []uint64:
		return d[lo:hi:hi]
	case []bool:
		return d[lo:hi:hi]
	case []string:
		return d[lo:hi:hi]
	case []F16:
		return d[lo:hi:hi]
	case []BF16:
		return d[lo:hi:hi]
	case []complex64:
		return d[lo:hi:hi]
	case []complex128:
		return d[lo:hi:hi]
	}
	return nil
}

// Zero sets every element of t to its zero value.
func (t *Tensor) Zero() {
	switch d := t.data.(type) {
	case []float32:
		clear(d)
	case []float64:
		clear(d)
	case []int8:
		clear(d)
	case []int16:
		clear(d)
	case []int32:
		clear(d)
	case []int64:
		clear(d)
	case []uint8:
		clear(d)
	case []uint16:
		clear(d)
	case []uint32:
		clear(d)
	case []uint64:
		clear(d)
	case []bool:
		clear(d)
	case []string:
		clear(d)
	case []F16:
		clear(d)
	case []BF16:
		clear(d)
	case []complex64:
		clear(d)
	case []complex128:
		clear(d)
	}
}
