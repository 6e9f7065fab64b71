package generic

import (
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// Sequence and optional operators. Sequences and optionals are immutable:
// every operator returns a new container (sharing the unchanged tensors).

func init() {
	seqOp := func(op string, f func(n *ops.Node, in []*tensor.Tensor) (*tensor.Tensor, error)) {
		register(op, func(n *ops.Node) (ops.Kernel, error) {
			return ops.Aliasing(ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
				y, err := f(n, in)
				out[0] = y
				return err
			})), nil
		})
	}
	seqOp("SequenceEmpty", func(n *ops.Node, _ []*tensor.Tensor) (*tensor.Tensor, error) {
		return tensor.NewSequence(tensor.DType(n.AttrInt("dtype")), nil), nil
	})
	seqOp("SequenceConstruct", func(n *ops.Node, in []*tensor.Tensor) (*tensor.Tensor, error) {
		return tensor.NewSequence(in[0].DType(), in), nil
	})
	seqOp("SequenceInsert", func(n *ops.Node, in []*tensor.Tensor) (*tensor.Tensor, error) {
		items := in[0].Items()
		pos, err := seqPosition(in, 2, len(items), len(items), true)
		if err != nil {
			return nil, err
		}
		next := make([]*tensor.Tensor, 0, len(items)+1)
		next = append(append(append(next, items[:pos]...), in[1]), items[pos:]...)
		return tensor.NewSequence(in[1].DType(), next), nil
	})
	seqOp("SequenceAt", func(n *ops.Node, in []*tensor.Tensor) (*tensor.Tensor, error) {
		items := in[0].Items()
		pos, err := seqPosition(in, 1, len(items), -1, false)
		if err != nil {
			return nil, err
		}
		return items[pos], nil
	})
	seqOp("SequenceErase", func(n *ops.Node, in []*tensor.Tensor) (*tensor.Tensor, error) {
		items := in[0].Items()
		pos, err := seqPosition(in, 1, len(items), len(items)-1, false)
		if err != nil {
			return nil, err
		}
		next := append(append([]*tensor.Tensor{}, items[:pos]...), items[pos+1:]...)
		return tensor.NewSequence(in[0].DType(), next), nil
	})
	seqOp("SequenceLength", func(n *ops.Node, in []*tensor.Tensor) (*tensor.Tensor, error) {
		return tensor.Scalar(int64(len(in[0].Items()))), nil
	})
	seqOp("SplitToSequence", splitToSequence)
	seqOp("ConcatFromSequence", func(n *ops.Node, in []*tensor.Tensor) (*tensor.Tensor, error) {
		items := in[0].Items()
		if len(items) == 0 {
			return nil, ops.Errorf("ConcatFromSequence: the sequence is empty")
		}
		newAxis := n.AttrInt("new_axis") == 1
		rank := items[0].Rank()
		if newAxis {
			rank++
		}
		axis, err := ops.NormAxis(n.AttrInt("axis"), rank)
		if err != nil {
			return nil, err
		}
		return concatAlong(items, axis, newAxis)
	})
	seqOp("Optional", func(n *ops.Node, in []*tensor.Tensor) (*tensor.Tensor, error) {
		if len(in) > 0 && in[0] != nil {
			return tensor.NewOptional(in[0].DType(), in[0]), nil
		}
		return tensor.NewOptional(n.Out[0].DType, nil), nil
	})
	seqOp("OptionalHasElement", func(n *ops.Node, in []*tensor.Tensor) (*tensor.Tensor, error) {
		has := len(in) > 0 && in[0] != nil && (in[0].Kind() != tensor.KindOptional || len(in[0].Items()) > 0)
		return tensor.Scalar(has), nil
	})
	seqOp("OptionalGetElement", func(n *ops.Node, in []*tensor.Tensor) (*tensor.Tensor, error) {
		if in[0].Kind() != tensor.KindOptional {
			return in[0], nil
		}
		if len(in[0].Items()) == 0 {
			return nil, ops.Errorf("OptionalGetElement: the optional is empty")
		}
		return in[0].Items()[0], nil
	})
}

// seqPosition reads the position input in[i] for a sequence of n items:
// absent gives def; negative counts from the back; the accepted range is
// [-n, n] when end is allowed (insertion), else [-n, n-1].
func seqPosition(in []*tensor.Tensor, i, n, def int, end bool) (int, error) {
	if i >= len(in) || in[i] == nil {
		if def < 0 || def > n || (!end && def == n) {
			return 0, ops.Errorf("position out of range for a sequence of %d", n)
		}
		return def, nil
	}
	p, err := scalarInt(in[i], "sequence position")
	if err != nil {
		return 0, err
	}
	hi := int64(n - 1)
	if end {
		hi = int64(n)
	}
	if p < -int64(n) || p > hi {
		return 0, ops.Errorf("position %d out of range for a sequence of %d", p, n)
	}
	if p < 0 {
		p += int64(n)
	}
	return int(p), nil
}

func splitToSequence(n *ops.Node, in []*tensor.Tensor) (*tensor.Tensor, error) {
	x := in[0]
	axis, err := ops.NormAxis(n.AttrInt("axis"), x.Rank())
	if err != nil {
		return nil, err
	}
	dim := x.Shape()[axis]
	var sizes []int
	squeeze := false
	switch {
	case len(in) < 2 || in[1] == nil:
		sizes = make([]int, dim)
		for i := range sizes {
			sizes[i] = 1
		}
		squeeze = n.AttrInt("keepdims") == 0
	case in[1].Rank() == 0:
		s, err := scalarInt(in[1], "split")
		if err != nil {
			return nil, err
		}
		if s <= 0 {
			return nil, ops.Errorf("SplitToSequence: split %d must be positive", s)
		}
		for left := dim; left > 0; left -= int(s) {
			sizes = append(sizes, min(left, int(s)))
		}
	default:
		v, err := in[1].Int64s()
		if err != nil {
			return nil, ops.Errorf("SplitToSequence: split: %v", err)
		}
		sum := int64(0)
		for _, s := range v {
			if s < 0 {
				return nil, ops.Errorf("SplitToSequence: negative split %d", s)
			}
			sum += s
			sizes = append(sizes, int(s))
		}
		if sum != int64(dim) {
			return nil, ops.Errorf("SplitToSequence: splits sum to %d, the axis has %d", sum, dim)
		}
	}
	items := make([]*tensor.Tensor, len(sizes))
	start := 0
	for i, s := range sizes {
		if squeeze {
			items[i], err = takeAlong(x, axis, start)
		} else {
			items[i], err = sliceAlong(x, axis, start, s)
		}
		if err != nil {
			return nil, err
		}
		start += s
	}
	return tensor.NewSequence(x.DType(), items), nil
}
