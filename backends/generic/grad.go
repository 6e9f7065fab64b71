package generic

// Kernels of onyx's internal gradient ops (domain ai.onyx.training, see
// ops/grad.go), which package train emits into backward graphs, and
// Dropout's training mode.
//
// ConvGradInput is the adjoint of Conv with respect to X: per (image,
// group), W_g^T times dY_g gives a column matrix that col2im scatters into
// dX, exactly ConvTranspose's lowering with the conv's geometry.
// ConvGradWeight accumulates dY_g times im2col(X_g)^T into dW_g. Both reuse
// Conv's geometry (nnConvGeom), im2col/col2im and the GEMM core. The pools'
// gradients walk the forward kernels' windows (nnPoolGeom), so that they
// agree with the forward op on every padding and ceil_mode corner.

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	for op, f := range map[string]ops.KernelFactory{
		"ConvGradInput":                 grNewConvGrad(false),
		"ConvGradWeight":                grNewConvGrad(true),
		"MaxPoolGrad":                   grNewMaxPoolGrad,
		"AveragePoolGrad":               grNewAvgPoolGrad,
		"BatchNormalizationGrad":        grNewBatchNormGrad,
		"DropoutGrad":                   grNewDropoutGrad,
		"SoftmaxCrossEntropyLossGrad":   grNewLossGrad,
		"NegativeLogLikelihoodLossGrad": grNewLossGrad,
		"ReduceSumTo":                   grNewReduceSumTo,
	} {
		ops.RegisterKernel(ops.KernelDef{Domain: ops.GradDomain, Op: op, Backend: Name, Priority: ops.PriorityGeneric, New: f})
	}
}

// grShapeOf reads a shape input: a 1-D int64 tensor of non-negative dims
// whose product is a valid element count.
func grShapeOf(t *tensor.Tensor, what string) ([]int, error) {
	if t == nil || t.DType() != tensor.Int64 || t.Rank() != 1 {
		return nil, fmt.Errorf("%w: %s must be a 1-D int64 tensor", ops.ErrInvalidNode, what)
	}
	v := tensor.Data[int64](t)
	dims := make([]int, len(v))
	for i, d := range v {
		if d < 0 || d > tensor.MaxElements {
			return nil, fmt.Errorf("%w: %s %v has a dim out of range", ops.ErrShapeMismatch, what, v)
		}
		dims[i] = int(d)
	}
	if _, err := tensor.NumElements(dims); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ops.ErrShapeMismatch, what, err)
	}
	return dims, nil
}

// grZeroOut returns out[i] as a zeroed tensor of the given type and shape.
func grZeroOut(out []*tensor.Tensor, i int, dt tensor.DType, shape []int) (*tensor.Tensor, error) {
	t, err := nnOut(out, i, dt, shape)
	if err != nil {
		return nil, err
	}
	switch d := t.Raw().(type) {
	case []float32:
		clear(d)
	case []float64:
		clear(d)
	}
	return t, nil
}

// grCheckDY checks that dY has the shape the forward op's output had.
func grCheckDY(op string, dy *tensor.Tensor, want []int) error {
	if !tensor.SameShape(dy.Shape(), want) {
		return fmt.Errorf("%w: %s: dY has shape %v, the forward output %v", ops.ErrShapeMismatch, op, dy.Shape(), want)
	}
	return nil
}

// grNewConvGrad builds ConvGradInput (weight false) or ConvGradWeight.
func grNewConvGrad(weight bool) ops.KernelFactory {
	return func(n *ops.Node) (ops.Kernel, error) {
		c, err := nnNewConvNode(n, false)
		if err != nil {
			return nil, err
		}
		f32, f64 := grConvGradInputRun[float32](c), grConvGradInputRun[float64](c)
		if weight {
			f32, f64 = grConvGradWeightRun[float32](c), grConvGradWeightRun[float64](c)
		}
		if n.In[1].DType != n.In[0].DType {
			return nil, nil
		}
		return nnFloatKernel(n.In[0].DType, f32, f64, []int{0}, nnOutTypes(n)), nil
	}
}

