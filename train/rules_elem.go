package train

// Gradient rules of the elementwise operators: arithmetic with numpy
// broadcasting (each operand's gradient summed back to its shape) and the
// activations.

import (
	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	for op, f := range map[string]GradFunc{
		"Add": gradAdd, "Sub": gradSub, "Mul": gradMul, "Div": gradDiv, "Pow": gradPow,
		"Sum": gradSum, "Mean": gradMean, "Where": gradWhere,
		"Neg": gradNeg, "Identity": gradIdentity, "Exp": gradExp, "Log": gradLog, "Sqrt": gradSqrt,
		"Reciprocal": gradReciprocal, "Abs": gradAbs, "Relu": gradRelu, "LeakyRelu": gradLeakyRelu,
		"Sigmoid": gradSigmoid, "Tanh": gradTanh, "Softplus": gradSoftplus, "Cast": gradCast,
	} {
		RegisterGradient("", op, f)
	}
}

// dtype returns the float type of input 0.
func (c *Context) dtype() tensor.DType { return c.node.In[0].DType }

// yShape returns the shape of output 0.
func (c *Context) yShape() ir.Shape { return c.node.Out[0].Shape }

// typed records that name has the type of output 0 (a gradient at the
// output's shape).
func (c *Context) typed(name string) string {
	return c.e.setType(name, c.node.Out[0].DType, c.yShape())
}

// inputTyped records that name has the type of input i.
func (c *Context) inputTyped(name string, i int) string {
	t := c.node.In[i]
	return c.e.setType(name, t.DType, t.Shape)
}

// grads returns a slice for the gradients of every input.
func (c *Context) grads() []string { return make([]string, len(c.node.Inputs)) }

func gradAdd(c *Context) ([]string, error) {
	g := c.grads()
	for i := range 2 {
		if c.Need(i) {
			g[i] = c.SumTo(c.DY(0), 0, i)
		}
	}
	return g, nil
}

func gradSub(c *Context) ([]string, error) {
	g := c.grads()
	if c.Need(0) {
		g[0] = c.SumTo(c.DY(0), 0, 0)
	}
	if c.Need(1) {
		g[1] = c.inputTyped(c.e.neg(c.SumTo(c.DY(0), 0, 1)), 1)
	}
	return g, nil
}

func gradMul(c *Context) ([]string, error) {
	g := c.grads()
	for i := range 2 {
		if c.Need(i) {
			g[i] = c.SumTo(c.typed(c.e.mul(c.DY(0), c.In(1-i))), 0, i)
		}
	}
	return g, nil
}

// gradDiv: Y = A/B, dA = dY/B, dB = -dY*A/B^2 = -(dY/B)*Y.
func gradDiv(c *Context) ([]string, error) {
	g := c.grads()
	q := c.typed(c.e.div(c.DY(0), c.In(1)))
	if c.Need(0) {
		g[0] = c.SumTo(q, 0, 0)
	}
	if c.Need(1) {
		g[1] = c.SumTo(c.typed(c.e.neg(c.e.mul(q, c.Out(0)))), 0, 1)
	}
	return g, nil
}

// gradPow: Y = X^P, dX = dY * P * X^(P-1), dP = dY * Y * ln(X).
func gradPow(c *Context) ([]string, error) {
	g := c.grads()
	dt, e, dy := c.dtype(), c.e, c.DY(0)
	x, p := c.In(0), c.In(1)
	if c.Need(0) {
		var t string
		if pv := c.node.In[1].Value; pv != nil && pv.Len() == 1 && c.node.In[1].DType != tensor.Undefined {
			v, err := pv.Float64s()
			if err != nil {
				return nil, err
			}
			// A constant exponent (the common x^2): dX = dY * p * x^(p-1).
			switch q := v[0] - 1; q {
			case 0:
				t = dy
			case 1:
				t = e.mul(dy, e.mul(x, e.scalar(dt, v[0])))
			default:
				t = e.mul(dy, e.mul(e.op("Pow", []string{x, e.scalar(dt, q)}), e.scalar(dt, v[0])))
			}
		} else {
			pf := p
			if c.node.In[1].DType != dt {
				pf = e.op("Cast", []string{p}, attrInt("to", int64(dt)))
			}
			t = e.mul(dy, e.mul(pf, e.op("Pow", []string{x, e.sub(pf, e.scalar(dt, 1))})))
		}
		g[0] = c.SumTo(c.typed(t), 0, 0)
	}
	if c.Need(1) {
		t := e.mul(dy, e.mul(c.Out(0), e.op("Log", []string{x})))
		if pdt := c.node.In[1].DType; pdt != dt {
			t = e.op("Cast", []string{t}, attrInt("to", int64(pdt)))
		}
		g[1] = c.SumTo(e.setType(t, c.node.In[1].DType, c.yShape()), 0, 1)
	}
	return g, nil
}

