package generic

import (
	"math"
	"strconv"
	"strings"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// Cast and CastLike between every numeric type, bool, float16, bfloat16
// and string, following Operators.md:
//
//   - float to float rounds to nearest even; out of range gives ±Inf.
//   - float to integer truncates toward zero. The spec leaves NaN and out
//     of range values undefined; here NaN gives 0 and values beyond the
//     target's range saturate to its lowest or highest value (as Go on
//     arm64, Rust and Java do), so results do not depend on the machine.
//   - integer to integer keeps the low bits (two's complement).
//   - to bool: zero (and ±0.0) is false, all else (NaN too) true; from
//     bool: 1 and 0.
//   - float16 and bfloat16 convert through float32.
//   - string to number parses decimal and scientific notation, and "INF",
//     "+INF", "-INF", "NaN" in any case; to an integer type a decimal
//     fraction or exponent is read as a float (then as float to integer),
//     an integer keeps its low bits. Text that is not a number is an error.
//     To bool: "true"/"false" in any case, else a number (nonzero: true).
//   - number to string: integers in decimal; floats as the shortest text
//     that reads back to the same value, positional for magnitudes in
//     [1e-4, 1e16) and scientific otherwise, "NaN", "INF", "-INF"; bool
//     as "True"/"False" (numpy's spelling, which the ONNX tests use).
//
// The saturate attribute only concerns float8 types, which no kernel here
// stores: Cast declines nodes with types it cannot store.

type elemCastKernel struct{ to tensor.DType }

// Run implements ops.Kernel.
func (k elemCastKernel) Run(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	src := in[0]
	o, err := elemOut(out, k.to, src.Shape())
	if err != nil {
		return err
	}
	return elemCastTensor(o, src)
}

func elemCastFactory(n *ops.Node) (ops.Kernel, error) {
	from := n.In[0].DType
	var to tensor.DType
	if n.OpType == "CastLike" {
		to = n.In[1].DType
	} else {
		t, err := ops.CastTarget(n)
		if err != nil {
			return nil, err
		}
		to = t
	}
	if !elemCastable(from) || !elemCastable(to) {
		return nil, nil
	}
	return elemCastKernel{to: to}, nil
}

func elemCastable(d tensor.DType) bool {
	return d.Supported() && d != tensor.Complex64 && d != tensor.Complex128
}

// elemCastTensor converts src's elements into dst, which must have the same
// element count, with Cast's rules. It returns an error for a string that
// is not a number, or for a dtype Cast does not handle.
func elemCastTensor(dst, src *tensor.Tensor) error {
	if dst.Len() != src.Len() {
		return ops.Errorf("Cast of %d elements into %d", src.Len(), dst.Len())
	}
	if dst.DType() == src.DType() {
		return dst.CopyFrom(src)
	}
	d := dst.Raw()
	switch s := src.Raw().(type) {
	case []float32:
		return elemCastFrom(d, s, 0)
	case []float64:
		return elemCastFrom(d, s, 0)
	case []int8:
		return elemCastFrom(d, s, 0)
	case []int16:
		return elemCastFrom(d, s, 0)
	case []int32:
		return elemCastFrom(d, s, 0)
	case []int64:
		return elemCastFrom(d, s, 0)
	case []uint8:
		return elemCastFrom(d, s, 0)
	case []uint16:
		return elemCastFrom(d, s, 0)
	case []uint32:
		return elemCastFrom(d, s, 0)
	case []uint64:
		return elemCastFrom(d, s, 0)
	case []tensor.F16:
		return elemCastFromHalf(d, s)
	case []tensor.BF16:
		return elemCastFromHalf(d, s)
	case []bool:
		return elemCastFromBool(d, s)
	case []string:
		return elemCastFromString(d, s)
	}
	return ops.Errorf("Cast from %v is not supported", src.DType())
}

// elemCastFromBool casts bools (1 and 0, or "True" and "False").
func elemCastFromBool(d any, s []bool) error {
	if ds, ok := d.([]string); ok {
		for i, v := range s {
			ds[i] = "False"
			if v {
				ds[i] = "True"
			}
		}
		return nil
	}
	// Cast through uint8 chunks: the numeric paths then cover every type.
	var buf [elemChunk]uint8
	for lo := 0; lo < len(s); lo += elemChunk {
		hi := min(lo+elemChunk, len(s))
		b := buf[:hi-lo]
		for i, v := range s[lo:hi] {
			b[i] = 0
			if v {
				b[i] = 1
			}
		}
		if err := elemCastFrom(d, b, lo); err != nil {
			return err
		}
	}
	return nil
}

// elemCastFromHalf widens chunks of half values and casts them as float32.
func elemCastFromHalf[H elemHalf](d any, s []H) error {
	var buf [elemChunk]float32
	for lo := 0; lo < len(s); lo += elemChunk {
		hi := min(lo+elemChunk, len(s))
		b := buf[:hi-lo]
		elemWiden(b, s[lo:hi])
		if err := elemCastFrom(d, b, lo); err != nil {
			return err
		}
	}
	return nil
}

// elemCastFrom casts s into the elements [off, off+len(s)) of the slice d.
func elemCastFrom[S tensor.Numeric](d any, s []S, off int) error {
	end := off + len(s)
	switch d := d.(type) {
	case []float32:
		elemCastNum(d[off:end], s)
	case []float64:
		elemCastNum(d[off:end], s)
	case []int8:
		elemCastNum(d[off:end], s)
	case []int16:
		elemCastNum(d[off:end], s)
	case []int32:
		elemCastNum(d[off:end], s)
	case []int64:
		elemCastNum(d[off:end], s)
	case []uint8:
		elemCastNum(d[off:end], s)
	case []uint16:
		elemCastNum(d[off:end], s)
	case []uint32:
		elemCastNum(d[off:end], s)
	case []uint64:
		elemCastNum(d[off:end], s)
	case []bool:
		d = d[off:end]
		for i, v := range s {
			d[i] = v != 0
		}
	case []tensor.F16:
		elemCastToHalf(d[off:end], s)
	case []tensor.BF16:
		elemCastToHalf(d[off:end], s)
	case []string:
		d = d[off:end]
		for i, v := range s {
			d[i] = elemFormat(v)
		}
	default:
		return ops.Errorf("Cast to %T is not supported", d)
	}
	return nil
}

// elemCastToHalf casts numbers to half values through float32.
func elemCastToHalf[H elemHalf, S tensor.Numeric](d []H, s []S) {
	var buf [elemChunk]float32
	for lo := 0; lo < len(s); lo += elemChunk {
		hi := min(lo+elemChunk, len(s))
		b := buf[:hi-lo]
		elemCastNum(b, s[lo:hi])
		elemNarrow(d[lo:hi], b)
	}
}

// elemCastNum converts between numeric types with Cast's rules.
func elemCastNum[D, S tensor.Numeric](d []D, s []S) {
	s = s[:len(d)]
	if !tensor.DTypeOf[S]().IsFloat() || tensor.DTypeOf[D]().IsFloat() {
		for i, v := range s {
			d[i] = D(v)
		}
		return
	}
	lo, hi := elemLimits[D]()
	flo, fhi := float64(lo), float64(hi)
	for i, v := range s {
		f := float64(v)
		switch {
		case f != f:
			d[i] = 0
		case f <= flo:
			d[i] = lo
		case f >= fhi:
			d[i] = hi
		default:
			d[i] = D(f)
		}
	}
}

// elemF2Int converts a float to an integer type as Cast does: toward zero,
// NaN to 0, saturating out of range. (float64(hi) may round up to 2^63 or
// 2^64, which the >= test then catches.)
func elemF2Int[D elemInteger](f float64) D {
	lo, hi := elemLimits[D]()
	switch {
	case f != f:
		return 0
	case f <= float64(lo):
		return lo
	case f >= float64(hi):
		return hi
	}
	return D(f)
}

// elemFormat formats a number as Cast to string does.
func elemFormat[S tensor.Numeric](v S) string {
	switch x := any(v).(type) {
	case float32:
		return elemFormatFloat(float64(x), 32)
	case float64:
		return elemFormatFloat(x, 64)
	case uint8, uint16, uint32, uint64:
		return strconv.FormatUint(uint64(v), 10)
	}
	return strconv.FormatInt(int64(v), 10)
}

func elemFormatFloat(v float64, bits int) string {
	switch {
	case v != v:
		return "NaN"
	case math.IsInf(v, 1):
		return "INF"
	case math.IsInf(v, -1):
		return "-INF"
	}
	if a := math.Abs(v); a == 0 || (a >= 1e-4 && a < 1e16) {
		return strconv.FormatFloat(v, 'f', -1, bits)
	}
	return strconv.FormatFloat(v, 'g', -1, bits)
}

// elemCastFromString parses strings into d.
func elemCastFromString(d any, s []string) error {
	switch d := d.(type) {
	case []float32:
		return elemParseFloats(d, s, 32)
	case []float64:
		return elemParseFloats(d, s, 64)
	case []tensor.F16:
		return elemParseHalf(d, s)
	case []tensor.BF16:
		return elemParseHalf(d, s)
	case []int8:
		return elemParseInts(d, s)
	case []int16:
		return elemParseInts(d, s)
	case []int32:
		return elemParseInts(d, s)
	case []int64:
		return elemParseInts(d, s)
	case []uint8:
		return elemParseInts(d, s)
	case []uint16:
		return elemParseInts(d, s)
	case []uint32:
		return elemParseInts(d, s)
	case []uint64:
		return elemParseInts(d, s)
	case []bool:
		for i, v := range s {
			t := strings.TrimSpace(v)
			switch {
			case strings.EqualFold(t, "true"):
				d[i] = true
			case strings.EqualFold(t, "false"):
				d[i] = false
			default:
				f, err := elemParseFloat(t, 64)
				if err != nil {
					return err
				}
				d[i] = f != 0
			}
		}
		return nil
	}
	return ops.Errorf("Cast from string to %T is not supported", d)
}

// elemParseFloat parses a number as Cast reads it.
func elemParseFloat(s string, bits int) (float64, error) {
	t := strings.TrimSpace(s)
	f, err := strconv.ParseFloat(t, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, nil // ±Inf or ±0, as IEEE rounding gives
		}
		return 0, ops.Errorf("Cast: %q is not a number", s)
	}
	return f, nil
}

