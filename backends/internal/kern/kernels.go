package kern

// The Gemm, MatMul and 1x1 Conv kernels on the SGEMM. Each factory declines
// (nil, nil) what it does not handle, so that the generic kernel runs.

import (
	"fmt"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// registerOps registers with ops the kernels built on g.
func registerOps(g *ISA) {
	reg := func(domain, op string, since int64, f func(*ISA, *ops.Node) (ops.Kernel, error)) {
		ops.RegisterKernel(ops.KernelDef{Domain: domain, Op: op, Backend: g.Name, Priority: ops.PriorityArch, Since: since,
			New: func(n *ops.Node) (ops.Kernel, error) { return f(g, n) }})
	}
	// The convolutions first, with Since 1 so that the (backend, since) key
	// differs from the 1x1 kernel's (conv.go).
	reg("", "Conv", 1, func(g *ISA, n *ops.Node) (ops.Kernel, error) { return convNew(g, n, false) })
	reg(ops.OnyxDomain, "FusedConv", 1, func(g *ISA, n *ops.Node) (ops.Kernel, error) { return convNew(g, n, true) })
	reg("", "Gemm", 7, kerNewGemm)
	reg("", "MatMul", 0, kerNewMatMul)
	reg("", "Conv", 0, kerNewConv1x1)
	// The runtime's fused nodes: the activation and the residual go into
	// the GEMM epilogue.
	reg(ops.OnyxDomain, "FusedGemm", 0, kerNewFusedGemm)
	reg(ops.OnyxDomain, "FusedConv", 0, kerNewFusedConv1x1)
	// The pools (pool.go).
	reg("", "MaxPool", 0, poolNew)
	reg("", "AveragePool", 0, poolNew)
	reg("", "GlobalAveragePool", 0, poolNewGlobalAvg)
	// The conv's gradients, which package train emits (conv_grad.go).
	reg(ops.GradDomain, "ConvGradInput", 0, func(g *ISA, n *ops.Node) (ops.Kernel, error) { return convGradNew(g, n, false) })
	reg(ops.GradDomain, "ConvGradWeight", 0, func(g *ISA, n *ops.Node) (ops.Kernel, error) { return convGradNew(g, n, true) })
}

// kerIsF32 reports whether inputs idx of n are known to be float32 (or
// absent).
func kerIsF32(n *ops.Node, idx ...int) bool {
	for _, i := range idx {
		if i < len(n.In) && !n.In[i].Absent && n.In[i].DType != tensor.Float32 {
			return false
		}
	}
	return len(n.In) > 0 && !n.In[0].Absent
}

// kerOut returns out[i] if it is a float32 tensor of the shape, else a new
// one stored in out[i].
func kerOut(out []*tensor.Tensor, i int, shape []int) (*tensor.Tensor, error) {
	if t := out[i]; t != nil && t.DType() == tensor.Float32 && tensor.SameShape(t.Shape(), shape) {
		return t, nil
	}
	// A copy, so that shape does not escape (callers build it on the stack).
	t, err := tensor.New(tensor.Float32, append([]int(nil), shape...)...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ops.ErrShapeMismatch, err)
	}
	out[i] = t
	return t, nil
}

// kerPackConstB packs input i of n, a constant 2-D float32 matrix, as op(B)
// (transposed when trans), or returns nil if it is not one.
func kerPackConstB(g *ISA, n *ops.Node, i int, trans bool) *PackedB {
	v := n.InValue(i)
	if v == nil || v.DType() != tensor.Float32 || v.Rank() != 2 {
		return nil
	}
	s := v.Shape()
	k, nn := s[0], s[1]
	if trans {
		k, nn = nn, k
	}
	if k == 0 || nn == 0 {
		return nil
	}
	return g.PackB(k, nn, tensor.Data[float32](v), s[1], trans)
}

// kerAct is a fused node's activation as Epilogue fields.
type kerAct struct {
	act               Activation
	lo, hi, leakSlope float32
}

// kerActOf converts a fused node's activation.
func kerActOf(a ops.Activation) (kerAct, bool) {
	switch a.Kind {
	case ops.ActNone:
		return kerAct{}, true
	case ops.ActRelu:
		return kerAct{act: ActRelu}, true
	case ops.ActClip:
		return kerAct{act: ActClip, lo: a.Params[0], hi: a.Params[1]}, true
	case ops.ActLeakyRelu:
		return kerAct{act: ActLeakyRelu, leakSlope: a.Params[0]}, true
	case ops.ActHardSwish:
		return kerAct{act: ActHardSwish}, true
	case ops.ActSigmoid:
		return kerAct{act: ActSigmoid}, true
	}
	return kerAct{}, false
}

