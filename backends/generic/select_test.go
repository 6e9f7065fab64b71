package generic

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// selONNXPrefixes select the official node tests of select.go, vision.go
// and w2b_misc.go.
var selONNXPrefixes = []string{
	"test_nonzero", "test_unique", "test_compress", "test_reversesequence", "test_shrink", "test_det",
	"test_maxunpool", "test_gridsample", "test_roialign", "test_nonmaxsuppression",
}

// TestSelectONNXNodeCases runs the official ONNX node tests of the
// selection and vision ops, Shrink and Det through the generic kernels
// (skipped when the test data is not installed).
func TestSelectONNXNodeCases(t *testing.T) {
	// The ONNX backend tests' tolerance (rtol 1e-3, atol 1e-7: the expected
	// RoiAlign and bicubic GridSample outputs are rounded to 4 decimals).
	cases := onnxCases{match: onnxPrefixes(selONNXPrefixes...), check: onnxClose(1e-3, 1e-7)}
	if ran := cases.run(t); ran < 37 {
		t.Errorf("ran %d node tests, want the 37 of onnx 1.12 at least", ran)
	}
}

// selInts returns a 1-D or shaped int64 tensor.
func selInts(shape []int, v ...int64) *tensor.Tensor {
	return tensor.Must(tensor.FromSlice(v, shape...))
}

// selWantInts checks that got is an int64 tensor of the given shape and
// values.
func selWantInts(t *testing.T, what string, got *tensor.Tensor, shape []int, want ...int64) {
	t.Helper()
	if got == nil || got.DType() != tensor.Int64 || !tensor.SameShape(got.Shape(), shape) {
		t.Fatalf("%s: got %v, want int64%v", what, got, shape)
	}
	if g := tensor.Data[int64](got); !slices.Equal(g, want) {
		t.Errorf("%s: got %v, want %v", what, g, want)
	}
}

// selWantErr checks that err is an invalid-node or shape-mismatch error.
func selWantErr(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
	} else if !errors.Is(err, ops.ErrInvalidNode) && !errors.Is(err, ops.ErrShapeMismatch) {
		t.Errorf("%s: error %v wraps neither ErrInvalidNode nor ErrShapeMismatch", what, err)
	}
}

// selRandShape returns a random shape of the given rank with dims in
// [0, maxDim] (0 only when zeros).
func selRandShape(r *rand.Rand, rank, maxDim int, zeros bool) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = 1 + r.IntN(maxDim)
		if zeros && r.IntN(6) == 0 {
			s[i] = 0
		}
	}
	return s
}

// selRandSmallInts returns a float32 tensor of small integers (many
// repeats, many zeros).
func selRandSmallInts(r *rand.Rand, shape []int, k int) *tensor.Tensor {
	v := make([]float32, nnNumel(shape))
	for i := range v {
		v[i] = float32(r.IntN(k))
	}
	return tensor.Must(tensor.FromSlice(v, shape...))
}

// selAsDType converts a float32 tensor of small integers to dt, including
// bool (non-zero), string (decimal; 0 is "") and complex.
func selAsDType(x *tensor.Tensor, dt tensor.DType) *tensor.Tensor {
	src := tensor.Data[float32](x)
	switch dt {
	case tensor.Bool:
		d := make([]bool, len(src))
		for i, v := range src {
			d[i] = v != 0
		}
		return tensor.Must(tensor.FromSlice(d, x.Shape()...))
	case tensor.String:
		d := make([]string, len(src))
		for i, v := range src {
			if v != 0 {
				d[i] = strings.Repeat("a", int(v))
			}
		}
		return tensor.Must(tensor.FromSlice(d, x.Shape()...))
	case tensor.Complex64:
		d := make([]complex64, len(src))
		for i, v := range src {
			d[i] = complex(0, v)
		}
		return tensor.Must(tensor.FromSlice(d, x.Shape()...))
	case tensor.Int8, tensor.Int32, tensor.Int64, tensor.Uint8, tensor.Uint64:
		y := tensor.Must(tensor.New(dt, x.Shape()...))
		for i, v := range src {
			switch d := y.Raw().(type) {
			case []int8:
				d[i] = int8(v)
			case []int32:
				d[i] = int32(v)
			case []int64:
				d[i] = int64(v)
			case []uint8:
				d[i] = uint8(v)
			case []uint64:
				d[i] = uint64(v)
			}
		}
		return y
	}
	return nnAsType(x, dt)
}