func elemParseFloats[T elemFloat](d []T, s []string, bits int) error {
	for i, v := range s {
		f, err := elemParseFloat(v, bits)
		if err != nil {
			return err
		}
		d[i] = T(f)
	}
	return nil
}

func elemParseHalf[H elemHalf](d []H, s []string) error {
	var b [1]float32
	for i, v := range s {
		f, err := elemParseFloat(v, 32)
		if err != nil {
			return err
		}
		b[0] = float32(f)
		elemNarrow(d[i:i+1], b[:])
	}
	return nil
}

// elemParseInts parses integers; text with a fraction or exponent is read
// as a float and truncated, and values wrap to the type's width.
func elemParseInts[T elemInteger](d []T, s []string) error {
	_, isU64 := any(d).([]uint64)
	for i, v := range s {
		t := strings.TrimSpace(v)
		if isU64 {
			if u, err := strconv.ParseUint(t, 10, 64); err == nil {
				d[i] = T(u)
				continue
			}
		}
		if n, err := strconv.ParseInt(t, 10, 64); err == nil {
			d[i] = T(n)
			continue
		}
		f, err := elemParseFloat(t, 64)
		if err != nil {
			return err
		}
		d[i] = elemF2Int[T](f)
	}
	return nil
}

// elemScalarF64 returns the first element of a numeric tensor as float64.
func elemScalarF64(t *tensor.Tensor) float64 {
	var b [1]float64
	_ = elemCastFromAny(b[:], t)
	return b[0]
}

