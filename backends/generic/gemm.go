package generic

// The matrix-multiply core shared by Conv, ConvTranspose, Gemm and MatMul,
// and the Gemm and MatMul kernels. In its own file so that a faster version
// can be substituted easily.

import (
	"fmt"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// gemmElem is the set of element types the GEMM core computes in directly.
// Float16 and BFloat16 go through float32.
type gemmElem interface {
	float32 | float64 | int32 | int64 | uint32 | uint64
}

// Cache blocking of the GEMM core: a kc x nc panel of B (256 KiB of float32)
// stays in L2 while every pair of rows of A streams over it, and the two
// rows of C being updated (nc values each) stay in L1.
const (
	gemmKC = 128
	gemmNC = 512
)

// gemmF32 computes C = alpha*op(A)*op(B) + beta*C on row-major float32
// matrices, where op(A) is m x k, op(B) is k x n and C is m x n:
//
//	for i := range m {
//		for j := range n {
//			var s float32
//			for p := range k {
//				s += opA(i, p) * opB(p, j)
//			}
//			c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
//		}
//	}
//
// with opA(i, p) = a[i*lda+p], or a[p*lda+i] when transA, and opB(p, j) =
// b[p*ldb+j], or b[j*ldb+p] when transB. When beta is 0, C is not read (NaNs
// in it do not propagate), as in BLAS. The caller guarantees that the
// slices are long enough for the given sizes and leading dimensions.
func gemmF32(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemm is gemmF32 for any gemmElem type. Integer types wrap on overflow.
func gemm[T gemmElem](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m <= 0 || n <= 0 {
		return
	}
	if beta != 1 {
		for i := range m {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
			} else {
				for j := range row {
					row[j] *= beta
				}
			}
		}
	}
	if k <= 0 || alpha == 0 {
		return
	}
	if transB {
		if transA {
			// Make A row-major once; the dot-product kernel wants rows.
			at := make([]T, m*k)
			for p := range k {
				for i, v := range a[p*lda : p*lda+m] {
					at[i*k+p] = v
				}
			}
			a, lda = at, k
		}
		gemmDotRows(m, n, k, alpha, a, lda, b, ldb, c, ldc)
		return
	}
	gemmAxpyRows(transA, m, n, k, alpha, a, lda, b, ldb, c, ldc)
}

// gemmAxpyRows adds alpha*op(A)*B to C for a row-major B (k x n): each row
// of C is updated with rows of B scaled by elements of A, two rows of C and
// four rows of B at a time, so that every element of B loaded feeds two
// multiply-adds and every element of C is loaded and stored once per four
// rows of B.
func gemmAxpyRows[T gemmElem](transA bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	// at returns alpha * opA(i, p).
	at := func(i, p int) T {
		if transA {
			return alpha * a[p*lda+i]
		}
		return alpha * a[i*lda+p]
	}
	for p0 := 0; p0 < k; p0 += gemmKC {
		p1 := min(p0+gemmKC, k)
		for j0 := 0; j0 < n; j0 += gemmNC {
			nb := min(gemmNC, n-j0)
			brow := func(p int) []T { return b[p*ldb+j0 : p*ldb+j0+nb] }
			i := 0
			for ; i+2 <= m; i += 2 {
				c0 := c[i*ldc+j0 : i*ldc+j0+nb]
				c1 := c[(i+1)*ldc+j0 : (i+1)*ldc+j0+nb]
				p := p0
				for ; p+4 <= p1; p += 4 {
					gemmAxpy2x4(c0, c1, brow(p), brow(p+1), brow(p+2), brow(p+3),
						at(i, p), at(i, p+1), at(i, p+2), at(i, p+3),
						at(i+1, p), at(i+1, p+1), at(i+1, p+2), at(i+1, p+3))
				}
				for ; p < p1; p++ {
					gemmAxpy2x1(c0, c1, brow(p), at(i, p), at(i+1, p))
				}
			}
			if i < m {
				c0 := c[i*ldc+j0 : i*ldc+j0+nb]
				p := p0
				for ; p+4 <= p1; p += 4 {
					gemmAxpy1x4(c0, brow(p), brow(p+1), brow(p+2), brow(p+3),
						at(i, p), at(i, p+1), at(i, p+2), at(i, p+3))
				}
				for ; p < p1; p++ {
					gemmAxpy1x1(c0, brow(p), at(i, p))
				}
			}
		}
	}
}

// gemmAxpy2x4 is
//
//	for j := range c0 {
//		c0[j] += a00*b0[j] + a01*b1[j] + a02*b2[j] + a03*b3[j]
//		c1[j] += a10*b0[j] + a11*b1[j] + a12*b2[j] + a13*b3[j]
//	}
//
// All slices have len(c0) elements.
func gemmAxpy2x4[T gemmElem](c0, c1, b0, b1, b2, b3 []T, a00, a01, a02, a03, a10, a11, a12, a13 T) {
	n := len(c0)
	c1, b0, b1, b2, b3 = c1[:n], b0[:n], b1[:n], b2[:n], b3[:n]
	for j := range c0 {
		x0, x1, x2, x3 := b0[j], b1[j], b2[j], b3[j]
		c0[j] += a00*x0 + a01*x1 + a02*x2 + a03*x3
		c1[j] += a10*x0 + a11*x1 + a12*x2 + a13*x3
	}
}

// gemmAxpy2x1 is gemmAxpy2x4 with one row of B.
func gemmAxpy2x1[T gemmElem](c0, c1, b0 []T, a0, a1 T) {
	n := len(c0)
	c1, b0 = c1[:n], b0[:n]
	for j := range c0 {
		x := b0[j]
		c0[j] += a0 * x
		c1[j] += a1 * x
	}
}

// gemmAxpy1x4 is gemmAxpy2x4 with one row of C.
func gemmAxpy1x4[T gemmElem](c0, b0, b1, b2, b3 []T, a0, a1, a2, a3 T) {
	n := len(c0)
	b0, b1, b2, b3 = b0[:n], b1[:n], b2[:n], b3[:n]
	for j := range c0 {
		c0[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]
	}
}

// gemmAxpy1x1 is c0[j] += a0*b0[j].
func gemmAxpy1x1[T gemmElem](c0, b0 []T, a0 T) {
	b0 = b0[:len(c0)]
	for j := range c0 {
		c0[j] += a0 * b0[j]
	}
}

// gemmDotRows adds alpha*A*B^T to C for row-major A (m x k) and B (n x k):
// every element of C is a dot product of two contiguous rows. It computes
// blocks of 2 rows of A against 4 rows of B, eight independent sums.
func gemmDotRows[T gemmElem](m, n, k int, alpha T, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	const kc = 4 * gemmKC
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		arow := func(i int) []T { return a[i*lda+p0 : i*lda+p0+kb] }
		brow := func(j int) []T { return b[j*ldb+p0 : j*ldb+p0+kb] }
		for j0 := 0; j0 < n; j0 += gemmNC {
			j1 := min(j0+gemmNC, n)
			i := 0
			for ; i+2 <= m; i += 2 {
				a0, a1 := arow(i), arow(i+1)
				c0, c1 := c[i*ldc:], c[(i+1)*ldc:]
				j := j0
				for ; j+4 <= j1; j += 4 {
					s := gemmDot2x4(a0, a1, brow(j), brow(j+1), brow(j+2), brow(j+3))
					c0[j] += alpha * s[0]
					c0[j+1] += alpha * s[1]
					c0[j+2] += alpha * s[2]
					c0[j+3] += alpha * s[3]
					c1[j] += alpha * s[4]
					c1[j+1] += alpha * s[5]
					c1[j+2] += alpha * s[6]
					c1[j+3] += alpha * s[7]
				}
				for ; j < j1; j++ {
					c0[j] += alpha * gemmDot(a0, brow(j))
					c1[j] += alpha * gemmDot(a1, brow(j))
				}
			}
			if i < m {
				a0 := arow(i)
				c0 := c[i*ldc:]
				for j := j0; j < j1; j++ {
					c0[j] += alpha * gemmDot(a0, brow(j))
				}
			}
		}
	}
}

