package runtime

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// optimize rewrites the plan's steps, with every type known from
// inference and before any kernel is chosen:
//   - Identity and inference-mode Dropout are dropped (their readers read
//     the input instead);
//   - a BatchNormalization (inference) right after a Conv with constant
//     weights is folded into new constant weights and bias;
//   - MatMul by a constant matrix followed by Add of a constant row vector
//     becomes one Gemm;
//   - Conv + Add of a same-shape tensor becomes a FusedConv with a residual
//     input, and Conv/Gemm followed by Relu, Clip, LeakyRelu, HardSwish or
//     Sigmoid takes the activation into its epilogue (ai.onyx:FusedConv,
//     FusedGemm).
//
// The model itself is never modified: rewritten nodes are copies.
func (p *plan) optimize() {
	p.dropIdentities()
	p.foldBatchNorms()
	p.fuseMatMulAdd()
	p.fuseResidualAdds()
	p.fuseActivations()
}

// readers returns, for each slot, the indexes of the steps reading it; a
// slot that a graph output or a subgraph reads gets a -1 entry.
func (p *plan) readers() [][]int {
	r := make([][]int, len(p.names))
	for i, st := range p.steps {
		if st.folded {
			continue
		}
		for _, s := range st.in {
			if s >= 0 {
				r[s] = append(r[s], i)
			}
		}
		for _, sp := range st.subplans {
			for _, o := range sp.outer {
				r[o.parent] = append(r[o.parent], -1)
			}
		}
	}
	for _, s := range p.outputs {
		r[s] = append(r[s], -1)
	}
	return r
}

// soleReader returns the step that is the only reader of slot s, or nil.
func (p *plan) soleReader(r [][]int, s int) (*step, int) {
	if s < 0 || len(r[s]) != 1 || r[s][0] < 0 {
		return nil, -1
	}
	return p.steps[r[s][0]], r[s][0]
}

// removeSteps drops the steps marked in dead.
func (p *plan) removeSteps(dead map[*step]bool) {
	if len(dead) == 0 {
		return
	}
	kept := p.steps[:0]
	for _, st := range p.steps {
		if !dead[st] {
			kept = append(kept, st)
		}
	}
	p.steps = kept
}

func isOp(st *step, domain, op string) bool {
	return !st.folded && st.node.OpType == op && normDomain(st.node.Domain) == domain
}

func (p *plan) isConst(s int) bool { return s >= 0 && p.consts[s] != nil }

func (p *plan) dropIdentities() {
	dead := map[*step]bool{}
	for _, st := range p.steps {
		n := st.node
		drop := isOp(st, "", "Identity") && n.In[0].IsTensor()
		if isOp(st, "", "Dropout") && n.Opset >= 7 {
			inference := len(st.in) < 3 || st.in[2] < 0 ||
				(p.isConst(st.in[2]) && p.consts[st.in[2]].DType() == tensor.Bool && !tensor.Data[bool](p.consts[st.in[2]])[0])
			drop = inference && (len(st.out) < 2 || st.out[1] < 0)
		}
		if !drop || st.in[0] < 0 {
			continue
		}
		from, to := st.out[0], st.in[0]
		if p.isOutput(from) {
			continue // a graph output keeps its name and its node
		}
		p.redirect(from, to)
		dead[st] = true
	}
	p.removeSteps(dead)
}

func (p *plan) isOutput(s int) bool {
	for _, o := range p.outputs {
		if o == s {
			return true
		}
	}
	return false
}

// redirect makes every reader of slot from read slot to instead.
func (p *plan) redirect(from, to int) {
	for _, st := range p.steps {
		for i, s := range st.in {
			if s == from {
				st.in[i] = to
				rn := *st.node.Node
				rn.Inputs = append([]string(nil), rn.Inputs...)
				rn.Inputs[i] = p.names[to]
				st.node.Node = &rn
			}
		}
		for _, sp := range st.subplans {
			for i := range sp.outer {
				if sp.outer[i].parent == from {
					sp.outer[i].parent = to
				}
			}
		}
	}
}

// constSlot adds a constant under a name derived from base.
func (p *plan) constSlot(base string, t *tensor.Tensor) int {
	name := base
	for i := 2; ; i++ {
		if _, taken := p.slots[name]; !taken {
			break
		}
		name = fmt.Sprintf("%s_%d", base, i)
	}
	s := p.newSlot(name, ops.Known(t))
	p.consts[s] = t
	return s
}

