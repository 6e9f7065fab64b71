package generic

// BatchNormalization, InstanceNormalization, LRN and LpNormalization.
// Statistics are accumulated in float64.

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("BatchNormalization", nnNewBatchNorm)
	register("InstanceNormalization", nnNewInstanceNorm)
	register("LRN", nnNewLRN)
	register("LpNormalization", nnNewLpNorm)
}

// nnFloat64sOf returns t's elements as float64s (t is a float tensor).
func nnFloat64sOf(t *tensor.Tensor) []float64 {
	v, err := t.Float64s()
	if err != nil {
		return nil
	}
	return v
}

// nnStoreFloat64s writes vals into the float tensor t, rounding as needed.
func nnStoreFloat64s(t *tensor.Tensor, vals []float64) {
	switch t.DType() {
	case tensor.Float32:
		d := tensor.Data[float32](t)
		for i, v := range vals {
			d[i] = float32(v)
		}
	case tensor.Float64:
		copy(tensor.Data[float64](t), vals)
	case tensor.Float16:
		d := tensor.Data[tensor.F16](t)
		for i, v := range vals {
			d[i] = tensor.NewF16(float32(v))
		}
	case tensor.BFloat16:
		d := tensor.Data[tensor.BF16](t)
		for i, v := range vals {
			d[i] = tensor.NewBF16(float32(v))
		}
	}
}

// nnChannels splits a shape N x C x D1 x ... into N, C and the spatial size.
// A 1-D shape is N with one channel.
func nnChannels(xs []int) (n, c, sp int) {
	switch len(xs) {
	case 0:
		return 1, 1, 1
	case 1:
		return xs[0], 1, 1
	}
	return xs[0], xs[1], nnNumel(xs[2:])
}

// nnFloatKernel builds a kernel for a float op from its float32 and float64
// instances; halves go through float32 for the listed outputs.
func nnFloatKernel(dt tensor.DType, f32, f64 ops.KernelFunc, convOut []int, outTypes []tensor.DType) ops.Kernel {
	switch dt {
	case tensor.Float32:
		return f32
	case tensor.Float64:
		return f64
	case tensor.Float16, tensor.BFloat16:
		return nnViaF32(f32, convOut, outTypes)
	}
	return nil
}

// nnBatchNorm is what a BatchNormalization factory decides once.
type nnBatchNorm struct {
	eps, momentum float64
	training      bool
	spatial       bool
	stats         bool // running_mean and running_var are requested
}

func nnNewBatchNorm(n *ops.Node) (ops.Kernel, error) {
	b := &nnBatchNorm{eps: float64(n.AttrFloat("epsilon")), momentum: float64(n.AttrFloat("momentum")),
		training: ops.BatchNormTraining(n), spatial: ops.BatchNormSpatial(n)}
	for i := 1; i < len(n.Outputs); i++ {
		b.stats = b.stats || n.HasOut(i)
	}
	if b.stats && !b.training {
		return nil, ops.Errorf("BatchNormalization outputs other than Y need training_mode=1 (opset 14+)")
	}
	for i := 1; i < 5; i++ {
		if !n.In[i].DType.IsFloat() {
			return nil, nil
		}
	}
	k := nnFloatKernel(n.In[0].DType, nnBatchNormRun[float32](b), nnBatchNormRun[float64](b), []int{0, 1, 2}, nnOutTypes(n))
	if k == nil {
		return nil, nil
	}
	return nnOverwrites(k), nil // Y, and the running statistics when asked for
}

