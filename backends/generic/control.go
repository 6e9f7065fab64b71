package generic

import (
	"fmt"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// Control flow: If, Loop, Scan and SequenceMap run their graph attributes
// through ec.RunGraph, which the runtime backs with subgraph plans compiled
// once per session. Outputs are stored as the subgraph produced them (the
// kernels are Aliasers), since their shapes are only known at run time.
//
// What a subgraph run made stops counting against the Run's budget when it
// returns; the kernels count what they keep from one run to the next
// (scan outputs, carried values: a view counts as a copy, since stacking
// copies it) with ec.Reserve, so that a loop over the limit stops at the
// iteration that passes it.

func init() {
	register("If", func(n *ops.Node) (ops.Kernel, error) { return ops.Aliasing(ops.KernelFunc(runIf)), nil })
	register("Loop", func(n *ops.Node) (ops.Kernel, error) { return ops.Aliasing(loopKernel{n}), nil })
	register("Scan", newScan)
	register("SequenceMap", func(n *ops.Node) (ops.Kernel, error) { return ops.Aliasing(seqMapKernel{n}), nil })
}

func runGraph(ec *ops.ExecContext, attr string, inputs []*tensor.Tensor, want int) ([]*tensor.Tensor, error) {
	if ec.RunGraph == nil {
		return nil, fmt.Errorf("%w: %s: this runtime does not run subgraphs", ops.ErrUnsupportedOp, attr)
	}
	outs, err := ec.RunGraph(attr, inputs)
	if err != nil {
		return nil, err
	}
	if len(outs) < want {
		return nil, ops.Errorf("%s produced %d outputs, want %d", attr, len(outs), want)
	}
	return outs, nil
}

// scalarBool reads a one-element bool tensor.
func scalarBool(t *tensor.Tensor, what string) (bool, error) {
	if t.Kind() != tensor.KindTensor || t.DType() != tensor.Bool || t.Len() != 1 {
		return false, ops.Errorf("%s must be one bool, got %v", what, t)
	}
	return tensor.Data[bool](t)[0], nil
}

// scalarInt reads a one-element integer tensor.
func scalarInt(t *tensor.Tensor, what string) (int64, error) {
	if t.Kind() != tensor.KindTensor || t.Len() != 1 {
		return 0, ops.Errorf("%s must be one integer, got %v", what, t)
	}
	v, err := t.Int64s()
	if err != nil {
		return 0, ops.Errorf("%s: %v", what, err)
	}
	return v[0], nil
}

// kept counts the bytes a kernel keeps between subgraph runs against the
// Run's budget; release returns them all (defer it).
type kept struct {
	ec *ops.ExecContext
	n  int64
}

func (k *kept) reserve(n int64) error {
	if err := k.ec.Reserve(n); err != nil {
		return err
	}
	k.n += max(n, 0)
	return nil
}

func (k *kept) drop(n int64) {
	n = min(n, k.n)
	k.ec.Release(n)
	k.n -= n
}

func (k *kept) release() { k.drop(k.n) }

// valuesBytes is the memory of vs (nil entries count 0).
func valuesBytes(vs []*tensor.Tensor) int64 {
	var n int64
	for _, v := range vs {
		if v != nil {
			n += v.Bytes()
		}
	}
	return n
}

func runIf(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	cond, err := scalarBool(in[0], "If condition")
	if err != nil {
		return err
	}
	branch := "else_branch"
	if cond {
		branch = "then_branch"
	}
	res, err := runGraph(ec, branch, nil, len(out))
	if err != nil {
		return err
	}
	copy(out, res)
	return nil
}

type loopKernel struct{ n *ops.Node }

func (k loopKernel) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	trips, cond := int64(-1), true // -1: no trip count
	var err error
	if in[0] != nil {
		if trips, err = scalarInt(in[0], "Loop trip count M"); err != nil {
			return err
		}
	}
	if len(in) > 1 && in[1] != nil {
		if cond, err = scalarBool(in[1], "Loop condition"); err != nil {
			return err
		}
	}
	carried := append([]*tensor.Tensor(nil), in[2:]...)
	nScan := len(out) - len(carried)
	scans := make([][]*tensor.Tensor, nScan)
	scanBytes := make([]int64, nScan)
	held := kept{ec: ec}
	defer held.release()
	var carriedBytes int64 // the Loop's inputs count where they were made
	for i := int64(0); cond && (trips < 0 || i < trips); i++ {
		if err := ec.Ctx.Err(); err != nil {
			return err
		}
		args := append([]*tensor.Tensor{tensor.Scalar(i), tensor.Scalar(cond)}, carried...)
		res, err := runGraph(ec, "body", args, 1+len(carried)+nScan)
		if err != nil {
			return fmt.Errorf("iteration %d: %w", i, err)
		}
		if cond, err = scalarBool(res[0], "Loop body condition"); err != nil {
			return err
		}
		copy(carried, res[1:1+len(carried)])
		held.drop(carriedBytes)
		carriedBytes = valuesBytes(carried)
		if err := held.reserve(carriedBytes); err != nil {
			return fmt.Errorf("iteration %d: loop-carried values: %w", i, err)
		}
		for j := range scans {
			item := res[1+len(carried)+j]
			scans[j] = append(scans[j], item)
			scanBytes[j] += item.Bytes()
			if err := keepScanItem(ec, &held, scanBytes[j], item); err != nil {
				return fmt.Errorf("iteration %d: scan output %q (%d items of %v%v): %w", i, k.n.Outputs[len(carried)+j], len(scans[j]), item.DType(), item.Shape(), err)
			}
		}
	}
	copy(out, carried)
	for j, s := range scans {
		// Stacking copies the items: count the copy, then drop them.
		if err := held.reserve(scanBytes[j]); err != nil {
			return fmt.Errorf("scan output %q: stacking %d items: %w", k.n.Outputs[len(carried)+j], len(s), err)
		}
		if out[len(carried)+j], err = stackOrEmpty(s, 0, k.n.Out[len(carried)+j].DType); err != nil {
			return err
		}
		scans[j] = nil
		held.drop(scanBytes[j])
	}
	return nil
}

