package generic

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func TestW2bMiscShrink(t *testing.T) {
	x := nnF32([]int{2, 5}, -3, -1.5, -1, -0.25, 0, 0.25, 1, 1.5, 2, 4)
	// Defaults: lambd 0.5, bias 0.
	out := mustEval(t, "Shrink", 9, 1, []*tensor.Tensor{x})[0]
	nnCheckClose(t, "defaults", out, nnF32([]int{2, 5}, -3, -1.5, -1, 0, 0, 0, 1, 1.5, 2, 4), 0, 0)
	// Soft shrink: lambd 1, bias 1; |x| == lambd gives 0.
	want := nnF32([]int{2, 5}, -2, -0.5, 0, 0, 0, 0, 0, 0.5, 1, 3)
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16} {
		out = mustEval(t, "Shrink", 9, 1, []*tensor.Tensor{nnAsType(x, dt)}, attrFloat("lambd", 1), attrFloat("bias", 1))[0]
		nnCheckClose(t, "soft "+dt.String(), out, nnAsType(want, dt), 0, 0)
	}
	// Integers: compared and shifted exactly, saturating at the type's ends.
	xi := selAsDType(nnF32([]int{6}, 0, 1, 2, 3, 100, 127), tensor.Int8)
	out = mustEval(t, "Shrink", 9, 1, []*tensor.Tensor{xi}, attrFloat("lambd", 1.5), attrFloat("bias", 2))[0]
	if got := tensor.Data[int8](out); got[0] != 0 || got[1] != 0 || got[2] != 0 || got[3] != 1 || got[4] != 98 || got[5] != 125 {
		t.Errorf("int8 shrink: %v", got)
	}
	neg := tensor.Must(tensor.FromSlice([]int8{-128, -100, -2, -1}, 4))
	out = mustEval(t, "Shrink", 9, 1, []*tensor.Tensor{neg}, attrFloat("lambd", 1.5), attrFloat("bias", -5))[0]
	if got := tensor.Data[int8](out); got[0] != -128 || got[1] != -105 || got[2] != -7 || got[3] != 0 {
		t.Errorf("int8 shrink saturating: %v", got)
	}
	u := tensor.Must(tensor.FromSlice([]uint8{0, 1, 2, 255}, 4))
	out = mustEval(t, "Shrink", 9, 1, []*tensor.Tensor{u}, attrFloat("lambd", 0.5), attrFloat("bias", 1.5))[0]
	if got := tensor.Data[uint8](out); got[0] != 0 || got[1] != 0 || got[2] != 0 || got[3] != 253 {
		t.Errorf("uint8 shrink: %v (1-1.5 saturates to 0; 2-1.5 truncates to 0)", got)
	}
	// Random float64 against the formula.
	r := rand.New(rand.NewPCG(9, 10))
	xs := make([]float64, 257)
	for i := range xs {
		xs[i] = r.NormFloat64() * 3
	}
	out = mustEval(t, "Shrink", 9, 1, []*tensor.Tensor{nnF64T([]int{257}, xs)}, attrFloat("lambd", 0.75), attrFloat("bias", 0.25))[0]
	for i, v := range tensor.Data[float64](out) {
		w := 0.0
		if xs[i] < -0.75 {
			w = xs[i] + 0.25
		} else if xs[i] > 0.75 {
			w = xs[i] - 0.25
		}
		if v != w {
			t.Fatalf("shrink(%v) = %v, want %v", xs[i], v, w)
		}
	}
	_, err := evalNode("", "Shrink", 9, 1, []*tensor.Tensor{tensor.Scalar(true)})
	selWantErr(t, "Shrink of bool", err)
}

// w2bDetNaive is the Leibniz/Laplace definition: expansion along the first
// row.
func w2bDetNaive(a [][]float64) float64 {
	m := len(a)
	if m == 0 {
		return 1
	}
	det := 0.0
	for j := range m {
		minor := make([][]float64, 0, m-1)
		for _, row := range a[1:] {
			minor = append(minor, append(append([]float64(nil), row[:j]...), row[j+1:]...))
		}
		term := a[0][j] * w2bDetNaive(minor)
		if j%2 == 1 {
			term = -term
		}
		det += term
	}
	return det
}