// gemmDot2x4 returns the dot products of a0 and a1 with b0..b3, in the
// order a0·b0, a0·b1, a0·b2, a0·b3, a1·b0, ..., a1·b3. All slices have
// len(a0) elements.
func gemmDot2x4[T gemmElem](a0, a1, b0, b1, b2, b3 []T) [8]T {
	n := len(a0)
	a1, b0, b1, b2, b3 = a1[:n], b0[:n], b1[:n], b2[:n], b3[:n]
	var s00, s01, s02, s03, s10, s11, s12, s13 T
	for p := range a0 {
		x0, x1 := a0[p], a1[p]
		y0, y1, y2, y3 := b0[p], b1[p], b2[p], b3[p]
		s00 += x0 * y0
		s01 += x0 * y1
		s02 += x0 * y2
		s03 += x0 * y3
		s10 += x1 * y0
		s11 += x1 * y1
		s12 += x1 * y2
		s13 += x1 * y3
	}
	return [8]T{s00, s01, s02, s03, s10, s11, s12, s13}
}

// gemmDot returns the dot product of x and y[:len(x)], with four partial
// sums.
func gemmDot[T gemmElem](x, y []T) T {
	y = y[:len(x)]
	var s0, s1, s2, s3 T
	p := 0
	for ; p+4 <= len(x); p += 4 {
		s0 += x[p] * y[p]
		s1 += x[p+1] * y[p+1]
		s2 += x[p+2] * y[p+2]
		s3 += x[p+3] * y[p+3]
	}
	for ; p < len(x); p++ {
		s0 += x[p] * y[p]
	}
	return (s0 + s1) + (s2 + s3)
}

