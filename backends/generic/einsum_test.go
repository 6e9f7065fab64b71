package generic

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func einAEq(eq string) *ir.Attribute { return attrStr("equation", eq) }

// einNaive evaluates an equation by its definition: for every assignment
// of values to all labels, add the product of the operands' elements (an
// ellipsis dim of size 1 reads index 0) to the output element.
func einNaive(t *testing.T, eq string, xs [][]float64, shapes [][]int) ([]int, []float64) {
	t.Helper()
	e, err := ops.ParseEinsum(eq)
	if err != nil {
		t.Fatal(err)
	}
	ranks := make([]int, len(shapes))
	for i, s := range shapes {
		ranks[i] = len(s)
	}
	ins, out, nEll, err := e.Bind(ranks)
	if err != nil {
		t.Fatal(err)
	}
	sizes, err := ops.EinsumLabelSizes(ins, shapes, nEll)
	if err != nil {
		t.Fatal(err)
	}
	var all []int // every label used
	for _, labels := range ins {
		for _, l := range labels {
			if !einHas(all, l) {
				all = append(all, l)
			}
		}
	}
	dims := make([]int, len(all))
	for i, l := range all {
		dims[i] = sizes[l]
	}
	oshape := make([]int, len(out))
	for i, l := range out {
		oshape[i] = sizes[l]
	}
	res := make([]float64, nnNumel(oshape))
	total := nnNumel(dims)
	val := make([]int, len(sizes))
	for f := range total {
		idx := nnUnravel(f, dims)
		for i, l := range all {
			val[l] = idx[i]
		}
		p := 1.0
		for k, labels := range ins {
			opIdx := make([]int, len(labels))
			for j, l := range labels {
				if shapes[k][j] == 1 {
					continue // size 1 (broadcast, or the only index)
				}
				opIdx[j] = val[l]
			}
			p *= xs[k][nnRavel(opIdx, shapes[k])]
		}
		oIdx := make([]int, len(out))
		for j, l := range out {
			oIdx[j] = val[l]
		}
		res[nnRavel(oIdx, oshape)] += p
	}
	return oshape, res
}

func einHas(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// einRandInts returns n small integers as float64s, exact in every dtype.
func einRandInts(r *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(r.IntN(7) - 3)
	}
	return v
}

// einTensor makes a tensor of dt with the given (small integer) values.
func einTensor(dt tensor.DType, v []float64, shape []int) *tensor.Tensor {
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	switch dt {
	case tensor.Int8:
		return einConv[int8](v, shape)
	case tensor.Int16:
		return einConv[int16](v, shape)
	case tensor.Int32:
		return einConv[int32](v, shape)
	case tensor.Int64:
		return einConv[int64](v, shape)
	case tensor.Uint8:
		return einConv[uint8](v, shape)
	case tensor.Uint16:
		return einConv[uint16](v, shape)
	case tensor.Uint32:
		return einConv[uint32](v, shape)
	case tensor.Uint64:
		return einConv[uint64](v, shape)
	}
	return nnAsType(tensor.Must(tensor.FromSlice(f, shape...)), dt)
}

// einConv converts integral float64 values to T, wrapping like Go's
// conversions of out-of-range integers.
func einConv[T tensor.Numeric](v []float64, shape []int) *tensor.Tensor {
	d := make([]T, len(v))
	for i, x := range v {
		d[i] = T(int64(x))
	}
	return tensor.Must(tensor.FromSlice(d, shape...))
}

