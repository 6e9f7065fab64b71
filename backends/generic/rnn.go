package generic

// RNN, GRU and LSTM. The input projections X*W^T of every time step are one
// GEMM per direction up front; each step then multiplies the hidden state
// of the whole batch by R^T (one GEMM) and applies the gate equations per
// batch entry. Sequences shorter than seq_length (sequence_lens) stop early:
// their hidden state is frozen and their later outputs are zero; reverse
// directions start at each sequence's own last element.

import (
	"fmt"
	"math"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("RNN", rnnNewKernel)
	register("GRU", rnnNewKernel)
	register("LSTM", rnnNewKernel)
}

// rnnNode is what a recurrent node's factory decides once.
type rnnNode struct {
	a    *ops.RNNAttrs
	want [3]bool // Y, Y_h, Y_c requested
}

func rnnNewKernel(n *ops.Node) (ops.Kernel, error) {
	a, err := ops.ParseRNNAttrs(n)
	if err != nil {
		return nil, err
	}
	dt := n.In[0].DType
	for i := 1; i < len(n.In); i++ {
		if i == 4 || n.In[i].Absent {
			continue
		}
		if n.In[i].DType != dt {
			return nil, ops.Errorf("%s input %d has type %v, X has %v", n.OpType, i, n.In[i].DType, dt)
		}
	}
	if n.HasIn(4) && n.In[4].DType != tensor.Int32 && n.In[4].DType != tensor.Int64 {
		return nil, ops.Errorf("%s sequence_lens has type %v, want int32", n.OpType, n.In[4].DType)
	}
	k := &rnnNode{a: a}
	for i := range k.want {
		k.want[i] = n.HasOut(i)
	}
	return nnFloatKernel(dt, rnnRun[float32](k), rnnRun[float64](k), []int{0, 1, 2}, nnOutTypes(n)), nil
}

// rnnGeom holds the sizes of one run, read from the inputs and checked.
type rnnGeom struct {
	seq, batch, input, hidden, dirs int
	// lens holds each batch entry's sequence length.
	lens []int
}

// rnnInput returns in[i], or nil when the node omits it.
func rnnInput(in []*tensor.Tensor, i int) *tensor.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// rnnCheckShape returns a shape error unless t (if given) has shape want.
func rnnCheckShape(op, what string, t *tensor.Tensor, want ...int) error {
	if t != nil && !tensor.SameShape(t.Shape(), want) {
		return fmt.Errorf("%w: %s %s has shape %v, want %v", ops.ErrShapeMismatch, op, what, t.Shape(), want)
	}
	return nil
}

// rnnGeometry checks the inputs' shapes against each other and the
// attributes and returns the run's sizes.
func rnnGeometry(a *ops.RNNAttrs, in []*tensor.Tensor) (*rnnGeom, error) {
	x, w, r := in[0], in[1], in[2]
	if x.Rank() != 3 || w.Rank() != 3 || r.Rank() != 3 {
		return nil, fmt.Errorf("%w: %s X, W and R must have rank 3, got shapes %v, %v, %v", ops.ErrShapeMismatch, a.Op, x.Shape(), w.Shape(), r.Shape())
	}
	g := &rnnGeom{seq: x.Shape()[0], batch: x.Shape()[1], input: x.Shape()[2], dirs: a.Directions, hidden: a.HiddenSize}
	if a.Layout == 1 {
		g.seq, g.batch = g.batch, g.seq
	}
	if g.hidden < 0 {
		g.hidden = r.Shape()[2]
	}
	gh := a.Gates * g.hidden
	if err := rnnCheckShape(a.Op, "W", w, g.dirs, gh, g.input); err != nil {
		return nil, err
	}
	if err := rnnCheckShape(a.Op, "R", r, g.dirs, gh, g.hidden); err != nil {
		return nil, err
	}
	if err := rnnCheckShape(a.Op, "B", rnnInput(in, 3), g.dirs, 2*gh); err != nil {
		return nil, err
	}
	state := []int{g.dirs, g.batch, g.hidden}
	if a.Layout == 1 {
		state = []int{g.batch, g.dirs, g.hidden}
	}
	if err := rnnCheckShape(a.Op, "initial_h", rnnInput(in, 5), state...); err != nil {
		return nil, err
	}
	if err := rnnCheckShape(a.Op, "initial_c", rnnInput(in, 6), state...); err != nil {
		return nil, err
	}
	if err := rnnCheckShape(a.Op, "P", rnnInput(in, 7), g.dirs, 3*g.hidden); err != nil {
		return nil, err
	}
	g.lens = make([]int, g.batch)
	for b := range g.lens {
		g.lens[b] = g.seq
	}
	if sl := rnnInput(in, 4); sl != nil {
		if err := rnnCheckShape(a.Op, "sequence_lens", sl, g.batch); err != nil {
			return nil, err
		}
		v, err := sl.Int64s()
		if err != nil {
			return nil, ops.Errorf("%s sequence_lens: %v", a.Op, err)
		}
		for b, l := range v {
			if l < 0 || l > int64(g.seq) {
				return nil, fmt.Errorf("%w: %s sequence_lens[%d] = %d out of range [0, %d]", ops.ErrShapeMismatch, a.Op, b, l, g.seq)
			}
			g.lens[b] = int(l)
		}
	}
	return g, nil
}