func init() {
	register("Gemm", nnNewGemm)
	register("MatMul", nnNewMatMul)
}

// nnMatKernel instantiates a Gemm or MatMul kernel for the node's dtype.
func nnMatKernel(n *ops.Node, mk func(any) ops.KernelFunc) ops.Kernel {
	switch dt := n.In[0].DType; dt {
	case tensor.Float32:
		return mk(float32(0))
	case tensor.Float64:
		return mk(float64(0))
	case tensor.Int32:
		return mk(int32(0))
	case tensor.Int64:
		return mk(int64(0))
	case tensor.Uint32:
		return mk(uint32(0))
	case tensor.Uint64:
		return mk(uint64(0))
	case tensor.Float16, tensor.BFloat16:
		return nnViaF32(mk(float32(0)), []int{0}, []tensor.DType{dt})
	}
	return nil
}

func nnNewGemm(n *ops.Node) (ops.Kernel, error) {
	ta, tb := n.AttrInt("transA") != 0, n.AttrInt("transB") != 0
	alpha, beta := float64(n.AttrFloat("alpha")), float64(n.AttrFloat("beta"))
	k := nnMatKernel(n, func(z any) ops.KernelFunc {
		switch z.(type) {
		case float32:
			return nnGemmRun[float32](ta, tb, alpha, beta)
		case float64:
			return nnGemmRun[float64](ta, tb, alpha, beta)
		case int32:
			return nnGemmRun[int32](ta, tb, alpha, beta)
		case int64:
			return nnGemmRun[int64](ta, tb, alpha, beta)
		case uint32:
			return nnGemmRun[uint32](ta, tb, alpha, beta)
		}
		return nnGemmRun[uint64](ta, tb, alpha, beta)
	})
	if k == nil {
		return nil, nil
	}
	return k, nil
}