func TestEinsumHandComputed(t *testing.T) {
	m := nnF32([]int{2, 2}, 1, 2, 3, 4)
	cases := []struct {
		eq    string
		in    []*tensor.Tensor
		shape []int
		want  []float64
	}{
		{"ij,jk->ik", []*tensor.Tensor{m, m}, []int{2, 2}, []float64{7, 10, 15, 22}},
		{"ij,jk", []*tensor.Tensor{m, m}, []int{2, 2}, []float64{7, 10, 15, 22}},
		{"ii", []*tensor.Tensor{m}, []int{}, []float64{5}},
		{"ii->i", []*tensor.Tensor{m}, []int{2}, []float64{1, 4}},
		{"ij->ji", []*tensor.Tensor{m}, []int{2, 2}, []float64{1, 3, 2, 4}},
		{"ji", []*tensor.Tensor{m}, []int{2, 2}, []float64{1, 3, 2, 4}},
		{"ij->", []*tensor.Tensor{m}, []int{}, []float64{10}},
		{"ij->j", []*tensor.Tensor{m}, []int{2}, []float64{4, 6}},
		{"i,j->ij", []*tensor.Tensor{nnF32([]int{2}, 1, 2), nnF32([]int{3}, 1, 10, 100)}, []int{2, 3}, []float64{1, 10, 100, 2, 20, 200}},
		{"i,i", []*tensor.Tensor{nnF32([]int{3}, 1, 2, 3), nnF32([]int{3}, 4, 5, 6)}, []int{}, []float64{32}},
		{"ij,ij->ij", []*tensor.Tensor{m, m}, []int{2, 2}, []float64{1, 4, 9, 16}},
		{"ij,jk,kl->il", []*tensor.Tensor{m, m, m}, []int{2, 2}, []float64{37, 54, 81, 118}},
		// Ellipsis broadcast: a 1 x 2 x 2 batch against a 3 x 2 x 1 one.
		{"...ij,...jk->...ik", []*tensor.Tensor{nnF32([]int{1, 2, 2}, 1, 2, 3, 4), nnF32([]int{3, 2, 1}, 1, 0, 0, 1, 1, 1)}, []int{3, 2, 1},
			[]float64{1, 3, 2, 4, 3, 7}},
		{"...i->...", []*tensor.Tensor{m}, []int{2}, []float64{3, 7}},
		{"i...->i", []*tensor.Tensor{m}, []int{2}, []float64{3, 7}}, // ellipsis summed
		{"iii->i", []*tensor.Tensor{nnF32([]int{2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8)}, []int{2}, []float64{1, 8}},
		{"", []*tensor.Tensor{nnF32([]int{}, 7)}, []int{}, []float64{7}},
	}
	for _, c := range cases {
		out := mustEval(t, "Einsum", 12, 1, c.in, einAEq(c.eq))
		nnCheckF64(t, c.eq, out[0], c.shape, c.want, 1e-6, 1e-6)
	}
}

// einRandEquation draws an equation over up to three operands, with
// repeated labels, ellipses and an explicit or implicit output, and
// shapes for it.
func einRandEquation(r *rand.Rand) (string, [][]int) {
	const letters = "abcdefgAB"
	size := map[byte]int{}
	for i := range len(letters) {
		size[letters[i]] = r.IntN(4) // 0..3: empty dims too
		if r.IntN(3) > 0 {
			size[letters[i]]++
		}
	}
	ellRank := r.IntN(3)
	ellDims := make([]int, ellRank)
	for i := range ellDims {
		ellDims[i] = 1 + r.IntN(3)
	}
	useEll := r.IntN(2) == 0
	nOps := 1 + r.IntN(3)
	var terms []string
	var shapes [][]int
	used := map[byte]bool{}
	anyEll := false
	for range nOps {
		var term strings.Builder
		var shape []int
		n := r.IntN(4)
		ellAt := -1
		if useEll && r.IntN(2) == 0 {
			ellAt = r.IntN(n + 1)
		}
		for j := 0; j <= n; j++ {
			if j == ellAt {
				term.WriteString("...")
				anyEll = true
				// A right-aligned suffix of the ellipsis dims, some
				// broadcast as 1.
				k := r.IntN(ellRank + 1)
				for _, d := range ellDims[ellRank-k:] {
					if r.IntN(2) == 0 {
						d = 1
					}
					shape = append(shape, d)
				}
			}
			if j == n {
				break
			}
			c := letters[r.IntN(len(letters))]
			used[c] = true
			term.WriteByte(c)
			shape = append(shape, size[c])
		}
		terms = append(terms, term.String())
		shapes = append(shapes, shape)
	}
	eq := strings.Join(terms, ",")
	if r.IntN(3) > 0 {
		var out strings.Builder
		for i := range len(letters) {
			if c := letters[i]; used[c] && r.IntN(2) == 0 {
				out.WriteByte(c)
			}
		}
		o := out.String()
		if anyEll && r.IntN(3) > 0 {
			p := r.IntN(len(o) + 1)
			o = o[:p] + "..." + o[p:]
		}
		// Shuffle the output letters around the ellipsis.
		b := []byte(strings.ReplaceAll(o, "...", "."))
		r.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
		eq += "->" + strings.ReplaceAll(string(b), ".", "...")
	}
	return eq, shapes
}

func TestEinsumRandomAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	dts := []tensor.DType{tensor.Float32, tensor.Float64, tensor.Int32, tensor.Int64, tensor.Uint32,
		tensor.Uint64, tensor.Int8, tensor.Int16, tensor.Uint8, tensor.Uint16, tensor.Float16, tensor.BFloat16}
	for iter := range 600 {
		eq, shapes := einRandEquation(r)
		dt := dts[iter%len(dts)]
		unsigned := dt == tensor.Uint8 || dt == tensor.Uint16 || dt == tensor.Uint32 || dt == tensor.Uint64
		var vals [][]float64
		var in []*tensor.Tensor
		for _, s := range shapes {
			v := einRandInts(r, nnNumel(s))
			if unsigned || dt == tensor.Float16 || dt == tensor.BFloat16 || dt == tensor.Int8 {
				for i := range v {
					v[i] = float64(r.IntN(2)) // keep unsigned and small types exact
				}
			}
			vals = append(vals, v)
			in = append(in, einTensor(dt, v, s))
		}
		oshape, want := einNaive(t, eq, vals, shapes)
		got, err := evalNode("", "Einsum", 12, 1, in, einAEq(eq))
		if err != nil {
			t.Fatalf("%q %v %v: %v", eq, shapes, dt, err)
		}
		if got[0].DType() != dt {
			t.Fatalf("%q: dtype %v, want %v", eq, got[0].DType(), dt)
		}
		if dt != tensor.Float32 && dt != tensor.Float64 {
			// Sums may exceed the small types: compare in the type.
			w := einTensor(dt, want, oshape)
			want = nnF64s(w)
		}
		nnCheckF64(t, fmt.Sprintf("%q %v %v", eq, shapes, dt), got[0], oshape, want, 0, 0)
	}
}

