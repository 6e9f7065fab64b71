package generic

// Kernels of the quantisation operators.
//
//   - QuantizeLinear: q = x / scale, rounded to the precision of the
//     scale's type (or of the precision attribute), then rounded half to
//     even, plus the zero point, saturated to the output type. NaN gives 0.
//   - DequantizeLinear: y = (x - zero_point) * scale, both factors and the
//     product rounded to the output type (its precision is the
//     multiplication's).
//   - DynamicQuantizeLinear: uint8 quantisation with the scale and zero
//     point of the input's range extended to 0 (NaNs do not widen it).
//   - ConvInteger and MatMulInteger subtract the zero points and multiply
//     exactly: MatMulInteger in int32 through the GEMM core (wrapping, as
//     the spec allows), ConvInteger through the float64 Conv kernel, whose
//     sums of 8-bit products are exact integers below 2^53, then wrapped
//     to int32 as an int32 accumulator would.
//   - QLinearConv and QLinearMatMul compute the same exact accumulator and
//     requantise it: round_half_even(acc * multiplier) + y_zero_point,
//     saturated, with multiplier = float32(x_scale * w_scale) / y_scale
//     computed in float32 as ONNX Runtime does, and the product with the
//     accumulator in float64.

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("QuantizeLinear", qntNewQuantize)
	register("DequantizeLinear", qntNewDequantize)
	register("DynamicQuantizeLinear", qntNewDynamicQuantize)
	register("ConvInteger", qntNewConvInteger)
	register("QLinearConv", qntNewQLinearConv)
	register("MatMulInteger", qntNewMatMulInteger)
	register("QLinearMatMul", qntNewQLinearMatMul)
}

// qntChunk is the number of elements converted at a time through a stack
// buffer.
const qntChunk = 256

// qntRange returns the saturation range of a quantised type.
func qntRange(dt tensor.DType) (lo, hi float64) {
	switch dt {
	case tensor.Uint8:
		return 0, math.MaxUint8
	case tensor.Int8:
		return math.MinInt8, math.MaxInt8
	case tensor.Uint16:
		return 0, math.MaxUint16
	case tensor.Int16:
		return math.MinInt16, math.MaxInt16
	}
	return 0, 0
}

// qntSaturate returns round_half_even(v) + zp clamped to [lo, hi]; NaN
// gives 0.
func qntSaturate(v, zp, lo, hi float64) float64 {
	v = math.RoundToEven(v) + zp
	switch {
	case v != v:
		return 0
	case v < lo:
		return lo
	case v > hi:
		return hi
	}
	return v
}

// qntRoundTo rounds v to the precision of the float type dt (float64:
// unchanged). Rounding a float64 quotient or product of float32 values to
// float32 (or of half values to a half type) this way gives the correctly
// rounded result of the operation in that type.
func qntRoundTo(dt tensor.DType, v float64) float64 {
	switch dt {
	case tensor.Float32:
		return float64(float32(v))
	case tensor.Float16:
		return float64(tensor.NewF16(float32(v)).Float32())
	case tensor.BFloat16:
		return float64(tensor.NewBF16(float32(v)).Float32())
	}
	return v
}

// qntWiden converts s[:len(d)] to float64.
func qntWiden[T tensor.Numeric](d []float64, s []T) {
	s = s[:len(d)]
	for i, v := range s {
		d[i] = float64(v)
	}
}

// qntLoad converts the elements [off, off+len(d)) of the tensor data src
// (a numeric or half slice) to float64.
func qntLoad(d []float64, src any, off int) {
	switch s := src.(type) {
	case []float32:
		qntWiden(d, s[off:])
	case []float64:
		copy(d, s[off:])
	case []int32:
		qntWiden(d, s[off:])
	case []uint8:
		qntWiden(d, s[off:])
	case []int8:
		qntWiden(d, s[off:])
	case []uint16:
		qntWiden(d, s[off:])
	case []int16:
		qntWiden(d, s[off:])
	case []tensor.F16:
		s = s[off : off+len(d)]
		for i, v := range s {
			d[i] = float64(v.Float32())
		}
	case []tensor.BF16:
		s = s[off : off+len(d)]
		for i, v := range s {
			d[i] = float64(v.Float32())
		}
	}
}

