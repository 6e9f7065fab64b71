package generic

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// nnNaiveGemm is the definition of gemmF32, in float64.
func nnNaiveGemm(transA, transB bool, m, n, k int, alpha float64, a []float32, lda int, b []float32, ldb int, beta float64, c []float32, ldc int) []float64 {
	out := make([]float64, len(c))
	for i := range c {
		out[i] = float64(c[i])
	}
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				ai, bi := i*lda+p, p*ldb+j
				if transA {
					ai = p*lda + i
				}
				if transB {
					bi = j*ldb + p
				}
				av, bv := a[ai], b[bi]
				s += float64(av) * float64(bv)
			}
			old := 0.0
			if beta != 0 {
				old = beta * float64(c[i*ldc+j])
			}
			out[i*ldc+j] = alpha*s + old
		}
	}
	return out
}

func nnRandF32(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func TestNNGemmCore(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := []int{1, 2, 3, 4, 5, 7, 8, 9, 13}
	big := [][3]int{{33, 517, 130}, {2, 1030, 260}, {65, 3, 600}, {1, 600, 1}, {130, 129, 257}}
	type mnk [3]int
	var cases []mnk
	for _, m := range sizes {
		for _, n := range sizes {
			for _, k := range []int{0, 1, 3, 4, 5, 8, 9, 131} {
				cases = append(cases, mnk{m, n, k})
			}
		}
	}
	for _, b := range big {
		cases = append(cases, mnk(b))
	}
	for _, cs := range cases {
		m, n, k := cs[0], cs[1], cs[2]
		for _, tr := range [4][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, ab := range [][2]float32{{1, 0}, {1, 1}, {0.5, -2}, {0, 0.5}} {
				ta, tb := tr[0], tr[1]
				// Leading dimensions larger than needed, to catch index mix-ups.
				lda, ldb, ldc := k+3, n+2, n+5
				arows := m
				if ta {
					lda, arows = m+1, k
				}
				brows := k
				if tb {
					ldb, brows = k+4, n
				}
				a := nnRandF32(r, arows*lda+1)
				bm := nnRandF32(r, brows*ldb+1)
				c := nnRandF32(r, m*ldc)
				if ab[1] == 0 {
					for i := range c {
						c[i] = float32(math.NaN()) // beta 0 must not read C
					}
				}
				want := nnNaiveGemm(ta, tb, m, n, k, float64(ab[0]), a, lda, bm, ldb, float64(ab[1]), c, ldc)
				gemmF32(ta, tb, m, n, k, ab[0], a, lda, bm, ldb, ab[1], c, ldc)
				for i := range m {
					for j := range ldc {
						got, w := float64(c[i*ldc+j]), want[i*ldc+j]
						if j >= n {
							// Outside the matrix: untouched (NaN stays NaN).
							if !(math.IsNaN(got) && math.IsNaN(w)) && got != w {
								t.Fatalf("m%d n%d k%d trans %v: wrote outside C at (%d,%d)", m, n, k, tr, i, j)
							}
							continue
						}
						if math.Abs(got-w) > 1e-4*(1+math.Sqrt(float64(k))) {
							t.Fatalf("m%d n%d k%d trans %v alpha/beta %v: C[%d,%d] = %v, want %v", m, n, k, tr, ab, i, j, got, w)
						}
					}
				}
			}
		}
	}
}

func TestNNGemmCoreInt(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, cs := range [][3]int{{3, 5, 7}, {4, 9, 8}, {1, 1, 1}, {7, 3, 600}} {
		m, n, k := cs[0], cs[1], cs[2]
		for _, tr := range [4][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			a := make([]int64, m*k)
			b := make([]int64, k*n)
			for i := range a {
				a[i] = int64(r.IntN(21) - 10)
			}
			for i := range b {
				b[i] = int64(r.IntN(21) - 10)
			}
			c := make([]int64, m*n)
			for i := range c {
				c[i] = 5
			}
			lda, ldb := k, n
			if tr[0] {
				lda = m
			}
			if tr[1] {
				ldb = k
			}
			gemm(tr[0], tr[1], m, n, k, 2, a, lda, b, ldb, 3, c, n)
			for i := range m {
				for j := range n {
					var s int64
					for p := range k {
						ai, bi := i*lda+p, p*ldb+j
						if tr[0] {
							ai = p*lda + i
						}
						if tr[1] {
							bi = j*ldb + p
						}
						av, bv := a[ai], b[bi]
						s += av * bv
					}
					if want := 2*s + 15; c[i*n+j] != want {
						t.Fatalf("%v trans %v: C[%d,%d] = %d, want %d", cs, tr, i, j, c[i*n+j], want)
					}
				}
			}
		}
	}
}

func BenchmarkNNGemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, cs := range [][3]int{{256, 256, 256}, {64, 3136, 576}, {512, 49, 4608}, {1, 1000, 512}, {128, 784, 1152}} {
		m, n, k := cs[0], cs[1], cs[2]
		for _, tr := range []struct {
			name   string
			ta, tb bool
		}{{"NN", false, false}, {"NT", false, true}} {
			b.Run(fmt.Sprintf("generic/%s/%dx%dx%d", tr.name, m, n, k), func(b *testing.B) {
				a := nnRandF32(r, m*k)
				bm := nnRandF32(r, k*n)
				c := make([]float32, m*n)
				ldb := n
				if tr.tb {
					ldb = k
				}
				b.ReportAllocs()
				for b.Loop() {
					gemmF32(false, tr.tb, m, n, k, 1, a, k, bm, ldb, 0, c, n)
				}
				b.ReportMetric(float64(2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
			})
		}
	}
}

func TestNNGemmKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, m := range []int{1, 3, 8} {
		for _, n := range []int{1, 5} {
			for _, k := range []int{1, 4, 7} {
				for _, ta := range []bool{false, true} {
					for _, tb := range []bool{false, true} {
						for _, cshape := range [][]int{nil, {}, {1}, {n}, {1, n}, {m, 1}, {m, n}} {
							as, bs := []int{m, k}, []int{k, n}
							if ta {
								as = []int{k, m}
							}
							if tb {
								bs = []int{n, k}
							}
							a, b := nnRandT(r, as...), nnRandT(r, bs...)
							alpha, beta := float32(0.5), float32(-1.5)
							inputs := []*tensor.Tensor{a, b}
							var cv []float64
							if cshape != nil {
								c := nnRandT(r, cshape...)
								inputs = append(inputs, c)
								cv = nnF64s(c)
							}
							av, bv := nnF64s(a), nnF64s(b)
							want := make([]float64, m*n)
							for i := range m {
								for j := range n {
									var s float64
									for p := range k {
										x, y := av[i*k+p], bv[p*n+j]
										if ta {
											x = av[p*m+i]
										}
										if tb {
											y = bv[j*k+p]
										}
										s += x * y
									}
									want[i*n+j] = float64(alpha) * s
									if cv != nil {
										// Unidirectional broadcast of C to (m, n).
										ci, cj := 0, 0
										if len(cshape) == 2 && cshape[0] == m {
											ci = i
										}
										if len(cshape) > 0 && cshape[len(cshape)-1] == n {
											cj = j
										}
										cols := 1
										if len(cshape) > 0 {
											cols = cshape[len(cshape)-1]
										}
										want[i*n+j] += float64(beta) * cv[ci*cols+cj]
									}
								}
							}
							for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
								in := make([]*tensor.Tensor, len(inputs))
								for i, x := range inputs {
									in[i] = nnAsType(x, dt)
								}
								out := mustEval(t, "Gemm", 13, 1, in, attrInt("transA", nnB2I(ta)), attrInt("transB", nnB2I(tb)),
									attrFloat("alpha", alpha), attrFloat("beta", beta))
								nnCheckF64(t, fmt.Sprintf("Gemm m%d n%d k%d ta%v tb%v C%v %v", m, n, k, ta, tb, cshape, dt), out[0], []int{m, n}, want, 1e-5, 1e-5)
							}
						}
					}
				}
			}
		}
	}
}