func TestEinsumErrors(t *testing.T) {
	m := nnF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	for _, c := range []struct {
		eq   string
		in   []*tensor.Tensor
		want error
	}{
		{"ij,jk->ik", []*tensor.Tensor{m, m}, ops.ErrShapeMismatch},
		{"ii->i", []*tensor.Tensor{m}, ops.ErrShapeMismatch},
		{"ijk->i", []*tensor.Tensor{m}, ops.ErrShapeMismatch},
		{"ij,jk->ik", []*tensor.Tensor{m}, ops.ErrInvalidNode},
		{"ij->q", []*tensor.Tensor{m}, ops.ErrInvalidNode},
		{"i.j", []*tensor.Tensor{m}, ops.ErrInvalidNode},
		{"...ij,...jk", []*tensor.Tensor{nnF32([]int{2, 1, 1}, 1, 2), nnF32([]int{3, 1, 1}, 1, 2, 3)}, ops.ErrShapeMismatch},
		{"ij,ij", []*tensor.Tensor{m, nnAsType(m, tensor.Float64)}, ops.ErrInvalidNode},
	} {
		if _, err := evalNode("", "Einsum", 12, 1, c.in, einAEq(c.eq)); !errors.Is(err, c.want) {
			t.Errorf("%q: got %v, want %v", c.eq, err, c.want)
		}
	}
	// Bool is not numeric.
	b := tensor.Must(tensor.FromSlice([]bool{true, false}, 2))
	if _, err := evalNode("", "Einsum", 12, 1, []*tensor.Tensor{b}, einAEq("i")); !errors.Is(err, ops.ErrInvalidNode) {
		t.Errorf("bool: %v", err)
	}
}