// selDTypes are the dtypes the selection tests run on.
var selDTypes = []tensor.DType{
	tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16, tensor.Int8, tensor.Int32,
	tensor.Int64, tensor.Uint8, tensor.Uint64, tensor.Bool, tensor.String, tensor.Complex64,
}

func TestSelectNonZero(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 60 {
		rank := trial % 5
		shape := selRandShape(r, rank, 4, true)
		base := selRandSmallInts(r, shape, 3)
		dt := selDTypes[trial%len(selDTypes)]
		x := selAsDType(base, dt)
		opset := int64(9 + 4*(trial%2))
		got := mustEval(t, "NonZero", opset, 1, []*tensor.Tensor{x})[0]
		// Definition: the coordinates of every non-zero element, in
		// row-major order, one column each.
		var cols [][]int
		for i, v := range tensor.Data[float32](base) {
			if v != 0 {
				cols = append(cols, nnUnravel(i, shape))
			}
		}
		want := make([]int64, rank*len(cols))
		for j, c := range cols {
			for a := range rank {
				want[a*len(cols)+j] = int64(c[a])
			}
		}
		selWantInts(t, "NonZero "+dt.String(), got, []int{rank, len(cols)}, want...)
	}
	// Negative zeros are zero; NaN is not.
	x := tensor.Must(tensor.FromSlice([]float32{float32(math.Copysign(0, -1)), float32(math.NaN()), 0, -1}, 4))
	selWantInts(t, "NonZero -0/NaN", mustEval(t, "NonZero", 13, 1, []*tensor.Tensor{x})[0], []int{1, 2}, 1, 3)
	for _, dt := range []tensor.DType{tensor.Float16, tensor.BFloat16} {
		h := nnAsType(x, dt)
		selWantInts(t, "NonZero -0/NaN "+dt.String(), mustEval(t, "NonZero", 13, 1, []*tensor.Tensor{h})[0], []int{1, 2}, 1, 3)
	}
	// A scalar gives shape (0, N).
	selWantInts(t, "NonZero scalar 5", mustEval(t, "NonZero", 13, 1, []*tensor.Tensor{tensor.Scalar(int32(5))})[0], []int{0, 1})
	selWantInts(t, "NonZero scalar 0", mustEval(t, "NonZero", 13, 1, []*tensor.Tensor{tensor.Scalar(false)})[0], []int{0, 0})
}

// selUniqueNaive is numpy.unique by definition: the distinct slices along
// axis (flattened input: axis -1), found by pairwise comparison of float64
// values (NaN equal to NaN), sorted lexicographically or kept in
// first-occurrence order.
func selUniqueNaive(x []float64, shape []int, axis int, sorted bool) (y []float64, ydims []int, first, inverse, counts []int64) {
	outer, d, inner := 1, len(x), 1
	if axis >= 0 {
		outer, d, inner = nnNumel(shape[:axis]), shape[axis], nnNumel(shape[axis+1:])
	}
	slice := func(k int) []float64 {
		var s []float64
		for o := range outer {
			s = append(s, x[(o*d+k)*inner:(o*d+k+1)*inner]...)
		}
		return s
	}
	eq := func(a, b []float64) bool {
		for i := range a {
			if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
				return false
			}
		}
		return true
	}
	var reps [][]float64
	var repIdx []int
	for k := range d {
		s := slice(k)
		found := false
		for _, u := range reps {
			found = found || eq(u, s)
		}
		if !found {
			reps, repIdx = append(reps, s), append(repIdx, k)
		}
	}
	order := make([]int, len(reps))
	for i := range order {
		order[i] = i
	}
	if sorted {
		less := func(a, b []float64) int {
			for i := range a {
				an, bn := math.IsNaN(a[i]), math.IsNaN(b[i])
				switch {
				case an && bn:
				case an:
					return 1
				case bn:
					return -1
				case a[i] < b[i]:
					return -1
				case a[i] > b[i]:
					return 1
				}
			}
			return 0
		}
		slices.SortFunc(order, func(i, j int) int { return less(reps[i], reps[j]) })
	}
	g := len(order)
	for _, j := range order {
		first = append(first, int64(repIdx[j]))
		var c int64
		for k := range d {
			if eq(slice(k), reps[j]) {
				c++
			}
		}
		counts = append(counts, c)
	}
	for k := range d {
		for pos, j := range order {
			if eq(slice(k), reps[j]) {
				inverse = append(inverse, int64(pos))
				break
			}
		}
	}
	ydims = []int{g}
	if axis >= 0 {
		ydims = append([]int(nil), shape...)
		ydims[axis] = g
	}
	y = make([]float64, outer*g*inner)
	for o := range outer {
		for pos, j := range order {
			copy(y[(o*g+pos)*inner:], x[(o*d+repIdx[j])*inner:(o*d+repIdx[j]+1)*inner])
		}
	}
	return y, ydims, first, inverse, counts
}

