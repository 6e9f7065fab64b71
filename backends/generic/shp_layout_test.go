package generic

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// shpUnravel returns the coordinates of flat index i in shape.
func shpUnravel(i int, shape []int) []int {
	c := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		c[k] = i % shape[k]
		i /= shape[k]
	}
	return c
}

// shpRavel returns the flat index of coordinates c in shape.
func shpRavel(c, shape []int) int {
	i := 0
	for k := range shape {
		i = i*shape[k] + c[k]
	}
	return i
}

// shpRandShape returns a random shape of the given rank with dims in
// [lo, hi].
func shpRandShape(r *rand.Rand, rank, lo, hi int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = lo + r.IntN(hi-lo+1)
	}
	return s
}

// shpNaive builds the expected output of a copying op: element i of a
// tensor of shape out is x's element at the flat index src(coords of i).
func shpNaive(x *tensor.Tensor, out []int, src func(c []int) int) *tensor.Tensor {
	y := tensor.Must(tensor.New(x.DType(), out...))
	el := shpElemsOf(x.DType())
	for i := range y.Len() {
		el.copyN(y.Raw(), x.Raw(), i, src(shpUnravel(i, out)), 1)
	}
	return y
}

func TestShpTranspose(t *testing.T) {
	for _, dt := range shpAllTypes {
		x := shpAs(shpIota(2, 3), dt)
		want := shpAs(shpTen([]int{3, 2}, float32(0), 3, 1, 4, 2, 5), dt)
		shpEq(t, "Transpose "+dt.String(), mustEval(t, "Transpose", 13, 1, []*tensor.Tensor{x})[0], want)
	}
	x := shpIota(2, 3, 4)
	got := mustEval(t, "Transpose", 13, 1, []*tensor.Tensor{x}, attrInts("perm", 1, 0, 2))[0]
	shpEq(t, "Transpose 102", got, shpTen([]int{3, 2, 4}, float32(0), 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 16, 17, 18, 19, 8, 9, 10, 11, 20, 21, 22, 23))
	shpEq(t, "Transpose scalar", mustEval(t, "Transpose", 13, 1, []*tensor.Tensor{tensor.Scalar("a")})[0], tensor.Scalar("a"))
	shpEq(t, "Transpose empty", mustEval(t, "Transpose", 13, 1, []*tensor.Tensor{shpIota(0, 3)})[0], shpIota(3, 0))
	shpFails(t, "Transpose bad perm", ops.ErrInvalidNode, "Transpose", 13, 1, []*tensor.Tensor{x}, attrInts("perm", 0, 1))

	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		rank := r.IntN(6)
		xs := shpRandShape(r, rank, 0, 4)
		if r.IntN(4) > 0 {
			xs = shpRandShape(r, rank, 1, 4)
		}
		perm := r.Perm(rank)
		p64 := make([]int64, rank)
		out := make([]int, rank)
		for i, p := range perm {
			p64[i] = int64(p)
			out[i] = xs[p]
		}
		x := shpIota(xs...)
		want := shpNaive(x, out, func(c []int) int {
			ci := make([]int, rank)
			for j, p := range perm {
				ci[p] = c[j]
			}
			return shpRavel(ci, xs)
		})
		shpEq(t, "Transpose random", mustEval(t, "Transpose", 13, 1, []*tensor.Tensor{x}, attrInts("perm", p64...))[0], want)
	}
}

