package train

// Gradient rules of the neural-network operators: Gemm and MatMul as
// products with transposed operands; Conv, the pools, BatchNormalization,
// Dropout and the losses through onyx's gradient ops (ops/grad.go);
// Softmax and LogSoftmax through standard ops.

import (
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	for op, f := range map[string]GradFunc{
		"Gemm": gradGemm, "MatMul": gradMatMul, "Conv": gradConv,
		"MaxPool": gradMaxPool, "AveragePool": gradAveragePool,
		"GlobalAveragePool": gradGlobalAveragePool, "GlobalMaxPool": gradGlobalMaxPool,
		"BatchNormalization": gradBatchNorm, "Dropout": gradDropout,
		"Softmax": gradSoftmax, "LogSoftmax": gradSoftmax,
		"SoftmaxCrossEntropyLoss": gradLoss, "NegativeLogLikelihoodLoss": gradLoss,
	} {
		RegisterGradient("", op, f)
	}
}

// copyAttrs returns the node's attributes among names (those it sets).
func (c *Context) copyAttrs(names ...string) []*ir.Attribute {
	var out []*ir.Attribute
	for _, n := range names {
		if a := c.node.Attr(n); a != nil {
			out = append(out, a)
		}
	}
	return out
}

// gradGemm: Y = alpha*A'*B' + beta*C with A' = A or A^T, B' = B or B^T:
// dA' = alpha*dY*B'^T, dB' = alpha*A'^T*dY, dC = beta*dY summed to C's
// shape; each product is one Gemm with the right transposes.
func gradGemm(c *Context) ([]string, error) {
	n, e, dy := c.node, c.e, c.DY(0)
	ta, tb := n.AttrInt("transA") != 0, n.AttrInt("transB") != 0
	alpha, beta := n.AttrFloat("alpha"), n.AttrFloat("beta")
	a, b := c.In(0), c.In(1)
	gemm := func(x, y string, tx, ty bool, like int) string { return c.gemm(x, y, tx, ty, alpha, like) }
	g := c.grads()
	if c.Need(0) {
		if !ta {
			g[0] = gemm(dy, b, false, !tb, 0)
		} else {
			g[0] = gemm(b, dy, tb, true, 0)
		}
	}
	if c.Need(1) {
		if !tb {
			g[1] = gemm(a, dy, !ta, false, 1)
		} else {
			g[1] = gemm(dy, a, true, ta, 1)
		}
	}
	if c.Need(2) {
		t := dy
		if beta != 1 {
			t = c.typed(e.mul(dy, e.scalar(c.dtype(), float64(beta))))
		}
		g[2] = c.SumTo(t, 0, 2)
	}
	return g, nil
}