func TestSelectUniqueExamples(t *testing.T) {
	// The four examples of Operators.md.
	x1 := nnF32([]int{6}, 2, 1, 1, 3, 4, 3)
	out := mustEval(t, "Unique", 11, 4, []*tensor.Tensor{x1}, attrInt("sorted", 0))
	nnCheckClose(t, "ex1 Y", out[0], nnF32([]int{4}, 2, 1, 3, 4), 0, 0)
	selWantInts(t, "ex1 indices", out[1], []int{4}, 0, 1, 3, 4)
	selWantInts(t, "ex1 inverse", out[2], []int{6}, 0, 1, 1, 2, 3, 2)
	selWantInts(t, "ex1 counts", out[3], []int{4}, 1, 2, 2, 1)

	x2 := nnF32([]int{2, 2}, 1, 3, 2, 3)
	out = mustEval(t, "Unique", 11, 4, []*tensor.Tensor{x2})
	nnCheckClose(t, "ex2 Y", out[0], nnF32([]int{3}, 1, 2, 3), 0, 0)
	selWantInts(t, "ex2 indices", out[1], []int{3}, 0, 2, 1)
	selWantInts(t, "ex2 inverse", out[2], []int{4}, 0, 2, 1, 2)
	selWantInts(t, "ex2 counts", out[3], []int{3}, 1, 1, 2)

	x3 := nnF32([]int{3, 3}, 1, 0, 0, 1, 0, 0, 2, 3, 4)
	out = mustEval(t, "Unique", 11, 4, []*tensor.Tensor{x3}, attrInt("axis", 0))
	nnCheckClose(t, "ex3 Y", out[0], nnF32([]int{2, 3}, 1, 0, 0, 2, 3, 4), 0, 0)
	selWantInts(t, "ex3 indices", out[1], []int{2}, 0, 2)
	selWantInts(t, "ex3 inverse", out[2], []int{3}, 0, 0, 1)
	selWantInts(t, "ex3 counts", out[3], []int{2}, 2, 1)

	x4 := nnF32([]int{2, 4, 2}, 1, 1, 0, 1, 2, 1, 0, 1, 1, 1, 0, 1, 2, 1, 0, 1)
	out = mustEval(t, "Unique", 11, 4, []*tensor.Tensor{x4}, attrInt("axis", 1))
	nnCheckClose(t, "ex4 Y", out[0], nnF32([]int{2, 3, 2}, 0, 1, 1, 1, 2, 1, 0, 1, 1, 1, 2, 1), 0, 0)
	selWantInts(t, "ex4 indices", out[1], []int{3}, 1, 0, 2)
	selWantInts(t, "ex4 inverse", out[2], []int{4}, 1, 0, 2, 0)
	selWantInts(t, "ex4 counts", out[3], []int{3}, 2, 1, 1)
}

func TestSelectUniqueRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 120 {
		rank := 1 + trial%4
		shape := selRandShape(r, rank, 4, trial%7 == 0)
		base := selRandSmallInts(r, shape, 1+r.IntN(4))
		axis := -1
		var attrs []*ir.Attribute
		if trial%3 != 0 {
			axis = r.IntN(rank)
			a := int64(axis)
			if r.IntN(2) == 0 {
				a -= int64(rank)
			}
			attrs = append(attrs, attrInt("axis", a))
		}
		sorted := trial%2 == 0
		if !sorted || r.IntN(2) == 0 {
			attrs = append(attrs, attrInt("sorted", int64(map[bool]int{true: 1}[sorted])))
		}
		dt := selDTypes[trial%len(selDTypes)]
		if dt == tensor.Bool || dt == tensor.String || dt == tensor.Complex64 {
			// Orders that differ from the numbers': check them below.
			dt = tensor.Int64
		}
		x := selAsDType(base, dt)
		out := mustEval(t, "Unique", 11, 4, []*tensor.Tensor{x}, attrs...)
		y, ydims, first, inv, counts := selUniqueNaive(nnF64s(base), shape, axis, sorted)
		want := nnF64T(ydims, y)
		nnCheckClose(t, "Unique Y", selAsF64(out[0]), want, 0, 0)
		if out[0].DType() != dt {
			t.Errorf("Unique Y is %v, want %v", out[0].DType(), dt)
		}
		selWantInts(t, "Unique indices", out[1], []int{len(first)}, first...)
		selWantInts(t, "Unique inverse", out[2], []int{len(inv)}, inv...)
		selWantInts(t, "Unique counts", out[3], []int{len(counts)}, counts...)
	}
}

// selAsF64 converts any numeric tensor to float64 (for comparisons).
func selAsF64(x *tensor.Tensor) *tensor.Tensor {
	return nnF64T(x.Shape(), nnF64s(x))
}

func TestSelectUniqueTypes(t *testing.T) {
	s := tensor.Must(tensor.FromSlice([]string{"b", "a", "b", "", "a"}, 5))
	out := mustEval(t, "Unique", 11, 4, []*tensor.Tensor{s})
	if got := tensor.Data[string](out[0]); !slices.Equal(got, []string{"", "a", "b"}) {
		t.Errorf("Unique strings: %q", got)
	}
	selWantInts(t, "strings inverse", out[2], []int{5}, 2, 1, 2, 0, 1)
	b := tensor.Must(tensor.FromSlice([]bool{true, false, true}, 3))
	out = mustEval(t, "Unique", 11, 4, []*tensor.Tensor{b})
	if got := tensor.Data[bool](out[0]); !slices.Equal(got, []bool{false, true}) {
		t.Errorf("Unique bools: %v", got)
	}
	c := tensor.Must(tensor.FromSlice([]complex64{complex(1, 2), complex(1, -1), complex(0, 5), complex(1, 2)}, 4))
	out = mustEval(t, "Unique", 11, 4, []*tensor.Tensor{c})
	if got := tensor.Data[complex64](out[0]); !slices.Equal(got, []complex64{complex(0, 5), complex(1, -1), complex(1, 2)}) {
		t.Errorf("Unique complex: %v", got)
	}
	// NaNs gather into one value, sorted last; -0 equals 0.
	nan := float32(math.NaN())
	f := nnF32([]int{6}, nan, 1, float32(math.Copysign(0, -1)), nan, 0, -2)
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float16, tensor.BFloat16, tensor.Float64} {
		out = mustEval(t, "Unique", 11, 4, []*tensor.Tensor{nnAsType(f, dt)})
		nnCheckClose(t, "Unique NaN "+dt.String(), selAsF64(out[0]), nnF64T([]int{4}, []float64{-2, 0, 1, math.NaN()}), 0, 0)
		selWantInts(t, "Unique NaN counts", out[3], []int{4}, 1, 2, 1, 2)
	}
	// Empty input.
	e := tensor.Must(tensor.New(tensor.Float32, 0, 3))
	out = mustEval(t, "Unique", 11, 4, []*tensor.Tensor{e})
	selWantInts(t, "Unique empty counts", out[3], []int{0})
	out = mustEval(t, "Unique", 11, 4, []*tensor.Tensor{e}, attrInt("axis", 1))
	if !tensor.SameShape(out[0].Shape(), []int{0, 1}) {
		t.Errorf("Unique of 0x3 along axis 1: Y %v, want [0 1] (all empty slices are equal)", out[0].Shape())
	}
	selWantInts(t, "Unique empty slices counts", out[3], []int{1}, 3)
}

func TestSelectUniqueOutputsSubset(t *testing.T) {
	// Only Y and counts requested: the other slots stay nil.
	node := &ir.Node{OpType: "Unique", Inputs: []string{"x"}, Outputs: []string{"y", "", "", "c"}}
	x := nnF32([]int{5}, 3, 1, 3, 3, 2)
	out, err := ops.Eval(context.Background(), node, 11, []*tensor.Tensor{x}, func(b string) bool { return b == Name })
	if err != nil {
		t.Fatal(err)
	}
	nnCheckClose(t, "subset Y", out[0], nnF32([]int{3}, 1, 2, 3), 0, 0)
	if out[1] != nil || out[2] != nil {
		t.Errorf("omitted outputs were produced: %v %v", out[1], out[2])
	}
	selWantInts(t, "subset counts", out[3], []int{3}, 1, 1, 3)
}