func gradSum(c *Context) ([]string, error) {
	g := c.grads()
	for i := range g {
		if c.Need(i) {
			g[i] = c.SumTo(c.DY(0), 0, i)
		}
	}
	return g, nil
}

func gradMean(c *Context) ([]string, error) {
	g := c.grads()
	q := c.typed(c.e.div(c.DY(0), c.e.scalar(c.dtype(), float64(len(g)))))
	for i := range g {
		if c.Need(i) {
			g[i] = c.SumTo(q, 0, i)
		}
	}
	return g, nil
}

// gradWhere: the gradient goes to X where the condition holds, else to Y.
func gradWhere(c *Context) ([]string, error) {
	g := c.grads()
	zero := c.e.scalar(c.node.Out[0].DType, 0)
	if c.Need(1) {
		g[1] = c.SumTo(c.typed(c.e.op("Where", []string{c.In(0), c.DY(0), zero})), 0, 1)
	}
	if c.Need(2) {
		g[2] = c.SumTo(c.typed(c.e.op("Where", []string{c.In(0), zero, c.DY(0)})), 0, 2)
	}
	return g, nil
}

// unary wraps a rule for a one-input op whose gradient is f(dY).
func unary(c *Context, f func(dy string) string) ([]string, error) {
	g := c.grads()
	if c.Need(0) {
		g[0] = c.inputTyped(f(c.DY(0)), 0)
	}
	return g, nil
}

func gradNeg(c *Context) ([]string, error) {
	return unary(c, c.e.neg)
}

func gradIdentity(c *Context) ([]string, error) {
	return unary(c, func(dy string) string { return dy })
}

func gradExp(c *Context) ([]string, error) {
	return unary(c, func(dy string) string { return c.e.mul(dy, c.Out(0)) })
}

func gradLog(c *Context) ([]string, error) {
	return unary(c, func(dy string) string { return c.e.div(dy, c.In(0)) })
}

// gradSqrt: dX = dY / (2 sqrt(X)) = dY * 0.5 / Y.
func gradSqrt(c *Context) ([]string, error) {
	return unary(c, func(dy string) string {
		return c.e.div(c.e.mul(dy, c.e.scalar(c.dtype(), 0.5)), c.Out(0))
	})
}

// gradReciprocal: dX = -dY / X^2 = -dY * Y^2.
func gradReciprocal(c *Context) ([]string, error) {
	return unary(c, func(dy string) string {
		y := c.Out(0)
		return c.e.neg(c.e.mul(dy, c.e.mul(y, y)))
	})
}

func gradAbs(c *Context) ([]string, error) {
	return unary(c, func(dy string) string { return c.e.mul(dy, c.e.op("Sign", []string{c.In(0)})) })
}

// gradRelu: dX = dY where X > 0, else 0.
func gradRelu(c *Context) ([]string, error) {
	return unary(c, func(dy string) string {
		zero := c.e.scalar(c.dtype(), 0)
		return c.e.op("Where", []string{c.e.op("Greater", []string{c.In(0), zero}), dy, zero})
	})
}

// gradLeakyRelu: dX = dY where X > 0, else alpha*dY.
func gradLeakyRelu(c *Context) ([]string, error) {
	return unary(c, func(dy string) string {
		dt := c.dtype()
		alpha := c.e.scalar(dt, float64(c.node.AttrFloat("alpha")))
		pos := c.e.op("Greater", []string{c.In(0), c.e.scalar(dt, 0)})
		return c.e.op("Where", []string{pos, dy, c.e.mul(dy, alpha)})
	})
}

// gradSigmoid: dX = dY * Y * (1 - Y).
func gradSigmoid(c *Context) ([]string, error) {
	return unary(c, func(dy string) string {
		y := c.Out(0)
		return c.e.mul(dy, c.e.mul(y, c.e.sub(c.e.scalar(c.dtype(), 1), y)))
	})
}

// gradTanh: dX = dY * (1 - Y^2).
func gradTanh(c *Context) ([]string, error) {
	return unary(c, func(dy string) string {
		y := c.Out(0)
		return c.e.mul(dy, c.e.sub(c.e.scalar(c.dtype(), 1), c.e.mul(y, y)))
	})
}

// gradSoftplus: dX = dY * sigmoid(X).
func gradSoftplus(c *Context) ([]string, error) {
	return unary(c, func(dy string) string {
		return c.e.mul(dy, c.e.op("Sigmoid", []string{c.In(0)}))
	})
}

// gradCast: a float-to-float Cast passes the gradient back in the input's
// type (casts to or from other types carry none).
func gradCast(c *Context) ([]string, error) {
	return unary(c, func(dy string) string {
		return c.e.op("Cast", []string{dy}, attrInt("to", int64(c.dtype())))
	})
}