func (p *plan) foldBatchNorms() {
	r := p.readers()
	dead := map[*step]bool{}
	for _, conv := range p.steps {
		if !isOp(conv, "", "Conv") || conv.node.Out[0].DType != tensor.Float32 || !p.isConst(conv.in[1]) ||
			(len(conv.in) > 2 && conv.in[2] >= 0 && !p.isConst(conv.in[2])) {
			continue
		}
		bn, _ := p.soleReader(r, conv.out[0])
		if bn == nil || !isOp(bn, "", "BatchNormalization") || bn.in[0] != conv.out[0] || len(bn.in) != 5 {
			continue
		}
		if bn.node.AttrInt("training_mode") != 0 || (bn.node.Opset < 9 && bn.node.HasAttr("spatial") && bn.node.AttrInt("spatial") != 1) {
			continue
		}
		extra := false
		for _, o := range bn.out[1:] {
			extra = extra || (o >= 0 && len(r[o]) > 0)
		}
		params := make([][]float32, 4)
		ok := !extra
		for i := range params {
			s := bn.in[1+i]
			if !p.isConst(s) || p.consts[s].DType() != tensor.Float32 {
				ok = false
				break
			}
			params[i] = tensor.Data[float32](p.consts[s])
		}
		w := p.consts[conv.in[1]]
		cout := w.Shape()[0]
		for _, v := range params {
			ok = ok && len(v) == cout
		}
		if !ok {
			continue
		}
		eps := float64(bn.node.AttrFloat("epsilon"))
		if !bn.node.HasAttr("epsilon") {
			eps = 1e-5
		}
		scale, shift, mean, variance := params[0], params[1], params[2], params[3]
		nw := w.Clone()
		wd := tensor.Data[float32](nw)
		per := len(wd) / cout
		nb := make([]float32, cout)
		var bias []float32
		if len(conv.in) > 2 && conv.in[2] >= 0 {
			bias = tensor.Data[float32](p.consts[conv.in[2]])
		}
		for oc := range cout {
			f := float64(scale[oc]) / math.Sqrt(float64(variance[oc])+eps)
			for i := oc * per; i < (oc+1)*per; i++ {
				wd[i] = float32(float64(wd[i]) * f)
			}
			b := 0.0
			if bias != nil {
				b = float64(bias[oc])
			}
			nb[oc] = float32((b-float64(mean[oc]))*f + float64(shift[oc]))
		}
		base := conv.node.Name
		if base == "" {
			base = p.names[conv.out[0]]
		}
		ws := p.constSlot(base+"/W_bn_folded", nw)
		bs := p.constSlot(base+"/B_bn_folded", tensor.Must(tensor.FromSlice(nb, cout)))
		in := []int{conv.in[0], ws, bs}
		p.rewrite(conv, "", "Conv", in, bn.out[0], bn.node.Out[0], nil)
		dead[bn] = true
	}
	p.removeSteps(dead)
}

// rewrite turns st into op (in domain) reading in and writing out (typed
// ts), with st's attributes plus extra.
func (p *plan) rewrite(st *step, domain, op string, in []int, out int, ts ops.TypeShape, extra []*ir.Attribute) {
	old := st.node
	rn := &ir.Node{Name: old.Name, OpType: op, Domain: domain, DocString: old.DocString,
		Attrs: append(append([]*ir.Attribute(nil), old.Attrs...), extra...)}
	n := &ops.Node{Node: rn, Graph: old.Graph, Model: old.Model}
	for _, s := range in {
		if s < 0 {
			rn.Inputs = append(rn.Inputs, "")
			n.In = append(n.In, ops.TypeShape{Absent: true})
			continue
		}
		rn.Inputs = append(rn.Inputs, p.names[s])
		n.In = append(n.In, p.types[s])
	}
	rn.Outputs = []string{p.names[out]}
	n.Out = []ops.TypeShape{ts}
	n.Opset = old.Opset
	if domain == ops.OnyxDomain {
		n.Opset = 1
	} else if op != old.OpType {
		n.Opset = 13
	}
	n.Schema = ops.LookupSchema(domain, op, n.Opset)
	st.node, st.in, st.out = n, in, []int{out}
	st.static = ts.Shape != nil && ts.Shape.Known()
}

func (p *plan) fuseMatMulAdd() {
	r := p.readers()
	dead := map[*step]bool{}
	for _, mm := range p.steps {
		if !isOp(mm, "", "MatMul") || mm.node.Out[0].DType != tensor.Float32 || mm.node.In[0].Rank() != 2 || !p.isConst(mm.in[1]) {
			continue
		}
		b := p.consts[mm.in[1]]
		if b.Rank() != 2 {
			continue
		}
		add, _ := p.soleReader(r, mm.out[0])
		if add == nil || !isOp(add, "", "Add") {
			continue
		}
		other := add.in[0]
		if other == mm.out[0] {
			other = add.in[1]
		}
		if !p.isConst(other) || other == mm.out[0] {
			continue
		}
		c := p.consts[other]
		cs := c.Shape()
		row := (len(cs) == 1 && cs[0] == b.Shape()[1]) || (len(cs) == 2 && cs[0] == 1 && cs[1] == b.Shape()[1])
		if !row || c.DType() != tensor.Float32 || add.node.Out[0].Shape.String() != mm.node.Out[0].Shape.String() {
			continue
		}
		p.rewrite(mm, "", "Gemm", []int{mm.in[0], mm.in[1], other}, add.out[0], add.node.Out[0], nil)
		dead[add] = true
	}
	p.removeSteps(dead)
}

