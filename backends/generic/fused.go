package generic

import (
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// The reference kernels of onyx's fused nodes (ai.onyx:FusedConv and
// FusedGemm, written by the runtime's graph optimizer): the generic Conv or
// Gemm, then the residual add and the activation as separate passes. Arch
// backends register faster kernels that apply them in the GEMM epilogue.

func init() {
	regFused := func(op, base string, opset int64, inputs int, build ops.KernelFactory) {
		ops.RegisterKernel(ops.KernelDef{Domain: ops.OnyxDomain, Op: op, Backend: Name, Priority: ops.PriorityGeneric,
			New: func(n *ops.Node) (ops.Kernel, error) {
				if n.Out[0].DType != tensor.Float32 {
					return nil, nil
				}
				act, err := ops.ParseActivation(n)
				if err != nil {
					return nil, err
				}
				k, err := build(ops.Unfused(n, base, opset, inputs))
				if err != nil || k == nil {
					return nil, err
				}
				return fusedKernel{base: k, act: act, inputs: inputs}, nil
			}})
	}
	regFused("FusedConv", "Conv", 11, 3, nnNewConv)
	regFused("FusedGemm", "Gemm", 13, 3, nnNewGemm)
}

type fusedKernel struct {
	base   ops.Kernel
	act    ops.Activation
	inputs int // the residual, if any, is input number inputs
}

func (k fusedKernel) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	if err := k.base.Run(ec, in[:min(k.inputs, len(in))], out); err != nil {
		return err
	}
	y := tensor.Data[float32](out[0])
	if len(in) > k.inputs && in[k.inputs] != nil {
		z := in[k.inputs]
		if !tensor.SameShape(z.Shape(), out[0].Shape()) || z.DType() != tensor.Float32 {
			return ops.Errorf("residual %v%v does not match the result %v", z.DType(), z.Shape(), out[0].Shape())
		}
		for i, v := range tensor.Data[float32](z) {
			y[i] += v
		}
	}
	k.act.Apply(y)
	return nil
}
