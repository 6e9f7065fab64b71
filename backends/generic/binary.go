package generic

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// Broadcasting binary arithmetic (Add, Sub, Mul, Div, Mod, Pow, BitShift,
// BitwiseAnd/Or/Xor, PRelu) and the variadic Min, Max, Sum and Mean. All
// iterate with an elemPlan (elem_bcast.go); the hot ops have hand-written
// row loops per mode (both contiguous, y repeated, x repeated).

// elemBinKernel runs a row function over two broadcast inputs.
type elemBinKernel[A, B, O tensor.Elem] struct {
	outDT tensor.DType
	row   func(d []O, x []A, y []B)
	plan  *elemPlan // for the shapes known at session build, or nil
	// legacy aligns B to A for op versions with the "broadcast" attribute.
	legacy func(a, b []int) ([]int, error)
	// uni: B broadcasts to A only (PRelu); the output has A's shape.
	uni bool
	// check validates B's data before the run (integer division by zero).
	check func(y []B) error
}

// Run implements ops.Kernel.
func (k *elemBinKernel[A, B, O]) Run(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	a, b := in[0], in[1]
	p, err := k.planFor(a.Shape(), b.Shape())
	if err != nil {
		return err
	}
	y := tensor.Data[B](b)
	if k.check != nil && p.total > 0 {
		if err := k.check(y); err != nil {
			return err
		}
	}
	o, err := elemOut(out, k.outDT, p.out)
	if err != nil {
		return err
	}
	elemRun2(p, tensor.Data[O](o), tensor.Data[A](a), y, k.row)
	return nil
}

// planFor returns the plan for input shapes as and bs.
func (k *elemBinKernel[A, B, O]) planFor(as, bs []int) (*elemPlan, error) {
	var target []int
	if k.legacy != nil {
		var err error
		if bs, err = k.legacy(as, bs); err != nil {
			return nil, err
		}
		target = as
	}
	if k.uni {
		target = as
	}
	return elemPlanFor(k.plan, target, as, bs)
}

// elemBin builds a binary kernel (nil row: decline the node).
func elemBin[A, B, O tensor.Elem](n *ops.Node, outDT tensor.DType, row func(d []O, x []A, y []B), check func([]B) error) (ops.Kernel, error) {
	if row == nil {
		return nil, nil
	}
	k := &elemBinKernel[A, B, O]{outDT: outDT, row: row, check: check, uni: n.OpType == "PRelu"}
	switch {
	case n.Schema != nil && n.Schema.Attr("broadcast") != nil:
		k.legacy = func(a, b []int) ([]int, error) { return ops.LegacyBroadcastShape(n, a, b) }
	case k.uni && n.Schema != nil && n.Schema.Since < 7:
		k.legacy = func(a, b []int) ([]int, error) { return ops.PReluSlopeShape(n, a, b), nil }
	}
	as, ok1 := n.In[0].ConcreteShape()
	bs, ok2 := n.In[1].ConcreteShape()
	if ok1 && ok2 {
		if p, err := k.planFor(as, bs); err == nil {
			k.plan = p
		}
	}
	return k, nil
}

// elemHalfBinary runs a float32 row function on half data.
func elemHalfBinary[H elemHalf](f func(d, x, y []float32)) func(d, x, y []H) {
	return func(d, x, y []H) {
		var xb, yb, db [elemChunk]float32
		for lo := 0; lo < len(d); lo += elemChunk {
			hi := min(lo+elemChunk, len(d))
			m := hi - lo
			xs := elemWidenRun(xb[:], x, len(d), lo, hi)
			ys := elemWidenRun(yb[:], y, len(d), lo, hi)
			f(db[:m], xs, ys)
			elemNarrow(d[lo:hi], db[:m])
		}
	}
}

// elemWidenRun widens the part [lo, hi) of a run input into buf: all of it
// when the input is contiguous (length n), else its one element.
func elemWidenRun[H elemHalf](buf []float32, x []H, n, lo, hi int) []float32 {
	if len(x) == n {
		buf = buf[:hi-lo]
		elemWiden(buf, x[lo:hi])
		return buf
	}
	buf = buf[:1]
	elemWiden(buf, x[:1])
	return buf
}