// qntPut converts v (values representable in T) into d.
func qntPut[T uint8 | int8 | uint16 | int16](d []T, v []float64) {
	d = d[:len(v)]
	for i, x := range v {
		d[i] = T(x)
	}
}

// qntStoreInts writes v (integers in range of dst's type) into the
// elements [off, off+len(v)) of the quantised tensor data dst.
func qntStoreInts(dst any, off int, v []float64) {
	switch d := dst.(type) {
	case []uint8:
		qntPut(d[off:], v)
	case []int8:
		qntPut(d[off:], v)
	case []uint16:
		qntPut(d[off:], v)
	case []int16:
		qntPut(d[off:], v)
	}
}

// qntStoreFloats writes v (already rounded to dst's type) into the
// elements [off, off+len(v)) of the float tensor data dst.
func qntStoreFloats(dst any, off int, v []float64) {
	switch d := dst.(type) {
	case []float32:
		d = d[off : off+len(v)]
		for i, x := range v {
			d[i] = float32(x)
		}
	case []tensor.F16:
		d = d[off : off+len(v)]
		for i, x := range v {
			d[i] = tensor.NewF16(float32(x))
		}
	case []tensor.BF16:
		d = d[off : off+len(v)]
		for i, x := range v {
			d[i] = tensor.NewBF16(float32(x))
		}
	}
}

// qntForRuns calls f for every run of elements that l maps to scales
// base, base+step, ...: n elements from flat offset off.
func qntForRuns(l ops.QuantLayout, f func(off, n, base, step int)) {
	if l.Inner == 0 {
		return
	}
	for o := range l.Outer {
		for d := range l.Dim {
			base, step := l.ScaleBase(o, d)
			f((o*l.Dim+d)*l.Inner, l.Inner, base, step)
		}
	}
}

// qntParams returns the layout of scale s over a tensor of shape xs, the
// scales and the zero points (z nil: zeros) as float64s.
func qntParams(xs []int, s, z *tensor.Tensor, axis, block int64) (ops.QuantLayout, []float64, []float64, error) {
	l, err := ops.QuantLayoutOf(xs, s.Shape(), axis, block)
	if err != nil {
		return l, nil, nil, err
	}
	scales, err := s.Float64s()
	if err != nil {
		return l, nil, nil, ops.Errorf("scale: %v", err)
	}
	zps := make([]float64, len(scales))
	if z != nil {
		if z.Len() != s.Len() {
			return l, nil, nil, fmt.Errorf("%w: zero point shape %v differs from scale shape %v", ops.ErrShapeMismatch, z.Shape(), s.Shape())
		}
		if zps, err = z.Float64s(); err != nil {
			return l, nil, nil, ops.Errorf("zero point: %v", err)
		}
	}
	return l, scales, zps, nil
}

// qntOptional returns in[i], or nil when it is omitted.
func qntOptional(in []*tensor.Tensor, i int) *tensor.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// qntQuantizeKernel is QuantizeLinear.
type qntQuantizeKernel struct {
	axis, block int64
	out, prec   tensor.DType
}

func qntNewQuantize(n *ops.Node) (ops.Kernel, error) {
	dt, err := ops.QuantizeLinearType(n)
	if err != nil {
		return nil, err
	}
	prec, err := ops.QuantizePrecision(n)
	if err != nil {
		return nil, err
	}
	switch n.In[0].DType {
	case tensor.Float32, tensor.Float16, tensor.BFloat16, tensor.Int32:
	default:
		return nil, nil
	}
	return &qntQuantizeKernel{axis: ops.QuantAxis(n), block: n.AttrInt("block_size"), out: dt, prec: prec}, nil
}

// Run implements ops.Kernel.
func (k *qntQuantizeKernel) Run(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	x := in[0]
	l, scales, zps, err := qntParams(x.Shape(), in[1], qntOptional(in, 2), k.axis, k.block)
	if err != nil {
		return err
	}
	y, err := elemOut(out, k.out, x.Shape())
	if err != nil {
		return err
	}
	lo, hi := qntRange(k.out)
	xd, yd := x.Raw(), y.Raw()
	var buf [qntChunk]float64
	qntForRuns(l, func(off, n, base, step int) {
		for c := 0; c < n; c += qntChunk {
			b := buf[:min(qntChunk, n-c)]
			qntLoad(b, xd, off+c)
			for i, v := range b {
				j := base + (c+i)*step
				b[i] = qntSaturate(qntRoundTo(k.prec, v/scales[j]), zps[j], lo, hi)
			}
			qntStoreInts(yd, off+c, b)
		}
	})
	return nil
}