func (a kerAct) apply(ep *Epilogue) {
	ep.Act, ep.Min, ep.Max, ep.ActAlpha = a.act, a.lo, a.hi, a.leakSlope
}

// kerFusedAct reads a fused node's activation; ok is false when the node
// is not float32 or its activation is not understood (the generic kernel
// then reports it).
func kerFusedAct(n *ops.Node) (kerAct, bool) {
	if len(n.Out) == 0 || n.Out[0].DType != tensor.Float32 {
		return kerAct{}, false
	}
	a, err := ops.ParseActivation(n)
	if err != nil {
		return kerAct{}, false
	}
	return kerActOf(a)
}

// kerNewFusedGemm builds ai.onyx:FusedGemm: Gemm (opset 13) then an
// activation, in the epilogue.
func kerNewFusedGemm(g *ISA, n *ops.Node) (ops.Kernel, error) {
	act, ok := kerFusedAct(n)
	if !ok {
		return nil, nil
	}
	k, err := kerNewGemm(g, ops.Unfused(n, "Gemm", 13, 3))
	if err != nil || k == nil {
		return nil, err
	}
	k.(*kerGemm).act = act
	return k, nil
}

// kerNewFusedConv1x1 builds ai.onyx:FusedConv for a 1x1 window: Conv
// (opset 11) + bias, + Z (input 3, optional, the output's shape), then an
// activation, all in the epilogue.
func kerNewFusedConv1x1(g *ISA, n *ops.Node) (ops.Kernel, error) {
	act, ok := kerFusedAct(n)
	if !ok {
		return nil, nil
	}
	k, err := kerNewConv1x1(g, ops.Unfused(n, "Conv", 11, 3))
	if err != nil || k == nil {
		return nil, err
	}
	c := k.(*kerConv1x1)
	c.act = act
	c.residual = n.HasIn(3)
	return c, nil
}

// kerGemm is Gemm (opset 7+): Y = alpha*op(A)*op(B) + beta*C, C
// unidirectionally broadcast to M x N, then act (for FusedGemm).
type kerGemm struct {
	g              *ISA
	transA, transB bool
	alpha, beta    float32
	pb             *PackedB // op(B) when B is constant
	act            kerAct
}

func kerNewGemm(g *ISA, n *ops.Node) (ops.Kernel, error) {
	if !kerIsF32(n, 0, 1, 2) {
		return nil, nil
	}
	k := &kerGemm{g: g, transA: n.AttrInt("transA") != 0, transB: n.AttrInt("transB") != 0,
		alpha: n.AttrFloat("alpha"), beta: n.AttrFloat("beta")}
	if k.alpha == 0 {
		return nil, nil // Y = beta*C: nothing for a GEMM to do
	}
	k.pb = kerPackConstB(g, n, 1, k.transB)
	return k, nil
}

func (k *kerGemm) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	a, b := in[0], in[1]
	as, bs := a.Shape(), b.Shape()
	if len(as) != 2 || len(bs) != 2 {
		return fmt.Errorf("%w: Gemm inputs %v and %v must be 2-D", ops.ErrShapeMismatch, as, bs)
	}
	m, kk, lda := as[0], as[1], as[1]
	if k.transA {
		m, kk = kk, m
	}
	k2, n, ldb := bs[0], bs[1], bs[1]
	if k.transB {
		k2, n = n, k2
	}
	if kk != k2 {
		return fmt.Errorf("%w: Gemm op(A) is %dx%d, op(B) is %dx%d", ops.ErrShapeMismatch, m, kk, k2, n)
	}
	y, err := kerOut(out, 0, []int{m, n})
	if err != nil {
		return err
	}
	yd := tensor.Data[float32](y)
	ep := Epilogue{Alpha: k.alpha}
	if len(in) > 2 && in[2] != nil && k.beta != 0 {
		if ep, err = kerGemmBias(in[2], k.alpha, k.beta, m, n, yd); err != nil {
			return err
		}
	}
	if m == 0 || n == 0 {
		return nil
	}
	k.act.apply(&ep)
	opA := gemmOpA{a: tensor.Data[float32](a), lda: lda, trans: k.transA}
	if k.pb != nil {
		k.g.run(m, n, kk, opA, gemmOpB{packed: k.pb}, yd, n, &ep)
	} else {
		k.g.run(m, n, kk, opA, gemmOpB{b: tensor.Data[float32](b), ldb: ldb, trans: k.transB}, yd, n, &ep)
	}
	return nil
}