// elemArithFactory builds Add, Sub, Mul, Div, Mod, BitShift and the
// Bitwise ops, by dtype.
func elemArithFactory(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	if n.OpType == "BitShift" && dt.IsSigned() {
		return nil, nil // a negative shift count would panic; the spec has unsigned types only
	}
	switch dt {
	case tensor.Float32:
		return elemBin(n, dt, elemFloatArithRow[float32](n), nil)
	case tensor.Float64:
		return elemBin(n, dt, elemFloatArithRow[float64](n), nil)
	case tensor.Float16:
		if f := elemFloatArithRow[float32](n); f != nil {
			return elemBin(n, dt, elemHalfBinary[tensor.F16](f), nil)
		}
	case tensor.BFloat16:
		if f := elemFloatArithRow[float32](n); f != nil {
			return elemBin(n, dt, elemHalfBinary[tensor.BF16](f), nil)
		}
	case tensor.Int8:
		return elemBin(n, dt, elemIntArithRow[int8](n), elemDivCheck[int8](n))
	case tensor.Int16:
		return elemBin(n, dt, elemIntArithRow[int16](n), elemDivCheck[int16](n))
	case tensor.Int32:
		return elemBin(n, dt, elemIntArithRow[int32](n), elemDivCheck[int32](n))
	case tensor.Int64:
		return elemBin(n, dt, elemIntArithRow[int64](n), elemDivCheck[int64](n))
	case tensor.Uint8:
		return elemBin(n, dt, elemIntArithRow[uint8](n), elemDivCheck[uint8](n))
	case tensor.Uint16:
		return elemBin(n, dt, elemIntArithRow[uint16](n), elemDivCheck[uint16](n))
	case tensor.Uint32:
		return elemBin(n, dt, elemIntArithRow[uint32](n), elemDivCheck[uint32](n))
	case tensor.Uint64:
		return elemBin(n, dt, elemIntArithRow[uint64](n), elemDivCheck[uint64](n))
	}
	return nil, nil
}

// elemNumArithRow returns the row function of the ops every numeric type
// has: Add, Sub, Mul, Div, Min, Max (and Sum, Mean's accumulation).
func elemNumArithRow[T tensor.Numeric](op string) func(d, x, y []T) {
	switch op {
	case "Add", "Sum", "Mean":
		return elemAddRow[T]
	case "Sub":
		return elemSubRow[T]
	case "Mul":
		return elemMulRow[T]
	case "Div":
		return elemDivRow[T]
	case "Min":
		return elemMinRow[T]
	case "Max":
		return elemMaxRow[T]
	}
	return nil
}

func elemFloatArithRow[T elemFloat](n *ops.Node) func(d, x, y []T) {
	if n.OpType == "Mod" {
		return elemRowFn(func(a, b T) T { return T(math.Mod(float64(a), float64(b))) })
	}
	return elemNumArithRow[T](n.OpType)
}

func elemIntArithRow[T elemInteger](n *ops.Node) func(d, x, y []T) {
	switch n.OpType {
	case "Mod":
		if n.AttrInt("fmod") != 0 {
			return elemRowFn(func(a, b T) T { return a % b })
		}
		return elemRowFn(elemPyMod[T])
	case "BitShift":
		if n.AttrString("direction") == "LEFT" {
			return elemRowFn(func(a, b T) T { return a << b })
		}
		return elemRowFn(func(a, b T) T { return a >> b })
	case "BitwiseAnd":
		return elemRowFn(func(a, b T) T { return a & b })
	case "BitwiseOr":
		return elemRowFn(func(a, b T) T { return a | b })
	case "BitwiseXor":
		return elemRowFn(func(a, b T) T { return a ^ b })
	}
	return elemNumArithRow[T](n.OpType)
}

// elemPyMod is the remainder with the sign of the divisor (Python's %).
func elemPyMod[T elemInteger](a, b T) T {
	r := a % b
	if r != 0 && (r < 0) != (b < 0) {
		r += b
	}
	return r
}

// elemDivCheck returns, for integer Div and Mod, a check that the divisor
// has no zero (Go would panic; C is undefined).
func elemDivCheck[T elemInteger](n *ops.Node) func([]T) error {
	if n.OpType != "Div" && n.OpType != "Mod" {
		return nil
	}
	return func(y []T) error {
		for _, v := range y {
			if v == 0 {
				return ops.Errorf("%s: integer division by zero", n.OpType)
			}
		}
		return nil
	}
}

// The hand-written rows. Each handles the three modes of a run.

func elemAddRow[T tensor.Numeric](d, x, y []T) {
	switch {
	case len(x) == len(d) && len(y) == len(d):
		x, y = x[:len(d)], y[:len(d)]
		for i := range d {
			d[i] = x[i] + y[i]
		}
	case len(x) == len(d):
		x, s := x[:len(d)], y[0]
		for i := range d {
			d[i] = x[i] + s
		}
	default:
		s, y := x[0], y[:len(d)]
		for i := range d {
			d[i] = s + y[i]
		}
	}
}