// keepScanItem counts item, just appended to a scan output that will be
// total bytes once stacked, against the Run's budget: the stacked output
// must fit in one tensor, and the items in the memory left.
func keepScanItem(ec *ops.ExecContext, held *kept, total int64, item *tensor.Tensor) error {
	if err := ec.CheckTensor(total); err != nil {
		return err
	}
	return held.reserve(item.Bytes())
}

// stackOrEmpty stacks items along a new axis, or returns an empty 1-D
// tensor of dtype dt when there are none.
func stackOrEmpty(items []*tensor.Tensor, axis int, dt tensor.DType) (*tensor.Tensor, error) {
	if len(items) == 0 {
		return tensor.New(dt, 0)
	}
	return concatAlong(items, axis, true)
}

type scanKernel struct {
	n                     *ops.Node
	numScan               int
	inAxes, outAxes       []int64
	inReverse, outReverse []bool
	batched               bool // opset 8: a batch axis 0 and sequence_lens input
}

func newScan(n *ops.Node) (ops.Kernel, error) {
	k := &scanKernel{n: n, numScan: int(n.AttrInt("num_scan_inputs")), batched: n.Opset < 9}
	first := 0
	if k.batched {
		first = 1
	}
	nStates := len(n.Inputs) - first - k.numScan
	nScanOut := len(n.Outputs) - nStates
	if k.numScan < 1 || nStates < 0 || nScanOut < 0 {
		return nil, ops.Errorf("Scan: %d inputs and %d outputs do not fit num_scan_inputs %d", len(n.Inputs), len(n.Outputs), k.numScan)
	}
	flags := func(name string, count int) ([]bool, error) {
		v := n.AttrInts(name)
		if v == nil {
			return make([]bool, count), nil
		}
		if len(v) != count {
			return nil, ops.Errorf("Scan: %s has %d entries, want %d", name, len(v), count)
		}
		out := make([]bool, count)
		for i, d := range v {
			out[i] = d == 1
		}
		return out, nil
	}
	axes := func(name string, count int) ([]int64, error) {
		v := n.AttrInts(name)
		if v == nil {
			return make([]int64, count), nil
		}
		if len(v) != count {
			return nil, ops.Errorf("Scan: %s has %d entries, want %d", name, len(v), count)
		}
		return v, nil
	}
	var err error
	if k.batched {
		if k.inReverse, err = flags("directions", k.numScan); err != nil {
			return nil, err
		}
		k.inAxes, k.outAxes, k.outReverse = make([]int64, k.numScan), make([]int64, nScanOut), make([]bool, nScanOut)
	} else {
		if k.inReverse, err = flags("scan_input_directions", k.numScan); err != nil {
			return nil, err
		}
		if k.outReverse, err = flags("scan_output_directions", nScanOut); err != nil {
			return nil, err
		}
		if k.inAxes, err = axes("scan_input_axes", k.numScan); err != nil {
			return nil, err
		}
		if k.outAxes, err = axes("scan_output_axes", nScanOut); err != nil {
			return nil, err
		}
	}
	return ops.Aliasing(k), nil
}

