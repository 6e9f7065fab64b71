package train

// Gradient rules of the shape operators (the gradient takes the input's
// shape back, or is cut and joined along the axis the op joined or cut) and
// of ReduceSum and ReduceMean (the gradient broadcast back over the reduced
// axes).

import (
	"fmt"
	"slices"

	"github.com/onyxml/onyx/ops"
)

func init() {
	for op, f := range map[string]GradFunc{
		"Reshape": gradReshape, "Flatten": gradReshape, "Squeeze": gradReshape, "Unsqueeze": gradReshape,
		"Transpose": gradTranspose, "Concat": gradConcat, "Split": gradSplit, "Expand": gradExpand,
		"ReduceSum": gradReduce, "ReduceMean": gradReduce,
	} {
		RegisterGradient("", op, f)
	}
}

// gradReshape: the gradient of any op that only changes the shape is dY
// reshaped to the input's shape.
func gradReshape(c *Context) ([]string, error) {
	return unary(c, func(dy string) string { return c.e.reshape(dy, c.e.shapeOf(c.In(0))) })
}

// gradTranspose transposes dY by the inverse permutation.
func gradTranspose(c *Context) ([]string, error) {
	perm := c.node.AttrInts("perm")
	if len(perm) == 0 {
		r := c.node.In[0].Rank()
		if r < 0 {
			return nil, fmt.Errorf("Transpose input of unknown rank")
		}
		for i := range r {
			perm = append(perm, int64(r-1-i))
		}
	}
	inv := make([]int64, len(perm))
	for i, p := range perm {
		if p < 0 || int(p) >= len(perm) {
			return nil, fmt.Errorf("Transpose perm %v is not a permutation", perm)
		}
		inv[p] = int64(i)
	}
	return unary(c, func(dy string) string { return c.e.op("Transpose", []string{dy}, attrInts("perm", inv...)) })
}

// gradConcat splits dY along the axis into the inputs' sizes: with Split
// when they are known, else (opset 10+) with one Slice per input whose
// bounds are read from the inputs' shapes.
func gradConcat(c *Context) ([]string, error) {
	n, e := c.node, c.e
	r := n.Out[0].Rank()
	if r < 0 {
		return nil, fmt.Errorf("Concat output of unknown rank")
	}
	axis, err := ops.NormAxis(n.AttrInt("axis"), r)
	if err != nil {
		return nil, err
	}
	sizes := make([]int64, len(n.Inputs))
	static := true
	for i, t := range n.In {
		if t.Rank() != r || !t.Shape[axis].Known() {
			static = false
			break
		}
		sizes[i] = t.Shape[axis].Value
	}
	g := c.grads()
	if static {
		outs, err := e.split(c.DY(0), int64(axis), sizes, len(n.Inputs))
		if err != nil {
			return nil, err
		}
		for i := range g {
			if c.Need(i) {
				g[i] = c.inputTyped(outs[i], i)
			}
		}
		return g, nil
	}
	if e.opset < 10 {
		return nil, errNoRule("Concat of inputs whose sizes along the axis are unknown when the graph is built (opset %d < 10)", e.opset)
	}
	ax := e.ints(int64(axis))
	start := e.ints(0)
	for i := range g {
		size := e.op("Slice", []string{e.shapeOf(c.In(i)), ax, e.ints(int64(axis) + 1)})
		end := e.add(start, size)
		if c.Need(i) {
			g[i] = c.inputTyped(e.op("Slice", []string{c.DY(0), start, end, ax}), i)
		}
		start = end
	}
	return g, nil
}

// gradSplit concatenates the outputs' gradients along the axis, with zeros
// for outputs that get none.
func gradSplit(c *Context) ([]string, error) {
	n, e := c.node, c.e
	r := n.In[0].Rank()
	if r < 0 {
		return nil, fmt.Errorf("Split input of unknown rank")
	}
	axis, err := ops.NormAxis(n.AttrInt("axis"), r)
	if err != nil {
		return nil, err
	}
	parts := make([]string, len(n.Outputs))
	for i, o := range n.Outputs {
		parts[i] = c.DY(i)
		if parts[i] == "" {
			if o == "" {
				return nil, errNoRule("Split with an omitted output")
			}
			parts[i] = e.filled(o, c.dtype(), 0)
		}
	}
	return unary(c, func(string) string { return e.op("Concat", parts, attrInt("axis", int64(axis))) })
}

// gradExpand sums dY back to the input's shape.
func gradExpand(c *Context) ([]string, error) {
	g := c.grads()
	if c.Need(0) {
		g[0] = c.SumTo(c.DY(0), 0, 0)
	}
	return g, nil
}

// gradReduce: ReduceSum's gradient is dY broadcast back over the reduced
// axes (re-inserted first when keepdims is 0); ReduceMean's is that
// divided by the number of elements each output element averaged.
func gradReduce(c *Context) ([]string, error) {
	n, e := c.node, c.e
	r := n.In[0].Rank()
	if r < 0 {
		return nil, fmt.Errorf("%s input of unknown rank", n.OpType)
	}
	var axes []int64
	if ops.ReduceAxesFromInput(n) {
		if n.HasIn(1) {
			v := n.In[1].Value
			if v == nil {
				return nil, errNoRule("%s with axes computed at run time", n.OpType)
			}
			var err error
			if axes, err = v.Int64s(); err != nil {
				return nil, err
			}
		}
		if len(axes) == 0 && n.AttrInt("noop_with_empty_axes") != 0 {
			return gradIdentity(c)
		}
	} else {
		axes = n.AttrInts("axes")
	}
	norm := make([]int64, 0, len(axes))
	for _, a := range axes {
		ax, err := ops.NormAxis(a, r)
		if err != nil {
			return nil, err
		}
		norm = append(norm, int64(ax))
	}
	slices.Sort(norm)
	return unary(c, func(dy string) string {
		if n.AttrInt("keepdims") == 0 && len(norm) > 0 {
			dy = e.unsqueeze(dy, norm...)
		}
		g := e.expandTo(dy, c.In(0))
		if n.OpType == "ReduceMean" {
			g = e.div(g, e.count(c.In(0), c.Out(0), c.dtype()))
		}
		return g
	})
}