func elemSubRow[T tensor.Numeric](d, x, y []T) {
	switch {
	case len(x) == len(d) && len(y) == len(d):
		x, y = x[:len(d)], y[:len(d)]
		for i := range d {
			d[i] = x[i] - y[i]
		}
	case len(x) == len(d):
		x, s := x[:len(d)], y[0]
		for i := range d {
			d[i] = x[i] - s
		}
	default:
		s, y := x[0], y[:len(d)]
		for i := range d {
			d[i] = s - y[i]
		}
	}
}

func elemMulRow[T tensor.Numeric](d, x, y []T) {
	switch {
	case len(x) == len(d) && len(y) == len(d):
		x, y = x[:len(d)], y[:len(d)]
		for i := range d {
			d[i] = x[i] * y[i]
		}
	case len(x) == len(d):
		x, s := x[:len(d)], y[0]
		for i := range d {
			d[i] = x[i] * s
		}
	default:
		s, y := x[0], y[:len(d)]
		for i := range d {
			d[i] = s * y[i]
		}
	}
}

// elemDivRow divides; integer division truncates toward zero (the kernel
// has checked that no divisor is zero).
func elemDivRow[T tensor.Numeric](d, x, y []T) {
	switch {
	case len(x) == len(d) && len(y) == len(d):
		x, y = x[:len(d)], y[:len(d)]
		for i := range d {
			d[i] = x[i] / y[i]
		}
	case len(x) == len(d):
		x, s := x[:len(d)], y[0]
		for i := range d {
			d[i] = x[i] / s
		}
	default:
		s, y := x[0], y[:len(d)]
		for i := range d {
			d[i] = s / y[i]
		}
	}
}

// elemMinRow is the elementwise minimum; for floats a NaN operand gives
// NaN (Go's min).
func elemMinRow[T tensor.Numeric](d, x, y []T) {
	switch {
	case len(x) == len(d) && len(y) == len(d):
		x, y = x[:len(d)], y[:len(d)]
		for i := range d {
			d[i] = min(x[i], y[i])
		}
	case len(x) == len(d):
		x, s := x[:len(d)], y[0]
		for i := range d {
			d[i] = min(x[i], s)
		}
	default:
		s, y := x[0], y[:len(d)]
		for i := range d {
			d[i] = min(s, y[i])
		}
	}
}

// elemMaxRow is the elementwise maximum; for floats a NaN operand gives
// NaN (Go's max).
func elemMaxRow[T tensor.Numeric](d, x, y []T) {
	switch {
	case len(x) == len(d) && len(y) == len(d):
		x, y = x[:len(d)], y[:len(d)]
		for i := range d {
			d[i] = max(x[i], y[i])
		}
	case len(x) == len(d):
		x, s := x[:len(d)], y[0]
		for i := range d {
			d[i] = max(x[i], s)
		}
	default:
		s, y := x[0], y[:len(d)]
		for i := range d {
			d[i] = max(s, y[i])
		}
	}
}

// PRelu: slope broadcasts to X.

func elemPReluRow[T tensor.Numeric](d, x, y []T) {
	switch {
	case len(x) == len(d) && len(y) == len(d):
		x, y = x[:len(d)], y[:len(d)]
		for i, v := range x {
			if v < 0 {
				v *= y[i]
			}
			d[i] = v
		}
	case len(x) == len(d):
		x, s := x[:len(d)], y[0]
		for i, v := range x {
			if v < 0 {
				v *= s
			}
			d[i] = v
		}
	default:
		v, y := x[0], y[:len(d)]
		for i := range d {
			if v < 0 {
				d[i] = v * y[i]
			} else {
				d[i] = v
			}
		}
	}
}

func elemPReluFactory(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	switch dt {
	case tensor.Float32:
		return elemBin(n, dt, elemPReluRow[float32], nil)
	case tensor.Float64:
		return elemBin(n, dt, elemPReluRow[float64], nil)
	case tensor.Float16:
		return elemBin(n, dt, elemHalfBinary[tensor.F16](elemPReluRow[float32]), nil)
	case tensor.BFloat16:
		return elemBin(n, dt, elemHalfBinary[tensor.BF16](elemPReluRow[float32]), nil)
	case tensor.Int32:
		return elemBin(n, dt, elemPReluRow[int32], nil)
	case tensor.Int64:
		return elemBin(n, dt, elemPReluRow[int64], nil)
	case tensor.Uint32:
		return elemBin(n, dt, elemPReluRow[uint32], nil)
	case tensor.Uint64:
		return elemBin(n, dt, elemPReluRow[uint64], nil)
	}
	return nil, nil
}

