package generic

import (
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func TestShpPadModes(t *testing.T) {
	data := shpTen([]int{3, 2}, float32(1), 1.2, 2.3, 3.4, 4.5, 5.7)
	for _, c := range []struct {
		mode string
		pads []int64
		want *tensor.Tensor
	}{
		{"constant", []int64{0, 2, 0, 0}, shpTen([]int{3, 4}, float32(0), 0, 1, 1.2, 0, 0, 2.3, 3.4, 0, 0, 4.5, 5.7)},
		{"reflect", []int64{0, 2, 0, 0}, shpTen([]int{3, 4}, float32(1), 1.2, 1, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7)},
		{"edge", []int64{0, 2, 0, 0}, shpTen([]int{3, 4}, float32(1), 1, 1, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7)},
		{"wrap", []int64{2, 1, 1, 1}, shpTen([]int{6, 4},
			float32(3.4), 2.3, 3.4, 2.3,
			5.7, 4.5, 5.7, 4.5,
			1.2, 1, 1.2, 1,
			3.4, 2.3, 3.4, 2.3,
			5.7, 4.5, 5.7, 4.5,
			1.2, 1, 1.2, 1)},
	} {
		got := mustEval(t, "Pad", 19, 1, []*tensor.Tensor{data, shpI64(c.pads...)}, attrStr("mode", c.mode))[0]
		shpEq(t, "Pad spec example "+c.mode, got, c.want)
	}
	// Constant value, negative pads, axes, strings, bools.
	got := mustEval(t, "Pad", 13, 1, []*tensor.Tensor{data, shpI64(-1, 1, 0, 0), tensor.Scalar(float32(9))})[0]
	shpEq(t, "Pad crop and constant", got, shpTen([]int{2, 3}, float32(9), 2.3, 3.4, 9, 4.5, 5.7))
	got = mustEval(t, "Pad", 18, 1, []*tensor.Tensor{data, shpI64(1, -1), nil, shpI64(-1)}, attrStr("mode", "edge"))[0]
	shpEq(t, "Pad axes", got, shpTen([]int{3, 2}, float32(1), 1, 2.3, 2.3, 4.5, 4.5))
	s := shpAs(shpIota(2), tensor.String)
	got = mustEval(t, "Pad", 13, 1, []*tensor.Tensor{s, shpI64(1, 2)})[0]
	shpEq(t, "Pad strings", got, shpTen([]int{5}, "", "0", "1", "", ""))
	got = mustEval(t, "Pad", 13, 1, []*tensor.Tensor{s, shpI64(1, 2), tensor.Scalar("p")}, attrStr("mode", "constant"))[0]
	shpEq(t, "Pad strings constant", got, shpTen([]int{5}, "p", "0", "1", "p", "p"))
	got = mustEval(t, "Pad", 13, 1, []*tensor.Tensor{shpTen([]int{1}, true), shpI64(1, 1)}, attrStr("mode", "reflect"))[0]
	shpEq(t, "Pad reflect a single element", got, shpTen([]int{3}, true, true, true))
	got = mustEval(t, "Pad", 2, 1, []*tensor.Tensor{shpIota(1, 2)}, attrInts("pads", 0, 1, 0, 0), attrFloat("value", 1.5))[0]
	shpEq(t, "Pad 2", got, shpTen([]int{1, 3}, float32(1.5), 0, 1))
	got = mustEval(t, "Pad", 13, 1, []*tensor.Tensor{tensor.Scalar(int64(4)), shpI64()})[0]
	shpEq(t, "Pad scalar", got, tensor.Scalar(int64(4)))
	got = mustEval(t, "Pad", 13, 1, []*tensor.Tensor{shpIota(0, 2), shpI64(1, 0, 1, 0)})[0]
	shpEq(t, "Pad an empty tensor", got, shpTen([]int{2, 2}, float32(0), 0, 0, 0))
	got = mustEval(t, "Pad", 13, 1, []*tensor.Tensor{shpIota(2, 2), shpI64(0, 0, -2, 0)})[0]
	shpEq(t, "Pad to empty", got, shpIota(0, 2))

	shpFails(t, "Pad crop too much", ops.ErrShapeMismatch, "Pad", 13, 1, []*tensor.Tensor{data, shpI64(-2, 0, -2, 0)})
	shpFails(t, "Pad reflect of nothing", ops.ErrShapeMismatch, "Pad", 13, 1, []*tensor.Tensor{shpIota(0, 2), shpI64(1, 0, 0, 0)}, attrStr("mode", "reflect"))
	shpFails(t, "Pad pads length", ops.ErrInvalidNode, "Pad", 13, 1, []*tensor.Tensor{data, shpI64(1, 1)})
	shpFails(t, "Pad constant type", ops.ErrInvalidNode, "Pad", 13, 1, []*tensor.Tensor{data, shpI64(0, 0, 0, 0), tensor.Scalar(1.0)})
	shpFails(t, "Pad mode", ops.ErrInvalidNode, "Pad", 13, 1, []*tensor.Tensor{data, shpI64(0, 0, 0, 0)}, attrStr("mode", "symmetric"))
	shpFails(t, "Pad repeated axes", ops.ErrInvalidNode, "Pad", 18, 1, []*tensor.Tensor{data, shpI64(0, 0, 0, 0), nil, shpI64(0, -2)})
}

// shpPadIndex maps an index i (relative to the start of an axis of length
// n) the way numpy.pad's modes do, or returns -1 for the constant.
func shpPadIndex(mode string, i, n int) int {
	if i >= 0 && i < n {
		return i
	}
	switch mode {
	case "edge":
		if i < 0 {
			return 0
		}
		return n - 1
	case "wrap":
		for i < 0 {
			i += n
		}
		return i % n
	case "reflect":
		if n == 1 {
			return 0
		}
		// Bounce off the ends until inside.
		for i < 0 || i >= n {
			if i < 0 {
				i = -i
			}
			if i >= n {
				i = 2*(n-1) - i
			}
		}
		return i
	}
	return -1
}

func TestShpPadRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	modes := []string{"constant", "reflect", "edge", "wrap"}
	for range 400 {
		rank := 1 + r.IntN(3)
		xs := shpRandShape(r, rank, 1, 4)
		x := shpIota(xs...)
		mode := modes[r.IntN(len(modes))]
		pads := make([]int64, 2*rank)
		out := make([]int, rank)
		lo := make([]int, rank)
		for a := range rank {
			b, e := r.IntN(7)-2, r.IntN(7)-2
			if -min(b, 0)-min(e, 0) >= xs[a] { // keep at least one element
				b, e = max(b, 0), max(e, 0)
			}
			pads[a], pads[a+rank] = int64(b), int64(e)
			out[a] = xs[a] + b + e
			lo[a] = max(-b, 0)
		}
		// Expected: crop first, then pad the cropped tensor.
		want := tensor.Must(tensor.New(tensor.Float32, out...))
		wd, xd := tensor.Data[float32](want), tensor.Data[float32](x)
		for i := range wd {
			c := shpUnravel(i, out)
			ci := make([]int, rank)
			inside := true
			for a := range rank {
				n := xs[a] - lo[a] - max(-int(pads[a+rank]), 0)
				k := shpPadIndex(mode, c[a]-max(int(pads[a]), 0), n)
				if k < 0 {
					inside = false
					break
				}
				ci[a] = lo[a] + k
			}
			if inside {
				wd[i] = xd[shpRavel(ci, xs)]
			} else {
				wd[i] = -7
			}
		}
		got := mustEval(t, "Pad", 19, 1, []*tensor.Tensor{x, shpI64(pads...), tensor.Scalar(float32(-7))}, attrStr("mode", mode))[0]
		shpEq(t, "Pad random "+mode, got, want)
	}
}
