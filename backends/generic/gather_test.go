package generic

import (
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func TestShpGather(t *testing.T) {
	data := shpTen([]int{3, 2}, float32(1), 1.2, 2.3, 3.4, 4.5, 5.7)
	idx := shpTen([]int{2, 2}, int64(0), 1, 1, 2)
	got := mustEval(t, "Gather", 13, 1, []*tensor.Tensor{data, idx})[0]
	shpEq(t, "Gather spec example 1", got, shpTen([]int{2, 2, 2}, float32(1), 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7))
	data = shpTen([]int{3, 3}, float32(1), 1.2, 1.9, 2.3, 3.4, 3.9, 4.5, 5.7, 5.9)
	got = mustEval(t, "Gather", 13, 1, []*tensor.Tensor{data, shpTen([]int{1, 2}, int32(0), 2)}, attrInt("axis", 1))[0]
	shpEq(t, "Gather spec example 2 (int32)", got, shpTen([]int{3, 1, 2}, float32(1), 1.9, 2.3, 3.9, 4.5, 5.9))
	got = mustEval(t, "Gather", 13, 1, []*tensor.Tensor{data, tensor.Scalar(int64(-1))}, attrInt("axis", -1))[0]
	shpEq(t, "Gather scalar negative index", got, shpTen([]int{3}, float32(1.9), 3.9, 5.9))
	got = mustEval(t, "Gather", 13, 1, []*tensor.Tensor{data, shpI64()})[0]
	shpEq(t, "Gather no indices", got, shpIota(0, 3))
	got = mustEval(t, "Gather", 13, 1, []*tensor.Tensor{shpIota(2, 0), shpI64(1, 1, 0)})[0]
	shpEq(t, "Gather empty rows", got, shpIota(3, 0))
	for _, dt := range shpAllTypes {
		x := shpAs(shpIota(4), dt)
		got := mustEval(t, "Gather", 13, 1, []*tensor.Tensor{x, shpI64(3, -4, 1)})[0]
		shpEq(t, "Gather "+dt.String(), got, shpAs(shpTen([]int{3}, float32(3), 0, 1), dt))
	}
	// Shape -> Gather: the typical shape-arithmetic use.
	shpEq(t, "Gather shape", mustEval(t, "Gather", 13, 1, []*tensor.Tensor{shpI64(2, 3, 4), tensor.Scalar(int64(0))})[0], tensor.Scalar(int64(2)))
	shpFails(t, "Gather index too large", ops.ErrInvalidNode, "Gather", 13, 1, []*tensor.Tensor{data, shpI64(3)})
	shpFails(t, "Gather index too small", ops.ErrInvalidNode, "Gather", 13, 1, []*tensor.Tensor{data, shpTen([]int{1}, int32(-4))})
	shpFails(t, "Gather from empty", ops.ErrInvalidNode, "Gather", 13, 1, []*tensor.Tensor{shpIota(0, 2), shpI64(0)})
	shpFails(t, "Gather from scalar", ops.ErrInvalidNode, "Gather", 13, 1, []*tensor.Tensor{tensor.Scalar(1.0), shpI64(0)})
	shpFails(t, "Gather float indices", ops.ErrInvalidNode, "Gather", 13, 1, []*tensor.Tensor{data, shpTen([]int{1}, float32(0))})

	// Random shapes and axes against direct indexing.
	r := rand.New(rand.NewPCG(11, 12))
	for range 200 {
		rank := 1 + r.IntN(3)
		xs := shpRandShape(r, rank, 1, 4)
		axis := r.IntN(rank)
		is := shpRandShape(r, r.IntN(3), 0, 3)
		x := shpIota(xs...)
		idx := tensor.Must(tensor.New(tensor.Int64, is...))
		iv := tensor.Data[int64](idx)
		for i := range iv {
			iv[i] = int64(r.IntN(2*xs[axis]) - xs[axis])
		}
		out := append(append(append([]int(nil), xs[:axis]...), is...), xs[axis+1:]...)
		want := shpNaive(x, out, func(c []int) int {
			ci := append([]int(nil), c[:axis]...)
			k := int(iv[shpRavel(c[axis:axis+len(is)], is)])
			if k < 0 {
				k += xs[axis]
			}
			ci = append(append(ci, k), c[axis+len(is):]...)
			return shpRavel(ci, xs)
		})
		got := mustEval(t, "Gather", 13, 1, []*tensor.Tensor{x, idx}, attrInt("axis", int64(axis-rank*r.IntN(2))))[0]
		shpEq(t, "Gather random", got, want)
	}
}

func TestShpGatherElementsND(t *testing.T) {
	data := shpTen([]int{2, 2}, int32(1), 2, 3, 4)
	got := mustEval(t, "GatherElements", 13, 1, []*tensor.Tensor{data, shpTen([]int{2, 2}, int64(0), 0, 1, 0)}, attrInt("axis", 1))[0]
	shpEq(t, "GatherElements example 1", got, shpTen([]int{2, 2}, int32(1), 1, 4, 3))
	data = shpTen([]int{3, 3}, int32(1), 2, 3, 4, 5, 6, 7, 8, 9)
	got = mustEval(t, "GatherElements", 13, 1, []*tensor.Tensor{data, shpTen([]int{2, 3}, int32(1), 2, 0, 2, 0, 0)})[0]
	shpEq(t, "GatherElements example 2", got, shpTen([]int{2, 3}, int32(4), 8, 3, 7, 2, 3))
	got = mustEval(t, "GatherElements", 13, 1, []*tensor.Tensor{data, shpTen([]int{2, 2}, int64(-1), -3, 0, -2)}, attrInt("axis", -1))[0]
	shpEq(t, "GatherElements negative, smaller", got, shpTen([]int{2, 2}, int32(3), 1, 4, 5))
	s := shpAs(shpIota(3), tensor.String)
	got = mustEval(t, "GatherElements", 13, 1, []*tensor.Tensor{s, shpI64(2, 2, 0, 1)})[0]
	shpEq(t, "GatherElements strings, larger along axis", got, shpTen([]int{4}, "2", "2", "0", "1"))
	got = mustEval(t, "GatherElements", 13, 1, []*tensor.Tensor{data, shpTen([]int{0, 3}, []int64{}...)})[0]
	shpEq(t, "GatherElements empty", got, shpTen([]int{0, 3}, []int32{}...))
	shpFails(t, "GatherElements out of range", ops.ErrInvalidNode, "GatherElements", 13, 1, []*tensor.Tensor{data, shpTen([]int{1, 1}, int64(3))})
	shpFails(t, "GatherElements rank", nil, "GatherElements", 13, 1, []*tensor.Tensor{data, shpI64(0)})
	shpFails(t, "GatherElements too wide", ops.ErrShapeMismatch, "GatherElements", 13, 1, []*tensor.Tensor{data, shpTen([]int{1, 4}, int64(0), 0, 0, 0)})

	d2 := shpTen([]int{2, 2}, int64(0), 1, 2, 3)
	d3 := shpTen([]int{2, 2, 2}, int64(0), 1, 2, 3, 4, 5, 6, 7)
	for _, c := range []struct {
		data, idx *tensor.Tensor
		b         int64
		want      *tensor.Tensor
	}{
		{d2, shpTen([]int{2, 2}, int64(0), 0, 1, 1), 0, shpI64(0, 3)},
		{d2, shpTen([]int{2, 1}, int64(1), 0), 0, shpTen([]int{2, 2}, int64(2), 3, 0, 1)},
		{d3, shpTen([]int{2, 2}, int64(0), 1, 1, 0), 0, shpTen([]int{2, 2}, int64(2), 3, 4, 5)},
		{d3, shpTen([]int{2, 1, 2}, int64(0), 1, 1, 0), 0, shpTen([]int{2, 1, 2}, int64(2), 3, 4, 5)},
		{d3, shpTen([]int{2, 1}, int64(1), 0), 1, shpTen([]int{2, 2}, int64(2), 3, 4, 5)},
		{d3, shpTen([]int{2, 1}, int64(-1), -2), 1, shpTen([]int{2, 2}, int64(2), 3, 4, 5)},
		{d3, shpTen([]int{2, 2, 1}, int64(1), 0, 0, 1), 2, shpTen([]int{2, 2}, int64(1), 2, 4, 7)},
		{d3, shpTen([]int{1, 3}, int64(1), 1, 1), 0, shpI64(7)},
		{d3, shpTen([]int{0, 1}, []int64{}...), 0, shpTen([]int{0, 2, 2}, []int64{}...)},
	} {
		got := mustEval(t, "GatherND", 13, 1, []*tensor.Tensor{c.data, c.idx}, attrInt("batch_dims", c.b))[0]
		shpEq(t, "GatherND", got, c.want)
	}
	got = mustEval(t, "GatherND", 11, 1, []*tensor.Tensor{d2, shpTen([]int{1, 2}, int64(1), 0)})[0]
	shpEq(t, "GatherND 11", got, shpI64(2))
	shpFails(t, "GatherND out of range", ops.ErrInvalidNode, "GatherND", 13, 1, []*tensor.Tensor{d3, shpTen([]int{1, 2}, int64(0), 2)})
	shpFails(t, "GatherND tuple too long", ops.ErrInvalidNode, "GatherND", 13, 1, []*tensor.Tensor{d2, shpTen([]int{1, 3}, int64(0), 0, 0)})
	shpFails(t, "GatherND batch mismatch", ops.ErrShapeMismatch, "GatherND", 13, 1, []*tensor.Tensor{d3, shpTen([]int{3, 1}, int64(0), 0, 0)}, attrInt("batch_dims", 1))
	shpFails(t, "GatherND batch_dims too large", ops.ErrInvalidNode, "GatherND", 13, 1, []*tensor.Tensor{d2, shpTen([]int{2, 1}, int64(0), 0)}, attrInt("batch_dims", 2))
}

func TestShpScatter(t *testing.T) {
	data := tensor.Must(tensor.New(tensor.Float32, 3, 3))
	idx := shpTen([]int{2, 3}, int64(1), 0, 2, 0, 2, 1)
	upd := shpTen([]int{2, 3}, float32(1), 1.1, 1.2, 2, 2.1, 2.2)
	got := mustEval(t, "ScatterElements", 13, 1, []*tensor.Tensor{data, idx, upd})[0]
	shpEq(t, "ScatterElements example 1", got, shpTen([]int{3, 3}, float32(2), 1.1, 0, 1, 0, 2.2, 0, 2.1, 1.2))
	if d := tensor.Data[float32](data); d[0] != 0 || d[1] != 0 {
		t.Errorf("ScatterElements wrote into its input: %v", data)
	}
	data = shpTen([]int{1, 5}, float32(1), 2, 3, 4, 5)
	got = mustEval(t, "Scatter", 10, 1, []*tensor.Tensor{data, shpTen([]int{1, 2}, int32(1), -2), shpTen([]int{1, 2}, float32(1.1), 2.1)}, attrInt("axis", 1))[0]
	shpEq(t, "Scatter example 2", got, shpTen([]int{1, 5}, float32(1), 1.1, 3, 2.1, 5))

	dup := shpTen([]int{1, 2}, int64(1), 1)
	two := shpTen([]int{1, 2}, float32(1.1), 2.1)
	for _, c := range []struct {
		red   string
		opset int64
		want  float32
	}{
		{"add", 16, 2 + 1.1 + 2.1},
		{"mul", 16, 2 * 1.1 * 2.1},
		{"max", 18, 2.1},
		{"min", 18, 1.1},
	} {
		got := mustEval(t, "ScatterElements", c.opset, 1, []*tensor.Tensor{data, dup, two}, attrInt("axis", 1), attrStr("reduction", c.red))[0]
		if v := tensor.Data[float32](got)[1]; v != c.want {
			t.Errorf("ScatterElements %s: %v, want %v", c.red, v, c.want)
		}
		// Half types reduce through float32.
		h := mustEval(t, "ScatterElements", c.opset, 1, []*tensor.Tensor{shpAs(data, tensor.Float16), dup, shpAs(two, tensor.Float16)}, attrInt("axis", 1), attrStr("reduction", c.red))[0]
		if v := tensor.Data[tensor.F16](h)[1].Float32(); v < c.want-0.02 || v > c.want+0.02 {
			t.Errorf("ScatterElements float16 %s: %v, want %v", c.red, v, c.want)
		}
		i := mustEval(t, "ScatterElements", c.opset, 1, []*tensor.Tensor{shpAs(data, tensor.Uint8), dup, shpTen([]int{1, 2}, uint8(3), 4)}, attrInt("axis", 1), attrStr("reduction", c.red))[0]
		wantU8 := map[string]uint8{"add": 9, "mul": 24, "max": 4, "min": 2}[c.red]
		if v := tensor.Data[uint8](i)[1]; v != wantU8 {
			t.Errorf("ScatterElements uint8 %s: %v, want %v", c.red, v, wantU8)
		}
	}
	s := shpAs(shpIota(4), tensor.String)
	got = mustEval(t, "ScatterElements", 18, 1, []*tensor.Tensor{s, shpI64(3), shpTen([]int{1}, "x")})[0]
	shpEq(t, "ScatterElements strings", got, shpTen([]int{4}, "0", "1", "2", "x"))
	shpFails(t, "ScatterElements add on strings", ops.ErrInvalidNode, "ScatterElements", 18, 1, []*tensor.Tensor{s, shpI64(3), shpTen([]int{1}, "x")}, attrStr("reduction", "add"))
	shpFails(t, "ScatterElements out of range", ops.ErrInvalidNode, "ScatterElements", 18, 1, []*tensor.Tensor{data, shpTen([]int{1, 1}, int64(5)), shpTen([]int{1, 1}, float32(0))}, attrInt("axis", 1))
	shpFails(t, "ScatterElements updates shape", ops.ErrShapeMismatch, "ScatterElements", 18, 1, []*tensor.Tensor{data, dup, shpTen([]int{1, 1}, float32(0))})
	shpFails(t, "ScatterElements max at 16", ops.ErrInvalidNode, "ScatterElements", 16, 1, []*tensor.Tensor{data, dup, two}, attrStr("reduction", "max"))

	// ScatterND, the spec's examples.
	got = mustEval(t, "ScatterND", 13, 1, []*tensor.Tensor{shpTen([]int{8}, float32(1), 2, 3, 4, 5, 6, 7, 8), shpTen([]int{4, 1}, int64(4), 3, 1, 7), shpTen([]int{4}, float32(9), 10, 11, 12)})[0]
	shpEq(t, "ScatterND example 1", got, shpTen([]int{8}, float32(1), 11, 3, 10, 9, 6, 7, 12))
	d := shpTen([]int{4, 4, 4},
		int32(1), 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1,
		1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1,
		8, 7, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8,
		8, 7, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8)
	u := shpTen([]int{2, 4, 4}, int32(5), 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4)
	got = mustEval(t, "ScatterND", 13, 1, []*tensor.Tensor{d, shpTen([]int{2, 1}, int64(0), 2), u})[0]
	want := shpTen([]int{4, 4, 4},
		int32(5), 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8,
		1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1,
		1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4,
		8, 7, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8)
	shpEq(t, "ScatterND example 2", got, want)
	got = mustEval(t, "ScatterND", 18, 1, []*tensor.Tensor{shpI64(1, 2, 3), shpTen([]int{3, 1}, int64(0), -3, 2), shpI64(5, 7, 1)}, attrStr("reduction", "max"))[0]
	shpEq(t, "ScatterND max with duplicates", got, shpI64(7, 2, 3))
	got = mustEval(t, "ScatterND", 16, 1, []*tensor.Tensor{shpI64(1, 2, 3), shpTen([]int{2, 1}, int64(1), 1), shpI64(5, 7)}, attrStr("reduction", "add"))[0]
	shpEq(t, "ScatterND add with duplicates", got, shpI64(1, 14, 3))
	got = mustEval(t, "ScatterND", 16, 1, []*tensor.Tensor{shpIota(2, 2), shpTen([]int{1, 0}, []int64{}...), shpTen([]int{1, 2, 2}, float32(9), 9, 9, 9)})[0]
	shpEq(t, "ScatterND whole tensor (k = 0)", got, shpTen([]int{2, 2}, float32(9), 9, 9, 9))
	shpFails(t, "ScatterND out of range", ops.ErrInvalidNode, "ScatterND", 16, 1, []*tensor.Tensor{shpI64(1, 2, 3), shpTen([]int{1, 1}, int64(3)), shpI64(0)})
	shpFails(t, "ScatterND updates shape", ops.ErrShapeMismatch, "ScatterND", 16, 1, []*tensor.Tensor{shpI64(1, 2, 3), shpTen([]int{1, 1}, int64(0)), shpI64(0, 1)})
	shpFails(t, "ScatterND tuple too long", ops.ErrInvalidNode, "ScatterND", 16, 1, []*tensor.Tensor{shpI64(1, 2, 3), shpTen([]int{1, 2}, int64(0), 0), shpI64(0)})
}

func TestShpOneHot(t *testing.T) {
	idx := shpTen([]int{2, 2}, int64(1), 9, -1, 3)
	vals := shpTen([]int{2}, float32(-1), 5)
	got := mustEval(t, "OneHot", 11, 1, []*tensor.Tensor{idx, tensor.Scalar(float32(4)), vals})[0]
	shpEq(t, "OneHot axis -1", got, shpTen([]int{2, 2, 4}, float32(-1), 5, -1, -1, -1, -1, -1, -1, -1, -1, -1, 5, -1, -1, -1, 5))
	got = mustEval(t, "OneHot", 11, 1, []*tensor.Tensor{shpTen([]int{2}, int32(0), 2), shpTen([]int{1}, int64(3)), shpTen([]int{2}, "off", "on")}, attrInt("axis", 0))[0]
	shpEq(t, "OneHot axis 0 strings", got, shpTen([]int{3, 2}, "on", "off", "off", "off", "off", "on"))
	got = mustEval(t, "OneHot", 9, 1, []*tensor.Tensor{shpTen([]int{2}, float32(-1), 1.7), tensor.Scalar(int64(2)), shpTen([]int{2}, false, true)})[0]
	shpEq(t, "OneHot 9 ignores negatives", got, shpTen([]int{2, 2}, false, false, false, true))
	got = mustEval(t, "OneHot", 11, 1, []*tensor.Tensor{tensor.Scalar(int64(-2)), tensor.Scalar(int64(3)), shpI64(0, 1)})[0]
	shpEq(t, "OneHot scalar index", got, shpI64(0, 1, 0))
	shpFails(t, "OneHot depth 0", ops.ErrInvalidNode, "OneHot", 11, 1, []*tensor.Tensor{idx, tensor.Scalar(int64(0)), vals})
	shpFails(t, "OneHot values", ops.ErrInvalidNode, "OneHot", 11, 1, []*tensor.Tensor{idx, tensor.Scalar(int64(2)), shpTen([]int{3}, float32(0), 1, 2)})
	shpFails(t, "OneHot axis", ops.ErrInvalidNode, "OneHot", 11, 1, []*tensor.Tensor{idx, tensor.Scalar(int64(2)), vals}, attrInt("axis", 3))
}