// Variadic Min, Max, Sum, Mean: out = op(op(in0, in1), in2)..., each step
// broadcast to the final shape; Mean divides at the end. The output is
// written from the first step on, so it may share memory with input 0 but
// not with a later input.

type elemVarKernel[T tensor.Elem] struct {
	dt    tensor.DType
	row   func(d, x, y []T)
	scale func(d []T, n int) // Mean's division, else nil
	plans []*elemPlan        // per step, for the shapes known at build
	out   []int              // the output shape those plans have
}

// Run implements ops.Kernel.
func (k *elemVarKernel[T]) Run(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	shape := k.out
	switch {
	case len(in) == 1:
		shape = in[0].Shape()
	case !k.prebuilt(in):
		shapes := make([][]int, len(in))
		for i, t := range in {
			shapes[i] = t.Shape()
		}
		s, err := tensor.BroadcastShapes(shapes...)
		if err != nil {
			return fmt.Errorf("%w: cannot broadcast %v", ops.ErrShapeMismatch, shapes)
		}
		shape = s
	}
	o, err := elemOut(out, k.dt, shape)
	if err != nil {
		return err
	}
	d := tensor.Data[T](o)
	if len(in) == 1 {
		copy(d, tensor.Data[T](in[0]))
	}
	for i := 1; i < len(in); i++ {
		var cached *elemPlan
		if i-1 < len(k.plans) {
			cached = k.plans[i-1]
		}
		x, xs := d, shape
		if i == 1 {
			x, xs = tensor.Data[T](in[0]), in[0].Shape()
		}
		p, err := elemPlanFor(cached, shape, xs, in[i].Shape())
		if err != nil {
			return err
		}
		elemRun2(p, d, x, tensor.Data[T](in[i]), k.row)
	}
	if k.scale != nil {
		k.scale(d, len(in))
	}
	return nil
}

// prebuilt reports whether the plans built at session build fit in.
func (k *elemVarKernel[T]) prebuilt(in []*tensor.Tensor) bool {
	if k.plans == nil || len(in) != len(k.plans)+1 {
		return false
	}
	for i := 1; i < len(in); i++ {
		xs := k.out
		if i == 1 {
			xs = in[0].Shape()
		}
		if !k.plans[i-1].matches(xs, in[i].Shape()) {
			return false
		}
	}
	return true
}

func elemVar[T tensor.Elem](n *ops.Node, row func(d, x, y []T), scale func([]T, int)) (ops.Kernel, error) {
	if row == nil {
		return nil, nil
	}
	k := &elemVarKernel[T]{dt: n.In[0].DType, row: row, scale: scale}
	shapes := make([][]int, len(n.In))
	for i := range n.In {
		s, ok := n.In[i].ConcreteShape()
		if !ok {
			return k, nil
		}
		shapes[i] = s
	}
	out, err := tensor.BroadcastShapes(shapes...)
	if err != nil || len(shapes) < 2 {
		return k, nil
	}
	plans := make([]*elemPlan, len(shapes)-1)
	for i := 1; i < len(shapes); i++ {
		xs := out
		if i == 1 {
			xs = shapes[0]
		}
		p, err := newElemPlan(out, xs, shapes[i])
		if err != nil {
			return k, nil
		}
		plans[i-1] = p
	}
	k.plans, k.out = plans, out
	return k, nil
}

// elemMeanScale divides by the number of inputs.
func elemMeanScale[T elemFloat](d []T, n int) {
	inv := 1 / T(n)
	for i := range d {
		d[i] *= inv
	}
}

// elemHalfMeanScale divides half values by the number of inputs.
func elemHalfMeanScale[H elemHalf](d []H, n int) {
	elemHalfUnary[H](func(d, x []float32) {
		copy(d, x)
		elemMeanScale(d, n)
	})(d, d)
}