// qntDequantizeKernel is DequantizeLinear.
type qntDequantizeKernel struct {
	axis, block int64
	out         tensor.DType
}

func qntNewDequantize(n *ops.Node) (ops.Kernel, error) {
	dt, err := ops.DequantizeLinearType(n)
	if err != nil {
		return nil, err
	}
	switch n.In[0].DType {
	case tensor.Uint8, tensor.Int8, tensor.Uint16, tensor.Int16, tensor.Int32:
	default:
		return nil, nil
	}
	return &qntDequantizeKernel{axis: ops.QuantAxis(n), block: n.AttrInt("block_size"), out: dt}, nil
}

// Run implements ops.Kernel.
func (k *qntDequantizeKernel) Run(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	x := in[0]
	l, scales, zps, err := qntParams(x.Shape(), in[1], qntOptional(in, 2), k.axis, k.block)
	if err != nil {
		return err
	}
	y, err := elemOut(out, k.out, x.Shape())
	if err != nil {
		return err
	}
	for i, s := range scales {
		scales[i] = qntRoundTo(k.out, s)
	}
	xd, yd := x.Raw(), y.Raw()
	var buf [qntChunk]float64
	qntForRuns(l, func(off, n, base, step int) {
		for c := 0; c < n; c += qntChunk {
			b := buf[:min(qntChunk, n-c)]
			qntLoad(b, xd, off+c)
			for i, v := range b {
				j := base + (c+i)*step
				b[i] = qntRoundTo(k.out, qntRoundTo(k.out, v-zps[j])*scales[j])
			}
			qntStoreFloats(yd, off+c, b)
		}
	})
	return nil
}

func qntNewDynamicQuantize(n *ops.Node) (ops.Kernel, error) {
	if n.In[0].DType != tensor.Float32 {
		return nil, nil
	}
	return ops.KernelFunc(qntDynamicQuantize), nil
}

// qntDynamicQuantize is DynamicQuantizeLinear, in float32 as the spec's
// formulas: scale = (max(0, max x) - min(0, min x)) / 255 (1/255 when the
// range is empty), zero point = saturate(round(0 - min/scale)).
func qntDynamicQuantize(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	x := in[0]
	xd := tensor.Data[float32](x)
	var mn, mx float32
	for _, v := range xd {
		if v < mn {
			mn = v
		}
		if v > mx {
			mx = v
		}
	}
	scale := float32(1)
	if mx != mn {
		scale = mx - mn
	}
	scale /= 255
	zp := float64(-mn / scale)
	zp = math.RoundToEven(min(max(zp, 0), 255))
	y, err := elemOut(out, tensor.Uint8, x.Shape())
	if err != nil {
		return err
	}
	ys, err := nnOut(out, 1, tensor.Float32, []int{})
	if err != nil {
		return err
	}
	yz, err := nnOut(out, 2, tensor.Uint8, []int{})
	if err != nil {
		return err
	}
	tensor.Data[float32](ys)[0] = scale
	tensor.Data[uint8](yz)[0] = uint8(zp)
	yd := tensor.Data[uint8](y)
	for i, v := range xd {
		yd[i] = uint8(qntSaturate(float64(v/scale), zp, 0, 255))
	}
	return nil
}

// qntZeroPoints returns the values of the optional zero point in[i], which
// must have 1 or count elements (nil when omitted: zero).
func qntZeroPoints(in []*tensor.Tensor, i, count int, what string) ([]float64, error) {
	z := qntOptional(in, i)
	if z == nil {
		return []float64{0}, nil
	}
	if z.Len() != 1 && z.Len() != count {
		if count == 1 {
			return nil, fmt.Errorf("%w: %s has shape %v, want one element", ops.ErrShapeMismatch, what, z.Shape())
		}
		return nil, fmt.Errorf("%w: %s has shape %v, want 1 or %d elements", ops.ErrShapeMismatch, what, z.Shape(), count)
	}
	return z.Float64s()
}