func nnB2I(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func TestNNGemmTypes(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5, 6}  // 2x3
	b := []float32{1, 0, -1, 2, 3, 1} // 3x2
	// A*B = [[8, 7], [17, 16]]; 2*A*B + C with C = [[4], [10]] broadcast
	// over columns is [[20, 18], [44, 42]].
	for _, dt := range []tensor.DType{tensor.Int32, tensor.Int64, tensor.Uint32, tensor.Uint64, tensor.Float16, tensor.BFloat16} {
		A := nnAsTypeAny(nnF32([]int{2, 3}, a...), dt)
		B := nnAsTypeAny(nnF32([]int{3, 2}, b...), dt)
		C := nnAsTypeAny(nnF32([]int{2, 1}, 4, 10), dt)
		out := mustEval(t, "Gemm", 13, 1, []*tensor.Tensor{A, B, C}, attrFloat("alpha", 2))
		if out[0].DType() != dt {
			t.Fatalf("%v: dtype %v", dt, out[0].DType())
		}
		nnCheckF64(t, "Gemm "+dt.String(), out[0], []int{2, 2}, []float64{20, 18, 44, 42}, 0, 0)
		out = mustEval(t, "MatMul", 13, 1, []*tensor.Tensor{A, B})
		nnCheckF64(t, "MatMul "+dt.String(), out[0], []int{2, 2}, []float64{8, 7, 17, 16}, 0, 0)
	}
	// Opset 7: C is required but may broadcast; opset 11 makes it optional.
	if _, err := evalNode("", "Gemm", 7, 1, []*tensor.Tensor{nnF32([]int{1, 1}, 1), nnF32([]int{1, 1}, 1)}); err == nil {
		t.Error("Gemm opset 7 without C: no error")
	}
}