func elemVarFactory(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	op := n.OpType
	mean := op == "Mean"
	switch dt {
	case tensor.Float32:
		return elemVar(n, elemNumArithRow[float32](op), elemIf(mean, elemMeanScale[float32]))
	case tensor.Float64:
		return elemVar(n, elemNumArithRow[float64](op), elemIf(mean, elemMeanScale[float64]))
	case tensor.Float16:
		return elemVar(n, elemHalfBinary[tensor.F16](elemNumArithRow[float32](op)), elemIf(mean, elemHalfMeanScale[tensor.F16]))
	case tensor.BFloat16:
		return elemVar(n, elemHalfBinary[tensor.BF16](elemNumArithRow[float32](op)), elemIf(mean, elemHalfMeanScale[tensor.BF16]))
	}
	if op != "Min" && op != "Max" {
		return nil, nil
	}
	switch dt {
	case tensor.Int8:
		return elemVar(n, elemNumArithRow[int8](op), nil)
	case tensor.Int16:
		return elemVar(n, elemNumArithRow[int16](op), nil)
	case tensor.Int32:
		return elemVar(n, elemNumArithRow[int32](op), nil)
	case tensor.Int64:
		return elemVar(n, elemNumArithRow[int64](op), nil)
	case tensor.Uint8:
		return elemVar(n, elemNumArithRow[uint8](op), nil)
	case tensor.Uint16:
		return elemVar(n, elemNumArithRow[uint16](op), nil)
	case tensor.Uint32:
		return elemVar(n, elemNumArithRow[uint32](op), nil)
	case tensor.Uint64:
		return elemVar(n, elemNumArithRow[uint64](op), nil)
	}
	return nil, nil
}

// elemIf returns f when cond holds, else nil.
func elemIf[F any](cond bool, f F) F {
	var zero F
	if cond {
		return f
	}
	return zero
}

// Pow: X's type is the output's; the exponent Y may be any numeric type.
// A one-element exponent takes a fast path (x*x, sqrt, ...) without
// converting Y; other exponents are converted to float64 (or int64 when
// both are integers, for exact integer powers) once per run.

type elemPowKernel[X tensor.Elem] struct {
	dt     tensor.DType
	intExp bool // X and Y are both integers
	plan   *elemPlan
	legacy func(a, b []int) ([]int, error)
	// scalar applies a one-element exponent (as float64, or as int64 when
	// intExp) to the whole input.
	scalarF func(d, x []X, y float64)
	scalarI func(d, x []X, y int64)
	rowF    func(d, x []X, y []float64)
	rowI    func(d, x []X, y []int64)
}

// Run implements ops.Kernel.
func (k *elemPowKernel[X]) Run(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	a, b := in[0], in[1]
	as, bs := a.Shape(), b.Shape()
	var target []int
	if k.legacy != nil {
		var err error
		if bs, err = k.legacy(as, bs); err != nil {
			return err
		}
		target = as
	}
	if b.Len() == 1 && len(bs) <= len(as) {
		o, err := elemOut(out, k.dt, as)
		if err != nil {
			return err
		}
		d, x := tensor.Data[X](o), tensor.Data[X](a)
		if k.intExp {
			k.scalarI(d, x, elemScalarI64(b))
		} else {
			k.scalarF(d, x, elemScalarF64(b))
		}
		return nil
	}
	p, err := elemPlanFor(k.plan, target, as, bs)
	if err != nil {
		return err
	}
	o, err := elemOut(out, k.dt, p.out)
	if err != nil {
		return err
	}
	d, x := tensor.Data[X](o), tensor.Data[X](a)
	if k.intExp {
		y, err := b.Int64s()
		if err != nil {
			return err
		}
		elemRun2(p, d, x, y, k.rowI)
	} else {
		y, err := b.Float64s()
		if err != nil {
			return err
		}
		elemRun2(p, d, x, y, k.rowF)
	}
	return nil
}

func elemPowFactory(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	yInt := n.In[1].DType.IsInt()
	switch dt {
	case tensor.Float32:
		return elemPowInit(n, &elemPowKernel[float32]{scalarF: elemPowScalar[float32], rowF: elemRowFn(elemPowF[float32])})
	case tensor.Float64:
		return elemPowInit(n, &elemPowKernel[float64]{scalarF: elemPowScalar[float64], rowF: elemRowFn(elemPowF[float64])})
	case tensor.Float16:
		return elemPowInit(n, &elemPowKernel[tensor.F16]{scalarF: elemHalfPowScalar[tensor.F16], rowF: elemHalfPowRow[tensor.F16]})
	case tensor.BFloat16:
		return elemPowInit(n, &elemPowKernel[tensor.BF16]{scalarF: elemHalfPowScalar[tensor.BF16], rowF: elemHalfPowRow[tensor.BF16]})
	case tensor.Int32:
		return elemPowInit(n, &elemPowKernel[int32]{intExp: yInt,
			scalarF: elemIntPowScalarF[int32], rowF: elemRowFn(elemIntPowF[int32]),
			scalarI: elemIntPowScalarI[int32], rowI: elemRowFn(elemIPow[int32])})
	case tensor.Int64:
		return elemPowInit(n, &elemPowKernel[int64]{intExp: yInt,
			scalarF: elemIntPowScalarF[int64], rowF: elemRowFn(elemIntPowF[int64]),
			scalarI: elemIntPowScalarI[int64], rowI: elemRowFn(elemIPow[int64])})
	}
	return nil, nil
}