// kerGemmBias returns the epilogue that adds beta*C, C broadcast to m x n:
// a residual, a row or a column bias (C itself when beta is 1), or, for a
// full C scaled by beta, C copied into y and read back through Beta.
func kerGemmBias(c *tensor.Tensor, alpha, beta float32, m, n int, y []float32) (Epilogue, error) {
	ep := Epilogue{Alpha: alpha}
	cs := c.Shape()
	if len(cs) > 2 {
		return ep, fmt.Errorf("%w: Gemm C shape %v has rank > 2", ops.ErrShapeMismatch, cs)
	}
	cr, cc := 1, 1
	switch len(cs) {
	case 2:
		cr, cc = cs[0], cs[1]
	case 1:
		cc = cs[0]
	}
	if (cr != 1 && cr != m) || (cc != 1 && cc != n) {
		return ep, fmt.Errorf("%w: Gemm C shape %v does not broadcast to %dx%d", ops.ErrShapeMismatch, cs, m, n)
	}
	cd := tensor.Data[float32](c)
	scaled := func(v []float32) []float32 {
		if beta == 1 {
			return v
		}
		s := make([]float32, len(v))
		for i, x := range v {
			s[i] = beta * x
		}
		return s
	}
	switch {
	case cr == m && cc == n:
		if beta == 1 {
			ep.Residual, ep.LdResidual = cd, n
		} else {
			copy(y, cd)
			ep.Beta = beta
		}
	case cc == n:
		ep.ColBias = scaled(cd[:n])
	case cr == m:
		ep.RowBias = scaled(cd[:m])
	default: // one value for all
		col := make([]float32, n)
		for j := range col {
			col[j] = beta * cd[0]
		}
		ep.ColBias = col
	}
	return ep, nil
}

// kerMatMul is MatMul (numpy.matmul) on float32: a 1-D A is a row vector,
// leading batch dims broadcast. The factory declines a 1-D B (a
// matrix-vector product, which the generic kernel does as well).
type kerMatMul struct {
	g  *ISA
	pb *PackedB // B when it is a constant matrix
}

func kerNewMatMul(g *ISA, n *ops.Node) (ops.Kernel, error) {
	if !kerIsF32(n, 0, 1) || len(n.In) < 2 {
		return nil, nil
	}
	if s := n.In[1].Shape; s != nil && len(s) < 2 {
		return nil, nil
	}
	return &kerMatMul{g: g, pb: kerPackConstB(g, n, 1, false)}, nil
}

func (k *kerMatMul) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	a, b := in[0], in[1]
	as, bs := a.Shape(), b.Shape()
	if len(as) == 0 || len(bs) < 2 {
		return fmt.Errorf("%w: MatMul %v x %v (the %s kernels take B of rank >= 2)", ops.ErrShapeMismatch, as, bs, k.g.Name)
	}
	aa := as
	if len(as) == 1 {
		aa = []int{1, as[0]}
	}
	m, kk := aa[len(aa)-2], aa[len(aa)-1]
	k2, n := bs[len(bs)-2], bs[len(bs)-1]
	if kk != k2 {
		return fmt.Errorf("%w: MatMul %v x %v", ops.ErrShapeMismatch, as, bs)
	}
	ab, bb := aa[:len(aa)-2], bs[:len(bs)-2]
	batch := ab
	if len(bb) > 0 {
		var err error
		if batch, err = tensor.BroadcastShapes(ab, bb); err != nil {
			return fmt.Errorf("%w: MatMul %v x %v", ops.ErrShapeMismatch, as, bs)
		}
	}
	var ysBuf [8]int
	ys := append(ysBuf[:0], batch...)
	if len(as) > 1 {
		ys = append(ys, m)
	}
	ys = append(ys, n)
	y, err := kerOut(out, 0, ys)
	if err != nil {
		return err
	}
	ad, bd, yd := tensor.Data[float32](a), tensor.Data[float32](b), tensor.Data[float32](y)
	if m == 0 || n == 0 || len(yd) == 0 {
		return nil
	}
	nb := len(yd) / (m * n)
	bBatch := 1
	for _, d := range bb {
		bBatch *= d
	}
	if bBatch == 1 {
		// One B: A's batch dims fold into its rows.
		mm := len(ad) / max(kk, 1)
		if kk == 0 {
			mm = nb * m
		}
		if k.pb != nil && k.pb.k == kk && k.pb.n == n {
			k.g.run(mm, n, kk, gemmOpA{a: ad, lda: max(kk, 1)}, gemmOpB{packed: k.pb}, yd, n, nil)
		} else {
			k.g.run(mm, n, kk, gemmOpA{a: ad, lda: max(kk, 1)}, gemmOpB{b: bd, ldb: n}, yd, n, nil)
		}
		return nil
	}
	tensor.BroadcastPairs(ab, bb, batch, func(i, ao, bo int) {
		k.g.run(m, n, kk, gemmOpA{a: ad[ao*m*kk:], lda: max(kk, 1)}, gemmOpB{b: bd[bo*kk*n:], ldb: n}, yd[i*m*n:], n, nil)
	})
	return nil
}