func (k *scanKernel) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	if !k.batched {
		return k.scan(ec, in, out)
	}
	if in[0] != nil {
		return fmt.Errorf("%w: Scan-8 with sequence_lens", ops.ErrUnsupportedOp)
	}
	in = in[1:]
	batch := -1
	for _, t := range in {
		if t.Rank() < 1 || (batch >= 0 && t.Shape()[0] != batch) {
			return ops.Errorf("Scan-8: inputs must share the batch dim 0")
		}
		batch = t.Shape()[0]
	}
	per := make([][]*tensor.Tensor, len(out))
	perBytes := make([]int64, len(out))
	held := kept{ec: ec}
	defer held.release()
	sliceBytes := valuesBytes(in) / int64(max(batch, 1))
	for b := range batch {
		if err := held.reserve(sliceBytes); err != nil {
			return fmt.Errorf("batch %d: %w", b, err)
		}
		bin := make([]*tensor.Tensor, len(in))
		for i, t := range in {
			var err error
			if bin[i], err = takeAlong(t, 0, b); err != nil {
				return err
			}
		}
		bout := make([]*tensor.Tensor, len(out))
		if err := k.scan(ec, bin, bout); err != nil {
			return fmt.Errorf("batch %d: %w", b, err)
		}
		held.drop(sliceBytes)
		for i := range out {
			per[i] = append(per[i], bout[i])
			perBytes[i] += bout[i].Bytes()
			if err := keepScanItem(ec, &held, perBytes[i], bout[i]); err != nil {
				return fmt.Errorf("batch %d: output %q: %w", b, k.n.Outputs[i], err)
			}
		}
	}
	for i := range out {
		if err := held.reserve(perBytes[i]); err != nil {
			return fmt.Errorf("output %q: stacking %d batches: %w", k.n.Outputs[i], len(per[i]), err)
		}
		var err error
		if out[i], err = stackOrEmpty(per[i], 0, k.n.Out[i].DType); err != nil {
			return err
		}
		per[i] = nil
		held.drop(perBytes[i])
	}
	return nil
}