// elemScalarI64 returns the first element of an integer tensor as int64.
func elemScalarI64(t *tensor.Tensor) int64 {
	var b [1]int64
	_ = elemCastFromAny(b[:], t)
	return b[0]
}

// elemCastFromAny casts the first len(d) elements of t into d.
func elemCastFromAny[D float64 | int64](d []D, t *tensor.Tensor) error {
	n := len(d)
	switch s := t.Raw().(type) {
	case []float32:
		elemCastNum(d, s[:n])
	case []float64:
		elemCastNum(d, s[:n])
	case []int8:
		elemCastNum(d, s[:n])
	case []int16:
		elemCastNum(d, s[:n])
	case []int32:
		elemCastNum(d, s[:n])
	case []int64:
		elemCastNum(d, s[:n])
	case []uint8:
		elemCastNum(d, s[:n])
	case []uint16:
		elemCastNum(d, s[:n])
	case []uint32:
		elemCastNum(d, s[:n])
	case []uint64:
		elemCastNum(d, s[:n])
	case []tensor.F16:
		return elemCastFromHalf(any(d), s[:n])
	case []tensor.BF16:
		return elemCastFromHalf(any(d), s[:n])
	default:
		return ops.Errorf("not a numeric tensor: %v", t.DType())
	}
	return nil
}

func init() {
	register("Cast", elemCastFactory)
	register("CastLike", elemCastFactory)
}