// gemm emits alpha * op(x) * op(y) as a Gemm (op transposes when tx or
// ty is set), typed like input like.
func (c *Context) gemm(x, y string, tx, ty bool, alpha float32, like int) string {
	e := c.e
	in := []string{x, y}
	attrs := []*ir.Attribute{attrFloat("alpha", alpha), attrInt("transA", b2i(tx)), attrInt("transB", b2i(ty))}
	if e.opset < 11 { // C is required before opset 11
		in = append(in, e.scalar(c.dtype(), 0))
		attrs = append(attrs, attrFloat("beta", 0))
	}
	return c.inputTyped(e.op("Gemm", in, attrs...), like)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// swapLast returns the Transpose permutation of a rank-r tensor that swaps
// its last two axes.
func swapLast(r int) []int64 {
	p := make([]int64, r)
	for i := range p {
		p[i] = int64(i)
	}
	p[r-1], p[r-2] = p[r-2], p[r-1]
	return p
}

// gradMatMul: numpy matmul, Y = A @ B with broadcast batch dims; a 1-D A is
// a row vector and a 1-D B a column vector. With A2, B2 and dY2 the
// operands and gradient made at least 2-D: dA = dY2 @ B2^T, dB = A2^T @ dY2,
// each summed over the batch dims its operand was broadcast along.
func gradMatMul(c *Context) ([]string, error) {
	n, e, dy := c.node, c.e, c.DY(0)
	as, bs := n.In[0].Shape, n.In[1].Shape
	if as == nil || bs == nil {
		return nil, fmt.Errorf("MatMul operands of unknown rank")
	}
	if len(as) == 0 || len(bs) == 0 {
		return nil, fmt.Errorf("MatMul of a scalar")
	}
	if len(as) == 2 && len(bs) == 2 {
		// Plain matrices: two Gemms with transposed operands, no copies.
		g := c.grads()
		if c.Need(0) {
			g[0] = c.gemm(dy, c.In(1), false, true, 1, 0)
		}
		if c.Need(1) {
			g[1] = c.gemm(c.In(0), dy, true, false, 1, 1)
		}
		return g, nil
	}
	dt := c.dtype()
	a2, a2s := c.In(0), as
	if len(as) == 1 {
		a2s = ir.Shape{ir.DimOf(1), as[0]}
		a2 = e.setType(e.unsqueeze(c.In(0), 0), dt, a2s)
	}
	b2, b2s := c.In(1), bs
	if len(bs) == 1 {
		b2s = ir.Shape{bs[0], ir.DimOf(1)}
		b2 = e.setType(e.unsqueeze(c.In(1), 1), dt, b2s)
	}
	batch, err := ops.BroadcastShapes(a2s[:len(a2s)-2], b2s[:len(b2s)-2])
	if err != nil {
		return nil, err
	}
	m, k, nn := a2s[len(a2s)-2], a2s[len(a2s)-1], b2s[len(b2s)-1]
	dy2 := dy
	switch {
	case len(as) == 1 && len(bs) == 1:
		dy2 = e.reshape(dy, e.ints(1, 1))
	case len(as) == 1:
		dy2 = e.unsqueeze(dy, int64(len(batch)))
	case len(bs) == 1:
		dy2 = e.unsqueeze(dy, int64(len(batch)+1))
	}
	shape := func(x, y ir.Dim) ir.Shape { return append(append(ir.Shape{}, batch...), x, y) }
	g := c.grads()
	if c.Need(0) {
		bt := e.op("Transpose", []string{b2}, attrInts("perm", swapLast(len(b2s))...))
		ga := e.sumTo(e.setType(e.op("MatMul", []string{dy2, bt}), dt, shape(m, k)), shape(m, k), a2)
		if len(as) == 1 {
			ga = e.reshape(ga, e.shapeOf(c.In(0)))
		}
		g[0] = c.inputTyped(ga, 0)
	}
	if c.Need(1) {
		at := e.op("Transpose", []string{a2}, attrInts("perm", swapLast(len(a2s))...))
		gb := e.sumTo(e.setType(e.op("MatMul", []string{at, dy2}), dt, shape(k, nn)), shape(k, nn), b2)
		if len(bs) == 1 {
			gb = e.reshape(gb, e.shapeOf(c.In(1)))
		}
		g[1] = c.inputTyped(gb, 1)
	}
	return g, nil
}

var convAttrNames = []string{"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}

// gradConv: dX = ConvGradInput(dY, W, shape(X)), dW = ConvGradWeight(dY,
// X, shape(W)), dB = dY summed over all axes but the channels.
func gradConv(c *Context) ([]string, error) {
	e, dy := c.e, c.DY(0)
	attrs := c.copyAttrs(convAttrNames...)
	g := c.grads()
	if c.Need(0) {
		g[0] = c.inputTyped(e.gradOp("ConvGradInput", []string{dy, c.In(1), e.shapeOf(c.In(0))}, 1, attrs...)[0], 0)
	}
	if c.Need(1) {
		g[1] = c.inputTyped(e.gradOp("ConvGradWeight", []string{dy, c.In(0), e.shapeOf(c.In(1))}, 1, attrs...)[0], 1)
	}
	if c.Need(2) {
		r := c.node.Out[0].Rank()
		if r < 0 {
			r = c.node.In[0].Rank()
		}
		if r < 3 {
			return nil, fmt.Errorf("Conv output of unknown rank")
		}
		axes := []int64{0}
		for i := 2; i < r; i++ {
			axes = append(axes, int64(i))
		}
		g[2] = c.inputTyped(e.reduceSum(dy, axes, false), 2)
	}
	return g, nil
}

var poolAttrNames = []string{"auto_pad", "kernel_shape", "pads", "strides", "ceil_mode", "dilations"}

// gradMaxPool: each dY element goes to the maximum of its window
// (MaxPoolGrad recomputes the argmax from X). Indices carry no gradient.
func gradMaxPool(c *Context) ([]string, error) {
	return unary(c, func(dy string) string {
		return c.e.gradOp("MaxPoolGrad", []string{dy, c.In(0)}, 1, c.copyAttrs(poolAttrNames...)...)[0]
	})
}

// gradGlobalMaxPool is MaxPool's gradient with a window covering the
// spatial dims, which must be known.
func gradGlobalMaxPool(c *Context) ([]string, error) {
	dims, ok := c.node.In[0].ConcreteShape()
	if !ok || len(dims) < 3 {
		return nil, errNoRule("GlobalMaxPool with spatial dims unknown when the graph is built")
	}
	k := make([]int64, len(dims)-2)
	for i, d := range dims[2:] {
		k[i] = int64(d)
	}
	return unary(c, func(dy string) string {
		return c.e.gradOp("MaxPoolGrad", []string{dy, c.In(0)}, 1, attrInts("kernel_shape", k...))[0]
	})
}

// gradAveragePool spreads each dY element evenly over its window.
func gradAveragePool(c *Context) ([]string, error) {
	return unary(c, func(dy string) string {
		attrs := c.copyAttrs(append(poolAttrNames, "count_include_pad")...)
		return c.e.gradOp("AveragePoolGrad", []string{dy, c.e.shapeOf(c.In(0))}, 1, attrs...)[0]
	})
}

// gradGlobalAveragePool: dX = dY broadcast over the spatial dims, divided
// by their count.
func gradGlobalAveragePool(c *Context) ([]string, error) {
	return unary(c, func(dy string) string {
		return c.e.div(c.e.expandTo(dy, c.In(0)), c.e.count(c.In(0), c.Out(0), c.dtype()))
	})
}

// gradBatchNorm: BatchNormalizationGrad gives dX, dScale and dB, from the
// batch's statistics in training mode and from the mean and var inputs
// otherwise. The running statistics (outputs 1 and 2) carry no gradient.
func gradBatchNorm(c *Context) ([]string, error) {
	n := c.node
	if !ops.BatchNormSpatial(n) {
		return nil, errNoRule("BatchNormalization with spatial = 0")
	}
	training := ops.BatchNormTraining(n)
	if !training && (c.Need(3) || c.Need(4)) {
		return nil, errNoRule("gradient of BatchNormalization's mean or var inputs (inference mode)")
	}
	g := c.grads()
	if !c.Need(0) && !c.Need(1) && !c.Need(2) {
		return g, nil
	}
	outs := make([]string, 3)
	for i := range outs {
		if c.Need(i) {
			outs[i] = c.e.names.fresh("grad_BatchNormalizationGrad")
			g[i] = c.inputTyped(outs[i], i)
		}
	}
	c.e.m.OpsetImports[ops.GradDomain] = 1
	c.e.nodeWith(ops.GradDomain, "BatchNormalizationGrad",
		[]string{c.DY(0), c.In(0), c.In(1), c.In(3), c.In(4)}, outs,
		attrFloat("epsilon", n.AttrFloat("epsilon")), attrInt("training_mode", b2i(training)))
	return g, nil
}

// gradDropout: in training mode the gradient is dY times the forward
// mask, scaled by 1/(1 - ratio) (DropoutGrad); in inference mode it is dY.
// A training-mode Dropout that does not output its mask is given one.
func gradDropout(c *Context) ([]string, error) {
	n := c.node
	var ratio, training string
	switch {
	case n.Opset >= 12:
		if !n.HasIn(2) {
			return gradIdentity(c)
		}
		ratio, training = c.In(1), c.In(2)
	case n.Schema != nil && n.Schema.Attr("is_test") != nil && n.AttrInt("is_test") == 0:
		ratio = c.e.constant(fmt.Sprint("dropout-ratio/", n.AttrFloat("ratio")), floatScalar(tensor.Float32, float64(n.AttrFloat("ratio"))), "grad_ratio")
		training = c.e.boolScalar(true)
	default:
		return gradIdentity(c)
	}
	mask := c.Out(1)
	if mask == "" {
		repl := cloneNode(n.Node)
		for len(repl.Outputs) < 2 {
			repl.Outputs = append(repl.Outputs, "")
		}
		mask = c.e.names.fresh(n.Outputs[0] + "_mask")
		repl.Outputs[1] = mask
		replaceNode(c.e.g, n.Node, repl)
	}
	return unary(c, func(dy string) string {
		return c.e.gradOp("DropoutGrad", []string{dy, mask, ratio, training}, 1)[0]
	})
}

// gradSoftmax: for Y = softmax(X), dX = Y * (dY - sum(dY * Y)); for Y =
// logsoftmax(X), dX = dY - exp(Y) * sum(dY); the sums run along the axis
// (opset 13+) or over the axes from axis on (before, where the input is
// flattened to 2-D at axis), keeping dims.
func gradSoftmax(c *Context) ([]string, error) {
	n, e := c.node, c.e
	r := n.In[0].Rank()
	if r < 0 {
		return nil, fmt.Errorf("%s input of unknown rank", n.OpType)
	}
	axis, err := ops.NormAxis(n.AttrInt("axis"), r)
	if err != nil {
		return nil, err
	}
	axes := []int64{int64(axis)}
	if n.Opset < 13 {
		axes = axes[:0]
		for i := axis; i < r; i++ {
			axes = append(axes, int64(i))
		}
	}
	y := c.Out(0)
	return unary(c, func(dy string) string {
		if n.OpType == "LogSoftmax" {
			return e.sub(dy, e.mul(e.op("Exp", []string{y}), e.reduceSum(dy, axes, true)))
		}
		return e.mul(y, e.sub(dy, e.reduceSum(e.mul(dy, y), axes, true)))
	})
}

// gradLoss: SoftmaxCrossEntropyLoss's gradient with respect to its scores,
// and NegativeLogLikelihoodLoss's with respect to its input.
func gradLoss(c *Context) ([]string, error) {
	n := c.node
	if c.DY(1) != "" {
		return nil, errNoRule("gradient through SoftmaxCrossEntropyLoss's log_prob output")
	}
	if c.Need(2) {
		return nil, errNoRule("gradient of %s's weights", n.OpType)
	}
	ins := []string{c.DY(0), c.In(0), c.In(1)}
	if n.HasIn(2) {
		ins = append(ins, c.In(2))
	}
	attrs := c.copyAttrs("ignore_index", "reduction")
	return unary(c, func(string) string {
		return c.e.gradOp(n.OpType+"Grad", ins, 1, attrs...)[0]
	})
}