func TestShpConcatSplit(t *testing.T) {
	for _, dt := range shpAllTypes {
		a, b := shpAs(shpIota(2, 2), dt), shpAs(shpTen([]int{2, 1}, float32(7), 8), dt)
		want := shpAs(shpTen([]int{2, 3}, float32(0), 1, 7, 2, 3, 8), dt)
		got := mustEval(t, "Concat", 13, 1, []*tensor.Tensor{a, b}, attrInt("axis", -1))[0]
		shpEq(t, "Concat "+dt.String(), got, want)
		parts := mustEval(t, "Split", 13, 2, []*tensor.Tensor{got, shpI64(2, 1)}, attrInt("axis", 1))
		shpEq(t, "Split "+dt.String(), parts[0], a)
		shpEq(t, "Split "+dt.String(), parts[1], b)
	}
	a, b := shpIota(2, 2), shpTen([]int{1, 2}, float32(7), 8)
	shpEq(t, "Concat axis 0", mustEval(t, "Concat", 13, 1, []*tensor.Tensor{a, b}, attrInt("axis", 0))[0], shpTen([]int{3, 2}, float32(0), 1, 2, 3, 7, 8))
	shpEq(t, "Concat with empty", mustEval(t, "Concat", 13, 1, []*tensor.Tensor{shpIota(0, 2), a, shpIota(0, 2)}, attrInt("axis", 0))[0], a)
	shpEq(t, "Concat all empty", mustEval(t, "Concat", 13, 1, []*tensor.Tensor{shpIota(2, 0), shpIota(2, 0)}, attrInt("axis", 0))[0], shpIota(4, 0))
	shpEq(t, "Concat one", mustEval(t, "Concat", 13, 1, []*tensor.Tensor{b}, attrInt("axis", 1))[0], b)
	shpEq(t, "Concat 1-D int64", mustEval(t, "Concat", 13, 1, []*tensor.Tensor{shpI64(1), shpI64(), shpI64(2, 3)}, attrInt("axis", 0))[0], shpI64(1, 2, 3))
	shpFails(t, "Concat mismatched dims", ops.ErrShapeMismatch, "Concat", 13, 1, []*tensor.Tensor{a, shpIota(2, 3)}, attrInt("axis", 0))
	shpFails(t, "Concat mismatched ranks", ops.ErrShapeMismatch, "Concat", 13, 1, []*tensor.Tensor{a, shpIota(4)}, attrInt("axis", 0))
	shpFails(t, "Concat scalars", ops.ErrInvalidNode, "Concat", 13, 1, []*tensor.Tensor{tensor.Scalar(1.0), tensor.Scalar(2.0)}, attrInt("axis", 0))
	shpFails(t, "Concat axis out of range", ops.ErrInvalidNode, "Concat", 13, 1, []*tensor.Tensor{a, a}, attrInt("axis", 2))
	shpFails(t, "Concat mixed dtypes", ops.ErrInvalidNode, "Concat", 13, 1, []*tensor.Tensor{a, shpAs(a, tensor.Int32)}, attrInt("axis", 0))

	x := shpIota(7)
	parts := mustEval(t, "Split", 18, 4, []*tensor.Tensor{x}, attrInt("num_outputs", 4))
	for i, w := range []*tensor.Tensor{shpTen([]int{2}, float32(0), 1), shpTen([]int{2}, float32(2), 3), shpTen([]int{2}, float32(4), 5), shpTen([]int{1}, float32(6))} {
		shpEq(t, "Split num_outputs", parts[i], w)
	}
	parts = mustEval(t, "Split", 11, 3, []*tensor.Tensor{shpIota(2, 6)}, attrInt("axis", -1))
	shpEq(t, "Split equal", parts[2], shpTen([]int{2, 2}, float32(4), 5, 10, 11))
	parts = mustEval(t, "Split", 2, 2, []*tensor.Tensor{shpIota(6, 1)}, attrInts("split", 5, 1))
	shpEq(t, "Split 2 attribute", parts[1], shpTen([]int{1, 1}, float32(5)))
	parts = mustEval(t, "Split", 13, 3, []*tensor.Tensor{shpIota(3), shpI64(0, 3, 0)})
	shpEq(t, "Split zero sizes", parts[0], shpIota(0))
	shpEq(t, "Split zero sizes", parts[1], shpIota(3))
	// Omitted outputs are skipped but still take their share.
	node := &ir.Node{OpType: "Split", Inputs: []string{"x", "s"}, Outputs: []string{"a", "", "c"}}
	outs, err := ops.Eval(context.Background(), node, 13, []*tensor.Tensor{x, shpI64(1, 2, 4)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	shpEq(t, "Split with an omitted output", outs[2], shpTen([]int{4}, float32(3), 4, 5, 6))
	parts = mustEval(t, "Split", 13, 2, []*tensor.Tensor{shpIota(4), shpI64()})
	shpEq(t, "Split with an empty split input", parts[1], shpTen([]int{2}, float32(2), 3))
	shpFails(t, "Split sizes not adding up", ops.ErrShapeMismatch, "Split", 13, 2, []*tensor.Tensor{x, shpI64(3, 3)})
	shpFails(t, "Split uneven", ops.ErrShapeMismatch, "Split", 13, 2, []*tensor.Tensor{x})
	shpFails(t, "Split too many sizes", ops.ErrInvalidNode, "Split", 13, 2, []*tensor.Tensor{x, shpI64(3, 3, 1)})
	shpFails(t, "Split scalar", ops.ErrInvalidNode, "Split", 13, 1, []*tensor.Tensor{tensor.Scalar(1.0)})

	// Random round trips: Split then Concat gives the input back.
	r := rand.New(rand.NewPCG(3, 4))
	for range 100 {
		rank := 1 + r.IntN(4)
		xs := shpRandShape(r, rank, 0, 5)
		axis := r.IntN(rank)
		k := 1 + r.IntN(3)
		sizes := make([]int64, k)
		left := xs[axis]
		for i := range k - 1 {
			sizes[i] = int64(r.IntN(left + 1))
			left -= int(sizes[i])
		}
		sizes[k-1] = int64(left)
		x := shpAs(shpIota(xs...), tensor.Int16)
		parts := mustEval(t, "Split", 13, k, []*tensor.Tensor{x, shpI64(sizes...)}, attrInt("axis", int64(axis)))
		off := 0
		for i, p := range parts {
			ps := append([]int(nil), xs...)
			ps[axis] = int(sizes[i])
			want := shpNaive(x, ps, func(c []int) int {
				c[axis] += off
				return shpRavel(c, xs)
			})
			shpEq(t, "Split random", p, want)
			off += int(sizes[i])
		}
		back := mustEval(t, "Concat", 13, 1, parts, attrInt("axis", int64(axis-rank)))[0]
		shpEq(t, "Concat random", back, x)
	}
}

// shpSliceIndices lists the indices a slice visits on one axis, by walking
// with the spec's clamping.
func shpSliceIndices(dim, start, end, step int64) []int {
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	var idx []int
	if step > 0 {
		start, end = min(max(start, 0), dim), min(max(end, 0), dim)
		for i := start; i < end; i += step {
			idx = append(idx, int(i))
		}
	} else {
		start, end = min(max(start, 0), dim-1), min(max(end, -1), dim-1)
		for i := start; i > end; i += step {
			idx = append(idx, int(i))
		}
	}
	return idx
}

func TestShpSlice(t *testing.T) {
	data := shpTen([]int{2, 4}, float32(1), 2, 3, 4, 5, 6, 7, 8)
	// The spec's two examples.
	got := mustEval(t, "Slice", 13, 1, []*tensor.Tensor{data, shpI64(1, 0), shpI64(2, 3), shpI64(0, 1), shpI64(1, 2)})[0]
	shpEq(t, "Slice example 1", got, shpTen([]int{1, 2}, float32(5), 7))
	got = mustEval(t, "Slice", 13, 1, []*tensor.Tensor{data, shpI64(0, 1), shpI64(-1, 1000)})[0]
	shpEq(t, "Slice example 2", got, shpTen([]int{1, 3}, float32(2), 3, 4))
	got = mustEval(t, "Slice", 13, 1, []*tensor.Tensor{data, shpI64(-1), shpI64(math.MinInt64), shpI64(1), shpI64(-1)})[0]
	shpEq(t, "Slice reversed", got, shpTen([]int{2, 4}, float32(4), 3, 2, 1, 8, 7, 6, 5))
	got = mustEval(t, "Slice", 13, 1, []*tensor.Tensor{data, shpI64(1), shpI64(math.MaxInt64), shpI64(-1)})[0]
	shpEq(t, "Slice INT_MAX", got, shpTen([]int{2, 3}, float32(2), 3, 4, 6, 7, 8))
	i32 := func(v ...int32) *tensor.Tensor { return shpTen([]int{len(v)}, v...) }
	got = mustEval(t, "Slice", 13, 1, []*tensor.Tensor{data, i32(3), i32(0), i32(1), i32(-2)})[0]
	shpEq(t, "Slice int32 step -2", got, shpTen([]int{2, 2}, float32(4), 2, 8, 6))
	got = mustEval(t, "Slice", 13, 1, []*tensor.Tensor{data, shpI64(5), shpI64(9), shpI64(1)})[0]
	shpEq(t, "Slice start out of bounds", got, shpIota(2, 0))
	got = mustEval(t, "Slice", 9, 1, []*tensor.Tensor{shpAs(data, tensor.String)}, attrInts("starts", 1), attrInts("ends", 2))[0]
	shpEq(t, "Slice opset 9 strings", got, shpAs(shpTen([]int{1, 4}, float32(5), 6, 7, 8), tensor.String))
	got = mustEval(t, "Slice", 13, 1, []*tensor.Tensor{shpIota(0, 3), shpI64(0), shpI64(2), shpI64(1)})[0]
	shpEq(t, "Slice empty input", got, shpIota(0, 2))
	shpFails(t, "Slice step 0", ops.ErrInvalidNode, "Slice", 13, 1, []*tensor.Tensor{data, shpI64(0), shpI64(1), shpI64(0), shpI64(0)})
	shpFails(t, "Slice repeated axis", ops.ErrInvalidNode, "Slice", 13, 1, []*tensor.Tensor{data, shpI64(0, 0), shpI64(1, 1), shpI64(0, -2)})
	shpFails(t, "Slice lengths", ops.ErrInvalidNode, "Slice", 13, 1, []*tensor.Tensor{data, shpI64(0, 0), shpI64(1)})
	shpFails(t, "Slice axis", ops.ErrInvalidNode, "Slice", 13, 1, []*tensor.Tensor{data, shpI64(0), shpI64(1), shpI64(2)})
	shpFails(t, "Slice scalar", ops.ErrInvalidNode, "Slice", 13, 1, []*tensor.Tensor{tensor.Scalar(1.0), shpI64(0), shpI64(1)})

	r := rand.New(rand.NewPCG(5, 6))
	vals := []int64{math.MinInt64, -9, -4, -3, -2, -1, 0, 1, 2, 3, 4, 9, math.MaxInt64}
	for range 500 {
		rank := 1 + r.IntN(4)
		xs := shpRandShape(r, rank, 0, 5)
		x := shpAs(shpIota(xs...), tensor.Int32)
		k := 1 + r.IntN(rank)
		axes := r.Perm(rank)[:k]
		starts, ends, ax, steps := make([]int64, k), make([]int64, k), make([]int64, k), make([]int64, k)
		idx := make([][]int, rank)
		for a := range rank {
			idx[a] = make([]int, xs[a])
			for i := range idx[a] {
				idx[a][i] = i
			}
		}
		for i, a := range axes {
			starts[i], ends[i] = vals[r.IntN(len(vals))], vals[r.IntN(len(vals))]
			steps[i] = []int64{-3, -2, -1, 1, 2, 3}[r.IntN(6)]
			ax[i] = int64(a)
			if r.IntN(2) == 0 {
				ax[i] -= int64(rank)
			}
			idx[a] = shpSliceIndices(int64(xs[a]), starts[i], ends[i], steps[i])
		}
		out := make([]int, rank)
		for a := range out {
			out[a] = len(idx[a])
		}
		want := shpNaive(x, out, func(c []int) int {
			ci := make([]int, rank)
			for a := range c {
				ci[a] = idx[a][c[a]]
			}
			return shpRavel(ci, xs)
		})
		got := mustEval(t, "Slice", 13, 1, []*tensor.Tensor{x, shpI64(starts...), shpI64(ends...), shpI64(ax...), shpI64(steps...)})[0]
		shpEq(t, "Slice random", got, want)
	}
}

func TestShpExpandTile(t *testing.T) {
	for _, dt := range shpAllTypes {
		x := shpAs(shpTen([]int{3, 1}, float32(1), 2, 3), dt)
		want := shpAs(shpTen([]int{2, 3, 2}, float32(1), 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3), dt)
		shpEq(t, "Expand "+dt.String(), mustEval(t, "Expand", 13, 1, []*tensor.Tensor{x, shpI64(2, 1, 2)})[0], want)
		want = shpAs(shpTen([]int{3, 3}, float32(1), 1, 1, 2, 2, 2, 3, 3, 3), dt)
		shpEq(t, "Tile "+dt.String(), mustEval(t, "Tile", 13, 1, []*tensor.Tensor{x, shpI64(1, 3)})[0], want)
	}
	x := shpIota(3, 1)
	shpEq(t, "Expand smaller shape", mustEval(t, "Expand", 13, 1, []*tensor.Tensor{x, shpI64(1)})[0], x)
	shpEq(t, "Expand to zero", mustEval(t, "Expand", 13, 1, []*tensor.Tensor{x, shpI64(3, 0)})[0], shpIota(3, 0))
	shpEq(t, "Expand scalar", mustEval(t, "Expand", 8, 1, []*tensor.Tensor{tensor.Scalar(int64(4)), shpI64(3)})[0], shpI64(4, 4, 4))
	shpFails(t, "Expand incompatible", ops.ErrShapeMismatch, "Expand", 13, 1, []*tensor.Tensor{shpIota(3, 2), shpI64(3, 3)})
	shpFails(t, "Expand negative", ops.ErrInvalidNode, "Expand", 13, 1, []*tensor.Tensor{x, shpI64(-1, 1)})
	shpEq(t, "Tile zero", mustEval(t, "Tile", 13, 1, []*tensor.Tensor{x, shpI64(0, 5)})[0], shpIota(0, 5))
	shpEq(t, "Tile scalar", mustEval(t, "Tile", 13, 1, []*tensor.Tensor{tensor.Scalar(true), shpI64()})[0], tensor.Scalar(true))
	shpFails(t, "Tile negative", ops.ErrInvalidNode, "Tile", 13, 1, []*tensor.Tensor{x, shpI64(-1, 1)})
	shpFails(t, "Tile length", ops.ErrInvalidNode, "Tile", 13, 1, []*tensor.Tensor{x, shpI64(2)})

	r := rand.New(rand.NewPCG(7, 8))
	for range 200 {
		rank := r.IntN(4)
		xs := shpRandShape(r, rank, 1, 3)
		x := shpIota(xs...)
		// Expand: broadcast to a shape of rank >= rank with matching or 1 dims.
		extra := r.IntN(3)
		target := shpRandShape(r, rank+extra, 1, 3)
		for i, d := range xs {
			switch r.IntN(3) {
			case 0:
				target[extra+i] = d
			case 1:
				target[extra+i] = 1
			default:
				if d != 1 {
					target[extra+i] = d
				}
			}
		}
		out, err := tensor.BroadcastShapes(xs, target)
		if err != nil {
			t.Fatal(err)
		}
		t64 := make([]int64, len(target))
		for i, d := range target {
			t64[i] = int64(d)
		}
		want := shpNaive(x, out, func(c []int) int {
			ci := make([]int, rank)
			for i := range ci {
				ci[i] = c[len(out)-rank+i] % xs[i]
			}
			return shpRavel(ci, xs)
		})
		shpEq(t, "Expand random", mustEval(t, "Expand", 13, 1, []*tensor.Tensor{x, shpI64(t64...)})[0], want)
		// Tile.
		reps := make([]int64, rank)
		tout := make([]int, rank)
		for i := range reps {
			reps[i] = int64(r.IntN(4))
			tout[i] = xs[i] * int(reps[i])
		}
		want = shpNaive(x, tout, func(c []int) int {
			ci := make([]int, rank)
			for i := range ci {
				ci[i] = c[i] % xs[i]
			}
			return shpRavel(ci, xs)
		})
		shpEq(t, "Tile random", mustEval(t, "Tile", 13, 1, []*tensor.Tensor{x, shpI64(reps...)})[0], want)
	}
}

func TestShpDepthSpace(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 50 {
		b := 1 + r.IntN(3)
		n, c, h, w := 1+r.IntN(2), 1+r.IntN(3), 1+r.IntN(3), 1+r.IntN(3)
		x := shpIota(n, c*b*b, h, w)
		xs := x.Shape()
		out := []int{n, c, h * b, w * b}
		dcr := shpNaive(x, out, func(o []int) int {
			i, j := o[2]%b, o[3]%b
			return shpRavel([]int{o[0], (i*b+j)*c + o[1], o[2] / b, o[3] / b}, xs)
		})
		crd := shpNaive(x, out, func(o []int) int {
			i, j := o[2]%b, o[3]%b
			return shpRavel([]int{o[0], o[1]*b*b + i*b + j, o[2] / b, o[3] / b}, xs)
		})
		bs := attrInt("blocksize", int64(b))
		shpEq(t, "DepthToSpace DCR", mustEval(t, "DepthToSpace", 13, 1, []*tensor.Tensor{x}, bs)[0], dcr)
		shpEq(t, "DepthToSpace 1", mustEval(t, "DepthToSpace", 1, 1, []*tensor.Tensor{x}, bs)[0], dcr)
		shpEq(t, "DepthToSpace CRD", mustEval(t, "DepthToSpace", 13, 1, []*tensor.Tensor{x}, bs, attrStr("mode", "CRD"))[0], crd)
		// SpaceToDepth is DCR's inverse.
		shpEq(t, "SpaceToDepth", mustEval(t, "SpaceToDepth", 13, 1, []*tensor.Tensor{dcr}, bs)[0], x)
	}
	x := shpAs(shpIota(1, 4, 1, 1), tensor.String)
	got := mustEval(t, "DepthToSpace", 13, 1, []*tensor.Tensor{x}, attrInt("blocksize", 2))[0]
	shpEq(t, "DepthToSpace strings", got, shpAs(shpIota(1, 1, 2, 2), tensor.String))
	shpFails(t, "DepthToSpace channels", ops.ErrShapeMismatch, "DepthToSpace", 13, 1, []*tensor.Tensor{shpIota(1, 6, 1, 1)}, attrInt("blocksize", 2))
	shpFails(t, "DepthToSpace rank", ops.ErrInvalidNode, "DepthToSpace", 13, 1, []*tensor.Tensor{shpIota(4, 1, 1)}, attrInt("blocksize", 2))
	shpFails(t, "SpaceToDepth blocksize", ops.ErrInvalidNode, "SpaceToDepth", 13, 1, []*tensor.Tensor{shpIota(1, 1, 2, 2)}, attrInt("blocksize", -2))
	shpFails(t, "SpaceToDepth height", ops.ErrShapeMismatch, "SpaceToDepth", 13, 1, []*tensor.Tensor{shpIota(1, 1, 3, 2)}, attrInt("blocksize", 2))
}

func TestShpTrilu(t *testing.T) {
	x := shpTen([]int{3, 4}, int64(1), 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
	for _, c := range []struct {
		upper int64
		k     int64
		want  []int64
	}{
		{1, 0, []int64{1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12}},
		{1, 1, []int64{0, 2, 3, 4, 0, 0, 7, 8, 0, 0, 0, 12}},
		{1, -1, []int64{1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 11, 12}},
		{0, 0, []int64{1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0}},
		{0, -1, []int64{0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0}},
		{0, 2, []int64{1, 2, 3, 0, 5, 6, 7, 8, 9, 10, 11, 12}},
		{1, 100, make([]int64, 12)},
		{0, -100, make([]int64, 12)},
		{1, math.MinInt64, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
		{0, math.MaxInt64, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
	} {
		got := mustEval(t, "Trilu", 14, 1, []*tensor.Tensor{x, tensor.Scalar(c.k)}, attrInt("upper", c.upper))[0]
		shpEq(t, "Trilu", got, shpTen([]int{3, 4}, c.want...))
	}
	// Batches, strings, and no k.
	s := shpAs(shpIota(2, 2, 2), tensor.String)
	got := mustEval(t, "Trilu", 14, 1, []*tensor.Tensor{s}, attrInt("upper", 0))[0]
	shpEq(t, "Trilu strings", got, shpTen([]int{2, 2, 2}, "0", "", "2", "3", "4", "", "6", "7"))
	shpEq(t, "Trilu empty", mustEval(t, "Trilu", 14, 1, []*tensor.Tensor{shpIota(0, 3, 3)})[0], shpIota(0, 3, 3))
	shpFails(t, "Trilu 1-D", ops.ErrInvalidNode, "Trilu", 14, 1, []*tensor.Tensor{shpIota(3)})
	shpFails(t, "Trilu k not scalar", ops.ErrInvalidNode, "Trilu", 14, 1, []*tensor.Tensor{x, shpI64(1, 2)})
}
