package generic

// The Reduce* kernels: one engine for all ten ops and every dtype.
//
// A call first views the input as groups of adjacent axes that are either
// all kept or all reduced (size-1 axes dropped), so that, e.g., reducing
// axes {2,3} of NCHW is [N*C kept][H*W reduced]. The kept groups are walked
// with an odometer in output order; the reduced ones form, for every output,
// the same set of "runs" (a start offset relative to the output's base, and
// a fixed length and stride): usually one contiguous run. Each op is then a
// fold over those runs in an accumulator type (float64 for floating-point
// inputs, int64 wrapping arithmetic for integer sums and products), followed
// by a finishing step (divide, sqrt, log).

import (
	"math"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

type redKind int

const (
	redSum redKind = iota
	redMean
	redMax
	redMin
	redProd
	redL1
	redL2
	redLogSum
	redLogSumExp
	redSumSquare
)

var redKindOf = map[string]redKind{
	"ReduceSum": redSum, "ReduceMean": redMean, "ReduceMax": redMax, "ReduceMin": redMin,
	"ReduceProd": redProd, "ReduceL1": redL1, "ReduceL2": redL2, "ReduceLogSum": redLogSum,
	"ReduceLogSumExp": redLogSumExp, "ReduceSumSquare": redSumSquare,
}

func init() {
	for _, op := range ops.ReduceOps {
		register(op, redFactory(redKindOf[op]))
	}
}

// redPlan is the decomposition of one reduction of one input shape.
type redPlan struct {
	keptDims, keptStrides []int // merged kept groups, outermost first
	runOffs               []int // start of each reduced run, relative to an output's base
	runLen, runStride     int   // the innermost reduced group
	count                 int   // reduced elements per output
}

// newRedPlan decomposes a reduction of shape over mask.
func newRedPlan(shape []int, mask []bool) *redPlan {
	strides := tensor.Strides(shape)
	type group struct {
		size, stride int
		red          bool
	}
	var groups []group
	for i, d := range shape {
		if d == 1 {
			continue
		}
		if l := len(groups) - 1; l >= 0 && groups[l].red == mask[i] {
			groups[l].size *= d
			groups[l].stride = strides[i]
			continue
		}
		groups = append(groups, group{d, strides[i], mask[i]})
	}
	p := &redPlan{runLen: 1, count: 1}
	var red []group
	for _, g := range groups {
		if g.red {
			red = append(red, g)
			p.count *= g.size
		} else {
			p.keptDims = append(p.keptDims, g.size)
			p.keptStrides = append(p.keptStrides, g.stride)
		}
	}
	p.runOffs = []int{0}
	if len(red) > 0 {
		last := red[len(red)-1]
		p.runLen, p.runStride = last.size, last.stride
		for _, g := range red[:len(red)-1] {
			next := make([]int, 0, len(p.runOffs)*g.size)
			for _, o := range p.runOffs {
				for j := range g.size {
					next = append(next, o+j*g.stride)
				}
			}
			p.runOffs = next
		}
	}
	if p.count == 0 {
		p.runOffs = nil
	}
	return p
}

// redOdometer walks the kept groups in output order, tracking the input
// offset of the current output's first element.
type redOdometer struct {
	dims, strides, idx []int
	base               int
}

// odometer starts at p's first output, keeping its index in buf (which a
// caller declares as a local array, so that a walk allocates nothing when
// the kept groups fit in it: they are at most half the rank, rounded up).
func (p *redPlan) odometer(buf []int) redOdometer {
	idx := buf[:0]
	for range p.keptDims {
		idx = append(idx, 0)
	}
	return redOdometer{dims: p.keptDims, strides: p.keptStrides, idx: idx}
}

func (o *redOdometer) next() {
	for i := len(o.idx) - 1; i >= 0; i-- {
		o.idx[i]++
		o.base += o.strides[i]
		if o.idx[i] < o.dims[i] {
			return
		}
		o.base -= o.strides[i] * o.dims[i]
		o.idx[i] = 0
	}
}

// redFoldAcc computes Sum, Mean, Prod, L1, L2, SumSquare and LogSum,
// accumulating in A.
func redFoldAcc[T tensor.Numeric, A float64 | int64](k redKind, p *redPlan, x, y []T) {
	var buf [6]int
	odo := p.odometer(buf[:])
	n, st := p.runLen, p.runStride
	for oi := range y {
		var acc A
		if k == redProd {
			acc = 1
		}
		for _, ro := range p.runOffs {
			off := odo.base + ro
			switch k {
			case redSum, redMean, redLogSum:
				for j := range n {
					acc += A(x[off+j*st])
				}
			case redSumSquare, redL2:
				for j := range n {
					v := A(x[off+j*st])
					acc += v * v
				}
			case redL1:
				for j := range n {
					v := x[off+j*st]
					if v < 0 {
						acc -= A(v)
					} else {
						acc += A(v)
					}
				}
			case redProd:
				for j := range n {
					acc *= A(x[off+j*st])
				}
			}
		}
		switch k {
		case redMean:
			if p.count > 0 {
				acc /= A(p.count)
			} else if _, isFloat := any(acc).(float64); isFloat {
				acc = A(math.NaN())
			}
		case redL2:
			acc = A(math.Sqrt(float64(acc)))
		case redLogSum:
			acc = A(math.Log(float64(acc)))
		}
		y[oi] = T(acc)
		odo.next()
	}
}

// redFoldMaxMin computes Max and Min in T; NaNs propagate. An empty
// reduction yields the identity (-Inf/+Inf, or the type's min/max).
func redFoldMaxMin[T tensor.Numeric](isMax bool, p *redPlan, x, y []T) {
	lo, hi := redLimits[T]()
	var buf [6]int
	odo := p.odometer(buf[:])
	n, st := p.runLen, p.runStride
	for oi := range y {
		acc := hi
		if isMax {
			acc = lo
		}
		for _, ro := range p.runOffs {
			off := odo.base + ro
			if isMax {
				for j := range n {
					if v := x[off+j*st]; v > acc || v != v {
						acc = v
					}
				}
			} else {
				for j := range n {
					if v := x[off+j*st]; v < acc || v != v {
						acc = v
					}
				}
			}
		}
		y[oi] = acc
		odo.next()
	}
}

// redFoldLSE computes log(sum(exp(x))) stably, as m + log(sum(exp(x-m)))
// with m the maximum.
func redFoldLSE[T tensor.Numeric](p *redPlan, x, y []T) {
	var buf [6]int
	odo := p.odometer(buf[:])
	n, st := p.runLen, p.runStride
	for oi := range y {
		m := math.Inf(-1)
		for _, ro := range p.runOffs {
			off := odo.base + ro
			for j := range n {
				if v := float64(x[off+j*st]); v > m || v != v {
					m = v
				}
			}
		}
		if !math.IsInf(m, 0) && !math.IsNaN(m) {
			var s float64
			for _, ro := range p.runOffs {
				off := odo.base + ro
				for j := range n {
					s += math.Exp(float64(x[off+j*st]) - m)
				}
			}
			m += math.Log(s)
		}
		y[oi] = T(m)
		odo.next()
	}
}

// redLimits returns the smallest and largest values of T (-Inf and +Inf
// for floating-point types).
func redLimits[T tensor.Numeric]() (lo, hi T) {
	var z T
	var l int64
	var h uint64
	switch any(z).(type) {
	case float32, float64:
		inf := math.Inf(1)
		return T(-inf), T(inf)
	case int8:
		l, h = math.MinInt8, math.MaxInt8
	case int16:
		l, h = math.MinInt16, math.MaxInt16
	case int32:
		l, h = math.MinInt32, math.MaxInt32
	case int64:
		l, h = math.MinInt64, math.MaxInt64
	case uint8:
		h = math.MaxUint8
	case uint16:
		h = math.MaxUint16
	case uint32:
		h = math.MaxUint32
	case uint64:
		h = math.MaxUint64
	}
	return T(l), T(h)
}

// redFold returns the fold of kind k for element type T.
func redFold[T tensor.Numeric](k redKind) func(p *redPlan, x, y []T) {
	isFloat := tensor.DTypeOf[T]().IsFloat()
	switch {
	case k == redMax || k == redMin:
		return func(p *redPlan, x, y []T) { redFoldMaxMin(k == redMax, p, x, y) }
	case k == redLogSumExp:
		return redFoldLSE[T]
	case isFloat || k == redL2 || k == redLogSum:
		return func(p *redPlan, x, y []T) { redFoldAcc[T, float64](k, p, x, y) }
	}
	return func(p *redPlan, x, y []T) { redFoldAcc[T, int64](k, p, x, y) }
}

// redRunner runs a planned reduction on tensors of one dtype.
type redRunner func(p *redPlan, x, y *tensor.Tensor)

func redTyped[T tensor.Numeric](k redKind) redRunner {
	f := redFold[T](k)
	return func(p *redPlan, x, y *tensor.Tensor) { f(p, tensor.Data[T](x), tensor.Data[T](y)) }
}

// redHalf is a 16-bit float type computed through float32.
type redHalf interface {
	tensor.F16 | tensor.BF16
	Float32() float32
}

// redToF32 widens 16-bit floats to a new float32 slice.
func redToF32[H redHalf](s []H) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = v.Float32()
	}
	return out
}

