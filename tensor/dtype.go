package tensor

import "fmt"

// DType is an element type. Its values are those of ONNX's
// TensorProto.DataType enum, so a DType converts to and from the wire
// format without a table.
type DType int32

// The element types. Float16 and BFloat16 are stored in their own 16-bit
// width (as F16 and BF16 values) and computed in float32.
const (
	Undefined  DType = 0
	Float32    DType = 1
	Uint8      DType = 2
	Int8       DType = 3
	Uint16     DType = 4
	Int16      DType = 5
	Int32      DType = 6
	Int64      DType = 7
	String     DType = 8
	Bool       DType = 9
	Float16    DType = 10
	Float64    DType = 11
	Uint32     DType = 12
	Uint64     DType = 13
	Complex64  DType = 14
	Complex128 DType = 15
	BFloat16   DType = 16
)

var dtypeNames = map[DType]string{
	Undefined: "undefined", Float32: "float32", Uint8: "uint8", Int8: "int8",
	Uint16: "uint16", Int16: "int16", Int32: "int32", Int64: "int64",
	String: "string", Bool: "bool", Float16: "float16", Float64: "float64",
	Uint32: "uint32", Uint64: "uint64", Complex64: "complex64",
	Complex128: "complex128", BFloat16: "bfloat16",
}

// String returns the Go-style name of the type ("float32", "int64", ...).
func (d DType) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("dtype(%d)", int32(d))
}

// ParseDType returns the DType named s, as DType.String spells it.
func ParseDType(s string) (DType, error) {
	for d, n := range dtypeNames {
		if n == s && d != Undefined {
			return d, nil
		}
	}
	return Undefined, fmt.Errorf("tensor: unknown dtype %q", s)
}

// Size returns the number of bytes one element occupies in memory, or 0 for
// String and types this package does not store.
func (d DType) Size() int {
	switch d {
	case Uint8, Int8, Bool:
		return 1
	case Uint16, Int16, Float16, BFloat16:
		return 2
	case Float32, Int32, Uint32:
		return 4
	case Float64, Int64, Uint64, Complex64:
		return 8
	case Complex128:
		return 16
	}
	return 0
}

// Supported reports whether tensors of this type can be created.
func (d DType) Supported() bool { return d == String || d.Size() > 0 }

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool {
	return d == Float32 || d == Float64 || d == Float16 || d == BFloat16
}

// IsInt reports whether d is a signed or unsigned integer type.
func (d DType) IsInt() bool {
	switch d {
	case Uint8, Int8, Uint16, Int16, Int32, Int64, Uint32, Uint64:
		return true
	}
	return false
}

// IsSigned reports whether d can hold negative values.
func (d DType) IsSigned() bool {
	switch d {
	case Int8, Int16, Int32, Int64, Float32, Float64, Float16, BFloat16:
		return true
	}
	return false
}

// Elem is the set of Go element types a Tensor stores.
type Elem interface {
	float32 | float64 | int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 |
		bool | string | F16 | BF16 | complex64 | complex128
}

// Numeric is the set of element types with arithmetic in Go (Float16 and
// BFloat16 are computed through float32).
type Numeric interface {
	float32 | float64 | int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64
}

// DTypeOf returns the DType whose elements are Go values of type T.
func DTypeOf[T Elem]() DType {
	var z T
	switch any(z).(type) {
	case float32:
		return Float32
	case float64:
		return Float64
	case int8:
		return Int8
	case int16:
		return Int16
	case int32:
		return Int32
	case int64:
		return Int64
	case uint8:
		return Uint8
	case uint16:
		return Uint16
	case uint32:
		return Uint32
	case uint64:
		return Uint64
	case bool:
		return Bool
	case string:
		return String
	case F16:
		return Float16
	case BF16:
		return BFloat16
	case complex64:
		return Complex64
	case complex128:
		return Complex128
	}
	return Undefined
}