// grConvSetup validates a conv gradient's shapes (X's, W's, and dY's
// against the conv's output) and returns the geometry with dY's positions
// as columns and X's grid as target.
func grConvSetup(c *nnConvNode, op string, xs, ws, dys []int) (*nnConvGeom, error) {
	w, err := c.window(xs, ws, -1)
	if err != nil {
		return nil, err
	}
	r := len(xs) - 2
	outDims, padBegin := make([]int, r), make([]int, r)
	for i := range r {
		if outDims[i], padBegin[i], _, err = w.OutDim(i, xs[i+2]); err != nil {
			return nil, err
		}
	}
	want := append([]int{xs[0], ws[0]}, outDims...)
	if !tensor.SameShape(dys, want) {
		return nil, fmt.Errorf("%w: %s: dY has shape %v, the conv output %v", ops.ErrShapeMismatch, op, dys, want)
	}
	return nnNewConvGeom(outDims, xs[2:], w, padBegin), nil
}

// grConvGradInputRun: dX = the adjoint of Conv(., W) applied to dY; inputs
// dY, W and X's shape.
func grConvGradInputRun[T nnFloat](c *nnConvNode) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		dy, wt := in[0], in[1]
		xs, err := grShapeOf(in[2], "ConvGradInput shape of X")
		if err != nil {
			return err
		}
		ws := wt.Shape()
		g, err := grConvSetup(c, "ConvGradInput", xs, ws, dy.Shape())
		if err != nil {
			return err
		}
		dx, err := grZeroOut(out, 0, dy.DType(), xs)
		if err != nil {
			return err
		}
		N, C, M, G := xs[0], xs[1], ws[0], c.group
		Cg, Mg := C/G, M/G
		kdim := Cg * g.kSp
		if g.colSp == 0 || g.tgtSp == 0 || kdim == 0 || Mg == 0 || N == 0 {
			return nil
		}
		dyd, wd, dxd := tensor.Data[T](dy), tensor.Data[T](wt), tensor.Data[T](dx)
		tile := min(g.colSp, max(nnColMinTile, nnColBudget/kdim))
		buf := nnGetScratch[T](kdim * tile)
		defer nnPutScratch(buf)
		col := *buf
		o := make([]int, g.r)
		for n := range N {
			if err := nnCtxErr(ec); err != nil {
				return err
			}
			for gi := range G {
				dyg := dyd[(n*M+gi*Mg)*g.colSp : (n*M+(gi+1)*Mg)*g.colSp]
				dxg := dxd[(n*C+gi*Cg)*g.tgtSp : (n*C+(gi+1)*Cg)*g.tgtSp]
				wg := wd[gi*Mg*kdim : (gi+1)*Mg*kdim] // Mg x kdim
				for j0 := 0; j0 < g.colSp; j0 += tile {
					nb := min(tile, g.colSp-j0)
					// col (kdim x nb) = wg^T * dyg[:, j0:j0+nb]
					gemm(true, false, kdim, nb, Mg, 1, wg, kdim, dyg[j0:], g.colSp, 0, col, nb)
					nnCol2im(g, col[:kdim*nb], Cg, dxg, j0, nb, o)
				}
			}
		}
		return nil
	}
}

// grConvGradWeightRun: dW = sum over images of dY_g * im2col(X_g)^T; inputs
// dY, X and W's shape.
func grConvGradWeightRun[T nnFloat](c *nnConvNode) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		dy, x := in[0], in[1]
		ws, err := grShapeOf(in[2], "ConvGradWeight shape of W")
		if err != nil {
			return err
		}
		xs := x.Shape()
		g, err := grConvSetup(c, "ConvGradWeight", xs, ws, dy.Shape())
		if err != nil {
			return err
		}
		dw, err := grZeroOut(out, 0, dy.DType(), ws)
		if err != nil {
			return err
		}
		N, C, M, G := xs[0], xs[1], ws[0], c.group
		Cg, Mg := C/G, M/G
		kdim := Cg * g.kSp
		if g.colSp == 0 || kdim == 0 || Mg == 0 || N == 0 {
			return nil
		}
		dyd, xd, dwd := tensor.Data[T](dy), tensor.Data[T](x), tensor.Data[T](dw)
		tile := min(g.colSp, max(nnColMinTile, nnColBudget/kdim))
		buf := nnGetScratch[T](kdim * tile)
		defer nnPutScratch(buf)
		col := *buf
		o := make([]int, g.r)
		for n := range N {
			if err := nnCtxErr(ec); err != nil {
				return err
			}
			for gi := range G {
				dyg := dyd[(n*M+gi*Mg)*g.colSp : (n*M+(gi+1)*Mg)*g.colSp]
				xg := xd[(n*C+gi*Cg)*g.tgtSp : (n*C+(gi+1)*Cg)*g.tgtSp]
				dwg := dwd[gi*Mg*kdim : (gi+1)*Mg*kdim]
				for j0 := 0; j0 < g.colSp; j0 += tile {
					nb := min(tile, g.colSp-j0)
					nnIm2col(g, xg, Cg, col[:kdim*nb], j0, nb, o)
					// dwg (Mg x kdim) += dyg[:, j0:j0+nb] * col^T
					gemm(false, true, Mg, kdim, nb, 1, dyg[j0:], g.colSp, col, nb, 1, dwg, kdim)
				}
			}
		}
		return nil
	}
}