// nnBatchNormRun: in inference mode Y = (X - mean) / sqrt(var + eps) *
// scale + B per channel. In training mode the batch's own mean and
// (population) variance replace the inputs', and the running statistics
// input*momentum + batch*(1-momentum) are output.
func nnBatchNormRun[T nnFloat](b *nnBatchNorm) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		if len(xs) == 0 {
			return fmt.Errorf("%w: BatchNormalization of a scalar", ops.ErrShapeMismatch)
		}
		N, C, sp := nnChannels(xs)
		if !b.spatial {
			C, sp = C*sp, 1
		}
		scale, bias, mean, vr := nnFloat64sOf(in[1]), nnFloat64sOf(in[2]), nnFloat64sOf(in[3]), nnFloat64sOf(in[4])
		for i, p := range [][]float64{scale, bias, mean, vr} {
			if len(p) != C {
				return fmt.Errorf("%w: BatchNormalization input %d has %d elements for %d channels", ops.ErrShapeMismatch, i+1, len(p), C)
			}
		}
		y, err := nnOut(out, 0, x.DType(), xs)
		if err != nil {
			return err
		}
		xd, yd := tensor.Data[T](x), tensor.Data[T](y)
		if b.training {
			bm, bv := make([]float64, C), make([]float64, C)
			for c := range C {
				bm[c], bv[c] = nnChannelMeanVar(xd, N, C, sp, c)
			}
			if b.stats {
				rm, rv := make([]float64, C), make([]float64, C)
				for c := range C {
					rm[c] = mean[c]*b.momentum + bm[c]*(1-b.momentum)
					rv[c] = vr[c]*b.momentum + bv[c]*(1-b.momentum)
				}
				for i, vals := range [][]float64{rm, rv} {
					if len(out) > i+1 {
						t, err := nnOut(out, i+1, in[3].DType(), []int{C})
						if err != nil {
							return err
						}
						nnStoreFloat64s(t, vals)
					}
				}
			}
			mean, vr = bm, bv
		}
		for c := range C {
			a := scale[c] / math.Sqrt(vr[c]+b.eps)
			sa, sb := T(a), T(bias[c]-mean[c]*a)
			for n := range N {
				o := (n*C + c) * sp
				xx, yy := xd[o:o+sp], yd[o:o+sp]
				for j, v := range xx {
					yy[j] = v*sa + sb
				}
			}
		}
		return nil
	}
}

// nnChannelMeanVar returns the mean and population variance of channel c
// of x (N x C x sp) in one pass: float64 sums of d = x - x[first] (against
// cancellation) and d^2, two elements at a time into separate sums (the
// loop's speed is the latency of the additions): 3x faster than a pass for
// the mean and one for the variance on onyx train's CNN.
func nnChannelMeanVar[T nnFloat](x []T, N, C, sp, c int) (mean, variance float64) {
	if N == 0 || sp == 0 {
		return math.NaN(), math.NaN()
	}
	x0 := float64(x[c*sp])
	var s1, s2, t1, t2 float64
	for n := range N {
		xs := x[(n*C+c)*sp : (n*C+c+1)*sp]
		j := 0
		for ; j+2 <= len(xs); j += 2 {
			d, e := float64(xs[j])-x0, float64(xs[j+1])-x0
			s1, t1 = s1+d, t1+e
			s2, t2 = s2+d*d, t2+e*e
		}
		if j < len(xs) {
			d := float64(xs[j]) - x0
			s1, s2 = s1+d, s2+d*d
		}
	}
	cnt := float64(N * sp)
	md := (s1 + t1) / cnt
	return x0 + md, max((s2+t2)/cnt-md*md, 0)
}

func nnNewInstanceNorm(n *ops.Node) (ops.Kernel, error) {
	eps := float64(n.AttrFloat("epsilon"))
	return nnFloatKernel(n.In[0].DType, nnInstanceNormRun[float32](eps), nnInstanceNormRun[float64](eps), []int{0}, nnOutTypes(n)), nil
}

// nnInstanceNormRun: Y = scale * (X - mean) / sqrt(var + eps) + B with the
// mean and population variance of each (image, channel) plane.
func nnInstanceNormRun[T nnFloat](eps float64) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		if len(xs) < 2 {
			return fmt.Errorf("%w: InstanceNormalization input shape %v has rank < 2", ops.ErrShapeMismatch, xs)
		}
		N, C, sp := nnChannels(xs)
		scale, bias := tensor.Data[T](in[1]), tensor.Data[T](in[2])
		if len(scale) != C || len(bias) != C {
			return fmt.Errorf("%w: InstanceNormalization scale/B have %d/%d elements for %d channels", ops.ErrShapeMismatch, len(scale), len(bias), C)
		}
		y, err := nnOut(out, 0, x.DType(), xs)
		if err != nil {
			return err
		}
		xd, yd := tensor.Data[T](x), tensor.Data[T](y)
		for p := range N * C {
			xx, yy := xd[p*sp:(p+1)*sp], yd[p*sp:(p+1)*sp]
			var s float64
			for _, v := range xx {
				s += float64(v)
			}
			m := s / float64(sp)
			var q float64
			for _, v := range xx {
				q += (float64(v) - m) * (float64(v) - m)
			}
			a := float64(scale[p%C]) / math.Sqrt(q/float64(sp)+eps)
			sa, sb := T(a), T(float64(bias[p%C])-m*a)
			for j, v := range xx {
				yy[j] = v*sa + sb
			}
		}
		return nil
	}
}

