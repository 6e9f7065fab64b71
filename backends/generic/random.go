package generic

// The random ops: RandomUniform, RandomNormal, RandomUniformLike,
// RandomNormalLike, Bernoulli and Multinomial.
//
// Each Run draws from a fresh PCG generator. With a seed attribute the
// generator is seeded from it, so every Run of the node gives the same
// values (a kernel keeps no state between Runs, which may be concurrent);
// without one it is seeded from math/rand/v2's global source, so Runs
// differ. Values are drawn in float64 and rounded to the output type.

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("RandomUniform", rndNewFloats(false))
	register("RandomUniformLike", rndNewFloats(true))
	register("RandomNormal", rndNewFloats(false))
	register("RandomNormalLike", rndNewFloats(true))
	register("Bernoulli", rndNewBernoulli)
	register("Multinomial", rndNewMultinomial)
}

// rndStream is the PCG stream of seeded generators (any fixed value).
const rndStream = 0x6f6e7978 // "onyx"

// rndSeed says how a node's generator is seeded.
type rndSeed struct {
	fixed bool
	seed  uint64
}

func rndSeedOf(n *ops.Node) rndSeed {
	if !n.HasAttr("seed") {
		return rndSeed{}
	}
	return rndSeed{fixed: true, seed: math.Float64bits(float64(n.AttrFloat("seed")))}
}

// rng returns a new generator for one Run.
func (s rndSeed) rng() *rand.Rand {
	if s.fixed {
		return rand.New(rand.NewPCG(s.seed, rndStream))
	}
	return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
}

// rndFloatOut reports whether dt is a float type the random ops produce.
func rndFloatOut(dt tensor.DType) bool {
	return dt == tensor.Float32 || dt == tensor.Float64 || dt == tensor.Float16 || dt == tensor.BFloat16
}

// rndNewFloats builds RandomUniform and RandomNormal (like: their -Like
// forms, which take the output shape from the input).
func rndNewFloats(like bool) ops.KernelFactory {
	return func(n *ops.Node) (ops.Kernel, error) {
		if len(n.Out) == 0 || !rndFloatOut(n.Out[0].DType) {
			return nil, nil
		}
		dt, seed := n.Out[0].DType, rndSeedOf(n)
		var shape []int
		if !like {
			s, ok := n.Out[0].ConcreteShape()
			if !ok {
				return nil, ops.Errorf("%s: invalid shape attribute", n.OpType)
			}
			shape = s
		}
		var draw func(r *rand.Rand) float64
		var bounds *[2]float64
		uniform := n.OpType == "RandomUniform" || n.OpType == "RandomUniformLike"
		if uniform {
			lo, hi := float64(n.AttrFloat("low")), float64(n.AttrFloat("high"))
			if !(lo <= hi) {
				return nil, ops.Errorf("%s: low %v above high %v", n.OpType, lo, hi)
			}
			bounds = &[2]float64{lo, hi}
			draw = func(r *rand.Rand) float64 { return lo + (hi-lo)*r.Float64() }
		} else {
			mean, scale := float64(n.AttrFloat("mean")), float64(n.AttrFloat("scale"))
			draw = func(r *rand.Rand) float64 { return mean + scale*r.NormFloat64() }
		}
		return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
			s := shape
			if like {
				s = in[0].Shape()
			}
			y, err := nnOut(out, 0, dt, s)
			if err != nil {
				return err
			}
			rndFill(y, seed.rng(), draw, bounds)
			return nil
		}), nil
	}
}

// rndFill fills t (a float tensor) with draws. bounds, when set, is the
// [low, high) range of the draws: rounding to float32 or float64 must then
// not reach high (unless low == high). In the half types, whose steps are
// coarse, it may.
func rndFill(t *tensor.Tensor, r *rand.Rand, draw func(*rand.Rand) float64, bounds *[2]float64) {
	switch d := t.Raw().(type) {
	case []float32:
		conv := func(v float64) float32 { return float32(v) }
		if bounds != nil {
			lo, hi := float32(bounds[0]), float32(bounds[1])
			if top := math.Nextafter32(hi, lo); lo < hi {
				conv = func(v float64) float32 { return min(float32(v), top) }
			}
		}
		rndFillAs(d, r, draw, conv)
	case []float64:
		conv := func(v float64) float64 { return v }
		if bounds != nil && bounds[0] < bounds[1] {
			top := math.Nextafter(bounds[1], bounds[0])
			conv = func(v float64) float64 { return min(v, top) }
		}
		rndFillAs(d, r, draw, conv)
	case []tensor.F16:
		rndFillAs(d, r, draw, func(v float64) tensor.F16 { return tensor.NewF16(float32(v)) })
	case []tensor.BF16:
		rndFillAs(d, r, draw, func(v float64) tensor.BF16 { return tensor.NewBF16(float32(v)) })
	}
}