func grNewMaxPoolGrad(n *ops.Node) (ops.Kernel, error) {
	w, err := nnPoolWindowOf(n)
	if err != nil {
		return nil, err
	}
	if n.In[1].DType != n.In[0].DType {
		return nil, nil
	}
	return nnOverwrites(nnFloatPool(n, grMaxPoolGradRun[float32](w), grMaxPoolGradRun[float64](w))), nil
}

// grMaxPoolGradRun: dX[argmax of each window] += dY, the argmax being the
// one MaxPool's Indices output gives (the first maximum; a NaN wins).
func grMaxPoolGradRun[T nnFloat](w *ops.SpatialWindow) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		dy, x := in[0], in[1]
		g, ys, err := nnPoolSetup(w, x.Shape())
		if err != nil {
			return err
		}
		if err := grCheckDY("MaxPoolGrad", dy, ys); err != nil {
			return err
		}
		dx, err := nnOut(out, 0, x.DType(), x.Shape())
		if err != nil {
			return err
		}
		xd, dyd, dxd := tensor.Data[T](x), tensor.Data[T](dy), tensor.Data[T](dx)
		if xf, ok := any(xd).([]float32); ok && grPool2x2(w, g) {
			grMaxPoolGrad2x2F32(xf, any(dyd).([]float32), any(dxd).([]float32), g.planes, g.in[0], g.in[1])
			return nil
		}
		clear(dxd)
		start, offs, _ := grPoolWindows(g)
		for p := range g.planes {
			xp := xd[p*g.inSp : (p+1)*g.inSp]
			dxp := dxd[p*g.inSp : (p+1)*g.inSp]
			dyp := dyd[p*g.outSp : (p+1)*g.outSp]
			for pos, d := range dyp {
				w := offs[start[pos]:start[pos+1]]
				if len(w) == 0 {
					continue
				}
				best, bi := xp[w[0]], w[0]
				for _, off := range w[1:] {
					if v := xp[off]; v > best || (v != v && best == best) {
						best, bi = v, off
					}
				}
				dxp[bi] += d
			}
		}
		return nil
	}
}

// grPool2x2 reports whether the pool of window w and geometry g has 2x2
// windows at stride 2 that tile the input from its corner: no padding, no
// dilation, no partial window.
func grPool2x2(w *ops.SpatialWindow, g *nnPoolGeom) bool {
	if g.r != 2 {
		return false
	}
	for d := range 2 {
		if w.Kernel[d] != 2 || w.Strides[d] != 2 || w.Dilations[d] != 1 || g.out[d] != g.in[d]/2 || (g.out[d] > 0 && g.start[d][0] != 0) {
			return false
		}
	}
	return true
}

// grMaxPoolGrad2x2F32 is MaxPoolGrad for 2x2 windows at stride 2 that
// tile planes of h x w (an odd last row or column is in no window) on
// float32: per window, the first maximum gets dY, the 3 other elements
// 0, all written at once (no zeroing pass, no read-modify-write), and the
// maximum chosen without a branch, on integer keys ordered as the floats
// (a NaN above all). 3x faster than the general loop on the first pool
// of onyx train's CNN, where the branches on the comparisons mispredict.
func grMaxPoolGrad2x2F32(x, dy, dx []float32, planes, h, w int) {
	oh, ow := h/2, w/2
	for p := range planes {
		xp, dxp := x[p*h*w:(p+1)*h*w], dx[p*h*w:(p+1)*h*w]
		dyp := dy[p*oh*ow : (p+1)*oh*ow]
		for oy := range oh {
			r0, r1 := xp[2*oy*w:(2*oy+1)*w], xp[(2*oy+1)*w:(2*oy+2)*w]
			d0, d1 := dxp[2*oy*w:(2*oy+1)*w], dxp[(2*oy+1)*w:(2*oy+2)*w]
			for ox, g := range dyp[oy*ow : (oy+1)*ow] {
				j := 2 * ox
				k0, k1, k2, k3 := grF32Key(r0[j]), grF32Key(r0[j+1]), grF32Key(r1[j]), grF32Key(r1[j+1])
				bi, best := 0, k0
				if k1 > best {
					bi = 1
				}
				best = max(best, k1)
				if k2 > best {
					bi = 2
				}
				best = max(best, k2)
				if k3 > best {
					bi = 3
				}
				gb := math.Float32bits(g)
				var m0, m1, m2, m3 uint32
				if bi == 0 {
					m0 = gb
				}
				if bi == 1 {
					m1 = gb
				}
				if bi == 2 {
					m2 = gb
				}
				if bi == 3 {
					m3 = gb
				}
				d0[j], d0[j+1] = math.Float32frombits(m0), math.Float32frombits(m1)
				d1[j], d1[j+1] = math.Float32frombits(m2), math.Float32frombits(m3)
			}
			if w%2 != 0 {
				d0[w-1], d1[w-1] = 0, 0
			}
		}
		clear(dxp[2*oh*w:])
	}
}