func TestSelectUniqueErrors(t *testing.T) {
	x := nnF32([]int{2, 2}, 1, 2, 3, 4)
	_, err := evalNode("", "Unique", 11, 1, []*tensor.Tensor{x}, attrInt("axis", 2))
	selWantErr(t, "axis 2", err)
	_, err = evalNode("", "Unique", 11, 1, []*tensor.Tensor{x}, attrInt("sorted", 3))
	selWantErr(t, "sorted 3", err)
	_, err = evalNode("", "Unique", 11, 1, []*tensor.Tensor{tensor.Scalar(float32(1))}, attrInt("axis", 0))
	selWantErr(t, "axis of a scalar", err)
}

// selCompressNaive is numpy.compress with the condition cut to the axis.
func selCompressNaive(x []float64, shape []int, cond []bool, axis int) ([]float64, []int) {
	if axis < 0 {
		var y []float64
		for i, v := range x {
			if i < len(cond) && cond[i] {
				y = append(y, v)
			}
		}
		return y, []int{len(y)}
	}
	keep := 0
	for k := range min(len(cond), shape[axis]) {
		if cond[k] {
			keep++
		}
	}
	ydims := append([]int(nil), shape...)
	ydims[axis] = keep
	var y []float64
	for i := range x {
		// Walk the output in order: visit every input element and keep
		// those whose axis coordinate is selected.
		c := nnUnravel(i, shape)
		if c[axis] < len(cond) && cond[c[axis]] {
			y = append(y, x[i])
		}
	}
	return y, ydims
}

func TestSelectCompress(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 100 {
		rank := 1 + trial%4
		shape := selRandShape(r, rank, 4, trial%9 == 0)
		base := selRandSmallInts(r, shape, 9)
		axis := -1
		var attrs []*ir.Attribute
		if trial%4 != 0 {
			axis = r.IntN(rank)
			a := int64(axis)
			if r.IntN(2) == 0 {
				a -= int64(rank)
			}
			attrs = append(attrs, attrInt("axis", a))
		}
		n := nnNumel(shape)
		if axis >= 0 {
			n = shape[axis]
		}
		cond := make([]bool, max(0, n+r.IntN(3)-1))
		for i := range cond {
			cond[i] = r.IntN(2) == 0
		}
		c := tensor.Must(tensor.FromSlice(cond, len(cond)))
		dt := selDTypes[trial%len(selDTypes)]
		x := selAsDType(base, dt)
		opset := int64(9 + 2*(trial%2))
		got := mustEval(t, "Compress", opset, 1, []*tensor.Tensor{x, c}, attrs...)[0]
		y, ydims := selCompressNaive(nnF64s(base), shape, cond, axis)
		if got.DType() != dt || !tensor.SameShape(got.Shape(), ydims) {
			t.Fatalf("Compress %v axis %d: got %v%v, want %v%v", shape, axis, got.DType(), got.Shape(), dt, ydims)
		}
		want := selAsDType(tensor.Must(tensor.FromSlice(selF32s(y), ydims...)), dt)
		if !selSameElems(got, want) {
			t.Errorf("Compress %v axis %d cond %v: got %v, want %v", shape, axis, cond, got, want)
		}
	}
	x := nnF32([]int{2, 2}, 1, 2, 3, 4)
	_, err := evalNode("", "Compress", 11, 1, []*tensor.Tensor{x, tensor.Must(tensor.FromSlice([]bool{true}, 1))}, attrInt("axis", 2))
	selWantErr(t, "axis 2", err)
	_, err = evalNode("", "Compress", 11, 1, []*tensor.Tensor{x, selInts([]int{1}, 1)})
	selWantErr(t, "int condition", err)
}

// selF32s converts float64s to float32s.
func selF32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// selSameElems reports whether two tensors of one dtype hold equal elements
// (NaN bit patterns aside).
func selSameElems(a, b *tensor.Tensor) bool {
	if a.DType() != b.DType() || a.Len() != b.Len() {
		return false
	}
	el := shpElemsOf(a.DType())
	for i := range a.Len() {
		if el.at(a.Raw(), i) != el.at(b.Raw(), i) {
			return false
		}
	}
	return true
}

