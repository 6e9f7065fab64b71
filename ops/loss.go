package ops

// Schemas of the loss operators NegativeLogLikelihoodLoss and
// SoftmaxCrossEntropyLoss.

import (
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// Loss reductions (the reduction attribute).
const (
	LossReduceNone = "none"
	LossReduceSum  = "sum"
	LossReduceMean = "mean"
)

// LossReduction returns a loss node's reduction attribute, checked.
func LossReduction(n *Node) (string, error) {
	switch r := n.AttrString("reduction"); r {
	case LossReduceNone, LossReduceSum, LossReduceMean:
		return r, nil
	default:
		return "", Errorf("reduction %q is not none, sum or mean", r)
	}
}

// inferLoss infers both losses: input 0 is (N, C, d1, ..., dk), input 1 the
// class indices (N, d1, ..., dk), input 2 the optional per-class weights
// (C). Output 0 is the loss (per sample for reduction none, else a scalar);
// SoftmaxCrossEntropyLoss's optional output 1 has input 0's shape.
func inferLoss(n *Node) ([]TypeShape, error) {
	red, err := LossReduction(n)
	if err != nil {
		return nil, err
	}
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return nil, err
	}
	if err := n.CheckDType(1, tensor.Int32, tensor.Int64); err != nil {
		return nil, err
	}
	if err := nnSameDType(n, 2); err != nil {
		return nil, err
	}
	x, t := n.In[0].Shape, n.In[1].Shape
	if x != nil && len(x) < 2 {
		return nil, fmt.Errorf("%w: %s input must have rank >= 2, got %d", ErrShapeMismatch, n.OpType, len(x))
	}
	if x != nil && t != nil && len(t) != len(x)-1 {
		return nil, fmt.Errorf("%w: %s target rank %d, want input rank %d - 1", ErrShapeMismatch, n.OpType, len(t), len(x))
	}
	var per ir.Shape // the per-sample loss shape
	switch {
	case x != nil:
		per = append(ir.Shape{x[0]}, x[2:]...)
		for i := range t {
			if err := nnCheckDimEq(t[i], per[i], n.OpType+" target shape vs input shape"); err != nil {
				return nil, err
			}
			per[i] = rnnPick(per[i], t[i])
		}
	case t != nil:
		per = append(ir.Shape(nil), t...)
	}
	if n.HasIn(2) {
		if w := n.In[2].Shape; w != nil {
			if len(w) != 1 {
				return nil, fmt.Errorf("%w: %s weight must be 1-D, got rank %d", ErrShapeMismatch, n.OpType, len(w))
			}
			if err := nnCheckDimEq(w[0], nnDim(x, 1), n.OpType+" weight size vs classes"); err != nil {
				return nil, err
			}
		}
	}
	dt := n.In[0].DType
	res := []TypeShape{Ranked(dt, per)}
	if red != LossReduceNone {
		res[0].Shape = ir.Shape{}
	}
	if n.OpType == "SoftmaxCrossEntropyLoss" {
		res = append(res, Ranked(dt, x))
	}
	return res, nil
}

func init() {
	attrs := []AttrDef{nnA("ignore_index", ir.AttrInt, nil), nnA("reduction", ir.AttrString, LossReduceMean)}
	registerVersions([]int64{12, 13, 22}, func(int64) *Schema {
		return &Schema{Name: "NegativeLogLikelihoodLoss", MinInputs: 2, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
			Attrs: attrs, Infer: inferLoss, Doc: "(weighted) negative log-likelihood loss of log-probabilities"}
	})
	registerVersions([]int64{12, 13}, func(int64) *Schema {
		return &Schema{Name: "SoftmaxCrossEntropyLoss", MinInputs: 2, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 2,
			Attrs: attrs, Infer: inferLoss, Doc: "(weighted) cross-entropy of softmax(scores), optionally with the log-probabilities"}
	})
}