// qntScalar returns the value of in[i], which must have one element.
func qntScalar(in []*tensor.Tensor, i int, what string) (float64, error) {
	v, err := qntZeroPoints(in, i, 1, what)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// qntShifted returns t - zp as a float64 tensor; zp has one value, or one
// per slice of t's first dim.
func qntShifted(t *tensor.Tensor, zp []float64) (*tensor.Tensor, error) {
	r, err := tensor.New(tensor.Float64, t.Shape()...)
	if err != nil {
		return nil, err
	}
	d := tensor.Data[float64](r)
	qntLoad(d, t.Raw(), 0)
	per := len(d)
	if len(zp) > 1 {
		per = len(d) / len(zp)
	}
	if per == 0 {
		return r, nil
	}
	for i := range d {
		d[i] -= zp[i/per]
	}
	return r, nil
}

// qntConvKernel is ConvInteger or QLinearConv: the float64 Conv kernel on
// the inputs minus their zero points, then the int32 or requantised output.
type qntConvKernel struct {
	conv   ops.KernelFunc
	linear bool // QLinearConv
	out    tensor.DType
	// wf is the weight minus its zero point, when both are constant
	// (computed once at build time, then only read).
	wf *tensor.Tensor
}

func qntNewConvInteger(n *ops.Node) (ops.Kernel, error) {
	c, err := nnNewConvNode(n, false)
	if err != nil {
		return nil, err
	}
	k := &qntConvKernel{conv: nnConvRun[float64](c), out: tensor.Int32}
	return k, k.prepare(n)
}

func qntNewQLinearConv(n *ops.Node) (ops.Kernel, error) {
	c, err := nnNewConvNode(n, false)
	if err != nil {
		return nil, err
	}
	dt := n.In[7].DType
	if dt != tensor.Uint8 && dt != tensor.Int8 {
		return nil, nil
	}
	k := &qntConvKernel{conv: nnConvRun[float64](c), linear: true, out: dt}
	return k, k.prepare(n)
}

// inputs returns the indices of x, w and their zero points.
func (k *qntConvKernel) inputs() (xi, wi, xzi, wzi int) {
	if k.linear {
		return 0, 3, 2, 5
	}
	return 0, 1, 2, 3
}

// prepare shifts a constant weight by its constant zero point once.
func (k *qntConvKernel) prepare(n *ops.Node) error {
	_, wi, _, wzi := k.inputs()
	w := n.InValue(wi)
	if w == nil || (n.HasIn(wzi) && n.InValue(wzi) == nil) {
		return nil
	}
	in := make([]*tensor.Tensor, wzi+1)
	if n.HasIn(wzi) {
		in[wzi] = n.InValue(wzi)
	}
	wf, err := k.shiftWeight(w, in, wzi)
	k.wf = wf
	return err
}

// shiftWeight returns w - w_zero_point (input wzi of in) as float64.
func (k *qntConvKernel) shiftWeight(w *tensor.Tensor, in []*tensor.Tensor, wzi int) (*tensor.Tensor, error) {
	if w.Rank() < 3 {
		return nil, fmt.Errorf("%w: conv weight shape %v", ops.ErrShapeMismatch, w.Shape())
	}
	wz, err := qntZeroPoints(in, wzi, w.Shape()[0], "w_zero_point")
	if err != nil {
		return nil, err
	}
	return qntShifted(w, wz)
}

// Run implements ops.Kernel.
func (k *qntConvKernel) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	xi, wi, xzi, wzi := k.inputs()
	wf := k.wf
	if wf == nil {
		var err error
		if wf, err = k.shiftWeight(in[wi], in, wzi); err != nil {
			return err
		}
	}
	m := wf.Shape()[0]
	xz, err := qntZeroPoints(in, xzi, 1, "x_zero_point")
	if err != nil {
		return err
	}
	xf, err := qntShifted(in[xi], xz)
	if err != nil {
		return err
	}
	cin := []*tensor.Tensor{xf, wf}
	if b := qntOptional(in, 8); k.linear && b != nil {
		bf, err := qntShifted(b, []float64{0})
		if err != nil {
			return err
		}
		cin = append(cin, bf)
	}
	acc := []*tensor.Tensor{nil}
	if err := k.conv(ec, cin, acc); err != nil {
		return err
	}
	y, err := nnOut(out, 0, k.out, acc[0].Shape())
	if err != nil {
		return err
	}
	ad := tensor.Data[float64](acc[0])
	if !k.linear {
		yd := tensor.Data[int32](y)
		for i, v := range ad {
			yd[i] = int32(int64(v))
		}
		return nil
	}
	mult, yz, err := qntConvMultipliers(in, m)
	if err != nil {
		return err
	}
	lo, hi := qntRange(k.out)
	ys := y.Shape()
	per := nnNumel(ys[2:]) // positions per (image, channel)
	if per == 0 {
		return nil
	}
	var buf [qntChunk]float64
	yd := y.Raw()
	for c := 0; c < len(ad); c += qntChunk {
		b := buf[:min(qntChunk, len(ad)-c)]
		for i := range b {
			j := c + i
			b[i] = qntSaturate(ad[j]*mult[(j/per)%m], yz, lo, hi)
		}
		qntStoreInts(yd, c, b)
	}
	return nil
}