// nnGemmRun: Y = alpha * A' * B' + beta * C, with C (optional)
// unidirectionally broadcast to (M, N). For integer types alpha and beta
// are converted to the type (truncated).
func nnGemmRun[T gemmElem](ta, tb bool, alpha, beta float64) ops.KernelFunc {
	return func(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
		a, b := in[0], in[1]
		as, bs := a.Shape(), b.Shape()
		if len(as) != 2 || len(bs) != 2 {
			return fmt.Errorf("%w: Gemm inputs %v and %v must be 2-D", ops.ErrShapeMismatch, as, bs)
		}
		m, k, lda := as[0], as[1], as[1]
		if ta {
			m, k = k, m
		}
		k2, n, ldb := bs[0], bs[1], bs[1]
		if tb {
			k2, n = n, k2
		}
		if k != k2 {
			return fmt.Errorf("%w: Gemm A' is %dx%d, B' is %dx%d", ops.ErrShapeMismatch, m, k, k2, n)
		}
		y, err := nnOut(out, 0, a.DType(), []int{m, n})
		if err != nil {
			return err
		}
		yd := tensor.Data[T](y)
		var bt T
		if len(in) > 2 && in[2] != nil && beta != 0 {
			c := in[2]
			cs := c.Shape()
			if len(cs) > 2 {
				return fmt.Errorf("%w: Gemm C shape %v has rank > 2", ops.ErrShapeMismatch, cs)
			}
			cr, cc := 1, 1
			if len(cs) == 2 {
				cr, cc = cs[0], cs[1]
			} else if len(cs) == 1 {
				cc = cs[0]
			}
			if (cr != 1 && cr != m) || (cc != 1 && cc != n) {
				return fmt.Errorf("%w: Gemm C shape %v does not broadcast to %dx%d", ops.ErrShapeMismatch, cs, m, n)
			}
			cd := tensor.Data[T](c)
			for i := range m {
				row := yd[i*n : (i+1)*n]
				crow := cd[(i%cr)*cc : (i%cr)*cc+cc]
				if cc == 1 {
					for j := range row {
						row[j] = crow[0]
					}
				} else {
					copy(row, crow)
				}
			}
			bt = T(beta)
		}
		gemm(ta, tb, m, n, k, T(alpha), tensor.Data[T](a), lda, tensor.Data[T](b), ldb, bt, yd, n)
		return nil
	}
}

func nnNewMatMul(n *ops.Node) (ops.Kernel, error) {
	k := nnMatKernel(n, func(z any) ops.KernelFunc {
		switch z.(type) {
		case float32:
			return nnMatMulRun[float32]
		case float64:
			return nnMatMulRun[float64]
		case int32:
			return nnMatMulRun[int32]
		case int64:
			return nnMatMulRun[int64]
		case uint32:
			return nnMatMulRun[uint32]
		}
		return nnMatMulRun[uint64]
	})
	if k == nil {
		return nil, nil
	}
	return k, nil
}

// nnMatMulRun is numpy.matmul: a 1-D A is a row vector and a 1-D B a column
// vector (their unit dim is dropped from Y), and leading batch dims
// broadcast.
func nnMatMulRun[T gemmElem](ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	a, b := in[0], in[1]
	as, bs := a.Shape(), b.Shape()
	if len(as) == 0 || len(bs) == 0 {
		return fmt.Errorf("%w: MatMul of a scalar (%v, %v)", ops.ErrShapeMismatch, as, bs)
	}
	aa, bb := as, bs
	if len(as) == 1 {
		aa = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bb = []int{bs[0], 1}
	}
	m, k := aa[len(aa)-2], aa[len(aa)-1]
	k2, n := bb[len(bb)-2], bb[len(bb)-1]
	if k != k2 {
		return fmt.Errorf("%w: MatMul %v x %v", ops.ErrShapeMismatch, as, bs)
	}
	ab, bbat := aa[:len(aa)-2], bb[:len(bb)-2]
	batch, err := tensor.BroadcastShapes(ab, bbat)
	if err != nil {
		return fmt.Errorf("%w: MatMul %v x %v", ops.ErrShapeMismatch, as, bs)
	}
	ys := append([]int(nil), batch...)
	if len(as) > 1 {
		ys = append(ys, m)
	}
	if len(bs) > 1 {
		ys = append(ys, n)
	}
	y, err := nnOut(out, 0, a.DType(), ys)
	if err != nil {
		return err
	}
	ad, bd, yd := tensor.Data[T](a), tensor.Data[T](b), tensor.Data[T](y)
	if len(bbat) == 0 {
		// B is one matrix: A's batch dims fold into its rows.
		gemm(false, false, nnNumel(ab)*m, n, k, 1, ad, k, bd, n, 0, yd, n)
		return nil
	}
	tensor.BroadcastPairs(ab, bbat, batch, func(i, ao, bo int) {
		gemm(false, false, m, n, k, 1, ad[ao*m*k:], k, bd[bo*k*n:], n, 0, yd[i*m*n:], n)
	})
	return nil
}
