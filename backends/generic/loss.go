package generic

// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss. Sums are
// accumulated in float64.

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("NegativeLogLikelihoodLoss", lossNew)
	register("SoftmaxCrossEntropyLoss", lossNew)
}

// lossNode is what a loss node's factory decides once.
type lossNode struct {
	softmax   bool // SoftmaxCrossEntropyLoss: input 0 holds scores
	reduction string
	hasIgnore bool
	ignore    int64
	wantLog   bool // log_prob requested
}

func lossNew(n *ops.Node) (ops.Kernel, error) {
	red, err := ops.LossReduction(n)
	if err != nil {
		return nil, err
	}
	if n.In[1].DType != tensor.Int32 && n.In[1].DType != tensor.Int64 {
		return nil, ops.Errorf("%s target has type %v, want int32 or int64", n.OpType, n.In[1].DType)
	}
	if n.HasIn(2) && n.In[2].DType != n.In[0].DType {
		return nil, ops.Errorf("%s weight has type %v, input has %v", n.OpType, n.In[2].DType, n.In[0].DType)
	}
	k := &lossNode{softmax: n.OpType == "SoftmaxCrossEntropyLoss", reduction: red,
		hasIgnore: n.HasAttr("ignore_index"), ignore: n.AttrInt("ignore_index"), wantLog: n.HasOut(1)}
	return nnFloatKernel(n.In[0].DType, lossRun[float32](k), lossRun[float64](k), []int{0, 1}, nnOutTypes(n)), nil
}

// lossRun computes, for every sample (n, d1, ..., dk) with class c =
// target[n, d...], loss = -logp[n, c, d...] * weight[c] (0 when c is
// ignore_index), where logp is input 0 (NLL) or its log-softmax along axis
// 1 (SCE), then reduces: none, sum, or sum / (sum of the applied weights).
func lossRun[T nnFloat](k *lossNode) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		x, tgt := in[0], in[1]
		xs, ts := x.Shape(), tgt.Shape()
		if len(xs) < 2 || len(ts) != len(xs)-1 || ts[0] != xs[0] || !tensor.SameShape(ts[1:], xs[2:]) {
			return fmt.Errorf("%w: loss input shape %v and target shape %v do not fit", ops.ErrShapeMismatch, xs, ts)
		}
		N, C, D := xs[0], xs[1], nnNumel(xs[2:])
		var weight []T
		if w := rnnInput(in, 2); w != nil {
			if !tensor.SameShape(w.Shape(), []int{C}) {
				return fmt.Errorf("%w: loss weight shape %v, want [%d]", ops.ErrShapeMismatch, w.Shape(), C)
			}
			weight = tensor.Data[T](w)
		}
		target, err := tgt.Int64s()
		if err != nil {
			return err
		}
		logp := tensor.Data[T](x)
		if k.softmax {
			var buf []T
			if k.wantLog && len(out) > 1 {
				lp, err := nnOut(out, 1, x.DType(), xs)
				if err != nil {
					return err
				}
				buf = tensor.Data[T](lp)
			} else {
				buf = make([]T, len(logp))
			}
			lossLogSoftmax(logp, buf, N, C, D)
			logp = buf
		}
		outShape := []int{}
		if k.reduction == ops.LossReduceNone {
			outShape = ts
		}
		y, err := nnOut(out, 0, x.DType(), outShape)
		if err != nil {
			return err
		}
		yd := tensor.Data[T](y)
		var sum, wsum float64
		for n := range N {
			for d := range D {
				i := n*D + d
				c := target[i]
				var l, w float64
				if !k.hasIgnore || c != k.ignore {
					if c < 0 || c >= int64(C) {
						return fmt.Errorf("%w: loss target %d out of range [0, %d)", ops.ErrShapeMismatch, c, C)
					}
					w = 1
					if weight != nil {
						w = float64(weight[c])
					}
					l = -float64(logp[(n*C+int(c))*D+d]) * w
				}
				if k.reduction == ops.LossReduceNone {
					yd[i] = T(l)
				}
				sum += l
				wsum += w
			}
		}
		switch k.reduction {
		case ops.LossReduceSum:
			yd[0] = T(sum)
		case ops.LossReduceMean:
			yd[0] = T(sum / wsum)
		}
		return nil
	}
}

// lossLogSoftmax writes the log-softmax of x (N x C x D) along C into y.
func lossLogSoftmax[T nnFloat](x, y []T, N, C, D int) {
	for n := range N {
		for d := range D {
			base := n*C*D + d
			m := math.Inf(-1)
			for c := range C {
				m = max(m, float64(x[base+c*D]))
			}
			var s float64
			for c := range C {
				s += math.Exp(float64(x[base+c*D]) - m)
			}
			lse := m + math.Log(s)
			for c := range C {
				y[base+c*D] = T(float64(x[base+c*D]) - lse)
			}
		}
	}
}