// grF32Key maps a float32 to an int32 ordered as the floats compare (-0
// and +0 equal), every NaN above +Inf.
func grF32Key(v float32) int32 {
	b := math.Float32bits(v)
	s := int32(b) >> 31
	mag := int32(b & 0x7FFFFFFF)
	k := (mag ^ s) - s
	if mag > 0x7F800000 {
		k = math.MaxInt32
	}
	return k
}

func grNewAvgPoolGrad(n *ops.Node) (ops.Kernel, error) {
	w, err := nnPoolWindowOf(n)
	if err != nil {
		return nil, err
	}
	incl := n.AttrInt("count_include_pad") != 0
	return nnFloatPool(n, grAvgPoolGradRun[float32](w, incl), grAvgPoolGradRun[float64](w, incl)), nil
}

// grAvgPoolGradRun: every element of a window gets dY / count, count being
// what AveragePool divided by (the window's elements in the input, or in the
// padded input with count_include_pad).
func grAvgPoolGradRun[T nnFloat](w *ops.SpatialWindow, countPad bool) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		dy := in[0]
		xs, err := grShapeOf(in[1], "AveragePoolGrad shape of X")
		if err != nil {
			return err
		}
		g, ys, err := nnPoolSetup(w, xs)
		if err != nil {
			return err
		}
		if err := grCheckDY("AveragePoolGrad", dy, ys); err != nil {
			return err
		}
		dx, err := grZeroOut(out, 0, dy.DType(), xs)
		if err != nil {
			return err
		}
		dyd, dxd := tensor.Data[T](dy), tensor.Data[T](dx)
		start, offs, padCount := grPoolWindows(g)
		for p := range g.planes {
			dxp := dxd[p*g.inSp : (p+1)*g.inSp]
			for pos, d := range dyd[p*g.outSp : (p+1)*g.outSp] {
				w := offs[start[pos]:start[pos+1]]
				cnt := len(w)
				if countPad {
					cnt = padCount[pos]
				}
				if len(w) == 0 || cnt == 0 {
					continue
				}
				v := T(float64(d) * (1 / float64(cnt)))
				for _, off := range w {
					dxp[off] += v
				}
			}
		}
		return nil
	}
}

// grPoolWindows lists the taps of g's windows once, for the pool
// gradients to walk plane by plane: window pos has the taps
// offs[start[pos]:start[pos+1]] (offsets in a plane) and padCount[pos]
// elements in the padded input. (A walk of all the planes per window, a
// plane apart per step, took 1.6x as long on onyx train's CNN.)
func grPoolWindows(g *nnPoolGeom) (start, offs, padCount []int) {
	start, padCount = make([]int, 0, g.outSp+1), make([]int, 0, g.outSp)
	g.forEachWindow(func(_ int, o, _ []int, pc int) {
		start = append(start, len(offs))
		offs = append(offs, o...)
		padCount = append(padCount, pc)
	})
	return append(start, len(offs)), offs, padCount
}

// grBatchNorm is what a BatchNormalizationGrad factory decides once.
type grBatchNorm struct {
	eps      float64
	training bool
}

func grNewBatchNormGrad(n *ops.Node) (ops.Kernel, error) {
	b := &grBatchNorm{eps: float64(n.AttrFloat("epsilon")), training: n.AttrInt("training_mode") != 0}
	if n.In[1].DType != n.In[0].DType {
		return nil, nil
	}
	for i := 2; i < len(n.In); i++ {
		if !n.In[i].Absent && !n.In[i].DType.IsFloat() {
			return nil, nil
		}
	}
	return nnOverwrites(nnFloatKernel(n.In[0].DType, grBatchNormGradRun[float32](b), grBatchNormGradRun[float64](b), []int{0, 1, 2}, nnOutTypes(n))), nil
}