func TestEinsumDoesNotAliasInput(t *testing.T) {
	// An identity equation must still copy: the output is written later.
	x := nnF32([]int{2, 2}, 1, 2, 3, 4)
	out := mustEval(t, "Einsum", 12, 1, []*tensor.Tensor{x}, einAEq("ij->ij"))
	tensor.Data[float32](out[0])[0] = 100
	if tensor.Data[float32](x)[0] != 1 {
		t.Fatal("Einsum output aliases its input")
	}
}

// BenchmarkEinsum measures matmul-like equations against the naive
// definition-level loop.
func BenchmarkEinsum(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name, eq string
		a, c     []int
		flops    float64
	}{
		{"matmul/128x128x128", "ij,jk->ik", []int{128, 128}, []int{128, 128}, 2 * 128 * 128 * 128},
		{"batch_matmul/8x64x64x64", "bij,bjk->bik", []int{8, 64, 64}, []int{8, 64, 64}, 2 * 8 * 64 * 64 * 64},
		{"transposed/bji,bkj/8x64", "bji,bkj->bik", []int{8, 64, 64}, []int{8, 64, 64}, 2 * 8 * 64 * 64 * 64},
	} {
		x, y := nnRandT(r, c.a...), nnRandT(r, c.c...)
		n := &ops.Node{Node: nnNode("Einsum", []bool{true, true}, 1, einAEq(c.eq)), Schema: ops.LookupSchema("", "Einsum", 12), Opset: 12,
			In: []ops.TypeShape{ops.Known(x), ops.Known(y)}}
		k, err := einNew(n)
		if err != nil {
			b.Fatal(err)
		}
		in := []*tensor.Tensor{x, y}
		b.Run("generic/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			ec := &ops.ExecContext{Ctx: b.Context(), Threads: 1}
			for b.Loop() {
				out := make([]*tensor.Tensor, 1)
				if err := k.Run(ec, in, out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(c.flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		if c.name[0] != 'm' {
			continue
		}
		b.Run("naive/"+c.name, func(b *testing.B) {
			xa, ya := tensor.Data[float32](x), tensor.Data[float32](y)
			m, kk, nn := c.a[0], c.a[1], c.c[1]
			z := make([]float32, m*nn)
			for b.Loop() {
				for i := range m {
					for j := range nn {
						var s float32
						for p := range kk {
							s += xa[i*kk+p] * ya[p*nn+j]
						}
						z[i*nn+j] = s
					}
				}
			}
			b.ReportMetric(c.flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func TestEinsumLargeSums(t *testing.T) {
	// Sums over more than einMaxSumOffsets elements walk them per output.
	n := einMaxSumOffsets + 3
	x := tensor.Must(tensor.New(tensor.Float64, 2, n))
	d := tensor.Data[float64](x)
	for i := range d {
		d[i] = float64((i % n) % 3)
	}
	per := float64((n / 3) * 3) // each row: n/3 full cycles of 0+1+2, then 0
	out := mustEval(t, "Einsum", 12, 1, []*tensor.Tensor{x}, einAEq("ij->i"))
	nnCheckF64(t, "ij->i", out[0], []int{2}, []float64{per, per}, 0, 0)
	out = mustEval(t, "Einsum", 12, 1, []*tensor.Tensor{x}, einAEq("ij->"))
	nnCheckF64(t, "ij->", out[0], []int{}, []float64{2 * per}, 0, 0)
}