// rnnAct returns a function that applies act, after clipping to
// [-clip, clip] when clip > 0, to every element of a slice in place.
func rnnAct[T nnFloat](act ops.RNNActivation, clip float32) func(v []T) {
	alpha, beta := float64(act.Alpha), float64(act.Beta)
	var f func(x float64) float64
	switch act.Name {
	case "Relu":
		f = func(x float64) float64 { return max(x, 0) }
	case "Tanh":
		f = math.Tanh
	case "Sigmoid":
		f = elemSigmoid64
	case "Affine":
		f = func(x float64) float64 { return alpha*x + beta }
	case "LeakyRelu":
		f = func(x float64) float64 {
			if x >= 0 {
				return x
			}
			return alpha * x
		}
	case "ThresholdedRelu":
		f = func(x float64) float64 {
			if x >= alpha {
				return x
			}
			return 0
		}
	case "ScaledTanh":
		f = func(x float64) float64 { return alpha * math.Tanh(beta*x) }
	case "HardSigmoid":
		f = func(x float64) float64 { return max(0, min(1, alpha*x+beta)) }
	case "Elu":
		f = func(x float64) float64 {
			if x >= 0 {
				return x
			}
			return alpha * (math.Exp(x) - 1)
		}
	case "Softsign":
		f = func(x float64) float64 { return x / (1 + math.Abs(x)) }
	case "Softplus":
		f = elemSoftplus64
	default: // ParseRNNAttrs admits no other name
		f = func(x float64) float64 { return x }
	}
	c := float64(clip)
	return func(v []T) {
		for i, x := range v {
			xf := float64(x)
			if c > 0 {
				xf = max(-c, min(c, xf))
			}
			v[i] = T(f(xf))
		}
	}
}

// rnnDir holds one direction's weights and state during a run.
type rnnDir[T nnFloat] struct {
	w, r    []T // gates*hidden x input, gates*hidden x hidden
	wb, rb  []T // gates*hidden each, nil without B
	p       []T // 3*hidden peepholes (LSTM), nil without P
	h, c    []T // batch x hidden state
	xw      []T // (seq*batch) x gates*hidden input projections, biases added
	reverse bool
	acts    []func([]T)
}