// qntMultiplier returns float32(a*b)/c in float32, as a float64.
func qntMultiplier(a, b, c float64) float64 {
	return float64(float32(a) * float32(b) / float32(c))
}

// qntConvMultipliers returns QLinearConv's requantisation multiplier per
// output channel and the output zero point.
func qntConvMultipliers(in []*tensor.Tensor, m int) ([]float64, float64, error) {
	xs, err := qntScalar(in, 1, "x_scale")
	if err != nil {
		return nil, 0, err
	}
	ws, err := qntZeroPoints(in, 4, m, "w_scale")
	if err != nil {
		return nil, 0, err
	}
	ys, err := qntScalar(in, 6, "y_scale")
	if err != nil {
		return nil, 0, err
	}
	yz, err := qntScalar(in, 7, "y_zero_point")
	if err != nil {
		return nil, 0, err
	}
	mult := make([]float64, m)
	for i := range mult {
		mult[i] = qntMultiplier(xs, ws[min(i, len(ws)-1)], ys)
	}
	return mult, yz, nil
}

// qntMatParam returns the values of v (a zero point or scale of a MatMul
// operand of shape opShape; nil: the value def) broadcast to shape to. v
// is a scalar, or per row of the operand (perRow: M values, or a shape
// [..., M, 1]) or per column (N values, or [..., 1, N]).
func qntMatParam(v *tensor.Tensor, def float64, opShape, to []int, perRow bool, what string) ([]float64, error) {
	size, err := tensor.NumElements(to)
	if err != nil {
		return nil, err
	}
	out := make([]float64, size)
	if v == nil || v.Len() == 1 {
		if v != nil {
			vals, err := v.Float64s()
			if err != nil {
				return nil, ops.Errorf("%s: %v", what, err)
			}
			def = vals[0]
		}
		for i := range out {
			out[i] = def
		}
		return out, nil
	}
	vs, r := v.Shape(), len(opShape)
	bad := r < 2 || len(vs) == 0
	switch {
	case bad:
	case perRow && len(vs) == 1: // M values
		bad = vs[0] != opShape[r-2]
		vs = []int{vs[0], 1}
	case perRow: // [..., M, 1]
		bad = vs[len(vs)-1] != 1
	case len(vs) == 1: // N values
		bad = vs[0] != opShape[r-1]
	default: // [..., 1, N]
		bad = vs[len(vs)-2] != 1
	}
	if b, err := tensor.BroadcastShapes(vs, to); bad || err != nil || !tensor.SameShape(b, to) {
		return nil, fmt.Errorf("%w: %s of shape %v is neither a scalar nor per %s of operand shape %v (broadcast to %v)",
			ops.ErrShapeMismatch, what, v.Shape(), map[bool]string{true: "row", false: "column"}[perRow], opShape, to)
	}
	vals, err := v.Float64s()
	if err != nil {
		return nil, ops.Errorf("%s: %v", what, err)
	}
	st := tensor.BroadcastStrides(vs, to)
	idx := make([]int, len(to))
	src := 0
	for i := range out {
		out[i] = vals[src]
		for d := len(to) - 1; d >= 0; d-- {
			idx[d]++
			src += st[d]
			if idx[d] < to[d] {
				break
			}
			src -= st[d] * idx[d]
			idx[d] = 0
		}
	}
	return out, nil
}