// grBatchNormGradRun computes, per channel c over its M = N*D1*...*Dk
// elements, with xhat = (x - mean) / sqrt(var + eps):
//
//	dB = sum(dY), dScale = sum(dY * xhat)
//	dX = scale / sqrt(var + eps) * dY                          (inference)
//	dX = scale / sqrt(var + eps) / M * (M*dY - dB - xhat*dScale) (training)
//
// where in training mode mean and var are the batch's own (population)
// statistics, as BatchNormalization computed them, and otherwise inputs 3
// and 4.
func grBatchNormGradRun[T nnFloat](b *grBatchNorm) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		dy, x, sc := in[0], in[1], in[2]
		xs := x.Shape()
		if len(xs) == 0 {
			return fmt.Errorf("%w: BatchNormalizationGrad of a scalar", ops.ErrShapeMismatch)
		}
		if err := grCheckDY("BatchNormalizationGrad", dy, xs); err != nil {
			return err
		}
		N, C, sp := nnChannels(xs)
		scale := nnFloat64sOf(sc)
		if len(scale) != C {
			return fmt.Errorf("%w: BatchNormalizationGrad scale has %d elements for %d channels", ops.ErrShapeMismatch, len(scale), C)
		}
		var mean, vr []float64
		if !b.training {
			if len(in) < 5 || in[3] == nil || in[4] == nil {
				return fmt.Errorf("%w: BatchNormalizationGrad needs mean and var", ops.ErrInvalidNode)
			}
			mean, vr = nnFloat64sOf(in[3]), nnFloat64sOf(in[4])
			if len(mean) != C || len(vr) != C {
				return fmt.Errorf("%w: BatchNormalizationGrad mean/var have %d/%d elements for %d channels", ops.ErrShapeMismatch, len(mean), len(vr), C)
			}
		}
		dx, err := nnOut(out, 0, x.DType(), xs)
		if err != nil {
			return err
		}
		xd, dyd, dxd := tensor.Data[T](x), tensor.Data[T](dy), tensor.Data[T](dx)
		cnt := float64(N * sp)
		dScale, dBias := make([]float64, C), make([]float64, C)
		for c := range C {
			// m and v, and the sums sdy = sum(dY), sdyx = sum(dY*(X-m)),
			// in one pass over the channel in training mode.
			var m, v, sdy, sdyx float64
			if b.training {
				m, v, sdy, sdyx = grBatchNormSums(xd, dyd, N, C, sp, c)
			} else {
				m, v = mean[c], vr[c]
				for n := range N {
					o := (n*C + c) * sp
					for j, e := range xd[o : o+sp] {
						g := float64(dyd[o+j])
						sdy += g
						sdyx += g * (float64(e) - m)
					}
				}
			}
			inv := 1 / math.Sqrt(v+b.eps)
			dScale[c], dBias[c] = sdyx*inv, sdy
			a := scale[c] * inv
			// Training: dX = a*(dY - sdy/cnt - (X-m)*inv^2*sdyx/cnt).
			k1, k2 := 0.0, 0.0
			if b.training && cnt > 0 {
				k1, k2 = sdy/cnt, inv*inv*sdyx/cnt
			}
			for n := range N {
				o := (n*C + c) * sp
				gs := dyd[o : o+sp]
				for j, e := range xd[o : o+sp] {
					dxd[o+j] = T(a * (float64(gs[j]) - k1 - (float64(e)-m)*k2))
				}
			}
		}
		for i, vals := range [][]float64{dScale, dBias} {
			if len(out) > i+1 {
				t, err := nnOut(out, i+1, sc.DType(), []int{C})
				if err != nil {
					return err
				}
				nnStoreFloat64s(t, vals)
			}
		}
		return nil
	}
}