// nnAsTypeAny converts a float32 tensor of small integral values to dt.
func nnAsTypeAny(x *tensor.Tensor, dt tensor.DType) *tensor.Tensor {
	src := tensor.Data[float32](x)
	switch dt {
	case tensor.Int32:
		return nnConvertTo[int32](src, x.Shape())
	case tensor.Int64:
		return nnConvertTo[int64](src, x.Shape())
	case tensor.Uint32:
		return nnConvertTo[uint32](src, x.Shape())
	case tensor.Uint64:
		return nnConvertTo[uint64](src, x.Shape())
	}
	return nnAsType(x, dt)
}

func nnConvertTo[T int32 | int64 | uint32 | uint64](src []float32, shape []int) *tensor.Tensor {
	d := make([]T, len(src))
	for i, v := range src {
		d[i] = T(int64(v))
	}
	return tensor.Must(tensor.FromSlice(d, shape...))
}

// nnNaiveMatMul is numpy.matmul on float64 data, straight from the
// definition (1-D promotion, batch broadcasting).
func nnNaiveMatMul(as, bs []int, a, b []float64) ([]int, []float64) {
	aa, bb := as, bs
	if len(as) == 1 {
		aa = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bb = []int{bs[0], 1}
	}
	m, k, n := aa[len(aa)-2], aa[len(aa)-1], bb[len(bb)-1]
	ra, rb := len(aa)-2, len(bb)-2
	rank := max(ra, rb)
	batch := make([]int, rank)
	for i := range rank {
		da, db := 1, 1
		if j := i - (rank - ra); j >= 0 {
			da = aa[j]
		}
		if j := i - (rank - rb); j >= 0 {
			db = bb[j]
		}
		batch[i] = max(da, db)
	}
	full := append(append([]int(nil), batch...), m, n)
	y := make([]float64, nnNumel(full))
	for yi := range y {
		id := nnUnravel(yi, full)
		ai := make([]int, len(aa))
		bi := make([]int, len(bb))
		for i := range ra {
			if aa[i] > 1 {
				ai[i] = id[i+rank-ra]
			}
		}
		for i := range rb {
			if bb[i] > 1 {
				bi[i] = id[i+rank-rb]
			}
		}
		var s float64
		for p := range k {
			ai[ra], ai[ra+1] = id[rank], p
			bi[rb], bi[rb+1] = p, id[rank+1]
			s += a[nnRavel(ai, aa)] * b[nnRavel(bi, bb)]
		}
		y[yi] = s
	}
	ys := append([]int(nil), batch...)
	if len(as) > 1 {
		ys = append(ys, m)
	}
	if len(bs) > 1 {
		ys = append(ys, n)
	}
	return ys, y
}

func TestNNMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	cases := [][2][]int{
		{{3}, {3}}, {{3}, {3, 4}}, {{2, 3}, {3}}, {{2, 3}, {3, 4}},
		{{5, 2, 3}, {3, 4}}, {{2, 3}, {5, 3, 4}}, {{3}, {5, 3, 4}}, {{5, 2, 3}, {3}},
		{{2, 1, 2, 3}, {4, 3, 5}}, {{1, 2, 3}, {6, 3, 2}}, {{6, 2, 3}, {1, 3, 2}},
		{{2, 3, 1, 4}, {3, 4, 2}}, {{1, 1}, {1, 1}}, {{2, 0}, {0, 3}}, {{0, 3}, {3, 2}},
		{{4, 70, 130}, {130, 33}}, {{3, 33, 65}, {3, 65, 9}},
	}
	for _, c := range cases {
		a, b := nnRandT(r, c[0]...), nnRandT(r, c[1]...)
		ys, _ := nnNaiveMatMul(c[0], c[1], nnF64s(a), nnF64s(b))
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16} {
			A, B := nnAsType(a, dt), nnAsType(b, dt)
			_, want := nnNaiveMatMul(c[0], c[1], nnF64s(A), nnF64s(B))
			out := mustEval(t, "MatMul", 13, 1, []*tensor.Tensor{A, B})
			tol := 1e-5
			if dt == tensor.Float16 {
				tol = 2e-2
			}
			nnCheckF64(t, fmt.Sprintf("MatMul %v x %v %v", c[0], c[1], dt), out[0], ys, want, tol, tol)
		}
		// Integers: exact.
		ai, bi := nnRoundInts(nnF64s(a), 5), nnRoundInts(nnF64s(b), 5)
		_, wi := nnNaiveMatMul(c[0], c[1], ai, bi)
		for _, dt := range []tensor.DType{tensor.Int32, tensor.Int64} {
			A := nnAsTypeAny(tensor.Must(tensor.FromSlice(nnToF32s(ai), c[0]...)), dt)
			B := nnAsTypeAny(tensor.Must(tensor.FromSlice(nnToF32s(bi), c[1]...)), dt)
			out := mustEval(t, "MatMul", 13, 1, []*tensor.Tensor{A, B})
			nnCheckF64(t, fmt.Sprintf("MatMul %v x %v %v", c[0], c[1], dt), out[0], ys, wi, 0, 0)
		}
	}
}

func nnRoundInts(v []float64, scale float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Round(x * scale)
	}
	return out
}

func nnToF32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func TestNNMatMulGemmErrors(t *testing.T) {
	f := func(s ...int) *tensor.Tensor { return tensor.Must(tensor.New(tensor.Float32, s...)) }
	cases := []struct {
		name string
		op   string
		in   []*tensor.Tensor
	}{
		{"matmul inner", "MatMul", []*tensor.Tensor{f(2, 3), f(4, 2)}},
		{"matmul batch", "MatMul", []*tensor.Tensor{f(2, 2, 3), f(3, 3, 2)}},
		{"matmul scalar", "MatMul", []*tensor.Tensor{tensor.Scalar(float32(1)), f(1)}},
		{"matmul bool", "MatMul", []*tensor.Tensor{tensor.Must(tensor.New(tensor.Bool, 2, 2)), tensor.Must(tensor.New(tensor.Bool, 2, 2))}},
		{"gemm inner", "Gemm", []*tensor.Tensor{f(2, 3), f(4, 2)}},
		{"gemm rank", "Gemm", []*tensor.Tensor{f(2, 3, 1), f(3, 2)}},
		{"gemm C", "Gemm", []*tensor.Tensor{f(2, 3), f(3, 2), f(3, 2)}},
		{"gemm C rank", "Gemm", []*tensor.Tensor{f(2, 3), f(3, 2), f(1, 2, 2)}},
		{"gemm mixed", "Gemm", []*tensor.Tensor{f(2, 3), tensor.Must(tensor.New(tensor.Float64, 3, 2))}},
	}
	for _, c := range cases {
		_, err := evalNode("", c.op, 13, 1, c.in)
		t.Logf("%s: %v", c.name, err)
		if err == nil {
			t.Errorf("%s: no error", c.name)
		} else if !errors.Is(err, ops.ErrInvalidNode) && !errors.Is(err, ops.ErrShapeMismatch) {
			t.Errorf("%s: unexpected error kind: %v", c.name, err)
		}
	}
}