// scan runs the unbatched Scan over in (states, then scan inputs).
func (k *scanKernel) scan(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	nStates := len(in) - k.numScan
	scanIn := in[nStates:]
	axes := make([]int, k.numScan)
	steps := -1
	for i, t := range scanIn {
		a, err := ops.NormAxis(k.inAxes[i], t.Rank())
		if err != nil {
			return err
		}
		axes[i] = a
		if steps >= 0 && t.Shape()[a] != steps {
			return ops.Errorf("Scan: scan inputs have %d and %d steps", steps, t.Shape()[a])
		}
		steps = t.Shape()[a]
	}
	states := append([]*tensor.Tensor(nil), in[:nStates]...)
	nScanOut := len(out) - nStates
	scans := make([][]*tensor.Tensor, nScanOut)
	scanBytes := make([]int64, nScanOut)
	held := kept{ec: ec}
	defer held.release()
	var statesBytes int64 // the Scan's inputs count where they were made
	var sliceBytes int64  // one step's slices of the scan inputs
	if steps > 0 {
		sliceBytes = valuesBytes(scanIn) / int64(steps)
	}
	args := make([]*tensor.Tensor, len(in))
	for t := range steps {
		if err := ec.Ctx.Err(); err != nil {
			return err
		}
		if err := held.reserve(sliceBytes); err != nil {
			return fmt.Errorf("iteration %d: scan input slices: %w", t, err)
		}
		copy(args, states)
		for i, x := range scanIn {
			idx := t
			if k.inReverse[i] {
				idx = steps - 1 - t
			}
			var err error
			if args[nStates+i], err = takeAlong(x, axes[i], idx); err != nil {
				return err
			}
		}
		res, err := runGraph(ec, "body", args, len(out))
		if err != nil {
			return fmt.Errorf("iteration %d: %w", t, err)
		}
		held.drop(sliceBytes)
		copy(states, res[:nStates])
		held.drop(statesBytes)
		statesBytes = valuesBytes(states)
		if err := held.reserve(statesBytes); err != nil {
			return fmt.Errorf("iteration %d: state values: %w", t, err)
		}
		for j := range scans {
			item := res[nStates+j]
			scans[j] = append(scans[j], item)
			scanBytes[j] += item.Bytes()
			if err := keepScanItem(ec, &held, scanBytes[j], item); err != nil {
				return fmt.Errorf("iteration %d: scan output %q (%d items of %v%v): %w", t, k.n.Outputs[nStates+j], len(scans[j]), item.DType(), item.Shape(), err)
			}
		}
	}
	copy(out, states)
	for j, s := range scans {
		if k.outReverse[j] {
			for a, b := 0, len(s)-1; a < b; a, b = a+1, b-1 {
				s[a], s[b] = s[b], s[a]
			}
		}
		axis := 0
		if len(s) > 0 {
			var err error
			if axis, err = ops.NormAxis(k.outAxes[j], s[0].Rank()+1); err != nil {
				return err
			}
		}
		// Stacking copies the items: count the copy, then drop them.
		if err := held.reserve(scanBytes[j]); err != nil {
			return fmt.Errorf("scan output %q: stacking %d items: %w", k.n.Outputs[nStates+j], len(s), err)
		}
		var err error
		if out[nStates+j], err = stackOrEmpty(s, axis, k.n.Out[nStates+j].DType); err != nil {
			return err
		}
		scans[j] = nil
		held.drop(scanBytes[j])
	}
	return nil
}

type seqMapKernel struct{ n *ops.Node }

func (k seqMapKernel) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	count := len(in[0].Items())
	for i, t := range in {
		if t.Kind() == tensor.KindSequence && len(t.Items()) != count {
			return ops.Errorf("SequenceMap: input %d has %d items, input 0 has %d", i, len(t.Items()), count)
		}
	}
	results := make([][]*tensor.Tensor, len(out))
	held := kept{ec: ec}
	defer held.release()
	args := make([]*tensor.Tensor, len(in))
	for j := range count {
		if err := ec.Ctx.Err(); err != nil {
			return err
		}
		for i, t := range in {
			args[i] = t
			if t.Kind() == tensor.KindSequence {
				args[i] = t.Items()[j]
			}
		}
		res, err := runGraph(ec, "body", args, len(out))
		if err != nil {
			return err
		}
		if err := held.reserve(valuesBytes(res[:len(out)])); err != nil {
			return fmt.Errorf("item %d: %w", j, err)
		}
		for o := range out {
			results[o] = append(results[o], res[o])
		}
	}
	for o := range out {
		dt := k.n.Out[o].DType
		if len(results[o]) > 0 {
			dt = results[o][0].DType()
		}
		out[o] = tensor.NewSequence(dt, results[o])
	}
	return nil
}