func rndFillAs[T any](d []T, r *rand.Rand, draw func(*rand.Rand) float64, conv func(float64) T) {
	for i := range d {
		d[i] = conv(draw(r))
	}
}

// rndNewBernoulli builds Bernoulli: output 1 where a uniform draw in [0, 1)
// is below the input's probability (so p <= 0 never, p >= 1 always, NaN
// never), in the output's type.
func rndNewBernoulli(n *ops.Node) (ops.Kernel, error) {
	if len(n.Out) == 0 || !n.Out[0].DType.Supported() || !rndFloatOut(n.In[0].DType) {
		return nil, nil
	}
	dt, seed := n.Out[0].DType, rndSeedOf(n)
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		p, err := in[0].Float64s()
		if err != nil {
			return err
		}
		bits := tensor.Must(tensor.New(tensor.Bool, in[0].Shape()...))
		b := tensor.Data[bool](bits)
		r := seed.rng()
		for i, pi := range p {
			b[i] = r.Float64() < pi
		}
		y, err := nnOut(out, 0, dt, in[0].Shape())
		if err != nil {
			return err
		}
		return elemCastTensor(y, bits)
	}), nil
}

// rndNewMultinomial builds Multinomial: for each row of [batch, classes]
// unnormalized log-probabilities, sample_size class indices drawn with
// probabilities softmax(row). NaN counts as -Inf (probability 0); when
// some entries are +Inf they share all the probability; a row of only
// -Inf (or NaN) is an error.
func rndNewMultinomial(n *ops.Node) (ops.Kernel, error) {
	if len(n.Out) == 0 || !rndFloatOut(n.In[0].DType) {
		return nil, nil
	}
	dt, seed := n.Out[0].DType, rndSeedOf(n)
	if dt != tensor.Int32 && dt != tensor.Int64 {
		return nil, nil
	}
	k := n.AttrInt("sample_size")
	if k < 0 || k > tensor.MaxElements {
		return nil, ops.Errorf("Multinomial: sample_size %d out of range", k)
	}
	samples := int(k)
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		shape := in[0].Shape()
		if len(shape) != 2 {
			return fmt.Errorf("%w: Multinomial input shape %v, want [batch_size, class_size]", ops.ErrShapeMismatch, shape)
		}
		batch, classes := shape[0], shape[1]
		y, err := nnOut(out, 0, dt, []int{batch, samples})
		if err != nil {
			return err
		}
		if y.Len() == 0 {
			return nil
		}
		if classes == 0 {
			return ops.Errorf("Multinomial: no classes to draw from")
		}
		x, err := in[0].Float64s()
		if err != nil {
			return err
		}
		r := seed.rng()
		cum := make([]float64, classes)
		idx := make([]int64, samples)
		for b := range batch {
			if err := rndCumulative(cum, x[b*classes:(b+1)*classes]); err != nil {
				return err
			}
			total := cum[classes-1]
			for s := range idx {
				idx[s] = int64(rndSearch(cum, r.Float64()*total))
			}
			switch d := y.Raw().(type) {
			case []int32:
				for s, v := range idx {
					d[b*samples+s] = int32(v)
				}
			case []int64:
				copy(d[b*samples:], idx)
			}
		}
		return nil
	}), nil
}

// rndCumulative stores in cum the running sums of exp(x - max(x)) (or, if
// some x are +Inf, of their indicator).
func rndCumulative(cum, x []float64) error {
	m := math.Inf(-1)
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	if math.IsInf(m, -1) {
		return fmt.Errorf("%w: Multinomial row without a finite log-probability", ops.ErrInvalidNode)
	}
	var s float64
	for i, v := range x {
		switch {
		case math.IsInf(m, 1):
			if math.IsInf(v, 1) {
				s++
			}
		case v == v:
			s += math.Exp(v - m)
		}
		cum[i] = s
	}
	return nil
}

// rndSearch returns the first i with cum[i] > u (u < cum[len-1]), so a
// class of probability 0 is never chosen.
func rndSearch(cum []float64, u float64) int {
	lo, hi := 0, len(cum)-1
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if cum[mid] > u {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}
