package generic

// The Pad kernel: constant, reflect, edge and wrap modes, negative pads
// (cropping), and the axes input of opset 18, for every dtype.

import (
	"fmt"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() { register("Pad", shpNewPad) }

// shpPadMap returns, for each of the out positions along one axis, the
// source index it reads (in [lo, hi) of the input axis), or -1 for the
// constant. pre is the number of positions before the kept input range.
func shpPadMap(mode string, out, pre, lo, hi int) []int {
	c := hi - lo
	m := make([]int, out)
	for o := range m {
		i := o - pre
		switch {
		case i >= 0 && i < c:
		case mode == "edge":
			i = min(max(i, 0), c-1)
		case mode == "wrap":
			i = ((i % c) + c) % c
		case mode == "reflect":
			if c == 1 {
				i = 0
				break
			}
			p := 2 * (c - 1)
			i = ((i % p) + p) % p
			if i >= c {
				i = p - i
			}
		default: // constant
			m[o] = -1
			continue
		}
		m[o] = lo + i
	}
	return m
}

func shpNewPad(n *ops.Node) (ops.Kernel, error) {
	dt := n.In[0].DType
	el := shpElemsOf(dt)
	if el == nil {
		return nil, nil
	}
	mode, err := ops.PadMode(n)
	if err != nil {
		return nil, err
	}
	attrValue := el.zero()
	if n.Opset < 11 {
		if v := shpNumber(dt, float64(n.AttrFloat("value"))); v != nil {
			attrValue = v
		}
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		r := len(xs)
		var pads, axes []int64
		cv := attrValue
		if n.Opset >= 11 {
			var err error
			if pads, err = shpInts(in[1]); err != nil {
				return err
			}
			if len(in) > 2 && in[2] != nil {
				c := in[2]
				if c.DType() != dt || c.Len() != 1 {
					return fmt.Errorf("%w: pad: constant_value %v for %v data", ops.ErrInvalidNode, c, dt)
				}
				cv = el.at(c.Raw(), 0)
			}
			if len(in) > 3 && in[3] != nil {
				if axes, err = shpInts(in[3]); err != nil {
					return err
				}
				if axes == nil {
					axes = []int64{}
				}
			}
		}
		before, after, err := ops.PadAmounts(n, r, pads, axes)
		if err != nil {
			return err
		}
		dims := make([]int, r)
		maps := make([][]int, r)
		st := tensor.Strides(xs)
		for a, d := range xs {
			b, e := before[a], after[a]
			lo, hi := int64(0), int64(d)
			if b < 0 {
				lo = -b
			}
			if e < 0 {
				hi += e
			}
			if hi < lo {
				return fmt.Errorf("%w: pad: pads %d, %d crop more than axis %d of size %d", ops.ErrShapeMismatch, b, e, a, d)
			}
			o := (hi - lo) + max(b, 0) + max(e, 0)
			if o > tensor.MaxElements {
				return fmt.Errorf("%w: pad: output too large", ops.ErrInvalidNode)
			}
			if mode != "constant" && hi == lo && o > 0 {
				return fmt.Errorf("%w: pad: mode %s cannot pad an empty axis %d", ops.ErrShapeMismatch, mode, a)
			}
			dims[a] = int(o)
		}
		y, err := shpOut(out, 0, dt, dims)
		if err != nil {
			return err
		}
		if y.Len() == 0 {
			return nil
		}
		if r == 0 {
			el.copyN(y.Raw(), x.Raw(), 0, 0, 1)
			return nil
		}
		for a, d := range xs {
			b, e := before[a], after[a]
			lo, hi := int(max(-b, 0)), d-int(max(-e, 0))
			maps[a] = shpPadMap(mode, dims[a], int(max(b, 0)), lo, hi)
			if a < r-1 {
				for i, v := range maps[a] {
					if v >= 0 {
						maps[a][i] = v * st[a]
					}
				}
			}
		}
		// Walk the output rows (all axes but the last); a row is constant
		// if any of its coordinates is, else it gathers through the last map.
		yd, xd := y.Raw(), x.Raw()
		row := dims[r-1]
		// Along the last axis, [ilo, ihi) copies the kept input run [lo, ...).
		last := maps[r-1]
		ilo := int(max(before[r-1], 0))
		ihi := ilo + xs[r-1] - int(max(-before[r-1], 0)) - int(max(-after[r-1], 0))
		lo := int(max(-before[r-1], 0))
		c := make([]int, r-1)
		for off := 0; off < y.Len(); off += row {
			base, constant := 0, false
			for a, i := range c {
				v := maps[a][i]
				if v < 0 {
					constant = true
					break
				}
				base += v
			}
			if constant {
				el.fill(yd, off, row, cv)
			} else {
				el.gather(yd, xd, off, base, last[:ilo], 1, cv)
				el.copyN(yd, xd, off+ilo, base+lo, ihi-ilo)
				el.gather(yd, xd, off+ihi, base, last[ihi:], 1, cv)
			}
			for a := r - 2; a >= 0; a-- {
				c[a]++
				if c[a] < dims[a] {
					break
				}
				c[a] = 0
			}
		}
		return nil
	}), nil
}