// grBatchNormSums returns, over channel c of x (N x C x sp), the
// (population) mean m and variance v, and the sums sdy of dY and sdyx of
// dY*(X-m), in one pass: it sums d = X - X[first] (against cancellation),
// d^2, dY and dY*d in float64, two elements at a time into separate sums
// (the loop's speed is the latency of the additions).
func grBatchNormSums[T nnFloat](xd, dyd []T, N, C, sp, c int) (m, v, sdy, sdyx float64) {
	if N == 0 || sp == 0 {
		return 0, 0, 0, 0
	}
	x0 := float64(xd[c*sp])
	var s1, s2, s3, s4, t1, t2, t3, t4 float64
	for n := range N {
		o := (n*C + c) * sp
		xs, gs := xd[o:o+sp], dyd[o:o+sp]
		j := 0
		for ; j+2 <= len(xs); j += 2 {
			d, e := float64(xs[j])-x0, float64(xs[j+1])-x0
			g, h := float64(gs[j]), float64(gs[j+1])
			s1, t1 = s1+d, t1+e
			s2, t2 = s2+d*d, t2+e*e
			s3, t3 = s3+g, t3+h
			s4, t4 = s4+g*d, t4+h*e
		}
		if j < len(xs) {
			d, g := float64(xs[j])-x0, float64(gs[j])
			s1, s2, s3, s4 = s1+d, s2+d*d, s3+g, s4+g*d
		}
	}
	cnt := float64(N * sp)
	md := (s1 + t1) / cnt
	sdy = s3 + t3
	return x0 + md, max((s2+t2)/cnt-md*md, 0), sdy, s4 + t4 - md*sdy
}

func grNewDropoutGrad(n *ops.Node) (ops.Kernel, error) {
	return nnFloatKernel(n.In[0].DType, grDropoutGradRun[float32], grDropoutGradRun[float64], []int{0}, nnOutTypes(n)), nil
}

// grDropoutGradRun: dX = dY * mask / (1 - ratio) when training_mode (input
// 3, default false) is true, else dY. ratio (input 2) defaults to 0.5; the
// mask is bool (opset 10+) or a float tensor of 0s and 1s.
func grDropoutGradRun[T nnFloat](ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	dy, mask := in[0], in[1]
	dx, err := nnOut(out, 0, dy.DType(), dy.Shape())
	if err != nil {
		return err
	}
	dyd, dxd := tensor.Data[T](dy), tensor.Data[T](dx)
	train := false
	if t := rnnInput(in, 3); t != nil {
		if t.DType() != tensor.Bool || t.Len() != 1 {
			return fmt.Errorf("%w: DropoutGrad training_mode must be a bool scalar", ops.ErrInvalidNode)
		}
		train = tensor.Data[bool](t)[0]
	}
	ratio := 0.5
	if r := rnnInput(in, 2); r != nil {
		v, err := r.Float64s()
		if err != nil || len(v) != 1 {
			return fmt.Errorf("%w: DropoutGrad ratio must be a float scalar", ops.ErrInvalidNode)
		}
		ratio = v[0]
	}
	if !train || ratio == 0 {
		copy(dxd, dyd)
		return nil
	}
	if !(ratio > 0 && ratio < 1) {
		return fmt.Errorf("%w: DropoutGrad ratio %v is not in [0, 1)", ops.ErrInvalidNode, ratio)
	}
	if mask == nil || !tensor.SameShape(mask.Shape(), dy.Shape()) {
		return fmt.Errorf("%w: DropoutGrad mask shape differs from dY's %v", ops.ErrShapeMismatch, dy.Shape())
	}
	keep, err := grKeepMask(mask)
	if err != nil {
		return err
	}
	scale := 1 / (1 - ratio)
	for i, g := range dyd {
		if keep[i] {
			dxd[i] = T(float64(g) * scale)
		} else {
			dxd[i] = 0
		}
	}
	return nil
}

// grKeepMask reads a Dropout mask: bool, or float (non-zero keeps).
func grKeepMask(mask *tensor.Tensor) ([]bool, error) {
	if mask.DType() == tensor.Bool {
		return tensor.Data[bool](mask), nil
	}
	v, err := mask.Float64s()
	if err != nil {
		return nil, fmt.Errorf("%w: DropoutGrad mask of type %v", ops.ErrInvalidNode, mask.DType())
	}
	keep := make([]bool, len(v))
	for i, f := range v {
		keep[i] = f != 0
	}
	return keep, nil
}

// grLossNode is what a loss gradient's factory decides once.
type grLossNode struct {
	softmax   bool
	reduction string
	hasIgnore bool
	ignore    int64
}

func grNewLossGrad(n *ops.Node) (ops.Kernel, error) {
	red, err := ops.LossReduction(n)
	if err != nil {
		return nil, err
	}
	if n.In[1].DType != n.In[0].DType || (n.HasIn(3) && n.In[3].DType != n.In[0].DType) {
		return nil, nil
	}
	k := &grLossNode{softmax: n.OpType == "SoftmaxCrossEntropyLossGrad", reduction: red,
		hasIgnore: n.HasAttr("ignore_index"), ignore: n.AttrInt("ignore_index")}
	return nnFloatKernel(n.In[0].DType, grLossGradRun[float32](k), grLossGradRun[float64](k), []int{0}, nnOutTypes(n)), nil
}