// qntMatShift returns t - zp (zp as qntMatParam reads it) as an int32
// tensor.
func qntMatShift(t, zp *tensor.Tensor, perRow bool, what string) (*tensor.Tensor, error) {
	ts := t.Shape()
	z, err := qntMatParam(zp, 0, ts, ts, perRow, what)
	if err != nil {
		return nil, err
	}
	r, err := tensor.New(tensor.Int32, ts...)
	if err != nil {
		return nil, err
	}
	d := tensor.Data[int32](r)
	var buf [qntChunk]float64
	src := t.Raw()
	for c := 0; c < len(d); c += qntChunk {
		b := buf[:min(qntChunk, len(d)-c)]
		qntLoad(b, src, c)
		for i, v := range b {
			d[c+i] = int32(v - z[c+i])
		}
	}
	return r, nil
}

// qntConstB returns B - b_zero_point as int32 when both are constant
// (inputs bi and bzi of n), else nil.
func qntConstB(n *ops.Node, bi, bzi int) (*tensor.Tensor, error) {
	b := n.InValue(bi)
	if b == nil || (n.HasIn(bzi) && n.InValue(bzi) == nil) {
		return nil, nil
	}
	return qntMatShift(b, n.InValue(bzi), false, "b_zero_point")
}

// qntMatMulAcc returns the int32 matmul of (a - az) and (b - bz), or of
// (a - az) and b32 when b32 (B - bz, precomputed) is not nil.
func qntMatMulAcc(ec *ops.ExecContext, a, az, b, bz, b32 *tensor.Tensor) (*tensor.Tensor, error) {
	if a.Rank() == 0 || b.Rank() == 0 {
		return nil, fmt.Errorf("%w: MatMul of a scalar (%v, %v)", ops.ErrShapeMismatch, a.Shape(), b.Shape())
	}
	a32, err := qntMatShift(a, az, true, "a_zero_point")
	if err != nil {
		return nil, err
	}
	if b32 == nil {
		if b32, err = qntMatShift(b, bz, false, "b_zero_point"); err != nil {
			return nil, err
		}
	}
	acc := []*tensor.Tensor{nil}
	if err := nnMatMulRun[int32](ec, []*tensor.Tensor{a32, b32}, acc); err != nil {
		return nil, err
	}
	return acc[0], nil
}

func qntNewMatMulInteger(n *ops.Node) (ops.Kernel, error) {
	b32, err := qntConstB(n, 1, 3)
	if err != nil {
		return nil, err
	}
	return ops.KernelFunc(func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		acc, err := qntMatMulAcc(ec, in[0], qntOptional(in, 2), in[1], qntOptional(in, 3), b32)
		if err != nil {
			return err
		}
		y, err := nnOut(out, 0, tensor.Int32, acc.Shape())
		if err != nil {
			return err
		}
		return y.CopyFrom(acc)
	}), nil
}

func qntNewQLinearMatMul(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[7].DType
	if dt != tensor.Uint8 && dt != tensor.Int8 {
		return nil, nil
	}
	lo, hi := qntRange(dt)
	b32, err := qntConstB(n, 3, 5)
	if err != nil {
		return nil, err
	}
	return ops.KernelFunc(func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		a, b := in[0], in[3]
		acc, err := qntMatMulAcc(ec, a, in[2], b, in[5], b32)
		if err != nil {
			return err
		}
		ys := acc.Shape()
		sa, err := qntMatParam(in[1], 1, a.Shape(), ys, true, "a_scale")
		if err != nil {
			return err
		}
		sb, err := qntMatParam(in[4], 1, b.Shape(), ys, false, "b_scale")
		if err != nil {
			return err
		}
		sy, err := qntScalar(in, 6, "y_scale")
		if err != nil {
			return err
		}
		yz, err := qntScalar(in, 7, "y_zero_point")
		if err != nil {
			return err
		}
		y, err := nnOut(out, 0, dt, ys)
		if err != nil {
			return err
		}
		ad, yd := tensor.Data[int32](acc), y.Raw()
		var buf [qntChunk]float64
		for c := 0; c < len(ad); c += qntChunk {
			bb := buf[:min(qntChunk, len(ad)-c)]
			for i := range bb {
				j := c + i
				bb[i] = qntSaturate(float64(ad[j])*qntMultiplier(sa[j], sb[j], sy), yz, lo, hi)
			}
			qntStoreInts(yd, c, bb)
		}
		return nil
	}), nil
}