// redFromF32 narrows float32s into dst (rounding to nearest even).
func redFromF32[H redHalf](dst []H, s []float32) {
	var z H
	switch any(z).(type) {
	case tensor.F16:
		for i, v := range s {
			dst[i] = H(tensor.NewF16(v))
		}
	default:
		for i, v := range s {
			dst[i] = H(tensor.NewBF16(v))
		}
	}
}

func redHalfTyped[H redHalf](k redKind) redRunner {
	f := redFold[float32](k)
	return func(p *redPlan, x, y *tensor.Tensor) {
		yy := make([]float32, y.Len())
		f(p, redToF32(tensor.Data[H](x)), yy)
		redFromF32(tensor.Data[H](y), yy)
	}
}

// redBoolTyped computes Max (any) and Min (all) of bools through uint8.
func redBoolTyped(k redKind) redRunner {
	f := redFold[uint8](k)
	return func(p *redPlan, x, y *tensor.Tensor) {
		xs := tensor.Data[bool](x)
		xx := make([]uint8, len(xs))
		for i, v := range xs {
			if v {
				xx[i] = 1
			}
		}
		yy := make([]uint8, y.Len())
		f(p, xx, yy)
		ys := tensor.Data[bool](y)
		for i, v := range yy {
			ys[i] = v != 0
		}
	}
}