func TestSelectReverseSequence(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := range 60 {
		rank := 2 + trial%3
		shape := selRandShape(r, rank, 5, trial%11 == 0)
		batchAxis := trial % 2
		nb, nt := shape[batchAxis], shape[1-batchAxis]
		lens := make([]int64, nb)
		for i := range lens {
			lens[i] = int64(r.IntN(nt + 1))
		}
		base := nnRandT(r, shape...)
		dt := selDTypes[trial%len(selDTypes)]
		if dt == tensor.Bool || dt == tensor.String || dt == tensor.Complex64 || dt.IsInt() {
			base = selRandSmallInts(r, shape, 50)
		}
		x := selAsDType(base, dt)
		got := mustEval(t, "ReverseSequence", 10, 1, []*tensor.Tensor{x, selInts([]int{nb}, lens...)},
			attrInt("batch_axis", int64(batchAxis)), attrInt("time_axis", int64(1-batchAxis)))[0]
		// Definition: y[.., t, .., b, ..] = x[.., len_b-1-t, .., b, ..] for
		// t < len_b, else x itself.
		src := tensor.Data[float32](base)
		want := make([]float32, len(src))
		for i := range want {
			c := nnUnravel(i, shape)
			b, tt := c[batchAxis], c[1-batchAxis]
			if tt < int(lens[b]) {
				c[1-batchAxis] = int(lens[b]) - 1 - tt
			}
			want[i] = src[nnRavel(c, shape)]
		}
		if w := selAsDType(tensor.Must(tensor.FromSlice(want, shape...)), dt); !selSameElems(got, w) {
			t.Errorf("ReverseSequence %v batch_axis %d lens %v: got %v, want %v", shape, batchAxis, lens, got, w)
		}
	}
	x := nnF32([]int{3, 2}, 1, 2, 3, 4, 5, 6)
	for _, c := range []struct {
		name string
		lens *tensor.Tensor
	}{
		{"too long", selInts([]int{2}, 4, 1)},
		{"negative", selInts([]int{2}, -1, 1)},
		{"count", selInts([]int{3}, 1, 1, 1)},
	} {
		_, err := evalNode("", "ReverseSequence", 10, 1, []*tensor.Tensor{x, c.lens})
		selWantErr(t, "ReverseSequence "+c.name, err)
	}
	_, err := evalNode("", "ReverseSequence", 10, 1, []*tensor.Tensor{x, selInts([]int{2}, 1, 1)}, attrInt("batch_axis", 0))
	selWantErr(t, "ReverseSequence equal axes", err)
}

// TestSelectConcurrent runs one kernel instance of each data-dependent op
// from many goroutines: kernels keep no per-call state.
func TestSelectConcurrent(t *testing.T) {
	x := nnF32([]int{2, 3}, 0, 1, 2, 2, 0, 1)
	for _, op := range []string{"NonZero", "Unique"} {
		n := &ops.Node{Node: nnNode(op, []bool{true}, 1), Schema: ops.LookupSchema("", op, 13), Opset: 13,
			In: []ops.TypeShape{ops.Known(x)}}
		k, _, err := ops.SelectKernel(n, func(b string) bool { return b == Name })
		if err != nil {
			t.Fatal(err)
		}
		first := make([]*tensor.Tensor, 1)
		if err := k.Run(&ops.ExecContext{Ctx: context.Background(), Threads: 1}, []*tensor.Tensor{x}, first); err != nil {
			t.Fatal(err)
		}
		done := make(chan *tensor.Tensor)
		for range 8 {
			go func() {
				var last *tensor.Tensor
				for range 50 {
					out := make([]*tensor.Tensor, 1)
					if err := k.Run(&ops.ExecContext{Ctx: context.Background(), Threads: 1}, []*tensor.Tensor{x}, out); err != nil {
						t.Error(err)
					}
					last = out[0]
				}
				done <- last
			}()
		}
		for range 8 {
			if got := <-done; got == nil || !selSameElems(got, first[0]) {
				t.Errorf("%s: concurrent run gave %v, want %v", op, got, first[0])
			}
		}
	}
}