// rnnRun computes a recurrent node in T.
func rnnRun[T nnFloat](k *rnnNode) ops.KernelFunc {
	a := k.a
	per := a.ActsPerDirection()
	acts := make([]func([]T), len(a.Acts))
	for i, act := range a.Acts {
		acts[i] = rnnAct[T](act, a.Clip)
	}
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		g, err := rnnGeometry(a, in)
		if err != nil {
			return err
		}
		seq, batch, hs, nd := g.seq, g.batch, g.hidden, g.dirs
		gh := a.Gates * hs
		if _, err := tensor.NumElements([]int{seq, batch, gh}); err != nil {
			return fmt.Errorf("%w: %s: %w", ops.ErrShapeMismatch, a.Op, err)
		}
		var y, yh, yc []T
		yShape, stShape := []int{seq, nd, batch, hs}, []int{nd, batch, hs}
		if a.Layout == 1 {
			yShape, stShape = []int{batch, seq, nd, hs}, []int{batch, nd, hs}
		}
		for i, shape := range [][]int{yShape, stShape, stShape} {
			if i >= len(out) || !k.want[i] || (i == 2 && a.Op != "LSTM") {
				continue
			}
			t, err := nnOut(out, i, in[0].DType(), shape)
			if err != nil {
				return err
			}
			d := tensor.Data[T](t)
			clear(d)
			switch i {
			case 0:
				y = d
			case 1:
				yh = d
			case 2:
				yc = d
			}
		}
		// row returns the row of X (and of xw) of time t, batch entry b.
		row := func(t, b int) int {
			if a.Layout == 1 {
				return b*seq + t
			}
			return t*batch + b
		}
		// stateOff returns the offset of (direction d, batch b) in an
		// initial or final state tensor.
		stateOff := func(d, b int) int {
			if a.Layout == 1 {
				return (b*nd + d) * hs
			}
			return (d*batch + b) * hs
		}
		yOff := func(t, d, b int) int {
			if a.Layout == 1 {
				return ((b*seq+t)*nd + d) * hs
			}
			return ((t*nd+d)*batch + b) * hs
		}
		x := tensor.Data[T](in[0])
		var bias, peep, h0, c0 []T
		if t := rnnInput(in, 3); t != nil {
			bias = tensor.Data[T](t)
		}
		if t := rnnInput(in, 7); t != nil {
			peep = tensor.Data[T](t)
		}
		if t := rnnInput(in, 5); t != nil {
			h0 = tensor.Data[T](t)
		}
		if t := rnnInput(in, 6); t != nil {
			c0 = tensor.Data[T](t)
		}
		st := &rnnStep[T]{a: a, g: g, gh: gh, gates: make([]T, batch*gh)}
		if a.Op == "GRU" {
			st.rh = make([]T, batch*hs)
			st.hh = make([]T, batch*hs)
		}
		for d := range nd {
			dir := &rnnDir[T]{
				w:       tensor.Data[T](in[1])[d*gh*g.input : (d+1)*gh*g.input],
				r:       tensor.Data[T](in[2])[d*gh*hs : (d+1)*gh*hs],
				h:       make([]T, batch*hs),
				xw:      make([]T, seq*batch*gh),
				reverse: a.Reverse || d == 1,
				acts:    acts[d*per : (d+1)*per],
			}
			if bias != nil {
				dir.wb, dir.rb = bias[2*d*gh:(2*d+1)*gh], bias[(2*d+1)*gh:(2*d+2)*gh]
			}
			if peep != nil {
				dir.p = peep[d*3*hs : (d+1)*3*hs]
			}
			if a.Op == "LSTM" {
				dir.c = make([]T, batch*hs)
			}
			for b := range batch {
				if h0 != nil {
					copy(dir.h[b*hs:(b+1)*hs], h0[stateOff(d, b):])
				}
				if c0 != nil {
					copy(dir.c[b*hs:(b+1)*hs], c0[stateOff(d, b):])
				}
			}
			// Input projections of every step, with the biases that are
			// simply added (GRU with linear_before_reset keeps Rbh apart).
			gemm(false, true, seq*batch, gh, g.input, 1, x, g.input, dir.w, g.input, 0, dir.xw, gh)
			if bias != nil {
				add := make([]T, gh)
				for j := range add {
					add[j] = dir.wb[j] + dir.rb[j]
					if a.Op == "GRU" && a.LinearBeforeReset && j >= 2*hs {
						add[j] = dir.wb[j]
					}
				}
				for i := 0; i < len(dir.xw); i += gh {
					for j, v := range add {
						dir.xw[i+j] += v
					}
				}
			}
			for s := range seq {
				if err := nnCtxErr(ec); err != nil {
					return err
				}
				st.step(dir, s, func(b, t int) []T { return dir.xw[row(t, b)*gh : (row(t, b)+1)*gh] })
				if y != nil {
					for b := range batch {
						if s < g.lens[b] {
							t := s
							if dir.reverse {
								t = g.lens[b] - 1 - s
							}
							copy(y[yOff(t, d, b):yOff(t, d, b)+hs], dir.h[b*hs:(b+1)*hs])
						}
					}
				}
			}
			for b := range batch {
				if yh != nil {
					copy(yh[stateOff(d, b):stateOff(d, b)+hs], dir.h[b*hs:(b+1)*hs])
				}
				if yc != nil {
					copy(yc[stateOff(d, b):stateOff(d, b)+hs], dir.c[b*hs:(b+1)*hs])
				}
			}
		}
		return nil
	}
}

// rnnStep holds a run's scratch buffers for the steps.
type rnnStep[T nnFloat] struct {
	a      *ops.RNNAttrs
	g      *rnnGeom
	gh     int
	gates  []T // batch x gates*hidden: H*R^T
	rh, hh []T // GRU: batch x hidden
}

