package generic

// LayerNormalization and MeanVarianceNormalization. Statistics are
// accumulated in float64.

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("LayerNormalization", lnNewLayerNorm)
	register("MeanVarianceNormalization", lnNewMVN)
}

// lnLayerNorm is what a LayerNormalization factory decides once.
type lnLayerNorm struct {
	axis     int64
	eps      float64
	stash    tensor.DType
	wantStat [2]bool // Mean, InvStdDev requested
	// scalePlan and biasPlan broadcast Scale and B to X when their shapes
	// were known at session build.
	scalePlan, biasPlan *elemPlan
}

func lnNewLayerNorm(n *ops.Node) (ops.Kernel, error) {
	stash, err := ops.LayerNormStashType(n)
	if err != nil {
		return nil, err
	}
	for i := 1; i < len(n.In); i++ {
		if !n.In[i].Absent && n.In[i].DType != n.In[0].DType {
			return nil, ops.Errorf("LayerNormalization input %d has type %v, X has %v", i, n.In[i].DType, n.In[0].DType)
		}
	}
	k := &lnLayerNorm{axis: n.AttrInt("axis"), eps: float64(n.AttrFloat("epsilon")), stash: stash}
	k.wantStat = [2]bool{n.HasOut(1), n.HasOut(2)}
	if xs, ok := n.In[0].ConcreteShape(); ok {
		k.scalePlan = elemPrePlan(n, xs, 0, 1)
		if n.HasIn(2) {
			k.biasPlan = elemPrePlan(n, xs, 0, 2)
		}
	}
	// Halves compute Y through float32; the statistics are stored in the
	// stash type directly.
	return nnFloatKernel(n.In[0].DType, lnLayerNormRun[float32](k), lnLayerNormRun[float64](k), []int{0}, nnOutTypes(n)), nil
}

// lnLayerNormRun: per row of the trailing dims from axis on, Y = (X - mean)
// / sqrt(var + epsilon) * Scale + B (population variance), with Scale and B
// broadcast to X; Mean and InvStdDev hold each row's mean and 1/sqrt(var +
// epsilon).
func lnLayerNormRun[T nnFloat](k *lnLayerNorm) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		if len(xs) == 0 {
			return fmt.Errorf("%w: LayerNormalization of a scalar", ops.ErrShapeMismatch)
		}
		axis, err := ops.NormAxis(k.axis, len(xs))
		if err != nil {
			return err
		}
		sp, err := elemPlanFor(k.scalePlan, xs, xs, in[1].Shape())
		if err != nil {
			return err
		}
		var bp *elemPlan
		bias := rnnInput(in, 2)
		if bias != nil {
			if bp, err = elemPlanFor(k.biasPlan, xs, xs, bias.Shape()); err != nil {
				return err
			}
		}
		y, err := nnOut(out, 0, x.DType(), xs)
		if err != nil {
			return err
		}
		outer, inner := nnNumel(xs[:axis]), nnNumel(xs[axis:])
		stShape := make([]int, len(xs))
		for i := range stShape {
			stShape[i] = 1
			if i < axis {
				stShape[i] = xs[i]
			}
		}
		var stats [2]*tensor.Tensor
		var vals [2][]float64
		for i := range stats {
			if k.wantStat[i] && i+1 < len(out) {
				if stats[i], err = nnOut(out, i+1, k.stash, stShape); err != nil {
					return err
				}
				vals[i] = make([]float64, outer)
			}
		}
		xd, yd := tensor.Data[T](x), tensor.Data[T](y)
		for o := range outer {
			row, yrow := xd[o*inner:(o+1)*inner], yd[o*inner:(o+1)*inner]
			var s float64
			for _, v := range row {
				s += float64(v)
			}
			m := s / float64(inner)
			var q float64
			for _, v := range row {
				q += (float64(v) - m) * (float64(v) - m)
			}
			inv := 1 / math.Sqrt(q/float64(inner)+k.eps)
			for j, v := range row {
				yrow[j] = T((float64(v) - m) * inv)
			}
			if vals[0] != nil {
				vals[0][o] = m
			}
			if vals[1] != nil {
				vals[1][o] = inv
			}
		}
		elemRun2(sp, yd, yd, tensor.Data[T](in[1]), elemMulRow[T])
		if bp != nil {
			elemRun2(bp, yd, yd, tensor.Data[T](bias), elemAddRow[T])
		}
		for i, t := range stats {
			if t != nil {
				nnStoreFloat64s(t, vals[i])
			}
		}
		return nil
	}
}

func lnNewMVN(n *ops.Node) (ops.Kernel, error) {
	raw := n.AttrInts("axes")
	if r := n.In[0].Rank(); r >= 0 {
		if _, err := ops.MVNAxes(raw, r); err != nil {
			return nil, err
		}
	}
	return nnFloatKernel(n.In[0].DType, lnMVNRun[float32](raw), lnMVNRun[float64](raw), []int{0}, nnOutTypes(n)), nil
}

// lnMVNEpsilon is added to the standard deviation, as in the operator's
// function body.
const lnMVNEpsilon = 1e-9

// lnMVNRun: Y = (X - mean) / (sqrt(var) + 1e-9), with the mean and the
// population variance over the given axes.
func lnMVNRun[T nnFloat](axes []int64) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		ax, err := ops.MVNAxes(axes, len(xs))
		if err != nil {
			return err
		}
		y, err := nnOut(out, 0, x.DType(), xs)
		if err != nil {
			return err
		}
		if x.Len() == 0 {
			return nil
		}
		mask := make([]bool, len(xs))
		for _, a := range ax {
			mask[a] = true
		}
		p := newRedPlan(xs, mask)
		groups := x.Len() / p.count
		var buf [6]int
		odo := p.odometer(buf[:])
		xd, yd := tensor.Data[T](x), tensor.Data[T](y)
		cnt := float64(p.count)
		for range groups {
			var s float64
			for _, off := range p.runOffs {
				for j := range p.runLen {
					s += float64(xd[odo.base+off+j*p.runStride])
				}
			}
			m := s / cnt
			var q float64
			for _, off := range p.runOffs {
				for j := range p.runLen {
					d := float64(xd[odo.base+off+j*p.runStride]) - m
					q += d * d
				}
			}
			den := math.Sqrt(q/cnt) + lnMVNEpsilon
			for _, off := range p.runOffs {
				for j := range p.runLen {
					i := odo.base + off + j*p.runStride
					yd[i] = T((float64(xd[i]) - m) / den)
				}
			}
			odo.next()
		}
		return nil
	}
}