// kerConv1x1 is a Conv whose window is one pixel (all kernel dims 1, stride
// 1, dilation 1, no padding, one group) and whose weights are constant: per
// image, Y[Cout][HW] = W[Cout][Cin] * X[Cin][HW] + bias, a GEMM with the
// packed weights as A.
type kerConv1x1 struct {
	g        *ISA
	pa       *PackedA // W as Cout x Cin
	cout     int
	cin      int
	rank     int       // of X and W
	constB   []float32 // the bias when it is constant
	hasBias  bool
	act      kerAct // FusedConv's activation
	residual bool   // FusedConv's input 3 (Z) is given
}

func kerNewConv1x1(g *ISA, n *ops.Node) (ops.Kernel, error) {
	if !kerIsF32(n, 0, 1, 2) || len(n.In) < 2 {
		return nil, nil
	}
	w := n.InValue(1)
	if w == nil || w.DType() != tensor.Float32 || w.Rank() < 3 || n.AttrInt("group") != 1 {
		return nil, nil
	}
	ws := w.Shape()
	kernel := make([]int, len(ws)-2)
	for i := range kernel {
		if ws[i+2] != 1 {
			return nil, nil
		}
		kernel[i] = 1
	}
	win, err := ops.ParseSpatialWindow(n, kernel)
	if err != nil {
		return nil, nil // the generic kernel reports it
	}
	for i := range kernel {
		if win.Strides[i] != 1 || win.Dilations[i] != 1 {
			return nil, nil
		}
		if win.AutoPad == ops.AutoPadNotSet && (win.Pads[i] != 0 || win.Pads[i+len(kernel)] != 0) {
			return nil, nil
		}
	}
	if ks := n.AttrInts("kernel_shape"); len(ks) > 0 && len(ks) != len(kernel) {
		return nil, nil
	}
	for _, v := range n.AttrInts("kernel_shape") {
		if v != 1 {
			return nil, nil
		}
	}
	cout, cin := ws[0], ws[1]
	if cout == 0 || cin == 0 {
		return nil, nil
	}
	k := &kerConv1x1{g: g, cout: cout, cin: cin, rank: len(ws),
		pa: g.PackA(cout, cin, tensor.Data[float32](w), cin, false)}
	if n.HasIn(2) {
		k.hasBias = true
		if bv := n.InValue(2); bv != nil {
			k.constB = tensor.Data[float32](bv)
		}
	}
	return k, nil
}

func (k *kerConv1x1) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	x := in[0]
	xs := x.Shape()
	if len(xs) != k.rank || xs[1] != k.cin {
		return fmt.Errorf("%w: Conv input %v for a weight of %d input channels and rank %d", ops.ErrShapeMismatch, xs, k.cin, k.rank)
	}
	var ysBuf [8]int
	ys := append(append(ysBuf[:0], xs[0], k.cout), xs[2:]...)
	y, err := kerOut(out, 0, ys)
	if err != nil {
		return err
	}
	ep := Epilogue{Alpha: 1}
	if k.hasBias && len(in) > 2 && in[2] != nil {
		bias := k.constB
		if bias == nil {
			bias = tensor.Data[float32](in[2])
		}
		if len(bias) != k.cout || in[2].Rank() != 1 {
			return fmt.Errorf("%w: Conv bias %v for %d feature maps", ops.ErrShapeMismatch, in[2].Shape(), k.cout)
		}
		ep.RowBias = bias
	}
	var zd []float32
	if k.residual && len(in) > 3 && in[3] != nil {
		z := in[3]
		if z.DType() != tensor.Float32 || !tensor.SameShape(z.Shape(), ys) {
			return fmt.Errorf("%w: FusedConv residual %v%v for an input %v and %d feature maps", ops.ErrShapeMismatch, z.DType(), z.Shape(), xs, k.cout)
		}
		zd = tensor.Data[float32](z)
	}
	k.act.apply(&ep)
	hw := 1
	for _, d := range xs[2:] {
		hw *= d
	}
	if hw == 0 || xs[0] == 0 {
		return nil
	}
	xd, yd := tensor.Data[float32](x), tensor.Data[float32](y)
	for b := range xs[0] {
		if zd != nil {
			ep.Residual, ep.LdResidual = zd[b*k.cout*hw:], hw
		}
		k.g.run(k.cout, hw, k.cin, gemmOpA{packed: k.pa}, gemmOpB{b: xd[b*k.cin*hw:], ldb: hw},
			yd[b*k.cout*hw:], hw, &ep)
	}
	return nil
}