// step advances every batch entry still inside its sequence by one step
// (step s of the direction); xw(b, t) returns the input projection row of
// batch entry b at time t.
func (st *rnnStep[T]) step(dir *rnnDir[T], s int, xw func(b, t int) []T) {
	a, g := st.a, st.g
	batch, hs, gh := g.batch, g.hidden, st.gh
	active := func(b int) (int, bool) {
		if s >= g.lens[b] {
			return 0, false
		}
		if dir.reverse {
			return g.lens[b] - 1 - s, true
		}
		return s, true
	}
	switch a.Op {
	case "RNN":
		gemm(false, true, batch, hs, hs, 1, dir.h, hs, dir.r, hs, 0, st.gates, hs)
		for b := range batch {
			t, ok := active(b)
			if !ok {
				continue
			}
			pre := st.gates[b*hs : (b+1)*hs]
			for j, v := range xw(b, t) {
				pre[j] += v
			}
			dir.acts[0](pre)
			copy(dir.h[b*hs:(b+1)*hs], pre)
		}
	case "GRU":
		// z and r: H * [Rz; Rr]^T.
		gemm(false, true, batch, 2*hs, hs, 1, dir.h, hs, dir.r, hs, 0, st.gates, gh)
		rh := dir.r[2*hs*hs:]
		if a.LinearBeforeReset {
			gemm(false, true, batch, hs, hs, 1, dir.h, hs, rh, hs, 0, st.hh, hs)
		}
		for b := range batch {
			t, ok := active(b)
			zr := st.gates[b*gh : b*gh+2*hs]
			if !ok {
				clear(st.rh[b*hs : (b+1)*hs])
				continue
			}
			for j, v := range xw(b, t)[:2*hs] {
				zr[j] += v
			}
			dir.acts[0](zr)
			if !a.LinearBeforeReset {
				r, h := zr[hs:], dir.h[b*hs:(b+1)*hs]
				for j := range hs {
					st.rh[b*hs+j] = r[j] * h[j]
				}
			}
		}
		if !a.LinearBeforeReset {
			gemm(false, true, batch, hs, hs, 1, st.rh, hs, rh, hs, 0, st.hh, hs)
		}
		for b := range batch {
			t, ok := active(b)
			if !ok {
				continue
			}
			z, r := st.gates[b*gh:b*gh+hs], st.gates[b*gh+hs:b*gh+2*hs]
			hh, h := st.hh[b*hs:(b+1)*hs], dir.h[b*hs:(b+1)*hs]
			xh := xw(b, t)[2*hs:]
			if a.LinearBeforeReset {
				var rbh []T
				if dir.rb != nil {
					rbh = dir.rb[2*hs:]
				}
				for j := range hs {
					v := hh[j]
					if rbh != nil {
						v += rbh[j]
					}
					hh[j] = xh[j] + r[j]*v
				}
			} else {
				for j := range hs {
					hh[j] += xh[j]
				}
			}
			dir.acts[1](hh)
			for j := range hs {
				h[j] = (1-z[j])*hh[j] + z[j]*h[j]
			}
		}
	case "LSTM":
		gemm(false, true, batch, gh, hs, 1, dir.h, hs, dir.r, hs, 0, st.gates, gh)
		for b := range batch {
			t, ok := active(b)
			if !ok {
				continue
			}
			pre := st.gates[b*gh : (b+1)*gh]
			for j, v := range xw(b, t) {
				pre[j] += v
			}
			// Gate order i, o, f, c; peepholes i, o, f.
			gi, go_, gf, gc := pre[:hs], pre[hs:2*hs], pre[2*hs:3*hs], pre[3*hs:]
			c, h := dir.c[b*hs:(b+1)*hs], dir.h[b*hs:(b+1)*hs]
			if dir.p != nil {
				pi, pf := dir.p[:hs], dir.p[2*hs:]
				for j := range hs {
					gi[j] += pi[j] * c[j]
					gf[j] += pf[j] * c[j]
				}
			}
			dir.acts[0](gi)
			if a.InputForget {
				for j := range hs {
					gf[j] = 1 - gi[j]
				}
			} else {
				dir.acts[0](gf)
			}
			dir.acts[1](gc)
			for j := range hs {
				c[j] = gf[j]*c[j] + gi[j]*gc[j]
			}
			if dir.p != nil {
				po := dir.p[hs : 2*hs]
				for j := range hs {
					go_[j] += po[j] * c[j]
				}
			}
			dir.acts[0](go_)
			copy(h, c)
			dir.acts[2](h)
			for j := range hs {
				h[j] *= go_[j]
			}
		}
	}
}