func nnNewLRN(n *ops.Node) (ops.Kernel, error) {
	size := n.AttrInt("size")
	if size < 1 || size > 1<<31 {
		return nil, ops.Errorf("LRN size %d must be positive", size)
	}
	p := nnLRN{alpha: float64(n.AttrFloat("alpha")), beta: float64(n.AttrFloat("beta")), bias: float64(n.AttrFloat("bias")), size: int(size)}
	return nnFloatKernel(n.In[0].DType, nnLRNRun[float32](p), nnLRNRun[float64](p), []int{0}, nnOutTypes(n)), nil
}

type nnLRN struct {
	alpha, beta, bias float64
	size              int
}

// nnLRNRun: Y = X / (bias + alpha/size * square_sum)^beta, where
// square_sum sums X^2 over the channels c-floor((size-1)/2) to
// c+ceil((size-1)/2) that exist.
func nnLRNRun[T nnFloat](p nnLRN) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		if len(xs) < 2 {
			return fmt.Errorf("%w: LRN input shape %v has rank < 2", ops.ErrShapeMismatch, xs)
		}
		N, C, sp := nnChannels(xs)
		y, err := nnOut(out, 0, x.DType(), xs)
		if err != nil {
			return err
		}
		xd, yd := tensor.Data[T](x), tensor.Data[T](y)
		before, after := (p.size-1)/2, p.size/2 // floor and ceil of (size-1)/2
		sq := make([]float64, sp)
		k := p.alpha / float64(p.size)
		for n := range N {
			for c := range C {
				clear(sq)
				for i := max(0, c-before); i <= min(C-1, c+after); i++ {
					for j, v := range xd[(n*C+i)*sp : (n*C+i+1)*sp] {
						sq[j] += float64(v) * float64(v)
					}
				}
				o := (n*C + c) * sp
				for j, v := range xd[o : o+sp] {
					yd[o+j] = T(float64(v) / math.Pow(p.bias+k*sq[j], p.beta))
				}
			}
		}
		return nil
	}
}

func nnNewLpNorm(n *ops.Node) (ops.Kernel, error) {
	p := n.AttrInt("p")
	if p != 1 && p != 2 {
		return nil, ops.Errorf("LpNormalization p = %d, want 1 or 2", p)
	}
	axis := n.AttrInt("axis")
	return nnFloatKernel(n.In[0].DType, nnLpNormRun[float32](axis, p), nnLpNormRun[float64](axis, p), []int{0}, nnOutTypes(n)), nil
}

// nnLpNormRun: Y = X / ||X||_p along axis (0 where the norm is 0).
func nnLpNormRun[T nnFloat](axis, p int64) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		ax, err := ops.NormAxis(axis, len(xs))
		if err != nil {
			return err
		}
		y, err := nnOut(out, 0, x.DType(), xs)
		if err != nil {
			return err
		}
		outer, l, inner := nnNumel(xs[:ax]), xs[ax], nnNumel(xs[ax+1:])
		xd, yd := tensor.Data[T](x), tensor.Data[T](y)
		for o := range outer {
			for i := range inner {
				base := o*l*inner + i
				var s float64
				for k := range l {
					v := float64(xd[base+k*inner])
					if p == 1 {
						s += math.Abs(v)
					} else {
						s += v * v
					}
				}
				if p == 2 {
					s = math.Sqrt(s)
				}
				for k := range l {
					if s == 0 {
						yd[base+k*inner] = 0
					} else {
						yd[base+k*inner] = T(float64(xd[base+k*inner]) / s)
					}
				}
			}
		}
		return nil
	}
}