// grLossGradRun computes the gradient of NegativeLogLikelihoodLoss with
// respect to its input, or of SoftmaxCrossEntropyLoss with respect to its
// scores: for each sample (n, d...) with class c and weight w (weight[c],
// or 1; 0 when c is ignore_index), and g = dLoss[n, d...] (none), dLoss
// (sum) or dLoss / (sum of the applied weights) (mean):
//
//	NLL: dX[n, c, d...] = -g*w, 0 for the other classes
//	SCE: dX[n, :, d...] = g*w * (softmax(X[n, :, d...]) - onehot(c))
func grLossGradRun[T nnFloat](k *grLossNode) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		dl, x, tgt := in[0], in[1], in[2]
		xs, ts := x.Shape(), tgt.Shape()
		if len(xs) < 2 || len(ts) != len(xs)-1 || ts[0] != xs[0] || !tensor.SameShape(ts[1:], xs[2:]) {
			return fmt.Errorf("%w: loss gradient: input shape %v and target shape %v do not fit", ops.ErrShapeMismatch, xs, ts)
		}
		wantDL := []int{}
		if k.reduction == ops.LossReduceNone {
			wantDL = ts
		}
		if !tensor.SameShape(dl.Shape(), wantDL) {
			return fmt.Errorf("%w: loss gradient: dLoss has shape %v, want %v", ops.ErrShapeMismatch, dl.Shape(), wantDL)
		}
		N, C, D := xs[0], xs[1], nnNumel(xs[2:])
		var weight []T
		if w := rnnInput(in, 3); w != nil {
			if !tensor.SameShape(w.Shape(), []int{C}) {
				return fmt.Errorf("%w: loss weight shape %v, want [%d]", ops.ErrShapeMismatch, w.Shape(), C)
			}
			weight = tensor.Data[T](w)
		}
		target, err := tgt.Int64s()
		if err != nil {
			return err
		}
		dx, err := grZeroOut(out, 0, x.DType(), xs)
		if err != nil {
			return err
		}
		xd, dld, dxd := tensor.Data[T](x), tensor.Data[T](dl), tensor.Data[T](dx)
		ws := make([]float64, N*D)
		var wsum float64
		for i, c := range target {
			if k.hasIgnore && c == k.ignore {
				continue
			}
			if c < 0 || c >= int64(C) {
				return fmt.Errorf("%w: loss target %d out of range [0, %d)", ops.ErrShapeMismatch, c, C)
			}
			ws[i] = 1
			if weight != nil {
				ws[i] = float64(weight[c])
			}
			wsum += ws[i]
		}
		if k.softmax {
			lossLogSoftmax(xd, dxd, N, C, D) // dX holds log-probabilities for now
		}
		for n := range N {
			for d := range D {
				i := n*D + d
				var g float64
				switch k.reduction {
				case ops.LossReduceNone:
					g = float64(dld[i]) * ws[i]
				case ops.LossReduceSum:
					g = float64(dld[0]) * ws[i]
				default:
					g = float64(dld[0]) * ws[i] / wsum
				}
				base := n*C*D + d
				c := int(target[i])
				if !k.softmax {
					if ws[i] != 0 {
						dxd[base+c*D] = T(-g)
					}
					continue
				}
				for j := range C {
					p := math.Exp(float64(dxd[base+j*D]))
					if j == c {
						p--
					}
					dxd[base+j*D] = T(g * p)
				}
			}
		}
		return nil
	}
}

func grNewReduceSumTo(n *ops.Node) (ops.Kernel, error) {
	var f ops.KernelFunc
	switch n.In[0].DType {
	case tensor.Float32:
		f = grReduceSumToRun[float32]
	case tensor.Float64:
		f = grReduceSumToRun[float64]
	case tensor.Float16:
		f = grReduceSumToRun[tensor.F16]
	case tensor.BFloat16:
		f = grReduceSumToRun[tensor.BF16]
	default:
		return nil, nil
	}
	return ops.Aliasing(f), nil
}