func (p *plan) fuseResidualAdds() {
	r := p.readers()
	dead := map[*step]bool{}
	for ci, conv := range p.steps {
		if !isOp(conv, "", "Conv") || conv.node.Out[0].DType != tensor.Float32 || conv.node.Out[0].Shape == nil {
			continue
		}
		add, ai := p.soleReader(r, conv.out[0])
		if add == nil || !isOp(add, "", "Add") || add.in[0] == add.in[1] {
			continue
		}
		z := add.in[0]
		if z == conv.out[0] {
			z = add.in[1]
		}
		want := conv.node.Out[0].Shape.String()
		if p.types[z].DType != tensor.Float32 || p.types[z].Shape == nil || p.types[z].Shape.String() != want ||
			add.node.Out[0].Shape.String() != want {
			continue
		}
		in := []int{conv.in[0], conv.in[1], -1, z}
		if len(conv.in) > 2 {
			in[2] = conv.in[2]
		}
		p.rewrite(conv, ops.OnyxDomain, "FusedConv", in, add.out[0], add.node.Out[0], nil)
		// The fused node runs where the Add ran: z may be computed after
		// the Conv.
		p.steps[ci], p.steps[ai] = add, conv
		dead[add] = true
	}
	p.removeSteps(dead)
}

func (p *plan) fuseActivations() {
	r := p.readers()
	dead := map[*step]bool{}
	for _, st := range p.steps {
		var fused string
		switch {
		case isOp(st, "", "Conv"), isOp(st, ops.OnyxDomain, "FusedConv") && !st.node.HasAttr("activation"):
			fused = "FusedConv"
		case isOp(st, "", "Gemm"), isOp(st, ops.OnyxDomain, "FusedGemm") && !st.node.HasAttr("activation"):
			fused = "FusedGemm"
		default:
			continue
		}
		if st.node.Out[0].DType != tensor.Float32 {
			continue
		}
		act, _ := p.soleReader(r, st.out[0])
		if act == nil || act.in[0] != st.out[0] {
			continue
		}
		a, ok := p.activationOf(act)
		if !ok {
			continue
		}
		attrs := []*ir.Attribute{{Name: "activation", Type: ir.AttrString, String: a.Kind}}
		if len(a.Params) > 0 {
			attrs = append(attrs, &ir.Attribute{Name: "activation_params", Type: ir.AttrFloats, Floats: a.Params})
		}
		p.rewrite(st, ops.OnyxDomain, fused, st.in, act.out[0], act.node.Out[0], attrs)
		dead[act] = true
	}
	p.removeSteps(dead)
}

// activationOf recognises a step a fused kernel can apply as its epilogue.
func (p *plan) activationOf(st *step) (ops.Activation, bool) {
	n := st.node
	if normDomain(n.Domain) != "" || st.folded || n.Out[0].DType != tensor.Float32 {
		return ops.Activation{}, false
	}
	switch n.OpType {
	case "Relu":
		return ops.Activation{Kind: ops.ActRelu}, true
	case "HardSwish":
		return ops.Activation{Kind: ops.ActHardSwish}, true
	case "Sigmoid":
		return ops.Activation{Kind: ops.ActSigmoid}, true
	case "LeakyRelu":
		return ops.Activation{Kind: ops.ActLeakyRelu, Params: []float32{n.AttrFloat("alpha")}}, true
	case "Clip":
		lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
		if n.Opset < 11 {
			if n.HasAttr("min") {
				lo = n.AttrFloat("min")
			}
			if n.HasAttr("max") {
				hi = n.AttrFloat("max")
			}
			return ops.Activation{Kind: ops.ActClip, Params: []float32{lo, hi}}, true
		}
		for i, bound := range []*float32{&lo, &hi} {
			s := -1
			if 1+i < len(st.in) {
				s = st.in[1+i]
			}
			if s < 0 {
				continue
			}
			if !p.isConst(s) || p.consts[s].DType() != tensor.Float32 || p.consts[s].Len() != 1 {
				return ops.Activation{}, false
			}
			*bound = tensor.Data[float32](p.consts[s])[0]
		}
		return ops.Activation{Kind: ops.ActClip, Params: []float32{lo, hi}}, true
	}
	return ops.Activation{}, false
}