// elemPowInit sets a Pow kernel's dtype, legacy rule and prebuilt plan.
func elemPowInit[X tensor.Elem](n *ops.Node, k *elemPowKernel[X]) (ops.Kernel, error) {
	k.dt = n.In[0].DType
	if n.Schema != nil && n.Schema.Attr("broadcast") != nil {
		k.legacy = func(a, b []int) ([]int, error) { return ops.LegacyBroadcastShape(n, a, b) }
	}
	as, ok1 := n.In[0].ConcreteShape()
	bs, ok2 := n.In[1].ConcreteShape()
	if ok1 && ok2 {
		var target []int
		if k.legacy != nil {
			b, err := k.legacy(as, bs)
			if err != nil {
				return k, nil
			}
			bs, target = b, as
		}
		k.plan, _ = newElemPlan(target, as, bs)
	}
	return k, nil
}

func elemPowF[T elemFloat](a T, b float64) T { return T(math.Pow(float64(a), b)) }

// elemPowScalar raises every x to the power y, with exact fast paths for
// the common exponents.
func elemPowScalar[T elemFloat](d, x []T, y float64) {
	x = x[:len(d)]
	switch y {
	case 1:
		copy(d, x)
	case 2:
		for i, v := range x {
			d[i] = v * v
		}
	case 0.5:
		for i, v := range x {
			d[i] = T(math.Sqrt(float64(v)))
		}
	default:
		for i, v := range x {
			d[i] = T(math.Pow(float64(v), y))
		}
	}
}

func elemHalfPowScalar[H elemHalf](d, x []H, y float64) {
	elemHalfUnary[H](func(d, x []float32) { elemPowScalar(d, x, y) })(d, x)
}

func elemHalfPowRow[H elemHalf](d, x []H, y []float64) {
	var xb, db [elemChunk]float32
	for lo := 0; lo < len(d); lo += elemChunk {
		hi := min(lo+elemChunk, len(d))
		m := hi - lo
		xs := elemWidenRun(xb[:], x, len(d), lo, hi)
		ys := y
		if len(y) == len(d) {
			ys = y[lo:hi]
		}
		elemRowFn(elemPowF[float32])(db[:m], xs, ys)
		elemNarrow(d[lo:hi], db[:m])
	}
}

// elemIntPowF raises an integer to a float power, truncating toward zero.
func elemIntPowF[T int32 | int64](a T, b float64) T {
	return elemF2Int[T](math.Pow(float64(a), b))
}

func elemIntPowScalarF[T int32 | int64](d, x []T, y float64) {
	x = x[:len(d)]
	for i, v := range x {
		d[i] = elemIntPowF(v, y)
	}
}

func elemIntPowScalarI[T int32 | int64](d, x []T, y int64) {
	x = x[:len(d)]
	for i, v := range x {
		d[i] = elemIPow(v, y)
	}
}

// elemIPow is x^e in integers, wrapping on overflow like repeated
// multiplication. For e < 0 the exact power is truncated toward zero:
// 1 for x = 1, ±1 for x = -1, and 0 otherwise (also for x = 0, where the
// real result is infinite).
func elemIPow[T int32 | int64](x T, e int64) T {
	if e < 0 {
		switch {
		case x == 1:
			return 1
		case x == -1:
			if e&1 == 1 {
				return -1
			}
			return 1
		}
		return 0
	}
	r := T(1)
	for e > 0 {
		if e&1 == 1 {
			r *= x
		}
		x *= x
		e >>= 1
	}
	return r
}

func init() {
	for _, op := range []string{"Add", "Sub", "Mul", "Div", "Mod", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor"} {
		register(op, elemArithFactory)
	}
	for _, op := range []string{"Min", "Max", "Sum", "Mean"} {
		register(op, elemVarFactory)
	}
	register("Pow", elemPowFactory)
	register("PRelu", elemPReluFactory)
}