func TestW2bMiscDet(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, shape := range [][]int{{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}, {3, 2, 2}, {2, 3, 4, 4}, {0, 3, 3}, {2, 0, 0}} {
		m := shape[len(shape)-1]
		x := nnRandT(r, shape...)
		batch := nnNumel(shape[:len(shape)-2])
		vals := nnF64s(x)
		want := make([]float64, batch)
		for b := range want {
			a := make([][]float64, m)
			for i := range a {
				a[i] = vals[(b*m+i)*m : (b*m+i+1)*m]
			}
			want[b] = w2bDetNaive(a)
		}
		for _, opset := range []int64{11, 22} {
			got := mustEval(t, "Det", opset, 1, []*tensor.Tensor{x})[0]
			nnCheckClose(t, "Det f32", got, nnAsType(nnF32(shape[:len(shape)-2], selF32s(want)...), tensor.Float32), 1e-4, 1e-5)
			got64 := mustEval(t, "Det", opset, 1, []*tensor.Tensor{nnAsType(x, tensor.Float64)})[0]
			nnCheckClose(t, "Det f64", got64, nnF64T(shape[:len(shape)-2], want), 1e-12, 1e-12)
		}
		for _, dt := range []tensor.DType{tensor.Float16, tensor.BFloat16} {
			// The half input is rounded first: compare with the determinant
			// of the rounded matrix.
			h := nnAsType(x, dt)
			hv := nnF64s(h)
			for b := range want {
				a := make([][]float64, m)
				for i := range a {
					a[i] = hv[(b*m+i)*m : (b*m+i+1)*m]
				}
				want[b] = w2bDetNaive(a)
			}
			got := mustEval(t, "Det", 22, 1, []*tensor.Tensor{h})[0]
			nnCheckClose(t, "Det "+dt.String(), got, nnAsType(nnF32(shape[:len(shape)-2], selF32s(want)...), dt), 1e-2, 1e-2)
		}
	}
	// Singular matrices, a permutation (pivoting) and 0x0 (det 1).
	sing := nnF32([]int{3, 3}, 1, 2, 3, 2, 4, 6, 7, 8, 9)
	if v := tensor.Data[float32](mustEval(t, "Det", 11, 1, []*tensor.Tensor{sing})[0])[0]; v != 0 {
		t.Errorf("det of singular = %v", v)
	}
	perm := nnF32([]int{3, 3}, 0, 1, 0, 0, 0, 1, 1, 0, 0)
	if v := tensor.Data[float32](mustEval(t, "Det", 11, 1, []*tensor.Tensor{perm})[0])[0]; v != 1 {
		t.Errorf("det of a cyclic permutation = %v, want 1", v)
	}
	swap := nnF32([]int{2, 2}, 0, 1, 1, 0)
	if v := tensor.Data[float32](mustEval(t, "Det", 11, 1, []*tensor.Tensor{swap})[0])[0]; v != -1 {
		t.Errorf("det of a swap = %v, want -1", v)
	}
	empty := tensor.Must(tensor.New(tensor.Float32, 2, 0, 0))
	if got := tensor.Data[float32](mustEval(t, "Det", 11, 1, []*tensor.Tensor{empty})[0]); len(got) != 2 || got[0] != 1 || got[1] != 1 {
		t.Errorf("det of 0x0 matrices = %v, want [1 1]", got)
	}
	inf := nnF32([]int{2, 2}, float32(math.Inf(1)), 0, 0, 1)
	if v := tensor.Data[float32](mustEval(t, "Det", 11, 1, []*tensor.Tensor{inf})[0])[0]; !math.IsInf(float64(v), 1) {
		t.Errorf("det with +Inf = %v", v)
	}

	for _, x := range []*tensor.Tensor{nnF32([]int{2, 3}, 1, 2, 3, 4, 5, 6), nnF32([]int{3}, 1, 2, 3)} {
		_, err := evalNode("", "Det", 11, 1, []*tensor.Tensor{x})
		selWantErr(t, "Det of "+w2bShapeString(x.Shape()), err)
	}
	// The kernel itself rejects a non-square input (no panic) when
	// inference was bypassed.
	n := &ops.Node{Node: nnNode("Det", []bool{true}, 1), Schema: ops.LookupSchema("", "Det", 11), Opset: 11,
		In: []ops.TypeShape{ops.Unranked(tensor.Float32)}}
	k, err := w2bNewDet(n)
	if err != nil {
		t.Fatal(err)
	}
	err = k.Run(&ops.ExecContext{Threads: 1}, []*tensor.Tensor{nnF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)}, make([]*tensor.Tensor, 1))
	selWantErr(t, "Det kernel non-square", err)
}

// w2bShapeString formats a shape for messages.
func w2bShapeString(s []int) string {
	out := "["
	for i, d := range s {
		if i > 0 {
			out += " "
		}
		out += nnItoa(d)
	}
	return out + "]"
}
