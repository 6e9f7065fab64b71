package generic

// The optimizer ops of the ai.onnx.preview.training domain: Adagrad,
// Momentum (standard and Nesterov) and Adam, with Operators.md's update
// formulas, computed in float64 per element for float32 and float64
// tensors. Every optimized tensor's gradient and states must have its
// shape. Outputs may alias inputs element for element: each element is
// read before it is written.

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	for _, op := range []string{"Adagrad", "Momentum", "Adam"} {
		ops.RegisterKernel(ops.KernelDef{
			Domain: ops.TrainingDomain, Op: op, Backend: Name, Priority: ops.PriorityGeneric,
			New: trnNewOptimizer,
		})
	}
}

// trnRule updates one element: x and the gradient g, with the states s
// (one per state kind of the op, in input order), returns the new x and
// stores the new states back in s. r is the step's learning rate and t
// the update count.
type trnRule func(r float64, t int64, x, g float64, s []float64) float64

// trnOptimizer is an optimizer node's kernel.
type trnOptimizer struct {
	op     string
	k      int // optimized tensors
	layout ops.TrainingGroups
	rule   trnRule
}

func trnNewOptimizer(n *ops.Node) (ops.Kernel, error) {
	k, err := ops.TrainingCount(n)
	if err != nil {
		return nil, err
	}
	for i := 2; i < len(n.In); i++ {
		if dt := n.In[i].DType; dt != tensor.Float32 && dt != tensor.Float64 {
			return nil, nil
		}
	}
	f := func(name string) float64 { return float64(n.AttrFloat(name)) }
	norm := f("norm_coefficient")
	var rule trnRule
	switch n.OpType {
	case "Adagrad":
		decay, eps := f("decay_factor"), f("epsilon")
		rule = func(r float64, t int64, x, g float64, s []float64) float64 {
			r /= 1 + float64(t)*decay
			gr := norm*x + g
			s[0] += gr * gr // H
			return x - r*gr/(math.Sqrt(s[0])+eps)
		}
	case "Momentum":
		alpha, beta := f("alpha"), f("beta")
		var nesterov bool
		switch m := n.AttrString("mode"); m {
		case "standard":
		case "nesterov":
			nesterov = true
		default:
			return nil, ops.Errorf("Momentum mode %q, want standard or nesterov", m)
		}
		rule = func(r float64, t int64, x, g float64, s []float64) float64 {
			gr := norm*x + g
			b := beta
			if t <= 0 {
				b = 1
			}
			s[0] = alpha*s[0] + b*gr // V
			if nesterov {
				return x - r*(gr+alpha*s[0])
			}
			return x - r*s[0]
		}
	case "Adam":
		alpha, beta, eps, post := f("alpha"), f("beta"), f("epsilon"), f("norm_coefficient_post")
		rule = func(r float64, t int64, x, g float64, s []float64) float64 {
			gr := norm*x + g
			s[0] = alpha*s[0] + (1-alpha)*gr  // V
			s[1] = beta*s[1] + (1-beta)*gr*gr // H
			if t > 0 {
				r *= math.Sqrt(1-math.Pow(beta, float64(t))) / (1 - math.Pow(alpha, float64(t)))
			}
			return (1 - post) * (x - r*s[0]/(math.Sqrt(s[1])+eps))
		}
	default:
		return nil, nil
	}
	layout, _ := ops.TrainingLayout(n.OpType)
	return &trnOptimizer{op: n.OpType, k: k, layout: layout, rule: rule}, nil
}

// Run implements ops.Kernel.
func (o *trnOptimizer) Run(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	if in[0].Len() != 1 || in[1].Len() != 1 {
		return fmt.Errorf("%w: %s: R %v and T %v must be scalars", ops.ErrShapeMismatch, o.op, in[0].Shape(), in[1].Shape())
	}
	rs, err := in[0].Float64s()
	if err != nil {
		return err
	}
	ts, err := in[1].Int64s()
	if err != nil {
		return err
	}
	r, t := rs[0], ts[0]
	for i := range o.k {
		x := in[2+i]
		// The inputs of tensor i: X, G, then its states.
		ins := make([]*tensor.Tensor, o.layout.In)
		for g := range ins {
			ins[g] = in[2+g*o.k+i]
			if ins[g].DType() != x.DType() || !tensor.SameShape(ins[g].Shape(), x.Shape()) {
				return fmt.Errorf("%w: %s: input %d is %v%v, want %v%v like input %d", ops.ErrShapeMismatch, o.op,
					2+g*o.k+i, ins[g].DType(), ins[g].Shape(), x.DType(), x.Shape(), 2+i)
			}
		}
		// Its outputs: X_new, then the new states.
		outs := make([]*tensor.Tensor, len(o.layout.OutFrom))
		for j := range outs {
			if outs[j], err = nnOut(out, j*o.k+i, x.DType(), x.Shape()); err != nil {
				return err
			}
		}
		switch x.DType() {
		case tensor.Float32:
			trnApply[float32](o.rule, r, t, ins, outs)
		case tensor.Float64:
			trnApply[float64](o.rule, r, t, ins, outs)
		default:
			return ops.Errorf("%s: input %d is %v, want float32 or float64", o.op, 2+i, x.DType())
		}
	}
	return nil
}

// trnApply runs rule over every element: ins are X, G and the states,
// outs the new X and the new states.
func trnApply[T float32 | float64](rule trnRule, r float64, t int64, ins, outs []*tensor.Tensor) {
	x, g := tensor.Data[T](ins[0]), tensor.Data[T](ins[1])
	states := make([][]T, len(ins)-2)
	newStates := make([][]T, len(outs)-1)
	for j := range states {
		states[j] = tensor.Data[T](ins[2+j])
		newStates[j] = tensor.Data[T](outs[1+j])
	}
	xn := tensor.Data[T](outs[0])
	s := make([]float64, len(states))
	for e := range x {
		for j, st := range states {
			s[j] = float64(st[e])
		}
		v := rule(r, t, float64(x[e]), float64(g[e]), s)
		for j, ns := range newStates {
			ns[e] = T(s[j])
		}
		xn[e] = T(v)
	}
}