// grReduceSumToRun sums G over the axes along which the target shape
// (input 1) was broadcast to G's shape: the leading axes it lacks and the
// axes where it has size 1. When there are none, the output is G itself
// (a view: the kernel is an Aliaser).
func grReduceSumToRun[T nnFloat | tensor.F16 | tensor.BF16](ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	g := in[0]
	ts, err := grShapeOf(in[1], "ReduceSumTo shape")
	if err != nil {
		return err
	}
	gs := g.Shape()
	if b, err := tensor.BroadcastShapes(ts, gs); err != nil || !tensor.SameShape(b, gs) {
		return fmt.Errorf("%w: ReduceSumTo: %v does not broadcast to %v", ops.ErrShapeMismatch, ts, gs)
	}
	n, _ := tensor.NumElements(ts)
	if n == g.Len() {
		v, err := g.Reshape(ts...)
		if err != nil {
			return err
		}
		out[0] = v
		return nil
	}
	y, err := tensor.New(g.DType(), ts...)
	if err != nil {
		return err
	}
	out[0] = y
	gv, err := g.Float64s()
	if err != nil {
		return err
	}
	yd := tensor.Data[T](y)
	acc := make([]float64, len(yd))
	str := tensor.BroadcastStrides(ts, gs)
	idx := make([]int, len(gs))
	off := 0
	for _, v := range gv {
		acc[off] += float64(v)
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			off += str[d]
			if idx[d] < gs[d] {
				break
			}
			off -= idx[d] * str[d]
			idx[d] = 0
		}
	}
	for i, v := range acc {
		yd[i] = grFromF64[T](v)
	}
	return nil
}

// grFromF64 rounds v to T.
func grFromF64[T nnFloat | tensor.F16 | tensor.BF16](v float64) T {
	var z T
	switch p := any(&z).(type) {
	case *float32:
		*p = float32(v)
	case *float64:
		*p = v
	case *tensor.F16:
		*p = tensor.NewF16(float32(v))
	case *tensor.BF16:
		*p = tensor.NewBF16(float32(v))
	}
	return z
}

// grDropoutTrain runs Dropout in training mode: each element of x is kept
// with probability 1 - ratio (0 <= ratio < 1) and scaled by 1/(1 - ratio),
// the others are zeroed. With seed set, the mask is drawn from a generator
// seeded by it (the same mask on every Run); otherwise from a fresh random
// seed. It returns y and, when maskType is not Undefined, the mask as
// bool (opset 10+) or as 0/1 of maskType.
func grDropoutTrain(x *tensor.Tensor, ratio float64, seed *int64, maskType tensor.DType) (y, mask *tensor.Tensor, err error) {
	if !(ratio >= 0 && ratio < 1) {
		return nil, nil, fmt.Errorf("%w: dropout: ratio %v is not in [0, 1)", ops.ErrInvalidNode, ratio)
	}
	if y, err = tensor.New(x.DType(), x.Shape()...); err != nil {
		return nil, nil, err
	}
	src := rndSeed{}
	if seed != nil {
		src = rndSeed{fixed: true, seed: uint64(*seed)}
	}
	r := src.rng()
	keep := make([]bool, x.Len())
	for i := range keep {
		keep[i] = r.Float64() >= ratio
	}
	scale := 1 / (1 - ratio)
	switch x.DType() {
	case tensor.Float32:
		grDropoutApply(tensor.Data[float32](x), tensor.Data[float32](y), keep, scale)
	case tensor.Float64:
		grDropoutApply(tensor.Data[float64](x), tensor.Data[float64](y), keep, scale)
	case tensor.Float16:
		xd, yd := tensor.Data[tensor.F16](x), tensor.Data[tensor.F16](y)
		for i, v := range xd {
			if keep[i] {
				yd[i] = tensor.NewF16(float32(float64(v.Float32()) * scale))
			}
		}
	case tensor.BFloat16:
		xd, yd := tensor.Data[tensor.BF16](x), tensor.Data[tensor.BF16](y)
		for i, v := range xd {
			if keep[i] {
				yd[i] = tensor.NewBF16(float32(float64(v.Float32()) * scale))
			}
		}
	default:
		return nil, nil, fmt.Errorf("%w: dropout of %v", ops.ErrInvalidNode, x.DType())
	}
	if maskType == tensor.Undefined {
		return y, nil, nil
	}
	if mask, err = tensor.New(maskType, x.Shape()...); err != nil {
		return nil, nil, err
	}
	if maskType == tensor.Bool {
		copy(tensor.Data[bool](mask), keep)
		return y, mask, nil
	}
	vals := make([]float64, len(keep))
	for i, k := range keep {
		if k {
			vals[i] = 1
		}
	}
	nnStoreFloat64s(mask, vals)
	return y, mask, nil
}

// grDropoutApply is y[i] = x[i] * scale where keep[i], else 0 (y is zeroed).
func grDropoutApply[T nnFloat](x, y []T, keep []bool, scale float64) {
	for i, v := range x {
		if keep[i] {
			y[i] = T(float64(v) * scale)
		}
	}
}