// redRunnerFor picks the runner for dtype dt, or nil if unsupported.
func redRunnerFor(k redKind, dt tensor.DType) redRunner {
	switch dt {
	case tensor.Float32:
		return redTyped[float32](k)
	case tensor.Float64:
		return redTyped[float64](k)
	case tensor.Int64:
		return redTyped[int64](k)
	case tensor.Int32:
		return redTyped[int32](k)
	case tensor.Uint64:
		return redTyped[uint64](k)
	case tensor.Uint32:
		return redTyped[uint32](k)
	case tensor.Int16:
		return redTyped[int16](k)
	case tensor.Uint16:
		return redTyped[uint16](k)
	case tensor.Int8:
		return redTyped[int8](k)
	case tensor.Uint8:
		return redTyped[uint8](k)
	case tensor.Float16:
		return redHalfTyped[tensor.F16](k)
	case tensor.BFloat16:
		return redHalfTyped[tensor.BF16](k)
	case tensor.Bool:
		if k == redMax || k == redMin {
			return redBoolTyped(k)
		}
	}
	return nil
}

// redKernel is one Reduce* node's kernel.
type redKernel struct {
	run       redRunner
	dt        tensor.DType
	keep      bool
	fromInput bool    // axes come from input 1
	noop      bool    // noop_with_empty_axes
	attrAxes  []int64 // axes attribute (older opsets)

	// When the input shape and the axes are known at build (the usual
	// case), the plan is made once: a Run on that shape reuses it.
	shape    []int
	plan     *redPlan
	outShape []int
}

func redFactory(k redKind) ops.KernelFactory {
	return func(n *ops.Node) (ops.Kernel, error) {
		dt := n.In[0].DType
		run := redRunnerFor(k, dt)
		if run == nil {
			return nil, nil
		}
		rk := &redKernel{run: run, dt: dt, keep: n.AttrInt("keepdims") != 0,
			fromInput: ops.ReduceAxesFromInput(n)}
		if rk.fromInput {
			rk.noop = n.AttrInt("noop_with_empty_axes") != 0
		} else {
			rk.attrAxes = append([]int64(nil), n.AttrInts("axes")...)
		}
		if r := n.In[0].Rank(); r >= 0 && (!rk.fromInput || !n.HasIn(1) || n.InValue(1) != nil) {
			mask, err := ops.ReduceAxes(n, r, n.InValue(1))
			if err != nil {
				return nil, err
			}
			if shape, ok := n.In[0].ConcreteShape(); ok {
				rk.shape, rk.plan = shape, newRedPlan(shape, mask)
				rk.outShape = ops.ReduceShape(shape, mask, rk.keep)
			}
		}
		return rk, nil
	}
}

// Run reduces in[0] over the node's axes.
func (k *redKernel) Run(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	x := in[0]
	if k.plan != nil && tensor.SameShape(x.Shape(), k.shape) {
		y, err := redOutput(out, 0, k.dt, k.outShape)
		if err != nil {
			return err
		}
		k.run(k.plan, x, y)
		return nil
	}
	list := k.attrAxes
	if k.fromInput && len(in) > 1 && in[1] != nil {
		if in[1].Rank() > 1 {
			return ops.Errorf("axes must be a 1-D tensor, got shape %v", in[1].Shape())
		}
		v, err := in[1].Int64s()
		if err != nil {
			return ops.Errorf("axes: %v", err)
		}
		list = v
	}
	mask, err := ops.ReduceAxesMask(list, x.Rank(), k.noop)
	if err != nil {
		return err
	}
	shape := ops.ReduceShape(x.Shape(), mask, k.keep)
	y, err := redOutput(out, 0, k.dt, shape)
	if err != nil {
		return err
	}
	k.run(newRedPlan(x.Shape(), mask), x, y)
	return nil
}

// redOutput returns out[i] after checking its shape, or allocates it.
func redOutput(out []*tensor.Tensor, i int, dt tensor.DType, shape []int) (*tensor.Tensor, error) {
	if y := out[i]; y != nil {
		if !tensor.SameShape(y.Shape(), shape) || y.DType() != dt {
			return nil, ops.Errorf("output %d is %v%v, want %v%v", i, y.DType(), y.Shape(), dt, shape)
		}
		return y, nil
	}
	y, err := tensor.New(dt, shape...)
	if err != nil {
		return nil, err
	}
	out[i] = y
	return y, nil
}