// sliceAlong returns x[..., start:start+n, ...] along axis, as a new tensor.
func sliceAlong(x *tensor.Tensor, axis, start, n int) (*tensor.Tensor, error) {
	shape := x.Shape()
	if axis < 0 || axis >= len(shape) || start < 0 || n < 0 || start+n > shape[axis] {
		return nil, ops.Errorf("slice [%d:%d] of axis %d is outside %v", start, start+n, axis, shape)
	}
	el := shpElemsOf(x.DType())
	if el == nil {
		return nil, fmt.Errorf("%w: dtype %v", ops.ErrUnsupportedOp, x.DType())
	}
	dims := append([]int(nil), shape...)
	dims[axis] = n
	y, err := tensor.New(x.DType(), dims...)
	if err != nil {
		return nil, err
	}
	outer, inner := shpProd(shape[:axis]), shpProd(shape[axis+1:])
	for o := range outer {
		el.copyN(y.Raw(), x.Raw(), o*n*inner, (o*shape[axis]+start)*inner, n*inner)
	}
	return y, nil
}

// takeAlong returns x[..., i, ...] along axis, with that axis removed.
func takeAlong(x *tensor.Tensor, axis, i int) (*tensor.Tensor, error) {
	y, err := sliceAlong(x, axis, i, 1)
	if err != nil {
		return nil, err
	}
	dims := append(append([]int(nil), x.Shape()[:axis]...), x.Shape()[axis+1:]...)
	return y.Reshape(dims...)
}

// concatAlong concatenates items along axis; with newAxis it stacks them
// along a new axis inserted there. All must share dtype and other dims.
func concatAlong(items []*tensor.Tensor, axis int, newAxis bool) (*tensor.Tensor, error) {
	first := items[0]
	base := first.Shape()
	if newAxis {
		base = append(append(append([]int(nil), base[:axis]...), 1), base[axis:]...)
	}
	if axis < 0 || axis >= len(base) {
		return nil, ops.Errorf("axis %d out of range for %v", axis, base)
	}
	el := shpElemsOf(first.DType())
	if el == nil {
		return nil, fmt.Errorf("%w: dtype %v", ops.ErrUnsupportedOp, first.DType())
	}
	total := 0
	lens := make([]int, len(items))
	for i, t := range items {
		s := t.Shape()
		if newAxis {
			s = append(append(append([]int(nil), s[:axis]...), 1), s[axis:]...)
		}
		if t.DType() != first.DType() || len(s) != len(base) {
			return nil, ops.Errorf("cannot join %v%v with %v%v", t.DType(), t.Shape(), first.DType(), first.Shape())
		}
		for d := range s {
			if d != axis && s[d] != base[d] {
				return nil, fmt.Errorf("%w: cannot join %v with %v along axis %d", ops.ErrShapeMismatch, t.Shape(), first.Shape(), axis)
			}
		}
		lens[i] = s[axis]
		total += s[axis]
	}
	dims := append([]int(nil), base...)
	dims[axis] = total
	y, err := tensor.New(first.DType(), dims...)
	if err != nil {
		return nil, err
	}
	outer, inner := shpProd(base[:axis]), shpProd(base[axis+1:])
	off := 0
	for o := range outer {
		for i, t := range items {
			n := lens[i] * inner
			el.copyN(y.Raw(), t.Raw(), off, o*n, n)
			off += n
		}
	}
	return y, nil
}
