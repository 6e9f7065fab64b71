package generic

import (
	"cmp"
	"math"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// Comparisons (Equal, Less, LessOrEqual, Greater, GreaterOrEqual), the
// logical And, Or, Xor, and Where. Comparisons of float16 and bfloat16
// compare the float32 values (so NaN is unequal to itself and -0 == +0).

func elemCmpFactory(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	op := n.OpType
	switch dt {
	case tensor.Float32:
		return elemBin(n, tensor.Bool, elemCmpRow[float32](op), nil)
	case tensor.Float64:
		return elemBin(n, tensor.Bool, elemCmpRow[float64](op), nil)
	case tensor.Int8:
		return elemBin(n, tensor.Bool, elemCmpRow[int8](op), nil)
	case tensor.Int16:
		return elemBin(n, tensor.Bool, elemCmpRow[int16](op), nil)
	case tensor.Int32:
		return elemBin(n, tensor.Bool, elemCmpRow[int32](op), nil)
	case tensor.Int64:
		return elemBin(n, tensor.Bool, elemCmpRow[int64](op), nil)
	case tensor.Uint8:
		return elemBin(n, tensor.Bool, elemCmpRow[uint8](op), nil)
	case tensor.Uint16:
		return elemBin(n, tensor.Bool, elemCmpRow[uint16](op), nil)
	case tensor.Uint32:
		return elemBin(n, tensor.Bool, elemCmpRow[uint32](op), nil)
	case tensor.Uint64:
		return elemBin(n, tensor.Bool, elemCmpRow[uint64](op), nil)
	case tensor.Float16:
		return elemBin(n, tensor.Bool, elemHalfCmp[tensor.F16](elemCmpRow[float32](op)), nil)
	case tensor.BFloat16:
		return elemBin(n, tensor.Bool, elemHalfCmp[tensor.BF16](elemCmpRow[float32](op)), nil)
	case tensor.String:
		if op == "Equal" {
			return elemBin(n, tensor.Bool, elemEqRow[string], nil)
		}
	case tensor.Bool:
		if op == "Equal" {
			return elemBin(n, tensor.Bool, elemEqRow[bool], nil)
		}
	}
	return nil, nil
}

// elemCmpRow returns the row function of a comparison.
func elemCmpRow[T cmp.Ordered](op string) func(d []bool, x, y []T) {
	switch op {
	case "Equal":
		return elemEqRow[T]
	case "Less":
		return elemLtRow[T]
	case "LessOrEqual":
		return elemLeRow[T]
	case "Greater":
		return func(d []bool, x, y []T) { elemLtRow(d, y, x) }
	case "GreaterOrEqual":
		return func(d []bool, x, y []T) { elemLeRow(d, y, x) }
	}
	return nil
}

// elemHalfCmp runs a float32 comparison on half data.
func elemHalfCmp[H elemHalf](f func(d []bool, x, y []float32)) func(d []bool, x, y []H) {
	if f == nil {
		return nil
	}
	return func(d []bool, x, y []H) {
		var xb, yb [elemChunk]float32
		for lo := 0; lo < len(d); lo += elemChunk {
			hi := min(lo+elemChunk, len(d))
			xs := elemWidenRun(xb[:], x, len(d), lo, hi)
			ys := elemWidenRun(yb[:], y, len(d), lo, hi)
			f(d[lo:hi], xs, ys)
		}
	}
}

func elemEqRow[T comparable](d []bool, x, y []T) {
	switch {
	case len(x) == len(d) && len(y) == len(d):
		x, y = x[:len(d)], y[:len(d)]
		for i := range d {
			d[i] = x[i] == y[i]
		}
	case len(x) == len(d):
		x, s := x[:len(d)], y[0]
		for i := range d {
			d[i] = x[i] == s
		}
	default:
		s, y := x[0], y[:len(d)]
		for i := range d {
			d[i] = s == y[i]
		}
	}
}

func elemLtRow[T cmp.Ordered](d []bool, x, y []T) {
	switch {
	case len(x) == len(d) && len(y) == len(d):
		x, y = x[:len(d)], y[:len(d)]
		for i := range d {
			d[i] = x[i] < y[i]
		}
	case len(x) == len(d):
		x, s := x[:len(d)], y[0]
		for i := range d {
			d[i] = x[i] < s
		}
	default:
		s, y := x[0], y[:len(d)]
		for i := range d {
			d[i] = s < y[i]
		}
	}
}

func elemLeRow[T cmp.Ordered](d []bool, x, y []T) {
	switch {
	case len(x) == len(d) && len(y) == len(d):
		x, y = x[:len(d)], y[:len(d)]
		for i := range d {
			d[i] = x[i] <= y[i]
		}
	case len(x) == len(d):
		x, s := x[:len(d)], y[0]
		for i := range d {
			d[i] = x[i] <= s
		}
	default:
		s, y := x[0], y[:len(d)]
		for i := range d {
			d[i] = s <= y[i]
		}
	}
}

func elemLogicFactory(n *ops.Node) (ops.Kernel, error) {
	if n.In[0].DType != tensor.Bool {
		return nil, nil
	}
	switch n.OpType {
	case "And":
		return elemBin(n, tensor.Bool, elemRowFn(func(a, b bool) bool { return a && b }), nil)
	case "Or":
		return elemBin(n, tensor.Bool, elemRowFn(func(a, b bool) bool { return a || b }), nil)
	case "Xor":
		return elemBin(n, tensor.Bool, elemRowFn(func(a, b bool) bool { return a != b }), nil)
	}
	return nil, nil
}

// Where: condition, X and Y broadcast together; the output takes X's
// element where the condition holds, else Y's.

type elemWhereKernel[T tensor.Elem] struct {
	dt   tensor.DType
	plan *elemPlan
}

// Run implements ops.Kernel.
func (k *elemWhereKernel[T]) Run(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	c, x, y := in[0], in[1], in[2]
	p, err := elemPlanFor(k.plan, nil, c.Shape(), x.Shape(), y.Shape())
	if err != nil {
		return err
	}
	o, err := elemOut(out, k.dt, p.out)
	if err != nil {
		return err
	}
	elemRun3(p, tensor.Data[T](o), tensor.Data[bool](c), tensor.Data[T](x), tensor.Data[T](y), elemWhereRow[T])
	return nil
}

// elemWhereRow selects per element. Inputs of length 1 repeat: their
// index is masked to 0.
func elemWhereRow[T any](d []T, c []bool, x, y []T) {
	switch dd := any(d).(type) {
	case []float32:
		elemWhereF32(dd, c, any(x).([]float32), any(y).([]float32))
		return
	case []float64:
		elemWhereF64(dd, c, any(x).([]float64), any(y).([]float64))
		return
	}
	n := len(d)
	if len(c) == n && len(x) == n && len(y) == n {
		c, x, y = c[:n], x[:n], y[:n]
		for i := range d {
			if c[i] {
				d[i] = x[i]
			} else {
				d[i] = y[i]
			}
		}
		return
	}
	cm, xm, ym := elemMask(len(c), n), elemMask(len(x), n), elemMask(len(y), n)
	for i := range d {
		if c[i&cm] {
			d[i] = x[i&xm]
		} else {
			d[i] = y[i&ym]
		}
	}
}

// elemWhereF32 is elemWhereRow for float32, on the bits: the select of
// integers compiles without a branch, which mispredicts on a condition
// like a Relu gradient's x > 0 (800K random values: 4.1 ns each, 1.2 ns
// without). (A generic form over the float type, with the conversions as
// func values, calls them per element: as slow as the branch.)
func elemWhereF32(d []float32, c []bool, x, y []float32) {
	n := len(d)
	cm, xm, ym := elemMask(len(c), n), elemMask(len(x), n), elemMask(len(y), n)
	for i := range d {
		a, b := math.Float32bits(x[i&xm]), math.Float32bits(y[i&ym])
		if c[i&cm] {
			b = a
		}
		d[i] = math.Float32frombits(b)
	}
}

// elemWhereF64 is elemWhereF32 for float64.
func elemWhereF64(d []float64, c []bool, x, y []float64) {
	n := len(d)
	cm, xm, ym := elemMask(len(c), n), elemMask(len(x), n), elemMask(len(y), n)
	for i := range d {
		a, b := math.Float64bits(x[i&xm]), math.Float64bits(y[i&ym])
		if c[i&cm] {
			b = a
		}
		d[i] = math.Float64frombits(b)
	}
}

// elemMask is -1 (keep the index) for a contiguous input, 0 for a repeated one.
func elemMask(l, n int) int {
	if l == n {
		return -1
	}
	return 0
}

func elemWhere[T tensor.Elem](n *ops.Node) (ops.Kernel, error) {
	if n.In[0].DType != tensor.Bool {
		return nil, nil
	}
	return &elemWhereKernel[T]{dt: n.In[1].DType, plan: elemPrePlan(n, nil, 0, 1, 2)}, nil
}

func elemWhereFactory(n *ops.Node) (ops.Kernel, error) {
	switch n.In[1].DType {
	case tensor.Float32:
		return elemWhere[float32](n)
	case tensor.Float64:
		return elemWhere[float64](n)
	case tensor.Int8:
		return elemWhere[int8](n)
	case tensor.Int16:
		return elemWhere[int16](n)
	case tensor.Int32:
		return elemWhere[int32](n)
	case tensor.Int64:
		return elemWhere[int64](n)
	case tensor.Uint8:
		return elemWhere[uint8](n)
	case tensor.Uint16:
		return elemWhere[uint16](n)
	case tensor.Uint32:
		return elemWhere[uint32](n)
	case tensor.Uint64:
		return elemWhere[uint64](n)
	case tensor.Bool:
		return elemWhere[bool](n)
	case tensor.String:
		return elemWhere[string](n)
	case tensor.Float16:
		return elemWhere[tensor.F16](n)
	case tensor.BFloat16:
		return elemWhere[tensor.BF16](n)
	case tensor.Complex64:
		return elemWhere[complex64](n)
	case tensor.Complex128:
		return elemWhere[complex128](n)
	}
	return nil, nil
}

func init() {
	for _, op := range []string{"Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"} {
		register(op, elemCmpFactory)
	}
	for _, op := range []string{"And", "Or", "Xor"} {
		register(op, elemLogicFactory)
	}
	register("Where", elemWhereFactory)
}
